// What the server says about one model (capabilities, context length, reasoning values, template,
// family), in the domain's camelCase, and the per-model cache every feature keeps of it. Ollama
// answers from /api/show; an OpenAI-compatible server has no such endpoint and knows nothing here,
// so features treat "no facts" as "nothing says otherwise".
import { raceAbort } from '../common/cancel';
import { ResponseError } from '../http/errors';
import type { ShowResponse } from '../ollama/types';
import type { LlmBackend, ModelSummary } from './types';

/** `/api/show` `thinking` (newer servers): the values `think` accepts and the default. */
export interface ThinkingInfo {
  values?: Array<boolean | string>;
  default?: boolean | string;
}

/** Facts about one installed model. Every field is optional: older servers say less. */
export interface ModelFacts {
  /** `completion`, `insert` (FIM), `vision`, `tools`, `thinking`, `embedding`… */
  capabilities?: string[];
  /** The context window in tokens. Ollama: the model's own (`<arch>.context_length`), before any
   * num_ctx. An OpenAI-compatible server with `contextFixed`: what it gives one request (llama.cpp
   * per-slot `n_ctx` = --ctx-size ÷ --parallel, LM Studio's loaded context, vLLM max_model_len). */
  contextLength?: number;
  /** True when contextLength is fixed by the server (num_ctx cannot change it): the real limit for
   * trimming a conversation; a longer prompt is refused (llama.cpp 400) or cut. */
  contextFixed?: boolean;
  /** The model's trained context where the server says it beside the served one (llama.cpp
   * `n_ctx_train`, LM Studio `max_context_length`). */
  trainedContextLength?: number;
  /** How the server fills in the middle for this model (OpenAI-compatible servers; Ollama says it
   * with the `insert` capability). */
  fim?: FimFacts;
  /** `response_format` types the server enforces (LM Studio: json_schema only). */
  structuredOutput?: Array<'json_schema' | 'json_object'>;
  /** What the serving software says of it, for Diagnose: the software and its version; whether the
   * model is in memory (LM Studio, llama.cpp router); the model that really answers a request
   * naming this one (llama.cpp serves its one loaded model whatever name is asked); parallel
   * slots (llama.cpp). */
  server?: { kind?: string; version?: string; loaded?: boolean; servedModel?: string; slots?: number };
  /** The raw `model_info` (GGUF metadata) as the server sent it. */
  modelInfo?: Record<string, unknown>;
  thinking?: ThinkingInfo;
  /** The Go template the server formats prompts with. */
  template?: string;
  details?: { family?: string; parent_model?: string };
}

/**
 * How a server fills in the middle for one model:
 * - `infill`: llama.cpp's native `/infill` builds the prompt from the model's FIM tokens itself;
 * - `raw`: the server has no FIM endpoint, but its tokenizer knows these FIM tokens (vLLM
 *   /tokenize), so a raw prompt in that format works;
 * - `none`: the model has no FIM tokens (llama.cpp answered /infill with 501; `reason` quotes it).
 * `tokens` are the FIM tokens the server's tokenizer reported, learned from the server (never
 * from the model's file name); `source` is the request that told.
 */
export interface FimFacts {
  via: 'infill' | 'raw' | 'none';
  tokens?: { prefix: string; suffix: string; middle: string };
  reason?: string;
  source?: string;
}

/** Thrown by LlmBackend.complete when the server says this model cannot fill in the middle
 * (llama.cpp's /infill answers 501 `not_supported_error` "Infill is not supported by this model:
 * prefix token is missing. …"): a fact about the model to tell the user once, not a failure to retry. */
export class FimUnsupportedError extends ResponseError {
  readonly model: string;
  constructor(model: string, e: ResponseError) {
    super(e.message, { status: e.status, ...(e.url !== undefined ? { url: e.url } : {}), error: e.error, body: e.body });
    this.model = model;
  }
}

