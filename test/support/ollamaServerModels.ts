// Model fixtures for the Ollama test server: the public fixture type, the default installed and
// pullable models, and how a fixture renders in /api/tags, /api/ps and /api/show.
import { displayName, goTimeLocal, parseModelName, sha256Hex, type ModelName } from './ollamaServerWire';

export interface ModelFixture {
  /** e.g. 'llama3.2:latest' (the tag defaults to :latest when given without one) */
  name: string;
  size?: number;
  /** bare hex manifest digest (as /api/tags shows it) */
  digest?: string;
  family?: string;
  families?: string[] | null;
  parameter_size?: string;
  quantization_level?: string;
  format?: string;
  /** e.g. ['completion','tools'], ['completion','insert'], ['completion','vision'], ['embedding'] */
  capabilities?: string[];
  template?: string;
  system?: string;
  license?: string;
  /** as /api/show returns them: `name<pad to 30> value` lines */
  parameters?: string;
  /** put in model_info['<family>.context_length'] */
  context_length?: number;
  /** native embedding size (default 384 for embedding models, else 2048/3072-ish per family) */
  embedding_length?: number;
  modified_at?: string;
  /** `details.parent_model` (set for models created with `from`) */
  parent_model?: string;
  /** /api/show `thinking: {values, default}` (newer servers, for models with thinking metadata):
   * e.g. [false, true] (on/off) or ['low', 'medium', 'high'] (gpt-oss levels). */
  thinking_values?: Array<boolean | string>;
  thinking_default?: boolean | string;
  /**
   * Where this model's reasoning goes (default 'fields': the server's thinking parser puts it in
   * `thinking` / `message.thinking` / `delta.reasoning`). Without a parser (older servers, a GGUF
   * import) it is raw text in the content: 'tags' = `<think>…</think>` first; 'tags-open-in-template'
   * = the template ends with `<think>` (DeepSeek-R1), so the content has only the closing tag.
   * Such a model thinks whatever `think` says (nothing tells it not to).
   */
  thinking_output?: 'fields' | 'tags' | 'tags-open-in-template';
}

export interface Layer {
  digest: string;
  size: number;
  mediaType?: string;
}

/** A model as the server stores it: normalized fixture + sort key + layers. */
export interface StoredModel {
  fx: Required<Pick<ModelFixture, 'name' | 'size' | 'digest' | 'format' | 'family' | 'parameter_size' | 'quantization_level' | 'capabilities'>> &
    ModelFixture;
  parsed: ModelName;
  modifiedMs: number;
  layers: Layer[];
}

const LLAMA3_TEMPLATE = `<|start_header_id|>system<|end_header_id|>

{{ if .System }}{{ .System }}{{ end }}<|eot_id|>{{ range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>

{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>

`;

const QWEN_CODER_TEMPLATE = `{{- if .Suffix }}<|fim_prefix|>{{ .Prompt }}<|fim_suffix|>{{ .Suffix }}<|fim_middle|>
{{- else if .Messages }}
{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
{{ else }}{{ .Prompt }}{{ end }}`;

const LLAVA_TEMPLATE = `[INST] {{ if .System }}{{ .System }} {{ end }}{{ .Prompt }} [/INST]`;

const QWEN3_TEMPLATE = `{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
{{ if .Think }}<think>
{{ end }}`;

/** Format one /api/show parameter line: Go's `%-30s %#v`. */
export function paramLine(name: string, value: unknown): string {
  const v = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `${name.padEnd(30)} ${v}`;
}

