// Wire types of the Ollama HTTP API, named and shaped as in the official ollama-js library
// (snake_case, as on the wire). Optional fields follow the server's omitempty rules: a client must
// treat an absent metric as 0 and ignore fields it does not know.

export type KeepAlive = number | string;
export type Think = boolean | 'low' | 'medium' | 'high' | 'max';

export interface Options {
  num_ctx?: number; num_batch?: number; num_gpu?: number; main_gpu?: number; use_mmap?: boolean; num_thread?: number;
  num_keep?: number; seed?: number; num_predict?: number; top_k?: number; top_p?: number; min_p?: number; typical_p?: number;
  repeat_last_n?: number; temperature?: number; repeat_penalty?: number; presence_penalty?: number; frequency_penalty?: number;
  stop?: string[];
  [key: string]: unknown;
}

export interface GenerateRequest {
  model: string;
  prompt?: string;
  suffix?: string;
  system?: string;
  template?: string;
  context?: number[];
  stream?: boolean;
  raw?: boolean;
  format?: string | object;
  images?: Array<Uint8Array | string>;
  keep_alive?: KeepAlive;
  think?: Think;
  logprobs?: boolean;
  top_logprobs?: number;
  options?: Partial<Options>;
}

export interface ToolCall {
  id?: string;
  function: { index?: number; name: string; arguments: Record<string, unknown> };
}

export interface Tool {
  type: string;
  function: { name?: string; description?: string; parameters?: Record<string, unknown> };
}

export interface Message {
  role: string;
  content: string;
  thinking?: string;
  images?: Array<Uint8Array | string>;
  tool_calls?: ToolCall[];
  tool_name?: string;
  tool_call_id?: string;
}

export interface ChatRequest {
  model: string;
  messages?: Message[];
  stream?: boolean;
  format?: string | object;
  keep_alive?: KeepAlive;
  tools?: Tool[];
  think?: Think;
  logprobs?: boolean;
  top_logprobs?: number;
  options?: Partial<Options>;
}

export interface Metrics {
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  eval_count?: number;
  eval_duration?: number;
}

export interface GenerateResponse extends Metrics {
  model: string;
  created_at: string;
  response: string;
  thinking?: string;
  done: boolean;
  done_reason?: string;
  context?: number[];
  [key: string]: unknown;
}

export interface ChatResponse extends Metrics {
  model: string;
  created_at: string;
  message: Message;
  done: boolean;
  done_reason?: string;
  [key: string]: unknown;
}

export interface ProgressResponse {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
  [key: string]: unknown;
}

export interface PullRequest { model: string; insecure?: boolean; stream?: boolean }
export interface PushRequest { model: string; insecure?: boolean; stream?: boolean }

export interface CreateRequest {
  model: string;
  from?: string;
  files?: Record<string, string>;
  adapters?: Record<string, string>;
  template?: string;
  system?: string;
  license?: string | string[];
  parameters?: Record<string, unknown>;
  messages?: Message[];
  quantize?: string;
  stream?: boolean;
  [key: string]: unknown;
}

export interface DeleteRequest { model: string }
export interface CopyRequest { source: string; destination: string }
export interface ShowRequest { model: string; system?: string; template?: string; verbose?: boolean; options?: Partial<Options> }

export interface ModelDetails {
  parent_model?: string;
  format?: string;
  family?: string;
  families?: string[] | null;
  parameter_size?: string;
  quantization_level?: string;
  [key: string]: unknown;
}

export interface ModelResponse {
  name: string;
  model: string;
  modified_at: string;
  size: number;
  digest: string;
  details: ModelDetails;
  capabilities?: string[];
  [key: string]: unknown;
}

export interface ListResponse { models: ModelResponse[] }

export interface RunningModel {
  name: string;
  model: string;
  size: number;
  digest: string;
  details: ModelDetails;
  expires_at: string;
  size_vram: number;
  context_length?: number;
  [key: string]: unknown;
}

export interface PsResponse { models: RunningModel[] }

export interface ShowResponse {
  license?: string;
  modelfile?: string;
  parameters?: string;
  template?: string;
  system?: string;
  details: ModelDetails;
  messages?: Message[];
  model_info?: Record<string, unknown>;
  projector_info?: Record<string, unknown>;
  capabilities?: string[];
  modified_at?: string;
  [key: string]: unknown;
}

export interface EmbedRequest {
  model: string;
  input: string | string[];
  truncate?: boolean;
  dimensions?: number;
  keep_alive?: KeepAlive;
  options?: Partial<Options>;
}

export interface EmbedResponse extends Metrics { model: string; embeddings: number[][] }

export interface EmbeddingsRequest { model: string; prompt: string; keep_alive?: KeepAlive; options?: Partial<Options> }
export interface EmbeddingsResponse { embedding: number[] }

export interface VersionResponse { version: string }
