// The undici implementation of Transport, loaded lazily by ./transport (and bundled apart from the
// extension as dist/transport.js). Only the pieces used are imported, by their own modules: undici's
// main module installs its Agent as the process-wide global dispatcher
// (globalThis[Symbol.for('undici.globalDispatcher.1')]) when none is set, which in the shared
// extension host would put every other extension's `fetch` on our copy. Agent, ProxyAgent and the
// request API never touch that symbol.
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import type { Dispatcher } from 'undici';
import type { Lane, Transport, TransportBody, TransportRequest, TransportResponse, UndiciTransportOptions } from './transport';

/* eslint-disable @typescript-eslint/no-require-imports */
const Agent = require('undici/lib/dispatcher/agent') as typeof import('undici').Agent;
const ProxyAgent = require('undici/lib/dispatcher/proxy-agent') as typeof import('undici').ProxyAgent;
const DispatcherClass = require('undici/lib/dispatcher/dispatcher') as { prototype: Record<string, unknown> };
const api = require('undici/lib/api') as Record<string, unknown>;
/* eslint-enable @typescript-eslint/no-require-imports */
// undici's main module adds request/stream/pipeline/connect/upgrade to Dispatcher.prototype (its
// ProxyAgent needs `connect`); without that module, do the same here. This is our own copy's class
// (bundled into dist/transport.js), not anything another extension shares.
for (const [k, v] of Object.entries(api)) if (!(k in DispatcherClass.prototype)) DispatcherClass.prototype[k] = v;

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout', 429: 'Too Many Requests', 499: 'Client Closed Request',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

type Sink = Parameters<NonNullable<TransportBody['subscribe']>>[0];

/** undici 7's handler controller (Dispatcher.dispatch, new handler API). */
interface DispatchController { readonly aborted: boolean; abort(reason: unknown): void; pause(): void; resume(): void }
interface DispatchHandler {
  onRequestStart(c: DispatchController, context: unknown): void;
  onResponseStart(c: DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void;
  onResponseData(c: DispatchController, chunk: Buffer): void;
  onResponseEnd(c: DispatchController, trailers: unknown): void;
  onResponseError(c: DispatchController, err: Error): void;
}

/** An async iterator over a subscribable body (for callers that iterate instead of subscribing). */
function iterate(body: TransportBody): AsyncIterator<Uint8Array> {
  const queue: Uint8Array[] = [];
  let end = false;
  let error: unknown;
  let wake: (() => void) | undefined;
  const flow = body.subscribe!({
    data: (c) => { queue.push(c); wake?.(); },
    end: () => { end = true; wake?.(); },
    error: (e) => { error = e; wake?.(); },
  });
  return {
    async next(): Promise<IteratorResult<Uint8Array>> {
      for (;;) {
        if (queue.length) return { done: false, value: queue.shift()! };
        if (error !== undefined) throw error;
        if (end) return { done: true, value: undefined };
        await new Promise<void>((r) => { wake = r; });
        wake = undefined;
      }
    },
    async return(): Promise<IteratorResult<Uint8Array>> { flow.detach(); body.destroy(); return { done: true, value: undefined }; },
  };
}

class Impl implements Transport {
  private readonly lanes: Record<Lane, Dispatcher>;

