// The chat domain model: sessions of user/assistant messages with their context attachments,
// images, streaming state, errors and answer statistics, and how a session becomes the message list
// the backend receives. Pure: no vscode, no Node, no DOM.
import type { LlmMessage } from '../llm/backend';

export type ChatRole = 'user' | 'assistant';

/** `streaming` only while an answer arrives; a stored `streaming` message was cut by a reload or a
 * crash and reads back as `interrupted`. `stopped` is a user's Stop; `error` keeps any partial text. */
export type MessageState = 'done' | 'streaming' | 'interrupted' | 'stopped' | 'error';

/** What an attachment is: the selection, a file, a folder's summary, a symbol's code, the
 * problems (diagnostics) of a file or the workspace, the git working-tree diff, or a snippet found
 * by the workspace search (`@workspace`). */
export type ContextKind = 'selection' | 'file' | 'folder' | 'symbol' | 'problems' | 'diff' | 'snippet';

/** Code or a file put into the prompt as a fenced block. */
export interface ContextAttachment {
  kind: ContextKind;
  /** Workspace-relative path (or the document's name for untitled files). */
  path: string;
  /** VS Code language id; also the fence's info string. */
  language: string;
  text: string;
  /** 1-based, inclusive, for selections. */
  startLine?: number;
  endLine?: number;
  /** The text was cut to the attachment size limit. */
  truncated?: boolean;
  /** Where it comes from (a URI string), so the answer's sources open it at its lines. */
  uri?: string;
  /** A symbol's name (kind 'symbol'). */
  name?: string;
}

export interface ImageAttachment {
  name: string;
  /** image/png, image/jpeg, image/webp or image/gif */
  mime: string;
  /** Plain base64 (no data: prefix), as Ollama wants it. */
  data: string;
}

export type ChatErrorKind = 'unreachable' | 'modelMissing' | 'midStream' | 'other';

export interface ChatErrorInfo {
  kind: ChatErrorKind;
  /** Already localised, complete sentence. */
  message: string;
  model?: string;
  url?: string;
}

export interface AnswerStats {
  tokensPerSecond?: number;
  /** Time to the first ANSWER token, measured by the extension from sending the request. */
  ttftMs?: number;
  /** Time to the first reasoning token (models that think first). */
  firstThinkingMs?: number;
  /** How long the reasoning took: from its first token to the first answer token (or the end). */
  thinkingMs?: number;
  /** Server-side model load + prompt evaluation (Ollama timing fields). */
  loadMs?: number;
  promptMs?: number;
  promptTokens?: number;
  outputTokens?: number;
  totalMs?: number;
  doneReason?: string;
  /** Older messages left out to fit the context window when this answer was requested. */
  trimmedMessages?: number;
  /** The model the server says answered, when it is not the one asked (llama.cpp serves its one
   * loaded model whatever name the request carries). */
  answeredBy?: string;
}

export interface ChatMessage {
  id: string;
  role: ChatRole;
  /** What the user typed, or the answer text received so far. */
  text: string;
  context?: ContextAttachment[];
  images?: ImageAttachment[];
  /** Assistant messages only. */
  state?: MessageState;
  thinking?: string;
  error?: ChatErrorInfo;
  stats?: AnswerStats;
  model?: string;
  createdAt: number;
  /** The answer reached the answer limit (this many characters of text + reasoning) and was cut
   * there: the rest was never read (the connection was closed). */
  cutAt?: number;
}

export interface ChatSession {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  messages: ChatMessage[];
}

export interface SessionSummary {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  messageCount: number;
}

let counter = 0;
/** A unique id (random UUID where available). */
export function newId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  counter = (counter + 1) % 1e6;
  return `${Date.now().toString(36)}-${counter.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export function newSession(now = Date.now()): ChatSession {
  return { id: newId(), title: '', createdAt: now, updatedAt: now, messages: [] };
}

export function summarize(s: ChatSession): SessionSummary {
  return { id: s.id, title: s.title, createdAt: s.createdAt, updatedAt: s.updatedAt, messageCount: s.messages.length };
}

/** A title from the first user message: its first line, at most `max` characters. */
export function titleFrom(text: string, max = 60): string {
  const line = text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  const clean = line.replace(/\s+/g, ' ');
  return clean.length > max ? clean.slice(0, max - 1).trimEnd() + '…' : clean;
}

/** A fence longer than any backtick run in `text`, so the block cannot be closed from inside. */
export function fenceFor(text: string): string {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(Math.max(3, longest + 1));
}

/** The line before an attachment's block, in the model's words (English: the prompt language). */
export function contextIntro(a: ContextAttachment): string {
  const lines = a.startLine !== undefined ? ` (lines ${a.startLine}-${a.endLine})` : '';
  switch (a.kind) {
    case 'selection': return `Selected code from \`${a.path}\`${lines}`;
    case 'folder': return `Summary of the folder \`${a.path}\` (its files, and the start of each)`;
    case 'symbol': return `The symbol \`${a.name ?? ''}\` from \`${a.path}\`${lines}`;
    case 'problems': return `Problems (diagnostics) reported in ${a.path === '' ? 'the workspace' : `\`${a.path}\``}`;
    case 'diff': return `The git working-tree changes (diff against HEAD) of ${a.path === '' ? 'the repository' : `\`${a.path}\``}`;
    case 'snippet': return `From the workspace search: \`${a.path}\`${lines}`;
    case 'file': return `File \`${a.path}\`${lines}`;
  }
}

