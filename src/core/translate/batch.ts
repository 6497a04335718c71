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
  if (ctx.before.length) parts.push('Context, the subtitles just before (do not translate):\n' + ctx.before.map((t) => `> ${t}`).join('\n'));
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
