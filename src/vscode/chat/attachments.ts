// The editor's side of the composer: attaching the active file, a file the user picks (never one a
// webview names), the selection, and images (pasted in the view, or from the file dialog), with a
// notice in the composer when one cannot be attached. Context sources that come later (mentions,
// workspace search) add to the same Composer.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { IMAGE_EXTENSIONS, MAX_IMAGE_BYTES, MAX_PENDING_IMAGE_CHARS, MAX_PENDING_IMAGES, sniffImageMime } from '../../core/common/images';
import type { AttachProblem, Composer } from '../../core/chat/composer';
import type { ContextAttachment } from '../../core/chat/conversation';
import type { NoticeView } from '../../shared/chatProtocol';
import { docPath, type ChatPrompts } from './prompts';

/** Attachments larger than this are cut (the context window could not hold them anyway). */
export const MAX_ATTACHMENT_CHARS = 100_000;

/** Documents the attach button offers: files and editors, not output channels or git views. */
const ATTACHABLE_SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-vfs', 'vscode-userdata']);

export interface AttachmentsHost {
  /** The composer changed (attachments or notice): show it. */
  changed(): void;
  /** Shows the chat view. */
  reveal(): Promise<unknown>;
  /** Empties the input box and focuses it. */
  focusInput(): void;
  /** Asks the user (the file picker). */
  prompts(): ChatPrompts;
}

function problemText(p: AttachProblem): string {
  switch (p) {
    case 'unsupported': return vscode.l10n.t('Only PNG, JPEG, WebP and GIF images can be attached.');
    case 'tooLarge': return imageTooLarge();
    case 'unreadable': return vscode.l10n.t('That image could not be read.');
    case 'tooMany': return vscode.l10n.t('No more images can be attached to this message (at most {0}, {1} MB in all).', MAX_PENDING_IMAGES, Math.floor((MAX_PENDING_IMAGE_CHARS * 3) / 4 / 1e6));
  }
}

export function imageTooLarge(): string { return vscode.l10n.t('That image is too large (over 20 MB).'); }

export class ChatAttachments {
  constructor(private readonly composer: Composer<NoticeView>, private readonly host: AttachmentsHost) {}

  /** Puts an error in the composer's notice. */
  refuseImage(message: string): void {
    this.composer.notice = { kind: 'error', message, actions: [] };
    this.host.changed();
  }

  addContext(a: ContextAttachment): void {
    this.composer.addContext(a);
    this.composer.notice = undefined;
    this.host.changed();
  }

  /** An image pasted in the view (base64); false (and a notice) when it cannot be attached. */
  addImage(name: string, mime: string, data: string): boolean {
    const problem = this.composer.addImage(name, mime, data);
    if (problem) { this.refuseImage(problemText(problem)); return false; }
    this.composer.notice = undefined;
    this.host.changed();
    return true;
  }

  remove(id: string): void {
    this.composer.remove(id);
    this.host.changed();
  }

  /** The command (the editor's own UI): attaches the active file. */
  async attachActiveFile(): Promise<void> {
    const ed = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
    if (!ed) { void vscode.window.showWarningMessage(vscode.l10n.t('Open a file in an editor first.')); return; }
    await this.attachDocument(ed.document);
  }

  /** The webview's attach button: the user picks the file (the active one first) in the editor's
   * own UI, so a webview cannot quietly put a file into the next message. */
  async chooseFile(): Promise<void> {
    const active = (vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0])?.document;
    const docs = [...new Set([active, ...vscode.window.visibleTextEditors.map((e) => e.document), ...vscode.workspace.textDocuments])]
      .filter((d): d is vscode.TextDocument => !!d && !d.isClosed && ATTACHABLE_SCHEMES.has(d.uri.scheme));
    if (!docs.length) { void vscode.window.showWarningMessage(vscode.l10n.t('Open a file in an editor first.')); return; }
    const doc = await this.host.prompts().pickDocument(docs, active, vscode.l10n.t('Attach a file to the chat'));
    if (doc) await this.attachDocument(doc);
  }

  private async attachDocument(doc: vscode.TextDocument): Promise<void> {
    const text = doc.getText();
    this.addContext({
      kind: 'file', path: docPath(doc), language: doc.languageId,
      text: text.slice(0, MAX_ATTACHMENT_CHARS), ...(text.length > MAX_ATTACHMENT_CHARS ? { truncated: true } : {}),
    });
    await this.host.reveal();
  }

  /** The selection (or, when nothing is selected, the active file). */
  async askAboutSelection(): Promise<void> {
    const ed = vscode.window.activeTextEditor;
    if (!ed) { void vscode.window.showWarningMessage(vscode.l10n.t('Select some code in an editor first.')); return; }
    const sel = ed.selection;
    if (sel.isEmpty) { await this.attachActiveFile(); return; }
    // A selection that ends at column 0 of a line does not include that line.
    const endLine = sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line - 1 : sel.end.line;
    const text = ed.document.getText(sel);
    this.addContext({
      kind: 'selection', path: docPath(ed.document), language: ed.document.languageId,
      text: text.slice(0, MAX_ATTACHMENT_CHARS), startLine: sel.start.line + 1, endLine: endLine + 1,
      ...(text.length > MAX_ATTACHMENT_CHARS ? { truncated: true } : {}),
    });
    await this.host.reveal();
    this.host.focusInput();
  }

  /** Images from the file dialog. */
  async pickImages(): Promise<void> {
    const uris = await vscode.window.showOpenDialog({
      canSelectMany: true, openLabel: vscode.l10n.t('Attach'), title: vscode.l10n.t('Attach an image'),
      filters: { [vscode.l10n.t('Images')]: [...IMAGE_EXTENSIONS] },
    });
    if (!uris?.length) return;
    for (const uri of uris) {
      try {
        if ((await vscode.workspace.fs.stat(uri)).size > MAX_IMAGE_BYTES) { this.refuseImage(imageTooLarge()); continue; }
        const bytes = await vscode.workspace.fs.readFile(uri);
        const data = Buffer.from(bytes).toString('base64');
        this.addImage(path.basename(uri.path), sniffImageMime(data) ?? '', data);
      } catch (e) {
        void vscode.window.showErrorMessage(vscode.l10n.t('Cannot read {0}: {1}', uri.fsPath, (e as Error).message));
      }
    }
    await this.host.reveal();
  }
}
