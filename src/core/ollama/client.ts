// The Ollama HTTP client: one method per endpoint, named and shaped like ollama-js so its users feel
// at home, and stricter where ollama-js is weak: every call takes an AbortSignal, breaking out of a
// stream closes the connection, the caller's request is never mutated, errors keep their status.
// Never imports `vscode` and never logs.
import type { HttpCore } from '../http/core';
import type { AbortableAsyncIterator } from '../http/stream';
import { InvalidRequestError, ResponseTooLargeError } from '../http/errors';
import { buildHttpCore, type CallOptions, type ClientOptions } from '../http/options';
import { NdjsonDecoder } from '../stream/ndjson';
import type {
  ChatRequest, ChatResponse, CopyRequest, CreateRequest, DeleteRequest, EmbeddingsRequest, EmbeddingsResponse,
  EmbedRequest, EmbedResponse, GenerateRequest, GenerateResponse, KeepAlive, ListResponse, Message, Options,
  ProgressResponse, PsResponse, PullRequest, PushRequest, ShowRequest, ShowResponse, VersionResponse,
} from './types';

/** Silence allowed inside pull/push/create progress streams (30 min). */
export const PROGRESS_IDLE_MS = 30 * 60_000;

export interface BlobUploadOptions extends CallOptions {
  /** Called as bytes are handed to the connection. */
  onProgress?: (sentBytes: number) => void;
}

export class OllamaClient {
  private readonly http: HttpCore;

  constructor(opts: ClientOptions = {}) {
    this.http = buildHttpCore(opts);
  }

  /** The base URL requests go to (after OLLAMA_HOST-style parsing). */
  get host(): string { return this.http.baseUrl; }

  /** Abort every request in flight on this client. */
  abort(): void { this.http.abortAll(); }

  /** Abort everything and release the connection pool. */
  close(): Promise<void> { return this.http.close(); }

  /** Refuse new requests; let those in flight finish, then release the pool. */
  retire(): Promise<void> { return this.http.retire(); }

  generate(request: GenerateRequest & { stream: true }, o?: CallOptions): Promise<AbortableAsyncIterator<GenerateResponse>>;
  generate(request: GenerateRequest & { stream?: false }, o?: CallOptions): Promise<GenerateResponse>;
  generate(request: GenerateRequest, o?: CallOptions): Promise<GenerateResponse | AbortableAsyncIterator<GenerateResponse>>;
  async generate(request: GenerateRequest, o: CallOptions = {}): Promise<GenerateResponse | AbortableAsyncIterator<GenerateResponse>> {
    requireModel(request.model, 'generate');
    const body: GenerateRequest = { ...request, stream: request.stream === true };
    if (request.images) body.images = request.images.map(encodeImage);
    if (request.keep_alive !== undefined) body.keep_alive = normalizeKeepAlive(request.keep_alive);
    if (request.options !== undefined) body.options = normalizeOptions(request.options, 'generate');
    return this.inference<GenerateResponse>('/api/generate', body, request.model, o, aggregateGenerate);
  }

  chat(request: ChatRequest & { stream: true }, o?: CallOptions): Promise<AbortableAsyncIterator<ChatResponse>>;
  chat(request: ChatRequest & { stream?: false }, o?: CallOptions): Promise<ChatResponse>;
  chat(request: ChatRequest, o?: CallOptions): Promise<ChatResponse | AbortableAsyncIterator<ChatResponse>>;
  async chat(request: ChatRequest, o: CallOptions = {}): Promise<ChatResponse | AbortableAsyncIterator<ChatResponse>> {
    requireModel(request.model, 'chat');
    const body: ChatRequest = { ...request, stream: request.stream === true };
    if (request.messages) body.messages = request.messages.map(encodeMessage);
    if (request.keep_alive !== undefined) body.keep_alive = normalizeKeepAlive(request.keep_alive);
    if (request.options !== undefined) body.options = normalizeOptions(request.options, 'chat');
    return this.inference<ChatResponse>('/api/chat', body, request.model, o, aggregateChat);
  }

  pull(request: PullRequest & { stream: true }, o?: CallOptions): Promise<AbortableAsyncIterator<ProgressResponse>>;
  pull(request: PullRequest & { stream?: false }, o?: CallOptions): Promise<ProgressResponse>;
  pull(request: PullRequest, o: CallOptions = {}): Promise<ProgressResponse | AbortableAsyncIterator<ProgressResponse>> {
    requireModel(request.model, 'pull');
    return this.progress('/api/pull', { ...request }, request.model, o);
  }