export const DEFAULT_MODELS: ModelFixture[] = [
  {
    name: 'llama3.2:latest',
    size: 2019393189,
    digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
    family: 'llama',
    families: ['llama'],
    parameter_size: '3.2B',
    quantization_level: 'Q4_K_M',
    capabilities: ['completion', 'tools'],
    template: LLAMA3_TEMPLATE,
    license: 'LLAMA 3.2 COMMUNITY LICENSE AGREEMENT\nLlama 3.2 Version Release Date: September 25, 2024',
    parameters: [
      paramLine('stop', '<|start_header_id|>'),
      paramLine('stop', '<|end_header_id|>'),
      paramLine('stop', '<|eot_id|>'),
    ].join('\n'),
    context_length: 131072,
    embedding_length: 3072,
    modified_at: '2025-05-04T17:37:44.706015396-07:00',
  },
  {
    name: 'qwen2.5-coder:1.5b',
    size: 986062089,
    digest: '6d3abb8d2d53ad5a2e4f5c34a6d1b1c6a05bd5e2bd6e7e4a9b4c3f0e0f9d2a11',
    family: 'qwen2',
    families: ['qwen2'],
    parameter_size: '1.5B',
    quantization_level: 'Q4_K_M',
    capabilities: ['completion', 'insert'],
    template: QWEN_CODER_TEMPLATE,
    system: 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.',
    license: 'Apache License\nVersion 2.0, January 2004',
    parameters: '',
    context_length: 32768,
    embedding_length: 1536,
    modified_at: '2025-05-03T09:12:01.123456789-07:00',
  },
  {
    name: 'llava:7b',
    size: 4733363377,
    digest: '8dd30f6b0cb19f555f2c7a7ebda861449ea2cc76bf1f44e262931f45fc81d081',
    family: 'llama',
    families: ['llama', 'clip'],
    parameter_size: '7B',
    quantization_level: 'Q4_0',
    capabilities: ['completion', 'vision'],
    template: LLAVA_TEMPLATE,
    license: 'Apache License\nVersion 2.0, January 2004',
    parameters: [paramLine('stop', '[INST]'), paramLine('stop', '[/INST]')].join('\n'),
    context_length: 32768,
    embedding_length: 4096,
    modified_at: '2025-04-28T21:40:10.5-07:00',
  },
  {
    name: 'all-minilm:latest',
    size: 45960996,
    digest: '1b226e2802dbb772b5fc32a58f103ca1804ef7501331012de126ab22f67475ef',
    family: 'bert',
    families: ['bert'],
    parameter_size: '23M',
    quantization_level: 'F16',
    capabilities: ['embedding'],
    license: 'Apache License\nVersion 2.0, January 2004',
    parameters: '',
    context_length: 512,
    embedding_length: 384,
    modified_at: '2025-04-20T11:02:33.000000001-07:00',
  },
  {
    name: 'qwen3:0.6b',
    size: 522653767,
    digest: '7df6b6e09427a769808717c0a93cadc4ae99ed4eb8bf5ca557c90846becea435',
    family: 'qwen3',
    families: ['qwen3'],
    parameter_size: '751.63M',
    quantization_level: 'Q4_K_M',
    capabilities: ['completion', 'tools', 'thinking'],
    template: QWEN3_TEMPLATE,
    license: 'Apache License\nVersion 2.0, January 2004',
    parameters: [paramLine('repeat_penalty', 1), paramLine('stop', '<|im_start|>'), paramLine('stop', '<|im_end|>'), paramLine('temperature', 0.6)].join('\n'),
    context_length: 40960,
    embedding_length: 1024,
    modified_at: '2025-04-15T08:00:00.25-07:00',
  },
];

export interface PullableModel {
  layers: Layer[];
  /** metadata the pulled model gets (name is taken from the pull) */
  model?: Partial<ModelFixture>;
}

function layer(seed: string, size: number): Layer {
  return { digest: 'sha256:' + sha256Hex(seed), size };
}

export const DEFAULT_PULLABLE: Record<string, PullableModel> = {
  'tinyllama:latest': {
    layers: [layer('tinyllama-model', 637699456), layer('tinyllama-template', 98), layer('tinyllama-params', 110), layer('tinyllama-config', 483)],
    model: { family: 'llama', families: ['llama'], parameter_size: '1B', quantization_level: 'Q4_0', capabilities: ['completion'], context_length: 2048 },
  },
  'smollm2:135m': {
    layers: [layer('smollm2-model', 270898672), layer('smollm2-template', 1591), layer('smollm2-system', 68), layer('smollm2-config', 488)],
    model: { family: 'llama', families: ['llama'], parameter_size: '134.52M', quantization_level: 'F16', capabilities: ['completion', 'tools'], context_length: 8192 },
  },
  'nomic-embed-text:latest': {
    layers: [layer('nomic-model', 274290656), layer('nomic-license', 11357), layer('nomic-params', 17), layer('nomic-config', 420)],
    model: { family: 'nomic-bert', families: ['nomic-bert'], parameter_size: '137M', quantization_level: 'F16', capabilities: ['embedding'], context_length: 2048, embedding_length: 768 },
  },
};

/** Deterministic layers for a fixture that was not pulled (model, template, params, license, config). */
export function synthLayers(fx: ModelFixture & { size: number }): Layer[] {
  const small: Layer[] = [];
  if (fx.template) small.push({ digest: 'sha256:' + sha256Hex(fx.template), size: Buffer.byteLength(fx.template) });
  if (fx.system) small.push({ digest: 'sha256:' + sha256Hex(fx.system), size: Buffer.byteLength(fx.system) });
  if (fx.parameters) small.push({ digest: 'sha256:' + sha256Hex(fx.parameters), size: Buffer.byteLength(fx.parameters) });
  if (fx.license) small.push({ digest: 'sha256:' + sha256Hex(fx.license), size: Buffer.byteLength(fx.license) });
  small.push({ digest: 'sha256:' + sha256Hex('config:' + fx.name), size: 487 });
  const rest = small.reduce((a, l) => a + l.size, 0);
  return [{ digest: 'sha256:' + sha256Hex('model:' + fx.name), size: Math.max(1, fx.size - rest) }, ...small];
}

