// The messages between the chat view's webview and the extension, typed once for both sides.
// The extension owns all state (sessions, the streaming answer, pending attachments); the webview
// renders what it is sent and reports what the user does. The extension posts nothing until the
// webview says `ready`, and answers `ready` with `init` carrying the whole state, so a view that was
// hidden (and destroyed) comes back exactly as it was. (Test builds add a protocol of their own on
// top: chatTestProtocol.ts.)
import { MAX_IMAGE_BASE64_CHARS } from '../core/common/images';

export type MessageStateView = 'done' | 'streaming' | 'interrupted' | 'stopped' | 'error';

/** Everything the webview shows in words, localised by the extension. */
export interface ChatStrings {
  placeholder: string;
  send: string;
  stop: string;
  you: string;
  assistant: string;
  regenerate: string;
  edit: string;
  editing: string;
  cancel: string;
  copy: string;
  copied: string;
  copyAnswer: string;
  copyTitle: string;
  insert: string;
  insertTitle: string;
  openInEditor: string;
  openTitle: string;
  attachFile: string;
  attachImage: string;
  remove: string;
  emptyHint: string;
  model: string;
  modelNotInstalled: string;
  thinking: string;
  /** "Thinking… {0}" while the model reasons ({0}: elapsed time, e.g. "12 s"). */
  thinkingLive: string;
  /** "Thought for {0}" once the answer began. */
  thoughtFor: string;
  /** "Waiting for the first token… {0}" before anything arrived (model load, prompt). */
  waiting: string;
  /** Label of the reasoning control. */
  think: string;
  imageTooLarge: string;
  imageUnsupported: string;
  newChat: string;
  /** Heading of an answer's sources. */
  sources: string;
  /** Title of a source's remove button. */
  removeSource: string;
  /** Title of the mention button (@). */
  mention: string;
}

export const CHAT_ACTIONS = ['openEndpointSetting', 'retry', 'pullModel', 'selectModel', 'testConnection'] as const;
export type ChatAction = typeof CHAT_ACTIONS[number];

export interface ActionView {
  action: ChatAction;
  label: string;
  arg?: string;
}

export interface ErrorView {
  kind: 'unreachable' | 'modelMissing' | 'midStream' | 'other';
  message: string;
  actions: ActionView[];
}

export interface MessageView {
  id: string;
  role: 'user' | 'assistant';
  /** Markdown to render: the answer, or what the user typed (what was attached is `attached`;
   * the model gets both, see composeUserContent). */
  markdown: string;
  /** User turns: labels of what was attached (files, snippets, problems...), shown as chips. */
  attached?: string[];
  /** The last user message only: the typed text, for edit-and-resend. */
  editText?: string;
  /** data: URLs of attached images (png/jpeg/webp/gif only). */
  images?: { name: string; src: string }[];
  state?: MessageStateView;
  /** A sentence about the state (interrupted / stopped), localised. */
  stateLabel?: string;
  thinking?: string;
  /** How long the reasoning took (ms), once known. */
  thinkingMs?: number;
  /** Streaming only, as of when this view was made: ms since the request, and since the reasoning
   * began (while it is still going). The webview counts on from these with its own clock. */
  elapsedMs?: number;
  thinkingElapsedMs?: number;
  /** One short line: "42.0 tokens/s · first answer token 0.31 s · 120 tokens", localised. */
  stats?: string;
  /** Everything measured, for the tooltip. */
  statsTitle?: string;
  /** A sentence about an answer that is missing (the model only reasoned). */
  note?: string;
  error?: ErrorView;
  /** Model that wrote the answer. */
  model?: string;
  /** Offer Regenerate (the last answer, when idle). */
  canRegenerate?: boolean;
  /** Answers: the snippets and files the model was given (the previous user turn's context), each
   * opened at its lines; `removable` on the last answer when idle (remove, then regenerate). */
  sources?: SourceView[];
}

export interface SourceView {
  /** Index in the user turn's context. */
  index: number;
  label: string;
  /** It can be opened (it has a location). */
  openable: boolean;
  removable?: boolean;
}

