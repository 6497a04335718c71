// Request plumbing shared by the Ollama and OpenAI-compatible clients: URL joining, headers,
// per-request AbortControllers (caller signal + client.abort()), bounded retries while the server is
// busy (503 / 429), mapping transport failures and non-2xx responses onto the error hierarchy, and
// handing a streamed body to the reader (stream.ts) that turns it into wire objects.
import {
  AbortError, ConnectionError, EndpointNotFoundError, IncompleteStreamError, ModelNotFoundError, OllamaError,
  ProtocolError, ProxyError, ResponseError, ResponseTooLargeError, ServerBusyError, TimeoutError,
} from './errors';
import { Redactor } from './redact';
import { LineTooLongError } from '../stream/lines';
import { MalformedLineError } from '../stream/ndjson';
import { AbortableAsyncIterator, inBandError, StreamReader, type ChunkDecoder } from './stream';
import type { Lane, Transport, TransportResponse } from './transport';

/** Retries while the server says it is busy: Ollama's 503 "server busy, please try again.  maximum
 * pending requests exceeded" (OLLAMA_MAX_QUEUE full), llama.cpp's 503 "Loading model", any 429. */
export interface BusyRetryOptions {
  /** Attempts in all, the first included (default 6; 1 = never retry). */
  maxAttempts: number;
  /** First wait; doubled after every attempt (default 500 ms). */
  baseDelayMs: number;
  /** Longest single wait, also the cap on a server's Retry-After (default 8 s). */
  maxDelayMs: number;
}

/** What a busy-retry hook is told before each wait. */
export interface BusyRetryInfo {
  url: string;
  status: number;
  /** The server's message (e.g. "server busy, please try again.  maximum pending requests exceeded"). */
  message: string;
  /** The attempt that just failed (1-based) and how many are allowed. */
  attempt: number;
  maxAttempts: number;
  /** How long the client waits before the next attempt. */
  delayMs: number;
  lane: Lane;
}

/** The most bytes a whole-body reply may have, by what the request asks for. Each is far above what
 * real servers send, so reaching one means a broken or hostile server (ResponseTooLargeError);
 * streamed replies are bounded per line instead (maxLineBytes) and by their consumers. */
export const BODY_LIMITS = {
  /** `/api/version`, `/api/copy`, `/api/delete`, `GET /`, a blob upload's reply: a few bytes. */
  small: 1 << 20,
  /** `/api/tags`, `/api/ps`, `/v1/models`: about 0.5-2 KB per model; the largest public lists
   * (gateways with several hundred models and their descriptions) are 1-2 MB. */
  list: 32 << 20,
  /** `/api/show`: verbose, it carries the whole tokenizer (a 262k-token vocabulary with scores and
   * types, or 128k tokens with 280k merges: about 5-10 MB) and the tensor list. */
  show: 64 << 20,
  /** Embeddings and non-streamed answers: 1,000 inputs x 4,096 dimensions is about 80 MB of JSON
   * numbers. */
  large: 256 << 20,
};

/** The whole-body limits of one client (bytes; see BODY_LIMITS). */
export type BodyLimits = { readonly [K in keyof typeof BODY_LIMITS]: number };

/** The proxy a client's requests go through, as messages may name it. */
export interface ProxyInfo {
  /** host:port, never the credentials. */
  host: string;
  /** The proxy URL carries a user name and password (sent as Proxy-Authorization). */
  credentials: boolean;
}

export interface HttpCoreOptions {
  baseUrl: string;
  headers: Record<string, string>;
  /** Removes the credentials this client sends from every error it throws (see ./redact); default:
   * built from `headers` (URL userinfo is always scrubbed). */
  redactor?: Redactor;
  /** The proxy requests go through, if any (for the message of a proxy's refusal). */
  proxy?: ProxyInfo;
  /** Whole-body limits other than BODY_LIMITS (tests). */
  bodyLimits?: Partial<BodyLimits>;
  transport: Transport;
  /** Until the first byte of a generating/long call (model load, queue): default 10 min. */
  headersTimeoutMs: number;
  /** Silence allowed inside a stream: default 2 min. */
  idleTimeoutMs: number;
  /** Whole-reply limit for quick metadata calls (tags, show, version, ps, copy, delete): default 30 s. */
  metadataTimeoutMs: number;
  maxLineBytes: number;
  busyRetry?: Partial<BusyRetryOptions>;
  /** Called before every busy-retry wait (the editor shows "server busy, retrying"). */
  onBusyRetry?: (info: BusyRetryInfo) => void;
}

