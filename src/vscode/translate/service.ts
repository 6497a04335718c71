// What the translation commands share: the model adapter, the one cache for the extension's
// lifetime, the preview documents, interrupted jobs, progress notifications, and how a translation
// that stopped is told (the error presenter's sentence and remedies, with Resume when work was kept).
import * as vscode from 'vscode';
import { isCancel } from '../../core/common/cancel';
import { AbortError } from '../../core/http/errors';
import {
  mergeGlossaries, parseGlossaryFile, parseMemory, serializeMemory, TranslationCache, TranslationTruncatedError, UnsupportedInputError,
  type Glossary, type TranslateFn, type TranslateRequest,
} from '../../core/translate';
import { abortOn } from '../cancel';
import { generationDefaults, translationSettings, type OutputMode } from '../config';
import type { ExtensionContextOwner } from '../context';
import { presentError, showWithRemedies, type ExtraButton } from '../errors';
import type { ConnectionMonitor } from '../status';
import { chatTranslateFn } from '../../core/translate/chatTranslate';
import { TranslationPreviews } from './preview';
import { JobStore } from './store';
import { COMMAND, SETTING, WORKSPACE_FILE } from '../ids';

/** The translation memory's file in the extension's global storage. */
const MEMORY_FILE = 'translation-memory.json';
/** A new entry is written to disk this long after the last one (one write per burst). */
const MEMORY_SAVE_DELAY_MS = 2000;

export type FailureKind = 'cancelled' | 'model-missing' | 'unreachable' | 'unsupported' | 'truncated' | 'error';

/** What a translation command did; commands return it (tests and other commands read it). */
export interface TranslationOutcome {
  status: 'done' | 'partial' | 'cancelled' | 'failed' | 'empty' | 'unsupported' | 'nothing';
  reason?: FailureKind;
  mode?: OutputMode;
  /** The translation (selection, document), as far as it got. */
  text?: string;
  /** The preview, the untitled result document, or the translated subtitle file. */
  uri?: string;
  requests?: number;
  done?: number;
  total?: number;
  failedCues?: string[];
  jobKey?: string;
  message?: string;
}

/** Where a job stopped, for the message that offers Resume. */
export interface Interrupted {
  subject: string;
  /** Localised "3 of 10 chunks". */
  progress: string;
  resume: () => unknown;
}

export class TranslationService implements vscode.Disposable {
  /** One cache for the extension's lifetime; keys include the model, target and glossary. With
   * `translation.memory` on it is also the translation memory, saved in global storage. */
  readonly cache = new TranslationCache({ onSet: () => this.scheduleSave() });
  private memoryLoad: Promise<void> | undefined;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private saving: Promise<void> = Promise.resolve();
  /** Workspace glossary files read, by folder, with the files' modification times then. */
  private readonly glossaryFiles = new Map<string, { stamp: string; entries: Promise<Record<string, string>> }>();
  readonly previews = new TranslationPreviews();
  readonly jobs: JobStore;
  /** Keys of jobs running now (a second run of the same job is refused). */
  readonly running = new Set<string>();
  /** Untitled documents showing a job's partial result, by job key: Resume completes the same one. */
  readonly partialResults = new Map<string, { doc: vscode.TextDocument; text: string }>();

  constructor(readonly ctx: ExtensionContextOwner, readonly monitor: ConnectionMonitor) {
    this.jobs = new JobStore(ctx.ext.workspaceState);
  }

  /** Where the translation memory is saved. */
  get memoryUri(): vscode.Uri { return vscode.Uri.joinPath(this.ctx.ext.globalStorageUri, MEMORY_FILE); }

