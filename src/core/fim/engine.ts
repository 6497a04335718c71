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
import { estimateTokens } from '../llm/tokens';
import { CompletionCache } from './cache';
import type { ShowInfo } from './capabilities';
import { systemTimers, type Timers } from '../common/timing';
import type { ContextQuery, GatherOptions, GatherResult } from './crossfile';
import { Debouncer } from './debounce';
import { CompletionShaper, collectShaped, type EmptyReason } from './postprocess';
import type { FimContext } from './repo';
import { buildFimRequest, type FimRequest, type FimRequestOptions } from './request';
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
  /** Tokens of context from other files per prompt (0 or unset: none). Capped at a quarter of
   * num_ctx when num_ctx is set, so the current file keeps most of the window. */
  contextTokens?: number;
}

/** Where cross-file context comes from (a CrossFileContext). */
export interface ContextSource {
  gather(q: ContextQuery, o: GatherOptions): Promise<GatherResult>;
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
  /** Called with what became of the newest request that asked the server (or the cache). */
  onOutcome?(o: CompletionOutcome): void;
  /** Context from other files for each new request (none when unset). */
  context?: ContextSource;
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
  /** What the context source needs about the document (no context when unset); asked only when a
   * new stream is about to start, after the debounce. */
  context?: () => Omit<ContextQuery, 'prefix' | 'suffix' | 'language'>;
}

/** The context one request carried. */
export interface ContextSummary {
  snippets: number;
  tokens: number;
  /** Time spent gathering it. */
  ms: number;
  timedOut: boolean;
  /** The snippets' paths and kinds, in prompt order. */
  sources: Array<{ path: string; kind: string; symbol?: string }>;
}

export interface CompletionTiming {
  /** When the engine was asked. */
  askedAt?: number;
  /** When the debounce ended (or the reuse began). */
  readyAt: number;
  /** Gathering the context took this long (after the debounce). */
  contextMs?: number;
  /** When the first chunk reached the shaper. */
  firstChunkAt?: number;
  doneAt: number;
}

export type EngineResult =
  | {
    kind: 'completion'; text: string; source: 'cache' | 'stream' | 'reuse'; model: string; timing?: CompletionTiming;
    /** Set when `text` is empty: why. */
    empty?: EmptyReason;
    context?: ContextSummary;
  }
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

/** What became of a request, for the status item's hover: shown, came back empty (and why),
 * failed, or the model cannot fill in the middle. */
export type CompletionOutcome =
  | { kind: 'shown'; model: string; source: 'cache' | 'stream' | 'reuse'; lines: number; chars: number; at: number; timing?: CompletionTiming; context?: ContextSummary }
  | { kind: 'empty'; model: string; reason: EmptyReason; at: number; timing?: CompletionTiming; context?: ContextSummary }
  | { kind: 'failed'; model: string; error: unknown; at: number }
  | { kind: 'unsupported'; model: string; message: string; at: number };

interface RequestContext {
  backend: Pick<LlmBackend, 'complete' | 'baseUrl'>;
  model: string;
  show: ShowInfo;
  opts: FimRequestOptions;
  /** For the log: which completion request this stream serves. */
  id: number;
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
    const askedAt = this.now();
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
      this.outcome(seq, { kind: 'shown', model: s.model, source: 'cache', ...size(hit.completion), at: askedAt });
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
      let decision = buildFimRequest(s.model, show, r.prefix, r.suffix, opts);
      if (decision.kind === 'unsupported') {
        this.setState(seq, 'idle');
        this.outcome(seq, { kind: 'unsupported', model: s.model, message: decision.message, at: askedAt });
        return { kind: 'unsupported', model: s.model, reason: decision.reason, suggestion: decision.suggestion, message: decision.message };
      }
      if (r.signal?.aborted) return this.cancelled(seq);
      // The stream this call meant to follow may have ended while the lookups above resolved.
      let reuse = continues && d.session.keystroke(r.prefix, r.suffix, key);
      if (continues && !reuse) {
        if (!(await pause())) return this.cancelled(seq);
        readyAt = this.now();
        reuse = d.session.keystroke(r.prefix, r.suffix, key);
      }

      // Context only for a new stream: a reused one keeps the prompt it was started with.
      let context: ContextSummary | undefined;
      let contextMs: number | undefined;
      if (!reuse && this.deps.context && r.context) {
        const q = r.context();
        const gathered = await this.gather(r, q, s);
        if (gathered) {
          contextMs = gathered.ms;
          context = summary(gathered);
          if (gathered.snippets.length) {
            const fim: FimContext = { repo: q.repo, path: q.path, snippets: gathered.snippets, ...(r.language ? { language: r.language } : {}) };
            opts.context = fim;
            decision = buildFimRequest(s.model, show, r.prefix, r.suffix, opts);
          }
        }
        if (r.signal?.aborted) return this.cancelled(seq);
      }

