// `npm run bench`: every benchmark in sequence, each printing its own block. Add a bench by
// appending to BENCHES.
import { benchChatRender } from './chatRender';
import { completionBench } from './completion';
import { benchContext } from './context';
import { benchLoad } from './load';
import { benchManyStreams } from './manyStreams';
import { benchStreamCpu } from './streamCpu';
import { benchObserve } from './observe';
import { benchTranslateSubtitlesHttp } from './translateHttp';

interface Bench {
  name: string;
  run(out: (line: string) => void): Promise<void>;
}

const BENCHES: Bench[] = [
  { name: 'load: extension bundle vs the official ollama client (issue 11 §3)', run: benchLoad },
  { name: 'many streams at once; interactive work during a batch (issue 11 §1)', run: benchManyStreams },
  { name: 'per-token CPU of a 100k-token stream, NDJSON and SSE (issue 11 §4)', run: benchStreamCpu },
  { name: 'inline completion', run: completionBench },
  { name: 'chat render cost per streamed token (headless chromium)', run: benchChatRender },
  // Prints its own lines; the signature predates the shared `out` callback.
  { name: 'subtitle translation (1,000 cues, 4 parallel slots)', run: async () => benchTranslateSubtitlesHttp() },
  { name: 'model-activity observer (Models view follows our requests)', run: benchObserve },
  { name: 'workspace search on date-fns@4.4.0: index build, memory, query latency, top-5 quality (issue 15)', run: benchContext },
];

async function main(): Promise<void> {
  let failed = 0;
  for (const b of BENCHES) {
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
