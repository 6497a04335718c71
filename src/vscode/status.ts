// Connection status: the "Test Connection" / "Show Server Status" commands, a status bar item, and
// the one place that tells the user the server is unreachable - once, with buttons to open the
// setting or retry - however many features fail at the same time.
import * as vscode from 'vscode';
import { isCancel } from '../core/common/cancel';
import { isUnreachable } from '../core/http/classify';
import type { BusyRetryInfo } from '../core/http/core';
import type { EndpointSource } from '../core/config/userLevel';
import { ResponseError } from '../core/http/errors';
import type { ServerKind, ServerProbe } from '../core/llm/backend';
import { endpointSourceOf, endpointSourceSentence, openSettingWhereItTakesEffect } from './config';
import type { ExtensionContextOwner } from './context';
import { describeError, reachNote, remediesFor, showWithRemedies } from './errors';
import { COMMAND, CONTEXT_KEY, SETTING, STATUS_ITEM } from './ids';

export interface ServerStatus {
  reachable: boolean;
  url: string;
  version?: string;
  modelCount?: number;
  models?: string[];
  error?: string;
  /** Set in a remote window: what the extension host (on the remote machine) can reach. */
  remoteNote?: string;
  /** Where the endpoint came from. */
  source?: EndpointSource;
  /** Everything Test Connection knows, one fact per line (the Details dialog and the log). */
  detail?: string;
  /** The software, when the server gives it away (an OpenAI-compatible endpoint may be llama.cpp,
   * LM Studio, vLLM, LiteLLM or Ollama's own /v1). */
  server?: ServerKind;
  /** The API the extension speaks to it. */
  backend?: ServerProbe['backend'];
  /** How the API key was put to the test (see ServerProbe.keyCheck). */
  keyCheck?: ServerProbe['keyCheck'];
  /** How the server was told. */
  evidence?: string[];
  /** llama.cpp: parallel slots and the context each one has. */
  slots?: number;
  contextPerSlot?: number;
  /** The server refused the API key (HTTP 401/403). */
  keyRefused?: boolean;
}

/** The product name of a server (not translated). */
export function serverLabel(kind: ServerKind | undefined): string | undefined {
  switch (kind) {
    case 'ollama': return 'Ollama';
    case 'llama.cpp': return 'llama.cpp';
    case 'vllm': return 'vLLM';
    case 'lmstudio': return 'LM Studio';
    case 'litellm': return 'LiteLLM';
    default: return undefined;
  }
}

const NOTIFY_AGAIN_AFTER_MS = 5 * 60_000;

