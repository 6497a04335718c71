// Many streams at once (issue 11 §1), side by side with the official `ollama` client against the
// same server: 32 streams that each take 1 s on the server (first token after 1 s) - wall time of
// ours vs ollama-js (a hidden cap on connections shows as a multiple of 1 s); then a completion
// issued while a translation-like batch of 32 streams is held by the server: how long until the
// server sees it (it must not queue behind the batch).
import { OllamaClient } from '../src/core/ollama/client';
import { OllamaTestServer } from '../test/support/ollamaServer';

const STREAMS = 32;
const SERVER_MS = 1000;

export async function benchManyStreams(out: (line: string) => void): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Ollama } = require('ollama') as typeof import('ollama');
  const server = await OllamaTestServer.start({ firstTokenDelayMs: SERVER_MS });
  const ours = new OllamaClient({ host: server.url });
  const official = new Ollama({ host: server.url });
  try {
    const drain = async (it: AsyncIterable<unknown>) => { for await (const _ of it) { /* read */ } };
    const wall = async (one: (i: number) => Promise<void>) => {
      const t0 = performance.now();
      await Promise.all(Array.from({ length: STREAMS }, (_, i) => one(i)));
      return performance.now() - t0;
    };
    await wall(async (i) => drain(await ours.generate({ model: 'llama3.2', prompt: `warm ${i}`, stream: true })));
    await wall(async (i) => drain(await official.generate({ model: 'llama3.2', prompt: `warm ${i}`, stream: true })));
    const as: number[] = [];
    const bs: number[] = [];
    for (let r = 0; r < 3; r++) {
      as.push(await wall(async (i) => drain(await ours.generate({ model: 'llama3.2', prompt: `p ${i}`, stream: true }, { lane: 'batch' }))));
      bs.push(await wall(async (i) => drain(await official.generate({ model: 'llama3.2', prompt: `p ${i}`, stream: true }))));
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[1]!;
    const a = median(as);
    const b = median(bs);
    out(`${STREAMS} parallel streams, ${SERVER_MS} ms each on the server (median of 3, alternating):`);
    out(`  ours ${a.toFixed(0)} ms, ollama-js ${b.toFixed(0)} ms: ratio ${(a / b).toFixed(2)}  (a cap of 16 would give ~2.0)`);

    // A held batch of 32, then a completion: time until the server sees it.
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    server.setFaults({ holdUntil: gate }, { path: '/api/chat' });
    const batch = Array.from({ length: STREAMS }, (_, i) => ours.chat({ model: 'llama3.2', messages: [{ role: 'user', content: `chunk ${i}` }] }, { lane: 'batch' }));
    await server.waitForRequest(() => server.requests.filter((r) => r.path === '/api/chat').length >= STREAMS, 10000);
    const t0 = performance.now();
    const seen = server.waitForRequest((r) => r.path === '/api/generate' && (r.body as { prompt?: string })?.prompt === 'def f(', 10000);
    const completion = ours.generate({ model: 'qwen2.5-coder:1.5b', prompt: 'def f(', stream: true });
    await seen;
    const ms = performance.now() - t0;
    out(`  completion issued while ${STREAMS} batch streams are held: reached the server after ${ms.toFixed(1)} ms; batch still held: ${server.requests.filter((r) => r.path === '/api/chat' && r.firstByteAt === undefined).length}/${STREAMS}`);
    await drain(await completion);
    release();
    await Promise.all(batch);
  } finally {
    await ours.close();
    await server.close();
  }
}

if (require.main === module) void benchManyStreams((l) => console.log(l));
