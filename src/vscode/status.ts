// "Ollama: Show Server Status": asks the configured server for its version and installed models
// and says which URL answered. Returns the result so tests (and other commands) can use it.
import * as vscode from 'vscode';
import { AbortError, ConnectionError, EndpointNotFoundError, OllamaError, TimeoutError } from '../core/ollama/errors';
import type { ExtensionContextOwner } from './context';
import { SECTION } from './config';

export interface ServerStatus {
  reachable: boolean;
  url: string;
  version?: string;
  modelCount?: number;
  models?: string[];
  error?: string;
}

export async function fetchServerStatus(ctx: ExtensionContextOwner, signal?: AbortSignal): Promise<ServerStatus> {
  const llm = ctx.llm();
  const url = llm.baseUrl;
  try {
    if (llm.kind === 'ollama') {
      const client = ctx.ollama();
      const [{ version }, { models }] = await Promise.all([client.version({ signal }), client.list({ signal })]);
      return { reachable: true, url, version, modelCount: models.length, models: models.map((m) => m.name) };
    }
    const models = await llm.listModels({ signal });
    return { reachable: true, url, modelCount: models.length, models: models.map((m) => m.name) };
  } catch (e) {
    return { reachable: false, url, error: describeError(e, url) };
  }
}

/** A sentence a user can act on, for any client error. */
export function describeError(e: unknown, url: string): string {
  if (e instanceof ConnectionError) return vscode.l10n.t('Cannot reach the Ollama server at {0} ({1}). Is it running, and is the endpoint setting right?', url, e.code ?? e.message);
  if (e instanceof TimeoutError) return vscode.l10n.t('The Ollama server at {0} did not answer in time ({1}).', url, e.phase);
  if (e instanceof EndpointNotFoundError) return vscode.l10n.t('{0} is not an Ollama API endpoint (HTTP 404). Check the endpoint URL and path prefix.', url);
  if (e instanceof AbortError) return vscode.l10n.t('Cancelled.');
  if (e instanceof OllamaError) return e.status ? `${e.message} (HTTP ${e.status})` : e.message;
  return e instanceof Error ? e.message : String(e);
}

export function registerStatusCommand(ctx: ExtensionContextOwner): void {
  ctx.own(vscode.commands.registerCommand('ollamaAssistant.showServerStatus', async (): Promise<ServerStatus> => {
    const status = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Checking the Ollama server…') },
      () => fetchServerStatus(ctx),
    );
    if (status.reachable) {
      const msg = status.version
        ? vscode.l10n.t('Ollama {0} at {1}: {2} models installed.', status.version, status.url, status.modelCount ?? 0)
        : vscode.l10n.t('OpenAI-compatible server at {0}: {1} models.', status.url, status.modelCount ?? 0);
      ctx.log.info(msg);
      void vscode.window.showInformationMessage(msg);
    } else {
      ctx.log.warn(status.error ?? 'unreachable');
      const open = vscode.l10n.t('Open Setting');
      void vscode.window.showErrorMessage(status.error ?? '', open).then((pick) => {
        if (pick === open) void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.endpoint`);
      });
    }
    return status;
  }));
}
