// Issue 19 (items 2, 3, 6 and the create bug) against real sockets: a server or proxy that echoes
// the request's credentials into its errors (every path: native and OpenAI, before and inside a
// stream, 401/403/407, HTML pages, non-JSON replies, every SSE error dialect); whole-body replies
// that never end or say they are huge; a proxy answering 407 (a ProxyError naming the proxy, not a
// cancel); a create whose base model the server pulls first (its `success` mid-stream).
import * as assert from 'assert';
import * as http from 'node:http';
import * as net from 'node:net';
import * as util from 'node:util';
import { isCancel } from '../../src/core/common/cancel';
import { classifyError } from '../../src/core/http/classify';
import {
  IncompleteStreamError, ModelNotFoundError, OllamaError, ProtocolError, ProxyError, ResponseError, ResponseTooLargeError, ServerBusyError, StreamError,
} from '../../src/core/http/errors';
import { assembleHeaders } from '../../src/core/http/headers';
import { REDACTED } from '../../src/core/http/redact';
import { OllamaBackend, OpenAIBackend, type StreamChunk } from '../../src/core/llm/backend';
import { OllamaClient } from '../../src/core/ollama/client';
import type { ProgressResponse } from '../../src/core/ollama/types';
import { OpenAICompatClient } from '../../src/core/openai/client';
import { OllamaTestServer, SSE_ERROR_DIALECTS } from '../support/ollamaServer';

const TOKEN = 'tok-3xAmple/Secret+Value';
const API_KEY = 'key-0123456789abcdef';
const COOKIE = 'sid=c00kie-v4lue';
const USER = 'bob';
const PASS = 'pa55:w/rd';
const BASIC = Buffer.from(`${USER}:${PASS}`).toString('base64');
/** Every credential in the form it is sent, and the distinctive pieces that must not survive. */
const NEVER = [TOKEN, API_KEY, 'c00kie-v4lue', PASS, BASIC, encodeURIComponent(TOKEN), encodeURIComponent(PASS), '3xAmple', 'pa55'];

/** Everything an error could print: message, stack, fields, causes (util.inspect shows them). */
function everything(e: unknown): string {
  return util.inspect(e, { depth: 20, showHidden: true }) + String((e as Error | undefined)?.stack);
}

/** `e` came from the echoing server (its words are there, with *** where a credential was) and
 * carries none of the credentials. */
function assertRedacted(e: unknown, what: string): void {
  assert.ok(e instanceof OllamaError, `${what}: expected an OllamaError, got ${String(e)}`);
  const all = everything(e);
  for (const s of NEVER) assert.ok(!all.includes(s), `${what}: "${s}" leaked:\n${all}`);
  assert.ok(all.includes(REDACTED), `${what}: the echo did not reach the error (nothing redacted):\n${all}`);
}

async function rejection(p: Promise<unknown> | (() => Promise<unknown>)): Promise<unknown> {
  try { await (typeof p === 'function' ? p() : p); } catch (e) { return e; }
  throw new Error('expected a rejection');
}

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function chatText(it: AsyncIterable<StreamChunk>): Promise<string> {
  let s = '';
  for await (const c of it) s += c.text;
  return s;
}

