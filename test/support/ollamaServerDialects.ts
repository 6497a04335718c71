// The test server's other dialects: the OpenAI-compatible servers users run instead of Ollama,
// selected per test with `OllamaTestServer.start({ dialect: { kind: 'llamacpp', … } })`. Each one is
// written from that server's source and recorded behaviour, not from the OpenAI spec:
// - llama.cpp `llama-server` (tools/server at 3f545be; the bytes of a real server in
//   shared/llamacpp-server-transcripts.md): `Server: llama.cpp` on every response, `Connection:
//   close` on errors, `--api-key` (public /health, and /v1/models before b10524), /props, /tokenize,
//   /infill (stream without [DONE], final `stop: true`), `timings` on the last chunk (or the
//   `choices: []` usage chunk), per-slot context (ctx-size ÷ parallel) with the 400
//   exceed_context_size_error, invalid JSON as HTTP 500, an unknown `model` served by the loaded one,
//   `max_tokens: 0` generating one token, `suffix` on /v1/completions ignored.
// - LM Studio (docs REST v0, bug tracker #618 #2085 #2322; shapes marked "inferred" where no source
//   shows them): `X-Powered-By: Express`, /api/v0/models (type, state, max/loaded context), HTTP 200
//   `{"error":"Unexpected endpoint or method. (…)"}` for any unknown path, a prompt over the loaded
//   context answered with HTTP 200 and an `{"error"}` body, `json_object` refused.
// - vLLM (entrypoints/openai): `server: uvicorn`, ModelCard with max_model_len, /version, /tokenize,
//   the API key checked on /v1 paths only (401 {"error":"Unauthorized"}), `reasoning` (or the older
//   `reasoning_content`), the 400 "maximum context length" error, `suffix` refused, FastAPI 404.
// Faults (errorAfterLines with sseErrorDialect, dropAfterLines, pauses…) apply as on every route.
import type { Exchange, StreamItem } from './ollamaServerStream';
import { tokenId, tokenize } from './ollamaServerWire';

export type DialectKind = 'llamacpp' | 'lmstudio' | 'vllm';

/** FIM tokens the model's vocabulary has: a family's spellings, `gguf-ids` (the GGUF names FIM
 * token ids whose text llama.cpp does not know by name: /tokenize finds none, /infill works), or
 * `none` (llama.cpp /infill answers 501). */
export type DialectFim = 'deepseek' | 'qwen' | 'starcoder' | 'codellama' | 'gguf-ids' | 'none';

export interface LmStudioModel {
  id: string;
  type: 'llm' | 'vlm' | 'embeddings';
  state: 'loaded' | 'not-loaded' | 'loading';
  max_context_length: number;
  /** Only for a loaded model. */
  loaded_context_length?: number;
  arch?: string;
  quantization?: string;
  capabilities?: string[];
}

export interface DialectOptions {
  kind: DialectKind;
  /** llama.cpp `--api-key`, LM Studio's token ("Require Authentication"), vLLM `--api-key`. */
  apiKey?: string;
  /** llama.cpp >= b10524 (#26347): /models and /v1/models need the key too (public before). */
  modelsNeedKey?: boolean;
  /** llama.cpp: the model file name or `--alias` (default 'tiny-utf8.gguf'); vLLM: the served model
   * name (default 'Qwen/Qwen2.5-Coder-1.5B'). */
  model?: string;
  /** llama.cpp `--ctx-size` (default 512) and `--parallel` (default 2): each slot gets ctx ÷ parallel. */
  ctxSize?: number;
  parallel?: number;
  /** llama.cpp `n_ctx_train` (default 2048). */
  nCtxTrain?: number;
  /** default 'deepseek' (the recorded tiny model has the DeepSeek-Coder tokenizer). */
  fim?: DialectFim;
  /** llama.cpp `build_info` (default 'b0-unknown', as the recorded build). */
  buildInfo?: string;
  /** The speed `timings` report (default 1800 tokens/s, about the recorded tiny model). */
  tokensPerSecond?: number;
  /** LM Studio's models (default: a loaded llm, a not-loaded vlm, an embeddings model). */
  lmstudioModels?: LmStudioModel[];
  /** vLLM max_model_len (default 2048). */
  maxModelLen?: number;
  /** vLLM: 'reasoning' (since PR #27752, Nov 2025; default) or the older 'reasoning_content'. */
  reasoningField?: 'reasoning' | 'reasoning_content';
  /** vLLM /version (default '0.11.0'). */
  version?: string;
}

/** What the dialects take from the server that hosts them. */
export interface DialectHost {
  /** The test's `reply` option, if any. */
  reply?: (req: { path: string; body: any }) => string;
  /** The test's `thinking` option, if any. */
  thinking?: (req: { path: string; body: any }) => string;
  /** Delay between streamed lines for this exchange. */
  lineDelay(ex: Exchange): number;
  /** The model-load delay (firstTokenDelayMs); false when the client left. */
  loadDelay(ex: Exchange): Promise<boolean>;
  setLastReply(text: string): void;
}

