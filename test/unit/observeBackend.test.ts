// The activity the Models view follows: an observed backend reports when a generation request
// starts answering and when it ends (done, error, break, abort), and otherwise changes nothing.
import * as assert from 'assert';
import { OllamaBackend, OpenAIBackend, type LlmBackend, type StreamChunk } from '../../src/core/llm/backend';
import { observeBackend, observeStream, type ModelActivity } from '../../src/core/llm/observe';
import { ModelNotFoundError } from '../../src/core/http/errors';
import { OllamaTestServer } from '../support/ollamaServer';

describe('observed backend (model activity)', () => {
  let server: OllamaTestServer;
  before(async () => { server = await OllamaTestServer.start({ tokenDelayMs: 2 }); });
  after(async () => { await server.close(); });
  beforeEach(() => server.reset());

  for (const [name, make] of [['ollama', (u: string) => new OllamaBackend({ host: u })], ['openai', (u: string) => new OpenAIBackend({ host: u })]] as const) {
    it(`${name}: start when the answer begins, end once when it is done; chunks pass through unchanged`, async () => {
      const seen: ModelActivity[] = [];
      const inner: LlmBackend = make(server.url);
      const b = observeBackend(inner, (a) => seen.push(a));
      try {
        assert.strictEqual(b.kind, inner.kind);
        assert.strictEqual(b.baseUrl, inner.baseUrl);
        assert.ok(b instanceof (name === 'ollama' ? OllamaBackend : OpenAIBackend), 'instanceof sees the inner class');
        const stream = await b.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] });
        assert.deepStrictEqual(seen, [{ model: 'llama3.2', phase: 'start', kind: 'chat' }]);
        const chunks: StreamChunk[] = [];
        for await (const c of stream) chunks.push(c);
        assert.ok(chunks.at(-1)?.done);
        assert.ok(chunks.map((c) => c.text).join('').length > 0);
        assert.deepStrictEqual(seen.map((a) => a.phase), ['start', 'end']);
        const names = (await b.listModels()).map((m) => m.name);
        assert.ok(names.length > 0);
        assert.strictEqual(seen.length, 2, 'listing models is not model activity');
      } finally {
        await b.close();
      }
    });
  }

  it('breaking out of a stream ends it at the server and reports end once', async () => {
    const slow = await OllamaTestServer.start({ tokenDelayMs: 50, reply: () => 'one two three four five six seven eight nine ten' });
    const seen: ModelActivity[] = [];
    const b = observeBackend(new OllamaBackend({ host: slow.url }), (a) => seen.push(a));
    try {
      const stream = await b.complete({ model: 'qwen2.5-coder:1.5b', prompt: 'x', raw: true });
      for await (const c of stream) { if (c.text) break; }
      assert.deepStrictEqual(seen.map((a) => `${a.kind}:${a.phase}`), ['complete:start', 'complete:end']);
      const rec = slow.requests.find((r) => r.path === '/api/generate')!;
      await slow.waitForClose(rec, 5000);
      assert.strictEqual(rec.aborted, true, 'the server saw the connection close');
    } finally {
      await b.close();
      await slow.close();
    }
  });

  it('a refused request reports end (the server may have tried to load the model) and rethrows', async () => {
    const seen: ModelActivity[] = [];
    const b = observeBackend(new OllamaBackend({ host: server.url }), (a) => seen.push(a));
    try {
      await assert.rejects(b.chat({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }), ModelNotFoundError);
      assert.deepStrictEqual(seen, [{ model: 'no-such-model', phase: 'end', kind: 'chat' }]);
    } finally {
      await b.close();
    }
  });

  it('an observer that throws never breaks the request', async () => {
    const b = observeBackend(new OllamaBackend({ host: server.url }), () => { throw new Error('observer bug'); });
    try {
      let text = '';
      for await (const c of await b.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] })) text += c.text;
      assert.ok(text.length > 0);
    } finally {
      await b.close();
    }
  });

  it('observeStream: end on exhaustion, on error, and on return(), each once', async () => {
    async function* gen(fail: boolean) { yield 1; yield 2; if (fail) throw new Error('boom'); }
    let ends = 0;
    const all: number[] = [];
    for await (const x of observeStream(gen(false), () => ends++)) all.push(x);
    assert.deepStrictEqual(all, [1, 2]);
    assert.strictEqual(ends, 1);
    ends = 0;
    await assert.rejects(async () => { for await (const x of observeStream(gen(true), () => ends++)) void x; }, /boom/);
    assert.strictEqual(ends, 1);
    ends = 0;
    let closed = false;
    async function* tracked() { try { yield 1; yield 2; } finally { closed = true; } }
    for await (const x of observeStream(tracked(), () => ends++)) { void x; break; }
    assert.strictEqual(ends, 1);
    assert.strictEqual(closed, true, 'return() reached the source');
  });
});
