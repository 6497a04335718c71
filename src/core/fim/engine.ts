// The inline-completion pipeline behind the VS Code provider (src/vscode/completion), editor-free so
// that the benchmark drives exactly what the editor runs: per document one CompletionSession (at
// most one request in flight, typing the streamed characters reuses the stream) and one Debouncer;
// one LRU cache for type-through; one model-facts lookup per model. The provider hands it windows
// and an AbortSignal; the edit hook hands it every keystroke so that a stream the keystroke does not
// continue is aborted at once, before any debounce.
import { isCancel, raceAbort } from '../common/cancel';
import type { GenerationStats, LlmBackend } from '../llm/backend';
import { FimUnsupportedError, ModelFactsCache, type ModelFacts } from '../llm/facts';
import type { KeepAlive } from '../ollama/types';
import { CompletionCache } from './cache';
import type { ShowInfo } from './capabilities';
import { systemTimers, type Timers } from '../common/timing';
import { Debouncer } from './debounce';
import { CompletionShaper, collectCompletion } from './postprocess';
import { buildFimRequest, type FimRequestOptions } from './request';
import { CompletionSession, type StartFn } from './session';
import { LatencyTimer, formatLatency } from './stats';

export interface EngineSettings {
  model: string;
  debounceMs: number;
  maxLines: number;
  numPredict: number;
  /** The chat's num_ctx / keep_alive: a different value would make Ollama reload the model. */
  numCtx?: number;
  keepAlive?: KeepAlive;
}

export interface EngineLog {
  info(message: string): void;
  debug(message: string): void;
}

export type EngineState = 'idle' | 'waiting' | 'generating' | 'error';

export interface EngineDeps {
  /** The backend of the moment (the context owner rebuilds it when the connection changes). Its
   * modelFacts (Ollama's /api/show) decide how each model is asked to fill in the middle. */
  backend(): Promise<Pick<LlmBackend, 'complete' | 'baseUrl' | 'modelFacts'>>;
  settings(): EngineSettings;
  log?: EngineLog;
  /** Called with the state of the newest completion request. */
  onState?(state: EngineState, error?: unknown): void;
  /** Abort a stream nobody follows after this long (default 300 ms: the next keystroke re-attaches at once). */
  orphanAbortMs?: number;
  timers?: Timers;
  now?: () => number;
}

export interface CompleteRequest {
  /** Document identity (one session per document). */
  doc: string;
  prefix: string;
  suffix: string;
  /** The document's language id (VS Code's): `#` starts a comment in Python, shell, Ruby… */
  language?: string;
  /** Asked by hand: no debounce. */
  manual?: boolean;
  signal?: AbortSignal;
}

export interface CompletionTiming {
  /** When the debounce ended (or the reuse began). */
  readyAt: number;
  /** When the first chunk reached the shaper. */
  firstChunkAt?: number;
  doneAt: number;
}

export type EngineResult =
  | { kind: 'completion'; text: string; source: 'cache' | 'stream' | 'reuse'; model: string; timing?: CompletionTiming }
  | { kind: 'cancelled' }
  | { kind: 'unsupported'; model: string; reason: 'instruct' | 'unknown' | 'server'; suggestion: string; message: string }
  | { kind: 'error'; error: unknown; model: string; url: string };

export interface EngineStats {
  /** Completion requests from the editor (one per provide call). */
  provides: number;
  /** Served from the cache (exact or type-through): no request. */
  cacheHits: number;
  /** Served by a stream already running. */
  reuses: number;
  /** Reuses whose stream then went another way than the user typed, and started over. */
  restarts: number;
  /** HTTP requests sent. */
  requests: number;
  /** HTTP requests aborted, by reason. */
  aborted: Record<string, number>;
  /** Requests that ended with an error. */
  failed: number;
  /** Non-empty completions handed to the editor. */
  shown: number;
}

/** What the FIM decision reads of a model's facts; `{}` when the server has none (a plain
 * OpenAI-compatible server). An OpenAI-compatible server's FIM facts (FimFacts) become the
 * `insert` capability (its native FIM: llama.cpp /infill), the FIM tokens its tokenizer reported
 * (the raw format), or the server's refusal. */
export function showInfoOf(f: ModelFacts | undefined): ShowInfo {
  if (!f) return {};
  const fim = f.fim;
  return {
    ...(f.capabilities ? { capabilities: f.capabilities } : {}),
    ...(f.template !== undefined ? { template: f.template } : {}),
    ...(f.details ? { details: f.details } : {}),
    ...(f.modelInfo ? { model_info: f.modelInfo } : {}),
    ...(fim?.tokens ? { fimTokens: fim.tokens } : {}),
    ...(fim?.via === 'none' ? { fimRefused: fim.reason ?? 'the model has no fill-in-the-middle tokens' } : {}),
  };
}

