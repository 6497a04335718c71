// The inline-completion status bar item: ready / waiting / generating / error, or paused / off.
// A click pauses or resumes automatic completion (when it is off in the settings: opens the setting).
import * as vscode from 'vscode';
import type { EngineState } from './engine';

export type CompletionMode = 'on' | 'paused' | 'off' | 'language-off';

export class CompletionStatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  state: EngineState = 'idle';
  mode: CompletionMode = 'on';
  private error = '';
  private model = '';
  private language = '';

  constructor() {
    this.item = vscode.window.createStatusBarItem('ollamaAssistant.completion', vscode.StatusBarAlignment.Right, 99);
    this.item.name = vscode.l10n.t('Ollama Inline Completion');
    this.render();
    this.item.show();
  }

  set(state: EngineState, error?: string): void {
    if (state === this.state && (error ?? '') === this.error) return;
    this.state = state;
    this.error = error ?? '';
    this.render();
  }

  update(mode: CompletionMode, model: string, language: string): void {
    if (mode === this.mode && model === this.model && language === this.language) return;
    this.mode = mode;
    this.model = model;
    this.language = language;
    this.render();
  }

  private render(): void {
    const i = this.item;
    i.backgroundColor = undefined;
    i.command = 'ollamaAssistant.completion.togglePause';
    const byHand = 'Alt+\\';
    if (this.mode === 'paused') {
      i.text = '$(debug-pause)';
      i.tooltip = vscode.l10n.t('Inline completion is paused. Click to resume; {0} still asks by hand.', byHand);
      return;
    }
    if (this.mode === 'off') {
      i.text = '$(circle-slash)';
      i.tooltip = vscode.l10n.t('Automatic inline completion is turned off in the settings; {0} still asks by hand. Click to open the setting.', byHand);
      i.command = { title: '', command: 'workbench.action.openSettings', arguments: ['ollamaAssistant.completion.enabled'] };
      return;
    }
    if (this.mode === 'language-off') {
      i.text = '$(circle-slash)';
      i.tooltip = vscode.l10n.t('Automatic inline completion is off for {0} files; {1} still asks by hand. Click to open the setting.', this.language, byHand);
      i.command = { title: '', command: 'workbench.action.openSettings', arguments: ['ollamaAssistant.completion.languages'] };
      return;
    }
    switch (this.state) {
      case 'waiting':
        i.text = '$(watch)';
        i.tooltip = vscode.l10n.t('Inline completion ({0}): waiting for the model. Click to pause.', this.model);
        break;
      case 'generating':
        i.text = '$(loading~spin)';
        i.tooltip = vscode.l10n.t('Inline completion ({0}): generating. Click to pause.', this.model);
        break;
      case 'error':
        i.text = '$(warning)';
        i.tooltip = vscode.l10n.t('Inline completion ({0}): the last request failed: {1}. Click to pause.', this.model, this.error);
        i.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
      default:
        i.text = '$(sparkle)';
        i.tooltip = vscode.l10n.t('Inline completion ({0}): ready. Click to pause.', this.model);
    }
  }

  /** For the diagnostics command. */
  get text(): string { return this.item.text; }

  dispose(): void { this.item.dispose(); }
}
