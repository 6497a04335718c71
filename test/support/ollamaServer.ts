// A faithful Ollama HTTP server for tests (wire format of ollama ≈ v0.33: status codes, error
// strings, content types, omitempty rules, streaming framing) with fault injection. It runs
// in-process (OllamaTestServer.start) or standalone (serve.ts). node:http/crypto/events only.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  embedVector,
  nativeAggregate,
  nativeItems,
  openaiChatCompletion,
  openaiChatErrorChunk,
  openaiChatItems,
  openaiCompletion,
  openaiCompletionItems,
  completionChunk,
  openaiError,
  pickToolCall,
  renormalize,
  sampleFromSchema,
  specialReply,
  type ApiMessage,
  type Generation,
  type Json,
  type NativeToolCall,
} from './ollamaServerGen';
import {
  DEFAULT_MODELS,
  DEFAULT_PULLABLE,
  contextLength,
  details,
  embeddingLength,
  paramLine,
  showResponse,
  storeModel,
  type Layer,
  type ModelFixture,
  type PullableModel,
  type StoredModel,
} from './ollamaServerModels';
import {
  CHAT_REQ,
  COPY_REQ,
  CREATE_REQ,
  DELETE_REQ,
  EMBEDDINGS_REQ,
  EMBED_REQ,
  GENERATE_REQ,
  OA_CHAT_REQ,
  OA_COMPLETION_REQ,
  OA_EMBED_REQ,
  PULL_REQ,
  PUSH_REQ,
  SHOW_REQ,
  goTypeOf,
  optionsError,
} from './ollamaServerShapes';
import { Exchange, type FaultPlan, type RecordedRequest, type StreamItem, type StreamSpec } from './ollamaServerStream';
import { DialectServer, type DialectOptions } from './ollamaServerDialects';
import {
  FOREVER_NS,
  displayName,
  fullName,
  goCheckStruct,
  goDecode,
  goJson,
  goQuote,
  goTimeLocal,
  keepAliveNs,
  nameKey,
  parseModelName,
  sha256Hex,
  tokenId,
  tokenize,
  type FieldType,
  type ModelName,
} from './ollamaServerWire';

export type { FaultPlan, RecordedRequest, SseErrorDialect } from './ollamaServerStream';
export { SSE_ERROR_DIALECTS } from './ollamaServerStream';
export type { ModelFixture, PullableModel, Layer } from './ollamaServerModels';
export type { DialectOptions, DialectFim, LmStudioModel } from './ollamaServerDialects';
export { goJson, tokenize } from './ollamaServerWire';

export interface TestServerOptions {
  /** default 0 (random); host is always 127.0.0.1 */
  port?: number;
  /** e.g. '/ollama': serve everything under this prefix; other paths 404 text/plain */
  basePath?: string;
  /** requests lacking any of these exact header values get 401 {"error":"unauthorized"} */
  requireHeaders?: Record<string, string>;
  /** installed models (default: llama3.2, qwen2.5-coder:1.5b, llava:7b, all-minilm, qwen3:0.6b) */
  models?: ModelFixture[];
  /** models /api/pull can fetch (default: tinyllama, smollm2:135m, nomic-embed-text + the default models) */
  pullable?: Record<string, PullableModel>;
  /** /api/version (default '0.33.0') */
  version?: string;
  firstTokenDelayMs?: number;
  tokenDelayMs?: number;
  /** delay between pull/push/create progress lines (default 0) */
  pullStepDelayMs?: number;
  /** text a generate/chat/completions answer streams (default: 'You said: …' / 'Echo: …') */
  reply?: (req: { path: string; body: any }) => string;
  /** reasoning a thinking model streams before its answer (default: a fixed sentence; none with a
   * custom `reply` unless this is given); '' = none */
  thinking?: (req: { path: string; body: any }) => string;
  /** the /v1 field reasoning streams in: 'reasoning' (Ollama, default) or 'reasoning_content'
   * (vLLM, llama.cpp, LM Studio, DeepSeek) */
  openaiReasoningField?: 'reasoning' | 'reasoning_content';
  /** /v1 tool calls streamed the way OpenAI, vLLM, llama.cpp and LM Studio stream them: a first
   * piece with `id`, `type`, `function.name` and empty `arguments`, then the arguments' JSON text
   * in this many pieces carrying only `index` (default: Ollama's way, each call whole in one piece) */
  openaiToolCallPieces?: number;
  /** /v1/models also says the context each model is served with, as llama.cpp does (`meta.n_ctx`
   * per slot, `meta.n_ctx_train`; llamacpp-server-transcripts.md) or vLLM (`max_model_len`)
   * (default: Ollama's way, nothing) */
  openaiServedContext?: { dialect: 'llamacpp' | 'vllm'; tokens: number };
  /** false: /api/tags without `capabilities` (servers before they were added there); /api/show
   * still has them */
  tagsCapabilities?: boolean;
  /** Speak another server's dialect instead of Ollama's (llama.cpp's llama-server, LM Studio,
   * vLLM: see ollamaServerDialects.ts). Recording, faults, `reply`, `thinking` and delays apply. */
  dialect?: DialectOptions;
}

interface FaultEntry {
  plan: FaultPlan;
  path?: string;
  times?: number;
}

interface Running {
  model: StoredModel;
  expiresMs: number;
  contextLength: number;
}

type Style = 'native' | 'openai';
type Handler = (ex: Exchange, params: string[]) => Promise<void>;

const TEXT_PLAIN = 'text/plain';
const JSON_UTF8 = 'application/json; charset=utf-8';
const JSON_PLAIN = 'application/json';
const DIGEST_RE = /^sha256[:-]([0-9a-fA-F]{64})$/;
const DEFAULT_KEEP_ALIVE_NS = 5 * 60e9;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** prompt_eval_count of a text: the stream tokenizer's count, except that CJK text counts like a
 * real tokenizer's (Llama 3: about 0.7 tokens per Han character, Qwen3 0.5): 0.6 per character,
 * not one token per six-character "word". */
function promptTokenCount(text: string): number {
  const cjk = (text.match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu) ?? []).length;
  if (!cjk) return tokenize(text).length;
  const rest = text.replace(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu, ' ');
  return tokenize(rest).length + Math.ceil(cjk * 0.6);
}

// ---- CORS (gin-contrib/cors with Ollama's default origins) -------------------------------------
const ALLOWED_ORIGINS = [
  /^https?:\/\/(localhost|127\.0\.0\.1|0\.0\.0\.0)(:.*)?$/,
  /^(app|file|tauri|vscode-webview|vscode-file):\/\/.*$/,
  /^(chrome-extension|moz-extension|safari-web-extension):\/\/.*$/,
];

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
    req.on('close', () => {
      if (!req.complete) resolve(undefined);
    });
  });
}

