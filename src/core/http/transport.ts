// The byte-level HTTP transport the clients sit on: one request in, status + headers + a body
// stream out. The Node implementation (./undiciTransport) uses undici 7 with its OWN dispatchers,
// never the global one: the extension host is shared with other extensions.
//
// Loading undici costs more than the whole rest of the extension, so it is loaded on the first
// request, not when a client is built: `UndiciTransport` here is a thin shell that `require`s the
// implementation lazily. The extension bundle maps that require to a separate file
// (dist/transport.js, see esbuild.js), so activating the extension never loads undici.

/** Which pool a request uses. `interactive` (chat, inline completion, metadata) and `batch`
 * (translation jobs, pull/push/create, blob uploads) have separate connection pools, so batch work
 * can never hold the connections interactive work needs. */
export type Lane = 'interactive' | 'batch';

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
  /** Connection pool to use (default `interactive`). */
  lane?: Lane;
  /** The body will be read as a stream by a reader with its own idle timer. */
  streaming?: boolean;
}

export interface TransportBody extends AsyncIterable<Uint8Array> {
  /** Close the body early: the connection is torn down so the server sees the close at once. */
  destroy(): void;
  text(limitBytes?: number): Promise<string>;
  /** Push mode (optional; streams use it when present): chunks go to `sink` as they arrive, with
   * pause/resume for backpressure - cheaper per chunk than an async iterator. */
  subscribe?(sink: { data(chunk: Uint8Array): void; end(): void; error(e: unknown): void }): {
    pause(): void; resume(): void; detach(): void; drain(done: () => void): void;
  };
}

export interface TransportResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: TransportBody;
}

export interface Transport {
  request(req: TransportRequest): Promise<TransportResponse>;
  /** Release the pools; `graceful` lets requests in flight finish first. */
  close(opts?: { graceful?: boolean }): Promise<void>;
}

export interface UndiciTransportOptions {
  connectTimeoutMs?: number;
  /** Proxy URL for this endpoint (the caller decides whether the endpoint is proxied). */
  proxy?: string;
  /** Extra CA certificate(s), PEM, for self-signed servers. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Most connections per origin in ONE lane (default: no limit - the callers bound their own
   * parallelism, e.g. translation.parallelRequests; a pool cap below that would queue silently). */
  connections?: number;
}

/** What ./undiciTransport exports (kept structural so this file imports nothing from it). */
interface TransportModule {
  createUndiciTransport(opts: UndiciTransportOptions): Transport;
}

let loaded: TransportModule | undefined;

/** Loads the undici implementation (once). Exposed for tests and the load-time benchmark. */
export function loadTransportModule(): TransportModule {
  // A plain require with a literal path: esbuild rewrites it to the separate bundle ./transport.js.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('./undiciTransport') as TransportModule);
}

/** True once the undici implementation has been loaded in this process. */
export function isTransportLoaded(): boolean { return loaded !== undefined; }

/**
 * The real HTTP transport (undici). Construction is free: undici is loaded and the connection pools
 * are created on the first request. Two lanes (see Lane), each with its own pool per origin.
 */
export class UndiciTransport implements Transport {
  private impl: Transport | undefined;
  private closed = false;

  constructor(private readonly opts: UndiciTransportOptions = {}) {}

  request(req: TransportRequest): Promise<TransportResponse> {
    if (this.closed) return Promise.reject(Object.assign(new Error('transport closed'), { code: 'UND_ERR_DESTROYED' }));
    this.impl ??= loadTransportModule().createUndiciTransport(this.opts);
    return this.impl.request(req);
  }

  async close(opts: { graceful?: boolean } = {}): Promise<void> {
    this.closed = true;
    await this.impl?.close(opts);
  }
}
