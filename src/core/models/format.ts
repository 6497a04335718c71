// How model facts read in the Models view: sizes as `ollama list` prints them, times relative to now
// in the display language (Intl does the wording, so no strings to translate), the CPU/GPU split as
// `ollama ps` computes it, and model-name rules as the server's model.ParseName checks them.

const KB = 1000;
const MB = KB * 1000;
const GB = MB * 1000;
const TB = GB * 1000;

/** Decimal units, as Ollama's format.HumanBytes: `2.0 GB`, `986 MB`, `637 B`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  let value: number;
  let unit: string;
  if (bytes >= TB) { value = bytes / TB; unit = 'TB'; }
  else if (bytes >= GB) { value = bytes / GB; unit = 'GB'; }
  else if (bytes >= MB) { value = bytes / MB; unit = 'MB'; }
  else if (bytes >= KB) { value = bytes / KB; unit = 'KB'; }
  else return `${Math.trunc(bytes)} B`;
  if (value >= 10 || value === Math.trunc(value)) return `${Math.trunc(value)} ${unit}`;
  return `${value.toFixed(1)} ${unit}`;
}

const UNITS: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number, number]> = [
  // unit, its length in seconds, and below how many seconds it is used
  ['second', 1, 60],
  ['minute', 60, 3600],
  ['hour', 3600, 86400],
  ['day', 86400, 7 * 86400],
  ['week', 7 * 86400, 30 * 86400],
  ['month', 30 * 86400, 365 * 86400],
  ['year', 365 * 86400, Infinity],
];

/** "3 weeks ago", "in 4 minutes", "now" — in `locale` (a BCP 47 tag such as VS Code's display language). */
export function formatRelative(targetMs: number, nowMs: number, locale?: string): string {
  if (!Number.isFinite(targetMs)) return '';
  const rtf = relativeFormat(locale);
  const secs = (targetMs - nowMs) / 1000;
  const abs = Math.abs(secs);
  if (abs < 10) return rtf.format(0, 'second');
  for (const [unit, size, below] of UNITS) {
    if (abs < below) return rtf.format(Math.round(secs / size), unit);
  }
  return rtf.format(Math.round(secs / (365 * 86400)), 'year');
}

function relativeFormat(locale?: string): Intl.RelativeTimeFormat {
  try {
    return new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  } catch {
    return new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  }
}

/** When a running model unloads: `forever` for a negative keep_alive (the server reports ~292 years
 * ahead), `unknown` for a missing or zero Go time. */
export type Expiry = { kind: 'forever' } | { kind: 'at'; ms: number } | { kind: 'unknown' };

const FOREVER_AFTER_MS = 100 * 365 * 86400_000;

export function expiryOf(expiresAt: string | undefined, nowMs: number): Expiry {
  if (!expiresAt) return { kind: 'unknown' };
  const ms = Date.parse(expiresAt);
  if (Number.isNaN(ms) || ms <= 0) return { kind: 'unknown' };
  if (ms - nowMs > FOREVER_AFTER_MS) return { kind: 'forever' };
  return { kind: 'at', ms };
}

/** Share of a loaded model in GPU memory, as `ollama ps` computes it; undefined when the numbers do
 * not make sense (VRAM larger than the model, no size). */
export function processorSplit(size: number, sizeVram: number): { gpuPercent: number; cpuPercent: number } | undefined {
  if (!(size > 0) || sizeVram < 0 || sizeVram > size) return undefined;
  if (sizeVram === 0) return { gpuPercent: 0, cpuPercent: 100 };
  if (sizeVram === size) return { gpuPercent: 100, cpuPercent: 0 };
  const cpuPercent = Math.round(((size - sizeVram) / size) * 100);
  return { gpuPercent: 100 - cpuPercent, cpuPercent };
}

// Model names: [host/][namespace/]model[:tag], each part as Ollama's types/model/name.go allows.
const PART = {
  host: /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,349}$/,
  namespace: /^[A-Za-z0-9_][A-Za-z0-9_-]{0,79}$/,
  model: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$/,
  tag: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$/,
};

export interface ModelNameParts { host?: string; namespace?: string; model: string; tag?: string }

/** The parts of a model name, or undefined when the server would reject it. */
export function parseModelName(input: string): ModelNameParts | undefined {
  const s = input.trim();
  if (!s || /\s/.test(s)) return undefined;
  const slash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  let rest = s;
  let tag: string | undefined;
  if (colon > slash) {
    tag = s.slice(colon + 1);
    rest = s.slice(0, colon);
    if (!PART.tag.test(tag)) return undefined;
  }
  const parts = rest.split('/');
  if (parts.length > 3) return undefined;
  const model = parts.pop()!;
  const namespace = parts.pop();
  const host = parts.pop();
  if (!PART.model.test(model)) return undefined;
  if (namespace !== undefined && !PART.namespace.test(namespace)) return undefined;
  if (host !== undefined && !PART.host.test(host)) return undefined;
  return { model, ...(namespace !== undefined ? { namespace } : {}), ...(host !== undefined ? { host } : {}), ...(tag !== undefined ? { tag } : {}) };
}

export function isValidModelName(input: string): boolean {
  return parseModelName(input) !== undefined;
}

/** The name the server lists: `:latest` added when there is no tag; the default registry and
 * `library/` namespace dropped. Case-insensitive comparisons should lower-case the result. */
export function canonicalModelName(input: string): string {
  const p = parseModelName(input);
  if (!p) return input.trim();
  let prefix = '';
  if (p.host && p.host !== 'registry.ollama.ai') prefix = `${p.host}/${p.namespace ?? 'library'}/`;
  else if (p.namespace && p.namespace !== 'library') prefix = `${p.namespace}/`;
  return `${prefix}${p.model}:${p.tag ?? 'latest'}`;
}

export function sameModel(a: string, b: string): boolean {
  return canonicalModelName(a).toLowerCase() === canonicalModelName(b).toLowerCase();
}

/**
 * A model name to suggest for a Modelfile: the folder name for a file called `Modelfile`, else the
 * file name without `.modelfile` (or what follows `Modelfile.`), made into a valid model part.
 */
export function defaultModelName(filePath: string): string {
  const parts = filePath.split(/[\\/]/).filter(Boolean);
  const base = parts.at(-1) ?? '';
  let stem: string;
  if (/^modelfile$/i.test(base)) stem = parts.at(-2) ?? '';
  else if (/\.modelfile$/i.test(base)) stem = base.slice(0, -'.modelfile'.length);
  else if (/^modelfile\./i.test(base)) stem = base.slice('modelfile.'.length);
  else stem = base.replace(/\.[^.]*$/, '');
  const name = stem.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9_]+/, '').replace(/-+$/, '').slice(0, 80);
  return name || 'my-model';
}
