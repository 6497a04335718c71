// The Ollama HTTP client: one method per endpoint, named and shaped like ollama-js so its users feel
// at home, and stricter where ollama-js is weak: every call takes an AbortSignal, breaking out of a
// stream closes the connection, the caller's request is never mutated, errors keep their status.
// Never imports `vscode` and never logs.
import { createHash } from 'node:crypto';
import { AbortableAsyncIterator, HttpCore } from '../http/core';
import { UndiciTransport, type Transport } from '../http/transport';
import { parseNdjson } from '../stream/ndjson';
import { InvalidRequestError } from './errors';
import { parseHost } from './host';
import type {
  ChatRequest, ChatResponse, CopyRequest, CreateRequest, DeleteRequest, EmbeddingsRequest, EmbeddingsResponse,
  EmbedRequest, EmbedResponse, GenerateRequest, GenerateResponse, KeepAlive, ListResponse, Message, Options,
  ProgressResponse, PsResponse, PullRequest, PushRequest, ShowRequest, ShowResponse, VersionResponse,
} from './types';

export interface ClientOptions {
  /** Any OLLAMA_HOST form; default http://127.0.0.1:11434. */
  host?: string;
  /** Extra headers on every request (e.g. Authorization for a reverse proxy). */
  headers?: Record<string, string>;
  /** TCP/TLS connect timeout (default 10 s). */
  connectTimeoutMs?: number;
  /** Time to first byte of generate/chat/pull/create/push: model loads can take minutes (default 10 min; 0 = none). */
  headersTimeoutMs?: number;
  /** Longest silence inside a stream (default 2 min; 0 = none). */
  idleTimeoutMs?: number;
  /** Limit for quick metadata calls: list, show, ps, version, copy, delete (default 30 s). */
  metadataTimeoutMs?: number;
  /** Longest accepted NDJSON line (default 64 MiB). */
  maxLineBytes?: number;
  /** Proxy URL for this endpoint (see core/http/proxy). */
  proxy?: string;
  /** Extra CA certificates (PEM) for self-signed servers. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Replace the HTTP transport (tests, benchmarks). */
  transport?: Transport;
}

export interface CallOptions { signal?: AbortSignal }

/** Silence allowed inside pull/push/create progress streams (30 min). */
export const PROGRESS_IDLE_MS = 30 * 60_000;

export interface BlobUploadOptions extends CallOptions {
  /** Called as bytes are handed to the connection. */
  onProgress?: (sentBytes: number) => void;
}


