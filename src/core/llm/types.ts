// The streaming interface every feature uses (chat, completion, translation), in the domain's
// camelCase; the wire (snake_case, NDJSON or SSE) stays inside the clients and the two backends
// (ollamaBackend.ts, openaiBackend.ts). A feature never needs to know which server it talks to.
import type { CallOptions } from '../http/options';
import type { OllamaClient } from '../ollama/client';
import type { KeepAlive, Think } from '../ollama/types';
import type { ModelFacts } from './facts';
import type { ThinkTagOptions } from './reasoning';
import type { LlmTool, LlmToolCall, ToolChoice } from './toolCalls';

export type { LlmTool, LlmToolCall, ToolChoice } from './toolCalls';

export type BackendKind = 'ollama' | 'openai';

export interface LlmMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Plain base64 image data (no data: prefix), for vision models. */
  images?: string[];
  /** An assistant turn's tool calls (toolCalls.ts). */
  toolCalls?: LlmToolCall[];
  /** A `tool` message: the call it answers, and that call's tool. */
  toolCallId?: string;
  toolName?: string;
}

export interface Sampling {
  temperature?: number;
  topP?: number;
  topK?: number;
  numPredict?: number;
  numCtx?: number;
  stop?: string[];
  seed?: number;
}

/** Reasoning control: `false` asks for none, `true` for the model's reasoning, a level for that
 * much (only levels the model lists in `/api/show` `thinking.values`; others are a 400 on older
 * servers). Unset: the model's default (on, for a thinking model). Ollama's `think` field. */
export type ThinkSetting = Think;

export interface ChatParams {
  model: string;
  messages: LlmMessage[];
  options?: Sampling;
  keepAlive?: KeepAlive;
  think?: ThinkSetting;
  /** How to read `<think>` text in the content when the server did not separate it (see
   * ThinkTagOptions.implicitOpen). Default 'auto'. */
  implicitThinkOpen?: ThinkTagOptions['implicitOpen'];
  /** False: the content is never read for `<think>` tags (the text being processed starts with
   * one itself). Default true. */
  thinkTags?: boolean;
  /** Structured output: `'json'` or a JSON schema (Ollama's `format`, servers >= 0.5.0 for a schema).
   * Only the native Ollama backend sends it; an OpenAI-compatible backend ignores it. */
  format?: 'json' | Record<string, unknown>;
  /** Tools the model may call (toolCalls.ts); its calls arrive on the `done` chunk. */
  tools?: LlmTool[];
  /** Default 'auto'. */
  toolChoice?: ToolChoice;
}

export interface CompletionParams {
  model: string;
  prompt: string;
  suffix?: string;
  system?: string;
  /** Send the prompt as is, without the model's template (raw FIM prompts). */
  raw?: boolean;
  options?: Sampling;
  keepAlive?: KeepAlive;
  /** As ChatParams.think. Completion and translation send `false`. */
  think?: ThinkSetting;
}

export interface GenerationStats {
  promptTokens: number;
  outputTokens: number;
  totalMs?: number;
  loadMs?: number;
  promptMs?: number;
  evalMs?: number;
  /** Output tokens per second: the server's own timing (Ollama eval_duration, llama.cpp
   * `timings.predicted_per_second`, LM Studio `stats.tokens_per_second`), else measured by the
   * client from the usage count over the time between the first and the last token. */
  tokensPerSecond?: number;
  /** Where tokensPerSecond came from. */
  speedSource?: 'server' | 'client';
}

export interface StreamChunk {
  /** Answer text (reasoning never included). */
  text: string;
  /** Reasoning text, from the server's own field or split out of the content. */
  thinking?: string;
  /** Everything delivered as `text` before this chunk was reasoning after all (a DeepSeek-R1 style
   * answer whose opening `<think>` was in the prompt): move it to the thinking. */
  textWasThinking?: boolean;
  done: boolean;
  doneReason?: string;
  stats?: GenerationStats;
  /** On the last chunk: the model the server says answered (the reply's `model`). llama.cpp
   * serves its one loaded model whatever the request names, so this can differ from the one asked. */
  model?: string;
  /** The tool calls of the answer, whole (on the `done` chunk; see toolCalls.ts). */
  toolCalls?: LlmToolCall[];
}

