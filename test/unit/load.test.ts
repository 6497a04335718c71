// Under load (issue 11): lanes (batch work never holds the connections interactive work needs, and
// no cap below what callers ask for), a busy server (503/429 retried with bounded, cancellable
// backoff and announced), non-streamed answers that do not hit the first-byte timeout, options
// checked before sending, and undici loaded without touching the process-wide dispatcher.
import * as assert from 'assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { retryAfterMs, type BusyRetryInfo } from '../../src/core/http/core';
import type { Transport, TransportRequest, TransportResponse } from '../../src/core/http/transport';
import { normalizeOptions, OllamaClient } from '../../src/core/ollama/client';
import { AbortError, InvalidRequestError, ServerBusyError, TimeoutError } from '../../src/core/http/errors';
import { OllamaTestServer } from '../support/ollamaServer';

const BUSY = '{"error":"server busy, please try again.  maximum pending requests exceeded"}';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('under load', function () {
  this.timeout(20000);
  let server: OllamaTestServer;
  before(async () => { server = await OllamaTestServer.start(); });
  after(async () => { await server.close(); });
  beforeEach(() => server.reset());

  describe('lanes', () => {
    it('32 held batch requests all reach the server at once, and a completion issued during them reaches it at once too', async () => {
      const gate = deferred();
      server.setFaults({ holdUntil: gate.promise }, { path: '/api/chat' });
      const c = new OllamaClient({ host: server.url });
      try {
        const batch = Array.from({ length: 32 }, (_, i) =>
          c.chat({ model: 'llama3.2', messages: [{ role: 'user', content: `chunk ${i}` }] }, { lane: 'batch' }));
        const chats = () => server.requests.filter((r) => r.path === '/api/chat').length;
        await server.waitForRequest(() => chats() === 32, 10000);
        // The interactive completion: answered while all 32 are still held by the server.
        const r = await c.generate({ model: 'qwen2.5-coder:1.5b', prompt: 'def add(a, b):', stream: false });
        assert.strictEqual(r.done, true);
        const held = server.requests.filter((q) => q.path === '/api/chat');
        assert.strictEqual(held.length, 32);
        assert.ok(held.every((q) => q.endedAt === undefined && q.firstByteAt === undefined), 'the batch requests were still held');
        gate.resolve();
        const answers = await Promise.all(batch);
        assert.ok(answers.every((a) => a.done));
      } finally {
        gate.resolve();
        await c.close();
      }
    });

    it('pull/push/create and blob uploads use the batch lane, everything else the interactive one; CallOptions.lane overrides', async () => {
      const seen: Array<[string, string]> = [];
      const inner = new OllamaClient({ host: server.url });
      const real = (inner as unknown as { http: { opts: { transport: Transport } } }).http.opts.transport;
      const recording: Transport = {
        request: (req: TransportRequest): Promise<TransportResponse> => { seen.push([new URL(req.url).pathname, req.lane ?? 'interactive']); return real.request(req); },
        close: (o) => real.close(o),
      };
      const c = new OllamaClient({ host: server.url, transport: recording });
      try {
        await c.version();
        await c.generate({ model: 'llama3.2', prompt: 'hi' });
        await c.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] }, { lane: 'batch' });
        await c.pull({ model: 'tinyllama' });
        await c.uploadBlob('sha256:' + 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', new Uint8Array(0));
        await c.create({ model: 'x-copy', from: 'llama3.2' });
        assert.deepStrictEqual(seen.map(([p, l]) => `${p} ${l}`), [
          '/api/version interactive', '/api/generate interactive', '/api/chat batch', '/api/pull batch',
          '/api/blobs/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 batch', '/api/create batch',
        ]);
      } finally { await c.close(); await inner.close(); }
    });
  });

  describe('busy server', () => {
    it('503 "server busy" twice, then an answer: retried with backoff, each wait announced', async () => {
      server.setFaults({ status: 503, body: BUSY, contentType: 'application/json' }, { path: '/api/chat', times: 2 });
      const infos: BusyRetryInfo[] = [];
      const c = new OllamaClient({ host: server.url, busyRetry: { baseDelayMs: 20, maxDelayMs: 100 }, onBusyRetry: (i) => infos.push(i) });
      try {
        const r = await c.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] });
        assert.strictEqual(r.message.content, server.lastReplyText);
        assert.strictEqual(server.requests.filter((q) => q.path === '/api/chat').length, 3);
        assert.deepStrictEqual(infos.map((i) => [i.status, i.attempt, i.maxAttempts, i.message]), [
          [503, 1, 6, 'server busy, please try again.  maximum pending requests exceeded'],
          [503, 2, 6, 'server busy, please try again.  maximum pending requests exceeded'],
        ]);
        assert.ok(infos[0]!.delayMs >= 15 && infos[0]!.delayMs <= 25 && infos[1]!.delayMs >= 30 && infos[1]!.delayMs <= 50, infos.map((i) => i.delayMs).join());
      } finally { await c.close(); }
    });

    it('429 with Retry-After: the server\'s wait is used (capped by maxDelayMs)', async () => {
      server.setFaults({ status: 429, body: '{"error":{"message":"rate limited"}}', contentType: 'application/json', headers: { 'Retry-After': '0' } }, { path: '/api/tags', times: 1 });
      const infos: BusyRetryInfo[] = [];
      const c = new OllamaClient({ host: server.url, busyRetry: { baseDelayMs: 5000 }, onBusyRetry: (i) => infos.push(i) });
      try {
        assert.ok((await c.list()).models.length > 0);
        assert.deepStrictEqual(infos.map((i) => [i.status, i.delayMs, i.message]), [[429, 0, 'rate limited']]);
      } finally { await c.close(); }
    });

    it('bounded: after maxAttempts it is a ServerBusyError (a ResponseError) with the server message', async () => {
      server.setFaults({ status: 503, body: BUSY, contentType: 'application/json' });
      const c = new OllamaClient({ host: server.url, busyRetry: { maxAttempts: 3, baseDelayMs: 1 } });
      try {
        await assert.rejects(c.generate({ model: 'llama3.2', prompt: 'x', stream: true }),
          (e: unknown) => e instanceof ServerBusyError && e.attempts === 3 && e.status === 503 && /maximum pending requests/.test(e.error));
        assert.strictEqual(server.requests.length, 3);
      } finally { await c.close(); }
    });

    it('cancellable: aborting during a wait ends at once with AbortError and sends nothing more', async () => {
      server.setFaults({ status: 503, body: BUSY, contentType: 'application/json' });
      const ac = new AbortController();
      const c = new OllamaClient({ host: server.url, busyRetry: { baseDelayMs: 60_000, maxDelayMs: 60_000 }, onBusyRetry: () => ac.abort() });
      try {
        const t0 = performance.now();
        await assert.rejects(c.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'x' }] }, { signal: ac.signal }), AbortError);
        assert.ok(performance.now() - t0 < 5000);
        assert.strictEqual(server.requests.length, 1);
      } finally { await c.close(); }
    });

    it('a streamed upload body cannot be sent twice: not retried', async () => {
      server.setFaults({ status: 503, body: BUSY, contentType: 'application/json' }, { path: '/api/blobs' });
      const c = new OllamaClient({ host: server.url, busyRetry: { baseDelayMs: 1 } });
      try {
        async function* body() { yield new Uint8Array([1, 2, 3]); }
        await assert.rejects(c.uploadBlob('sha256:' + '0'.repeat(64), body()), (e: unknown) => e instanceof ServerBusyError && e.attempts === 1);
      } finally { await c.close(); }
    });

    it('Retry-After in seconds and as an HTTP date', () => {
      assert.strictEqual(retryAfterMs('2'), 2000);
      assert.strictEqual(retryAfterMs('0.5'), 500);
      assert.strictEqual(retryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1)), 10_000);
      assert.strictEqual(retryAfterMs('soon'), undefined);
      assert.strictEqual(retryAfterMs(undefined), undefined);
    });
  });

  describe('a slow answer without streaming', () => {
    it('stream:false generate and chat outlast the first-byte timeout while tokens keep coming', async () => {
      // 12+ tokens x 60 ms ≈ 0.8 s of generating; the first-byte limit is 300 ms.
      server.setFaults({ tokenDelayMs: 60 }, { path: '/api/' });
      const c = new OllamaClient({ host: server.url, headersTimeoutMs: 300, idleTimeoutMs: 2000 });
      try {
        const prompt = 'one two three four five six seven eight nine ten eleven twelve';
        const g = await c.generate({ model: 'llama3.2', prompt });
        assert.strictEqual(g.response, server.lastReplyText);
        const ch = await c.chat({ model: 'llama3.2', messages: [{ role: 'user', content: prompt }] });
        assert.strictEqual(ch.message.content, server.lastReplyText);
        const gen = server.requests.find((q) => q.path === '/api/generate')!;
        assert.ok(gen.endedAt! - gen.startedAt > 300, `the answer took ${(gen.endedAt! - gen.startedAt).toFixed(0)} ms`);
      } finally { await c.close(); }
    });

    it('the first-byte timeout still applies before the first token', async () => {
      // undici runs its headers timeout on its coarse "fast timers" (about 1 s resolution): a 200 ms
      // timeout can fire 1 s or more later, so the server's delay is far longer than that.
      server.setFaults({ firstTokenDelayMs: 5000 }, { path: '/api/generate' });
      const c = new OllamaClient({ host: server.url, headersTimeoutMs: 200 });
      try {
        await assert.rejects(c.generate({ model: 'llama3.2', prompt: 'x' }), (e: unknown) => e instanceof TimeoutError && e.phase === 'headers');
      } finally { await c.close(); }
    });
  });

  describe('options are normalised and checked before sending', () => {
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      ['numeric strings', { temperature: '0.7', num_ctx: '2048', top_k: ' 40 ', seed: '-1', top_p: '.9', num_predict: '1e3' }, { temperature: 0.7, num_ctx: 2048, top_k: 40, seed: -1, top_p: 0.9, num_predict: 1000 }],
      ['booleans as text', { use_mmap: 'false' }, { use_mmap: false }],
      ['a bare stop string', { stop: '\n\n' }, { stop: ['\n\n'] }],
      ['null values dropped', { temperature: null, num_ctx: 4096 }, { num_ctx: 4096 }],
      ['unknown keys passed through', { mirostat: 2, num_ctx: 1024 }, { mirostat: 2, num_ctx: 1024 }],
      ['numbers kept', { temperature: 0, num_predict: -2, repeat_penalty: 1.1 }, { temperature: 0, num_predict: -2, repeat_penalty: 1.1 }],
    ];
    for (const [name, input, wire] of cases) {
      it(`${name}: ${JSON.stringify(input)} -> ${JSON.stringify(wire)}`, () => assert.deepStrictEqual(normalizeOptions(input), wire));
    }

    const bad: Array<[Record<string, unknown>, string]> = [
      [{ num_ctx: 'lots' }, 'num_ctx'], [{ stop: 5 }, 'stop'], [{ stop: ['a', 1] }, 'stop'], [{ temperature: NaN }, 'temperature'],
      [{ top_p: Infinity }, 'top_p'], [{ seed: true }, 'seed'], [{ use_mmap: 'maybe' }, 'use_mmap'], [{ num_predict: { n: 1 } }, 'num_predict'],
      [{ top_k: [40] }, 'top_k'], [{ temperature: '' }, 'temperature'], [{ num_ctx: '0x10' }, 'num_ctx'],
    ];
    for (const [input, key] of bad) {
      it(`${JSON.stringify(input, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))} is an InvalidRequestError naming "${key}"`, () => {
        assert.throws(() => normalizeOptions(input), (e: unknown) => e instanceof InvalidRequestError && e.message.includes(`"${key}"`));
      });
    }

    it('every call that takes options checks them, and sends nothing when they are impossible', async () => {
      const c = new OllamaClient({ host: server.url });
      try {
        const options = { num_ctx: 'lots' } as unknown as Record<string, number>;
        const calls: Array<[string, () => Promise<unknown>]> = [
          ['generate', () => c.generate({ model: 'llama3.2', prompt: 'x', options })],
          ['chat', () => c.chat({ model: 'llama3.2', messages: [], options })],
          ['embed', () => c.embed({ model: 'all-minilm', input: 'x', options })],
          ['embeddings', () => c.embeddings({ model: 'all-minilm', prompt: 'x', options })],
          ['show', () => c.show({ model: 'llama3.2', options })],
        ];
        for (const [name, call] of calls) {
          await assert.rejects(call(), (e: unknown) => e instanceof InvalidRequestError && e.message.startsWith(`${name}: option "num_ctx"`), name);
        }
        assert.strictEqual(server.requests.length, 0);
        await c.embed({ model: 'all-minilm', input: 'x', options: { num_ctx: '512' } as unknown as Record<string, number> });
        await c.embeddings({ model: 'all-minilm', prompt: 'x', options: { temperature: '0.5' } as unknown as Record<string, number> });
        assert.deepStrictEqual(server.requests.map((q) => (q.body as { options: unknown }).options), [{ num_ctx: 512 }, { temperature: 0.5 }]);
      } finally { await c.close(); }
    });
  });

  describe('undici without the process-wide dispatcher', () => {
    it('the transport, loaded and used in a fresh Node, never sets globalThis[Symbol.for("undici.globalDispatcher.1")]', function () {
      this.timeout(30000);
      const root = path.resolve(__dirname, '../../..');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oa-transport-'));
      try {
        // Build dist-like transport.js exactly as esbuild.js does, then load it in a clean process.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { transportBuild } = require(path.join(root, 'esbuild.js')) as { transportBuild: (o: object) => object };
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const esbuild = require('esbuild') as { buildSync(o: object): void };
        esbuild.buildSync({ ...transportBuild({}), outfile: path.join(dir, 'transport.js'), absWorkingDir: root, logLevel: 'silent' });
        const script = `
          const http = require('node:http');
          const k1 = Symbol.for('undici.globalDispatcher.1'), k2 = Symbol.for('undici.globalDispatcher.2');
          const seen = [];
          const look = (when) => seen.push(when + ':' + (globalThis[k1] === undefined) + ':' + (globalThis[k2] === undefined));
          const srv = http.createServer((q, s) => s.end('{"version":"x"}')).listen(0, '127.0.0.1', async () => {
            look('before');
            const { createUndiciTransport } = require(${JSON.stringify(path.join(dir, 'transport.js'))});
            look('loaded');
            const t = createUndiciTransport({});
            const r = await t.request({ method: 'GET', url: 'http://127.0.0.1:' + srv.address().port + '/api/version', headers: {}, headersTimeoutMs: 5000, idleTimeoutMs: 5000, lane: 'batch' });
            const text = await r.body.text();
            look('requested');
            await t.close();
            srv.close();
            console.log(JSON.stringify({ seen, status: r.status, text }));
          });`;
        const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim()) as { seen: string[]; status: number; text: string };
        assert.strictEqual(out.status, 200);
        assert.strictEqual(out.text, '{"version":"x"}');
        assert.deepStrictEqual(out.seen, ['before:true:true', 'loaded:true:true', 'requested:true:true']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('requiring undici\'s main module WOULD set it (so the check above can fail)', () => {
      const out = execFileSync(process.execPath, ['-e', `require('undici'); console.log(globalThis[Symbol.for('undici.globalDispatcher.1')] !== undefined)`], { encoding: 'utf8', cwd: path.resolve(__dirname, '../../..') }).trim();
      assert.strictEqual(out, 'true');
    });
  });
});
