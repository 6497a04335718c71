// The worker thread's side of WorkerKeywordEngine (engineWorker.ts): one LocalKeywordEngine, no
// slicing (this thread has nothing else to do), requests answered one by one in the order they
// came. Bundled on its own as dist/contextWorker.js (esbuild.js).
import { parentPort, workerData } from 'node:worker_threads';
import * as v8 from 'node:v8';
import { LocalKeywordEngine, type KeywordEngine } from './engine';
import type { EngineWorkerData } from './engineWorker';

const engine = new LocalKeywordEngine((workerData as EngineWorkerData | undefined)?.chunk);

const OPS = {
  setFile: (a: unknown[]) => engine.setFile(a[0] as string, a[1] as string, a[2] as string),
  removeFile: (a: unknown[]) => engine.removeFile(a[0] as string),
  clear: () => engine.clear(),
  search: (a: unknown[]) => engine.search(a[0] as string[], a[1] as number),
  embedItems: (a: unknown[]) => engine.embedItems(a[0] as string, a[1] as string, a[2] as string[]),
  // This thread's own heap (a worker has its own V8 isolate); collected first where the process
  // exposes gc (the bench does, to measure what the index holds; the extension host does not).
  stats: async () => {
    (globalThis as { gc?: () => void }).gc?.();
    return { ...(await engine.stats()), heapBytes: v8.getHeapStatistics().used_heap_size, worker: true };
  },
} satisfies Record<Exclude<keyof KeywordEngine, 'onFailure' | 'dispose'>, (a: unknown[]) => Promise<unknown>>;

parentPort?.on('message', (m: { id: number; op: keyof typeof OPS; args: unknown[] }) => {
  const run = OPS[m.op];
  if (!run) { parentPort!.postMessage({ id: m.id, error: `unknown operation ${String(m.op)}` }); return; }
  run(m.args).then(
    (result) => parentPort!.postMessage({ id: m.id, result }),
    (e: unknown) => parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