export class ConnectionMonitor implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private notifying = false;
  private unreachableKey = false;
  private readonly onDidChangeEmitter = new vscode.EventEmitter<ServerStatus | undefined>();
  /** Fires when the known server state changes (views refresh or show their welcome content). */
  readonly onDidChange = this.onDidChangeEmitter.event;
  private lastNotified = 0;
  private lastNotifiedUrl = '';
  last: ServerStatus | undefined;
  private readonly notifiedEmitter = new vscode.EventEmitter<void>();
  /** An unreachable-server notification was shown (one per outage, however many features fail). */
  readonly onDidNotifyUnreachable = this.notifiedEmitter.event;

  constructor(private readonly ctx: ExtensionContextOwner) {
    this.item = vscode.window.createStatusBarItem(STATUS_ITEM.connection, vscode.StatusBarAlignment.Right, 100);
    this.item.name = vscode.l10n.t('Ollama Connection');
    this.item.command = COMMAND.testConnection;
    this.render();
    this.item.show();
    ctx.own(ctx.onDidChangeClient(() => { this.last = undefined; this.lastNotified = 0; this.render(); }));
    ctx.own(ctx.onBusyRetry((info) => this.showBusy(info)));
  }

  private busyUntil = 0;
  private busyTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set while the status bar says "server busy, retrying". */
  busyText: string | undefined;

  /** The server answered 503 busy / 429 and the request waits to be retried: say so in the status
   * bar until the wait is over (not a failure, nothing to act on). */
  showBusy(info: BusyRetryInfo): void {
    this.busyUntil = Math.max(this.busyUntil, Date.now() + info.delayMs + 500);
    this.busyText = vscode.l10n.t('Ollama: server busy, retrying ({0}/{1})', info.attempt, info.maxAttempts - 1);
    this.item.text = `$(sync~spin) ${this.busyText}`;
    this.item.tooltip = vscode.l10n.t('The server at {0} is busy (HTTP {1}: {2}); the request is sent again in {3} s.', info.url, info.status, info.message, (info.delayMs / 1000).toFixed(1));
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    clearTimeout(this.busyTimer);
    this.busyTimer = setTimeout(() => { this.busyText = undefined; this.busyUntil = 0; this.render(); }, this.busyUntil - Date.now());
  }

  async check(signal?: AbortSignal): Promise<ServerStatus> {
    let url = '';
    try {
      const { url: u, config } = await this.ctx.endpoint();
      url = u;
      const source = config.endpointSource;
      const remoteNote = reachNote(u);
      // probe() makes a request that needs the API key on that server (llama.cpp: /props, which
      // it never answers without the key, unlike /health and, on older builds, /v1/models).
      const p = await (await this.ctx.llm()).probe({ signal });
      this.last = {
        reachable: true, url, ...(p.version !== undefined ? { version: p.version } : {}), modelCount: p.models.length, models: p.models.map((m) => m.name), source,
        ...(remoteNote ? { remoteNote } : {}),
        backend: p.backend,
        ...(p.server ? { server: p.server } : {}),
        ...(p.keyCheck ? { keyCheck: p.keyCheck } : {}),
        ...(p.evidence?.length ? { evidence: p.evidence } : {}),
        ...(p.slots !== undefined ? { slots: p.slots } : {}),
        ...(p.contextPerSlot !== undefined ? { contextPerSlot: p.contextPerSlot } : {}),
      };
    } catch (e) {
      // A check cut short by a client reset says nothing about the server.
      if (isCancel(e, signal)) return { reachable: false, url, error: describeError(e, url) };
      const keyRefused = e instanceof ResponseError && (e.status === 401 || e.status === 403);
      this.last = { reachable: false, url, error: describeError(e, url), ...(endpointSourceOf(url) ? { source: endpointSourceOf(url) } : {}), ...(keyRefused ? { keyRefused } : {}) };
    }
    this.render();
    this.onDidChangeEmitter.fire(this.last);
    return this.last;
  }

  /** Features call this with any error. Unreachable-server errors are announced once (not per
   * feature, not per keystroke); returns true when the error was of that kind and is handled. */
  reportError(e: unknown, url: string): boolean {
    if (!isUnreachable(e)) return false;
    this.last = { reachable: false, url, error: describeError(e, url) };
    this.render();
    this.onDidChangeEmitter.fire(this.last);
    const now = Date.now();
    if (this.notifying || (url === this.lastNotifiedUrl && now - this.lastNotified < NOTIFY_AGAIN_AFTER_MS)) return true;
    this.notifying = true;
    this.lastNotified = now;
    this.lastNotifiedUrl = url;
    this.notifiedEmitter.fire();
    showWithRemedies(this.last.error ?? '', remediesFor('unreachable'), {
      onAnswered: () => { this.notifying = false; },
      retry: () => { this.lastNotified = 0; return vscode.commands.executeCommand(COMMAND.testConnection); },
    });
    return true;
  }

  reportSuccess(url: string): void {
    if (this.last?.reachable && this.last.url === url) return;
    if (this.last && !this.last.reachable) { this.last = undefined; this.lastNotified = 0; }
    this.render();
    this.onDidChangeEmitter.fire(this.last);
  }

  private render(): void {
    if (this.busyText !== undefined && Date.now() < this.busyUntil) return;
    const s = this.last;
    const unreachable = !!s && !s.reachable;
    if (unreachable !== this.unreachableKey) {
      this.unreachableKey = unreachable;
      void vscode.commands.executeCommand('setContext', CONTEXT_KEY.serverUnreachable, unreachable);
    }
    if (!s) {
      this.item.text = '$(server) Ollama';
      this.item.tooltip = vscode.l10n.t('Ollama: not checked yet. Click to test the connection.');
      this.item.backgroundColor = undefined;
    } else if (s.reachable) {
      const name = serverLabel(s.server) ?? 'Ollama';
      this.item.text = s.version ? `$(server) ${name} ${s.version}` : `$(server) ${name}`;
      this.item.tooltip = vscode.l10n.t('Connected to {0}: {1} models installed.', s.url, s.modelCount ?? 0) + (s.remoteNote ? `\n${s.remoteNote}` : '');
      this.item.backgroundColor = undefined;
    } else {
      this.item.text = '$(warning) Ollama';
      this.item.tooltip = s.error ?? '';
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    }
  }

  dispose(): void { clearTimeout(this.busyTimer); this.item.dispose(); this.onDidChangeEmitter.dispose(); this.notifiedEmitter.dispose(); }
}

