// The "Show Model Details" document: an /api/show answer as markdown. The headings come in
// translated from the editor side (labels), so this stays pure and testable.

import type { ModelResponse, ShowResponse } from '../ollama/types';
import { formatBytes } from './format';

export interface ShowLabels {
  details: string;
  family: string;
  parameters: string;
  quantization: string;
  format: string;
  parentModel: string;
  contextLength: string;
  embeddingLength: string;
  capabilities: string;
  modified: string;
  size: string;
  digest: string;
  modelInfo: string;
  projectorInfo: string;
  defaultParameters: string;
  systemPrompt: string;
  template: string;
  messages: string;
  license: string;
  name: string;
  value: string;
  none: string;
}

export interface RenderOptions {
  /** The entry from /api/tags, for size and digest (show does not return them). */
  listed?: ModelResponse;
  /** Formats a timestamp for display (defaults to the ISO text). */
  formatDate?: (iso: string) => string;
}

/** One `name value` row per line of the show `parameters` text (values stay Go-quoted as sent). */
export function parseParameterLines(text: string | undefined): Array<[string, string]> {
  if (!text) return [];
  const rows: Array<[string, string]> = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\S+)\s+(.*?)\s*$/.exec(line);
    if (m) rows.push([m[1], m[2]]);
  }
  return rows;
}

const INFO_FIRST = [
  'general.architecture', 'general.basename', 'general.size_label', 'general.parameter_count', 'general.file_type',
  'general.quantization_version', 'general.license',
];
const ARCH_FIRST = ['context_length', 'embedding_length', 'block_count', 'feed_forward_length', 'attention.head_count', 'attention.head_count_kv', 'rope.freq_base'];
const MAX_INFO_ROWS = 24;

/** The model_info entries worth reading: scalars of `general.*`, `<architecture>.*` and the tokenizer
 * kind, the well-known ones first; arrays (token lists) and long text left out. */
export function modelInfoHighlights(info: Record<string, unknown> | undefined): Array<[string, string]> {
  if (!info) return [];
  const arch = typeof info['general.architecture'] === 'string' ? (info['general.architecture'] as string) : '';
  const scalar = (v: unknown): string | undefined => {
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
    if (typeof v === 'boolean') return String(v);
    if (typeof v === 'string' && v.length <= 120 && !v.includes('\n')) return v;
    return undefined;
  };
  const wanted = (k: string) => k.startsWith('general.') || (arch !== '' && k.startsWith(arch + '.')) || k === 'tokenizer.ggml.model';
  const order = [...INFO_FIRST, ...ARCH_FIRST.map((k) => `${arch}.${k}`)];
  const rank = (k: string) => {
    const i = order.indexOf(k);
    return i < 0 ? order.length : i;
  };
  const keys = Object.keys(info).filter((k) => wanted(k) && scalar(info[k]) !== undefined);
  keys.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return keys.slice(0, MAX_INFO_ROWS).map((k) => {
    let v = scalar(info[k])!;
    if (k === 'general.parameter_count' && typeof info[k] === 'number') v = `${v} (${humanCount(info[k] as number)})`;
    return [k, v];
  });
}

/** 3212749888 → 3.2B, 134515008 → 134.5M */
export function humanCount(n: number): string {
  if (n >= 1e12) return `${trim(n / 1e12)}T`;
  if (n >= 1e9) return `${trim(n / 1e9)}B`;
  if (n >= 1e6) return `${trim(n / 1e6)}M`;
  if (n >= 1e3) return `${trim(n / 1e3)}K`;
  return String(n);
}

function trim(x: number): string {
  return x >= 100 ? String(Math.round(x)) : String(Number(x.toFixed(1)));
}

