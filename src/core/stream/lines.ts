// Splits a byte stream into text lines, one network chunk at a time. Each chunk is scanned once and
// decoded once: the bytes up to its last 0x0A (plus any carried head of a line) become one string,
// which is cut at '\n'; the bytes after the last 0x0A are carried to the next chunk. Cutting at the
// byte 0x0A is safe for UTF-8 (0x0A never occurs inside a multi-byte sequence), so a character cut
// across chunks is never mangled, and the cost is linear in the bytes received however long a line
// grows (the carry is only concatenated when its line ends).

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
export const DEFAULT_MAX_LINE = 64 * 1024 * 1024;

/**
 * Incremental line splitter. `push(chunk)` returns the text of every line the chunk completes
 * (without its `\n` / `\r\n` terminator, blank lines included) as ONE string joined by '\n' (so a
 * caller can walk it with indexOf, without an array per chunk), or undefined when the chunk
 * completes no line; `end()` returns the last unterminated line, if any.
 * Throws LineTooLongError when a line exceeds `maxLineBytes`.
 */
export class LineDecoder {
  private readonly max: number;
  private readonly decoder = new TextDecoder('utf-8');
  private parts: Uint8Array[] = [];
  private pending = 0;

  constructor(opts: LineOptions = {}) {
    this.max = opts.maxLineBytes ?? DEFAULT_MAX_LINE;
  }

  /** Complete lines ending in this chunk, as one '\n'-joined string ('' and no lines: undefined). */
  push(chunk: Uint8Array): string | undefined {
    const last = chunk.lastIndexOf(NL);
    if (last < 0) {
      this.carry(chunk);
      return undefined;
    }
    let bytes: Uint8Array;
    if (this.parts.length === 0) bytes = chunk.subarray(0, last);
    else {
      bytes = new Uint8Array(this.pending + last);
      let o = 0;
      for (const p of this.parts) { bytes.set(p, o); o += p.length; }
      bytes.set(chunk.subarray(0, last), o);
      this.parts = [];
    }
    // A line longer than the limit can only hide in here if the region is longer than it.
    if (bytes.length > this.max) this.checkRegion(bytes);
    this.pending = 0;
    if (last + 1 < chunk.length) this.carry(chunk.subarray(last + 1));
    const text = this.decoder.decode(bytes);
    // Strip CR before every LF only when there is one (CRLF from proxies / Windows fakes).
    return text.includes('\r') ? text.replace(/\r(?=\n|$)/g, '') : text;
  }

  /** The last line when the stream ended without a terminator (or undefined). */
  end(): string | undefined {
    if (this.pending === 0) return undefined;
    const bytes = this.parts.length === 1 ? this.parts[0]! : concat(this.parts, this.pending);
    this.parts = [];
    this.pending = 0;
    const text = this.decoder.decode(bytes);
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  }

  private carry(tail: Uint8Array): void {
    if (this.pending + tail.length > this.max) throw this.tooLong(tail);
    // Copy: the transport may reuse the chunk's buffer after we return.
    this.parts.push(tail.slice());
    this.pending += tail.length;
  }

  private checkRegion(bytes: Uint8Array): void {
    let start = 0;
    for (;;) {
      const i = bytes.indexOf(NL, start);
      const end = i < 0 ? bytes.length : i;
      if (end - start > this.max) throw new LineTooLongError(this.max, new TextDecoder().decode(bytes.subarray(start, start + 200)));
      if (i < 0) return;
      start = i + 1;
    }
  }

  private tooLong(tail: Uint8Array): LineTooLongError {
    const first = this.parts[0] ?? tail;
    return new LineTooLongError(this.max, new TextDecoder().decode(first.subarray(0, 200)));
  }
}

function concat(parts: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Calls `f` for every line of a '\n'-joined block returned by LineDecoder.push. */
export function forEachLine(block: string, f: (line: string) => void): void {
  let start = 0;
  for (;;) {
    const i = block.indexOf('\n', start);
    if (i < 0) { f(start === 0 ? block : block.slice(start)); return; }
    f(block.slice(start, i));
    start = i + 1;
  }
}

/** Yields every line without its terminator (`\n` or `\r\n`), blank lines included. A last line
 * without a terminator is yielded at EOF. (Convenience wrapper over LineDecoder.) */
export async function* splitLines(chunks: AsyncIterable<Uint8Array>, opts: LineOptions = {}): AsyncGenerator<string> {
  const d = new LineDecoder(opts);
  for await (const chunk of chunks) {
    const block = d.push(chunk);
    if (block === undefined) continue;
    const lines: string[] = [];
    forEachLine(block, (l) => lines.push(l));
    yield* lines;
  }
  const last = d.end();
  if (last !== undefined) yield last;
}