type Obj = Record<string, any>;
const JSON_UTF8 = 'application/json; charset=utf-8';

const DS = { pre: '<\uFF5Cfim\u2581begin\uFF5C>', suf: '<\uFF5Cfim\u2581hole\uFF5C>', mid: '<\uFF5Cfim\u2581end\uFF5C>' };
const FIM_SPELLINGS: Record<Exclude<DialectFim, 'none'>, string[]> = {
  deepseek: [DS.pre, DS.suf, DS.mid, '<\uFF5Cend\u2581of\u2581sentence\uFF5C>'],
  qwen: ['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', '<|fim_pad|>', '<|file_sep|>', '<|endoftext|>'],
  starcoder: ['<fim_prefix>', '<fim_suffix>', '<fim_middle>', '<fim_pad>', '<|endoftext|>'],
  codellama: ['\u2581<PRE>', '\u2581<SUF>', '\u2581<MID>', '\u2581<EOT>'],
  'gguf-ids': ['<|fim_begin|>', '<|fim_hole|>', '<|fim_end|>'],
};
const CHATML = ['<|im_start|>', '<|im_end|>'];

/** Plain text the way a BPE vocabulary splits it: letters, digits, whitespace runs, and every other
 * character alone (so `<PRE>` typed as text is never one token: only a special token is). */
function plainPieces(text: string): string[] {
  return text.match(/\p{L}+|\p{N}+|\s+|[^\p{L}\p{N}\s]/gu) ?? [];
}

/** Special tokens first (longest match), then plain pieces: what a tokenizer with `parse_special`
 * does to text. */
function tokenizeSpecial(text: string, specials: readonly string[]): string[] {
  const sorted = [...specials].sort((a, b) => b.length - a.length);
  const out: string[] = [];
  let plain = '';
  for (let i = 0; i < text.length;) {
    const hit = sorted.find((s) => text.startsWith(s, i));
    if (hit) {
      if (plain) { out.push(...plainPieces(plain)); plain = ''; }
      out.push(hit);
      i += hit.length;
    } else {
      plain += text[i];
      i++;
    }
  }
  if (plain) out.push(...plainPieces(plain));
  return out;
}

function specialId(specials: readonly string[], tok: string): number {
  const i = specials.indexOf(tok);
  return i >= 0 ? 32000 + i : tokenId(tok);
}

interface Planned {
  content: string[];
  thinking: string[];
  finish: 'stop' | 'length';
  promptTokens: number;
}

export class DialectServer {
  private readonly o: Required<Pick<DialectOptions, 'ctxSize' | 'parallel' | 'nCtxTrain' | 'fim' | 'buildInfo' | 'tokensPerSecond' | 'maxModelLen' | 'version'>> & DialectOptions;
  private readonly created = 1795992665;
  /** llama.cpp's prompt cache: the last prompt's tokens (cache_n = the common prefix). */
  private lastPrompt: string[] = [];

  constructor(opts: DialectOptions, private readonly host: DialectHost) {
    this.o = { ctxSize: 512, parallel: 2, nCtxTrain: 2048, fim: 'deepseek', buildInfo: 'b0-unknown', tokensPerSecond: 1800, maxModelLen: 2048, version: '0.11.0', ...opts };
  }

  get kind(): DialectKind { return this.o.kind; }

  /** The model this server serves (llama.cpp, vLLM). */
  get model(): string { return this.o.model ?? (this.o.kind === 'vllm' ? 'Qwen/Qwen2.5-Coder-1.5B' : 'tiny-utf8.gguf'); }

  /** llama.cpp: the context each slot has. */
  get nCtxPerSlot(): number { return Math.floor(this.o.ctxSize / this.o.parallel); }

  get lmstudioModels(): LmStudioModel[] {
    return this.o.lmstudioModels ?? [
      { id: 'qwen2.5-7b-instruct', type: 'llm', state: 'loaded', max_context_length: 32768, loaded_context_length: 4096, arch: 'qwen2', quantization: 'Q4_K_M', capabilities: ['tool_use'] },
      { id: 'qwen2-vl-2b-instruct', type: 'vlm', state: 'not-loaded', max_context_length: 32768, arch: 'qwen2_vl', quantization: 'Q4_K_M' },
      { id: 'text-embedding-nomic-embed-text-v1.5', type: 'embeddings', state: 'not-loaded', max_context_length: 2048, arch: 'nomic-bert', quantization: 'Q4_K_M' },
    ];
  }

  async handle(ex: Exchange, path: string): Promise<void> {
    switch (this.o.kind) {
      case 'llamacpp': return this.llamacpp(ex, path);
      case 'lmstudio': return this.lmstudio(ex, path);
      case 'vllm': return this.vllm(ex, path);
    }
  }

  // ---- shared ----------------------------------------------------------------------------------

  private send(ex: Exchange, status: number, body: unknown, headers: Record<string, string> = {}): Promise<void> {
    for (const [k, v] of Object.entries(headers)) ex.res.setHeader(k, v);
    return ex.send(status, JSON_UTF8, JSON.stringify(body));
  }

