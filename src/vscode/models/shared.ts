// What the model commands share: the native client for the configured endpoint (model management
// needs Ollama's own API), the shape of a command's result (scripts and tests read it; the UI only
// shows messages), the optional arguments that skip dialogs, progress reporting that keeps a copy of
// what was shown, and the error text (the server's own words, through the error presenter).
import * as vscode from 'vscode';
import type { OllamaClient } from '../../core/ollama/client';
import { isCancel } from '../../core/common/cancel';
import { Throttle } from '../../core/common/timing';
import type { ExtensionContextOwner } from '../context';
import { presentError } from '../errors';
import type { ConnectionMonitor } from '../status';

export interface ProgressReport {
  message: string;
  /** Overall percentage after this report, 0–100. */
  percent: number;
}

/** What every model command resolves with. */
export interface OperationResult {
  ok: boolean;
  model?: string;
  cancelled?: boolean;
  /** The server's own words (or ours) when it failed. */
  error?: string;
  /** The last status of a streamed operation (`success`). */
  status?: string;
  /** What the progress notification showed, in order. */
  reports?: ProgressReport[];
}

/** Optional last argument of the commands, so that scripts and tests can skip the UI. */
export interface CommandOptions {
  /** false: no confirmation dialog (delete, replace). */
  confirm?: boolean;
  /** Cancels the operation like the notification's Cancel button. */
  token?: vscode.CancellationToken;
  /** The new model name (create from Modelfile). */
  name?: string;
  /** The copy's name. */
  destination?: string;
}

export function commandOptions(x: unknown): CommandOptions {
  if (!x || typeof x !== 'object' || Array.isArray(x) || x instanceof vscode.Uri) return {};
  return x as CommandOptions;
}

/** The backend setting is `openai`: the model endpoints exist only in the native API. */
export class NativeApiRequiredError extends Error {}

export class ModelsEnv {
  constructor(readonly ctx: ExtensionContextOwner, readonly monitor: ConnectionMonitor) {}

  /** The native client and the URL it talks to; throws NativeApiRequiredError for the openai backend. */
  async connect(): Promise<{ client: OllamaClient; url: string }> {
    const { url } = await this.ctx.endpoint();
    const client = await this.ctx.ollama();
    if (!client) throw new NativeApiRequiredError(nativeApiMessage());
    return { client, url };
  }

  /** The URL for messages, even when building the client failed. */
  async url(): Promise<string> {
    try { return (await this.ctx.endpoint()).url; } catch { return ''; }
  }

  /** Turns an error into a result; tells the user unless they cancelled (unreachable servers are
   * announced once by the monitor, not per command). */
  fail(e: unknown, url: string, say: (detail: string) => string, model?: string, signal?: AbortSignal): OperationResult {
    const base = model !== undefined ? { model } : {};
    if (isCancel(e, signal)) {
      this.ctx.log.info(`${model ?? 'model operation'}: cancelled`);
      return { ...base, ok: false, cancelled: true, error: vscode.l10n.t('Cancelled.') };
    }
    const text = errorText(e, url);
    this.ctx.log.error(`${model ?? 'model operation'}: ${text}`);
    if (!this.monitor.reportError(e, url)) void vscode.window.showErrorMessage(say(text));
    return { ...base, ok: false, error: text };
  }
}

export function nativeApiMessage(): string {
  return vscode.l10n.t('Model management needs the native Ollama API, but the backend setting is "openai".');
}

export function invalidNameMessage(): string {
  return vscode.l10n.t('Not a valid model name: use letters, digits, ".", "-" and "_", with an optional namespace/ before and :tag after.');
}

/** The most useful sentence for an error: the server's own words when it gave some. */
export function errorText(e: unknown, url: string): string {
  return presentError(e, { url, serverWords: true }).message;
}

/** Feeds a withProgress notification: increments from overall percentages that only go up, at most
 * every 150 ms for the same message kind, and keeps a copy of what was shown. */
export class ProgressSink {
  readonly reports: ProgressReport[] = [];
  private percent = 0;
  private readonly throttle = new Throttle(150);

  constructor(private readonly progress: vscode.Progress<{ message?: string; increment?: number }>) {}

  /** `key` groups updates that may be dropped for each other (the same layer or phase). */
  report(message: string, percent: number | undefined, key = message): void {
    if (!this.throttle.admit(key)) return;
    this.force(message, percent);
  }

  /** The final state, unless the last report already said it. */
  finish(message: string): void {
    const last = this.reports.at(-1);
    if (last?.message !== message || last.percent < 100) this.force(message, 100);
  }

  force(message: string, percent: number | undefined): void {
    const next = percent === undefined ? this.percent : Math.max(this.percent, Math.min(100, percent));
    const increment = next - this.percent;
    this.percent = next;
    this.progress.report(increment > 0 ? { message, increment } : { message });
    this.reports.push({ message, percent: next });
  }
}
