// Registers the extension's parts of VS Code's own AI features: the language-model provider (VS Code
// 1.104+), `@ollama` (1.90+) and the tools (1.95+). Each is registered only when this VS Code has its
// API (feature detection: engines.vscode is lower than the provider API) and its setting is on, and
// follows its setting while the window runs. Nothing here touches the network.
import * as vscode from 'vscode';
import { TranslationCache } from '../../core/translate';
import { affects, vscodeChatSettings } from '../config';
import { CHAT_PARTICIPANT, LM_VENDOR } from '../ids';
import type { ModelsTreeProvider } from '../models/tree';
import { participantApi, providerApi, toolApi } from './api';
import type { NativeAiDeps } from './deps';
import { OllamaParticipant } from './participant';
import { LanguageModelProvider } from './provider';
import { registerTools, type RegisteredTools } from './tools';

export type { NativeAiDeps } from './deps';

/** `registered`; `disabled` by its setting; `unavailable`: this VS Code has no such API;
 * `failed`: VS Code refused the registration (the log says why). */
export type RegistrationState = 'registered' | 'disabled' | 'unavailable' | 'failed';

export interface NativeAiStatus { provider: RegistrationState; participant: RegistrationState; tools: RegistrationState }

type Part = keyof NativeAiStatus;

export class NativeAi implements vscode.Disposable {
  readonly status: NativeAiStatus = { provider: 'disabled', participant: 'disabled', tools: 'disabled' };
  /** The provider while it is registered. */
  provider: LanguageModelProvider | undefined;
  private readonly toolMap = new Map<string, vscode.LanguageModelTool<object>>();
  /** The tools while they are registered, by name (what VS Code calls: prepareInvocation, invoke). */
  get tools(): RegisteredTools { return this.toolMap; }
  private readonly regs: Partial<Record<Part, vscode.Disposable>> = {};
  private readonly changed = new vscode.EventEmitter<NativeAiStatus>();
  /** A registration came or went. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly d: NativeAiDeps, tree: ModelsTreeProvider) {
    this.apply();
    d.ctx.own(vscode.workspace.onDidChangeConfiguration((e) => {
      if (affects(e, 'vscodeChat')) this.apply();
      if (affects(e, 'languageModelInfo')) this.provider?.refresh('generation options changed');
    }));
    d.ctx.own(d.ctx.onDidChangeClient(() => this.provider?.refresh('another connection')));
    // The Models view's refresh (a pull, delete, copy, create, Refresh) and what it then lists.
    d.ctx.own(tree.onDidRefresh(() => this.provider?.refresh('the Models view refreshed')));
    d.ctx.own(tree.onDidLoad(() => { if (tree.snapshot) this.provider?.noteListed(tree.snapshot.installed.map((m) => m.name)); }));
  }

  private set(part: Part, state: RegistrationState): void {
    if (this.status[part] === state) return;
    this.status[part] = state;
    this.changed.fire({ ...this.status });
  }

  private drop(part: Part): void {
    this.regs[part]?.dispose();
    delete this.regs[part];
    if (part === 'provider') this.provider = undefined;
  }

  /** Registers `part` once (or says why not). */
  private register(part: Part, enabled: boolean, api: unknown, make: () => vscode.Disposable, needs: string): void {
    if (!enabled) {
      if (this.regs[part]) this.d.ctx.log.info(`${part} unregistered (switched off)`);
      this.drop(part);
      this.set(part, 'disabled');
      return;
    }
    if (this.regs[part]) return;
    if (!api) {
      if (this.status[part] !== 'unavailable') this.d.ctx.log.info(`VS Code ${vscode.version} has no ${needs}: ${part} not registered (the rest of the extension is unaffected)`);
      this.set(part, 'unavailable');
      return;
    }
    try {
      this.regs[part] = make();
      this.set(part, 'registered');
    } catch (e) {
      this.d.ctx.log.error(`could not register the ${part} with VS Code: ${(e as Error).message}`);
      this.drop(part);
      this.set(part, 'failed');
    }
  }

  /** Brings each registration in line with its setting. */
  apply(): void {
    const s = vscodeChatSettings();
    const registerProvider = providerApi();
    // VS Code's AI features switched off (chat.disableAIFeatures): its chat is hidden, so the models
    // and @ollama are not offered; the tools stay for extensions that call them.
    this.register('provider', s.languageModels && !s.aiFeaturesDisabled, registerProvider, () => {
      const provider = new LanguageModelProvider(this.d);
      try {
        const reg = registerProvider!(LM_VENDOR, provider);
        this.provider = provider;
        return vscode.Disposable.from(reg, provider);
      } catch (e) {
        provider.dispose();
        throw e;
      }
    }, 'vscode.lm.registerLanguageModelChatProvider (VS Code 1.104+)');
    const createParticipant = participantApi();
    this.register('participant', s.participant && !s.aiFeaturesDisabled, createParticipant, () => {
      const p = createParticipant!(CHAT_PARTICIPANT, new OllamaParticipant(this.d).handler);
      p.iconPath = vscode.Uri.joinPath(this.d.ctx.ext.extensionUri, 'media', 'ollama.svg');
      return p;
    }, 'vscode.chat.createChatParticipant');
    const registerTool = toolApi();
    this.register('tools', s.tools, registerTool, () => registerTools(this.d, registerTool!, this.toolMap), 'vscode.lm.registerTool');
  }

  dispose(): void {
    for (const part of Object.keys(this.regs) as Part[]) this.drop(part);
    this.changed.dispose();
  }
}

/** Builds and owns the native AI parts (see NativeAi). */
export function registerNativeAi(deps: Omit<NativeAiDeps, 'translationCache'>, tree: ModelsTreeProvider): NativeAi {
  return deps.ctx.own(new NativeAi({ ...deps, translationCache: new TranslationCache() }, tree));
}
