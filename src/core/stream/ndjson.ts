// NDJSON (one JSON object per line), as Ollama streams generate/chat/pull/push/create.
// Blank lines and CRLF are tolerated (proxies add them); a line that is not JSON is an error that
// carries the raw text, never silently skipped.
import { splitLines, type LineOptions } from './lines';

export class MalformedLineError extends Error {
  constructor(readonly raw: string, cause: unknown) {
    super(`malformed NDJSON line: ${raw.slice(0, 200)}`, { cause });
  }
}

export async function* parseNdjson<T = unknown>(chunks: AsyncIterable<Uint8Array>, opts: LineOptions = {}): AsyncGenerator<T> {
  for await (const line of splitLines(chunks, opts)) {
    if (line.trim() === '') continue;
    let value: T;
    try {
      value = JSON.parse(line) as T;
    } catch (e) {
      throw new MalformedLineError(line, e);
    }
    yield value;
  }
}