      const id = seq;
      d.context = { backend, model: s.model, show, opts, id };
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
        prefix: r.prefix, suffix: r.suffix, family: decision.kind === 'ok' ? decision.family : undefined, maxLines: s.maxLines, ...(r.language ? { language: r.language } : {}),
      });
      const got = await collectShaped(observed, shaper);
      if (r.signal?.aborted) return this.cancelled(seq);
      const text = got.text;
      this.cache.set(s.model, r.prefix, r.suffix, text);
      if (text) this.counters.shown++;
      this.setState(seq, 'idle');
      const timing: CompletionTiming = {
        askedAt, readyAt, ...(contextMs !== undefined ? { contextMs } : {}), ...(firstChunkAt !== undefined ? { firstChunkAt } : {}), doneAt: this.now(),
      };
      const source = reused ? 'reuse' : 'stream';
      this.outcome(seq, text
        ? { kind: 'shown', model: s.model, source, ...size(text), at: askedAt, timing, ...(context ? { context } : {}) }
        : { kind: 'empty', model: s.model, reason: got.empty ?? 'nothing', at: askedAt, timing, ...(context ? { context } : {}) });
      this.deps.log?.debug(`completion #${id} ${describeResult(text, got.empty)}; ${describeTiming(timing, decision, context)}`);
      return {
        kind: 'completion', text, source, model: s.model, timing,
        ...(got.empty && !text ? { empty: got.empty } : {}), ...(context ? { context } : {}),
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
      this.outcome(seq, { kind: 'failed', model: s.model, error: e, at: askedAt });
      return { kind: 'error', error: e, model: s.model, url };
    }
  }

  /** The context of a request within its budget; undefined when there is none to gather or the
   * source failed (a completion never fails for want of context). Rejects when the request is
   * cancelled. */
  private async gather(r: CompleteRequest, q: Omit<ContextQuery, 'prefix' | 'suffix' | 'language'>, s: EngineSettings): Promise<GatherResult | undefined> {
    const budget = Math.min(s.contextTokens ?? 0, s.numCtx !== undefined ? Math.floor(s.numCtx / 4) : Infinity);
    if (!(budget > 0) || !this.deps.context) return undefined;
    try {
      return await this.deps.context.gather(
        { ...q, prefix: r.prefix, suffix: r.suffix, ...(r.language ? { language: r.language } : {}) },
        { budgetTokens: budget, ...(r.signal ? { signal: r.signal } : {}) },
      );
    } catch (e) {
      if (r.signal?.aborted) throw e;
      this.deps.log?.debug(`completion context failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
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
    this.deps.log?.debug(`completion #${c.id} request to ${c.backend.baseUrl}: ${describeRequest(req)}`);
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

  private outcome(seq: number, o: CompletionOutcome): void {
    if (seq === this.seq) this.deps.onOutcome?.(o);
  }
}

function size(text: string): { lines: number; chars: number } {
  return { lines: text ? text.split('\n').length : 0, chars: text.length };
}

function summary(g: GatherResult): ContextSummary {
  return {
    snippets: g.snippets.length, tokens: g.tokens, ms: g.ms, timedOut: g.timedOut,
    sources: g.snippets.map((x) => ({ path: x.path, kind: x.kind, ...(x.symbol ? { symbol: x.symbol } : {}) })),
  };
}

const EMPTY_WHY: Record<EmptyReason, string> = {
  nothing: 'the model returned nothing',
  whitespace: 'the model returned only whitespace',
  token: 'filtered: the answer began with a special token',
  newline: 'filtered: one line was wanted and the first line was empty',
  'suffix-repeat': 'filtered: the answer repeated the line after the cursor',
  closer: 'filtered: the answer only closed what the code after the cursor closes',
  'suffix-overlap': 'filtered: the answer only re-typed the rest of the line',
  'max-lines': 'filtered: no line within the line limit',
};

function describeResult(text: string, empty: EmptyReason | undefined): string {
  if (text) return `shown: ${size(text).lines} line(s), ${text.length} chars`;
  return `empty: ${EMPTY_WHY[empty ?? 'nothing']} (${empty ?? 'nothing'})`;
}

function describeTiming(t: CompletionTiming, req: FimRequest, ctx: ContextSummary | undefined): string {
  const parts = [`waited ${Math.round(t.readyAt - (t.askedAt ?? t.readyAt))} ms (debounce)`];
  if (ctx) parts.push(`context ${ctx.snippets} snippet(s), ${ctx.tokens} tokens in ${Math.round(ctx.ms)} ms${ctx.timedOut ? ' (time limit reached)' : ''}`);
  if (req.kind === 'ok') parts.push(`prompt ~${estimateTokens((req.params.prompt ?? '') + (req.params.suffix ?? ''))} tokens`);
  if (t.firstChunkAt !== undefined) parts.push(`first token ${Math.round(t.firstChunkAt - t.readyAt)} ms`);
  parts.push(`total ${Math.round(t.doneAt - t.readyAt)} ms`);
  return parts.join(', ');
}

function describeRequest(req: Extract<FimRequest, { kind: 'ok' }>): string {
  const p = req.params;
  const mode = `${req.mode}${req.family ? ` ${req.family}` : ''}${req.singleLine ? ', single line' : ''}`;
  const ctx = req.snippets ? `, context ${req.snippets} snippet(s) as ${req.contextFormat}` : '';
  const o = p.options ?? {};
  return `${mode}${ctx}, prompt ${p.prompt.length} chars (~${estimateTokens(p.prompt + (p.suffix ?? ''))} tokens)${p.suffix !== undefined ? `, suffix ${p.suffix.length} chars` : ''}`
    + `, num_predict ${o.numPredict ?? '-'}${o.numCtx !== undefined ? `, num_ctx ${o.numCtx}` : ''}`;
}
