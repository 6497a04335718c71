// Deciding, per model, how to ask for a fill-in-the-middle completion: let Ollama apply the model's
// own template (`suffix` mode) when `/api/show` says it can, else build the family's raw prompt, else
// say the model cannot do it and which one to use. `/api/show` answers are cached per model name.
import { raceAbort } from '../common/cancel';
import { DEFAULT_FIM_MODEL, detectFamily, isInstructModel, suggestFimModel, type FimFamily, type ShowLike } from './templates';

/** What the decision reads from `/api/show`; a `ShowResponse` is one. */
export interface ShowInfo extends ShowLike {
  capabilities?: string[];
}

export type FimSupport =
  /** Send `prompt` + `suffix` and let the server's template format them. */
  | { kind: 'suffix'; family: FimFamily | undefined }
  /** Send the family's raw prompt with `raw: true` and its stop tokens. */
  | { kind: 'raw'; family: FimFamily }
  | { kind: 'unsupported'; reason: 'instruct' | 'unknown'; message: string; suggestion: string };

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

export interface ShowCacheOptions {
  /** Forget an answer after this long (default: never; call invalidate() after a pull). */
  ttlMs?: number;
  now?: () => number;
}

/** `/api/show` per model name, fetched once; concurrent callers share one request. Failures are not
 * cached. A caller's signal only stops that caller's wait, never the shared request. */
export class ShowCache {
  private readonly entries = new Map<string, { at: number; value: Promise<ShowInfo> }>();
  private readonly now: () => number;

  constructor(private readonly fetchShow: (model: string) => Promise<ShowInfo>, private readonly opts: ShowCacheOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** The cached answer, if one has arrived and is fresh. */
  peek(model: string): Promise<ShowInfo> | undefined {
    const e = this.entries.get(model);
    if (!e) return undefined;
    if (this.opts.ttlMs !== undefined && this.now() - e.at > this.opts.ttlMs) {
      this.entries.delete(model);
      return undefined;
    }
    return e.value;
  }

  get(model: string, signal?: AbortSignal): Promise<ShowInfo> {
    let value = this.peek(model);
    if (!value) {
      value = this.fetchShow(model);
      const entry = { at: this.now(), value };
      this.entries.set(model, entry);
      value.catch(() => { if (this.entries.get(model) === entry) this.entries.delete(model); });
    }
    return raceAbort(value, signal, 'model lookup');
  }

  invalidate(model?: string): void {
    if (model === undefined) this.entries.clear();
    else this.entries.delete(model);
  }
}
