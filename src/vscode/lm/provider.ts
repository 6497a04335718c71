// The installed models as VS Code language models (vscode.lm.registerLanguageModelChatProvider,
// VS Code 1.104+): VS Code's model picker, its agent mode and other extensions (selectChatModels,
// sendRequest) use them through the extension's own client and settings. What VS Code is told
// comes from core/lm/info (family, context window, answer room, tools / vision / thinking); answers
// stream as text, reasoning (a thinking part, where this VS Code has the class) and tool calls;
// cancelling closes the connection, so the server stops; tokens are counted with the chat's own
// estimator and calibration. The list is told again when it may have changed (a pull or delete, a
// list seen by the Models view or the chat's picker that differs, another server, num_ctx).
import * as vscode from 'vscode';
import { isCancel } from '../../core/common/cancel';
import { templateOpensThinking, thinkChoices, thinkParam } from '../../core/chat/models';
import { ModelNotFoundError } from '../../core/http/errors';
import type { ModelFacts } from '../../core/llm/facts';
import { estimateTokens } from '../../core/llm/tokens';
import type { ChatParams, LlmMessage, ModelSummary } from '../../core/llm/types';
import { infoSignature, lmModelInfo, type LmModelInfo } from '../../core/lm/info';
import { estimateLmTokens, lmMessageParts, samplingWith, toLlmMessages, UnsupportedImageError } from '../../core/lm/messages';
import { addParts } from '../../core/llm/tokens';
import { abortOn } from '../cancel';
import { generationDefaults, vscodeChatSettings } from '../config';
import { presentError } from '../errors';
import { thinkingPartClass, type LmChatInformation, type LmChatProvider, type LmChatRequestMessage, type LmResponseOptions } from './api';
import { readMessage } from './convert';
import type { NativeAiDeps } from './deps';