  constructor(opts: UndiciTransportOptions) {
    // Node's `ca` replaces the built-in roots: keep them, the setting ADDS a certificate.
    const ca = opts.ca ? [...rootCertificates, ...(Array.isArray(opts.ca) ? opts.ca : [opts.ca])] : undefined;
    const connect = { timeout: opts.connectTimeoutMs ?? 10_000, ...(ca ? { ca } : {}) };
    // connections undefined = no per-origin limit: parallelism is bounded by the callers.
    const make = (): Dispatcher => opts.proxy
      ? new ProxyAgent({ uri: opts.proxy, connect, connections: opts.connections, requestTls: ca ? { ca } : undefined, proxyTls: ca ? { ca } : undefined } as ConstructorParameters<typeof ProxyAgent>[0])
      : new Agent({ connect, connections: opts.connections, keepAliveTimeout: 4_000 });
    this.lanes = { interactive: make(), batch: make() };
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    if (req.streaming) return this.stream(req);
    const u = new URL(req.url);
    const res = await this.lanes[req.lane ?? 'interactive'].request({
      origin: u.origin,
      path: u.pathname + u.search,
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body as Dispatcher.RequestOptions['body'],
      signal: req.signal,
      headersTimeout: req.headersTimeoutMs,
      // Streams have their own idle timer (core/http/core.ts StreamReader); undici's would be
      // refreshed on every chunk for nothing. Whole-body reads keep undici's.
      bodyTimeout: req.streaming ? 0 : req.idleTimeoutMs,
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
    }
    const stream = res.body as unknown as Readable;
    const body: TransportBody = {
      [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>,
      destroy: () => { if (!stream.destroyed) stream.destroy(); },
      subscribe: (sink) => {
        let target: typeof sink | undefined = sink;
        let drained: (() => void) | undefined;
        const onData = (c: Buffer) => target?.data(c);
        const onEnd = () => { target?.end(); finish(); };
        const onError = (e: unknown) => { target?.error(e); finish(); };
        // A body destroyed before its end (abort, idle timeout, our own destroy) emits 'close' only.
        const onClose = () => { target?.error(Object.assign(new Error('body closed'), { code: 'UND_ERR_ABORTED' })); finish(); };
        const finish = () => {
          target = undefined;
          stream.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
          drained?.();
          drained = undefined;
        };
        stream.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
        return {
          pause: () => { stream.pause(); },
          resume: () => { stream.resume(); },
          detach: () => { target = undefined; },
          drain: (done) => {
            target = undefined;
            if (stream.readableEnded || stream.destroyed) { done(); return; }
            drained = done;
            stream.resume();
          },
        };
      },
      text: async (limit = 1 << 20) => {
        const parts: Buffer[] = [];
        let n = 0;
        for await (const c of stream) {
          const b = c as Buffer;
          parts.push(b.subarray(0, limit - n));
          n += b.length;
          // Enough for a message: stop reading (a proxy may stream an endless error page).
          if (n >= limit) { stream.destroy(); break; }
        }
        return Buffer.concat(parts).toString('utf8');
      },
    };
    return { status: res.statusCode, statusText: STATUS_TEXT[res.statusCode] ?? '', headers, body };
  }

  /**
   * A streamed reply through undici's handler API (Dispatcher.dispatch), without a Readable per
   * response: the parser's chunks go straight to the subscriber (TransportBody.subscribe), with
   * pause/resume on the connection for backpressure. Resolves at the status line and headers.
   */
  private stream(req: TransportRequest): Promise<TransportResponse> {
    const u = new URL(req.url);
    return new Promise<TransportResponse>((resolve, reject) => {
      let controller: DispatchController | undefined;
      let settled = false;
      let sink: Sink | undefined;
      let buffered: Buffer[] = [];
      let ended = false;
      let failure: unknown;
      let closed = false;
      let drained: (() => void) | undefined;
      const abortWith = (reason: unknown) => { if (controller && !controller.aborted) controller.abort(reason); };
      const onSignal = () => abortWith(Object.assign(new Error('Request aborted'), { name: 'AbortError', code: 'UND_ERR_ABORTED' }));
      if (req.signal?.aborted) { reject(Object.assign(new Error('Request aborted'), { name: 'AbortError', code: 'UND_ERR_ABORTED' })); return; }
      req.signal?.addEventListener('abort', onSignal, { once: true });
      const done = () => {
        req.signal?.removeEventListener('abort', onSignal);
        const d = drained;
        drained = undefined;
        d?.();
      };
      const body: TransportBody = {
        [Symbol.asyncIterator]: () => iterate(body),
        // The subscriber (if still attached) hears of it through onResponseError.
        destroy: () => {
          if (closed || ended || failure !== undefined) return;
          closed = true;
          buffered = [];
          abortWith(Object.assign(new Error('body destroyed'), { code: 'UND_ERR_ABORTED' }));
        },
        text: (limit = 1 << 20) => new Promise<string>((res, rej) => {
          const parts: Buffer[] = [];
          let n = 0;
          body.subscribe!({
            data: (c) => {
              if (n >= limit) return;
              parts.push(Buffer.from(c.buffer, c.byteOffset, Math.min(c.length, limit - n)));
              n += c.length;
              if (n >= limit) { body.destroy(); res(Buffer.concat(parts).toString('utf8')); }
            },
            end: () => res(Buffer.concat(parts).toString('utf8')),
            error: (e) => (n >= limit ? res(Buffer.concat(parts).toString('utf8')) : rej(e)),
          });
        }),
        subscribe: (s) => {
          sink = s;
          const early = buffered;
          buffered = [];
          for (const c of early) s.data(c);
          if (failure !== undefined) s.error(failure);
          else if (ended) s.end();
          return {
            pause: () => controller?.pause(),
            resume: () => controller?.resume(),
            detach: () => { sink = undefined; },
            drain: (d) => {
              sink = undefined;
              if (ended || failure !== undefined || closed) { d(); return; }
              drained = d;
              controller?.resume();
            },
          };
        },
      };
      const handler: DispatchHandler = {
        onRequestStart: (c) => {
          controller = c;
          if (req.signal?.aborted) onSignal();
        },
        onResponseStart: (_c, statusCode, headers) => {
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(headers)) if (v !== undefined) h[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
          settled = true;
          resolve({ status: statusCode, statusText: STATUS_TEXT[statusCode] ?? '', headers: h, body });
        },
        onResponseData: (_c, chunk) => {
          if (sink) sink.data(chunk);
          else if (!closed && !drained) buffered.push(chunk);
        },
        onResponseEnd: () => {
          ended = true;
          const s = sink;
          sink = undefined;
          s?.end();
          done();
        },
        onResponseError: (_c, err) => {
          failure = err;
          done();
          if (!settled) { settled = true; reject(err); return; }
          const s = sink;
          sink = undefined;
          s?.error(err);
        },
      };
      try {
        this.lanes[req.lane ?? 'interactive'].dispatch({
          origin: u.origin,
          path: u.pathname + u.search,
          method: req.method as Dispatcher.HttpMethod,
          headers: req.headers,
          body: req.body as Dispatcher.DispatchOptions['body'],
          headersTimeout: req.headersTimeoutMs,
          // The reader has its own idle timer (core/http/core.ts StreamReader).
          bodyTimeout: 0,
        }, handler as unknown as Dispatcher.DispatchHandler);
      } catch (e) {
        done();
        reject(e);
      }
    });
  }

  async close(opts: { graceful?: boolean } = {}): Promise<void> {
    const all = Object.values(this.lanes);
    if (opts.graceful) await Promise.all(all.map((d) => d.close()));
    else await Promise.all(all.map((d) => d.destroy()));
  }
}

/** True when `x` is a dispatcher of THIS copy of undici (ours): the process-wide dispatcher (globalThis[Symbol.for('undici.globalDispatcher.1')]) must never be (the load test checks it). */
export function isOwnDispatcher(x: unknown): boolean {
  return typeof x === 'object' && x !== null && x instanceof (DispatcherClass as unknown as new () => object);
}

/** Builds the undici transport: two lanes, each an Agent (or ProxyAgent) with keep-alive. */
export function createUndiciTransport(opts: UndiciTransportOptions): Transport {
  return new Impl(opts);
}
