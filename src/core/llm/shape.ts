// What both backends do to a stream the same way: map wire chunks to StreamChunks, and split `<think>`
// reasoning out of the content when the server did not (see reasoning.ts).
import { ThinkTagParser, type ThinkTagOptions } from './reasoning';
import type { ChatParams, CompletionParams, StreamChunk } from './types';

/** Maps every element of a stream; breaking out of the result closes the source stream. */
export async function* mapStream<A, B>(src: AsyncIterable<A>, f: (a: A) => B | undefined): AsyncGenerator<B> {
  for await (const a of src) {
    const b = f(a);
    if (b !== undefined) yield b;
  }
}

/** Splits `<think>` text out of a stream's content (see reasoning.ts) and merges it with the
 * reasoning the server sent in its own field; the parser's held text is released on the last chunk. */
export function withReasoning(src: AsyncIterable<StreamChunk>, opts: ThinkTagOptions | undefined): AsyncIterable<StreamChunk> {
  if (!opts) return src;
  const parser = new ThinkTagParser(opts);
  return mapStream(src, (c): StreamChunk | undefined => {
    const a = parser.push(c.text);
    const b = c.done ? parser.end() : undefined;
    const text = a.content + (b?.content ?? '');
    const thinking = (c.thinking ?? '') + a.thinking + (b?.thinking ?? '');
    if (!c.done && !text && !thinking && !a.contentWasThinking) return undefined;
    const out: StreamChunk = { ...c, text };
    if (thinking) out.thinking = thinking; else delete out.thinking;
    if (a.contentWasThinking) out.textWasThinking = true;
    return out;
  });
}

export function chatTagOptions(p: ChatParams): ThinkTagOptions | undefined {
  return p.thinkTags === false ? undefined : { implicitOpen: p.implicitThinkOpen ?? 'auto' };
}

/** Text-only FIM and raw prompts are never read for reasoning tags. */
export function completionTagOptions(p: CompletionParams): ThinkTagOptions | undefined {
  return p.raw || p.suffix !== undefined ? undefined : { implicitOpen: false };
}
