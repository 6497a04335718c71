// Time, injectable: the timers every pacing helper runs on (tests pass a fake clock), and the one
// Throttle: at most once per interval, either deferring the work to the end of the interval
// (schedule/flush: saving a streamed answer every ~500 ms instead of per token) or dropping what
// comes too soon (admit: progress messages of the same kind at most every 150 ms).

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ClockTimers extends Timers {
  /** Milliseconds on any monotonic-enough clock. */
  now(): number;
}

export const systemTimers: ClockTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class Throttle {
  private timer: unknown;
  private last = -Infinity;
  private lastKey: string | undefined;
  private dirty = false;

  /** `task`: what schedule() and flush() run (admit() needs none). */
  constructor(private readonly intervalMs: number, private readonly task?: () => void, private readonly timers: ClockTimers = systemTimers) {}

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

  /** Drop what is pending. */
  cancel(): void {
    if (this.timer !== undefined) { this.timers.clearTimeout(this.timer); this.timer = undefined; }
    this.dirty = false;
  }

  get pending(): boolean { return this.dirty; }

  /** True (and counted) when `key` differs from the last one admitted or the interval has passed
   * since; false means drop this one: another of its kind went out a moment ago. */
  admit(key: string): boolean {
    const t = this.timers.now();
    if (key !== this.lastKey || t - this.last >= this.intervalMs) {
      this.last = t;
      this.lastKey = key;
      return true;
    }
    return false;
  }

  private run(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.last = this.timers.now();
    this.task?.();
  }
}
