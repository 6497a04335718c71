// Request plumbing shared by the Ollama and OpenAI-compatible clients: URL joining, headers,
// per-request AbortControllers (caller signal + client.abort()), bounded retries while the server is
// busy (503 / 429), mapping transport failures and non-2xx responses onto the error hierarchy, and
// turning a streamed body into an iterator that closes the connection the moment its consumer stops.
import {
  AbortError, ConnectionError, EndpointNotFoundError, IncompleteStreamError, ModelNotFoundError, OllamaError,
  ProtocolError, ResponseError, ServerBusyError, StreamError, TimeoutError,
} from '../ollama/errors';
import { LineTooLongError } from '../stream/lines';
import { MalformedLineError } from '../stream/ndjson';
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

/** A decoder turning the network chunks of one response into wire objects, chunk by chunk: `push`
 * returns the objects a chunk completes (often none, sometimes many), `end` those left at EOF.
 * Throws MalformedLineError / LineTooLongError for bytes that break the framing. */
export interface ChunkDecoder {
  push(chunk: Uint8Array): unknown[];
  end(): unknown[];
  /** Set when the framing broke after some objects of the same chunk were returned: the stream
   * reports it once those objects were handed out, without waiting for more bytes. */
  readonly error?: unknown;
}

/** An async iterable over a streamed reply that can be aborted; `break` closes the connection too. */
export class AbortableAsyncIterator<T> implements AsyncIterable<T> {
  constructor(private readonly controller: AbortController, private readonly iterator: AsyncIterator<T>) {}
  /** Abort the request: the connection is closed and the pending `next()` rejects with AbortError. */
  abort(): void { this.controller.abort(); }
  [Symbol.asyncIterator](): AsyncIterator<T> { return this.iterator; }
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

  constructor(readonly opts: HttpCoreOptions) {
    this.busy = { ...DEFAULT_BUSY, ...opts.busyRetry };
  }

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

