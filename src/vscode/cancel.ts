// The one bridge from VS Code's CancellationToken to the core's AbortSignal (what a cancel then
// means is core/common/cancel's business: isCancel, abortError).
import type * as vscode from 'vscode';

/** A signal that aborts once any of `tokens` is cancelled (at once when one already is), and a
 * dispose() that unhooks the listeners. `reason` makes the abort reason (default: the platform's
 * AbortError); `onCancel` is told first (counters, logs). */
export function abortOn(
  tokens: ReadonlyArray<vscode.CancellationToken | undefined>,
  o: { reason?: () => unknown; onCancel?: () => void } = {},
): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const cancel = (): void => {
    if (ac.signal.aborted) return;
    o.onCancel?.();
    if (o.reason) ac.abort(o.reason()); else ac.abort();
  };
  const subs: vscode.Disposable[] = [];
  for (const t of tokens) {
    if (!t) continue;
    if (t.isCancellationRequested) cancel();
    else subs.push(t.onCancellationRequested(cancel));
  }
  return { signal: ac.signal, dispose: () => { for (const s of subs.splice(0)) s.dispose(); } };
}
