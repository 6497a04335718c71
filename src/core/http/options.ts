// What every client of an HTTP endpoint is built from (Ollama's and the OpenAI-compatible one): the
// options a client takes (host in any OLLAMA_HOST form, headers, timeouts, proxy, CA, transport,
// busy retries), the options every call takes (signal, lane), and the HttpCore they make.
import { HttpCore, type BodyLimits, type BusyRetryInfo, type BusyRetryOptions } from './core';
import { parseHost } from './host';
import { proxyInfo } from './proxy';
import { Redactor } from './redact';
import { UndiciTransport, type Lane, type Transport } from './transport';

export interface ClientOptions {
  /** Any OLLAMA_HOST form; default http://127.0.0.1:11434. */
  host?: string;
  /** Extra headers on every request (e.g. Authorization for a reverse proxy). */
  headers?: Record<string, string>;
  /** TCP/TLS connect timeout (default 10 s). */
  connectTimeoutMs?: number;
  /** Time to first byte of generate/chat/pull/create/push: model loads can take minutes (default 10 min; 0 = none). */
  headersTimeoutMs?: number;
  /** Longest silence inside a stream (default 2 min; 0 = none). */
  idleTimeoutMs?: number;
  /** Limit for quick metadata calls: list, show, ps, version, copy, delete (default 30 s). */
  metadataTimeoutMs?: number;
  /** Longest accepted NDJSON line (default 64 MiB). */
  maxLineBytes?: number;
  /** Proxy URL for this endpoint (see core/http/proxy). */
  proxy?: string;
  /** Extra CA certificates (PEM) for self-signed servers. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Replace the HTTP transport (tests, benchmarks). */
  transport?: Transport;
  /** Retries while the server answers 503 busy / 429 (default 6 attempts, 0.5 s doubling to 8 s). */
  busyRetry?: Partial<BusyRetryOptions>;
  /** Told before every busy-retry wait, so the editor can say "server busy, retrying". */
  onBusyRetry?: (info: BusyRetryInfo) => void;
  /** Whole-body limits other than BODY_LIMITS (tests; see core/http/core.ts). */
  bodyLimits?: Partial<BodyLimits>;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Connection pool: `interactive` (default for chat, completion, metadata) or `batch`
   * (default for pull/push/create and blob uploads; translation jobs ask for it). */
  lane?: Lane;
}

/** The request core for `opts` (`defaultHost` when opts.host is unset; else OLLAMA_HOST's default,
 * http://127.0.0.1:11434). Userinfo in the host becomes a Basic Authorization header. Every
 * credential the client sends (the secret-bearing headers, the host's userinfo, the proxy URL's)
 * is known to its Redactor, which removes them from every error. Throws InvalidHostError for a host
 * that cannot be a URL. */
export function buildHttpCore(opts: ClientOptions, defaultHost?: string): HttpCore {
  const parsed = parseHost(opts.host ?? defaultHost);
  const headers: Record<string, string> = {};
  if (parsed.username !== undefined || parsed.password !== undefined) {
    headers['Authorization'] = 'Basic ' + Buffer.from(`${parsed.username ?? ''}:${parsed.password ?? ''}`).toString('base64');
  }
  Object.assign(headers, opts.headers ?? {});
  const proxy = opts.proxy ? proxyInfo(opts.proxy) : undefined;
  return new HttpCore({
    baseUrl: parsed.url,
    headers,
    redactor: Redactor.forRequest({ headers, userinfo: { username: parsed.username, password: parsed.password }, ...(opts.proxy ? { proxy: opts.proxy } : {}) }),
    ...(proxy ? { proxy } : {}),
    transport: opts.transport ?? new UndiciTransport({ connectTimeoutMs: opts.connectTimeoutMs, proxy: opts.proxy, ca: opts.ca }),
    headersTimeoutMs: opts.headersTimeoutMs ?? 600_000,
    idleTimeoutMs: opts.idleTimeoutMs ?? 120_000,
    metadataTimeoutMs: opts.metadataTimeoutMs ?? 30_000,
    maxLineBytes: opts.maxLineBytes ?? 64 * 1024 * 1024,
    ...(opts.busyRetry ? { busyRetry: opts.busyRetry } : {}),
    ...(opts.onBusyRetry ? { onBusyRetry: opts.onBusyRetry } : {}),
    ...(opts.bodyLimits ? { bodyLimits: opts.bodyLimits } : {}),
  });
}
