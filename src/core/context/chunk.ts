// Cutting a file into chunks at natural boundaries, for workspace search and embeddings: a chunk
// ends where a declaration begins at the outer level (a function, a class, a heading), else at a
// blank line, else where the indentation steps back out, and only when nothing better is near, in
// the middle of a block. A doc comment stays with the declaration under it. Sizes are in estimated
// tokens (core/llm/tokens: CJK counts per character), so a chunk fits every common embedding
// model's window (all-minilm 256-512, mxbai 512, nomic 2048 tokens; Ollama cuts longer input
// silently unless `truncate: false`). A line longer than a chunk (minified code, data) is cut in
// pieces. Pure and O(length).
import { estimateTokens } from '../llm/tokens';

export interface Chunk {
  /** First and last line, 1-based, inclusive. */
  startLine: number;
  endLine: number;
  text: string;
  /** Names declared in the chunk (functions, classes, types, headings), for the `symbols` field. */
  symbols: string[];
  /** Estimated tokens of `text` (core/llm/tokens, plus one per line). */
  tokens: number;
}

export interface ChunkOptions {
  /** A chunk ends at the first good boundary after this many tokens. Default 250. */
  targetTokens?: number;
  /** No chunk is larger (unless one line is). Default 400. */
  maxTokens?: number;
  /** A chunk is not cut before this many tokens unless a declaration starts. Default 60. */
  minTokens?: number;
}

export const DEFAULT_CHUNK_OPTIONS: Required<ChunkOptions> = { targetTokens: 250, maxTokens: 400, minTokens: 60 };

/** A declaration at the start of a line (after indentation), in the common languages: JS/TS,
 * Python, Go, Rust, Java/C#/Kotlin/Swift, C/C++ (a type then a name then `(`), Ruby, PHP, shell
 * functions. Group 1 is the declared name when the form has one. */
