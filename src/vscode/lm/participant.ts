// `@ollama` in VS Code's Chat view (vscode.chat.createChatParticipant, 1.90+): answers with the
// user's local models through the extension's own client and settings.
// - plain messages: a chat answer (core/chat/answer AnswerRun, as the sidebar chat) with this
//   participant's earlier turns and the references (selection, files) the user attached;
// - /translate: the text given, else the selection, into the translation language (the translation
//   core's translateText, as Translate Selection);
// - /explain: the selected code or attached files explained;
// - /models: what is installed and loaded, with buttons to pull and unload.
// The model chosen in the Chat view is used when it is one of ours (vendor LM_VENDOR); otherwise
// the configured chat model (translation model for /translate). Model output is untrusted: it is
// shown as markdown VS Code renders without command links or HTML.
import * as vscode from 'vscode';
import { AnswerRun, type AnswerDeps } from '../../core/chat/answer';
import { newId, type ChatMessage, type ContextAttachment, type ImageAttachment } from '../../core/chat/conversation';
import { isCancel } from '../../core/common/cancel';
import { isSupportedImageMime, sniffImageMime } from '../../core/common/images';
import { formatBytes, isValidModelName, sameModel } from '../../core/models';
import { chatTranslateFn } from '../../core/translate/chatTranslate';
import { TranslationTruncatedError, translateText, UnsupportedInputError } from '../../core/translate';
import { abortOn } from '../cancel';
import { MAX_ATTACHMENT_CHARS } from '../chat/attachments';
import { docPath } from '../chat/prompts';
import { chatSettings, generationDefaults, translationSettings } from '../config';
import { presentError, remedyLabel, type Remedy } from '../errors';
import { CHAT_COMMAND, COMMAND, LM_VENDOR, SETTING, type SettingKey } from '../ids';
import type { NativeAiDeps } from './deps';

/** What a request's answer says it did (its ChatResult metadata: tests and follow-ups read it). */
export interface ParticipantMetadata {
  command: 'chat' | 'translate' | 'explain' | 'models';
  model?: string;
  /** The answer (chat, explain) or the translation. */
  text?: string;
  target?: string;
  installed?: string[];
  running?: string[];
  /** The error kind, when it failed. */
  error?: string;
  cancelled?: boolean;
}

const IMPLICIT = 'vscode.implicit.';

/** The model chosen in the Chat view, when it is one of ours. */
function chosenModel(request: vscode.ChatRequest): string | undefined {
  const m = (request as { model?: vscode.LanguageModelChat }).model;
  return m && m.vendor === LM_VENDOR ? m.id : undefined;
}

/** A markdown code span for a model name (names cannot hold backticks). */
const code = (s: string): string => `\`${s.replace(/`/g, '')}\``;

/** The remedies of an error as buttons (Retry is the user's own: ask again). */
function remedyButtons(stream: vscode.ChatResponseStream, remedies: readonly Remedy[]): void {
  for (const r of remedies) {
    switch (r.kind) {
      case 'pull': stream.button({ command: COMMAND.modelsPull, arguments: [r.model], title: remedyLabel(r) }); break;
      case 'openSetting': stream.button({ command: COMMAND.openSetting, arguments: [r.key], title: remedyLabel(r) }); break;
      case 'testConnection': stream.button({ command: COMMAND.testConnection, title: remedyLabel(r) }); break;
      case 'chooseModel': stream.button({ command: COMMAND.chatSelectModel, title: remedyLabel(r) }); break;
      case 'retry': break;
    }
  }
}

interface Gathered { context: ContextAttachment[]; images: ImageAttachment[]; skipped: string[] }

/** `ChatReferenceBinaryData` (an attached image), read when this VS Code has it. */
async function binaryReference(v: unknown): Promise<{ mimeType: string; data: Uint8Array } | undefined> {
  const C = (vscode as unknown as Record<string, unknown>).ChatReferenceBinaryData;
  if (typeof C !== 'function' || !(v instanceof (C as abstract new (...a: never[]) => object))) return undefined;
  const b = v as { mimeType: string; data(): Thenable<Uint8Array> };
  return { mimeType: b.mimeType, data: await b.data() };
}

