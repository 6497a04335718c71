// Workspace search (issue 15) on a real code base that is available offline: the published
// date-fns@4.4.0 (a devDependency: 5,136 files, 28 MB; one public function per file in four
// variants .js/.cjs/.d.ts/.d.cts, curried wrappers in fp/, 2,320 locale files). Measured side by
// side in one run:
// - the keyword index build: wall time, heap it holds (after a full GC), the longest stretch the
//   event loop was blocked (perf_hooks' event-loop delay histogram, and the slicer's own count),
//   three ways: chunking and BM25 on a worker thread (what the extension does), in this thread in
//   slices, and in this thread without yielding (the contrast);
// - the same with embeddings from the protocol test server (all-minilm, 384 dimensions, a hashed
//   bag of words: similarity follows shared words; the server runs in a child process so its CPU
//   is not counted as ours);
// - query latency p50/p95, keyword and hybrid (hybrid includes embedding the question over HTTP);
// - retrieval quality: 26 questions whose answer is the file that defines a known function; a hit
//   when that function's file (at the package root, any of its four variants) is among the top 5
//   files. The questions describe what the function does, without naming it.
// - one file changed: the time to index it again.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Embedder } from '../src/core/context/embed';
import { LocalKeywordEngine } from '../src/core/context/engine';
import { WorkerKeywordEngine } from '../src/core/context/engineWorker';
import { IgnoreRules, skippedByName } from '../src/core/context/files';
import { decodeIfText } from '../src/core/text/encoding';
import { TimeSlicer } from '../src/core/context/slicer';
import { WorkspaceIndex, type IndexSource, type SourceFile } from '../src/core/context/workspaceIndex';
import { OllamaClient } from '../src/core/ollama/client';
import { startBenchServer } from './childServer';

const CORPUS = path.join(__dirname, '../../node_modules/date-fns');

/** Question -> the function names (file stems) that answer it. */
export const QUESTIONS: ReadonlyArray<[string, string[]]> = [
  ['How do I add a number of business days to a date, skipping weekends?', ['addBusinessDays']],
  ['Is the given date in a leap year?', ['isLeapYear']],
  ['Get the ISO week number of a date', ['getISOWeek']],
  ['How many calendar months are there between two dates?', ['differenceInCalendarMonths']],
  ['Show the distance between two dates in words, like "about 1 hour"', ['formatDistance', 'formatDistanceStrict']],
  ['Return the last day of the month of a date', ['lastDayOfMonth', 'endOfMonth']],
  ['Parse an ISO 8601 string into a date', ['parseISO']],
  ['Does the date fall on a Saturday or Sunday?', ['isWeekend']],
  ['Round a date to the nearest minutes', ['roundToNearestMinutes']],
  ['From an array of dates, return the one closest to a given date', ['closestTo']],
  ['Compare two dates: return 1, -1 or 0 in ascending order', ['compareAsc']],
  ['Return an array of every day within a time interval', ['eachDayOfInterval']],
  ['Is the date within the given interval?', ['isWithinInterval']],
  ['Get the number of days in the month of a date', ['getDaysInMonth']],
  ['Set the hours of a date to a given value', ['setHours']],
  ['Return the start of the week, with the locale deciding which day the week starts on', ['startOfWeek']],
  ['Format a duration object as text like "2 years 9 months"', ['formatDuration']],
  ['Get the year quarter of the given date', ['getQuarter']],
  ['Add the specified number of hours to a date', ['addHours']],
  ['Are the two dates in the same week?', ['isSameWeek']],
  ['Get the number of full years between two dates', ['differenceInYears']],
  ['Check whether a date is valid (not Invalid Date)', ['isValid']],
  ['Create a date from a Unix timestamp in seconds', ['fromUnixTime']],
  ['Return the latest of the given dates', ['max']],
  ['When is the next Monday after a date?', ['nextMonday']],
  ['Do two time intervals overlap?', ['areIntervalsOverlapping']],
];

/** The stem of a root-level file ("addBusinessDays.d.cts" -> "addBusinessDays"); undefined for a
 * file in a subdirectory (fp/ wrappers, locales: not where the function is defined). */
function rootStem(p: string): string | undefined {
  if (p.includes('/')) return undefined;
  return p.replace(/\.d\.c?ts$|\.c?js$/, '');
}

/** The corpus as an IndexSource: a directory walk with the same core rules the editor applies
 * (.gitignore files, binary and generated names, NUL sniffing). */