export function registerStatusCommands(ctx: ExtensionContextOwner, monitor: ConnectionMonitor): void {
  const run = async (): Promise<ServerStatus> => {
    const status = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Checking the Ollama server…') },
      () => monitor.check(),
    );
    let ignored: string[] = [];
    try { ignored = (await ctx.endpoint()).config.ignoredWorkspaceKeys; } catch { /* no client: nothing to add */ }
    if (status.reachable) {
      // A toast without buttons is one line, cut with "…"; this one is short and has a button
      // (which also lays it out in full), and everything else goes to the Details dialog and the log.
      const native = status.backend !== 'openai';
      const name = serverLabel(status.server);
      const named = name && status.version ? `${name} ${status.version}` : name;
      const summary = native && status.version
        ? vscode.l10n.t('Connected to Ollama {0} at {1}.', status.version, status.url)
        : named
          ? vscode.l10n.t('Connected to {0} at {1} (OpenAI-compatible API).', named, status.url)
          : vscode.l10n.t('Connected to the OpenAI-compatible server at {0}.', status.url);
      const lines = [
        native && status.version
          ? vscode.l10n.t('Ollama {0} at {1}: {2} models installed.', status.version, status.url, status.modelCount ?? 0)
          : named
            ? vscode.l10n.t('{0} at {1} (OpenAI-compatible API): {2} models.', named, status.url, status.modelCount ?? 0)
            : vscode.l10n.t('OpenAI-compatible server at {0}: {1} models.', status.url, status.modelCount ?? 0),
        ...serverLines(status),
        status.source ? endpointSourceSentence(status.source) : '',
        status.remoteNote ?? '',
        ignoredNote(ignored),
      ].filter(Boolean);
      status.detail = lines.join('\n');
      for (const l of lines) ctx.log.info(l);
      const details = vscode.l10n.t('Details');
      void vscode.window.showInformationMessage(summary, details).then((pick) => {
        if (pick === details) void vscode.window.showInformationMessage(summary, { modal: true, detail: status.detail });
      });
    } else {
      status.detail = [status.error ?? '', ignoredNote(ignored)].filter(Boolean).join('\n');
      ctx.log.warn(status.detail || 'unreachable');
      // Buttons lay an error toast out in full, so the whole sentence (where the endpoint came from,
      // what a remote window reaches) is readable. A refused key is fixed by setting the key.
      showWithRemedies(status.error ?? '', remediesFor('unreachable'), {
        retry: () => vscode.commands.executeCommand(COMMAND.testConnection),
        ...(status.keyRefused ? { extra: [{ label: vscode.l10n.t('Set API Token'), run: () => vscode.commands.executeCommand(COMMAND.setApiToken) }] } : {}),
      });
    }
    return status;
  };
  ctx.own(vscode.commands.registerCommand(COMMAND.showServerStatus, run));
  ctx.own(vscode.commands.registerCommand(COMMAND.testConnection, run));
  // Not contributed (no palette entry): every "Open Setting" button uses it, so the settings editor
  // opens on the tab where the value takes effect (User, Remote, or Workspace for ordinary settings).
  ctx.own(vscode.commands.registerCommand(COMMAND.openSetting, (key: unknown) =>
    openSettingWhereItTakesEffect(typeof key === 'string' && key ? key : SETTING.endpoint)));
}

/** What an OpenAI-compatible server said beyond its models: how the key was checked, llama.cpp's
 * slots, how the server was told. */
function serverLines(s: ServerStatus): string[] {
  if (s.backend !== 'openai') return [];
  const out: string[] = [];
  if (s.keyCheck === 'none') out.push(vscode.l10n.t('This server takes no API key (Ollama ignores it).'));
  else if (s.keyCheck) out.push(vscode.l10n.t('API key: {0} succeeded, a request this server refuses without the right key when it has one.', s.keyCheck.path));
  if (s.slots !== undefined && s.contextPerSlot !== undefined) {
    out.push(vscode.l10n.t('{0} parallel slots with {1} tokens of context each: a longer prompt is refused, so conversations are trimmed to fit.', s.slots, s.contextPerSlot));
  }
  if (s.evidence?.length) out.push(vscode.l10n.t('Told by: {0}.', s.evidence.join(', ')));
  return out;
}

function ignoredNote(keys: string[]): string {
  return keys.length
    ? vscode.l10n.t('Ignored in the workspace settings: {0}. Connection settings are read from User and Remote settings only, so a repository cannot redirect requests.', keys.join(', '))
    : '';
}