/** Runs `f` over `items`, at most `limit` at once, in order of the results. */
async function mapLimit<A, B>(items: readonly A[], limit: number, f: (a: A) => Promise<B>): Promise<B[]> {
  const out = new Array<B>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await f(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const namesKey = (names: readonly string[]): string => [...names].sort().join('\n');

/** The tooltip of a model in VS Code's picker: where its window comes from, what it can do. */
function tooltipOf(i: LmModelInfo): string {
  const lines = [i.detail ? `${i.name} (${i.detail})` : i.name];
  if (i.contextSource === 'numCtx') lines.push(vscode.l10n.t('Context window: {0} tokens (num_ctx in ollamaAssistant.options).', i.contextWindow));
  else if (i.contextSource === 'server') lines.push(vscode.l10n.t('Context window: {0} tokens (as the server reports it).', i.contextWindow));
  else if (i.contextSource === 'trained') lines.push(vscode.l10n.t('Context window: {0} tokens (the model\'s own; num_ctx asks for more).', i.contextWindow));
  else lines.push(vscode.l10n.t('Context window: {0} tokens, assumed: set num_ctx in ollamaAssistant.options to the window the server should allocate.', i.contextWindow));
  const caps = [i.toolCalling ? vscode.l10n.t('tools') : '', i.imageInput ? vscode.l10n.t('vision') : '', i.thinking ? vscode.l10n.t('thinking') : ''].filter(Boolean);
  lines.push(i.capabilitiesKnown
    ? vscode.l10n.t('Capabilities: {0}', caps.length ? caps.join(', ') : vscode.l10n.t('text only'))
    : vscode.l10n.t('Capabilities: not reported by this server (tools and images are offered; the server decides).'));
  if (i.base) lines.push(vscode.l10n.t('A base model: it continues text rather than following instructions.'));
  return lines.join('\n');
}

function toInformation(i: LmModelInfo): LmChatInformation {
  return {
    id: i.id, name: i.name, family: i.family, version: i.version,
    ...(i.detail ? { detail: i.detail } : {}),
    tooltip: tooltipOf(i),
    maxInputTokens: i.maxInputTokens,
    maxOutputTokens: i.maxOutputTokens,
    capabilities: { imageInput: i.imageInput, toolCalling: i.toolCalling },
  };
}

/** What the provider did (the test API reads it). */
export interface ProviderStats {
  /** Times VS Code asked for the list, and the last list given. */
  listed: number;
  lastList: LmModelInfo[];
  /** Times the list was told to have changed. */
  changes: number;
  responses: number;
}

export class LanguageModelProvider implements LmChatProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;
  /** What VS Code was last given: the names (to compare with lists seen elsewhere) and the whole. */
  private lastNames: string | undefined;
  private lastSignature: string | undefined;
  /** Each model's digest when last listed: a model pulled again gets its facts asked again. */
  private readonly digests = new Map<string, string>();
  readonly stats: ProviderStats = { listed: 0, lastList: [], changes: 0, responses: 0 };

  constructor(private readonly d: NativeAiDeps) {}

  /** Tell VS Code to ask for the list again (a model pulled, deleted, copied; another server). */
  refresh(why: string): void {
    this.d.ctx.log.debug(`language models: the list may have changed (${why})`);
    this.stats.changes++;
    this.changed.fire();
  }

  /** A model list seen elsewhere (the Models view, the chat's picker): told on only when it differs
   * from the one VS Code has (so a list VS Code itself asked for never echoes back). */
  noteListed(names: readonly string[]): void {
    if (this.lastNames !== undefined && namesKey(names) !== this.lastNames) this.refresh('another list differs');
  }

  private async factsOf(m: ModelSummary, signal: AbortSignal): Promise<ModelFacts | undefined> {
    if (m.digest && this.digests.get(m.name) !== m.digest) {
      if (this.digests.has(m.name)) this.d.chatModels.facts.invalidate(m.name);
      this.digests.set(m.name, m.digest);
    }
    try { return await this.d.chatModels.facts.get(m.name, signal); } catch (e) {
      if (isCancel(e, signal)) throw e;
      return undefined; // listed with what /api/tags says
    }
  }

  async provideLanguageModelChatInformation(options: { readonly silent: boolean }, token: vscode.CancellationToken): Promise<LmChatInformation[]> {
    const abort = abortOn([token]);
    let url = '';
    try {
      const llm = await this.d.ctx.llm();
      url = llm.baseUrl;
      const listed = await llm.listModels({ signal: abort.signal });
      const { options: gen } = generationDefaults();
      const infos = (await mapLimit(listed, 4, async (m) => lmModelInfo(m, await this.factsOf(m, abort.signal), gen))).filter((i): i is LmModelInfo => !!i);
      this.stats.listed++;
      this.stats.lastList = infos;
      this.lastNames = namesKey(listed.map((m) => m.name));
      const signature = infoSignature(infos);
      if (signature !== this.lastSignature) this.d.ctx.log.info(`language models: ${infos.length} offered to VS Code (${infos.map((i) => `${i.id} ${i.maxInputTokens}+${i.maxOutputTokens}`).join(', ')})`);
      this.lastSignature = signature;
      this.d.monitor.reportSuccess(url);
      return infos.map(toInformation);
    } catch (e) {
      if (isCancel(e, abort.signal)) return [];
      url ||= await this.d.ctx.endpoint().then((x) => x.url, () => '');
      this.d.ctx.log.warn(`language models: could not list the models: ${presentError(e, { url }).message}`);
      // An unreachable server is said once (the connection status); quietly otherwise when VS Code asks silently.
      if (!this.d.monitor.reportError(e, url) && !options.silent) void vscode.window.showWarningMessage(vscode.l10n.t('Ollama models for VS Code\'s chat: {0}', presentError(e, { url }).message));
      return [];
    } finally {
      abort.dispose();
    }
  }

  async provideLanguageModelChatResponse(model: LmChatInformation, messages: readonly LmChatRequestMessage[], options: LmResponseOptions, progress: vscode.Progress<unknown>, token: vscode.CancellationToken): Promise<void> {
    const abort = abortOn([token]);
    let url = '';
    let sent = false;
    try {
      const msgs = toLlmMessages(messages.map(readMessage));
      const llm = await this.d.ctx.llm();
      url = llm.baseUrl;
      let facts: ModelFacts | undefined;
      try { facts = await this.d.chatModels.facts.get(model.id, abort.signal); } catch (e) { if (e instanceof ModelNotFoundError || isCancel(e, abort.signal)) throw e; }
      const gen = generationDefaults();
      const Thinking = vscodeChatSettings().showThinking ? thinkingPartClass() : undefined;
      const choices = facts ? thinkChoices(facts.capabilities, facts.thinking) : [];
      // Reasoning that can be shown follows the chat's choice for the model; reasoning that cannot
      // be shown is turned off where the model allows it (it would only cost time).
      const think = Thinking ? thinkParam(this.d.chatModels.thinkChoice(model.id), choices) : choices.includes('off') ? false : undefined;
      const params: ChatParams = {
        model: model.id, messages: msgs, options: samplingWith(gen.options, options.modelOptions),
        ...(gen.keepAlive !== undefined ? { keepAlive: gen.keepAlive } : {}),
        ...(think !== undefined ? { think } : {}),
        implicitThinkOpen: templateOpensThinking(facts?.template) ? true : 'auto',
        ...(options.tools?.length ? { tools: options.tools.map((t) => ({ name: t.name, description: t.description, ...(t.inputSchema ? { inputSchema: t.inputSchema as Record<string, unknown> } : {}) })) } : {}),
        ...(options.tools?.length && options.toolMode === vscode.LanguageModelChatToolMode.Required ? { toolChoice: 'required' as const } : {}),
      };
      const numCtx = model.maxInputTokens + model.maxOutputTokens; // the window VS Code was told
      const stream = await llm.chat(params, { signal: abort.signal });
      sent = true;
      this.stats.responses++;
      for await (const c of stream) {
        if (token.isCancellationRequested) break;
        if (c.thinking && Thinking) progress.report(new Thinking(c.thinking));
        if (c.text) progress.report(new vscode.LanguageModelTextPart(c.text));
        for (const call of c.toolCalls ?? []) progress.report(new vscode.LanguageModelToolCallPart(call.id, call.name, call.arguments));
        if (c.done && c.stats?.promptTokens) this.observe(model.id, msgs, c.stats.promptTokens, numCtx);
      }
      this.d.monitor.reportSuccess(url);
    } catch (e) {
      if (isCancel(e, abort.signal) || token.isCancellationRequested) return;
      if (e instanceof UnsupportedImageError) throw new Error(vscode.l10n.t('An image of type {0} cannot be sent to {1}: only PNG, JPEG, WebP and GIF up to 20 MB are supported.', e.mime, model.id));
      url ||= await this.d.ctx.endpoint().then((x) => x.url, () => '');
      const p = presentError(e, { url, model: model.id, partial: sent });
      this.d.ctx.log.error(`language models: ${model.id}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      this.d.monitor.reportError(e, url);
      throw p.kind === 'modelMissing' ? vscode.LanguageModelError.NotFound(p.message) : new Error(p.message);
    } finally {
      abort.dispose();
    }
  }

  /** The server's prompt count teaches the estimates (the chat's calibration, per model). */
  private observe(model: string, msgs: readonly LlmMessage[], actual: number, numCtx: number): void {
    const estimate = msgs.map(lmMessageParts).reduce(addParts, { cjk: 0, other: 0 });
    this.d.calibration.observe(model, { estimate, actual, numCtx });
  }

  provideTokenCount(model: LmChatInformation, text: string | LmChatRequestMessage): Promise<number> {
    const f = this.d.calibration.factors(model.id);
    if (typeof text === 'string') return Promise.resolve(estimateTokens(text, f));
    const m = readMessage(text);
    try {
      return Promise.resolve(estimateLmTokens(toLlmMessages([m]), f));
    } catch {
      // An image no server takes: counted without it (sending it fails with the reason).
      return Promise.resolve(estimateLmTokens(toLlmMessages([{ ...m, parts: m.parts.filter((p) => p.kind !== 'image') }]), f));
    }
  }

  dispose(): void { this.changed.dispose(); }
}
