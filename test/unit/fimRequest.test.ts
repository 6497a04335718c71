// The per-model decision from /api/show, the request built from it, and the show cache.
import * as assert from 'assert';
import { backendStart, buildFimRequest, decideFim, type ShowInfo } from '../../src/core/fim';
import { ModelFactsCache } from '../../src/core/llm/facts';
import type { CompletionParams, LlmBackend, StreamChunk } from '../../src/core/llm/backend';
import type { ShowResponse } from '../../src/core/ollama/types';
import { AbortError } from '../../src/core/http/errors';

const QWEN_TEMPLATE = '{{- if .Suffix }}<|fim_prefix|>{{ .Prompt }}<|fim_suffix|>{{ .Suffix }}<|fim_middle|>\n{{- else }}{{ .Prompt }}{{ end }}';
const insertShow: ShowInfo = { capabilities: ['completion', 'insert'], template: QWEN_TEMPLATE, details: { family: 'qwen2' } };
const plainShow: ShowInfo = { capabilities: ['completion'], template: '{{ .Prompt }}', details: { family: 'llama' } };

describe('FIM decision from /api/show', () => {
  it('insert capability -> suffix mode (Ollama applies the template)', () => {
    assert.deepStrictEqual(decideFim('qwen2.5-coder:1.5b-base', insertShow), { kind: 'suffix', family: 'qwen' });
    assert.deepStrictEqual(decideFim('my-fim-model', { capabilities: ['completion', 'insert'], details: {} }), { kind: 'suffix', family: undefined });
  });

  it('takes a ShowResponse as is', () => {
    const show: ShowResponse = { capabilities: ['completion', 'insert'], template: QWEN_TEMPLATE, details: { family: 'qwen2', parent_model: '', format: 'gguf' }, model_info: {} };
    assert.strictEqual(decideFim('qwen2.5-coder:1.5b-base', show).kind, 'suffix');
  });

  it('a template using .Suffix (servers without capabilities) -> suffix mode', () => {
    assert.strictEqual(decideFim('my-model', { template: '{{ if .Suffix }}x{{ end }}', details: {} }).kind, 'suffix');
    assert.strictEqual(decideFim('my-model', { template: '{{- if .Suffix }}x{{ end }}', details: {} }).kind, 'suffix');
  });

  it('no insert capability but a known family -> raw mode; no show at all -> raw from the name', () => {
    assert.deepStrictEqual(decideFim('codellama:7b-code', plainShow), { kind: 'raw', family: 'codellama' });
    assert.deepStrictEqual(decideFim('starcoder2:3b', undefined), { kind: 'raw', family: 'starcoder' });
  });

  it('chat models and unknown families are unsupported, with a model to use instead', () => {
    const d = decideFim('llama3.2', { capabilities: ['completion', 'tools'], template: '<|start_header_id|>', details: { family: 'llama' } });
    assert.strictEqual(d.kind, 'unsupported');
    assert.ok(d.kind === 'unsupported' && d.reason === 'unknown' && d.suggestion === 'qwen2.5-coder:1.5b-base');
    assert.ok(d.kind === 'unsupported' && d.message.includes('llama3.2') && d.message.includes('qwen2.5-coder:1.5b-base'));
  });

  it('an instruct tag is unsupported even when the template has a suffix branch, unless allowed', () => {
    const d = decideFim('qwen2.5-coder:7b-instruct', insertShow);
    assert.ok(d.kind === 'unsupported' && d.reason === 'instruct' && d.suggestion === 'qwen2.5-coder:7b-base', JSON.stringify(d));
    const c = decideFim('codellama:7b-instruct', undefined);
    assert.ok(c.kind === 'unsupported' && c.suggestion === 'codellama:7b-code');
    assert.strictEqual(decideFim('qwen2.5-coder:7b-instruct', insertShow, { allowInstruct: true }).kind, 'suffix');
    assert.ok((d as { message: string }).message.includes('qwen2.5-coder:7b-base'));
  });
});

