// Entry point: builds the parts and hands every registration to the context owner. No network and
// no heavy work here: clients are created on first use, views fetch when they are shown.
import * as vscode from 'vscode';
import { registerChat } from './vscode/chat';
import { registerCompletion } from './vscode/completion';
import { ExtensionContextOwner } from './vscode/context';
import { registerModels } from './vscode/models';
import { ConnectionMonitor, registerStatusCommands } from './vscode/status';
import { registerToken } from './vscode/token';
import { registerTranslation } from './vscode/translate';

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
  registerToken(ctx);
  registerModels(ctx, monitor);
  registerCompletion(ctx, monitor);
  registerChat(ctx, monitor);
  registerTranslation(ctx, monitor);
  return { ctx, monitor };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
