// Review findings on translation: cut-off answers, the subtitle tag scan's running time, the
// side-by-side preview's per-token cost, and one job's cancel reaching another through the cache.
import * as assert from 'assert';
import type { LlmBackend, StreamChunk } from '../../src/core/llm/backend';
import { OllamaBackend, OpenAIBackend } from '../../src/core/llm/backend';
import { AbortError } from '../../src/core/http/errors';
import { TranslationCache } from '../../src/core/translate/cache';
import { DocumentJob, translateText } from '../../src/core/translate/document';
import { LiveDocumentView } from '../../src/core/translate/live';
import { SubtitleJob, splitLineTags } from '../../src/core/translate/subtitleJob';
import { parseSubtitles, serializeSubtitles } from '../../src/core/translate/subtitles';
import { TranslationTruncatedError, type TranslateRequest } from '../../src/core/translate/types';
import { chatTranslateFn } from '../../src/core/translate/chatTranslate';
import { OllamaTestServer } from '../support/ollamaServer';

const tr = (s: string): string => `译${s}`;

/** Translates like a model, except that `cut(user)` true answers are cut off at the length limit. */
function truncating(cut: (user: string) => boolean): { fn: (r: TranslateRequest) => Promise<string>; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fn: async (r) => {
      calls.push(r.user);
      if (cut(r.user)) throw new TranslationTruncatedError('cut at the length limit', { partial: tr(r.user).slice(0, 5) });
      return tr(r.user);
    },
  };
}

/** A backend whose chat streams `chunks` (chatTranslateFn uses nothing else). */
function backendOf(chunks: StreamChunk[]): LlmBackend {
  const chat: LlmBackend['chat'] = async () => (async function* () { for (const c of chunks) yield c; })();
  return { kind: 'ollama', baseUrl: 'http://fake', chat } as Partial<LlmBackend> as LlmBackend;
}

describe('translate: an answer cut off at the length limit', () => {
  it('chatTranslateFn rejects with TranslationTruncatedError (partial text attached) on done_reason "length"', async () => {
    const seen: string[] = [];
    const fn = chatTranslateFn(async () => backendOf([{ text: '你好，', done: false }, { text: '世', done: false }, { text: '', done: true, doneReason: 'length' }]), {
      model: 'm', onText: (_r, soFar) => seen.push(soFar),
    });
    await assert.rejects(fn({ system: 's', user: 'Hello, world' }), (e: unknown) => e instanceof TranslationTruncatedError && e.partial === '你好，世');
    assert.deepStrictEqual(seen, ['你好，', '你好，世']);
    const whole = chatTranslateFn(async () => backendOf([{ text: '你好', done: false }, { text: '', done: true, doneReason: 'stop' }]), { model: 'm' });
    assert.strictEqual(await whole({ system: 's', user: 'Hello' }), '你好');
  });

  describe('over HTTP (num_predict on the test server)', () => {
    let server: OllamaTestServer;
    before(async () => { server = await OllamaTestServer.start({ reply: () => 'one two three four five six seven eight nine ten' }); });
    after(async () => { await server.close(); });
    for (const [name, make] of [['ollama', (u: string) => new OllamaBackend({ host: u })], ['openai', (u: string) => new OpenAIBackend({ host: u })]] as const) {
      it(`${name}: a reply longer than num_predict rejects; one within it resolves`, async () => {
        const b = make(server.url);
        try {
          const cut = chatTranslateFn(async () => b, { model: 'llama3.2', options: { numPredict: 3 } });
          await assert.rejects(cut({ system: 's', user: 'x' }), TranslationTruncatedError);
          const full = chatTranslateFn(async () => b, { model: 'llama3.2', options: { numPredict: 500 } });
          assert.strictEqual(await full({ system: 's', user: 'x' }), 'one two three four five six seven eight nine ten');
        } finally {
          await b.close();
        }
      });
    }
  });

  it('a selection whose answer is cut off rejects, and nothing is cached', async () => {
    const cache = new TranslationCache();
    const f = truncating(() => true);
    await assert.rejects(translateText('Hello world, this is a sentence.', f.fn, { cache, model: 'm' }), TranslationTruncatedError);
    assert.strictEqual(cache.size, 0);
    await assert.rejects(translateText('Hello world, this is a sentence.', f.fn, { cache, model: 'm' }), TranslationTruncatedError);
    assert.strictEqual(f.calls.length, 2, 'a truncated answer was served from the cache');
  });

  it('a document: other chunks finish, the cut-off chunk keeps its source and is not cached; resume completes it', async () => {
    const source = 'First paragraph here.\n\nSecond paragraph, which the model cuts off.\n\nThird paragraph here.\n';
    const cache = new TranslationCache();
    const job = new DocumentJob(source, { cache, maxChunkChars: 60 });
    assert.strictEqual(job.total, 3);
    const f = truncating((u) => u.startsWith('Second'));
    await assert.rejects(job.run(f.fn, { concurrency: 1 }), (e: unknown) => e instanceof TranslationTruncatedError && e.chunks.length === 1);
    assert.strictEqual(job.doneCount, 2);
    assert.strictEqual(job.text(), '译First paragraph here.\n\nSecond paragraph, which the model cuts off.\n\n译Third paragraph here.\n');
    assert.strictEqual(cache.size, 2, 'the cut-off chunk was cached');
    const resumed = new DocumentJob(source, { cache, maxChunkChars: 60 }, job.state);
    const good = truncating(() => false);
    const r = await resumed.run(good.fn);
    assert.deepStrictEqual(good.calls, ['Second paragraph, which the model cuts off.']);
    assert.strictEqual(r.text, '译First paragraph here.\n\n译Second paragraph, which the model cuts off.\n\n译Third paragraph here.\n');
  });

  it('subtitles: a cut-off batch is retried in halves; a single cue cut off keeps its text and is reported, never cached', async () => {
    const srt = '1\n00:00:01,000 --> 00:00:02,000\nFirst cue\n\n2\n00:00:03,000 --> 00:00:04,000\nSecond cue\n\n3\n00:00:05,000 --> 00:00:06,000\nThird cue\n\n';
    const cache = new TranslationCache();
    const sizes: number[] = [];
    const fn = async (r: TranslateRequest): Promise<string> => {
      const items = [...r.user.slice(r.user.indexOf('Translate these')).matchAll(/^\[(\d+)\] (.*)$/gm)];
      sizes.push(items.length);
      // Batches of more than one cue, and the Second cue alone, run past the length limit.
      if (items.length > 1 || items[0]![2] === 'Second cue') throw new TranslationTruncatedError('cut', { partial: `[${items[0]![1]}] 中` });
      return items.map((m) => `[${m[1]}] 中${m[2]}`).join('\n');
    };
    const job = new SubtitleJob(parseSubtitles(srt, 'srt'), { cache, batchSize: 30 });
    const r = await job.run(fn, { concurrency: 1 });
    assert.deepStrictEqual(r.failedCueIds, ['2']);
    assert.match(r.failures[0]!.reason, /length limit/);
    assert.ok(sizes[0] === 3 && sizes.includes(1), JSON.stringify(sizes));
    const out = serializeSubtitles(r.file);
    assert.ok(out.includes('中First cue') && out.includes('\nSecond cue\n') && out.includes('中Third cue'), out);
    assert.strictEqual(cache.size, 2);
  });
});

