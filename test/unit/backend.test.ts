// The feature-facing streaming interface over both backends: native Ollama and OpenAI-compatible.
import * as assert from 'assert';
import { OllamaBackend, OpenAIBackend, type LlmBackend, type StreamChunk } from '../../src/core/llm/backend';
import { IncompleteStreamError, ModelNotFoundError, StreamError, AbortError } from '../../src/core/http/errors';
import { OpenAICompatClient, openAIBaseUrl } from '../../src/core/openai/client';
import { OllamaTestServer } from '../support/ollamaServer';

async function collect(it: AsyncIterable<StreamChunk>): Promise<StreamChunk[]> {
  const out: StreamChunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

describe('LLM backends (the interface features use)', () => {
  let server: OllamaTestServer;
  before(async () => { server = await OllamaTestServer.start(); });
  after(async () => { await server.close(); });
  beforeEach(() => server.reset());

  const backends: Array<[string, () => LlmBackend]> = [
    ['ollama', () => new OllamaBackend({ host: server.url })],
    ['openai', () => new OpenAIBackend({ host: server.url })],
  ];

  for (const [name, make] of backends) {
    describe(name, () => {
      let b: LlmBackend;
      beforeEach(() => { b = make(); });
      afterEach(async () => { await b.close(); });

      it('chat streams text and ends with one done chunk', async () => {
        const chunks = await collect(await b.chat({ model: 'llama3.2', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello 世界' }], options: { temperature: 0.2, numPredict: 64 } }));
        assert.strictEqual(chunks.filter((c) => c.done).length, 1);
        assert.strictEqual(chunks.at(-1)!.done, true);
        assert.strictEqual(chunks.map((c) => c.text).join(''), server.lastReplyText);
        assert.ok((chunks.at(-1)!.stats?.outputTokens ?? 0) > 0);
        const wire = server.requests.at(-1)!;
        if (name === 'ollama') {
          assert.strictEqual(wire.path, '/api/chat');
          assert.deepStrictEqual((wire.body as any).options, { temperature: 0.2, num_predict: 64 });
          assert.ok(chunks.at(-1)!.stats!.tokensPerSecond! > 0);
        } else {
          assert.strictEqual(wire.path, '/v1/chat/completions');
          assert.strictEqual((wire.body as any).max_tokens, 64);
        }
      });

      it('complete (generate) streams text', async () => {
        const chunks = await collect(await b.complete({ model: 'qwen2.5-coder:1.5b', prompt: 'def add(a, b):', suffix: '\n', options: { numPredict: 32 } }));
        assert.strictEqual(chunks.map((c) => c.text).join(''), server.lastReplyText);
        assert.ok(chunks.at(-1)!.done);
      });

      it('lists models', async () => {
        const models = await b.listModels();
        assert.ok(models.some((m) => m.name.startsWith('llama3.2')));
      });

      it('a missing model is a ModelNotFoundError', async () => {
        await assert.rejects(b.chat({ model: 'missing-model', messages: [{ role: 'user', content: 'x' }] }), ModelNotFoundError);
      });

      it('a mid-stream failure is an error after the partial text', async () => {
        server.setFaults({ errorAfterLines: 2 });
        const got: string[] = [];
        await assert.rejects(async () => { for await (const c of await b.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'a b c d e f' }] })) got.push(c.text); },
          (e: unknown) => e instanceof StreamError || e instanceof IncompleteStreamError);
        assert.ok(got.join('').length > 0);
      });

      it('abort closes the connection', async () => {
        server.setFaults({ tokenDelayMs: 50 });
        const ac = new AbortController();
        const it = await b.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'a b c d e f g' }] }, { signal: ac.signal });
        const req = server.requests.at(-1)!;
        await assert.rejects(async () => { for await (const _ of it) ac.abort(); }, AbortError);
        await server.waitForClose(req, 2000);
      });
    });
  }

  it('OpenAI SSE bytes split one at a time reassemble exactly', async () => {
    server.setFaults({ chunkSizes: [1], crlf: true });
    const b = new OpenAIBackend({ host: server.url });
    const chunks = await collect(await b.chat({ model: 'llama3.2', messages: [{ role: 'user', content: '你好 🌍 abc' }] }));
    assert.strictEqual(chunks.map((c) => c.text).join(''), server.lastReplyText);
    await b.close();
  });

  it('OpenAI stream that closes without [DONE] is incomplete', async () => {
    server.setFaults({ dropAfterLines: 2 });
    const b = new OpenAIBackend({ host: server.url });
    await assert.rejects(collect(await b.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'a b c d' }] })), IncompleteStreamError);
    await b.close();
  });

  it('OpenAI models: data null means no models', async () => {
    server.setModels([]);
    const c = new OpenAICompatClient({ host: server.url });
    assert.deepStrictEqual(await c.models(), []);
    await c.close();
  });

  it('OpenAI base URL: with or without /v1', () => {
    assert.strictEqual(openAIBaseUrl('http://h:1234'), 'http://h:1234/v1');
    assert.strictEqual(openAIBaseUrl('http://h:1234/v1'), 'http://h:1234/v1');
    assert.strictEqual(new OpenAICompatClient({ host: 'localhost:1234' }).baseUrl, 'http://localhost:1234/v1');
  });
});
