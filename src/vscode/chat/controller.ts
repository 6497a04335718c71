// The chat's state and behaviour on the extension side: sessions and their history on disk, the
// pending attachments, the one answer being streamed (within the answer limit), and the translation
// of failures into messages with the action that fixes them. The webview only renders what this
// sends, and is not trusted for what it asks: every message is checked (chatProtocol.ts
// checkFromWebview), a model is selected only among those offered, and what downloads (a pull),
// deletes (clearing the chat) or reads a file to send it (attaching a file) asks the user first.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  capPiece,
  composeUserContent,
  languageIdForFence,
  lastUserIndex,
  newId,
  newSession,
  summarize,
  titleFrom,
  toLlmMessages,
  type ChatErrorInfo,
  type ChatMessage,
  type ChatSession,
  type ContextAttachment,
  type ImageAttachment,
} from '../../core/chat/conversation';
import { HistoryStore, type HistoryIndex } from '../../core/chat/history';
import { isSupportedImageMime, sniffImageMime } from '../../core/common/images';
import type { ModelFacts } from '../../core/llm/facts';
import { isCancel } from '../../core/common/cancel';
import { classifyChatModel, templateOpensThinking, thinkChoices, thinkParam, type ChatModelKind, type ThinkChoice } from '../../core/chat/models';
import { Throttle } from '../../core/chat/throttle';
import { promptBudget, resolveContextLength, trimToContext } from '../../core/chat/trim';
import { TokenCalibration } from '../../core/llm/tokens';
import { parseModelName } from '../../core/models';
import {
  ConnectionError,
  IncompleteStreamError,
  ModelNotFoundError,
  StreamError,
  TimeoutError,
} from '../../core/http/errors';
import {
  checkFromWebview,
  type AttachmentView,
  type ChatAction,
  type ChatStateView,
  type CodeAction,
  type MessageView,
  type ModelOption,
  type NoticeView,
  type TestOp,
  type ThinkView,
  type ToWebview,
} from '../../shared/chatProtocol';
import { affects, chatSettings, generationDefaults, updateSetting } from '../config';
import type { ExtensionContextOwner } from '../context';
import { describeError, isUnreachable, type ConnectionMonitor } from '../status';
import { answerNote, cutLabel, errorActions, modelNote, stateLabel, statsLine, thinkLabel, webviewStrings } from './strings';
import type { ChatViewProvider } from './view';
import { COMMAND, SETTING, STORAGE_KEY } from '../ids';

const SAVE_INTERVAL_MS = 500;
const DELTA_INTERVAL_MS = 25;
const RESYNC_INTERVAL_MS = 250;
/** Attachments larger than this are cut (the context window could not hold them anyway). */
export const MAX_ATTACHMENT_CHARS = 100_000;
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
export const MAX_IMAGE_BASE64_CHARS = Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 4;
/** Images waiting to be sent: at most this many, and this much base64 in all. */
export const MAX_PENDING_IMAGES = 10;
export const MAX_PENDING_IMAGE_CHARS = 50_000_000;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

interface PendingAttachment { id: string; context?: ContextAttachment; image?: ImageAttachment }

interface Run {
  session: ChatSession;
  message: ChatMessage;
  abort: AbortController;
  userStopped: boolean;
  /** Stopped by the extension at the answer limit. */
  capped?: boolean;
}


/** An installed model as the picker sees it (capabilities from /api/tags, else /api/show). */
interface ListedModel { name: string; capabilities?: string[] }

/** globalState key: the reasoning choice per model ({ [model]: ThinkChoice }). */

export interface ChatTestState {
  ready: boolean;
  busy: boolean;
  model: string;
  session: ChatSession;
  index: HistoryIndex;
  attachments: string[];
  links: { href: string; opened: boolean }[];
  notice?: string;
  /** Messages from the webview that were refused, with why (newest last). */
  refused: string[];
  statesPosted: number;
}

/** Test builds: answers the confirmations instead of the modal dialogs, and records what was asked. */
export interface TestConfirmations { answer: boolean; asked: string[] }

export class ChatController implements vscode.Disposable {
  private readonly store: HistoryStore;
  private index: HistoryIndex = { sessions: [] };
  private session: ChatSession = newSession();
  private loading: Promise<void> | undefined;
  private run: Run | undefined;
  private pending: PendingAttachment[] = [];
  private notice: NoticeView | undefined;
  private models: ListedModel[] = [];
  private modelsFetchedAt = 0;
  /** Per model: how the server's prompt counts compare with our token estimates. */
  private readonly calibration = new TokenCalibration();
  private readonly facts = new Map<string, Promise<ModelFacts | undefined>>();
  private readonly dirty = new Set<ChatSession>();
  private readonly saver: Throttle;
  /** Resends of the whole state the webview asks for: at most one per RESYNC_INTERVAL_MS (a view
   * that asks in a loop cannot make the host serialise the conversation continuously). */
  private readonly resyncer = new Throttle(RESYNC_INTERVAL_MS, () => this.postState());
  private delta: { id: string; offset: number; text: string; thinking: string } | undefined;
  private deltaTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  /** A send whose images are being checked (vision capability) before its answer starts. The chat
   * counts as busy meanwhile; Stop (and New chat, switching, deleting, which stop) cancels it. */
  private sending: { cancelled: boolean } | undefined;
  /** Sessions deleted while something (an answer, a queued save) still holds them: never written again. */
  private readonly deleted = new Set<string>();
  private view: ChatViewProvider | undefined;
  private readonly testWaiters = new Map<number, (r: unknown) => void>();
  private nextTestId = 1;
  /** Links the webview asked to open, and whether they were opened (tests read this). */
  readonly links: { href: string; opened: boolean }[] = [];
  /** Webview messages refused (tests read this; the log says it too). */
  private readonly refused: string[] = [];
  private testConfirm: TestConfirmations | undefined;
  /** Whole-state messages sent to the webview (tests read this). */
  private statesPosted = 0;