export interface SendOptions {
  body?: string | Uint8Array | AsyncIterable<Uint8Array>;
  json?: unknown;
  signal?: AbortSignal;
  /** `metadata`: short timeouts; `long`: generous first-byte timeout (generation, pulls, uploads). */
  kind: 'metadata' | 'long';
  accept?: string;
  contentType?: string;
  /** For error classification: a 404 with a JSON body on a model endpoint means this model is missing. */
  model?: string;
  /** Overrides the client's idle limit for this call (0 = none): pulls and creates go silent while the
   * server verifies or converts gigabytes, with no progress line for minutes. */
  idleTimeoutMs?: number;
  /** Connection pool (default `interactive`). */
  lane?: Lane;
  /** json(): the most bytes the reply may have (default: the client's `list` limit for `metadata`,
   * its `large` limit for `long`; see BODY_LIMITS). */
  maxBodyBytes?: number;
}

export interface OpenResponse {
  res: TransportResponse;
  url: string;
  signal: AbortSignal;
  /** The silence this response may keep inside its body. */
  idleTimeoutMs: number;
  /** Must be called once the response is finished with (unregisters the AbortController). */
  release(): void;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'EPROTO',
]);

function errCode(e: unknown): string | undefined {
  const any = e as { code?: unknown; cause?: { code?: unknown; errors?: Array<{ code?: unknown }> } } | null;
  if (!any || typeof any !== 'object') return undefined;
  if (typeof any.code === 'string' && any.code !== 'UND_ERR_CONNECT' ) return any.code;
  if (any.cause && typeof any.cause.code === 'string') return any.cause.code;
  const agg = any.cause?.errors?.find((x) => typeof x.code === 'string');
  return (agg?.code as string | undefined) ?? (typeof any.code === 'string' ? any.code : undefined);
}

const DEFAULT_BUSY: BusyRetryOptions = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 8000 };

/** Statuses that mean "busy, try again later": 503 (Ollama's full queue, llama.cpp loading a model,
 * a proxy's upstream at capacity) and 429 (rate limits: LiteLLM, vLLM behind a gateway). */
export function isBusyStatus(status: number): boolean { return status === 503 || status === 429; }

