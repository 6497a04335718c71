// The TranslateFn the translation core needs, built on LlmBackend.chat: one [system, user] chat
// request, streamed, its text concatenated. Pure (no `vscode`), so the HTTP bench runs exactly the
// code the extension runs.
import type { LlmBackend, Sampling, StreamChunk } from '../llm/backend';
import type { Lane } from '../http/transport';
import { ResponseError } from '../http/errors';
import type { KeepAlive } from '../ollama/types';
import { THINK_TAGS } from '../llm/reasoning';
import { StructuredOutputUnsupportedError, TranslationTruncatedError, type TranslateFn, type TranslateRequest } from './types';

export interface ChatTranslateOptions {
  model: string;
  /** The generation defaults every feature shares (so the model is not reloaded between features). */
  options?: Sampling;
  keepAlive?: KeepAlive;
  /** Called with the answer so far as tokens arrive (the side-by-side preview). */
  onText?: (req: TranslateRequest, soFar: string) => void;
  /** The answer stopped at the length limit (num_predict / context): called before the TranslationTruncatedError. */
  onTruncated?: (req: TranslateRequest) => void;
  /** The connection pool (default 'batch'; a hover asks on the interactive lane). */
  lane?: Lane;
}

function startsWithThinkTag(text: string): boolean {
  const t = text.trimStart();
  return THINK_TAGS.some(([open]) => t.startsWith(open));
}

/** Words servers use when they refuse a `format` schema (ollama api/types.go before 0.5.0; llm/server.go;
 * llama-server's "JSON schema conversion failed"). */
const FORMAT_REFUSED = /ChatRequest\.format|invalid (?:JSON )?(?:schema|format)|json_schema|schema conversion|grammar/i;

/** The server refused the request's `format` (see StructuredOutputUnsupportedError). */
export function isFormatRefusal(e: unknown): boolean {
  return e instanceof ResponseError && (e.status === 400 || e.status === 500) && FORMAT_REFUSED.test(`${e.error} ${e.message}`);
}

export function chatTranslateFn(backend: () => Promise<LlmBackend>, o: ChatTranslateOptions): TranslateFn {
  return async (req) => {
    const llm = await backend();
    if (req.format && llm.kind !== 'ollama') throw new StructuredOutputUnsupportedError(`${llm.kind} backend: structured output is only asked of native Ollama`);
    let stream: AsyncIterable<StreamChunk>;
    try {
      stream = await open(llm, req);
    } catch (e) {
      if (req.format && isFormatRefusal(e)) throw new StructuredOutputUnsupportedError((e as ResponseError).error || (e as Error).message);
      throw e;
    }
    let text = '';
    let truncated = false;
    for await (const chunk of stream) {
      if (chunk.text) {
        text += chunk.text;
        o.onText?.(req, text);
      }
      if (chunk.done && chunk.doneReason === 'length') truncated = true;
    }
    if (truncated) {
      o.onTruncated?.(req);
      // A cut-off answer is not a translation of the whole text: never return it as one.
      throw new TranslationTruncatedError(`${o.model} stopped at its length limit (num_predict / num_ctx) after ${text.length} characters; the answer is cut short`, { partial: text });
    }
    return text;
  };

  function open(llm: LlmBackend, req: TranslateRequest): Promise<AsyncIterable<StreamChunk>> {
    return llm.chat({
      model: o.model,
      messages: [{ role: 'system', content: req.system }, { role: 'user', content: req.user }],
      ...(o.options && Object.keys(o.options).length ? { options: o.options } : {}),
      ...(o.keepAlive !== undefined ? { keepAlive: o.keepAlive } : {}),
      // No reasoning for a translation; a leading reasoning block (a model that ignores think:false)
      // is split off by the backend, unless the text itself starts with a tag: then it is content.
      think: false, implicitThinkOpen: false, thinkTags: !startsWithThinkTag(req.user),
      ...(req.format ? { format: req.format } : {}),
    }, { signal: req.signal, lane: o.lane ?? 'batch' }); // a job's many requests never hold chat/completion's connections
  }
}