  constructor(private readonly ctx: ExtensionContextOwner, private readonly monitor: ConnectionMonitor) {
    this.store = new HistoryStore(path.join(ctx.ext.globalStorageUri.fsPath, 'chat'));
    this.saver = new Throttle(SAVE_INTERVAL_MS, () => this.writeDirty());
    ctx.own(ctx.onDidChangeClient(() => { this.facts.clear(); this.knownFacts.clear(); this.calibration.clear(); this.modelsFetchedAt = 0; if (this.view?.isReady) void this.refreshModels(true); }));
    ctx.own(vscode.workspace.onDidChangeConfiguration((e) => {
      if (affects(e, 'chatModel')) this.postModels();
    }));
  }

  attach(view: ChatViewProvider): void { this.view = view; }

  // ---- loading and saving --------------------------------------------------------------------

  private async load(): Promise<void> {
    try {
      this.index = await this.store.loadIndex();
      const id = this.index.currentId ?? this.index.sessions[0]?.id;
      const s = id ? await this.store.readSession(id) : undefined;
      if (s) this.session = s;
    } catch (e) {
      this.ctx.log.error(`chat history could not be read from ${this.store.dir}: ${(e as Error).message}`);
    }
  }

  /** The history is read on first use (the view or a command), not at activation. */
  private get loaded(): Promise<void> { return (this.loading ??= this.load()); }

  /** Resolves once the history is read (tests, commands). */
  whenLoaded(): Promise<void> { return this.loaded; }

  private markDirty(s: ChatSession, now = false): void {
    if (this.disposed || this.deleted.has(s.id)) return;
    this.dirty.add(s);
    if (now) this.saver.flush(); else this.saver.schedule();
  }

  private writeDirty(): void {
    for (const s of this.dirty) {
      if (!s.messages.length || this.deleted.has(s.id)) continue;
      this.store.writeSession(s).catch((e) => this.ctx.log.error(`chat history write failed: ${(e as Error).message}`));
    }
    this.dirty.clear();
  }

  /** Puts the current session at the top of the index and writes the index. */
  private saveIndex(): void {
    if (this.disposed) return;
    const list = this.index.sessions.filter((x) => x.id !== this.session.id);
    if (this.session.messages.length && !this.deleted.has(this.session.id)) list.unshift(summarize(this.session));
    list.sort((a, b) => b.updatedAt - a.updatedAt);
    const max = chatSettings().maxHistorySessions;
    while (list.length > max) {
      const victim = list.pop()!;
      void this.store.deleteSession(victim.id).catch(() => undefined);
    }
    this.index = { currentId: this.session.id, sessions: list };
    this.store.writeIndex(this.index).catch((e) => this.ctx.log.error(`chat index write failed: ${(e as Error).message}`));
  }

  private touch(s: ChatSession): void {
    if (this.deleted.has(s.id)) return;
    s.updatedAt = Date.now();
    this.markDirty(s, true);
    if (s === this.session) this.saveIndex();
  }

  // ---- webview -------------------------------------------------------------------------------

  private post(m: ToWebview): void { this.view?.post(m); }

  onReady(): void {
    void this.loaded.then(() => {
      this.delta = undefined;
      this.post({ type: 'init', strings: webviewStrings(), state: this.stateView() });
      void this.refreshModels(false);
    });
  }

  private stateView(): ChatStateView {
    const busy = this.busy;
    return {
      sessionId: this.session.id,
      title: this.session.title,
      messages: this.session.messages.map((m, i, all) => this.messageView(m, i, all, busy)),
      busy,
      model: this.selectedModel(),
      models: this.modelOptions(),
      think: this.thinkView(),
      attachments: this.attachmentViews(),
      ...(this.notice ? { notice: this.notice } : {}),
    };
  }

  private postState(): void {
    this.statesPosted++;
    this.flushDelta();
    this.post({ type: 'state', state: this.stateView() });
  }

  private postComposer(): void {
    this.post({ type: 'composer', attachments: this.attachmentViews(), notice: this.notice ?? null, busy: this.busy });
  }

  private messageView(m: ChatMessage, i: number, all: readonly ChatMessage[], busy: boolean): MessageView {
    const last = i === all.length - 1;
    const v: MessageView = { id: m.id, role: m.role, markdown: m.role === 'user' ? composeUserContent(m) : m.text };
    if (m.role === 'user') {
      if (!busy && i === lastUserIndex(all)) v.editText = m.text;
      if (m.images?.length) v.images = m.images.map((im) => ({ name: im.name, src: `data:${im.mime};base64,${im.data}` }));
      return v;
    }
    if (m.state) v.state = m.state;
    const label = m.cutAt ? cutLabel(m.cutAt) : stateLabel(m.state, m.error);
    if (label) v.stateLabel = label;
    if (m.thinking) {
      v.thinking = m.thinking;
      if (m.stats?.thinkingMs !== undefined) v.thinkingMs = m.stats.thinkingMs;
    }
    if (m.state === 'streaming') {
      // The webview counts on from these (its clock may differ from the extension host's).
      const now = Date.now();
      v.elapsedMs = Math.max(0, now - m.createdAt);
      if (m.thinking && !m.text && m.stats?.thinkingMs === undefined && m.stats?.firstThinkingMs !== undefined) v.thinkingElapsedMs = Math.max(0, v.elapsedMs - m.stats.firstThinkingMs);
    }
    const stats = statsLine(m.stats);
    if (stats) { v.stats = stats.short; v.statsTitle = stats.long; }
    const note = answerNote(m);
    if (note) v.note = note;
    if (m.model) v.model = m.model;
    const actions = m.error && last && !busy ? errorActions(m.error) : [];
    if (m.error) v.error = { kind: m.error.kind, message: m.error.message, actions };
    // Retry on an error is the same action as Regenerate: one button, not two.
    if (last && !busy && m.state !== 'streaming' && !actions.some((a) => a.action === 'retry')) v.canRegenerate = true;
    return v;
  }

