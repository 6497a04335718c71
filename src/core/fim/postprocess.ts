// Turning a model's raw fill-in-the-middle output into the ghost text the editor shows: no special
// token ever, one line unless the cursor is at the end of a line or inside an empty block, stop where
// the model starts re-typing the code after the cursor (the suffix's first line, or a closing bracket
// the suffix already has), at most `maxLines` lines, no trailing whitespace.
// The shaper also works on a stream still arriving: `final` says no further text can change the result.
//
// The end of a completion overlapping the start of the suffix is trimmed, so the editor never shows
// the text after the cursor twice (`print("hello|")` + ` world")` inserts ` world`): a closing quote,
// bracket or `*/` for what the suffix closes, together with what the model typed before it that the
// suffix also starts with; the whole rest of the line re-typed at the end of the completion; a last
// line equal to the suffix's first line. The lexer starts in the state the cursor is in (inside a
// string or comment the prefix opened), and when the prefix window begins inside a block comment it
// starts after the comment's end.
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
  /** The document's language id: `#` starts a comment in Python, shell, Ruby, YAML… */
  language?: string;
}

export type CutReason = 'token' | 'newline' | 'suffix-repeat' | 'closer' | 'suffix-overlap' | 'max-lines';

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

/** Languages whose line comments start with `#`. */
const HASH_COMMENTS = new Set([
  'python', 'shellscript', 'ruby', 'perl', 'r', 'yaml', 'toml', 'dockerfile', 'makefile', 'powershell', 'coffeescript',
  'julia', 'elixir', 'nim', 'crystal', 'cmake', 'ini', 'properties', 'graphql', 'tcl', 'raku', 'awk',
]);

type LexMode = 'code' | 'string' | 'line-comment' | 'block-comment';

interface LexState { mode: LexMode; quote: string }

/**
 * A light lexer: string literals (per line: an unclosed one ends at the line break, so a stray
 * apostrophe in prose cannot swallow the rest), `//` (and, per language, `#`) line comments and
 * `/* *\/` block comments. `step` classifies the token at `i`.
 */
class Lexer {
  mode: LexMode = 'code';
  quote = '';

  constructor(private readonly hash: boolean, state?: LexState) {
    if (state) { this.mode = state.mode; this.quote = state.quote; }
  }

  get state(): LexState { return { mode: this.mode, quote: this.quote }; }

  /**
   * The token at `t[i]`: its length, whether it is code, and whether it ends the string or block
   * comment the lexer was in (`closes`). A `*\/` met in code is `strayEnd`: the text began inside a
   * block comment.
   */
  step(t: string, i: number): { len: number; code: boolean; closes?: boolean; strayEnd?: boolean } {
    const ch = t[i]!;
    switch (this.mode) {
      case 'string':
        if (ch === '\\') return { len: Math.min(2, t.length - i), code: false };
        if (ch === '\n') { this.mode = 'code'; this.quote = ''; return { len: 1, code: true }; }
        if (ch === this.quote) { this.mode = 'code'; this.quote = ''; return { len: 1, code: false, closes: true }; }
        return { len: 1, code: false };
      case 'line-comment':
        if (ch === '\n') { this.mode = 'code'; return { len: 1, code: true }; }
        return { len: 1, code: false };
      case 'block-comment':
        if (ch === '*' && t[i + 1] === '/') { this.mode = 'code'; return { len: 2, code: false, closes: true }; }
        return { len: 1, code: false };
      default:
        if (ch === '/' && t[i + 1] === '/') { this.mode = 'line-comment'; return { len: 2, code: false }; }
        if (ch === '/' && t[i + 1] === '*') { this.mode = 'block-comment'; return { len: 2, code: false }; }
        if (ch === '*' && t[i + 1] === '/') return { len: 2, code: false, strayEnd: true };
        if (ch === '#' && this.hash) { this.mode = 'line-comment'; return { len: 1, code: false }; }
        if (ch === '"' || ch === '\'' || ch === '`') { this.mode = 'string'; this.quote = ch; return { len: 1, code: false }; }
        return { len: 1, code: true };
    }
  }
}

interface OpenBracket { ch: string; closedBySuffix: boolean }

