// The numbered batch format: items go out as "[12] text" lines (a line break inside an item becomes
// " ⏎ "), answers are parsed leniently (spaces, full-width brackets, colons, markdown bold, chatter
// around them) and validated strictly (the same ids, each once, none empty). Misaligned batches are
// split in halves by the caller until they pass or are down to one item.
import { stripChatter } from './chatter';
import { LINE_BREAK_MARKER } from './prompt';

export interface BatchItem {
  /** Number shown to the model; unique in the run. */
  id: number;
  /** One line: the item's own line breaks are LINE_BREAK_MARKER. */
  text: string;
}

export interface BatchContext {
  /** Neighbouring items before and after the batch, sent for understanding only. */
  before: readonly string[];
  after: readonly string[];
  /** The translations of `before` where they are known (the previous batch finished first): sent
   * so the model keeps names and register consistent across the boundary. */
  beforeTranslated?: ReadonlyArray<string | undefined>;
}

/** Joins an item's lines with the line-break marker. */
export function joinItemLines(lines: readonly string[]): string {
  return lines.map((l) => l.replace(/\s+/g, ' ').trim()).join(LINE_BREAK_MARKER);
}

/** Splits a translated item back into lines at the marker (or an HTML break the model put instead). */
export function splitItemLines(text: string): string[] {
  return text.split(/\s*(?:⏎|<br\s*\/?>)\s*/i).map((l) => l.trim());
}

export function buildBatchUser(items: readonly BatchItem[], ctx: BatchContext = { before: [], after: [] }): string {
  const parts: string[] = [];
  if (ctx.before.length) {
    const tr = ctx.beforeTranslated ?? [];
    const known = tr.some((t) => t !== undefined);
    parts.push((known ? 'Context, the subtitles just before and how they were translated (do not translate them again):\n' : 'Context, the subtitles just before (do not translate):\n')
      + ctx.before.map((t, k) => (tr[k] !== undefined ? `> ${t}\n>> ${tr[k]}` : `> ${t}`)).join('\n'));
  }
  if (ctx.after.length) parts.push('Context, the subtitles just after (do not translate):\n' + ctx.after.map((t) => `> ${t}`).join('\n'));
  parts.push(`Translate these ${items.length} subtitles:\n` + items.map((it) => `[${it.id}] ${it.text}`).join('\n'));
  return parts.join('\n\n');
}

export interface ParsedItem { id: number; text: string }

const FULL_WIDTH_DIGIT = /[０-９]/g;
const BRACKETED = /^\s*(?:[-*•]\s*)?(?:\*\*|__)?\s*[[【［〔(（]\s*(\d+)\s*[\]】］〕)）]\s*(?:\*\*|__)?\s*[:：.．、]?\s*(?:\*\*|__)?\s*(.*)$/;
const BARE = /^\s*(?:\*\*|__)?(\d+)(?:\*\*|__)?\s*[:：.．、)）]\s*(.*)$/;

/**
 * Reads "[12] text" lines from an answer. Text before the first numbered line (a preamble) is
 * ignored; an unnumbered line right after a numbered one continues it (a model that broke a line
 * instead of writing ⏎); after a blank line, unnumbered text (a closing note) is ignored.
 * "12. text" is read only when the answer has no bracketed numbers at all.
 */
