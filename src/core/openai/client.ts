// A client for OpenAI-compatible servers (LM Studio, llama.cpp server, vLLM, Ollama's own /v1):
// chat completions, completions, models, embeddings, with SSE streaming. Same transport, error
// hierarchy and abort semantics as OllamaClient. Never imports `vscode` and never logs.
import { HttpCore, type OpenResponse } from '../http/core';
import { ProtocolError, StreamError } from '../http/errors';
import { AbortableAsyncIterator, inBandError, type ChunkDecoder } from '../http/stream';
import { buildHttpCore, type CallOptions, type ClientOptions } from '../http/options';
import type { LineOptions } from '../stream/lines';
import { parseObjectLine } from '../stream/ndjson';
import { SseDecoder, type SseEvent } from '../stream/sse';

export type OpenAIContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface OpenAIMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | OpenAIContentPart[] | null;
  [key: string]: unknown;
}

export interface OpenAISampling {
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
}

export interface ChatCompletionRequest extends OpenAISampling {
  model: string;
  messages: OpenAIMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type: string; json_schema?: unknown };
  [key: string]: unknown;
}

export interface CompletionRequest extends OpenAISampling {
  model: string;
  prompt: string;
  suffix?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [key: string]: unknown;
}

export interface Usage { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number }

export interface ChatCompletionChunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  choices: Array<{ index: number; delta: { role?: string; content?: string | null; reasoning?: string; reasoning_content?: string }; finish_reason: string | null }>;
  usage?: Usage | null;
  /** llama.cpp: on the last chunk (finish or `choices: []` usage chunk); see dialect.ts LlamaCppTimings. */
  timings?: unknown;
  /** LM Studio (REST v0): tokens_per_second, time_to_first_token…; see dialect.ts LmStudioStats. */
  stats?: unknown;
}

export interface ChatCompletion {
  id?: string;
  model?: string;
  choices: Array<{ index: number; message: { role: string; content: string | null; reasoning?: string }; finish_reason: string | null }>;
  usage?: Usage;
}

export interface CompletionChunk {
  id?: string;
  model?: string;
  choices: Array<{ index: number; text: string; finish_reason: string | null }>;
  usage?: Usage | null;
  timings?: unknown;
  stats?: unknown;
}

/**
 * llama.cpp `POST /infill` (tools/server README, server-context.cpp post_infill): the text before and
 * after the cursor as plain text; the server builds the prompt from the model's own FIM tokens
 * (GGUF `tokenizer.ggml.fim_*_token_id`, else found by their text). `input_extra` is context from
 * other files, put before the prefix (with `<|file_sep|>`/repo tokens where the model has them).
 * Any /completion option goes too (`n_predict`, `temperature`, `stop`, `t_max_predict_ms`…).
 */
export interface InfillRequest {
  input_prefix: string;
  input_suffix: string;
  input_extra?: Array<{ text: string; filename?: string }>;
  /** Selects the model in router mode; the one loaded model answers otherwise. */
  model?: string;
  n_predict?: number;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  seed?: number;
  stream?: boolean;
  cache_prompt?: boolean;
  [key: string]: unknown;
}

/** One object of an /infill reply: `content` per token while streaming; the last has `stop: true`,
 * `stop_type` (none | eos | limit | word), `tokens_predicted`/`tokens_evaluated`, `model`, `timings`.
 * The stream is `data:` lines with NO `data: [DONE]` (see llamacpp-server-transcripts.md). */
export interface InfillChunk {
  content?: string;
  stop?: boolean;
  stop_type?: string;
  model?: string;
  tokens_predicted?: number;
  tokens_evaluated?: number;
  timings?: unknown;
}

/** A reply read whole, with its headers (lower-case names): what server detection reads. */
export interface RawReply<T = unknown> {
  status: number;
  headers: Record<string, string>;
  body: T | undefined;
}

export type Completion = CompletionChunk;

/** A `/v1/models` entry. Beyond OpenAI's fields, servers that say how much context they serve:
 * llama.cpp `meta.n_ctx` (per slot) and `meta.n_ctx_train` (llamacpp-server-transcripts.md), vLLM
 * `max_model_len` (its ModelCard, vllm/entrypoints/openai/protocol.py). */