  private bearer(ex: Exchange): string | undefined {
    const a = ex.req.headers.authorization;
    const m = typeof a === 'string' ? /^Bearer\s+(.*)$/i.exec(a) : null;
    if (m) return m[1]!.trim();
    const x = ex.req.headers['x-api-key'];
    return typeof x === 'string' ? x : undefined;
  }

  private keyOk(ex: Exchange): boolean {
    return this.o.apiKey === undefined || this.bearer(ex) === this.o.apiKey;
  }

  /** The answer text: the test's reply, else a deterministic one. */
  private text(ex: Exchange, path: string, fallback: string): string {
    return this.host.reply ? this.host.reply({ path, body: ex.rec.body }) : fallback;
  }

  private thinking(ex: Exchange, path: string): string[] {
    return this.host.thinking ? tokenize(this.host.thinking({ path, body: ex.rec.body })) : [];
  }

  /** Cut the answer at stop strings, at the request's limit (0 = one token on llama.cpp) and at the
   * room left in the context. */
  private plan(ex: Exchange, path: string, fallback: string, promptTokens: number, limit: unknown, stop: unknown, room: number): Planned {
    let text = this.text(ex, path, fallback);
    const stops = typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop.filter((s): s is string => typeof s === 'string' && s !== '') : [];
    let stopped = false;
    for (const s of stops) {
      const i = text.indexOf(s);
      if (i >= 0) { text = text.slice(0, i); stopped = true; }
    }
    let content = tokenize(text);
    const thinking = this.thinking(ex, path);
    let finish: 'stop' | 'length' = 'stop';
    let max = typeof limit === 'number' && limit >= 0 ? Math.max(1, Math.trunc(limit)) : Infinity;
    max = Math.min(max, Math.max(1, room));
    if (thinking.length + content.length > max) {
      content = content.slice(0, Math.max(0, max - thinking.length));
      thinking.splice(max);
      finish = 'length';
    } else if (stopped) finish = 'stop';
    this.host.setLastReply(content.join(''));
    return { content, thinking, finish, promptTokens };
  }

  // ---- llama.cpp --------------------------------------------------------------------------------

  private get specials(): string[] {
    return [...CHATML, ...(this.o.fim === 'none' ? [] : FIM_SPELLINGS[this.o.fim])];
  }

  private llamaError(ex: Exchange, status: number, message: string, type: string, extra: Obj = {}): Promise<void> {
    // Every error response closes the connection (server-http.cpp).
    return this.send(ex, status, { error: { code: status, message, type, ...extra } }, { Connection: 'close' });
  }

  private async llamacpp(ex: Exchange, path: string): Promise<void> {
    ex.res.setHeader('Server', 'llama.cpp');
    ex.res.setHeader('Access-Control-Allow-Origin', '');
    const method = ex.req.method ?? 'GET';
    const route = `${method} ${path.replace(/\?.*$/, '')}`;
    const publicPaths = new Set(['GET /health', 'GET /v1/health', ...(this.o.modelsNeedKey ? [] : ['GET /models', 'GET /v1/models'])]);
    const known = new Set(['GET /health', 'GET /v1/health', 'GET /models', 'GET /v1/models', 'GET /props', 'POST /tokenize', 'POST /infill',
      'POST /v1/chat/completions', 'POST /chat/completions', 'POST /v1/completions', 'POST /completions']);
    if (!publicPaths.has(route) && !this.keyOk(ex)) {
      return this.send(ex, 401, { error: { message: 'Invalid API Key', type: 'authentication_error', code: 401 } }, { Connection: 'close' });
    }
    if (!known.has(route)) return this.send(ex, 404, { error: { message: 'File Not Found', type: 'not_found_error', code: 404 } }, { Connection: 'close' });
    if (method === 'POST' && ex.rec.body === undefined) {
      // nlohmann::json::parse throws; the handler's catch answers 500 server_error.
      const col = ex.rec.rawBody.length + 1;
      const msg = ex.rec.rawBody.length === 0
        ? '[json.exception.parse_error.101] parse error at line 1, column 1: attempting to parse an empty input; check that your input string or stream contains the expected JSON'
        : `[json.exception.parse_error.101] parse error at line 1, column ${col}: syntax error while parsing object - unexpected end of input; expected '}'`;
      return this.llamaError(ex, 500, msg, 'server_error');
    }
    switch (route) {
      case 'GET /health': case 'GET /v1/health': return this.send(ex, 200, { status: 'ok' });
      case 'GET /models': case 'GET /v1/models': return this.send(ex, 200, this.llamaModels());
      case 'GET /props': return this.send(ex, 200, this.llamaProps());
      case 'POST /tokenize': return this.llamaTokenize(ex);
      case 'POST /infill': return this.llamaInfill(ex);
      case 'POST /v1/chat/completions': case 'POST /chat/completions': return this.llamaChat(ex, path);
      default: return this.llamaCompletions(ex, path);
    }
  }

