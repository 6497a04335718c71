// The editor's side of the workspace search (`@workspace`): lists the files of every workspace
// folder with `workspace.findFiles` (which applies `files.exclude` itself) plus `search.exclude`
// (which findFiles does not apply) and what the root .gitignore certainly excludes, then applies
// every .gitignore and .git/info/exclude with the `ignore` rules (core/context/files). Reads files
// as the editor has them (an open editor's unsaved text wins). The index (core/context/
// workspaceIndex) is built lazily, on first use: chunking and BM25 on a worker thread
// (dist/contextWorker.js), the rest in slices on the extension host's thread; kept current by a
// file watcher and by edits; its size (and the worker's heap) reported in the Output channel. Embeddings
// are used when `ollamaAssistant.embeddings.model` names an installed model; their vectors are kept
// in the workspace's storage, one file per model.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Embedder } from '../../core/context/embed';
import { WorkerKeywordEngine } from '../../core/context/engineWorker';
import { enabledGlobs, excludeMatcher, IgnoreRules, joinGlobs, prunableGlobs, skippedByName } from '../../core/context/files';
import { TimeSlicer, yieldToEventLoop as giveWay } from '../../core/context/slicer';
import { vectorFileName, VectorStore } from '../../core/context/vectors';
import { byDepthThenPath, WorkspaceIndex, type IndexSource, type IndexStats, type SourceFile } from '../../core/context/workspaceIndex';
import { affects, contextSettings } from '../config';
import type { ExtensionContextOwner } from '../context';
import { backgroundText } from '../textFile';

/** The path people read: the editor's own relative path (the folder's name first in a multi-root
 * workspace); outside every folder, the file's name. */
export function workspacePath(uri: vscode.Uri): string {
  if (!vscode.workspace.getWorkspaceFolder(uri)) return uri.scheme === 'untitled' ? uri.path : path.posix.basename(uri.path);
  return vscode.workspace.asRelativePath(uri);
}

/** The .gitignore rules of each folder (by its URI) as of the last listing: a file the watcher
 * reports is checked against them before it is indexed. */
const lastRules = new Map<string, IgnoreRules>();
/** The files.exclude and search.exclude globs of each folder as of the last listing. */
const lastExcludes = new Map<string, (rel: string) => boolean>();

/** The vectors are written at most this often (ms). */
const SAVE_DELAY_MS = 30_000;


/** An unsaved edit reaches the index once typing has paused this long (ms): the whole text is
 * copied and chunked again per update, not per keystroke. */
const EDIT_DELAY_MS = 750;

/** Whether a file created or changed since the listing is left out by the .gitignore rules or
 * the names every workspace excludes (the glob settings are applied at the next listing). */
export function ignoredSinceListing(uri: vscode.Uri): boolean {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) return true;
  const rel = path.posix.relative(folder.uri.path, uri.path);
  if (!rel || rel.startsWith('..') || skippedByName(rel)) return true;
  if (rel.split('/').some((p) => p === '.git' || p === 'node_modules' || p === 'bower_components')) return true;
  const key = folder.uri.toString();
  return (lastExcludes.get(key)?.(rel) ?? false) || (lastRules.get(key)?.ignores(rel) ?? false);
}

/** The files of the workspace with the exclude settings, the .gitignore rules and the name rules
 * applied. The rules are matched in slices (tens of thousands of paths would hold the host). */
