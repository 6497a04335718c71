// The editor-free half of model management: sizes, times, GPU split and names as the Models view
// shows them; progress aggregation by layer digest; the model-details markdown; Modelfile hovers.
import * as assert from 'assert';
import {
  canonicalModelName, defaultModelName, expiryOf, formatBytes, formatRelative, hoverAt, hoverInDocument, humanCount,
  isValidModelName, modelInfoHighlights, parseParameterLines, processorSplit, renderModelMarkdown, sameModel, Throttle,
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
  it('keys layers by digest, keeps the overall share monotonic and reports the current layer', () => {
    const t = new TransferProgress();
    assert.deepStrictEqual(t.update({ status: 'pulling manifest' }), { status: 'pulling manifest', percent: 0 });
    let s = t.update({ status: 'pulling aaa', digest: 'sha256:aaa', total: 1000 });
    assert.strictEqual(s.layer?.percent, 0);
    s = t.update({ status: 'pulling aaa', digest: 'sha256:aaa', total: 1000, completed: 500 });
    assert.deepStrictEqual([s.layer?.percent, s.percent], [50, 50]);
    // A line without `completed` does not move a layer backwards.
    s = t.update({ status: 'pulling aaa', digest: 'sha256:aaa', total: 1000 });
    assert.strictEqual(s.layer?.completed, 500);
    s = t.update({ status: 'pulling aaa', digest: 'sha256:aaa', total: 1000, completed: 1000 });
    assert.strictEqual(s.percent, 100);
    // A new layer grows the total: the bar does not go back.
    s = t.update({ status: 'pulling bbb', digest: 'sha256:bbb', total: 1000, completed: 0 });
    assert.deepStrictEqual([s.layer?.digest, s.layer?.percent, s.percent], ['sha256:bbb', 0, 100]);
    assert.strictEqual(t.update({ status: 'verifying sha256 digest' }).layer, undefined);
    assert.strictEqual(t.update({ status: 'success' }).percent, 100);
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
    const th = new Throttle(150, () => now);
    assert.ok(th.shouldEmit('a'));
    now = 100;
    assert.ok(!th.shouldEmit('a'));
    assert.ok(th.shouldEmit('b'));
    now = 260;
    assert.ok(th.shouldEmit('b'));
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
