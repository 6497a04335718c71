// A small work queue with bounded parallelism, shared by document and subtitle jobs. Handlers may
// enqueue follow-up work (the halves of a batch that came back misaligned), which runs next.
import { abortError } from '../common/cancel';

export interface TaskContext {
  /** Aborted when the run is cancelled or another task failed. */
  signal: AbortSignal;
  /** False once the run has settled: a late result must not be recorded any more. */
  live(): boolean;
}

/**
 * Runs tasks, at most `concurrency` at once. Rejects on the first failure, or with an AbortError as
 * soon as `signal` aborts, without waiting for running tasks (a translate function that ignores its
 * signal cannot hold up a cancel); their signal is aborted and live() turns false.
 */
export function runQueue<T>(
  tasks: readonly T[],
  o: { concurrency: number; signal?: AbortSignal },
  handle: (task: T, ctx: TaskContext) => Promise<readonly T[] | void>,
): Promise<void> {
  const concurrency = Math.max(1, Math.floor(o.concurrency) || 1);
  return new Promise<void>((resolve, reject) => {
    const inner = new AbortController();
    let settled = false;
    let active = 0;
    const queue = [...tasks];
    const live = (): boolean => !settled;
    const onAbort = (): void => finish(abortError(o.signal, 'Translation'));
    function finish(err?: unknown): void {
      if (settled) return;
      settled = true;
      o.signal?.removeEventListener('abort', onAbort);
      if (err === undefined) { resolve(); return; }
      inner.abort(err);
      reject(err);
    }
    function pump(): void {
      if (settled) return;
      if (queue.length === 0 && active === 0) { finish(); return; }
      while (!settled && active < concurrency && queue.length > 0) {
        const task = queue.shift() as T;
        active++;
        // One signal per task, so a translate function's abort listeners go away with the task
        // instead of piling up on one signal shared by hundreds of requests.
        const tc = new AbortController();
        const onInner = (): void => tc.abort(inner.signal.reason);
        inner.signal.addEventListener('abort', onInner, { once: true });
        const done = (): void => { inner.signal.removeEventListener('abort', onInner); active--; };
        let p: Promise<readonly T[] | void>;
        try { p = handle(task, { signal: tc.signal, live }); } catch (e) { p = Promise.reject(e); }
        p.then(
          (more) => { done(); if (more && more.length) queue.unshift(...more); pump(); },
          (e: unknown) => { done(); finish(o.signal?.aborted ? abortError(o.signal, 'Translation') : e); },
        );
      }
    }
    if (o.signal?.aborted) { finish(abortError(o.signal, 'Translation')); return; }
    o.signal?.addEventListener('abort', onAbort, { once: true });
    pump();
  });
}
