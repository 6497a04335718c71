import * as assert from 'assert';
import { estimateTokens } from '../../src/core/llm/tokens';
import { AbortError } from '../../src/core/http/errors';
import { chunkDocument, joinChunks } from '../../src/core/translate/chunk';
import { DocumentJob, translateDocument } from '../../src/core/translate/document';
import { JobStateMismatchError, type TranslateRequest } from '../../src/core/translate/types';

const DOC = [
  '---',
  'title: Getting started',
  '---',
  '# Getting started',
  '',
  'Ollama runs large language models on your own machine. It exposes an HTTP API on port 11434. Models are pulled once and cached.',
  '',
  '```bash',
  'ollama pull qwen2.5-coder:1.5b',
  '',
  'ollama run qwen2.5-coder:1.5b "Hello"',
  '```',
  '',
  '- First item of the list',
  '- Second item, which is a little longer than the first one',
  '',
  '~~~~markdown',
  '```',
  'a fence inside a longer fence is still code',
  '```',
  '~~~~',
  '本地模型很快。它们不需要网络！真的吗？是的。',
  '',
  '',
  '| Column | Value |',
  '|--------|-------|',
  '| a      | 1     |',
  '',
].join('\n');

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
  });
}
const tr = (s: string): string => `译${s}`;

describe('translate: document chunking', () => {
  for (const max of [20, 40, 80, 150, 400, 1500]) {
    it(`budget ${max}: chunks rebuild the document exactly, text chunks fit the budget`, () => {
      const cs = chunkDocument(DOC, { maxChars: max });
      assert.strictEqual(joinChunks(cs), DOC);
      for (const c of cs) if (c.translate) assert.ok(c.body.length <= max, `${c.body.length} > ${max}: ${JSON.stringify(c.body)}`);
    });
  }
  it('fenced code blocks and front matter are chunks of their own, untouched and not translated', () => {
    const cs = chunkDocument(DOC, { maxChars: 1500 });
    const code = cs.filter((c) => !c.translate && c.kind !== 'blank').map((c) => c.lead + c.body + c.trail);
    assert.deepStrictEqual(code, [
      '---\ntitle: Getting started\n---\n',
      '```bash\nollama pull qwen2.5-coder:1.5b\n\nollama run qwen2.5-coder:1.5b "Hello"\n```\n',
      '~~~~markdown\n```\na fence inside a longer fence is still code\n```\n~~~~\n',
    ]);
    for (const max of [20, 40, 80]) {
      assert.ok(chunkDocument(DOC, { maxChars: max }).every((c) => !c.translate || !/ollama pull|fence inside/.test(c.body)));
    }
  });
  it('an unclosed fence runs to the end of the document', () => {
    const cs = chunkDocument('Intro.\n\n```js\nconst a = 1;\n\nconst b = 2;\n', { maxChars: 100 });
    assert.deepStrictEqual(cs.map((c) => [c.kind, c.body]), [['text', 'Intro.'], ['code', '```js\nconst a = 1;\n\nconst b = 2;']]);
  });
  it('plain text has no code fences', () => {
    const cs = chunkDocument('Look:\n```\nnot code in a .txt\n```\n', { format: 'plaintext' });
    assert.deepStrictEqual(cs.map((c) => c.translate), [true]);
  });
  it('splits at paragraphs first, then sentences (Latin and CJK)', () => {
    const para = (n: number): string => `Paragraph ${n} has a few words. It ends here.`;
    const text = [para(1), para(2), para(3), para(4)].join('\n\n');
    const cs = chunkDocument(text, { maxChars: 100 });
    assert.deepStrictEqual(cs.map((c) => c.body), [`${para(1)}\n\n${para(2)}`, `${para(3)}\n\n${para(4)}`]);
    const long = chunkDocument('One sentence here. Two sentences here! Three sentences here? Four.', { maxChars: 40 });
    assert.deepStrictEqual(long.map((c) => c.body), ['One sentence here. Two sentences here!', 'Three sentences here? Four.']);
    const zh = chunkDocument('本地模型很快。它们不需要网络！真的吗？是的。', { maxChars: 10, maxTokens: 10 });
    assert.deepStrictEqual(zh.map((c) => c.body), ['本地模型很快。', '它们不需要网络！', '真的吗？是的。']);
    const noStops = 'Supercalifragilistic expialidocious words without any full stops at all';
    const word = chunkDocument(noStops, { maxChars: 25 });
    assert.ok(word.every((c) => c.body.length <= 25));
    assert.deepStrictEqual(word.flatMap((c) => c.body.split(' ')), noStops.split(' '), 'cut between words');
    assert.deepStrictEqual(chunkDocument('x'.repeat(25), { maxChars: 10 }).map((c) => c.body.length), [10, 10, 5]);
  });
  it('the budget is in tokens too: 1,500 characters of Chinese are not one 1,500-character chunk', () => {
    const sentence = '在这个快速发展的时代，人工智能技术正在深刻地改变着我们的生活方式和工作方式。';
    const zh = sentence.repeat(40); // 1,520 characters, about 1,520 tokens
    const cs = chunkDocument(zh, { maxChars: 1500 });
    // 1500 characters of English or code are about 500 tokens: so are the Chinese chunks.
    assert.ok(cs.length >= 3, `${cs.length} chunks`);
    assert.ok(cs.every((c) => estimateTokens(c.body) <= 500), cs.map((c) => estimateTokens(c.body)).join(','));
    assert.ok(cs.every((c) => c.body.endsWith('。')), 'cut at sentence ends');
    assert.strictEqual(joinChunks(cs), zh);
    // English of the same length stays one chunk.
    const en = 'Local models are fast and need no network, which matters on a plane. '.repeat(21).trim();
    assert.ok(en.length <= 1500);
    assert.strictEqual(chunkDocument(en, { maxChars: 1500 }).length, 1);
    // Calibrated factors for a model whose tokenizer is denser for CJK give bigger chunks.
    assert.ok(chunkDocument(zh, { maxChars: 1500, factors: { cjk: 0.5, other: 1 } }).length < cs.length);
  });

  it('chunks with nothing to translate are kept as they are', () => {
    const cs = chunkDocument('Text.\n\n---\n\n1234\n', { maxChars: 6, maxTokens: 6 });
    assert.deepStrictEqual(cs.map((c) => [c.body, c.translate]), [['Text.', true], ['---', false], ['1234', false]]);
  });
});

