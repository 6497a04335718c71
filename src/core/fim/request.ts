// The one call the completion provider makes per request: from a model, its `/api/show` answer and
// the windows around the cursor to the CompletionParams for LlmBackend.complete(), or a message
// saying this model cannot fill in the middle and which one to use instead.
import type { CompletionParams, LlmBackend, Sampling, StreamChunk } from '../llm/backend';
import type { KeepAlive } from '../ollama/types';
import { decideFim, type DecideOptions, type ShowInfo } from './capabilities';
import { allowsMultiline } from './postprocess';
import { REPO_STOPS, buildRepoPrompt, commentContext, contextFormatFor, usableSnippets, type ContextFormat, type FimContext } from './repo';
import type { StartFn } from './session';
import { FIM_TEMPLATES, buildRawPrompt, type FimFamily } from './templates';

export interface FimRequestOptions extends DecideOptions {
  /** Default 0.2. */
  temperature?: number;
  topP?: number;
  /** Default 128 tokens. */
  numPredict?: number;
  /** Unset by default: a num_ctx that differs from the loaded one makes Ollama reload the model. */
  numCtx?: number;
  seed?: number;
  keepAlive?: KeepAlive;
  /** Extra stop sequences. */
  stop?: string[];
  /** One line only (adds a "\n" stop so the server stops early). Default: `!allowsMultiline(prefix, suffix)`. */
  singleLine?: boolean;
  /** Context from other files (see repo.ts): a repository-level prompt for the models trained on
   * one (raw, even when the server could apply the template), else comments before the prefix. */
  context?: FimContext;
}

export type FimRequest =
  | {
    kind: 'ok'; params: CompletionParams; family: FimFamily | undefined; mode: 'suffix' | 'raw'; singleLine: boolean;
    /** How the context went in, and how many snippets (0: none). */
    contextFormat?: ContextFormat; snippets: number;
  }
  | { kind: 'unsupported'; reason: 'instruct' | 'unknown' | 'server'; message: string; suggestion: string };

/** An empty `suffix` makes Ollama skip the FIM template altogether, so suffix mode never sends one. */
const EMPTY_SUFFIX = '\n';

export function buildFimRequest(model: string, show: ShowInfo | undefined, prefix: string, suffix: string, opts: FimRequestOptions = {}): FimRequest {
  const support = decideFim(model, show, opts);
  if (support.kind === 'unsupported') return support;
  const family = support.family;
  const singleLine = opts.singleLine ?? !allowsMultiline(prefix, suffix);
  const format = opts.context ? contextFormatFor(model, family) : undefined;
  const snippets = opts.context && format ? usableSnippets(opts.context.snippets, format, family) : [];
  const repo = snippets.length && format && format !== 'comments' ? format : undefined;
  // In suffix mode, request stops replace the model's own, so send them only for a known family.
  const stop = [...new Set([
    ...(family ? FIM_TEMPLATES[family].stop : []), ...(repo ? REPO_STOPS[repo] : []), ...(opts.stop ?? []), ...(singleLine ? ['\n'] : []),
  ])];
  const options: Sampling = { temperature: opts.temperature ?? 0.2, numPredict: opts.numPredict ?? 128 };
  if (opts.topP !== undefined) options.topP = opts.topP;
  if (opts.numCtx !== undefined) options.numCtx = opts.numCtx;
  if (opts.seed !== undefined) options.seed = opts.seed;
  if (stop.length) options.stop = stop;
  // No reasoning for a completion: a thinking model would spend the whole budget before the first
  // character of code (Ollama accepts think:false for every model; old servers ignore it).
  const common = { model, options, think: false as const, ...(opts.keepAlive !== undefined ? { keepAlive: opts.keepAlive } : {}) };
  const ctx = snippets.length ? { contextFormat: format!, snippets: snippets.length } : { snippets: 0 };
  if (repo) {
    const prompt = buildRepoPrompt(repo, { ...opts.context!, snippets }, prefix, suffix);
    return { kind: 'ok', mode: 'raw', family, singleLine, ...ctx, params: { ...common, prompt, raw: true } };
  }
  // The comment fallback goes before the prefix, whichever way the prompt is then formatted.
  const head = snippets.length ? commentContext({ ...opts.context!, snippets }) : '';
  if (support.kind === 'suffix') {
    return { kind: 'ok', mode: 'suffix', family, singleLine, ...ctx, params: { ...common, prompt: head + prefix, suffix: suffix === '' ? EMPTY_SUFFIX : suffix } };
  }
  return { kind: 'ok', mode: 'raw', family: support.family, singleLine, ...ctx, params: { ...common, prompt: buildRawPrompt(support.family, head + prefix, suffix), raw: true } };
}

/** A CompletionSession `start` over a backend: text chunks only; `onDone` gets the final chunk (stats). */
export function backendStart(
  backend: Pick<LlmBackend, 'complete'>,
  params: (prefix: string, suffix: string) => CompletionParams,
  onDone?: (last: StreamChunk) => void,
): StartFn {
  return async function* (prefix: string, suffix: string, signal: AbortSignal): AsyncGenerator<string> {
    const stream = await backend.complete(params(prefix, suffix), { signal });
    for await (const c of stream) {
      if (c.text) yield c.text;
      if (c.done) onDone?.(c);
    }
  };
}