function directorySource(root: string): IndexSource {
  return {
    async list() {
      const rules = new IgnoreRules();
      const out: SourceFile[] = [];
      const walk = async (dir: string): Promise<void> => {
        const rel = path.relative(root, dir).split(path.sep).join('/');
        const entries = await fs.promises.readdir(dir, { withFileTypes: true });
        const gi = entries.find((e) => e.isFile() && e.name === '.gitignore');
        if (gi) rules.add(rel, await fs.promises.readFile(path.join(dir, gi.name), 'utf8'));
        for (const e of entries) {
          const p = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) { if (!rules.ignores(p, true)) await walk(path.join(dir, e.name)); continue; }
          if (!e.isFile() || rules.ignores(p) || skippedByName(p)) continue;
          const st = await fs.promises.stat(path.join(dir, e.name));
          out.push({ key: path.join(dir, e.name), path: p, size: st.size, mtime: st.mtimeMs });
        }
      };
      await walk(root);
      return out;
    },
    async read(f) {
      const bytes = await fs.promises.readFile(f.key);
      return decodeIfText(bytes);
    },
  };
}

let gcFn: (() => void) | undefined;
function gc(): void {
  if (!gcFn) { v8.setFlagsFromString('--expose-gc'); gcFn = vm.runInNewContext('gc') as () => void; }
  gcFn(); gcFn();
}
const heapMb = (): number => { gc(); return process.memoryUsage().heapUsed / 1e6; };

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Runs `f` while measuring the longest event-loop block (ms). */
async function withBlockMonitor<T>(f: () => Promise<T>): Promise<{ value: T; maxBlockMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  // A resolution-1 timer: the histogram's max is the longest the loop could not run it.
  const value = await f();
  h.disable();
  return { value, maxBlockMs: h.max / 1e6 };
}

interface Quality { hits: number; total: number; missed: string[] }

async function evaluate(index: WorkspaceIndex, vectors: boolean): Promise<{ q: Quality; p50: number; p95: number; maxBlockMs: number }> {
  const times: number[] = [];
  const q: Quality = { hits: 0, total: QUESTIONS.length, missed: [] };
  const { maxBlockMs } = await withBlockMonitor(async () => {
    for (let round = 0; round < 3; round++) {
      for (const [question, stems] of QUESTIONS) {
        const t0 = performance.now();
        const r = await index.search(question, { limit: 5, perFile: 1, vectors });
        times.push(performance.now() - t0);
        // A turn of the event loop between questions, so the delay histogram sees each query's
        // block (an in-thread query resolves in a microtask: without this the loop never turns
        // and the histogram records nothing).
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (round > 0) continue;
        if (vectors && !r.usedVectors) throw new Error(`the hybrid search did not use embeddings: ${r.vectorError ?? ''}`);
        if (r.hits.some((h) => stems.includes(rootStem(h.path) ?? ''))) q.hits++;
        else q.missed.push(`${stems[0]} (got ${r.hits.map((h) => h.path).join(', ')})`);
      }
    }
  });
  return { q, p50: percentile(times, 50), p95: percentile(times, 95), maxBlockMs };
}


const LIMITS = { maxFiles: 20_000, maxFileBytes: 512 * 1024 };
/** The worker's script as tsc compiles it (the extension runs its bundle, dist/contextWorker.js). */
const WORKER_SCRIPT = path.join(__dirname, '../src/core/context/engineWorkerMain.js');

/** Builds an index while watching the event loop. */
async function timedBuild(index: WorkspaceIndex): Promise<{ ms: number; maxBlockMs: number }> {
  const r = await withBlockMonitor(async () => { const t0 = performance.now(); await index.ensureBuilt(); return performance.now() - t0; });
  if (index.state !== 'ready') throw new Error(`index build ${index.state}: ${index.stats().error ?? ''}`);
  return { ms: r.value, maxBlockMs: r.maxBlockMs };
}