    const headersTimeoutMs = o.kind === 'metadata' ? this.opts.metadataTimeoutMs : this.opts.headersTimeoutMs;
    const idleTimeoutMs = o.idleTimeoutMs ?? (o.kind === 'metadata' ? this.opts.metadataTimeoutMs : this.opts.idleTimeoutMs);
    for (let attempt = 1; ; attempt++) {
      let res: TransportResponse;
      try {
        res = await this.opts.transport.request({ method, url, headers, body, signal: controller.signal, headersTimeoutMs, idleTimeoutMs, lane });
      } catch (e) {
        release();
        throw this.mapError(e, url, controller.signal, { headersTimeoutMs, idleTimeoutMs });
      }
      if (res.status >= 200 && res.status <= 299) return { res, url, signal: controller.signal, idleTimeoutMs, release };
      let text = '';
      try { text = await res.body.text(64 * 1024); } catch { /* body lost: the status is what we have */ }
      const err = responseError(res, text, url, o.model);
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

  /**
   * Turns an open streamed response into wire objects. `decoder` turns network chunks into objects
   * (one decode per chunk); `isComplete` recognises the final object. An in-band error object
   * (see inBandError) throws StreamError (`midStream` when objects came before it); EOF before the
   * final object throws IncompleteStreamError; bytes that break the framing throw ProtocolError.
   * The iterator is hand-written rather than a chain of async generators: objects a chunk produced
   * are handed out from an array, and the network is only awaited when that array is empty.
   */
  stream<T>(
    open: OpenResponse,
    decoder: ChunkDecoder,
    isComplete: (obj: T) => boolean,
    extractError: (obj: unknown) => string | undefined = inBandError,
  ): AbortableAsyncIterator<T> {
    const controller = new AbortController();
    const reader = new StreamReader<T>(this, open, controller, decoder, isComplete, extractError);
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

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * The iterator behind HttpCore.stream: network chunk -> decoder -> buffered objects -> next().
 * The idle limit is one timer per stream that re-arms itself from the time of the last chunk (not a
 * timer reset per chunk): a silence longer than the limit destroys the body.
 */
class StreamReader<T> implements AsyncIterator<T> {
  private readonly source: AsyncIterator<Uint8Array>;
  private buf: unknown[] = [];
  private pos = 0;
  private received = 0;
  private finished = false;
  private complete = false;
  private eof = false;
  private started = false;
  private timedOut = false;
  private lastChunkAt = 0;
  private waiting = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pending: Promise<IteratorResult<T>> | undefined;
  private readonly onAbort: () => void;

  constructor(
    private readonly core: HttpCore,
    private readonly open: OpenResponse,
    private readonly controller: AbortController,
    private readonly decoder: ChunkDecoder,
    private readonly isComplete: (obj: T) => boolean,
    private readonly extractError: (obj: unknown) => string | undefined,
  ) {
    this.source = open.res.body[Symbol.asyncIterator]();
    // Destroying the body closes the connection; a stream aborted before its first next() never
    // reaches the reading code, so release its bookkeeping here too.
    this.onAbort = () => { open.res.body.destroy(); if (!this.started) this.finish(); };
    controller.signal.addEventListener('abort', this.onAbort, { once: true });
    open.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private get aborted(): boolean { return this.controller.signal.aborted || this.open.signal.aborted; }

  /** Only time spent waiting on the network counts as silence (a slow consumer does not). */
  private armIdle(ms: number): void {
    this.timer = setTimeout(() => {
      if (this.finished) return;
      const silent = this.waiting ? performance.now() - this.lastChunkAt : 0;
      if (silent >= this.open.idleTimeoutMs - 1) {
        this.timedOut = true;
        this.open.res.body.destroy();
      } else this.armIdle(this.open.idleTimeoutMs - silent);
    }, ms);
  }

  next(): Promise<IteratorResult<T>> {
    // Fast path: objects already decoded from the last chunk.
    if (this.pos < this.buf.length && !this.pending) {
      try {
        const r = this.take();
        if (r) return Promise.resolve(r);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    if (this.pending) {
      // Concurrent next() calls are served in order.
      const p = this.pending.then(() => this.next());
      return p;
    }
    const p = this.fill().finally(() => { if (this.pending === p) this.pending = undefined; });
    this.pending = p;
    return p;
  }

  /** Hands out the next buffered object, or undefined when the buffer is empty. */
  private take(): IteratorResult<T> | undefined {
    if (this.finished) return DONE as IteratorResult<T>;
    if (this.pos >= this.buf.length) return undefined;
    // Objects already buffered from one network chunk must not outlive an abort.
    if (this.aborted) { this.close(true); throw this.abortError(); }
    const obj = this.buf[this.pos++];
    const msg = this.extractError(obj);
    if (msg !== undefined) {
      this.close(true);
      throw new StreamError(msg, { status: this.open.res.status, url: this.open.url, error: msg, midStream: this.received > 0, received: this.received });
    }
    this.received++;
    if (this.isComplete(obj as T)) {
      this.complete = true;
      this.close(false);
    }
    return { done: false, value: obj as T };
  }

  private async fill(): Promise<IteratorResult<T>> {
    if (!this.started) {
      this.started = true;
      if (this.open.idleTimeoutMs > 0 && !this.finished) this.armIdle(this.open.idleTimeoutMs);
    }
    for (;;) {
      if (this.finished) return DONE as IteratorResult<T>;
      const r = this.take();
      if (r) return r;
      if (this.decoder.error !== undefined) {
        this.close(true);
        throw this.core.mapStreamError(this.decoder.error, this.open.url, this.open.res.status, this.received, this.open.idleTimeoutMs);
      }
      if (this.eof) {
        this.close(false);
        if (this.aborted) throw this.abortError();
        throw new IncompleteStreamError(
          `The stream from ${this.open.url} ended before it was complete (${this.received} objects received, no final object).`,
          { status: this.open.res.status, url: this.open.url, dropped: false, received: this.received },
        );
      }
      let chunk: IteratorResult<Uint8Array>;
      this.lastChunkAt = performance.now();
      this.waiting = true;
      try {
        chunk = await this.source.next();
      } catch (e) {
        this.waiting = false;
        this.eof = true;
        this.close(true);
        if (this.aborted) throw this.abortError(e);
        if (this.timedOut) {
          const ms = this.open.idleTimeoutMs;
          throw new TimeoutError(`The stream from ${this.open.url} went silent for ${ms / 1000} s.`, { url: this.open.url, phase: 'idle', timeoutMs: ms, cause: e });
        }
        throw this.core.mapStreamError(e, this.open.url, this.open.res.status, this.received, this.open.idleTimeoutMs);
      }
      this.waiting = false;
      try {
        if (chunk.done) {
          this.eof = true;
          this.buf = this.decoder.end();
        } else {
          this.buf = this.decoder.push(chunk.value);
        }
      } catch (e) {
        this.close(true);
        throw this.core.mapStreamError(e, this.open.url, this.open.res.status, this.received, this.open.idleTimeoutMs);
      }
      this.pos = 0;
    }
  }

  private abortError(cause?: unknown): AbortError {
    return new AbortError(`Request to ${this.open.url} was aborted.`, { url: this.open.url, cause });
  }

  /** Ends the stream: stop the timer, unregister, and either keep the connection (read the rest in
   * the background after a complete stream) or destroy it. */
  private close(destroy: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.finish();
    if (this.eof) return;
    if (!destroy && this.complete) void drain(this.source, this.open.res);
    else {
      this.open.res.body.destroy();
      void this.source.return?.(undefined)?.catch?.(() => undefined);
    }
  }

  private finish(): void {
    clearTimeout(this.timer);
    this.controller.signal.removeEventListener('abort', this.onAbort);
    this.open.signal.removeEventListener('abort', this.onAbort);
    this.open.release();
  }

  /** `break` / `return` in for-await: close the connection (unless the stream was complete). */
  return(): Promise<IteratorResult<T>> {
    this.close(!this.complete);
    return Promise.resolve(DONE as IteratorResult<T>);
  }

  throw(e?: unknown): Promise<IteratorResult<T>> {
    this.close(true);
    return Promise.reject(e);
  }
}

/** The message of an in-band error object, in every dialect servers use inside a 200 stream, or
 * undefined for a normal object:
 * - `{"error":"msg"}`: Ollama native NDJSON (server `streamResponse`), MLX-style servers;
 * - `{"error":{"message":"msg",…}}`: llama.cpp server (`type: server_error`), vLLM, LiteLLM proxy,
 *   LM Studio, the OpenAI API; Anthropic-style `{"type":"error","error":{…}}` too;
 * - `{"object":"error","message":"msg",…}`: vLLM before it wrapped errors in `error`.
 * An `error` that is null, false or '' (some servers send `"error": null` in normal chunks) is not one. */
export function inBandError(obj: unknown): string | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const o = obj as Record<string, unknown>;
  if ('error' in o) {
    const err = o.error;
    if (typeof err === 'string') return err !== '' ? err : undefined;
    if (err && typeof err === 'object') {
      const e = err as Record<string, unknown>;
      if (typeof e.message === 'string' && e.message !== '') return e.message;
      if (typeof e.error === 'string' && e.error !== '') return e.error;
      const parts = [e.type, e.code].filter((x) => typeof x === 'string' || typeof x === 'number');
      return parts.length ? `server error (${parts.join(', ')})` : 'server error';
    }
    if (err === true) return 'server error';
  }
  if (o.object === 'error') return typeof o.message === 'string' && o.message !== '' ? o.message : 'server error';
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
