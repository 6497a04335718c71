// The model-activity observer (src/core/llm/observe.ts) wraps every chat / completion / translation
// stream so the Models view can follow /api/ps. Its cost, measured side by side in one run:
// (1) per chunk, in process: a 20,000-chunk async stream read bare and read through observeStream;
// (2) per request, over HTTP: a whole streamed completion (64 tokens) through a bare OllamaBackend and
// through the observed one, alternating, against the protocol test server with no added latency.
import { OllamaBackend, type LlmBackend } from '../src/core/llm/backend';
import { observeBackend, observeStream } from '../src/core/llm/observe';
import { OllamaTestServer } from '../test/support/ollamaServer';

const CHUNKS = 20_000;
const ROUNDS = 15;
const HTTP_N = 200;

async function* source(n: number): AsyncGenerator<{ text: string }> {
  for (let i = 0; i < n; i++) yield { text: 'x' };
}

async function drain(it: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const c of it) { void c; n++; }
  return n;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

export async function benchObserve(out: (line: string) => void): Promise<void> {
  const bare: number[] = [];
  const observed: number[] = [];
  let ends = 0;
  for (let r = 0; r < ROUNDS; r++) {
    let t = performance.now();
    await drain(source(CHUNKS));
    bare.push(performance.now() - t);
    t = performance.now();
    await drain(observeStream(source(CHUNKS), () => ends++));
    observed.push(performance.now() - t);
  }
  const perBare = (median(bare) / CHUNKS) * 1e6;
  const perObs = (median(observed) / CHUNKS) * 1e6;
  out(`per chunk, in process (${CHUNKS} chunks x ${ROUNDS} rounds): bare ${perBare.toFixed(0)} ns, observed ${perObs.toFixed(0)} ns, +${(perObs - perBare).toFixed(0)} ns/chunk (ends reported: ${ends}/${ROUNDS})`);

  const words = Array.from({ length: 64 }, (_, i) => `w${i}`).join(' ');
  const server = await OllamaTestServer.start({ reply: () => words });
  const plain = new OllamaBackend({ host: server.url });
  const seen: string[] = [];
  const watched = observeBackend(new OllamaBackend({ host: server.url }), (a) => seen.push(a.phase));
  try {
    const one = async (b: LlmBackend) => {
      const t = performance.now();
      await drain(await b.complete({ model: 'qwen2.5-coder:1.5b', prompt: 'x', raw: true }));
      return performance.now() - t;
    };
    for (let i = 0; i < 5; i++) { await one(plain); await one(watched); }
    const a: number[] = [];
    const b: number[] = [];
    // ABBA order, so a load spike on the shared machine hits both sides alike.
    for (let i = 0; i < HTTP_N; i++) {
      if (i % 2) { a.push(await one(plain)); b.push(await one(watched)); } else { b.push(await one(watched)); a.push(await one(plain)); }
    }
    out(`per request over HTTP (64-token completion, N=${HTTP_N} each, ABBA order): bare median ${median(a).toFixed(2)} ms, observed median ${median(b).toFixed(2)} ms, ratio ${(median(b) / median(a)).toFixed(3)}; start/end events: ${seen.length / 2} requests`);
  } finally {
    await plain.close();
    await watched.close();
    await server.close();
  }
}
