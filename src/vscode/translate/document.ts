// Translate Document: the active editor's document or a file from the explorer, chunked and
// translated in parallel, reassembled in order into a new untitled editor (the original is never
// modified). A cancelled or failed run keeps its finished chunks: the job is saved for Resume and
// the partial result is opened (untranslated chunks still in the source language).
import * as vscode from 'vscode';
import {
  assertTranslatableText, DocumentJob, UnsupportedInputError, type DocumentFormat, type DocumentJobState, type DocumentProgress, type DocumentResult,
} from '../../core/translate';
import { describeEncoding, readTextFile } from '../textFile';
import { translationSettings } from '../config';
import { discardSaved, runResumableJob, type JobKind } from './jobRunner';
import { displayName, unsupportedMessage, type TranslationOutcome, type TranslationService } from './service';
import { jobKey, textHash, type DocumentSpec, type SavedDocumentJob } from './store';

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
    target: s.target, model: s.model, glossary: await svc.glossary(source.uri), languageId: source.languageId, format: source.format, chunkChars: s.chunkChars,
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
    if (e instanceof vscode.FileSystemError || (e instanceof Error && /ENOENT|EntryNotFound/.test(e.message))) return discardSaved(svc, saved, 'gone', () => undefined);
    return readFailure(svc, e, vscode.Uri.parse(saved.uri));
  }
  if (source === 'cancelled') return { status: 'cancelled', reason: 'cancelled' };
  if (!source || textHash(source.text) !== saved.hash) return discardSaved(svc, saved, 'changed', () => translateDocumentCommand(svc, vscode.Uri.parse(saved.uri)));
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

function runDocumentJob(svc: TranslationService, spec: DocumentSpec, text: string, state?: DocumentJobState): Promise<TranslationOutcome> {
  const chunks = (d: number, t: number): string => vscode.l10n.t('{0} of {1} chunks', d, t);
  let resumed = 0;
  const kind: JobKind<DocumentJob, DocumentJobState, DocumentProgress, DocumentResult> = {
    spec,
    create: (st) => {
      const job = new DocumentJob(text, { target: spec.target, glossary: spec.glossary, model: spec.model, cache: svc.cache, format: spec.format, maxChunkChars: spec.chunkChars }, st);
      resumed = job.doneCount;
      return job;
    },
    saved: (job, done) => ({ ...spec, kind: 'document', done, total: job.total, savedAt: Date.now(), state: job.state }),
    settled: (job) => job.doneCount,
    progress: chunks,
    nothingToDo: (job) => {
      if (job.total !== 0) return undefined;
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no text to translate.', spec.name));
      return { status: 'nothing', done: 0, total: 0 };
    },
    deliver: async (job, r, ms) => {
      await svc.jobs.delete(spec.key);
      svc.log.info(`translated ${spec.name} into ${spec.target} with ${spec.model}: ${job.total} chunks${resumed ? ` (${resumed} from an earlier run)` : ''}, ${r.requests} requests, ${ms} ms`);
      void svc.reportSuccess();
      for (const i of r.issues) svc.log.warn(`${spec.name}, chunk ${i.chunk + 1}: ${i.messages.join('; ')}`);
      if (r.issues.length) {
        void vscode.window.showWarningMessage(vscode.l10n.t('{0} chunks of {1} may be imperfect (code, links or line breaks changed). Details are in the log.', r.issues.length, spec.name));
      }
      const doc = await showResult(svc, spec.key, r.text, spec.languageId);
      return { status: 'done', text: r.text, uri: doc.uri.toString(), requests: r.requests, done: job.doneCount, total: job.total, jobKey: spec.key };
    },
    partial: async (job) => {
      // The translated part, the rest still in the source language; Resume completes this editor.
      const partial = job.text();
      const doc = await showResult(svc, spec.key, partial, spec.languageId);
      svc.partialResults.set(spec.key, { doc, text: doc.getText() });
      return { uri: doc.uri.toString(), text: partial };
    },
    cannotStart: (e) => readFailure(svc, e, vscode.Uri.parse(spec.uri)),
  };
  return runResumableJob(svc, kind, state);
}
