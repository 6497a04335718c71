// A client for OpenAI-compatible servers (LM Studio, llama.cpp server, vLLM, Ollama's own /v1):
// chat completions, completions, models, embeddings, with SSE streaming. Same transport, error
// hierarchy and abort semantics as OllamaClient. Never imports `vscode` and never logs.
import { HttpCore } from '../http/core';
import type { AbortableAsyncIterator, ChunkDecoder } from '../http/stream';
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

  constructor(opts: ClientOptions = {}) {
    const core = buildHttpCore(opts, 'http://127.0.0.1:1234');
    this.http = new HttpCore({ ...core.opts, baseUrl: openAIBaseUrl(core.baseUrl) });
  }

  get baseUrl(): string { return this.http.baseUrl; }
  abort(): void { this.http.abortAll(); }
  close(): Promise<void> { return this.http.close(); }
  retire(): Promise<void> { return this.http.retire(); }

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

  async embeddings(req: { model: string; input: string | string[]; dimensions?: number }, o: CallOptions = {}): Promise<number[][]> {
    const r = await this.http.json<{ data?: Array<{ embedding: number[]; index: number }> }>('POST', '/embeddings', { kind: 'long', json: { ...req }, signal: o.signal, model: req.model, lane: o.lane });
    return (r?.data ?? []).sort((a, b) => a.index - b.index).map((d) => d.embedding);
  }

  private async call<T, C>(path: string, body: { stream?: boolean }, model: string, o: CallOptions): Promise<T | AbortableAsyncIterator<C | StreamDone>> {
    if (body.stream !== true) {
      return (await this.http.json<T>('POST', path, { kind: 'long', json: body, signal: o.signal, model, lane: o.lane })) as T;
    }
    const open = await this.http.open('POST', path, { kind: 'long', json: body, signal: o.signal, model, accept: 'text/event-stream', lane: o.lane });
    return this.http.stream<C | StreamDone>(open, new OpenAISseDecoder({ maxLineBytes: this.http.opts.maxLineBytes }), isStreamDone);
  }
}
