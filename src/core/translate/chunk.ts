// Splits a document into chunks a model can translate in one request: at paragraph boundaries,
// then lines, sentences and words when a paragraph is over budget. Fenced code blocks and front
// matter are chunks of their own that are never sent. The chunks partition the text exactly:
// joining lead + body + trail of every chunk gives back the input byte for byte.
// The budget is in characters AND in estimated tokens (src/core/llm/tokens.ts), so 1,500 characters
// of Chinese (about 1,500 tokens) are not sent as if they were 1,500 characters of English (~300).
import { estimateTokens, UNIT_FACTORS, type TokenFactors } from '../llm/tokens';

export interface DocChunk {
  /** Whitespace before the body, kept as is (models drop it). */
  lead: string;
  /** What is sent to the model. */
  body: string;
  /** Whitespace after the body, kept as is. */
  trail: string;
  /** False for fenced code, front matter, and text with nothing to translate (a rule, a table border). */
  translate: boolean;
  /** Why the chunk is not translated. */
  kind: 'text' | 'code' | 'frontmatter' | 'blank';
}

export type DocumentFormat = 'markdown' | 'plaintext';

export interface ChunkOptions {
  /** Budget per chunk, in characters (default 1500: about 400-800 tokens, small enough for a 2k context with the answer). */
  maxChars?: number;
  /** Budget per chunk, in estimated tokens (default: what maxChars of English or code costs,
   * maxChars / CHARS_PER_TOKEN_BUDGET). */
  maxTokens?: number;
  /** The model's calibration factors for the estimate (default: none learnt). */
  factors?: TokenFactors;
  format?: DocumentFormat;
}

export const DEFAULT_CHUNK_CHARS = 1500;
/** maxChars characters of English or code are at most about maxChars / 3 tokens. */
export const CHARS_PER_TOKEN_BUDGET = 3;

interface Budget { chars: number; tokens: number; factors: TokenFactors }

function fits(s: string, b: Budget): boolean {
  return s.length <= b.chars && (s.length <= b.tokens || estimateTokens(s, b.factors) <= b.tokens);
}

interface Segment { text: string; kind: 'text' | 'code' | 'frontmatter' }

function lines(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$/g) ?? [];
}

const FENCE_OPEN = /^\s*(`{3,}|~{3,})([^`]*)$/;

/** Cuts markdown into text and code (fenced blocks, front matter) segments. */
function segments(text: string, format: DocumentFormat): Segment[] {
  if (format !== 'markdown') return [{ text, kind: 'text' }];
  const ls = lines(text);
  const out: Segment[] = [];
  let buf = '';
  let i = 0;
  const flush = (): void => { if (buf) out.push({ text: buf, kind: 'text' }); buf = ''; };
  if (ls.length > 1 && ls[0]!.trimEnd() === '---') {
    const end = ls.findIndex((l, k) => k > 0 && /^(?:---|\.\.\.)\s*$/.test(l));
    if (end > 0) {
      out.push({ text: ls.slice(0, end + 1).join(''), kind: 'frontmatter' });
      i = end + 1;
    }
  }
  for (; i < ls.length; i++) {
    const open = FENCE_OPEN.exec(ls[i]!.replace(/[\r\n]+$/, ''));
    if (!open) { buf += ls[i]; continue; }
    flush();
    const fence = open[1]!;
    let code = ls[i]!;
    let j = i + 1;
    for (; j < ls.length; j++) {
      code += ls[j];
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(ls[j]!.replace(/[\r\n]+$/, ''));
      if (close && close[1]![0] === fence[0] && close[1]!.length >= fence.length) break;
    }
    out.push({ text: code, kind: 'code' });
    i = j;
  }
  flush();
  return out;
}

/** Cuts s after every match of re; the pieces concatenate to s. */
function cutAfter(s: string, re: RegExp): string[] {
  const out: string[] = [];
  let last = 0;
  for (const m of s.matchAll(re)) {
    const end = m.index! + m[0].length;
    if (end > last && end < s.length) { out.push(s.slice(last, end)); last = end; }
  }
  out.push(s.slice(last));
  return out.filter((p) => p !== '');
}

