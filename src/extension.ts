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

/** Set by the bundle's first statement (esbuild.js banner): when loading this extension began. */
declare const __oaLoadStart: number | undefined;

export interface ExtensionApi {
  ctx: ExtensionContextOwner;
  monitor: ConnectionMonitor;
  /** Only when run by tests (ExtensionMode.Test): ms from the first statement of the bundle to the
   * end of activate(), and whether the HTTP transport (undici) was loaded by then. */
  activation?: { ms: number; transportLoaded: boolean };
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
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
  const start = typeof __oaLoadStart === 'number' ? __oaLoadStart : NaN;
  return { ctx, monitor, activation: { ms: performance.now() - start, transportLoaded: isTransportLoaded() } };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
