// How context from other files goes into a FIM prompt. Models trained on repository-level data get
// their own layout; every other model gets each snippet as a comment headed by its path, in the
// document's comment syntax, before the prefix (Continue's fallback).
//
// Qwen2.5-Coder / Qwen3-Coder (QwenLM/Qwen2.5-Coder examples/Qwen2.5-Coder-repolevel-fim.py; the
// maintainers confirm it for FIM, QwenLM/Qwen3-Coder#343):
//   <|repo_name|>{repo}\n<|file_sep|>{path}\n{text}\n … <|file_sep|>{current path}\n
//   <|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>
// StarCoder2 (arXiv 2402.19173 §5): <repo_name>{repo}<file_sep>{path}\n{text} …
//   <file_sep><fim_prefix>{current path}\n{prefix}<fim_suffix>{suffix}<fim_middle>
// Both need `raw: true`: a server template that formats `prompt` + `suffix` cannot put anything
// before its own `<|fim_prefix|>`. CodeGemma's `<|file_separator|>` has no documented path
// placement and DeepSeek-Coder, CodeLlama and Codestral have no file tokens: comments.
import { specialTokens, type FimFamily } from './templates';

/** A snippet as the prompt needs it. */
export interface PromptSnippet {
  path: string;
  text: string;
}

/** The context of one completion prompt. */
export interface FimContext {
  /** The repository's name (`<|repo_name|>`). */
  repo: string;
  /** The current file's path. */
  path: string;
  /** VS Code language id of the current file (the comment syntax of the fallback). */
  language?: string;
  /** In prompt order. */
  snippets: readonly PromptSnippet[];
}

export type ContextFormat = 'qwen-repo' | 'starcoder2-repo' | 'comments';

const QWEN_REPO_TOKENS = ['<|repo_name|>', '<|file_sep|>'];
const STARCODER2_REPO_TOKENS = ['<repo_name>', '<file_sep>'];

/** Stop sequences of a repository-level prompt: the file tokens (a model that starts a new file is
 * done with this one) and the FIM tokens. Continue's list for Qwen. */
export const REPO_STOPS: Readonly<Record<Exclude<ContextFormat, 'comments'>, readonly string[]>> = {
  'qwen-repo': ['<|endoftext|>', '<|file_sep|>', '<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', '<|fim_pad|>', '<|repo_name|>', '<|im_start|>', '<|im_end|>'],
  'starcoder2-repo': ['<|endoftext|>', '<file_sep>', '<fim_prefix>', '<fim_suffix>', '<fim_middle>', '<repo_name>'],
};

/** The layout for a model of `family` (undefined: unknown): Qwen coder models and StarCoder2 have
 * repository-level tokens; StarCoder 1 and StableCode share StarCoder's FIM tokens but not these. */
export function contextFormatFor(model: string, family: FimFamily | undefined): ContextFormat {
  if (family === 'qwen') return 'qwen-repo';
  if (family === 'starcoder' && /starcoder2/i.test(model)) return 'starcoder2-repo';
  return 'comments';
}

/** Special tokens a snippet must not contain in this format: a file holding them (a FIM tool's own
 * source) would be read as prompt structure. */
function forbidden(format: ContextFormat, family: FimFamily | undefined): readonly string[] {
  const own = format === 'qwen-repo' ? QWEN_REPO_TOKENS : format === 'starcoder2-repo' ? STARCODER2_REPO_TOKENS : [];
  return [...specialTokens(family), ...own];
}

/** The snippets that can go into a prompt of `format` (see forbidden()). */
export function usableSnippets(snippets: readonly PromptSnippet[], format: ContextFormat, family: FimFamily | undefined): PromptSnippet[] {
  const bad = forbidden(format, family);
  return snippets.filter((s) => !bad.some((t) => s.text.includes(t) || s.path.includes(t)));
}

const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ');
const withNewline = (s: string): string => (s.endsWith('\n') ? s : `${s}\n`);

