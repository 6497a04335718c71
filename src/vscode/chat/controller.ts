// The chat view's controller: routes what the webview asks (already checked by the webview host,
// chatProtocol.ts checkFromWebview) to the parts that own it — the sessions (core/chat/sessions),
// the composer (attachments.ts), the models (models.ts), one answer at a time (core/chat/answer) —
// and sends the view what changed. The webview renders model output, so it is not trusted for what
// it asks: a model is selected only among those offered, and what downloads (a pull), deletes
// (clearing the chat) or reads a file to send it (attaching a file) asks the user first.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AnswerRun } from '../../core/chat/answer';
import { Composer } from '../../core/chat/composer';
import { composeUserContent, languageIdForFence, lastUserIndex, newId, titleFrom, type ChatErrorInfo, type ChatMessage, type ChatSession, type ContextAttachment } from '../../core/chat/conversation';
import { DeltaBatcher } from '../../core/chat/delta';
import { HistoryStore } from '../../core/chat/history';
import { promptBudget, resolveContextLength } from '../../core/chat/trim';
import { fitSnippets, mentionsWorkspace, withoutWorkspaceMention } from '../../core/context/mention';
import { estimateTokens } from '../../core/llm/tokens';
import { ChatSessions } from '../../core/chat/sessions';
import { attachmentViews, stateView } from '../../core/chat/view';
import { Throttle } from '../../core/common/timing';
import { TokenCalibration } from '../../core/llm/tokens';
import { parseModelName } from '../../core/models';
import type { ChatAction, ChatStateView, CodeAction, FromWebview, NoticeView, ToWebview } from '../../shared/chatProtocol';
import { affects, chatSettings, generationDefaults } from '../config';
import type { ExtensionContextOwner } from '../context';
import { presentError, runRemedy } from '../errors';
import { SETTING } from '../ids';
import type { ConnectionMonitor } from '../status';
import type { WebviewViewHost } from '../webview/host';
import { ChatAttachments, imageTooLarge } from './attachments';
import { WorkspaceSearch } from '../context/workspaceSearch';
import { ChatMentions } from './mentions';
import { ChatModels } from './models';
import { dialogPrompts, type ChatPrompts } from './prompts';
import { chatLabels, webviewStrings } from './strings';

/** Resends of the whole state the webview asks for: at most one per interval (a view that asks in
 * a loop cannot make the host serialise the conversation continuously). */
const RESYNC_INTERVAL_MS = 250;

export type ChatViewHost = WebviewViewHost<ToWebview, FromWebview>;

export class ChatController implements vscode.Disposable {
  readonly sessions: ChatSessions;
  readonly composer = new Composer<NoticeView>();
  readonly models: ChatModels;
  readonly attachments: ChatAttachments;
  /** `@` mentions: the picker and what each kind attaches. */
  readonly mentions: ChatMentions;
  /** The workspace search behind `@workspace` (built on first use). */
  readonly search: WorkspaceSearch;
  /** How the chat asks the user before acting on a request from the webview. */
  prompts: ChatPrompts = dialogPrompts;
  private view: ChatViewHost | undefined;
  /** The answer being streamed, and the session it belongs to. */
  private answer: { run: AnswerRun; session: ChatSession } | undefined;
  /** A send whose images are being checked (vision capability) before its answer starts. The chat
   * counts as busy meanwhile; Stop (and New chat, switching, deleting, which stop) cancels it. */
  private sending: { cancelled: boolean } | undefined;
  /** Per model: how the server's prompt counts compare with our token estimates (shared with VS
   * Code's own chat, src/vscode/lm, so both count tokens alike). */
  readonly calibration = new TokenCalibration();
  private readonly deltas: DeltaBatcher;
  private readonly resyncer = new Throttle(RESYNC_INTERVAL_MS, () => this.postState());
  private disposed = false;
  private readonly refusedEmitter = new vscode.EventEmitter<string>();
  /** A webview message was refused (the log says why too). */
  readonly onDidRefuse = this.refusedEmitter.event;
  private readonly linkEmitter = new vscode.EventEmitter<{ href: string; opened: boolean }>();
  /** The webview asked to open a link; whether it was opened (only http(s) and mailto are). */
  readonly onDidRequestLink = this.linkEmitter.event;
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  /** The whole state was sent to the webview. */
  readonly onDidPostState = this.stateEmitter.event;

