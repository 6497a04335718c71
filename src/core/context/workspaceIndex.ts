// The workspace index behind `@workspace`: the files a source lists (the editor side applies
// .gitignore, files.exclude and search.exclude), read, chunked at natural boundaries and put into
// the keyword index; then, when an embedding model is set, each chunk embedded once (vectors kept by
// content hash, so only new or changed chunks cost a request). Built in the background in slices
// (TimeSlicer: the host's event loop is given back every few milliseconds), kept current file by
// file, bounded by a file count and a per-file size, and searched by keyword, by embedding, or by
// both fused (Reciprocal Rank Fusion). Chunking and the BM25 index live in a KeywordEngine (in the
// extension, on a worker thread: engineWorker.ts); this class keeps a copy of the chunk records
// (file, lines, tokens, hash; no text) so results and embedding keys resolve without asking it.
// Pure of `vscode`: the bench drives it over plain files.
import { isCancel } from '../common/cancel';
import type { Embedder } from './embed';
import type { IndexedFile, KeywordEngine } from './engine';
import { ChunkTable } from './chunkTable';
import type { ChunkMeta } from './keywordIndex';
import { fuseRanks } from './rank';
import { TimeSlicer } from './slicer';
import { queryTerms } from './tokenize';
import { dot, VectorStore } from './vectors';

/** A file the source lists. */
export interface SourceFile {
  /** Stable identity (the URI as a string). */
  key: string;
  /** What people and the model read: workspace-relative, POSIX ("src/a.ts"; in a multi-root
   * workspace the folder's name first). */
  path: string;
  /** Bytes. */
  size: number;
  /** Last modification (ms since the epoch); with size, how a rescan tells a changed file. */
  mtime: number;
}

/** Where the files come from (the editor: findFiles and the rules; the bench: a directory). */
export interface IndexSource {
  /** Every file that may be indexed (ignore rules and excludes applied), in any order. Only the
   * first `maxFiles` in byDepthThenPath order are indexed: a source may leave the size and mtime
   * of the others 0 (not stat them). */
  list(signal: AbortSignal, maxFiles: number): Promise<SourceFile[]>;
  /** The file's text now (an open editor's unsaved text wins), or undefined when it is not text
   * (binary, an encoding that cannot be told) or cannot be read. */
  read(file: SourceFile, signal: AbortSignal): Promise<string | undefined>;
}

export interface IndexLimits {
  /** Files indexed at most; beyond it the shallowest paths are kept and the rest reported. */
  maxFiles: number;
  /** Larger files are left out. */
  maxFileBytes: number;
}

export type IndexState = 'empty' | 'building' | 'ready' | 'failed';

export interface SkipCounts { tooLarge: number; unreadable: number; generated: number; empty: number }

export interface EmbeddingStats {
  model: string;
  dims?: number;
  /** Chunks with a vector. */
  embedded: number;
  /** Chunks still waiting for one. */
  pending: number;
  /** Chunks the model could not embed (not asked again for this model). */
  refused: number;
  /** Bytes of vectors held. */
  bytes: number;
  /** Why embedding stopped (a missing model, the server away), if it did. */
  error?: string;
  running: boolean;
}

export interface IndexStats {
  state: IndexState;
  files: number;
  chunks: number;
  /** Characters of indexed text. */
  textChars: number;
  terms: number;
  /** Files listed (before the cap) and how many are indexed at most. */
  listed: number;
  maxFiles: number;
  /** Files left out because of the cap. */
  capped: number;
  skipped: SkipCounts;
  /** Progress of the running build. */
  done: number;
  total: number;
  /** The last full build (ms), and the longest slice of work between two yields on this thread (ms). */
  buildMs?: number;
  longestBlockMs: number;
  /** Whether chunking and BM25 run on a worker thread (known once the engine was asked: engineStats()). */
  worker?: boolean;
  /** Bytes of heap the keyword engine's thread uses (when last asked: engineStats()). */
  engineHeapBytes?: number;
  embeddings?: EmbeddingStats;
  error?: string;
}

/** One result: where it is, and how it ranked. */
export interface SearchHit {
  file: string;
  path: string;
  startLine: number;
  endLine: number;
  tokens: number;
  /** The fused score (RRF), or the BM25 score when only keywords ranked. */
  score: number;
  /** 1-based ranks in the keyword and embedding lists, when the chunk was in them. */
  keywordRank?: number;
  vectorRank?: number;
}