interface RequestContext {
  backend: Pick<LlmBackend, 'complete' | 'baseUrl'>;
  model: string;
  show: ShowInfo;
  opts: FimRequestOptions;
}

interface DocState {
  session: CompletionSession;
  debouncer: Debouncer;
  /** Set before each session.request(): what a stream started now is made of. */
  context?: RequestContext;
  /** The reuse key of the last request. */
  key: string;
  /** The position a debounce is waiting for. */
  pending?: { prefix: string; suffix: string };
}

export class CompletionEngine {
  readonly cache = new CompletionCache();
  private readonly shows: ModelFactsCache<ShowInfo>;
  private readonly docs = new Map<string, DocState>();
  private readonly timers: Timers;
  private readonly now: () => number;
  private seq = 0;
  private readonly counters: EngineStats = { provides: 0, cacheHits: 0, reuses: 0, restarts: 0, requests: 0, aborted: {}, failed: 0, shown: 0 };

  constructor(private readonly deps: EngineDeps) {
    this.shows = new ModelFactsCache(async (model) => showInfoOf(await (await deps.backend()).modelFacts(model)));
    this.timers = deps.timers ?? systemTimers;
    this.now = deps.now ?? (() => performance.now());
  }

  stats(): EngineStats {
    let restarts = this.counters.restarts;
    for (const d of this.docs.values()) restarts += d.session.stats.restarted;
    return { ...this.counters, restarts, aborted: { ...this.counters.aborted } };
  }

  /** True while any document has a stream running. */
  get inFlight(): boolean {
    for (const d of this.docs.values()) if (d.session.inFlight) return true;
    return false;
  }

  /**
   * A keystroke in `doc`, before any debounce: a stream the new text does not continue is aborted,
   * and a debounce waiting for another position is dropped. `windows` is only read when needed.
   */
  edit(doc: string, windows: () => { prefix: string; suffix: string } | undefined): void {
    const d = this.docs.get(doc);
    if (!d || (!d.session.inFlight && !d.pending)) return;
    const w = windows();
    if (!w) {
      d.session.cancel();
      d.debouncer.cancel();
      return;
    }
    d.session.keystroke(w.prefix, w.suffix, d.key);
    if (d.pending && (d.pending.prefix !== w.prefix || d.pending.suffix !== w.suffix)) d.debouncer.cancel();
  }

  async complete(r: CompleteRequest): Promise<EngineResult> {
    const seq = ++this.seq;
    const s = this.deps.settings();
    const key = `${s.model}\u0000${s.numPredict}\u0000${s.numCtx ?? ''}`;
    const d = this.doc(r.doc);
    this.counters.provides++;
    // The edit hook has usually done this already; a provide call for another position does it here.
    const continues = d.session.keystroke(r.prefix, r.suffix, key);
    d.key = key;

    const hit = this.cache.get(s.model, r.prefix, r.suffix);
    if (hit) {
      this.counters.cacheHits++;
      this.counters.shown++;
      this.setState(seq, 'idle');
      return { kind: 'completion', text: hit.completion, source: 'cache', model: s.model };
    }

    const pause = async (): Promise<boolean> => {
      const pending = { prefix: r.prefix, suffix: r.suffix };
      d.pending = pending;
      const ok = await d.debouncer.wait(r.signal, r.manual ? 0 : s.debounceMs);
      if (d.pending === pending) d.pending = undefined;
      return ok;
    };
    let url = '';
    try {
      if (!continues && !(await pause())) return this.cancelled(seq);
      let readyAt = this.now();
      const backend = await raceAbort(this.deps.backend(), r.signal);
      url = backend.baseUrl;
      const show = await this.shows.get(s.model, r.signal);
      const opts: FimRequestOptions = {
        numPredict: s.numPredict,
        ...(s.numCtx !== undefined ? { numCtx: s.numCtx } : {}),
        ...(s.keepAlive !== undefined ? { keepAlive: s.keepAlive } : {}),
      };
      // Decided once here (the answer per model is cached), so an unusable model costs no request.
      const decision = buildFimRequest(s.model, show, r.prefix, r.suffix, opts);
      if (decision.kind === 'unsupported') {
        this.setState(seq, 'idle');
        return { kind: 'unsupported', model: s.model, reason: decision.reason, suggestion: decision.suggestion, message: decision.message };
      }
      if (r.signal?.aborted) return this.cancelled(seq);
      // The stream this call meant to follow may have ended while the lookups above resolved.
      if (continues && !d.session.keystroke(r.prefix, r.suffix, key)) {
        if (!(await pause())) return this.cancelled(seq);
        readyAt = this.now();
      }

      d.context = { backend, model: s.model, show, opts };
      const started = d.session.stats.started;
      const stream = d.session.request(r.prefix, r.suffix, { signal: r.signal, key });
      const reused = d.session.stats.started === started;
      if (reused) this.counters.reuses++;
      this.setState(seq, 'waiting');

      let firstChunkAt: number | undefined;
      const observed = this.observe(stream, () => {
        firstChunkAt = this.now();
        this.setState(seq, 'generating');
      });
      const shaper = new CompletionShaper({
        prefix: r.prefix, suffix: r.suffix, family: decision.family, maxLines: s.maxLines, ...(r.language ? { language: r.language } : {}),
      });
      const text = await collectCompletion(observed, shaper);
      if (r.signal?.aborted) return this.cancelled(seq);
      this.cache.set(s.model, r.prefix, r.suffix, text);
      if (text) this.counters.shown++;
      this.setState(seq, 'idle');
      return {
        kind: 'completion', text, source: reused ? 'reuse' : 'stream', model: s.model,
        timing: { readyAt, ...(firstChunkAt !== undefined ? { firstChunkAt } : {}), doneAt: this.now() },
      };
    } catch (e) {
      if (isCancel(e, r.signal)) return this.cancelled(seq);
      if (e instanceof FimUnsupportedError) {
        // The server found out at the request (llama.cpp /infill 501): ask its facts again, which
        // now say so, so the next request is decided without one.
        this.shows.invalidate(s.model);
        this.setState(seq, 'idle');
        return { kind: 'unsupported', model: s.model, reason: 'server', suggestion: '', message: `The server cannot fill in the middle with ${s.model}: ${e.error.trim()}` };
      }
      this.setState(seq, 'error', e);
      return { kind: 'error', error: e, model: s.model, url };
    }
  }

