// The editor-free half of model management: sizes, times, GPU split and names as the Models view
// shows them; progress aggregation by layer digest; the model-details markdown; Modelfile hovers.
import * as assert from 'assert';
import { systemTimers, Throttle } from '../../src/core/common/timing';
import {
  canonicalModelName, defaultModelName, expiryOf, formatBytes, formatRelative, hoverAt, hoverInDocument, humanCount,
  isValidModelName, modelInfoHighlights, parseParameterLines, processorSplit, renderModelMarkdown, sameModel,
  TransferProgress, uploadFraction, type ShowLabels,
} from '../../src/core/models';
import { OllamaClient } from '../../src/core/ollama/client';
import { OllamaTestServer } from '../support/ollamaServer';

describe('models: formatting', () => {
  it('prints sizes as `ollama list` does (decimal units)', () => {
    assert.deepStrictEqual(
      [0, 637, 1000, 1500, 986062089, 2019393189, 4733363377, 10_000_000_000, 123_456_789_012, 2e12].map(formatBytes),
      ['0 B', '637 B', '1 KB', '1.5 KB', '986 MB', '2.0 GB', '4.7 GB', '10 GB', '123 GB', '2 TB'],
    );
    assert.strictEqual(formatBytes(NaN), '');
  });

  it('says times relative to now, in the display language', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    assert.strictEqual(formatRelative(now - 3 * 7 * 86400_000, now, 'en'), '3 weeks ago');
    assert.strictEqual(formatRelative(now + 4 * 60_000 + 10_000, now, 'en'), 'in 4 minutes');
    assert.strictEqual(formatRelative(now - 2 * 3600_000, now, 'en'), '2 hours ago');
    assert.strictEqual(formatRelative(now - 400 * 86400_000, now, 'en'), 'last year');
    assert.strictEqual(formatRelative(now + 3000, now, 'en'), 'now');
    assert.strictEqual(formatRelative(now - 86400_000, now, 'zh-cn'), '昨天');
    assert.strictEqual(formatRelative(now - 86400_000, now, 'not a locale!'), 'yesterday');
  });

  it('treats a far-future expires_at (negative keep_alive) as forever', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    assert.deepStrictEqual(expiryOf('2318-04-11T14:38:31.83753-07:00', now), { kind: 'forever' });
    assert.deepStrictEqual(expiryOf('2025-06-01T12:05:00Z', now), { kind: 'at', ms: now + 300_000 });
    assert.deepStrictEqual(expiryOf('0001-01-01T00:00:00Z', now), { kind: 'unknown' });
    assert.deepStrictEqual(expiryOf(undefined, now), { kind: 'unknown' });
  });

  it('splits memory between CPU and GPU as `ollama ps` does', () => {
    assert.deepStrictEqual(processorSplit(100, 100), { gpuPercent: 100, cpuPercent: 0 });
    assert.deepStrictEqual(processorSplit(100, 0), { gpuPercent: 0, cpuPercent: 100 });
    assert.deepStrictEqual(processorSplit(5137025024, 2671253012), { gpuPercent: 52, cpuPercent: 48 });
    assert.strictEqual(processorSplit(0, 0), undefined);
    assert.strictEqual(processorSplit(10, 11), undefined);
  });

  it('checks model names like the server and compares them canonically', () => {
    for (const ok of ['llama3.2', 'llama3.2:3b', 'me/model:latest', 'hf.co/user/repo:Q4_K_M', 'localhost:5000/me/x:v1', 'qwen2.5-coder:1.5b-base']) {
      assert.ok(isValidModelName(ok), ok);
    }
    for (const bad of ['', ' ', 'a b', '-x', 'x:', 'a/b/c/d', 'x:-tag', 'ns.dot/model', 'x:t@g']) assert.ok(!isValidModelName(bad), bad);
    assert.strictEqual(canonicalModelName('llama3.2'), 'llama3.2:latest');
    assert.strictEqual(canonicalModelName('library/llama3.2:3b'), 'llama3.2:3b');
    assert.strictEqual(canonicalModelName('registry.ollama.ai/me/x'), 'me/x:latest');
    assert.strictEqual(canonicalModelName('hf.co/user/repo:Q4_K_M'), 'hf.co/user/repo:Q4_K_M');
    assert.ok(sameModel('Llama3.2', 'llama3.2:latest'));
    assert.ok(!sameModel('llama3.2:3b', 'llama3.2:latest'));
  });

  it('suggests a model name from the Modelfile path', () => {
    assert.strictEqual(defaultModelName('/home/me/models/My Assistant/Modelfile'), 'my-assistant');
    assert.strictEqual(defaultModelName('C:\\work\\coder.modelfile'), 'coder');
    assert.strictEqual(defaultModelName('/x/Modelfile.tiny'), 'tiny');
    assert.strictEqual(defaultModelName('/Modelfile'), 'my-model');
    assert.ok(isValidModelName(defaultModelName('/tmp/__weird..name!!/Modelfile')));
  });
});

