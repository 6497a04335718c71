// Reading a streamed body: the network chunks a transport pushes, decoded chunk by chunk into wire
// objects (NDJSON lines, SSE events) that an iterator hands out, with backpressure, one idle timer
// per stream, in-band errors in every server's dialect, and the connection closed the moment the
// consumer stops. HttpCore.stream() builds one per response.
import { AbortError, IncompleteStreamError, StreamError, TimeoutError } from './errors';
import type { HttpCore, OpenResponse } from './core';
import type { TransportResponse } from './transport';

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

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
/** Undecoded bytes waiting for the consumer before the body is paused (backpressure). */
const HIGH_WATER_BYTES = 1 << 20;

/**
 * The iterator behind HttpCore.stream. The body pushes its chunks (TransportBody.subscribe, i.e.
 * the socket's 'data' events, no async iterator per chunk); the bytes that arrived since the
 * consumer last asked are decoded in one go into a queue of objects, and next() hands them out -
 * resolved at once while the queue is not empty. Backpressure: the body is paused while more than
 * HIGH_WATER_BYTES wait undecoded.
 * The idle limit is one timer per stream that re-arms itself from the time of the last chunk (not a
 * timer reset per chunk), and only time the consumer spends waiting for data counts as silence.
 */
export class StreamReader<T> implements AsyncIterator<T> {
  private queue: unknown[] = [];
  private head = 0;
  private raw: Uint8Array[] = [];
  private rawBytes = 0;
  private endDecoded = false;
  private received = 0;
  private finished = false;
  private complete = false;
  /** `last` completion: the newest object was one isComplete accepts. */
  private lastWasFinal = false;
  private eof = false;
  private started = false;
  private timedOut = false;
  private failure: unknown;
  private chunks = 0;
  private seenChunks = 0;
  private quietSince = 0;
  private waitSince = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flow: BodyFlow | undefined;
  private paused = false;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private readonly onAbort: () => void;

  constructor(
    private readonly core: Pick<HttpCore, 'mapStreamError' | 'guard' | 'redactor'>,
    private readonly open: OpenResponse,
    private readonly controller: AbortController,
    private readonly decoder: ChunkDecoder,
    private readonly isComplete: (obj: T) => boolean,
    private readonly extractError: (obj: unknown) => string | undefined,
    private readonly completion: 'first' | 'last' = 'first',
  ) {
    // Destroying the body closes the connection; the subscription then reports the end/error.
    this.onAbort = () => {
      this.abortedFlag = true;
      open.res.body.destroy();
      if (!this.started) this.finish();
      else this.wake();
    };
    controller.signal.addEventListener('abort', this.onAbort, { once: true });
    open.signal.addEventListener('abort', this.onAbort, { once: true });
    if (open.signal.aborted) this.abortedFlag = true;
    // Listen at once: a body that fails before the first next() must have a listener.
    this.subscribeBody();
  }

  /** Set by the abort listeners (reading AbortSignal.aborted per object costs more than this). */
  private abortedFlag = false;
  private get aborted(): boolean { return this.abortedFlag; }

  private subscribeBody(): void {
    const sink: BodySink = {
      data: (chunk) => {
        this.chunks++;
        if (this.failure !== undefined || this.eof) return;
        // Raw bytes wait until the consumer asks: everything that arrived meanwhile is decoded in
        // one go (one decode, one array) instead of once per network read.
        this.raw.push(chunk);
        this.rawBytes += chunk.length;
        if (this.waiter) this.wake();
        else if (this.rawBytes > HIGH_WATER_BYTES && !this.paused) { this.paused = true; this.flow?.pause(); }
      },
      end: () => {
        if (this.eof) return;
        this.eof = true;
        this.wake();
      },
      error: (e) => {
        if (this.eof) return;
        this.eof = true;
        if (this.failure === undefined) this.failure = { streamError: e };
        this.wake();
      },
    };
    this.flow = subscribe(this.open.res.body, sink);
    if (this.open.idleTimeoutMs > 0) {
      this.quietSince = performance.now();
      this.armIdle(this.open.idleTimeoutMs);
    }
  }

  /**
   * The idle limit without a clock read per chunk: chunks are only counted, and a timer checks
   * every quarter of the limit whether any arrived. Silence is counted from the later of the last
   * check that saw a chunk and the moment the consumer started waiting (a slow consumer is not a
   * silent server), so a silence is detected between 1x and 1.25x the limit.
   */
  private armIdle(ms: number): void {
    const limit = this.open.idleTimeoutMs;
    this.timer = setTimeout(() => {
      if (this.finished || this.eof) return;
      const now = performance.now();
      if (this.chunks !== this.seenChunks) { this.seenChunks = this.chunks; this.quietSince = now; }
      const silent = this.waiter ? now - Math.max(this.quietSince, this.waitSince) : 0;
      if (silent >= limit - 1) {
        this.timedOut = true;
        this.open.res.body.destroy();
      } else this.armIdle(Math.min(limit - silent, limit / 4));
    }, ms);
  }

