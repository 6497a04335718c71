// Finding comments and strings in source code without a grammar: one linear scan driven by a
// language's comment tokens (VS Code's language-configuration.json `comments`: `lineComment` and
// `blockComment`) and its string delimiters (a table per language family below), so hover
// translation and "Translate Comments" work in any language mode. The scan never looks inside a
// string for a comment or inside a comment for a string, which is what a regex over lines gets
// wrong (`"http://x"` is not a comment, `# don't` does not open a string).
//
// Sources: the `comments` shape is VS Code's CommentRule (vscode.d.ts: `lineComment?: string |
// { comment, noIndent }`, `blockComment?: [string, string]`); string forms per language are from
// the languages' references (Python string prefixes and triple quotes, Rust raw strings `r#"…"#`,
// C# verbatim `@"…"` with `""`, C++ raw `R"d(…)d"`, Go raw and JS template literals with backquotes,
// SQL `''` escapes, Lua long brackets `[[…]]` / `--[[…]]`, shell `'…'` without escapes).

/** A string form: how it opens and closes and what escapes inside it. */
export interface StringRule {
  open: string;
  close: string;
  /** The escape character (default backslash); '' = none. */
  escape?: string;
  /** A doubled close quote stands for one quote ('it''s' in SQL, @"say ""hi""" in C#). */
  doubledQuote?: boolean;
  /** May span lines (single-line strings end at the line break: an unclosed quote never swallows a file). */
  multiline?: boolean;
  /** Letters that may stand right before `open` as part of the string (Python r/b/f/u prefixes). */
  prefixes?: RegExp;
}

export interface LanguageSyntax {
  lineComments: readonly string[];
  blockComments: ReadonlyArray<readonly [string, string]>;
  strings: readonly StringRule[];
  /** A line comment starts only at the start of a word (shell: `$#` and `a#b` are not comments). */
  lineCommentAtWordStart?: boolean;
  /** A string that stands alone at the start of a statement is documentation (Python docstrings). */
  docstrings?: boolean;
}

/** One comment or string as found: offsets into the scanned text. */
export interface Region {
  kind: 'comment' | 'string';
  /** The whole token, markers and quotes included: [start, end). */
  start: number;
  end: number;
  /** Between the markers/quotes. */
  contentStart: number;
  contentEnd: number;
  /** The opening marker or quote (`//`, `/*`, `"""`). */
  open: string;
  /** A line comment (ends at the line break). */
  line: boolean;
  /** Only whitespace before it on its line. */
  ownLine: boolean;
  /** A string that is documentation (Python docstring): treated as a comment. */
  docstring?: boolean;
}

/** One line of a block's text: what a model sees, and where it is in the source. */
export interface BlockLine {
  /** Offset of the text (after marker, `*` decoration and one space). */
  start: number;
  end: number;
  text: string;
  /** The source from the start of the line to `start` (indentation, marker, decoration). */
  prefix: string;
}

/** Adjacent line comments merged, or one block comment / string: the unit that is translated. */
export interface TextBlock {
  kind: 'comment' | 'string';
  start: number;
  end: number;
  lines: BlockLine[];
  /** The text a model is asked to translate: the lines joined with \n (no markers). */
  text: string;
  /** Line comments (each line carries its own marker). */
  lineComments: boolean;
  /** Some code stands before it on its first line. */
  trailing: boolean;
}

