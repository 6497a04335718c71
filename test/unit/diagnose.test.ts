// Diagnose (issue 16 §2), core: the findings against the protocol test server when all is well, when
// the completion model is missing, when it cannot fill in the middle, when the endpoint is dead, when
// a proxy in front refuses the token; and the redaction of secrets in the report.
import * as assert from 'assert';
import * as net from 'node:net';
import { diagnose, redactSecrets, type DiagnosedFeature, type Diagnosis } from '../../src/core/diagnose/diagnose';
import { ConnectionError } from '../../src/core/http/errors';
import { OllamaBackend, OpenAIBackend } from '../../src/core/llm/backend';
import { OllamaTestServer } from '../support/ollamaServer';

const features = (m: Partial<Record<DiagnosedFeature, string>>) => (['chat', 'completion', 'translation', 'embeddings'] as const)
  .map((feature) => ({ feature, model: m[feature] ?? '' }));
const healthy = { chat: 'qwen3:0.6b', completion: 'qwen2.5-coder:1.5b', translation: 'llama3.2', embeddings: 'all-minilm' };
const finding = (d: Diagnosis, f: DiagnosedFeature) => d.features.find((x) => x.feature === f)!;

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('diagnose (core, protocol test server)', function () {
  this.timeout(20000);
  let server: OllamaTestServer;
  before(async () => { server = await OllamaTestServer.start({ version: '0.33.0' }); });
  after(async () => server.close());
  beforeEach(() => server.reset());

  it('a healthy server: version, every model installed, FIM mode, context sizes, thinking, a 1-token request per feature, what is loaded', async () => {
    const backend = new OllamaBackend({ host: server.url });
    try {
      const d = await diagnose({ backend, features: features(healthy), numCtx: 8192, hasToken: false });
      assert.ok(d.endpoint.ok);
      assert.strictEqual(d.endpoint.value.server, 'ollama');
      assert.strictEqual(d.endpoint.value.version, '0.33.0');
      assert.strictEqual(d.token, 'none');
      for (const f of d.features) {
        assert.strictEqual(f.installed, true, f.feature);
        assert.ok(f.request?.ok, `${f.feature}: ${JSON.stringify(f.request)}`);
      }
      assert.deepStrictEqual(finding(d, 'completion').fim, { kind: 'suffix', family: 'qwen' });
      assert.strictEqual(finding(d, 'completion').contextLength, 32768);
      assert.deepStrictEqual(finding(d, 'chat').thinking?.supported, true);
      assert.deepStrictEqual(finding(d, 'translation').thinking?.supported, false);
      // The requests really went out, one token each, with the num_ctx every feature sends.
      const gen = server.requests.find((r) => r.path === '/api/generate')!.body as { model: string; suffix: string; options: { num_predict: number; num_ctx: number } };
      assert.strictEqual(gen.model, 'qwen2.5-coder:1.5b');
      assert.strictEqual(gen.options.num_predict, 1);
      assert.strictEqual(gen.options.num_ctx, 8192);
      assert.ok(gen.suffix.length > 0, 'a FIM request (with a suffix)');
      const chats = server.requests.filter((r) => r.path === '/api/chat').map((r) => (r.body as { model: string; options: { num_predict: number } }));
      assert.deepStrictEqual(chats.map((c) => [c.model, c.options.num_predict]), [['qwen3:0.6b', 1], ['llama3.2', 1]]);
      assert.ok(server.requests.some((r) => r.path === '/api/embed'));
      // /api/ps after the requests: the models they loaded.
      assert.ok(d.loaded?.ok);
      assert.ok(d.loaded.value.some((m) => m.name.startsWith('qwen2.5-coder') && m.sizeBytes > 0), JSON.stringify(d.loaded.value));
    } finally { await backend.close(); }
  });

  it('a missing completion model: not installed, no request sent for it', async () => {
    const backend = new OllamaBackend({ host: server.url });
    try {
      const d = await diagnose({ backend, features: features({ ...healthy, completion: 'starcoder2:3b' }), hasToken: false });
      const c = finding(d, 'completion');
      assert.strictEqual(c.installed, false);
      assert.strictEqual(c.skipped, 'not-installed');
      assert.strictEqual(c.request, undefined);
      assert.ok(!server.requests.some((r) => r.path === '/api/generate'));
      assert.strictEqual(finding(d, 'chat').installed, true);
    } finally { await backend.close(); }
  });

  it('a model that cannot fill in the middle: the reason and a suggestion, no request', async () => {
    const backend = new OllamaBackend({ host: server.url });
    try {
      const d = await diagnose({ backend, features: features({ completion: 'llama3.2' }), hasToken: false });
      const c = finding(d, 'completion');
      assert.strictEqual(c.installed, true);
      assert.ok(c.fim?.kind === 'unsupported', JSON.stringify(c.fim));
      assert.match(c.fim.message, /cannot fill in the middle/);
      assert.strictEqual(c.skipped, 'no-fim');
      assert.ok(!server.requests.some((r) => r.path === '/api/generate'));
      assert.strictEqual(finding(d, 'chat').skipped, 'no-model');
    } finally { await backend.close(); }
  });

  it('a dead endpoint: the connection error, every feature skipped, nothing else asked', async () => {
    const backend = new OllamaBackend({ host: `http://127.0.0.1:${await deadPort()}` });
    try {
      const d = await diagnose({ backend, features: features(healthy), hasToken: true });
      assert.ok(!d.endpoint.ok);
      assert.ok(d.endpoint.error instanceof ConnectionError, String(d.endpoint.error));
      assert.strictEqual(d.token, 'unknown');
      assert.deepStrictEqual(d.features.map((f) => f.skipped), ['unreachable', 'unreachable', 'unreachable', 'unreachable']);
      assert.strictEqual(d.loaded, undefined);
    } finally { await backend.close(); }
  });

  it('a token the server (a proxy in front) refuses is reported as refused; one it takes as accepted', async () => {
    const guarded = await OllamaTestServer.start({ requireHeaders: { Authorization: 'Bearer right-token' } });
    const wrong = new OllamaBackend({ host: guarded.url, headers: { Authorization: 'Bearer wrong-token' } });
    const right = new OllamaBackend({ host: guarded.url, headers: { Authorization: 'Bearer right-token' } });
    try {
      assert.strictEqual((await diagnose({ backend: wrong, features: [], hasToken: true })).token, 'refused');
      assert.strictEqual((await diagnose({ backend: right, features: [], hasToken: true })).token, 'accepted');
    } finally { await wrong.close(); await right.close(); await guarded.close(); }
  });

  it('llama.cpp with --api-key (its /v1/models and /health answer without the key): Diagnose asks a request that needs it, so a wrong key is refused, the right one accepted', async () => {
    const llama = await OllamaTestServer.start({ dialect: { kind: 'llamacpp', apiKey: 'sekrit' } });
    const at = (auth: string) => new OpenAIBackend({ host: llama.url, headers: { Authorization: auth } });
    const wrong = at('Bearer wrong');
    const right = at('Bearer sekrit');
    try {
      const refused = await diagnose({ backend: wrong, features: [], hasToken: true });
      assert.strictEqual(refused.token, 'refused');
      assert.ok(llama.requests.some((r) => r.path === '/props' && r.status === 401), 'the key was put to a request that needs it');
      assert.strictEqual((await diagnose({ backend: right, features: [], hasToken: true })).token, 'accepted');
    } finally {
      await wrong.close(); await right.close(); await llama.close();
    }
  });

  it('an OpenAI-compatible server: no /api/show facts, the list tells installed, no /api/ps, embeddings not asked', async () => {
    const backend = new OpenAIBackend({ host: `${server.url}/v1` });
    try {
      const d = await diagnose({ backend, features: features({ chat: 'llama3.2', embeddings: 'all-minilm', translation: 'nope:1b' }), hasToken: false });
      assert.ok(d.endpoint.ok);
      assert.strictEqual(d.endpoint.value.backend, 'openai');
      assert.strictEqual(finding(d, 'chat').installed, true);
      assert.ok(finding(d, 'chat').request?.ok);
      assert.strictEqual(finding(d, 'translation').installed, false);
      assert.strictEqual(finding(d, 'embeddings').skipped, 'unsupported-backend');
      assert.strictEqual(d.loaded, undefined);
    } finally { await backend.close(); }
  });

  it('cancelling rejects', async () => {
    const slow = await OllamaTestServer.start({ firstTokenDelayMs: 5000 });
    const backend = new OllamaBackend({ host: slow.url });
    const ac = new AbortController();
    try {
      const p = diagnose({ backend, features: features({ chat: 'llama3.2' }), hasToken: false, signal: ac.signal });
      await slow.waitForRequest((r) => r.path === '/api/chat', 5000);
      ac.abort();
      await assert.rejects(p);
    } finally { await backend.close(); await slow.close(); }
  });
});

describe('diagnose report redaction', () => {
  it('removes the token, header values and URL credentials wherever they appear', () => {
    const text = 'Endpoint https://alice:s3cret@ollama.example:443 answers; proxy http://bob:pw@proxy:3128; header sk-live-123456 and again sk-live-123456; token abcd1234';
    assert.strictEqual(redactSecrets(text, ['sk-live-123456', 'abcd1234', 'ab', '']),
      'Endpoint https://<redacted>@ollama.example:443 answers; proxy http://<redacted>@proxy:3128; header <redacted> and again <redacted>; token <redacted>');
    assert.strictEqual(redactSecrets('nothing secret here', ['token-value']), 'nothing secret here');
  });
});