export interface SearchOptions {
  /** Results at most. Default 8. */
  limit?: number;
  /** Chunks of one file at most. Default 2. */
  perFile?: number;
  /** Use embeddings when they are set up (default true). */
  vectors?: boolean;
  signal?: AbortSignal;
}

/** What the index needs to embed. */
export interface EmbeddingsSetup {
  embedder: Embedder;
  /** Vectors read back from an earlier session (checked against the model's dimension at the
   * first response), if any. */
  stored?: VectorStore;
  /** Writes the vectors (called after a pass, and every `saveEvery` batches). */
  save?(store: VectorStore): Promise<void>;
  /** Texts sent per embedding pass step (several requests). Default 64. */
  stepTexts?: number;
}

export interface WorkspaceIndexOptions {
  limits: IndexLimits;
  /** Where chunking and BM25 run: a WorkerKeywordEngine (the extension), or a LocalKeywordEngine
   * on this thread (give it this index's `slicer` so its slices are counted with ours). Required,
   * so the extension's bundle does not carry the in-thread engine (MiniSearch, the chunker). */
  engine: KeywordEngine;
  slicer?: TimeSlicer;
  /** Files read at once. Default 8. */
  readConcurrency?: number;
  log?: (line: string) => void;
  now?: () => number;
}

/** `files` ordered so that a cap keeps the files nearest the root (sources before vendored
 * depths), then by path. Depths are counted once per file, not per comparison (20,000 paths). */
export function byDepthThenPath<T extends { path: string }>(files: readonly T[]): T[] {
  const depth = (p: string): number => { let n = 0; for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) n++; return n; };
  return files.map((f) => ({ f, d: depth(f.path) }))
    .sort((a, b) => a.d - b.d || (a.f.path < b.f.path ? -1 : a.f.path > b.f.path ? 1 : 0))
    .map((x) => x.f);
}

interface Pending { file?: SourceFile; text?: string; remove?: boolean }