const C_STRINGS: StringRule[] = [{ open: '"', close: '"' }, { open: '\'', close: '\'' }];
const C_LIKE: LanguageSyntax = { lineComments: ['//'], blockComments: [['/*', '*/']], strings: C_STRINGS };
const JS_LIKE: LanguageSyntax = { ...C_LIKE, strings: [...C_STRINGS, { open: '`', close: '`', multiline: true }] };
const HASH: LanguageSyntax = { lineComments: ['#'], blockComments: [], strings: C_STRINGS };
const PY_PREFIX = /^[rRbBuUfF]{1,2}$/;
const PYTHON: LanguageSyntax = {
  lineComments: ['#'], blockComments: [], docstrings: true,
  strings: [
    { open: '"""', close: '"""', multiline: true, prefixes: PY_PREFIX }, { open: '\'\'\'', close: '\'\'\'', multiline: true, prefixes: PY_PREFIX },
    { open: '"', close: '"', prefixes: PY_PREFIX }, { open: '\'', close: '\'', prefixes: PY_PREFIX },
  ],
};
const SHELL: LanguageSyntax = {
  lineComments: ['#'], blockComments: [], lineCommentAtWordStart: true,
  strings: [{ open: '"', close: '"', multiline: true }, { open: '\'', close: '\'', escape: '', multiline: true }],
};
const SQL: LanguageSyntax = {
  lineComments: ['--'], blockComments: [['/*', '*/']],
  strings: [{ open: '\'', close: '\'', escape: '', doubledQuote: true }, { open: '"', close: '"', escape: '', doubledQuote: true }],
};
const LUA: LanguageSyntax = {
  lineComments: ['--'], blockComments: [['--[[', ']]']],
  strings: [...C_STRINGS, { open: '[[', close: ']]', escape: '', multiline: true }],
};
const MARKUP: LanguageSyntax = { lineComments: [], blockComments: [['<!--', '-->']], strings: [] };

/**
 * Built-in syntax per VS Code language id, for languages whose configuration is not at hand and
 * for the string forms a configuration does not describe. Keys are language ids.
 */
export const BUILTIN_SYNTAX: Readonly<Record<string, LanguageSyntax>> = {
  c: C_LIKE, cpp: { ...C_LIKE, strings: [{ open: 'R"(', close: ')"', escape: '', multiline: true }, ...C_STRINGS] }, 'objective-c': C_LIKE, 'objective-cpp': C_LIKE,
  java: C_LIKE, kotlin: { ...C_LIKE, strings: [{ open: '"""', close: '"""', escape: '', multiline: true }, ...C_STRINGS] }, scala: C_LIKE, groovy: C_LIKE, dart: C_LIKE,
  csharp: { ...C_LIKE, strings: [{ open: '@"', close: '"', escape: '', doubledQuote: true, multiline: true }, ...C_STRINGS] },
  go: { ...C_LIKE, strings: [...C_STRINGS, { open: '`', close: '`', escape: '', multiline: true }] },
  rust: { ...C_LIKE, strings: [{ open: 'r#"', close: '"#', escape: '', multiline: true }, { open: 'r"', close: '"', escape: '', multiline: true }, { open: '"', close: '"', multiline: true }] },
  swift: { ...C_LIKE, strings: [{ open: '"""', close: '"""', multiline: true }, { open: '"', close: '"' }] },
  javascript: JS_LIKE, typescript: JS_LIKE, javascriptreact: JS_LIKE, typescriptreact: JS_LIKE, vue: JS_LIKE, svelte: JS_LIKE,
  php: { ...C_LIKE, lineComments: ['//', '#'] }, jsonc: C_LIKE, json5: C_LIKE, css: { ...C_LIKE, lineComments: [] }, scss: C_LIKE, less: C_LIKE,
  python: PYTHON, shellscript: SHELL, ruby: HASH, perl: HASH, r: HASH, yaml: HASH, toml: HASH, dockerfile: HASH, makefile: HASH,
  cmake: HASH, coffeescript: HASH, julia: HASH, elixir: HASH, nim: HASH, properties: HASH, ini: { ...HASH, lineComments: [';', '#'] },
  powershell: { lineComments: ['#'], blockComments: [['<#', '#>']], strings: [{ open: '"', close: '"', escape: '`', multiline: true }, { open: '\'', close: '\'', escape: '', doubledQuote: true, multiline: true }] },
  sql: SQL, lua: LUA, haskell: { lineComments: ['--'], blockComments: [['{-', '-}']], strings: [{ open: '"', close: '"' }] },
  html: MARKUP, xml: MARKUP, xsl: MARKUP, svg: MARKUP,
  clojure: { lineComments: [';'], blockComments: [], strings: [{ open: '"', close: '"', multiline: true }] },
  lisp: { lineComments: [';'], blockComments: [['#|', '|#']], strings: [{ open: '"', close: '"', multiline: true }] },
  vb: { lineComments: ['\''], blockComments: [], strings: [{ open: '"', close: '"', escape: '', doubledQuote: true }] },
  bat: { lineComments: ['::', 'REM ', 'rem '], blockComments: [], strings: [] },
  latex: { lineComments: ['%'], blockComments: [], strings: [] }, tex: { lineComments: ['%'], blockComments: [], strings: [] },
  matlab: { lineComments: ['%'], blockComments: [['%{', '%}']], strings: [{ open: '"', close: '"', escape: '', doubledQuote: true }] },
  erlang: { lineComments: ['%'], blockComments: [], strings: [{ open: '"', close: '"' }] },
  fsharp: { lineComments: ['//'], blockComments: [['(*', '*)']], strings: [{ open: '"""', close: '"""', escape: '', multiline: true }, { open: '"', close: '"', multiline: true }] },
  ocaml: { lineComments: [], blockComments: [['(*', '*)']], strings: [{ open: '"', close: '"', multiline: true }] },
  pascal: { lineComments: ['//'], blockComments: [['{', '}'], ['(*', '*)']], strings: [{ open: '\'', close: '\'', escape: '', doubledQuote: true }] },
  zig: { lineComments: ['//'], blockComments: [], strings: C_STRINGS },
};