describe('translate: subtitle tags in linear time', () => {
  const OLD = /^((?:\s*(?:<v(?:\.[^\s>]*)?(?:\s[^>]*)?>|\{\\[^}]*\}))*\s*)([\s\S]*?)(\s*(?:<\/v>)?\s*)$/;

  it('splits like the former regex on tagged, untagged and odd lines', () => {
    const lines = [
      '', ' ', 'Hello', '  Hello  ', '<v Bob>Hello</v>', '<v.loud Bob> Hi there </v>  ', '{\\an8}Top', '{\\an8} <v Ann>Both</v>',
      '<v Bob></v>', '<v Bob>   </v>', 'a</v></v>', '</v>', '<vx>not a tag', '<v', '{\\an8', 'x <v Bob>late tag', '\t<v Bob>\tTabbed\t</v>\t',
      'a' + ' '.repeat(50) + 'x', '<v Bob>' + ' '.repeat(30), ' '.repeat(30) + '</v>' + ' '.repeat(30),
    ];
    for (const l of lines) {
      const m = OLD.exec(l)!;
      assert.deepStrictEqual(splitLineTags(l), [m[1], m[2], m[3]], JSON.stringify(l));
    }
  });

  it('a cue line of 100,000 spaces (and one with text around them) is handled in well under 100 ms', () => {
    const big = ' '.repeat(100_000);
    const lines = [big, 'a' + big + 'x', '<v Bob>' + big + 'x' + big + '</v>', '<v ' + big];
    const t0 = performance.now();
    for (const l of lines) {
      const [p, c, s] = splitLineTags(l);
      assert.strictEqual(p + c + s, l);
    }
    const srt = `1\n00:00:01,000 --> 00:00:02,000\na${big}x\n\n`;
    const job = new SubtitleJob(parseSubtitles(srt, 'srt'));
    const ms = performance.now() - t0;
    assert.strictEqual(job.total, 1);
    assert.ok(ms < 100, `${ms.toFixed(1)} ms`);
  });
});

