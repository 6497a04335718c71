// The byte-level HTTP transport the clients sit on: one request in, status + headers + a body
// stream out. The Node implementation uses undici 7 with its OWN Agent (keep-alive) or ProxyAgent,
// never the global dispatcher: the extension host is shared with other extensions.
import { Agent, ProxyAgent, request as undiciRequest, type Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';

export interface TransportRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
  /** Time allowed until the response headers arrive (0 = no limit). */
  headersTimeoutMs: number;
  /** Longest silence allowed between body chunks (0 = no limit). */
  idleTimeoutMs: number;
}

export interface TransportBody extends AsyncIterable<Uint8Array> {
  /** Close the body early: the connection is torn down so the server sees the close at once. */
  destroy(): void;
  text(limitBytes?: number): Promise<string>;
}

export interface TransportResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: TransportBody;
}

export interface Transport {
  request(req: TransportRequest): Promise<TransportResponse>;
  /** Release the pool; `graceful` lets requests in flight finish first. */
  close(opts?: { graceful?: boolean }): Promise<void>;
}

export interface UndiciTransportOptions {
  connectTimeoutMs?: number;
  /** Proxy URL for this endpoint (the caller decides whether the endpoint is proxied). */
  proxy?: string;
  /** Extra CA certificate(s), PEM, for self-signed servers. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Max idle keep-alive sockets per origin kept by the agent. */
  connections?: number;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout', 429: 'Too Many Requests', 499: 'Client Closed Request',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export class UndiciTransport implements Transport {
  private readonly dispatcher: Dispatcher;

  constructor(opts: UndiciTransportOptions = {}) {
    // Node's `ca` replaces the built-in roots: keep them, the setting ADDS a certificate.
    const ca = opts.ca ? [...rootCertificates, ...(Array.isArray(opts.ca) ? opts.ca : [opts.ca])] : undefined;
    const connect = { timeout: opts.connectTimeoutMs ?? 10_000, ...(ca ? { ca } : {}) };
    this.dispatcher = opts.proxy
      ? new ProxyAgent({ uri: opts.proxy, connect, requestTls: ca ? { ca } : undefined, proxyTls: ca ? { ca } : undefined })
      : new Agent({ connect, connections: opts.connections ?? 16, keepAliveTimeout: 4_000 });
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    const res = await undiciRequest(req.url, {
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body as Dispatcher.RequestOptions['body'],
      signal: req.signal,
      dispatcher: this.dispatcher,
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
    if (opts.graceful) await this.dispatcher.close();
    else await this.dispatcher.destroy();
  }
}
