// Entry point: builds the parts and hands every registration to the context owner. No network and
// no heavy work here: clients are created on first use.
import * as vscode from 'vscode';
import { ExtensionContextOwner } from './vscode/context';
import { ConnectionMonitor, registerStatusCommands } from './vscode/status';
import { registerTokenCommands } from './vscode/token';

export interface ExtensionApi {
  ctx: ExtensionContextOwner;
  monitor: ConnectionMonitor;
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const log = vscode.window.createOutputChannel('Ollama Assistant', { log: true });
  context.subscriptions.push(log);
  const ctx = new ExtensionContextOwner(context, log);
  const monitor = ctx.own(new ConnectionMonitor(ctx));
  registerStatusCommands(ctx, monitor);
  registerTokenCommands(ctx);
  return { ctx, monitor };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