  private llamaModels(): Obj {
    const m = this.model;
    return {
      models: [{ name: m, model: m, modified_at: '', size: '', digest: '', type: 'model', description: '', tags: [''], capabilities: ['completion'], parameters: '',
        details: { parent_model: '', format: 'gguf', family: '', families: [''], parameter_size: '', quantization_level: '' } }],
      object: 'list',
      data: [{ id: m, aliases: [], tags: [], object: 'model', created: this.created, owned_by: 'llamacpp',
        meta: { vocab_type: 2, n_vocab: 32256, n_ctx: this.nCtxPerSlot, n_ctx_train: this.o.nCtxTrain, n_embd: 64, n_params: 4211008, size: 16844032 } }],
    };
  }

  private llamaProps(): Obj {
    return {
      default_generation_settings: {
        params: { seed: 4294967295, temperature: 0.800000011920929, top_k: 40, top_p: 0.949999988079071, min_p: 0.05000000074505806, n_predict: -1, stream: true },
        n_ctx: this.nCtxPerSlot,
      },
      total_slots: this.o.parallel,
      model_alias: this.model,
      model_path: `/models/${this.model}`,
      modalities: { vision: false, video: false, audio: false },
      media_marker: '<__media__>',
      endpoint_slots: true, endpoint_props: false, endpoint_metrics: false,
      webui: true,
      chat_template: "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
      chat_template_caps: { supports_parallel_tool_calls: false, supports_preserve_reasoning: false, supports_string_content: true, supports_system_role: true, supports_tool_calls: false, supports_tools: false, supports_typed_content: false },
      bos_token: '<\uFF5Cbegin\u2581of\u2581sentence\uFF5C>',
      eos_token: '<|im_end|>',
      build_info: this.o.buildInfo,
      is_sleeping: false,
    };
  }

  private llamaTokenize(ex: Exchange): Promise<void> {
    const b = (ex.rec.body ?? {}) as Obj;
    const content = typeof b.content === 'string' ? b.content : '';
    const parse = b.parse_special !== false;
    const specials = this.specials;
    const pieces = parse ? tokenizeSpecial(content, specials) : plainPieces(content);
    // SPM control tokens detokenize with the word marker as a space (`▁<PRE>` -> " <PRE>").
    const tokens = b.with_pieces === true
      ? pieces.map((p) => ({ id: specialId(specials, p), piece: p.replace(/^\u2581/, ' ') }))
      : pieces.map((p) => specialId(specials, p));
    return this.send(ex, 200, { tokens });
  }

  /** Prompt tokens of a chat: chatml turns plus the generation prompt. */
  private chatPromptTokens(messages: Obj[]): string[] {
    const out: string[] = [];
    for (const m of messages) {
      const content = typeof m.content === 'string' ? m.content : Array.isArray(m.content) ? m.content.map((p: Obj) => (typeof p?.text === 'string' ? p.text : '')).join('') : '';
      out.push('<|im_start|>', String(m.role ?? ''), '\n', ...tokenizeSpecial(content, CHATML), '<|im_end|>', '\n');
    }
    out.push('<|im_start|>', 'assistant', '\n');
    return out;
  }

  /** `timings` as server-task.cpp writes them, from this request's counts and the set speed. */
  private timings(promptTokens: string[], predicted: number): Obj {
    let cache = 0;
    while (cache < promptTokens.length - 1 && cache < this.lastPrompt.length && promptTokens[cache] === this.lastPrompt[cache]) cache++;
    this.lastPrompt = promptTokens;
    const promptN = promptTokens.length - cache;
    const promptMs = promptN * 0.9 + 0.2;
    const predictedMs = predicted > 0 ? (predicted / this.o.tokensPerSecond) * 1000 : 0.001;
    return {
      cache_n: cache, prompt_n: promptN, prompt_ms: promptMs, prompt_per_token_ms: promptMs / Math.max(1, promptN), prompt_per_second: (promptN / promptMs) * 1000,
      predicted_n: predicted, predicted_ms: predictedMs, predicted_per_token_ms: predictedMs / Math.max(1, predicted),
      predicted_per_second: predicted > 0 ? this.o.tokensPerSecond : 1e6,
    };
  }

  private overflow(ex: Exchange, n: number): Promise<void> {
    return this.llamaError(ex, 400, `request (${n} tokens) exceeds the available context size (${this.nCtxPerSlot} tokens), try increasing it`, 'exceed_context_size_error', { n_prompt_tokens: n, n_ctx: this.nCtxPerSlot });
  }

