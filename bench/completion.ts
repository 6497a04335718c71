// Inline completion under a scripted typing session, against the Ollama-protocol test server with a
// fixed first-token latency. Drives the very pipeline the VS Code provider uses (CompletionEngine:
// session + cache + debouncer + backend) with simulated keystrokes: per keystroke the edit hook, the
// cancellation of the previous provider call, and a new provider call - as the editor does it.
// Prints requests sent / aborted (and how soon after the keystroke the server saw each abort), cache
// hits, stream reuses, and the pipeline's own overhead as a ratio to a bare undici POST of the same body.
// BENCH_DEBUG=1 also lists every request of the typing session.
import { Agent, request } from 'undici';
import { computeWindows, stringAccessor } from '../src/core/fim';
import type { CompletionParams, LlmBackend } from '../src/core/llm/backend';
import { OllamaBackend } from '../src/core/llm/backend';
import type { CallOptions } from '../src/core/http/options';
import { OllamaClient } from '../src/core/ollama/client';
import { CompletionEngine, type EngineResult, type EngineSettings } from '../src/core/fim';
import { OllamaTestServer, type RecordedRequest } from '../test/support/ollamaServer';

const MODEL = 'qwen2.5-coder:1.5b';
const SEED = 20261124;
const KEYSTROKES = 200;
const FIRST_TOKEN_MS = 150;
const TOKEN_MS = 20;
const DEBOUNCE_MS = 250;
const OVERHEAD_N = 50;

/** The file being typed. The "model" knows it: at most positions it predicts the rest of the line. */
const TARGET = `export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))];
}
`;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WRONG = 'undefined as never;\n  // TODO: handle the empty case and the NaN case\n  if (values.length === 0) return Number.NaN;\n' +
  '  return values.reduce((a, b) => a + b, 0);\n';

/** Like a small model: right at about half the positions, and then only for the next 4-12
 * characters (never past the line); elsewhere three wrong lines. Deterministic in the position. */