/** `model_info['<general.architecture>.context_length']`, or any `*.context_length` key. */
export function modelContextLength(info: Record<string, unknown> | undefined): number | undefined {
  if (!info) return undefined;
  const arch = info['general.architecture'];
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (typeof arch === 'string' && ok(info[`${arch}.context_length`])) return info[`${arch}.context_length`] as number;
  for (const [k, v] of Object.entries(info)) if (k.endsWith('.context_length') && ok(v)) return v;
  return undefined;
}

/** The facts in an `/api/show` answer (ollama-protocol.md §show). */
export function factsFromShow(r: ShowResponse): ModelFacts {
  const thinking = r.thinking && typeof r.thinking === 'object' ? r.thinking as ThinkingInfo : undefined;
  const contextLength = modelContextLength(r.model_info);
  return {
    ...(r.capabilities ? { capabilities: r.capabilities } : {}),
    ...(contextLength !== undefined ? { contextLength } : {}),
    ...(r.model_info ? { modelInfo: r.model_info } : {}),
    ...(thinking ? { thinking } : {}),
    ...(r.template ? { template: r.template } : {}),
    ...(r.details ? { details: r.details } : {}),
  };
}

export interface ModelFactsCacheOptions {
  /** Forget an answer after this long (default: never; call invalidate() after a pull). */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Per-model answers, fetched once: concurrent callers share one request, failures are not cached
 * (the next caller asks again), and a caller's signal only stops that caller's wait, never the
 * shared request. `known()` answers synchronously from what has already arrived.
 */
export class ModelFactsCache<T = ModelFacts | undefined> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();
  private readonly settled = new Map<string, T>();
  private readonly now: () => number;

  constructor(private readonly fetch: (model: string) => Promise<T>, private readonly opts: ModelFactsCacheOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** The cached answer, if one was asked for and is fresh. */
  peek(model: string): Promise<T> | undefined {
    const e = this.entries.get(model);
    if (!e) return undefined;
    if (this.opts.ttlMs !== undefined && this.now() - e.at > this.opts.ttlMs) {
      this.entries.delete(model);
      this.settled.delete(model);
      return undefined;
    }
    return e.value;
  }

  /** The answer for `model` (fetched when not cached). Rejects with AbortError when `signal` aborts. */
  get(model: string, signal?: AbortSignal): Promise<T> {
    let value = this.peek(model);
    if (!value) {
      const p = this.fetch(model);
      value = p;
      const entry = { at: this.now(), value: p };
      this.entries.set(model, entry);
      p.then((v) => { if (this.entries.get(model) === entry) this.settled.set(model, v); }, () => { if (this.entries.get(model) === entry) this.entries.delete(model); });
    }
    return raceAbort(value, signal, 'model lookup');
  }

  /** True once an answer for `model` has arrived (it may be undefined: the server knows nothing). */
  has(model: string): boolean { return this.settled.has(model); }

  /** The answer that has arrived for `model`, without asking. */
  known(model: string): T | undefined { return this.settled.get(model); }

  /** Forget one model (after a pull), or everything (another server). */
  invalidate(model?: string): void {
    if (model === undefined) { this.entries.clear(); this.settled.clear(); return; }
    this.entries.delete(model);
    this.settled.delete(model);
  }
}

/**
 * The installed models with their capabilities: from the list itself where the server puts them
 * there (Ollama >= 0.6.x `/api/tags`), else from each model's facts (`/api/show`, at most four at
 * once, through `facts` so they are cached). A model whose facts fail is listed without them.
 */
export async function listModelsWithCapabilities(
  llm: Pick<LlmBackend, 'listModels'>, facts: ModelFactsCache, o: { signal?: AbortSignal } = {},
): Promise<ModelSummary[]> {
  const listed = await llm.listModels(o);
  const queue = listed.filter((m) => !m.capabilities);
  const worker = async (): Promise<void> => {
    for (let m = queue.shift(); m; m = queue.shift()) {
      try { const f = await facts.get(m.name, o.signal); if (f?.capabilities) m.capabilities = f.capabilities; } catch { /* listed without */ }
    }
  };
  if (queue.length) await Promise.all([worker(), worker(), worker(), worker()]);
  return listed;
}