export async function listWorkspaceFiles(token?: vscode.CancellationToken): Promise<vscode.Uri[]> {
  const out: vscode.Uri[] = [];
  const slicer = new TimeSlicer();
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    // Filled first, then swapped in: the watcher checks new files against the last complete rules.
    const rules = new IgnoreRules();
    const globs = enabledGlobs(vscode.workspace.getConfiguration('search', folder.uri).get('exclude'));
    // findFiles applies files.exclude itself; the watcher's new files are checked against both.
    lastExcludes.set(folder.uri.toString(), excludeMatcher([...globs, ...enabledGlobs(vscode.workspace.getConfiguration('files', folder.uri).get('exclude'))]));
    const ignores = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/.gitignore'), joinGlobs(globs), 2000, token);
    for (const gi of ignores) {
      const dir = path.posix.dirname(path.posix.relative(folder.uri.path, gi.path));
      const text = await readUtf8(gi);
      if (text === undefined) continue;
      rules.add(dir === '.' ? '' : dir, text);
      if (dir === '.') globs.push(...prunableGlobs('', text));
    }
    const info = await readUtf8(vscode.Uri.joinPath(folder.uri, '.git', 'info', 'exclude'));
    if (info) rules.add('', info);
    lastRules.set(folder.uri.toString(), rules);
    const files = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/*'), joinGlobs(globs), undefined, token);
    slicer.resumed();
    for (const [i, uri] of files.entries()) {
      if (i % 128 === 127) await slicer.checkpoint();
      const rel = path.posix.relative(folder.uri.path, uri.path);
      if (!rel || rel.startsWith('..') || skippedByName(rel) || rules.ignores(rel)) continue;
      out.push(uri);
    }
  }
  return out;
}

async function readUtf8(uri: vscode.Uri): Promise<string | undefined> {
  try { return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)); } catch { return undefined; }
}

/** The index's source: the workspace's files, read as the editor has them. */
class EditorSource implements IndexSource {
  async list(signal: AbortSignal, maxFiles: number): Promise<SourceFile[]> {
    const cts = new vscode.CancellationTokenSource();
    const onAbort = () => cts.cancel();
    signal.addEventListener('abort', onAbort);
    try {
      // Only the files the cap keeps are stat'ed (the index orders them the same way).
      const listed = byDepthThenPath((await listWorkspaceFiles(cts.token)).map((u) => ({ u, path: workspacePath(u) })));
      const out: SourceFile[] = listed.slice(maxFiles).map(({ u, path: p }) => ({ key: u.toString(), path: p, size: 0, mtime: 0 }));
      const kept = listed.slice(0, maxFiles);
      // stat in small groups: thousands at once would flood the file system provider.
      for (let i = 0; i < kept.length; i += 64) {
        if (signal.aborted) throw signal.reason ?? new Error('aborted');
        const group = kept.slice(i, i + 64);
        const stats = await Promise.all(group.map(({ u }) => Promise.resolve(vscode.workspace.fs.stat(u)).catch(() => undefined)));
        group.forEach(({ u, path: p }, k) => {
          const st = stats[k];
          // A symbolic link is left out: a cloned repository's link may point anywhere on this
          // machine (~/.aws/credentials), and its text would reach the prompt or the embeddings.
          if (st && st.type & vscode.FileType.File && !(st.type & vscode.FileType.SymbolicLink)) out.push({ key: u.toString(), path: p, size: st.size, mtime: st.mtime });
        });
      }
      return out;
    } finally {
      signal.removeEventListener('abort', onAbort);
      cts.dispose();
    }
  }

  async read(f: SourceFile): Promise<string | undefined> {
    const uri = vscode.Uri.parse(f.key, true);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === f.key);
    if (open) return open.getText();
    return backgroundText(uri, await vscode.workspace.fs.readFile(uri));
  }
}

/** The workspace search: the index, its upkeep and its report. */
export class WorkspaceSearch implements vscode.Disposable {
  private index: WorkspaceIndex | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private capReported = false;
  private embeddingModel = '';