export interface OpenAIModel {
  id: string; object?: string; created?: number; owned_by?: string;
  meta?: { n_ctx?: number; n_ctx_train?: number } | null;
  max_model_len?: number | null;
}

/** The SSE terminator `data: [DONE]`, delivered as the final element of every stream. */
export interface StreamDone { done: true }
export const isStreamDone = (x: unknown): x is StreamDone => typeof x === 'object' && x !== null && (x as StreamDone).done === true && !('choices' in x);

/** `http://host:1234` and `http://host:1234/v1` both mean the /v1 API root. */
export function openAIBaseUrl(url: string): string {
  return /\/v1$/.test(url) ? url : url + '/v1';
}

/** The server root the /v1 API hangs from (`http://host:8080/v1` -> `http://host:8080`): where
 * llama.cpp's /props, /infill, /tokenize, vLLM's /version and /tokenize, LM Studio's /api/v0 and
 * Ollama's own /api live. */
export function serverRootUrl(v1BaseUrl: string): string {
  return v1BaseUrl.replace(/\/v1$/, '');
}

/** Largest reply body read whole for detection (llama.cpp /props carries the Jinja template). */
const MAX_META_BYTES = 8 << 20;

/**
 * SSE events -> wire objects for /v1 streams, chunk by chunk. `data: [DONE]` becomes {done: true};
 * every other `data:` must be a JSON object (MalformedLineError otherwise: `null`, `42`, `[]` too).
 * Errors in every form servers send after HTTP 200 become `{error: …}` objects, which the stream
 * turns into a StreamError after everything before them was delivered:
 * - `data: {"error":{"message":…}}` / `data: {"error":"…"}` (llama.cpp, vLLM, LiteLLM, LM Studio)
 *   and `data: {"object":"error","message":…}` (older vLLM) pass through as they are;
 * - `event: error` + `data: …` (the OpenAI/Anthropic convention; data JSON or plain text);
 * - a non-standard `error:` field, with no `data:` (llama.cpp's `server_sent_event(sink, "error", …)`).
 * An error followed by `data: [DONE]` (vLLM, older llama.cpp) is still an error: it is met first.
 */
export class OpenAISseDecoder implements ChunkDecoder {
  private readonly sse: SseDecoder;
  /** Set when an event broke the framing after others in the same chunk (see NdjsonDecoder.error). */
  error: unknown;
  constructor(opts: LineOptions = {}) { this.sse = new SseDecoder(opts); }
  push(chunk: Uint8Array): unknown[] {
    if (this.error !== undefined) throw this.error;
    return this.map(this.sse.push(chunk));
  }
  end(): unknown[] {
    if (this.error !== undefined) throw this.error;
    return this.map(this.sse.end());
  }

  private map(evs: SseEvent[]): unknown[] {
    if (evs.length === 0) return evs;
    const out: unknown[] = [];
    try {
      this.mapInto(evs, out);
    } catch (e) {
      if (out.length === 0) throw e;
      this.error = e;
    }
    return out;
  }

  private mapInto(evs: SseEvent[], out: unknown[]): void {
    for (const ev of evs) {
      const errField = ev.fields?.error;
      if (errField !== undefined) { out.push({ error: errorPayload(errField) }); continue; }
      if (ev.event === 'error') { out.push({ error: errorPayload(ev.data) }); continue; }
      const data = ev.data;
      // Fast path: a JSON object chunk.
      if (data.charCodeAt(0) === 123) { out.push(parseObjectLine(data)); continue; }
      const t = data.trim();
      if (t === '[DONE]') { out.push({ done: true } satisfies StreamDone); continue; }
      if (t === '') continue;
      out.push(parseObjectLine(data));
    }
  }
}

/** The error inside an `event: error` / `error:` payload: its `error` member when it is an object
 * that has one (`{"type":"error","error":{…}}`), the object itself (`{"message":…}`), or the text. */
function errorPayload(raw: string): unknown {
  const text = raw.trim();
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (o.error !== undefined && o.error !== null && o.error !== '') return o.error;
      return o;
    }
    return text || 'server error';
  } catch {
    return text || 'server error';
  }
}

export class OpenAICompatClient {
  private readonly http: HttpCore;
  /** The same transport and headers at the server root (outside /v1). */
  private readonly root: HttpCore;

