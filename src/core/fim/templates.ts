// Fill-in-the-middle prompt formats and stop tokens per model family, and telling the family (or
// "this model cannot fill in the middle") from a model name. Every token here is byte-exact: a
// wrong character (an ASCII `|` for DeepSeek's U+FF5C, a space for its U+2581) turns a special token
// into plain text the model never saw in training, and the completions silently go bad.

export type FimFamily = 'codellama' | 'deepseek' | 'starcoder' | 'qwen' | 'codegemma' | 'codestral';

export interface FimTemplate {
  readonly family: FimFamily;
  /** Human-readable name for logs and messages. */
  readonly label: string;
  /** The raw prompt (sent with `raw: true`, bypassing the model's own template). */
  build(prefix: string, suffix: string): string;
  /** Stop sequences to send with a raw prompt. */
  readonly stop: readonly string[];
  /** The format's special tokens: none of them may ever reach the editor. */
  readonly tokens: readonly string[];
}

// DeepSeek-Coder's tokens use U+FF5C FULLWIDTH VERTICAL LINE and U+2581 LOWER ONE EIGHTH BLOCK.
const DS_BEGIN = '<\uFF5Cfim\u2581begin\uFF5C>';
const DS_HOLE = '<\uFF5Cfim\u2581hole\uFF5C>';
const DS_END = '<\uFF5Cfim\u2581end\uFF5C>';
const DS_EOS = '<\uFF5Cend\u2581of\u2581sentence\uFF5C>';

const QWEN_STOP = ['<|endoftext|>', '<|file_sep|>', '<|fim_pad|>'] as const;

export const FIM_TEMPLATES: Readonly<Record<FimFamily, FimTemplate>> = {
  codellama: {
    family: 'codellama',
    label: 'CodeLlama',
    build: (p, s) => `<PRE> ${p} <SUF>${s} <MID>`,
    stop: ['<EOT>'],
    tokens: ['<PRE>', '<SUF>', '<MID>', '<EOT>'],
  },
  deepseek: {
    family: 'deepseek',
    label: 'DeepSeek-Coder',
    build: (p, s) => `${DS_BEGIN}${p}${DS_HOLE}${s}${DS_END}`,
    stop: [DS_EOS],
    tokens: [DS_BEGIN, DS_HOLE, DS_END, DS_EOS],
  },
  starcoder: {
    family: 'starcoder',
    label: 'StarCoder',
    build: (p, s) => `<fim_prefix>${p}<fim_suffix>${s}<fim_middle>`,
    stop: ['<|endoftext|>', '<file_sep>'],
    tokens: ['<fim_prefix>', '<fim_suffix>', '<fim_middle>', '<fim_pad>', '<|endoftext|>', '<file_sep>'],
  },
  qwen: {
    family: 'qwen',
    label: 'Qwen2.5-Coder',
    build: (p, s) => `<|fim_prefix|>${p}<|fim_suffix|>${s}<|fim_middle|>`,
    stop: [...QWEN_STOP],
    tokens: ['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', ...QWEN_STOP, '<|repo_name|>', '<|im_start|>', '<|im_end|>'],
  },
  codegemma: {
    family: 'codegemma',
    label: 'CodeGemma',
    build: (p, s) => `<|fim_prefix|>${p}<|fim_suffix|>${s}<|fim_middle|>`,
    stop: [...QWEN_STOP, '<|file_separator|>', '<end_of_turn>'],
    tokens: ['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', ...QWEN_STOP, '<|file_separator|>', '<end_of_turn>', '<start_of_turn>'],
  },
  codestral: {
    family: 'codestral',
    label: 'Codestral',
    build: (p, s) => `[SUFFIX]${s}[PREFIX]${p}`,
    stop: ['[PREFIX]', '[SUFFIX]'],
    tokens: ['[PREFIX]', '[SUFFIX]', '[MIDDLE]'],
  },
};

export const FIM_FAMILIES: readonly FimFamily[] = Object.keys(FIM_TEMPLATES) as FimFamily[];

/** The raw FIM prompt of a family. */
export function buildRawPrompt(family: FimFamily, prefix: string, suffix: string): string {
  return FIM_TEMPLATES[family].build(prefix, suffix);
}

// Tokens that cannot be ordinary code, cut from any model's output. `<PRE>`, `[SUFFIX]` and the like
// can (HTML, Markdown), so they are cut only when that family is the one in use.
const AMBIGUOUS = new Set(['<PRE>', '<SUF>', '<MID>', '[PREFIX]', '[SUFFIX]', '[MIDDLE]']);
const UNIVERSAL: readonly string[] = [...new Set(FIM_FAMILIES.flatMap((f) => FIM_TEMPLATES[f].tokens))].filter((t) => !AMBIGUOUS.has(t));

/** Every special token that must never reach the editor for a model of `family` (or unknown family). */
export function specialTokens(family?: FimFamily): readonly string[] {
  if (!family) return UNIVERSAL;
  let list = BY_FAMILY.get(family);
  if (!list) BY_FAMILY.set(family, list = [...new Set([...FIM_TEMPLATES[family].tokens, ...UNIVERSAL])]);
  return list;
}
const BY_FAMILY = new Map<FimFamily, readonly string[]>();

/** Lower-cased model name without registry/namespace (`hf.co/Qwen/Qwen2.5-Coder-1.5B-GGUF:Q4` -> `qwen2.5-coder-1.5b-gguf:q4`). */
export function baseModelName(model: string): string {
  const m = model.trim().toLowerCase();
  const slash = m.lastIndexOf('/');
  return slash >= 0 ? m.slice(slash + 1) : m;
}