describe('credentials a server echoes never reach an error', function () {
  this.timeout(20000);
  let server: OllamaTestServer;
  /** The token, a custom API key and a cookie, as the extension assembles them. */
  const tokenHeaders = () => assembleHeaders({ 'X-Api-Key': API_KEY, Cookie: COOKIE }, TOKEN).headers;
  /** Basic userinfo in the endpoint (no token). */
  const basicHost = () => server.url.replace('http://', `http://${USER}:${encodeURIComponent(PASS)}@`);

  before(async () => { server = await OllamaTestServer.start(); });
  after(async () => { await server.close(); });
  beforeEach(() => server.reset());
  /** Only this plan from now on (fault plans otherwise add up). */
  const fault = (...a: Parameters<OllamaTestServer['setFaults']>) => { server.clearFaults(); server.setFaults(...a); };

  const clients = () => [
    { name: 'token + X-Api-Key + Cookie', c: new OllamaClient({ host: server.url, headers: tokenHeaders(), busyRetry: { maxAttempts: 1 } }) },
    { name: 'Basic userinfo', c: new OllamaClient({ host: basicHost(), headers: { 'X-Api-Key': API_KEY }, busyRetry: { maxAttempts: 1 } }) },
  ];

  it('native, before a stream: a missing model (404), a pull error in-band, a chat error in-band after part of the answer', async () => {
    for (const { name, c } of clients()) {
      try {
        fault({ echoHeaders: true });
        const e1 = await rejection(c.show({ model: 'nope' }));
        assert.ok(e1 instanceof ModelNotFoundError, String(e1));
        assertRedacted(e1, `${name}: show 404`);

        fault({ echoHeaders: true });
        const e2 = await rejection(async () => drain(await c.pull({ model: 'not-pullable', stream: true })));
        assert.ok(e2 instanceof StreamError && e2.midStream, String(e2));
        assertRedacted(e2, `${name}: pull in-band error`);

        fault({ echoHeaders: true, errorAfterLines: 2 });
        let text = '';
        const e3 = await rejection(async () => {
          for await (const p of await c.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'one two three four' }], stream: true })) text += p.message.content;
        });
        assert.ok(e3 instanceof StreamError && e3.midStream, String(e3));
        assert.ok(text.length > 0);
        assertRedacted(e3, `${name}: chat in-band error`);
        // The request did carry the credentials (so the echo had something to leak).
        const sent = JSON.stringify(server.requests.map((r) => r.headers));
        assert.ok(sent.includes(API_KEY));
      } finally { await c.close(); }
    }
  });

  it('401, 403, 500 and 503 bodies: JSON (Go-escaped), an HTML error page, plain text; a 407 from a reverse proxy', async () => {
    const cases: Array<{ status: number; body: string; contentType?: string; check: (e: unknown) => boolean }> = [
      { status: 401, body: '{"error":"unauthorized: {{headers.json}}"}', check: (e) => e instanceof ResponseError && e.status === 401 },
      { status: 403, body: '<html><body><h1>403 Forbidden</h1><pre>{{headers.html}}</pre></body></html>', contentType: 'text/html', check: (e) => e instanceof ResponseError && e.status === 403 },
      { status: 500, body: 'upstream said no to {{headers}}', contentType: 'text/plain', check: (e) => e instanceof ResponseError && e.status === 500 },
      { status: 503, body: '{"error":"busy; your request: {{headers.json}}"}', check: (e) => e instanceof ServerBusyError },
      { status: 407, body: '<html>Proxy Authentication Required for {{headers.html}}</html>', contentType: 'text/html', check: (e) => e instanceof ProxyError && e.status === 407 },
    ];
    for (const { name, c } of clients()) {
      try {
        for (const k of cases) {
          fault({ status: k.status, body: k.body, ...(k.contentType ? { contentType: k.contentType } : {}) });
          const e = await rejection(c.list());
          assert.ok(k.check(e), `${name} ${k.status}: ${String(e)}`);
          if (k.status === 407) {
            // The proxy's page is not repeated at all: the message says what to do instead.
            const all = everything(e);
            for (const s of NEVER) assert.ok(!all.includes(s), `${name} 407: ${s} leaked`);
            assert.match((e as ProxyError).message, /requires authentication \(HTTP 407/);
          } else assertRedacted(e, `${name}: ${k.status}`);
        }
      } finally { await c.close(); }
    }
  });

  it('a 200 reply that is not JSON and quotes the request: the ProtocolError and its raw text are redacted', async () => {
    for (const { name, c } of clients()) {
      try {
        fault({ status: 200, body: 'debug: {{headers}}', contentType: 'text/plain' });
        const e = await rejection(c.list());
        assert.ok(e instanceof ProtocolError, String(e));
        assertRedacted(e, `${name}: non-JSON 200`);
      } finally { await c.close(); }
    }
  });

  it('OpenAI-compatible: /v1/models 401 in OpenAI shape, a missing model before the stream, and an in-band error in every SSE dialect', async () => {
    const c = new OpenAICompatClient({ host: server.url, headers: tokenHeaders() });
    const b = new OpenAIBackend({ host: basicHost(), headers: { 'X-Api-Key': API_KEY } });
    try {
      fault({ status: 401, body: '{"error":{"message":"Incorrect API key provided: {{headers.json}}","type":"invalid_request_error","code":"invalid_api_key"}}' });
      const e1 = await rejection(c.models());
      assert.ok(e1 instanceof ResponseError && e1.status === 401, String(e1));
      assertRedacted(e1, 'openai /v1/models 401');

      fault({ echoHeaders: true });
      const e2 = await rejection(async () => chatText(await b.chat({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })));
      assertRedacted(e2, 'openai missing model');

      for (const dialect of SSE_ERROR_DIALECTS.filter((d) => d !== 'ollama')) {
        for (const backend of [b, new OpenAIBackend({ host: server.url, headers: tokenHeaders() })]) {
          fault({ echoHeaders: true, errorAfterLines: 2, sseErrorDialect: dialect }, { path: '/v1/' });
          const e = await rejection(async () => chatText(await backend.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'one two three four' }] })));
          assert.ok(e instanceof StreamError && e.midStream, `${dialect}: ${String(e)}`);
          assertRedacted(e, `openai stream, ${dialect}`);
          if (backend !== b) await backend.close();
        }
      }
    } finally { await Promise.all([c.close(), b.close()]); }
  });

  it('the native backend the features use (chat, model list) carries the same guarantee', async () => {
    const b = new OllamaBackend({ host: server.url, headers: tokenHeaders() });
    try {
      fault({ echoHeaders: true, errorAfterLines: 1 });
      assertRedacted(await rejection(async () => chatText(await b.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'a b c' }] }))), 'backend chat');
      fault({ status: 401, body: '{"error":"token {{headers.json}} expired"}' });
      assertRedacted(await rejection(b.listModels()), 'backend listModels');
    } finally { await b.close(); }
  });

  it('a transport error that prints the proxy URL (invalid) does not carry its password', async () => {
    const c = new OllamaClient({ host: 'http://ollama.example:11434', proxy: 'http://bob:pr0xy-Secret@[::1', connectTimeoutMs: 2000 });
    try {
      const e = await rejection(c.version());
      assert.ok(e instanceof OllamaError, String(e));
      assert.ok(!everything(e).includes('pr0xy-Secret'), everything(e));
    } finally { await c.close(); }
  });
});