  constructor(opts: ClientOptions = {}) {
    const core = buildHttpCore(opts, 'http://127.0.0.1:1234');
    this.http = new HttpCore({ ...core.opts, baseUrl: openAIBaseUrl(core.baseUrl) });
    // The root shares the transport (one pool per origin) but never closes it: the /v1 core does.
    const transport = core.opts.transport;
    this.root = new HttpCore({
      ...core.opts, baseUrl: serverRootUrl(this.http.baseUrl),
      transport: { request: (r) => transport.request(r), close: () => Promise.resolve() },
    });
  }

  get baseUrl(): string { return this.http.baseUrl; }
  /** The server root (see serverRootUrl). */
  get rootUrl(): string { return this.root.baseUrl; }
  abort(): void { this.http.abortAll(); this.root.abortAll(); }
  async close(): Promise<void> { await this.root.close(); await this.http.close(); }
  async retire(): Promise<void> { await this.root.retire(); await this.http.retire(); }

  chatCompletions(req: ChatCompletionRequest & { stream: true }, o?: CallOptions): Promise<AbortableAsyncIterator<ChatCompletionChunk | StreamDone>>;
  chatCompletions(req: ChatCompletionRequest & { stream?: false }, o?: CallOptions): Promise<ChatCompletion>;
  async chatCompletions(req: ChatCompletionRequest, o: CallOptions = {}): Promise<ChatCompletion | AbortableAsyncIterator<ChatCompletionChunk | StreamDone>> {
    return this.call('/chat/completions', { ...req }, req.model, o);
  }

  completions(req: CompletionRequest & { stream: true }, o?: CallOptions): Promise<AbortableAsyncIterator<CompletionChunk | StreamDone>>;
  completions(req: CompletionRequest & { stream?: false }, o?: CallOptions): Promise<Completion>;
  async completions(req: CompletionRequest, o: CallOptions = {}): Promise<Completion | AbortableAsyncIterator<CompletionChunk | StreamDone>> {
    return this.call('/completions', { ...req }, req.model, o);
  }

  async models(o: CallOptions = {}): Promise<OpenAIModel[]> {
    const r = await this.http.json<{ data?: OpenAIModel[] | null }>('GET', '/models', { kind: 'metadata', signal: o.signal, lane: o.lane });
    return r?.data ?? [];
  }

  /** `GET /v1/models` with its headers and whole body (server detection reads both). Throws the
   * error hierarchy for a non-2xx status, and StreamError for HTTP 200 with an `{"error"}` body. */
  modelsReply(o: CallOptions = {}): Promise<RawReply> {
    return this.readWhole(this.http, 'GET', '/models', undefined, o);
  }

  /** A request to the server root (outside /v1) read whole: llama.cpp `GET /props`, `POST
   * /tokenize`; vLLM `GET /version`, `POST /tokenize`; LM Studio `GET /api/v0/models`; Ollama
   * `GET /api/version`, `POST /api/show` (`model` makes a JSON 404 a ModelNotFoundError). Same
   * errors as modelsReply. */
  rootRequest(method: 'GET' | 'POST', path: string, json: unknown, o: CallOptions & { model?: string } = {}): Promise<RawReply> {
    return this.readWhole(this.root, method, path, json, o);
  }

  /** llama.cpp `POST /infill`, streamed: `data:` objects until the one with `stop: true` (there is
   * no `data: [DONE]`). A 501 means the model has no FIM tokens (see dialect.ts serverErrorFact). */
  async infill(req: InfillRequest, o: CallOptions = {}): Promise<AbortableAsyncIterator<InfillChunk>> {
    const body = { ...req, stream: true };
    const open = await this.root.open('POST', '/infill', { kind: 'long', json: body, signal: o.signal, accept: 'text/event-stream', lane: o.lane, ...(req.model ? { model: req.model } : {}) });
    const whole = await this.nonStreamReply(open);
    if (whole) return whole as AbortableAsyncIterator<InfillChunk>;
    return this.root.stream<InfillChunk>(open, new OpenAISseDecoder({ maxLineBytes: this.root.opts.maxLineBytes }), (c) => c.stop === true);
  }