export function buildHttpCore(opts: ClientOptions, defaultHost?: string): HttpCore {
  const parsed = parseHost(opts.host ?? defaultHost);
  const headers: Record<string, string> = {};
  if (parsed.username !== undefined || parsed.password !== undefined) {
    headers['Authorization'] = 'Basic ' + Buffer.from(`${parsed.username ?? ''}:${parsed.password ?? ''}`).toString('base64');
  }
  Object.assign(headers, opts.headers ?? {});
  return new HttpCore({
    baseUrl: parsed.url,
    headers,
    transport: opts.transport ?? new UndiciTransport({ connectTimeoutMs: opts.connectTimeoutMs, proxy: opts.proxy, ca: opts.ca }),
    headersTimeoutMs: opts.headersTimeoutMs ?? 600_000,
    idleTimeoutMs: opts.idleTimeoutMs ?? 120_000,
    metadataTimeoutMs: opts.metadataTimeoutMs ?? 30_000,
    maxLineBytes: opts.maxLineBytes ?? 64 * 1024 * 1024,
  });
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
    if (request.options) body.options = normalizeOptions(request.options);
    return this.inference<GenerateResponse>('/api/generate', body, request.model, o);
  }

  chat(request: ChatRequest & { stream: true }, o?: CallOptions): Promise<AbortableAsyncIterator<ChatResponse>>;
  chat(request: ChatRequest & { stream?: false }, o?: CallOptions): Promise<ChatResponse>;
  chat(request: ChatRequest, o?: CallOptions): Promise<ChatResponse | AbortableAsyncIterator<ChatResponse>>;
  async chat(request: ChatRequest, o: CallOptions = {}): Promise<ChatResponse | AbortableAsyncIterator<ChatResponse>> {
    requireModel(request.model, 'chat');
    const body: ChatRequest = { ...request, stream: request.stream === true };
    if (request.messages) body.messages = request.messages.map(encodeMessage);
    if (request.keep_alive !== undefined) body.keep_alive = normalizeKeepAlive(request.keep_alive);
    if (request.options) body.options = normalizeOptions(request.options);
    return this.inference<ChatResponse>('/api/chat', body, request.model, o);
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
    const r = await this.http.json<ListResponse>('GET', '/api/tags', { kind: 'metadata', signal: o.signal });
    return { models: r?.models ?? [] };
  }

  async ps(o: CallOptions = {}): Promise<PsResponse> {
    const r = await this.http.json<PsResponse>('GET', '/api/ps', { kind: 'metadata', signal: o.signal });
    return { models: r?.models ?? [] };
  }

  async show(request: ShowRequest, o: CallOptions = {}): Promise<ShowResponse> {
    requireModel(request.model, 'show');
    const r = await this.http.json<ShowResponse>('POST', '/api/show', { kind: 'metadata', json: { ...request }, signal: o.signal, model: request.model });
    return r ?? { details: {} };
  }

  async copy(request: CopyRequest, o: CallOptions = {}): Promise<{ status: 'success' }> {
    if (!request.source || !request.destination) throw new InvalidRequestError('copy needs a source and a destination model name.');
    await this.http.json('POST', '/api/copy', { kind: 'metadata', json: { ...request }, signal: o.signal, model: request.source });
    return { status: 'success' };
  }

  async delete(request: DeleteRequest, o: CallOptions = {}): Promise<{ status: 'success' }> {
    requireModel(request.model, 'delete');
    await this.http.json('DELETE', '/api/delete', { kind: 'metadata', json: { model: request.model }, signal: o.signal, model: request.model });
    return { status: 'success' };
  }

  async embed(request: EmbedRequest, o: CallOptions = {}): Promise<EmbedResponse> {
    requireModel(request.model, 'embed');
    const body: EmbedRequest = { ...request };
    if (request.keep_alive !== undefined) body.keep_alive = normalizeKeepAlive(request.keep_alive);
    const r = await this.http.json<EmbedResponse>('POST', '/api/embed', { kind: 'long', json: body, signal: o.signal, model: request.model });
    return r ?? { model: request.model, embeddings: [] };
  }

  async embeddings(request: EmbeddingsRequest, o: CallOptions = {}): Promise<EmbeddingsResponse> {
    requireModel(request.model, 'embeddings');
    const body: EmbeddingsRequest = { ...request };
    if (request.keep_alive !== undefined) body.keep_alive = normalizeKeepAlive(request.keep_alive);
    const r = await this.http.json<EmbeddingsResponse>('POST', '/api/embeddings', { kind: 'long', json: body, signal: o.signal, model: request.model });
    return r ?? { embedding: [] };
  }

  async version(o: CallOptions = {}): Promise<VersionResponse> {
    const r = await this.http.json<VersionResponse>('GET', '/api/version', { kind: 'metadata', signal: o.signal });
    return { version: r?.version ?? '' };
  }

  /** `GET /`: the liveness probe; resolves with the server's text ("Ollama is running"). */
  async heartbeat(o: CallOptions = {}): Promise<string> {
    const { res, release } = await this.http.open('GET', '/', { kind: 'metadata', signal: o.signal, accept: 'text/plain' });
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
      const { release } = await this.http.open('HEAD', `/api/blobs/${digest}`, { kind: 'metadata', signal: o.signal });
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
      kind: 'long', body, contentType: 'application/octet-stream', signal: o.signal,
    });
    try { await res.body.text(4096); } finally { release(); }
    if (o.onProgress && data instanceof Uint8Array) o.onProgress(data.length);
  }

  private async inference<T extends { done: boolean }>(path: string, body: object, model: string, o: CallOptions): Promise<T | AbortableAsyncIterator<T>> {
    const stream = (body as { stream?: boolean }).stream === true;
    if (!stream) {
      const r = await this.http.json<T>('POST', path, { kind: 'long', json: body, signal: o.signal, model });
      return r as T;
    }
    const open = await this.http.open('POST', path, { kind: 'long', json: body, signal: o.signal, model, accept: 'application/x-ndjson' });
    return this.http.stream<T>(open, (b) => parseNdjson(b, { maxLineBytes: this.http.opts.maxLineBytes }), (x) => x.done === true);
  }

  /** pull/push/create always stream on the wire (a non-streamed pull can be silent for hours, which
   * no idle timeout survives); with `stream: false` the last progress object is returned. */
  private async progress(path: string, request: { stream?: boolean }, model: string, o: CallOptions): Promise<ProgressResponse | AbortableAsyncIterator<ProgressResponse>> {
    const open = await this.http.open('POST', path, {
      kind: 'long', json: { ...request, stream: true }, signal: o.signal, model, accept: 'application/x-ndjson',
      // The server verifies digests and converts models with no progress line for minutes; a caller
      // cancels with its signal instead.
      idleTimeoutMs: Math.max(this.http.opts.idleTimeoutMs, PROGRESS_IDLE_MS),
    });
    const it = this.http.stream<ProgressResponse>(open, (b) => parseNdjson(b, { maxLineBytes: this.http.opts.maxLineBytes }), (x) => x.status === 'success');
    if (request.stream === true) return it;
    let last: ProgressResponse = { status: '' };
    for await (const p of it) last = p;
    return last;
  }
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

/** Fixes the option types the server answers with a 500: a bare `stop` string, numeric strings. */
export function normalizeOptions(opts: Partial<Options>): Partial<Options> {
  const out: Partial<Options> = { ...opts };
  if (typeof out.stop === 'string') out.stop = [out.stop];
  for (const k of ['num_ctx', 'num_predict', 'num_batch', 'num_gpu', 'num_thread', 'num_keep', 'seed', 'top_k', 'repeat_last_n']) {
    const v = out[k];
    if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) out[k] = Number(v);
  }
  return out;
}

/** sha256 digest of a byte stream in constant memory (for blob uploads). */
export async function digestOf(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const h = createHash('sha256');
  for await (const c of chunks) h.update(c);
  return 'sha256:' + h.digest('hex');
}