/** VS Code's CommentRule as a language-configuration.json file has it. */
export interface ConfiguredComments {
  lineComment?: string | { comment?: string } | null;
  blockComment?: readonly [string, string] | null;
}

/**
 * The syntax used for `languageId`: the configuration's comment tokens when given (they are what
 * the language's own extension says), the built-in table's string forms and extras; unknown
 * languages with a configuration get C-style strings. Undefined when nothing is known.
 */
export function languageSyntax(languageId: string, configured?: ConfiguredComments): LanguageSyntax | undefined {
  const builtin = BUILTIN_SYNTAX[languageId];
  const line = typeof configured?.lineComment === 'string' ? configured.lineComment : configured?.lineComment?.comment;
  const block = configured?.blockComment;
  const validBlock = Array.isArray(block) && typeof block[0] === 'string' && typeof block[1] === 'string' && block[0] && block[1] ? [block[0], block[1]] as const : undefined;
  if (!line && !validBlock) return builtin;
  const lineComments = [...new Set([...(line ? [line] : []), ...(builtin?.lineComments ?? [])])];
  const blocks = [...(validBlock ? [validBlock] : []), ...(builtin?.blockComments ?? []).filter((b) => !validBlock || b[0] !== validBlock[0])];
  return { ...(builtin ?? { strings: C_STRINGS }), lineComments, blockComments: blocks };
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}_$]/u.test(c);
}

/**
 * Every comment and string in `text`, in order, by one left-to-right scan. Linear in the text's
 * length (each character is looked at a bounded number of times per token kind). An unclosed
 * block comment or multi-line string runs to the end of the text; an unclosed single-line string
 * ends at its line break.
 */
