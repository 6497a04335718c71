// Inline (ghost text) code completion: an InlineCompletionItemProvider over the CompletionEngine,
// the edit and cursor hooks that abort a stale stream at the keystroke (VS Code cancels a provider
// call only when the text changes, and only after its own delay), the status bar item, the trigger and
// pause commands, and the messages a user can act on (a model that cannot fill in the middle, a
// model that is not installed). An unreachable server goes to the ConnectionMonitor, which says so once.
import * as vscode from 'vscode';
import {
  CompletionEngine, CrossFileContext, computeWindows, type CompletionOutcome, type EngineResult, type EngineState, type EngineStats, type FimWindows, type TextAccessor,
} from '../../core/fim';
import { abortOn } from '../cancel';
import type { ExtensionContextOwner } from '../context';
import { presentError, runRemedy, showWithRemedies } from '../errors';
import type { ConnectionMonitor } from '../status';
import { affects, completionEnabled, completionEngineSettings, completionLanguageEnabled, updateSetting } from '../config';
import { VsCodeDefinitionResolver, VsCodeRecentRanges, contextQuery } from './context';
import { CompletionStatusItem, type CompletionMode } from './statusItem';
import { COMMAND, SETTING, STORAGE_KEY } from '../ids';

/** Automatic completion rests this long after the server was unreachable or the model missing. */
const BACKOFF_UNREACHABLE_MS = 5_000;
const BACKOFF_MISSING_MS = 30_000;
/** Any other failure (500, 503 busy, 429): do not retry on every debounced keystroke. */
const BACKOFF_OTHER_MS = 5_000;
/** Documents that are not code someone types: output panes, debug consoles, diff-only views. */
const IGNORED_SCHEMES = new Set(['output', 'debug', 'git', 'vscode-scm', 'comment']);

/** What the hidden `ollamaAssistant.completion.debugInfo` command returns (tests, bug reports). */
export interface CompletionDebugInfo {
  stats: EngineStats;
  state: EngineState;
  mode: CompletionMode;
  statusText: string;
  statusTooltip: string;
  paused: boolean;
  inFlight: boolean;
  /** Provider calls the editor cancelled (a newer keystroke, a dismissed suggestion). */
  tokenCancels: number;
  /** Messages shown to the user, in order (`unsupported:<model>`, `missing:<model>`). */
  notices: string[];
  /** The last result handed to the editor. */
  last?: { kind: EngineResult['kind']; text?: string; source?: string };
  /** What became of the newest request (the status item's hover says it in words). */
  outcome?: CompletionOutcome;
}

/** The prefix window starts on a multiple of this many lines (see WindowOptions.prefixStepLines). */
const PREFIX_STEP_LINES = 16;
/** Documents whose context may come from other files (see context.ts). */
const CONTEXT_SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-vfs']);

function accessor(doc: vscode.TextDocument): TextAccessor {
  const end = doc.lineAt(doc.lineCount - 1).range.end;
  return {
    length: doc.offsetAt(end),
    getText: (s, e) => doc.getText(new vscode.Range(doc.positionAt(s), doc.positionAt(e))),
    lineAt: (o) => doc.positionAt(o).line,
    lineStart: (l) => doc.offsetAt(new vscode.Position(l, 0)),
  };
}

function windowsAt(doc: vscode.TextDocument, offset: number): FimWindows {
  return computeWindows(accessor(doc), offset, { prefixStepLines: PREFIX_STEP_LINES });
}

class CompletionController implements vscode.InlineCompletionItemProvider, vscode.Disposable {
  private readonly engine: CompletionEngine;
  private readonly status: CompletionStatusItem;
  private paused: boolean;
  private readonly told = new Set<string>();
  private readonly notices: string[] = [];
  private backoffUntil = 0;
  private last: CompletionDebugInfo['last'];
  private outcome: CompletionOutcome | undefined;
  private tokenCancels = 0;
  private readonly recent: VsCodeRecentRanges;
  private readonly crossFile: CrossFileContext;

  constructor(private readonly ctx: ExtensionContextOwner, private readonly monitor: ConnectionMonitor) {
    this.paused = ctx.ext.globalState.get<boolean>(STORAGE_KEY.completionPaused) === true;
    this.status = new CompletionStatusItem();
    this.recent = ctx.own(new VsCodeRecentRanges());
    this.crossFile = new CrossFileContext({ resolver: new VsCodeDefinitionResolver(), recent: this.recent });
    this.engine = new CompletionEngine({
      backend: () => ctx.llm(),
      settings: completionEngineSettings,
      log: ctx.log,
      onState: (state, error) => this.status.set(state, error),
      onOutcome: (o) => { this.outcome = o; this.status.explain(o); },
      context: this.crossFile,
    });
    this.refreshMode();
  }