  push(request: PushRequest & { stream: true }, o?: CallOptions): Promise<AbortableAsyncIterator<ProgressResponse>>;
  push(request: PushRequest & { stream?: false }, o?: CallOptions): Promise<ProgressResponse>;
  push(request: PushRequest, o: CallOptions = {}): Promise<ProgressResponse | AbortableAsyncIterator<ProgressResponse>> {
    requireModel(request.model, 'push');
    return this.progress('/api/push', { ...request }, request.model, o);
  }

  /** Create a model from structured fields (a Modelfile is parsed client-side; see core/modelfile). */
  create(request: CreateRequest & { stream: true }, o?: CallOptions): Promise<AbortableAsyncIterator<ProgressResponse>>;
  create(request: CreateRequest & { stream?: false }, o?: CallOptions): Promise<ProgressResponse>;
  create(request: CreateRequest, o: CallOptions = {}): Promise<ProgressResponse | AbortableAsyncIterator<ProgressResponse>> {
    requireModel(request.model, 'create');
    if (request.from === undefined && request.files === undefined) {
      throw new InvalidRequestError("create needs 'from' or 'files'.");
    }
    return this.progress('/api/create', { ...request }, request.model, o);
  }

  async list(o: CallOptions = {}): Promise<ListResponse> {
    const r = await this.http.json<ListResponse>('GET', '/api/tags', { kind: 'metadata', signal: o.signal, lane: o.lane, maxBodyBytes: this.http.limits.list });
    return { models: r?.models ?? [] };
  }

  async ps(o: CallOptions = {}): Promise<PsResponse> {
    const r = await this.http.json<PsResponse>('GET', '/api/ps', { kind: 'metadata', signal: o.signal, lane: o.lane, maxBodyBytes: this.http.limits.list });
    return { models: r?.models ?? [] };
  }

  async show(request: ShowRequest, o: CallOptions = {}): Promise<ShowResponse> {
    requireModel(request.model, 'show');
    const body: ShowRequest = { ...request };
    if (request.options !== undefined) body.options = normalizeOptions(request.options, 'show');
    const r = await this.http.json<ShowResponse>('POST', '/api/show', { kind: 'metadata', json: body, signal: o.signal, model: request.model, lane: o.lane, maxBodyBytes: this.http.limits.show });
    return r ?? { details: {} };
  }

  async copy(request: CopyRequest, o: CallOptions = {}): Promise<{ status: 'success' }> {
    if (!request.source || !request.destination) throw new InvalidRequestError('copy needs a source and a destination model name.');
    await this.http.json('POST', '/api/copy', { kind: 'metadata', json: { ...request }, signal: o.signal, model: request.source, lane: o.lane, maxBodyBytes: this.http.limits.small });
    return { status: 'success' };
  }

  async delete(request: DeleteRequest, o: CallOptions = {}): Promise<{ status: 'success' }> {
    requireModel(request.model, 'delete');
    await this.http.json('DELETE', '/api/delete', { kind: 'metadata', json: { model: request.model }, signal: o.signal, model: request.model, lane: o.lane, maxBodyBytes: this.http.limits.small });
    return { status: 'success' };
  }

  async embed(request: EmbedRequest, o: CallOptions = {}): Promise<EmbedResponse> {
    requireModel(request.model, 'embed');
    const body: EmbedRequest = { ...request };
    if (request.keep_alive !== undefined) body.keep_alive = normalizeKeepAlive(request.keep_alive);
    if (request.options !== undefined) body.options = normalizeOptions(request.options, 'embed');
    const r = await this.http.json<EmbedResponse>('POST', '/api/embed', { kind: 'long', json: body, signal: o.signal, model: request.model, lane: o.lane, maxBodyBytes: this.http.limits.large });
    return r ?? { model: request.model, embeddings: [] };
  }