/** Retry-After (seconds, or an HTTP date) in ms, or undefined. RFC 9110 §10.2.3. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Waits `ms`; rejects at once with AbortError when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) { reject(new AbortError(`Request to ${url} was aborted.`, { url })); return; }
    const onAbort = () => { clearTimeout(t); reject(new AbortError(`Request to ${url} was aborted.`, { url })); };
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class HttpCore {
  private readonly inflight = new Set<AbortController>();
  private closed = false;
  private readonly busy: BusyRetryOptions;
  /** Scrubs credentials out of every error this core throws. */
  readonly redactor: Redactor;
  /** The most bytes a whole-body reply may have, by kind of request. */
  readonly limits: BodyLimits;

  constructor(readonly opts: HttpCoreOptions) {
    this.busy = { ...DEFAULT_BUSY, ...opts.busyRetry };
    this.redactor = opts.redactor ?? Redactor.forRequest({ headers: opts.headers });
    this.limits = { ...BODY_LIMITS, ...opts.bodyLimits };
  }

  /** `e` with every credential this client sends removed (in place; see Redactor.redactError). The
   * one gate every error of open(), json() and stream() passes. */
  guard<E>(e: E): E { return this.redactor.redactError(e); }

  get baseUrl(): string { return this.opts.baseUrl; }

  /** Abort every request in flight on this client. */
  abortAll(): void {
    for (const c of [...this.inflight]) c.abort();
    this.inflight.clear();
  }

  /** Abort everything in flight and release the connection pool. */
  async close(): Promise<void> {
    this.closed = true;
    this.abortAll();
    await this.opts.transport.close();
  }

  /** Refuse new requests but let the ones in flight finish (a client replaced after a settings
   * change must not cut a running pull, upload or answer). */
  async retire(): Promise<void> {
    this.closed = true;
    await this.opts.transport.close({ graceful: true });
  }

  /**
   * Sends a request and resolves once a 2xx status and headers arrived. While the server answers
   * 503/429 the request is repeated after a growing wait (BusyRetryOptions; the server's
   * Retry-After is honoured up to maxDelayMs) when its body can be sent again (not a streamed
   * upload); every wait is announced through `onBusyRetry` and ends at once on abort. Throws the
   * error hierarchy: ServerBusyError when the server stayed busy, ResponseError & subclasses for
   * other non-2xx replies, ConnectionError, TimeoutError, AbortError.
   */
  async open(method: string, path: string, o: SendOptions): Promise<OpenResponse> {
    try {
      return await this.openUnguarded(method, path, o);
    } catch (e) {
      throw this.guard(e);
    }
  }

  private async openUnguarded(method: string, path: string, o: SendOptions): Promise<OpenResponse> {
    const url = this.opts.baseUrl + path;
    if (o.signal?.aborted) throw new AbortError(`Request to ${url} was aborted before it was sent.`, { url });
    if (this.closed) throw new AbortError(`The client for ${this.opts.baseUrl} was replaced (settings changed); try again.`, { url });
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    this.inflight.add(controller);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      o.signal?.removeEventListener('abort', onAbort);
      this.inflight.delete(controller);
    };

    const headers: Record<string, string> = {
      'Accept': o.accept ?? 'application/json',
      'User-Agent': 'ollama-assistant',
      ...this.opts.headers,
    };
    let body = o.body;
    if (o.json !== undefined) {
      body = JSON.stringify(o.json);
      headers['Content-Type'] = 'application/json';
    } else if (o.contentType) headers['Content-Type'] = o.contentType;
    const replayable = body === undefined || typeof body === 'string' || body instanceof Uint8Array;
    const lane: Lane = o.lane ?? 'interactive';
    const streaming = o.accept === 'application/x-ndjson' || o.accept === 'text/event-stream';

    const headersTimeoutMs = o.kind === 'metadata' ? this.opts.metadataTimeoutMs : this.opts.headersTimeoutMs;
    const idleTimeoutMs = o.idleTimeoutMs ?? (o.kind === 'metadata' ? this.opts.metadataTimeoutMs : this.opts.idleTimeoutMs);
    for (let attempt = 1; ; attempt++) {
      let res: TransportResponse;
      try {
        res = await this.opts.transport.request({ method, url, headers, body, signal: controller.signal, headersTimeoutMs, idleTimeoutMs, lane, streaming });
      } catch (e) {
        release();
        throw this.mapError(e, url, controller.signal, { headersTimeoutMs, idleTimeoutMs });
      }
      if (res.status >= 200 && res.status <= 299) return { res, url, signal: controller.signal, idleTimeoutMs, release };
      let text = '';
      try { text = await res.body.text(64 * 1024); } catch { /* body lost: the status is what we have */ }
      // The server's words go into messages, logs and the chat history: no credential of ours may
      // come back in them (a server or proxy echoing the request's headers).
      const err = responseError(res, this.redactor.redact(text), url, o.model, this.opts.proxy);
      if (!isBusyStatus(res.status) || !replayable || attempt >= this.busy.maxAttempts || this.closed) {
        release();
        throw isBusyStatus(res.status) && err instanceof ResponseError && !(err instanceof ServerBusyError)
          ? new ServerBusyError(err.message, { status: err.status, url, error: err.error, body: err.body, attempts: attempt })
          : err;
      }
      const backoff = Math.min(this.busy.maxDelayMs, this.busy.baseDelayMs * 2 ** (attempt - 1));
      const after = retryAfterMs(res.headers['retry-after']);
      const delayMs = Math.round(after !== undefined ? Math.min(this.busy.maxDelayMs, Math.max(after, 0)) : backoff * (0.75 + Math.random() * 0.5));
      const message = err instanceof ResponseError ? err.error : err.message;
      try { this.opts.onBusyRetry?.({ url, status: res.status, message, attempt, maxAttempts: this.busy.maxAttempts, delayMs, lane }); } catch { /* a hook never breaks a request */ }
      try {
        await sleep(delayMs, controller.signal, url);
      } catch (e) {
        release();
        throw e;
      }
    }
  }

  /**
   * A request whose JSON reply (or empty reply) is wanted whole, read up to `o.maxBodyBytes`
   * (BODY_LIMITS). Throws what open() throws, ResponseTooLargeError for a longer reply (said by
   * its Content-Length, or found while reading; the connection is closed), ProtocolError for a
   * reply that is not JSON.
   */
  async json<T>(method: string, path: string, o: SendOptions): Promise<T | undefined> {
    const { res, url, signal, release } = await this.open(method, path, o);
    const limit = o.maxBodyBytes ?? (o.kind === 'metadata' ? this.limits.list : this.limits.large);
    try {
      const text = await readWhole(res, limit, url);
      if (text.trim() === '') return undefined;
      try {
        return JSON.parse(text) as T;
      } catch (cause) {
        throw new ProtocolError(`The server at ${url} did not answer with JSON (HTTP ${res.status}): ${text.slice(0, 200)}`, { status: res.status, url, raw: text.slice(0, 200), cause });
      }
    } catch (e) {
      throw this.guard(this.mapError(e, url, signal, { headersTimeoutMs: 0, idleTimeoutMs: this.opts.metadataTimeoutMs }));
    } finally {
      release();
    }
  }

  /**
   * Turns an open streamed response into wire objects. `decoder` turns network chunks into objects
   * (one decode per chunk); `isComplete` recognises the final object. `completion`: `first` (the
   * stream is over at the first object isComplete accepts: `done: true`), or `last` (such an object
   * may come more than once, and the stream is complete when it ENDS after one: a create whose base
   * model is pulled first sends the pull's own `success` mid-stream). An in-band error object
   * (see inBandError) throws StreamError (`midStream` when objects came before it); EOF before the
   * final object throws IncompleteStreamError; bytes that break the framing throw ProtocolError.
   * Every error has the client's credentials removed (guard).
   * The iterator is hand-written rather than a chain of async generators: objects a chunk produced
   * are handed out from an array, and the network is only awaited when that array is empty.
   */
  stream<T>(
    open: OpenResponse,
    decoder: ChunkDecoder,
    isComplete: (obj: T) => boolean,
    extractError: (obj: unknown) => string | undefined = inBandError,
    completion: 'first' | 'last' = 'first',
  ): AbortableAsyncIterator<T> {
    const controller = new AbortController();
    const reader = new StreamReader<T>(this, open, controller, decoder, isComplete, extractError, completion);
    return new AbortableAsyncIterator<T>(controller, reader);
  }

  mapStreamError(e: unknown, url: string, status: number, received: number, idleTimeoutMs = this.opts.idleTimeoutMs): OllamaError {
    if (e instanceof OllamaError) return e;
    if (e instanceof MalformedLineError) {
      const what = e.kind === 'not-object' ? 'a line that is JSON but not an object' : 'a line that is not JSON';
      return new ProtocolError(`The server at ${url} sent ${what}: ${e.raw.slice(0, 200)}`, { status, url, raw: e.raw.slice(0, 200), cause: e });
    }
    if (e instanceof LineTooLongError) {
      return new ProtocolError(`The server at ${url} sent a line longer than ${e.limit} bytes.`, { status, url, raw: e.head, cause: e });
    }
    const code = errCode(e);
    if (code === 'UND_ERR_BODY_TIMEOUT') {
      return new TimeoutError(`The stream from ${url} went silent for ${idleTimeoutMs / 1000} s.`, { url, phase: 'idle', timeoutMs: idleTimeoutMs, cause: e });
    }
    return new IncompleteStreamError(
      `The connection to ${url} was lost mid-stream after ${received} objects${code ? ` (${code})` : ''}.`,
      { status, url, dropped: true, received, cause: e },
    );
  }

  mapError(e: unknown, url: string, signal: AbortSignal, t: { headersTimeoutMs: number; idleTimeoutMs: number }): OllamaError {
    if (e instanceof OllamaError) return e;
    if (signal.aborted) return new AbortError(`Request to ${url} was aborted.`, { url, cause: e });
    // undici reports a proxy's refusal of the CONNECT tunnel as an abort ("Proxy response (407) !==
    // 200 when HTTP Tunneling", RequestAbortedError, UND_ERR_ABORTED; lib/dispatcher/proxy-agent.js)
    // and a 407 without a tunnel as "Proxy Authentication Required (407)": neither was a cancel.
    const proxyStatus = proxyRefusal(e);
    if (proxyStatus !== undefined) return proxyError(proxyStatus, url, this.opts.proxy, e);
    const code = errCode(e);
    const name = (e as { name?: string } | null)?.name;
    if (code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR' || name === 'AbortError') {
      return new AbortError(`Request to ${url} was aborted.`, { url, cause: e });
    }
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new TimeoutError(`Connecting to ${url} timed out.`, { url, phase: 'connect', timeoutMs: 0, cause: e });
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      return new TimeoutError(`No answer from ${url} within ${t.headersTimeoutMs / 1000} s (the model may still be loading).`, { url, phase: 'headers', timeoutMs: t.headersTimeoutMs, cause: e });
    }
    if (code === 'UND_ERR_BODY_TIMEOUT') {
      return new TimeoutError(`The reply from ${url} went silent for ${t.idleTimeoutMs / 1000} s.`, { url, phase: 'idle', timeoutMs: t.idleTimeoutMs, cause: e });
    }
    if (code === 'UND_ERR_DESTROYED' || (code === 'UND_ERR_CLOSED' && this.closed)) {
      return new AbortError(`The client for ${this.opts.baseUrl} was replaced (settings changed); try again.`, { url, cause: e });
    }
    if (code && (NETWORK_CODES.has(code) || code.includes('CERT') || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))) {
      const why = code === 'ECONNREFUSED' ? 'connection refused - is Ollama running there?' : code;
      return new ConnectionError(`Cannot reach ${this.opts.baseUrl} (${why}).`, { url, code, cause: e });
    }
    const msg = e instanceof Error ? e.message : String(e);
    // Not a network failure (an invalid header value, a bug): say what happened, not "unreachable".
    return new OllamaError(`Request to ${url} failed: ${msg}${code ? ` (${code})` : ''}`, { url, cause: e });
  }
}