const DECLARATION = new RegExp([
  // export default async function* name / export abstract class Name / interface / type / enum / namespace / module
  String.raw`^(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\s*\*?|class|interface|type|enum|namespace|module|struct|trait|impl(?:<[^>]*>)?|union|record|object|protocol|extension)\s+([\p{L}_$][\p{L}\p{N}_$]*)`,
  // export const name = / let / var
  String.raw`^(?:export\s+)?(?:const|let|var)\s+([\p{L}_$][\p{L}\p{N}_$]*)\s*[:=]`,
  // Python / Ruby / Elixir: def name, async def name, class Name:
  String.raw`^(?:async\s+)?(?:def|defp|defmodule|fn|func|fun|sub|proc|procedure)\s+(?:\([^)]*\)\s*)?([\p{L}_$][\p{L}\p{N}_$?!.]*)`,
  // Rust / Go / Kotlin / Swift / Java / C# with modifiers: pub fn name, public static int name(
  String.raw`^(?:(?:pub(?:\([^)]*\))?|public|private|protected|internal|static|final|override|virtual|abstract|sealed|open|inline|extern|unsafe|const|async|export|partial|readonly)\s+)+(?:[\p{L}_$][\p{L}\p{N}_$<>\[\],.?* ]*\s+)?([\p{L}_$][\p{L}\p{N}_$]*)\s*[(<{:=]`,
  // C / C++: int name(, static void *name(
  String.raw`^(?:[\p{L}_][\p{L}\p{N}_:<>,*& ]*\s+[*&]*)([\p{L}_][\p{L}\p{N}_:]*)\s*\([^;]*$`,
].join('|'), 'u');
const DECLARATION_NESTED = new RegExp(DECLARATION.source.slice(0, DECLARATION.source.lastIndexOf('|^(?:[\\p{L}_]')), 'u');
const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const DOC_START = /^(?:\/\*\*|\/\/\/|"""|'''|#\s*region\b)/;
const COMMENT_END = /\*\/\s*$|^\s*\/\/\/|^\s*"""|^\s*'''/;
const DECORATOR = /^@[\p{L}_][\p{L}\p{N}_.]*/u;

interface Line {
  /** 1-based line number (pieces of a long line share it). */
  no: number;
  text: string;
  tokens: number;
  indent: number;
  blank: boolean;
  /** The name a declaration on this line declares ('' for an unnamed one), else undefined. */
  declares?: string;
}

/** The indentation width (a tab counts 4). */
function indentOf(s: string): number {
  let n = 0;
  for (const ch of s) {
    if (ch === ' ') n++;
    else if (ch === '\t') n += 4;
    else break;
  }
  return n;
}

function declaredName(trimmed: string, markdown: boolean, indent: number): string | undefined {
  if (markdown) {
    const h = HEADING.exec(trimmed);
    return h ? h[2]! : undefined;
  }
  // Declarations at the outer level and one level in (class members); deeper ones are locals.
  if (indent > 4) return undefined;
  if (indent > 0 && /^(?:export\s+)?(?:const|let|var)\s/.test(trimmed)) return undefined;
  // The C form (a type, then a name, then `(`) is too loose inside a body.
  const m = (indent > 0 ? DECLARATION_NESTED : DECLARATION).exec(trimmed);
  if (!m) return undefined;
  // Control flow is not a declaration (`if (x) {`, `return foo(`): the C form would take it.
  const name = m.slice(1).find((g) => g !== undefined) ?? '';
  if (/^(?:if|for|while|switch|catch|return|else|do|try|new|throw|await|yield|typeof|sizeof|case|delete|in|of)$/.test(name)) return undefined;
  if (/^(?:return|throw|else|case|new|await|yield|delete|typeof)\b/.test(trimmed)) return undefined;
  return name;
}

function toLines(text: string, maxTokens: number, markdown: boolean): Line[] {
  const out: Line[] = [];
  const raw = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i]!;
    const tokens = estimateTokens(t) + 1;
    const trimmed = t.trimStart();
    const blank = trimmed.length === 0;
    if (tokens <= maxTokens) {
      const declares = blank ? undefined : declaredName(trimmed, markdown, indentOf(t));
      out.push({ no: i + 1, text: t, tokens, indent: indentOf(t), blank, ...(declares !== undefined ? { declares } : {}) });
      continue;
    }
    // A line larger than a chunk: pieces of about maxTokens/2 tokens each (by characters, scaled by
    // how many characters a token is on this line).
    const charsPerPiece = Math.max(64, Math.floor((t.length / tokens) * (maxTokens / 2)));
    for (let at = 0; at < t.length; at += charsPerPiece) {
      let end = Math.min(t.length, at + charsPerPiece);
      // Never cut a surrogate pair.
      if (end < t.length && /[\uD800-\uDBFF]/.test(t[end - 1]!)) end--;
      const piece = t.slice(at, end);
      out.push({ no: i + 1, text: piece, tokens: estimateTokens(piece) + 1, indent: at === 0 ? indentOf(t) : 0, blank: false });
      at = end - charsPerPiece;
    }
  }
  // A trailing newline makes an empty last line: not part of any chunk.
  while (out.length && out[out.length - 1]!.blank && out[out.length - 1]!.text === '') out.pop();
  return out;
}

/** How good a place it is to end a chunk just before line `i` (0: never). */
function boundaryScore(lines: readonly Line[], i: number, markdown: boolean): number {
  const cur = lines[i]!;
  const prev = lines[i - 1];
  if (!prev) return 0;
  if (cur.no === prev.no) return 1; // inside one long line
  const trimmed = cur.text.trimStart();
  const prevTrim = prev.text.trim();
  // A doc comment, decorator or attribute belongs to what follows it: do not cut after one.
  const prevIsDoc = COMMENT_END.test(prev.text) || DECORATOR.test(prevTrim) || /^#\[/.test(prevTrim);
  if (markdown) {
    if (cur.declares !== undefined) return 100 - Math.min(50, (HEADING.exec(trimmed)?.[1]?.length ?? 1) * 5);
    return prev.blank ? 40 : 2;
  }
  if (DOC_START.test(trimmed) || DECORATOR.test(trimmed)) return cur.indent === 0 ? 95 : Math.max(20, 70 - cur.indent);
  if (cur.declares !== undefined) {
    if (prevIsDoc) return 3;
    return cur.indent === 0 ? 90 : Math.max(20, 75 - cur.indent * 2);
  }
  if (cur.blank) return 0;
  if (prev.blank) return cur.indent === 0 ? 70 : Math.max(10, 50 - cur.indent);
  if (cur.indent < prev.indent && !/^[)\]}]/.test(trimmed)) return Math.max(5, 30 - cur.indent);
  if (/^[)\]}]/.test(prevTrim) && cur.indent <= prev.indent) return Math.max(5, 25 - cur.indent);
  return 1;
}

/**
 * The chunks of `text`. `path` decides the kind of text (Markdown cuts at headings). Every
 * non-blank line belongs to exactly one chunk; chunks are in file order and do not overlap.
 * Returns [] for a file with no non-blank line.
 */
export function chunkText(path: string, text: string, options: ChunkOptions = {}): Chunk[] {
  const o = { ...DEFAULT_CHUNK_OPTIONS, ...options };
  const markdown = /\.(?:md|markdown|mdx|rst|adoc|txt)$/i.test(path);
  const lines = toLines(text, o.maxTokens, markdown);
  const chunks: Chunk[] = [];
  let start = 0;
  let tokens = 0;
  let best = -1;
  let bestScore = 0;
  const flush = (end: number): void => {
    // Blank lines at either end belong to no chunk.
    let a = start;
    let b = end;
    while (a < b && lines[a]!.blank) a++;
    while (b > a && lines[b - 1]!.blank) b--;
    if (a < b) {
      const part = lines.slice(a, b);
      const symbols = [...new Set(part.flatMap((l) => (l.declares ? [l.declares] : [])))];
      // Pieces of one long line join without a line break.
      let body = part[0]!.text;
      for (let k = 1; k < part.length; k++) body += (part[k]!.no === part[k - 1]!.no ? '' : '\n') + part[k]!.text;
      chunks.push({ startLine: part[0]!.no, endLine: part[part.length - 1]!.no, text: body, symbols, tokens: part.reduce((n, l) => n + l.tokens, 0) });
    }
    start = end;
    tokens = 0;
    best = -1;
    bestScore = 0;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (i > start) {
      const score = boundaryScore(lines, i, markdown);
      // A declaration at the outer level ends a chunk of any useful size; other good boundaries
      // end one that reached the target.
      if (score >= 90 && tokens >= o.minTokens) flush(i);
      else if (score >= 40 && tokens >= o.targetTokens) flush(i);
      else if (tokens + line.tokens > o.maxTokens) flush(best > start && bestScore >= 5 ? best : i);
      else if (tokens >= o.minTokens && score >= bestScore && score > 0) { best = i; bestScore = score; }
      // After a flush at `best`, the lines between it and here count towards the new chunk.
      if (start < i && tokens === 0) for (let k = start; k < i; k++) tokens += lines[k]!.tokens;
    }
    tokens += line.tokens;
  }
  flush(lines.length);
  // A chunk that is the doc comment of what follows is found by that name too.
  for (let k = 0; k + 1 < chunks.length; k++) {
    const c = chunks[k]!;
    const next = chunks[k + 1]!;
    if (next.symbols.length && next.startLine <= c.endLine + 2 && COMMENT_END.test(c.text.slice(c.text.lastIndexOf('\n') + 1))) {
      if (!c.symbols.includes(next.symbols[0]!)) c.symbols.push(next.symbols[0]!);
    }
  }
  return chunks;
}
