// OpenAI-compatible servers as they really are (issue 18): llama.cpp's llama-server, LM Studio,
// vLLM and Ollama's own /v1, each spoken by the test server's dialect (test/support/
// ollamaServerDialects.ts, written from the servers' sources and shared/llamacpp-server-transcripts.md).
// What the backend learns from each (which server it is, the key-requiring probe, per-slot context,
// FIM through /infill or the tokens the tokenizer knows, the speed readout, the model that really
// answered) and what it makes of their errors.
import * as assert from 'assert';
import { ResponseError, StreamError } from '../../src/core/http/errors';
import { OpenAIBackend, type StreamChunk } from '../../src/core/llm/backend';
import { FimUnsupportedError } from '../../src/core/llm/facts';
import { ReplyTracker, replyStats } from '../../src/core/llm/openaiServer';
import { FIM_PROBE_TEXT, fimTokensFromPieces, guessServer, serverErrorFact } from '../../src/core/openai/dialect';
import { CompletionEngine, type EngineSettings } from '../../src/core/fim/engine';
import { AnswerRun } from '../../src/core/chat/answer';
import { resolveContextLength } from '../../src/core/chat/trim';
import { TokenCalibration } from '../../src/core/llm/tokens';
import { OllamaTestServer, type DialectOptions, type RecordedRequest } from '../support/ollamaServer';

