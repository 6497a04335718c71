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

const LINES = [
  'Where were you last night?', 'I told you already.', 'No, you told me you were at home, and that is not the same thing at all.',
  'Fine.', 'Look, I did not want to worry you.', 'Worry me about what?', 'The letter came this morning. It was from the bank.',
  'They want the house back by the end of the month.', 'We cannot let that happen.', 'Then tell me what you want me to do!',
  'Hello?', 'Is anybody there?', 'Stay behind me and do not say a word, whatever happens in there.', 'Okay.',
  'I never thought I would see this place again.', 'It has not changed much, has it?', 'The garden used to be full of roses when we were children.',
  'Your mother planted every single one of them herself.', 'Come on, we are late.', 'Wait for me!', 'Did you hear that?',
  'It is just the wind.', 'Nobody comes up here anymore, not since the accident.', 'What accident?', 'You really do not know?',
  'Get in the car.', 'Now!', 'I am sorry, I should have told you everything from the very beginning.', 'Thank you.', 'For what?',
  'For staying, even when everybody else left.', 'Good morning, everyone, and welcome to the first day of the rest of your lives.',
  'Please take your seats.', 'We have a lot of ground to cover and very little time to do it.', 'Any questions?', 'Yes, at the back.',
  'How long will the training last?', 'As long as it takes.', 'Mm-hmm.', 'That is not an answer.', 'It is the only one I have.',
];

function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >> 17; x ^= x << 5; x >>>= 0; return x / 0x1_0000_0000; };
}

/**
 * A dialogue-like SRT without numbers in the text (numbers would make misalignment trivial to see):
 * lines of 4-130 characters, every fourth cue on two lines, silences of 0.1-1.5 s within a scene and
 * 4-20 s between scenes of 10-60 cues. CRLF.
 */
export function syntheticDialogueSrt(n: number, seed = 7): string {
  const rnd = seeded(seed);
  let t = 1000;
  let sceneLeft = 10 + Math.floor(rnd() * 50);
  let s = '';
  for (let i = 1; i <= n; i++) {
    const a = LINES[Math.floor(rnd() * LINES.length)]!;
    const text = i % 4 === 0 ? `${a}\r\n${LINES[Math.floor(rnd() * LINES.length)]!}` : a;
    const dur = 800 + Math.floor(rnd() * 3500);
    s += `${i}\r\n${timestamp(t)} --> ${timestamp(t + dur)}\r\n${text}\r\n\r\n`;
    t += dur;
    if (--sceneLeft <= 0) { t += 4000 + Math.floor(rnd() * 16000); sceneLeft = 10 + Math.floor(rnd() * 50); } else t += 100 + Math.floor(rnd() * 1400);
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
