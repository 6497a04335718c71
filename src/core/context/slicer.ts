// Long work on the extension host's one thread, in slices: the work calls checkpoint() between
// small units, and the slicer gives the event loop back (setImmediate) once a slice has run for its
// budget, so the editor never waits long on us (the bound is 50 ms; the default budget is
// far below it so that one unit more still fits). It also keeps the longest slice it saw.

export interface SlicerOptions {
  /** Run at most this long before yielding (ms). Default 8. */
  budgetMs?: number;
  /** How to give the event loop back. Default: setImmediate (after pending I/O callbacks). */
  yieldNow?: () => Promise<void>;
  now?: () => number;
}

/** Gives the event loop a turn (after pending I/O callbacks), then resolves. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class TimeSlicer {
  private sliceStart: number;
  private longest = 0;
  private readonly budgetMs: number;
  private readonly yieldNow: () => Promise<void>;
  private readonly now: () => number;

  constructor(o: SlicerOptions = {}) {
    this.budgetMs = o.budgetMs ?? 8;
    this.yieldNow = o.yieldNow ?? yieldToEventLoop;
    this.now = o.now ?? (() => performance.now());
    this.sliceStart = this.now();
  }

  /** The longest stretch of work between two yields seen so far (ms). */
  get longestMs(): number { return this.longest; }

  /** Between two units of work: yields when the slice has used its budget. */
  async checkpoint(): Promise<void> {
    const used = this.now() - this.sliceStart;
    if (used > this.longest) this.longest = used;
    if (used < this.budgetMs) return;
    await this.yieldNow();
    this.newSlice();
  }

  /** Whether the event loop has run its other callbacks since the slice began. */
  private turnPassed = true;

  /** After an await that may have given the event loop back (I/O): a new slice begins, but only
   * when the loop really turned since the slice began. Several reads resolve in one poll phase of
   * the loop, one after another with no turn between them: their work is one block, counted as one. */
  resumed(): void {
    if (!this.turnPassed) return;
    this.newSlice();
  }

  private newSlice(): void {
    this.sliceStart = this.now();
    this.turnPassed = false;
    setImmediate(() => { this.turnPassed = true; });
  }
}
