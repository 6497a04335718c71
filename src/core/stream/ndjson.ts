// NDJSON (one JSON object per line), as Ollama streams generate/chat/pull/push/create.
// Blank lines and CRLF are tolerated (proxies add them). A line that is not JSON, or is JSON but not
// an object (`null`, `42`, `[]`, `"x"`), is an error that carries the raw text, never silently
// skipped and never handed on (a consumer reading `obj.done` from `null` would throw a TypeError).
import { LineDecoder, type LineOptions } from './lines';

export class MalformedLineError extends Error {
  /** `json`: not JSON at all; `not-object`: valid JSON that is not an object. */
  readonly kind: 'json' | 'not-object';
  constructor(readonly raw: string, cause: unknown, kind: 'json' | 'not-object' = 'json') {
    super(kind === 'json' ? `malformed NDJSON line: ${raw.slice(0, 200)}` : `NDJSON line is not an object: ${raw.slice(0, 200)}`, { cause });
    this.kind = kind;
  }
}

/** Parses one line; throws MalformedLineError unless it is a JSON object. */
export function parseObjectLine(line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw new MalformedLineError(line, e);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedLineError(line, undefined, 'not-object');
  return value as Record<string, unknown>;
}

/** A chunk-at-a-time NDJSON decoder: every network chunk is decoded once and handed back as the
 * objects it completes (an empty array when it completes none). */
export class NdjsonDecoder {
  private readonly lines: LineDecoder;
  /** Set when a line broke the framing: the objects before it in the same chunk were still returned,
   * and this error is what the stream reports next. */
  error: unknown;
  constructor(opts: LineOptions = {}) { this.lines = new LineDecoder(opts); }

  push(chunk: Uint8Array): unknown[] {
    if (this.error !== undefined) throw this.error;
    const block = this.lines.push(chunk);
    if (block === undefined) return EMPTY;
    const out: unknown[] = [];
    try {
      // forEachLine, inlined: this loop runs once per streamed token.
      let start = 0;
      for (;;) {
        const i = block.indexOf('\n', start);
        const line = i < 0 ? (start === 0 ? block : block.slice(start)) : block.slice(start, i);
        // Fast path: an object line starts with '{'; anything else is checked for blankness first.
        if (line.charCodeAt(0) === 123 || line.trim() !== '') out.push(parseObjectLine(line));
        if (i < 0) break;
        start = i + 1;
      }
    } catch (e) {
      if (out.length === 0) throw e;
      this.error = e;
    }
    return out;
  }

  end(): unknown[] {
    if (this.error !== undefined) throw this.error;
    const last = this.lines.end();
    return last === undefined || last.trim() === '' ? EMPTY : [parseObjectLine(last)];
  }
}

const EMPTY: unknown[] = [];
Object.freeze(EMPTY);

/** Async-generator form (convenience; the clients use NdjsonDecoder directly). */
export async function* parseNdjson<T = unknown>(chunks: AsyncIterable<Uint8Array>, opts: LineOptions = {}): AsyncGenerator<T> {
  const d = new NdjsonDecoder(opts);
  for await (const chunk of chunks) yield* d.push(chunk) as T[];
  yield* d.end() as T[];
}
