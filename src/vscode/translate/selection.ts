// Translate Selection: the selected text goes to the model (instruction in the system prompt, only
// the text in the user message) and the translation goes where the user chose: over the selection,
// below it, into a read-only preview beside the editor that fills as the answer streams, or onto
// the clipboard. The user's text is changed only by replace or insert, and only once the
// translation has completed; the selection must still hold the text that was translated.
import * as vscode from 'vscode';
import { isCancel } from '../../core/common/cancel';
import { assertTranslatableText, DocumentJob, LiveDocumentView, UnsupportedInputError, type DocumentFormat } from '../../core/translate';
import { languageTag } from '../../core/translate/langTag';
import { PREVIEW_SCHEME } from './preview';
import { isOutputMode, translationSettings, type OutputMode } from '../config';
import { displayName, unsupportedMessage, type TranslationOutcome, type TranslationService } from './service';

export interface SelectionArgs {
  /** Skip the setting (and the quick pick when it is `ask`). */
  mode?: OutputMode | 'ask';
}

async function pickMode(): Promise<OutputMode | undefined> {
  const items: Array<vscode.QuickPickItem & { mode: OutputMode }> = [
    { label: `$(preview) ${vscode.l10n.t('Side by side')}`, description: vscode.l10n.t('in a read-only preview beside the editor'), mode: 'sideBySide' },
    { label: `$(replace) ${vscode.l10n.t('Replace the selection')}`, mode: 'replace' },
    { label: `$(insert) ${vscode.l10n.t('Insert below the selection')}`, mode: 'insertBelow' },
    { label: `$(copy) ${vscode.l10n.t('Copy to the clipboard')}`, mode: 'copy' },
  ];
  const pick = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Where should the translation go?') });
  return pick?.mode;
}

function formatOf(doc: vscode.TextDocument): DocumentFormat {
  return doc.languageId === 'markdown' || /\.(md|markdown|mdx)$/i.test(doc.uri.path) ? 'markdown' : 'plaintext';
}

function previewName(doc: vscode.TextDocument, target: string): string {
  const name = doc.uri.scheme === PREVIEW_SCHEME ? 'translation' : displayName(doc.uri);
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot) : formatOf(doc) === 'markdown' ? '.md' : '.txt';
  return `${dot > 0 ? name.slice(0, dot) : name}.${languageTag(target)}${ext}`;
}

