// Translate Document: the active editor's document or a file from the explorer, chunked and
// translated in parallel, reassembled in order into a new untitled editor (the original is never
// modified). A cancelled or failed run keeps its finished chunks: the job is saved for Resume and
// the partial result is opened (untranslated chunks still in the source language).
import * as vscode from 'vscode';
import { isCancel } from '../../core/common/cancel';
import {
  assertTranslatableText, DocumentJob, JobStateMismatchError, UnsupportedInputError, type DocumentFormat, type DocumentJobState,
} from '../../core/translate';
import { describeEncoding, readTextFile } from '../textFile';
import { translationSettings } from '../config';
import { displayName, unsupportedMessage, type TranslationOutcome, type TranslationService } from './service';
import { jobKey, textHash, type DocumentSpec, type SavedDocumentJob } from './store';
import { COMMAND } from '../ids';

interface DocSource { uri: vscode.Uri; name: string; text: string; languageId: string; format: DocumentFormat; encoding?: string }

const MARKDOWN_PATH = /\.(md|markdown|mdx|mkd)$/i;
const PROSE_LANGUAGES = new Set(['markdown', 'plaintext', 'mdx']);

/**
 * The text to translate: an open document's current text (unsaved edits included), else the file's
 * bytes in the encoding the editor would use (or the user picks; `known`: the one an interrupted job
 * used). 'cancelled': the user dismissed the encoding question.
 */
async function readSource(svc: TranslationService, uri: vscode.Uri | undefined, known?: string): Promise<DocSource | undefined | 'cancelled'> {
  const open = uri ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) : vscode.window.activeTextEditor?.document;
  const target = uri ?? open?.uri;
  if (!target) return undefined;
  const name = displayName(target);
  let text: string;
  let languageId: string;
  let encoding: string | undefined;
  if (open) {
    text = open.getText();
    languageId = open.languageId;
  } else {
    const read = await readTextFile(target, name, known);
    if (!read) return 'cancelled';
    svc.log.info(`${name}: read as ${describeEncoding(read)}`);
    text = read.text;
    encoding = read.encoding;
    languageId = MARKDOWN_PATH.test(target.path) ? 'markdown' : 'plaintext';
  }
  assertTranslatableText(text, name);
  const format: DocumentFormat = languageId === 'markdown' || MARKDOWN_PATH.test(target.path) ? 'markdown' : 'plaintext';
  return { uri: target, name, text, languageId, format, ...(encoding ? { encoding } : {}) };
}

export async function translateDocumentCommand(svc: TranslationService, uri?: vscode.Uri): Promise<TranslationOutcome> {
  let source: DocSource | undefined | 'cancelled';
  try {
    source = await readSource(svc, uri);
  } catch (e) {
    return readFailure(svc, e, uri);
  }
  if (source === 'cancelled') return { status: 'cancelled', reason: 'cancelled' };
  if (!source) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Open a Markdown or plain text document (or pick one in the explorer) to translate it.'));
    return { status: 'nothing' };
  }
  if (!PROSE_LANGUAGES.has(source.languageId) && !MARKDOWN_PATH.test(source.uri.path) && !/\.txt$/i.test(source.uri.path)) {
    const go = vscode.l10n.t('Translate as Plain Text');
    const pick = await vscode.window.showWarningMessage(
      vscode.l10n.t('{0} is not Markdown or plain text ({1}). Every line would be translated, code included.', source.name, source.languageId), { modal: true }, go);
    if (pick !== go) return { status: 'cancelled', reason: 'cancelled' };
  }
  const s = translationSettings();
  if (!svc.requireModel(s.model)) return { status: 'failed', reason: 'error' };
  const hash = textHash(source.text);
  const spec: DocumentSpec = {
    kind: 'document', key: jobKey('document', source.uri.toString(), hash, s.target), uri: source.uri.toString(), name: source.name, hash,
    target: s.target, model: s.model, glossary: s.glossary, languageId: source.languageId, format: source.format, chunkChars: s.chunkChars,
    ...(source.encoding ? { inputEncoding: source.encoding } : {}),
  };
  // A fresh start replaces progress saved for the same text.
  await svc.jobs.delete(spec.key);
  return runDocumentJob(svc, spec, source.text);
}

export async function resumeDocument(svc: TranslationService, saved: SavedDocumentJob): Promise<TranslationOutcome> {
  let source: DocSource | undefined | 'cancelled';
  try {
    source = await readSource(svc, vscode.Uri.parse(saved.uri), saved.inputEncoding);
  } catch (e) {
    if (e instanceof vscode.FileSystemError || (e instanceof Error && /ENOENT|EntryNotFound/.test(e.message))) {
      await svc.jobs.delete(saved.key);
      void vscode.window.showErrorMessage(vscode.l10n.t('{0} is no longer there; its saved translation progress was discarded.', saved.name));
      return { status: 'nothing' };
    }
    return readFailure(svc, e, vscode.Uri.parse(saved.uri));
  }
  if (source === 'cancelled') return { status: 'cancelled', reason: 'cancelled' };
  if (!source || textHash(source.text) !== saved.hash) {
    await svc.jobs.delete(saved.key);
    const again = vscode.l10n.t('Translate Again');
    void vscode.window.showWarningMessage(vscode.l10n.t('{0} changed after its translation stopped, so the saved progress no longer fits it.', saved.name), again).then((pick) => {
      if (pick === again) void translateDocumentCommand(svc, vscode.Uri.parse(saved.uri));
    });
    return { status: 'nothing' };
  }
  return runDocumentJob(svc, saved, source.text, saved.state);
}

