// "Show Model Details": a read-only markdown document per model under the `ollama-model` scheme,
// rendered from /api/show by the pure renderer. The command fetches first (so a failure is a message,
// not an error document) and the provider serves that text; a document reopened later fetches again.
import * as vscode from 'vscode';
import { renderModelMarkdown, type ShowLabels } from '../../core/models';
import type { ModelResponse, ShowResponse } from '../../core/ollama/types';
import { abortOn } from '../cancel';
import { errorText, type ModelsEnv } from './shared';

export const MODEL_SCHEME = 'ollama-model';

export function modelDocumentUri(name: string): vscode.Uri {
  return vscode.Uri.from({ scheme: MODEL_SCHEME, path: `/${name}.md` });
}

export function modelOfDocument(uri: vscode.Uri): string {
  return uri.path.replace(/^\//, '').replace(/\.md$/, '');
}

export class ModelDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly env: ModelsEnv) {}

  /** Fetches and renders the details; the document then shows this text. */
  async render(name: string, signal?: AbortSignal): Promise<{ uri: vscode.Uri; text: string }> {
    const { client } = await this.env.connect();
    const [show, tags] = await Promise.all([client.show({ model: name }, { signal }), client.list({ signal }).catch(() => undefined)]);
    const listed = tags?.models.find((m) => m.name === name || m.model === name);
    const uri = modelDocumentUri(name);
    const text = render(name, show, listed);
    const had = this.texts.has(uri.toString());
    this.texts.set(uri.toString(), text);
    if (had) this.changed.fire(uri);
    return { uri, text };
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const known = this.texts.get(uri.toString());
    if (known !== undefined) return known;
    const name = modelOfDocument(uri);
    const abort = abortOn([token]);
    try {
      return (await this.render(name, abort.signal)).text;
    } catch (e) {
      return `# ${name}\n\n${vscode.l10n.t('Could not load the details: {0}', errorText(e, await this.env.url()))}\n`;
    } finally {
      abort.dispose();
    }
  }

  /** Forget a closed document's text, so reopening it fetches fresh details. */
  forget(uri: vscode.Uri): void {
    this.texts.delete(uri.toString());
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function render(name: string, show: ShowResponse, listed: ModelResponse | undefined): string {
  const labels: ShowLabels = {
    details: vscode.l10n.t('Details'),
    family: vscode.l10n.t('Family'),
    parameters: vscode.l10n.t('Parameters'),
    quantization: vscode.l10n.t('Quantization'),
    format: vscode.l10n.t('Format'),
    parentModel: vscode.l10n.t('Parent model'),
    contextLength: vscode.l10n.t('Context length'),
    embeddingLength: vscode.l10n.t('Embedding length'),
    capabilities: vscode.l10n.t('Capabilities'),
    modified: vscode.l10n.t('Modified'),
    size: vscode.l10n.t('Size on disk'),
    digest: vscode.l10n.t('Digest'),
    modelInfo: vscode.l10n.t('Model info'),
    projectorInfo: vscode.l10n.t('Vision projector'),
    defaultParameters: vscode.l10n.t('Default parameters'),
    systemPrompt: vscode.l10n.t('System prompt'),
    template: vscode.l10n.t('Template'),
    messages: vscode.l10n.t('Messages'),
    license: vscode.l10n.t('License'),
    name: vscode.l10n.t('Name'),
    value: vscode.l10n.t('Value'),
    none: vscode.l10n.t('none'),
  };
  return renderModelMarkdown(name, show, labels, {
    listed,
    formatDate: (iso) => {
      const ms = Date.parse(iso);
      return Number.isNaN(ms) ? iso : new Date(ms).toLocaleString(vscode.env.language);
    },
  });
}
