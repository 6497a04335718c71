// Entry point: builds the parts and hands every registration to the context owner. No network and
// no heavy work here: clients are created on first use, views fetch when they are shown.
import * as vscode from 'vscode';
import { isTransportLoaded } from './core/http/transport';
import { registerChat } from './vscode/chat';
import { registerCompletion } from './vscode/completion';
import { ExtensionContextOwner } from './vscode/context';
import { registerModels } from './vscode/models';
import { ConnectionMonitor, registerStatusCommands } from './vscode/status';
import { registerToken } from './vscode/token';
import { registerTranslation } from './vscode/translate';

/** Set by the bundle's first statement (esbuild.js banner): when loading this extension began,
 * the process CPU used by then, and the process-wide undici dispatcher as it was then. */
declare const __oaLoadStart: number | undefined;
declare const __oaLoadThreadCpu: NodeJS.CpuUsage | undefined;
declare const __oaDispatcherAtLoad: unknown;
/** Set by the bundle's last statement (esbuild.js footer). */
declare const __oaLoadEnd: number | undefined;
declare const __oaLoadEndThreadCpu: NodeJS.CpuUsage | undefined;

/** CPU of the calling thread (Node >= 23.9; undefined before). */
function threadCpu(): NodeJS.CpuUsage | undefined {
  return (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.();
}
const cpuMs = (a: NodeJS.CpuUsage | undefined, b: NodeJS.CpuUsage | undefined) => (a && b ? (b.user - a.user + b.system - a.system) / 1000 : NaN);

export interface ExtensionApi {
  ctx: ExtensionContextOwner;
  monitor: ConnectionMonitor;
  /** Only when run by tests (ExtensionMode.Test): `ms` = loading the bundle (first to last
   * statement) + running activate(), the time this extension costs; `spanMs` = first statement to
   * the end of activate() on the clock, including whatever the host did in between; `threadCpuMs` =
   * the extension host thread's CPU for loading + activate() (NaN before Node 23.9); whether the HTTP transport (undici) was loaded by then; whether
   * globalThis[Symbol.for('undici.globalDispatcher.1')] is what it was at the first statement. */
  activation?: { ms: number; loadMs: number; activateMs: number; spanMs: number; threadCpuMs: number; transportLoaded: boolean; dispatcherUnchanged: boolean };
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const activateStart = performance.now();
  const activateCpu = context.extensionMode === vscode.ExtensionMode.Test ? threadCpu() : undefined;
  const log = vscode.window.createOutputChannel('Ollama Assistant', { log: true });
  context.subscriptions.push(log);
  const ctx = new ExtensionContextOwner(context, log);
  const monitor = ctx.own(new ConnectionMonitor(ctx));
  registerStatusCommands(ctx, monitor);
  registerToken(ctx);
  registerModels(ctx, monitor);
  registerCompletion(ctx, monitor);
  registerChat(ctx, monitor);
  registerTranslation(ctx, monitor);
  if (context.extensionMode !== vscode.ExtensionMode.Test) return { ctx, monitor };
  const end = performance.now();
  const loadMs = typeof __oaLoadStart === 'number' && typeof __oaLoadEnd === 'number' ? __oaLoadEnd - __oaLoadStart : NaN;
  const activateMs = end - activateStart;
  const threadCpuMs = cpuMs(__oaLoadThreadCpu, __oaLoadEndThreadCpu) + cpuMs(activateCpu, threadCpu());
  const dispatcherUnchanged = typeof __oaLoadStart === 'number'
    && (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')] === __oaDispatcherAtLoad;
  return {
    ctx, monitor,
    activation: {
      ms: loadMs + activateMs, loadMs, activateMs, spanMs: typeof __oaLoadStart === 'number' ? end - __oaLoadStart : NaN,
      threadCpuMs, transportLoaded: isTransportLoaded(), dispatcherUnchanged,
    },
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
