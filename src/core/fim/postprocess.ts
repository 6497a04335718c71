// Turning a model's raw fill-in-the-middle output into the ghost text the editor shows: no special
// token ever, one line unless the cursor is at the end of a line or inside an empty block, stop where
// the model starts re-typing the code after the cursor (the suffix's first line, or a closing bracket
// the suffix already has), at most `maxLines` lines, no trailing whitespace.
// The shaper also works on a stream still arriving: `final` says no further text can change the result.
import { specialTokens, type FimFamily } from './templates';

export interface ShapeContext {
  /** Text before the cursor (the prefix window). */
  prefix: string;
  /** Text after the cursor (the suffix window). */
  suffix: string;
  /** The family in use: its ambiguous tokens (`<PRE>`, `[SUFFIX]`) are cut too. */
  family?: FimFamily;
  /** Keep at most this many lines. */
  maxLines?: number;
  /** Force the single/multi-line decision instead of `allowsMultiline`. */
  multiline?: boolean;
}

export type CutReason = 'token' | 'newline' | 'suffix-repeat' | 'closer' | 'max-lines';

export interface ShapeResult {
  text: string;
  /** True when more output cannot change `text` (a cut was found): stop reading the stream. */
  final: boolean;
  reason?: CutReason;
}

/** Multi-line completions only at the end of a line (nothing but whitespace after the cursor) or
 * inside an empty block (`{|}`, `[|]`); elsewhere the completion ends at its first newline. */
export function allowsMultiline(prefix: string, suffix: string): boolean {
  const rest = firstLine(suffix);
  if (rest.trim() === '') return true;
  const before = prefix.trimEnd();
  const pair = before.slice(-1) + rest.trimStart()[0];
  return pair === '{}' || pair === '[]';
}

/** Cuts `text` at the first special token (anything after an end token is not part of the answer). */
export function stripSpecialTokens(text: string, family?: FimFamily): { text: string; cut: boolean } {
  let at = -1;
  for (const t of specialTokens(family)) {
    const i = text.indexOf(t);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at < 0 ? { text, cut: false } : { text: text.slice(0, at), cut: true };
}

const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** A light lexer state: string literals (per line) and `//` comments are skipped when counting brackets. */
class CodeScanner {
  private quote = '';
  private escaped = false;
  private comment = false;
  private prev = '';

  /** True if `ch` is code (not inside a string or comment). */
  code(ch: string): boolean {
    const prev = this.prev;
    this.prev = ch;
    if (ch === '\n') { this.quote = ''; this.escaped = false; this.comment = false; return true; }
    if (this.comment) return false;
    if (this.quote) {
      if (this.escaped) this.escaped = false;
      else if (ch === '\\') this.escaped = true;
      else if (ch === this.quote) this.quote = '';
      return false;
    }
    if (ch === '/' && prev === '/') { this.comment = true; return false; }
    if (ch === '"' || ch === '\'' || ch === '`') { this.quote = ch; return false; }
    return true;
  }
}

interface OpenBracket { ch: string; closedBySuffix: boolean }

/** Openers left open by the prefix, each marked with whether the suffix already closes it. */
function openBrackets(prefix: string, suffix: string): OpenBracket[] {
  const stack: OpenBracket[] = [];
  const ps = new CodeScanner();
  for (const ch of prefix) {
    if (!ps.code(ch)) continue;
    if (OPENERS[ch]) stack.push({ ch, closedBySuffix: false });
    else if (CLOSERS[ch] && stack.length && stack[stack.length - 1].ch === CLOSERS[ch]) stack.pop();
  }
  // The suffix's own closers that are unmatched inside it close the prefix's openers, innermost first.
  const ss = new CodeScanner();
  const own: string[] = [];
  let top = stack.length - 1;
  for (const ch of suffix) {
    if (top < 0) break;
    if (!ss.code(ch)) continue;
    if (OPENERS[ch]) own.push(ch);
    else if (CLOSERS[ch]) {
      if (own.length) { if (own[own.length - 1] === CLOSERS[ch]) own.pop(); continue; }
      let j = top;
      while (j >= 0 && stack[j].ch !== CLOSERS[ch]) j--;
      if (j < 0) break;
      stack[j].closedBySuffix = true;
      top = j - 1;
    }
  }
  return stack;
}

function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  return nl < 0 ? s : s.slice(0, nl);
}

/** The shaping rules for one cursor position; analyses the context once, then shapes many times. */
export class CompletionShaper {
  private readonly multiline: boolean;
  private readonly suffixLine: string;
  private readonly line0IsFull: boolean;
  private readonly open: OpenBracket[];
  private readonly keepTrailingSpaces: boolean;
  /** The cursor line's indentation when the cursor is inside an empty block with code after it. */
  private readonly emptyBlockIndent: string | undefined;