  private async llamaChat(ex: Exchange, path: string): Promise<void> {
    const b = ex.rec.body as Obj;
    if (!Array.isArray(b.messages)) return this.llamaError(ex, 400, "'messages' is required", 'invalid_request_error');
    const prompt = this.chatPromptTokens(b.messages as Obj[]);
    if (prompt.length >= this.nCtxPerSlot) return this.overflow(ex, prompt.length);
    if (!(await this.host.loadDelay(ex))) return;
    const lastUser = [...(b.messages as Obj[])].reverse().find((m) => m?.role === 'user');
    const p = this.plan(ex, path, `You said: ${typeof lastUser?.content === 'string' ? lastUser.content : ''}`, prompt.length, b.max_tokens ?? b.n_predict, b.stop, this.nCtxPerSlot - prompt.length);
    const id = `chatcmpl-${ex.rec.id.toString(36).padStart(8, 'x')}`;
    const created = this.created + ex.rec.id;
    const usage = (predicted: number) => ({ completion_tokens: predicted, prompt_tokens: prompt.length, total_tokens: prompt.length + predicted, prompt_tokens_details: { cached_tokens: Math.max(0, prompt.length - 1) } });
    const generated = p.content.length + p.thinking.length;
    if (b.stream !== true) {
      const timings = this.timings(prompt, generated);
      const message: Obj = { role: 'assistant', content: p.content.join('') };
      if (p.thinking.length) message.reasoning_content = p.thinking.join('');
      return this.send(ex, 200, {
        choices: [{ finish_reason: p.finish, index: 0, message }], created, model: this.model, system_fingerprint: this.o.buildInfo,
        object: 'chat.completion', usage: usage(generated), id, timings,
      });
    }
    const includeUsage = (b.stream_options as Obj | undefined)?.include_usage === true;
    const chunk = (choices: Obj[], extra: Obj = {}) => JSON.stringify({ choices, created, id, model: this.model, system_fingerprint: this.o.buildInfo, object: 'chat.completion.chunk', ...extra });
    const items: StreamItem[] = [{ raw: chunk([{ finish_reason: null, index: 0, delta: { role: 'assistant', content: null } }]) }];
    for (const t of p.thinking) items.push({ raw: chunk([{ finish_reason: null, index: 0, delta: { reasoning_content: t } }]) });
    for (const t of p.content) items.push({ raw: chunk([{ finish_reason: null, index: 0, delta: { content: t } }]) });
    // The finish chunk carries `timings`; with include_usage they move to a `choices: []` chunk
    // with the usage, after it.
    const timings = this.timings(prompt, generated);
    const lasts = includeUsage
      ? [chunk([{ finish_reason: p.finish, index: 0, delta: {} }]), chunk([], { usage: usage(generated), timings })]
      : [chunk([{ finish_reason: p.finish, index: 0, delta: {} }], { timings })];
    return this.streamSse(ex, items, lasts, true);
  }

  private async llamaCompletions(ex: Exchange, path: string): Promise<void> {
    const b = ex.rec.body as Obj;
    // `suffix` (and `echo`) are accepted and ignored: the prompt is all the model sees.
    const promptText = typeof b.prompt === 'string' ? b.prompt : '';
    const prompt = tokenizeSpecial(promptText, this.specials);
    if (prompt.length >= this.nCtxPerSlot) return this.overflow(ex, prompt.length);
    if (!(await this.host.loadDelay(ex))) return;
    const p = this.plan(ex, path, `/* completion of ${prompt.length} tokens */`, prompt.length, b.max_tokens ?? b.n_predict, b.stop, this.nCtxPerSlot - prompt.length);
    const id = `chatcmpl-${ex.rec.id.toString(36).padStart(8, 'x')}`;
    const created = this.created + ex.rec.id;
    const n = p.content.length;
    const usage = { completion_tokens: n, prompt_tokens: prompt.length, total_tokens: prompt.length + n, prompt_tokens_details: { cached_tokens: 0 } };
    const chunk = (text: string, finish: string | null, extra: Obj = {}) => JSON.stringify({
      choices: [{ text, index: 0, logprobs: null, finish_reason: finish }], created, model: this.model, system_fingerprint: this.o.buildInfo, object: 'text_completion', ...extra, id,
    });
    if (b.stream !== true) {
      return ex.send(200, JSON_UTF8, chunk(p.content.join(''), p.finish, { usage, timings: this.timings(prompt, n) }));
    }
    // The last chunk carries usage (sent even without include_usage) and timings.
    const items: StreamItem[] = p.content.map((t) => ({ raw: chunk(t, null) }));
    return this.streamSse(ex, items, [chunk('', p.finish, { usage, timings: this.timings(prompt, n) })], true);
  }