describe('buildFimRequest', () => {
  it('suffix mode: prompt + suffix, not raw, never an empty suffix', () => {
    const r = buildFimRequest('qwen2.5-coder:1.5b-base', insertShow, 'const x = ', '', { keepAlive: '30m' });
    assert.ok(r.kind === 'ok');
    assert.strictEqual(r.mode, 'suffix');
    assert.strictEqual(r.params.raw, undefined);
    assert.deepStrictEqual(r.params, {
      model: 'qwen2.5-coder:1.5b-base', prompt: 'const x = ', suffix: '\n', keepAlive: '30m', think: false,
      options: { temperature: 0.2, numPredict: 128, stop: ['<|endoftext|>', '<|file_sep|>', '<|fim_pad|>'] },
    });
  });

  it('suffix mode keeps a real suffix as is; unknown family sends no stops (they would replace the model\'s own)', () => {
    const r = buildFimRequest('my-fim', { capabilities: ['insert'], details: {} }, 'f(\n  ', '\n)\n', {});
    assert.ok(r.kind === 'ok');
    assert.strictEqual(r.params.suffix, '\n)\n');
    assert.strictEqual(r.params.options?.stop, undefined);
    const one = buildFimRequest('my-fim', { capabilities: ['insert'], details: {} }, 'a(', ')\n', {});
    assert.ok(one.kind === 'ok' && one.singleLine);
    assert.deepStrictEqual(one.params.options?.stop, ['\n']);
  });

  it('raw mode: the family prompt, raw: true, the family stops, plus "\\n" when only one line is wanted', () => {
    const r = buildFimRequest('deepseek-coder:6.7b-base', plainShow, 'x = foo(', ')\ny = 1\n', { numPredict: 64, temperature: 0 });
    assert.ok(r.kind === 'ok');
    assert.strictEqual(r.mode, 'raw');
    assert.strictEqual(r.family, 'deepseek');
    assert.strictEqual(r.singleLine, true);
    assert.deepStrictEqual(r.params, {
      model: 'deepseek-coder:6.7b-base',
      prompt: '<\uFF5Cfim\u2581begin\uFF5C>x = foo(<\uFF5Cfim\u2581hole\uFF5C>)\ny = 1\n<\uFF5Cfim\u2581end\uFF5C>',
      raw: true,
      think: false,
      options: { temperature: 0, numPredict: 64, stop: ['<\uFF5Cend\u2581of\u2581sentence\uFF5C>', '\n'] },
    });
  });

  it('multi-line at the end of a line: no newline stop; options pass through', () => {
    const r = buildFimRequest('codellama:7b-code', undefined, 'def f():\n    ', '\n', { numCtx: 4096, seed: 7, topP: 0.9, stop: ['\n\n\n'] });
    assert.ok(r.kind === 'ok' && !r.singleLine);
    assert.deepStrictEqual(r.params.options, { temperature: 0.2, numPredict: 128, topP: 0.9, numCtx: 4096, seed: 7, stop: ['<EOT>', '\n\n\n'] });
    assert.strictEqual(r.params.prompt, '<PRE> def f():\n     <SUF>\n <MID>');
  });

  it('unsupported models return the message and the suggestion instead of params', () => {
    const r = buildFimRequest('llama3.2', undefined, 'a', 'b');
    assert.deepStrictEqual(Object.keys(r).sort(), ['kind', 'message', 'reason', 'suggestion']);
    assert.ok(r.kind === 'unsupported' && r.suggestion === 'qwen2.5-coder:1.5b-base');
  });
});

describe('ModelFactsCache (facts per model)', () => {
  function fetcher(): { calls: string[]; fetch: (m: string) => Promise<ShowInfo>; fail: Set<string> } {
    const calls: string[] = [];
    const fail = new Set<string>();
    return {
      calls, fail,
      fetch: async (m) => {
        calls.push(m);
        if (fail.has(m)) throw new Error(`show ${m} failed`);
        return { capabilities: ['completion', 'insert'], details: { family: m } };
      },
    };
  }

  it('fetches once per model; concurrent callers share the request', async () => {
    const f = fetcher();
    const c = new ModelFactsCache(f.fetch);
    const [a, b] = await Promise.all([c.get('m1'), c.get('m1')]);
    assert.strictEqual(a, b);
    await c.get('m1');
    await c.get('m2');
    assert.deepStrictEqual(f.calls, ['m1', 'm2']);
    c.invalidate('m1');
    await c.get('m1');
    assert.deepStrictEqual(f.calls, ['m1', 'm2', 'm1']);
  });

  it('does not cache failures', async () => {
    const f = fetcher();
    f.fail.add('bad');
    const c = new ModelFactsCache(f.fetch);
    await assert.rejects(c.get('bad'), /show bad failed/);
    f.fail.clear();
    assert.ok(await c.get('bad'));
    assert.strictEqual(f.calls.length, 2);
  });

  it('expires after ttlMs on the injected clock', async () => {
    const f = fetcher();
    let now = 0;
    const c = new ModelFactsCache(f.fetch, { ttlMs: 1000, now: () => now });
    await c.get('m');
    now = 1000;
    await c.get('m');
    now = 1001;
    await c.get('m');
    assert.strictEqual(f.calls.length, 2);
  });

  it('a caller\'s abort rejects that caller with AbortError; the shared answer still lands in the cache', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let calls = 0;
    const c = new ModelFactsCache(async () => { calls++; await gate; return { details: {}, capabilities: ['insert'] }; });
    const ac = new AbortController();
    const p = c.get('m', ac.signal);
    ac.abort();
    await assert.rejects(p, AbortError);
    release();
    assert.deepStrictEqual((await c.get('m')).capabilities, ['insert']);
    assert.strictEqual(calls, 1);
  });
});

describe('backendStart (a session start over LlmBackend.complete)', () => {
  it('builds params per call, passes the signal, yields text only and reports the final stats', async () => {
    const seen: Array<{ p: CompletionParams; signal?: AbortSignal }> = [];
    const backend: Pick<LlmBackend, 'complete'> = {
      async complete(p, o) {
        seen.push({ p, signal: o?.signal });
        return (async function* (): AsyncGenerator<StreamChunk> {
          yield { text: 'a + ', done: false };
          yield { text: '', thinking: 'hmm', done: false };
          yield { text: 'b;', done: false };
          yield { text: '', done: true, doneReason: 'stop', stats: { promptTokens: 5, outputTokens: 3 } };
        })();
      },
    };
    let last: StreamChunk | undefined;
    const start = backendStart(backend, (prefix, suffix) => {
      const r = buildFimRequest('qwen2.5-coder:1.5b-base', undefined, prefix, suffix);
      if (r.kind !== 'ok') throw new Error(r.message);
      return r.params;
    }, (c) => { last = c; });
    const ac = new AbortController();
    let text = '';
    for await (const s of await start('x = ', '\n', ac.signal)) text += s;
    assert.strictEqual(text, 'a + b;');
    assert.strictEqual(seen[0].signal, ac.signal);
    assert.strictEqual(seen[0].p.prompt, '<|fim_prefix|>x = <|fim_suffix|>\n<|fim_middle|>');
    assert.deepStrictEqual(last?.stats, { promptTokens: 5, outputTokens: 3 });
  });
});