async function readFailure(svc: TranslationService, e: unknown, uri: vscode.Uri | undefined): Promise<TranslationOutcome> {
  const name = uri ? displayName(uri) : vscode.l10n.t('the document');
  if (e instanceof UnsupportedInputError) {
    svc.log.warn(`${name}: ${e.message}`);
    void vscode.window.showErrorMessage(unsupportedMessage(e, name));
    return { status: 'unsupported', reason: 'unsupported' };
  }
  const msg = e instanceof Error ? e.message : String(e);
  svc.log.error(`cannot read ${uri?.toString() ?? 'the document'}: ${msg}`);
  void vscode.window.showErrorMessage(vscode.l10n.t('Cannot read {0}: {1}', name, msg));
  return { status: 'failed', reason: 'error', message: msg };
}

/** Shows a result in a new untitled editor, or in the one that shows this job's partial result if the user left it untouched. */
async function showResult(svc: TranslationService, key: string, text: string, languageId: string): Promise<vscode.TextDocument> {
  const earlier = svc.partialResults.get(key);
  svc.partialResults.delete(key);
  if (earlier && !earlier.doc.isClosed && earlier.doc.getText() === earlier.text) {
    const edit = new vscode.WorkspaceEdit();
    edit.replace(earlier.doc.uri, new vscode.Range(earlier.doc.positionAt(0), earlier.doc.positionAt(earlier.text.length)), text);
    if (await vscode.workspace.applyEdit(edit)) {
      await vscode.window.showTextDocument(earlier.doc, { preview: false });
      return earlier.doc;
    }
  }
  const doc = await vscode.workspace.openTextDocument({ language: languageId === 'markdown' ? 'markdown' : 'plaintext', content: text });
  await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside });
  return doc;
}

async function runDocumentJob(svc: TranslationService, spec: DocumentSpec, text: string, state?: DocumentJobState): Promise<TranslationOutcome> {
  if (svc.running.has(spec.key)) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} is already being translated.', spec.name));
    return { status: 'nothing', jobKey: spec.key };
  }
  let job: DocumentJob;
  try {
    job = new DocumentJob(text, { target: spec.target, glossary: spec.glossary, model: spec.model, cache: svc.cache, format: spec.format, maxChunkChars: spec.chunkChars }, state);
  } catch (e) {
    if (!(e instanceof JobStateMismatchError)) return readFailure(svc, e, vscode.Uri.parse(spec.uri));
    await svc.jobs.delete(spec.key);
    svc.log.warn(`${spec.name}: ${e.message}`);
    job = new DocumentJob(text, { target: spec.target, glossary: spec.glossary, model: spec.model, cache: svc.cache, format: spec.format, maxChunkChars: spec.chunkChars });
  }
  if (job.total === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no text to translate.', spec.name));
    return { status: 'nothing', done: 0, total: 0 };
  }
  const { parallelRequests } = translationSettings();
  const translate = svc.translateFn(spec.model);
  const chunks = (d: number, t: number): string => vscode.l10n.t('{0} of {1} chunks', d, t);
  const t0 = Date.now();
  const resumed = job.doneCount;
  svc.running.add(spec.key);
  try {
    const r = await svc.withProgress(vscode.l10n.t('Translating {0} into {1}', spec.name, spec.target), (report, signal) => {
      report(job.doneCount, job.total, chunks(job.doneCount, job.total));
      return job.run(translate, { concurrency: parallelRequests, signal, onProgress: (p) => report(p.done, p.total, chunks(p.done, p.total)) });
    });
    await svc.jobs.delete(spec.key);
    svc.log.info(`translated ${spec.name} into ${spec.target} with ${spec.model}: ${job.total} chunks${resumed ? ` (${resumed} from an earlier run)` : ''}, ${r.requests} requests, ${Date.now() - t0} ms`);
    void svc.reportSuccess();
    for (const i of r.issues) svc.log.warn(`${spec.name}, chunk ${i.chunk + 1}: ${i.messages.join('; ')}`);
    if (r.issues.length) {
      void vscode.window.showWarningMessage(vscode.l10n.t('{0} chunks of {1} may be imperfect (code, links or line breaks changed). Details are in the log.', r.issues.length, spec.name));
    }
    const doc = await showResult(svc, spec.key, r.text, spec.languageId);
    return { status: 'done', text: r.text, uri: doc.uri.toString(), requests: r.requests, done: job.doneCount, total: job.total, jobKey: spec.key };
  } catch (e) {
    const done = job.doneCount;
    let uri: string | undefined;
    let partial: string | undefined;
    if (done > 0) {
      await svc.jobs.save({ ...spec, kind: 'document', done, total: job.total, savedAt: Date.now(), state: job.state });
      partial = job.text();
      const doc = await showResult(svc, spec.key, partial, spec.languageId);
      svc.partialResults.set(spec.key, { doc, text: doc.getText() });
      uri = doc.uri.toString();
    }
    const reason = await svc.reportFailure(e, {
      model: spec.model, subject: spec.name,
      ...(done > 0 ? { interrupted: { subject: spec.name, progress: chunks(done, job.total), resume: () => vscode.commands.executeCommand(COMMAND.translateResume, spec.key) } } : {}),
    });
    return { status: done > 0 ? 'partial' : isCancel(e) ? 'cancelled' : 'failed', reason, done, total: job.total, jobKey: spec.key, ...(uri ? { uri, text: partial } : {}) };
  } finally {
    svc.running.delete(spec.key);
  }
}