export interface AttachmentView {
  id: string;
  kind: 'selection' | 'file' | 'folder' | 'symbol' | 'problems' | 'diff' | 'snippet' | 'image';
  label: string;
  /** Estimated tokens it adds to the prompt (context attachments). */
  tokens?: number;
  /** Thumbnail for images (data: URL). */
  src?: string;
}

export interface NoticeView {
  kind: 'error' | 'info';
  message: string;
  actions: ActionView[];
}

export interface ModelOption {
  name: string;
  /** False for the configured model when the server does not list it. */
  installed: boolean;
  /** 'base': a base/FIM model (offered with the note); 'none': cannot chat (shown only when it is
   * the configured model). Absent: a chat model. */
  kind?: 'base' | 'none';
  note?: string;
}

/** The reasoning control of the current model: absent when the model has none. */
export interface ThinkView {
  /** value: 'default' | 'on' | 'off' | 'level:<name>'; label localised. */
  options: { value: string; label: string }[];
  current: string;
}

export interface ChatStateView {
  sessionId: string;
  title: string;
  messages: MessageView[];
  busy: boolean;
  model: string;
  models: ModelOption[];
  think?: ThinkView;
  attachments: AttachmentView[];
  notice?: NoticeView;
}

export type ToWebview =
  | { type: 'init'; strings: ChatStrings; state: ChatStateView }
  | { type: 'state'; state: ChatStateView }
  /** Streamed text for message `id`, starting at character `offset` of its markdown. */
  | { type: 'delta'; id: string; offset: number; text: string; thinking?: string }
  | { type: 'composer'; attachments: AttachmentView[]; notice: NoticeView | null; busy: boolean }
  | { type: 'models'; models: ModelOption[]; current: string; think?: ThinkView | undefined }
  | { type: 'setInput'; text: string; focus: boolean }
  /** A mention was picked (or the picker closed): put `insert` where the `@` was typed. */
  | { type: 'mentionDone'; insert: string };

export const CODE_ACTIONS = ['copy', 'insert', 'open'] as const;
export type CodeAction = typeof CODE_ACTIONS[number];

export type FromWebview =
  | { type: 'ready' }
  | { type: 'send'; text: string }
  | { type: 'editLast'; text: string }
  | { type: 'stop' }
  | { type: 'regenerate' }
  | { type: 'clear' }
  | { type: 'selectModel'; model: string }
  | { type: 'refreshModels' }
  | { type: 'setThink'; value: string }
  | { type: 'action'; action: ChatAction; arg?: string }
  | { type: 'codeAction'; action: CodeAction; code: string; language: string }
  | { type: 'copyText'; text: string }
  | { type: 'openLink'; href: string }
  | { type: 'addImage'; name: string; mime: string; data: string }
  | { type: 'removeAttachment'; id: string }
  | { type: 'attachFile' }
  | { type: 'attachImage' }
  /** The webview missed a delta (offset mismatch): send the state again. */
  | { type: 'resync' }
  /** `@` typed in the composer: the extension shows the mention picker. */
  | { type: 'mention' }
  /** Open source `index` of answer `id` at its lines. */
  | { type: 'openSource'; id: string; index: number }
  /** Remove source `index` of answer `id` from what the model is given, and answer again. */
  | { type: 'removeSource'; id: string; index: number };

// ---- what the extension accepts from the webview ---------------------------------------------------
// The webview renders model output, which is untrusted: should a payload ever run there, it could
// post anything. So every message is checked here before the extension acts on it: its type is
// known, every field has its type and a size bound, and only the fields of that type are kept.
// What a message may then cause (a download, a deletion, sending a file) is decided by the
// extension, which asks the user where it matters (see src/vscode/chat/controller.ts).

