// OllamaClient against the protocol test server: every endpoint, every injected fault, aborts
// (with the server's view of the close), headers and host forms.
import * as assert from 'assert';
import { createHash } from 'node:crypto';
import { OllamaClient } from '../../src/core/ollama/client';
import {
  AbortError, ConnectionError, EndpointNotFoundError, IncompleteStreamError, InvalidRequestError, ModelNotFoundError,
  OllamaError, ProtocolError, ResponseError, StreamError, TimeoutError,
} from '../../src/core/http/errors';
import type { ChatRequest } from '../../src/core/ollama/types';
import { OllamaTestServer } from '../support/ollamaServer';

async function text<T extends { response?: string; message?: { content: string } }>(it: AsyncIterable<T>): Promise<string> {
  let s = '';
  for await (const c of it) s += c.response ?? c.message?.content ?? '';
  return s;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') { Object.freeze(o); for (const v of Object.values(o)) deepFreeze(v); }
  return o;
}

describe('OllamaClient against the protocol test server', function () {
  let server: OllamaTestServer;
  let client: OllamaClient;

  before(async () => { server = await OllamaTestServer.start(); });
  after(async () => { await server.close(); });
  beforeEach(() => { server.reset(); client = new OllamaClient({ host: server.url }); });
  afterEach(async () => { await client.close(); });

  describe('endpoints', () => {
    it('version, heartbeat, list, ps', async () => {
      assert.strictEqual((await client.version()).version, '0.33.0');
      assert.strictEqual(await client.heartbeat(), 'Ollama is running');
      const { models } = await client.list();
      assert.ok(models.some((m) => m.name === 'llama3.2:latest'));
      assert.ok(models.every((m) => typeof m.size === 'number' && m.details));
      assert.deepStrictEqual((await client.ps()).models, []);
    });

    it('generate streams NDJSON objects ending with done and metrics', async () => {
      const it = await client.generate({ model: 'llama3.2', prompt: 'hello', stream: true });
      const chunks = [];
      for await (const c of it) chunks.push(c);
      assert.ok(chunks.length > 2);
      const last = chunks.at(-1)!;
      assert.strictEqual(last.done, true);
      assert.strictEqual(last.done_reason, 'stop');
      assert.ok((last.eval_count ?? 0) > 0);
      assert.strictEqual(chunks.map((c) => c.response).join(''), server.lastReplyText);
      assert.strictEqual(server.requests.at(-1)!.headers['accept'], 'application/x-ndjson');
      assert.strictEqual((server.requests.at(-1)!.body as { stream: boolean }).stream, true);
      assert.ok(client.ps && (await client.ps()).models.some((m) => m.name.startsWith('llama3.2')));
    });

    it('generate without stream returns one object, streamed on the wire (no first-byte timeout while the model generates)', async () => {
      const r = await client.generate({ model: 'llama3.2', prompt: 'hello' });
      assert.strictEqual(r.done, true);
      assert.strictEqual(r.response, server.lastReplyText);
      assert.ok((r.eval_count ?? 0) > 0 && Array.isArray(r.context), 'metrics and context of the final object');
      assert.strictEqual((server.requests.at(-1)!.body as { stream: boolean }).stream, true);
    });

    it('chat streams message chunks; non-stream returns the whole message', async () => {
      const it = await client.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi there' }], stream: true });
      assert.strictEqual(await text(it), server.lastReplyText);
      const r = await client.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'again' }] });
      assert.strictEqual(r.message.content, server.lastReplyText);
      assert.strictEqual(r.done, true);
    });

    it('never mutates the caller\'s request, and normalises what goes on the wire', async () => {
      const req: ChatRequest = deepFreeze({
        model: 'llava:7b',
        messages: [{ role: 'user', content: 'what is this', images: ['data:image/png;base64,iVBORw0K\nGgo='] }],
        keep_alive: '10', options: { stop: 'x' as unknown as string[], num_ctx: 4096 },
      });
      const copy = JSON.parse(JSON.stringify(req));
      await client.chat(req);
      assert.deepStrictEqual(JSON.parse(JSON.stringify(req)), copy);
      const wire = server.requests.at(-1)!.body as Record<string, any>;
      assert.deepStrictEqual(wire.messages[0].images, ['iVBORw0KGgo=']);
      assert.strictEqual(wire.keep_alive, 10);
      assert.deepStrictEqual(wire.options.stop, ['x']);
      // stream:false is collected from a stream on the wire (see "generate without stream").
      assert.strictEqual(wire.stream, true);
    });

    it('show, copy, delete (empty 200 bodies)', async () => {
      const s = await client.show({ model: 'llama3.2' });
      assert.ok(s.capabilities?.includes('completion'));
      assert.ok(s.details.family);
      assert.deepStrictEqual(await client.copy({ source: 'llama3.2', destination: 'llama3.2-backup' }), { status: 'success' });
      assert.ok((await client.list()).models.some((m) => m.name === 'llama3.2-backup:latest'));
      assert.deepStrictEqual(await client.delete({ model: 'llama3.2-backup' }), { status: 'success' });
      assert.ok(!(await client.list()).models.some((m) => m.name === 'llama3.2-backup:latest'));
    });

    it('pull streams progress keyed by digest and ends in success; the model appears', async () => {
      const it = await client.pull({ model: 'tinyllama', stream: true });
      const statuses: string[] = [];
      const digests = new Set<string>();
      for await (const p of it) { statuses.push(p.status); if (p.digest) digests.add(p.digest); }
      assert.strictEqual(statuses[0], 'pulling manifest');
      assert.strictEqual(statuses.at(-1), 'success');
      assert.ok(digests.size >= 1);
      assert.ok((await client.list()).models.some((m) => m.name.startsWith('tinyllama')));
    });

    it('pull without stream returns the final status (streamed on the wire)', async () => {
      await client.delete({ model: 'tinyllama' }).catch(() => undefined);
      assert.deepStrictEqual((await client.pull({ model: 'tinyllama' })).status, 'success');
      assert.strictEqual((server.requests.at(-1)!.body as { stream: boolean }).stream, true);
    });

    it('pull of an unknown model: HTTP 200, then an in-band error -> StreamError', async () => {
      await assert.rejects(async () => { for await (const _ of await client.pull({ model: 'no-such-model', stream: true })) { /* progress */ } },
        (e: unknown) => e instanceof StreamError && /file does not exist/.test(e.message) && e.status === 200);
    });

    it('push streams progress to success', async () => {
      const r = await client.push({ model: 'llama3.2' });
      assert.strictEqual(r.status, 'success');
    });

    it('blobs: hash, HEAD 404, upload 201, HEAD 200, then create from the file', async () => {
      const data = new Uint8Array(300_000).map((_, i) => (i * 31) & 0xff);
      const digest = 'sha256:' + createHash('sha256').update(data).digest('hex');
      assert.strictEqual(await client.hasBlob(digest), false);
      let sent = 0;
      await client.uploadBlob(digest, (async function* () { for (let i = 0; i < data.length; i += 65536) yield data.subarray(i, i + 65536); })(), { onProgress: (n) => { sent = n; } });
      assert.strictEqual(sent, data.length);
      assert.strictEqual(await client.hasBlob(digest), true);
      assert.strictEqual(server.blobs().get(digest), data.length);
      const statuses: string[] = [];
      for await (const p of await client.create({ model: 'mine', files: { 'model.gguf': digest }, stream: true })) statuses.push(p.status);
      assert.strictEqual(statuses.at(-1), 'success');
      assert.ok((await client.list()).models.some((m) => m.name === 'mine:latest'));
    });

    it('upload with a wrong digest is a ResponseError with the server\'s message', async () => {
      const wrong = 'sha256:' + '0'.repeat(64);
      await assert.rejects(client.uploadBlob(wrong, new Uint8Array([1, 2, 3])), (e: unknown) => e instanceof ResponseError && e.status === 400 && /digest mismatch/.test(e.message));
    });

    it('create from an existing model with parameters and system', async () => {
      const r = await client.create({ model: 'mario', from: 'llama3.2', system: 'You are Mario.', parameters: { temperature: 0.7, stop: ['user:'] } });
      assert.strictEqual(r.status, 'success');
      const wire = server.requests.at(-1)!.body as Record<string, unknown>;
      assert.strictEqual(wire.from, 'llama3.2');
      assert.deepStrictEqual(wire.parameters, { temperature: 0.7, stop: ['user:'] });
    });

    it('embed and embeddings', async () => {
      const e = await client.embed({ model: 'all-minilm', input: ['a', 'b'] });
      assert.strictEqual(e.embeddings.length, 2);
      const norm = Math.hypot(...e.embeddings[0]!);
      assert.ok(Math.abs(norm - 1) < 1e-6);
      const old = await client.embeddings({ model: 'all-minilm', prompt: 'a' });
      assert.ok(old.embedding.length > 0);
    });

    it('load and unload (newline-less single object, even when streaming is the default)', async () => {
      assert.strictEqual((await client.load('llama3.2')).done_reason, 'load');
      assert.strictEqual((await client.unload('llama3.2')).done_reason, 'unload');
      const it = await client.generate({ model: 'llama3.2', prompt: '', keep_alive: 0, stream: true });
      const all = [];
      for await (const c of it) all.push(c);
      assert.strictEqual(all.length, 1);
      assert.strictEqual(all[0]!.done_reason, 'unload');
    });
  });

  describe('errors', () => {
    it('a missing model is a ModelNotFoundError (404) on generate, chat, show and delete', async () => {
      for (const call of [
        () => client.generate({ model: 'nope', prompt: 'x', stream: true }),
        () => client.chat({ model: 'nope', messages: [{ role: 'user', content: 'x' }], stream: true }),
        () => client.show({ model: 'nope' }),
        () => client.delete({ model: 'nope' }),
      ]) {
        await assert.rejects(call(), (e: unknown) => e instanceof ModelNotFoundError && e.status === 404 && e.model === 'nope' && /not found/.test(e.message));
      }
    });

    it('a model name is validated before anything is sent', async () => {
      await assert.rejects(client.chat({ model: '', messages: [] }), InvalidRequestError);
      assert.strictEqual(server.requests.length, 0);
    });

    it('a wrong path prefix is an EndpointNotFoundError, not a missing model', async () => {
      const c = new OllamaClient({ host: server.url + '/wrong-prefix' });
      await assert.rejects(c.generate({ model: 'llama3.2', prompt: 'x' }), (e: unknown) => e instanceof EndpointNotFoundError && e.status === 404 && !(e instanceof ModelNotFoundError));
      await c.close();
    });

    it('a refused connection is a ConnectionError naming the URL', async () => {
      const dead = await OllamaTestServer.start();
      const url = dead.url;
      await dead.close();
      const c = new OllamaClient({ host: url });
      await assert.rejects(c.version(), (e: unknown) => e instanceof ConnectionError && e.code === 'ECONNREFUSED' && e.message.includes(url));
      await c.close();
    });

    it('a proxy\'s HTML 502 keeps the status and the start of the body', async () => {
      server.setFaults({ status: 502, body: '<html><body>Bad Gateway</body></html>', contentType: 'text/html' }, { times: 1 });
      await assert.rejects(client.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'x' }] }),
        (e: unknown) => e instanceof ResponseError && e.status === 502 && e.body.includes('Bad Gateway'));
    });

    it('503 busy carries the server message once the retries are used up', async () => {
      // Busy on every attempt (the retry itself is tested in "busy server"); fast retries here.
      const c = new OllamaClient({ host: server.url, busyRetry: { maxAttempts: 2, baseDelayMs: 1 } });
      server.setFaults({ status: 503, body: '{"error":"server busy, please try again.  maximum pending requests exceeded"}', contentType: 'application/json' });
      try {
        await assert.rejects(c.generate({ model: 'llama3.2', prompt: 'x', stream: true }),
          (e: unknown) => e instanceof ResponseError && e.status === 503 && /server busy/.test(e.error));
      } finally { await c.close(); }
    });

    it('400s from the server keep its message (raw with system)', async () => {
      await assert.rejects(client.generate({ model: 'llama3.2', prompt: 'x', raw: true, system: 's' }),
        (e: unknown) => e instanceof ResponseError && e.status === 400 && /raw mode does not support/.test(e.message));
    });
  });

  describe('faults', () => {
    const ask = async () => text(await client.chat({ model: 'llama3.2', messages: [{ role: 'user', content: '你好 world 🌍 ok' }], stream: true }));

    it('bytes split one at a time (inside UTF-8 characters) reassemble exactly', async () => {
      server.setFaults({ chunkSizes: [1] });
      const got = await ask();
      assert.ok(/[^\x00-\x7f]/.test(server.lastReplyText), 'reply should contain multi-byte characters');
      assert.strictEqual(got, server.lastReplyText);
    });

    it('odd chunk sizes (3/5/7) reassemble exactly', async () => {
      server.setFaults({ chunkSizes: [3, 5, 7] });
      assert.strictEqual(await ask(), server.lastReplyText);
    });

    it('CRLF line endings and blank lines are tolerated', async () => {
      server.setFaults({ crlf: true, blankLines: true });
      assert.strictEqual(await ask(), server.lastReplyText);
    });

    it('a 1 MiB line arrives whole', async () => {
      server.setFaults({ hugeLineBytes: 1 << 20 });
      const got = await ask();
      assert.ok(got.length >= (1 << 20) - 100);
      assert.strictEqual(got, server.lastReplyText);
    });

    it('an error line mid-stream is a StreamError marked midStream, after the partial answer', async () => {
      server.setFaults({ errorAfterLines: 2, errorMessage: 'runner crashed' });
      let partial = '';
      await assert.rejects(async () => {
        for await (const c of await client.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'a b c d e f' }], stream: true })) partial += c.message.content;
      }, (e: unknown) => e instanceof StreamError && e.midStream && e.error === 'runner crashed' && e.status === 200);
      assert.ok(partial.length > 0, 'partial answer kept');
    });

    it('a dropped connection is an IncompleteStreamError with dropped=true', async () => {
      server.setFaults({ dropAfterLines: 2 });
      await assert.rejects(ask(), (e: unknown) => e instanceof IncompleteStreamError && e.dropped && e.received === 2);
    });

    it('a stream that ends cleanly without done is an IncompleteStreamError with dropped=false', async () => {
      server.setFaults({ endWithoutDone: true });
      await assert.rejects(ask(), (e: unknown) => e instanceof IncompleteStreamError && !e.dropped);
    });

    it('a malformed line is a ProtocolError carrying the raw text', async () => {
      server.setFaults({ malformedLineAfter: 1 });
      await assert.rejects(ask(), (e: unknown) => e instanceof ProtocolError && e.raw.includes('garbage'));
    });

    it('a slow first token within the timeout is fine', async () => {
      server.setFaults({ firstTokenDelayMs: 300 });
      const t = Date.now();
      assert.strictEqual(await ask(), server.lastReplyText);
      assert.ok(Date.now() - t >= 280);
    });

    it('a first token slower than the headers timeout is a TimeoutError(headers)', async () => {
      const c = new OllamaClient({ host: server.url, headersTimeoutMs: 150 });
      server.setFaults({ firstTokenDelayMs: 1000 });
      await assert.rejects(c.generate({ model: 'llama3.2', prompt: 'x', stream: true }), (e: unknown) => e instanceof TimeoutError && e.phase === 'headers');
      await c.close();
    });

    it('a stream silent for longer than the idle timeout is a TimeoutError(idle)', async () => {
      const c = new OllamaClient({ host: server.url, idleTimeoutMs: 150 });
      server.setFaults({ tokenDelayMs: 600 });
      await assert.rejects(async () => { for await (const _ of await c.generate({ model: 'llama3.2', prompt: 'a b c', stream: true })) { /* consume */ } },
        (e: unknown) => e instanceof TimeoutError && e.phase === 'idle');
      await c.close();
    });
  });

  describe('abort', () => {
    it('an AbortSignal mid-stream rejects with AbortError and the server sees the close at once', async () => {
      server.setFaults({ tokenDelayMs: 50 });
      const ac = new AbortController();
      const it = await client.generate({ model: 'llama3.2', prompt: 'one two three four five six seven eight', stream: true }, { signal: ac.signal });
      const req = server.requests.at(-1)!;
      let n = 0;
      const t0 = performance.now();
      await assert.rejects(async () => { for await (const _ of it) { if (++n === 2) ac.abort(); } }, AbortError);
      const closedAt = await server.waitForClose(req, 2000);
      assert.ok(req.aborted);
      assert.ok(closedAt - t0 < 500, `server saw the close after ${closedAt - t0} ms`);
    });

    it('breaking out of for-await closes the connection', async () => {
      server.setFaults({ tokenDelayMs: 50 });
      const it = await client.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'a b c d e f g h' }], stream: true });
      const req = server.requests.at(-1)!;
      for await (const _ of it) break;
      await server.waitForClose(req, 2000);
      assert.strictEqual(req.aborted, true);
    });

    it('iterator.abort() closes the connection and ends the loop with AbortError', async () => {
      server.setFaults({ tokenDelayMs: 50 });
      const it = await client.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'a b c d e f g h' }], stream: true });
      const req = server.requests.at(-1)!;
      await assert.rejects(async () => { for await (const _ of it) it.abort(); }, AbortError);
      await server.waitForClose(req, 2000);
    });

    it('aborting while the model loads (before headers) closes the connection', async () => {
      server.setFaults({ firstTokenDelayMs: 5000 });
      const ac = new AbortController();
      const p = client.generate({ model: 'llama3.2', prompt: 'x', stream: true }, { signal: ac.signal });
      const req = await server.waitForRequest((r) => r.path === '/api/generate');
      ac.abort();
      await assert.rejects(p, AbortError);
      await server.waitForClose(req, 2000);
      assert.strictEqual(req.aborted, true);
    });

    it('client.abort() aborts every stream in flight', async () => {
      server.setFaults({ tokenDelayMs: 50 });
      const a = await client.generate({ model: 'llama3.2', prompt: 'a b c d e f', stream: true });
      const b = await client.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'a b c d e f' }], stream: true });
      client.abort();
      await assert.rejects(text(a), AbortError);
      await assert.rejects(text(b), AbortError);
    });

    it('an already-aborted signal sends nothing', async () => {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(client.version({ signal: ac.signal }), AbortError);
      assert.strictEqual(server.requests.length, 0);
    });

    it('abort after completion is a harmless no-op', async () => {
      const it = await client.generate({ model: 'llama3.2', prompt: 'x', stream: true });
      await text(it);
      it.abort();
    });

    it('every error is an OllamaError', () => {
      for (const E of [AbortError, ConnectionError, TimeoutError, StreamError, ResponseError, ProtocolError, IncompleteStreamError]) {
        assert.ok(E.prototype instanceof OllamaError);
      }
    });
  });

  describe('headers and hosts', () => {
    it('forwards configured headers (Authorization) on every call', async () => {
      const c = new OllamaClient({ host: server.url, headers: { Authorization: 'Bearer t0k', 'X-Extra': '1' } });
      await c.version();
      await text(await c.generate({ model: 'llama3.2', prompt: 'x', stream: true }));
      for (const r of server.requests) {
        assert.strictEqual(r.headers['authorization'], 'Bearer t0k');
        assert.strictEqual(r.headers['x-extra'], '1');
      }
      await c.close();
    });

    it('userinfo in the host becomes a Basic Authorization header, not part of the URL', async () => {
      const c = new OllamaClient({ host: server.url.replace('http://', 'http://bob:pw@') });
      await c.version();
      assert.strictEqual(server.requests.at(-1)!.headers['authorization'], 'Basic ' + Buffer.from('bob:pw').toString('base64'));
      await c.close();
    });

    it('a reverse-proxy path prefix and a required token work', async () => {
      const proxied = await OllamaTestServer.start({ basePath: '/ollama', requireHeaders: { authorization: 'Bearer s3cret' } });
      const ok = new OllamaClient({ host: proxied.url, headers: { Authorization: 'Bearer s3cret' } });
      assert.strictEqual((await ok.version()).version, '0.33.0');
      const noToken = new OllamaClient({ host: proxied.url });
      await assert.rejects(noToken.version(), (e: unknown) => e instanceof ResponseError && e.status === 401);
      await Promise.all([ok.close(), noToken.close(), proxied.close()]);
    });

    it('accepts a host without scheme, as OLLAMA_HOST does', async () => {
      const c = new OllamaClient({ host: `127.0.0.1:${server.port}` });
      assert.strictEqual(c.host, `http://127.0.0.1:${server.port}`);
      assert.strictEqual((await c.version()).version, '0.33.0');
      await c.close();
    });
  });
});

