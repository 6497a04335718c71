// Deciding, per model, how to ask for a fill-in-the-middle completion: let Ollama apply the model's
// own template (`suffix` mode) when `/api/show` says it can, else build the family's raw prompt, else
// say the model cannot do it and which one to use. (The engine caches each model's facts.)
import { DEFAULT_FIM_MODEL, detectFamily, isInstructModel, suggestFimModel, type FimFamily, type ShowLike } from './templates';

/** What the decision reads from `/api/show`; a `ShowResponse` is one. An OpenAI-compatible server
 * adds what it knows of FIM (see core/llm/facts.ts FimFacts). */
export interface ShowInfo extends ShowLike {
  capabilities?: string[];
  /** The server says the model cannot fill in the middle (llama.cpp /infill 501), in its words. */
  fimRefused?: string;
}

export type FimSupport =
  /** Send `prompt` + `suffix` and let the server's template format them. */
  | { kind: 'suffix'; family: FimFamily | undefined }
  /** Send the family's raw prompt with `raw: true` and its stop tokens. */
  | { kind: 'raw'; family: FimFamily }
  /** `server`: the server itself says this model has no FIM tokens (no other model to suggest:
   * the server decides which model is loaded). */
  | { kind: 'unsupported'; reason: 'instruct' | 'unknown' | 'server'; message: string; suggestion: string };

export interface DecideOptions {
  /** Try FIM even with a chat/instruct tag (some instruct models do keep FIM working). */
  allowInstruct?: boolean;
  /** Suggested when no base variant of the same family is known. */
  fallbackModel?: string;
}

/** True when the server can fill in the middle itself: the `insert` capability, or (older servers
 * without capabilities) a template that uses `.Suffix`. */
export function serverSupportsSuffix(show: ShowInfo | undefined): boolean {
  if (!show) return false;
  if (show.capabilities?.includes('insert')) return true;
  return /\{\{-?\s*(?:if\s+)?\.Suffix\b/.test(show.template ?? '');
}

export function decideFim(model: string, show: ShowInfo | undefined, opts: DecideOptions = {}): FimSupport {
  if (show?.fimRefused !== undefined) {
    return { kind: 'unsupported', reason: 'server', suggestion: '', message: `The server cannot fill in the middle with ${model}: ${show.fimRefused.trim()}` };
  }
  const family = detectFamily(model, show);
  const fallback = opts.fallbackModel ?? DEFAULT_FIM_MODEL;
  if (isInstructModel(model) && !opts.allowInstruct) {
    const suggestion = suggestFimModel(model, fallback);
    return {
      kind: 'unsupported', reason: 'instruct', suggestion,
      message: `${model} is a chat/instruct model and does not fill in the middle; use a base/code model such as ${suggestion} for inline completion.`,
    };
  }
  if (serverSupportsSuffix(show)) return { kind: 'suffix', family };
  if (family) return { kind: 'raw', family };
  const suggestion = suggestFimModel(model, fallback);
  return {
    kind: 'unsupported', reason: 'unknown', suggestion,
    message: `${model} cannot fill in the middle (no "insert" capability and no known code-completion format); use a code model such as ${suggestion} for inline completion.`,
  };
}