  private async llamaInfill(ex: Exchange): Promise<void> {
    const b = ex.rec.body as Obj;
    if (this.o.fim === 'none') {
      return this.llamaError(ex, 501, 'Infill is not supported by this model: prefix token is missing. suffix token is missing. middle token is missing. ', 'not_supported_error');
    }
    if (typeof b.input_prefix !== 'string') return this.llamaError(ex, 400, '"input_prefix" is required', 'invalid_request_error');
    if (typeof b.input_suffix !== 'string') return this.llamaError(ex, 400, '"input_suffix" is required', 'invalid_request_error');
    const [pre, suf, mid] = FIM_SPELLINGS[this.o.fim];
    const extra = Array.isArray(b.input_extra) ? (b.input_extra as Obj[]).map((c) => String(c?.text ?? '')).join('') : '';
    const prompt = [pre!, ...tokenize(extra + b.input_prefix), suf!, ...tokenize(b.input_suffix), mid!];
    if (prompt.length >= this.nCtxPerSlot) return this.overflow(ex, prompt.length);
    if (!(await this.host.loadDelay(ex))) return;
    const p = this.plan(ex, '/infill', `/* fim ${b.input_prefix.length}:${b.input_suffix.length} */`, prompt.length, b.n_predict, b.stop, this.nCtxPerSlot - prompt.length);
    const n = p.content.length;
    const stopType = p.finish === 'length' ? 'limit' : 'eos';
    const finalObj = (content: string) => ({
      index: 0, content, tokens: [], id_slot: 0, stop: true, model: this.model, tokens_predicted: n, tokens_evaluated: prompt.length,
      generation_settings: { n_predict: typeof b.n_predict === 'number' ? b.n_predict : -1, temperature: typeof b.temperature === 'number' ? b.temperature : 0.8, stream: b.stream === true },
      prompt: prompt.join(''), has_new_line: content.includes('\n'), truncated: false, stop_type: stopType, stopping_word: '', tokens_cached: prompt.length + n - 1,
      timings: this.timings(prompt, n),
    });
    if (b.stream !== true) return this.send(ex, 200, finalObj(p.content.join('')));
    const items: StreamItem[] = p.content.map((t, i) => ({ raw: JSON.stringify({ index: 0, content: t, tokens: [specialId(this.specials, t)], stop: false, id_slot: -1, tokens_predicted: i + 1, tokens_evaluated: prompt.length }) }));
    // No `data: [DONE]` after the final object.
    return this.streamSse(ex, items, [JSON.stringify(finalObj(''))], false);
  }

  /** Streams `items` as SSE `data:` lines, then the final chunks `lasts` (the first of them is where
   * a mid-stream fault strikes instead: no finish chunk then), then `data: [DONE]` when `done`. */
  private streamSse(ex: Exchange, items: StreamItem[], lasts: string[], done: boolean): Promise<void> {
    const finals: StreamItem[] = lasts.map((raw, i) => ({ raw, terminal: i === 0 }));
    const all: StreamItem[] = [...items, ...finals, ...(done ? [{ raw: '[DONE]', terminal: true } as StreamItem] : [])];
    return ex.stream({
      framing: 'sse',
      items: all,
      lineDelayMs: this.host.lineDelay(ex),
      stream: true,
      singleContentType: JSON_UTF8,
      errorContentType: JSON_UTF8,
      errorBody: (message, status) => ({ error: { code: status, message, type: 'server_error' } }),
    });
  }

  // ---- LM Studio --------------------------------------------------------------------------------