export class WorkspaceIndex {
  private readonly keyword = new ChunkTable();
  private readonly engine: KeywordEngine;
  private engineInfo: { worker: boolean; heapBytes: number } | undefined;
  /** Why the engine stopped, until the next build. */
  private engineError: Error | undefined;
  private readonly slicer: TimeSlicer;
  private readonly now: () => number;
  private readonly known = new Map<string, SourceFile>();
  private stateValue: IndexState = 'empty';
  private building: Promise<void> | undefined;
  private buildAbort: AbortController | undefined;
  /** Bumped by clear() and by an engine failure: work begun before (a build, a drain, a file the
   * engine was still indexing) must not write into the index that came after. */
  private generation = 0;
  private readonly pending = new Map<string, Pending>();
  private draining: Promise<void> | undefined;
  private skipped: SkipCounts = { tooLarge: 0, unreadable: 0, generated: 0, empty: 0 };
  private listed = 0;
  private capped = 0;
  private progress = { done: 0, total: 0 };
  private buildMs: number | undefined;
  private error: string | undefined;
  /** The embeddings in use. `refused`: keys of chunks the model could not embed even in pieces
   * (asked once per model, not again on every pass). */
  private emb: { setup: EmbeddingsSetup; store: VectorStore | undefined; error?: string; running?: Promise<void>; abort: AbortController; again: boolean; refused: Set<string> } | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly source: IndexSource, private o: WorkspaceIndexOptions) {
    this.slicer = o.slicer ?? new TimeSlicer();
    this.now = o.now ?? (() => performance.now());
    this.engine = o.engine;
    this.engine.onFailure((e) => this.engineFailed(e));
  }

  /** The engine stopped (its worker ran out of memory or exited): what it held is gone, so is our
   * copy; the index is 'failed' with the reason until the next build (which starts a new engine). */
  private engineFailed(e: Error): void {
    this.generation++;
    this.building = undefined;
    this.draining = undefined;
    this.engineError = e;
    this.buildAbort?.abort(e);
    this.emb?.abort.abort();
    if (this.emb) this.emb = { ...this.emb, abort: new AbortController(), again: false, running: undefined };
    this.keyword.clear();
    this.known.clear();
    this.pending.clear();
    this.stateValue = 'failed';
    this.error = e.message;
    this.log(`workspace index failed: ${e.message}`);
    this.changed();
  }

  /** Forgets a file here and in the engine (in order with the engine's other calls). */
  private dropFile(key: string): void {
    if (this.keyword.remove(key)) void this.engine.removeFile(key).catch(() => undefined);
  }

  /** Asks the engine how large it is (its thread's heap) and keeps the answer for stats(). */
  async engineStats(): Promise<{ worker: boolean; heapBytes: number } | undefined> {
    // A failed engine is not started again just to be measured.
    if (this.stateValue === 'failed' && this.engineError) return this.engineInfo;
    try {
      const s = await this.engine.stats();
      this.keyword.termCount = s.terms;
      this.engineInfo = { worker: s.worker, heapBytes: s.heapBytes };
    } catch { /* a failed engine: stats() says so */ }
    return this.engineInfo;
  }

  /** Ends the engine (its worker). */
  dispose(): void {
    this.buildAbort?.abort();
    this.emb?.abort.abort();
    this.engine.dispose();
  }

  get state(): IndexState { return this.stateValue; }
  get limits(): IndexLimits { return this.o.limits; }
  /** New limits (the settings changed): they apply from the next build. */
  set limits(l: IndexLimits) { this.o = { ...this.o, limits: { ...l } }; }

  /** Called whenever the state or the progress changes (not per file: per slice at most). */
  onChange(f: () => void): () => void {
    this.listeners.add(f);
    return () => { this.listeners.delete(f); };
  }

  private changed(): void { for (const f of this.listeners) f(); }
  private log(line: string): void { this.o.log?.(line); }

  stats(): IndexStats {
    const e = this.emb;
    let embeddings: EmbeddingStats | undefined;
    if (e) {
      let embedded = 0;
      let pending = 0;
      let refused = 0;
      for (const c of this.keyword.allChunks()) { if (e.store?.has(c.hash)) embedded++; else if (e.refused.has(c.hash)) refused++; else pending++; }
      embeddings = {
        model: e.setup.embedder.model, embedded, pending, refused, bytes: e.store?.bytes ?? 0, running: !!e.running,
        ...(e.store ? { dims: e.store.dims } : {}), ...(e.error ? { error: e.error } : {}),
      };
    }
    return {
      state: this.stateValue, files: this.keyword.fileCount, chunks: this.keyword.chunkCount, textChars: this.keyword.textChars,
      terms: this.keyword.termCount, listed: this.listed, maxFiles: this.o.limits.maxFiles, capped: this.capped, skipped: { ...this.skipped },
      done: this.progress.done, total: this.progress.total, longestBlockMs: this.slicer.longestMs,
      ...(this.engineInfo ? { worker: this.engineInfo.worker, engineHeapBytes: this.engineInfo.heapBytes } : {}),
      ...(this.buildMs !== undefined ? { buildMs: this.buildMs } : {}), ...(embeddings ? { embeddings } : {}), ...(this.error ? { error: this.error } : {}),
    };
  }

  /** Starts the build if there is none yet; resolves when the index is ready (or failed). */
  ensureBuilt(): Promise<void> {
    if (this.stateValue === 'ready' || this.stateValue === 'failed') return Promise.resolve();
    return this.building ?? this.build();
  }

  /** Lists the files again and brings the index in line: new and changed files (size or mtime)
   * indexed, vanished ones dropped, unchanged ones kept. The first call builds everything. */
  build(): Promise<void> {
    if (this.building) return this.building;
    const ac = new AbortController();
    this.buildAbort = ac;
    const run = this.runBuild(ac.signal, this.generation).finally(() => {
      if (this.building === run) this.building = undefined;
      if (this.buildAbort === ac) this.buildAbort = undefined;
    });
    this.building = run;
    return run;
  }

  private async runBuild(signal: AbortSignal, gen: number): Promise<void> {
    const t0 = this.now();
    this.stateValue = 'building';
    this.error = undefined;
    this.engineError = undefined;
    this.changed();
    try {
      const all = byDepthThenPath(await this.source.list(signal, this.o.limits.maxFiles));
      this.slicer.resumed();
      this.listed = all.length;
      const max = this.o.limits.maxFiles;
      const kept = all.slice(0, max);
      this.capped = Math.max(0, all.length - max);
      if (this.capped) this.log(`workspace index: ${all.length} files found; indexing the first ${max} (ollamaAssistant.context.maxFiles)`);
      const wanted = new Map(kept.map((f) => [f.key, f]));
      for (const key of [...this.known.keys()]) {
        if (!wanted.has(key)) { this.dropFile(key); this.known.delete(key); }
      }
      this.skipped = { tooLarge: 0, unreadable: 0, generated: 0, empty: 0 };
      const todo = kept.filter((f) => {
        const k = this.known.get(f.key);
        return !k || k.size !== f.size || k.mtime !== f.mtime;
      });
      this.progress = { done: 0, total: todo.length };
      this.changed();
      await this.readAll(todo, signal, gen);
      if (gen !== this.generation) return;
      this.buildMs = this.now() - t0;
      this.stateValue = 'ready';
      this.log(`workspace index: ${this.keyword.fileCount} files, ${this.keyword.chunkCount} chunks in ${Math.round(this.buildMs)} ms (longest block ${this.slicer.longestMs.toFixed(1)} ms)`);
    } catch (e) {
      // Cleared or failed meanwhile: the index that came after is not this build's to describe.
      if (gen !== this.generation || this.engineError) return;
      if (isCancel(e, signal)) { this.stateValue = this.keyword.fileCount ? 'ready' : 'empty'; this.changed(); return; }
      this.stateValue = 'failed';
      this.error = e instanceof Error ? e.message : String(e);
      this.log(`workspace index failed: ${this.error}`);
    }
    this.changed();
    this.kickEmbedding();
    if (this.pending.size) void this.drain();
  }

  /** Reads `files` a few at a time and indexes each as it arrives. */
  private async readAll(files: readonly SourceFile[], signal: AbortSignal, gen: number): Promise<void> {
    let next = 0;
    let lastReport = this.now();
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        if (signal.aborted) throw signal.reason ?? new Error('aborted');
        const f = files[next++]!;
        if (f.size > this.o.limits.maxFileBytes) { this.skipped.tooLarge++; this.known.set(f.key, f); this.dropFile(f.key); this.progress.done++; continue; }
        let text: string | undefined;
        try { text = await this.source.read(f, signal); } catch (e) { if (isCancel(e, signal)) throw e; text = undefined; }
        this.slicer.resumed();
        if (signal.aborted) throw signal.reason ?? new Error('aborted');
        await this.indexText(f, text, gen);
        this.progress.done++;
        if (this.now() - lastReport > 250) { lastReport = this.now(); this.changed(); }
        await this.slicer.checkpoint();
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.o.readConcurrency ?? 8) }, worker));
  }

  /** Has the engine chunk and index one file's text, and keeps its chunk records. */
  private async indexText(f: SourceFile, text: string | undefined, gen: number): Promise<void> {
    if (gen !== this.generation) return;
    this.known.set(f.key, f);
    if (text === undefined) { this.skipped.unreadable++; this.dropFile(f.key); return; }
    const r: IndexedFile = await this.engine.setFile(f.key, f.path, text);
    this.slicer.resumed();
    // Cleared while the engine worked: the engine's clear came after this file, so it holds nothing
    // of it; neither may the table.
    if (gen !== this.generation) return;
    this.keyword.termCount = r.terms;
    if (r.kind === 'indexed') { this.keyword.set(f.key, f.path, r.chunks, r.chars); return; }
    this.keyword.remove(f.key);
    this.skipped[r.kind]++;
  }

  /** A file was created or changed (`text`: an editor's unsaved text, else it is read). Applied
   * after the running build, in order; the latest news of a file wins. */
  update(file: SourceFile, text?: string): void {
    this.pending.set(file.key, { file, ...(text !== undefined ? { text } : {}) });
    void this.drain();
  }

  /** A file was deleted (or is no longer wanted); or a folder: the file watcher reports only the
   * top of a deleted tree (VS Code coalesces the events), so every key under `key + '/'` goes too. */
  remove(key: string): void {
    this.pending.set(key, { remove: true });
    const under = key.endsWith('/') ? key : `${key}/`;
    for (const k of this.known.keys()) if (k.startsWith(under)) this.pending.set(k, { remove: true });
    void this.drain();
  }

  /** Whether a file is in the index (or was left out on purpose: too large, not text). */
  knows(key: string): boolean { return this.known.has(key); }

  private drain(): Promise<void> {
    if (this.draining) return this.draining;
    // Nothing to apply news to (no index yet, or its engine failed): the next build lists everything.
    if (this.building || this.stateValue === 'empty' || this.stateValue === 'failed') return Promise.resolve();
    const gen = this.generation;
    const run = (async () => {
      const ac = new AbortController();
      while (this.pending.size && !this.building && gen === this.generation) {
        const [key, p] = this.pending.entries().next().value as [string, Pending];
        this.pending.delete(key);
        if (p.remove) { this.dropFile(key); this.known.delete(key); continue; }
        const f = p.file!;
        // A new file past the cap waits for the next listing (which keeps the files nearest the root).
        if (!this.known.has(key) && this.known.size >= this.o.limits.maxFiles) { this.capped++; continue; }
        if (f.size > this.o.limits.maxFileBytes && p.text === undefined) { this.skipped.tooLarge++; this.known.set(key, f); this.dropFile(key); continue; }
        let text = p.text;
        if (text === undefined) {
          try { text = await this.source.read(f, ac.signal); } catch { text = undefined; }
          this.slicer.resumed();
        }
        // News of this file that came while it was read: that is the one to apply.
        if (this.pending.has(key)) continue;
        try { await this.indexText(f, text, gen); } catch { if (this.engineError) return; }
        await this.slicer.checkpoint();
      }
      this.changed();
      this.kickEmbedding();
    })().finally(() => { if (this.draining === run) this.draining = undefined; });
    this.draining = run;
    return run;
  }

  /** Resolves when the build and every queued update are applied. */
  async settled(): Promise<void> {
    for (;;) {
      if (this.building) { await this.building; continue; }
      if (this.draining) { await this.draining; continue; }
      if (this.pending.size && this.stateValue !== 'empty' && this.stateValue !== 'failed') { await this.drain(); continue; }
      return;
    }
  }

  /** Forgets everything (and stops the build and embedding); the next ensureBuilt() starts over. */
  clear(): void {
    this.generation++;
    this.building = undefined;
    this.draining = undefined;
    this.buildAbort?.abort();
    this.emb?.abort.abort();
    if (this.emb) this.emb = { ...this.emb, store: undefined, abort: new AbortController(), again: false, running: undefined };
    this.keyword.clear();
    void this.engine.clear().catch(() => undefined);
    this.known.clear();
    this.pending.clear();
    this.stateValue = 'empty';
    this.listed = 0;
    this.capped = 0;
    this.progress = { done: 0, total: 0 };
    this.skipped = { tooLarge: 0, unreadable: 0, generated: 0, empty: 0 };
    this.buildMs = undefined;
    this.changed();
  }

  // ---- embeddings ------------------------------------------------------------------------------

  /** Sets (or, with undefined, drops) the embedding model. A new model starts from its own
   * stored vectors (or none) and embeds what is missing in the background. */
  setEmbeddings(setup: EmbeddingsSetup | undefined): void {
    this.emb?.abort.abort();
    // Vectors of another model are never used for this one (same text, unrelated space): it starts over.
    const stored = setup?.stored && setup.stored.model === setup.embedder.model ? setup.stored : undefined;
    if (setup?.stored && !stored) this.log(`embeddings: stored vectors are of ${setup.stored.model}, not ${setup.embedder.model}; embedding again`);
    this.emb = setup ? { setup, store: stored, abort: new AbortController(), again: false, refused: new Set() } : undefined;
    this.changed();
    this.kickEmbedding();
  }

  /** The vectors in use (for saving), if any. */
  get vectors(): VectorStore | undefined { return this.emb?.store; }

  /** Resolves when no embedding pass is running. */
  async embeddingIdle(): Promise<void> {
    while (this.emb?.running) await this.emb.running;
  }

  private kickEmbedding(): void {
    const e = this.emb;
    if (!e || e.error || this.stateValue !== 'ready' || this.building) return;
    if (e.running) { e.again = true; return; }
    const run = this.embedPass(e).finally(() => {
      if (e.running === run) e.running = undefined;
      this.changed();
      if (e.again && this.emb === e && !e.error) { e.again = false; this.kickEmbedding(); }
    });
    e.running = run;
  }

  /** Embeds every chunk that has no vector yet: file by file (re-read and re-chunked, so the texts
   * are never all held at once), in steps of `stepTexts` texts. */
  private async embedPass(e: NonNullable<WorkspaceIndex['emb']>): Promise<void> {
    const signal = e.abort.signal;
    const step = e.setup.stepTexts ?? 64;
    let batch: { hash: string; text: string }[] = [];
    let sent = 0;
    const flush = async (): Promise<void> => {
      if (!batch.length) return;
      const items = batch;
      batch = [];
      const vectors = await e.setup.embedder.documents(items.map((i) => i.text), signal);
      this.slicer.resumed();
      const dims = e.setup.embedder.dims;
      if (dims !== undefined && (!e.store || e.store.dims !== dims)) {
        if (e.store) this.log(`embeddings: ${e.store.model} now gives ${dims} dimensions (stored: ${e.store.dims}); embedding again`);
        e.store = new VectorStore(e.setup.embedder.model, dims);
      }
      items.forEach((it, i) => { const v = vectors[i]; if (v && e.store) e.store.set(it.hash, v); else if (!v) e.refused.add(it.hash); });
      sent += items.length;
      this.changed();
    };
    try {
      for (const file of [...this.keyword.fileKeys()]) {
        if (signal.aborted) return;
        const metas = this.keyword.chunksOf(file);
        const missing = (m: ChunkMeta): boolean => !e.store?.has(m.hash) && !e.refused.has(m.hash);
        if (!metas.some(missing)) continue;
        const f = this.known.get(file);
        if (!f) continue;
        const text = await this.source.read(f, signal).catch(() => undefined);
        this.slicer.resumed();
        if (text === undefined) continue;
        const want = metas.filter(missing).map((m) => m.hash);
        batch.push(...await this.engine.embedItems(f.path, text, want));
        this.slicer.resumed();
        await this.slicer.checkpoint();
        if (batch.length >= step) await flush();
      }
      await flush();
      if (e.store && this.stateValue === 'ready' && !this.pending.size) {
        const live = new Set<string>();
        for (const c of this.keyword.allChunks()) live.add(c.hash);
        const dropped = e.store.retain(live);
        if (dropped) this.log(`embeddings: dropped ${dropped} vectors of chunks that no longer exist`);
      }
      if (sent) this.log(`embeddings: ${sent} chunks embedded with ${e.setup.embedder.model}`);
      if (e.store && (sent || e.setup.stored !== e.store) && e.setup.save) await e.setup.save(e.store);
    } catch (err) {
      if (isCancel(err, signal)) return;
      e.error = err instanceof Error ? err.message : String(err);
      this.log(`embeddings stopped: ${e.error}`);
      // What was embedded so far is kept.
      if (e.store && sent && e.setup.save) await e.setup.save(e.store).catch(() => undefined);
    }
  }

  // ---- search ----------------------------------------------------------------------------------

  /**
   * The chunks that best answer `question`: BM25+ over the question's terms and, when embeddings
   * are set up and the question could be embedded, cosine similarity over the chunks that have a
   * vector, the two rankings fused (RRF). At most `perFile` chunks of one file. BM25 runs in the
   * engine (a worker thread in the extension) while the question is embedded; the cosine scan runs
   * here in slices (it yields every few thousand chunks). Never throws for an embedding failure
   * (the keyword ranking alone is used; `vectorError` says why); rejects when the engine failed.
   */
  async search(question: string, o: SearchOptions = {}): Promise<{ hits: SearchHit[]; vectorError?: string; usedVectors: boolean }> {
    const limit = o.limit ?? 8;
    const perFile = o.perFile ?? 2;
    const wide = Math.max(50, limit * 8);
    const terms = queryTerms(question);
    this.slicer.resumed();
    const e = this.emb;
    const useVectors = o.vectors !== false && !!e?.store && e.store.size > 0;
    // The question's embedding (an HTTP request) and BM25 (the engine) at the same time.
    const qv = useVectors ? e!.setup.embedder.query(question, o.signal).then((v) => ({ v }), (err: unknown) => ({ err })) : undefined;
    const kw = terms.length && this.keyword.chunkCount ? await this.engine.search(terms, wide) : [];
    this.slicer.resumed();
    const lists: number[][] = [kw.map((h) => h.id)];
    let vectorError: string | undefined;
    let usedVectors = false;
    if (qv) {
      const q = await qv;
      this.slicer.resumed();
      if ('v' in q && q.v.length !== e!.store!.dims) {
        // The model under that name changed (pulled again, another size): its stored vectors are
        // of another space. Start over; keyword ranking until the chunks are embedded again.
        vectorError = `the embedding model now gives ${q.v.length} dimensions (stored: ${e!.store!.dims}); embedding the workspace again`;
        this.log(`embeddings: ${vectorError}`);
        e!.store = new VectorStore(e!.setup.embedder.model, q.v.length);
        this.kickEmbedding();
      } else if ('v' in q) {
        lists.push(await this.nearest(q.v, e!.store!, wide));
        usedVectors = true;
      } else {
        if (isCancel(q.err, o.signal)) throw q.err;
        vectorError = q.err instanceof Error ? q.err.message : String(q.err);
      }
    }
    const bm25 = new Map(kw.map((h) => [h.id, h.score]));
    const ranked = lists.length > 1 ? fuseRanks(lists) : kw;
    const rankIn = lists.map((l) => new Map(l.map((id, i) => [id, i + 1])));
    const perFileCount = new Map<string, number>();
    const hits: SearchHit[] = [];
    for (const r of ranked) {
      const c = this.keyword.chunk(r.id);
      if (!c) continue;
      const n = perFileCount.get(c.file) ?? 0;
      if (n >= perFile) continue;
      perFileCount.set(c.file, n + 1);
      const kr = rankIn[0]!.get(r.id);
      const vr = rankIn[1]?.get(r.id);
      hits.push({
        file: c.file, path: this.keyword.pathOf(c.file) ?? c.file, startLine: c.startLine, endLine: c.endLine, tokens: c.tokens,
        score: lists.length > 1 ? r.score : bm25.get(r.id) ?? r.score,
        ...(kr !== undefined ? { keywordRank: kr } : {}), ...(vr !== undefined ? { vectorRank: vr } : {}),
      });
      if (hits.length >= limit) break;
    }
    return { hits, usedVectors, ...(vectorError ? { vectorError } : {}) };
  }

  /** The `k` chunks nearest `q` (ids, best first), scanning in slices. */
  private async nearest(q: Float32Array, store: VectorStore, k: number): Promise<number[]> {
    const top: { id: number; s: number }[] = [];
    let min = -Infinity;
    let n = 0;
    for (const c of this.keyword.allChunks()) {
      const v = store.get(c.hash);
      if (v) {
        const s = dot(q, v);
        if (top.length < k || s > min) {
          top.push({ id: c.id, s });
          if (top.length > k * 2) { top.sort((a, b) => b.s - a.s); top.length = k; min = top[k - 1]!.s; }
        }
      }
      if (++n % 2048 === 0) await this.slicer.checkpoint();
    }
    top.sort((a, b) => b.s - a.s);
    return top.slice(0, k).map((t) => t.id);
  }

  /** The chunk records of a file (for tests and the host). */
  chunksOf(key: string): ChunkMeta[] { return this.keyword.chunksOf(key); }

  /** Every file of the last listing that the index keeps (indexed, or left out as too large or
   * not text), nearest the root first. */
  files(): SourceFile[] { return [...this.known.values()]; }

  /** The record of a listed file, by key. */
  file(key: string): SourceFile | undefined { return this.known.get(key); }

  /** Reads the lines `startLine`..`endLine` of a hit's file now. Undefined when it cannot be read. */
  async snippet(hit: Pick<SearchHit, 'file' | 'startLine' | 'endLine'>, signal?: AbortSignal): Promise<string | undefined> {
    const f = this.known.get(hit.file);
    if (!f) return undefined;
    const text = await this.source.read(f, signal ?? new AbortController().signal).catch(() => undefined);
    if (text === undefined) return undefined;
    return text.split(/\r\n|\r|\n/).slice(hit.startLine - 1, hit.endLine).join('\n');
  }
}