/** The user turn as the model sees it: the typed text, then each attachment as a fenced block with
 * its file name and language. */
export function composeUserContent(m: Pick<ChatMessage, 'text' | 'context'>): string {
  const parts: string[] = [];
  if (m.text.trim()) parts.push(m.text.trim());
  for (const a of m.context ?? []) {
    const fence = fenceFor(a.text);
    const body = a.text.endsWith('\n') ? a.text : a.text + '\n';
    parts.push(`${contextIntro(a)}, language ${a.language}${a.truncated ? ' (truncated)' : ''}:\n${fence}${a.language}\n${body}${fence}`);
  }
  return parts.join('\n\n');
}

/** The messages sent for the answer that follows `history` (which ends with the user's turn):
 * the system prompt first (when set), then every turn. Assistant turns that produced no text
 * (failed before the first token, or only reasoned) are left out; partial answers are kept as they
 * are. Reasoning (`thinking`) is never sent back: models are trained without earlier turns'
 * reasoning, and it would fill the context window. */
export function toLlmMessages(history: readonly ChatMessage[], systemPrompt: string): LlmMessage[] {
  const out: LlmMessage[] = [];
  if (systemPrompt.trim()) out.push({ role: 'system', content: systemPrompt });
  for (const m of history) {
    if (m.role === 'user') {
      const content = composeUserContent(m);
      out.push(m.images?.length ? { role: 'user', content, images: m.images.map((i) => i.data) } : { role: 'user', content });
    } else if (m.text) {
      out.push({ role: 'assistant', content: m.text });
    }
  }
  return out;
}

/**
 * What of a streamed piece fits under the answer limit: the answer so far has `used` characters
 * (text + reasoning); `thinking` then `text` of the piece are kept up to `max` in all (never ending
 * on half of a surrogate pair). `reached` when something had to be left out: the caller stops the
 * stream there.
 */
export function capPiece(used: number, piece: { text: string; thinking: string }, max: number): { text: string; thinking: string; reached: boolean } {
  const room = Math.max(0, max - used);
  if (piece.thinking.length + piece.text.length <= room) return { ...piece, reached: false };
  const cut = (s: string, n: number): string => {
    if (n >= s.length) return s;
    const code = s.charCodeAt(n - 1);
    return s.slice(0, n > 0 && code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
  };
  const thinking = cut(piece.thinking, room);
  // The reasoning of this piece comes before its text: when it was cut, none of the text follows.
  if (thinking.length < piece.thinking.length) return { thinking, text: '', reached: true };
  return { thinking, text: cut(piece.text, room - thinking.length), reached: true };
}

/** A message read back from storage that was still streaming was cut by a reload or crash. */
export function markInterrupted(s: ChatSession): number {
  let n = 0;
  for (const m of s.messages) if (m.state === 'streaming') { m.state = 'interrupted'; n++; }
  return n;
}

/** Index of the last user message, or -1. */
export function lastUserIndex(messages: readonly ChatMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === 'user') return i;
  return -1;
}

const FENCE_LANGUAGES: Record<string, string> = {
  ts: 'typescript', tsx: 'typescriptreact', js: 'javascript', jsx: 'javascriptreact', mjs: 'javascript', cjs: 'javascript',
  py: 'python', python3: 'python', sh: 'shellscript', bash: 'shellscript', shell: 'shellscript', zsh: 'shellscript', console: 'shellscript',
  'c++': 'cpp', cc: 'cpp', hpp: 'cpp', h: 'c', cs: 'csharp', 'c#': 'csharp', yml: 'yaml', md: 'markdown', rs: 'rust', golang: 'go',
  rb: 'ruby', kt: 'kotlin', ps1: 'powershell', pwsh: 'powershell', dockerfile: 'dockerfile', docker: 'dockerfile', html: 'html',
  xml: 'xml', svg: 'xml', jsonc: 'jsonc', json5: 'jsonc', text: 'plaintext', txt: 'plaintext', plain: 'plaintext', objc: 'objective-c',
};

/** The VS Code language id for a fence info string ("ts" -> "typescript"); `known` is the set of
 * languages the editor has. Unknown languages become plaintext. */
export function languageIdForFence(info: string, known: ReadonlySet<string>): string {
  const lang = info.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!lang) return 'plaintext';
  if (known.has(lang)) return lang;
  const mapped = FENCE_LANGUAGES[lang];
  return mapped && known.has(mapped) ? mapped : 'plaintext';
}