async function collect(it: AsyncIterable<StreamChunk>): Promise<StreamChunk[]> {
  const out: StreamChunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

/** The error `f` ends with (at the call or while streaming), or undefined. */
const failure = (f: () => Promise<unknown>): Promise<unknown> => f().then(() => undefined, (e: unknown) => e);

const paths = (s: OllamaTestServer): string[] => s.requests.map((r) => `${r.method} ${r.path}`);
const bodyOf = (r: RecordedRequest | undefined): Record<string, any> => (r?.body ?? {}) as Record<string, any>;

async function withServer<T>(dialect: DialectOptions, f: (s: OllamaTestServer) => Promise<T>, more: Parameters<typeof OllamaTestServer.start>[0] = {}): Promise<T> {
  const s = await OllamaTestServer.start({ ...more, dialect });
  try { return await f(s); } finally { await s.close(); }
}

async function withBackend<T>(s: OllamaTestServer, f: (b: OpenAIBackend) => Promise<T>, headers?: Record<string, string>): Promise<T> {
  const b = new OpenAIBackend({ host: s.url, ...(headers ? { headers } : {}) });
  try { return await f(b); } finally { await b.close(); }
}

// The recorded bytes (llamacpp-server-transcripts.md), cut where the recording cut them.
const TRANSCRIPT_FINISH_WITH_TIMINGS = { choices: [{ finish_reason: 'length', index: 0, delta: {} }], created: 1795992666, id: 'chatcmpl-5ktM', model: 'tiny-utf8.gguf', system_fingerprint: 'b0-unknown', object: 'chat.completion.chunk', timings: { cache_n: 36, prompt_n: 1, prompt_ms: 19.196, prompt_per_token_ms: 19.196, prompt_per_second: 52.094186288810164, predicted_n: 12, predicted_ms: 6.976, predicted_per_token_ms: 0.5813333333333334, predicted_per_second: 1720.1834862385322 } };
const TRANSCRIPT_USAGE_CHUNK = { choices: [], created: 1795992666, id: 'chatcmpl-oIoI', model: 'tiny-utf8.gguf', system_fingerprint: 'b0-unknown', object: 'chat.completion.chunk', usage: { completion_tokens: 6, prompt_tokens: 37, total_tokens: 43, prompt_tokens_details: { cached_tokens: 36 } }, timings: { cache_n: 36, prompt_n: 1, prompt_ms: 1.19, prompt_per_token_ms: 1.19, prompt_per_second: 840.3361344537816, predicted_n: 6, predicted_ms: 3.2, predicted_per_token_ms: 0.5333, predicted_per_second: 1875 } };

describe('OpenAI-compatible dialects (issue 18)', function () {
  this.timeout(20000);

  describe('reading what a server is, without the network', () => {
    it('tells the server from /v1/models headers and body', () => {
      assert.deepStrictEqual(guessServer({ server: 'llama.cpp' }, {}), { kind: 'llama.cpp', evidence: ['Server: llama.cpp'] });
      assert.strictEqual(guessServer({}, { data: [{ id: 'm', owned_by: 'llamacpp' }] }).kind, 'llama.cpp');
      assert.strictEqual(guessServer({}, { models: [{}], data: [{ id: 'm', meta: { n_ctx: 256 } }] }).kind, 'llama.cpp');
      assert.strictEqual(guessServer({ 'x-litellm-version': '1.74.0' }, { data: [{ id: 'gpt' }] }).kind, 'litellm');
      assert.strictEqual(guessServer({ server: 'uvicorn' }, { data: [{ id: 'q', owned_by: 'vllm', max_model_len: 4096 }] }).kind, 'vllm');
      assert.strictEqual(guessServer({ 'x-powered-by': 'Express' }, { data: [{ id: 'q' }] }).kind, 'lmstudio');
      assert.strictEqual(guessServer({}, { data: [{ id: 'q', owned_by: 'organization_owner' }] }).kind, 'lmstudio');
      assert.strictEqual(guessServer({}, { object: 'list', data: null }).kind, 'ollama');
      assert.strictEqual(guessServer({}, { data: [{ id: 'llama3.2:latest', owned_by: 'library' }] }).kind, 'ollama');
      assert.strictEqual(guessServer({ server: 'nginx' }, { data: [{ id: 'x', owned_by: 'openai' }] }).kind, undefined);
    });

    it('speed: llama.cpp timings on the finish chunk, or on the choices: [] usage chunk (transcripts); LM Studio stats; else usage over wall time', () => {
      const a = new ReplyTracker(() => 0);
      a.see(TRANSCRIPT_FINISH_WITH_TIMINGS, false);
      const fa = a.final();
      assert.strictEqual(fa.model, 'tiny-utf8.gguf');
      assert.strictEqual(fa.stats?.tokensPerSecond, 1720.1834862385322);
      assert.strictEqual(fa.stats?.speedSource, 'server');
      assert.strictEqual(fa.stats?.promptMs, 19.196);
      assert.strictEqual(fa.stats?.evalMs, 6.976);
      assert.strictEqual(fa.stats?.outputTokens, 12, 'no usage without include_usage: the count comes from timings');
      assert.strictEqual(fa.stats?.promptTokens, 37, 'prompt_n + cache_n');

      const b = new ReplyTracker(() => 0);
      b.see({ ...TRANSCRIPT_FINISH_WITH_TIMINGS, timings: undefined }, false);
      b.see(TRANSCRIPT_USAGE_CHUNK, false);
      const fb = b.final().stats!;
      assert.deepStrictEqual([fb.tokensPerSecond, fb.outputTokens, fb.promptTokens, fb.speedSource], [1875, 6, 37, 'server']);

      const lm = replyStats({ prompt_tokens: 10, completion_tokens: 20 }, undefined, { tokens_per_second: 42.5, time_to_first_token: 0.25, generation_time: 0.47 });
      assert.deepStrictEqual([lm?.tokensPerSecond, lm?.promptMs, lm?.evalMs, lm?.speedSource], [42.5, 250, 470, 'server']);

      let t = 0;
      const c = new ReplyTracker(() => t);
      for (let i = 0; i < 11; i++) { t = 1000 + i * 20; c.see({ model: 'm' }, true); }
      c.see({ usage: { prompt_tokens: 5, completion_tokens: 11 } }, false);
      const fc = c.final().stats!;
      assert.strictEqual(fc.speedSource, 'client');
      assert.strictEqual(fc.tokensPerSecond, 50, '10 tokens after the first in 200 ms');

      const burst = new ReplyTracker(() => 7);
      burst.see({}, true);
      burst.see({}, true);
      burst.see({ usage: { completion_tokens: 2 } }, false);
      assert.strictEqual(burst.final().stats?.tokensPerSecond, undefined, 'chunks that arrived together say nothing about speed');
    });

    it('FIM tokens: only a whole triple of one family, returned as single tokens (SPM word marker too)', () => {
      assert.deepStrictEqual(fimTokensFromPieces(['<|fim_prefix|>', '\n', '<|fim_suffix|>', '\n', '<|fim_middle|>']), { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' });
      assert.deepStrictEqual(fimTokensFromPieces([' <PRE>', ' <SUF>', '\u2581<MID>']), { prefix: '<PRE>', suffix: '<SUF>', middle: '<MID>' });
      assert.deepStrictEqual(fimTokensFromPieces(['<\uFF5Cfim\u2581begin\uFF5C>', '<\uFF5Cfim\u2581hole\uFF5C>', '<\uFF5Cfim\u2581end\uFF5C>']), { prefix: '<\uFF5Cfim\u2581begin\uFF5C>', suffix: '<\uFF5Cfim\u2581hole\uFF5C>', middle: '<\uFF5Cfim\u2581end\uFF5C>' });
      assert.strictEqual(fimTokensFromPieces(['<|fim_prefix|>', '<|fim_suffix|>']), undefined, 'no middle token');
      assert.strictEqual(fimTokensFromPieces(['<|fim_prefix|>', '<fim_suffix>', '<|fim_middle|>']), undefined, 'tokens of different families');
      assert.strictEqual(fimTokensFromPieces(['<|', 'fim', '_prefix', '|>']), undefined, 'plain text split into pieces is not a token');
      for (const t of ['<|fim_prefix|>', '<fim-prefix>', '<fim_prefix>', '<\uFF5Cfim\u2581begin\uFF5C>', '<PRE>', '\u2581<PRE>', '<|code_prefix|>', '<|prefix|>']) {
        assert.ok(FIM_PROBE_TEXT.split('\n').includes(t), `${t} is asked about`);
      }
    });

    it('errors: what llama.cpp and vLLM say beyond the status (transcripts)', () => {
      assert.deepStrictEqual(serverErrorFact(400, 'request (6418 tokens) exceeds the available context size (256 tokens), try increasing it'), { kind: 'contextOverflow', promptTokens: 6418, contextTokens: 256 });
      assert.deepStrictEqual(serverErrorFact(400, "This model's maximum context length is 2048 tokens. However, you requested 2100 tokens (2000 in the messages, 100 in the completion)."), { kind: 'contextOverflow', promptTokens: 2100, contextTokens: 2048 });
      assert.deepStrictEqual(serverErrorFact(500, "[json.exception.parse_error.101] parse error at line 1, column 40: syntax error while parsing object - unexpected end of input; expected '}'"), { kind: 'badRequestBody' });
      assert.deepStrictEqual(serverErrorFact(500, 'Failed to parse input at pos 22:  outdoor\u63A5\u89E6 nucl'), { kind: 'outputUnparsable' });
      assert.deepStrictEqual(serverErrorFact(501, 'Infill is not supported by this model: prefix token is missing. '), { kind: 'infillUnsupported' });
      assert.deepStrictEqual(serverErrorFact(401, 'Invalid API Key'), { kind: 'keyRefused' });
      assert.strictEqual(serverErrorFact(500, 'out of memory'), undefined);
    });

    it('per-slot context is the limit for trimming, whatever num_ctx says', () => {
      assert.strictEqual(resolveContextLength(undefined, undefined, 256), 256);
      assert.strictEqual(resolveContextLength(8192, undefined, 256), 256, 'num_ctx cannot raise what the server fixed');
      assert.strictEqual(resolveContextLength(128, undefined, 256), 128);
      assert.strictEqual(resolveContextLength(undefined, { 'general.architecture': 'llama', 'llama.context_length': 2048 }, undefined), 2048);
    });
  });

  describe('llama.cpp (llama-server)', () => {
    it('probe: Server header, then GET /props - the request that needs the key on every build; never /health', () => withServer({ kind: 'llamacpp', ctxSize: 512, parallel: 2 }, async (s) => {
      await withBackend(s, async (b) => {
        const p = await b.probe();
        assert.strictEqual(p.server, 'llama.cpp');
        assert.strictEqual(p.version, 'b0-unknown');
        assert.deepStrictEqual(p.keyCheck, { path: 'GET /props' });
        assert.strictEqual(p.slots, 2);
        assert.strictEqual(p.contextPerSlot, 256);
        assert.deepStrictEqual(p.models.map((m) => [m.name, m.contextLength, m.capabilities]), [['tiny-utf8.gguf', 256, ['completion']]]);
        assert.deepStrictEqual(paths(s), ['GET /v1/models', 'GET /props']);
        assert.ok(p.evidence?.includes('Server: llama.cpp'));
      });
    }));

    it('--api-key: /v1/models and /health answer without the key, so the probe asks /props - which refuses a wrong or missing key', () => withServer({ kind: 'llamacpp', apiKey: 'sekrit' }, async (s) => {
      for (const headers of [undefined, { Authorization: 'Bearer wrong' }]) {
        s.reset();
        await withBackend(s, async (b) => {
          const e = await b.probe().then(() => undefined, (x: unknown) => x);
          assert.ok(e instanceof ResponseError, String(e));
          assert.strictEqual(e.status, 401);
          assert.strictEqual(e.error, 'Invalid API Key');
          assert.deepStrictEqual(paths(s), ['GET /v1/models', 'GET /props'], '/v1/models answered 200 without the key');
          assert.strictEqual(s.requests[0]!.status, 200);
        }, headers);
      }
      s.reset();
      await withBackend(s, async (b) => {
        assert.strictEqual((await b.probe()).server, 'llama.cpp');
      }, { Authorization: 'Bearer sekrit' });
      assert.ok(s.requests.every((r) => r.path !== '/health'));
    }));

    it('--api-key on builds >= b10524: /v1/models itself refuses the key', () => withServer({ kind: 'llamacpp', apiKey: 'sekrit', modelsNeedKey: true }, async (s) => {
      await withBackend(s, async (b) => {
        await assert.rejects(b.probe(), (e: unknown) => e instanceof ResponseError && e.status === 401);
        assert.deepStrictEqual(paths(s), ['GET /v1/models']);
      });
    }));

    it('chat: tokens/s from timings, the reply model, usage; per-slot context as the fixed context length', () => withServer({ kind: 'llamacpp', ctxSize: 1024, parallel: 4, tokensPerSecond: 1234.5 }, async (s) => {
      await withBackend(s, async (b) => {
        const facts = await b.modelFacts('tiny-utf8.gguf');
        assert.strictEqual(facts?.contextLength, 256, '1024 / 4 slots');
        assert.strictEqual(facts?.contextFixed, true);
        assert.strictEqual(facts?.trainedContextLength, 2048);
        const chunks = await collect(await b.chat({ model: 'tiny-utf8.gguf', messages: [{ role: 'user', content: 'Write a haiku about llamas.' }] }));
        const last = chunks.at(-1)!;
        assert.strictEqual(chunks.map((c) => c.text).join(''), s.lastReplyText);
        assert.strictEqual(last.stats?.tokensPerSecond, 1234.5);
        assert.strictEqual(last.stats?.speedSource, 'server');
        assert.ok((last.stats?.outputTokens ?? 0) > 0 && (last.stats?.promptTokens ?? 0) > 0);
        assert.strictEqual(last.model, 'tiny-utf8.gguf');
        const chat = s.requests.find((r) => r.path === '/v1/chat/completions')!;
        assert.deepStrictEqual(bodyOf(chat).stream_options, { include_usage: true }, 'the usage chunk carries the timings');
      });
    }));

    it('an unknown model name is served by the loaded one: the answer says which model really answered', () => withServer({ kind: 'llamacpp' }, async (s) => {
      await withBackend(s, async (b) => {
        const message = { id: 'a', role: 'assistant' as const, text: '', model: 'llama3.2', state: 'streaming' as const };
        const logs: string[] = [];
        const run = new AnswerRun(message as never, [{ id: 'u', role: 'user', text: 'Hello there' } as never], {
          connect: () => Promise.resolve({ llm: b, url: s.url }),
          facts: (m) => b.modelFacts(m),
          generation: { options: {} },
          systemPrompt: '',
          calibration: new TokenCalibration(),
          maxChars: 100_000,
          log: { info: (m) => logs.push(m), warn: () => undefined, debug: () => undefined },
        });
        const out = await run.run({ delta: () => undefined, rewritten: () => undefined, changed: () => undefined, overBudget: () => undefined });
        assert.strictEqual(out.state, 'done');
        const st = (message as { stats?: { answeredBy?: string; tokensPerSecond?: number } }).stats;
        assert.strictEqual(st?.answeredBy, 'tiny-utf8.gguf');
        assert.ok((st?.tokensPerSecond ?? 0) > 0);
        assert.ok(logs.some((l) => l.includes('answered with tiny-utf8.gguf')));
      });
    }));

    it('trimming fits the conversation into one slot: a history llama.cpp would refuse with 400 is trimmed and answered', () => withServer({ kind: 'llamacpp', ctxSize: 512, parallel: 2 }, async (s) => {
      await withBackend(s, async (b) => {
        const history: Array<{ id: string; role: string; text: string }> = [];
        for (let i = 0; i < 12; i++) {
          history.push({ id: `u${i}`, role: 'user', text: Array.from({ length: 40 }, (_, k) => `word${i}x${k}`).join(' ') });
          history.push({ id: `a${i}`, role: 'assistant', text: 'ok' });
        }
        history.push({ id: 'last', role: 'user', text: 'And now?' });
        const message = { id: 'm', role: 'assistant' as const, text: '', model: 'tiny-utf8.gguf', state: 'streaming' as const };
        const run = new AnswerRun(message as never, history as never, {
          connect: () => Promise.resolve({ llm: b, url: s.url }), facts: (m) => b.modelFacts(m), generation: { options: { numCtx: 8192 } }, systemPrompt: '',
          calibration: new TokenCalibration(), maxChars: 100_000, log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
        });
        const out = await run.run({ delta: () => undefined, rewritten: () => undefined, changed: () => undefined, overBudget: () => undefined });
        assert.strictEqual(out.state, 'done', JSON.stringify(out));
        assert.ok(((message as { stats?: { trimmedMessages?: number } }).stats?.trimmedMessages ?? 0) > 0);
        // Without trimming, the same history is refused with the recorded 400.
        const e = await failure(async () => collect(await b.chat({ model: 'tiny-utf8.gguf', messages: history.map((m) => ({ role: m.role as 'user', content: m.text })) })));
        assert.ok(e instanceof ResponseError && e.status === 400, String(e));
        assert.strictEqual(serverErrorFact(e.status, e.error)?.kind, 'contextOverflow');
        assert.match(e.error, /exceeds the available context size \(256 tokens\)/);
      });
    }));

    it('/infill: prefix and suffix as plain text, a stream without [DONE] ending at stop:true, timings', () => withServer({ kind: 'llamacpp', tokensPerSecond: 900 }, async (s) => {
      await withBackend(s, async (b) => {
        const chunks = await collect(await b.complete({ model: 'tiny-utf8.gguf', prompt: 'def fib(n):', suffix: '\n    return a', options: { numPredict: 6, temperature: 0.2, stop: ['\n\n'] } }));
        const infill = s.requests.find((r) => r.path === '/infill')!;
        assert.ok(infill, paths(s).join(', '));
        assert.deepStrictEqual(
          { p: bodyOf(infill).input_prefix, s: bodyOf(infill).input_suffix, n: bodyOf(infill).n_predict, t: bodyOf(infill).temperature, stop: bodyOf(infill).stop, stream: bodyOf(infill).stream },
          { p: 'def fib(n):', s: '\n    return a', n: 6, t: 0.2, stop: ['\n\n'], stream: true },
        );
        assert.ok(!s.requests.some((r) => r.path === '/v1/completions'), 'suffix on /v1/completions is silently ignored by llama.cpp: never used');
        assert.strictEqual(chunks.map((c) => c.text).join(''), s.lastReplyText);
        const last = chunks.at(-1)!;
        assert.strictEqual(last.done, true);
        assert.strictEqual(last.stats?.tokensPerSecond, 900);
        assert.strictEqual(last.model, 'tiny-utf8.gguf');
        assert.ok(s.requests.find((r) => r.path === '/infill')!.endedAt !== undefined);
      }, undefined);
    }, { reply: () => 'if n < 2:\n        return n' }));

    it('/infill cut at n_predict: stop_type limit is doneReason length', () => withServer({ kind: 'llamacpp' }, async (s) => {
      await withBackend(s, async (b) => {
        const chunks = await collect(await b.complete({ model: 'm', prompt: 'a', suffix: 'b', options: { numPredict: 2 } }));
        assert.strictEqual(chunks.at(-1)!.doneReason, 'length');
      });
    }, { reply: () => 'one two three four five' }));

    for (const [fim, tokens] of [
      ['deepseek', { prefix: '<\uFF5Cfim\u2581begin\uFF5C>', suffix: '<\uFF5Cfim\u2581hole\uFF5C>', middle: '<\uFF5Cfim\u2581end\uFF5C>' }],
      ['qwen', { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' }],
      ['starcoder', { prefix: '<fim_prefix>', suffix: '<fim_suffix>', middle: '<fim_middle>' }],
      ['codellama', { prefix: '<PRE>', suffix: '<SUF>', middle: '<MID>' }],
    ] as const) {
      it(`FIM tokens learned from the server's tokenizer, not the file name (${fim})`, () => withServer({ kind: 'llamacpp', fim, model: 'my-model-q4.gguf' }, async (s) => {
        await withBackend(s, async (b) => {
          const f = await b.modelFacts('my-model-q4.gguf');
          assert.deepStrictEqual(f?.fim, { via: 'infill', tokens, source: 'POST /tokenize' });
          assert.ok(f?.capabilities?.includes('insert'));
          const tok = s.requests.find((r) => r.path === '/tokenize')!;
          assert.strictEqual(bodyOf(tok).with_pieces, true);
          assert.strictEqual(bodyOf(tok).content, FIM_PROBE_TEXT);
          assert.ok(!s.requests.some((r) => r.path === '/infill'), 'learning the tokens generates nothing');
        });
      }));
    }

    it('a GGUF that names its FIM tokens by id with other spellings: /tokenize finds none, /infill works', () => withServer({ kind: 'llamacpp', fim: 'gguf-ids' }, async (s) => {
      await withBackend(s, async (b) => {
        const f = await b.modelFacts('tiny-utf8.gguf');
        assert.strictEqual(f?.fim?.via, 'infill');
        assert.strictEqual(f?.fim?.tokens, undefined);
        const chunks = await collect(await b.complete({ model: 'tiny-utf8.gguf', prompt: 'x = ', suffix: '\n' }));
        assert.ok(chunks.at(-1)?.done);
      });
    }));

    it('a model without FIM tokens: /infill answers 501 once, the user is told once, and no request is sent again', () => withServer({ kind: 'llamacpp', fim: 'none', model: 'llama-3.2-1b-instruct-q8_0.gguf' }, async (s) => {
      await withBackend(s, async (b) => {
        await assert.rejects(async () => collect(await b.complete({ model: 'x', prompt: 'a', suffix: 'b' })), (e: unknown) => e instanceof FimUnsupportedError && e.status === 501 && /prefix token is missing/.test(e.error));
        const f = await b.modelFacts('x');
        assert.strictEqual(f?.fim?.via, 'none');
        assert.ok(!f?.capabilities?.includes('insert'));
      });
      s.reset();
      await withBackend(s, async (b) => {
        const settings: EngineSettings = { model: 'llama-3.2-1b-gguf', debounceMs: 0, maxLines: 5, numPredict: 16 };
        const engine = new CompletionEngine({ backend: () => Promise.resolve(b), settings: () => settings });
        const r1 = await engine.complete({ doc: 'd', prefix: 'const x = ', suffix: ';\n', manual: true });
        assert.strictEqual(r1.kind, 'unsupported');
        assert.strictEqual(r1.kind === 'unsupported' && r1.reason, 'server');
        const infills = () => s.requests.filter((r) => r.path === '/infill').length;
        assert.strictEqual(infills(), 1);
        const r2 = await engine.complete({ doc: 'd', prefix: 'const y = ', suffix: ';\n', manual: true });
        assert.strictEqual(r2.kind, 'unsupported');
        assert.strictEqual(infills(), 1, 'decided from the facts, without a request');
        engine.reset(true);
      });
    }));

    it('the completion engine fills in the middle through /infill for a model listed by its file name', () => withServer({ kind: 'llamacpp', fim: 'qwen', model: 'my-model-q4.gguf' }, async (s) => {
      await withBackend(s, async (b) => {
        const settings: EngineSettings = { model: 'my-model-q4.gguf', debounceMs: 0, maxLines: 5, numPredict: 32 };
        const engine = new CompletionEngine({ backend: () => Promise.resolve(b), settings: () => settings });
        const r = await engine.complete({ doc: 'd', prefix: 'function add(a, b) {\n  return ', suffix: '\n}\n', manual: true });
        assert.strictEqual(r.kind, 'completion', JSON.stringify(r));
        assert.strictEqual(r.kind === 'completion' && r.text, 'a + b;');
        const infill = s.requests.find((q) => q.path === '/infill')!;
        assert.strictEqual(bodyOf(infill).input_prefix, 'function add(a, b) {\n  return ');
        assert.ok((bodyOf(infill).stop as string[]).includes('<|endoftext|>'), 'the family from the tokens gives its stops');
        engine.reset(true);
      });
    }, { reply: () => 'a + b;' }));

    it('invalid JSON is HTTP 500 server_error there (not 400), and is read as a request cut on its way', () => withServer({ kind: 'llamacpp' }, async (s) => {
      const res = await fetch(`${s.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"x","messages":[{"role":"user"' });
      assert.strictEqual(res.status, 500);
      assert.strictEqual(res.headers.get('server'), 'llama.cpp');
      assert.strictEqual(res.headers.get('connection'), 'close');
      const j = await res.json() as { error: { code: number; message: string; type: string } };
      assert.strictEqual(j.error.type, 'server_error');
      assert.match(j.error.message, /^\[json\.exception\.parse_error\.101\] parse error at line 1, column 40: syntax error while parsing object - unexpected end of input; expected '\}'$/);
      assert.deepStrictEqual(serverErrorFact(res.status, j.error.message), { kind: 'badRequestBody' });
    }));

    it('a mid-stream error in llama.cpp\'s form is an error after the text, never an empty success', () => withServer({ kind: 'llamacpp' }, async (s) => {
      s.setFaults({ errorAfterLines: 3, sseErrorDialect: 'llamacpp', errorMessage: 'Failed to parse input at pos 22: \uFFFD' }, { path: '/v1/chat' });
      await withBackend(s, async (b) => {
        const got: string[] = [];
        const e = await (async () => { for await (const c of await b.chat({ model: 'x', messages: [{ role: 'user', content: 'hi there friend' }] })) got.push(c.text); })().then(() => undefined, (x: unknown) => x);
        assert.ok(e instanceof StreamError && e.midStream, String(e));
        assert.strictEqual(serverErrorFact(e.status, e.error)?.kind, 'outputUnparsable');
        assert.ok(got.join('').length > 0);
      });
    }, { reply: () => 'one two three four five six' }));
  });

  describe('LM Studio', () => {
    it('probe: X-Powered-By Express, confirmed by /api/v0/models (state, type, loaded context)', () => withServer({ kind: 'lmstudio' }, async (s) => {
      await withBackend(s, async (b) => {
        const p = await b.probe();
        assert.strictEqual(p.server, 'lmstudio');
        assert.deepStrictEqual(p.keyCheck, { path: 'GET /v1/models' });
        assert.deepStrictEqual(paths(s), ['GET /v1/models', 'GET /api/v0/models']);
        assert.deepStrictEqual(p.models.map((m) => [m.name, m.loaded, m.contextLength, m.capabilities]), [
          ['qwen2.5-7b-instruct', true, 4096, ['completion', 'tools']],
          ['qwen2-vl-2b-instruct', false, undefined, ['completion', 'vision']],
          ['text-embedding-nomic-embed-text-v1.5', false, undefined, ['embedding']],
        ]);
      });
    }));

    it('modelFacts: the loaded context is the limit, the maximum is the trained one, json_schema only; an embeddings model cannot chat', () => withServer({ kind: 'lmstudio' }, async (s) => {
      await withBackend(s, async (b) => {
        const f = await b.modelFacts('qwen2.5-7b-instruct');
        assert.deepStrictEqual([f?.contextLength, f?.contextFixed, f?.trainedContextLength, f?.structuredOutput, f?.server?.loaded], [4096, true, 32768, ['json_schema'], true]);
        const v = await b.modelFacts('qwen2-vl-2b-instruct');
        assert.deepStrictEqual([v?.contextLength, v?.capabilities, v?.server?.loaded], [undefined, ['completion', 'vision'], false]);
        assert.deepStrictEqual((await b.modelFacts('text-embedding-nomic-embed-text-v1.5'))?.capabilities, ['embedding']);
      });
    }));

    it('listModels: /v1/models ids with what /api/v0/models says (type, load state, loaded context); an embeddings model has no completion', () => withServer({ kind: 'lmstudio' }, async (s) => {
      await withBackend(s, async (b) => {
        const list = await b.listModels();
        assert.deepStrictEqual(list.map((m) => [m.name, m.capabilities, m.loaded, m.contextLength]), [
          ['qwen2.5-7b-instruct', ['completion', 'tools'], true, 4096],
          ['qwen2-vl-2b-instruct', ['completion', 'vision'], false, undefined],
          ['text-embedding-nomic-embed-text-v1.5', ['embedding'], false, undefined],
        ]);
        assert.strictEqual(s.requests.filter((r) => r.path === '/api/v0/models').length, 1);
        await b.listModels();
        assert.strictEqual(s.requests.filter((r) => r.path === '/api/v0/models').length, 1, 'the detection is asked once per connection');
      });
    }));

    it('HTTP 200 with an error body: an unknown endpoint and a prompt over the loaded context are errors, never data', () => withServer({ kind: 'lmstudio', lmstudioModels: [{ id: 'small', type: 'llm', state: 'loaded', max_context_length: 8192, loaded_context_length: 24 }] }, async (s) => {
      await withBackend(s, async (b) => {
        await assert.rejects(b.client.rootRequest('GET', '/props', undefined), (e: unknown) => e instanceof StreamError && /Unexpected endpoint or method\. \(GET \/props\)/.test(e.error));
        assert.strictEqual(s.requests.at(-1)!.status, 200);
        await assert.rejects(async () => collect(await b.chat({ model: 'small', messages: [{ role: 'user', content: Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ') }] })), (e: unknown) => e instanceof StreamError && /greater than the context length/.test(e.error));
        // Its 200-on-anything does not make it look like Ollama.
        assert.strictEqual((await b.probe()).server, 'lmstudio');
      });
    }));

    it('no timings on /v1: tokens/s measured from usage over the time the tokens took', () => withServer({ kind: 'lmstudio' }, async (s) => {
      await withBackend(s, async (b) => {
        const chunks = await collect(await b.chat({ model: 'qwen2.5-7b-instruct', messages: [{ role: 'user', content: 'hello' }] }));
        const st = chunks.at(-1)!.stats!;
        assert.strictEqual(st.speedSource, 'client');
        assert.ok(st.tokensPerSecond! > 0 && st.tokensPerSecond! < 1000, String(st.tokensPerSecond));
        assert.ok(st.outputTokens > 1);
      });
    }, { tokenDelayMs: 15, reply: () => 'one two three four five six seven' }));

    it('an API token: requests without it are refused, the probe says so', () => withServer({ kind: 'lmstudio', apiKey: 'lm-key' }, async (s) => {
      await withBackend(s, async (b) => { await assert.rejects(b.probe(), (e: unknown) => e instanceof ResponseError && e.status === 401); });
      await withBackend(s, async (b) => { assert.strictEqual((await b.probe()).server, 'lmstudio'); }, { Authorization: 'Bearer lm-key' });
    }));
  });

  describe('vLLM', () => {
    it('probe: owned_by vllm, /version, max_model_len as the served context; the key is checked on /v1 only', () => withServer({ kind: 'vllm', apiKey: 'vk', maxModelLen: 4096 }, async (s) => {
      await withBackend(s, async (b) => {
        await assert.rejects(b.probe(), (e: unknown) => e instanceof ResponseError && e.status === 401 && e.error === 'Unauthorized');
      });
      const version = await fetch(`${s.url}/version`);
      assert.strictEqual(version.status, 200, '/version needs no key: it proves nothing about the key');
      s.reset();
      await withBackend(s, async (b) => {
        const p = await b.probe();
        assert.deepStrictEqual([p.server, p.version, p.keyCheck], ['vllm', '0.11.0', { path: 'GET /v1/models' }]);
        assert.deepStrictEqual(p.models.map((m) => [m.name, m.contextLength]), [['Qwen/Qwen2.5-Coder-1.5B', 4096]]);
        const f = await b.modelFacts('Qwen/Qwen2.5-Coder-1.5B');
        assert.deepStrictEqual([f?.contextLength, f?.contextFixed], [4096, true]);
      }, { Authorization: 'Bearer vk' });
    }));

    for (const field of ['reasoning', 'reasoning_content'] as const) {
      it(`reasoning in \`${field}\` arrives as reasoning`, () => withServer({ kind: 'vllm', reasoningField: field }, async (s) => {
        await withBackend(s, async (b) => {
          const chunks = await collect(await b.chat({ model: 'Qwen/Qwen2.5-Coder-1.5B', messages: [{ role: 'user', content: 'hi' }] }));
          assert.strictEqual(chunks.map((c) => c.thinking ?? '').join(''), 'Let me think. ');
          assert.strictEqual(chunks.map((c) => c.text).join(''), 'Hello.');
        });
      }, { reply: () => 'Hello.', thinking: () => 'Let me think. ' }));
    }

    it('FIM: no endpoint and no suffix, but /tokenize says the tokens: a raw prompt in that format', () => withServer({ kind: 'vllm', fim: 'qwen', model: 'my-org/my-coder' }, async (s) => {
      await withBackend(s, async (b) => {
        const f = await b.modelFacts('my-org/my-coder');
        assert.deepStrictEqual(f?.fim, { via: 'raw', tokens: { prefix: '<|fim_prefix|>', suffix: '<|fim_suffix|>', middle: '<|fim_middle|>' }, source: 'POST /tokenize' });
        const settings: EngineSettings = { model: 'my-org/my-coder', debounceMs: 0, maxLines: 5, numPredict: 16 };
        const engine = new CompletionEngine({ backend: () => Promise.resolve(b), settings: () => settings });
        const r = await engine.complete({ doc: 'd', prefix: 'x = ', suffix: '\n', manual: true });
        assert.strictEqual(r.kind, 'completion', JSON.stringify(r));
        const sent = s.requests.find((q) => q.path === '/v1/completions')!;
        assert.strictEqual(bodyOf(sent).prompt, '<|fim_prefix|>x = <|fim_suffix|>\n<|fim_middle|>');
        assert.strictEqual(bodyOf(sent).suffix, undefined);
        engine.reset(true);
      });
    }, { reply: () => '42' }));

    it('errors as data: {"error"} then [DONE] is an error, not the end of a good answer', () => withServer({ kind: 'vllm' }, async (s) => {
      s.setFaults({ errorAfterLines: 2, sseErrorDialect: 'vllm', errorMessage: 'boom' }, { path: '/v1/chat' });
      await withBackend(s, async (b) => {
        await assert.rejects(async () => collect(await b.chat({ model: 'Qwen/Qwen2.5-Coder-1.5B', messages: [{ role: 'user', content: 'hi' }] })), (e: unknown) => e instanceof StreamError && e.error === 'boom');
      });
    }, { reply: () => 'a b c d e' }));
  });

  describe("Ollama's own /v1", () => {
    it('probe: /api/version beside /v1 says Ollama and that it takes no key; facts come from /api/show; FIM through `suffix`', async () => {
      const s = await OllamaTestServer.start();
      try {
        await withBackend(s, async (b) => {
          const p = await b.probe();
          assert.deepStrictEqual([p.server, p.version, p.keyCheck], ['ollama', '0.33.0', 'none']);
          const f = await b.modelFacts('qwen2.5-coder:1.5b');
          assert.ok(f?.capabilities?.includes('insert'));
          assert.ok((f?.contextLength ?? 0) > 0);
          const settings: EngineSettings = { model: 'qwen2.5-coder:1.5b', debounceMs: 0, maxLines: 5, numPredict: 16 };
          const engine = new CompletionEngine({ backend: () => Promise.resolve(b), settings: () => settings });
          const r = await engine.complete({ doc: 'd', prefix: 'x = ', suffix: '\n', manual: true });
          assert.strictEqual(r.kind, 'completion');
          const sent = s.requests.find((q) => q.path === '/v1/completions')!;
          assert.strictEqual(bodyOf(sent).suffix, '\n');
          engine.reset(true);
        });
      } finally {
        await s.close();
      }
    });
  });
});
