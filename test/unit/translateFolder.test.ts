// Whole folders in plain Node: an in-memory file system, the translating test model; files skipped
// when their translation exists, a binary file failing alone, one limit on requests in flight for
// all files, and a run stopped half way (its state as saved at that moment) resumed without asking
// again for anything finished.
import * as assert from 'assert';
import { FolderJob, isTranslationOutput, type FolderFile, type FolderIo, type FolderJobState, type FolderProgress, type TranslateFn } from '../../src/core/translate';
import { abortError } from '../../src/core/common/cancel';
import { syntheticDialogueSrt } from '../../bench/translateSubtitles';
import { TranslatorModel } from '../support/ollamaServerTranslator';

function memoryIo(files: Record<string, string>): FolderIo & { files: Record<string, string> } {
  return {
    files,
    read: async (f) => { const t = files[f.key]; if (t === undefined) throw new Error(`ENOENT ${f.key}`); return t; },
    write: async (_f, out, text) => { files[out] = text; },
    outputKey: (f, name) => f.key.replace(/[^/]*$/, name),
    exists: async (k) => k in files,
  };
}

function model(m: TranslatorModel, hook?: (n: number) => void): TranslateFn & { calls: string[] } {
  const calls: string[] = [];
  const fn = (async (req) => {
    calls.push(req.user);
    hook?.(calls.length);
    await new Promise((r) => setImmediate(r));
    if (req.signal?.aborted) throw req.signal.reason;
    return m.reply({ path: '/api/chat', body: { messages: [{ role: 'system', content: req.system }, { role: 'user', content: req.user }] } });
  }) as TranslateFn & { calls: string[] };
  fn.calls = calls;
  return fn;
}