  async embeddings(request: EmbeddingsRequest, o: CallOptions = {}): Promise<EmbeddingsResponse> {
    requireModel(request.model, 'embeddings');
    const body: EmbeddingsRequest = { ...request };
    if (request.keep_alive !== undefined) body.keep_alive = normalizeKeepAlive(request.keep_alive);
    if (request.options !== undefined) body.options = normalizeOptions(request.options, 'embeddings');
    const r = await this.http.json<EmbeddingsResponse>('POST', '/api/embeddings', { kind: 'long', json: body, signal: o.signal, model: request.model, lane: o.lane, maxBodyBytes: this.http.limits.large });
    return r ?? { embedding: [] };
  }

  async version(o: CallOptions = {}): Promise<VersionResponse> {
    const r = await this.http.json<VersionResponse>('GET', '/api/version', { kind: 'metadata', signal: o.signal, lane: o.lane, maxBodyBytes: this.http.limits.small });
    return { version: r?.version ?? '' };
  }

  /** `GET /`: the liveness probe; resolves with the server's text ("Ollama is running"). */
  async heartbeat(o: CallOptions = {}): Promise<string> {
    const { res, release } = await this.http.open('GET', '/', { kind: 'metadata', signal: o.signal, accept: 'text/plain', lane: o.lane });
    try { return (await res.body.text(4096)).trim(); } finally { release(); }
  }

  /** Load a model into memory (empty prompt); resolves when loaded. */
  load(model: string, keepAlive?: KeepAlive, o: CallOptions = {}): Promise<GenerateResponse> {
    return this.generate({ model, prompt: '', ...(keepAlive !== undefined ? { keep_alive: keepAlive } : {}) }, o);
  }

  /** Unload a model now (`keep_alive: 0` with an empty prompt). */
  unload(model: string, o: CallOptions = {}): Promise<GenerateResponse> {
    return this.generate({ model, prompt: '', keep_alive: 0 }, o);
  }

  /** `HEAD /api/blobs/:digest`: true if the server has the blob. */
  async hasBlob(digest: string, o: CallOptions = {}): Promise<boolean> {
    checkDigest(digest);
    try {
      const { release } = await this.http.open('HEAD', `/api/blobs/${digest}`, { kind: 'metadata', signal: o.signal, lane: o.lane ?? 'batch' });
      release();
      return true;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return false;
      throw e;
    }
  }

  /** `POST /api/blobs/:digest` with the raw bytes, streamed (never read whole into memory). */
  async uploadBlob(digest: string, data: Uint8Array | AsyncIterable<Uint8Array>, o: BlobUploadOptions = {}): Promise<void> {
    checkDigest(digest);
    let body: Uint8Array | AsyncIterable<Uint8Array> = data;
    if (o.onProgress && !(data instanceof Uint8Array)) {
      const src = data;
      const report = o.onProgress;
      body = (async function* () {
        let sent = 0;
        for await (const c of src) { sent += c.length; report(sent); yield c; }
      })();
    }
    const { res, release } = await this.http.open('POST', `/api/blobs/${digest}`, {
      kind: 'long', body, contentType: 'application/octet-stream', signal: o.signal, lane: o.lane ?? 'batch',
    });
    try { await res.body.text(4096); } finally { release(); }
    if (o.onProgress && data instanceof Uint8Array) o.onProgress(data.length);
  }

  /** generate/chat. Always streamed on the wire: a non-streamed call (`stream: false`) would send
   * nothing until the whole answer exists, so a long answer would hit the first-byte timeout while
   * the model is still generating; here every token resets the idle timer instead, and the parts are
   * put together the way the server would (`aggregate`). */
  private async inference<T extends { done: boolean }>(
    path: string, body: object, model: string, o: CallOptions, aggregate: (parts: T[]) => T,
  ): Promise<T | AbortableAsyncIterator<T>> {
    const stream = (body as { stream?: boolean }).stream === true;
    const open = await this.http.open('POST', path, {
      kind: 'long', json: stream ? body : { ...body, stream: true }, signal: o.signal, model, accept: 'application/x-ndjson', lane: o.lane,
    });
    const it = this.http.stream<T>(open, new NdjsonDecoder({ maxLineBytes: this.http.opts.maxLineBytes }), (x) => x.done === true);
    if (stream) return it;
    // Put together in memory: bounded like any whole reply (the `large` limit), so a server that
    // never sends `done` cannot grow it without end.
    const parts: T[] = [];
    let chars = 0;
    for await (const p of it) {
      parts.push(p);
      chars += textChars(p);
      const limit = this.http.limits.large;
      if (chars > limit) {
        it.abort();
        throw this.http.guard(new ResponseTooLargeError(
          `The answer from ${open.url} is larger than ${Math.round(limit / (1 << 20))} MiB; it was not read to its end (ask for it streamed).`,
          { status: open.res.status, url: open.url, limitBytes: limit },
        ));
      }
    }
    return aggregate(parts);
  }