  constructor(private readonly ctx: ShapeContext) {
    this.multiline = ctx.multiline ?? allowsMultiline(ctx.prefix, ctx.suffix);
    this.suffixLine = ctx.suffix.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
    this.line0IsFull = ctx.prefix.slice(ctx.prefix.lastIndexOf('\n') + 1).trim() === '';
    this.open = openBrackets(ctx.prefix, ctx.suffix);
    // Mid-line (`x = |y`), a trailing space may separate the completion from the code after it.
    const rest = firstLine(ctx.suffix);
    this.keepTrailingSpaces = rest.trim() !== '' && !/^\s/.test(rest);
    const cursorLine = ctx.prefix.slice(ctx.prefix.lastIndexOf('\n') + 1);
    this.emptyBlockIndent = this.multiline && rest.trim() !== '' ? /^[ \t]*/.exec(cursorLine)![0] : undefined;
  }

  /** Shape `raw`; `ended` = the stream is over (a last line without newline is then complete). */
  shape(raw: string, ended: boolean): ShapeResult {
    let reason: CutReason | undefined;
    const tok = stripSpecialTokens(raw, this.ctx.family);
    let t = tok.text;
    if (tok.cut) reason = 'token';
    if (!this.multiline) {
      const nl = t.indexOf('\n');
      if (nl >= 0) { t = t.slice(0, nl); reason = 'newline'; }
    }
    const cut = this.findCut(t, ended || reason !== undefined);
    if (cut) { t = t.slice(0, cut.at); reason = cut.reason; }
    const max = this.ctx.maxLines;
    if (max !== undefined && max > 0) {
      let nl = -1;
      for (let n = 0; n < max && (nl = t.indexOf('\n', nl + 1)) >= 0; n++) {
        if (n === max - 1) { t = t.slice(0, nl); reason = 'max-lines'; }
      }
    }
    return { text: this.trim(t), final: reason !== undefined, ...(reason ? { reason } : {}) };
  }

  /** The earliest point where the model starts re-typing the suffix: a whole line equal to the
   * suffix's first non-empty line (at bracket depth 0), or a closer for a bracket the suffix closes. */
  private findCut(t: string, complete: boolean): { at: number; reason: CutReason } | undefined {
    const sc = new CodeScanner();
    const own: string[] = [];
    let outer = this.open.length - 1;
    for (let i = 0; i <= t.length; i++) {
      const lineStart = i === 0 ? this.line0IsFull : t[i - 1] === '\n';
      if (lineStart && own.length === 0 && this.suffixLine !== '' && (i > 0 || t.length > 0)) {
        const end = t.indexOf('\n', i);
        if (end >= 0 || complete) {
          if (t.slice(i, end < 0 ? t.length : end).trim() === this.suffixLine) return { at: i, reason: 'suffix-repeat' };
        }
      }
      if (i === t.length) break;
      const ch = t[i];
      if (!sc.code(ch)) continue;
      if (OPENERS[ch]) { own.push(ch); continue; }
      const opener = CLOSERS[ch];
      if (!opener) continue;
      if (own.length) { if (own[own.length - 1] === opener) own.pop(); continue; }
      // Unmatched in the completion: it closes a prefix bracket.
      const target = outer >= 0 ? this.open[outer] : undefined;
      if (target && target.ch === opener) {
        if (target.closedBySuffix) return { at: i, reason: 'closer' };
        outer--;
      }
    }
    return undefined;
  }

  private trim(t: string): string {
    if (t.trim() === '') return '';
    if (this.keepTrailingSpaces && !t.includes('\n')) return t;
    const out = t.split('\n').map((l) => l.trimEnd()).join('\n').trimEnd();
    // Inside `{|}` a multi-line body ends on a new line so the closer keeps its own line.
    if (this.emptyBlockIndent !== undefined && out.includes('\n')) return out + '\n' + this.emptyBlockIndent;
    return out;
  }
}

/** The ghost text for a finished raw completion. */
export function shapeCompletion(raw: string, ctx: ShapeContext): string {
  return new CompletionShaper(ctx).shape(raw, true).text;
}

/** Reads a stream of text until the shaped completion is final (or the stream ends), then returns
 * it. Breaking out early closes the stream (or detaches from a shared one). */
export async function collectCompletion(stream: AsyncIterable<string>, ctx: ShapeContext | CompletionShaper): Promise<string> {
  const shaper = ctx instanceof CompletionShaper ? ctx : new CompletionShaper(ctx);
  let raw = '';
  for await (const chunk of stream) {
    raw += chunk;
    if (shaper.shape(raw, false).final) break;
  }
  return shaper.shape(raw, true).text;
}