function oracleReply(req: { path: string; body: { prompt?: string } }): string {
  const prompt = req.body.prompt ?? '';
  if (prompt.startsWith('// overhead')) return 'x + 1;\n';
  const pos = prompt.length;
  const h = (pos * 2654435761) >>> 0;
  if (h % 10 >= 5) return WRONG;
  const eol = TARGET.indexOf('\n', pos);
  const end = Math.min(pos + 4 + ((h >>> 8) % 9), eol < 0 ? TARGET.length : eol + 1);
  return TARGET.slice(pos, end);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function summary(xs: number[]): string {
  if (!xs.length) return 'n=0';
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0].toFixed(1)}, median ${median(s).toFixed(1)}, p95 ${quantile(s, 0.95).toFixed(1)}, max ${s[s.length - 1].toFixed(1)} (n=${s.length})`;
}

interface TrackedCall { at: number; abortedAt?: number; reason?: string }

/** The backend, recording each request and why/when it was aborted. */
function tracked(backend: LlmBackend, calls: TrackedCall[]): Pick<LlmBackend, 'complete' | 'baseUrl' | 'modelFacts'> {
  return {
    baseUrl: backend.baseUrl,
    modelFacts: (model, o) => backend.modelFacts(model, o),
    complete(p: CompletionParams, o: CallOptions = {}) {
      const c: TrackedCall = { at: performance.now() };
      calls.push(c);
      o.signal?.addEventListener('abort', () => {
        c.abortedAt = performance.now();
        const r: unknown = o.signal?.reason;
        c.reason = r instanceof Error ? r.message : 'aborted';
      }, { once: true });
      return backend.complete(p, o);
    },
  };
}

function settings(): EngineSettings {
  return { model: MODEL, debounceMs: DEBOUNCE_MS, maxLines: 12, numPredict: 128, keepAlive: '30m' };
}

interface Keystroke { ch: string; waitMs: number }

function script(rng: () => number): { keys: Keystroke[]; bursts: number } {
  const between = (a: number, b: number): number => a + Math.floor(rng() * (b - a + 1));
  const keys: Keystroke[] = [];
  let bursts = 0;
  while (keys.length < KEYSTROKES) {
    const len = between(3, 12);
    bursts++;
    for (let i = 0; i < len && keys.length < KEYSTROKES; i++) {
      keys.push({ ch: TARGET[keys.length], waitMs: i === 0 ? (keys.length ? between(300, 800) : 0) : between(40, 90) });
    }
  }
  return { keys, bursts };
}

async function typingSession(out: (s: string) => void): Promise<void> {
  const server = await OllamaTestServer.start({ firstTokenDelayMs: FIRST_TOKEN_MS, tokenDelayMs: TOKEN_MS, reply: oracleReply });
  const client = new OllamaClient({ host: server.url });
  const calls: TrackedCall[] = [];
  const backend = tracked(new OllamaBackend(client), calls);
  const engine = new CompletionEngine({ backend: async () => backend, settings });
  try {
    const { keys, bursts } = script(mulberry32(SEED));
    const keyTimes: number[] = [];
    const results: Promise<EngineResult>[] = [];
    let provide: AbortController | undefined;
    let doc = '';
    const t0 = performance.now();
    for (const k of keys) {
      if (k.waitMs) await sleep(k.waitMs);
      doc += k.ch;
      keyTimes.push(performance.now());
      const w = computeWindows(stringAccessor(doc), doc.length);
      engine.edit('doc', () => w); // onDidChangeTextDocument
      provide?.abort(); // the editor cancels the previous provider call
      provide = new AbortController();
      results.push(engine.complete({ doc: 'doc', prefix: w.prefix, suffix: w.suffix, signal: provide.signal }));
    }
    const typingMs = performance.now() - t0;
    const done = await Promise.all(results);
    await sleep(600); // orphaned streams end
    const gens = server.requests.filter((r) => r.path === '/api/generate');
    const st = engine.stats();

    // Each abort, matched to the request (same order), and the keystroke that preceded the client's abort.
    const keyDelays: number[] = [];
    const otherReasons = new Map<string, number>();
    const reasons = new Map<string, number>();
    gens.forEach((r: RecordedRequest, i) => {
      if (!r.aborted || r.closedAt === undefined) return;
      const c = calls[i];
      const reason = c?.reason ?? 'unknown';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      if (reason === 'completion superseded by typing' && c?.abortedAt !== undefined) {
        const key = keyTimes.filter((t) => t <= c.abortedAt! + 0.001).pop();
        if (key !== undefined) keyDelays.push(r.closedAt - key);
      } else {
        otherReasons.set(reason, (otherReasons.get(reason) ?? 0) + 1);
      }
    });
    const sinceKey = gens.map((r) => r.startedAt - (keyTimes.filter((t) => t <= r.startedAt).pop() ?? 0));
    const early = sinceKey.filter((d) => d < DEBOUNCE_MS - 20).length;
    const shown = done.filter((r) => r.kind === 'completion' && r.text).length;
    const aborted = gens.filter((r) => r.aborted).length;

    out(`typing session: ${KEYSTROKES} keystrokes in ${bursts} bursts (3-12 chars 40-90 ms apart, 300-800 ms pauses, seed ${SEED}), ${(typingMs / 1000).toFixed(1)} s`);
    out(`server: first token ${FIRST_TOKEN_MS} ms, ${TOKEN_MS} ms/token; debounce ${DEBOUNCE_MS} ms`);
    out(`provider calls:                 ${st.provides}`);
    out(`requests sent:                  ${gens.length} (engine counted ${st.requests}; ${early} started < debounce after a keystroke)`);
    out(`requests aborted:               ${aborted} (${[...reasons].map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'})`);
    out(`abort seen by the server after the keystroke, ms: ${summary(keyDelays)}`);
    if (otherReasons.size) out(`aborts not caused by a keystroke: ${[...otherReasons].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
    out(`cache hits (type-through):      ${st.cacheHits}`);
    out(`stream reuses:                  ${st.reuses} (restarted after diverging: ${st.restarts})`);
    out(`completions shown:              ${shown}`);
    if (process.env.BENCH_DEBUG) {
      for (const r of gens) {
        const next = keyTimes.find((t) => t > r.startedAt);
        const body = r.body as { prompt: string };
        out(`  #${r.id} pos ${body.prompt.length} reply ${JSON.stringify(oracleReply({ path: '', body }))} ended +${((r.endedAt ?? r.closedAt ?? 0) - r.startedAt).toFixed(0)} next key +${next ? (next - r.startedAt).toFixed(0) : '-'} aborted ${r.aborted}`);
      }
    }
    const live = gens.filter((r) => r.endedAt === undefined && !r.aborted).length;
    if (live) out(`WARNING: ${live} requests still open at the end`);
  } finally {
    engine.reset(true);
    await client.close();
    await server.close();
  }
}