// Order matters only for readability: the patterns do not overlap. `code[-_.]?llama` must never see
// `qwen2.5-coder` (Twinny's bug), and nothing matches on a bare `code`.
const NAME_PATTERNS: ReadonlyArray<[RegExp, FimFamily]> = [
  [/deepseek[-_. ]?coder/, 'deepseek'],
  [/qwen[\d.]*[-_. ]?coder/, 'qwen'],
  [/code[-_. ]?gemma/, 'codegemma'],
  [/code[-_. ]?llama/, 'codellama'],
  [/codestral/, 'codestral'],
  [/starcoder|stable[-_. ]?code/, 'starcoder'],
];

/** The FIM family a model name says, or undefined. Says nothing about instruct vs base. */
export function familyFromName(model: string): FimFamily | undefined {
  const n = baseModelName(model);
  for (const [re, family] of NAME_PATTERNS) if (re.test(n)) return family;
  return undefined;
}

/** The parts of `/api/show` the family detection reads (a ShowResponse fits), and the FIM tokens
 * an OpenAI-compatible server's tokenizer reported (llama.cpp / vLLM /tokenize). */
export interface ShowLike {
  template?: string;
  details?: { family?: string; parent_model?: string };
  model_info?: Record<string, unknown>;
  fimTokens?: { prefix: string; suffix: string; middle: string };
}

/** The family whose raw prompt uses these FIM tokens (the server's tokenizer reported them), or
 * undefined for a format none of the templates builds (GLM's `<|code_prefix|>`, `<fim-prefix>`…).
 * Qwen and CodeGemma share the tokens and the prompt; Granite uses StarCoder's. */
export function familyFromFimTokens(t: { prefix: string; suffix: string; middle: string } | undefined): FimFamily | undefined {
  if (!t) return undefined;
  for (const f of ['deepseek', 'qwen', 'starcoder', 'codellama'] as const) {
    const built = FIM_TEMPLATES[f].build('\u0001', '\u0002');
    const [pre, rest] = built.split('\u0001') as [string, string];
    const [suf, mid] = rest.split('\u0002') as [string, string];
    if (pre.trim() === t.prefix && suf.trim() === t.suffix && mid.trim() === t.middle) return f;
  }
  return undefined;
}

/** Family from the name, else from show: the parent model, the GGUF names, the template's own FIM
 * tokens, and the architecture where it is unambiguous (`llama`/`qwen2`/`gemma` are not: they are
 * also chat models). */
export function detectFamily(model: string, show?: ShowLike): FimFamily | undefined {
  // What the server's tokenizer has beats what the name suggests (llama.cpp lists file names).
  const byTokens = familyFromFimTokens(show?.fimTokens);
  if (byTokens) return byTokens;
  const byName = familyFromName(model);
  if (byName || !show) return byName;
  const info = show.model_info ?? {};
  for (const n of [show.details?.parent_model, info['general.basename'], info['general.name']]) {
    if (typeof n === 'string' && n) {
      const f = familyFromName(n);
      if (f) return f;
    }
  }
  const t = show.template ?? '';
  if (t.includes(DS_BEGIN)) return 'deepseek';
  if (t.includes('<fim_prefix>')) return 'starcoder';
  if (t.includes('<|fim_prefix|>')) {
    const gemma = /gemma/i.test(show.details?.family ?? '') || t.includes('<|file_separator|>') || t.includes('<start_of_turn>');
    return gemma ? 'codegemma' : 'qwen';
  }
  if (t.includes('<PRE>') && t.includes('<MID>')) return 'codellama';
  if (t.includes('[SUFFIX]') && t.includes('[PREFIX]')) return 'codestral';
  const arch = (show.details?.family ?? '').toLowerCase();
  if (arch === 'starcoder' || arch === 'starcoder2') return 'starcoder';
  return undefined;
}

/** A chat/instruct tag: these models answer questions instead of continuing code. */
export function isInstructModel(model: string): boolean {
  return /(^|[^a-z])(instruct|chat|it)([^a-z]|$)/.test(baseModelName(model));
}

export const DEFAULT_FIM_MODEL = 'qwen2.5-coder:1.5b-base';

// Base/code tags published in the Ollama library, by family: [name, sizes, tag suffix].
const BASE_TAGS: Partial<Record<FimFamily, { name: string; sizes: string[]; tag: (size: string) => string }>> = {
  qwen: { name: 'qwen2.5-coder', sizes: ['0.5b', '1.5b', '3b', '7b', '14b', '32b'], tag: (s) => `${s}-base` },
  codellama: { name: 'codellama', sizes: ['7b', '13b', '34b', '70b'], tag: (s) => `${s}-code` },
  deepseek: { name: 'deepseek-coder', sizes: ['1.3b', '6.7b', '33b'], tag: (s) => `${s}-base` },
  codegemma: { name: 'codegemma', sizes: ['2b', '7b'], tag: (s) => (s === '2b' ? '2b' : `${s}-code`) },
  starcoder: { name: 'starcoder2', sizes: ['3b', '7b', '15b'], tag: (s) => s },
};

/** The model to use instead of one that cannot fill in the middle: the base/code variant of the same
 * family and size when the library has one, else `qwen2.5-coder:1.5b-base`. */
export function suggestFimModel(model: string, fallback: string = DEFAULT_FIM_MODEL): string {
  const family = familyFromName(model);
  const base = family ? BASE_TAGS[family] : undefined;
  if (!base || !baseModelName(model).startsWith(base.name + ':')) return fallback;
  const size = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?b)(?![a-z0-9])/.exec(baseModelName(model).slice(base.name.length + 1))?.[1];
  return size && base.sizes.includes(size) ? `${base.name}:${base.tag(size)}` : fallback;
}
