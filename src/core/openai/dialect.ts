// What OpenAI-compatible servers say beside the OpenAI wire format, read without any network: which
// server an answer came from (headers, the /v1/models body), llama.cpp's /props and `timings`, LM
// Studio's /api/v0/models and `stats`, vLLM's model cards, the FIM tokens a tokenizer knows, and the
// non-OpenAI errors they send. The requests that fetch these are in inspect.ts; the facts go to
// the features through LlmBackend.modelFacts / probe (core/llm/openaiBackend.ts).
//
// Sources (read for this file; see docs/notes/openai.md):
// - llama.cpp tools/server (server-http.cpp headers and auth, server-context.cpp /v1/models, /props,
//   /infill, /tokenize, server-common.cpp error types) at 3f545be, and the recorded transcripts of a
//   real llama-server (shared/llamacpp-server-transcripts.md);
// - llama.cpp src/llama-vocab.cpp: the FIM token spellings it recognises by text;
// - LM Studio docs (REST API v0 endpoints.mdx, openai-compat), bug-tracker threads #618, #2085;
// - vLLM entrypoints/openai (ModelCard, /tokenize, /version, the auth middleware on /v1 only).

/** The server software, as the dialects tell it. */
export type DialectKind = 'ollama' | 'llama.cpp' | 'vllm' | 'lmstudio' | 'litellm';

/** The first guess from `GET /v1/models`: headers first, then the body. `evidence` says why, for
 * Diagnose and the log ("Server: llama.cpp", "owned_by vllm"…). */