describe('translate: documents', () => {
  it('translates chunks in parallel and reassembles them in order', async () => {
    let active = 0;
    let peak = 0;
    const fn = async (r: TranslateRequest): Promise<string> => {
      active++; peak = Math.max(peak, active);
      // Later chunks finish first.
      await sleep(Math.max(0, 20 - r.user.length / 10));
      active--;
      return tr(r.user);
    };
    const r = await translateDocument(DOC, fn, { maxChunkChars: 40, concurrency: 4 });
    const cs = chunkDocument(DOC, { maxChars: 40 });
    assert.strictEqual(r.text, joinChunks(cs, cs.map((c) => (c.translate ? tr(c.body) : undefined))));
    assert.strictEqual(peak, 4);
    assert.strictEqual(r.requests, cs.filter((c) => c.translate).length);
    assert.ok(r.text.includes('```bash\nollama pull qwen2.5-coder:1.5b\n\nollama run'));
  });

  it('cancel keeps finished chunks; the saved state resumes and finishes', async () => {
    const ac = new AbortController();
    const calls: string[] = [];
    const fn = async (r: TranslateRequest): Promise<string> => {
      calls.push(r.user);
      await sleep(3, r.signal);
      if (calls.length === 4) ac.abort();
      return tr(r.user);
    };
    const progress: number[] = [];
    const job = new DocumentJob(DOC, { maxChunkChars: 40 });
    await assert.rejects(job.run(fn, { concurrency: 2, signal: ac.signal, onProgress: (p) => progress.push(p.done) }), (e) => e instanceof AbortError);
    const done = job.doneCount;
    assert.ok(done >= 2 && done < job.total, `done ${done} of ${job.total}`);
    assert.deepStrictEqual(progress, Array.from({ length: done }, (_v, i) => i + 1));
    assert.ok(job.text().includes('译'), 'partial result has the finished chunks');

    const saved = JSON.parse(JSON.stringify(job.state)) as typeof job.state;
    const more: string[] = [];
    const resumed = new DocumentJob(DOC, { maxChunkChars: 40 }, saved);
    const r = await resumed.run(async (q) => { more.push(q.user); return tr(q.user); });
    assert.strictEqual(r.requests, job.total - done);
    assert.ok(more.every((u) => !Object.values(saved.done).includes(tr(u))), 'finished chunks are not sent again');
    const full = await translateDocument(DOC, async (q) => tr(q.user), { maxChunkChars: 40 });
    assert.strictEqual(r.text, full.text);
    assert.ok(resumed.complete);
  });

  it('a failed request keeps what was done; run() again resumes', async () => {
    let n = 0;
    const flaky = async (r: TranslateRequest): Promise<string> => {
      if (++n === 3) throw new Error('connection reset');
      return tr(r.user);
    };
    const job = new DocumentJob(DOC, { maxChunkChars: 40 });
    await assert.rejects(job.run(flaky, { concurrency: 1 }), /connection reset/);
    assert.strictEqual(job.doneCount, 2);
    const r = await job.run(flaky, { concurrency: 1 });
    assert.strictEqual(r.requests, job.total - 2);
    assert.ok(job.complete);
  });

  it('a state from another document or other settings is refused', () => {
    const state = new DocumentJob(DOC, { maxChunkChars: 40 }).state;
    assert.throws(() => new DocumentJob(DOC + 'x', { maxChunkChars: 40 }, state), JobStateMismatchError);
    assert.throws(() => new DocumentJob(DOC, { maxChunkChars: 40, target: 'German' }, state), JobStateMismatchError);
  });
});