interface CursorContext {
  /** Openers left open by the prefix, each marked with whether the suffix already closes it. */
  open: OpenBracket[];
  /** The lexer state at the cursor. */
  state: LexState;
  /** The cursor is in a string or block comment that the suffix closes (`"hello|")`). */
  suffixClosesCursor: boolean;
}

/**
 * Scans the prefix to the cursor and the suffix from it. When the prefix window begins inside a
 * block comment (its first comment delimiter is a `*\/`), the scan starts after that delimiter.
 */
function analyse(prefix: string, suffix: string, hash: boolean): CursorContext {
  const stack: OpenBracket[] = [];
  const lx = new Lexer(hash);
  const open = prefix.indexOf('/*');
  const close = prefix.indexOf('*/');
  let i = close >= 0 && (open < 0 || close < open) ? close + 2 : 0;
  while (i < prefix.length) {
    const tok = lx.step(prefix, i);
    const ch = prefix[i]!;
    if (tok.strayEnd) stack.length = 0;
    else if (tok.code) {
      if (OPENERS[ch]) stack.push({ ch, closedBySuffix: false });
      else if (CLOSERS[ch] && stack.length && stack[stack.length - 1]!.ch === CLOSERS[ch]) stack.pop();
    }
    i += tok.len;
  }
  const state = lx.state;
  // The suffix's own closers that are unmatched inside it close the prefix's openers, innermost first.
  const sl = new Lexer(hash, state);
  let suffixClosesCursor = false;
  const own: string[] = [];
  let top = stack.length - 1;
  let inCursor = state.mode === 'string' || state.mode === 'block-comment';
  for (let j = 0; j < suffix.length;) {
    const tok = sl.step(suffix, j);
    const ch = suffix[j]!;
    j += tok.len;
    if (inCursor) {
      if (tok.closes) suffixClosesCursor = true;
      if (sl.mode !== state.mode) inCursor = false;
      continue;
    }
    if (top < 0) break;
    if (!tok.code) continue;
    if (OPENERS[ch]) own.push(ch);
    else if (CLOSERS[ch]) {
      if (own.length) { if (own[own.length - 1] === CLOSERS[ch]) own.pop(); continue; }
      let k = top;
      while (k >= 0 && stack[k]!.ch !== CLOSERS[ch]) k--;
      if (k < 0) break;
      stack[k]!.closedBySuffix = true;
      top = k - 1;
    }
  }
  return { open: stack, state, suffixClosesCursor };
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
  private readonly cursor: CursorContext;
  private readonly hash: boolean;
  /** The rest of the cursor's line (what the completion must not type again at its end). */
  private readonly rest: string;
  private readonly keepTrailingSpaces: boolean;
  /** The cursor line's indentation when the cursor is inside an empty block with code after it. */
  private readonly emptyBlockIndent: string | undefined;

  constructor(private readonly ctx: ShapeContext) {
    this.multiline = ctx.multiline ?? allowsMultiline(ctx.prefix, ctx.suffix);
    this.suffixLine = ctx.suffix.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
    this.line0IsFull = ctx.prefix.slice(ctx.prefix.lastIndexOf('\n') + 1).trim() === '';
    this.hash = HASH_COMMENTS.has(ctx.language ?? '');
    this.cursor = analyse(ctx.prefix, ctx.suffix, this.hash);
    this.open = this.cursor.open;
    // Mid-line (`x = |y`), a trailing space may separate the completion from the code after it.
    const rest = firstLine(ctx.suffix);
    this.rest = rest.replace(/\r$/, '');
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

  /**
   * The earliest point where the model starts re-typing the suffix: a whole line equal to the
   * suffix's first non-empty line (at bracket depth 0); a closer for what the suffix closes (a
   * bracket, the quote of the string or the `*\/` of the comment the cursor is in), moved back over
   * text just before it that the rest of the line also starts with; or, once the completion is
   * complete, the whole rest of the line typed at its end.
   */
  private findCut(t: string, complete: boolean): { at: number; reason: CutReason } | undefined {
    const lx = new Lexer(this.hash, this.cursor.state);
    const own: string[] = [];
    let outer = this.open.length - 1;
    /** Positions on the current line where the completion stands as the cursor did: a cut there leaves the code as balanced as the suffix expects. */
    let aligned: number[] = [0];
    let inCursor = this.cursor.state.mode === 'string' || this.cursor.state.mode === 'block-comment';
    const isAligned = (): boolean => own.length === 0 && outer === this.open.length - 1 && lx.mode === this.cursor.state.mode && lx.quote === this.cursor.state.quote;
    for (let i = 0; i <= t.length;) {
      const lineStart = i === 0 ? this.line0IsFull : t[i - 1] === '\n';
      if (lineStart && i > 0) aligned = isAligned() ? [i] : [];
      if (lineStart && own.length === 0 && this.suffixLine !== '' && (i > 0 || t.length > 0)) {
        const end = t.indexOf('\n', i);
        if (end >= 0 || complete) {
          if (t.slice(i, end < 0 ? t.length : end).trim() === this.suffixLine) return { at: i, reason: 'suffix-repeat' };
        }
      }
      if (i === t.length) break;
      const ch = t[i]!;
      const tok = lx.step(t, i);
      const next = i + tok.len;
      if (inCursor) {
        if (tok.closes && this.cursor.suffixClosesCursor) return { at: this.overlapStart(t, aligned, i, next), reason: 'closer' };
        if (lx.mode !== this.cursor.state.mode) inCursor = false;
      } else if (tok.code && OPENERS[ch]) {
        own.push(ch);
      } else if (tok.code && CLOSERS[ch]) {
        const opener = CLOSERS[ch];
        if (own.length) { if (own[own.length - 1] === opener) own.pop(); } else {
          // Unmatched in the completion: it closes a prefix bracket.
          const target = outer >= 0 ? this.open[outer] : undefined;
          if (target && target.ch === opener) {
            if (target.closedBySuffix) return { at: this.overlapStart(t, aligned, i, next), reason: 'closer' };
            outer--;
          }
        }
      }
      i = next;
      if (isAligned()) aligned.push(i);
    }
    if (complete && this.rest.trim() !== '') {
      // The whole rest of the line typed again at the end: `x = |;` + `foo();` -> `foo()`.
      const want = this.rest.trimEnd();
      const body = t.trimEnd();
      for (const j of aligned) {
        if (j < body.length && body.slice(j) === want) return { at: j, reason: 'suffix-overlap' };
      }
    }
    return undefined;
  }

  /** Where a cut for the closer at [i, end) starts: at the earliest aligned point from which the completion up to the closer is how the rest of the line begins. */
  private overlapStart(t: string, aligned: readonly number[], i: number, end: number): number {
    for (const j of aligned) {
      if (j <= i && this.rest.startsWith(t.slice(j, end))) return j;
    }
    return i;
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

/** Why a completion came out empty: the model said nothing, only whitespace, or a shaping rule
 * cut everything it said (see CutReason). */
export type EmptyReason = 'nothing' | 'whitespace' | CutReason;

export interface Collected {
  /** The ghost text. */
  text: string;
  /** What the model said (up to where reading stopped). */
  raw: string;
  /** The rule that ended the text, if one did. */
  reason?: CutReason;
  /** Set when `text` is empty. */
  empty?: EmptyReason;
}

/** Reads a stream of text until the shaped completion is final (or the stream ends): the text,
 * what the model said, and why it is empty when it is. Breaking out early closes the stream (or
 * detaches from a shared one). */
export async function collectShaped(stream: AsyncIterable<string>, ctx: ShapeContext | CompletionShaper): Promise<Collected> {
  const shaper = ctx instanceof CompletionShaper ? ctx : new CompletionShaper(ctx);
  let raw = '';
  for await (const chunk of stream) {
    raw += chunk;
    if (shaper.shape(raw, false).final) break;
  }
  const r = shaper.shape(raw, true);
  const out: Collected = { text: r.text, raw, ...(r.reason ? { reason: r.reason } : {}) };
  if (!r.text) out.empty = raw === '' ? 'nothing' : raw.trim() === '' ? 'whitespace' : r.reason ?? 'whitespace';
  return out;
}

/** The ghost text of a stream (see collectShaped). */
export async function collectCompletion(stream: AsyncIterable<string>, ctx: ShapeContext | CompletionShaper): Promise<string> {
  return (await collectShaped(stream, ctx)).text;
}