const list = (io: { files: Record<string, string> }): FolderFile[] => Object.keys(io.files).map((k) => ({ key: k, name: k.replace(/^\/root\//, '') }));

describe('translate: folders', () => {
  it('outputs are recognised as outputs, never inputs', () => {
    assert.ok(isTranslationOutput('a/movie.zh-CN.srt', 'Simplified Chinese'));
    assert.ok(isTranslationOutput('movie.zh-CN (2).srt', 'zh-CN'));
    assert.ok(!isTranslationOutput('movie.en.srt', 'Simplified Chinese'));
    assert.ok(!isTranslationOutput('notes.md', 'Simplified Chinese'));
  });

  it('translates every subtitle and Markdown file, skips existing translations and other files, fails a binary file alone', async () => {
    const io = memoryIo({
      '/root/a.srt': syntheticDialogueSrt(40, 1), '/root/sub/b.vtt': 'WEBVTT\n\n00:01.000 --> 00:02.000\nHello there.\n\n00:03.000 --> 00:04.000\nGood bye.\n',
      '/root/c.md': '# Title\n\nSome text to translate.\n', '/root/d.srt': syntheticDialogueSrt(5, 2), '/root/d.zh-CN.srt': 'old translation',
      '/root/bin.srt': '\u0000\u0001PNG', '/root/code.ts': 'const x = 1;',
    });
    const fn = model(new TranslatorModel());
    const job = new FolderJob(list(io), io, { target: 'Simplified Chinese', model: 'm' });
    const r = await job.run(fn, { concurrency: 2 });
    const by = Object.fromEntries(r.files.map((f) => [f.file.name, f.status]));
    assert.deepStrictEqual(by, { 'a.srt': 'done', 'sub/b.vtt': 'done', 'c.md': 'done', 'd.srt': 'skipped', 'bin.srt': 'failed' });
    assert.ok(io.files['/root/a.zh-CN.srt']!.includes('〔译〕'));
    assert.ok(io.files['/root/sub/b.zh-CN.vtt']!.startsWith('WEBVTT'));
    assert.strictEqual(io.files['/root/c.zh-CN.md'], '〔译〕# Title\n\n〔译〕Some text to translate.\n');
    assert.strictEqual(io.files['/root/d.zh-CN.srt'], 'old translation');
    assert.strictEqual(r.requests, fn.calls.length);
  });

  it('one progress for the whole folder: files and units only grow, end at their totals, and an ETA once work was done', async () => {
    const io = memoryIo({ '/root/a.srt': syntheticDialogueSrt(60, 3), '/root/b.srt': syntheticDialogueSrt(45, 4), '/root/c.md': '# T\n\nOne.\n\nTwo.\n' });
    let clock = 0;
    const base = model(new TranslatorModel());
    const fn: TranslateFn = async (req) => { clock += 100; return base(req); };
    const seen: FolderProgress[] = [];
    const r = await new FolderJob(list(io), io, { target: 'zh-CN', model: 'm', now: () => clock }).run(fn, { concurrency: 2, onProgress: (p) => seen.push(p) });
    assert.ok(r.files.every((f) => f.status === 'done'));
    const last = seen.at(-1)!;
    assert.strictEqual(last.filesTotal, 3);
    assert.strictEqual(last.filesDone, 3);
    assert.strictEqual(last.unitsDone, last.unitsTotal);
    assert.ok(last.unitsTotal >= 105, String(last.unitsTotal));
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i]!.filesDone >= seen[i - 1]!.filesDone && seen[i]!.unitsDone >= seen[i - 1]!.unitsDone, `progress went back at ${i}`);
    }
    assert.strictEqual(seen[0]!.etaMs, undefined, 'no ETA before any work');
    const mid = seen.find((p) => p.unitsDone > 0 && p.unitsDone < p.unitsTotal && p.etaMs !== undefined);
    assert.ok(mid, 'an ETA while the job runs');
    // Rate so far x what is left: 100 ms of fake clock per request.
    assert.ok(mid.etaMs! > 0 && mid.etaMs! < 100 * 10 * 2, String(mid.etaMs));
  });

  it('keeps at most `concurrency` requests in flight across all files', async () => {
    const io = memoryIo(Object.fromEntries(Array.from({ length: 6 }, (_x, i) => [`/root/f${i}.srt`, syntheticDialogueSrt(70, i + 1)])));
    let active = 0;
    let peak = 0;
    const base = model(new TranslatorModel());
    const fn: TranslateFn = async (req) => { active++; peak = Math.max(peak, active); try { return await base(req); } finally { active--; } };
    await new FolderJob(list(io), io, { target: 'zh-CN' }).run(fn, { concurrency: 3 });
    assert.strictEqual(peak, 3);
  });

  it('resumes from the state saved when it stopped: finished files and batches are not asked again', async () => {
    const io = memoryIo(Object.fromEntries(Array.from({ length: 4 }, (_x, i) => [`/root/e${i}.srt`, syntheticDialogueSrt(60, i + 10)])));
    const ac = new AbortController();
    let saved: FolderJobState | undefined;
    const first = model(new TranslatorModel(), (n) => { if (n === 7) ac.abort(abortError(undefined, 'Translation')); });
    const job = new FolderJob(list(io), io, { target: 'zh-CN', model: 'm' });
    await assert.rejects(job.run(first, { concurrency: 2, signal: ac.signal, onState: (s) => { saved = s; } }), (e: Error) => e.name === 'AbortError');
    // What a crash leaves: the last state saved (not job.state).
    const finished = Object.values(saved!.files).filter((f) => f.status === 'done').length;
    const partialCues = Object.values(saved!.files).reduce((a, f) => a + Object.keys(f.subtitle?.done ?? {}).length, 0);
    assert.ok(finished + partialCues > 0, JSON.stringify(saved));
    const askedBefore = new Set(first.calls.slice(0, 6).flatMap((u) => [...u.matchAll(/^\[(\d+)\]/gm)].map((m) => m[1])));
    const second = model(new TranslatorModel());
    const r = await new FolderJob(list(io), io, { target: 'zh-CN', model: 'm' }, saved).run(second, { concurrency: 2 });
    assert.ok(r.files.every((f) => f.status === 'done'), JSON.stringify(r.files.map((f) => f.status)));
    // 60 cues a file go out in two batches of 30: the resumed run asks only for the cues not saved.
    const secondCues = second.calls.reduce((a, u) => a + [...u.slice(u.indexOf('Translate these')).matchAll(/^\[(\d+)\]/gm)].length, 0);
    assert.strictEqual(secondCues, 4 * 60 - finished * 60 - partialCues, `resume asked for ${secondCues} cues`);
    assert.ok(askedBefore.size > 0);
    for (let i = 0; i < 4; i++) assert.ok(io.files[`/root/e${i}.zh-CN.srt`]!.split('〔译〕').length - 1 === 60, `e${i} complete`);
  });
});
