// What VS Code's own AI features (its language-model picker, other extensions through vscode.lm,
// agent mode) are told about one installed model, from what the server says about it: family,
// context window, the room kept for the answer, and capabilities (tools, vision, thinking).
// Nothing is invented: the window is the num_ctx the extension sends (ollamaAssistant.options), at
// most the model's trained context (`/api/show` `model_info['<arch>.context_length']`; Ollama clamps
// a larger num_ctx to it), or, without that setting, the window the sidebar chat plans for
// (core/chat/trim resolveContextLength); on an OpenAI-compatible server that says what it serves
// (llama.cpp `meta.n_ctx` per slot, LM Studio's loaded context, vLLM `max_model_len`: ModelFacts.contextFixed or ModelSummary.contextLength), that, since num_ctx is
// not sent there; the answer's room is the chat's own (answerReserve).
// Pure: no vscode.
import { classifyChatModel } from '../chat/models';
import { answerReserve, resolveContextLength } from '../chat/trim';
import { modelContextLength, type ModelFacts } from '../llm/facts';
import type { ModelSummary, Sampling } from '../llm/types';

export interface LmModelInfo {
  /** The model's name as the server lists it (what requests send). */
  id: string;
  name: string;
  /** `details.family` (llama, qwen3…), else the name before its tag. */
  family: string;
  /** The first 12 hex digits of the manifest digest (changes when the model is pulled again), else its tag. */
  version: string;
  /** "3.2B · Q4_K_M" (what the server says; '' when it says nothing). */
  detail: string;
  /** Tokens of prompt + answer the server will hold. */
  contextWindow: number;
  /** Where the window comes from: the num_ctx setting; that setting clamped to the trained context;
   * the server's own word (an OpenAI-compatible server's /v1/models); no setting (the chat's plan:
   * the trained context up to 8192, else 4096). */
  contextSource: 'numCtx' | 'trained' | 'server' | 'assumed';
  /** The model's trained context, when the server says. */
  trainedContext?: number;
  maxInputTokens: number;
  maxOutputTokens: number;
  toolCalling: boolean;
  imageInput: boolean;
  thinking: boolean;
  /** False on a server that says nothing about capabilities (an OpenAI-compatible server): then
   * tools and images are offered, and the server's answer decides. */
  capabilitiesKnown: boolean;
  /** A base (FIM) code model: it answers, but was not tuned to chat. */
  base: boolean;
}

/** The window a request for this model plans for (see the header). */
export function contextWindow(numCtx: number | undefined, modelInfo: Record<string, unknown> | undefined): { tokens: number; source: LmModelInfo['contextSource']; trained?: number } {
  const trained = modelContextLength(modelInfo);
  const tokens = resolveContextLength(numCtx, modelInfo);
  const set = typeof numCtx === 'number' && Number.isFinite(numCtx) && numCtx > 0;
  return { tokens, source: !set ? 'assumed' : trained !== undefined && numCtx > trained ? 'trained' : 'numCtx', ...(trained !== undefined ? { trained } : {}) };
}

/** The model name without its tag and namespace ("library/qwen3:0.6b" -> "qwen3"). */
function bareName(name: string): string {
  const noTag = name.replace(/:[^/:]*$/, '');
  return noTag.slice(noTag.lastIndexOf('/') + 1);
}

/**
 * What VS Code is told about `m`, or undefined for a model that cannot chat (embedding-only,
 * image generation: no `completion` capability). `facts` is `/api/show` (undefined on an
 * OpenAI-compatible server); `generation` the options every request sends (num_ctx, num_predict).
 */
export function lmModelInfo(m: ModelSummary, facts: ModelFacts | undefined, generation: Pick<Sampling, 'numCtx' | 'numPredict'>): LmModelInfo | undefined {
  const caps = facts?.capabilities ?? m.capabilities;
  const kind = classifyChatModel(m.name, caps);
  if (kind === 'none') return undefined;
  const served = facts ? (facts.contextFixed ? facts.contextLength : undefined) : m.contextLength;
  const window = served ? { tokens: served, source: 'server' as const } : contextWindow(generation.numCtx, facts?.modelInfo);
  const reserve = answerReserve(window.tokens, generation.numPredict);
  const known = caps !== undefined;
  const tag = /:([^/:]+)$/.exec(m.name)?.[1];
  return {
    id: m.name,
    name: m.name,
    family: facts?.details?.family || m.family || bareName(m.name),
    version: m.digest ? m.digest.replace(/^sha256[:-]/, '').slice(0, 12) : tag ?? 'latest',
    detail: [m.parameterSize, m.quantization].filter(Boolean).join(' · '),
    contextWindow: window.tokens,
    contextSource: window.source,
    ...('trained' in window && window.trained !== undefined ? { trainedContext: window.trained } : {}),
    maxInputTokens: window.tokens - reserve,
    maxOutputTokens: reserve,
    toolCalling: known ? caps.includes('tools') : true,
    imageInput: known ? caps.includes('vision') : true,
    thinking: !!caps?.includes('thinking') || (facts?.thinking?.values ?? []).some((v) => v !== false),
    capabilitiesKnown: known,
    base: kind === 'base',
  };
}

/** A stable text of what the list says, so a listener can tell whether it really changed. */
export function infoSignature(list: readonly LmModelInfo[]): string {
  return JSON.stringify(list.map((i) => [i.id, i.version, i.maxInputTokens, i.maxOutputTokens, i.toolCalling, i.imageInput, i.thinking]));
}
