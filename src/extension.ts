// Entry point: builds the parts and hands every registration to the context owner. No network and
// no heavy work here: the client is created on first use.
import * as vscode from 'vscode';
import { ExtensionContextOwner } from './vscode/context';
import { registerStatusCommand } from './vscode/status';

export function activate(context: vscode.ExtensionContext): { ctx: ExtensionContextOwner } {
  const log = vscode.window.createOutputChannel('Ollama Assistant', { log: true });
  context.subscriptions.push(log);
  const ctx = new ExtensionContextOwner(context, log);
  registerStatusCommand(ctx);
  return { ctx };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