  constructor(private readonly ctx: ExtensionContextOwner) {
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => {
      if (affects(e, 'contextIndex') && this.index) { this.ctx.log.info('workspace index: settings changed; rebuilding'); this.rebuild(); }
      else if (affects(e, 'contextEmbeddings') && this.index) { this.ctx.log.info('workspace index: embedding model changed'); this.afterBuild(this.index, true, false); }
    }));
    this.disposables.push(ctx.onDidChangeClient(() => { if (this.index) this.afterBuild(this.index, true, false); }));
  }

  /** The index, built (or being built) on first use; never at activation. */
  get(): WorkspaceIndex {
    return this.index ?? this.create(false);
  }

  private create(announce: boolean): WorkspaceIndex {
    const s = contextSettings();
    const engine = new WorkerKeywordEngine({ script: vscode.Uri.joinPath(this.ctx.ext.extensionUri, 'dist', 'contextWorker.js').fsPath });
    const idx = new WorkspaceIndex(new EditorSource(), { limits: { maxFiles: s.maxFiles, maxFileBytes: s.maxFileBytes }, engine, log: (l) => this.ctx.log.info(l) });
    this.index = idx;
    this.watch(idx);
    this.afterBuild(idx, false, true, announce);
    return idx;
  }

  /** What follows a build (the report, then the embedding model set up, or dropped), in order; a
   * question waits for it, so it is answered with the embeddings the settings ask for. */
  private setupDone: Promise<void> = Promise.resolve();

  private afterBuild(idx: WorkspaceIndex, again: boolean, report = true, announce = false): void {
    const prev = this.setupDone;
    this.setupDone = (async () => {
      await prev;
      // A spinner in the status bar while the files are indexed (the build runs in the background).
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Indexing the workspace for @workspace') }, () => idx.ensureBuilt());
      const st = report ? await this.report(idx) : undefined;
      if (announce && st) {
        if (st.state === 'failed') void vscode.window.showErrorMessage(vscode.l10n.t('The workspace search index could not be built: {0}', st.error ?? ''));
        else void vscode.window.showInformationMessage(vscode.l10n.t('Workspace search index rebuilt: {0} files, {1} chunks.', st.files, st.chunks));
      }
      await this.setupEmbeddings(idx, again);
    })().catch((e: unknown) => this.ctx.log.warn(`workspace index: ${e instanceof Error ? e.message : String(e)}`));
  }

  /** The files of the workspace: those the index listed, when it is built and idle; else listed
   * now. */
  async listedFiles(token?: vscode.CancellationToken): Promise<vscode.Uri[]> {
    const idx = this.index;
    if (idx?.state === 'ready') return idx.files().map((f) => vscode.Uri.parse(f.key, true));
    return listWorkspaceFiles(token);
  }

  /** The index once it is ready (or failed), with its embeddings set up as the settings say. */
  async ready(): Promise<WorkspaceIndex> {
    const idx = this.get();
    // Cleared by the command: built again now, with its report and its embeddings.
    if (this.clearedIndex === idx) { this.clearedIndex = undefined; this.afterBuild(idx, true); }
    await idx.ensureBuilt();
    await this.setupDone;
    await idx.settled();
    return idx;
  }

  /** The sentence for a capped index (the chat shows it), once per build; undefined otherwise. */
  capNotice(): string | undefined {
    const st = this.index?.stats();
    if (!st?.capped || this.capReported) return undefined;
    this.capReported = true;
    return vscode.l10n.t('The workspace has {0} files; the search covers the {1} nearest the root (setting ollamaAssistant.context.maxFiles).', st.listed, st.maxFiles);
  }

  private watch(idx: WorkspaceIndex): void {
    const w = vscode.workspace.createFileSystemWatcher('**/*');
    const changed = async (uri: vscode.Uri) => {
      if (uri.path.endsWith('/.gitignore')) { this.rebuild(); return; }
      // A file the index has is kept current; a new one only when the rules let it in.
      if (!idx.knows(uri.toString()) && ignoredSinceListing(uri)) return;
      const rel = workspacePath(uri);
      try {
        const st = await vscode.workspace.fs.stat(uri);
        if (st.type & vscode.FileType.SymbolicLink) return; // see EditorSource.list
        if (st.type & vscode.FileType.File) idx.update({ key: uri.toString(), path: rel, size: st.size, mtime: st.mtime });
        // A new directory: files written into it before the watcher watched it raise no event of
        // their own (inotify adds the directory's watch after it exists), so they are listed here.
        else if (st.type & vscode.FileType.Directory) {
          for (const f of await vscode.workspace.findFiles(new vscode.RelativePattern(uri, '**/*'), undefined, 1000)) {
            if (!idx.knows(f.toString()) && !ignoredSinceListing(f)) await changed(f);
          }
        }
      } catch { idx.remove(uri.toString()); }
    };
    this.disposables.push(w, w.onDidCreate((u) => void changed(u)), w.onDidChange((u) => void changed(u)), w.onDidDelete((u) => idx.remove(u.toString())));
    // Unsaved edits of indexed files count once typing pauses (EDIT_DELAY_MS; the latest text wins).
    const timers = new Map<string, ReturnType<typeof setTimeout>>();
    // Files whose unsaved text the index holds: closed without saving, they go back to the disk's.
    const unsaved = new Set<string>();
    this.disposables.push(vscode.workspace.onDidCloseTextDocument((d) => {
      const key = d.uri.toString();
      clearTimeout(timers.get(key));
      timers.delete(key);
      const f = idx.file(key);
      if (unsaved.delete(key) && f) idx.update(f);
    }));
    this.disposables.push(vscode.workspace.onDidSaveTextDocument((d) => { unsaved.delete(d.uri.toString()); }));
    this.disposables.push({ dispose: () => { for (const t of timers.values()) clearTimeout(t); timers.clear(); } });
    this.disposables.push(vscode.workspace.onDidChangeTextDocument((e) => {
      const key = e.document.uri.toString();
      if (!e.contentChanges.length || !idx.file(key)) return;
      clearTimeout(timers.get(key));
      timers.set(key, setTimeout(() => {
        timers.delete(key);
        const f = idx.file(key);
        if (f && !e.document.isClosed) { idx.update(f, e.document.getText()); unsaved.add(key); }
      }, EDIT_DELAY_MS));
    }));
  }

  /** Embeddings when a model is set and installed; else keyword search only (said once in the log). */
  private async setupEmbeddings(idx: WorkspaceIndex, again: boolean): Promise<void> {
    const model = contextSettings().embeddingsModel;
    if (!model) { idx.setEmbeddings(undefined); this.embeddingModel = ''; return; }
    if (model === this.embeddingModel && !again) return;
    this.embeddingModel = model;
    const client = await this.ctx.ollama().catch(() => undefined);
    if (!client) { this.ctx.log.info('workspace index: embeddings need the native Ollama API; keyword search only'); idx.setEmbeddings(undefined); return; }
    const dir = this.storageDir();
    const file = vscode.Uri.joinPath(dir, vectorFileName(model));
    // The vectors in memory when the model is the same (a rebuild, a new client); else the file.
    let stored = this.lastStore?.model === model ? this.lastStore : undefined;
    if (!stored) {
      try { stored = await VectorStore.deserialize(await vscode.workspace.fs.readFile(file), model, undefined, giveWay); } catch { stored = undefined; }
    }
    idx.setEmbeddings({
      embedder: new Embedder(client, model, { batchSize: 16 }),
      ...(stored ? { stored } : {}),
      save: async (s) => { this.lastStore = s; this.scheduleSave({ store: s, dir, file }); },
    });
  }

  /** The index the Clear command emptied, until it is used again. */
  private clearedIndex: WorkspaceIndex | undefined;

  /** The vectors of the last embedding pass (kept across rebuilds: they are keyed by content). */
  private lastStore: VectorStore | undefined;
  private pendingSave: { store: VectorStore; dir: vscode.Uri; file: vscode.Uri } | undefined;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  /** Writes the vectors at most once per SAVE_DELAY_MS (a save after every file save would rewrite
   * tens of MB each time); what a crash loses is embedded again next time. */
  private scheduleSave(p: { store: VectorStore; dir: vscode.Uri; file: vscode.Uri }): void {
    this.pendingSave = p;
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => { this.saveTimer = undefined; void this.flushSave(); }, SAVE_DELAY_MS);
    this.saveTimer.unref?.();
  }

  private async flushSave(): Promise<void> {
    const p = this.pendingSave;
    this.pendingSave = undefined;
    if (!p) return;
    try {
      const bytes = await p.store.serialize(giveWay);
      await vscode.workspace.fs.createDirectory(p.dir);
      await vscode.workspace.fs.writeFile(p.file, bytes);
    } catch (e) {
      this.ctx.log.warn(`workspace index: the vectors could not be saved: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private storageDir(): vscode.Uri {
    return vscode.Uri.joinPath(this.ctx.ext.storageUri ?? this.ctx.ext.globalStorageUri, 'workspace-index');
  }

  /** The size of the index in the Output channel (the engine is asked for its heap first). */
  async report(idx: WorkspaceIndex = this.get()): Promise<IndexStats> {
    await idx.engineStats();
    const st = idx.stats();
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const heap = process.memoryUsage().heapUsed;
    const engine = st.engineHeapBytes !== undefined ? `; ${st.worker ? 'index worker' : 'index'} heap ${mb(st.engineHeapBytes)} MB` : '';
    this.ctx.log.info(`workspace index: ${st.state}; ${st.files} files (${st.listed} listed, ${st.capped} over the cap of ${st.maxFiles}), ${st.chunks} chunks, ${st.terms} terms, ${mb(st.textChars)} M characters of text; skipped ${JSON.stringify(st.skipped)}; longest block on the extension host ${st.longestBlockMs.toFixed(1)} ms; extension host heap ${mb(heap)} MB${engine}`
      + (st.embeddings ? `; embeddings ${st.embeddings.model}: ${st.embeddings.embedded} vectors (${mb(st.embeddings.bytes)} MB), ${st.embeddings.pending} pending${st.embeddings.refused ? `, ${st.embeddings.refused} refused by the model` : ''}${st.embeddings.error ? `, stopped: ${st.embeddings.error}` : ''}` : ''));
    if (st.capped) this.ctx.log.warn(`workspace index: ${st.capped} files left out (ollamaAssistant.context.maxFiles = ${st.maxFiles})`);
    return st;
  }

  /** Lists the files again and indexes them; reports (`announce`: the command, which also says so
   * when done). */
  rebuild(announce = false): void {
    const idx = this.index;
    if (!idx) { this.create(announce); return; }
    this.capReported = false;
    this.clearedIndex = undefined;
    const s = contextSettings();
    idx.limits = { maxFiles: s.maxFiles, maxFileBytes: s.maxFileBytes };
    this.lastStore = idx.vectors ?? this.lastStore;
    idx.clear();
    this.embeddingModel = '';
    this.afterBuild(idx, true, true, announce);
  }

  /** The command: forgets the index and deletes the stored vectors. */
  async clear(): Promise<void> {
    this.index?.clear();
    this.index?.setEmbeddings(undefined);
    this.clearedIndex = this.index;
    this.embeddingModel = '';
    this.lastStore = undefined;
    this.pendingSave = undefined;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    try { await vscode.workspace.fs.delete(this.storageDir(), { recursive: true }); } catch { /* none stored */ }
    this.ctx.log.info('workspace index: cleared (and its stored vectors deleted); it is built again on the next @workspace');
    void vscode.window.showInformationMessage(vscode.l10n.t('The workspace search index and its stored vectors were deleted; the index is built again on the next @workspace.'));
  }

  dispose(): void {
    clearTimeout(this.saveTimer);
    void this.flushSave();
    this.index?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
