// Runs a task at most once per interval while changes keep coming (saving a streamed answer every
// ~500 ms instead of per token), and at once on flush. Timers are injectable for tests.

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class Throttle {
  private timer: unknown;
  private last = -Infinity;
  private dirty = false;

  constructor(private readonly intervalMs: number, private readonly task: () => void, private readonly timers: Timers = realTimers) {}

  /** Something changed: run the task now if the interval has passed, else once it has. */
  schedule(): void {
    this.dirty = true;
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.last + this.intervalMs - this.timers.now());
    this.timer = this.timers.setTimeout(() => { this.timer = undefined; this.run(); }, wait);
  }

  /** Run now if anything is pending. */
  flush(): void {
    if (this.timer !== undefined) { this.timers.clearTimeout(this.timer); this.timer = undefined; }
    this.run();
  }

  cancel(): void {
    if (this.timer !== undefined) { this.timers.clearTimeout(this.timer); this.timer = undefined; }
    this.dirty = false;
  }

  get pending(): boolean { return this.dirty; }

  private run(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.last = this.timers.now();
    this.task();
  }
}