  /** The document was closed: end its stream and forget it. */
  close(doc: string): void {
    const d = this.docs.get(doc);
    if (!d) return;
    d.session.cancel();
    d.debouncer.cancel();
    this.counters.restarts += d.session.stats.restarted;
    this.docs.delete(doc);
  }

  /** Settings or the server changed: end every stream; `full` also forgets model lookups and the cache. */
  reset(full = false): void {
    for (const doc of [...this.docs.keys()]) this.close(doc);
    // Cached completions were shaped with the old settings (max lines, model, options): drop them.
    this.cache.clear();
    if (full) this.shows.invalidate();
  }

  /** Forget what /api/show said about a model (after a pull). */
  invalidateModel(model: string): void {
    this.shows.invalidate(model);
  }

  private doc(id: string): DocState {
    let d = this.docs.get(id);
    if (!d) {
      const state: DocState = {
        session: undefined as unknown as CompletionSession,
        debouncer: new Debouncer(0, this.timers),
        key: '',
      };
      const start: StartFn = (prefix, suffix, signal) => {
        const c = state.context;
        if (!c) throw new Error('completion started without a request context');
        return this.stream(c, prefix, suffix, signal);
      };
      state.session = new CompletionSession(start, { orphanAbortMs: this.deps.orphanAbortMs ?? 300, timers: this.timers });
      this.docs.set(id, d = state);
    }
    return d;
  }

  /** One HTTP request: raw text chunks, one latency line in the log. */
  private async *stream(c: RequestContext, prefix: string, suffix: string, signal: AbortSignal): AsyncGenerator<string> {
    const req = buildFimRequest(c.model, c.show, prefix, suffix, c.opts);
    if (req.kind !== 'ok') throw new Error(req.message);
    this.counters.requests++;
    const timer = new LatencyTimer(this.now);
    let stats: GenerationStats | undefined;
    let ended = false;
    try {
      const it = await c.backend.complete(req.params, { signal });
      for await (const chunk of it) {
        if (chunk.text) {
          timer.token();
          yield chunk.text;
        }
        if (chunk.done) stats = chunk.stats;
      }
      ended = true;
    } finally {
      const mode = `${req.mode}${req.family ? ` ${req.family}` : ''}${req.singleLine ? ', single line' : ''}`;
      if (ended) {
        this.deps.log?.info(`completion ${formatLatency(c.model, stats, timer.sample(), mode)}`);
      } else if (signal.aborted) {
        const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
        this.counters.aborted[reason] = (this.counters.aborted[reason] ?? 0) + 1;
        this.deps.log?.debug(`completion ${formatLatency(c.model, undefined, timer.sample(), `${mode}; aborted: ${reason}`)}`);
      } else {
        this.counters.failed++;
      }
    }
  }

  /** Passes chunks through, calling `first` before the first one. */
  private async *observe(it: AsyncIterable<string>, first: () => void): AsyncGenerator<string> {
    let seen = false;
    for await (const s of it) {
      if (!seen) { seen = true; first(); }
      yield s;
    }
  }

  private cancelled(seq: number): EngineResult {
    this.setState(seq, 'idle');
    return { kind: 'cancelled' };
  }

  /** Only the newest request speaks for the status bar. */
  private setState(seq: number, state: EngineState, error?: unknown): void {
    if (seq === this.seq) this.deps.onState?.(state, error);
  }
}
