// Request plumbing shared by the Ollama and OpenAI-compatible clients: URL joining, headers,
// per-request AbortControllers (caller signal + client.abort()), mapping transport failures and
// non-2xx responses onto the error hierarchy, and turning a streamed body into an iterator that
// closes the connection the moment its consumer stops.
import {
  AbortError, ConnectionError, EndpointNotFoundError, IncompleteStreamError, ModelNotFoundError, OllamaError,
  ProtocolError, ResponseError, StreamError, TimeoutError,
} from '../ollama/errors';
import { LineTooLongError } from '../stream/lines';
import { MalformedLineError } from '../stream/ndjson';
import type { Transport, TransportResponse } from './transport';

export interface HttpCoreOptions {
  baseUrl: string;
  headers: Record<string, string>;
  transport: Transport;
  /** Until the first byte of a generating/long call (model load, queue): default 10 min. */
  headersTimeoutMs: number;
  /** Silence allowed inside a stream: default 2 min. */
  idleTimeoutMs: number;
  /** Whole-reply limit for quick metadata calls (tags, show, version, ps, copy, delete): default 30 s. */
  metadataTimeoutMs: number;
  maxLineBytes: number;
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

/** An async iterable over a streamed reply that can be aborted; `break` closes the connection too. */
export class AbortableAsyncIterator<T> implements AsyncIterable<T> {
  constructor(private readonly controller: AbortController, private readonly iterator: AsyncGenerator<T>) {}
  /** Abort the request: the connection is closed and the pending `next()` rejects with AbortError. */
  abort(): void { this.controller.abort(); }
  [Symbol.asyncIterator](): AsyncGenerator<T> { return this.iterator; }
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

export class HttpCore {
  private readonly inflight = new Set<AbortController>();
  private closed = false;

  constructor(readonly opts: HttpCoreOptions) {}

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

  async open(method: string, path: string, o: SendOptions): Promise<OpenResponse> {
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

    const headersTimeoutMs = o.kind === 'metadata' ? this.opts.metadataTimeoutMs : this.opts.headersTimeoutMs;
    const idleTimeoutMs = o.idleTimeoutMs ?? (o.kind === 'metadata' ? this.opts.metadataTimeoutMs : this.opts.idleTimeoutMs);
    let res: TransportResponse;
    try {
      res = await this.opts.transport.request({ method, url, headers, body, signal: controller.signal, headersTimeoutMs, idleTimeoutMs });
    } catch (e) {
      release();
      throw this.mapError(e, url, controller.signal, { headersTimeoutMs, idleTimeoutMs });
    }
    if (res.status < 200 || res.status > 299) {
      let text = '';
      try { text = await res.body.text(64 * 1024); } catch { /* body lost: the status is what we have */ }
      release();
      throw responseError(res, text, url, o.model);
    }
    return { res, url, signal: controller.signal, idleTimeoutMs, release };
  }

  /** A request whose JSON reply (or empty reply) is wanted whole. */
  async json<T>(method: string, path: string, o: SendOptions): Promise<T | undefined> {
    const { res, url, signal, release } = await this.open(method, path, o);
    try {
      const text = await res.body.text(Number.MAX_SAFE_INTEGER);
      if (text.trim() === '') return undefined;
      try {
        return JSON.parse(text) as T;
      } catch (cause) {
        throw new ProtocolError(`The server at ${url} did not answer with JSON (HTTP ${res.status}): ${text.slice(0, 200)}`, { status: res.status, url, raw: text.slice(0, 200), cause });
      }
    } catch (e) {
      throw this.mapError(e, url, signal, { headersTimeoutMs: 0, idleTimeoutMs: this.opts.metadataTimeoutMs });
    } finally {
      release();
    }
  }