  constructor(private readonly ctx: ExtensionContextOwner, private readonly monitor: ConnectionMonitor) {
    this.sessions = new ChatSessions(new HistoryStore(path.join(ctx.ext.globalStorageUri.fsPath, 'chat')), {
      maxSessions: () => chatSettings().maxHistorySessions,
      log: ctx.log,
    });
    this.models = new ChatModels(ctx);
    this.attachments = new ChatAttachments(this.composer, {
      changed: () => this.postComposer(),
      reveal: () => this.view?.reveal(false) ?? Promise.resolve(false),
      focusInput: () => this.post({ type: 'setInput', text: '', focus: true }),
      prompts: () => this.prompts,
    });
    this.mentions = new ChatMentions((a) => this.attachments.addContext(a), (t) => this.search.listedFiles(t));
    this.search = new WorkspaceSearch(ctx);
    ctx.own(this.search);
    this.deltas = new DeltaBatcher((d) => this.post({ type: 'delta', id: d.id, offset: d.offset, text: d.text, ...(d.thinking ? { thinking: d.thinking } : {}) }));
    ctx.own(this.models.onDidChange(() => this.postModels()));
    ctx.own(ctx.onDidChangeClient(() => {
      this.models.reset();
      this.calibration.clear();
      if (this.view?.isReady) void this.models.refresh(true);
    }));
    ctx.own(vscode.workspace.onDidChangeConfiguration((e) => { if (affects(e, 'chatModel')) this.postModels(); }));
  }

  attach(view: ChatViewHost): void { this.view = view; }

  /** Resolves once the history is read (on first use: the view or a command, never at activation). */
  whenLoaded(): Promise<void> { return this.sessions.whenLoaded(); }

  /** An answer is streaming, or a send is being checked: nothing may change the conversation. */
  get busy(): boolean { return !!this.answer || !!this.sending; }

  /** The composer's notice, as shown. */
  get notice(): NoticeView | undefined { return this.composer.notice; }

  // ---- to the webview ------------------------------------------------------------------------

  private post(m: ToWebview): void { this.view?.post(m); }

  /** The webview (re)loaded: everything, then the model list. */
  onReady(): void {
    void this.whenLoaded().then(() => {
      this.deltas.drop();
      this.post({ type: 'init', strings: webviewStrings(), state: this.stateView() });
      void this.models.refresh(false);
    });
  }

  private stateView(): ChatStateView {
    return stateView({
      session: this.sessions.current, busy: this.busy, model: this.models.selected(), models: this.models.options(), think: this.models.think(),
      attachments: attachmentViews(this.composer.attachments, chatLabels), notice: this.composer.notice, labels: chatLabels,
    });
  }

  private postState(): void {
    this.deltas.flush();
    this.post({ type: 'state', state: this.stateView() });
    this.stateEmitter.fire();
  }

  private postComposer(): void {
    this.post({ type: 'composer', attachments: attachmentViews(this.composer.attachments, chatLabels), notice: this.composer.notice ?? null, busy: this.busy });
  }

  private postModels(): void {
    this.post({ type: 'models', models: this.models.options(), current: this.models.selected(), think: this.models.think() });
    // The reasoning control needs the model's facts: fetch them, then show the control.
    if (this.view?.isReady) this.models.ensureFacts();
  }

  // ---- from the webview ----------------------------------------------------------------------