export interface ModelSummary {
  name: string;
  /** The manifest digest (bare hex; Ollama's /api/tags): changes when the model is pulled again. */
  digest?: string;
  sizeBytes?: number;
  family?: string;
  parameterSize?: string;
  quantization?: string;
  capabilities?: string[];
  /** The context one request gets with this model, where the server fixes it (llama.cpp per
   * slot, LM Studio's loaded context, vLLM max_model_len). */
  contextLength?: number;
  /** In memory now (LM Studio `state`, llama.cpp router `status`); undefined: the list does not say. */
  loaded?: boolean;
}

/** The server software behind an endpoint, when it can be told (see LlmBackend.probe):
 * Ollama, llama.cpp's llama-server, vLLM, LM Studio, a LiteLLM proxy. */
export type ServerKind = 'ollama' | 'llama.cpp' | 'vllm' | 'lmstudio' | 'litellm';

/** What a server is and what it has: the answer to "Test Connection" and Diagnose. */
export interface ServerProbe {
  /** The API the backend speaks. */
  backend: BackendKind;
  /** The software, when the server gives it away (undefined: an OpenAI-compatible server we cannot tell). */
  server?: ServerKind;
  /** The server's version, when it says (Ollama /api/version, llama.cpp `build_info`, vLLM /version). */
  version?: string;
  /** The installed (or served) models. */
  models: ModelSummary[];
  /**
   * How the API key was put to the test: `path` is a request this server refuses without the right
   * key, and it succeeded (llama.cpp: GET /props - its /health, and /v1/models before build
   * b10524, answer without a key; vLLM, LM Studio, LiteLLM and others: GET /v1/models). `none`:
   * the server takes no key at all (Ollama ignores Authorization). Undefined: not known.
   */
  keyCheck?: { path: string } | 'none';
  /** How the server was told (response headers, `owned_by`, a confirming endpoint). */
  evidence?: string[];
  /** llama.cpp: parallel slots and the context each one has (a longer prompt is refused). */
  slots?: number;
  contextPerSlot?: number;
  /** llama.cpp: the model file loaded (`model_path` from /props). */
  modelPath?: string;
}

/**
 * What every feature asks of a server, whichever API it speaks. Streams end with one `done` chunk;
 * aborting the signal (or breaking out of the loop) closes the connection. Errors are the
 * core/http/errors hierarchy (ModelNotFoundError, ConnectionError, TimeoutError, AbortError…).
 */
export interface LlmBackend {
  readonly kind: BackendKind;
  /** The URL requests go to (for messages). */
  readonly baseUrl: string;
  /** The native Ollama client when the server speaks Ollama's own API (model management: pull,
   * delete, create…); undefined for an OpenAI-compatible server. */
  readonly ollama?: OllamaClient;
  chat(p: ChatParams, o?: CallOptions): Promise<AsyncIterable<StreamChunk>>;
  complete(p: CompletionParams, o?: CallOptions): Promise<AsyncIterable<StreamChunk>>;
  /** The installed models; capabilities where the list carries them (see listModelsWithCapabilities). */
  listModels(o?: CallOptions): Promise<ModelSummary[]>;
  /** Facts about one model (Ollama: /api/show); undefined where the server has no such endpoint.
   * Throws ModelNotFoundError when the server says the model is not installed. */
  modelFacts(model: string, o?: CallOptions): Promise<ModelFacts | undefined>;
  /** Which server this is, its version and its models. */
  probe(o?: CallOptions): Promise<ServerProbe>;
  /** Abort everything in flight and release the connections. */
  close(): Promise<void>;
  /** Refuse new requests, let those in flight finish, then release the connections. */
  retire(): Promise<void>;
}
