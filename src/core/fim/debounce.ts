// Waiting for the user to pause before asking the model, with injectable timers so tests run on a
// fake clock. Each wait supersedes the previous one, which resolves false.

import { systemTimers, type Timers } from '../common/timing';

export class Debouncer {
  private pending: { handle: unknown; settle: (ok: boolean) => void } | undefined;

  constructor(private readonly delayMs: number, private readonly timers: Timers = systemTimers) {}

  /** Resolves true once `delayMs` pass with no newer wait(); false if superseded, cancelled or aborted. */
  wait(signal?: AbortSignal, delayMs: number = this.delayMs): Promise<boolean> {
    this.cancel();
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const settle = (ok: boolean): void => {
        if (this.pending === entry) { this.timers.clearTimeout(entry.handle); this.pending = undefined; }
        signal?.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = (): void => settle(false);
      const entry = { handle: undefined as unknown, settle };
      this.pending = entry;
      entry.handle = this.timers.setTimeout(() => settle(true), Math.max(0, delayMs));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Resolve the pending wait (if any) with false. */
  cancel(): void {
    this.pending?.settle(false);
  }
}