  /** A checked message from the webview. */
  onMessage(m: FromWebview): void {
    switch (m.type) {
      case 'send': void this.send(m.text); break;
      case 'editLast': void this.editLast(m.text); break;
      case 'stop': this.stop(); break;
      case 'regenerate': void this.regenerate(); break;
      case 'clear': void this.clearAsked(); break;
      case 'selectModel': void this.selectOffered(m.model); break;
      case 'refreshModels': void this.models.refresh(false); break;
      case 'setThink': void this.models.setThink(m.value); break;
      case 'action': void this.runAction(m.action, m.arg); break;
      case 'codeAction': void this.codeAction(m.action, m.code, m.language); break;
      case 'copyText': void vscode.env.clipboard.writeText(m.text); break;
      case 'openLink': void this.openLink(m.href); break;
      case 'addImage': this.attachments.addImage(m.name, m.mime, m.data); break;
      case 'removeAttachment': this.attachments.remove(m.id); break;
      case 'attachFile': void this.attachments.chooseFile(); break;
      case 'attachImage': void this.attachments.pickImages(); break;
      case 'resync': this.resyncer.schedule(); break;
      case 'mention': void this.mention(); break;
      case 'openSource': this.openSource(m.id, m.index).catch((e: unknown) => {
        // Deleted or renamed since the answer, or not text any more.
        void vscode.window.showWarningMessage(vscode.l10n.t('This source could not be opened: {0}', e instanceof Error ? e.message : String(e)));
      }); break;
      case 'removeSource': void this.removeSource(m.id, m.index); break;
      default: break;
    }
  }

  /** A message the check refused: logged; an image refused for its size also gets a notice. */
  onRefused(reason: string, raw: unknown): void {
    this.refuse(reason);
    if ((raw as { type?: unknown } | null)?.type === 'addImage') this.attachments.refuseImage(imageTooLarge());
  }

  private refuse(reason: string): void {
    this.ctx.log.warn(`chat: refused a request from the chat view: ${reason}`);
    this.refusedEmitter.fire(reason);
  }

  private async runAction(action: ChatAction, arg: string | undefined): Promise<void> {
    switch (action) {
      case 'retry': await this.regenerate(); break;
      case 'openEndpointSetting': await runRemedy({ kind: 'openSetting', key: SETTING.endpoint }); break;
      case 'testConnection': await runRemedy({ kind: 'testConnection' }); break;
      case 'selectModel': await this.pickModel(); break;
      case 'pullModel': await this.pullAsked((arg ?? this.models.current()).trim()); break;
      default: break;
    }
  }

