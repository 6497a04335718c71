// The inline-completion status bar item: ready / waiting / generating / error, or paused / off.
// A click pauses or resumes automatic completion (when it is off in the settings: opens the setting).
import * as vscode from 'vscode';
import { isUnreachable } from '../../core/http/classify';
import type { EngineState } from '../../core/fim';
import { COMMAND, SETTING, STATUS_ITEM } from '../ids';

export type CompletionMode = 'on' | 'paused' | 'off' | 'language-off';

export class CompletionStatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  state: EngineState = 'idle';
  mode: CompletionMode = 'on';
  private error = '';
  /** The last error was "server unreachable": the connection item shows that warning, not this one. */
  private offline = false;
  private model = '';
  private language = '';

  constructor() {
    this.item = vscode.window.createStatusBarItem(STATUS_ITEM.completion, vscode.StatusBarAlignment.Right, 99);
    this.item.name = vscode.l10n.t('Ollama Inline Completion');
    this.render();
    this.item.show();
  }

  /** `error`: what the engine failed with (an Error or a message). */
  set(state: EngineState, error?: unknown): void {
    const text = error === undefined ? '' : error instanceof Error ? error.message : String(error);
    const offline = state === 'error' && isUnreachable(error);
    if (state === this.state && text === this.error && offline === this.offline) return;
    this.state = state;
    this.error = text;
    this.offline = offline;
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
    i.command = COMMAND.completionTogglePause;
    const byHand = 'Alt+\\';
    if (this.mode === 'paused') {
      i.text = '$(debug-pause)';
      i.tooltip = vscode.l10n.t('Inline completion is paused. Click to resume; {0} still asks by hand.', byHand);
      return;
    }
    if (this.mode === 'off') {
      i.text = '$(circle-slash)';
      i.tooltip = vscode.l10n.t('Automatic inline completion is turned off in the settings; {0} still asks by hand. Click to open the setting.', byHand);
      i.command = { title: '', command: COMMAND.openSetting, arguments: [SETTING.completionEnabled] };
      return;
    }
    if (this.mode === 'language-off') {
      i.text = '$(circle-slash)';
      i.tooltip = vscode.l10n.t('Automatic inline completion is off for {0} files; {1} still asks by hand. Click to open the setting.', this.language, byHand);
      i.command = { title: '', command: COMMAND.openSetting, arguments: [SETTING.completionLanguages] };
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
        if (this.offline) {
          // One outage, one warning: the connection item (with the reason and buttons) owns it.
          i.text = '$(sparkle)';
          i.tooltip = vscode.l10n.t('Inline completion ({0}): the server cannot be reached; the Ollama item in the status bar says why. Click to pause.', this.model);
          break;
        }
        i.text = '$(warning)';
        i.tooltip = vscode.l10n.t('Inline completion ({0}): the last request failed. {1} Click to pause.', this.model, sentence(this.error));
        i.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        break;
      default:
        i.text = '$(sparkle)';
        i.tooltip = vscode.l10n.t('Inline completion ({0}): ready. Click to pause.', this.model);
    }
  }

  /** For the diagnostics command. */
  get text(): string { return this.item.text; }
  get tooltip(): string { return typeof this.item.tooltip === 'string' ? this.item.tooltip : this.item.tooltip?.value ?? ''; }

  dispose(): void { this.item.dispose(); }
}

/** `text` as a sentence: ends with one full stop (error messages may or may not have one). */
function sentence(text: string): string {
  const t = text.trim();
  return !t || /[.!?。！？]$/.test(t) ? t : `${t}.`;
}