/** Paragraphs: non-blank lines plus the blank lines that follow them. */
function paragraphs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inBlank = false;
  for (const l of lines(s)) {
    const blank = l.trim() === '';
    if (!blank && inBlank && cur) { out.push(cur); cur = ''; }
    cur += l;
    inBlank = blank;
  }
  if (cur) out.push(cur);
  return out;
}

const SENTENCE_END = /[.!?…]+["'”’)\]]*\s+|[。！？]+["'”’」』)\]]*\s*/g;

function hardCut(s: string, b: Budget): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    let end = Math.min(s.length, i + b.chars);
    // Shrink until the piece fits the token budget too (CJK text: about one character per token).
    for (let t = estimateTokens(s.slice(i, end), b.factors); t > b.tokens && end - i > 1; t = estimateTokens(s.slice(i, end), b.factors)) {
      end = i + Math.max(1, Math.floor(((end - i) * b.tokens) / t));
    }
    // Do not split a surrogate pair.
    if (end < s.length && /[\uD800-\uDBFF]/.test(s[end - 1]!)) end--;
    out.push(s.slice(i, end));
    i = end;
  }
  return out;
}

const LEVELS: ReadonlyArray<(s: string, b: Budget) => string[]> = [
  (s) => cutAfter(s, /\r\n|\n|\r/g),
  (s) => cutAfter(s, SENTENCE_END),
  (s) => cutAfter(s, /\s+/g),
  hardCut,
];

/** Splits a piece until every part fits the budget, trying coarser boundaries first. */
function refine(piece: string, b: Budget, level = 0): string[] {
  if (fits(piece, b) || level >= LEVELS.length) return [piece];
  const parts = LEVELS[level]!(piece, b);
  if (parts.length === 1) return refine(piece, b, level + 1);
  return parts.flatMap((p) => refine(p, b, level + 1));
}

function toChunk(text: string, kind: DocChunk['kind']): DocChunk {
  const lead = /^\s*/.exec(text)![0];
  if (lead.length === text.length) return { lead: text, body: '', trail: '', translate: false, kind: 'blank' };
  const trail = /\s*$/.exec(text)![0];
  const body = text.slice(lead.length, text.length - trail.length);
  const translate = kind === 'text' && /\p{L}/u.test(body);
  return { lead, body, trail, translate, kind: translate || kind !== 'text' ? kind : 'blank' };
}

/** Splits a document into chunks within the budget, in order. */
export function chunkDocument(text: string, o: ChunkOptions = {}): DocChunk[] {
  const chars = Math.max(1, o.maxChars ?? DEFAULT_CHUNK_CHARS);
  const b: Budget = { chars, tokens: Math.max(1, o.maxTokens ?? Math.ceil(chars / CHARS_PER_TOKEN_BUDGET)), factors: o.factors ?? UNIT_FACTORS };
  const out: DocChunk[] = [];
  for (const seg of segments(text, o.format ?? 'markdown')) {
    if (seg.kind !== 'text') { out.push(toChunk(seg.text, seg.kind)); continue; }
    const pieces = paragraphs(seg.text).flatMap((p) => refine(p, b));
    let cur = '';
    let curTokens = 0;
    for (const p of pieces) {
      // The budget counts what is sent: the piece without the whitespace around the chunk. Token
      // estimates add up piece by piece (a word never spans two pieces).
      const t = estimateTokens(p, b.factors);
      if (cur && ((cur + p).trim().length > b.chars || curTokens + t > b.tokens)) { out.push(toChunk(cur, 'text')); cur = ''; curTokens = 0; }
      cur += p;
      curTokens += t;
    }
    if (cur) out.push(toChunk(cur, 'text'));
  }
  return out;
}

/** Reassembles a document; a chunk without an output keeps its source text. */
export function joinChunks(chunks: readonly DocChunk[], outputs: ReadonlyArray<string | undefined> = []): string {
  return chunks.map((c, i) => c.lead + (outputs[i] ?? c.body) + c.trail).join('');
}
