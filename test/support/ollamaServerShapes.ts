// Request shapes of the Ollama API as Go structs (names and types appear verbatim in decode
// errors), and the runtime-option type rules of api.Options.FromMap.
import { goQuote, keepAliveError, type FieldType } from './ollamaServerWire';

type Json = Record<string, unknown>;

// ---- request shapes (Go struct names/types for decode errors) ----------------------------------
const S = 'string' as const;
const B = 'bool' as const;
const I = 'int' as const;
const keepAliveT: FieldType = { kind: 'custom', check: keepAliveError };
const thinkT: FieldType = {
  kind: 'custom',
  check: (v) => {
    if (typeof v === 'boolean') return undefined;
    if (typeof v === 'string') {
      return ['high', 'medium', 'low', 'max'].includes(v)
        ? undefined
        : `invalid think value: ${goQuote(v)} (must be "high", "medium", "low", "max", true, or false)`;
    }
    return `think must be a boolean or string (got ${typeof v === 'number' ? 'number' : Array.isArray(v) ? 'array' : 'object'})`;
  },
};
const mapT: FieldType = { kind: 'map', go: 'map[string]interface {}' };
const imagesT: FieldType = { kind: 'array', go: '[]api.ImageData', elem: { kind: 'base64' } };
const toolCallT: FieldType = {
  kind: 'struct',
  go: 'api.ToolCall',
  name: 'ToolCall',
  fields: {
    id: S,
    function: {
      kind: 'struct',
      go: 'api.ToolCallFunction',
      name: 'ToolCallFunction',
      fields: { index: I, name: S, arguments: { kind: 'map', go: 'api.ToolCallFunctionArguments' } },
    },
  },
};
const messageT: FieldType = {
  kind: 'struct',
  go: 'api.Message',
  name: 'Message',
  fields: {
    role: S,
    content: S,
    thinking: S,
    images: imagesT,
    tool_calls: { kind: 'array', go: '[]api.ToolCall', elem: toolCallT },
    tool_name: S,
    tool_call_id: S,
  },
};
const messagesT: FieldType = { kind: 'array', go: '[]api.Message', elem: messageT };
const toolsT: FieldType = { kind: 'array', go: 'api.Tools', elem: { kind: 'map', go: 'api.Tool' } };

