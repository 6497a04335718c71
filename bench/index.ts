// `npm run bench`: every benchmark in sequence, each printing its own block. Add a bench by
// appending to BENCHES.
import { benchChatRender } from './chatRender';
import { completionBench } from './completion';
import { benchCompletionContext } from './completionContext';
import { benchContext } from './context';
import { benchLoad } from './load';
import { benchLongBlocks } from './longBlocks';
import { benchManyStreams } from './manyStreams';
import { benchStreamCpu } from './streamCpu';
import { benchObserve } from './observe';
import { benchTranslateSubtitlesHttp } from './translateHttp';
import { benchTranslateDrift } from './translateDrift';

interface Bench {
  name: string;
  run(out: (line: string) => void): Promise<void>;
}

const BENCHES: Bench[] = [
  { name: 'load: extension bundle vs the official ollama client (issue 11 §3)', run: benchLoad },
  { name: 'many streams at once; interactive work during a batch (issue 11 §1)', run: benchManyStreams },
  { name: 'per-token CPU of a 100k-token stream, NDJSON and SSE (issue 11 §4)', run: benchStreamCpu },
  { name: 'inline completion', run: completionBench },
  { name: 'inline completion: cross-file context on rxjs 7.8.2 (issue 16)', run: benchCompletionContext },
  { name: 'chat render cost per streamed token (headless chromium)', run: benchChatRender },
  { name: 'long open markdown blocks, 50 frames (streaming markdown engine, Node; issue 19 item 3)', run: benchLongBlocks },
  // Prints its own lines; the signature predates the shared `out` callback.
  { name: 'subtitle translation (1,000 cues, 4 parallel slots)', run: async () => benchTranslateSubtitlesHttp() },
  { name: 'subtitles that never drift (a model that merges or drops cues) and a folder of 20 files', run: benchTranslateDrift },
  { name: 'model-activity observer (Models view follows our requests)', run: benchObserve },
  { name: 'workspace search on date-fns@4.4.0: index build, memory, query latency, top-5 quality (issue 15)', run: benchContext },
];

async function main(): Promise<void> {
  let failed = 0;
  // BENCH_ONLY=<text>: only the benchmarks whose name contains it.
  const only = process.env.BENCH_ONLY?.toLowerCase();
  for (const b of BENCHES.filter((x) => !only || x.name.toLowerCase().includes(only))) {
    const t0 = performance.now();
    process.stdout.write(`\n== ${b.name} ==\n`);
    try {
      await b.run((line) => process.stdout.write(`  ${line}\n`));
    } catch (e) {
      failed++;
      process.stdout.write(`  FAILED: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    }
    process.stdout.write(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  if (failed) process.exitCode = 1;
}

void main();