/** The status a proxy refused a request with, when `e` is undici's report of that (see mapError). */
function proxyRefusal(e: unknown): number | undefined {
  const msg = (e as { message?: unknown } | null)?.message;
  if (typeof msg !== 'string') return undefined;
  const m = /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling/.exec(msg) ?? /^Proxy Authentication Required \((407)\)/.exec(msg);
  return m ? Number(m[1]) : undefined;
}

/** The ProxyError for a proxy's refusal (`proxy` unknown: whatever answered at `url`'s host). */
function proxyError(status: number, url: string, proxy: ProxyInfo | undefined, cause?: unknown): ProxyError {
  let host = proxy?.host;
  if (!host) { try { host = new URL(url).host; } catch { host = url; } }
  const what = status === 407 ? 'requires authentication (HTTP 407 Proxy Authentication Required)' : `refused the request (HTTP ${status})`;
  return new ProxyError(`The proxy ${host} ${what} for ${url}.`, { status, url, proxy: host, credentialsSent: proxy?.credentials ?? false, cause });
}

/** Reads a whole body of at most `limit` bytes as UTF-8; ResponseTooLargeError (the body destroyed)
 * when its Content-Length or its bytes go beyond. */
async function readWhole(res: TransportResponse, limit: number, url: string): Promise<string> {
  const tooLarge = () => new ResponseTooLargeError(
    `The reply from ${url} is larger than ${formatLimit(limit)}, more than a server sends for this request; it was not read.`,
    { status: res.status, url, limitBytes: limit },
  );
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) { res.body.destroy(); throw tooLarge(); }
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of res.body) {
    n += c.length;
    if (n > limit) { res.body.destroy(); throw tooLarge(); }
    parts.push(c);
  }
  return Buffer.concat(parts, n).toString('utf8');
}

