// Subtitle translation throughput: N cues through translateSubtitles with a translate function of
// fixed latency, compared with the ideal (requests / parallelism x latency). A ratio near 1 means
// batching, retries and the work queue add no waiting of their own. The HTTP version passes a
// `translate` that talks to the Ollama-protocol test server.
import { parseSubtitles } from '../src/core/translate/subtitles';
import { translateSubtitles } from '../src/core/translate/subtitleJob';
import type { TranslateFn } from '../src/core/translate/types';

export interface SubtitleBenchOptions {
  cues?: number;
  /** Latency of one request (the built-in fake waits this long; used for the ideal in every case). */
  latencyMs: number;
  /** Requests in flight at once. */
  parallel?: number;
  batchSize?: number;
  /** Defaults to a fake that answers every batch correctly after latencyMs. */
  translate?: TranslateFn;
}

export interface SubtitleBenchResult {
  cues: number;
  wallMs: number;
  requests: number;
  /** requests / parallel x latencyMs */
  idealMs: number;
  /** wallMs / idealMs */
  ratio: number;
  failed: number;
}

function timestamp(ms: number): string {
  const p = (x: number, w = 2): string => String(x).padStart(w, '0');
  return `${p(Math.floor(ms / 3_600_000))}:${p(Math.floor(ms / 60_000) % 60)}:${p(Math.floor(ms / 1000) % 60)},${p(ms % 1000, 3)}`;
}

/** A realistic SRT: CRLF, every third cue on two lines. */
export function syntheticSrt(n: number): string {
  let s = '';
  for (let i = 1; i <= n; i++) {
    const text = i % 3 === 0 ? `Line ${i}, where the speaker keeps talking\nand the sentence goes on.` : `Line ${i}: a short subtitle.`;
    s += `${i}\r\n${timestamp(i * 2500)} --> ${timestamp(i * 2500 + 2000)}\r\n${text.replace(/\n/g, '\r\n')}\r\n\r\n`;
  }
  return s;
}

/** Answers "[n] text" batches correctly after a fixed delay. */
export function fakeLatencyTranslate(latencyMs: number): TranslateFn {
  return (req) => new Promise((resolve, reject) => {
    const items = [...req.user.slice(req.user.indexOf('Translate these')).matchAll(/^\[(\d+)\] (.*)$/gm)];
    const onAbort = (): void => { clearTimeout(t); reject(req.signal!.reason); };
    const t = setTimeout(() => {
      req.signal?.removeEventListener('abort', onAbort);
      resolve(items.map((m) => `[${m[1]}] 译${m[2]}`).join('\n'));
    }, latencyMs);
    req.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function runSubtitleBench(o: SubtitleBenchOptions): Promise<SubtitleBenchResult> {
  const cues = o.cues ?? 1000;
  const parallel = o.parallel ?? 4;
  const file = parseSubtitles(syntheticSrt(cues), 'srt');
  const translate = o.translate ?? fakeLatencyTranslate(o.latencyMs);
  const t0 = performance.now();
  const r = await translateSubtitles(file, translate, { concurrency: parallel, batchSize: o.batchSize ?? 30 });
  const wallMs = performance.now() - t0;
  const idealMs = (r.requests / parallel) * o.latencyMs;
  return { cues, wallMs, requests: r.requests, idealMs, ratio: idealMs > 0 ? wallMs / idealMs : 0, failed: r.failedCueIds.length };
}

if (require.main === module) {
  void (async () => {
    for (const latencyMs of [20, 100]) {
      const r = await runSubtitleBench({ cues: 1000, latencyMs, parallel: 4 });
      process.stdout.write(`translateSubtitles ${r.cues} cues, latency ${latencyMs} ms, parallel 4: ${r.requests} requests, ` +
        `wall ${r.wallMs.toFixed(0)} ms, ideal ${r.idealMs.toFixed(0)} ms, ratio ${r.ratio.toFixed(2)}\n`);
    }
  })();
}
