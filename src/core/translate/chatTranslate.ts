// The TranslateFn the translation core needs, built on LlmBackend.chat: one [system, user] chat
// request, streamed, its text concatenated. Pure (no `vscode`), so the HTTP bench runs exactly the
// code the extension runs.
import type { LlmBackend, Sampling } from '../llm/backend';
import type { KeepAlive } from '../ollama/types';
import { THINK_TAGS } from '../llm/reasoning';
import { TranslationTruncatedError, type TranslateFn, type TranslateRequest } from './types';

export interface ChatTranslateOptions {
  model: string;
  /** The generation defaults every feature shares (so the model is not reloaded between features). */
  options?: Sampling;
  keepAlive?: KeepAlive;
  /** Called with the answer so far as tokens arrive (the side-by-side preview). */
  onText?: (req: TranslateRequest, soFar: string) => void;
  /** The answer stopped at the length limit (num_predict / context): called before the TranslationTruncatedError. */
  onTruncated?: (req: TranslateRequest) => void;
}

function startsWithThinkTag(text: string): boolean {
  const t = text.trimStart();
  return THINK_TAGS.some(([open]) => t.startsWith(open));
}

export function chatTranslateFn(backend: () => Promise<LlmBackend>, o: ChatTranslateOptions): TranslateFn {
  return async (req) => {
    const llm = await backend();
    const stream = await llm.chat({
      model: o.model,
      messages: [{ role: 'system', content: req.system }, { role: 'user', content: req.user }],
      ...(o.options && Object.keys(o.options).length ? { options: o.options } : {}),
      ...(o.keepAlive !== undefined ? { keepAlive: o.keepAlive } : {}),
      // No reasoning for a translation; a leading reasoning block (a model that ignores think:false)
      // is split off by the backend, unless the text itself starts with a tag: then it is content.
      think: false, implicitThinkOpen: false, thinkTags: !startsWithThinkTag(req.user),
    }, { signal: req.signal, lane: 'batch' }); // a job's many requests never hold chat/completion's connections
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
}