export async function benchContext(out: (line: string) => void): Promise<void> {
  if (!fs.existsSync(CORPUS)) throw new Error(`${CORPUS} is missing: npm ci installs date-fns@4.4.0 (a devDependency)`);
  const source = directorySource(CORPUS);
  const files = await source.list(new AbortController().signal, LIMITS.maxFiles);
  const bytes = files.reduce((n, f) => n + f.size, 0);
  out(`corpus: date-fns@4.4.0, ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB`);

  // The contrasts first (in this thread: without yielding, then in slices), then as the extension
  // runs it (chunking and BM25 on a worker thread).
  const base0 = heapMb();
  const unslicedSlicer = new TimeSlicer({ budgetMs: Infinity });
  const unsliced = new WorkspaceIndex(source, { limits: LIMITS, slicer: unslicedSlicer, engine: new LocalKeywordEngine(undefined, unslicedSlicer) });
  const u = await timedBuild(unsliced);
  unsliced.dispose();
  const slicer = new TimeSlicer();
  const sliced = new WorkspaceIndex(source, { limits: LIMITS, slicer, engine: new LocalKeywordEngine(undefined, slicer) });
  const sl = await timedBuild(sliced);
  const slicedHeap = heapMb() - base0;
  const kwSliced = await evaluate(sliced, false);
  sliced.dispose();
  const base = Math.min(base0, heapMb());
  const worker = new WorkerKeywordEngine({ script: WORKER_SCRIPT });
  const index = new WorkspaceIndex(source, { limits: LIMITS, engine: worker });
  const b = await timedBuild(index);
  const s = index.stats();
  const hostHeap = heapMb() - base;
  const workerHeap = ((await index.engineStats())?.heapBytes ?? 0) / 1e6;
  out(`keyword index: ${s.files} files, ${s.chunks} chunks, ${s.terms} terms, ${(s.textChars / 1e6).toFixed(1)} M chars (skipped: ${JSON.stringify(s.skipped)})`);
  out(`build on a worker thread (the extension): ${(b.ms / 1000).toFixed(2)} s; heap held: extension host +${hostHeap.toFixed(1)} MB, worker ${workerHeap.toFixed(1)} MB (its whole isolate); longest event-loop block ${b.maxBlockMs.toFixed(1)} ms`);
  out(`  in this thread, sliced: ${(sl.ms / 1000).toFixed(2)} s; heap held ${slicedHeap.toFixed(1)} MB; longest block ${sl.maxBlockMs.toFixed(1)} ms (slicer's count ${slicer.longestMs.toFixed(1)} ms)`);
  out(`  in this thread, without yielding: ${(u.ms / 1000).toFixed(2)} s; longest block ${u.maxBlockMs.toFixed(0)} ms`);
  out(`  longest block, worker vs sliced vs unsliced: ${b.maxBlockMs.toFixed(1)} / ${sl.maxBlockMs.toFixed(1)} / ${u.maxBlockMs.toFixed(0)} ms (ratio worker/sliced ${(b.maxBlockMs / Math.max(0.1, sl.maxBlockMs)).toFixed(2)})`);

  const kw = await evaluate(index, false);
  out(`keyword search (worker): top-5 hits ${kw.q.hits}/${kw.q.total} (${Math.round((100 * kw.q.hits) / kw.q.total)}%); latency p50 ${kw.p50.toFixed(1)} ms, p95 ${kw.p95.toFixed(1)} ms; longest block while searching ${kw.maxBlockMs.toFixed(1)} ms`);
  out(`  the same in this thread: top-5 hits ${kwSliced.q.hits}/${kwSliced.q.total}; latency p50 ${kwSliced.p50.toFixed(1)} ms, p95 ${kwSliced.p95.toFixed(1)} ms; longest block while searching ${kwSliced.maxBlockMs.toFixed(1)} ms`);
  if (kw.q.missed.length) out(`  missed: ${kw.q.missed.map((m) => m.slice(0, 140)).join(' | ')}`);

  // One file changed: indexed again on its own.
  const target = files.find((f) => f.path === 'addBusinessDays.js')!;
  const t1 = performance.now();
  index.update({ ...target, mtime: target.mtime + 1 });
  await index.settled();
  out(`one changed file indexed again in ${(performance.now() - t1).toFixed(1)} ms`);

  // Embeddings from the test server (a child process).
  const { url, child } = await startBenchServer(8);
  try {
    const client = new OllamaClient({ host: url });
    let requests = 0;
    const counted = { embed: (r: Parameters<OllamaClient['embed']>[0], o?: Parameters<OllamaClient['embed']>[1]) => { requests++; return client.embed(r, o); } };
    const embedder = new Embedder(counted, 'all-minilm', { batchSize: 16 });
    const heap0 = heapMb();
    const e = await withBlockMonitor(async () => {
      const t0 = performance.now();
      index.setEmbeddings({ embedder });
      await index.embeddingIdle();
      return performance.now() - t0;
    });
    const es = index.stats().embeddings!;
    if (es.error) throw new Error(`embedding failed: ${es.error}`);
    out(`embeddings (test server, all-minilm ${es.dims} dims): ${es.embedded} chunks in ${(e.value / 1000).toFixed(1)} s, ${requests} requests of up to 16; vectors ${(es.bytes / 1e6).toFixed(1)} MB, heap +${(heapMb() - heap0).toFixed(1)} MB; longest event-loop block ${e.maxBlockMs.toFixed(1)} ms`);
    const hy = await evaluate(index, true);
    out(`hybrid search (BM25 + embeddings, RRF): top-5 hits ${hy.q.hits}/${hy.q.total} (${Math.round((100 * hy.q.hits) / hy.q.total)}%); latency p50 ${hy.p50.toFixed(1)} ms, p95 ${hy.p95.toFixed(1)} ms (with the question's embedding request); longest block ${hy.maxBlockMs.toFixed(1)} ms`);
    if (hy.q.missed.length) out(`  missed: ${hy.q.missed.map((m) => m.slice(0, 140)).join(' | ')}`);
    out(`keyword vs hybrid top-5: ${kw.q.hits} vs ${hy.q.hits} of ${kw.q.total} (the test server's vectors are a bag of words: this measures the pipeline, not a real embedding model)`);
    await client.close();
  } finally {
    child.kill('SIGTERM');
    index.dispose();
  }
}