describe('client lifecycle and buffered objects', () => {
  let server: OllamaTestServer;
  before(async () => { server = await OllamaTestServer.start(); });
  after(async () => { await server.close(); });

  it('abort() stops objects already buffered from the same network chunk', async () => {
    const c = new OllamaClient({ host: server.url });
    // No delays: many lines arrive in one chunk.
    const it = await c.generate({ model: 'llama3.2', prompt: 'one two three four five six seven eight nine ten', stream: true });
    let after = 0;
    let aborted = false;
    await assert.rejects(async () => {
      for await (const _ of it) { if (aborted) after++; else { aborted = true; it.abort(); } }
    }, AbortError);
    assert.strictEqual(after, 0, 'objects delivered after abort()');
    await c.close();
  });

  it('a retired client lets a stream in flight finish and refuses new requests with AbortError (not "unreachable")', async () => {
    const c = new OllamaClient({ host: server.url });
    server.setFaults({ tokenDelayMs: 20 }, { times: 1 });
    const it = await c.generate({ model: 'llama3.2', prompt: 'a b c d e', stream: true });
    const retired = c.retire();
    let s = '';
    for await (const x of it) s += x.response;
    assert.strictEqual(s, server.lastReplyText);
    await retired;
    await assert.rejects(c.version(), (e: unknown) => e instanceof AbortError && !(e instanceof ConnectionError));
  });
});