export class OllamaTestServer {
  /** Start listening on 127.0.0.1. */
  static async start(opts: TestServerOptions = {}): Promise<OllamaTestServer> {
    const s = new OllamaTestServer(opts);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(opts.port ?? 0, '127.0.0.1', () => {
        s.server.off('error', reject);
        resolve();
      });
    });
    s._port = (s.server.address() as AddressInfo).port;
    return s;
  }

  readonly requests: RecordedRequest[] = [];
  /** full text of the last generate/chat/completions reply (including any hugeLine text) */
  lastReplyText = '';

  private readonly server: http.Server;
  private readonly events = new EventEmitter();
  private readonly sockets = new Set<Socket>();
  private readonly basePath: string;
  private readonly recorded = new WeakSet<RecordedRequest>();
  private _port = 0;
  private nextId = 1;
  private faults: FaultEntry[] = [];
  private store = new Map<string, StoredModel>();
  private runningModels = new Map<string, Running>();
  private blobStore = new Map<string, { size: number; head: Buffer }>();
  private pullable: Record<string, PullableModel> = {};
  private readonly routes: { path: string | RegExp; methods: Record<string, Handler> }[];
  /** Set when the server speaks another dialect than Ollama's. */
  readonly dialect: DialectServer | undefined;

  private constructor(private readonly opts: TestServerOptions) {
    let bp = opts.basePath ?? '';
    if (bp && !bp.startsWith('/')) bp = '/' + bp;
    this.basePath = bp.replace(/\/+$/, '');
    this.events.setMaxListeners(0);
    this.restoreDefaults();
    this.server = http.createServer({ noDelay: true, keepAliveTimeout: 0 }, (req, res) => {
      void this.onRequest(req, res);
    });
    this.server.on('connection', (sock: Socket) => {
      sock.setNoDelay(true);
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
    this.server.on('clientError', (_err, sock: Socket) => {
      if (sock.writable) sock.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request');
      else sock.destroy();
    });
    this.dialect = opts.dialect && new DialectServer(opts.dialect, {
      ...(opts.reply ? { reply: opts.reply } : {}),
      ...(opts.thinking ? { thinking: opts.thinking } : {}),
      lineDelay: (ex) => this.lineDelay(ex, 'token'),
      loadDelay: (ex) => ex.loadDelay(this.opts.firstTokenDelayMs ?? 0),
      setLastReply: (text) => { this.lastReplyText = text; },
    });
    const h = (fn: Handler): Handler => fn.bind(this);
    this.routes = [
      { path: '/', methods: { GET: h(this.root), HEAD: h(this.root) } },
      { path: '/api/version', methods: { GET: h(this.version), HEAD: h(this.version) } },
      { path: '/api/tags', methods: { GET: h(this.tags), HEAD: h(this.tags) } },
      { path: '/api/ps', methods: { GET: h(this.ps) } },
      { path: '/api/generate', methods: { POST: h(this.generate) } },
      { path: '/api/chat', methods: { POST: h(this.chat) } },
      { path: '/api/show', methods: { POST: h(this.show) } },
      { path: '/api/copy', methods: { POST: h(this.copy) } },
      { path: '/api/delete', methods: { DELETE: h(this.delete) } },
      { path: '/api/pull', methods: { POST: h(this.pull) } },
      { path: '/api/push', methods: { POST: h(this.push) } },
      { path: '/api/create', methods: { POST: h(this.create) } },
      { path: /^\/api\/blobs\/([^/]+)$/, methods: { HEAD: h(this.blobHead), POST: h(this.blobPost) } },
      { path: '/api/embed', methods: { POST: h(this.embed) } },
      { path: '/api/embeddings', methods: { POST: h(this.embeddings) } },
      { path: '/v1/chat/completions', methods: { POST: h(this.oaChat) } },
      { path: '/v1/completions', methods: { POST: h(this.oaCompletions) } },
      { path: '/v1/embeddings', methods: { POST: h(this.oaEmbeddings) } },
      { path: '/v1/models', methods: { GET: h(this.oaModels) } },
      { path: /^\/v1\/models\/([^/]+)$/, methods: { GET: h(this.oaModel) } },
    ];
  }

  /** 'http://127.0.0.1:PORT' + basePath */
  get url(): string {
    return `http://127.0.0.1:${this._port}${this.basePath}`;
  }

  get port(): number {
    return this._port;
  }

  // ---- test control --------------------------------------------------------------------------

  /** Apply a fault plan to matching requests (path prefix, without basePath); `times` = how many requests. */
  setFaults(plan: FaultPlan, opts: { path?: string; times?: number } = {}): void {
    this.faults.push({ plan: { ...plan }, path: opts.path, times: opts.times });
  }

  clearFaults(): void {
    this.faults = [];
  }

  setModels(models: ModelFixture[]): void {
    this.store = new Map();
    const base = Date.parse('2025-06-01T12:00:00Z');
    for (const [i, fx] of models.entries()) {
      const m = storeModel(fx, base - i * 3_600_000);
      this.store.set(nameKey(m.parsed), m);
    }
    for (const k of [...this.runningModels.keys()]) if (!this.store.has(k)) this.runningModels.delete(k);
  }

  /** Installed models, most recently modified first (normalized: tag added, defaults filled). */
  models(): ModelFixture[] {
    return this.sortedModels().map((m) => ({ ...m.fx }));
  }

  running(): { name: string; expires_at: string }[] {
    return this.runningList().map((r) => ({ name: r.model.fx.name, expires_at: goTimeLocal(r.expiresMs) }));
  }

  /** digest ('sha256:<hex>') -> size of uploaded blobs */
  blobs(): Map<string, number> {
    return new Map([...this.blobStore].map(([d, b]) => [d, b.size]));
  }

  /** Clear recorded requests and faults; restore default models, pullables, blobs and state. */
  reset(): void {
    this.requests.length = 0;
    this.faults = [];
    this.lastReplyText = '';
    this.restoreDefaults();
  }

  waitForRequest(pred: (r: RecordedRequest) => boolean, timeoutMs = 2000): Promise<RecordedRequest> {
    const found = this.requests.find((r) => this.recorded.has(r) && pred(r));
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onReq = (r: RecordedRequest) => {
        if (!pred(r)) return;
        cleanup();
        resolve(r);
      };
      const timer = setTimeout(() => {
        cleanup();
        const seen = this.requests.map((r) => `${r.method} ${r.path}`).join(', ') || 'none';
        reject(new Error(`waitForRequest: no matching request within ${timeoutMs} ms (seen: ${seen})`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.events.off('request', onReq);
      };
      this.events.on('request', onReq);
    });
  }

  /** Resolves with closedAt once the server saw the connection close before the response finished. */
  waitForClose(r: RecordedRequest, timeoutMs = 2000): Promise<number> {
    if (r.closedAt !== undefined) return Promise.resolve(r.closedAt);
    if (r.endedAt !== undefined) {
      return Promise.reject(new Error(`waitForClose: request #${r.id} ${r.method} ${r.path} finished normally`));
    }
    return new Promise((resolve, reject) => {
      const onClose = (x: RecordedRequest) => {
        if (x !== r) return;
        cleanup();
        resolve(x.closedAt!);
      };
      const onFinish = (x: RecordedRequest) => {
        if (x !== r) return;
        cleanup();
        reject(new Error(`waitForClose: request #${r.id} ${r.method} ${r.path} finished normally`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`waitForClose: request #${r.id} ${r.method} ${r.path} still open after ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.events.off('close', onClose);
        this.events.off('finish', onFinish);
      };
      this.events.on('close', onClose);
      this.events.on('finish', onFinish);
    });
  }

  /** Stop listening and destroy every open socket (keep-alive included). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.sockets) s.destroy();
    });
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private restoreDefaults(): void {
    this.setModels(this.opts.models ?? DEFAULT_MODELS);
    this.runningModels.clear();
    this.blobStore.clear();
    const pullable: Record<string, PullableModel> = {};
    if (!this.opts.pullable) {
      for (const m of this.store.values()) pullable[m.fx.name] = { layers: m.layers, model: { ...m.fx } };
    }
    for (const [name, p] of Object.entries(this.opts.pullable ?? DEFAULT_PULLABLE)) {
      const parsed = parseModelName(name);
      pullable[parsed ? nameKey(parsed) : name] = p;
    }
    this.pullable = {};
    for (const [name, p] of Object.entries(pullable)) {
      const parsed = parseModelName(name);
      this.pullable[parsed ? nameKey(parsed) : name.toLowerCase()] = p;
    }
  }

  private matchFaults(path: string): FaultPlan {
    let plan: FaultPlan = {};
    for (const f of this.faults) {
      if (f.path && !path.startsWith(f.path)) continue;
      if (f.times !== undefined) {
        if (f.times <= 0) continue;
        f.times--;
      }
      plan = { ...plan, ...f.plan };
    }
    this.faults = this.faults.filter((f) => f.times === undefined || f.times > 0);
    return plan;
  }

  private markRecorded(rec: RecordedRequest): void {
    if (this.recorded.has(rec)) return;
    this.recorded.add(rec);
    this.events.emit('request', rec);
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let path = url.pathname;
    let under = true;
    if (this.basePath) {
      if (path === this.basePath || path.startsWith(this.basePath + '/')) path = path.slice(this.basePath.length) || '/';
      else under = false;
    }
    const rec: RecordedRequest = {
      id: this.nextId++,
      method: req.method ?? 'GET',
      path: path + url.search,
      headers: { ...req.headers },
      rawBody: Buffer.alloc(0),
      body: undefined,
      startedAt: performance.now(),
      aborted: false,
      linesWritten: 0,
      bytesWritten: 0,
      bodyBytes: 0,
      dropped: false,
    };
    this.requests.push(rec);
    const plan = this.matchFaults(path);
    const ex = new Exchange(req, res, rec, plan, (r) => this.events.emit('close', r));
    res.on('finish', () => this.events.emit('finish', rec));
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    try {
      const streamedUpload = under && plan.status === undefined && req.method === 'POST' && /^\/api\/blobs\//.test(path);
      if (!streamedUpload) {
        const body = await readBody(req);
        if (body === undefined) {
          this.markRecorded(rec);
          return;
        }
        rec.rawBody = body;
        rec.bodyBytes = body.length;
        if (body.length) {
          try {
            rec.body = JSON.parse(body.toString('utf8'));
          } catch {
            rec.body = undefined;
          }
        }
        this.markRecorded(rec);
      }
      await this.dispatch(ex, path, under);
    } catch (e) {
      if (ex.closed) return;
      if (!ex.headSent) await ex.sendJson(500, { error: e instanceof Error ? e.message : String(e) });
      else ex.end();
    } finally {
      if (!this.recorded.has(rec)) {
        req.resume();
        this.markRecorded(rec);
      }
    }
  }

  private async dispatch(ex: Exchange, path: string, under: boolean): Promise<void> {
    const { req, res, plan } = ex;
    const method = req.method ?? 'GET';
    if (plan.status !== undefined) {
      const body = ex.fillHeaders(plan.body ?? '');
      const ct = plan.contentType ?? (body ? (/^\s*[{[]/.test(body) ? JSON_UTF8 : 'text/plain; charset=utf-8') : undefined);
      for (const [k, v] of Object.entries(plan.headers ?? {})) res.setHeader(k, v);
      return ex.send(plan.status, ct, body);
    }
    if (!under) return ex.send(404, TEXT_PLAIN, '404 page not found');
    if (this.dialect) return this.dialect.handle(ex, path);
    for (const [name, value] of Object.entries(this.opts.requireHeaders ?? {})) {
      if (req.headers[name.toLowerCase()] !== value) return ex.sendJson(401, { error: 'unauthorized' });
    }
    const origin = req.headers.origin;
    if (origin && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}`) {
      if (!ALLOWED_ORIGINS.some((re) => re.test(origin))) return ex.send(403, undefined, '');
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      if (method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS');
        res.setHeader(
          'Access-Control-Allow-Headers',
          'Authorization,Content-Type,User-Agent,Accept,X-Requested-With,OpenAI-Beta,x-stainless-arch,x-stainless-lang,x-stainless-os,x-stainless-package-version,x-stainless-retry-count,x-stainless-runtime,x-stainless-runtime-version,x-stainless-timeout',
        );
        res.setHeader('Access-Control-Max-Age', '43200');
        return ex.send(204, undefined, '');
      }
    }
    const match = (p: string) => {
      for (const r of this.routes) {
        if (typeof r.path === 'string') {
          if (r.path === p) return { route: r, params: [] as string[] };
        } else {
          const m = r.path.exec(p);
          if (m) return { route: r, params: m.slice(1).map((x) => decodeURIComponent(x)) };
        }
      }
      return undefined;
    };
    const found = match(path);
    if (found) {
      const handler = found.route.methods[method];
      if (handler) return handler(ex, found.params);
      res.setHeader('Allow', Object.keys(found.route.methods).join(', '));
      return ex.send(405, TEXT_PLAIN, '405 method not allowed');
    }
    // gin's RedirectTrailingSlash
    if (path.length > 1 && path.endsWith('/') && match(path.slice(0, -1))) {
      const loc = this.basePath + path.slice(0, -1);
      res.setHeader('Location', loc);
      if (method === 'GET' || method === 'HEAD') {
        return ex.send(301, 'text/html; charset=utf-8', `<a href="${loc}">Moved Permanently</a>.\n\n`);
      }
      return ex.send(307, undefined, '');
    }
    return ex.send(404, TEXT_PLAIN, '404 page not found');
  }

  /** Error reply: native `{"error"}` or OpenAI-shaped. */
  private fail(ex: Exchange, status: number, message: string, style: Style = 'native', contentType?: string): Promise<void> {
    if (style === 'openai') return ex.sendJson(status, openaiError(status, message), JSON_PLAIN);
    return ex.sendJson(status, { error: message }, contentType ?? JSON_UTF8);
  }

  /** gin ShouldBindJSON + Go type checks. Sends the 400 itself and returns undefined on error. */
  private async decode(
    ex: Exchange,
    struct: { go: string; name: string; fields: Record<string, FieldType> },
    style: Style = 'native',
  ): Promise<Json | undefined> {
    const r = goDecode(ex.rec.rawBody);
    if (!r.ok) {
      await this.fail(ex, 400, r.empty && style === 'native' ? 'missing request body' : r.message, style);
      return undefined;
    }
    const c = goCheckStruct(r.value, struct);
    if (c.error) {
      await this.fail(ex, 400, c.error, style);
      return undefined;
    }
    return c.value;
  }

  private lookup(n: ModelName | undefined): StoredModel | undefined {
    return n ? this.store.get(nameKey(n)) : undefined;
  }

  private sortedModels(): StoredModel[] {
    return [...this.store.values()].sort((a, b) => b.modifiedMs - a.modifiedMs);
  }

  private runningList(): Running[] {
    const now = Date.now();
    for (const [k, r] of this.runningModels) if (r.expiresMs <= now) this.runningModels.delete(k);
    return [...this.runningModels.values()].sort((a, b) => b.expiresMs - a.expiresMs);
  }

  private expiry(keepAlive: number | undefined): number {
    const ns = keepAlive ?? DEFAULT_KEEP_ALIVE_NS;
    if (ns >= FOREVER_NS) return Date.now() + FOREVER_NS / 1e6;
    return Date.now() + ns / 1e6;
  }

  /** Simulated scheduler load: delay, then mark running. Returns load_duration (0 if already loaded) or undefined if the client left. */
  private async load(ex: Exchange, m: StoredModel, options: Json | undefined, keepAlive: number | undefined): Promise<number | undefined> {
    const delay = ex.plan.firstTokenDelayMs ?? this.opts.firstTokenDelayMs ?? 0;
    if (!(await ex.loadDelay(this.opts.firstTokenDelayMs ?? 0))) return undefined;
    const key = nameKey(m.parsed);
    // llm/server.go: a num_ctx above the model's trained context is clamped to it (with a warning
    // in the server's log, "requested context size too large for model").
    const requested = typeof options?.num_ctx === 'number' ? Math.min(Math.trunc(options.num_ctx), contextLength(m)) : undefined;
    const ctx = requested ?? Math.min(4096, contextLength(m));
    const prev = this.runningModels.get(key);
    const fresh = !prev || prev.expiresMs <= Date.now() || (requested !== undefined && prev.contextLength !== requested);
    this.runningModels.set(key, { model: m, expiresMs: this.expiry(keepAlive), contextLength: fresh ? ctx : prev!.contextLength });
    return fresh ? 250_000_000 + Math.round(delay * 1e6) : 0;
  }

  private lineDelay(ex: Exchange, kind: 'token' | 'progress'): number {
    if (ex.plan.tokenDelayMs !== undefined) return ex.plan.tokenDelayMs;
    return (kind === 'token' ? this.opts.tokenDelayMs : this.opts.pullStepDelayMs) ?? 0;
  }

  private streamSpec(ex: Exchange, items: Iterable<StreamItem>, stream: boolean, extra: Partial<StreamSpec> = {}): StreamSpec {
    return {
      framing: 'ndjson',
      items,
      lineDelayMs: this.lineDelay(ex, 'progress'),
      stream,
      singleContentType: JSON_PLAIN,
      errorContentType: JSON_PLAIN,
      errorBody: (message) => ({ error: message }),
      ...extra,
    };
  }

  // ---- simple routes -------------------------------------------------------------------------

  private async root(ex: Exchange): Promise<void> {
    return ex.send(200, 'text/plain; charset=utf-8', 'Ollama is running');
  }

  private async version(ex: Exchange): Promise<void> {
    return ex.sendJson(200, { version: this.opts.version ?? '0.33.0' });
  }

  private async tags(ex: Exchange): Promise<void> {
    const models = this.sortedModels().map((m) => ({
      name: m.fx.name,
      model: m.fx.name,
      modified_at: m.fx.modified_at,
      size: m.fx.size,
      digest: m.fx.digest,
      details: details(m),
      ...(this.opts.tagsCapabilities === false ? {} : { capabilities: m.fx.capabilities }),
    }));
    return ex.sendJson(200, { models });
  }

  private async ps(ex: Exchange): Promise<void> {
    const models = this.runningList().map((r) => ({
      name: r.model.fx.name,
      model: r.model.fx.name,
      size: r.model.fx.size,
      digest: r.model.fx.digest,
      details: details(r.model, true),
      expires_at: goTimeLocal(r.expiresMs, 83753),
      size_vram: r.model.fx.size,
      context_length: r.contextLength,
    }));
    return ex.sendJson(200, { models });
  }

  // ---- generation ----------------------------------------------------------------------------

  private replyFor(ex: Exchange, path: string, fallback: () => string): string {
    return this.opts.reply ? this.opts.reply({ path, body: ex.rec.body }) : fallback();
  }

  /** Cut the reply at stop sequences / num_predict and tokenize; insert the hugeLine token. */
  private shape(ex: Exchange, text: string, options: Json | undefined, thinkingTokens: string[]): { content: string[]; doneReason: string } {
    let doneReason = 'stop';
    const stops = Array.isArray(options?.stop) ? (options!.stop as string[]) : [];
    let cut = text.length;
    for (const s of stops) {
      const i = s ? text.indexOf(s) : -1;
      if (i >= 0 && i < cut) cut = i;
    }
    let content = tokenize(text.slice(0, cut));
    const np = typeof options?.num_predict === 'number' ? Math.trunc(options.num_predict) : -1;
    if (np > 0 && thinkingTokens.length + content.length > np) {
      const keep = Math.max(0, np - thinkingTokens.length);
      thinkingTokens.splice(np);
      content = content.slice(0, keep);
      doneReason = 'length';
    }
    const huge = ex.plan.hugeLineBytes;
    if (huge && huge > 0) {
      const probe = goJson({ model: 'm', created_at: '2025-01-01T00:00:00.123456789Z', response: '', done: false });
      const n = Math.max(1, huge - probe.length + 64);
      content.splice(Math.min(1, content.length), 0, 'x'.repeat(n));
    }
    return { content, doneReason };
  }

  private formatReply(base: string, format: unknown): string {
    if (format === undefined || format === null || format === '') return base;
    if (format === 'json') return JSON.stringify({ response: base });
    return JSON.stringify(sampleFromSchema(format, base));
  }

  private formatError(format: unknown): string | undefined {
    if (format === undefined || format === null || format === '' || format === 'json') return undefined;
    if (typeof format === 'object' && !Array.isArray(format)) return undefined;
    return `invalid format: ${goQuote(JSON.stringify(format))}; expected "json" or a valid JSON Schema object`;
  }

  private thinkingFor(ex: Exchange, path: string, m: StoredModel, think: unknown, custom: boolean): string[] {
    const raw = m.fx.thinking_output === 'tags' || m.fx.thinking_output === 'tags-open-in-template';
    // A model without a thinking parser thinks whatever `think` says.
    if (!raw && (!m.fx.capabilities.includes('thinking') || think === false)) return [];
    if (this.opts.thinking) return tokenize(this.opts.thinking({ path, body: ex.rec.body }));
    if (custom) return [];
    return tokenize('Okay, the user wants a reply. I will answer directly. ');
  }

  /** Reasoning as raw text in the content, for a model without a thinking parser. */
  private rawThinking(m: StoredModel, thinking: string[], content: string[]): { thinking: string[]; content: string[] } {
    if (!thinking.length || (m.fx.thinking_output !== 'tags' && m.fx.thinking_output !== 'tags-open-in-template')) return { thinking, content };
    const open = m.fx.thinking_output === 'tags' ? ['<think>', '\n'] : [];
    return { thinking: [], content: [...open, ...thinking, '\n', '</think>', '\n\n', ...content] };
  }

  /** The checks and the model load that generate and chat share, in the server's order: thinking
   * capability, option types, load (an empty prompt/message list stops there), format. */
  private async checkAndLoad(ex: Exchange, r: Json, m: StoredModel, model: string, style: Style, keepAlive: ReturnType<typeof keepAliveNs>, loadOnly: boolean):
    Promise<{ loadNs: number; options: Json | undefined } | 'load' | undefined> {
    if (r.think !== undefined && r.think !== false && !m.fx.capabilities.includes('thinking')) {
      await this.fail(ex, 400, `${goQuote(model)} does not support thinking`, style);
      return undefined;
    }
    const options = (r.options ?? undefined) as Json | undefined;
    const optErr = optionsError(options);
    if (optErr) {
      await this.fail(ex, 500, optErr, style);
      return undefined;
    }
    const loadNs = await this.load(ex, m, options, keepAlive);
    if (loadNs === undefined) return undefined;
    if (loadOnly) return 'load';
    const fmtErr = this.formatError(r.format);
    if (fmtErr) {
      await this.fail(ex, 500, fmtErr, style, style === 'native' && r.stream !== false ? JSON_PLAIN : undefined);
      return undefined;
    }
    return { loadNs, options };
  }

  /** Validation + load shared by /api/generate and /v1/completions. */
  private async prepareGenerate(ex: Exchange, r: Json, style: Style, path: string): Promise<Generation | 'load' | undefined> {
    const model = str(r.model);
    const prompt = str(r.prompt);
    const suffix = str(r.suffix);
    if (typeof r.top_logprobs === 'number' && (r.top_logprobs < 0 || r.top_logprobs > 20)) {
      await this.fail(ex, 400, 'top_logprobs must be between 0 and 20', style);
      return undefined;
    }
    const name = parseModelName(model);
    if (model === '' || !name) {
      await this.fail(ex, model === '' ? 404 : 400, model === '' ? "model '' not found" : 'invalid model name', style);
      return undefined;
    }
    const m = this.lookup(name);
    if (!m) {
      await this.fail(ex, 404, `model '${model}' not found`, style);
      return undefined;
    }
    const keepAlive = keepAliveNs(r.keep_alive);
    if (prompt === '' && keepAlive === 0) {
      this.runningModels.delete(nameKey(m.parsed));
      await ex.sendJson(200, specialReply('generate', model, 'unload'));
      return undefined;
    }
    const context = Array.isArray(r.context) ? (r.context as number[]) : [];
    if (r.raw === true && (str(r.template) !== '' || str(r.system) !== '' || context.length > 0)) {
      await this.fail(ex, 400, 'raw mode does not support template, system, or context', style);
      return undefined;
    }
    const caps = m.fx.capabilities;
    if (!caps.includes('completion')) {
      await this.fail(ex, 400, `${goQuote(model)} does not support generate`, style);
      return undefined;
    }
    if (suffix !== '' && !caps.includes('insert')) {
      await this.fail(ex, 400, `${fullName(m.parsed)} does not support insert`, style);
      return undefined;
    }
    const loaded = await this.checkAndLoad(ex, r, m, model, style, keepAlive, prompt === '');
    if (loaded === undefined || loaded === 'load') return loaded;
    const { loadNs, options } = loaded;
    const custom = !!this.opts.reply;
    const text = this.replyFor(ex, path, () => {
      if (suffix !== '') return `/* fim ${prompt.length}:${suffix.length} */`;
      return this.formatReply('Echo: ' + prompt, r.format);
    });
    const thought = this.thinkingFor(ex, path, m, r.think, custom);
    const shaped = this.shape(ex, text, options, thought);
    const doneReason = shaped.doneReason;
    this.lastReplyText = shaped.content.join('');
    const { thinking, content } = this.rawThinking(m, thought, shaped.content);
    const promptTokens = tokenize(str(r.system) + prompt + suffix);
    const key = nameKey(m.parsed);
    return {
      model,
      stored: m,
      thinking,
      content,
      toolCalls: [],
      doneReason,
      promptEvalCount: promptTokens.length + (r.raw === true ? 0 : 8) + context.length || 1,
      loadNs,
      context: r.raw === true ? undefined : [...context, ...promptTokens.map(tokenId), ...content.map(tokenId)],
      collectToolCalls: false,
      after: () => {
        if (keepAlive === 0) this.runningModels.delete(key);
        else if (this.runningModels.has(key)) this.runningModels.get(key)!.expiresMs = this.expiry(keepAlive);
      },
    };
  }

  /** Validation + load shared by /api/chat and /v1/chat/completions. */
  private async prepareChat(ex: Exchange, r: Json, messages: ApiMessage[], style: Style, path: string): Promise<Generation | 'load' | undefined> {
    const model = str(r.model);
    if (typeof r.top_logprobs === 'number' && (r.top_logprobs < 0 || r.top_logprobs > 20)) {
      await this.fail(ex, 400, 'top_logprobs must be between 0 and 20', style);
      return undefined;
    }
    const name = parseModelName(model);
    if (!name) {
      await this.fail(ex, 400, 'model is required', style);
      return undefined;
    }
    const m = this.lookup(name);
    if (!m) {
      await this.fail(ex, 404, `model '${model}' not found`, style);
      return undefined;
    }
    const keepAlive = keepAliveNs(r.keep_alive);
    if (messages.length === 0 && keepAlive === 0) {
      this.runningModels.delete(nameKey(m.parsed));
      await ex.sendJson(200, specialReply('chat', model, 'unload'));
      return undefined;
    }
    const caps = m.fx.capabilities;
    const tools = Array.isArray(r.tools) ? (r.tools as unknown[]) : [];
    if (!caps.includes('completion')) {
      await this.fail(ex, 400, `${goQuote(model)} does not support chat`, style);
      return undefined;
    }
    if (tools.length && !caps.includes('tools')) {
      await this.fail(ex, 400, `${fullName(m.parsed)} does not support tools`, style);
      return undefined;
    }
    const loaded = await this.checkAndLoad(ex, r, m, model, style, keepAlive, messages.length === 0);
    if (loaded === undefined || loaded === 'load') return loaded;
    const { loadNs, options } = loaded;
    const custom = !!this.opts.reply;
    const toolCall = pickToolCall(tools, messages, `${ex.rec.id}:`);
    let thinking = this.thinkingFor(ex, path, m, r.think, custom);
    let content: string[] = [];
    let doneReason = 'stop';
    if (toolCall) {
      thinking = [];
      this.lastReplyText = '';
    } else {
      const text = this.replyFor(ex, path, () => {
        const lastUser = [...messages].reverse().find((x) => x.role === 'user') ?? messages[messages.length - 1];
        return this.formatReply('You said: ' + (lastUser?.content ?? ''), r.format);
      });
      ({ content, doneReason } = this.shape(ex, text, options, thinking));
      this.lastReplyText = content.join('');
      ({ thinking, content } = this.rawThinking(m, thinking, content));
    }
    let promptEval = 0;
    for (const msg of messages) promptEval += promptTokenCount(msg.content) + 4 + (msg.images?.length ?? 0) * 576;
    promptEval += tools.length * 24;
    const key = nameKey(m.parsed);
    return {
      model,
      stored: m,
      thinking,
      content,
      toolCalls: toolCall ? [toolCall as NativeToolCall] : [],
      doneReason,
      promptEvalCount: promptEval || 1,
      loadNs,
      collectToolCalls: tools.length > 0,
      after: () => {
        if (keepAlive === 0) this.runningModels.delete(key);
        else if (this.runningModels.has(key)) this.runningModels.get(key)!.expiresMs = this.expiry(keepAlive);
      },
    };
  }

  private async generate(ex: Exchange): Promise<void> {
    const r = await this.decode(ex, this.formatIsString() ? { ...GENERATE_REQ, fields: { ...GENERATE_REQ.fields, format: 'string' as const } } : GENERATE_REQ);
    if (!r) return;
    const g = await this.prepareGenerate(ex, r, 'native', '/api/generate');
    if (!g) return;
    if (g === 'load') return ex.sendJson(200, specialReply('generate', str(r.model), 'load'));
    return ex.stream(this.nativeSpec(ex, g, 'generate', r.stream !== false));
  }

  /** Ollama before 0.5.0 had `format` as a Go string (api/types.go at v0.4.7): a JSON schema object
   * fails to decode with HTTP 400 "json: cannot unmarshal object into Go struct field
   * ChatRequest.format of type string". Schema support came in 0.5.0. */
  private formatIsString(): boolean {
    const [major = 0, minor = 0] = (this.opts.version ?? '0.33.0').split('.').map((x) => parseInt(x, 10) || 0);
    return major === 0 && minor < 5;
  }

  private async chat(ex: Exchange): Promise<void> {
    const r = await this.decode(ex, this.formatIsString() ? { ...CHAT_REQ, fields: { ...CHAT_REQ.fields, format: 'string' as const } } : CHAT_REQ);
    if (!r) return;
    const messages = ((r.messages as Json[] | undefined) ?? []).map((x) => this.apiMessage(x));
    const g = await this.prepareChat(ex, r, messages, 'native', '/api/chat');
    if (!g) return;
    if (g === 'load') return ex.sendJson(200, specialReply('chat', str(r.model), 'load'));
    return ex.stream(this.nativeSpec(ex, g, 'chat', r.stream !== false));
  }

  private apiMessage(x: Json | null): ApiMessage {
    const m: ApiMessage = { role: str(x?.role).toLowerCase(), content: str(x?.content) };
    if (Array.isArray(x?.images)) m.images = x!.images as string[];
    if (Array.isArray(x?.tool_calls)) m.tool_calls = x!.tool_calls as unknown[];
    return m;
  }

  private nativeSpec(ex: Exchange, g: Generation, kind: 'generate' | 'chat', stream: boolean): StreamSpec {
    return {
      framing: 'ndjson',
      items: nativeItems(g, kind),
      lineDelayMs: this.lineDelay(ex, 'token'),
      stream,
      aggregate: () => nativeAggregate(g, kind),
      singleContentType: JSON_UTF8,
      errorContentType: stream ? JSON_PLAIN : JSON_UTF8,
      errorBody: (message) => ({ error: message }),
    };
  }

  // ---- embeddings ----------------------------------------------------------------------------

  private async embedCore(
    ex: Exchange,
    model: string,
    input: string[],
    opts: { style: Style; truncate: boolean; dimensions: number; options: Json | undefined; keepAlive: unknown; emptyNameStatus: number },
  ): Promise<{ vectors: number[][]; promptEvalCount: number; loadNs: number; m: StoredModel } | undefined> {
    const name = parseModelName(model);
    if (!name) {
      await this.fail(ex, opts.emptyNameStatus, opts.emptyNameStatus === 400 ? 'model is required' : `model '${model}' not found`, opts.style);
      return undefined;
    }
    const m = this.lookup(name);
    if (!m) {
      await this.fail(ex, 404, `model ${goQuote(model)} not found, try pulling it first`, opts.style);
      return undefined;
    }
    const optErr = optionsError(opts.options);
    if (optErr) {
      await this.fail(ex, 500, optErr, opts.style);
      return undefined;
    }
    const loadNs = await this.load(ex, m, opts.options, keepAliveNs(opts.keepAlive));
    if (loadNs === undefined) return undefined;
    const ctx = contextLength(m);
    let promptEvalCount = 0;
    for (const t of input) {
      const n = tokenize(t).length + 2;
      if (n > ctx && !opts.truncate) {
        await this.fail(ex, 400, 'the input length exceeds the context length', opts.style);
        return undefined;
      }
      promptEvalCount += Math.min(n, ctx);
    }
    const dim = embeddingLength(m);
    const vectors = input.map((t) => {
      const v = embedVector(m.fx.name, t, dim);
      return opts.dimensions > 0 && opts.dimensions < dim ? renormalize(v.slice(0, opts.dimensions)) : v;
    });
    return { vectors, promptEvalCount, loadNs, m };
  }

  private async embed(ex: Exchange): Promise<void> {
    const r = await this.decode(ex, EMBED_REQ);
    if (!r) return;
    let input: string[] = [];
    if (typeof r.input === 'string') {
      if (r.input) input = [r.input];
    } else if (Array.isArray(r.input)) {
      if (r.input.some((x) => typeof x !== 'string')) return this.fail(ex, 400, 'invalid input type');
      input = r.input as string[];
    } else if (r.input !== undefined && r.input !== null) {
      return this.fail(ex, 400, 'invalid input type');
    }
    const model = str(r.model);
    const res = await this.embedCore(ex, model, input, {
      style: 'native',
      truncate: r.truncate !== false,
      dimensions: typeof r.dimensions === 'number' ? r.dimensions : 0,
      options: r.options as Json | undefined,
      keepAlive: r.keep_alive,
      emptyNameStatus: 404,
    });
    if (!res) return;
    if (!input.length) return ex.sendJson(200, { model, embeddings: [] });
    const out: Json = { model, embeddings: res.vectors, total_duration: res.loadNs + 14_143_917 };
    if (res.loadNs) out.load_duration = res.loadNs;
    out.prompt_eval_count = res.promptEvalCount;
    return ex.sendJson(200, out);
  }

  private async embeddings(ex: Exchange): Promise<void> {
    const r = await this.decode(ex, EMBEDDINGS_REQ);
    if (!r) return;
    const prompt = str(r.prompt);
    const res = await this.embedCore(ex, str(r.model), [], {
      style: 'native',
      truncate: true,
      dimensions: 0,
      options: r.options as Json | undefined,
      keepAlive: r.keep_alive,
      emptyNameStatus: 400,
    });
    if (!res) return;
    if (prompt === '') return ex.sendJson(200, { embedding: [] });
    return ex.sendJson(200, { embedding: embedVector(res.m.fx.name, prompt, embeddingLength(res.m), false) });
  }

  // ---- model management ----------------------------------------------------------------------

  private async show(ex: Exchange): Promise<void> {
    const r = await this.decode(ex, SHOW_REQ);
    if (!r) return;
    const model = str(r.model) || str(r.name);
    if (!model) return this.fail(ex, 400, 'model is required');
    const name = parseModelName(model);
    if (!name) return this.fail(ex, 400, 'invalid model name');
    const m = this.lookup(name);
    if (!m) return this.fail(ex, 404, `model '${displayName(name)}' not found`);
    return ex.sendJson(200, showResponse(m, { verbose: r.verbose === true, system: str(r.system) || undefined }));
  }

  private async copy(ex: Exchange): Promise<void> {
    const r = await this.decode(ex, COPY_REQ);
    if (!r) return;
    const src = parseModelName(str(r.source));
    if (!src) return this.fail(ex, 400, `source ${goQuote(str(r.source))} is invalid`);
    const dst = parseModelName(str(r.destination));
    if (!dst) return this.fail(ex, 400, `destination ${goQuote(str(r.destination))} is invalid`);
    const m = this.lookup(src);
    if (!m) return this.fail(ex, 404, `model ${goQuote(str(r.source))} not found`);
    const now = Date.now();
    const copy: StoredModel = {
      ...m,
      fx: { ...m.fx, name: displayName(dst), modified_at: goTimeLocal(now, 654321) },
      parsed: dst,
      modifiedMs: now,
    };
    this.store.set(nameKey(dst), copy);
    return ex.send(200, undefined, '');
  }

  private async delete(ex: Exchange): Promise<void> {
    const r = await this.decode(ex, DELETE_REQ);
    if (!r) return;
    const model = str(r.model) || str(r.name);
    const name = parseModelName(model);
    if (!name) return this.fail(ex, 400, `name ${goQuote(model)} is invalid`);
    if (!this.lookup(name)) return this.fail(ex, 404, `model '${model}' not found`);
    this.store.delete(nameKey(name));
    this.runningModels.delete(nameKey(name));
    return ex.send(200, undefined, '');
  }

  private layerPresent(digest: string): boolean {
    if (this.blobStore.has(digest)) return true;
    for (const m of this.store.values()) if (m.layers.some((l) => l.digest === digest)) return true;
    return false;
  }

  /** Pull progress lines; installs the model when the manifest is written. */
  private *pullItems(name: ModelName): Generator<StreamItem, boolean> {
    yield { data: () => ({ status: 'pulling manifest' }) };
    const entry = this.pullable[nameKey(name)];
    if (!entry) {
      yield { error: 'pull model manifest: file does not exist' };
      return false;
    }
    for (const l of entry.layers) {
      const status = `pulling ${l.digest.slice(7, 19)}`;
      if (this.layerPresent(l.digest)) {
        yield { data: () => ({ status, digest: l.digest, total: l.size, completed: l.size }) };
        continue;
      }
      yield { data: () => ({ status, digest: l.digest, total: l.size }) };
      for (const f of [0.25, 0.5, 0.75, 1]) {
        const completed = Math.round(l.size * f);
        yield { data: () => ({ status, digest: l.digest, total: l.size, completed }) };
      }
    }
    yield { data: () => ({ status: 'verifying sha256 digest' }) };
    yield { data: () => ({ status: 'writing manifest' }) };
    const old = this.lookup(name);
    const size = entry.layers.reduce((a, l) => a + l.size, 0);
    const fx: ModelFixture = {
      ...(entry.model ?? {}),
      name: displayName(name),
      size: entry.model?.size ?? size,
      digest: entry.model?.digest ?? sha256Hex('manifest:' + entry.layers.map((l) => l.digest).join(',')),
      modified_at: undefined,
    };
    const stored = storeModel(fx, Date.now());
    stored.layers = entry.layers.map((l) => ({ ...l }));
    for (const l of entry.layers) this.blobStore.set(l.digest, { size: l.size, head: Buffer.alloc(0) });
    this.store.set(nameKey(name), stored);
    if (old && old.layers.some((l) => !entry.layers.some((n) => n.digest === l.digest))) {
      yield { data: () => ({ status: 'removing unused layers' }) };
    }
    yield { data: () => ({ status: 'success' }), terminal: true };
    return true;
  }

  private async pull(ex: Exchange): Promise<void> {
    const r = await this.decode(ex, PULL_REQ);
    if (!r) return;
    const name = parseModelName(str(r.model) || str(r.name));
    if (!name) return this.fail(ex, 400, 'invalid model name');
    return ex.stream(this.streamSpec(ex, this.pullItems(name), r.stream !== false));
  }

  private *pushItems(name: ModelName): Generator<StreamItem> {
    yield { data: () => ({ status: 'retrieving manifest' }) };
    const m = this.lookup(name);
    if (!m) {
      yield { data: () => ({ status: "couldn't retrieve manifest" }) };
      yield { error: `open /root/.ollama/models/manifests/${name.host}/${name.namespace}/${name.model}/${name.tag}: no such file or directory` };
      return;
    }
    for (const l of m.layers) {
      const status = `pushing ${l.digest.slice(7, 19)}`;
      for (const f of [0, 0.5, 1]) {
        const completed = Math.round(l.size * f);
        yield { data: () => (completed ? { status, digest: l.digest, total: l.size, completed } : { status, digest: l.digest, total: l.size }) };
      }
    }
    yield { data: () => ({ status: 'pushing manifest' }) };
    yield { data: () => ({ status: 'success' }), terminal: true };
  }

  private async push(ex: Exchange): Promise<void> {
    const r = await this.decode(ex, PUSH_REQ);
    if (!r) return;
    const model = str(r.model) || str(r.name);
    if (!model) return this.fail(ex, 400, 'model is required');
    const name = parseModelName(model);
    if (!name) return this.fail(ex, 400, 'invalid model name');
    return ex.stream(this.streamSpec(ex, this.pushItems(name), r.stream !== false));
  }

  private *createItems(name: ModelName, r: Json): Generator<StreamItem> {
    const from = str(r.from);
    const files = (r.files ?? undefined) as Record<string, string> | undefined;
    const quantize = (str(r.quantize) || str(r.quantization)).toUpperCase();
    let base: StoredModel | undefined;
    let baseLayers: Layer[] = [];
    let fxBase: Partial<ModelFixture> = {};
    if (from) {
      const fromName = parseModelName(from);
      if (!fromName) {
        yield { error: 'invalid model name', status: 400 };
        return;
      }
      base = this.lookup(fromName);
      if (!base) {
        // server/create.go parseFromModel -> PullModel(ctx, name, …, fn) with the create's own
        // progress function: the pull's lines, its closing {"status":"success"} included, go out
        // in the middle of the create's stream, which then goes on.
        const ok = yield* this.pullItemsInsideCreate(fromName);
        if (!ok) return;
        base = this.lookup(fromName)!;
      }
      baseLayers = base.layers.map((l) => ({ ...l }));
      fxBase = { ...base.fx, parent_model: base.fx.name };
    } else if (files && Object.keys(files).length) {
      for (const [fname, digest] of Object.entries(files)) {
        if (fname.startsWith('/') || fname.split('/').includes('..') || /^[A-Za-z]:/.test(fname)) {
          yield { error: 'file path must be relative', status: 400 };
          return;
        }
        if (!DIGEST_RE.test(digest ?? '')) {
          yield { error: 'invalid digest format', status: 400 };
          return;
        }
      }
      const entries = Object.entries(files);
      const isGguf = entries.some(([f]) => f.endsWith('.gguf')) ||
        entries.some(([, d]) => this.blobStore.get(this.normDigest(d))?.head.subarray(0, 4).toString('latin1') === 'GGUF');
      if (entries.some(([f]) => f.endsWith('.safetensors'))) {
        yield { data: () => ({ status: 'converting model' }) };
        yield { error: 'unknown data type: U8' };
        return;
      }
      if (!isGguf) {
        yield { error: 'unknown type', status: 400 };
        return;
      }
      yield { data: () => ({ status: 'parsing GGUF' }) };
      for (const [, d] of entries) {
        const digest = this.normDigest(d);
        const blob = this.blobStore.get(digest);
        if (!blob) {
          yield { error: `open /root/.ollama/models/blobs/${digest.replace(':', '-')}: no such file or directory` };
          return;
        }
        baseLayers.push({ digest, size: blob.size, mediaType: 'application/vnd.ollama.image.model' });
      }
      fxBase = { family: 'llama', families: ['llama'], parameter_size: '1B', quantization_level: 'F16', capabilities: ['completion'], format: 'gguf' };
    } else {
      yield { error: "neither 'from' or 'files' was specified", status: 400 };
      return;
    }
    if (quantize) {
      const valid = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q3_K_S', 'Q3_K_M', 'Q3_K_L', 'Q4_K_S', 'Q4_K_M', 'Q5_K_S', 'Q5_K_M', 'Q6_K'];
      const src = (fxBase.quantization_level ?? '').toUpperCase();
      if (!['F16', 'BF16', 'F32'].includes(src)) {
        yield { error: 'quantization is only supported for F16, BF16 and F32 models' };
        return;
      }
      if (!valid.includes(quantize)) {
        yield { error: `unsupported quantization type ${quantize}` };
        return;
      }
      const total = baseLayers[0]?.size ?? 1000;
      for (const f of [0, 0.5, 1]) {
        const completed = Math.round(total * f);
        yield { data: () => ({ status: `quantizing ${src} model to ${quantize}`, digest: '0000000000000000000', total, completed }) };
      }
      yield { data: () => ({ status: 'verifying conversion' }) };
      const qd = 'sha256:' + sha256Hex(baseLayers.map((l) => l.digest).join(',') + quantize);
      baseLayers = [{ digest: qd, size: Math.round(total * 0.3) }];
      fxBase = { ...fxBase, quantization_level: quantize };
      yield { data: () => ({ status: `creating new layer ${qd}` }) };
    } else {
      for (const l of baseLayers) yield { data: () => ({ status: `using existing layer ${l.digest}` }) };
    }
    for (const d of Object.values((r.adapters ?? {}) as Record<string, string>)) {
      const digest = this.normDigest(d);
      if (!this.blobStore.has(digest)) {
        yield { error: `open /root/.ollama/models/blobs/${digest.replace(':', '-')}: no such file or directory` };
        return;
      }
      yield { data: () => ({ status: `using existing layer ${digest}` }) };
    }
    const params = (r.parameters ?? undefined) as Json | undefined;
    let parametersText = fxBase.parameters;
    if (params && Object.keys(params).length) {
      const lines: string[] = [];
      for (const [k, v] of Object.entries(params)) {
        for (const x of Array.isArray(v) ? v : [v]) lines.push(paramLine(k, x));
      }
      parametersText = lines.sort().join('\n');
    }
    const license = Array.isArray(r.license) ? (r.license as string[]).join('\n') : typeof r.license === 'string' ? r.license : undefined;
    const newLayers: [string, string][] = [];
    if (typeof r.template === 'string' && r.template) newLayers.push(['template', r.template]);
    if (typeof r.system === 'string' && r.system) newLayers.push(['system', r.system]);
    if (Array.isArray(r.messages) && r.messages.length) newLayers.push(['messages', JSON.stringify(r.messages)]);
    if (license) newLayers.push(['license', license]);
    if (parametersText && params && Object.keys(params).length) newLayers.push(['params', JSON.stringify(params)]);
    const layers: Layer[] = [...baseLayers];
    for (const [, content] of newLayers) {
      const digest = 'sha256:' + sha256Hex(content);
      const exists = this.layerPresent(digest);
      yield { data: () => ({ status: `${exists ? 'using existing' : 'creating new'} layer ${digest}` }) };
      layers.push({ digest, size: Buffer.byteLength(content) });
    }
    yield { data: () => ({ status: 'writing manifest' }) };
    const fx: ModelFixture = {
      ...fxBase,
      name: displayName(name),
      size: layers.reduce((a, l) => a + l.size, 0),
      digest: sha256Hex('manifest:' + displayName(name) + ':' + layers.map((l) => l.digest).join(',')),
      modified_at: undefined,
      template: typeof r.template === 'string' && r.template ? r.template : fxBase.template,
      system: typeof r.system === 'string' && r.system ? r.system : fxBase.system,
      license: license ?? fxBase.license,
      parameters: parametersText,
    };
    const stored = storeModel(fx, Date.now());
    stored.layers = layers;
    this.store.set(nameKey(name), stored);
    yield { data: () => ({ status: 'success' }), terminal: true };
  }

  /** The pull's items as a create passes them on: the pull's `success` is an ordinary line there
   * (not the end of the stream, so fault plans keyed on the final line do not fire on it). */
  private *pullItemsInsideCreate(name: ModelName): Generator<StreamItem, boolean> {
    for (const item of this.pullItems(name)) {
      yield 'data' in item && item.terminal ? { data: item.data } : item;
      if ('error' in item) return false;
    }
    return this.lookup(name) !== undefined;
  }

  private normDigest(d: string): string {
    const m = DIGEST_RE.exec(d ?? '');
    return m ? 'sha256:' + m[1].toLowerCase() : d;
  }

  private async create(ex: Exchange): Promise<void> {
    const r = await this.decode(ex, CREATE_REQ);
    if (!r) return;
    const name = parseModelName(str(r.model) || str(r.name));
    if (!name) return this.fail(ex, 400, 'invalid model name');
    return ex.stream(this.streamSpec(ex, this.createItems(name, r), r.stream !== false));
  }

  private async blobHead(ex: Exchange, params: string[]): Promise<void> {
    const m = DIGEST_RE.exec(params[0]);
    if (!m) return this.fail(ex, 400, 'invalid digest format');
    const digest = 'sha256:' + m[1].toLowerCase();
    if (this.blobStore.has(digest)) return ex.send(200, undefined, '');
    return this.fail(ex, 404, `blob ${goQuote(digest)} not found`);
  }

  /** Hashes the body as it streams in (constant memory); the body itself is not kept. */
  private async blobPost(ex: Exchange, params: string[]): Promise<void> {
    const { req, rec } = ex;
    const m = DIGEST_RE.exec(params[0]);
    if (!m) {
      req.resume();
      this.markRecorded(rec);
      return this.fail(ex, 400, 'invalid digest format');
    }
    const digest = 'sha256:' + m[1].toLowerCase();
    if (this.blobStore.has(digest)) {
      req.resume();
      this.markRecorded(rec);
      return ex.send(200, undefined, '');
    }
    const hash = createHash('sha256');
    let head = Buffer.alloc(0);
    const ok = await new Promise<boolean>((resolve) => {
      req.on('data', (c: Buffer) => {
        hash.update(c);
        rec.bodyBytes += c.length;
        if (head.length < 8) head = Buffer.concat([head, c.subarray(0, 8 - head.length)]);
      });
      req.on('end', () => resolve(true));
      req.on('error', () => resolve(false));
      req.on('close', () => {
        if (!req.complete) resolve(false);
      });
    });
    this.markRecorded(rec);
    if (!ok) return;
    const actual = 'sha256:' + hash.digest('hex');
    if (actual !== digest) return this.fail(ex, 400, `digest mismatch, expected ${goQuote(params[0])}, got ${goQuote(actual)}`);
    this.blobStore.set(digest, { size: rec.bodyBytes, head });
    return ex.send(201, undefined, '');
  }

  // ---- OpenAI-compatible layer ---------------------------------------------------------------

  private oaId(prefix: string, ex: Exchange): string {
    return `${prefix}-${(ex.rec.id * 389) % 999}`;
  }

  /** Every call's `function.arguments` is a JSON string of an object (FromCompletionToolCall). */
  private oaToolCallsValid(calls: Json[]): boolean {
    for (const tc of calls) {
      const args = str((tc?.function as Json | undefined)?.arguments);
      let parsed: unknown;
      try {
        parsed = JSON.parse(args);
      } catch {
        parsed = undefined;
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return false;
    }
    return true;
  }

  private async oaChat(ex: Exchange): Promise<void> {
    const r = await this.decode(ex, OA_CHAT_REQ, 'openai');
    if (!r) return;
    const oaMessages = (r.messages as Json[] | undefined) ?? [];
    if (!oaMessages.length) return this.fail(ex, 400, "[] is too short - 'messages'", 'openai');
    const messages: ApiMessage[] = [];
    for (const msg of oaMessages) {
      const role = str(msg?.role).toLowerCase();
      const content = msg?.content;
      if (typeof content === 'string') {
        // Ollama's FromChatRequest keeps an assistant turn's tool_calls beside string content.
        if (Array.isArray(msg?.tool_calls) && !this.oaToolCallsValid(msg.tool_calls as Json[])) return this.fail(ex, 400, 'invalid tool call arguments', 'openai');
        messages.push({ role, content, ...(Array.isArray(msg?.tool_calls) ? { tool_calls: msg.tool_calls as unknown[] } : {}) });
      } else if (Array.isArray(content)) {
        for (const part of content as unknown[]) {
          const p = part as Json | null;
          if (!p || typeof p !== 'object') return this.fail(ex, 400, 'invalid message format', 'openai');
          if (p.type === 'text') {
            if (typeof p.text !== 'string') return this.fail(ex, 400, 'invalid message format', 'openai');
            messages.push({ role, content: p.text });
          } else if (p.type === 'image_url') {
            const iu = p.image_url;
            const url = typeof iu === 'string' ? iu : typeof (iu as Json | null)?.url === 'string' ? ((iu as Json).url as string) : undefined;
            if (url === undefined) return this.fail(ex, 400, 'invalid message format', 'openai');
            if (/^https?:\/\//i.test(url)) {
              return this.fail(ex, 400, 'image URLs are not currently supported, please use base64 encoded data instead', 'openai');
            }
            const mm = /^data:(?:image\/(?:jpeg|jpg|png|webp))?;base64,(.*)$/s.exec(url);
            if (!mm) return this.fail(ex, 400, 'invalid image input', 'openai');
            messages.push({ role, content: '', images: [mm[1]] });
          } else {
            return this.fail(ex, 400, 'invalid message format', 'openai');
          }
        }
      } else {
        if (!Array.isArray(msg?.tool_calls)) return this.fail(ex, 400, `invalid message content type: ${goTypeOf(content)}`, 'openai');
        if (!this.oaToolCallsValid(msg.tool_calls as Json[])) return this.fail(ex, 400, 'invalid tool call arguments', 'openai');
        messages.push({ role, content: '', tool_calls: msg.tool_calls as unknown[] });
      }
    }
    const effort = str(r.reasoning_effort) || str((r.reasoning as Json | undefined)?.effort);
    let think: unknown;
    if (effort) {
      const map: Record<string, unknown> = { none: false, minimal: 'low', low: 'low', medium: 'medium', high: 'high', max: 'max', xhigh: 'max', ultra: 'max' };
      if (!(effort in map)) return this.fail(ex, 400, `invalid reasoning value: ${goQuote(effort)}`, 'openai');
      think = map[effort];
    }
    const options: Json = {};
    if (typeof r.max_tokens === 'number') options.num_predict = r.max_tokens;
    if (typeof r.stop === 'string') options.stop = [r.stop];
    else if (Array.isArray(r.stop)) options.stop = (r.stop as unknown[]).filter((s) => typeof s === 'string');
    options.temperature = typeof r.temperature === 'number' ? r.temperature : 1.0;
    options.top_p = typeof r.top_p === 'number' ? r.top_p : 1.0;
    const rf = r.response_format as Json | undefined;
    let format: unknown;
    if (rf?.type === 'json_object') format = 'json';
    else if (rf?.type === 'json_schema') format = (rf.json_schema as Json | undefined)?.schema;
    const native: Json = { model: r.model, tools: r.tools, options, format, think };
    const g = await this.prepareChat(ex, native, messages, 'openai', '/v1/chat/completions');
    if (!g || g === 'load') return;
    const id = this.oaId('chatcmpl', ex);
    const created = Math.floor(Date.now() / 1000);
    const stream = r.stream === true;
    const includeUsage = (r.stream_options as Json | undefined)?.include_usage === true;
    return ex.stream({
      framing: 'sse',
      items: openaiChatItems(g, id, created, includeUsage, this.opts.openaiReasoningField, this.opts.openaiToolCallPieces),
      lineDelayMs: this.lineDelay(ex, 'token'),
      stream,
      aggregate: () => openaiChatCompletion(g, id, created),
      singleContentType: JSON_PLAIN,
      errorContentType: JSON_PLAIN,
      errorBody: (message, status) => openaiError(status, message),
      sseErrorEvent: () => openaiChatErrorChunk(g, id, created),
    });
  }

  private async oaCompletions(ex: Exchange): Promise<void> {
    const r = await this.decode(ex, OA_COMPLETION_REQ, 'openai');
    if (!r) return;
    const options: Json = {};
    if (typeof r.stop === 'string') options.stop = [r.stop];
    else if (Array.isArray(r.stop)) {
      for (const s of r.stop as unknown[]) {
        if (typeof s !== 'string') return this.fail(ex, 400, `invalid type for 'stop' field: ${goTypeOf(s)}`, 'openai');
      }
      options.stop = r.stop;
    } else if (r.stop !== undefined && r.stop !== null) {
      return this.fail(ex, 400, `invalid type for 'stop' field: ${goTypeOf(r.stop)}`, 'openai');
    }
    if (typeof r.max_tokens === 'number') options.num_predict = r.max_tokens;
    options.temperature = typeof r.temperature === 'number' ? r.temperature : 1.0;
    options.top_p = typeof r.top_p === 'number' && r.top_p !== 0 ? r.top_p : 1.0;
    options.frequency_penalty = typeof r.frequency_penalty === 'number' ? r.frequency_penalty : 0;
    options.presence_penalty = typeof r.presence_penalty === 'number' ? r.presence_penalty : 0;
    const native: Json = { model: r.model, prompt: r.prompt, suffix: r.suffix, options };
    const g = await this.prepareGenerate(ex, native, 'openai', '/v1/completions');
    if (!g) return;
    const id = this.oaId('cmpl', ex);
    const created = Math.floor(Date.now() / 1000);
    const includeUsage = (r.stream_options as Json | undefined)?.include_usage === true;
    if (g === 'load') {
      return ex.sendJson(
        200,
        {
          id,
          object: 'text_completion',
          created,
          model: str(r.model),
          system_fingerprint: 'fp_ollama',
          choices: [{ text: '', index: 0, finish_reason: 'load' }],
          usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
        },
        JSON_PLAIN,
      );
    }
    return ex.stream({
      framing: 'sse',
      items: openaiCompletionItems(g, id, includeUsage),
      lineDelayMs: this.lineDelay(ex, 'token'),
      stream: r.stream === true,
      aggregate: () => openaiCompletion(g, id, created),
      singleContentType: JSON_PLAIN,
      errorContentType: JSON_PLAIN,
      errorBody: (message, status) => openaiError(status, message),
      sseErrorEvent: () => completionChunk(g, id, '', null, includeUsage),
    });
  }

  private async oaEmbeddings(ex: Exchange): Promise<void> {
    const r = await this.decode(ex, OA_EMBED_REQ, 'openai');
    if (!r) return;
    let input: string[];
    if (typeof r.input === 'string') input = [r.input];
    else if (Array.isArray(r.input) && r.input.length) {
      if (r.input.some((x) => typeof x !== 'string')) return this.fail(ex, 400, 'invalid input type', 'openai');
      input = r.input as string[];
    } else return this.fail(ex, 400, 'invalid input', 'openai');
    const fmt = str(r.encoding_format);
    if (fmt && fmt.toLowerCase() !== 'float' && fmt.toLowerCase() !== 'base64') {
      return this.fail(ex, 400, `Invalid value for 'encoding_format' = ${fmt}. Supported values: ['float', 'base64'].`, 'openai');
    }
    const model = str(r.model);
    const res = await this.embedCore(ex, model, input, {
      style: 'openai',
      truncate: true,
      dimensions: typeof r.dimensions === 'number' ? r.dimensions : 0,
      options: undefined,
      keepAlive: undefined,
      emptyNameStatus: 404,
    });
    if (!res) return;
    const data = res.vectors.map((v, index) => {
      let embedding: unknown = v;
      if (fmt.toLowerCase() === 'base64') {
        const buf = Buffer.alloc(v.length * 4);
        v.forEach((x, i) => buf.writeFloatLE(x, i * 4));
        embedding = buf.toString('base64');
      }
      return { object: 'embedding', embedding, index };
    });
    return ex.sendJson(
      200,
      { object: 'list', data, model, usage: { prompt_tokens: res.promptEvalCount, total_tokens: res.promptEvalCount } },
      JSON_PLAIN,
    );
  }

  private async oaModels(ex: Exchange): Promise<void> {
    const list = this.sortedModels();
    const data = list.length
      // A server that says what it serves is llama.cpp or vLLM: they name themselves in owned_by.
      ? list.map((m) => ({ id: m.fx.name, object: 'model', created: Math.floor(m.modifiedMs / 1000), owned_by: this.opts.openaiServedContext ? (this.opts.openaiServedContext.dialect === 'llamacpp' ? 'llamacpp' : 'vllm') : m.parsed.namespace, ...this.servedContext(m) }))
      : null;
    return ex.sendJson(200, { object: 'list', data }, JSON_PLAIN);
  }

  private servedContext(m: StoredModel): Json {
    const s = this.opts.openaiServedContext;
    if (!s) return {};
    return s.dialect === 'llamacpp' ? { meta: { n_ctx: s.tokens, n_ctx_train: contextLength(m) } } : { max_model_len: s.tokens };
  }

  private async oaModel(ex: Exchange, params: string[]): Promise<void> {
    const id = params[0];
    const name = parseModelName(id);
    const m = this.lookup(name);
    if (!m || !name) return this.fail(ex, 404, `model '${id}' not found`, 'openai');
    return ex.sendJson(200, { id, object: 'model', created: Math.floor(m.modifiedMs / 1000), owned_by: name.namespace }, JSON_PLAIN);
  }
}
