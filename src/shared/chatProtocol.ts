// The messages between the chat view's webview and the extension, typed once for both sides.
// The extension owns all state (sessions, the streaming answer, pending attachments); the webview
// renders what it is sent and reports what the user does. The extension posts nothing until the
// webview says `ready`, and answers `ready` with `init` carrying the whole state, so a view that was
// hidden (and destroyed) comes back exactly as it was.

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
}

export type ChatAction = 'openEndpointSetting' | 'retry' | 'pullModel' | 'selectModel' | 'testConnection';

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
  /** Markdown to render: the answer, or the user's turn as sent (text + attached code). */
  markdown: string;
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
}

export interface AttachmentView {
  id: string;
  kind: 'selection' | 'file' | 'image';
  label: string;
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
  /** Test builds only: inspect or drive the DOM. */
  | { type: 'test'; id: number; op: TestOp };

export type CodeAction = 'copy' | 'insert' | 'open';

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
  | { type: 'testResult'; id: number; result: unknown };

export type TestOp =
  | { op: 'report' }
  | { op: 'click'; selector: string; index?: number }
  | { op: 'send'; text: string }
  | { op: 'paste'; name: string; mime: string; base64: string }
  | { op: 'selectModel'; model: string }
  | { op: 'selectThink'; value: string }
  | { op: 'editLast'; text: string }
  | { op: 'clickLink'; index: number }
  /** Post this message to the extension as if the webview had sent it (hostile-webview checks). */
  | { op: 'post'; message: FromWebview };

/** What the webview reports about its DOM (test builds): the XSS checks and what a user sees. */
export interface DomReport {
  /** <script> elements that were not in the document when the view started (the bundle and the
   * webview host's API script are). */
  scripts: number;
  iframes: number;
  objects: number;
  embeds: number;
  forms: number;
  /** <style> elements and style="" attributes inside the conversation. */
  styleElements: number;
  styleAttributes: number;
  /** "tag.onerror" for every on* attribute anywhere in the document. */
  onAttributes: string[];
  /** href/src/action/formaction/xlink:href values with a javascript:, vbscript: or data: (non-image) URL. */
  badUrls: string[];
  /** Every link target in the conversation. */
  links: string[];
  /** A global that the hostile payloads would set if any ran. */
  canary: boolean;
  messages: {
    id: string; role: string; state: string; text: string; thinking?: string; error?: string; stats?: string; stateLabel?: string;
    /** The thinking block's summary as shown, and whether it is expanded. */
    thinkingSummary?: string; thinkingOpen?: boolean;
    /** Where the thinking block is: before the answer body, as its own element. */
    thinkingApart?: boolean;
    note?: string;
    /** Rendered height of the stats line in lines (1 = it does not wrap). */
    statsLines?: number;
    /** Foot buttons shown (copyAnswer, regenerate, edit). */
    buttons?: string[];
  }[];
  codeBlocks: { language: string; text: string; highlighted: boolean; buttons: string[] }[];
  actions: { action: string; arg?: string; label: string }[];
  notice?: string;
  attachments: string[];
  models: string[];
  /** The note shown with each model (same order as models; '' for none). */
  modelNotes: string[];
  selectedModel: string;
  /** The reasoning control: its values and the selected one ([] / '' when hidden). */
  thinkOptions: string[];
  think: string;
  /** The webview's width in CSS pixels (the sidebar's width). */
  width: number;
  /** Per code block: whether its code is wider than the block and scrolls (with the cue). */
  codeScroll: { scrollable: boolean; cue: boolean }[];
  busy: boolean;
  images: number;
  input: string;
}
