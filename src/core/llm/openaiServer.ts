// What an OpenAI-compatible server's own facts mean in the domain's terms: the detection
// (core/openai/inspect.ts) as a ServerProbe, one model's entry as ModelFacts, a reply's `timings` /
// `stats` / usage as GenerationStats. Pure: the requests are the inspector's and the client's.
import type { FimInfo, ServerInfo } from '../openai/inspect';
import { measuredSpeed, speedFrom, type ServerModel } from '../openai/dialect';
import type { FimFacts, ModelFacts } from './facts';
import type { GenerationStats, ModelSummary, ServerKind, ServerProbe } from './types';

/** A listed model as a ModelSummary. */
export function summaryOf(m: ServerModel): ModelSummary {
  return {
    name: m.id,
    ...(m.sizeBytes !== undefined ? { sizeBytes: m.sizeBytes } : {}),
    ...(m.family !== undefined ? { family: m.family } : {}),
    ...(m.quantization !== undefined ? { quantization: m.quantization } : {}),
    ...(m.capabilities ? { capabilities: [...m.capabilities] } : {}),
    ...(m.servedContext !== undefined ? { contextLength: m.servedContext } : {}),
    ...(m.loaded !== undefined ? { loaded: m.loaded } : {}),
  };
}

/** The detection as the answer to Test Connection / Diagnose. */
export function probeOf(info: ServerInfo): ServerProbe {
  const p = info.llamacpp;
  return {
    backend: 'openai',
    ...(info.kind ? { server: info.kind satisfies ServerKind } : {}),
    ...(info.version ? { version: info.version } : {}),
    models: info.models.map(summaryOf),
    keyCheck: info.kind === 'ollama' ? 'none' : { path: info.keyCheckPath ?? 'GET /v1/models' },
    evidence: [...info.evidence],
    ...(p?.slots !== undefined ? { slots: p.slots } : {}),
    ...(p?.contextPerSlot !== undefined ? { contextPerSlot: p.contextPerSlot } : {}),
    ...(p?.modelPath !== undefined ? { modelPath: p.modelPath } : {}),
  };
}

/**
 * The model entry a request for `model` is served from. llama.cpp without router mode serves its
 * one loaded model whatever name is asked (the reply's `model` is its file name or --alias), so a
 * name it does not list still gets that model's facts.
 */
export function servingEntry(info: ServerInfo, model: string): ServerModel | undefined {
  const exact = info.models.find((m) => m.id === model) ?? info.models.find((m) => m.id.toLowerCase() === model.toLowerCase());
  if (exact) return exact;
  if (info.kind === 'llama.cpp' && info.models.length === 1 && info.models[0]!.loaded === undefined) return info.models[0];
  return undefined;
}

function fimFactsOf(f: FimInfo): FimFacts {
  return { via: f.via, ...(f.tokens ? { tokens: { ...f.tokens } } : {}), ...(f.reason !== undefined ? { reason: f.reason } : {}), source: f.source };
}

/**
 * One model's facts from what the server said: capabilities (llama.cpp `models[].capabilities`
 * and /props, LM Studio `type`/`capabilities`), the context one request gets (`contextFixed`:
 * llama.cpp per-slot n_ctx, LM Studio's loaded context, vLLM max_model_len), the trained context,
 * how it fills in the middle (`insert` when llama.cpp's /infill can), structured output, and the
 * server facts Diagnose shows. Undefined for a server that says nothing of its models (LiteLLM, an
 * unknown server), so features treat it as "nothing says otherwise".
 */