  next(): Promise<IteratorResult<T>> {
    this.started = true;
    try {
      const r = this.step();
      if (r) return Promise.resolve(r);
    } catch (e) {
      return Promise.reject(this.core.guard(e));
    }
    if (this.waiter) {
      // Concurrent next() calls are served in order.
      const prev = this.waiter;
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        this.waiter = {
          resolve: (r) => { prev.resolve(r); void this.next().then(resolve, reject); },
          reject: (e) => { prev.reject(e); reject(e); },
        };
      });
    }
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      if (this.timer !== undefined) this.waitSince = performance.now();
      this.waiter = { resolve, reject };
      if (this.paused) { this.paused = false; this.flow?.resume(); }
    });
  }

  /** Settles the waiting next() from the current state, if it can be. */
  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    let r: IteratorResult<T> | undefined;
    try {
      r = this.step();
    } catch (e) {
      this.waiter = undefined;
      w.reject(this.core.guard(e));
      return;
    }
    if (r) { this.waiter = undefined; w.resolve(r); }
  }

  /** Decodes the raw bytes waiting (and, at EOF, the decoder's tail) into the queue. */
  private decode(): void {
    if (this.failure !== undefined) return;
    try {
      if (this.raw.length) {
        const bytes = this.raw.length === 1 ? this.raw[0]! : Buffer.concat(this.raw, this.rawBytes);
        this.raw = [];
        this.rawBytes = 0;
        const objs = this.decoder.push(bytes);
        if (objs.length) {
          if (this.head === this.queue.length) { this.queue = objs; this.head = 0; } else for (const o of objs) this.queue.push(o);
        }
        if (this.decoder.error !== undefined) { this.failure = this.decoder.error; return; }
      }
      if (this.eof && !this.endDecoded) {
        this.endDecoded = true;
        for (const o of this.decoder.end()) this.queue.push(o);
      }
    } catch (e) {
      this.failure = e;
      if (!this.eof) this.open.res.body.destroy();
    }
    if (this.paused) { this.paused = false; this.flow?.resume(); }
  }

  /** The next result if one is ready (an object, the end, or a thrown error); undefined: wait. */
  private step(): IteratorResult<T> | undefined {
    if (this.finished) return DONE as IteratorResult<T>;
    if (this.aborted) { this.close(true); throw this.abortError(); }
    if (this.head >= this.queue.length && (this.raw.length || (this.eof && !this.endDecoded))) this.decode();
    if (this.head < this.queue.length) {
      const obj = this.queue[this.head++];
      if (this.head === this.queue.length) { this.queue = []; this.head = 0; }
      const raw = this.extractError(obj);
      if (raw !== undefined) {
        this.close(true);
        const msg = this.core.redactor.redact(raw);
        throw new StreamError(msg, { status: this.open.res.status, url: this.open.url, error: msg, midStream: this.received > 0, received: this.received });
      }
      this.received++;
      if (this.completion === 'first') {
        if (this.isComplete(obj as T)) {
          this.complete = true;
          this.close(false);
        }
      } else this.lastWasFinal = this.isComplete(obj as T);
      return { done: false, value: obj as T };
    }
    if (this.failure !== undefined) {
      const f = this.failure;
      this.close(true);
      const url = this.open.url;
      if (this.timedOut) {
        const ms = this.open.idleTimeoutMs;
        throw new TimeoutError(`The stream from ${url} went silent for ${ms / 1000} s.`, { url, phase: 'idle', timeoutMs: ms, cause: f });
      }
      const cause = typeof f === 'object' && f !== null && 'streamError' in f ? (f as { streamError: unknown }).streamError : f;
      throw this.core.mapStreamError(cause, url, this.open.res.status, this.received, this.open.idleTimeoutMs);
    }
    if (this.eof) {
      if (this.lastWasFinal) {
        this.complete = true;
        this.close(false);
        return DONE as IteratorResult<T>;
      }
      this.close(false);
      throw new IncompleteStreamError(
        `The stream from ${this.open.url} ended before it was complete (${this.received} objects received, no final object).`,
        { status: this.open.res.status, url: this.open.url, dropped: false, received: this.received },
      );
    }
    return undefined;
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
    this.queue = [];
    this.head = 0;
    this.raw = [];
    if (this.eof) { this.flow?.detach(); return; }
    if (!destroy && this.complete) {
      // Let the rest (normally nothing) arrive so the keep-alive connection can be reused; give up
      // (closing it) after a second.
      const body = this.open.res.body;
      const t = setTimeout(() => body.destroy(), 1000);
      this.flow?.drain(() => clearTimeout(t));
    } else {
      this.flow?.detach();
      this.open.res.body.destroy();
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
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(DONE as IteratorResult<T>);
    return Promise.resolve(DONE as IteratorResult<T>);
  }

  throw(e?: unknown): Promise<IteratorResult<T>> {
    this.close(true);
    return Promise.reject(e);
  }
}

/** Where a body pushes its chunks. */
export interface BodySink {
  data(chunk: Uint8Array): void;
  end(): void;
  error(e: unknown): void;
}

/** Flow control over a subscribed body. */
export interface BodyFlow {
  pause(): void;
  resume(): void;
  /** Stop delivering to the sink (the body is being destroyed or is over). */
  detach(): void;
  /** Keep reading but discard; `done` once the body ended (or failed). */
  drain(done: () => void): void;
}

/** Subscribes to a body: its own push interface when it has one (undici's socket stream), else a
 * pump over its async iterator (test transports). */
function subscribe(body: TransportResponse['body'], sink: BodySink): BodyFlow {
  if (body.subscribe) return body.subscribe(sink);
  let target: BodySink | undefined = sink;
  let gate: (() => void) | undefined;
  let paused = false;
  let drained: (() => void) | undefined;
  void (async () => {
    try {
      for await (const chunk of body) {
        target?.data(chunk);
        if (!target && !drained) return;
        while (paused) await new Promise<void>((r) => { gate = r; });
      }
      target?.end();
    } catch (e) {
      target?.error(e);
    } finally {
      drained?.();
    }
  })();
  return {
    pause: () => { paused = true; },
    resume: () => { paused = false; gate?.(); gate = undefined; },
    detach: () => { target = undefined; paused = false; gate?.(); },
    drain: (done) => { target = undefined; drained = done; paused = false; gate?.(); },
  };
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
