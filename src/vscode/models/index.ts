// Registers model management: the Models view, the model commands, the model-details documents and
// Modelfile language support. Nothing here touches the network: the view fetches when it is shown.
import * as vscode from 'vscode';
import type { ExtensionContextOwner } from '../context';
import { VIEW } from '../ids';
import type { ConnectionMonitor } from '../status';
import { registerModelCommands } from './commands';
import { registerModelfile } from './modelfile';
import { ModelsEnv } from './shared';
import { MODEL_SCHEME, ModelDocumentProvider } from './showDocument';
import { ModelsTreeProvider, type ModelsNode } from './tree';

export type { OperationResult, ProgressReport, CommandOptions } from './shared';
export type { ModelsNode } from './tree';

function hostOf(url: string): string {
  try { return new URL(url).host; } catch { return url; }
}

/** What the Models feature is made of (the test API reads it). */
export interface ModelsFeature { tree: ModelsTreeProvider; view: vscode.TreeView<ModelsNode> }

export function registerModels(ctx: ExtensionContextOwner, monitor: ConnectionMonitor): ModelsFeature {
  const env = new ModelsEnv(ctx, monitor);
  const tree = ctx.own(new ModelsTreeProvider(env));
  const view = ctx.own(vscode.window.createTreeView(VIEW.models, { treeDataProvider: tree, showCollapseAll: false }));
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
  return { tree, view };
}