export function renderModelMarkdown(name: string, show: ShowResponse, labels: ShowLabels, o: RenderOptions = {}): string {
  const out: string[] = [`# ${escapeText(name)}`, ''];
  const d = show.details ?? {};
  const info = show.model_info ?? {};
  const arch = typeof info['general.architecture'] === 'string' ? (info['general.architecture'] as string) : d.family ?? '';
  const families = Array.isArray(d.families) ? d.families.filter((f) => f && f !== d.family) : [];
  const ctx = info[`${arch}.context_length`];
  const emb = info[`${arch}.embedding_length`];
  const facts: Array<[string, string | undefined]> = [
    [labels.family, d.family ? d.family + (families.length ? ` (${families.join(', ')})` : '') : undefined],
    [labels.parameters, d.parameter_size],
    [labels.quantization, d.quantization_level],
    [labels.format, d.format],
    [labels.parentModel, d.parent_model || undefined],
    [labels.contextLength, typeof ctx === 'number' ? String(ctx) : undefined],
    [labels.embeddingLength, typeof emb === 'number' ? String(emb) : undefined],
    [labels.capabilities, show.capabilities?.length ? show.capabilities.map((c) => `\`${c}\``).join(' ') : undefined],
    [labels.size, o.listed ? formatBytes(o.listed.size) : undefined],
    [labels.modified, (show.modified_at ?? o.listed?.modified_at) ? (o.formatDate ?? ((s: string) => s))((show.modified_at ?? o.listed?.modified_at)!) : undefined],
    [labels.digest, o.listed?.digest ? `\`${o.listed.digest.slice(0, 12)}\`` : undefined],
  ];
  out.push(`## ${labels.details}`, '', ...table(labels, facts.filter((f): f is [string, string] => !!f[1]), false), '');

  const params = parseParameterLines(show.parameters);
  if (params.length) out.push(`## ${labels.defaultParameters}`, '', ...table(labels, params.map(([k, v]) => [`\`${k}\``, code(v)]), true), '');
  if (show.system) out.push(`## ${labels.systemPrompt}`, '', ...fence(show.system, 'text'), '');
  if (show.template) out.push(`## ${labels.template}`, '', ...fence(show.template, 'go-template'), '');
  if (show.messages?.length) {
    out.push(`## ${labels.messages}`, '');
    for (const m of show.messages) out.push(`**${escapeText(m.role)}**`, '', ...fence(m.content, 'text'), '');
  }
  const highlights = modelInfoHighlights(info);
  if (highlights.length) out.push(`## ${labels.modelInfo}`, '', ...table(labels, highlights.map(([k, v]) => [`\`${k}\``, cell(v)]), true), '');
  const projector = modelInfoHighlights({ ...(show.projector_info ?? {}), 'general.architecture': 'clip' })
    .filter(([k]) => k in (show.projector_info ?? {}));
  if (show.projector_info && projector.length) out.push(`## ${labels.projectorInfo}`, '', ...table(labels, projector.map(([k, v]) => [`\`${k}\``, cell(v)]), true), '');
  if (show.license) out.push(`## ${labels.license}`, '', ...fence(show.license, 'text'), '');
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

function table(labels: ShowLabels, rows: Array<[string, string]>, headed: boolean): string[] {
  if (rows.length === 0) return [`_${labels.none}_`];
  const head = headed ? [`| ${labels.name} | ${labels.value} |`, '|---|---|'] : ['| | |', '|---|---|'];
  return [...head, ...rows.map(([k, v]) => `| ${headed ? k : `**${cell(k)}**`} | ${v} |`)];
}

/** Text for a table cell: one line, pipes escaped. */
function cell(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function code(s: string): string {
  const ticks = '`'.repeat(longestRun(s, '`') + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${cell(s)}${pad}${ticks}`;
}

/** A fenced block that the content cannot close early. */
function fence(s: string, lang: string): string[] {
  const ticks = '`'.repeat(Math.max(3, longestRun(s, '`') + 1));
  return [ticks + lang, s.replace(/\s+$/, ''), ticks];
}

function longestRun(s: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (const c of s) {
    run = c === ch ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

function escapeText(s: string): string {
  // `_` inside a word does not start emphasis in CommonMark, so model names stay unescaped.
  return s.replace(/([\\`*[\]<>|])/g, '\\$1');
}
