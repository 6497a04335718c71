// The keyword engine on a worker thread (node:worker_threads): chunking and BM25 run there, so the
// extension host's thread only posts file texts and reads back chunk records and ids. Issue 15
// bounds how long the host may be blocked (50 ms); a query over a large index takes 30-110 ms of
// CPU and a 512 KB file ~0.5 s to chunk, so in-thread slices alone cannot promise it.
//
// Protocol (structured clone, in order): the host sends `{ id, op, args }` with `op` one of
// KeywordEngine's methods; the worker answers `{ id, result }` or `{ id, error }`. The worker's
// heap is capped (`maxHeapMb`): an index that outgrows it ends the worker with
// ERR_WORKER_OUT_OF_MEMORY, reported as a failure that names the cap and the settings that lower
// the index's size, never a crash of the extension host. The worker is unref'd: it never keeps a
// process alive. Started on the first call, not before.
import { Worker } from 'node:worker_threads';
import type { ChunkOptions } from './chunk';
import type { EmbedItem, EngineStats, IndexedFile, KeywordEngine, ScoredId } from './engine';

export interface WorkerEngineOptions {
  /** Path of the worker's script (the bundle of engineWorkerMain.ts). */
  script: string;
  chunk?: ChunkOptions;
  /** The worker's old-generation heap cap, MB. Default 1024. */
  maxHeapMb?: number;
}

/** What the worker receives as `workerData`. */
export interface EngineWorkerData { chunk?: ChunkOptions }

type Op = 'setFile' | 'removeFile' | 'clear' | 'search' | 'embedItems' | 'stats';

interface Reply { id: number; result?: unknown; error?: string }

/** The failure of a worker: why it stopped, in words a user can act on. */
export class EngineStoppedError extends Error {
  constructor(message: string, readonly outOfMemory = false) {
    super(message);
    this.name = 'EngineStoppedError';
  }
}

/** KeywordEngine whose work runs on a worker thread. */
export class WorkerKeywordEngine implements KeywordEngine {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;
  private readonly failureListeners = new Set<(e: Error) => void>();
  private disposed = false;

  constructor(private readonly o: WorkerEngineOptions) {}

  /** Whether the worker has been started (and not stopped). */
  get started(): boolean { return !!this.worker; }

  private start(): Worker {
    if (this.worker) return this.worker;
    const maxHeapMb = this.o.maxHeapMb ?? 1024;
    const data: EngineWorkerData = this.o.chunk ? { chunk: this.o.chunk } : {};
    const w = new Worker(this.o.script, { workerData: data, resourceLimits: { maxOldGenerationSizeMb: maxHeapMb }, stdout: false, stderr: false });
    w.unref();
    w.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.result);
    });
    const fail = (e: Error): void => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.failure = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      if (!this.disposed) for (const f of this.failureListeners) f(e);
    };
    w.on('error', (e: Error & { code?: string }) => {
      const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
      fail(oom
        ? new EngineStoppedError(`the workspace index outgrew its memory cap (${maxHeapMb} MB) and was dropped; lower ollamaAssistant.context.maxFiles or ollamaAssistant.context.maxFileKB, then rebuild it`, true)
        : new EngineStoppedError(`the workspace index's worker stopped: ${e.message}`));
    });
    w.on('exit', (code) => fail(new EngineStoppedError(`the workspace index's worker exited (code ${code})`)));
    this.worker = w;
    this.failure = undefined;
    return w;
  }

  private call<T>(op: Op, args: unknown[]): Promise<T> {
    if (this.disposed) return Promise.reject(new EngineStoppedError('the workspace index was closed'));
    // After a failure the next call starts a new, empty worker: the owner (WorkspaceIndex) has
    // forgotten what the old one held when it was told of the failure.
    let w: Worker;
    try { w = this.start(); } catch (e) { return Promise.reject(new EngineStoppedError(`the workspace index's worker could not start: ${e instanceof Error ? e.message : String(e)}`)); }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.postMessage({ id, op, args });
    });
  }

  /** The reason of the last failure, if the engine has failed and not been used since. */
  get lastFailure(): Error | undefined { return this.failure; }

  setFile(file: string, path: string, text: string): Promise<IndexedFile> { return this.call('setFile', [file, path, text]); }
  removeFile(file: string): Promise<void> { return this.call('removeFile', [file]); }
  clear(): Promise<void> { return this.call('clear', []); }
  search(terms: readonly string[], limit: number): Promise<ScoredId[]> { return this.call('search', [terms, limit]); }
  embedItems(path: string, text: string, want: readonly string[]): Promise<EmbedItem[]> { return this.call('embedItems', [path, text, want]); }
  stats(): Promise<EngineStats> { return this.call('stats', []); }

  onFailure(f: (e: Error) => void): void { this.failureListeners.add(f); }

  /** Ends the worker (pending calls reject). */
  dispose(): void {
    this.disposed = true;
    const w = this.worker;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(new EngineStoppedError('the workspace index was closed'));
    this.pending.clear();
    if (w) void w.terminate();
  }

}