describe('translate: the side-by-side preview while streaming', () => {
  it('a token only records the partial answer; the document is built once per render()', async () => {
    const paragraphs = Array.from({ length: 50 }, (_, i) => `Paragraph ${i + 1} has some text in it.`);
    const source = paragraphs.join('\n\n') + '\n';
    const job = new DocumentJob(source, { maxChunkChars: 50 });
    assert.strictEqual(job.total, 50);
    const live = new LiveDocumentView(job);
    let lookups = 0;
    const translation = job.translation.bind(job);
    job.translation = (i: number) => { lookups++; return translation(i); };
    const user = 'Paragraph 7 has some text in it.';
    let soFar = '';
    for (const ch of tr(user)) {
      soFar += ch;
      assert.strictEqual(live.onText({ system: 's', user }, soFar), true);
    }
    assert.strictEqual(live.onText({ system: 's', user: 'not one of its chunks' }, 'x'), false);
    assert.strictEqual(lookups, 0, 'a token rebuilt the document');
    const text = live.render();
    assert.strictEqual(lookups, 50);
    assert.ok(text.includes(`\n\n${tr(user)}\n\n`), text);
    live.close();
    assert.strictEqual(live.onText({ system: 's', user }, 'late'), false);
  });

  it('the preview builds its text once per refresh however many tokens arrive', async () => {
    // TranslationPreviews needs `vscode`: a minimal stand-in for what it uses.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- Node's loader, to hand the module a `vscode` stand-in
    const Mod = require('module') as { _load: (request: string, ...rest: unknown[]) => unknown };
    const load = Mod._load;
    const fired: string[] = [];
    const stub = {
      EventEmitter: class { event = (): void => {}; fire(u: unknown): void { fired.push(String(u)); } dispose(): void {} },
      Uri: { from: (c: { scheme: string; path: string }) => ({ toString: () => `${c.scheme}:${c.path}` }) },
    };
    Mod._load = function (this: unknown, request: string, ...rest: unknown[]) { return request === 'vscode' ? stub : load.call(this, request, ...rest); };
    let previews: typeof import('../../src/vscode/translate/preview');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded while the stand-in is in place
    try { previews = require('../../src/vscode/translate/preview') as typeof import('../../src/vscode/translate/preview'); } finally { Mod._load = load; }
    const p = new previews.TranslationPreviews();
    try {
      const uri = p.create('notes.zh-CN.md') as unknown as import('vscode').Uri;
      let builds = 0;
      for (let i = 0; i < 1000; i++) p.invalidate(uri, () => `built ${++builds}`);
      assert.strictEqual(builds, 0, 'built before the refresh');
      await new Promise((r) => setTimeout(r, 20));
      assert.strictEqual(builds, 1);
      assert.strictEqual(p.text(uri), 'built 1');
      assert.strictEqual(fired.length, 1);
      for (let i = 0; i < 1000; i++) p.invalidate(uri, () => `built ${++builds}`);
      p.update(uri, 'final', true);
      await new Promise((r) => setTimeout(r, 150));
      assert.strictEqual(builds, 1, 'a stale build ran after the final text');
      assert.strictEqual(p.text(uri), 'final');
    } finally {
      p.dispose();
    }
  });
});

describe('translate: the cache and cancels', () => {
  it('a caller sharing another caller\'s request computes itself when that one is cancelled', async () => {
    const cache = new TranslationCache();
    let release!: () => void;
    const first = new AbortController();
    const a = cache.getOrCompute('k', () => new Promise((_resolve, reject) => {
      release = () => reject(new AbortError('Translation cancelled'));
    }), first.signal);
    let computed = 0;
    const b = cache.getOrCompute('k', async () => { computed++; return { value: 'mine', store: true }; }, new AbortController().signal);
    first.abort();
    release();
    await assert.rejects(a, AbortError);
    assert.deepStrictEqual(await b, { value: 'mine', hit: false });
    assert.strictEqual(computed, 1);
    assert.strictEqual(cache.get('k'), 'mine');
  });

  it('a waiter whose own signal is aborted, or a real failure, still rejects', async () => {
    const cache = new TranslationCache();
    let release!: (e: Error) => void;
    const a = cache.getOrCompute('k', () => new Promise((_r, reject) => { release = reject; }));
    const mine = new AbortController();
    const b = cache.getOrCompute('k', async () => ({ value: 'x', store: true }), mine.signal);
    mine.abort();
    release(new AbortError('Translation cancelled'));
    await assert.rejects(a, AbortError);
    await assert.rejects(b, AbortError);
    let fail!: (e: Error) => void;
    const c = cache.getOrCompute('j', () => new Promise((_r, reject) => { fail = reject; }));
    const d = cache.getOrCompute('j', async () => ({ value: 'x', store: true }), new AbortController().signal);
    fail(new Error('boom'));
    await assert.rejects(c, /boom/);
    await assert.rejects(d, /boom/);
  });

  it('two selections of the same text: cancelling the first does not cancel the second', async () => {
    const cache = new TranslationCache();
    const fn = (r: TranslateRequest): Promise<string> => new Promise((resolve, reject) => {
      const t = setTimeout(() => resolve(tr(r.user)), 30);
      r.signal?.addEventListener('abort', () => { clearTimeout(t); reject(new AbortError('Translation cancelled')); }, { once: true });
    });
    const ac = new AbortController();
    const one = translateText('Same sentence here.', fn, { cache, signal: ac.signal });
    const two = translateText('Same sentence here.', fn, { cache });
    setTimeout(() => ac.abort(new AbortError('Translation cancelled')), 5);
    await assert.rejects(one, AbortError);
    assert.strictEqual((await two).text, '译Same sentence here.');
  });
});