export class OllamaParticipant {
  constructor(private readonly d: NativeAiDeps) {}

  readonly handler: vscode.ChatRequestHandler = (request, context, stream, token) => this.handle(request, context, stream, token);

  private async handle(request: vscode.ChatRequest, context: vscode.ChatContext, stream: vscode.ChatResponseStream, token: vscode.CancellationToken): Promise<vscode.ChatResult> {
    try {
      switch (request.command) {
        case CHAT_COMMAND.translate: return await this.translate(request, stream, token);
        case CHAT_COMMAND.models: return await this.models(request, stream, token);
        case CHAT_COMMAND.explain: return await this.answer('explain', request, context, stream, token);
        default: return await this.answer('chat', request, context, stream, token);
      }
    } catch (e) {
      if (isCancel(e) || token.isCancellationRequested) return { metadata: { command: 'chat', cancelled: true } satisfies ParticipantMetadata };
      this.d.ctx.log.error(`@ollama: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      return { errorDetails: { message: e instanceof Error ? e.message : String(e) } };
    }
  }

  /** The attached references as the chat's context (selections, files) and images. `selectionOnly`:
   * of the implicit context, only a selection (never the whole file the editor shows). */
  private async gather(refs: readonly vscode.ChatPromptReference[], selectionOnly: boolean): Promise<Gathered> {
    const out: Gathered = { context: [], images: [], skipped: [] };
    for (const r of refs) {
      const v = r.value;
      if (r.id.startsWith(IMPLICIT) && selectionOnly && !(v instanceof vscode.Location && !v.range.isEmpty)) continue;
      try {
        if (v instanceof vscode.Location) {
          const doc = await vscode.workspace.openTextDocument(v.uri);
          const text = doc.getText(v.range);
          if (!text.trim()) continue;
          out.context.push({
            kind: 'selection', path: docPath(doc), language: doc.languageId, text: text.slice(0, MAX_ATTACHMENT_CHARS),
            startLine: v.range.start.line + 1, endLine: v.range.end.line + 1, ...(text.length > MAX_ATTACHMENT_CHARS ? { truncated: true } : {}),
          });
        } else if (v instanceof vscode.Uri) {
          if ((await vscode.workspace.fs.stat(v)).type & vscode.FileType.Directory) { out.skipped.push(vscode.workspace.asRelativePath(v, false)); continue; }
          const doc = await vscode.workspace.openTextDocument(v);
          const text = doc.getText();
          out.context.push({ kind: 'file', path: docPath(doc), language: doc.languageId, text: text.slice(0, MAX_ATTACHMENT_CHARS), ...(text.length > MAX_ATTACHMENT_CHARS ? { truncated: true } : {}) });
        } else if (typeof v === 'string') {
          if (v.trim()) out.context.push({ kind: 'selection', path: r.modelDescription ?? r.id, language: 'plaintext', text: v.slice(0, MAX_ATTACHMENT_CHARS) });
        } else {
          const bin = await binaryReference(v);
          if (bin) {
            const data = Buffer.from(bin.data).toString('base64');
            const mime = sniffImageMime(data) ?? bin.mimeType;
            if (isSupportedImageMime(mime)) out.images.push({ name: r.id, mime, data });
            else out.skipped.push(r.id);
          }
        }
      } catch (e) {
        this.d.ctx.log.warn(`@ollama: could not read the reference ${r.id}: ${(e as Error).message}`);
        out.skipped.push(v instanceof vscode.Uri ? vscode.workspace.asRelativePath(v, false) : r.id);
      }
    }
    return out;
  }

  /** The editor's selection, when there is one and it holds text. */
  private editorSelection(): ContextAttachment | undefined {
    const ed = vscode.window.activeTextEditor;
    if (!ed || ed.selection.isEmpty) return undefined;
    const text = ed.document.getText(ed.selection);
    if (!text.trim()) return undefined;
    const sel = ed.selection;
    const endLine = sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line - 1 : sel.end.line;
    return {
      kind: 'selection', path: docPath(ed.document), language: ed.document.languageId, text: text.slice(0, MAX_ATTACHMENT_CHARS),
      startLine: sel.start.line + 1, endLine: endLine + 1, ...(text.length > MAX_ATTACHMENT_CHARS ? { truncated: true } : {}),
    };
  }

  /** This participant's earlier turns as chat messages (the /models lists left out). */
  private history(context: vscode.ChatContext): ChatMessage[] {
    const out: ChatMessage[] = [];
    const now = Date.now();
    for (const t of context.history) {
      if (t.command === CHAT_COMMAND.models) continue;
      if (t instanceof vscode.ChatRequestTurn) {
        if (t.prompt.trim()) out.push({ id: newId(), role: 'user', text: t.prompt, createdAt: now });
      } else if (t instanceof vscode.ChatResponseTurn) {
        const text = t.response.map((p) => (p instanceof vscode.ChatResponseMarkdownPart ? p.value.value : '')).join('');
        if (text) out.push({ id: newId(), role: 'assistant', text, state: 'done', createdAt: now });
      }
    }
    return out;
  }

  private async answer(kind: 'chat' | 'explain', request: vscode.ChatRequest, context: vscode.ChatContext, stream: vscode.ChatResponseStream, token: vscode.CancellationToken): Promise<vscode.ChatResult> {
    const settings = chatSettings();
    const model = chosenModel(request) ?? settings.model;
    const g = await this.gather(request.references, false);
    if (kind === 'explain' && !g.context.some((c) => c.kind === 'selection' || c.kind === 'file')) {
      const sel = this.editorSelection();
      if (sel) g.context.push(sel);
    }
    if (kind === 'explain' && !g.context.length && !request.prompt.trim()) {
      stream.markdown(vscode.l10n.t('Select code in an editor, or attach a file (#file), then ask `/explain` again.'));
      return { metadata: { command: kind } satisfies ParticipantMetadata };
    }
    if (g.skipped.length) stream.progress(vscode.l10n.t('Left out (not text): {0}', g.skipped.join(', ')));
    const now = Date.now();
    const prompt = kind === 'explain'
      ? [request.prompt.trim(), 'Explain what this code does and how, step by step and concisely. Point out anything surprising or wrong.'].filter(Boolean).join('\n\n')
      : request.prompt;
    const user: ChatMessage = { id: newId(), role: 'user', text: prompt, ...(g.context.length ? { context: g.context } : {}), ...(g.images.length ? { images: g.images } : {}), createdAt: now };
    const message: ChatMessage = { id: newId(), role: 'assistant', text: '', state: 'streaming', model, createdAt: now };
    const deps: AnswerDeps = {
      connect: async () => { const llm = await this.d.ctx.llm(); return { llm, url: llm.baseUrl }; },
      facts: (m) => this.d.chatModels.facts.get(m),
      generation: generationDefaults(),
      systemPrompt: settings.systemPrompt,
      thinkChoice: this.d.chatModels.thinkChoice(model),
      calibration: this.d.calibration,
      maxChars: settings.maxAnswerChars,
      log: this.d.ctx.log,
    };
    const run = new AnswerRun(message, [...this.history(context), user], deps);
    const sub = token.onCancellationRequested(() => run.stop());
    let thinkingShown = false;
    let overBudget: number | undefined;
    let outcome;
    try {
      outcome = await run.run({
        delta: (text, thinking) => {
          if (thinking && !thinkingShown && !message.text) { thinkingShown = true; stream.progress(vscode.l10n.t('{0} is thinking…', model)); }
          if (text) stream.markdown(text);
        },
        rewritten: () => undefined,
        changed: () => undefined,
        overBudget: (_t, numCtx) => { overBudget = numCtx; },
      });
    } finally {
      sub.dispose();
    }
    const meta: ParticipantMetadata = { command: kind, model, text: message.text };
    if (overBudget !== undefined) stream.markdown(`\n\n> ${vscode.l10n.t('The conversation is longer than the context window ({0} tokens): the server cut its beginning.', overBudget)}`);
    if (message.cutAt) stream.markdown(`\n\n> ${vscode.l10n.t('The answer reached {0} characters and was cut there (ollamaAssistant.chat.maxAnswerChars).', message.cutAt)}`);
    if (outcome.state === 'done') return { metadata: meta };
    if (outcome.state !== 'error') return { metadata: { ...meta, cancelled: !message.cutAt } };
    return this.failure(outcome.error, { url: outcome.url, model, modelSetting: chosenModel(request) ? undefined : SETTING.chatModel, partial: outcome.partial }, stream, meta);
  }

  private failure(e: unknown, o: { url: string; model: string; modelSetting: SettingKey | undefined; partial?: boolean }, stream: vscode.ChatResponseStream, meta: ParticipantMetadata): vscode.ChatResult {
    const p = presentError(e, { url: o.url, model: o.model, ...(o.modelSetting ? { modelSetting: o.modelSetting } : {}), ...(o.partial ? { partial: true } : {}) });
    this.d.ctx.log.error(`@ollama ${meta.command}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    if (p.kind === 'unreachable') this.d.monitor.reportError(e, o.url);
    remedyButtons(stream, p.remedies);
    return { errorDetails: { message: p.message }, metadata: { ...meta, error: p.kind } };
  }

  private async translate(request: vscode.ChatRequest, stream: vscode.ChatResponseStream, token: vscode.CancellationToken): Promise<vscode.ChatResult> {
    const s = translationSettings();
    const model = chosenModel(request) ?? s.model;
    let source = request.prompt.trim() ? request.prompt : '';
    if (!source) {
      const g = await this.gather(request.references, true);
      source = g.context.map((c) => c.text).join('\n\n');
    }
    if (!source.trim()) source = this.editorSelection()?.text ?? '';
    const meta: ParticipantMetadata = { command: 'translate', model, target: s.target };
    if (!source.trim()) {
      stream.markdown(vscode.l10n.t('Write the text after `/translate`, or select text in an editor (or attach it), then ask again.'));
      return { metadata: meta };
    }
    if (!model) {
      stream.button({ command: COMMAND.openSetting, arguments: [SETTING.translationModel], title: vscode.l10n.t('Open Setting') });
      return { errorDetails: { message: vscode.l10n.t('No translation model is set. Choose one in the setting ollamaAssistant.translation.model.') }, metadata: meta };
    }
    stream.progress(vscode.l10n.t('Translating into {0} with {1}…', s.target, model));
    const abort = abortOn([token]);
    const { options, keepAlive } = generationDefaults();
    try {
      const fn = chatTranslateFn(() => this.d.ctx.llm(), { model, options, keepAlive });
      const r = await translateText(source, fn, {
        target: s.target, glossary: s.glossary, model, cache: this.d.translationCache, format: 'markdown', maxChunkChars: s.chunkChars,
        signal: abort.signal, concurrency: s.parallelRequests,
      });
      stream.markdown(r.text);
      if (r.issues.length) stream.markdown(`\n\n> ${vscode.l10n.t('The translation may be imperfect: {0}', r.issues.join('; '))}`);
      this.d.ctx.log.info(`@ollama /translate: ${source.length} characters into ${s.target} with ${model}, ${r.requests} requests${r.cached ? ' (from the cache)' : ''}`);
      return { metadata: { ...meta, text: r.text } };
    } catch (e) {
      if (isCancel(e, abort.signal)) return { metadata: { ...meta, cancelled: true } };
      if (e instanceof TranslationTruncatedError) {
        stream.button({ command: COMMAND.openSetting, arguments: [SETTING.options], title: vscode.l10n.t('Open Setting') });
        return { errorDetails: { message: vscode.l10n.t('The translation was cut short: the model stopped at its length limit. Raise num_predict in the setting ollamaAssistant.options, or lower ollamaAssistant.translation.chunkChars for smaller chunks.') }, metadata: { ...meta, error: 'truncated' } };
      }
      if (e instanceof UnsupportedInputError) return { errorDetails: { message: vscode.l10n.t('This text cannot be translated: it contains characters that are not text (NUL).') }, metadata: { ...meta, error: 'unsupported' } };
      const url = await this.d.ctx.endpoint().then((x) => x.url, () => '');
      return this.failure(e, { url, model, modelSetting: chosenModel(request) ? undefined : SETTING.translationModel }, stream, meta);
    } finally {
      abort.dispose();
    }
  }

  private async models(request: vscode.ChatRequest, stream: vscode.ChatResponseStream, token: vscode.CancellationToken): Promise<vscode.ChatResult> {
    const abort = abortOn([token]);
    let url = '';
    const meta: ParticipantMetadata = { command: 'models' };
    try {
      const llm = await this.d.ctx.llm();
      url = llm.baseUrl;
      const asked = request.prompt.trim();
      if (!llm.ollama) {
        const listed = await llm.listModels({ signal: abort.signal });
        stream.markdown(`### ${vscode.l10n.t('Models served at {0} ({1})', url, listed.length)}\n\n${listed.map((m) => `- ${code(m.name)}`).join('\n')}\n\n`);
        stream.markdown(vscode.l10n.t('Pulling and unloading models needs the native Ollama API (setting ollamaAssistant.backend).'));
        return { metadata: { ...meta, installed: listed.map((m) => m.name) } };
      }
      const [tags, ps] = await Promise.all([llm.ollama.list({ signal: abort.signal }), llm.ollama.ps({ signal: abort.signal })]);
      const cell = (s: string | undefined) => (s ?? '').replace(/\|/g, '\\|');
      const installed = tags.models;
      const lines: string[] = [`### ${vscode.l10n.t('Installed on {0} ({1})', url, installed.length)}`, ''];
      if (installed.length) {
        lines.push(`| ${vscode.l10n.t('Model')} | ${vscode.l10n.t('Size')} | ${vscode.l10n.t('Parameters')} | ${vscode.l10n.t('Quantization')} | ${vscode.l10n.t('Capabilities')} |`, '|---|---|---|---|---|');
        for (const m of installed) lines.push(`| ${code(m.name)} | ${formatBytes(m.size)} | ${cell(m.details?.parameter_size)} | ${cell(m.details?.quantization_level)} | ${cell(m.capabilities?.join(', '))} |`);
      } else {
        lines.push(vscode.l10n.t('No models are installed yet.'));
      }
      lines.push('', `### ${vscode.l10n.t('Loaded in memory ({0})', ps.models.length)}`, '');
      if (ps.models.length) {
        lines.push(`| ${vscode.l10n.t('Model')} | ${vscode.l10n.t('Memory')} | ${vscode.l10n.t('Context')} | ${vscode.l10n.t('Unloads')} |`, '|---|---|---|---|');
        for (const m of ps.models) {
          const until = m.expires_at ? new Date(m.expires_at).toLocaleTimeString(vscode.env.language) : '';
          lines.push(`| ${code(m.name)} | ${formatBytes(m.size_vram ?? m.size)} | ${m.context_length ?? ''} | ${cell(until)} |`);
        }
      } else {
        lines.push(vscode.l10n.t('No model is loaded now.'));
      }
      stream.markdown(lines.join('\n') + '\n\n');
      for (const m of ps.models) stream.button({ command: COMMAND.modelsUnload, arguments: [m.name], title: vscode.l10n.t('Unload {0}', m.name) });
      // `/models llama3.3`: a model that is not installed can be pulled from here.
      if (asked && isValidModelName(asked) && !installed.some((m) => sameModel(m.name, asked))) {
        stream.button({ command: COMMAND.modelsPull, arguments: [asked], title: vscode.l10n.t('Pull {0}', asked) });
      } else {
        stream.button({ command: COMMAND.modelsPull, title: vscode.l10n.t('Pull a Model…') });
      }
      this.d.monitor.reportSuccess(url);
      return { metadata: { ...meta, installed: installed.map((m) => m.name), running: ps.models.map((m) => m.name) } };
    } catch (e) {
      if (isCancel(e, abort.signal)) return { metadata: { ...meta, cancelled: true } };
      url ||= await this.d.ctx.endpoint().then((x) => x.url, () => '');
      return this.failure(e, { url, model: '', modelSetting: undefined }, stream, meta);
    } finally {
      abort.dispose();
    }
  }
}
