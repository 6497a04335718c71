// Subtitle translation through the real HTTP stack: a deterministic 1,000-cue .srt goes through the
// extension's own TranslateFn (chatTranslateFn -> OllamaBackend -> OllamaClient -> undici) to the
// Ollama-protocol test server, which answers every request after a fixed latency. With the core
// keeping 4 requests in flight (Ollama's default parallel slots), the ideal wall time is
// requests / 4 x latency; the ratio wall / ideal shows what batching, HTTP and streaming add.
import { OllamaBackend } from '../src/core/llm/backend';
import { cues, parseSubtitles, serializeSubtitles, translateSubtitles } from '../src/core/translate';
import { chatTranslateFn } from '../src/core/translate/chatTranslate';
import { OllamaTestServer } from '../test/support/ollamaServer';
import { syntheticSrt } from './translateSubtitles';

const CUES = 1000;
const LATENCY_MS = 200;
const PARALLEL = 4;
const BATCH = 30;
const MODEL = 'llama3.2';

/** The test server's "model": answers a numbered batch line for line, other requests with a fixed text. */
function numberedReply(req: { body: { messages?: Array<{ role: string; content: string }> } }): string {
  const user = req.body.messages?.find((m) => m.role === 'user')?.content ?? '';
  const at = user.indexOf('Translate these');
  const items = [...user.slice(at < 0 ? 0 : at).matchAll(/^\[(\d+)\] (.*)$/gm)];
  return items.length ? items.map((m) => `[${m[1]}] 译文 ${m[2]}`).join('\n') : '译文';
}

export async function benchTranslateSubtitlesHttp(): Promise<void> {
  const server = await OllamaTestServer.start({ firstTokenDelayMs: LATENCY_MS, tokenDelayMs: 0, reply: numberedReply });
  const backend = new OllamaBackend({ host: server.url });
  try {
    const source = syntheticSrt(CUES);
    const file = parseSubtitles(source, 'srt');
    const translate = chatTranslateFn(async () => backend, { model: MODEL });
    let maxInFlight = 0;
    let inFlight = 0;
    const counted: typeof translate = async (req) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try { return await translate(req); } finally { inFlight--; }
    };
    // One request first, outside the timing: the first connection and the JIT are not what is measured.
    await translate({ system: 'warm-up', user: 'Translate these 1 subtitles:\n[1] warm-up' });
    const warm = server.requests.length;
    const t0 = performance.now();
    const r = await translateSubtitles(file, counted, { concurrency: PARALLEL, batchSize: BATCH, model: MODEL });
    const wallMs = performance.now() - t0;
    const idealMs = (r.requests / PARALLEL) * LATENCY_MS;
    const inCues = cues(file);
    const outCues = cues(r.file);
    const timingsIdentical = inCues.length === outCues.length && inCues.every((c, i) => c.timing === outCues[i]!.timing && c.timingEol === outCues[i]!.timingEol && c.id === outCues[i]!.id);
    // Every line that is not cue text (numbers, timing, blank lines) is byte-identical in the output.
    const skeleton = (f: typeof file): string => serializeSubtitles({ ...f, blocks: f.blocks.map((b) => (b.kind === 'cue' ? { ...b, lines: b.lines.map(() => '') } : b)) });
    const frameIdentical = serializeSubtitles(file) === source && skeleton(file) === skeleton(r.file);
    const translated = outCues.filter((c) => c.lines[0]?.startsWith('译文 ')).length;
    const measured = server.requests.slice(warm).filter((q) => q.path === '/api/chat');
    const serverMs = measured.reduce((a, q) => a + ((q.endedAt ?? q.startedAt) - q.startedAt), 0) / Math.max(1, measured.length);
    const lines = [
      `translateSubtitlesHttp: ${CUES} cues, batch ${BATCH}, concurrency ${PARALLEL}, server latency ${LATENCY_MS} ms (first token), token delay 0`,
      `  requests          ${r.requests} (server saw ${measured.length} POST /api/chat; max in flight ${maxInFlight}; mean time on the server ${serverMs.toFixed(0)} ms)`,
      `  wall              ${wallMs.toFixed(0)} ms`,
      `  ideal             ${idealMs.toFixed(0)} ms  (= ${r.requests} / ${PARALLEL} x ${LATENCY_MS} ms)`,
      `  ratio wall/ideal  ${(wallMs / idealMs).toFixed(2)}  (against the time the server really took, ${r.requests} / ${PARALLEL} x ${serverMs.toFixed(0)} ms: ${(wallMs / ((r.requests / PARALLEL) * serverMs)).toFixed(2)})`,
      `  cues in == out    ${inCues.length} == ${outCues.length}: ${inCues.length === outCues.length ? 'yes' : 'NO'} (translated ${translated}, failed ${r.failedCueIds.length})`,
      `  timestamps identical ${timingsIdentical ? 'yes' : 'NO'}; ids, timing lines and blank lines byte-identical ${frameIdentical ? 'yes' : 'NO'}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await backend.close();
    await server.close();
  }
}

if (require.main === module) void benchTranslateSubtitlesHttp();
