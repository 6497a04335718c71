// One document's completion request in flight, shared across keystrokes. When the user types the
// very characters the model is still streaming, the new request is served by that stream (from the
// point the user reached) instead of starting over; anything else aborts it and starts a new one, so
// at most one request per document is ever in flight. The request itself is injected (`start`), so
// all of this runs in tests without HTTP.
import { AbortError } from '../http/errors';
import { abortError } from '../common/cancel';
import { systemTimers, type Timers } from '../common/timing';

/** Starts a completion for (prefix, suffix), yielding raw text chunks; must stop when `signal` aborts. */
export type StartFn = (prefix: string, suffix: string, signal: AbortSignal) => AsyncIterable<string> | Promise<AsyncIterable<string>>;

export interface SessionOptions {
  /** Characters of the old prefix's tail that must precede the typed text (default 256). The prefix
   * window's start moves as the user types, so prefixes are matched by their tails. */
  anchorChars?: number;
  /** Longest typed text a stream can be reused across (default 256). */
  maxTyped?: number;
  /** Abort a stream nobody has followed for this long (default 2000 ms; 0 = let it finish). */
  orphanAbortMs?: number;
  timers?: Timers;
}

export interface SessionRequestOptions {
  /** Cancels this request's wait; the shared stream keeps going for the next keystroke. */
  signal?: AbortSignal;
  /** Anything else that must be equal for reuse, e.g. the model name. */
  key?: string;
}

export interface SessionStats {
  /** Requests that started a stream. */
  started: number;
  /** Requests served by a stream already running (or just finished). */
  reused: number;
  /** Reuses that turned out to diverge and were restarted. */
  restarted: number;
}

class Inflight {
  text = '';
  done = false;
  error: unknown = undefined;
  followers = 0;
  orphanTimer: unknown = undefined;
  readonly controller = new AbortController();
  private wakers: Array<() => void> = [];

  constructor(readonly prefix: string, readonly suffix: string, readonly key: string) {}

  get aborted(): boolean { return this.controller.signal.aborted; }

  append(s: string): void {
    this.text += s;
    this.wake();
  }

  finish(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    this.wake();
  }

  abort(reason: string): void {
    if (this.done) return;
    const err = new AbortError(reason);
    this.controller.abort(err);
    this.finish(err);
  }

  /** Resolves at the next change (text, end); rejects if `signal` aborts first. */
  changed(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) { reject(abortError(signal, 'completion')); return; }
      const onAbort = (): void => reject(abortError(signal, 'completion'));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.wakers.push(() => { signal?.removeEventListener('abort', onAbort); resolve(); });
    });
  }

  private wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }
}

export class CompletionSession {
  private current: Inflight | undefined;
  private seq = 0;
  private readonly anchorChars: number;
  private readonly maxTyped: number;
  private readonly orphanAbortMs: number;
  private readonly timers: Timers;
  readonly stats: SessionStats = { started: 0, reused: 0, restarted: 0 };

  constructor(private readonly start: StartFn, opts: SessionOptions = {}) {
    this.anchorChars = opts.anchorChars ?? 256;
    this.maxTyped = opts.maxTyped ?? 256;
    this.orphanAbortMs = opts.orphanAbortMs ?? 2000;
    this.timers = opts.timers ?? systemTimers;
  }

  /** True while a stream is running. */
  get inFlight(): boolean { return !!this.current && !this.current.done; }

  /**
   * The completion text for (prefix, suffix), as raw chunks. Served by the running stream when the
   * text typed since it started is what it produced (or is producing); else a new stream.
   */
  request(prefix: string, suffix: string, opts: SessionRequestOptions = {}): AsyncIterable<string> {
    const key = opts.key ?? '';
    const seq = ++this.seq;
    const cur = this.current;
    const k = cur ? this.typedSince(cur, prefix, suffix, key) : -1;
    let inf: Inflight;
    if (cur && k >= 0) {
      inf = cur;
      this.stats.reused++;
      this.clearOrphanTimer(inf);
    } else {
      cur?.abort('completion superseded by a new request');
      inf = this.begin(prefix, suffix, key);
    }
    return this.follow(inf, k > 0 ? prefix.slice(prefix.length - k) : '', seq, prefix, suffix, key, opts.signal);
  }

  /**
   * A keystroke, before any debounce: abort the running stream at once unless (prefix, suffix)
   * continues it, so a stale answer does not keep the server busy while the user pauses. Returns
   * true when the stream was kept.
   */
  keystroke(prefix: string, suffix: string, key = ''): boolean {
    const cur = this.current;
    if (!cur) return false;
    if (this.typedSince(cur, prefix, suffix, key) >= 0) return true;
    if (!cur.done) cur.abort('completion superseded by typing');
    this.current = undefined;
    return false;
  }

