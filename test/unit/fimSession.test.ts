// Stream reuse across keystrokes, one request in flight per document, cancellation, debouncing:
// all on a fake model and fake timers.
import * as assert from 'assert';
import { type Timers } from '../../src/core/common/timing';
import { CompletionSession, Debouncer } from '../../src/core/fim';
import { AbortError } from '../../src/core/http/errors';

class FakeTimers implements Timers {
  now = 0;
  private queue: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.queue.push({ at: this.now + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void { this.queue = this.queue.filter((t) => t.id !== h); }
  get pending(): number { return this.queue.length; }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const t = this.queue[0];
      if (!t || t.at > end) break;
      this.queue.shift();
      this.now = t.at;
      t.fn();
    }
    this.now = end;
  }
}

/** One model request: the test pushes text and ends it; it honours the abort signal like the HTTP client. */
class FakeStream {
  private chunks: string[] = [];
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | undefined;
  aborted = false;
  closed = false;
  constructor(readonly prefix: string, readonly suffix: string, signal: AbortSignal) {
    signal.addEventListener('abort', () => { this.aborted = true; this.notify(); });
  }
  push(s: string): void { this.chunks.push(s); this.notify(); }
  end(): void { this.ended = true; this.notify(); }
  fail(e: unknown): void { this.failure = e; this.notify(); }
  private notify(): void { const w = this.wake; this.wake = undefined; w?.(); }
  async *iterate(): AsyncGenerator<string> {
    try {
      for (;;) {
        if (this.aborted) throw new AbortError('aborted');
        if (this.chunks.length) { yield this.chunks.shift()!; continue; }
        if (this.failure !== undefined) throw this.failure;
        if (this.ended) return;
        await new Promise<void>((r) => { this.wake = r; });
      }
    } finally { this.closed = true; }
  }
}

