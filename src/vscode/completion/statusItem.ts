// The inline-completion status bar item: ready / waiting / generating / error, or paused / off.
// A click pauses or resumes automatic completion (when it is off in the settings: opens the setting).
// Its hover says what became of the last request: shown (with its timings and context), came back
// empty or filtered out (and by which rule), failed (and why), or the model cannot fill in the middle.
import * as vscode from 'vscode';
import { isUnreachable } from '../../core/http/classify';
import type { CompletionOutcome, EmptyReason, EngineState } from '../../core/fim';
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
  private last: CompletionOutcome | undefined;

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

  /** What became of the newest request (shown in the hover). */
  explain(o: CompletionOutcome): void {
    this.last = o;
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
        i.tooltip = [vscode.l10n.t('Inline completion ({0}): ready. Click to pause.', this.model), this.lastSentence()].filter(Boolean).join('\n');
    }
  }

  /** The last request in words, or '' when there was none (or it was for another model). */
  private lastSentence(): string {
    const o = this.last;
    if (!o || o.model !== this.model) return '';
    const at = new Date(Date.now() - (performance.now() - o.at)).toLocaleTimeString();
    switch (o.kind) {
      case 'shown': {
        const t = o.timing;
        const timing = t ? vscode.l10n.t('first token {0} ms, total {1} ms', t.firstChunkAt !== undefined ? Math.round(t.firstChunkAt - t.readyAt) : '-', Math.round(t.doneAt - t.readyAt)) : vscode.l10n.t('from the cache');
        return [(o.lines === 1 ? vscode.l10n.t('Last completion ({0}): 1 line shown; {1}.', at, timing) : vscode.l10n.t('Last completion ({0}): {1} lines shown; {2}.', at, o.lines, timing)), contextSentence(o.context)].filter(Boolean).join('\n');
      }
      case 'empty':
        return [vscode.l10n.t('Last request ({0}): nothing was shown because {1}.', at, emptyReason(o.reason)), contextSentence(o.context)].filter(Boolean).join('\n');
      case 'unsupported':
        return vscode.l10n.t('Last request ({0}): nothing was shown because the model cannot fill in the middle. {1}', at, o.message);
      case 'failed':
        return '';
    }
  }

  /** For the diagnostics command. */
  get text(): string { return this.item.text; }
  get tooltip(): string { return typeof this.item.tooltip === 'string' ? this.item.tooltip : this.item.tooltip?.value ?? ''; }

  dispose(): void { this.item.dispose(); }
}

/** Why a request came back empty, as the end of a sentence. */
function emptyReason(r: EmptyReason): string {
  switch (r) {
    case 'nothing': return vscode.l10n.t('the model returned nothing (it ended at once)');
    case 'whitespace': return vscode.l10n.t('the model returned only whitespace');
    case 'token': return vscode.l10n.t('the answer was filtered out: it began with an end or special token of the prompt format');
    case 'newline': return vscode.l10n.t('the answer was filtered out: only one line fits here (there is code after the cursor) and the model\'s first line was empty');
    case 'suffix-repeat': return vscode.l10n.t('the answer was filtered out: it only repeated the line after the cursor');
    case 'closer': return vscode.l10n.t('the answer was filtered out: it only closed what the code after the cursor already closes');
    case 'suffix-overlap': return vscode.l10n.t('the answer was filtered out: it only re-typed the rest of the line');
    case 'max-lines': return vscode.l10n.t('the answer was filtered out by the line limit (ollamaAssistant.completion.maxLines)');
  }
}

/** The context a request carried, in words ('' when none). */
function contextSentence(c: { snippets: number; tokens: number; sources: Array<{ path: string }> } | undefined): string {
  if (!c || !c.snippets) return '';
  const files = [...new Set(c.sources.map((x) => x.path))];
  return c.snippets === 1
    ? vscode.l10n.t('Context: 1 snippet, about {0} tokens, from {1}.', c.tokens, files.join(', '))
    : vscode.l10n.t('Context: {0} snippets, about {1} tokens, from {2}.', c.snippets, c.tokens, files.join(', '));
}

/** `text` as a sentence: ends with one full stop (error messages may or may not have one). */
function sentence(text: string): string {
  const t = text.trim();
  return !t || /[.!?。！？]$/.test(t) ? t : `${t}.`;
}