export function scanRegions(text: string, syn: LanguageSyntax): Region[] {
  const out: Region[] = [];
  // Longest tokens first, so `--[[` wins over `--`, `"""` over `"`, `r#"` over `r"`.
  const blocks = [...syn.blockComments].sort((a, b) => b[0].length - a[0].length);
  const lines = [...syn.lineComments].filter((l) => l !== '').sort((a, b) => b.length - a.length);
  const strings = [...syn.strings].sort((a, b) => b.open.length - a.open.length);
  // The first characters of every token: any other character is code, looked at once (most of a
  // file), without trying each token at it (a 5 MB file scanned in ~0.3 s that way, ~10x this).
  const firsts = new Set<string>([...blocks.map(([open]) => open[0]!), ...lines.map((l) => l[0]!), ...strings.map((r) => r.open[0]!)]);
  let lineStart = 0;
  let codeOnLine = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '\n' || c === '\r') { i++; lineStart = i; codeOnLine = false; continue; }
    if (!firsts.has(c)) {
      if (c !== ' ' && c !== '\t') codeOnLine = true;
      i++;
      continue;
    }
    const ownLine = !codeOnLine;
    const block = blocks.find(([open]) => text.startsWith(open, i));
    if (block) {
      const close = text.indexOf(block[1], i + block[0].length);
      const end = close < 0 ? n : close + block[1].length;
      out.push({ kind: 'comment', start: i, end, contentStart: i + block[0].length, contentEnd: close < 0 ? n : close, open: block[0], line: false, ownLine });
      i = end;
      codeOnLine = true;
      continue;
    }
    const lc = lines.find((l) => text.startsWith(l, i) && (!syn.lineCommentAtWordStart || i === lineStart || /\s/.test(text[i - 1]!)));
    if (lc) {
      let end = i + lc.length;
      while (end < n && text[end] !== '\n' && text[end] !== '\r') end++;
      out.push({ kind: 'comment', start: i, end, contentStart: i + lc.length, contentEnd: end, open: lc, line: true, ownLine });
      i = end;
      continue;
    }
    const s = strings.find((r) => text.startsWith(r.open, i));
    if (s) {
      // A prefix (Python r"…", f'…') belongs to the string; any other word character before a quote
      // means the quote is part of something else (Rust lifetimes 'a, apostrophes in identifiers).
      let start = i;
      if (s.prefixes) {
        let p = i;
        while (p > lineStart && /[A-Za-z]/.test(text[p - 1]!)) p--;
        if (p < i && s.prefixes.test(text.slice(p, i)) && !isWordChar(text[p - 1])) start = p;
      }
      const end = scanString(text, i, s);
      const docstring = !!syn.docstrings && s.multiline === true && ownLine && start === i;
      const closed = text.startsWith(s.close, end - s.close.length) && end - s.close.length >= i + s.open.length;
      out.push({
        kind: 'string', start, end, contentStart: i + s.open.length, contentEnd: closed ? end - s.close.length : end, open: s.open, line: false,
        ownLine: ownLine && start === i, ...(docstring ? { docstring: true } : {}),
      });
      i = end;
      codeOnLine = true;
      continue;
    }
    if (c !== ' ' && c !== '\t') codeOnLine = true;
    i++;
  }
  return out;
}

/** The end (exclusive) of the string opening at `i`. */
function scanString(text: string, i: number, r: StringRule): number {
  const esc = r.escape ?? '\\';
  let j = i + r.open.length;
  const n = text.length;
  while (j < n) {
    const ch = text[j]!;
    if (!r.multiline && (ch === '\n' || ch === '\r')) return j;
    if (esc && ch === esc) { j += 2; continue; }
    if (text.startsWith(r.close, j)) {
      if (r.doubledQuote && text.startsWith(r.close, j + r.close.length)) { j += 2 * r.close.length; continue; }
      return j + r.close.length;
    }
    j++;
  }
  return n;
}

function lineStartOf(text: string, offset: number): number {
  let k = offset;
  while (k > 0 && text[k - 1] !== '\n' && text[k - 1] !== '\r') k--;
  return k;
}

/** The lines of [from, to), each with its start offset (line breaks not included). */
function linesIn(text: string, from: number, to: number): Array<{ start: number; text: string }> {
  const out: Array<{ start: number; text: string }> = [];
  let s = from;
  for (let k = from; k <= to; k++) {
    if (k === to || text[k] === '\n' || text[k] === '\r') {
      out.push({ start: s, text: text.slice(s, k) });
      if (k < to && text[k] === '\r' && text[k + 1] === '\n') k++;
      s = k + 1;
    }
  }
  return out;
}

