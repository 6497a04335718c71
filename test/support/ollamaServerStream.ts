// One request/response exchange of the Ollama test server: records what happened, applies the
// fault plan to every byte written (chunking, CRLF, blank lines, in-band errors, drops...) and
// stops all work as soon as the client goes away.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { goJson } from './ollamaServerWire';

export interface FaultPlan {
  /** write every response body in pieces of these byte sizes, cycling (may split UTF-8 sequences) */
  chunkSizes?: number[];
  /** terminate NDJSON lines (and SSE lines) with \r\n instead of \n */
  crlf?: boolean;
  /** insert empty lines between objects */
  blankLines?: boolean;
  /** stream one extra content chunk whose JSON line is at least this many bytes early in the stream */
  hugeLineBytes?: number;
  /** after N data lines write {"error": errorMessage}\n and close (status stays 200, no done) */
  errorAfterLines?: number;
  errorMessage?: string;
  /** after N data lines destroy the socket abruptly */
  dropAfterLines?: number;
  /** end the response cleanly but never send the done:true / success line */
  endWithoutDone?: boolean;
  /** after N lines write a non-JSON line 'garbage{' then continue normally */
  malformedLineAfter?: number;
  /** delay before status line + headers are written (model load) */
  firstTokenDelayMs?: number;
  /** delay between streamed lines */
  tokenDelayMs?: number;
  /** reply with exactly this status/body/content-type instead of the normal handler */
  status?: number;
  body?: string;
  contentType?: string;
  /** extra response headers with `status` (e.g. Retry-After on a 503/429) */
  headers?: Record<string, string>;
  /** SSE routes: how a mid-stream error (errorAfterLines, or an error item) is written - the forms
   * real OpenAI-compatible servers use after HTTP 200 (see SSE_ERROR_DIALECTS). Default 'ollama'. */
  sseErrorDialect?: SseErrorDialect;
  /** after N data lines write one line that is valid JSON but not an object (NDJSON: the value
   * itself; SSE: `data: <value>`), then continue normally */
  nonObjectLineAfter?: number;
  /** the value of that line (default 'null'): e.g. '42', '[]', '"text"', 'true' */
  nonObjectLine?: string;
  /** hold the response (no status line) until this settles or the client goes away: a server
   * whose slots are all busy, for as long as a test needs */
  holdUntil?: Promise<unknown>;
  /** mid-stream pauses: after `afterLines` data lines, write nothing more until `until` settles (a
   * test can look at a half-streamed answer for as long as it needs, on a machine of any speed) */
  pauses?: Array<{ afterLines: number; until: Promise<unknown> }>;
  /** a server (or a debugging proxy) that quotes the request in its errors: every error message this
   * exchange writes ends with ` (request headers: name: value; …)`, the headers as received - JSON
   * error bodies (native `error`, OpenAI `error.message`), in-band error lines and SSE error frames
   * of every dialect. A `status` reply's `body` places them itself, whether or not this is set:
   * `{{headers}}` as received, `{{headers.json}}` JSON-escaped the way Go writes it (\u003c, \u003e,
   * \u0026), `{{headers.html}}` HTML-escaped. */
  echoHeaders?: boolean;
}

