// What an error means for the user, before any words: a cancel, a server that cannot be reached at
// all, a missing model, an answer that broke off after part of it arrived, or another failure.
// src/vscode/errors.ts puts the words and the remedies on it.
import { isCancel } from '../common/cancel';
import { ConnectionError, EndpointNotFoundError, IncompleteStreamError, ModelNotFoundError, OllamaError, ProxyError, StreamError, TimeoutError } from './errors';

export type ErrorKind = 'cancelled' | 'unreachable' | 'modelMissing' | 'midStream' | 'other';

/** Errors that mean "the server cannot be reached at all" (as opposed to a failed request): no
 * connection, a timeout while connecting, a URL that is not an Ollama API (gin's 404), a proxy that
 * refused to pass the request on (407 and the like), and the statuses a proxy in front answers with
 * when it cannot get through (401/403 auth, 502/504). */
export function isUnreachable(e: unknown): boolean {
  return e instanceof ConnectionError || e instanceof EndpointNotFoundError || (e instanceof TimeoutError && e.phase === 'connect') || e instanceof ProxyError
    || (e instanceof OllamaError && (e.status === 401 || e.status === 403 || e.status === 502 || e.status === 504));
}

/**
 * The kind of `e`. `partial`: part of an answer had arrived, so a broken stream (an in-band error, a
 * dropped or silent connection) is `midStream` and a lost connection is not "unreachable". Any error
 * after `signal` aborted is a cancel.
 */
export function classifyError(e: unknown, o: { partial?: boolean; signal?: AbortSignal } = {}): ErrorKind {
  if (isCancel(e, o.signal)) return 'cancelled';
  if (e instanceof ModelNotFoundError) return 'modelMissing';
  if (isUnreachable(e) && !o.partial) return 'unreachable';
  if (o.partial && (e instanceof StreamError || e instanceof IncompleteStreamError || e instanceof TimeoutError || e instanceof ConnectionError)) return 'midStream';
  return 'other';
}
