// Choose Translation Model…: a quick pick of the models the server has (`/api/tags`, or `/v1/models`
// on an OpenAI-compatible server), the current one marked, embedding-only models left out, and a
// "Pull a model…" entry (native Ollama; the model pulled is then chosen) — never a free-text box
// first. The choice goes to `translation.model` (the workspace settings when the workspace sets
// it, else the user's).
import * as vscode from 'vscode';
import { formatBytes, sameModel } from '../../core/models/format';
import { translationSettings, updateSetting } from '../config';
import { COMMAND, SETTING } from '../ids';
import type { OperationResult } from '../models/shared';
import type { TranslationService } from './service';

/** Shows the picker; resolves with the model now set (undefined: nothing chosen or the list failed). */
export async function chooseTranslationModel(svc: TranslationService): Promise<string | undefined> {
  const current = translationSettings().model;
  let url = '';
  try {
    const llm = await svc.ctx.llm();
    url = llm.baseUrl;
    const models = (await llm.listModels()).filter((m) => !m.capabilities || m.capabilities.includes('completion'));
    const pull = { label: `$(cloud-download) ${vscode.l10n.t('Pull a model…')}`, pull: true, name: '' };
    const items: Array<vscode.QuickPickItem & { pull: boolean; name: string }> = models.map((m) => ({
      label: m.name, name: m.name, pull: false,
      description: [sameModel(m.name, current) ? vscode.l10n.t('current') : '', m.family, m.parameterSize, m.quantization, m.sizeBytes ? formatBytes(m.sizeBytes) : ''].filter(Boolean).join(' · '),
    }));
    items.sort((a, b) => Number(sameModel(b.name, current)) - Number(sameModel(a.name, current)));
    if (llm.ollama) items.push(pull);
    const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Translation model'), placeHolder: models.length ? vscode.l10n.t('Choose the model that translates') : vscode.l10n.t('No models are installed on {0}.', url), matchOnDescription: true });
    if (!pick) return undefined;
    if (pick.pull) {
      // The Models feature's Pull (asks for the name, shows progress); a pulled model becomes the translation model.
      const pulled = await vscode.commands.executeCommand<OperationResult | undefined>(COMMAND.modelsPull);
      if (!pulled?.ok || !pulled.model) return undefined;
      await updateSetting(SETTING.translationModel, pulled.model, { preferWorkspace: true });
      return pulled.model;
    }
    await updateSetting(SETTING.translationModel, pick.name, { preferWorkspace: true });
    return pick.name;
  } catch (e) {
    svc.log.error(`cannot list the models of ${url}: ${e instanceof Error ? e.message : String(e)}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not list the models: {0}', e instanceof Error ? e.message : String(e)));
    return undefined;
  }
}