/**
 * How OpenAI-compatible servers report an error inside a 200 SSE stream (read from their sources):
 * - `ollama`: Ollama's /v1 layer re-parses the native `{"error"}` line as a chat chunk, so the client
 *   sees one empty chunk, then EOF without a finish chunk and without `data: [DONE]`
 *   (middleware/openai.go; ollama-edge-cases.md E.41).
 * - `llamacpp`: llama.cpp server (2025-2026) `data: {"error":{"code":500,"message":…,"type":"server_error"}}`,
 *   no finish chunk, no [DONE] (recorded in llamacpp-server-transcripts.md: invalid UTF-8 in output).
 * - `llamacpp-legacy`: llama.cpp server builds using `server_sent_event(sink, "error", error_data)`:
 *   a non-standard SSE field `error: {…}` (no `data:`), then `data: [DONE]`.
 * - `vllm`: vLLM `create_streaming_error_response`: `data: {"error":{"message":…,"type":"BadRequestError",
 *   "param":null,"code":400}}` then `data: [DONE]` (the generator always ends with [DONE]).
 * - `vllm-legacy`: older vLLM dumped ErrorResponse itself: `data: {"object":"error","message":…,"type":…,
 *   "param":null,"code":400}` then `data: [DONE]`.
 * - `litellm`: LiteLLM proxy `async_data_generator`: `data: {"error":{"message":…,"type":"None","param":"None",
 *   "code":"500"}}` (ProxyException.to_dict, strings), no [DONE].
 * - `lmstudio`: LM Studio (jinja/prompt errors after "Streaming response..."): a `data: {"error":{"message":…}}`
 *   frame, then close without [DONE].
 * - `event-error`: the OpenAI/Anthropic convention `event: error` + `data: {"type":"error","error":{"type":
 *   "api_error","message":…}}`.
 * - `string`: `data: {"error":"…"}` (MLX-based servers, hand-written proxies).
 */
export type SseErrorDialect = 'ollama' | 'llamacpp' | 'llamacpp-legacy' | 'vllm' | 'vllm-legacy' | 'litellm' | 'lmstudio' | 'event-error' | 'string';

export const SSE_ERROR_DIALECTS: readonly SseErrorDialect[] = ['ollama', 'llamacpp', 'llamacpp-legacy', 'vllm', 'vllm-legacy', 'litellm', 'lmstudio', 'event-error', 'string'];

/** The bytes a dialect writes for a mid-stream error (undefined: the route's own 'ollama' chunk). */
export function sseErrorFrames(dialect: SseErrorDialect, message: string, nl: string): string | undefined {
  const frame = (payload: unknown, field = 'data') => `${field}: ${goJson(payload)}${nl}${nl}`;
  const done = `data: [DONE]${nl}${nl}`;
  switch (dialect) {
    case 'ollama': return undefined;
    case 'llamacpp': return frame({ error: { code: 500, message, type: 'server_error' } });
    case 'llamacpp-legacy': return frame({ code: 500, message, type: 'server_error' }, 'error') + done;
    case 'vllm': return frame({ error: { message, type: 'BadRequestError', param: null, code: 400 } }) + done;
    case 'vllm-legacy': return frame({ object: 'error', message, type: 'BadRequestError', param: null, code: 400 }) + done;
    case 'litellm': return frame({ error: { message, type: 'None', param: 'None', code: '500' } });
    case 'lmstudio': return frame({ error: { message } });
    case 'event-error': return `event: error${nl}` + frame({ type: 'error', error: { type: 'api_error', message } });
    case 'string': return frame({ error: message });
  }
}

export interface RecordedRequest {
  id: number;
  method: string;
  /** path without the basePath prefix, with query string */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  /** parsed JSON if the body parses, else undefined */
  body: unknown;
  /** performance.now() */
  startedAt: number;
  /** when the response head was written */
  firstByteAt?: number;
  /** when the response ended */
  endedAt?: number;
  /** true if the client closed the connection before the response finished */
  aborted: boolean;
  /** performance.now() when the server saw the connection close before the response finished */
  closedAt?: number;
  status?: number;
  /** data lines (NDJSON objects / SSE events) written so far — stops growing once the client is gone */
  linesWritten: number;
  /** body bytes handed to the socket */
  bytesWritten: number;
  /** request body size (for blob uploads rawBody stays empty: they are hashed, not kept) */
  bodyBytes: number;
  /** true when the server itself destroyed the connection (dropAfterLines) */
  dropped: boolean;
}

export const DEFAULT_ERROR_MESSAGE = 'an error was encountered while running the model: unexpected EOF';

/** One item of a stream: a data object (built lazily at write time), a raw SSE payload, or an error. */
export type StreamItem =
  | { data: () => unknown; terminal?: boolean }
  | { raw: string; terminal?: boolean }
  | { error: string; status?: number }
  | { wait: number };