  /** pull/push/create always stream on the wire (a non-streamed pull can be silent for hours, which
   * no idle timeout survives); with `stream: false` the last progress object is returned. They use
   * the batch lane unless the caller says otherwise.
   * The stream is complete when it ENDS after a `{"status":"success"}`, not at the first one: a
   * create whose `from` model is not on the server pulls it first and passes the pull's progress
   * on, its closing `success` included, before its own layers and its own `success` (server/create.go
   * CreateHandler -> parseFromModel -> PullModel, which ends with fn({Status: "success"})). A caller
   * iterating the stream therefore sees every `success` the server sends; only the last one means
   * done. */
  private async progress(path: string, request: { stream?: boolean }, model: string, o: CallOptions): Promise<ProgressResponse | AbortableAsyncIterator<ProgressResponse>> {
    const open = await this.http.open('POST', path, {
      kind: 'long', json: { ...request, stream: true }, signal: o.signal, model, accept: 'application/x-ndjson', lane: o.lane ?? 'batch',
      // The server verifies digests and converts models with no progress line for minutes; a caller
      // cancels with its signal instead.
      idleTimeoutMs: Math.max(this.http.opts.idleTimeoutMs, PROGRESS_IDLE_MS),
    });
    const it = this.http.stream<ProgressResponse>(open, new NdjsonDecoder({ maxLineBytes: this.http.opts.maxLineBytes }), (x) => x.status === 'success', undefined, 'last');
    if (request.stream === true) return it;
    let last: ProgressResponse = { status: '' };
    for await (const p of it) last = p;
    return last;
  }
}

/** The non-streamed generate reply from its streamed parts, as the server builds it: `response`
 * and `thinking` concatenated, `logprobs` appended, the rest (done, done_reason, context, metrics)
 * from the final object. */
export function aggregateGenerate(parts: GenerateResponse[]): GenerateResponse {
  const last = parts[parts.length - 1];
  if (!last) return { model: '', created_at: '', response: '', done: false } as GenerateResponse;
  let response = '';
  let thinking = '';
  let logprobs: unknown[] | undefined;
  for (const p of parts) {
    if (p.response) response += p.response;
    if (p.thinking) thinking += p.thinking;
    const lp = (p as { logprobs?: unknown[] }).logprobs;
    if (Array.isArray(lp)) (logprobs ??= []).push(...lp);
  }
  const out: GenerateResponse = { ...last, response };
  if (thinking) out.thinking = thinking;
  if (logprobs) (out as { logprobs?: unknown[] }).logprobs = logprobs;
  return out;
}

/** The non-streamed chat reply from its streamed parts: `message.content` and `message.thinking`
 * concatenated, every `tool_calls` entry kept in order, the rest from the final object. */
export function aggregateChat(parts: ChatResponse[]): ChatResponse {
  const last = parts[parts.length - 1];
  if (!last) return { model: '', created_at: '', message: { role: 'assistant', content: '' }, done: false } as ChatResponse;
  let content = '';
  let thinking = '';
  const toolCalls: NonNullable<Message['tool_calls']> = [];
  let logprobs: unknown[] | undefined;
  for (const p of parts) {
    const m = p.message;
    if (m?.content) content += m.content;
    if (m?.thinking) thinking += m.thinking;
    if (m?.tool_calls?.length) toolCalls.push(...m.tool_calls);
    const lp = (p as { logprobs?: unknown[] }).logprobs;
    if (Array.isArray(lp)) (logprobs ??= []).push(...lp);
  }
  const message: Message = { ...(last.message ?? {}), role: last.message?.role ?? 'assistant', content };
  if (thinking) message.thinking = thinking; else delete message.thinking;
  if (toolCalls.length) message.tool_calls = toolCalls; else delete message.tool_calls;
  const out: ChatResponse = { ...last, message };
  if (logprobs) (out as { logprobs?: unknown[] }).logprobs = logprobs;
  return out;
}

