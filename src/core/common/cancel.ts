// Cancellation, in one place: what counts as "the user (or a newer request) cancelled", the
// AbortError every cancel surfaces as, and waiting on a promise that a signal may cut short. A
// cancel is never a failure: features ask isCancel() before they report anything.
import { AbortError } from '../http/errors';

/**
 * True when `e` means the work was cancelled rather than failed: the clients' AbortError, any error
 * named `AbortError` (a DOMException from Node's AbortSignal, undici's abort), or any error at all
 * once `signal` has aborted (what a request ended with after its caller gave up does not matter).
 */
export function isCancel(e: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  if (e instanceof AbortError) return true;
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

/**
 * The AbortError for a signal that aborted: its reason when that already is one, else a new
 * AbortError "`what` cancelled" with the reason as its cause (when the reason is an Error).
 */
export function abortError(signal?: AbortSignal, what = 'request'): AbortError {
  const reason: unknown = signal?.reason;
  if (reason instanceof AbortError) return reason;
  return new AbortError(`${what} cancelled`, reason instanceof Error ? { cause: reason } : {});
}

/** Throws abortError(signal, what) when `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

/** Waits for `p`, or rejects with AbortError as soon as `signal` aborts (p itself keeps running). */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined, what?: string): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortError(signal, what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal, what));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