/** Normalize a fixture (tag, defaults) into a stored model; `defaultMs` is used when it has no modified_at. Throws on an invalid name. */
export function storeModel(fx: ModelFixture, defaultMs: number): StoredModel {
  const parsed = parseModelName(fx.name);
  if (!parsed) throw new Error(`invalid model fixture name ${JSON.stringify(fx.name)}`);
  const name = displayName(parsed);
  const caps = fx.capabilities ?? ['completion'];
  const size = fx.size ?? 1_000_000_000;
  const family = fx.family ?? (caps.includes('embedding') ? 'bert' : 'llama');
  let modifiedMs: number;
  let modified_at = fx.modified_at;
  if (modified_at) {
    modifiedMs = Date.parse(modified_at);
    if (Number.isNaN(modifiedMs)) modifiedMs = 0;
  } else {
    modifiedMs = defaultMs;
    modified_at = goTimeLocal(modifiedMs, 123456);
  }
  const norm = {
    ...fx,
    name,
    size,
    digest: (fx.digest ?? sha256Hex('manifest:' + name)).replace(/^sha256:/, ''),
    format: fx.format ?? 'gguf',
    family,
    families: fx.families === undefined ? [family] : fx.families,
    parameter_size: fx.parameter_size ?? '1B',
    quantization_level: fx.quantization_level ?? 'Q4_K_M',
    capabilities: caps,
    modified_at,
  };
  return { fx: norm, parsed, modifiedMs, layers: synthLayers(norm) };
}

export function details(m: StoredModel, forPs = false): Record<string, unknown> {
  return {
    parent_model: forPs ? '' : (m.fx.parent_model ?? ''),
    format: m.fx.format,
    family: m.fx.family,
    families: m.fx.families ?? null,
    parameter_size: m.fx.parameter_size,
    quantization_level: m.fx.quantization_level,
  };
}

export function contextLength(m: StoredModel): number {
  return m.fx.context_length ?? (m.fx.capabilities.includes('embedding') ? 512 : 8192);
}

export function embeddingLength(m: StoredModel): number {
  return m.fx.embedding_length ?? (m.fx.capabilities.includes('embedding') ? 384 : 2048);
}

function parameterCount(ps: string): number {
  const m = /^([\d.]+)([KMBT]?)$/i.exec(ps);
  if (!m) return 1e9;
  const mult: Record<string, number> = { '': 1, K: 1e3, M: 1e6, B: 1e9, T: 1e12 };
  return Math.round(parseFloat(m[1]) * mult[m[2].toUpperCase()]);
}

/** The /api/show response for a stored model (field order as api.ShowResponse). */
export function showResponse(m: StoredModel, opts: { verbose: boolean; system?: string }): Record<string, unknown> {
  const fx = m.fx;
  const arch = fx.family;
  const system = opts.system ?? fx.system;
  const modelfile: string[] = [
    '# Modelfile generated by "ollama show"',
    '# To build a new Modelfile based on this, replace FROM with:',
    `# FROM ${fx.name}`,
    '',
    `FROM /root/.ollama/models/blobs/${m.layers[0].digest.replace(':', '-')}`,
  ];
  if (fx.template) modelfile.push(`TEMPLATE """${fx.template}"""`);
  if (system) modelfile.push(`SYSTEM """${system}"""`);
  for (const line of (fx.parameters ?? '').split('\n').filter(Boolean)) {
    const sp = line.indexOf(' ');
    const name = line.slice(0, sp);
    let value = line.slice(sp).trim();
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        /* keep raw */
      }
    }
    modelfile.push(`PARAMETER ${name} ${value}`);
  }
  if (fx.license) modelfile.push(`LICENSE """${fx.license}"""`);
  const modelInfo: Record<string, unknown> = {
    'general.architecture': arch,
    'general.file_type': fx.quantization_level === 'F16' ? 1 : 15,
    'general.parameter_count': parameterCount(fx.parameter_size),
    'general.quantization_version': 2,
    [`${arch}.attention.head_count`]: 32,
    [`${arch}.block_count`]: 28,
    [`${arch}.context_length`]: contextLength(m),
    [`${arch}.embedding_length`]: embeddingLength(m),
    'tokenizer.ggml.model': fx.capabilities.includes('embedding') ? 'bert' : 'gpt2',
    'tokenizer.ggml.tokens': opts.verbose ? ['<s>', '</s>', 'hello', 'world'] : [],
    'tokenizer.ggml.token_type': opts.verbose ? [3, 3, 1, 1] : [],
  };
  const out: Record<string, unknown> = {};
  if (fx.license) out.license = fx.license;
  out.modelfile = modelfile.join('\n') + '\n';
  if (fx.parameters) out.parameters = fx.parameters;
  if (fx.template) out.template = fx.template;
  if (system) out.system = system;
  out.details = details(m);
  out.model_info = modelInfo;
  if (fx.capabilities.includes('vision')) {
    out.projector_info = {
      'clip.has_vision_encoder': true,
      'clip.vision.embedding_length': 1024,
      'clip.vision.image_size': 336,
      'clip.vision.patch_size': 14,
      'general.architecture': 'clip',
    };
  }
  out.tensors = [
    { name: 'token_embd.weight', type: fx.quantization_level, shape: [embeddingLength(m), 32000] },
    { name: 'output_norm.weight', type: 'F32', shape: [embeddingLength(m)] },
  ];
  out.capabilities = fx.capabilities;
  if (fx.thinking_values) out.thinking = { values: fx.thinking_values, ...(fx.thinking_default !== undefined ? { default: fx.thinking_default } : {}) };
  out.modified_at = fx.modified_at;
  return out;
}