export interface ServerGuess {
  kind: DialectKind | undefined;
  evidence: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const posInt = (v: unknown): number | undefined => { const n = num(v); return n !== undefined && n > 0 ? Math.floor(n) : undefined; };
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Which server answered `GET /v1/models`, from its response headers (lower-case names) and body:
 * - `Server: llama.cpp` (llama.cpp sets it on every response, server-http.cpp), or items
 *   `owned_by: "llamacpp"`, or the Ollama-like top-level `models` array with `meta.n_ctx` → llama.cpp;
 * - `x-litellm-version` (every LiteLLM proxy response) → LiteLLM;
 * - `owned_by: "vllm"` or `max_model_len` on the cards → vLLM;
 * - `X-Powered-By: Express` or `owned_by: "organization_owner"` → LM Studio (confirmed by /api/v0);
 * - `data: null` (no models) or `owned_by: "library"` (Ollama's namespace) → Ollama.
 * Undefined kind: a server that does not give itself away (confirm with /api/version, or generic).
 */
export function guessServer(headers: Record<string, string>, body: unknown): ServerGuess {
  const evidence: string[] = [];
  const h = (k: string) => headers[k] ?? '';
  const server = h('server');
  if (/llama\.cpp/i.test(server)) return { kind: 'llama.cpp', evidence: [`Server: ${server}`] };
  if (h('x-litellm-version')) return { kind: 'litellm', evidence: [`x-litellm-version: ${h('x-litellm-version')}`] };
  const data = isObj(body) ? body.data : undefined;
  const items = Array.isArray(data) ? data.filter(isObj) : [];
  const owners = new Set(items.map((m) => m.owned_by).filter((o): o is string => typeof o === 'string'));
  if (owners.has('llamacpp')) return { kind: 'llama.cpp', evidence: ['owned_by "llamacpp"'] };
  if (isObj(body) && Array.isArray(body.models) && items.some((m) => isObj(m.meta))) return { kind: 'llama.cpp', evidence: ['models[] and meta.n_ctx'] };
  if (owners.has('vllm') || items.some((m) => num(m.max_model_len) !== undefined)) return { kind: 'vllm', evidence: [owners.has('vllm') ? 'owned_by "vllm"' : 'max_model_len'] };
  if (/express/i.test(h('x-powered-by'))) evidence.push(`X-Powered-By: ${h('x-powered-by')}`);
  if (owners.has('organization_owner')) evidence.push('owned_by "organization_owner"');
  if (evidence.length) return { kind: 'lmstudio', evidence };
  if (isObj(body) && body.data === null) return { kind: 'ollama', evidence: ['data: null'] };
  if (owners.has('library')) return { kind: 'ollama', evidence: ['owned_by "library"'] };
  return { kind: undefined, evidence: server ? [`Server: ${server}`] : [] };
}

/** One model as an OpenAI-compatible server lists it, with what the dialect adds. */
export interface ServerModel {
  id: string;
  /** The context the server gives one request with this model, fixed by how it was started:
   * llama.cpp `meta.n_ctx` (--ctx-size ÷ --parallel), LM Studio `loaded_context_length`, vLLM
   * `max_model_len`. A hard limit: a longer prompt is refused (llama.cpp 400) or cut. */
  servedContext?: number;
  /** The model's own (trained) context: llama.cpp `n_ctx_train`, LM Studio `max_context_length`. */
  trainedContext?: number;
  /** LM Studio `state` / llama.cpp router `status.value`: whether it is in memory now. */
  loaded?: boolean;
  /** What it can do, in Ollama's capability names (completion, vision, embedding, tools). */
  capabilities?: string[];
  /** LM Studio `type` (llm, vlm, embeddings), llama.cpp `details.format` etc., as the server said. */
  type?: string;
  /** Parameter count (llama.cpp `meta.n_params`), bytes on disk (`meta.size`). */
  parameters?: number;
  sizeBytes?: number;
  /** Architecture (LM Studio `arch`) and quantization, where listed. */
  family?: string;
  quantization?: string;
}

/** The `data[]` of `/v1/models` as ServerModels (llama.cpp `meta` and `models[]` capabilities,
 * vLLM `max_model_len`, llama.cpp router `status`). Items without an `id` are left out. */
export function modelsFromList(body: unknown): ServerModel[] {
  if (!isObj(body) || !Array.isArray(body.data)) return [];
  const nativeCaps = new Map<string, string[]>();
  if (Array.isArray(body.models)) {
    for (const m of body.models.filter(isObj)) {
      const name = str(m.model) ?? str(m.name);
      if (name && Array.isArray(m.capabilities)) nativeCaps.set(name, capabilityNames(m.capabilities));
    }
  }
  const out: ServerModel[] = [];
  for (const m of body.data.filter(isObj)) {
    const id = str(m.id);
    if (!id) continue;
    const meta = isObj(m.meta) ? m.meta : undefined;
    const status = isObj(m.status) ? str(m.status.value) : undefined;
    const caps = nativeCaps.get(id);
    const inputs = isObj(m.architecture) && Array.isArray(m.architecture.input_modalities) ? m.architecture.input_modalities : undefined;
    const sm: ServerModel = { id };
    const served = posInt(meta?.n_ctx) ?? posInt(m.max_model_len);
    if (served) sm.servedContext = served;
    const trained = posInt(meta?.n_ctx_train);
    if (trained) sm.trainedContext = trained;
    if (status) sm.loaded = status === 'loaded';
    if (caps) sm.capabilities = caps;
    else if (inputs) sm.capabilities = ['completion', ...(inputs.includes('image') ? ['vision'] : [])];
    const params = posInt(meta?.n_params);
    if (params) sm.parameters = params;
    const size = posInt(meta?.size);
    if (size) sm.sizeBytes = size;
    out.push(sm);
  }
  return out;
}

/** llama.cpp `models[].capabilities` (completion, multimodal, embedding…) in Ollama's names. */
function capabilityNames(caps: unknown[]): string[] {
  const out = new Set<string>();
  for (const c of caps) {
    if (c === 'multimodal') { out.add('vision'); continue; }
    if (c === 'embedding' || c === 'embeddings') { out.add('embedding'); continue; }
    if (typeof c === 'string' && c) out.add(c);
  }
  return [...out];
}

/** What llama.cpp's `GET /props` says about how it serves (server-context.cpp, get_props). */
export interface LlamaCppProps {
  /** Parallel slots (`--parallel`): requests served at once. */
  slots?: number;
  /** Context per slot: `default_generation_settings.n_ctx`. */
  contextPerSlot?: number;
  /** `build_info`, e.g. "b6523-459c0c2" ("b0-unknown" for a build outside git). */
  build?: string;
  modelPath?: string;
  modelAlias?: string;
  /** The model's Jinja chat template is there (`--jinja`): tool calls can work. */
  chatTemplate?: boolean;
  /** `chat_template_caps.supports_tools` or a tool-use template. */
  tools?: boolean;
  vision?: boolean;
  audio?: boolean;
  /** `is_sleeping`: the model was unloaded after idling (--sleep-idle-seconds); the next request loads it. */
  sleeping?: boolean;
}

export function parseLlamaCppProps(body: unknown): LlamaCppProps {
  if (!isObj(body)) return {};
  const gen = isObj(body.default_generation_settings) ? body.default_generation_settings : {};
  const modal = isObj(body.modalities) ? body.modalities : {};
  const caps = isObj(body.chat_template_caps) ? body.chat_template_caps : {};
  const p: LlamaCppProps = {};
  const slots = posInt(body.total_slots);
  if (slots) p.slots = slots;
  const ctx = posInt(gen.n_ctx);
  if (ctx) p.contextPerSlot = ctx;
  const build = str(body.build_info);
  if (build) p.build = build;
  const path = str(body.model_path);
  if (path) p.modelPath = path;
  const alias = str(body.model_alias);
  if (alias) p.modelAlias = alias;
  if (typeof body.chat_template === 'string') p.chatTemplate = body.chat_template !== '';
  if (caps.supports_tools === true || caps.supports_tool_calls === true || str(body.chat_template_tool_use)) p.tools = true;
  if (modal.vision === true) p.vision = true;
  if (modal.audio === true) p.audio = true;
  if (body.is_sleeping === true) p.sleeping = true;
  return p;
}

/**
 * LM Studio `GET /api/v0/models` (REST API v0, LM Studio >= 0.3.6): `data[]` with `type`
 * (llm | vlm | embeddings), `state` (loaded | not-loaded | loading), `max_context_length`, and for a
 * loaded model `loaded_context_length`; `capabilities` (["tool_use"]) since 0.3.16. Undefined when
 * the body is not that list: LM Studio answers an unknown path with HTTP 200 and
 * `{"error":"Unexpected endpoint or method. (GET …)"}`, and other servers 404 - so a list only
 * counts when its items carry `state`.
 */
export function parseLmStudioModels(body: unknown): ServerModel[] | undefined {
  if (!isObj(body) || !Array.isArray(body.data)) return undefined;
  const items = body.data.filter(isObj);
  if (!items.length || !items.every((m) => typeof m.state === 'string')) return undefined;
  return items.filter((m) => str(m.id)).map((m) => {
    const type = str(m.type);
    const caps = type === 'embeddings' ? ['embedding'] : ['completion', ...(type === 'vlm' ? ['vision'] : [])];
    if (Array.isArray(m.capabilities) && m.capabilities.includes('tool_use')) caps.push('tools');
    const sm: ServerModel = { id: m.id as string, loaded: m.state === 'loaded', capabilities: caps };
    if (type) sm.type = type;
    const served = posInt(m.loaded_context_length);
    if (served && m.state === 'loaded') sm.servedContext = served;
    const trained = posInt(m.max_context_length);
    if (trained) sm.trainedContext = trained;
    const arch = str(m.arch);
    if (arch) sm.family = arch;
    const quant = str(m.quantization);
    if (quant) sm.quantization = quant;
    return sm;
  });
}

// ---- speed and counts --------------------------------------------------------------------------

/** llama.cpp `timings` (server-task.cpp result_timings): on the last chunk of every stream (the
 * finish chunk, or the `choices: []` usage chunk), the final /infill object, every non-stream reply. */
export interface LlamaCppTimings {
  prompt_n?: number;
  prompt_ms?: number;
  predicted_n?: number;
  predicted_ms?: number;
  predicted_per_second?: number;
  cache_n?: number;
}

/** LM Studio `stats` (REST v0 replies): tokens_per_second, time_to_first_token and generation_time
 * in seconds, stop_reason. */
export interface LmStudioStats {
  tokens_per_second?: number;
  time_to_first_token?: number;
  generation_time?: number;
  stop_reason?: string;
}

/** The speed and counts one reply reports, in the domain's units (ms, tokens/s). */
export interface ServerSpeed {
  tokensPerSecond?: number;
  promptMs?: number;
  evalMs?: number;
  /** Tokens the server generated / evaluated as it counted them (when usage is missing). */
  outputTokens?: number;
  promptTokens?: number;
}

/** The server's own speed readout: llama.cpp `timings` (predicted_per_second, prompt_ms,
 * predicted_ms), else LM Studio `stats` (tokens_per_second; time_to_first_token as prompt time),
 * else undefined (the caller measures usage over wall time). */
export function speedFrom(timings: unknown, stats: unknown): ServerSpeed | undefined {
  if (isObj(timings)) {
    const t = timings as LlamaCppTimings;
    const s: ServerSpeed = {};
    const predictedMs = num(t.predicted_ms);
    const predictedN = num(t.predicted_n);
    const tps = num(t.predicted_per_second) ?? (predictedN && predictedMs ? (predictedN / predictedMs) * 1000 : undefined);
    if (tps !== undefined && tps > 0) s.tokensPerSecond = tps;
    const promptMs = num(t.prompt_ms);
    if (promptMs !== undefined) s.promptMs = promptMs;
    if (predictedMs !== undefined) s.evalMs = predictedMs;
    if (predictedN !== undefined) s.outputTokens = predictedN;
    const pn = num(t.prompt_n);
    if (pn !== undefined) s.promptTokens = pn + (num(t.cache_n) ?? 0);
    return Object.keys(s).length ? s : undefined;
  }
  if (isObj(stats)) {
    const st = stats as LmStudioStats;
    const s: ServerSpeed = {};
    const tps = num(st.tokens_per_second);
    if (tps !== undefined && tps > 0) s.tokensPerSecond = tps;
    const ttft = num(st.time_to_first_token);
    if (ttft !== undefined) s.promptMs = ttft * 1000;
    const gen = num(st.generation_time);
    if (gen !== undefined) s.evalMs = gen * 1000;
    return Object.keys(s).length ? s : undefined;
  }
  return undefined;
}

/** Output tokens per second measured by the client: the tokens after the first over the time
 * between the first and the last text chunk. Undefined when that says nothing: fewer than two
 * tokens, or chunks that arrived together (less than `minSpanMs` apart: a proxy that buffers). */
export function measuredSpeed(outputTokens: number | undefined, firstAt: number | undefined, lastAt: number | undefined, minSpanMs = 10): number | undefined {
  if (!outputTokens || outputTokens < 2 || firstAt === undefined || lastAt === undefined) return undefined;
  const span = lastAt - firstAt;
  if (!(span >= minSpanMs)) return undefined;
  return ((outputTokens - 1) / span) * 1000;
}

// ---- fill in the middle -------------------------------------------------------------------------

/** The FIM special tokens of a model. */
export interface FimTokens { prefix: string; suffix: string; middle: string }

// The spellings llama.cpp recognises by text when the GGUF names no FIM token ids
// (src/llama-vocab.cpp, load: "auto-detect special tokens by text"), in its order. The SPM `▁<PRE>`
// forms detokenize to " <PRE>".
const FIM_PRE = ['<|fim_prefix|>', '<fim-prefix>', '<fim_prefix>', '<\uFF5Cfim\u2581begin\uFF5C>', '<PRE>', '\u2581<PRE>', '<|code_prefix|>', '<|prefix|>'];
const FIM_SUF = ['<|fim_suffix|>', '<fim-suffix>', '<fim_suffix>', '<\uFF5Cfim\u2581hole\uFF5C>', '<SUF>', '\u2581<SUF>', '<|code_suffix|>', '<|suffix|>'];
const FIM_MID = ['<|fim_middle|>', '<fim-middle>', '<fim_middle>', '<\uFF5Cfim\u2581end\uFF5C>', '<MID>', '\u2581<MID>', '<|code_middle|>', '<|middle|>'];

/** Every spelling to ask a tokenizer about (one request: the spellings joined by newlines). */
export const FIM_CANDIDATES: readonly string[] = [...FIM_PRE, ...FIM_SUF, ...FIM_MID];
/** The text a /tokenize request sends to learn the FIM tokens. */
export const FIM_PROBE_TEXT = FIM_CANDIDATES.join('\n');

/**
 * The FIM tokens among the pieces a tokenizer returned for FIM_PROBE_TEXT: a spelling counts only
 * when it came back as ONE token (a special token; as plain text it would be split into several),
 * and only as a whole triple of the same family (prefix, suffix and middle at the same position of
 * their lists, as llama.cpp pairs them). A piece may carry the SPM word marker (`▁<PRE>`, or its
 * detokenized form " <PRE>"). Undefined when no complete triple is there.
 */
export function fimTokensFromPieces(pieces: readonly string[]): FimTokens | undefined {
  const seen = new Set<string>();
  for (const p of pieces) {
    const t = p.replace(/^[\u2581 ]/, '').trim();
    if (t) seen.add(t);
  }
  for (let i = 0; i < FIM_PRE.length; i++) {
    const [pre, suf, mid] = [FIM_PRE[i]!, FIM_SUF[i]!, FIM_MID[i]!].map((t) => t.replace(/^\u2581/, ''));
    if (seen.has(pre!) && seen.has(suf!) && seen.has(mid!)) return { prefix: pre!, suffix: suf!, middle: mid! };
  }
  return undefined;
}

/** The pieces of a llama.cpp `/tokenize` reply with `with_pieces: true`: `{tokens: [{id, piece}]}`,
 * a piece being a string, or an array of bytes when it is not valid UTF-8 (those are skipped). */
export function piecesOfLlamaCppTokenize(body: unknown): string[] {
  if (!isObj(body) || !Array.isArray(body.tokens)) return [];
  return body.tokens.filter(isObj).map((t) => t.piece).filter((p): p is string => typeof p === 'string');
}

/** The token strings of a vLLM `/tokenize` reply with `return_token_strs: true`. */
export function piecesOfVllmTokenize(body: unknown): string[] {
  if (!isObj(body) || !Array.isArray(body.token_strs)) return [];
  return body.token_strs.filter((p): p is string => typeof p === 'string');
}

// ---- errors -----------------------------------------------------------------------------------

/** What a server's error means, where its dialect says more than the status: */
export type ServerErrorFact =
  /** llama.cpp `exceed_context_size_error` (400): the prompt is longer than one slot's context. */
  | { kind: 'contextOverflow'; promptTokens?: number; contextTokens?: number }
  /** llama.cpp (nlohmann::json) answers a body that is not JSON with HTTP 500 `server_error`
   * `[json.exception.parse_error.101] …`, not 400: the request was cut or altered on its way. */
  | { kind: 'badRequestBody' }
  /** llama.cpp 501 `not_supported_error` "Infill is not supported by this model: …". */
  | { kind: 'infillUnsupported' }
  /** llama.cpp 500 "Failed to parse input at pos N": the model produced text (broken UTF-8) the
   * server's output parser rejects; sampling again usually works. */
  | { kind: 'outputUnparsable' }
  /** 401 / 403: the API key was refused (llama.cpp "Invalid API Key", vLLM "Unauthorized"). */
  | { kind: 'keyRefused' };

/** The fact in a server's error (its status and message), or undefined for an ordinary one. */
export function serverErrorFact(status: number | undefined, message: string): ServerErrorFact | undefined {
  if (status === 401 || status === 403) return { kind: 'keyRefused' };
  const overflow = /request \((\d+) tokens\) exceeds the available context size \((\d+) tokens\)/.exec(message)
    ?? /maximum context length is (\d+) tokens.*?(?:requested|you requested) (\d+) tokens/is.exec(message);
  if (overflow) {
    if (overflow[0].startsWith('request')) return { kind: 'contextOverflow', promptTokens: Number(overflow[1]), contextTokens: Number(overflow[2]) };
    return { kind: 'contextOverflow', contextTokens: Number(overflow[1]), promptTokens: Number(overflow[2]) };
  }
  if (/exceed_context_size_error|exceeds the available context size/.test(message)) return { kind: 'contextOverflow' };
  if (/\[json\.exception\.parse_error/.test(message)) return { kind: 'badRequestBody' };
  if (status === 501 && /infill is not supported/i.test(message)) return { kind: 'infillUnsupported' };
  if (/Failed to parse input at pos \d+/.test(message)) return { kind: 'outputUnparsable' };
  return undefined;
}
