// What features learn about a server and its models through LlmBackend, whichever API it speaks:
// one factory, model facts (Ollama's /api/show; nothing on /v1), the server probe, the model list
// with capabilities for servers whose /api/tags has none, and the native client only where it exists.
import * as assert from 'assert';
import { createBackend, OllamaBackend, OpenAIBackend, type LlmBackend } from '../../src/core/llm/backend';
import { factsFromShow, listModelsWithCapabilities, modelContextLength, ModelFactsCache } from '../../src/core/llm/facts';
import { ModelNotFoundError } from '../../src/core/http/errors';
import { OllamaTestServer } from '../support/ollamaServer';

describe('LlmBackend: facts, probe and the factory', () => {
  let server: OllamaTestServer;
  before(async () => { server = await OllamaTestServer.start(); });
  after(async () => { await server.close(); });
  beforeEach(() => server.reset());

  it('createBackend gives the native backend (with its client for model management) or the /v1 one (without)', async () => {
    const n = createBackend('ollama', { host: server.url });
    const o = createBackend('openai', { host: server.url });
    try {
      assert.ok(n instanceof OllamaBackend);
      assert.strictEqual(n.kind, 'ollama');
      assert.ok(n.ollama, 'the native client is there');
      assert.strictEqual(n.ollama, (n as OllamaBackend).client);
      assert.ok(o instanceof OpenAIBackend);
      assert.strictEqual(o.kind, 'openai');
      assert.strictEqual((o as LlmBackend).ollama, undefined);
      assert.strictEqual(o.baseUrl, `${server.url}/v1`);
    } finally {
      await n.close();
      await o.close();
    }
  });

  it('modelFacts: capabilities, context length, template and family from /api/show; a missing model is ModelNotFoundError', async () => {
    const b = createBackend('ollama', { host: server.url });
    try {
      const f = await b.modelFacts('llama3.2');
      assert.ok(f);
      assert.ok(f.capabilities?.includes('completion'));
      assert.strictEqual(f.contextLength, modelContextLength(f.modelInfo));
      assert.ok((f.contextLength ?? 0) > 0, 'the context length comes from model_info');
      assert.strictEqual(typeof f.template, 'string');
      assert.strictEqual(f.details?.family, 'llama');
      assert.strictEqual(server.requests.at(-1)?.path, '/api/show');
      await assert.rejects(b.modelFacts('no-such-model'), ModelNotFoundError);
    } finally {
      await b.close();
    }
  });

  it('modelFacts on Ollama\'s /v1 come from its /api/show (the server is told once); a plain OpenAI server has none', async () => {
    const b = createBackend('openai', { host: server.url });
    const plain = await OllamaTestServer.start();
    // A server that gives nothing away: no /api/version, models owned by "openai".
    plain.setFaults({ status: 404, body: '{"error":{"message":"not found"}}' }, { path: '/api/version' });
    const p = createBackend('openai', { host: plain.url });
    try {
      server.reset();
      const f = await b.modelFacts('llama3.2');
      assert.strictEqual(f?.details?.family, 'llama');
      assert.ok((f?.contextLength ?? 0) > 0);
      assert.deepStrictEqual(server.requests.map((r) => r.path), ['/v1/models', '/api/version', '/api/show']);
      server.reset();
      await b.modelFacts('qwen2.5-coder:1.5b');
      assert.deepStrictEqual(server.requests.map((r) => r.path), ['/api/show'], 'the server is detected once');
      plain.setFaults({ status: 200, body: '{"object":"list","data":[{"id":"gpt-x","object":"model","owned_by":"openai"}]}' }, { path: '/v1/models' });
      assert.strictEqual(await p.modelFacts('gpt-x'), undefined);
    } finally {
      await b.close();
      await p.close();
      await plain.close();
    }
  });

  it('factsFromShow keeps only what the show answer has, and reads the thinking values', () => {
    assert.deepStrictEqual(factsFromShow({ modelfile: '', parameters: '', template: '', details: {}, model_info: {} } as never), { modelInfo: {}, details: {} });
    const f = factsFromShow({ capabilities: ['completion', 'thinking'], thinking: { values: ['low', 'high'], default: 'low' }, model_info: { 'general.architecture': 'qwen3', 'qwen3.context_length': 40960 } } as never);
    assert.deepStrictEqual(f.thinking, { values: ['low', 'high'], default: 'low' });
    assert.strictEqual(f.contextLength, 40960);
  });

  it('probe: Ollama says it is Ollama, its version and its models (/api/version + /api/tags); /v1 lists its models', async () => {
    const n = createBackend('ollama', { host: server.url });
    const o = createBackend('openai', { host: server.url });
    try {
      const p = await n.probe();
      assert.strictEqual(p.backend, 'ollama');
      assert.strictEqual(p.server, 'ollama');
      assert.strictEqual(p.version, '0.33.0');
      assert.ok(p.models.some((m) => m.name === 'llama3.2:latest'));
      assert.deepStrictEqual(server.requests.map((r) => r.path).sort(), ['/api/tags', '/api/version']);
      server.reset();
      const q = await o.probe();
      assert.strictEqual(q.backend, 'openai');
      // Ollama's /v1 does not name its software; its /api/version beside it does.
      assert.strictEqual(q.version, '0.33.0');
      assert.strictEqual(q.server, 'ollama');
      assert.strictEqual(q.keyCheck, 'none');
      assert.deepStrictEqual(q.models.map((m) => m.name).sort(), p.models.map((m) => m.name).sort());
      assert.deepStrictEqual(server.requests.map((r) => r.path), ['/v1/models', '/api/version']);
    } finally {
      await n.close();
      await o.close();
    }
  });

  it('listModelsWithCapabilities asks /api/show (cached) only for models the list gives no capabilities', async () => {
    const old = await OllamaTestServer.start({ tagsCapabilities: false });
    const b = createBackend('ollama', { host: old.url });
    try {
      const facts = new ModelFactsCache((m) => b.modelFacts(m));
      const listed = await listModelsWithCapabilities(b, facts);
      assert.ok(listed.length >= 3);
      for (const m of listed) assert.ok(m.capabilities?.length, `${m.name} has capabilities`);
      const shows = old.requests.filter((r) => r.path === '/api/show').length;
      assert.strictEqual(shows, listed.length);
      assert.ok(facts.has(listed[0]!.name));
      await listModelsWithCapabilities(b, facts);
      assert.strictEqual(old.requests.filter((r) => r.path === '/api/show').length, shows, 'the second listing is served from the cache');
      server.reset();
      const n = createBackend('ollama', { host: server.url });
      await listModelsWithCapabilities(n, new ModelFactsCache((m) => n.modelFacts(m)));
      assert.strictEqual(server.requests.filter((r) => r.path === '/api/show').length, 0, 'a newer server lists capabilities itself');
      await n.close();
    } finally {
      await b.close();
      await old.close();
    }
  });

  it('ModelFactsCache.known/has answer from what arrived, without asking; invalidate forgets', async () => {
    const c = new ModelFactsCache(async (m: string) => (m === 'none' ? undefined : { capabilities: [m] }));
    assert.strictEqual(c.has('a'), false);
    await c.get('a');
    await c.get('none');
    assert.deepStrictEqual(c.known('a'), { capabilities: ['a'] });
    assert.strictEqual(c.has('none'), true, 'an answer of "nothing known" counts as arrived');
    assert.strictEqual(c.known('none'), undefined);
    c.invalidate();
    assert.strictEqual(c.has('a'), false);
  });
});
