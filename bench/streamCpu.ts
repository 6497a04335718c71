// Per-token CPU of a 100k-token streamed answer: our client against the official ones, side by side
// in one run, against the same server (the Ollama-protocol test server in a child process, so only
// the client's CPU is in this process). NDJSON: OllamaClient.generate vs ollama-js `generate`.
// SSE: OpenAICompatClient.chatCompletions vs the official `openai` client's chat.completions
// (and vs ollama-js on the NDJSON form of the same answer). Runs alternate A/B and the median of
// the per-run CPU (process.cpuUsage: user + system) per token is reported.
import { OllamaClient } from '../src/core/ollama/client';
import { OpenAICompatClient } from '../src/core/openai/client';
import { startBenchServer } from './childServer';

const TOKENS = 100_000;
const RUNS = 7;
const MODEL = 'llama3.2';


const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** CPU µs spent in this process while `run` streams; returns [µs, tokens]. */
async function measure(run: () => Promise<number>): Promise<[number, number]> {
  const c0 = process.cpuUsage();
  const n = await run();
  const c = process.cpuUsage(c0);
  return [c.user + c.system, n];
}

export async function benchStreamCpu(out: (line: string) => void): Promise<void> {
  const { url, child } = await startBenchServer(TOKENS);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Ollama } = require('ollama') as typeof import('ollama');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { OpenAI } = require('openai') as { OpenAI: new (o: object) => { chat: { completions: { create(b: object): Promise<AsyncIterable<{ choices: Array<{ delta?: { content?: string | null } }> }>> } } } };
  const ours = new OllamaClient({ host: url });
  const oursSse = new OpenAICompatClient({ host: url });
  const official = new Ollama({ host: url });
  const openai = new OpenAI({ baseURL: url + '/v1', apiKey: 'bench', maxRetries: 0 });
  const prompt = 'stream a long answer';
  const messages = [{ role: 'user' as const, content: prompt }];

  const clients: Record<string, () => Promise<number>> = {
    'ours NDJSON': async () => {
      let n = 0; let t = '';
      for await (const p of await ours.generate({ model: MODEL, prompt, stream: true })) { n++; t += p.response; }
      return t.length ? n : 0;
    },
    'ollama-js NDJSON': async () => {
      let n = 0; let t = '';
      for await (const p of await official.generate({ model: MODEL, prompt, stream: true })) { n++; t += p.response; }
      return t.length ? n : 0;
    },
    'ours SSE': async () => {
      let n = 0; let t = '';
      for await (const p of await oursSse.chatCompletions({ model: MODEL, messages, stream: true })) { n++; if ('choices' in p) t += p.choices[0]?.delta.content ?? ''; }
      return t.length ? n : 0;
    },
    'openai SSE': async () => {
      let n = 0; let t = '';
      for await (const p of await openai.chat.completions.create({ model: MODEL, messages, stream: true })) { n++; t += p.choices[0]?.delta?.content ?? ''; }
      return t.length ? n : 0;
    },
  };
  try {
    const perToken: Record<string, number[]> = {};
    for (let w = 0; w < 3; w++) for (const [name, run] of Object.entries(clients)) { await run(); perToken[name] = []; } // warm-up (JIT, connections)
    for (let r = 0; r < RUNS; r++) {
      for (const [name, run] of Object.entries(clients)) {
        const [us, n] = await measure(run);
        if (n < TOKENS) throw new Error(`${name}: only ${n} stream objects`);
        perToken[name]!.push(us / n);
      }
    }
    const m = (k: string) => median(perToken[k]!);
    out(`${TOKENS.toLocaleString('en')}-token streamed answer, ${RUNS} runs each (A/B alternating), median CPU per token in the client process:`);
    for (const k of Object.keys(clients)) out(`  ${k.padEnd(18)} ${m(k).toFixed(2)} µs/token`);
    out(`  NDJSON ratio ours / ollama-js:      ${(m('ours NDJSON') / m('ollama-js NDJSON')).toFixed(2)}  (goal <= 0.70)`);
    out(`  SSE ratio ours / openai (official): ${(m('ours SSE') / m('openai SSE')).toFixed(2)}  (goal <= 0.70)`);
    out(`  SSE ratio ours / ollama-js NDJSON:  ${(m('ours SSE') / m('ollama-js NDJSON')).toFixed(2)}  (the same answer through the official Ollama client)`);
  } finally {
    await ours.close();
    await oursSse.close();
    child.kill('SIGTERM');
  }
}

if (require.main === module) void benchStreamCpu((l) => console.log(l));
