// Subtitles that never drift, and whole folders, through the real HTTP stack (chatTranslateFn ->
// OllamaBackend -> undici) to the Ollama-protocol test server whose translating model
// (test/support/ollamaServerTranslator.ts) merges or drops a cue in 10% of batch answers.
// 1) A 1,000-cue dialogue file, three ways the misbehaviour shows: ids wrong (the answer is one line
//    short), ids complete (the tail padded: a hidden merge), strict mode (a schema of exactly N
//    items, so always hidden). Cues in/out, timestamps, cues whose text is not their own
//    translation, requests used vs the ideal (the batches of a model that never misbehaves).
// 2) A folder of 20 files (subtitles and Markdown): wall time vs the ideal (requests / parallel x
//    latency).
import { OllamaBackend } from '../src/core/llm/backend';
import { cues, FolderJob, parseSubtitles, translateSubtitles, type FolderFile, type FolderIo } from '../src/core/translate';
import { chatTranslateFn } from '../src/core/translate/chatTranslate';
import { OllamaTestServer } from '../test/support/ollamaServer';
import { TranslatorModel, translatedFrom } from '../test/support/ollamaServerTranslator';
import { syntheticDialogueSrt } from './translateSubtitles';

const PARALLEL = 4;
const MODEL = 'llama3.2';

export async function benchTranslateDrift(out: (line: string) => void): Promise<void> {
  const latency = 150;
  const model = new TranslatorModel({ share: 0.1, kinds: ['merge', 'drop'], seed: 'bench' });
  const server = await OllamaTestServer.start({ firstTokenDelayMs: latency, tokenDelayMs: 0, reply: model.reply });
  const backend = new OllamaBackend({ host: server.url });
  try {
    const translate = chatTranslateFn(async () => backend, { model: MODEL });
    await translate({ system: 'warm-up', user: 'warm-up' });
    const source = syntheticDialogueSrt(1000, 5);
    const file = parseSubtitles(source, 'srt');
    const ins = cues(file);
    // The ideal: what a model that never misbehaves needs.
    model.opts.share = 0;
    const clean = await translateSubtitles(file, translate, { concurrency: PARALLEL, batchSize: 30, model: MODEL });
    const ideal = clean.requests;
    out(`1,000 cues (dialogue, scene gaps), batch 30, ${PARALLEL} parallel, server latency ${latency} ms; a model that merges or drops a cue in 10% of batch answers`);
    out(`  ideal (a model that never misbehaves): ${ideal} requests`);
    for (const [label, hidden, strict] of [['ids wrong (answer one line short)', false, false], ['ids complete (hidden merge, tail padded)', true, false], ['strict mode (schema of exactly N items)', true, true]] as const) {
      model.opts.share = 0.1;
      model.opts.hidden = hidden;
      const before = { ...model.stats, byKind: { ...model.stats.byKind } };
      const t0 = performance.now();
      const r = await translateSubtitles(file, translate, { concurrency: PARALLEL, batchSize: 30, model: MODEL + label, strict });
      const wall = performance.now() - t0;
      const outs = cues(r.file);
      const sameTiming = outs.length === ins.length && outs.every((c, i) => c.timing === ins[i]!.timing && c.timingEol === ins[i]!.timingEol && c.id === ins[i]!.id);
      const wrong = ins.filter((c, i) => !translatedFrom(outs[i]!.lines.join('\n'), c.lines.join('\n'))).length;
      const misbehaved = model.stats.misbehaved - before.misbehaved;
      out(`  ${label}:`);
      out(`    cues in ${ins.length}, out ${outs.length} (${ins.length === outs.length ? 'equal' : 'DIFFERENT'}); every timestamp identical: ${sameTiming ? 'yes' : 'NO'}; cues not their own translation: ${wrong}; kept in the original: ${r.failedCueIds.length}`);
      out(`    misbehaving answers ${misbehaved} (merge ${model.stats.byKind.merge - before.byKind.merge}, drop ${model.stats.byKind.drop - before.byKind.drop}); caught by ids ${r.invalid}, by alignment ${r.misaligned}`);
      out(`    requests ${r.requests} vs ideal ${ideal} (x${(r.requests / ideal).toFixed(2)}); wall ${wall.toFixed(0)} ms vs ideal ${((ideal / PARALLEL) * latency).toFixed(0)} ms`);
    }
  } finally {
    await backend.close();
    await server.close();
  }
  await benchFolder(out);
}

async function benchFolder(out: (line: string) => void): Promise<void> {
  const latency = 100;
  const model = new TranslatorModel();
  const server = await OllamaTestServer.start({ firstTokenDelayMs: latency, tokenDelayMs: 0, reply: model.reply });
  const backend = new OllamaBackend({ host: server.url });
  try {
    const translate = chatTranslateFn(async () => backend, { model: MODEL });
    await translate({ system: 'warm-up', user: 'warm-up' });
    const files: Record<string, string> = {};
    for (let i = 0; i < 14; i++) files[`/f/ep${i}.srt`] = syntheticDialogueSrt(20 + ((i * 37) % 140), 100 + i);
    for (let i = 0; i < 6; i++) files[`/f/doc${i}.md`] = Array.from({ length: 3 + i * 2 }, (_x, k) => `## Part ${k}\n\nParagraph ${k} of document ${i}, long enough to be worth a request of its own when chunks are small.`).join('\n\n') + '\n';
    const io: FolderIo = {
      read: async (f) => files[f.key]!, write: async (_f, o, t) => { files[o] = t; }, outputKey: (f, name) => f.key.replace(/[^/]*$/, name), exists: async (k) => k in files,
    };
    const list: FolderFile[] = Object.keys(files).map((k) => ({ key: k, name: k.slice(3) }));
    const t0 = performance.now();
    const r = await new FolderJob(list, io, { target: 'zh-CN', model: MODEL, chunkChars: 200 }).run(translate, { concurrency: PARALLEL });
    const wall = performance.now() - t0;
    const idealMs = (r.requests / PARALLEL) * latency;
    const units = r.files.reduce((a, f) => a + f.units, 0);
    out(`folder of ${list.length} files (14 .srt of 20-159 cues, 6 .md), ${PARALLEL} parallel requests shared by all files, latency ${latency} ms:`);
    out(`  ${r.files.filter((f) => f.status === 'done').length} done, ${units} cues and chunks, ${r.requests} requests; wall ${wall.toFixed(0)} ms vs ideal ${idealMs.toFixed(0)} ms (= ${r.requests} / ${PARALLEL} x ${latency} ms): ratio ${(wall / idealMs).toFixed(2)}`);
  } finally {
    await backend.close();
    await server.close();
  }
}

if (require.main === module) void benchTranslateDrift((l) => process.stdout.write(l + '\n'));