/** Characters of text one streamed generate/chat object carries (response, thinking, content). */
function textChars(p: unknown): number {
  const o = p as { response?: unknown; thinking?: unknown; message?: { content?: unknown; thinking?: unknown } };
  const len = (v: unknown) => (typeof v === 'string' ? v.length : 0);
  return len(o.response) + len(o.thinking) + len(o.message?.content) + len(o.message?.thinking);
}

function requireModel(model: unknown, what: string): void {
  if (typeof model !== 'string' || model.trim() === '') throw new InvalidRequestError(`${what}: a model name is required.`);
}

function checkDigest(digest: string): void {
  if (!/^sha256[:-][0-9a-fA-F]{64}$/.test(digest)) throw new InvalidRequestError(`invalid blob digest "${digest}" (expected sha256:<64 hex>).`);
}

/** Native endpoints want plain base64 without a data-URL prefix; bytes are encoded. */
export function encodeImage(img: Uint8Array | string): string {
  if (typeof img !== 'string') return Buffer.from(img).toString('base64');
  const m = /^data:[^;,]*;base64,/.exec(img);
  return (m ? img.slice(m[0].length) : img).replace(/\s+/g, '');
}

function encodeMessage(m: Message): Message {
  return m.images ? { ...m, images: m.images.map(encodeImage) } : m;
}

/** A number of seconds, or a Go duration string; a bare numeric string ("10") would be a 400, so
 * it becomes a number. */
export function normalizeKeepAlive(k: KeepAlive): KeepAlive {
  if (typeof k === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(k)) return Number(k);
  return k;
}

type OptionType = 'int' | 'float' | 'bool' | 'string[]';

/** The runtime options the server decodes, with their Go types (ollama `api.Options`, see
 * ollama-protocol.md §5.1). A wrong JSON type is a 500 from the server, after a model load. */
export const OPTION_TYPES: Readonly<Record<string, OptionType>> = {
  num_ctx: 'int', num_batch: 'int', num_gpu: 'int', main_gpu: 'int', num_thread: 'int', draft_num_predict: 'int',
  num_keep: 'int', seed: 'int', num_predict: 'int', top_k: 'int', repeat_last_n: 'int',
  use_mmap: 'bool',
  top_p: 'float', min_p: 'float', typical_p: 'float', temperature: 'float', repeat_penalty: 'float',
  presence_penalty: 'float', frequency_penalty: 'float',
  stop: 'string[]',
};

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Normalises and checks `options` before anything is sent (the server would answer a wrong type with
 * a 500 `option "x" must be of type …`, after loading the model). Numeric strings become numbers
 * (`"0.7"` -> 0.7, `"2048"` -> 2048), `"true"`/`"false"` become booleans, a bare `stop` string
 * becomes a one-element array, `null` values are dropped (the server skips them). Unknown keys pass
 * through (the server ignores them). Returns a new object; the caller's is never changed.
 * @throws InvalidRequestError naming the option for a value its type cannot hold (`num_ctx: "lots"`,
 * `stop: 5`, `temperature: NaN`, `use_mmap: "maybe"`, an object where a number belongs).
 */
export function normalizeOptions(opts: Partial<Options>, call = 'request'): Partial<Options> {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new InvalidRequestError(`${call}: options must be an object of option names to values, not ${describe(opts)}.`);
  }
  const out: Partial<Options> = {};
  for (const [k, v] of Object.entries(opts)) {
    if (v === null || v === undefined) continue;
    const type = OPTION_TYPES[k];
    if (!type) { out[k] = v; continue; }
    const bad = (want: string) => new InvalidRequestError(`${call}: option "${k}" must be ${want}, not ${describe(v)}.`, {});
    if (type === 'int' || type === 'float') {
      let n: number;
      if (typeof v === 'number') n = v;
      else if (typeof v === 'string' && NUMERIC.test(v.trim())) n = Number(v.trim());
      else throw bad(type === 'int' ? 'an integer' : 'a number');
      if (!Number.isFinite(n)) throw bad(type === 'int' ? 'an integer' : 'a finite number');
      out[k] = n;
    } else if (type === 'bool') {
      if (typeof v === 'boolean') out[k] = v;
      else if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) out[k] = v.trim().toLowerCase() === 'true';
      else throw bad('true or false');
    } else {
      if (typeof v === 'string') out[k] = [v];
      else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = [...v];
      else throw bad('a string or an array of strings');
    }
  }
  return out;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}
