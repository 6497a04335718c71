// An LlmBackend that reports when a generation request starts answering and when it ends, so that a
// view can follow what the server has loaded (Ollama loads a model for a request and restarts its
// keep_alive countdown when the request ends) without polling. The stream itself passes through:
// one extra `await` per chunk, no buffering, and aborting or breaking out of the loop still closes
// the connection at once (return() is forwarded).
import type { CallOptions } from '../http/options';
import type { ChatParams, CompletionParams, LlmBackend, StreamChunk } from './backend';

/** One generation request seen by an observed backend. `start`: the server answered (the model is
 * loaded or loading); `end`: the stream finished, broke off or was aborted. */
export interface ModelActivity {
  model: string;
  phase: 'start' | 'end';
  kind: 'chat' | 'complete';
}

/** Wraps `inner`; `notify` is called synchronously and must not throw (exceptions are swallowed). */
export function observeBackend(inner: LlmBackend, notify: (a: ModelActivity) => void): LlmBackend {
  const tell = (a: ModelActivity) => { try { notify(a); } catch { /* an observer never breaks a request */ } };
  const wrap = async (kind: ModelActivity['kind'], model: string, call: () => Promise<AsyncIterable<StreamChunk>>): Promise<AsyncIterable<StreamChunk>> => {
    let stream: AsyncIterable<StreamChunk>;
    try {
      stream = await call();
    } catch (e) {
      // A request the server refused may still have loaded (or tried to load) the model.
      tell({ model, phase: 'end', kind });
      throw e;
    }
    tell({ model, phase: 'start', kind });
    return observeStream(stream, () => tell({ model, phase: 'end', kind }));
  };
  const chat = (p: ChatParams, o?: CallOptions) => wrap('chat', p.model, () => inner.chat(p, o));
  const complete = (p: CompletionParams, o?: CallOptions) => wrap('complete', p.model, () => inner.complete(p, o));
  // A Proxy, so every other member (present or added later) is the inner backend's own, and
  // `instanceof` still sees the inner class.
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'chat') return chat;
      if (prop === 'complete') return complete;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** `stream` with `onEnd` called once when it is exhausted, throws, or is closed early. */
export function observeStream<T>(stream: AsyncIterable<T>, onEnd: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const it = stream[Symbol.asyncIterator]();
      let ended = false;
      const end = () => { if (!ended) { ended = true; onEnd(); } };
      return {
        async next() {
          try {
            const r = await it.next();
            if (r.done) end();
            return r;
          } catch (e) {
            end();
            throw e;
          }
        },
        async return(value?: unknown) {
          try {
            return it.return ? await it.return(value) : { done: true, value: value as T };
          } finally {
            end();
          }
        },
      };
    },
  };
}
