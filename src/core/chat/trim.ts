// Fitting a conversation into the model's context window. Tokens are estimated per script
// (src/core/llm/tokens.ts: CJK at least one token per character, English and code near their real
// counts), scaled by what the model's own counts taught us. When the conversation is too long the
// OLDEST turns go first; the system prompt and the newest message (the question being asked)
// always stay.
import type { LlmMessage } from '../llm/backend';
import { modelContextLength } from '../llm/facts';
import { addParts, estimateTokenParts, estimateTokens, scaleParts, UNIT_FACTORS, type TokenFactors, type TokenParts } from '../llm/tokens';

export { estimateTokens };
/** Per-message template overhead (role markers, separators). */
export const MESSAGE_OVERHEAD_TOKENS = 4;
/** What one image costs in a vision model's context (llava: 576 patches; newer models more). */
export const IMAGE_TOKENS = 768;
/** Used when neither the setting nor the model says how large the window is. */
export const DEFAULT_CONTEXT_TOKENS = 4096;
/** Cap for a context length taken from the model's metadata: the server does not load a model with
 * its full trained window (often 128k) unless num_ctx asks for it, and we do not send num_ctx on our
 * own (that would reload the model for other features), so the usable window is far smaller. */
export const MAX_AUTO_CONTEXT_TOKENS = 8192;

/** A message's estimate before scaling: its text, plus template overhead and images as "other". */
export function estimateMessageParts(m: LlmMessage): TokenParts {
  const p = estimateTokenParts(m.content);
  return { cjk: p.cjk, other: p.other + MESSAGE_OVERHEAD_TOKENS + (m.images?.length ?? 0) * IMAGE_TOKENS };
}

export function estimateMessageTokens(m: LlmMessage, f: TokenFactors = UNIT_FACTORS): number {
  return scaleParts(estimateMessageParts(m), f);
}

/** The context window to plan for: the num_ctx setting, at most the model's own context length
 * from /api/show (`<arch>.context_length`: Ollama clamps a larger num_ctx to it, llm/server.go
 * "requested context size too large for model"); without the setting, the model's own context
 * length capped at MAX_AUTO_CONTEXT_TOKENS; else 4096. `served`: the window the server fixes for one
 * request (ModelFacts.contextFixed: llama.cpp per slot, LM Studio's loaded context, vLLM
 * max_model_len) - num_ctx cannot raise it, so it is the limit. */
export function resolveContextLength(numCtxSetting: number | undefined, modelInfo: Record<string, unknown> | undefined, served?: number): number {
  const setting = typeof numCtxSetting === 'number' && Number.isFinite(numCtxSetting) && numCtxSetting > 0 ? Math.floor(numCtxSetting) : undefined;
  if (typeof served === 'number' && Number.isFinite(served) && served > 0) return Math.min(Math.floor(served), setting ?? Infinity);
  const fromModel = modelContextLength(modelInfo);
  if (setting !== undefined) return Math.min(setting, fromModel ?? Infinity);
  if (fromModel) return Math.min(fromModel, MAX_AUTO_CONTEXT_TOKENS);
  return DEFAULT_CONTEXT_TOKENS;
}

/** Room kept free for the answer: num_predict when set (at most half the window), else a quarter of
 * the window up to 1024 tokens. */
export function answerReserve(numCtx: number, numPredict?: number): number {
  if (typeof numPredict === 'number' && numPredict > 0) return Math.min(Math.floor(numPredict), Math.floor(numCtx / 2));
  return Math.min(1024, Math.floor(numCtx / 4));
}

export function promptBudget(numCtx: number, numPredict?: number): number {
  return Math.max(1, numCtx - answerReserve(numCtx, numPredict));
}

export interface TrimResult {
  messages: LlmMessage[];
  /** How many non-system messages were left out. */
  dropped: number;
  estimatedTokens: number;
  /** The unscaled estimate of the messages kept (for calibration against the server's count). */
  parts: TokenParts;
  budget: number;
  /** Even the system prompt and the newest message alone exceed the budget (sent anyway). */
  overBudget: boolean;
}

/** Drops the oldest non-system messages until the estimate fits `budget`. System messages and the
 * last message are never dropped; an assistant message left at the front of the conversation
 * (its question gone) is dropped too, so the history starts with a user turn. */
export function trimToContext(messages: readonly LlmMessage[], budget: number, factors: TokenFactors = UNIT_FACTORS): TrimResult {
  const parts = messages.map(estimateMessageParts);
  const cost = parts.map((p) => scaleParts(p, factors));
  let total = cost.reduce((a, b) => a + b, 0);
  const keep = messages.map(() => true);
  const lastIdx = messages.length - 1;
  let dropped = 0;
  let i = 0;
  const dropNext = (): boolean => {
    while (i < lastIdx && (messages[i]!.role === 'system' || !keep[i])) i++;
    if (i >= lastIdx) return false;
    keep[i] = false;
    total -= cost[i]!;
    dropped++;
    return true;
  };
  while (total > budget && dropNext()) {
    // Do not leave an answer without its question at the front.
    let j = i + 1;
    while (j < lastIdx && messages[j]!.role === 'system') j++;
    if (j < lastIdx && messages[j]!.role === 'assistant') { i = j; dropNext(); }
  }
  return {
    messages: messages.filter((_, k) => keep[k]),
    dropped,
    estimatedTokens: total,
    parts: parts.filter((_, k) => keep[k]).reduce(addParts, { cjk: 0, other: 0 }),
    budget,
    overBudget: total > budget,
  };
}