describe('models: transfer progress', () => {
  it('keys layers by digest, reports the current layer, and the bar never goes back nor reaches 100% before success', () => {
    // Changed on purpose (issue 12 §7): this sequence used to show 100% from the end of layer aaa
    // through the whole of layer bbb.
    const t = new TransferProgress();
    assert.deepStrictEqual(t.update({ status: 'pulling manifest' }), { status: 'pulling manifest', percent: 0, bytes: { done: 0, known: 0 } });
    let s = t.update({ status: 'pulling aaa', digest: 'sha256:aaa', total: 1000 });
    assert.strictEqual(s.layer?.percent, 0);
    s = t.update({ status: 'pulling aaa', digest: 'sha256:aaa', total: 1000, completed: 500 });
    assert.deepStrictEqual([s.layer?.percent, s.percent, s.bytes], [50, 45, { done: 500, known: 1000 }]);
    // A line without `completed` does not move a layer backwards.
    s = t.update({ status: 'pulling aaa', digest: 'sha256:aaa', total: 1000 });
    assert.strictEqual(s.layer?.completed, 500);
    s = t.update({ status: 'pulling aaa', digest: 'sha256:aaa', total: 1000, completed: 1000 });
    assert.strictEqual(s.percent, 90);
    // A new layer grows the bytes known: the bar stays, then moves through the new layer.
    s = t.update({ status: 'pulling bbb', digest: 'sha256:bbb', total: 1000, completed: 0 });
    assert.deepStrictEqual([s.layer?.digest, s.layer?.percent, s.percent, s.bytes], ['sha256:bbb', 0, 90, { done: 1000, known: 2000 }]);
    s = t.update({ status: 'pulling bbb', digest: 'sha256:bbb', total: 1000, completed: 500 });
    assert.strictEqual(s.percent, 90 + 9 * (1000 / 1200) * 0.5);
    s = t.update({ status: 'pulling bbb', digest: 'sha256:bbb', total: 1000, completed: 1000 });
    assert.strictEqual(s.percent, 90 + 9 * (1000 / 1200));
    s = t.update({ status: 'verifying sha256 digest' });
    assert.deepStrictEqual([s.layer, s.percent], [undefined, 99]);
    assert.strictEqual(t.update({ status: 'writing manifest' }).percent, 99);
    assert.strictEqual(t.update({ status: 'success' }).percent, 100);
  });

  /** Feeds lines; returns the bar after each, checking it never goes back and stays below 100 until success. */
  function run(lines: Array<Record<string, unknown>>): { bars: number[]; t: TransferProgress } {
    const t = new TransferProgress();
    const bars: number[] = [];
    for (const l of lines) {
      const s = t.update(l as { status: string });
      if (bars.length) assert.ok(s.percent >= bars.at(-1)!, `went back at ${JSON.stringify(l)}: ${bars.at(-1)} -> ${s.percent}`);
      if (l.status !== 'success') assert.ok(s.percent < 100, `100% before success at ${JSON.stringify(l)}`);
      bars.push(s.percent);
    }
    return { bars, t };
  }

  it('the protocol document\'s pull: big layer, a tiny one, verify, write, prune, success', () => {
    const d1 = 'sha256:dde5aa3fc5ffc17176b5e8bdc82f587b24b2678c6c66101bf7da77af9f7ccdff';
    const d2 = 'sha256:966de95ca8a62200913e3f8bfbf84c8494536f1b94b49166851e76644e966396';
    const { bars, t } = run([
      { status: 'pulling manifest' },
      { status: 'pulling dde5aa3fc5ff', digest: d1, total: 2019377376, completed: 241970 },
      { status: 'pulling dde5aa3fc5ff', digest: d1, total: 2019377376, completed: 1009688688 },
      { status: 'pulling dde5aa3fc5ff', digest: d1, total: 2019377376, completed: 2019377376 },
      { status: 'pulling 966de95ca8a6', digest: d2, total: 1429, completed: 1429 },
      { status: 'verifying sha256 digest' },
      { status: 'writing manifest' },
      { status: 'removing unused layers' },
      { status: 'success' },
    ]);
    const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} != ${b}`);
    close(bars[1]!, (90 * 241970) / 2019377376);
    close(bars[2]!, (90 * 1009688688) / 2019377376);
    close(bars[3]!, 90);
    assert.ok(bars[4]! - bars[3]! < 0.0001, 'a 1.4 KB layer after 2 GB moves the bar by nothing');
    assert.deepStrictEqual(bars.slice(5), [99, 99, 99, 100]);
    assert.deepStrictEqual(t.snapshot().bytes, { done: 2019378805, known: 2019378805 });
  });

  it('a vision model: the projector after the weights moves the bar through its whole download', () => {
    const w = 'sha256:' + 'a'.repeat(64);
    const p = 'sha256:' + 'b'.repeat(64);
    const W = 4_113_301_824;
    const P = 624_434_344;
    const lines: Array<Record<string, unknown>> = [{ status: 'pulling manifest' }];
    for (const f of [0, 0.25, 0.5, 0.75, 0.98]) lines.push({ status: 'pulling aaaaaaaaaaaa', digest: w, total: W, completed: Math.round(W * f) });
    // The download's last tick can stop short of total; the next layer begins.
    for (const f of [0, 0.2, 0.4, 0.6, 0.8, 1]) lines.push({ status: 'pulling bbbbbbbbbbbb', digest: p, total: P, completed: Math.round(P * f) });
    lines.push({ status: 'verifying sha256 digest' }, { status: 'success' });
    const { bars } = run(lines);
    const projector = bars.slice(6, 12);
    for (let i = 1; i < projector.length; i++) assert.ok(projector[i]! > projector[i - 1]!, `stood still in the projector: ${projector.join(', ')}`);
    // 13% of the bytes come after the weights were announced: the bar goes from 88.2% to 93.9% there.
    assert.ok(projector[0]! < 89 && projector.at(-1)! - projector[0]! > 5 && projector.at(-1)! < 99, projector.join(', '));
  });

  it('layers announced up front (completed 0) give exactly 90% of bytes done / bytes known', () => {
    const a = 'sha256:' + '1'.repeat(64);
    const b = 'sha256:' + '2'.repeat(64);
    const { bars } = run([
      { status: 'pulling 111111111111', digest: a, total: 3000 },
      { status: 'pulling 222222222222', digest: b, total: 1000 },
      { status: 'pulling 111111111111', digest: a, total: 3000, completed: 1500 },
      { status: 'pulling 222222222222', digest: b, total: 1000, completed: 500 },
      { status: 'pulling 111111111111', digest: a, total: 3000, completed: 3000 },
    ]);
    assert.deepStrictEqual(bars, [0, 0, (90 * 1500) / 4000, (90 * 2000) / 4000, (90 * 3500) / 4000]);
  });

  it('push: a retried part rolls completed back; layers interleave; neither moves the bar back', () => {
    const a = 'sha256:' + 'c'.repeat(64);
    const b = 'sha256:' + 'd'.repeat(64);
    const { bars, t } = run([
      { status: 'retrieving manifest' },
      { status: 'pushing cccccccccccc', digest: a, total: 1000, completed: 600 },
      { status: 'pushing cccccccccccc', digest: a, total: 1000, completed: 200 },
      { status: 'pushing dddddddddddd', digest: b, total: 1000, completed: 100 },
      { status: 'pushing cccccccccccc', digest: a, total: 1000, completed: 700 },
      { status: 'pushing dddddddddddd', digest: b, total: 1000, completed: 50 },
      { status: 'pushing manifest' },
      { status: 'success' },
    ]);
    assert.strictEqual(bars[2], bars[1], 'the rollback changed nothing');
    assert.deepStrictEqual(t.layer(a), { digest: a, total: 1000, completed: 700 });
    assert.deepStrictEqual(t.layer(b), { digest: b, total: 1000, completed: 100 });
    assert.deepStrictEqual(bars.slice(-2), [99, 100]);
  });

  it('total and completed missing early (omitempty); a total that arrives late', () => {
    const a = 'sha256:' + 'e'.repeat(64);
    const { bars, t } = run([
      { status: 'pulling eeeeeeeeeeee', digest: a },
      { status: 'pulling eeeeeeeeeeee', digest: a, completed: 300 },
      { status: 'pulling eeeeeeeeeeee', digest: a, total: 1000, completed: 400 },
      { status: 'pulling eeeeeeeeeeee', digest: a, total: 1000, completed: 5000 },
    ]);
    assert.deepStrictEqual(bars.slice(0, 2), [0, 0], 'no size yet: no share');
    assert.strictEqual(bars[2], 36);
    assert.strictEqual(bars[3], 90, 'completed is clamped to total');
    assert.deepStrictEqual(t.snapshot().bytes, { done: 1000, known: 1000 });
  });

  it('safetensors pulls (one aggregate sha256:model) and create\'s quantizing layer', () => {
    const st = run([
      { status: 'pulling manifest' },
      { status: 'pulling model', digest: 'sha256:model', total: 8000, completed: 2000 },
      { status: 'pulling model', digest: 'sha256:model', total: 8000, completed: 8000 },
      { status: 'writing manifest' },
      { status: 'success' },
    ]);
    assert.deepStrictEqual(st.bars, [0, 22.5, 90, 99, 100]);
    const q = run([
      { status: 'parsing GGUF' },
      { status: 'quantizing F16 model to Q4_K_M', digest: '0000000000000000000', total: 6433687776, completed: 12302 },
      { status: 'quantizing F16 model to Q4_K_M', digest: '0000000000000000000', total: 6433687776, completed: 3216843888 },
      { status: 'verifying conversion' },
      { status: 'creating new layer sha256:fb7f4f21' },
      { status: 'writing manifest' },
      { status: 'success' },
    ]);
    assert.strictEqual(q.bars[2], 45);
    assert.deepStrictEqual(q.bars.slice(3), [99, 99, 99, 100]);
  });

  it('follows a real pull stream from the protocol server to 100%', async () => {
    const server = await OllamaTestServer.start();
    try {
      const client = new OllamaClient({ host: server.url });
      const t = new TransferProgress();
      const seen: number[] = [];
      for await (const p of await client.pull({ model: 'tinyllama', stream: true })) seen.push(t.update(p).percent);
      assert.ok(seen.every((p, i) => i === 0 || p >= seen[i - 1]), seen.join(','));
      assert.ok(new Set(seen.map(Math.round)).size >= 4, seen.join(','));
      assert.strictEqual(seen.at(-1), 100);
      await client.close();
    } finally {
      await server.close();
    }
  });

  it('throttles repeated updates of the same kind, never a new kind', () => {
    let now = 0;
    const th = new Throttle(150, undefined, { ...systemTimers, now: () => now });
    assert.ok(th.admit('a'));
    now = 100;
    assert.ok(!th.admit('a'));
    assert.ok(th.admit('b'));
    now = 260;
    assert.ok(th.admit('b'));
  });

  it('maps hashing and uploading of several files onto one share', () => {
    const f = (phase: string, index: number, completed: number) => uploadFraction({ phase, index, count: 2, completed, total: 100 });
    assert.deepStrictEqual([f('hashing', 0, 0), f('hashing', 0, 100), f('uploading', 0, 50), f('uploaded', 0, 100), f('exists', 1, 100)], [0, 0.25, 0.375, 0.5, 1]);
  });
});

const LABELS: ShowLabels = {
  details: 'Details', family: 'Family', parameters: 'Parameters', quantization: 'Quantization', format: 'Format',
  parentModel: 'Parent model', contextLength: 'Context length', embeddingLength: 'Embedding length', capabilities: 'Capabilities',
  modified: 'Modified', size: 'Size on disk', digest: 'Digest', modelInfo: 'Model info', projectorInfo: 'Vision projector',
  defaultParameters: 'Default parameters', systemPrompt: 'System prompt', template: 'Template', messages: 'Messages',
  license: 'License', name: 'Name', value: 'Value', none: 'none',
};

describe('models: details document', () => {
  it('renders /api/show of the protocol server as markdown with every part', async () => {
    const server = await OllamaTestServer.start();
    try {
      const client = new OllamaClient({ host: server.url });
      const show = await client.show({ model: 'llama3.2' });
      const listed = (await client.list()).models.find((m) => m.name === 'llama3.2:latest');
      const md = renderModelMarkdown('llama3.2:latest', show, LABELS, { listed });
      assert.match(md, /^# llama3\.2:latest\n/);
      assert.match(md, /\| \*\*Family\*\* \| llama \|/);
      assert.match(md, /\| \*\*Parameters\*\* \| 3\.2B \|/);
      assert.match(md, /\| \*\*Quantization\*\* \| Q4_K_M \|/);
      assert.match(md, /\| \*\*Context length\*\* \| 131072 \|/);
      assert.match(md, /\| \*\*Capabilities\*\* \| `completion` `tools` \|/);
      assert.match(md, /\| \*\*Size on disk\*\* \| 2\.0 GB \|/);
      assert.match(md, /## Default parameters\n\n\| Name \| Value \|\n\|---\|---\|\n\| `stop` \| `"<\\\|start_header_id\\\|>"` \|/);
      assert.match(md, /## Template\n\n```go-template\n/);
      assert.match(md, /## Model info\n[\s\S]*\| `general\.architecture` \| llama \|/);
      assert.ok(!md.includes('tokenizer.ggml.tokens'), 'token arrays are left out');
      assert.match(md, /## License\n\n```text\nLLAMA 3\.2 COMMUNITY LICENSE AGREEMENT/);
      const qwen = renderModelMarkdown('qwen2.5-coder:1.5b', await client.show({ model: 'qwen2.5-coder:1.5b' }), LABELS);
      assert.match(qwen, /## System prompt\n\n```text\nYou are Qwen/);
      await client.close();
    } finally {
      await server.close();
    }
  });

  it('keeps fences and table cells intact whatever the content', () => {
    const md = renderModelMarkdown('x:latest', { details: {}, template: 'a ``` b', parameters: 'stop "a|b"\nnum_ctx 4096' }, LABELS);
    assert.match(md, /````go-template\na ``` b\n````/);
    assert.match(md, /\| `stop` \| `"a\\\|b"` \|/);
    assert.deepStrictEqual(parseParameterLines('stop                           "<|eot_id|>"\nnum_ctx 8192\n'), [['stop', '"<|eot_id|>"'], ['num_ctx', '8192']]);
    assert.match(renderModelMarkdown('y', { details: {} }, LABELS), /## Details\n\n_none_/);
  });

  it('picks the readable model_info entries, well-known ones first', () => {
    const rows = modelInfoHighlights({
      'tokenizer.ggml.tokens': ['a'], 'llama.block_count': 28, 'general.architecture': 'llama', 'llama.context_length': 131072,
      'general.parameter_count': 3212749888, 'other.key': 1, 'general.long': 'x'.repeat(500), 'tokenizer.ggml.model': 'gpt2',
    });
    assert.deepStrictEqual(rows, [
      ['general.architecture', 'llama'], ['general.parameter_count', '3212749888 (3.2B)'], ['llama.context_length', '131072'],
      ['llama.block_count', '28'], ['tokenizer.ggml.model', 'gpt2'],
    ]);
    assert.deepStrictEqual([humanCount(134515008), humanCount(999), humanCount(1.5e12)], ['135M', '999', '1.5T']);
  });
});

describe('models: Modelfile hovers', () => {
  it('explains instructions, parameter names and roles where the pointer is', () => {
    const kw = hoverAt('  from llama3.2', 3);
    assert.deepStrictEqual([kw?.start, kw?.end], [2, 6]);
    assert.match(kw!.markdown, /^\*\*FROM\*\* — `FROM <model name/);
    const p = hoverAt('PARAMETER temperature 0.7', 12);
    assert.deepStrictEqual([p?.start, p?.end], [10, 21]);
    assert.match(p!.markdown, /\*\*temperature\*\* \(`float`\)[\s\S]*Default: 0\.8/);
    assert.match(hoverAt('PARAMETER mirostat 1', 11)!.markdown, /Deprecated/);
    assert.strictEqual(hoverAt('PARAMETER temperature 0.7', 23), undefined, 'not over the value');
    assert.strictEqual(hoverAt('PARAMETER nonsense 1', 12), undefined);
    assert.match(hoverAt('MESSAGE assistant hi', 10)!.markdown, /\*\*assistant\*\*/);
    assert.strictEqual(hoverAt('# FROM x', 3), undefined);
    assert.strictEqual(hoverAt('FOO bar', 1), undefined);
  });

  it('stays quiet inside a multi-line value', () => {
    const text = 'FROM x\nSYSTEM """\nFROM is just words here\n"""\nPARAMETER top_k 1\n';
    assert.strictEqual(hoverInDocument(text, 3, 1), undefined);
    assert.match(hoverInDocument(text, 5, 12)!.markdown, /\*\*top_k\*\*/);
  });
});