  private attachmentViews(): AttachmentView[] {
    return this.pending.map((p) => p.image
      ? { id: p.id, kind: 'image' as const, label: p.image.name, src: `data:${p.image.mime};base64,${p.image.data}` }
      : { id: p.id, kind: p.context!.kind, label: contextLabel(p.context!) });
  }

  private queueDelta(m: ChatMessage, text: string, thinking: string): void {
    if (this.delta && this.delta.id !== m.id) this.flushDelta();
    if (!this.delta) this.delta = { id: m.id, offset: m.text.length - text.length, text: '', thinking: '' };
    this.delta.text += text;
    this.delta.thinking += thinking;
    this.deltaTimer ??= setTimeout(() => { this.deltaTimer = undefined; this.flushDelta(); }, DELTA_INTERVAL_MS);
  }

  private flushDelta(): void {
    if (this.deltaTimer) { clearTimeout(this.deltaTimer); this.deltaTimer = undefined; }
    const d = this.delta;
    this.delta = undefined;
    if (!d || (!d.text && !d.thinking)) return;
    this.post({ type: 'delta', id: d.id, offset: d.offset, text: d.text, ...(d.thinking ? { thinking: d.thinking } : {}) });
  }

  /** A message from the webview, checked before anything is done (see the file comment). */
  onMessage(raw: unknown): void {
    const c = checkFromWebview(raw);
    if (!c.ok) {
      this.refuse(c.reason);
      if ((raw as { type?: unknown } | null)?.type === 'addImage') {
        this.notice = { kind: 'error', message: vscode.l10n.t('That image is too large (over 20 MB).'), actions: [] };
        this.postComposer();
      }
      return;
    }
    const m = c.message;
    switch (m.type) {
      case 'send': void this.send(m.text); break;
      case 'editLast': void this.editLast(m.text); break;
      case 'stop': this.stop(); break;
      case 'regenerate': void this.regenerate(); break;
      case 'clear': void this.clearAsked(); break;
      case 'selectModel': void this.selectOffered(m.model); break;
      case 'refreshModels': void this.refreshModels(false); break;
      case 'setThink': void this.setThink(m.value); break;
      case 'action': void this.runAction(m.action, m.arg); break;
      case 'codeAction': void this.codeAction(m.action, m.code, m.language); break;
      case 'copyText': void vscode.env.clipboard.writeText(m.text); break;
      case 'openLink': void this.openLink(m.href); break;
      case 'addImage': this.addImage(m.name, m.mime, m.data); break;
      case 'removeAttachment': this.pending = this.pending.filter((p) => p.id !== m.id); this.postComposer(); break;
      case 'attachFile': void this.chooseFileToAttach(); break;
      case 'attachImage': void this.pickImages(); break;
      case 'resync': this.resyncer.schedule(); break;
      case 'testResult': this.testWaiters.get(m.id)?.(m.result); this.testWaiters.delete(m.id); break;
      default: break;
    }
  }

  private refuse(reason: string): void {
    this.ctx.log.warn(`chat: refused a request from the chat view: ${reason}`);
    this.refused.push(reason);
    if (this.refused.length > 100) this.refused.shift();
  }

  /** A modal question; true when the user chose `button`. Test builds may answer it instead. */
  private async confirm(message: string, detail: string, button: string): Promise<boolean> {
    if (this.testConfirm) { this.testConfirm.asked.push(message); return this.testConfirm.answer; }
    return (await vscode.window.showWarningMessage(message, { modal: true, detail }, button)) === button;
  }

  // ---- models --------------------------------------------------------------------------------

  currentModel(): string { return chatSettings().model; }

  /** The models the picker offers: never one that cannot chat (an embedding model); a base/FIM
   * model with a note. The configured model is always there (with a note when it cannot chat). */
  private modelOptions(): ModelOption[] {
    const current = this.currentModel();
    const opts: ModelOption[] = [];
    for (const m of this.models) {
      const kind = classifyChatModel(m.name, m.capabilities);
      const isCurrent = sameModel(m.name, current);
      if (kind === 'none' && !isCurrent) continue;
      const note = modelNote(kind);
      opts.push({ name: m.name, installed: true, ...(kind !== 'chat' ? { kind } : {}), ...(note ? { note } : {}) });
    }
    if (!this.models.some((m) => sameModel(m.name, current))) opts.unshift({ name: current, installed: false });
    return opts;
  }

  /** The configured model as the server lists it ("llama3.2" -> "llama3.2:latest"). */
  private selectedModel(): string {
    const current = this.currentModel();
    return this.models.find((m) => sameModel(m.name, current))?.name ?? current;
  }

  private postModels(): void {
    this.post({ type: 'models', models: this.modelOptions(), current: this.selectedModel(), think: this.thinkView() });
    // The reasoning control needs the model's /api/show: fetch it, then show the control.
    const model = this.currentModel();
    if (this.view?.isReady && !this.knownFacts.has(model)) {
      void this.modelFacts(model).then(() => { if (sameModel(model, this.currentModel())) this.post({ type: 'models', models: this.modelOptions(), current: this.selectedModel(), think: this.thinkView() }); }, () => undefined);
    }
  }

  /** The installed models from /api/tags (or /v1/models), at most every few seconds unless forced.
   * A server whose /api/tags has no `capabilities` (before 0.6.x) is asked /api/show per model
   * (cached), so the picker can still leave out models that cannot chat. */
  async refreshModels(force: boolean): Promise<string[]> {
    if (!force && Date.now() - this.modelsFetchedAt < 3000) { this.postModels(); return this.models.map((m) => m.name); }
    this.modelsFetchedAt = Date.now();
    try {
      const llm = await this.ctx.llm();
      const listed: ListedModel[] = (await llm.listModels()).map((m) => ({ name: m.name, ...(m.capabilities ? { capabilities: m.capabilities } : {}) }));
      if (listed.some((m) => !m.capabilities)) {
        const queue = listed.filter((m) => !m.capabilities);
        const worker = async (): Promise<void> => {
          for (let m = queue.shift(); m; m = queue.shift()) {
            try { const f = await this.modelFacts(m.name); if (f?.capabilities) m.capabilities = f.capabilities; } catch { /* offered as a chat model */ }
          }
        };
        await Promise.all([worker(), worker(), worker(), worker()]);
      }
      this.models = listed;
    } catch (e) {
      this.ctx.log.warn(`chat: could not list models: ${(e as Error).message}`);
    }
    this.postModels();
    return this.models.map((m) => m.name);
  }