  /** A pull the webview asks for: a valid model name, downloaded only once the user confirms it by name. */
  private async pullAsked(name: string): Promise<void> {
    const parts = parseModelName(name);
    if (!parts) { this.refuse(`pullModel: not a valid model name ${JSON.stringify(name.slice(0, 80))}`); return; }
    let url = '';
    try { url = (await this.ctx.endpoint()).url; } catch { url = ''; }
    const ok = await this.prompts.confirm(
      vscode.l10n.t('Download the model {0} to {1}?', name, url),
      vscode.l10n.t('The server downloads it from {0}; models are often several gigabytes.', parts.host ?? 'registry.ollama.ai'),
      vscode.l10n.t('Pull'),
    );
    if (!ok) { this.ctx.log.info(`chat: pulling ${name} was not confirmed`); return; }
    try {
      await runRemedy({ kind: 'pull', model: name });
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
    this.linkEmitter.fire({ href, opened: ok });
    if (!ok) { this.ctx.log.warn(`chat: refused to open link ${JSON.stringify(href.slice(0, 200))}`); return; }
    await vscode.env.openExternal(vscode.Uri.parse(url!.toString(), true));
  }

  // ---- models ---------------------------------------------------------------------------------

  /** A new model was chosen: the composer's notice (often about the old model) goes. */
  private async useModel(name: string): Promise<void> {
    await this.models.setModel(name);
    if (this.composer.notice) { this.composer.notice = undefined; this.postComposer(); }
    this.postModels();
  }

  /** The webview's model picker: only a model it was offered (installed, or the configured one). */
  private async selectOffered(name: string): Promise<void> {
    if (!this.models.offers(name)) {
      this.refuse(`selectModel: ${JSON.stringify(name.slice(0, 80))} is not among the models offered`);
      this.postModels();
      return;
    }
    await this.useModel(name);
  }

  /** The editor's own model picker. */
  async pickModel(): Promise<void> {
    const name = await this.models.pick();
    if (name) await this.useModel(name);
  }

  // ---- the conversation -----------------------------------------------------------------------

  async send(text: string): Promise<void> {
    await this.whenLoaded();
    if (this.busy || this.disposed) return;
    const { used, context, images } = this.composer.take();
    if (!text.trim() && !context.length && !images.length) return;
    const model = this.models.current();
    const searchWorkspace = mentionsWorkspace(text);
    this.searchNotice = undefined;
    // Busy from here: the checks await the server (and the workspace search), and nothing else may
    // start an answer or change the conversation meanwhile.
    const session0 = this.sessions.current;
    const token = { cancelled: false };
    this.sending = token;
    this.postComposer();
    let refusal: NoticeView | undefined;
    try {
      if (images.length) refusal = await this.visionRefusal(model);
      if (!refusal) {
        const budget = await this.promptBudgetOf(model);
        if (searchWorkspace) context.push(...await this.workspaceSnippets(text, budget, context).catch((e: unknown) => {
          // The search failed (its worker stopped, a file system error): the question goes
          // without snippets, and the composer says why.
          this.ctx.log.warn(`chat: @workspace search failed: ${e instanceof Error ? e.message : String(e)}`);
          this.searchNotice = { kind: 'error', message: vscode.l10n.t('The workspace search is not available: {0}. Run "Ollama: Rebuild the Workspace Search Index" to try again.', e instanceof Error ? e.message : String(e)), actions: [] };
          return [];
        }));
        refusal = this.overBudget(text, context, budget);
      }
    } finally { if (this.sending === token) this.sending = undefined; }
    if (token.cancelled || this.disposed || session0 !== this.sessions.current) { if (!this.disposed) this.postComposer(); return; }
    if (refusal) { this.composer.notice = refusal; this.postComposer(); return; }
    const session = this.sessions.current;
    const user: ChatMessage = {
      id: newId(), role: 'user', text: text.trim(), createdAt: Date.now(),
      ...(context.length ? { context } : {}), ...(images.length ? { images } : {}),
    };
    session.messages.push(user);
    if (!session.title) session.title = titleFrom(user.text) || (context[0] ? chatLabels.contextLabel(context[0]) : images[0]?.name ?? '');
    // Attachments added while the images were checked stay for the next message.
    this.composer.release(used);
    // What the workspace search had to say about this question (its cap, its failure), else nothing.
    this.composer.notice = this.searchNotice;
    this.searchNotice = undefined;
    this.post({ type: 'setInput', text: '', focus: true });
    await this.answerNow(model);
  }

  /** Tokens the prompt may use with `model` (its context length, or num_ctx, minus the answer's reserve). */
  private async promptBudgetOf(model: string): Promise<number> {
    let facts;
    try { facts = await this.models.facts.get(model); } catch { facts = undefined; }
    const g = generationDefaults();
    return promptBudget(resolveContextLength(g.options.numCtx, facts?.modelInfo), g.options.numPredict);
  }

  /** A notice when the message with its attachments cannot fit the model's context (nothing is
   * sent; the attachments stay, to remove some). */
  private overBudget(text: string, context: readonly ContextAttachment[], budget: number): NoticeView | undefined {
    if (!context.length) return undefined;
    const tokens = estimateTokens(composeUserContent({ text, context: [...context] })) + estimateTokens(chatSettings().systemPrompt);
    if (tokens <= budget) return undefined;
    return {
      kind: 'error',
      message: vscode.l10n.t('The message and its attachments are about {0} tokens, but {1} fit in the model\'s context window. Remove an attachment, or raise num_ctx in the ollamaAssistant.options setting.', tokens, budget),
      actions: [],
    };
  }

  /** A notice from the workspace search for the message being sent (shown once it is sent). */
  private searchNotice: NoticeView | undefined;

  /** The workspace search for a message that mentions `@workspace`: the best snippets that fit
   * in about half of what the prompt has left after the message and its other attachments. */
  private async workspaceSnippets(text: string, budget: number, context: readonly ContextAttachment[]): Promise<ContextAttachment[]> {
    const idx = await this.search.ready();
    const question = withoutWorkspaceMention(text);
    if (!question) return [];
    if (idx.state === 'failed') {
      // Sent without snippets, and the composer says why and what to do.
      this.searchNotice = { kind: 'error', message: vscode.l10n.t('The workspace search is not available: {0}. Run "Ollama: Rebuild the Workspace Search Index" to try again.', idx.stats().error ?? ''), actions: [] };
      return [];
    }
    const r = await idx.search(question, { limit: 8, perFile: 2 });
    if (r.vectorError) this.ctx.log.info(`chat: @workspace used keyword search only: ${r.vectorError}`);
    const cap = this.search.capNotice();
    if (cap) this.searchNotice = { kind: 'info', message: cap, actions: [] };
    const used = estimateTokens(composeUserContent({ text, context: [...context] })) + estimateTokens(chatSettings().systemPrompt);
    const room = Math.max(0, Math.floor((budget - used) / 2));
    const out: (ContextAttachment & { tokens: number })[] = [];
    for (const h of r.hits) {
      const body = await idx.snippet(h);
      if (body === undefined) continue;
      const ext = path.extname(h.path).slice(1).toLowerCase();
      out.push({ kind: 'snippet', path: h.path, language: ext || 'text', text: body, startLine: h.startLine, endLine: h.endLine, uri: h.file, tokens: estimateTokens(body) + 20 });
    }
    this.ctx.log.info(`chat: @workspace found ${r.hits.length} snippets (${r.usedVectors ? 'keyword + embeddings' : 'keyword'}): ${r.hits.map((h) => `${h.path}:${h.startLine}`).join(', ')}`);
    return fitSnippets(out, room).map(({ tokens: _t, ...a }) => a);
  }

  /** `@` typed in the composer: the picker; its result goes where the `@` is. */
  async mention(): Promise<void> {
    // The workspace search starts building now: it is likely to be asked for soon.
    this.search.get();
    let insert = '@';
    try {
      insert = await this.mentions.pick();
    } catch (e) {
      // The picked item could not be read (a binary file, one deleted meanwhile).
      void vscode.window.showWarningMessage(vscode.l10n.t('That could not be attached: {0}', e instanceof Error ? e.message : String(e)));
    } finally { this.post({ type: 'mentionDone', insert }); }
  }

  /** The user turn an answer was given, and the answer. */
  private answerAndTurn(id: string): { answer: ChatMessage; turn: ChatMessage; last: boolean } | undefined {
    const msgs = this.sessions.current.messages;
    const i = msgs.findIndex((m) => m.id === id);
    const turn = msgs[i - 1];
    if (i < 1 || msgs[i]!.role !== 'assistant' || turn?.role !== 'user') return undefined;
    return { answer: msgs[i]!, turn, last: i === msgs.length - 1 };
  }

  /** Opens a source of an answer at its lines (a folder: revealed in the Explorer). */
  async openSource(id: string, index: number): Promise<void> {
    const a = this.answerAndTurn(id)?.turn.context?.[index];
    if (!a?.uri) { this.refuse(`openSource: no source ${index} with a location in ${id.slice(0, 40)}`); return; }
    const uri = vscode.Uri.parse(a.uri, true);
    if (a.kind === 'folder') { await vscode.commands.executeCommand('revealInExplorer', uri); return; }
    const doc = await vscode.workspace.openTextDocument(uri);
    const ed = await vscode.window.showTextDocument(doc, { preview: true });
    if (a.startLine !== undefined) {
      const start = new vscode.Position(Math.max(0, a.startLine - 1), 0);
      const endLine = Math.min(doc.lineCount - 1, (a.endLine ?? a.startLine) - 1);
      ed.selection = new vscode.Selection(start, new vscode.Position(endLine, doc.lineAt(endLine).text.length));
      ed.revealRange(new vscode.Range(start, start), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
  }

  /** Leaves a source out of the last answer's turn and answers again. */
  async removeSource(id: string, index: number): Promise<void> {
    await this.whenLoaded();
    const t = this.answerAndTurn(id);
    if (!t?.last || this.busy || !t.turn.context?.[index]) { this.refuse(`removeSource: ${index} of ${id.slice(0, 40)} cannot be removed now`); return; }
    t.turn.context = t.turn.context.filter((_, k) => k !== index);
    if (!t.turn.context.length) delete t.turn.context;
    this.sessions.markDirty(this.sessions.current);
    await this.regenerate();
  }

  /** A notice when `model` is known to lack the vision capability. */
  private async visionRefusal(model: string): Promise<NoticeView | undefined> {
    let facts;
    try { facts = await this.models.facts.get(model); } catch { return undefined; }
    if (!facts?.capabilities || facts.capabilities.includes('vision')) return undefined;
    return {
      kind: 'error',
      message: vscode.l10n.t('{0} cannot read images: it does not have the vision capability. Choose a vision model (such as llava) or remove the image.', model),
      actions: [{ action: 'selectModel', label: vscode.l10n.t('Choose Another Model') }],
    };
  }

  async regenerate(): Promise<void> {
    await this.whenLoaded();
    if (this.busy || this.disposed) return;
    const msgs = this.sessions.current.messages;
    if (!msgs.length) return;
    if (msgs[msgs.length - 1]!.role === 'assistant') msgs.pop();
    if (!msgs.length || msgs[msgs.length - 1]!.role !== 'user') { this.postState(); return; }
    await this.answerNow(this.models.current());
  }

  async editLast(text: string): Promise<void> {
    await this.whenLoaded();
    if (this.busy || this.disposed) return;
    const session = this.sessions.current;
    const msgs = session.messages;
    const i = lastUserIndex(msgs);
    if (i < 0) { await this.send(text); return; }
    const old = msgs[i]!;
    msgs.splice(i);
    msgs.push({ ...old, id: newId(), text: text.trim(), createdAt: Date.now() });
    if (i === 0) session.title = titleFrom(text) || session.title;
    this.post({ type: 'setInput', text: '', focus: true });
    await this.answerNow(this.models.current());
  }

  /** Streams the answer to the conversation as it stands (ending with the user's turn). */
  private async answerNow(model: string): Promise<void> {
    const session = this.sessions.current;
    const history = session.messages.slice();
    const message: ChatMessage = { id: newId(), role: 'assistant', text: '', state: 'streaming', model, createdAt: Date.now() };
    session.messages.push(message);
    const settings = chatSettings();
    const run = new AnswerRun(message, history, {
      connect: async () => ({ llm: await this.ctx.llm(), url: (await this.ctx.endpoint()).url }),
      facts: (m) => this.models.facts.get(m),
      generation: generationDefaults(),
      systemPrompt: settings.systemPrompt,
      thinkChoice: this.models.thinkChoice(model),
      calibration: this.calibration,
      // An endless or enormous answer stops here, the text kept (ollamaAssistant.chat.maxAnswerChars).
      maxChars: settings.maxAnswerChars,
      log: this.ctx.log,
    });
    this.answer = { run, session };
    this.sessions.touch(session);
    this.postState();
    const current = () => session === this.sessions.current;
    const outcome = await run.run({
      delta: (text, thinking) => this.deltas.queue(message.id, message.text.length, text, thinking),
      rewritten: () => { if (current()) this.postState(); },
      changed: () => this.sessions.markDirty(session),
      overBudget: (t) => {
        if (!current()) return;
        // Sent anyway (the server cuts it), but the user should know the model will not see all of it.
        this.composer.notice = {
          kind: 'info',
          message: vscode.l10n.t('This message is too long for the model\'s context window (about {0} tokens; {1} fit): the model will not see all of it. Attach less, or raise num_ctx in the ollamaAssistant.options setting.', t.estimatedTokens, t.budget),
          actions: [],
        };
        this.postComposer();
      },
    });
    if (this.answer?.run === run) this.answer = undefined;
    if (this.disposed) return;
    if (outcome.state === 'done') this.monitor.reportSuccess(outcome.url);
    if (outcome.state === 'error') {
      const p = presentError(outcome.error, { url: outcome.url, model, partial: outcome.partial });
      const error: ChatErrorInfo = { kind: p.kind === 'cancelled' ? 'other' : p.kind, message: p.message, url: outcome.url, ...(p.model ? { model: p.model } : {}) };
      message.error = error;
      if (error.kind === 'unreachable') this.monitor.reportError(outcome.error, outcome.url);
      this.ctx.log.warn(`chat: ${error.message}`);
    }
    this.sessions.touch(session);
    // The whole state: buttons on other messages (edit, regenerate, error actions) change too.
    if (current()) this.postState();
  }

  stop(): void {
    if (this.sending) {
      // The send being checked is dropped; its text and attachments stay in the composer.
      this.sending.cancelled = true;
      this.sending = undefined;
      this.postComposer();
    }
    this.answer?.run.stop();
  }

  /** Clear from the webview: the messages are deleted from the history, so the user confirms. */
  private async clearAsked(): Promise<void> {
    await this.whenLoaded();
    const n = this.sessions.current.messages.length;
    if (!n) return;
    const ok = await this.prompts.confirm(vscode.l10n.t('Clear this chat?'), vscode.l10n.t('Its {0} messages are deleted from the chat history.', n), vscode.l10n.t('Clear'));
    if (ok) await this.clear(); else this.ctx.log.info('chat: clearing the chat was not confirmed');
  }

  async clear(): Promise<void> {
    await this.whenLoaded();
    this.stop();
    this.sessions.clearCurrent();
    this.composer.notice = undefined;
    this.postState();
  }

  async newChat(): Promise<void> {
    await this.whenLoaded();
    this.stop();
    this.sessions.startNew();
    this.composer.notice = undefined;
    this.postState();
  }

  async switchTo(id: string): Promise<boolean> {
    await this.whenLoaded();
    if (id === this.sessions.current.id) return true;
    const ok = await this.sessions.switchTo(id, () => this.stop());
    if (!ok) return false;
    this.composer.notice = undefined;
    this.postState();
    return true;
  }

  async deleteSession(id: string): Promise<void> {
    await this.whenLoaded();
    if (await this.sessions.delete(id, () => this.stop())) this.postState();
  }

  /** The history as a quick pick: continue a chat, or delete one. */
  async showHistory(): Promise<void> {
    await this.whenLoaded();
    this.sessions.saveIndex();
    const del: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: vscode.l10n.t('Delete this chat') };
    const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { id: string }>();
    qp.title = vscode.l10n.t('Chat history');
    qp.placeholder = vscode.l10n.t('Choose a chat to continue');
    const fill = () => {
      qp.items = this.sessions.index.sessions.map((s) => ({
        id: s.id,
        label: s.title || vscode.l10n.t('New chat'),
        description: new Date(s.updatedAt).toLocaleString(vscode.env.language),
        detail: vscode.l10n.t('{0} messages', s.messageCount),
        buttons: [del],
        ...(s.id === this.sessions.current.id ? { picked: true } : {}),
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

  dispose(): void {
    if (this.disposed) return;
    // Last save, synchronously: the host may not wait for anything asynchronous. An answer still
    // streaming is written as such and reads back as interrupted.
    try {
      this.sessions.flushSync(this.answer ? [this.answer.session] : []);
    } catch (e) {
      this.ctx.log.error(`chat history final write failed: ${(e as Error).message}`);
    }
    this.disposed = true;
    this.resyncer.cancel();
    this.deltas.drop();
    this.answer?.run.abort();
    this.models.dispose();
    this.refusedEmitter.dispose();
    this.linkEmitter.dispose();
    this.stateEmitter.dispose();
  }
}