  register(): void {
    const ctx = this.ctx;
    ctx.own(this);
    ctx.own(vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, this));
    ctx.own(vscode.commands.registerCommand(COMMAND.completionTrigger, () => this.trigger()));
    ctx.own(vscode.commands.registerCommand(COMMAND.completionTogglePause, () => this.togglePause()));
    // Not contributed (no palette entry): the state tests assert on and a bug report can quote.
    ctx.own(vscode.commands.registerCommand(COMMAND.completionDebugInfo, (): CompletionDebugInfo => ({
      stats: this.engine.stats(), state: this.status.state, mode: this.status.mode, statusText: this.status.text, statusTooltip: this.status.tooltip,
      paused: this.paused, inFlight: this.engine.inFlight, tokenCancels: this.tokenCancels, notices: [...this.notices], ...(this.last ? { last: this.last } : {}),
      ...(this.outcome ? { outcome: this.outcome } : {}),
    })));
    ctx.own(vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)));
    ctx.own(vscode.window.onDidChangeTextEditorSelection((e) => this.onSelection(e)));
    ctx.own(vscode.workspace.onDidCloseTextDocument((d) => this.engine.close(d.uri.toString())));
    ctx.own(vscode.window.onDidChangeActiveTextEditor(() => this.refreshMode()));
    ctx.own(vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affects(e, 'completion')) return;
      if (e.affectsConfiguration(SETTING.completionModel)) this.told.clear();
      this.backoffUntil = 0;
      this.engine.reset();
      this.refreshMode();
    }));
    ctx.own(ctx.onDidChangeClient(() => {
      this.told.clear();
      this.backoffUntil = 0;
      this.engine.reset(true);
    }));
  }

  async provideInlineCompletionItems(
    document: vscode.TextDocument, position: vscode.Position, context: vscode.InlineCompletionContext, token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const manual = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke;
    if (IGNORED_SCHEMES.has(document.uri.scheme)) return undefined;
    if (!manual) {
      if (this.paused || !completionEnabled() || !completionLanguageEnabled(document.languageId)) return undefined;
      // The suggest widget is open: its own item is what the user is choosing.
      if (context.selectedCompletionInfo) return undefined;
      if (Date.now() < this.backoffUntil) return undefined;
    }
    if (token.isCancellationRequested) return undefined;
    const { prefix, suffix, prefixStart, suffixEnd } = windowsAt(document, document.offsetAt(position));
    const about = CONTEXT_SCHEMES.has(document.uri.scheme) ? () => contextQuery(document, prefixStart, suffixEnd) : undefined;
    const abort = abortOn([token], { onCancel: () => { this.tokenCancels++; } });
    try {
      const r = await this.engine.complete({
        doc: document.uri.toString(), prefix, suffix, language: document.languageId, manual, signal: abort.signal, ...(about ? { context: about } : {}),
      });
      this.last = r.kind === 'completion' ? { kind: r.kind, text: r.text, source: r.source } : { kind: r.kind };
      switch (r.kind) {
        case 'completion':
          if (r.source !== 'cache' && this.monitor.last && !this.monitor.last.reachable) void this.ctx.endpoint().then((ep) => this.monitor.reportSuccess(ep.url));
          return r.text ? [new vscode.InlineCompletionItem(r.text, new vscode.Range(position, position))] : undefined;
        case 'unsupported':
          this.tellUnsupported(r);
          return undefined;
        case 'error':
          this.onError(r, manual);
          return undefined;
        default:
          return undefined;
      }
    } finally {
      abort.dispose();
    }
  }

  /** Aborts, at the keystroke, a stream the new text does not continue. */
  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    if (e.contentChanges.length === 0) return;
    const doc = e.document;
    this.engine.edit(doc.uri.toString(), () => {
      if (e.contentChanges.length !== 1) return undefined;
      const c = e.contentChanges[0];
      return windowsAt(doc, c.rangeOffset + c.text.length);
    });
  }

  /** The cursor left the spot a completion is being made for (VS Code keeps that request alive). */
  private onSelection(e: vscode.TextEditorSelectionChangeEvent): void {
    const doc = e.textEditor.document;
    this.engine.edit(doc.uri.toString(), () => {
      const sel = e.selections;
      if (sel.length !== 1 || !sel[0].isEmpty) return undefined;
      return windowsAt(doc, doc.offsetAt(sel[0].active));
    });
  }

  private async trigger(): Promise<void> {
    // An explicit trigger reaches the provider as InlineCompletionTriggerKind.Invoke, which neither
    // pause nor the enable settings hold back, and skips the debounce.
    await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
  }

  private async togglePause(): Promise<boolean> {
    this.paused = !this.paused;
    await this.ctx.ext.globalState.update(STORAGE_KEY.completionPaused, this.paused);
    if (this.paused) this.engine.reset();
    this.refreshMode();
    this.ctx.log.info(`inline completion ${this.paused ? 'paused' : 'resumed'}`);
    return this.paused;
  }

  private refreshMode(): void {
    const lang = vscode.window.activeTextEditor?.document.languageId ?? '';
    const mode: CompletionMode = this.paused ? 'paused' : !completionEnabled() ? 'off' : lang && !completionLanguageEnabled(lang) ? 'language-off' : 'on';
    this.status.update(mode, completionEngineSettings().model, lang);
  }

  private tellUnsupported(r: Extract<EngineResult, { kind: 'unsupported' }>): void {
    if (!this.once(`unsupported:${r.model}`)) return;
    this.ctx.log.warn(r.message);
    if (r.reason === 'server') {
      // The server decides which model is loaded (llama.cpp): no other model name to offer.
      showWithRemedies(vscode.l10n.t('The server cannot fill in the middle with {0}: the model has no fill-in-the-middle tokens, so inline completion will not work with it. Load a code model that has them (such as Qwen2.5-Coder or DeepSeek-Coder base) in the server.', r.model), [], {
        severity: 'warning',
        extra: [{ label: vscode.l10n.t('Open Setting'), run: () => runRemedy({ kind: 'openSetting', key: SETTING.completionModel }) }],
      });
      return;
    }
    const msg = r.reason === 'instruct'
      ? vscode.l10n.t('{0} is a chat/instruct model and cannot fill in the middle, so inline completion will not work with it. Use a base/code model such as {1}.', r.model, r.suggestion)
      : vscode.l10n.t('{0} cannot fill in the middle (no "insert" capability and no known code-completion format), so inline completion will not work with it. Use a code model such as {1}.', r.model, r.suggestion);
    showWithRemedies(msg, [], {
      severity: 'warning',
      extra: [
        { label: vscode.l10n.t('Use {0}', r.suggestion), run: () => updateSetting(SETTING.completionModel, r.suggestion) },
        { label: vscode.l10n.t('Open Setting'), run: () => runRemedy({ kind: 'openSetting', key: SETTING.completionModel }) },
      ],
    });
  }

  private onError(r: Extract<EngineResult, { kind: 'error' }>, manual: boolean): void {
    const e = r.error;
    if (this.monitor.reportError(e, r.url)) {
      this.backoffUntil = Date.now() + BACKOFF_UNREACHABLE_MS;
      return;
    }
    const p = presentError(e, { url: r.url, model: r.model, modelSetting: SETTING.completionModel });
    if (p.kind === 'modelMissing') {
      this.backoffUntil = Date.now() + BACKOFF_MISSING_MS;
      if (!this.once(`missing:${r.model}`)) return;
      this.ctx.log.warn(`completion model ${r.model} is not installed on ${r.url}`);
      // Pull, then ask /api/show again (the model has facts now); or open the setting.
      showWithRemedies(vscode.l10n.t('The inline completion model {0} is not installed on {1}. Pull it?', r.model, r.url), [], {
        severity: 'warning',
        extra: p.remedies.map((remedy) => ({
          label: remedy.kind === 'pull' ? vscode.l10n.t('Pull') : vscode.l10n.t('Open Setting'),
          run: async () => {
            if (remedy.kind === 'pull') this.backoffUntil = 0;
            await runRemedy(remedy);
            if (remedy.kind === 'pull') this.engine.invalidateModel(r.model);
          },
        })),
      });
      return;
    }
    this.backoffUntil = Date.now() + BACKOFF_OTHER_MS;
    const text = p.message;
    this.ctx.log.warn(`completion with ${r.model} failed: ${text}`);
    // Asked by hand, the user is waiting for an answer; automatic failures stay in the status bar.
    if (manual) void vscode.window.showWarningMessage(vscode.l10n.t('Inline completion failed: {0}', text));
  }

  /** True the first time `key` is seen since the model or server last changed. */
  private once(key: string): boolean {
    if (this.told.has(key)) return false;
    this.told.add(key);
    this.notices.push(key);
    return true;
  }

  dispose(): void {
    this.engine.reset();
    this.crossFile.clear();
    this.status.dispose();
  }
}

export function registerCompletion(ctx: ExtensionContextOwner, monitor: ConnectionMonitor): void {
  new CompletionController(ctx, monitor).register();
}