  /** Abort the stream in flight (document closed, model changed, completion dismissed). */
  cancel(): void {
    this.current?.abort('completion cancelled');
    this.current = undefined;
  }

  /**
   * Characters typed since `cur` started, when they are consistent with its text (a start of it, or
   * longer than it while it still streams) and its prefix tail ends right before them; else -1.
   * The smallest such count wins.
   */
  private typedSince(cur: Inflight, prefix: string, suffix: string, key: string): number {
    if (cur.key !== key || cur.suffix !== suffix || cur.aborted || cur.error !== undefined) return -1;
    const old = cur.prefix;
    const anchor = old.slice(-this.anchorChars);
    const whole = old.length <= this.anchorChars;
    const limit = Math.min(this.maxTyped, prefix.length);
    for (let k = 0; k <= limit; k++) {
      const at = prefix.length - k;
      if (k <= cur.text.length) {
        if (cur.done && k === cur.text.length) break; // typed all of a finished answer: ask anew
        if (k > 0 && !prefix.endsWith(cur.text.slice(0, k))) continue;
      } else if (cur.done || !prefix.startsWith(cur.text, at)) {
        continue;
      }
      const anchored = whole ? at === old.length && prefix.startsWith(old) : at >= anchor.length && prefix.startsWith(anchor, at - anchor.length);
      if (anchored) return k;
    }
    return -1;
  }

  private begin(prefix: string, suffix: string, key: string): Inflight {
    const inf = new Inflight(prefix, suffix, key);
    this.current = inf;
    this.stats.started++;
    void this.pump(inf);
    return inf;
  }

  private async pump(inf: Inflight): Promise<void> {
    try {
      const it = await this.start(inf.prefix, inf.suffix, inf.controller.signal);
      for await (const s of it) {
        if (inf.aborted) break;
        if (s) inf.append(s);
      }
      inf.finish(inf.aborted ? abortError(inf.controller.signal, 'completion') : undefined);
    } catch (e) {
      inf.finish(inf.aborted ? abortError(inf.controller.signal, 'completion') : e);
    } finally {
      this.clearOrphanTimer(inf);
    }
  }

  private async *follow(
    first: Inflight, typed: string, seq: number, prefix: string, suffix: string, key: string, signal?: AbortSignal,
  ): AsyncGenerator<string> {
    let inf = first;
    let skip = typed;
    let pos = 0;
    this.attach(inf);
    try {
      for (;;) {
        if (signal?.aborted) throw abortError(signal, 'completion');
        if (pos < skip.length) {
          const n = Math.min(inf.text.length, skip.length);
          const diverged = inf.text.slice(pos, n) !== skip.slice(pos, n) || (inf.done && n < skip.length && inf.error === undefined);
          if (diverged) {
            // The stream went another way than the user typed: only the newest request starts over.
            if (seq !== this.seq) throw new AbortError('completion superseded');
            inf.abort('completion diverged from the typed text');
            this.detach(inf);
            inf = this.begin(prefix, suffix, key);
            this.attach(inf);
            this.stats.restarted++;
            skip = '';
            pos = 0;
            continue;
          }
          pos = n;
          if (pos < skip.length) {
            if (inf.done) throw inf.error;
            await inf.changed(signal);
            continue;
          }
        }
        if (pos < inf.text.length) {
          const s = inf.text.slice(pos);
          pos = inf.text.length;
          yield s;
          continue;
        }
        if (inf.done) {
          if (inf.error !== undefined) throw inf.error;
          return;
        }
        await inf.changed(signal);
      }
    } finally {
      this.detach(inf);
    }
  }

  private attach(inf: Inflight): void {
    inf.followers++;
    this.clearOrphanTimer(inf);
  }

  private detach(inf: Inflight): void {
    if (inf.followers === 0) return;
    inf.followers--;
    if (inf.followers > 0 || inf.done || this.orphanAbortMs <= 0) return;
    this.clearOrphanTimer(inf);
    inf.orphanTimer = this.timers.setTimeout(() => {
      inf.orphanTimer = undefined;
      if (inf.followers === 0) inf.abort('completion no longer wanted');
    }, this.orphanAbortMs);
  }

  private clearOrphanTimer(inf: Inflight): void {
    if (inf.orphanTimer !== undefined) {
      this.timers.clearTimeout(inf.orphanTimer);
      inf.orphanTimer = undefined;
    }
  }
}