  // ---- reasoning control -----------------------------------------------------------------------

  /** Facts already fetched (no request): the reasoning control is built from these. */
  private readonly knownFacts = new Map<string, ModelFacts | undefined>();

  private thinkAllowed(model: string): ThinkChoice[] {
    const f = this.knownFacts.get(model);
    return f ? thinkChoices(f.capabilities, f.thinking) : [];
  }

  private thinkChoice(model: string): string | undefined {
    return this.ctx.ext.globalState.get<Record<string, string>>(STORAGE_KEY.chatThink)?.[model];
  }

  private thinkView(): ThinkView | undefined {
    const model = this.currentModel();
    const allowed = this.thinkAllowed(model);
    if (!allowed.length) return undefined;
    const chosen = this.thinkChoice(model);
    const current = chosen && allowed.includes(chosen as ThinkChoice) ? chosen : 'default';
    const f = this.knownFacts.get(model);
    return { options: allowed.map((value) => ({ value, label: thinkLabel(value, f?.thinking?.default) })), current };
  }

  /** Remembers the reasoning choice for the current model (only values the model offers). */
  async setThink(value: string): Promise<void> {
    const model = this.currentModel();
    if (!this.thinkAllowed(model).includes(value as ThinkChoice)) return;
    const all = { ...(this.ctx.ext.globalState.get<Record<string, string>>(STORAGE_KEY.chatThink) ?? {}) };
    if (value === 'default') delete all[model]; else all[model] = value;
    await this.ctx.ext.globalState.update(STORAGE_KEY.chatThink, all);
    this.postModels();
  }

  /** Remembers the choice in the `ollamaAssistant.chat.model` setting (user settings, or the
   * workspace settings when the workspace already sets it). */
  async setModel(name: string): Promise<void> {
    await updateSetting(SETTING.chatModel, name, { preferWorkspace: true });
    if (this.notice) { this.notice = undefined; this.postComposer(); }
    this.postModels();
  }

  /** The webview's model picker: only a model it was offered (installed, or the configured one). */
  private async selectOffered(name: string): Promise<void> {
    if (!this.modelOptions().some((o) => o.name === name)) {
      this.refuse(`selectModel: ${JSON.stringify(name.slice(0, 80))} is not among the models offered`);
      this.postModels();
      return;
    }
    await this.setModel(name);
  }

  async pickModel(): Promise<void> {
    const current = this.currentModel();
    await this.refreshModels(true);
    const items: vscode.QuickPickItem[] = this.modelOptions().filter((m) => m.installed).map((m) => ({
      label: m.name,
      ...(sameModel(m.name, current) ? { description: vscode.l10n.t('current') } : {}),
      ...(m.note ? { detail: m.note } : {}),
    }));
    if (!items.length) items.push({ label: current, description: vscode.l10n.t('current') });
    const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Chat model'), placeHolder: vscode.l10n.t('Choose the model that answers in the chat') });
    if (pick) await this.setModel(pick.label);
  }

  /** Capabilities and context length from /api/show (Ollama only), cached per model. */
  private modelFacts(model: string): Promise<ModelFacts | undefined> {
    let p = this.facts.get(model);
    if (!p) {
      p = (async () => (await this.ctx.llm()).modelFacts(model))();
      this.facts.set(model, p);
      p.then((f) => this.knownFacts.set(model, f), () => undefined);
      p.catch(() => { if (this.facts.get(model) === p) this.facts.delete(model); });
    }
    return p;
  }

  // ---- attachments ---------------------------------------------------------------------------

  addContext(a: ContextAttachment): void {
    this.pending.push({ id: newId(), context: a });
    this.notice = undefined;
    this.postComposer();
  }

  private addImage(name: string, mime: string, data: string): boolean {
    const problem = !isSupportedImageMime(mime) || sniffImageMime(data) === undefined ? vscode.l10n.t('Only PNG, JPEG, WebP and GIF images can be attached.')
      : data.length > MAX_IMAGE_BASE64_CHARS ? vscode.l10n.t('That image is too large (over 20 MB).')
        : !BASE64.test(data) ? vscode.l10n.t('That image could not be read.') : undefined;
    const images = this.pending.filter((p) => p.image);
    const tooMany = images.length >= MAX_PENDING_IMAGES || images.reduce((n, p) => n + p.image!.data.length, 0) + data.length > MAX_PENDING_IMAGE_CHARS
      ? vscode.l10n.t('No more images can be attached to this message (at most {0}, {1} MB in all).', MAX_PENDING_IMAGES, Math.floor((MAX_PENDING_IMAGE_CHARS * 3) / 4 / 1e6)) : undefined;
    if (problem ?? tooMany) { this.notice = { kind: 'error', message: (problem ?? tooMany)!, actions: [] }; this.postComposer(); return false; }
    this.pending.push({ id: newId(), image: { name: name.slice(0, 200), mime: sniffImageMime(data)!, data } });
    this.notice = undefined;
    this.postComposer();
    return true;
  }

  /** The command (the editor's own UI): attaches the active file. */
  async attachActiveFile(): Promise<void> {
    const ed = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
    if (!ed) { void vscode.window.showWarningMessage(vscode.l10n.t('Open a file in an editor first.')); return; }
    await this.attachDocument(ed.document);
  }