  /**
   * Loads the translation memory from disk the first time a translation needs it (never at
   * activation). Resolves when the cache holds it; a missing or damaged file is an empty memory.
   */
  memoryReady(): Promise<void> {
    this.memoryLoad ??= (async () => {
      if (!translationSettings().memory) return;
      try {
        const bytes = await vscode.workspace.fs.readFile(this.memoryUri);
        const entries = parseMemory(new TextDecoder().decode(bytes));
        this.cache.load(entries);
        this.log.info(`translation memory: ${entries.length} entries loaded`);
      } catch (e) {
        if (!(e instanceof vscode.FileSystemError && e.code === 'FileNotFound')) this.log.warn(`translation memory not read: ${e instanceof Error ? e.message : String(e)}`);
      }
    })();
    return this.memoryLoad;
  }

  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => { this.saveTimer = undefined; void this.saveMemory(); }, MEMORY_SAVE_DELAY_MS);
  }

  /** Writes the memory now (when `translation.memory` is on); resolves when it is on disk. */
  saveMemory(): Promise<void> {
    if (this.saveTimer) { clearTimeout(this.saveTimer); this.saveTimer = undefined; }
    this.saving = this.saving.then(async () => {
      if (!translationSettings().memory) return;
      try {
        await this.memoryReady();
        await vscode.workspace.fs.createDirectory(this.ctx.ext.globalStorageUri);
        await vscode.workspace.fs.writeFile(this.memoryUri, new TextEncoder().encode(serializeMemory(this.cache)));
      } catch (e) {
        this.log.warn(`translation memory not saved: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    return this.saving;
  }

  /** Empties the memory (in this window and on disk). */
  async clearMemory(): Promise<void> {
    await this.memoryReady();
    this.cache.clear();
    if (this.saveTimer) { clearTimeout(this.saveTimer); this.saveTimer = undefined; }
    await this.saving;
    try { await vscode.workspace.fs.delete(this.memoryUri); } catch { /* none yet */ }
  }

  /**
   * The glossary for a translation of `uri`: the user's `translation.glossary` setting plus the
   * terms of the workspace folder's `.vscode/translation-glossary.json` (or `.csv`), the setting
   * winning on a term both have. A file that cannot be read adds nothing (the log says why).
   */
  async glossary(uri?: vscode.Uri): Promise<Glossary> {
    const user = translationSettings().glossary;
    const folder = (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? (vscode.workspace.workspaceFolders?.length === 1 ? vscode.workspace.workspaceFolders[0] : undefined);
    if (!folder) return user;
    // Edits to a glossary file take effect on the next translation: two stats tell whether it changed.
    const key = folder.uri.toString();
    const stamps = await Promise.all([WORKSPACE_FILE.glossaryJson, WORKSPACE_FILE.glossaryCsv].map(async (rel) => {
      try { const st = await vscode.workspace.fs.stat(vscode.Uri.joinPath(folder.uri, rel)); return `${st.mtime}:${st.size}`; } catch { return '-'; }
    }));
    const stamp = stamps.join('|');
    let hit = this.glossaryFiles.get(key);
    if (!hit || hit.stamp !== stamp) {
      hit = { stamp, entries: stamp === '-|-' ? Promise.resolve({}) : this.readGlossaryFile(folder.uri) };
      this.glossaryFiles.set(key, hit);
    }
    return mergeGlossaries(user, await hit.entries);
  }

  private async readGlossaryFile(folder: vscode.Uri): Promise<Record<string, string>> {
    for (const [rel, kind] of [[WORKSPACE_FILE.glossaryJson, 'json'], [WORKSPACE_FILE.glossaryCsv, 'csv']] as const) {
      const uri = vscode.Uri.joinPath(folder, rel);
      let text: string;
      try { text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)); } catch { continue; }
      try {
        const r = parseGlossaryFile(text, kind);
        for (const s of r.skipped.slice(0, 20)) this.log.warn(`${rel}: ${s}`);
        this.log.info(`${rel}: ${Object.keys(r.entries).length} glossary terms`);
        return r.entries;
      } catch (e) {
        this.log.warn(`${rel} is not used: ${e instanceof Error ? e.message : String(e)}`);
        return {};
      }
    }
    return {};
  }

  get log(): vscode.LogOutputChannel { return this.ctx.log; }

  /** The core's TranslateFn over the configured backend, with the options every feature shares. */
  translateFn(model: string, onText?: (req: TranslateRequest, soFar: string) => void, lane?: 'interactive' | 'batch'): TranslateFn {
    const { options, keepAlive } = generationDefaults();
    return chatTranslateFn(() => this.ctx.llm(), {
      model, options, keepAlive, onText, ...(lane ? { lane } : {}),
      onTruncated: () => this.log.warn(`translation with ${model} stopped at the length limit (num_predict / num_ctx): the cut-off answer is not used`),
    });
  }

  async endpointUrl(): Promise<string> {
    try { return (await this.ctx.endpoint()).url; } catch { return ''; }
  }

  async reportSuccess(): Promise<void> {
    const url = await this.endpointUrl();
    if (url) this.monitor.reportSuccess(url);
  }

  /** False (and a message with a button to the setting) when no translation model is set. */
  requireModel(model: string): boolean {
    if (model) return true;
    showWithRemedies(vscode.l10n.t('No translation model is set. Choose one in the setting ollamaAssistant.translation.model.'), [{ kind: 'openSetting', key: SETTING.translationModel }], {
      extra: [{ label: vscode.l10n.t('Choose Model…'), run: () => vscode.commands.executeCommand(COMMAND.translateChooseModel) }],
    });
    return false;
  }

  /** Runs a job under a cancellable progress notification; `report` takes done/total and a message. */
  withProgress<T>(title: string, run: (report: (done: number, total: number, message: string) => void, signal: AbortSignal) => Promise<T>): Promise<T> {
    return Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const abort = abortOn([token], { reason: () => new AbortError('Translation cancelled') });
      let pct = 0;
      const report = (done: number, total: number, message: string): void => {
        const next = total > 0 ? Math.floor((done / total) * 100) : 0;
        progress.report({ increment: Math.max(0, next - pct), message: `${message} (${next}%)` });
        pct = Math.max(pct, next);
      };
      try { return await run(report, abort.signal); } finally { abort.dispose(); }
    }));
  }

  /**
   * Tells the user why a translation stopped and returns what kind of stop it was. Unreachable
   * servers are announced once by the connection monitor; a missing model offers Pull; a job that
   * kept finished work offers Resume.
   */
  async reportFailure(e: unknown, o: { model: string; subject: string; interrupted?: Interrupted }): Promise<FailureKind> {
    // A job that kept finished work offers Resume after the remedies.
    const resume: ExtraButton[] = o.interrupted ? [{ label: vscode.l10n.t('Resume'), run: () => o.interrupted?.resume() }] : [];
    if (isCancel(e)) {
      this.log.info(`translation of ${o.subject} cancelled${o.interrupted ? ` after ${o.interrupted.progress}` : ''}`);
      if (o.interrupted) {
        showWithRemedies(vscode.l10n.t('Translation of {0} cancelled after {1}. The progress is saved: Resume continues from there.', o.subject, o.interrupted.progress), [], { severity: 'info', extra: resume });
      } else {
        void vscode.window.showInformationMessage(vscode.l10n.t('Translation cancelled.'));
      }
      return 'cancelled';
    }
    if (e instanceof UnsupportedInputError) {
      this.log.warn(`${o.subject}: ${e.message}`);
      void vscode.window.showErrorMessage(unsupportedMessage(e, o.subject));
      return 'unsupported';
    }
    if (e instanceof TranslationTruncatedError) {
      // The cut-off answer was not used (nor cached): say why, and what to change.
      this.log.warn(`${o.subject}: ${e.message}`);
      const advice = vscode.l10n.t('Raise num_predict in the setting ollamaAssistant.options, or lower ollamaAssistant.translation.chunkChars for smaller chunks.');
      const message = o.interrupted
        ? vscode.l10n.t('Translation of {0} stopped after {1}: the model stopped at its length limit, so the cut-off part was not used. {2} The progress is saved: Resume continues from there.', o.subject, o.interrupted.progress, advice)
        : vscode.l10n.t('The translation of {0} was cut short: the model stopped at its length limit, so nothing was changed. {1}', o.subject, advice);
      showWithRemedies(message, [{ kind: 'openSetting', key: SETTING.options }], { severity: 'warning', extra: resume });
      return 'truncated';
    }
    const url = await this.endpointUrl();
    this.log.error(`translation of ${o.subject} failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    const p = presentError(e, { url, model: o.model });
    if (p.kind === 'modelMissing') {
      const model = p.model ?? o.model;
      // Pull (the message itself says "or choose another model"), then Resume.
      const choose: ExtraButton = { label: vscode.l10n.t('Choose Model…'), run: () => vscode.commands.executeCommand(COMMAND.translateChooseModel) };
      showWithRemedies(vscode.l10n.t('Model {0} is not installed on {1}. Pull it, or choose another model for translation.', model, url), p.remedies.filter((r) => r.kind === 'pull'), {
        extra: [choose, ...resume],
        onError: (err) => this.log.error(`cannot start the pull of ${model}: ${String(err)}`),
      });
      return 'model-missing';
    }
    if (this.monitor.reportError(e, url)) {
      if (o.interrupted) showWithRemedies(vscode.l10n.t('Translation of {0} stopped after {1} because the server cannot be reached. The progress is saved: Resume continues from there.', o.subject, o.interrupted.progress), [], { severity: 'warning', extra: resume });
      return 'unreachable';
    }
    const why = p.message;
    showWithRemedies(o.interrupted
      ? vscode.l10n.t('Translation of {0} stopped after {1}: {2} The progress is saved: Resume continues from there.', o.subject, o.interrupted.progress, why)
      : vscode.l10n.t('Translation of {0} failed: {1}', o.subject, why), [], { extra: resume });
    return 'error';
  }

  dispose(): void {
    if (this.saveTimer) void this.saveMemory();
    this.previews.dispose();
    this.partialResults.clear();
  }
}

export function unsupportedMessage(e: UnsupportedInputError, subject: string): string {
  return e.reason === 'not-utf8'
    ? vscode.l10n.t('{0} is not UTF-8, and no encoding was chosen for it. Nothing was changed.', subject)
    : vscode.l10n.t('{0} looks like a binary file; only text can be translated. Nothing was changed.', subject);
}

/** The last path segment of a URI, for messages. */
export function displayName(uri: vscode.Uri): string {
  const p = uri.path.split('/');
  return p[p.length - 1] || uri.toString();
}