/** Size bounds (in UTF-16 code units) on what the webview may send. */
export const WEBVIEW_LIMITS = {
  /** A message typed in the composer (a long paste fits; the context window is the real limit). */
  textChars: 1_000_000,
  /** A code block or an answer to copy, insert or open: at most an answer's maximum length. */
  codeChars: 10_000_000,
  languageChars: 100,
  hrefChars: 8192,
  modelChars: 256,
  valueChars: 100,
  idChars: 100,
  actionArgChars: 256,
  imageNameChars: 1000,
  mimeChars: 100,
  /** One image, as base64 (20 MB of bytes). */
  imageBase64Chars: MAX_IMAGE_BASE64_CHARS,
} as const;

export type WebviewCheck = { ok: true; message: FromWebview } | { ok: false; reason: string };

/**
 * Checks a message from the webview: a known `type`, each field of the right type within
 * WEBVIEW_LIMITS, known action names. Returns a fresh object with only that type's fields, or why
 * it was refused (for the log). Never throws.
 */
export function checkFromWebview(raw: unknown): WebviewCheck {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'not an object' };
  const m = raw as Record<string, unknown>;
  const L = WEBVIEW_LIMITS;
  const bad = (why: string): WebviewCheck => ({ ok: false, reason: `${String(m.type).slice(0, 40)}: ${why}` });
  const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
  const text = (k: string, max: number): string | undefined => (isStr(m[k], max) ? m[k] as string : undefined);
  const ok = (message: FromWebview): WebviewCheck => ({ ok: true, message });
  switch (m.type) {
    case 'ready': case 'stop': case 'regenerate': case 'clear': case 'refreshModels': case 'attachFile': case 'attachImage': case 'resync': case 'mention':
      return ok({ type: m.type });
    case 'openSource': case 'removeSource': {
      const id = text('id', L.idChars);
      const index = m.index;
      if (!id || typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 10_000) return bad('id or index missing or invalid');
      return ok({ type: m.type, id, index });
    }
    case 'send': case 'editLast': {
      const t = text('text', L.textChars);
      return t === undefined ? bad('text missing or too long') : ok({ type: m.type, text: t });
    }
    case 'selectModel': {
      const model = text('model', L.modelChars);
      return model ? ok({ type: 'selectModel', model }) : bad('model missing or too long');
    }
    case 'setThink': {
      const value = text('value', L.valueChars);
      return value ? ok({ type: 'setThink', value }) : bad('value missing or too long');
    }
    case 'action': {
      const action = (CHAT_ACTIONS as readonly unknown[]).includes(m.action) ? m.action as ChatAction : undefined;
      if (!action) return bad('unknown action');
      if (m.arg !== undefined && !isStr(m.arg, L.actionArgChars)) return bad('arg not a short string');
      return ok({ type: 'action', action, ...(m.arg !== undefined ? { arg: m.arg as string } : {}) });
    }
    case 'codeAction': {
      const action = (CODE_ACTIONS as readonly unknown[]).includes(m.action) ? m.action as CodeAction : undefined;
      const code = text('code', L.codeChars);
      const language = m.language === undefined ? '' : text('language', L.languageChars);
      if (!action) return bad('unknown code action');
      if (code === undefined || language === undefined) return bad('code or language missing or too long');
      return ok({ type: 'codeAction', action, code, language });
    }
    case 'copyText': {
      const t = text('text', L.codeChars);
      return t === undefined ? bad('text missing or too long') : ok({ type: 'copyText', text: t });
    }
    case 'openLink': {
      const href = text('href', L.hrefChars);
      return href ? ok({ type: 'openLink', href }) : bad('href missing or too long');
    }
    case 'addImage': {
      const name = text('name', L.imageNameChars);
      const mime = text('mime', L.mimeChars);
      const data = text('data', L.imageBase64Chars);
      if (name === undefined || mime === undefined) return bad('name or mime missing or too long');
      if (data === undefined) return bad(typeof m.data === 'string' ? 'image too large' : 'data missing');
      return ok({ type: 'addImage', name, mime, data });
    }
    case 'removeAttachment': {
      const id = text('id', L.idChars);
      return id ? ok({ type: 'removeAttachment', id }) : bad('id missing or too long');
    }
    default:
      return { ok: false, reason: `unknown type ${JSON.stringify(String(m.type).slice(0, 40))}` };
  }
}
