// Small AbortSignal helpers shared by the completion pieces. Every cancellation surfaces as the
// client's AbortError, so callers tell "the user typed on" from a failure with one `isAbort`.
import { AbortError } from '../ollama/errors';

export function abortError(signal?: AbortSignal, what = 'completion'): AbortError {
  const reason: unknown = signal?.reason;
  if (reason instanceof AbortError) return reason;
  return new AbortError(`${what} cancelled`, reason instanceof Error ? { cause: reason } : {});
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
