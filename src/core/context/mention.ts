// What the chat's mentions put into a message, made from what the editor reports: a folder as a
// bounded summary (its files, and the first lines of each until a character budget is spent),
// problems (diagnostics) as one line each, `@workspace` found in a message, and which of the
// workspace search's snippets fit the room the model's context leaves. Pure.

/** `@workspace` as a word of its own (start of text or after a space, not part of an address). */
const WORKSPACE_MENTION = /(^|\s)@workspace(?=$|[\s,.;:!?])/i;

/** Whether a message asks for the workspace search. */
export function mentionsWorkspace(text: string): boolean { return WORKSPACE_MENTION.test(text); }

/** The question without the `@workspace` mention (what is searched for). */
export function withoutWorkspaceMention(text: string): string {
  return text.replace(new RegExp(WORKSPACE_MENTION.source, 'gi'), '$1').replace(/\s{2,}/g, ' ').trim();
}

export interface FolderEntry {
  /** Path relative to the folder (POSIX). */
  path: string;
  /** The file's text, when it was read (text files only). */
  text?: string;
}

export interface FolderSummaryLimits {
  /** Paths listed at most. Default 200. */
  maxEntries?: number;
  /** Characters of file text in all. Default 12,000. */
  budgetChars?: number;
  /** Lines of one file at most. Default 30. */
  linesPerFile?: number;
}

/**
 * A folder as the model sees it: the list of its files (at most `maxEntries`, then how many more),
 * then the first lines of each file that was read, shallowest first, until `budgetChars` is spent.
 * Returns the text and whether anything was left out.
 */
export function folderSummary(entries: readonly FolderEntry[], limits: FolderSummaryLimits = {}): { text: string; truncated: boolean } {
  const maxEntries = limits.maxEntries ?? 200;
  const budget = limits.budgetChars ?? 12_000;
  const perFile = limits.linesPerFile ?? 30;
  const sorted = [...entries].sort((a, b) => a.path.split('/').length - b.path.split('/').length || (a.path < b.path ? -1 : 1));
  const listed = sorted.slice(0, maxEntries);
  let truncated = sorted.length > listed.length;
  const out: string[] = [`Files (${entries.length}):`, ...listed.map((e) => `- ${e.path}`)];
  if (truncated) out.push(`- … and ${sorted.length - listed.length} more`);
  let left = budget;
  for (const e of listed) {
    if (e.text === undefined) continue;
    if (left <= 0) { truncated = true; break; }
    const lines = e.text.split(/\r\n|\r|\n/);
    let head = lines.slice(0, perFile).join('\n');
    if (head.length > left) head = head.slice(0, left);
    const cut = head.length < e.text.trimEnd().length;
    out.push('', `== ${e.path}${cut ? ' (start)' : ''} ==`, head);
    left -= head.length;
    if (cut) truncated = true;
  }
  return { text: out.join('\n'), truncated };
}

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface Problem {
  path: string;
  /** 1-based. */
  line: number;
  column: number;
  severity: Severity;
  message: string;
  source?: string;
  code?: string;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, information: 2, hint: 3 };

/** Problems one per line, errors first, then by file and line: `src/a.ts:3:5 error TS2322: …
 * (ts)`. At most `max` (then how many more). */
export function formatProblems(problems: readonly Problem[], max = 200): { text: string; truncated: boolean } {
  const sorted = [...problems].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) || a.line - b.line || a.column - b.column);
  const lines = sorted.slice(0, max).map((p) => `${p.path}:${p.line}:${p.column} ${p.severity}${p.code ? ` ${p.code}` : ''}: ${p.message.replace(/\s*\n\s*/g, ' ')}${p.source ? ` (${p.source})` : ''}`);
  if (!lines.length) return { text: 'No problems reported.', truncated: false };
  if (sorted.length > max) lines.push(`… and ${sorted.length - max} more`);
  return { text: lines.join('\n'), truncated: sorted.length > max };
}

/** The snippets (best first) that fit in `roomTokens`: each taken while the total stays within
 * it; at least none (a snippet larger than the room is skipped, a smaller later one may fit). */
export function fitSnippets<T extends { tokens: number }>(snippets: readonly T[], roomTokens: number): T[] {
  const out: T[] = [];
  let used = 0;
  for (const s of snippets) {
    if (used + s.tokens > roomTokens) continue;
    out.push(s);
    used += s.tokens;
  }
  return out;
}