  /** Turns an open streamed response into wire objects. `parse` yields raw objects from bytes;
   * `isComplete` recognises the final object. In-band `{"error"}` objects throw StreamError; EOF
   * before completion throws IncompleteStreamError. */
  stream<T>(
    open: OpenResponse,
    parse: (body: AsyncIterable<Uint8Array>) => AsyncGenerator<unknown>,
    isComplete: (obj: T) => boolean,
    extractError: (obj: unknown) => string | undefined = inBandError,
  ): AbortableAsyncIterator<T> {
    const { res, url, signal, release, idleTimeoutMs } = open;
    const controller = new AbortController();
    // `open` created the request's own controller; wire ours (iterator.abort()) to the body.
    let started = false;
    // Destroying the body closes the connection; a stream aborted before its first next() never
    // reaches the generator's finally, so release its bookkeeping here too.
    const onAbort = () => { res.body.destroy(); if (!started) release(); };
    controller.signal.addEventListener('abort', onAbort, { once: true });
    signal.addEventListener('abort', onAbort, { once: true });
    const self = this;
    const idle = idleGuard(res.body, idleTimeoutMs);
    async function* run(): AsyncGenerator<T> {
      started = true;
      const it = parse(idle.body)[Symbol.asyncIterator]();
      let received = 0;
      let complete = false;
      let eof = false;
      try {
        for (;;) {
          let r: IteratorResult<unknown>;
          try {
            r = await it.next();
          } catch (e) {
            eof = true;
            if (controller.signal.aborted || signal.aborted) throw new AbortError(`Request to ${url} was aborted.`, { url, cause: e });
            if (idle.timedOut()) {
              throw new TimeoutError(`The stream from ${url} went silent for ${idleTimeoutMs / 1000} s.`, { url, phase: 'idle', timeoutMs: idleTimeoutMs, cause: e });
            }
            throw self.mapStreamError(e, url, res.status, received, idleTimeoutMs);
          }
          if (r.done) { eof = true; break; }
          // Objects already buffered from one network chunk must not outlive an abort.
          if (controller.signal.aborted || signal.aborted) throw new AbortError(`Request to ${url} was aborted.`, { url });
          const msg = extractError(r.value);
          if (msg !== undefined) {
            throw new StreamError(msg, { status: res.status, url, error: msg, midStream: received > 0 });
          }
          received++;
          const obj = r.value as T;
          if (isComplete(obj)) {
            complete = true;
            yield obj;
            return;
          }
          yield obj;
        }
        if (controller.signal.aborted || signal.aborted) throw new AbortError(`Request to ${url} was aborted.`, { url });
        throw new IncompleteStreamError(
          `The stream from ${url} ended before it was complete (${received} objects received, no final object).`,
          { status: res.status, url, dropped: false, received },
        );
      } finally {
        controller.signal.removeEventListener('abort', onAbort);
        signal.removeEventListener('abort', onAbort);
        release();
        if (!eof) {
          if (complete) void drain(it, res);
          else { res.body.destroy(); void it.return?.(undefined).catch(() => undefined); }
        }
      }
    }
    return new AbortableAsyncIterator<T>(controller, run());
  }

  mapStreamError(e: unknown, url: string, status: number, received: number, idleTimeoutMs = this.opts.idleTimeoutMs): OllamaError {
    if (e instanceof OllamaError) return e;
    if (e instanceof MalformedLineError) {
      return new ProtocolError(`The server at ${url} sent a line that is not JSON: ${e.raw.slice(0, 200)}`, { status, url, raw: e.raw.slice(0, 200), cause: e });
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

/** Wraps a body so that a silence longer than `ms` between two chunks destroys it. undici's own
 * bodyTimeout has about one second of resolution, too coarse for short limits; this timer is exact
 * and is reset on every chunk (every byte that arrives), not every line. */
function idleGuard(body: TransportResponse['body'], ms: number): { body: AsyncIterable<Uint8Array>; timedOut: () => boolean } {
  let timedOut = false;
  if (!ms) return { body, timedOut: () => false };
  async function* guarded(): AsyncGenerator<Uint8Array> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => { timedOut = true; body.destroy(); }, ms);
    };
    try {
      arm();
      for await (const chunk of body) {
        clearTimeout(timer);
        yield chunk;
        arm();
      }
    } finally {
      clearTimeout(timer);
    }
  }
  return { body: guarded(), timedOut: () => timedOut };
}

function inBandError(obj: unknown): string | undefined {
  if (obj && typeof obj === 'object' && 'error' in obj) {
    const err = (obj as { error: unknown }).error;
    if (typeof err === 'string' && err !== '') return err;
    if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') return (err as { message: string }).message;
  }
  return undefined;
}

/** Reads the rest of a finished stream in the background so the keep-alive connection can be reused;
 * gives up (closing it) after a second. */
async function drain(it: AsyncIterator<unknown>, res: TransportResponse): Promise<void> {
  const timer = setTimeout(() => res.body.destroy(), 1000);
  try {
    for (;;) { const r = await it.next(); if (r.done) break; }
  } catch { /* closing is the fallback anyway */ } finally {
    clearTimeout(timer);
  }
}

/** Builds the error for a non-2xx response from its status and (possibly non-JSON) body. */
export function responseError(res: { status: number; statusText: string; headers: Record<string, string> }, text: string, url: string, model?: string): OllamaError {
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