/** A forward proxy that refuses every CONNECT with `status`, its body quoting the request head (as
 * some proxies' error pages do). Records the Proxy-Authorization it got. */
async function refusingProxy(status: number): Promise<{ url: string; auth: Array<string | undefined>; close: () => Promise<void> }> {
  const auth: Array<string | undefined> = [];
  const reason = status === 407 ? 'Proxy Authentication Required' : 'Forbidden';
  const srv = net.createServer((sock) => {
    sock.once('data', (head) => {
      const text = head.toString('latin1');
      auth.push(/^proxy-authorization:\s*(.*)$/im.exec(text)?.[1]?.trim());
      const body = `<html><body>${reason}<pre>${text}</pre></body></html>`;
      sock.end(`HTTP/1.1 ${status} ${reason}\r\n${status === 407 ? 'Proxy-Authenticate: Basic realm="corp"\r\n' : ''}Content-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, auth, close: () => new Promise((r) => srv.close(() => r())) };
}

describe('a proxy answering 407 (or refusing the tunnel) is reported as what it is, not as a cancel', function () {
  this.timeout(20000);

  it('407 without credentials, with credentials (refused), for http and https endpoints, metadata and streamed calls', async () => {
    const proxy = await refusingProxy(407);
    try {
      for (const creds of [false, true]) {
        const proxyUrl = creds ? proxy.url.replace('http://', 'http://carol:Pr0xyPa55@') : proxy.url;
        for (const host of ['http://ollama.internal:11434', 'https://ollama.internal']) {
          const c = new OllamaClient({ host, proxy: proxyUrl, headers: { Authorization: `Bearer ${TOKEN}` } });
          try {
            for (const call of [() => c.version(), async () => drain(await c.chat({ model: 'llama3.2', messages: [], stream: true }))]) {
              const e = await rejection(call);
              assert.ok(e instanceof ProxyError, `${host}: expected ProxyError, got ${String(e)}`);
              assert.strictEqual(e.status, 407);
              assert.strictEqual(e.proxy, new URL(proxy.url).host);
              assert.strictEqual(e.credentialsSent, creds);
              assert.ok(!isCancel(e), 'a 407 is not a cancel');
              assert.strictEqual(classifyError(e), 'unreachable');
              assert.match(e.message, /The proxy 127\.0\.0\.1:\d+ requires authentication \(HTTP 407 Proxy Authentication Required\)/);
              const all = everything(e);
              for (const s of ['Pr0xyPa55', Buffer.from('carol:Pr0xyPa55').toString('base64'), TOKEN]) assert.ok(!all.includes(s), `${s} leaked: ${all}`);
            }
          } finally { await c.close(); }
        }
      }
      // The credentials were offered to the proxy (as Proxy-Authorization), and only when given.
      assert.ok(proxy.auth.includes(`Basic ${Buffer.from('carol:Pr0xyPa55').toString('base64')}`));
      assert.ok(proxy.auth.includes(undefined));
    } finally { await proxy.close(); }
  });

  it('a proxy refusing the tunnel with 403 is a ProxyError with that status', async () => {
    const proxy = await refusingProxy(403);
    const c = new OllamaClient({ host: 'http://ollama.internal:11434', proxy: proxy.url });
    try {
      const e = await rejection(c.list());
      assert.ok(e instanceof ProxyError && e.status === 403, String(e));
      assert.match(e.message, /refused the request \(HTTP 403\)/);
      assert.ok(!isCancel(e));
    } finally { await c.close(); await proxy.close(); }
  });
});

/** A server whose replies never end (or claim to be huge), recording what it wrote. */
async function floodServer(): Promise<{ url: string; written: Map<string, number>; closed: Set<string>; close: () => Promise<void> }> {
  const written = new Map<string, number>();
  const closed = new Set<string>();
  const chunk = Buffer.alloc(256 * 1024, 0x20);
  const srv = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    req.resume();
    res.on('close', () => { if (!res.writableFinished) closed.add(path); });
    const flood = (head: string) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(head);
      written.set(path, head.length);
      const pump = () => {
        while (!res.destroyed) {
          written.set(path, (written.get(path) ?? 0) + chunk.length);
          if (!res.write(chunk)) { res.once('drain', pump); return; }
        }
      };
      pump();
    };
    if (path === '/api/show') {
      // Says at once that it is far too large.
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(200 << 20) });
      res.write('{"license":"');
      written.set(path, 12);
      return;
    }
    if (path === '/api/generate') {
      // A non-streamed generate whose stream never sends done: tokens forever.
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      const line = Buffer.from(JSON.stringify({ model: 'm', created_at: '2025-01-01T00:00:00Z', response: 'x'.repeat(8000), done: false }) + '\n');
      const pump = () => {
        while (!res.destroyed) {
          written.set(path, (written.get(path) ?? 0) + line.length);
          if (!res.write(line)) { res.once('drain', pump); return; }
        }
      };
      pump();
      return;
    }
    flood(path === '/v1/models' ? '{"object":"list","data":[' : '{"models":[');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`, written, closed,
    close: () => new Promise((r) => { srv.closeAllConnections(); srv.close(() => r()); }),
  };
}

describe('whole-body replies are bounded', function () {
  this.timeout(30000);

  it('endless /api/version, /api/tags and /v1/models, a /api/show that says it is 200 MiB: ResponseTooLargeError, connection closed, memory bounded', async () => {
    const s = await floodServer();
    const c = new OllamaClient({ host: s.url });
    const o = new OpenAICompatClient({ host: s.url });
    try {
      const cases: Array<[string, () => Promise<unknown>, number]> = [
        ['/api/version', () => c.version(), 1 << 20],
        ['/api/tags', () => c.list(), 32 << 20],
        ['/v1/models', () => o.models(), 32 << 20],
        ['/api/show', () => c.show({ model: 'llama3.2', verbose: true }), 64 << 20],
      ];
      for (const [path, call, limit] of cases) {
        const e = await rejection(call);
        assert.ok(e instanceof ResponseTooLargeError, `${path}: ${String(e)}`);
        assert.strictEqual(e.limitBytes, limit, path);
        assert.match(e.message, new RegExp(`larger than ${limit >> 20} MiB`));
        // The server saw the connection close; it never wrote much more than the limit (socket
        // buffers hold a few MiB at most).
        const deadline = Date.now() + 5000;
        while (!s.closed.has(path) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        assert.ok(s.closed.has(path), `${path}: the connection was not closed`);
        assert.ok((s.written.get(path) ?? 0) < limit + (8 << 20), `${path}: ${s.written.get(path)} bytes written`);
      }
    } finally { await Promise.all([c.close(), o.close()]); await s.close(); }
  });

  it('a non-streamed generate whose server never sends done stops at the `large` limit', async () => {
    const s = await floodServer();
    const c = new OllamaClient({ host: s.url, bodyLimits: { large: 2 << 20 } });
    try {
      const e = await rejection(c.generate({ model: 'm', prompt: 'p', stream: false }));
      assert.ok(e instanceof ResponseTooLargeError && e.limitBytes === 2 << 20, String(e));
      const deadline = Date.now() + 5000;
      while (!s.closed.has('/api/generate') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok(s.closed.has('/api/generate'));
    } finally { await c.close(); await s.close(); }
  });

  it('real sizes pass: a 3.6 MB model list (12,000 models) and a 12 MB verbose show (262k-token vocabulary with scores, types and 150k merges) are read', async () => {
    const models = Array.from({ length: 12000 }, (_, i) => ({ name: `m${i}:latest`, model: `m${i}:latest`, size: i, digest: 'd'.repeat(64), details: { family: 'llama', families: ['llama'], parameter_size: '7B', quantization_level: 'Q4_K_M', format: 'gguf', parent_model: '' }, modified_at: '2025-01-01T00:00:00Z' }));
    const tokens = Array.from({ length: 262144 }, (_, i) => `tok${i}▁x`);
    const show = { details: { family: 'gemma3' }, model_info: { 'tokenizer.ggml.tokens': tokens, 'tokenizer.ggml.scores': tokens.map((_, i) => -i / 7), 'tokenizer.ggml.token_type': tokens.map(() => 1), 'tokenizer.ggml.merges': tokens.slice(0, 150000).map((t, i) => `${t} m${i}`) } };
    const tagsBody = JSON.stringify({ models });
    const showBody = JSON.stringify(show);
    assert.ok(tagsBody.length > 3e6 && Buffer.byteLength(showBody) > 10e6, `${tagsBody.length} / ${showBody.length}`);
    const srv = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(req.url === '/api/tags' ? tagsBody : showBody);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const c = new OllamaClient({ host: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}` });
    try {
      assert.strictEqual((await c.list()).models.length, 12000);
      const r = await c.show({ model: 'gemma3', verbose: true });
      assert.strictEqual((r.model_info?.['tokenizer.ggml.tokens'] as unknown[]).length, 262144);
    } finally { await c.close(); srv.closeAllConnections(); await new Promise((r) => srv.close(r)); }
  });
});

describe('create: a base model pulled first sends its own success mid-stream (server/create.go)', function () {
  this.timeout(20000);
  let server: OllamaTestServer;
  let client: OllamaClient;
  before(async () => { server = await OllamaTestServer.start(); });
  after(async () => { await server.close(); });
  beforeEach(() => { server.reset(); client = new OllamaClient({ host: server.url }); });
  afterEach(async () => { await client.close(); });

  const fromUnpulled = { model: 'my-tiny', from: 'tinyllama', system: 'Be brief.' };

  it('the stream goes on past the pull\'s success to the create\'s own; the model exists and the request finished normally', async () => {
    assert.ok(!server.models().some((m) => m.name.startsWith('tinyllama')), 'the base is not installed');
    const lines = await drain(await client.create({ ...fromUnpulled, stream: true }));
    const statuses = lines.map((l: ProgressResponse) => l.status);
    const successes = statuses.flatMap((s, i) => (s === 'success' ? [i] : []));
    assert.strictEqual(successes.length, 2, statuses.join(' | '));
    assert.strictEqual(successes[1], statuses.length - 1, 'the last line is the create\'s success');
    assert.ok(statuses.slice(successes[0]! + 1).some((s) => /layer|writing manifest/.test(s ?? '')), 'the create went on after the pull');
    const req = server.requests.find((r) => r.path === '/api/create')!;
    assert.ok(req.endedAt !== undefined && !req.aborted, 'the client read the stream to its end (it did not hang up after the pull)');
    assert.ok(server.models().some((m) => m.name === 'my-tiny:latest'), 'the model was created');
  });

  it('non-streamed: resolves with the final success after the model exists', async () => {
    const r = await client.create({ ...fromUnpulled, stream: false });
    assert.strictEqual(r.status, 'success');
    assert.ok(server.models().some((m) => m.name === 'my-tiny:latest'));
  });

  it('a stream that breaks right after the pull\'s success, or ends without the create\'s own, is incomplete', async () => {
    const clean = await drain(await client.create({ ...fromUnpulled, model: 'probe', stream: true }));
    const first = clean.findIndex((l) => l.status === 'success');
    server.reset();
    server.setFaults({ dropAfterLines: first + 1 }, { path: '/api/create' });
    const e1 = await rejection(async () => drain(await client.create({ ...fromUnpulled, stream: true })));
    assert.ok(e1 instanceof IncompleteStreamError && e1.dropped, String(e1));
    server.reset();
    server.setFaults({ endWithoutDone: true }, { path: '/api/create' });
    const e2 = await rejection(client.create({ ...fromUnpulled, stream: false }));
    assert.ok(e2 instanceof IncompleteStreamError && !e2.dropped, String(e2));
  });

  it('a pull still ends at its success', async () => {
    const lines = await drain(await client.pull({ model: 'smollm2:135m', stream: true }));
    assert.strictEqual(lines[lines.length - 1]!.status, 'success');
    assert.strictEqual(lines.filter((l) => l.status === 'success').length, 1);
  });
});