  /** The webview's attach button: the user picks the file (the active one first) in the editor's
   * own UI, so a webview cannot quietly put a file into the next message. */
  private async chooseFileToAttach(): Promise<void> {
    const active = (vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0])?.document;
    const docs = [...new Set([active, ...vscode.window.visibleTextEditors.map((e) => e.document), ...vscode.workspace.textDocuments])]
      .filter((d): d is vscode.TextDocument => !!d && !d.isClosed && ATTACHABLE_SCHEMES.has(d.uri.scheme));
    if (!docs.length) { void vscode.window.showWarningMessage(vscode.l10n.t('Open a file in an editor first.')); return; }
    const title = vscode.l10n.t('Attach a file to the chat');
    let doc: vscode.TextDocument | undefined;
    if (this.testConfirm) {
      this.testConfirm.asked.push(title);
      doc = this.testConfirm.answer ? docs[0] : undefined;
    } else {
      const items = docs.map((d) => ({ label: docPath(d), description: d === active ? vscode.l10n.t('active') : d.languageId, doc: d }));
      doc = (await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('The file is sent with your next message') }))?.doc;
    }
    if (doc) await this.attachDocument(doc);
  }

  private async attachDocument(doc: vscode.TextDocument): Promise<void> {
    const text = doc.getText();
    this.addContext({
      kind: 'file', path: docPath(doc), language: doc.languageId,
      text: text.slice(0, MAX_ATTACHMENT_CHARS), ...(text.length > MAX_ATTACHMENT_CHARS ? { truncated: true } : {}),
    });
    await this.view?.reveal(false);
  }

  async askAboutSelection(): Promise<void> {
    const ed = vscode.window.activeTextEditor;
    if (!ed) { void vscode.window.showWarningMessage(vscode.l10n.t('Select some code in an editor first.')); return; }
    const sel = ed.selection;
    if (sel.isEmpty) { await this.attachActiveFile(); return; }
    // A selection that ends at column 0 of a line does not include that line.
    const endLine = sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line - 1 : sel.end.line;
    const text = ed.document.getText(sel);
    this.addContext({
      kind: 'selection', path: docPath(ed.document), language: ed.document.languageId,
      text: text.slice(0, MAX_ATTACHMENT_CHARS), startLine: sel.start.line + 1, endLine: endLine + 1,
      ...(text.length > MAX_ATTACHMENT_CHARS ? { truncated: true } : {}),
    });
    await this.view?.reveal(false);
    this.post({ type: 'setInput', text: '', focus: true });
  }

  async pickImages(): Promise<void> {
    const uris = await vscode.window.showOpenDialog({
      canSelectMany: true, openLabel: vscode.l10n.t('Attach'), title: vscode.l10n.t('Attach an image'),
      filters: { [vscode.l10n.t('Images')]: ['png', 'jpg', 'jpeg', 'webp', 'gif'] },
    });
    if (!uris?.length) return;
    for (const uri of uris) {
      try {
        if ((await vscode.workspace.fs.stat(uri)).size > MAX_IMAGE_BYTES) {
          this.notice = { kind: 'error', message: vscode.l10n.t('That image is too large (over 20 MB).'), actions: [] };
          this.postComposer();
          continue;
        }
        const bytes = await vscode.workspace.fs.readFile(uri);
        const data = Buffer.from(bytes).toString('base64');
        this.addImage(path.basename(uri.path), sniffImageMime(data) ?? '', data);
      } catch (e) {
        void vscode.window.showErrorMessage(vscode.l10n.t('Cannot read {0}: {1}', uri.fsPath, (e as Error).message));
      }
    }
    await this.view?.reveal(false);
  }

  // ---- conversation --------------------------------------------------------------------------

  /** An answer is streaming, or a send is being checked: nothing may change the conversation. */
  get busy(): boolean { return !!this.run || !!this.sending; }

  async send(text: string): Promise<void> {
    await this.loaded;
    if (this.busy || this.disposed) return;
    const used = this.pending.slice();
    const images = used.flatMap((p) => (p.image ? [p.image] : []));
    const context = used.flatMap((p) => (p.context ? [p.context] : []));
    if (!text.trim() && !context.length && !images.length) return;
    const model = this.currentModel();
    if (images.length) {
      // Busy from here: the check awaits the server, and nothing else may start an answer or change
      // the conversation meanwhile.
      const session = this.session;
      const token = { cancelled: false };
      this.sending = token;
      this.postComposer();
      let refusal: NoticeView | undefined;
      try { refusal = await this.visionRefusal(model); } finally { if (this.sending === token) this.sending = undefined; }
      if (token.cancelled || this.disposed || session !== this.session) { if (!this.disposed) this.postComposer(); return; }
      if (refusal) { this.notice = refusal; this.postComposer(); return; }
    }
    const user: ChatMessage = {
      id: newId(), role: 'user', text: text.trim(), createdAt: Date.now(),
      ...(context.length ? { context } : {}), ...(images.length ? { images } : {}),
    };
    this.session.messages.push(user);
    if (!this.session.title) this.session.title = titleFrom(user.text) || (context[0] ? contextLabel(context[0]) : images[0]?.name ?? '');
    // Attachments added while the images were checked stay for the next message.
    this.pending = this.pending.filter((p) => !used.includes(p));
    this.notice = undefined;
    this.post({ type: 'setInput', text: '', focus: true });
    await this.answer(model);
  }

  /** A notice when `model` is known to lack the vision capability. */
  private async visionRefusal(model: string): Promise<NoticeView | undefined> {
    let facts: ModelFacts | undefined;
    try { facts = await this.modelFacts(model); } catch { return undefined; }
    if (!facts?.capabilities || facts.capabilities.includes('vision')) return undefined;
    return {
      kind: 'error',
      message: vscode.l10n.t('{0} cannot read images: it does not have the vision capability. Choose a vision model (such as llava) or remove the image.', model),
      actions: [{ action: 'selectModel', label: vscode.l10n.t('Choose Another Model') }],
    };
  }

  async regenerate(): Promise<void> {
    await this.loaded;
    if (this.busy || this.disposed) return;
    const msgs = this.session.messages;
    if (!msgs.length) return;
    if (msgs[msgs.length - 1]!.role === 'assistant') msgs.pop();
    if (!msgs.length || msgs[msgs.length - 1]!.role !== 'user') { this.postState(); return; }
    await this.answer(this.currentModel());
  }

  async editLast(text: string): Promise<void> {
    await this.loaded;
    if (this.busy || this.disposed) return;
    const msgs = this.session.messages;
    const i = lastUserIndex(msgs);
    if (i < 0) { await this.send(text); return; }
    const old = msgs[i]!;
    msgs.splice(i);
    msgs.push({ ...old, id: newId(), text: text.trim(), createdAt: Date.now() });
    if (i === 0) this.session.title = titleFrom(text) || this.session.title;
    this.post({ type: 'setInput', text: '', focus: true });
    await this.answer(this.currentModel());
  }

  stop(): void {
    if (this.sending) {
      // The send being checked is dropped; its text and attachments stay in the composer.
      this.sending.cancelled = true;
      this.sending = undefined;
      this.postComposer();
    }
    if (!this.run) return;
    this.run.userStopped = true;
    this.run.abort.abort();
  }

  /** Clear from the webview: the messages are deleted from the history, so the user confirms. */
  private async clearAsked(): Promise<void> {
    await this.loaded;
    if (!this.session.messages.length) return;
    const ok = await this.confirm(
      vscode.l10n.t('Clear this chat?'), vscode.l10n.t('Its {0} messages are deleted from the chat history.', this.session.messages.length), vscode.l10n.t('Clear'),
    );
    if (ok) await this.clear(); else this.ctx.log.info('chat: clearing the chat was not confirmed');
  }

  async clear(): Promise<void> {
    await this.loaded;
    this.stop();
    this.session.messages = [];
    this.session.title = '';
    this.notice = undefined;
    // An emptied session is removed from the history rather than kept as an empty file.
    void this.store.deleteSession(this.session.id).catch(() => undefined);
    this.saveIndex();
    this.postState();
  }

  async newChat(): Promise<void> {
    await this.loaded;
    this.stop();
    if (this.session.messages.length) {
      this.touch(this.session);
      this.session = newSession();
      this.saveIndex();
    }
    this.notice = undefined;
    this.postState();
  }

  async switchTo(id: string): Promise<boolean> {
    await this.loaded;
    if (id === this.session.id) return true;
    const s = await this.store.readSession(id);
    if (!s) return false;
    this.stop();
    this.session = s;
    this.notice = undefined;
    this.saveIndex();
    this.postState();
    return true;
  }

  async deleteSession(id: string): Promise<void> {
    await this.loaded;
    // An answer still streaming into it (or a save already scheduled) must not write it back.
    this.deleted.add(id);
    this.dirty.forEach((s) => { if (s.id === id) this.dirty.delete(s); });
    this.index = { ...this.index, sessions: this.index.sessions.filter((x) => x.id !== id) };
    await this.store.deleteSession(id).catch(() => undefined);
    if (id === this.session.id) {
      this.stop();
      const next = this.index.sessions[0] ? await this.store.readSession(this.index.sessions[0].id) : undefined;
      this.session = next ?? newSession();
      this.postState();
    }
    this.saveIndex();
  }

  async showHistory(): Promise<void> {
    await this.loaded;
    this.saveIndex();
    const del: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: vscode.l10n.t('Delete this chat') };
    const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { id: string }>();
    qp.title = vscode.l10n.t('Chat history');
    qp.placeholder = vscode.l10n.t('Choose a chat to continue');
    const fill = () => {
      qp.items = this.index.sessions.map((s) => ({
        id: s.id,
        label: s.title || vscode.l10n.t('New chat'),
        description: new Date(s.updatedAt).toLocaleString(vscode.env.language),
        detail: vscode.l10n.t('{0} messages', s.messageCount),
        buttons: [del],
        ...(s.id === this.session.id ? { picked: true } : {}),
      }));
    };
    fill();
    await new Promise<void>((resolve) => {
      qp.onDidTriggerItemButton(async (e) => { await this.deleteSession(e.item.id); fill(); });
      qp.onDidAccept(async () => {
        const item = qp.selectedItems[0];
        qp.hide();
        if (item) { await this.switchTo(item.id); await this.view?.reveal(false); }
      });
      qp.onDidHide(() => { qp.dispose(); resolve(); });
      qp.show();
    });
  }

  /** Streams the answer to the conversation as it stands (ending with the user's turn). */
  private async answer(model: string): Promise<void> {
    const session = this.session;
    const history = session.messages.slice();
    const message: ChatMessage = { id: newId(), role: 'assistant', text: '', state: 'streaming', model, createdAt: Date.now() };
    session.messages.push(message);
    const run: Run = { session, message, abort: new AbortController(), userStopped: false };
    this.run = run;
    // An endless or enormous answer stops here, the text kept (ollamaAssistant.chat.maxAnswerChars).
    const { maxAnswerChars: maxChars, systemPrompt: system } = chatSettings();
    this.touch(session);
    this.postState();
    let url = '';
    const started = performance.now();
    try {
      url = (await this.ctx.endpoint()).url;
      let facts: ModelFacts | undefined;
      try { facts = await this.modelFacts(model); } catch (e) { if (e instanceof ModelNotFoundError) throw e; }
      const defaults = generationDefaults();
      const numCtx = resolveContextLength(defaults.options.numCtx, facts?.modelInfo);
      const trimmed = trimToContext(toLlmMessages(history, system), promptBudget(numCtx, defaults.options.numPredict), this.calibration.factors(model));
      if (trimmed.dropped) this.ctx.log.info(`chat: left out ${trimmed.dropped} older messages to fit ${numCtx} tokens`);
      if (trimmed.overBudget && session === this.session) {
        // Sent anyway (the server cuts it), but the user should know the model will not see all of it.
        this.ctx.log.info(`chat: the prompt (about ${trimmed.estimatedTokens} tokens) exceeds the budget of ${trimmed.budget} tokens (num_ctx ${numCtx})`);
        this.notice = {
          kind: 'info',
          message: vscode.l10n.t('This message is too long for the model\'s context window (about {0} tokens; {1} fit): the model will not see all of it. Attach less, or raise num_ctx in the ollamaAssistant.options setting.', trimmed.estimatedTokens, trimmed.budget),
          actions: [],
        };
        this.postComposer();
      }
      const llm = await this.ctx.llm();
      const think = facts ? thinkParam(this.thinkChoice(model), thinkChoices(facts.capabilities, facts.thinking)) : undefined;
      const stream = await llm.chat({
        model, messages: trimmed.messages, options: defaults.options,
        ...(defaults.keepAlive !== undefined ? { keepAlive: defaults.keepAlive } : {}),
        ...(think !== undefined ? { think } : {}),
        implicitThinkOpen: templateOpensThinking(facts?.template) ? true : 'auto',
      }, { signal: run.abort.signal });
      for await (const c of stream) {
        if (run.abort.signal.aborted) break;
        if (c.textWasThinking && message.text) {
          // A DeepSeek-R1 style answer: what was shown as the answer was reasoning (see reasoning.ts).
          this.flushDelta();
          message.thinking = (message.thinking ?? '') + message.text;
          message.text = '';
          message.stats = { ...message.stats, firstThinkingMs: message.stats?.ttftMs ?? 0 };
          delete message.stats.ttftMs;
          if (session === this.session) this.postState();
        }
        if (c.text || c.thinking) {
          const piece = capPiece(message.text.length + (message.thinking?.length ?? 0), { text: c.text, thinking: c.thinking ?? '' }, maxChars);
          const now = performance.now() - started;
          if (piece.thinking && message.stats?.firstThinkingMs === undefined) message.stats = { ...message.stats, firstThinkingMs: now };
          if (piece.text && message.stats?.ttftMs === undefined) {
            message.stats = { ...message.stats, ttftMs: now };
            // The reasoning ended where the answer began.
            if (message.thinking && message.stats.firstThinkingMs !== undefined) message.stats.thinkingMs = now - message.stats.firstThinkingMs;
          }
          message.text += piece.text;
          if (piece.thinking) message.thinking = (message.thinking ?? '') + piece.thinking;
          this.queueDelta(message, piece.text, piece.thinking);
          this.markDirty(session);
          if (piece.reached) {
            // Close the connection: the server stops generating, and nothing more is read.
            message.cutAt = maxChars;
            run.capped = true;
            run.abort.abort();
            this.ctx.log.warn(`chat: the answer of ${model} reached ${maxChars} characters and was cut there (ollamaAssistant.chat.maxAnswerChars)`);
            break;
          }
        }
        if (c.done) {
          if (message.thinking && message.stats?.thinkingMs === undefined && message.stats?.firstThinkingMs !== undefined) {
            message.stats.thinkingMs = performance.now() - started - message.stats.firstThinkingMs;
          }
          if (c.stats?.promptTokens) {
            const f = this.calibration.observe(model, { estimate: trimmed.parts, actual: c.stats.promptTokens, numCtx });
            this.ctx.log.debug(`chat: ${model} counted ${c.stats.promptTokens} prompt tokens for an estimate of ${trimmed.estimatedTokens}; factors cjk ${f.cjk.toFixed(2)} other ${f.other.toFixed(2)}`);
          }
          message.stats = {
            ...message.stats,
            ...(c.stats?.tokensPerSecond !== undefined ? { tokensPerSecond: c.stats.tokensPerSecond } : {}),
            ...(c.stats?.loadMs !== undefined ? { loadMs: c.stats.loadMs } : {}),
            ...(c.stats?.promptMs !== undefined ? { promptMs: c.stats.promptMs } : {}),
            ...(c.stats?.totalMs !== undefined ? { totalMs: c.stats.totalMs } : {}),
            ...(c.stats ? { promptTokens: c.stats.promptTokens, outputTokens: c.stats.outputTokens } : {}),
            ...(c.doneReason ? { doneReason: c.doneReason } : {}),
            ...(trimmed.dropped ? { trimmedMessages: trimmed.dropped } : {}),
          };
        }
      }
      if (run.abort.signal.aborted) throw new DOMException('aborted', 'AbortError');
      message.state = 'done';
      this.monitor.reportSuccess(url);
    } catch (e) {
      if (this.disposed) return;
      if (isCancel(e, run.abort.signal)) {
        message.state = run.userStopped || run.capped ? 'stopped' : 'interrupted';
      } else {
        message.state = 'error';
        message.error = this.describe(e, url, model, message.text.length > 0);
        if (message.error.kind === 'unreachable') this.monitor.reportError(e, url);
        this.ctx.log.warn(`chat: ${message.error.message}`);
      }
    } finally {
      if (this.run === run) this.run = undefined;
    }
    if (this.disposed) return;
    this.touch(session);
    // The whole state: buttons on other messages (edit, regenerate, error actions) change too.
    if (session === this.session) this.postState();
  }

  private describe(e: unknown, url: string, model: string, partial: boolean): ChatErrorInfo {
    if (e instanceof ModelNotFoundError) {
      const name = e.model || model;
      return { kind: 'modelMissing', model: name, url, message: vscode.l10n.t('Model {0} is not installed on {1}.', name, url) };
    }
    if (isUnreachable(e) && !partial) return { kind: 'unreachable', url, message: describeError(e, url) };
    if (partial && (e instanceof StreamError || e instanceof IncompleteStreamError || e instanceof TimeoutError || e instanceof ConnectionError)) {
      return { kind: 'midStream', url, message: vscode.l10n.t('The answer broke off: {0} The part received is kept.', describeError(e, url)) };
    }
    return { kind: 'other', url, message: describeError(e, url) };
  }

  // ---- actions from the webview --------------------------------------------------------------

  private async runAction(action: ChatAction, arg: string | undefined): Promise<void> {
    switch (action) {
      case 'retry': await this.regenerate(); break;
      case 'openEndpointSetting': await vscode.commands.executeCommand(COMMAND.openSetting, SETTING.endpoint); break;
      case 'testConnection': await vscode.commands.executeCommand(COMMAND.testConnection); break;
      case 'selectModel': await this.pickModel(); break;
      case 'pullModel': await this.pullAsked((arg ?? this.currentModel()).trim()); break;
      default: break;
    }
  }

  /** A pull the webview asks for: a valid model name, downloaded only once the user confirms it by name. */
  private async pullAsked(name: string): Promise<void> {
    const parts = parseModelName(name);
    if (!parts) { this.refuse(`pullModel: not a valid model name ${JSON.stringify(name.slice(0, 80))}`); return; }
    let url = '';
    try { url = (await this.ctx.endpoint()).url; } catch { url = ''; }
    const ok = await this.confirm(
      vscode.l10n.t('Download the model {0} to {1}?', name, url),
      vscode.l10n.t('The server downloads it from {0}; models are often several gigabytes.', parts.host ?? 'registry.ollama.ai'),
      vscode.l10n.t('Pull'),
    );
    if (!ok) { this.ctx.log.info(`chat: pulling ${name} was not confirmed`); return; }
    try {
      await vscode.commands.executeCommand(COMMAND.modelsPull, name);
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not start pulling {0}: {1}', name, (e as Error).message));
    }
  }

  private async codeAction(action: CodeAction, code: string, language: string): Promise<void> {
    if (action === 'copy') { await vscode.env.clipboard.writeText(code); return; }
    if (action === 'insert') {
      const ed = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
      if (!ed) { void vscode.window.showWarningMessage(vscode.l10n.t('Open an editor to insert the code into.')); return; }
      const ok = await ed.edit((b) => { for (const s of ed.selections) b.replace(s, code); });
      if (ok) await vscode.window.showTextDocument(ed.document, { viewColumn: ed.viewColumn, preserveFocus: false });
      return;
    }
    if (action === 'open') {
      const known = new Set(await vscode.languages.getLanguages());
      const doc = await vscode.workspace.openTextDocument({ content: code, language: languageIdForFence(language, known) });
      await vscode.window.showTextDocument(doc, { preview: false });
    }
  }

  /** Opens http(s) and mailto links from answers in the system browser; anything else is refused. */
  private async openLink(href: string): Promise<void> {
    let url: URL | undefined;
    try { url = new URL(href); } catch { url = undefined; }
    const ok = !!url && (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'mailto:');
    this.links.push({ href, opened: ok });
    if (!ok) { this.ctx.log.warn(`chat: refused to open link ${JSON.stringify(href.slice(0, 200))}`); return; }
    await vscode.env.openExternal(vscode.Uri.parse(url!.toString(), true));
  }

  // ---- tests ---------------------------------------------------------------------------------

  testState(): ChatTestState {
    return {
      ready: !!this.view?.isReady, busy: this.busy, model: this.currentModel(), session: this.session, index: this.index,
      attachments: this.attachmentViews().map((a) => a.label), links: this.links, refused: [...this.refused], statesPosted: this.statesPosted,
      ...(this.notice ? { notice: this.notice.message } : {}),
    };
  }

  /** Test builds: answer confirmations with `answer` from now on (undefined: the real dialogs again);
   * returns what was asked since the last call. */
  testConfirmations(answer: boolean | undefined): string[] {
    const asked = this.testConfirm?.asked ?? [];
    this.testConfirm = answer === undefined ? undefined : { answer, asked: [] };
    return asked;
  }

  /** Sends a test operation to the webview and waits for its answer. */
  testWebview(op: TestOp, timeoutMs = 10000): Promise<unknown> {
    const id = this.nextTestId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.testWaiters.delete(id); reject(new Error(`webview did not answer test op ${op.op}`)); }, timeoutMs);
      this.testWaiters.set(id, (r) => { clearTimeout(t); resolve(r); });
      if (!this.view?.post({ type: 'test', id, op })) { clearTimeout(t); this.testWaiters.delete(id); reject(new Error('chat webview is not ready')); }
    });
  }

  async testIdle(): Promise<void> {
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
    this.saver.flush();
    await this.store.idle();
  }

  dispose(): void {
    if (this.disposed) return;
    // Last save, synchronously: the host may not wait for anything asynchronous. An answer still
    // streaming is written as such and reads back as interrupted.
    try {
      this.saver.cancel();
      for (const s of new Set([...this.dirty, ...(this.run ? [this.run.session] : [])])) if (s.messages.length && !this.deleted.has(s.id)) this.store.writeSessionSync(s);
      if (this.session.messages.length || this.index.sessions.length) {
        const list = this.index.sessions.filter((x) => x.id !== this.session.id);
        if (this.session.messages.length && !this.deleted.has(this.session.id)) list.unshift(summarize(this.session));
        this.store.writeIndexSync({ currentId: this.session.id, sessions: list });
      }
    } catch (e) {
      this.ctx.log.error(`chat history final write failed: ${(e as Error).message}`);
    }
    this.disposed = true;
    this.resyncer.cancel();
    this.store.close();
    if (this.deltaTimer) clearTimeout(this.deltaTimer);
    this.run?.abort.abort();
  }
}

/** The chip of an attachment: "src/a.ts (lines 3-9, typescript)". */
function contextLabel(a: ContextAttachment): string {
  if (a.startLine === undefined || a.endLine === undefined) return vscode.l10n.t('{0} ({1})', a.path, a.language);
  if (a.startLine === a.endLine) return vscode.l10n.t('{0} (line {1}, {2})', a.path, a.startLine, a.language);
  return vscode.l10n.t('{0} (lines {1}-{2}, {3})', a.path, a.startLine, a.endLine, a.language);
}

/** Documents the attach button offers: files and editors, not output channels or git views. */
const ATTACHABLE_SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-vfs', 'vscode-userdata']);

function docPath(doc: vscode.TextDocument): string {
  return doc.isUntitled ? doc.fileName : vscode.workspace.asRelativePath(doc.uri, false);
}

/** "llama3.2" and "llama3.2:latest" are the same model. */
export function sameModel(a: string, b: string): boolean {
  const norm = (s: string) => ((s.split('/').pop() ?? s).includes(':') ? s : `${s}:latest`).toLowerCase();
  return norm(a) === norm(b);
}