class FakeModel {
  readonly starts: FakeStream[] = [];
  readonly start = (prefix: string, suffix: string, signal: AbortSignal): AsyncIterable<string> => {
    const s = new FakeStream(prefix, suffix, signal);
    this.starts.push(s);
    return s.iterate();
  };
  get last(): FakeStream { return this.starts[this.starts.length - 1]; }
  /** Streams not aborted and not finished. */
  get live(): number { return this.starts.filter((s) => !s.aborted && !s.closed).length; }
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Reads an iterable in the background; `text` grows as chunks arrive. */
function reader(it: AsyncIterable<string>): { text: () => string; done: Promise<string> } {
  let text = '';
  const done = (async () => { for await (const s of it) text += s; return text; })();
  done.catch(() => undefined);
  return { text: () => text, done };
}

const P = 'function add(a, b) {\n  return ';
const S = '\n}\n';

describe('FIM completion session (stream reuse)', () => {
  let model: FakeModel;
  let timers: FakeTimers;
  let session: CompletionSession;
  beforeEach(() => {
    model = new FakeModel();
    timers = new FakeTimers();
    session = new CompletionSession(model.start, { timers, orphanAbortMs: 1000 });
  });

  it('streams a completion through', async () => {
    const r = reader(session.request(P, S));
    await flush();
    assert.strictEqual(model.starts.length, 1);
    assert.strictEqual(model.last.prefix, P);
    model.last.push('a + ');
    model.last.push('b;');
    model.last.end();
    assert.strictEqual(await r.done, 'a + b;');
    assert.strictEqual(session.inFlight, false);
  });

  it('typing characters that match the stream reuses it: the new request gets the remainder', async () => {
    const first = reader(session.request(P, S));
    await flush();
    model.last.push('a + b');
    await flush();
    assert.strictEqual(first.text(), 'a + b');
    const second = reader(session.request(P + 'a +', S, { key: '' }));
    await flush();
    model.last.push(';');
    model.last.end();
    assert.strictEqual(await second.done, ' b;');
    assert.strictEqual(await first.done, 'a + b;');
    assert.strictEqual(model.starts.length, 1);
    assert.deepStrictEqual(session.stats, { started: 1, reused: 1, restarted: 0 });
  });

  it('typing faster than the stream: reused while the stream agrees, remainder after the typed text', async () => {
    const r0 = reader(session.request(P, S));
    await flush();
    model.last.push('a');
    const r1 = reader(session.request(P + 'a + b', S));
    await flush();
    model.last.push(' + b * 2;');
    model.last.end();
    assert.strictEqual(await r1.done, ' * 2;');
    await r0.done;
    assert.strictEqual(model.starts.length, 1);
  });

  it('diverging characters abort the stream and start a new request', async () => {
    const first = reader(session.request(P, S));
    await flush();
    model.last.push('a + b;');
    await flush();
    const second = reader(session.request(P + 'a -', S));
    await flush();
    assert.strictEqual(model.starts.length, 2);
    assert.strictEqual(model.starts[0].aborted, true);
    assert.strictEqual(model.last.prefix, P + 'a -');
    await assert.rejects(first.done, (e: unknown) => e instanceof AbortError);
    model.last.push(' b;');
    model.last.end();
    assert.strictEqual(await second.done, ' b;');
    assert.strictEqual(model.live, 0);
  });

  it('typed ahead, then the stream goes another way: the newest request restarts, an older one gives up', async () => {
    const r0 = reader(session.request(P, S));
    await flush();
    model.last.push('a');
    const r1 = reader(session.request(P + 'a + c', S));
    await flush();
    model.last.push(' + b;');
    await flush();
    assert.strictEqual(model.starts.length, 2);
    assert.strictEqual(model.starts[0].aborted, true);
    assert.strictEqual(model.last.prefix, P + 'a + c');
    assert.strictEqual(session.stats.restarted, 1);
    model.last.push(';');
    model.last.end();
    assert.strictEqual(await r1.done, ';');
    await assert.rejects(r0.done, AbortError);
  });

  it('moving the cursor (prefix not extended), another suffix or another key starts afresh', async () => {
    reader(session.request(P, S)).done.catch(() => undefined);
    await flush();
    model.last.push('a + b;');
    reader(session.request(P.slice(0, -1), S)).done.catch(() => undefined);
    await flush();
    assert.strictEqual(model.starts.length, 2);
    reader(session.request(P.slice(0, -1), S + 'x')).done.catch(() => undefined);
    await flush();
    assert.strictEqual(model.starts.length, 3);
    reader(session.request(P.slice(0, -1), S + 'x', { key: 'other-model' })).done.catch(() => undefined);
    await flush();
    assert.strictEqual(model.starts.length, 4);
    assert.strictEqual(model.live, 1, 'at most one request in flight');
  });

  it('matches prefixes by their tail, so a window whose start moved while typing still reuses', async () => {
    session = new CompletionSession(model.start, { timers, anchorChars: 32 });
    const head = 'x'.repeat(300) + '\n';
    reader(session.request(head + P, S)).done.catch(() => undefined);
    await flush();
    model.last.push('a + b;');
    const r = reader(session.request(head.slice(50) + P + 'a', S));
    await flush();
    model.last.end();
    assert.strictEqual(await r.done, ' + b;');
    assert.strictEqual(model.starts.length, 1);
  });

  it('a finished stream serves type-through; typing all of it asks anew', async () => {
    const r = reader(session.request(P, S));
    await flush();
    model.last.push('a + b;');
    model.last.end();
    await r.done;
    assert.strictEqual(await reader(session.request(P + 'a + ', S)).done, 'b;');
    assert.strictEqual(model.starts.length, 1);
    reader(session.request(P + 'a + b;', S)).done.catch(() => undefined);
    await flush();
    assert.strictEqual(model.starts.length, 2);
  });

  it('a cancelled request detaches; the stream survives for the next keystroke, then an orphan is aborted', async () => {
    const ac = new AbortController();
    const r = reader(session.request(P, S, { signal: ac.signal }));
    await flush();
    model.last.push('a + ');
    await flush();
    ac.abort();
    await assert.rejects(r.done, AbortError);
    assert.strictEqual(model.last.aborted, false);
    timers.advance(999);
    const r2 = reader(session.request(P + 'a', S));
    await flush();
    timers.advance(5000);
    assert.strictEqual(model.last.aborted, false, 'followed again: no orphan abort');
    model.last.push('b;');
    model.last.end();
    assert.strictEqual(await r2.done, ' + b;');

    const ac2 = new AbortController();
    const r3 = reader(session.request('other', S, { signal: ac2.signal }));
    await flush();
    ac2.abort();
    await assert.rejects(r3.done, AbortError);
    timers.advance(1000);
    assert.strictEqual(model.last.aborted, true);
    await flush();
    assert.strictEqual(model.last.closed, true);
    assert.strictEqual(timers.pending, 0);
  });

  it('cancel() aborts the stream in flight through its AbortSignal', async () => {
    const r = reader(session.request(P, S));
    await flush();
    session.cancel();
    await assert.rejects(r.done, AbortError);
    assert.strictEqual(model.last.aborted, true);
    assert.strictEqual(session.inFlight, false);
  });

  it('an error reaches the consumer and the failed stream is not reused', async () => {
    const r = reader(session.request(P, S));
    await flush();
    model.last.push('a');
    model.last.fail(new Error('model crashed'));
    await assert.rejects(r.done, /model crashed/);
    reader(session.request(P + 'a', S)).done.catch(() => undefined);
    await flush();
    assert.strictEqual(model.starts.length, 2);
  });

  it('start() may return a promise and may throw', async () => {
    const s = new CompletionSession(async () => { throw new Error('connection refused'); }, { timers });
    await assert.rejects(reader(s.request(P, S)).done, /connection refused/);
    const ok = new CompletionSession(async () => (async function* () { yield 'x'; })(), { timers });
    assert.strictEqual(await reader(ok.request(P, S)).done, 'x');
  });
});

describe('Debouncer', () => {
  it('only the last of a burst fires, after the delay', async () => {
    const t = new FakeTimers();
    const d = new Debouncer(200, t);
    const a = d.wait();
    t.advance(150);
    const b = d.wait();
    t.advance(199);
    const c = d.wait();
    t.advance(199);
    assert.strictEqual(await a, false);
    assert.strictEqual(await b, false);
    t.advance(1);
    assert.strictEqual(await c, true);
    assert.strictEqual(t.now, 549);
    assert.strictEqual(t.pending, 0);
  });

  it('an aborted or cancelled wait resolves false and clears its timer', async () => {
    const t = new FakeTimers();
    const d = new Debouncer(100, t);
    const ac = new AbortController();
    const a = d.wait(ac.signal);
    ac.abort();
    assert.strictEqual(await a, false);
    assert.strictEqual(t.pending, 0);
    const pre = new AbortController();
    pre.abort();
    assert.strictEqual(await d.wait(pre.signal), false);
    const b = d.wait(undefined, 10);
    d.cancel();
    assert.strictEqual(await b, false);
    assert.strictEqual(t.pending, 0);
  });
});
