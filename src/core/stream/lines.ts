// Splits a byte stream into text lines. Splitting happens on the byte 0x0A before decoding, which is
// safe for UTF-8 (0x0A never occurs inside a multi-byte sequence), so a character cut across network
// chunks is never mangled. Each chunk is scanned once: cost is linear in the bytes received, however
// long a line grows.

export class LineTooLongError extends Error {
  constructor(readonly limit: number, readonly head: string) {
    super(`line longer than ${limit} bytes`);
  }
}

export interface LineOptions {
  /** Longest accepted line in bytes (default 64 MiB; Ollama's own Go client allows 8 MB). */
  maxLineBytes?: number;
}

const NL = 0x0a;
const CR = 0x0d;
const DEFAULT_MAX_LINE = 64 * 1024 * 1024;

/** Yields every line without its terminator (`\n` or `\r\n`), blank lines included. A last line
 * without a terminator is yielded at EOF. */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>, opts: LineOptions = {}): AsyncGenerator<string> {
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE;
  const decoder = new TextDecoder('utf-8');
  let parts: Uint8Array[] = [];
  let pending = 0;

  const take = (tail: Uint8Array): string => {
    let bytes: Uint8Array;
    if (parts.length === 0) bytes = tail;
    else {
      bytes = new Uint8Array(pending + tail.length);
      let o = 0;
      for (const p of parts) { bytes.set(p, o); o += p.length; }
      bytes.set(tail, o);
      parts = [];
    }
    pending = 0;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CR) end--;
    return decoder.decode(bytes.subarray(0, end));
  };

  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const i = chunk.indexOf(NL, start);
      if (i < 0) break;
      if (pending + (i - start) > max) throw tooLong(max, parts, chunk.subarray(start, i), decoder);
      yield take(chunk.subarray(start, i));
      start = i + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (pending + rest.length > max) throw tooLong(max, parts, rest, decoder);
      // Copy: the transport may reuse the chunk's buffer after we return.
      parts.push(rest.slice());
      pending += rest.length;
    }
  }
  if (pending > 0) yield take(new Uint8Array(0));
}

function tooLong(max: number, parts: Uint8Array[], tail: Uint8Array, decoder: TextDecoder): LineTooLongError {
  const first = parts[0] ?? tail;
  return new LineTooLongError(max, decoder.decode(first.subarray(0, 200)));
}