export function factsOf(info: ServerInfo, model: string, fim: FimInfo | undefined): ModelFacts | undefined {
  if (info.kind === undefined || info.kind === 'litellm' || info.kind === 'ollama') return undefined;
  const entry = servingEntry(info, model);
  const p = info.llamacpp;
  const caps = new Set(entry?.capabilities ?? (info.kind === 'llama.cpp' ? ['completion'] : []));
  if (p?.vision) caps.add('vision');
  if (p?.tools) caps.add('tools');
  if (fim?.via === 'infill' && caps.has('completion')) caps.add('insert');
  const served = entry?.servedContext ?? (info.kind === 'llama.cpp' ? p?.contextPerSlot : undefined);
  const facts: ModelFacts = {};
  if (caps.size) facts.capabilities = [...caps];
  if (served !== undefined) { facts.contextLength = served; facts.contextFixed = true; }
  if (entry?.trainedContext !== undefined) facts.trainedContextLength = entry.trainedContext;
  if (fim) facts.fim = fimFactsOf(fim);
  // llama.cpp: json_object is not enforced (an empty schema is no grammar; transcripts); LM Studio
  // refuses it ("json_schema only"); vLLM enforces both.
  facts.structuredOutput = info.kind === 'vllm' ? ['json_schema', 'json_object'] : ['json_schema'];
  if (entry?.family) facts.details = { family: entry.family };
  facts.server = {
    kind: info.kind,
    ...(info.version ? { version: info.version } : {}),
    ...(entry?.loaded !== undefined ? { loaded: entry.loaded } : {}),
    ...(entry && entry.id !== model ? { servedModel: entry.id } : {}),
    ...(p?.slots !== undefined ? { slots: p.slots } : {}),
  };
  return facts;
}

/**
 * The stats of one reply: the server's counts (`usage`, else llama.cpp's own counts in `timings`),
 * its speed readout (llama.cpp `timings`, LM Studio `stats`), else the speed measured here from the
 * output count over the time between the first and the last text chunk (`firstAt`/`lastAt`, ms on
 * one clock). Undefined when the reply carried none of these.
 */
export function replyStats(
  usage: { prompt_tokens?: number; completion_tokens?: number } | null | undefined,
  timings: unknown, lmStats: unknown, firstAt?: number, lastAt?: number,
): GenerationStats | undefined {
  const speed = speedFrom(timings, lmStats);
  const promptTokens = usage?.prompt_tokens ?? speed?.promptTokens;
  const outputTokens = usage?.completion_tokens ?? speed?.outputTokens;
  if (promptTokens === undefined && outputTokens === undefined && !speed) return undefined;
  const s: GenerationStats = { promptTokens: promptTokens ?? 0, outputTokens: outputTokens ?? 0 };
  if (speed?.promptMs !== undefined) s.promptMs = speed.promptMs;
  if (speed?.evalMs !== undefined) s.evalMs = speed.evalMs;
  if (speed?.promptMs !== undefined && speed.evalMs !== undefined) s.totalMs = speed.promptMs + speed.evalMs;
  if (speed?.tokensPerSecond !== undefined) {
    s.tokensPerSecond = speed.tokensPerSecond;
    s.speedSource = 'server';
  } else {
    const tps = measuredSpeed(outputTokens, firstAt, lastAt);
    if (tps !== undefined) { s.tokensPerSecond = tps; s.speedSource = 'client'; }
  }
  return s;
}

/** Follows one streamed reply for what its last chunk reports: usage, llama.cpp `timings` (on the
 * finish chunk or the `choices: []` usage chunk after it), LM Studio `stats`, the `model` that
 * answered, and when the first and last text arrived (for a measured speed). */
export class ReplyTracker {
  private usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
  private timings: unknown;
  private lmStats: unknown;
  private model: string | undefined;
  private firstAt: number | undefined;
  private lastAt: number | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** One wire chunk; `hasText`: it carried answer or reasoning text. */
  see(c: { usage?: { prompt_tokens?: number; completion_tokens?: number } | null; timings?: unknown; stats?: unknown; model?: unknown }, hasText: boolean): void {
    if (c.usage && (c.usage.completion_tokens || c.usage.prompt_tokens)) this.usage = c.usage;
    if (c.timings !== undefined && c.timings !== null) this.timings = c.timings;
    if (c.stats !== undefined && c.stats !== null) this.lmStats = c.stats;
    if (this.model === undefined && typeof c.model === 'string' && c.model) this.model = c.model;
    if (hasText) {
      const t = this.now();
      this.firstAt ??= t;
      this.lastAt = t;
    }
  }

  /** What the done chunk carries: `stats` (see replyStats) and `model`. */
  final(): { stats?: GenerationStats; model?: string } {
    const stats = replyStats(this.usage, this.timings, this.lmStats, this.firstAt, this.lastAt);
    return { ...(stats ? { stats } : {}), ...(this.model ? { model: this.model } : {}) };
  }
}
