// Translate Folder…: every file under a folder matching `translation.folderGlob` (subtitles and
// Markdown) through the core FolderJob, with one cancellable progress notification (files, cues or
// chunks, ETA), requests of all files sharing `translation.parallelRequests`. The job's state is
// saved in workspaceState as it goes, so running the command again on the same folder (after a
// cancel, a failure, a crash or a window reload) continues: finished files are not read again, the
// file in progress continues from its last saved batch, files whose translation exists are
// skipped. At the end a summary (log + notification) links to every result and every failure.
import * as vscode from 'vscode';
import { isCancel } from '../../core/common/cancel';
import {
  decodeText, encodeText, FolderJob, folderFileKind,
  type FolderFile, type FolderFileResult, type FolderIo, type FolderJobState, type FolderProgress,
} from '../../core/translate';
import { languageTag } from '../../core/translate/langTag';
import { translationSettings } from '../config';
import { COMMAND, STORAGE_KEY } from '../ids';
import { displayName, type TranslationOutcome, type TranslationService } from './service';
import { strictAvailable } from './subtitles';

/** At most this many files are considered in one folder run. */
const MAX_FILES = 5000;
const EXCLUDE = '**/{node_modules,.git}/**';

/** What Translate Folder returns (tests and other commands read it). */
export interface FolderOutcome extends TranslationOutcome {
  files?: Array<{ name: string; status: FolderFileResult['status']; output?: string; reason?: string }>;
  /** Files already settled by an earlier, interrupted run of the same job. */
  resumed?: number;
}

/** The folders with an interrupted run (for Resume Translation), newest first is not known: by name. */
export function interruptedFolders(svc: TranslationService): Array<{ folder: vscode.Uri; target: string; done: number; total: number }> {
  return Object.entries(allStates(svc)).map(([key, st]) => {
    const files = Object.values(st.files);
    return { folder: vscode.Uri.parse(key.slice(0, key.lastIndexOf('|'))), target: st.target, done: files.filter((f) => f.status !== 'partial').length, total: files.length };
  });
}

function stateKey(folder: vscode.Uri, target: string): string {
  return `${folder.toString()}|${languageTag(target)}`;
}

function allStates(svc: TranslationService): Record<string, FolderJobState> {
  return svc.ctx.ext.workspaceState.get<Record<string, FolderJobState>>(STORAGE_KEY.translationFolderJobs) ?? {};
}

async function putState(svc: TranslationService, key: string, st: FolderJobState | undefined): Promise<void> {
  const all = { ...allStates(svc) };
  if (st) all[key] = st; else delete all[key];
  await svc.ctx.ext.workspaceState.update(STORAGE_KEY.translationFolderJobs, all);
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try { await vscode.workspace.fs.stat(uri); return true; } catch { return false; }
}

