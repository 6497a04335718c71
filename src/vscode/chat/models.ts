// The chat's models: the installed ones (with capabilities, so the picker leaves out what cannot
// chat), each model's facts (its reasoning control, context length, template), the configured model
// and the reasoning choice remembered per model. A second chat surface can share one instance.
import * as vscode from 'vscode';
import { ModelFactsCache, listModelsWithCapabilities } from '../../core/llm/facts';
import { modelOptions, selectedModel, thinkAllowed, thinkView, type ListedModel } from '../../core/chat/view';
import type { ThinkChoice } from '../../core/chat/models';
import { sameModel } from '../../core/models';
import type { ModelOption, ThinkView } from '../../shared/chatProtocol';
import { chatSettings, updateSetting } from '../config';
import type { ExtensionContextOwner } from '../context';
import { SETTING, STORAGE_KEY } from '../ids';
import { chatLabels } from './strings';

/** The model list is asked again at most this often, unless forced. */
const LIST_AGAIN_AFTER_MS = 3000;

export class ChatModels {
  private models: ListedModel[] = [];
  private fetchedAt = 0;
  /** Each model's facts (Ollama's /api/show), per connection. */
  readonly facts: ModelFactsCache;
  private readonly changed = new vscode.EventEmitter<void>();
  /** The list, the configured model or its reasoning control changed. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly ctx: ExtensionContextOwner) {
    this.facts = new ModelFactsCache(async (model) => (await ctx.llm()).modelFacts(model));
  }

  /** The configured chat model. */
  current(): string { return chatSettings().model; }

  /** What the picker offers (see core/chat/view modelOptions). */
  options(): ModelOption[] { return modelOptions(this.models, this.current(), chatLabels); }

  /** The configured model as the server lists it. */
  selected(): string { return selectedModel(this.models, this.current()); }

  /** The reasoning control of the configured model (undefined until its facts are known). */
  think(): ThinkView | undefined {
    const model = this.current();
    return thinkView(this.facts.known(model), this.thinkChoice(model), chatLabels);
  }

  /** The remembered reasoning choice for `model`. */
  thinkChoice(model: string): string | undefined {
    return this.ctx.ext.globalState.get<Record<string, string>>(STORAGE_KEY.chatThink)?.[model];
  }

  /** Another connection: nothing known is true any more. */
  reset(): void {
    this.facts.invalidate();
    this.fetchedAt = 0;
  }

  /** When the configured model's facts are not known yet, fetches them and tells (the reasoning
   * control appears). */
  ensureFacts(): void {
    const model = this.current();
    if (this.facts.has(model)) return;
    void this.facts.get(model).then(() => { if (sameModel(model, this.current())) this.changed.fire(); }, () => undefined);
  }

  /** The installed models from /api/tags (or /v1/models), at most every few seconds unless forced.
   * A server whose /api/tags has no `capabilities` (before 0.6.x) is asked /api/show per model
   * (cached), so the picker can still leave out models that cannot chat. */
  async refresh(force: boolean): Promise<string[]> {
    if (!force && Date.now() - this.fetchedAt < LIST_AGAIN_AFTER_MS) { this.changed.fire(); return this.models.map((m) => m.name); }
    this.fetchedAt = Date.now();
    try {
      const listed = await listModelsWithCapabilities(await this.ctx.llm(), this.facts);
      this.models = listed.map((m) => ({ name: m.name, ...(m.capabilities ? { capabilities: m.capabilities } : {}) }));
    } catch (e) {
      this.ctx.log.warn(`chat: could not list models: ${(e as Error).message}`);
    }
    this.changed.fire();
    return this.models.map((m) => m.name);
  }

  /** Remembers the reasoning choice for the configured model (only values the model offers). */
  async setThink(value: string): Promise<void> {
    const model = this.current();
    if (!thinkAllowed(this.facts.known(model)).includes(value as ThinkChoice)) return;
    const all = { ...(this.ctx.ext.globalState.get<Record<string, string>>(STORAGE_KEY.chatThink) ?? {}) };
    if (value === 'default') delete all[model]; else all[model] = value;
    await this.ctx.ext.globalState.update(STORAGE_KEY.chatThink, all);
    this.changed.fire();
  }

  /** Remembers the choice in the `chat.model` setting (user settings, or the workspace settings when
   * the workspace already sets it). */
  async setModel(name: string): Promise<void> {
    await updateSetting(SETTING.chatModel, name, { preferWorkspace: true });
  }

  /** True when `name` is among the models the picker offers. */
  offers(name: string): boolean { return this.options().some((o) => o.name === name); }

  /** The editor's own picker of installed models; resolves with the name chosen (undefined: none). */
  async pick(): Promise<string | undefined> {
    const current = this.current();
    await this.refresh(true);
    const items: vscode.QuickPickItem[] = this.options().filter((m) => m.installed).map((m) => ({
      label: m.name,
      ...(sameModel(m.name, current) ? { description: vscode.l10n.t('current') } : {}),
      ...(m.note ? { detail: m.note } : {}),
    }));
    if (!items.length) items.push({ label: current, description: vscode.l10n.t('current') });
    const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Chat model'), placeHolder: vscode.l10n.t('Choose the model that answers in the chat') });
    return pick?.label;
  }

  dispose(): void { this.changed.dispose(); }
}
