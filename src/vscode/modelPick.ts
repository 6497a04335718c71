// Choosing a feature's model: a quick pick of the models the server has (`/api/tags`, or
// `/v1/models` on an OpenAI-compatible server), the current one first and marked, only models that
// can do the job (generation models for translation and completion, embedding models for
// embeddings, where the server lists capabilities), and a "Pull a model…" entry (native Ollama; the
// model pulled is then chosen) — never a free-text box first. The choice goes to the feature's model
// setting (the workspace settings when the workspace sets it, else the user's).
import * as vscode from 'vscode';
import { formatBytes, sameModel } from '../core/models/format';
import type { ModelSummary } from '../core/llm/types';
import { modelFor, modelSetting, updateSetting, type Feature } from './config';
import type { ExtensionContextOwner } from './context';
import { COMMAND } from './ids';
import type { OperationResult } from './models/shared';

export type PickFeature = Extract<Feature, 'translation' | 'completion' | 'embeddings'>;

/** Whether a model can serve `feature` (true when the server does not list capabilities). */
export function servesFeature(m: Pick<ModelSummary, 'capabilities'>, feature: PickFeature): boolean {
  if (!m.capabilities) return true;
  return feature === 'embeddings' ? m.capabilities.includes('embedding') : m.capabilities.includes('completion');
}

function titles(feature: PickFeature): { title: string; placeHolder: string } {
  switch (feature) {
    case 'translation': return { title: vscode.l10n.t('Translation model'), placeHolder: vscode.l10n.t('Choose the model that translates') };
    case 'completion': return { title: vscode.l10n.t('Inline completion model'), placeHolder: vscode.l10n.t('Choose the model that completes code (a FIM-capable model)') };
    case 'embeddings': return { title: vscode.l10n.t('Embedding model'), placeHolder: vscode.l10n.t('Choose the model that makes embeddings') };
  }
}

/** Shows the picker; resolves with the model now set (undefined: nothing chosen or the list failed). */
export async function chooseModelFor(ctx: ExtensionContextOwner, feature: PickFeature): Promise<string | undefined> {
  const current = modelFor(feature);
  let url = '';
  try {
    const llm = await ctx.llm();
    url = llm.baseUrl;
    const models = (await llm.listModels()).filter((m) => servesFeature(m, feature));
    const pull = { label: `$(cloud-download) ${vscode.l10n.t('Pull a model…')}`, pull: true, name: '' };
    const items: Array<vscode.QuickPickItem & { pull: boolean; name: string }> = models.map((m) => ({
      label: m.name, name: m.name, pull: false,
      description: [sameModel(m.name, current) ? vscode.l10n.t('current') : '', feature === 'completion' && m.capabilities?.includes('insert') ? 'FIM' : '', m.family, m.parameterSize, m.quantization, m.sizeBytes ? formatBytes(m.sizeBytes) : ''].filter(Boolean).join(' · '),
    }));
    items.sort((a, b) => Number(sameModel(b.name, current)) - Number(sameModel(a.name, current)));
    if (llm.ollama) items.push(pull);
    const t = titles(feature);
    const pick = await vscode.window.showQuickPick(items, { title: t.title, placeHolder: models.length ? t.placeHolder : vscode.l10n.t('No models are installed on {0}.', url), matchOnDescription: true });
    if (!pick) return undefined;
    let name = pick.name;
    if (pick.pull) {
      // The Models feature's Pull (asks for the name, shows progress); the model pulled is chosen.
      const pulled = await vscode.commands.executeCommand<OperationResult | undefined>(COMMAND.modelsPull);
      if (!pulled?.ok || !pulled.model) return undefined;
      name = pulled.model;
    }
    await updateSetting(modelSetting(feature), name, { preferWorkspace: true });
    return name;
  } catch (e) {
    ctx.log.error(`cannot list the models of ${url}: ${e instanceof Error ? e.message : String(e)}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not list the models: {0}', e instanceof Error ? e.message : String(e)));
    return undefined;
  }
}

/** Choose Completion Model… and Choose Embedding Model… (translation registers its own with the
 * translation feature). */
export function registerModelPickers(ctx: ExtensionContextOwner): void {
  ctx.own(vscode.commands.registerCommand(COMMAND.completionChooseModel, () => chooseModelFor(ctx, 'completion')));
  ctx.own(vscode.commands.registerCommand(COMMAND.embeddingsChooseModel, () => chooseModelFor(ctx, 'embeddings')));
}
