// A conversation as VS Code's language-model API hands it to a provider, in neutral parts (the
// adapter reads VS Code's part classes into these), turned into the backend's messages; the token
// estimate of such a conversation (the chat's own estimator, core/llm/tokens via core/chat/trim); and
// a consumer's `modelOptions` read into sampling options. Pure: no vscode.
//
// VS Code's rules (vscode.d.ts 1.104+, LanguageModelChatRequestMessage): a tool result
// (`LanguageModelToolResultPart`) comes in a User message and answers the call of the same id made
// in the Assistant message before it (`LanguageModelToolCallPart`). Both APIs want each result as a
// message of its own with role `tool`, right after the assistant's calls, before any user text.
import { estimateMessageParts } from '../chat/trim';
import { imageProblem, type ImageProblem } from '../common/images';
import type { LlmMessage, LlmToolCall, Sampling } from '../llm/types';
import { addParts, estimateTokenParts, scaleParts, UNIT_FACTORS, type TokenFactors, type TokenParts } from '../llm/tokens';

export type LmInPart =
  | { kind: 'text'; text: string }
  /** Base64 data (no data: prefix). */
  | { kind: 'image'; mime: string; data: string }
  | { kind: 'toolCall'; callId: string; name: string; input: Record<string, unknown> }
  | { kind: 'toolResult'; callId: string; text: string }
  /** Earlier reasoning (not sent back: servers re-derive it). */
  | { kind: 'thinking'; text: string };

export interface LmInMessage {
  role: 'user' | 'assistant' | 'system';
  parts: LmInPart[];
}

/** An image the servers cannot take (its type, its size, or data that is not base64). */
export class UnsupportedImageError extends Error {
  constructor(readonly mime: string, readonly problem: ImageProblem) {
    super(`an image (${mime}) cannot be sent: ${problem === 'unsupported' ? 'only PNG, JPEG, WebP and GIF are supported' : problem === 'tooLarge' ? 'it is larger than 20 MiB' : 'its data is not base64'}`);
    this.name = 'UnsupportedImageError';
  }
}

const text = (parts: readonly LmInPart[]): string => parts.map((p) => (p.kind === 'text' ? p.text : '')).join('');

/**
 * The backend's messages for a VS Code conversation. Tool results become `tool` messages (with the
 * name of the call they answer, looked up by id) placed before the user's own text of that turn;
 * an assistant turn keeps its text and its calls; reasoning is dropped; a message left with
 * nothing is left out. Throws UnsupportedImageError for an image no server takes.
 */
export function toLlmMessages(msgs: readonly LmInMessage[]): LlmMessage[] {
  const out: LlmMessage[] = [];
  const callNames = new Map<string, string>();
  for (const m of msgs) {
    if (m.role === 'assistant') {
      const calls: LlmToolCall[] = [];
      for (const p of m.parts) {
        if (p.kind !== 'toolCall') continue;
        calls.push({ id: p.callId, name: p.name, arguments: p.input });
        callNames.set(p.callId, p.name);
      }
      const content = text(m.parts);
      if (content || calls.length) out.push({ role: 'assistant', content, ...(calls.length ? { toolCalls: calls } : {}) });
      continue;
    }
    if (m.role === 'user') {
      for (const p of m.parts) {
        if (p.kind !== 'toolResult') continue;
        const name = callNames.get(p.callId);
        out.push({ role: 'tool', content: p.text, toolCallId: p.callId, ...(name ? { toolName: name } : {}) });
      }
    }
    const images: string[] = [];
    for (const p of m.parts) {
      if (p.kind !== 'image') continue;
      const problem = imageProblem(p.mime, p.data);
      if (problem) throw new UnsupportedImageError(p.mime, problem);
      images.push(p.data);
    }
    const content = text(m.parts);
    if (content || images.length) out.push({ role: m.role, content, ...(images.length ? { images } : {}) });
  }
  return out;
}

/** The estimate of one message as the chat makes it (text, per-message overhead, images), plus the
 * calls it carries. */
export function lmMessageParts(m: LlmMessage): TokenParts {
  const base = estimateMessageParts(m);
  return m.toolCalls?.length ? addParts(base, estimateTokenParts(JSON.stringify(m.toolCalls.map((c) => ({ name: c.name, arguments: c.arguments }))))) : base;
}

/** Estimated prompt tokens of `msgs` for a model with the given factors (the chat's calibration). */
export function estimateLmTokens(msgs: readonly LlmMessage[], f: TokenFactors = UNIT_FACTORS): number {
  return scaleParts(msgs.map(lmMessageParts).reduce(addParts, { cjk: 0, other: 0 }), f);
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * A consumer's `modelOptions` over the extension's own options: temperature, top_p, top_k, seed,
 * max_tokens (or num_predict), stop. The context window (num_ctx) is never taken from a consumer:
 * it is what the extension told VS Code, and another value would reload the model.
 */
export function samplingWith(base: Sampling, modelOptions: Readonly<Record<string, unknown>> | undefined): Sampling {
  const s: Sampling = { ...base };
  if (!modelOptions) return s;
  const o = modelOptions;
  if (finite(o.temperature)) s.temperature = o.temperature;
  const topP = o.top_p ?? o.topP;
  if (finite(topP)) s.topP = topP;
  const topK = o.top_k ?? o.topK;
  if (finite(topK)) s.topK = Math.floor(topK);
  if (finite(o.seed)) s.seed = Math.floor(o.seed);
  const max = o.max_tokens ?? o.maxTokens ?? o.num_predict;
  if (finite(max) && max > 0) s.numPredict = Math.floor(max);
  if (typeof o.stop === 'string') s.stop = [o.stop];
  else if (Array.isArray(o.stop) && o.stop.every((x) => typeof x === 'string')) s.stop = [...(o.stop as string[])];
  return s;
}
