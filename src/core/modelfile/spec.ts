// What the Modelfile language contains: its instructions, the PARAMETER names with their types
// (protocol §5.1, `api.Options` at ollama fb30760), the deprecated names the CLI drops, and the
// MESSAGE roles. One table feeds the parser (type conversion), the completions and the hovers.

export type InstructionName =
  | 'from' | 'parameter' | 'template' | 'system' | 'adapter' | 'license' | 'message'
  | 'requires' | 'renderer' | 'parser' | 'draft';

export interface InstructionSpec {
  name: InstructionName;
  /** Upper-case spelling, as written by convention. */
  keyword: string;
  /** The argument shape, for display. */
  syntax: string;
  documentation: string;
  /** May appear more than once with every occurrence kept (LICENSE, MESSAGE, PARAMETER). */
  repeatable: boolean;
}

export const INSTRUCTIONS: readonly InstructionSpec[] = [
  { name: 'from', keyword: 'FROM', syntax: 'FROM <model name | path to .gguf | safetensors directory>', repeatable: false,
    documentation: 'The base model (required). A model name such as `llama3.2` or `hf.co/user/repo:Q4_K_M`, a `.gguf` file, or a safetensors directory. Paths are relative to the Modelfile; `~` expands to the home directory.' },
  { name: 'parameter', keyword: 'PARAMETER', syntax: 'PARAMETER <name> <value>', repeatable: true,
    documentation: 'A default runtime option of the model (same names as the API `options`). `stop` may repeat; other names keep the last value.' },
  { name: 'template', keyword: 'TEMPLATE', syntax: 'TEMPLATE """<Go template>"""', repeatable: false,
    documentation: 'The full prompt template, in Go template syntax (`{{ .System }}`, `{{ .Prompt }}`, `{{ range .Messages }}`…).' },
  { name: 'system', keyword: 'SYSTEM', syntax: 'SYSTEM """<text>"""', repeatable: false,
    documentation: 'The default system message.' },
  { name: 'adapter', keyword: 'ADAPTER', syntax: 'ADAPTER <path to .gguf | safetensors directory>', repeatable: false,
    documentation: 'A LoRA adapter applied to the base model (only one is supported). The path is relative to the Modelfile.' },
  { name: 'license', keyword: 'LICENSE', syntax: 'LICENSE """<text>"""', repeatable: true,
    documentation: 'The legal license of the model. May repeat.' },
  { name: 'message', keyword: 'MESSAGE', syntax: 'MESSAGE <system|user|assistant> <content>', repeatable: true,
    documentation: 'A message baked into the conversation history, e.g. a few-shot example.' },
  { name: 'requires', keyword: 'REQUIRES', syntax: 'REQUIRES <semver>', repeatable: false,
    documentation: 'The minimum Ollama version able to run this model, as a semantic version (e.g. `0.14.0`).' },
  { name: 'renderer', keyword: 'RENDERER', syntax: 'RENDERER <name>', repeatable: false,
    documentation: 'A built-in prompt renderer used instead of TEMPLATE.' },
  { name: 'parser', keyword: 'PARSER', syntax: 'PARSER <name>', repeatable: false,
    documentation: 'A built-in parser for the model output (thinking, tool calls).' },
  { name: 'draft', keyword: 'DRAFT', syntax: 'DRAFT <path to .gguf | safetensors directory>', repeatable: false,
    documentation: 'A local draft model for speculative decoding (see the `draft_num_predict` parameter).' },
];

export const INSTRUCTION_NAMES: readonly InstructionName[] = INSTRUCTIONS.map((i) => i.name);

export type ParameterType = 'int' | 'float' | 'bool' | 'string[]';

export interface ParameterSpec {
  name: string;
  type: ParameterType;
  /** The server default, as the protocol reference states it. */
  default: string;
  documentation: string;
}

export const PARAMETERS: readonly ParameterSpec[] = [
  { name: 'num_ctx', type: 'int', default: 'OLLAMA_CONTEXT_LENGTH, else automatic (4096 / 32768 / 262144 by VRAM <23 / ≥23 / ≥47 GiB)', documentation: 'Context window size in tokens (load-time: changing it reloads the model).' },
  { name: 'num_batch', type: 'int', default: '512', documentation: 'Prompt-processing batch size (load-time).' },
  { name: 'num_gpu', type: 'int', default: '-1 (auto)', documentation: 'Number of layers to offload to the GPU (load-time).' },
  { name: 'main_gpu', type: 'int', default: 'unset', documentation: 'GPU used for small tensors when splitting across GPUs (load-time).' },
  { name: 'use_mmap', type: 'bool', default: 'unset (auto)', documentation: 'Memory-map the model file (load-time).' },
  { name: 'num_thread', type: 'int', default: '0 (auto)', documentation: 'CPU threads used for generation (load-time).' },
  { name: 'draft_num_predict', type: 'int', default: '4 with a draft model, else 0', documentation: 'Tokens the draft model proposes per step (speculative decoding).' },
  { name: 'num_keep', type: 'int', default: '4', documentation: 'Tokens kept from the start of the prompt when the context shifts.' },
  { name: 'seed', type: 'int', default: '-1 (random)', documentation: 'Random seed; a fixed seed makes output reproducible.' },
  { name: 'num_predict', type: 'int', default: '-1 (unlimited)', documentation: 'Maximum tokens to generate; reaching it ends with done_reason "length".' },
  { name: 'top_k', type: 'int', default: '40', documentation: 'Sample only among the k most likely tokens.' },
  { name: 'top_p', type: 'float', default: '0.9', documentation: 'Nucleus sampling: keep the smallest token set whose probability sum reaches p.' },
  { name: 'min_p', type: 'float', default: '0.0', documentation: 'Drop tokens less likely than p × the most likely token.' },
  { name: 'typical_p', type: 'float', default: '1.0', documentation: 'Locally typical sampling (1.0 = off).' },
  { name: 'repeat_last_n', type: 'int', default: '64 (0 = off, -1 = num_ctx)', documentation: 'How far back the repetition penalties look.' },
  { name: 'temperature', type: 'float', default: '0.8', documentation: 'Sampling temperature: higher is more creative, lower more deterministic.' },
  { name: 'repeat_penalty', type: 'float', default: '1.0', documentation: 'Penalty for repeating recent tokens (1.0 = off).' },
  { name: 'presence_penalty', type: 'float', default: '0.0', documentation: 'Penalty for tokens that already appeared.' },
  { name: 'frequency_penalty', type: 'float', default: '0.0', documentation: 'Penalty growing with how often a token appeared.' },
  { name: 'stop', type: 'string[]', default: 'model-defined', documentation: 'A stop sequence; repeat the line for several.' },
];

const PARAMETER_BY_NAME = new Map(PARAMETERS.map((p) => [p.name, p]));

/** Case-sensitive, as the server's option decoding is. */
export function parameterSpec(name: string): ParameterSpec | undefined {
  return PARAMETER_BY_NAME.get(name);
}

/** Removed options the CLI drops with a warning instead of failing. */
export const DEPRECATED_PARAMETERS: readonly string[] = [
  'penalize_newline', 'low_vram', 'f16_kv', 'logits_all', 'vocab_only', 'use_mlock', 'mirostat', 'mirostat_tau', 'mirostat_eta',
];

export type MessageRole = 'system' | 'user' | 'assistant';

export const MESSAGE_ROLES: ReadonlyArray<{ role: MessageRole; documentation: string }> = [
  { role: 'system', documentation: 'A system message.' },
  { role: 'user', documentation: 'Something the user said.' },
  { role: 'assistant', documentation: 'How the model answered: shapes the replies that follow.' },
];