function formatLimit(bytes: number): string {
  return bytes >= 1 << 20 ? `${Math.round(bytes / (1 << 20))} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

/** Builds the error for a non-2xx response from its status and (possibly non-JSON) body. `proxy`:
 * the proxy requests go through (a 407 names it). */
export function responseError(res: { status: number; statusText: string; headers: Record<string, string> }, text: string, url: string, model?: string, proxy?: ProxyInfo): OllamaError {
  const ctype = res.headers['content-type'] ?? '';
  let serverMsg: string | undefined;
  let isJson = false;
  if (ctype.includes('json') || /^\s*\{/.test(text)) {
    try {
      const j = JSON.parse(text) as { error?: unknown };
      isJson = true;
      if (typeof j.error === 'string') serverMsg = j.error;
      else if (j.error && typeof j.error === 'object' && typeof (j.error as { message?: unknown }).message === 'string') serverMsg = (j.error as { message: string }).message;
    } catch { /* not JSON after all */ }
  }
  const body = text.slice(0, 200);
  const status = res.status;
  if (status === 499) return new AbortError(`Request to ${url} was cancelled (HTTP 499).`, { status, url });
  // A proxy in the path (a reverse proxy that wants its own credentials, or a forward proxy without
  // a tunnel) answered instead of the server.
  if (status === 407) return proxyError(407, url, proxy);
  if (status === 404 && isJson && model !== undefined && serverMsg !== undefined) {
    return new ModelNotFoundError(serverMsg, { status, url, error: serverMsg, body, model });
  }
  if (status === 404 && !isJson) {
    return new EndpointNotFoundError(
      `${url} does not exist (HTTP 404${body ? `: ${body.trim()}` : ''}). Check the endpoint URL and any path prefix.`,
      { status, url, error: body.trim() || 'Not Found', body },
    );
  }
  const error = serverMsg ?? (body.trim() || `${status} ${res.statusText}`.trim());
  const message = serverMsg ?? `HTTP ${status}${res.statusText ? ' ' + res.statusText : ''} from ${url}${body.trim() ? `: ${body.trim()}` : ''}`;
  return new ResponseError(message, { status, url, error, body });
}