function formatEta(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The file system of a folder job: decoded text in (UTF-8/UTF-16 with BOM; other encodings fail
 * that file), UTF-8 out (a BOM when the input had one). */
function folderIo(): FolderIo {
  return {
    read: async (f) => decodeText(await vscode.workspace.fs.readFile(vscode.Uri.parse(f.key)), f.name).text,
    write: async (_f, output, text) => { await vscode.workspace.fs.writeFile(vscode.Uri.parse(output), encodeText(text, 'utf8')); },
    outputKey: (f, outputName) => vscode.Uri.joinPath(vscode.Uri.parse(f.key), '..', outputName).toString(),
    exists: (output) => exists(vscode.Uri.parse(output)),
  };
}

export async function translateFolderCommand(svc: TranslationService, arg?: vscode.Uri): Promise<FolderOutcome> {
  const folder = arg ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: vscode.l10n.t('Translate Folder') }))?.[0];
  if (!folder) return { status: 'nothing' };
  const s = translationSettings();
  if (!svc.requireModel(s.model)) return { status: 'failed', reason: 'error' };
  const found = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, s.folderGlob), EXCLUDE, MAX_FILES);
  const base = folder.path.endsWith('/') ? folder.path : `${folder.path}/`;
  const files: FolderFile[] = found
    .map((u) => ({ key: u.toString(), name: u.path.startsWith(base) ? u.path.slice(base.length) : displayName(u) }))
    .filter((f) => folderFileKind(f.name))
    .sort((a, b) => a.name.localeCompare(b.name));
  const name = displayName(folder);
  const key = stateKey(folder, s.target);
  const saved = allStates(svc)[key];
  await svc.memoryReady();
  const job = new FolderJob(files, folderIo(), {
    target: s.target, model: s.model, glossary: await svc.glossary(folder), cache: svc.cache, chunkChars: s.chunkChars,
    subtitles: {
      batchSize: s.subtitleBatchSize, bilingual: s.bilingualSubtitles, contextCues: 3,
      sceneGapMs: s.sceneGapMs, sceneBatches: s.sceneGapMs > 0, strict: s.strictSubtitles && await strictAvailable(svc),
      onStrictUnsupported: (why) => svc.log.warn(`${name}: strict subtitle batches not supported (${why}); the numbered text format is used`),
    },
  }, saved);
  if (job.inputs.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no files matching {1} to translate.', name, s.folderGlob));
    return { status: 'nothing', files: [] };
  }
  const resumed = job.settled;
  if (svc.running.has(key)) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} is already being translated.', name));
    return { status: 'nothing' };
  }
  svc.running.add(key);
  let saving = Promise.resolve();
  const save = (st: FolderJobState): void => { saving = saving.then(() => putState(svc, key, st)); };
  const t0 = Date.now();
  try {
    const r = await svc.withProgress(vscode.l10n.t('Translating folder {0} into {1}', name, s.target), (report, signal) => {
      const tell = (p: FolderProgress): void => {
        const parts = [vscode.l10n.t('{0} of {1} files', p.filesDone, p.filesTotal), vscode.l10n.t('{0} of {1} cues or chunks', p.unitsDone, p.unitsTotal)];
        if (p.etaMs !== undefined) parts.push(vscode.l10n.t('about {0} left', formatEta(p.etaMs)));
        report(p.unitsDone, p.unitsTotal, parts.join(' · '));
      };
      return job.run(svc.translateFn(s.model, undefined, 'batch'), { concurrency: s.parallelRequests, signal, onProgress: tell, onState: save });
    });
    await saving;
    await putState(svc, key, undefined);
    const list = r.files.map((f) => ({ name: f.file.name, status: f.status, ...(f.output ? { output: f.output } : {}), ...(f.reason ? { reason: f.reason } : {}) }));
    const failed = r.files.filter((f) => f.status === 'failed');
    const done = r.files.filter((f) => f.status === 'done').length;
    const skipped = r.files.filter((f) => f.status === 'skipped').length;
    svc.log.info(`translated folder ${folder.toString()} into ${s.target} with ${s.model}: ${done} done, ${skipped} skipped, ${failed.length} failed, ${r.requests} requests, ${Date.now() - t0} ms${resumed ? ` (${resumed} files from the interrupted run)` : ''}`);
    for (const f of r.files) svc.log.info(`  ${f.status}: ${f.file.key}${f.output ? ` -> ${f.output}` : ''}${f.reason ? ` (${f.reason})` : ''}`);
    void svc.reportSuccess();
    void showSummary(svc, name, r.files, failed.length);
    return { status: failed.length ? 'partial' : 'done', requests: r.requests, done, total: r.files.length, files: list, resumed };
  } catch (e) {
    await saving;
    const st = job.state;
    const kept = job.settled;
    await putState(svc, key, st);
    const reason = await svc.reportFailure(e, {
      model: s.model, subject: name,
      interrupted: { subject: name, progress: vscode.l10n.t('{0} of {1} files', kept, job.inputs.length), resume: () => vscode.commands.executeCommand(COMMAND.translateFolder, folder) },
    });
    return { status: kept > 0 ? 'partial' : isCancel(e) ? 'cancelled' : 'failed', reason, done: kept, total: job.inputs.length, resumed };
  } finally {
    svc.running.delete(key);
  }
}

/** The end of a folder run: a notification whose buttons list the results and the failures (each
 * item opens its file). */
async function showSummary(svc: TranslationService, name: string, files: FolderFileResult[], failed: number): Promise<void> {
  const done = files.filter((f) => f.status === 'done').length;
  const skipped = files.filter((f) => f.status === 'skipped').length;
  const results = vscode.l10n.t('Open Results…');
  const failures = vscode.l10n.t('Show Failures…');
  const message = vscode.l10n.t('Folder {0}: {1} files translated, {2} skipped (translation exists), {3} failed.', name, done, skipped, failed);
  const pick = failed
    ? await vscode.window.showWarningMessage(message, results, failures)
    : await vscode.window.showInformationMessage(message, results);
  if (!pick) return;
  const list = pick === results ? files.filter((f) => f.output) : files.filter((f) => f.status === 'failed');
  const item = await vscode.window.showQuickPick(list.map((f) => ({
    label: f.output ? displayName(vscode.Uri.parse(f.output)) : f.file.name,
    description: f.status === 'failed' ? f.reason : f.file.name,
    uri: vscode.Uri.parse(f.output ?? f.file.key),
  })), { placeHolder: pick === results ? vscode.l10n.t('Open a translated file') : vscode.l10n.t('Open a file that failed') });
  if (item) {
    try { await vscode.window.showTextDocument(item.uri); } catch (e) { svc.log.warn(`cannot open ${item.uri.toString()}: ${String(e)}`); }
  }
}