  private async lmstudio(ex: Exchange, path: string): Promise<void> {
    ex.res.setHeader('X-Powered-By', 'Express');
    const method = ex.req.method ?? 'GET';
    const p = path.replace(/\?.*$/, '');
    if (!this.keyOk(ex)) {
      // Shape inferred (LM Studio does not document it): an OpenAI-style error object.
      return this.send(ex, 401, { error: { message: 'Invalid or missing API token. This server requires authentication.', type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    const models = this.lmstudioModels;
    if (method === 'GET' && p === '/v1/models') return this.send(ex, 200, { data: models.map((m) => ({ id: m.id, object: 'model', owned_by: 'organization_owner' })), object: 'list' });
    if (method === 'GET' && p === '/api/v0/models') return this.send(ex, 200, { object: 'list', data: models.map((m) => this.lmV0(m)) });
    const one = /^\/api\/v0\/models\/(.+)$/.exec(p);
    if (method === 'GET' && one) {
      const m = models.find((x) => x.id === decodeURIComponent(one[1]!));
      return m ? this.send(ex, 200, this.lmV0(m)) : this.send(ex, 404, { error: `Model "${decodeURIComponent(one[1]!)}" not found` });
    }
    if (method === 'POST' && p === '/v1/chat/completions') return this.lmChat(ex, path);
    if (method === 'POST' && p === '/v1/completions') return this.lmCompletions(ex, path);
    // Any other path or method: HTTP 200 with an error body (lmstudio-bug-tracker #618, #2085).
    return this.send(ex, 200, { error: `Unexpected endpoint or method. (${method} ${p})` });
  }

  private lmV0(m: LmStudioModel): Obj {
    return {
      id: m.id, object: 'model', type: m.type, publisher: 'lmstudio-community', arch: m.arch ?? 'llama', compatibility_type: 'gguf', quantization: m.quantization ?? 'Q4_K_M',
      state: m.state, max_context_length: m.max_context_length, ...(m.state === 'loaded' && m.loaded_context_length ? { loaded_context_length: m.loaded_context_length } : {}),
      ...(m.capabilities ? { capabilities: m.capabilities } : {}),
    };
  }

  private async lmChat(ex: Exchange, path: string): Promise<void> {
    const b = (ex.rec.body ?? {}) as Obj;
    const m = this.lmstudioModels.find((x) => x.id === b.model);
    if (!m) return this.send(ex, 404, { error: { message: `Model "${String(b.model)}" not found. Please load it or check the model key.`, type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    const rf = b.response_format as Obj | undefined;
    if (rf && rf.type !== 'json_schema' && rf.type !== 'text') return this.send(ex, 400, { error: "'response_format.type' must be 'json_schema' or 'text'" });
    const prompt = this.chatPromptTokens(Array.isArray(b.messages) ? b.messages as Obj[] : []);
    const ctx = m.loaded_context_length ?? 4096;
    if (prompt.length > ctx) {
      // HTTP 200 with an error body (zed-industries/zed#33938), even for a stream request.
      return this.send(ex, 200, { error: 'The number of tokens to keep from the initial prompt is greater than the context length.' });
    }
    if (!(await this.host.loadDelay(ex))) return;
    const lastUser = [...(b.messages as Obj[])].reverse().find((x) => x?.role === 'user');
    const plan = this.plan(ex, path, `You said: ${typeof lastUser?.content === 'string' ? lastUser.content : ''}`, prompt.length, b.max_tokens, b.stop, ctx - prompt.length);
    return this.openAiStream(ex, b, plan, m.id, m.id, 'reasoning_content');
  }

  /** `/v1/completions` (LM Studio's OpenAI-compat docs list it). LM Studio has no FIM endpoint
   * (bug tracker #933 asks for one) and documents no `suffix`: it is ignored here (inferred), so a
   * client must send the model's raw FIM prompt. Special-token text in the prompt is parsed as the
   * token (llama.cpp engine underneath). */
  private async lmCompletions(ex: Exchange, path: string): Promise<void> {
    const b = (ex.rec.body ?? {}) as Obj;
    const m = this.lmstudioModels.find((x) => x.id === b.model);
    if (!m) return this.send(ex, 404, { error: { message: `Model "${String(b.model)}" not found. Please load it or check the model key.`, type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    const specials = Object.values(FIM_SPELLINGS).flat();
    const prompt = tokenizeSpecial(typeof b.prompt === 'string' ? b.prompt : '', specials);
    const ctx = m.loaded_context_length ?? 4096;
    if (prompt.length > ctx) return this.send(ex, 200, { error: 'The number of tokens to keep from the initial prompt is greater than the context length.' });
    if (!(await this.host.loadDelay(ex))) return;
    const plan = this.plan(ex, path, `/* completion of ${prompt.length} tokens */`, prompt.length, b.max_tokens, b.stop, ctx - prompt.length);
    const id = `cmpl-${ex.rec.id.toString(36)}`;
    const created = this.created + ex.rec.id;
    const n = plan.content.length;
    const usage = { prompt_tokens: prompt.length, completion_tokens: n, total_tokens: prompt.length + n };
    const chunk = (text: string, finish: string | null, extra: Obj = {}) => JSON.stringify({ id, object: 'text_completion', created, model: m.id, choices: [{ index: 0, text, logprobs: null, finish_reason: finish }], ...extra });
    if (b.stream !== true) return this.send(ex, 200, JSON.parse(chunk(plan.content.join(''), plan.finish, { usage })) as Obj);
    const includeUsage = (b.stream_options as Obj | undefined)?.include_usage === true;
    const lasts = [chunk('', plan.finish), ...(includeUsage ? [JSON.stringify({ id, object: 'text_completion', created, model: m.id, choices: [], usage })] : [])];
    return this.streamSse(ex, plan.content.map((t) => ({ raw: chunk(t, null) })), lasts, true);
  }

  /** A standard OpenAI chat reply (LM Studio, vLLM). */
  private openAiStream(ex: Exchange, b: Obj, p: Planned, model: string, fingerprint: string | null, reasoningField: 'reasoning' | 'reasoning_content'): Promise<void> {
    const id = `chatcmpl-${ex.rec.id.toString(36)}`;
    const created = this.created + ex.rec.id;
    const n = p.content.length + p.thinking.length;
    const usage = { prompt_tokens: p.promptTokens, completion_tokens: n, total_tokens: p.promptTokens + n };
    if (b.stream !== true) {
      const message: Obj = { role: 'assistant', content: p.content.join('') };
      if (p.thinking.length) message[reasoningField] = p.thinking.join('');
      return this.send(ex, 200, { id, object: 'chat.completion', created, model, choices: [{ index: 0, message, logprobs: null, finish_reason: p.finish }], usage, system_fingerprint: fingerprint });
    }
    const chunk = (choices: Obj[], extra: Obj = {}) => JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: fingerprint, choices, ...extra });
    const items: StreamItem[] = [{ raw: chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]) }];
    for (const t of p.thinking) items.push({ raw: chunk([{ index: 0, delta: { [reasoningField]: t }, logprobs: null, finish_reason: null }]) });
    for (const t of p.content) items.push({ raw: chunk([{ index: 0, delta: { content: t }, logprobs: null, finish_reason: null }]) });
    const includeUsage = (b.stream_options as Obj | undefined)?.include_usage === true;
    const lasts = [chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: p.finish }]), ...(includeUsage ? [chunk([], { usage })] : [])];
    return this.streamSse(ex, items, lasts, true);
  }

  // ---- vLLM -------------------------------------------------------------------------------------

  private vllmError(ex: Exchange, status: number, message: string, type: string): Promise<void> {
    return this.send(ex, status, { error: { message, type, param: null, code: status } });
  }

  private async vllm(ex: Exchange, path: string): Promise<void> {
    ex.res.setHeader('server', 'uvicorn');
    const method = ex.req.method ?? 'GET';
    const p = path.replace(/\?.*$/, '');
    // The auth middleware checks only paths under /v1.
    if (p.startsWith('/v1') && !this.keyOk(ex)) return this.send(ex, 401, { error: 'Unauthorized' });
    if (method === 'GET' && p === '/health') return ex.send(200, undefined, '');
    if (method === 'GET' && p === '/version') return this.send(ex, 200, { version: this.o.version });
    if (method === 'GET' && p === '/v1/models') {
      return this.send(ex, 200, { object: 'list', data: [{
        id: this.model, object: 'model', created: this.created, owned_by: 'vllm', root: this.model, parent: null, max_model_len: this.o.maxModelLen,
        permission: [{ id: 'modelperm-0', object: 'model_permission', created: this.created, allow_create_engine: false, allow_sampling: true, allow_logprobs: true, allow_search_indices: false, allow_view: true, allow_fine_tuning: false, organization: '*', group: null, is_blocking: false }],
      }] });
    }
    if (method === 'POST' && p === '/tokenize') {
      const b = (ex.rec.body ?? {}) as Obj;
      const specials = this.o.fim === 'none' ? [] : FIM_SPELLINGS[this.o.fim];
      const pieces = tokenizeSpecial(typeof b.prompt === 'string' ? b.prompt : '', specials);
      return this.send(ex, 200, { count: pieces.length, max_model_len: this.o.maxModelLen, tokens: pieces.map((t) => specialId(specials, t)), ...(b.return_token_strs === true ? { token_strs: pieces } : {}) });
    }
    if (method === 'POST' && (p === '/v1/chat/completions' || p === '/v1/completions')) {
      const b = (ex.rec.body ?? {}) as Obj;
      if (b.model !== undefined && b.model !== this.model) return this.vllmError(ex, 404, `The model \`${String(b.model)}\` does not exist.`, 'NotFoundError');
      if (p === '/v1/completions' && b.suffix !== undefined && b.suffix !== null) return this.vllmError(ex, 400, 'suffix is not currently supported', 'BadRequestError');
      const prompt = p === '/v1/completions' ? tokenize(String(b.prompt ?? '')) : this.chatPromptTokens(Array.isArray(b.messages) ? b.messages as Obj[] : []);
      const want = typeof b.max_tokens === 'number' ? b.max_tokens : 16;
      if (prompt.length + want > this.o.maxModelLen) {
        return this.vllmError(ex, 400, `This model's maximum context length is ${this.o.maxModelLen} tokens. However, you requested ${prompt.length + want} tokens (${prompt.length} in the messages, ${want} in the completion). Please reduce the length of the messages or completion.`, 'BadRequestError');
      }
      if (!(await this.host.loadDelay(ex))) return;
      const lastUser = Array.isArray(b.messages) ? [...(b.messages as Obj[])].reverse().find((x) => x?.role === 'user') : undefined;
      const plan = this.plan(ex, path, `You said: ${typeof lastUser?.content === 'string' ? lastUser.content : String(b.prompt ?? '')}`, prompt.length, b.max_tokens, b.stop, this.o.maxModelLen - prompt.length);
      if (p === '/v1/chat/completions') return this.openAiStream(ex, b, plan, this.model, null, this.o.reasoningField ?? 'reasoning');
      const id = `cmpl-${ex.rec.id}`;
      const created = this.created + ex.rec.id;
      const n = plan.content.length;
      const usage = { prompt_tokens: prompt.length, completion_tokens: n, total_tokens: prompt.length + n };
      const chunk = (text: string, finish: string | null, extra: Obj = {}) => JSON.stringify({ id, object: 'text_completion', created, model: this.model, choices: [{ index: 0, text, logprobs: null, finish_reason: finish, stop_reason: null }], ...extra });
      if (b.stream !== true) return ex.send(200, 'application/json', chunk(plan.content.join(''), plan.finish, { usage }));
      const includeUsage = (b.stream_options as Obj | undefined)?.include_usage === true;
      const lasts = [chunk('', plan.finish), ...(includeUsage ? [JSON.stringify({ id, object: 'text_completion', created, model: this.model, choices: [], usage })] : [])];
      return this.streamSse(ex, plan.content.map((t) => ({ raw: chunk(t, null) })), lasts, true);
    }
    return this.send(ex, 404, { detail: 'Not Found' });
  }
}