export interface StreamSpec {
  framing: 'ndjson' | 'sse';
  items: Iterable<StreamItem>;
  /** delay between lines */
  lineDelayMs: number;
  /** false: collect everything and answer with one object (stream:false) */
  stream: boolean;
  /** single object for stream:false, from all data objects (undefined → the last one) */
  aggregate?: (objs: unknown[]) => unknown;
  /** Content-Type of a stream:false reply */
  singleContentType: string;
  /** Content-Type of an error that happens before anything was written */
  errorContentType: string;
  /** error body shape (native {"error"} or OpenAI) */
  errorBody: (message: string, status: number) => unknown;
  /** SSE only: the event a mid-stream error turns into (an empty chunk in Ollama's OpenAI layer) */
  sseErrorEvent?: () => unknown;
}

export class Exchange {
  readonly ac = new AbortController();
  headSent = false;
  private chunkIdx = 0;
  private delayedHead = false;
  private held = false;
  /** set by the server-side drop so a self-inflicted close is not reported as a client abort */
  private dropping = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly rec: RecordedRequest,
    readonly plan: FaultPlan,
    private readonly onClose: (rec: RecordedRequest) => void,
  ) {
    res.on('finish', () => {
      rec.endedAt = performance.now();
    });
    res.on('close', () => {
      if (!res.writableFinished) {
        rec.closedAt = performance.now();
        rec.aborted = !this.dropping;
        this.ac.abort();
        this.onClose(rec);
      }
    });
  }

  get closed(): boolean {
    return this.ac.signal.aborted;
  }

  /** The request headers as received, `name: value; name: value` (original case and order). */
  headerDump(): string {
    const raw = this.req.rawHeaders;
    const parts: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) parts.push(`${raw[i]}: ${raw[i + 1]}`);
    return parts.join('; ');
  }

  /** An error message as this exchange writes it (with the request's headers under echoHeaders). */
  echo(message: string): string {
    return this.plan.echoHeaders ? `${message} (request headers: ${this.headerDump()})` : message;
  }

  /** A fault body with its {{headers}} placeholders filled in (see FaultPlan.echoHeaders). */
  fillHeaders(body: string): string {
    if (!body.includes('{{headers')) return body;
    const dump = this.headerDump();
    const html = dump.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
    return body
      .replace(/\{\{headers\.json\}\}/g, goJson(dump).slice(1, -1))
      .replace(/\{\{headers\.html\}\}/g, html)
      .replace(/\{\{headers\}\}/g, dump);
  }

  /** Sleep that ends early (resolving false) when the client goes away; timers never outlive it. */
  sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (!(ms > 0)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(t);
        resolve(false);
      };
      const t = setTimeout(() => {
        this.ac.signal.removeEventListener('abort', onAbort);
        resolve(!this.closed);
      }, ms);
      this.ac.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The "model load" delay: the fault plan's value wins over the server default. */
  async loadDelay(serverDefault: number): Promise<boolean> {
    const ms = this.plan.firstTokenDelayMs ?? serverDefault;
    this.delayedHead = true;
    return this.sleep(ms);
  }

  private async head(status: number, headers: Record<string, string | number>): Promise<boolean> {
    if (this.headSent) return !this.closed;
    if (this.plan.holdUntil && !this.held) {
      this.held = true;
      await new Promise<void>((resolve) => {
        const done = () => { this.ac.signal.removeEventListener('abort', done); resolve(); };
        this.ac.signal.addEventListener('abort', done, { once: true });
        void this.plan.holdUntil!.then(done, done);
      });
      if (this.closed) return false;
    }
    if (!this.delayedHead && this.plan.firstTokenDelayMs) {
      this.delayedHead = true;
      if (!(await this.sleep(this.plan.firstTokenDelayMs))) return false;
    }
    if (this.closed || this.res.destroyed) return false;
    if (this.plan.chunkSizes?.length) delete headers['Content-Length'];
    this.res.writeHead(status, headers);
    this.headSent = true;
    this.rec.status = status;
    this.rec.firstByteAt = performance.now();
    return true;
  }

  private async rawWrite(buf: Buffer): Promise<boolean> {
    if (this.closed || this.res.destroyed) return false;
    const ok = this.res.write(buf);
    this.rec.bytesWritten += buf.length;
    if (!ok && !this.closed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.res.off('drain', done);
          this.ac.signal.removeEventListener('abort', done);
          resolve();
        };
        this.res.on('drain', done);
        this.ac.signal.addEventListener('abort', done, { once: true });
      });
    }
    return !this.closed;
  }

  /** Write body bytes, cut into the plan's chunk sizes, each piece flushed separately. */
  async write(data: string | Buffer): Promise<boolean> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const sizes = this.plan.chunkSizes;
    if (!sizes?.length) return this.rawWrite(buf);
    let off = 0;
    while (off < buf.length) {
      const size = Math.max(1, Math.floor(sizes[this.chunkIdx++ % sizes.length]));
      if (!(await this.rawWrite(buf.subarray(off, off + size)))) return false;
      off += size;
      await new Promise((r) => setImmediate(r));
      if (this.closed) return false;
    }
    return true;
  }

  end(): void {
    if (!this.closed && !this.res.writableEnded) this.res.end();
  }

  /** Destroy the connection from the server side (no terminating chunk: the client sees an error). */
  async drop(): Promise<void> {
    if (this.closed) return;
    if (!this.headSent) {
      this.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      this.headSent = true;
      this.rec.status = 200;
      this.rec.firstByteAt = performance.now();
    }
    this.res.flushHeaders();
    await new Promise((r) => setImmediate(r));
    this.dropping = true;
    this.rec.dropped = true;
    this.req.socket.destroy();
  }

  /** A complete non-streamed response. */
  async send(status: number, contentType: string | undefined, body: string | Buffer | undefined): Promise<void> {
    const buf = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const headers: Record<string, string | number> = { 'Content-Length': buf.length };
    if (contentType) headers['Content-Type'] = contentType;
    if (!(await this.head(status, headers))) return;
    if (buf.length && this.req.method !== 'HEAD') {
      if (!(await this.write(buf))) return;
    }
    this.end();
  }

  /** `c.JSON(status, value)`: compact Go JSON, no trailing newline. An error body (`{"error": "…"}`
   * or OpenAI's `{"error": {"message": "…"}}`) goes through echo(). */
  sendJson(status: number, value: unknown, contentType = 'application/json; charset=utf-8'): Promise<void> {
    if (status >= 400 && this.plan.echoHeaders && value && typeof value === 'object') {
      const v = value as { error?: unknown };
      if (typeof v.error === 'string') value = { ...v, error: this.echo(v.error) };
      else if (v.error && typeof v.error === 'object' && typeof (v.error as { message?: unknown }).message === 'string') {
        const e = v.error as { message: string };
        value = { ...v, error: { ...e, message: this.echo(e.message) } };
      }
    }
    return this.send(status, contentType, goJson(value));
  }

  /** Stream (or collect, for stream:false) a sequence of items with the fault plan applied. */
  async stream(spec: StreamSpec): Promise<void> {
    const plan = this.plan;
    const nl = plan.crlf ? '\r\n' : '\n';
    const baseErr = plan.errorMessage ?? DEFAULT_ERROR_MESSAGE;
    const errMsg = this.echo(baseErr);
    const frame = (payload: string) => (spec.framing === 'sse' ? `data: ${payload}${nl}${nl}` : payload + nl);
    const preError = (message: string, status: number) =>
      this.send(status, spec.errorContentType, goJson(spec.errorBody(this.echo(message), status)));

    if (!spec.stream) {
      const objs: unknown[] = [];
      let first = true;
      for (const item of spec.items) {
        if ('wait' in item) {
          if (!(await this.sleep(item.wait))) return;
          continue;
        }
        if (!first && !(await this.sleep(spec.lineDelayMs))) return;
        first = false;
        if ('error' in item) return preError(item.error, item.status ?? 500);
        if ('raw' in item) continue;
        objs.push(item.data());
      }
      if (this.closed) return;
      if (plan.errorAfterLines !== undefined) return preError(baseErr, 500);
      const body = goJson(spec.aggregate ? spec.aggregate(objs) : objs[objs.length - 1]);
      if (plan.dropAfterLines !== undefined) {
        if (plan.dropAfterLines > 0) {
          if (!(await this.head(200, { 'Content-Type': spec.singleContentType }))) return;
          await this.write(body.slice(0, Math.floor(body.length / 2)));
        }
        return this.drop();
      }
      if (plan.endWithoutDone) return this.send(200, spec.singleContentType, '');
      return this.send(200, spec.singleContentType, body);
    }

    const headers = { 'Content-Type': spec.framing === 'sse' ? 'text/event-stream' : 'application/x-ndjson' };
    let malformedDone = false;
    let nonObjectDone = false;
    let first = true;
    for (const item of spec.items) {
      if (this.closed) return;
      if ('wait' in item) {
        if (!(await this.sleep(item.wait))) return;
        continue;
      }
      if (!first && !(await this.sleep(spec.lineDelayMs))) return;
      first = false;
      const written = this.rec.linesWritten;
      for (const p of plan.pauses ?? []) {
        if (p.afterLines !== written || this.headSent === false) continue;
        await new Promise<void>((resolve) => {
          const done = () => { this.ac.signal.removeEventListener('abort', done); resolve(); };
          this.ac.signal.addEventListener('abort', done, { once: true });
          void p.until.then(done, done);
        });
        if (this.closed) return;
      }
      const terminal = 'error' in item || item.terminal === true;
      if (plan.errorAfterLines !== undefined && (written >= plan.errorAfterLines || terminal)) {
        if (!this.headSent) return preError(baseErr, 500);
        if (spec.framing === 'sse') {
          const dialect = sseErrorFrames(plan.sseErrorDialect ?? 'ollama', errMsg, nl);
          await this.write(dialect ?? frame(goJson(spec.sseErrorEvent ? spec.sseErrorEvent() : { error: errMsg })));
        } else {
          await this.write(goJson({ error: errMsg }) + nl);
        }
        return this.end();
      }
      if (plan.dropAfterLines !== undefined && (written >= plan.dropAfterLines || terminal)) return this.drop();
      if (plan.endWithoutDone && terminal && !('error' in item)) {
        if (!(await this.head(200, headers))) return;
        return this.end();
      }
      if ('error' in item) {
        if (!this.headSent) return preError(item.error, item.status ?? 500);
        const message = this.echo(item.error);
        if (spec.framing === 'sse') {
          const dialect = sseErrorFrames(plan.sseErrorDialect ?? 'ollama', message, nl);
          await this.write(dialect ?? frame(goJson(spec.sseErrorEvent ? spec.sseErrorEvent() : { error: message })));
        } else {
          await this.write(goJson({ error: message }) + nl);
        }
        return this.end();
      }
      if (!(await this.head(200, headers))) return;
      if (plan.malformedLineAfter !== undefined && !malformedDone && (written >= plan.malformedLineAfter || terminal)) {
        malformedDone = true;
        if (!(await this.write(spec.framing === 'sse' ? frame('garbage{') : 'garbage{' + nl))) return;
      }
      if (plan.nonObjectLineAfter !== undefined && !nonObjectDone && (written >= plan.nonObjectLineAfter || terminal)) {
        nonObjectDone = true;
        const v = plan.nonObjectLine ?? 'null';
        if (!(await this.write(spec.framing === 'sse' ? frame(v) : v + nl))) return;
      }
      if (plan.blankLines && written > 0) {
        if (!(await this.write(nl))) return;
      }
      const payload = 'raw' in item ? item.raw : goJson(item.data());
      if (!(await this.write(frame(payload)))) return;
      this.rec.linesWritten++;
    }
    if (this.closed) return;
    if (!this.headSent && !(await this.head(200, headers))) return;
    this.end();
  }
}
