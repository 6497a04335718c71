// Server-sent events as OpenAI-compatible servers stream them (`data: <json>\n\n`, `data: [DONE]`).
// Handles CRLF, comment lines (`: keep-alive`), `event:`/`id:` fields and multi-line data.
import { splitLines, type LineOptions } from './lines';

export interface SseEvent {
  event?: string;
  data: string;
}

export async function* parseSse(chunks: AsyncIterable<Uint8Array>, opts: LineOptions = {}): AsyncGenerator<SseEvent> {
  let data: string[] = [];
  let event: string | undefined;
  const flush = (): SseEvent | undefined => {
    if (data.length === 0) { event = undefined; return undefined; }
    const ev: SseEvent = { data: data.join('\n') };
    if (event !== undefined) ev.event = event;
    data = [];
    event = undefined;
    return ev;
  };
  for await (const line of splitLines(chunks, opts)) {
    if (line === '') {
      const ev = flush();
      if (ev) yield ev;
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    // id / retry are not needed by any caller
  }
  const ev = flush();
  if (ev) yield ev;
}
