// The API token lives in SecretStorage only: never in settings, never in the log.
import * as vscode from 'vscode';
import { isHeaderValue } from '../core/http/headers';
import type { ExtensionContextOwner } from './context';
import { COMMAND, STORAGE_KEY } from './ids';

export function registerToken(ctx: ExtensionContextOwner): void {
  ctx.own(vscode.commands.registerCommand(COMMAND.setApiToken, async (value?: unknown): Promise<boolean> => {
    const token = typeof value === 'string' ? value : await vscode.window.showInputBox({
      title: vscode.l10n.t('Ollama API token'),
      prompt: vscode.l10n.t('Sent as "Authorization: Bearer <token>" to the endpoint. Stored in the secret store, not in settings.'),
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (isHeaderValue(v.trim()) ? undefined : vscode.l10n.t('The token contains characters an HTTP header cannot carry (only printable ASCII and Latin-1). Nothing was saved.')),
    });
    if (token === undefined || token.trim() === '') return false;
    if (!isHeaderValue(token.trim())) {
      void vscode.window.showErrorMessage(vscode.l10n.t('The token contains characters an HTTP header cannot carry (only printable ASCII and Latin-1). Nothing was saved.'));
      return false;
    }
    await ctx.ext.secrets.store(STORAGE_KEY.apiToken, token.trim());
    ctx.resetClient('API token set');
    ctx.log.info('API token stored in the secret store');
    if (typeof value !== 'string') void vscode.window.showInformationMessage(vscode.l10n.t('API token saved in the secret store.'));
    return true;
  }));
  ctx.own(vscode.commands.registerCommand(COMMAND.clearApiToken, async (): Promise<void> => {
    await ctx.ext.secrets.delete(STORAGE_KEY.apiToken);
    ctx.resetClient('API token cleared');
    ctx.log.info('API token removed from the secret store');
  }));
}
