// Registers model management: the Models view, the model commands, the model-details documents and
// Modelfile language support. Nothing here touches the network: the view fetches when it is shown.
import * as vscode from 'vscode';
import type { ExtensionContextOwner } from '../context';
import type { ConnectionMonitor } from '../status';
import { registerModelCommands } from './commands';
import { registerModelfile } from './modelfile';
import { ModelsEnv } from './shared';
import { MODEL_SCHEME, ModelDocumentProvider } from './showDocument';
import { MODELS_VIEW_ID, ModelsTreeProvider } from './tree';

export type { OperationResult, ProgressReport, CommandOptions } from './shared';
export type { ModelsNode } from './tree';

function hostOf(url: string): string {
  try { return new URL(url).host; } catch { return url; }
}

export function registerModels(ctx: ExtensionContextOwner, monitor: ConnectionMonitor): void {
  const env = new ModelsEnv(ctx, monitor);
  // Owned like every disposable, which is also how tests reach the provider (by its viewId) from
  // the extension's exported ctx: the extension is bundled, so its modules cannot be imported.
  const tree = ctx.own(new ModelsTreeProvider(env));
  const view = ctx.own(vscode.window.createTreeView(MODELS_VIEW_ID, { treeDataProvider: tree, showCollapseAll: false }));
  tree.setVisible(view.visible);
  // The server's status in the view's header: version and host when reachable, nothing otherwise
  // (the welcome content explains an unreachable server, with buttons).
  const describe = () => {
    const s = tree.snapshot;
    view.description = s ? `${s.version ? `Ollama ${s.version} · ` : ''}${hostOf(s.url)}` : '';
  };
  ctx.own(tree.onDidLoad(describe));
  ctx.own(view.onDidChangeVisibility((e) => tree.setVisible(e.visible)));

  const docs = ctx.own(new ModelDocumentProvider(env));
  ctx.own(vscode.workspace.registerTextDocumentContentProvider(MODEL_SCHEME, docs));
  ctx.own(vscode.workspace.onDidCloseTextDocument((d) => { if (d.uri.scheme === MODEL_SCHEME) docs.forget(d.uri); }));

  registerModelCommands(env, tree, docs);
  registerModelfile(env, tree);
}
