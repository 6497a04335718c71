// Server-sent events as OpenAI-compatible servers stream them (`data: <json>\n\n`, `data: [DONE]`),
// following the WHATWG event-stream rules: CRLF/LF, comment lines (`: keep-alive`), `event:` / `id:`
// / `retry:` fields, multi-line data joined by '\n', one leading space after the colon removed.
// One extension: fields the standard does not define are kept in `fields` instead of being dropped,
// because servers put errors there (llama.cpp's `server_sent_event(sink, "error", …)` writes
// `error: {json}` lines, with no `data:` at all), and an event made only of such fields is still
// dispatched. An event not closed by a blank line before EOF is still delivered (a server that
// writes its last event and closes must not lose it).
import { forEachLine, LineDecoder, type LineOptions } from './lines';

export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
  /** Non-standard fields (name -> value, repeated lines joined by '\n'), e.g. llama.cpp's `error`. */
  fields?: Record<string, string>;
}

/** A chunk-at-a-time SSE decoder: every network chunk is decoded once and handed back as the
 * events it completes. */
export class SseDecoder {
  private readonly lines: LineDecoder;
  private data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;
  private fields: Record<string, string> | undefined;
  private out: SseEvent[] = [];
  private readonly onLine = (line: string) => this.line(line);

  constructor(opts: LineOptions = {}) { this.lines = new LineDecoder(opts); }

  push(chunk: Uint8Array): SseEvent[] {
    const block = this.lines.push(chunk);
    if (block === undefined) return [];
    this.out = [];
    forEachLine(block, this.onLine);
    return this.out;
  }

  end(): SseEvent[] {
    this.out = [];
    const last = this.lines.end();
    if (last !== undefined) this.line(last);
    this.flush();
    return this.out;
  }

  private line(line: string): void {
    if (line === '') { this.flush(); return; }
    // `data: ` is by far the most common line: no generic field parsing for it.
    if (line.startsWith('data: ')) { this.data.push(line.slice(6)); return; }
    if (line.charCodeAt(0) === 58 /* ':' */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'data': this.data.push(value); break;
      case 'event': this.event = value; break;
      case 'id': this.id = value; break;
      case 'retry': break;
      default: {
        const f = (this.fields ??= {});
        f[field] = f[field] === undefined ? value : `${f[field]}\n${value}`;
      }
    }
  }

  private flush(): void {
    if (this.data.length === 0 && this.fields === undefined) { this.event = undefined; return; }
    const ev: SseEvent = { data: this.data.length === 1 ? this.data[0]! : this.data.join('\n') };
    if (this.event !== undefined) ev.event = this.event;
    if (this.id !== undefined) ev.id = this.id;
    if (this.fields !== undefined) ev.fields = this.fields;
    this.out.push(ev);
    this.data = [];
    this.event = undefined;
    this.id = undefined;
    this.fields = undefined;
  }
}

/** Async-generator form (convenience; the clients use SseDecoder directly). */
export async function* parseSse(chunks: AsyncIterable<Uint8Array>, opts: LineOptions = {}): AsyncGenerator<SseEvent> {
  const d = new SseDecoder(opts);
  for await (const chunk of chunks) yield* d.push(chunk);
  yield* d.end();
}
