// The questions the chat asks the user before it does what the webview (which shows untrusted
// model output) requests: download a model, delete a chat, send a file. One interface, so that a
// surface (or the test API) can answer them its own way; the default asks with modal dialogs and
// the editor's quick pick.
import * as vscode from 'vscode';

export interface ChatPrompts {
  /** A modal question; true when the user chose `button`. */
  confirm(message: string, detail: string, button: string): Promise<boolean>;
  /** The document to attach among `docs` (`active` first), or undefined when the user picks none. */
  pickDocument(docs: readonly vscode.TextDocument[], active: vscode.TextDocument | undefined, title: string): Promise<vscode.TextDocument | undefined>;
}

/** The workspace-relative path of a document (its name when untitled). */
export function docPath(doc: vscode.TextDocument): string {
  return doc.isUntitled ? doc.fileName : vscode.workspace.asRelativePath(doc.uri, false);
}

export const dialogPrompts: ChatPrompts = {
  async confirm(message, detail, button) {
    return (await vscode.window.showWarningMessage(message, { modal: true, detail }, button)) === button;
  },
  async pickDocument(docs, active, title) {
    const items = docs.map((d) => ({ label: docPath(d), description: d === active ? vscode.l10n.t('active') : d.languageId, doc: d }));
    return (await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('The file is sent with your next message') }))?.doc;
  },
};