/** First chunk through the pipeline vs a bare undici POST of the same body, same server, medians. */
async function overhead(firstTokenMs: number, out: (s: string) => void): Promise<void> {
  const server = await OllamaTestServer.start({ firstTokenDelayMs: firstTokenMs, tokenDelayMs: 1, reply: oracleReply });
  const client = new OllamaClient({ host: server.url });
  const backend = new OllamaBackend(client);
  const engine = new CompletionEngine({ backend: async () => backend, settings });
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const pipe: number[] = [];
  const bare: number[] = [];
  try {
    const once = async (i: number, measure: boolean): Promise<void> => {
      const prefix = `// overhead ${i}\nconst x = `;
      const before = server.requests.length;
      const r = await engine.complete({ doc: `overhead-${i}`, prefix, suffix: '', manual: true });
      if (r.kind !== 'completion' || !r.timing?.firstChunkAt) throw new Error(`pipeline run ${i}: ${JSON.stringify(r)}`);
      engine.close(`overhead-${i}`);
      const sent = server.requests.slice(before).find((q) => q.path === '/api/generate');
      if (!sent) throw new Error('no generate request recorded');
      // The same bytes, bare: time to the first NDJSON line.
      const t = performance.now();
      const res = await request(`${server.url}/api/generate`, {
        method: 'POST', body: sent.rawBody, headers: { 'content-type': 'application/json' }, dispatcher: agent,
      });
      // Read to the end (as the pipeline does) so the connection is kept alive for the next run.
      let firstAt = 0;
      for await (const chunk of res.body) {
        if (!firstAt && (chunk as Buffer).includes(10)) firstAt = performance.now();
      }
      if (!firstAt) throw new Error('bare request: no line');
      if (measure) {
        pipe.push(r.timing.firstChunkAt - r.timing.readyAt);
        bare.push(firstAt - t);
      }
    };
    for (let i = 0; i < 5; i++) await once(-1 - i, false); // warm-up: connections, /api/show
    for (let i = 0; i < OVERHEAD_N; i++) await once(i, true);
    const p = median(pipe);
    const b = median(bare);
    out(`first token ${String(firstTokenMs).padStart(3)} ms: pipeline (debounce end -> first chunk) median ${p.toFixed(2)} ms, ` +
      `bare undici POST median ${b.toFixed(2)} ms, ratio ${(p / b).toFixed(3)} (+${(p - b).toFixed(2)} ms), N=${OVERHEAD_N} each`);
  } finally {
    engine.reset(true);
    await agent.close();
    await client.close();
    await server.close();
  }
}

export async function completionBench(out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Promise<void> {
  await typingSession(out);
  out('overhead of the completion pipeline over a bare HTTP request of the same prompt:');
  await overhead(FIRST_TOKEN_MS, out);
  await overhead(0, out);
}

if (require.main === module) void completionBench();