export const GENERATE_REQ = {
  go: 'api.GenerateRequest',
  name: 'GenerateRequest',
  fields: {
    model: S, prompt: S, suffix: S, system: S, template: S,
    context: { kind: 'array', go: '[]int', elem: I } as FieldType,
    stream: B, raw: B, format: 'any' as const, keep_alive: keepAliveT, images: imagesT, options: mapT, think: thinkT,
    truncate: B, shift: B, logprobs: B, top_logprobs: I, _debug_render_only: B,
  } satisfies Record<string, FieldType>,
};
export const CHAT_REQ = {
  go: 'api.ChatRequest',
  name: 'ChatRequest',
  fields: {
    model: S, messages: messagesT, stream: B, format: 'any' as const, keep_alive: keepAliveT, tools: toolsT,
    options: mapT, think: thinkT, truncate: B, shift: B, logprobs: B, top_logprobs: I, _debug_render_only: B,
  } satisfies Record<string, FieldType>,
};
export const EMBED_REQ = {
  go: 'api.EmbedRequest',
  name: 'EmbedRequest',
  fields: { model: S, input: 'any' as const, keep_alive: keepAliveT, truncate: B, dimensions: I, options: mapT } satisfies Record<string, FieldType>,
};
export const EMBEDDINGS_REQ = {
  go: 'api.EmbeddingRequest',
  name: 'EmbeddingRequest',
  fields: { model: S, prompt: S, keep_alive: keepAliveT, options: mapT } satisfies Record<string, FieldType>,
};
export const SHOW_REQ = {
  go: 'api.ShowRequest',
  name: 'ShowRequest',
  fields: { model: S, system: S, template: S, verbose: B, options: mapT, name: S } satisfies Record<string, FieldType>,
};
export const COPY_REQ = { go: 'api.CopyRequest', name: 'CopyRequest', fields: { source: S, destination: S } satisfies Record<string, FieldType> };
export const DELETE_REQ = { go: 'api.DeleteRequest', name: 'DeleteRequest', fields: { model: S, name: S } satisfies Record<string, FieldType> };
export const PULL_REQ = {
  go: 'api.PullRequest',
  name: 'PullRequest',
  fields: { model: S, insecure: B, username: S, password: S, stream: B, name: S } satisfies Record<string, FieldType>,
};
export const PUSH_REQ = { ...PULL_REQ, go: 'api.PushRequest', name: 'PushRequest' };
export const CREATE_REQ = {
  go: 'api.CreateRequest',
  name: 'CreateRequest',
  fields: {
    model: S, stream: B, quantize: S, from: S, remote_host: S,
    files: { kind: 'map', go: 'map[string]string', elem: S } as FieldType,
    adapters: { kind: 'map', go: 'map[string]string', elem: S } as FieldType,
    template: S, license: 'any' as const, system: S, parameters: mapT, messages: messagesT,
    renderer: S, parser: S, requires: S, info: mapT, name: S, quantization: S,
  } satisfies Record<string, FieldType>,
};
const streamOptionsT: FieldType = { kind: 'struct', go: 'openai.StreamOptions', name: 'StreamOptions', fields: { include_usage: B } };
export const OA_CHAT_REQ = {
  go: 'openai.ChatCompletionRequest',
  name: 'ChatCompletionRequest',
  fields: {
    model: S,
    messages: {
      kind: 'array',
      go: '[]openai.Message',
      elem: {
        kind: 'struct',
        go: 'openai.Message',
        name: 'Message',
        fields: { role: S, content: 'any', reasoning: S, tool_calls: { kind: 'array', go: '[]openai.ToolCall', elem: mapT }, name: S, tool_call_id: S },
      },
    } as FieldType,
    stream: B, stream_options: streamOptionsT, max_tokens: I, seed: I, stop: 'any' as const,
    temperature: 'float64' as const, frequency_penalty: 'float64' as const, presence_penalty: 'float64' as const, top_p: 'float64' as const,
    response_format: mapT, tools: { kind: 'array', go: '[]api.Tool', elem: mapT } as FieldType,
    reasoning: mapT, reasoning_effort: S, _debug_render_only: B,
  } satisfies Record<string, FieldType>,
};
export const OA_COMPLETION_REQ = {
  go: 'openai.CompletionRequest',
  name: 'CompletionRequest',
  fields: {
    model: S, prompt: S, frequency_penalty: 'float32' as const, max_tokens: I, presence_penalty: 'float32' as const, seed: I,
    stop: 'any' as const, stream: B, stream_options: streamOptionsT, temperature: 'float32' as const, top_p: 'float32' as const,
    suffix: S, logprobs: I, _debug_render_only: B,
  } satisfies Record<string, FieldType>,
};
export const OA_EMBED_REQ = {
  go: 'openai.EmbedRequest',
  name: 'EmbedRequest',
  fields: { input: 'any' as const, model: S, dimensions: I, encoding_format: S } satisfies Record<string, FieldType>,
};

// ---- option type checks (api.Options.FromMap) ----------------------------------------------
const INT_OPTS = new Set(['num_ctx', 'num_batch', 'num_gpu', 'main_gpu', 'num_thread', 'num_keep', 'seed', 'num_predict', 'top_k', 'repeat_last_n', 'draft_num_predict']);
const FLOAT_OPTS = new Set(['top_p', 'min_p', 'typical_p', 'temperature', 'repeat_penalty', 'presence_penalty', 'frequency_penalty']);
const BOOL_OPTS = new Set(['use_mmap']);
const ARRAY_OPTS = new Set(['stop']);

export function optionsError(opts: unknown): string | undefined {
  if (!opts || typeof opts !== 'object') return undefined;
  for (const [k, v] of Object.entries(opts as Json)) {
    if (v === null) continue;
    if (INT_OPTS.has(k) && typeof v !== 'number') return `option "${k}" must be of type integer`;
    if (FLOAT_OPTS.has(k) && typeof v !== 'number') return `option "${k}" must be of type float32`;
    if (BOOL_OPTS.has(k) && typeof v !== 'boolean') return `option "${k}" must be of type boolean`;
    if (ARRAY_OPTS.has(k)) {
      if (!Array.isArray(v)) return `option "${k}" must be of type array`;
      if (v.some((x) => typeof x !== 'string')) return `option "${k}" must be of an array of strings`;
    }
  }
  return undefined;
}

/** Go's %T of a decoded JSON value. */
export function goTypeOf(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}