/** The raw prompt of a repository-level format. */
export function buildRepoPrompt(format: Exclude<ContextFormat, 'comments'>, ctx: FimContext, prefix: string, suffix: string): string {
  const repo = oneLine(ctx.repo);
  const path = oneLine(ctx.path);
  if (format === 'qwen-repo') {
    const files = ctx.snippets.map((s) => `<|file_sep|>${oneLine(s.path)}\n${withNewline(s.text)}`).join('');
    return `<|repo_name|>${repo}\n${files}<|file_sep|>${path}\n<|fim_prefix|>${prefix}<|fim_suffix|>${suffix}<|fim_middle|>`;
  }
  const files = ctx.snippets.map((s) => `<file_sep>${oneLine(s.path)}\n${withNewline(s.text)}`).join('');
  return `<repo_name>${repo}${files}<file_sep><fim_prefix>${path}\n${prefix}<fim_suffix>${suffix}<fim_middle>`;
}

/** A language's comment syntax: a line comment, else a block comment. */
export interface CommentSyntax {
  line?: string;
  block?: [string, string];
}

const LINE_COMMENT: ReadonlyArray<[string, readonly string[]]> = [
  ['#', ['python', 'shellscript', 'ruby', 'perl', 'perl6', 'raku', 'r', 'yaml', 'toml', 'dockerfile', 'makefile', 'powershell',
    'coffeescript', 'julia', 'elixir', 'nim', 'crystal', 'cmake', 'graphql', 'tcl', 'awk', 'properties', 'gdscript', 'terraform',
    'hcl', 'nix', 'starlark', 'bazel', 'pip-requirements', 'dotenv', 'ssh_config', 'gitignore', 'ignore', 'restructuredtext']],
  ['--', ['sql', 'lua', 'haskell', 'ada', 'elm', 'purescript', 'vhdl', 'plsql', 'agda', 'idris']],
  ['%', ['latex', 'tex', 'bibtex', 'matlab', 'erlang', 'prolog', 'octave']],
  [';', ['clojure', 'lisp', 'commonlisp', 'scheme', 'racket', 'ini', 'asm', 'nasm', 'fennel']],
  ['\'', ['vb']],
  ['REM', ['bat']],
  ['!', ['fortran', 'fortran-modern', 'FortranFreeForm']],
  ['"', ['viml', 'vim']],
];
const BLOCK_COMMENT: ReadonlyArray<[[string, string], readonly string[]]> = [
  [['<!--', '-->'], ['html', 'xml', 'xsl', 'svg', 'vue', 'svelte', 'markdown', 'razor', 'aspnetcorerazor', 'astro', 'handlebars']],
  [['/*', '*/'], ['css']],
];

/** The comment syntax of a VS Code language id (default `//`: C, C++, C#, Java, JS/TS, Go, Rust,
 * Swift, Kotlin, Scala, Dart, PHP, SCSS, Less, protobuf, and most others). */
export function commentSyntax(language: string | undefined): CommentSyntax {
  const id = language ?? '';
  for (const [line, ids] of LINE_COMMENT) if (ids.includes(id)) return { line };
  for (const [block, ids] of BLOCK_COMMENT) if (ids.includes(id)) return { block };
  return { line: '//' };
}

/** `text` as a comment: every line prefixed, or one block with the closer inside made harmless. */
export function asComment(text: string, syntax: CommentSyntax): string {
  if (syntax.line) {
    const c = syntax.line;
    return text.split('\n').map((l) => (l.trim() === '' ? c : `${c} ${l}`)).join('\n');
  }
  const [open, close] = syntax.block!;
  const broken = close.length > 1 ? `${close.slice(0, -1)} ${close.slice(-1)}` : close;
  return `${open} ${text.split(close).join(broken)} ${close}`;
}

/**
 * The comment fallback put before the prefix: each snippet as `Path: <path>` and its lines, in the
 * language's comment syntax, then `Path: <current path>`. Empty when there are no snippets.
 */
export function commentContext(ctx: FimContext): string {
  if (!ctx.snippets.length) return '';
  const syntax = commentSyntax(ctx.language);
  const blocks = ctx.snippets.map((s) => asComment(`Path: ${oneLine(s.path)}\n${s.text.replace(/\s+$/, '')}`, syntax));
  return `${blocks.join('\n\n')}\n\n${asComment(`Path: ${oneLine(ctx.path)}`, syntax)}\n`;
}