  private async readWhole(core: HttpCore, method: string, path: string, json: unknown, o: CallOptions & { model?: string }): Promise<RawReply> {
    const open = await core.open(method, path, {
      kind: 'metadata', signal: o.signal, lane: o.lane, ...(json !== undefined ? { json } : {}), ...(o.model !== undefined ? { model: o.model } : {}),
    });
    try {
      const text = await open.res.body.text(MAX_META_BYTES);
      let body: unknown;
      if (text.trim() !== '') {
        try { body = JSON.parse(text); } catch (cause) {
          throw new ProtocolError(`The server at ${open.url} did not answer with JSON (HTTP ${open.res.status}): ${text.slice(0, 200)}`, { status: open.res.status, url: open.url, raw: text.slice(0, 200), cause });
        }
      }
      // LM Studio answers an unknown path (and some failures) with HTTP 200 and {"error": "…"}.
      const err = inBandError(body);
      if (err !== undefined) throw new StreamError(err, { status: open.res.status, url: open.url, error: err, midStream: false });
      return { status: open.res.status, headers: open.res.headers, body };
    } catch (e) {
      throw core.mapError(e, open.url, open.signal, { headersTimeoutMs: 0, idleTimeoutMs: core.opts.metadataTimeoutMs });
    } finally {
      open.release();
    }
  }

  /**
   * A stream request answered with a whole JSON body instead of SSE: LM Studio's HTTP 200
   * `{"error":"…"}` (an unknown path, a prompt over the loaded context) becomes a StreamError; a
   * whole reply from a server that ignored `stream: true` becomes a stream of that one object (a
   * chat `message` read as its `delta`) and the end. Undefined for a real event stream.
   */
  private async nonStreamReply(open: OpenResponse): Promise<AbortableAsyncIterator<unknown> | undefined> {
    const ctype = open.res.headers['content-type'] ?? '';
    if (!/json/i.test(ctype) || /event-stream/i.test(ctype)) return undefined;
    let text: string;
    try { text = await open.res.body.text(MAX_META_BYTES); } finally { open.release(); }
    let body: unknown;
    try { body = JSON.parse(text); } catch (cause) {
      throw new ProtocolError(`The server at ${open.url} sent JSON that does not parse instead of a stream: ${text.slice(0, 200)}`, { status: open.res.status, url: open.url, raw: text.slice(0, 200), cause });
    }
    const err = inBandError(body);
    if (err !== undefined) throw new StreamError(err, { status: open.res.status, url: open.url, error: err, midStream: false });
    const items: unknown[] = [asChunk(body), { done: true } satisfies StreamDone];
    const it = items[Symbol.iterator]();
    return new AbortableAsyncIterator<unknown>(new AbortController(), { next: () => Promise.resolve(it.next()) });
  }

  async embeddings(req: { model: string; input: string | string[]; dimensions?: number }, o: CallOptions = {}): Promise<number[][]> {
    const r = await this.http.json<{ data?: Array<{ embedding: number[]; index: number }> }>('POST', '/embeddings', { kind: 'long', json: { ...req }, signal: o.signal, model: req.model, lane: o.lane });
    return (r?.data ?? []).sort((a, b) => a.index - b.index).map((d) => d.embedding);
  }

  private async call<T, C>(path: string, body: { stream?: boolean }, model: string, o: CallOptions): Promise<T | AbortableAsyncIterator<C | StreamDone>> {
    if (body.stream !== true) {
      return (await this.http.json<T>('POST', path, { kind: 'long', json: body, signal: o.signal, model, lane: o.lane })) as T;
    }
    const open = await this.http.open('POST', path, { kind: 'long', json: body, signal: o.signal, model, accept: 'text/event-stream', lane: o.lane });
    const whole = await this.nonStreamReply(open);
    if (whole) return whole as AbortableAsyncIterator<C | StreamDone>;
    return this.http.stream<C | StreamDone>(open, new OpenAISseDecoder({ maxLineBytes: this.http.opts.maxLineBytes }), isStreamDone);
  }
}

/** A whole reply as a stream chunk: a chat `message` becomes the `delta`; an /infill object stays. */
function asChunk(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return body;
  const b = body as { choices?: unknown };
  if (!Array.isArray(b.choices)) return body;
  return { ...b, choices: b.choices.map((c: unknown) => (typeof c === 'object' && c !== null && 'message' in c ? { ...c, delta: (c as { message: unknown }).message } : c)) };
}