export async function translateSelection(svc: TranslationService, args?: SelectionArgs): Promise<TranslationOutcome> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Open an editor and select the text to translate.'));
    return { status: 'empty' };
  }
  const doc = editor.document;
  const selection = editor.selection;
  const source = doc.getText(selection);
  if (selection.isEmpty || source.trim() === '') {
    void vscode.window.showInformationMessage(vscode.l10n.t('Select the text to translate first: the selection is empty.'));
    return { status: 'empty' };
  }
  const subject = vscode.l10n.t('the selection');
  try {
    assertTranslatableText(source);
  } catch (e) {
    if (!(e instanceof UnsupportedInputError)) throw e;
    void vscode.window.showErrorMessage(unsupportedMessage(e, subject));
    return { status: 'unsupported', reason: 'unsupported' };
  }
  const s = translationSettings();
  const asked = args?.mode ?? s.outputMode;
  const mode = isOutputMode(asked) ? asked : await pickMode();
  if (!mode) return { status: 'cancelled', reason: 'cancelled' };
  if (!svc.requireModel(s.model)) return { status: 'failed', reason: 'error' };

  await svc.memoryReady();
  const job = new DocumentJob(source, { target: s.target, glossary: await svc.glossary(doc.uri), model: s.model, cache: svc.cache, format: formatOf(doc), maxChunkChars: s.chunkChars });
  let previewUri: vscode.Uri | undefined;
  let live: LiveDocumentView | undefined;
  if (mode === 'sideBySide') {
    live = new LiveDocumentView(job);
    previewUri = svc.previews.create(previewName(doc, s.target));
    const preview = await vscode.workspace.openTextDocument(previewUri);
    await vscode.window.showTextDocument(preview, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
  }
  const render = (): string => live!.render();
  const translate = svc.translateFn(s.model, live && previewUri
    ? (req, soFar) => { if (live!.onText(req, soFar)) svc.previews.invalidate(previewUri!, render); }
    : undefined);
  const t0 = Date.now();
  try {
    const r = await svc.withProgress(vscode.l10n.t('Translating the selection into {0}…', s.target), async (report, signal) => {
      const total = job.total;
      if (total > 1) report(0, total, vscode.l10n.t('{0} of {1} chunks', 0, total));
      return job.run(translate, {
        concurrency: s.parallelRequests, signal,
        onProgress: (p) => { if (total > 1) report(p.done, p.total, vscode.l10n.t('{0} of {1} chunks', p.done, p.total)); },
      });
    });
    live?.close();
    const text = r.text;
    svc.log.info(`translated a selection of ${source.length} characters into ${s.target} with ${s.model}: ${r.requests} requests, ${Date.now() - t0} ms, output ${mode}`);
    void svc.reportSuccess();
    const issues = r.issues.flatMap((i) => i.messages);
    if (issues.length) {
      svc.log.warn(`translation issues: ${issues.join('; ')}`);
      void vscode.window.showWarningMessage(vscode.l10n.t('The translation may be imperfect: {0}', issues.join('; ')));
    }
    const out = await deliver(svc, { mode, doc, selection, source, text, previewUri, previewName: previewName(doc, s.target) });
    return { status: 'done', mode: out.mode, text, uri: out.uri, requests: r.requests };
  } catch (e) {
    live?.close();
    if (previewUri) {
      // The preview keeps what arrived; the user's text was never touched.
      svc.previews.update(previewUri, live!.render(), true);
    }
    const reason = await svc.reportFailure(e, { model: s.model, subject });
    return { status: isCancel(e) ? 'cancelled' : 'failed', reason, mode, ...(previewUri ? { uri: previewUri.toString(), text: live!.render() } : {}) };
  }
}

interface Delivery {
  mode: OutputMode;
  doc: vscode.TextDocument;
  selection: vscode.Selection;
  source: string;
  text: string;
  previewUri?: vscode.Uri;
  previewName: string;
}

async function deliver(svc: TranslationService, d: Delivery): Promise<{ mode: OutputMode; uri?: string }> {
  switch (d.mode) {
    case 'sideBySide': {
      svc.previews.update(d.previewUri!, d.text, true);
      return { mode: d.mode, uri: d.previewUri!.toString() };
    }
    case 'copy': {
      await vscode.env.clipboard.writeText(d.text);
      void vscode.window.showInformationMessage(vscode.l10n.t('Translation copied to the clipboard.'));
      return { mode: d.mode };
    }
    case 'replace':
    case 'insertBelow': {
      // Someone typed in the selection (or closed the document) while the model was answering:
      // do not guess where the translation belongs. Show it beside instead.
      if (d.doc.isClosed || d.doc.getText(d.selection) !== d.source) {
        void vscode.window.showWarningMessage(vscode.l10n.t('The selected text changed while it was being translated, so it was left alone. The translation is shown beside it.'));
        const uri = svc.previews.create(d.previewName, d.text);
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
        return { mode: 'sideBySide', uri: uri.toString() };
      }
      const edit = new vscode.WorkspaceEdit();
      if (d.mode === 'replace') {
        edit.replace(d.doc.uri, d.selection, d.text);
      } else {
        const eol = d.doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
        const body = d.text.replace(/[\r\n\s]+$/, '');
        const end = d.selection.end;
        if (end.character === 0 && end.line > d.selection.start.line) edit.insert(d.doc.uri, end, body + eol);
        else edit.insert(d.doc.uri, d.doc.lineAt(end.line).range.end, eol + body);
      }
      if (!(await vscode.workspace.applyEdit(edit))) {
        await vscode.env.clipboard.writeText(d.text);
        void vscode.window.showWarningMessage(vscode.l10n.t('The document could not be edited; the translation was copied to the clipboard instead.'));
        return { mode: 'copy' };
      }
      return { mode: d.mode, uri: d.doc.uri.toString() };
    }
  }
}
