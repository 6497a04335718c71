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
    const u = new URL(req.url);
    const res = await this.lanes[req.lane ?? 'interactive'].request({
      origin: u.origin,
      path: u.pathname + u.search,
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body as Dispatcher.RequestOptions['body'],
      signal: req.signal,
      headersTimeout: req.headersTimeoutMs,
      bodyTimeout: req.idleTimeoutMs,
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
    }
    const stream = res.body as unknown as Readable;
    const body: TransportBody = {
      [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>,
      destroy: () => { if (!stream.destroyed) stream.destroy(); },
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

  async close(opts: { graceful?: boolean } = {}): Promise<void> {
    const all = Object.values(this.lanes);
    if (opts.graceful) await Promise.all(all.map((d) => d.close()));
    else await Promise.all(all.map((d) => d.destroy()));
  }
}

/** Builds the undici transport: two lanes, each an Agent (or ProxyAgent) with keep-alive. */
export function createUndiciTransport(opts: UndiciTransportOptions): Transport {
  return new Impl(opts);
}