export function parseNumberedAnswer(answer: string): ParsedItem[] {
  const text = answer.replace(/<think>[\s\S]*?<\/think>/gi, '').replace(FULL_WIDTH_DIGIT, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  const lines = text.split(/\r\n|\n|\r/);
  const pattern = lines.some((l) => BRACKETED.test(l)) ? BRACKETED : BARE;
  const out: ParsedItem[] = [];
  let cur: ParsedItem | undefined;
  for (const line of lines) {
    const m = pattern.exec(line);
    if (m) {
      cur = { id: Number(m[1]), text: m[2]!.replace(/\s*(?:\*\*|__)\s*$/, '').trim() };
      out.push(cur);
    } else if (line.trim() === '' || /^\s*`{3,}/.test(line)) {
      cur = undefined;
    } else if (cur && !/^\s*>/.test(line)) {
      cur.text = cur.text ? cur.text + LINE_BREAK_MARKER + line.trim() : line.trim();
    }
  }
  return out;
}

export type BatchCheck =
  | { ok: true; texts: Map<number, string> }
  | { ok: false; reason: string };

/**
 * Strict validation: every expected id exactly once, no other id, no empty translation of a
 * non-empty item. With a single item, an answer without numbers (or with one wrong number) is
 * taken as that item's translation: one item cannot be misaligned.
 */
export function validateBatch(parsed: readonly ParsedItem[], items: readonly BatchItem[], answer?: string): BatchCheck {
  if (items.length === 1) {
    const only = items[0]!;
    let t: string | undefined;
    if (parsed.length === 1) t = parsed[0]!.text;
    else if (parsed.length === 0 && answer !== undefined) t = singleAnswer(answer, only.text);
    if (t !== undefined) {
      if (t.trim() === '' && only.text.trim() !== '') return { ok: false, reason: 'empty translation' };
      return { ok: true, texts: new Map([[only.id, t]]) };
    }
  }
  const expected = new Set(items.map((i) => i.id));
  const texts = new Map<number, string>();
  const extra: number[] = [];
  const dup: number[] = [];
  for (const p of parsed) {
    if (!expected.has(p.id)) extra.push(p.id);
    else if (texts.has(p.id)) dup.push(p.id);
    else texts.set(p.id, p.text);
  }
  const missing = items.filter((i) => !texts.has(i.id)).map((i) => i.id);
  const empty = items.filter((i) => texts.get(i.id)?.trim() === '' && i.text.trim() !== '').map((i) => i.id);
  const problems: string[] = [];
  if (missing.length) problems.push(`missing ${missing.join(', ')}`);
  if (extra.length) problems.push(`unexpected ${extra.join(', ')}`);
  if (dup.length) problems.push(`repeated ${dup.join(', ')}`);
  if (empty.length) problems.push(`empty ${empty.join(', ')}`);
  if (problems.length) return { ok: false, reason: `${items.length} sent, ${parsed.length} returned: ${problems.join('; ')}` };
  return { ok: true, texts };
}

function singleAnswer(answer: string, source: string): string {
  const lines = stripChatter(answer, source).split(/\r\n|\n|\r/).map((l) => l.trim());
  // A closing note after a blank line is not part of the subtitle.
  const body: string[] = [];
  for (const l of lines) {
    if (l === '') { if (body.length) break; continue; }
    body.push(l);
  }
  return body.join(LINE_BREAK_MARKER);
}

export interface BatchSizing {
  /** Most items per batch. */
  size: number;
  /** Most characters per batch (an item over the limit goes alone). */
  maxChars: number;
  /** Requests that run at once: the number of batches is rounded up to a multiple of it. */
  slots?: number;
  /** Batches are not made smaller than this to fill slots (each request repeats the prompt and context). */
  minSize?: number;
}

/**
 * Cuts items into batches of even size. With parallel slots the count is rounded up to a multiple
 * of them, so the last round of requests is not half empty (1000 cues by 30 would be 34 batches,
 * 9 rounds on 4 slots with 2 idle in the last; 36 batches of 27-28 cues fill all 9 rounds and each
 * request is shorter). Then the character limit cuts further where needed.
 */
export function makeBatches<T extends { text: string }>(items: readonly T[], o: BatchSizing): T[][] {
  const n = items.length;
  if (n === 0) return [];
  const size = Math.max(1, o.size);
  const slots = Math.max(1, o.slots ?? 1);
  const minCount = Math.ceil(n / size);
  const filled = Math.ceil(minCount / slots) * slots;
  const count = Math.max(minCount, Math.min(filled, Math.ceil(n / Math.max(1, o.minSize ?? 8))));
  const base = Math.floor(n / count);
  const extra = n % count;
  const out: T[][] = [];
  let at = 0;
  for (let g = 0; g < count; g++) {
    const group = items.slice(at, at + base + (g < extra ? 1 : 0));
    at += group.length;
    let cur: T[] = [];
    let chars = 0;
    for (const it of group) {
      if (cur.length && chars + it.text.length > o.maxChars) { out.push(cur); cur = []; chars = 0; }
      cur.push(it);
      chars += it.text.length;
    }
    if (cur.length) out.push(cur);
  }
  return out;
}

/** The two halves a misaligned batch is retried as. */
export function halves<T>(batch: readonly T[]): [T[], T[]] {
  const mid = Math.ceil(batch.length / 2);
  return [batch.slice(0, mid), batch.slice(mid)];
}

// ---- scenes -------------------------------------------------------------------------------------

export interface SceneSizing extends BatchSizing {
  /** A silence at least this long (ms) between two cues is a scene change (default 3000). */
  sceneGapMs?: number;
}

/** An item with the time it is on screen (ms). */
export interface TimedItem { text: string; startMs: number; endMs: number }

/**
 * Cuts timed items into batches whose boundaries fall at scene changes where possible: the count
 * of batches is what makeBatches would make (so requests do not grow), and each boundary is placed
 * near its even position at the best silence within reach, a silence of `sceneGapMs` or more
 * winning over being exactly even. A batch never has more than `size` items; one over `maxChars`
 * is cut again at its best silence. A model then never has to carry a sentence across a batch
 * boundary in the middle of a conversation, which is where it merges cues.
 * (llm-subtrans cuts at scene gaps of 60 s and splits scenes at their largest gap; subtitles within
 * one conversation are seldom more than 2 s apart, so 3 s is the default here.)
 */
export function makeSceneBatches<T extends TimedItem>(items: readonly T[], o: SceneSizing): T[][] {
  const n = items.length;
  if (n === 0) return [];
  const size = Math.max(1, o.size);
  const minSize = Math.min(size, Math.max(1, o.minSize ?? 8));
  const sceneGap = Math.max(1, o.sceneGapMs ?? 3000);
  const slots = Math.max(1, o.slots ?? 1);
  const minCount = Math.ceil(n / size);
  const filled = Math.ceil(minCount / slots) * slots;
  const count = Math.max(minCount, Math.min(filled, Math.ceil(n / minSize)));
  // gap[i]: the silence before item i (i >= 1).
  const gap = (i: number): number => Math.max(0, items[i]!.startMs - items[i - 1]!.endMs);
  const score = (i: number, ideal: number, reach: number): number => Math.min(gap(i), 4 * sceneGap) / sceneGap - (2 * Math.abs(i - ideal)) / Math.max(1, reach);
  const cuts: number[] = [];
  let pos = 0;
  for (let b = 1; b < count; b++) {
    const left = count - b + 1;
    const ideal = pos + Math.round((n - pos) / left);
    let lo = Math.max(pos + 1, pos + Math.min(minSize, Math.floor((n - pos) / left)), n - (left - 1) * size);
    let hi = Math.min(pos + size, n - (left - 1) * Math.min(minSize, Math.floor((n - pos) / left)));
    if (lo > hi) { lo = Math.min(Math.max(ideal, pos + 1), n - 1); hi = lo; }
    let best = Math.min(Math.max(ideal, lo), hi);
    let bestScore = score(best, ideal, size);
    for (let i = lo; i <= hi; i++) {
      const s = score(i, ideal, size);
      if (s > bestScore) { best = i; bestScore = s; }
    }
    cuts.push(best);
    pos = best;
  }
  const out: T[][] = [];
  let at = 0;
  for (const c of [...cuts, n]) { out.push(items.slice(at, c)); at = c; }
  return out.flatMap((batch) => cutByChars(batch, o.maxChars, (k) => Math.max(0, batch[k]!.startMs - batch[k - 1]!.endMs)));
}

/** Cuts a batch over `maxChars` at its longest silence nearest the middle, again until each part fits. */
function cutByChars<T extends { text: string }>(batch: T[], maxChars: number, gapAt?: (k: number) => number): T[][] {
  const chars = batch.reduce((a, it) => a + it.text.length, 0);
  if (batch.length <= 1 || chars <= maxChars) return [batch];
  let best = batch.length >> 1;
  let bestScore = -Infinity;
  for (let k = 1; k < batch.length; k++) {
    const s = (gapAt ? Math.log1p(gapAt(k)) : 0) - (4 * Math.abs(k - batch.length / 2)) / batch.length;
    if (s > bestScore) { best = k; bestScore = s; }
  }
  return [...cutByChars(batch.slice(0, best), maxChars, gapAt && ((k) => gapAt(k))), ...cutByChars(batch.slice(best), maxChars, gapAt && ((k) => gapAt(k + best)))];
}

// ---- strict mode: a JSON schema of exactly N items ----------------------------------------------

/**
 * The `format` schema of a strict batch: an array of exactly the batch's length whose item k is
 * `{"i": <id k>, "t": <non-empty string>}`. Written for llama.cpp's schema-to-grammar converter,
 * which Ollama uses in every version with schema support (>= 0.5.0): `prefixItems` is a closed tuple
 * of that length, `const` a literal, and `items` must NOT be sent beside `prefixItems` (the
 * converter then takes `items` and ignores the tuple). Property names are chosen so that
 * alphabetical order ("i" < "t") is the intended order: Ollama >= 0.30 re-encodes the schema
 * through a Go map on the chat-template path, which sorts keys.
 */
export function strictBatchSchema(ids: readonly number[]): Record<string, unknown> {
  return {
    type: 'array',
    prefixItems: ids.map((id) => ({
      type: 'object',
      properties: { i: { const: id }, t: { type: 'string', minLength: 1 } },
      required: ['i', 't'],
      additionalProperties: false,
    })),
    minItems: ids.length,
    maxItems: ids.length,
  };
}

/**
 * Reads a strict answer: a JSON array of `{"i": id, "t": text}` (keys in any order; `id`/`n` and
 * `text`/`translation` accepted too), possibly inside a code fence or after a reasoning block. Real
 * line breaks in a text become the line-break marker. Undefined when the answer is not such JSON
 * (the caller then reads it as the numbered text format).
 */
export function parseJsonAnswer(answer: string): ParsedItem[] | undefined {
  let t = answer.replace(/<think>[\s\S]*?<\/think>/gi, '').trim();
  const fence = /^```[a-z]*\s*([\s\S]*?)\s*```$/i.exec(t);
  if (fence) t = fence[1]!;
  const first = t.indexOf('[');
  const last = t.lastIndexOf(']');
  if (first < 0 || last < first) return undefined;
  let v: unknown;
  try { v = JSON.parse(t.slice(first, last + 1)); } catch { return undefined; }
  if (!Array.isArray(v)) return undefined;
  const out: ParsedItem[] = [];
  for (const it of v) {
    if (!it || typeof it !== 'object') return undefined;
    const o = it as Record<string, unknown>;
    const id = o.i ?? o.id ?? o.n;
    const text = o.t ?? o.text ?? o.translation;
    const num = typeof id === 'number' ? id : typeof id === 'string' && /^\d+$/.test(id.trim()) ? Number(id) : NaN;
    if (!Number.isInteger(num) || typeof text !== 'string') return undefined;
    out.push({ id: num, text: text.split(/\r\n|\n|\r/).map((l) => l.trim()).join(LINE_BREAK_MARKER).trim() });
  }
  return out;
}