/** A line comment's marker with its decoration (`//`, `///`, `//!`, `##`): runs merge only when equal. */
function markerOf(text: string, r: Region): string {
  return r.open + (/^[/#;%*!-]*/.exec(text.slice(r.contentStart, Math.min(r.contentEnd, r.contentStart + 8)))?.[0] ?? '');
}

/** The text of one line comment after its marker: a repeated marker character (`///`, `##`,
 * `---`), an inner-doc `!` and one space are decoration. */
function lineCommentLine(text: string, r: Region): BlockLine {
  const last = r.open[r.open.length - 1]!;
  let k = r.contentStart;
  while (k < r.contentEnd && text[k] === last && /[/#;%*-]/.test(last)) k++;
  if (text[k] === '!' && r.open === '//') k++;
  if (text[k] === ' ' || text[k] === '\t') k++;
  let end = r.contentEnd;
  while (end > k && /\s/.test(text[end - 1]!)) end--;
  const ls = lineStartOf(text, r.start);
  return { start: k, end, text: text.slice(k, end), prefix: text.slice(ls, k) };
}

/** The lines of a block comment or string between its markers, with `*` decorations (JSDoc, Javadoc)
 * and one space taken off; blank first and last lines dropped. */
function innerLines(text: string, r: Region): BlockLine[] {
  const raw = linesIn(text, r.contentStart, r.contentEnd);
  const out: BlockLine[] = [];
  const decorated = r.kind === 'comment' && raw.slice(1).filter((l) => l.text.trim() !== '').every((l) => /^\s*\*(?!\/)/.test(l.text));
  raw.forEach((l, idx) => {
    let k = 0;
    if (idx === 0) {
      // `/**`, `/*!`, `/*-`: more of the marker.
      if (r.kind === 'comment') while (k < l.text.length && /[*!-]/.test(l.text[k]!) && k < 2) k++;
    } else {
      while (k < l.text.length && /\s/.test(l.text[k]!)) k++;
      if (decorated && l.text[k] === '*') k++;
    }
    if (r.kind === 'comment' && (l.text[k] === ' ' || l.text[k] === '\t')) k++;
    else if (r.kind === 'string' && idx > 0) { /* indentation of a docstring line was skipped above */ }
    let end = l.text.length;
    while (end > k && /\s/.test(l.text[end - 1]!)) end--;
    const ls = lineStartOf(text, l.start);
    out.push({ start: l.start + k, end: l.start + end, text: l.text.slice(k, end), prefix: text.slice(ls, l.start + k) });
  });
  while (out.length && out[0]!.text === '') out.shift();
  while (out.length && out[out.length - 1]!.text === '') out.pop();
  return out;
}

/**
 * The translatable units of a file: a run of line comments on consecutive lines (each alone on its
 * line, same marker and indentation) is one block; a block comment is one; a string is one
 * (docstrings count as comments). Blocks with no letter in them are left out.
 */
export function textBlocks(text: string, regions: readonly Region[]): TextBlock[] {
  const out: TextBlock[] = [];
  let k = 0;
  while (k < regions.length) {
    const r = regions[k]!;
    if (r.kind === 'comment' && r.line) {
      const group = [r];
      const col = r.start - lineStartOf(text, r.start);
      while (k + 1 < regions.length) {
        const next = regions[k + 1]!;
        const prev = group[group.length - 1]!;
        const between = text.slice(prev.end, next.start);
        if (!(next.kind === 'comment' && next.line && markerOf(text, next) === markerOf(text, r) && r.ownLine && next.ownLine && /^(?:\r\n|\n|\r)[ \t]*$/.test(between) && next.start - lineStartOf(text, next.start) === col)) break;
        group.push(next);
        k++;
      }
      const lines = group.map((g) => lineCommentLine(text, g));
      while (lines.length && lines[0]!.text === '') lines.shift();
      while (lines.length && lines[lines.length - 1]!.text === '') lines.pop();
      pushBlock(out, 'comment', r.start, group[group.length - 1]!.end, lines, true, !r.ownLine);
    } else {
      pushBlock(out, r.kind === 'comment' || r.docstring ? 'comment' : 'string', r.start, r.end, innerLines(text, r), false, !r.ownLine);
    }
    k++;
  }
  return out;
}

function pushBlock(out: TextBlock[], kind: TextBlock['kind'], start: number, end: number, lines: BlockLine[], lineComments: boolean, trailing: boolean): void {
  const body = lines.map((l) => l.text).join('\n');
  if (!/\p{L}/u.test(body)) return;
  out.push({ kind, start, end, lines, text: body, lineComments, trailing });
}

/** The block that contains `offset` (a position inside its markers or quotes counts), if any. */
export function blockAt(blocks: readonly TextBlock[], offset: number): TextBlock | undefined {
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const b = blocks[mid]!;
    if (offset < b.start) hi = mid - 1;
    else if (offset > b.end) lo = mid + 1;
    else return b;
  }
  return undefined;
}

/** Tool directives that live in comments: translating them would break the tool (lint, types, build). */
const DIRECTIVE = /^(?:eslint|eslint-disable|eslint-enable|@ts-|prettier-ignore|istanbul |c8 |tslint:|jshint|jscs:|global |globals |exported |go:|\+build|nolint|noqa|type:\s*ignore|pylint:|mypy:|fmt:|isort:|#?region\b|#?endregion\b|-\*-|!|<reference|@flow|@jsx|@refresh|NOSONAR|NOLINT|clang-format|rubocop:|shellcheck|biome-ignore|deno-lint-ignore|deno-fmt-ignore|@vite-ignore|webpack[A-Z]|@license|SPDX-License-Identifier|language=|@generated|cspell:|spell-checker:|markdownlint|stylelint-|#\s*(?:pragma|include|define)|pragma\b|swiftlint:|ktlint|detekt|@Suppress|nocheck|coverage:|pragma:)/i;

/** True for a comment that is a directive to a tool (eslint-disable, @ts-ignore, //go:build, a shebang…). */
export function isDirective(block: TextBlock): boolean {
  return block.kind === 'comment' && DIRECTIVE.test(block.lines[0]?.text.trim() ?? '');
}

/**
 * Whether a string literal reads like text for people rather than a key, a path, a format or an
 * identifier: two words or more, or letters of a script without spaces between words (CJK, Thai).
 */
export function isProseString(text: string): boolean {
  const t = text.trim();
  if (t.length < 2 || !/\p{L}/u.test(t)) return false;
  if (/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u.test(t)) return true;
  if (/^[a-z][\w$]*(?:[.:/-][\w$]+)+$/i.test(t) || /^(?:https?:|file:|\.{0,2}\/)/i.test(t)) return false;
  const words = t.split(/\s+/).filter((w) => /\p{L}{2,}/u.test(w));
  return words.length >= 2;
}

/**
 * The comment block rebuilt around translated lines, for replacing [first line's text start, last
 * line's text end) in the source. Each line keeps the source line's prefix (indentation, marker,
 * `*` decoration); extra lines take the prefix of the last source line (line comments: of the
 * first line's indentation and marker); a block that shares its line with code (a trailing
 * comment) or a one-line block comment becomes one line. `eol` joins the lines.
 */
export function rebuildBlock(block: TextBlock, translated: readonly string[], eol: string): { start: number; end: number; text: string } {
  const lines = block.lines;
  const start = lines[0]!.start;
  const end = lines[lines.length - 1]!.end;
  const tr = translated.map((l) => l.trimEnd());
  while (tr.length > 1 && tr[tr.length - 1] === '') tr.pop();
  const oneLine = block.trailing || (lines.length === 1 && !block.lineComments);
  if (oneLine || tr.length === 0) return { start, end, text: tr.filter((l) => l !== '').join(' ') };
  const ownPrefix = (p: string): string => {
    // A line comment's prefix from its line start may hold code: keep only the indentation and marker.
    const m = /^(\s*)(.*)$/.exec(p)!;
    return m[1]! + m[2]!;
  };
  const extra = block.lineComments ? ownPrefix(lines[0]!.prefix) : ownPrefix(lines[Math.max(1, lines.length - 1)]?.prefix ?? lines[0]!.prefix);
  const out = tr.map((t, k) => {
    if (k === 0) return t;
    const p = k < lines.length ? lines[k]!.prefix : extra;
    return t === '' ? p.trimEnd() : p + t;
  });
  return { start, end, text: out.join(eol) };
}
