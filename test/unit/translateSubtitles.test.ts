import * as assert from 'assert';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { AbortError } from '../../src/core/http/errors';
import { decodeText, encodeText } from '../../src/core/translate/binary';
import { TranslationCache } from '../../src/core/translate/cache';
import { cues, parseSubtitles, serializeSubtitles, type SubtitleFormat } from '../../src/core/translate/subtitles';
import { SubtitleJob, translateSubtitles, translateSubtitleText } from '../../src/core/translate/subtitleJob';
import type { TranslateRequest } from '../../src/core/translate/types';

const FIXTURES = [path.resolve(__dirname, '../../../test/fixtures/subtitles'), path.resolve('test/fixtures/subtitles')].find((d) => existsSync(d))!;
const fixture = (name: string): Buffer => readFileSync(path.join(FIXTURES, name));
const FILES: Array<[string, SubtitleFormat]> = [
  ['movie_bom_crlf.srt', 'srt'], ['messy_lf.srt', 'srt'], ['lecture.vtt', 'vtt'], ['talk_crlf.vtt', 'vtt'],
];

/** The numbered items of a batch request. */
function itemsOf(user: string): Array<{ id: number; text: string }> {
  const sec = user.slice(user.indexOf('Translate these'));
  return [...sec.matchAll(/^\[(\d+)\] (.*)$/gm)].map((m) => ({ id: Number(m[1]), text: m[2]! }));
}
const zh = (t: string): string => t.split(' ⏎ ').map((l) => `中${l}`).join(' ⏎ ');

interface Fake { fn: (r: TranslateRequest) => Promise<string>; calls: TranslateRequest[]; sizes: number[] }
/** Answers every batch correctly, unless `answer` says otherwise. */
function fake(answer?: (items: Array<{ id: number; text: string }>) => string | undefined, delayMs = 0): Fake {
  const calls: TranslateRequest[] = [];
  const sizes: number[] = [];
  return {
    calls, sizes,
    fn: async (r) => {
      calls.push(r);
      const items = itemsOf(r.user);
      sizes.push(items.length);
      if (delayMs) await sleep(delayMs, r.signal);
      return answer?.(items) ?? items.map((i) => `[${i.id}] ${zh(i.text)}`).join('\n');
    },
  };
}
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
  });
}
function synthSrt(n: number): string {
  const ts = (ms: number): string => {
    const p = (x: number, w = 2): string => String(x).padStart(w, '0');
    return `${p(Math.floor(ms / 3600000))}:${p(Math.floor(ms / 60000) % 60)}:${p(Math.floor(ms / 1000) % 60)},${p(ms % 1000, 3)}`;
  };
  let s = '';
  for (let i = 1; i <= n; i++) s += `${i}\n${ts(i * 2000)} --> ${ts(i * 2000 + 1500)}\nLine number ${i}${i % 3 === 0 ? `\nsecond line ${i}` : ''}\n\n`;
  return s;
}

describe('subtitles: parse and serialize', () => {
  for (const [name, fmt] of FILES) {
    it(`${name}: byte-identical round trip`, () => {
      const bytes = fixture(name);
      const { text, encoding } = decodeText(bytes, name);
      const out = encodeText(serializeSubtitles(parseSubtitles(text, fmt)), encoding);
      assert.ok(Buffer.from(out).equals(bytes));
    });
    const variants: Array<[string, (s: string) => string]> = [
      ['LF', (s) => s.replace(/\r\n/g, '\n')],
      ['CRLF', (s) => s.replace(/\r?\n/g, '\r\n')],
      ['CR only', (s) => s.replace(/\r?\n/g, '\r')],
      ['BOM added', (s) => (s.startsWith('\uFEFF') ? s : '\uFEFF' + s)],
      ['no final line break', (s) => s.replace(/[\r\n]+$/, '')],
      ['extra blank lines at the end', (s) => s + '\n\n \n'],
      ['blank lines at the start', (s) => '\r\n\n' + s],
      ['tabs and spaces on separator lines', (s) => s.replace(/(\r?\n)(\r?\n)/g, '$1 \t$2')],
    ];
    for (const [v, f] of variants) {
      it(`${name} (${v}): round trip`, () => {
        const s = f(fixture(name).toString('utf8'));
        const file = parseSubtitles(s, fmt);
        assert.strictEqual(serializeSubtitles(file), s);
        assert.strictEqual(cues(file).length, cues(parseSubtitles(fixture(name).toString('utf8'), fmt)).length);
      });
    }
  }

  it('SRT with BOM and CRLF: cues, ids, timings and multi-line text', () => {
    const f = parseSubtitles(fixture('movie_bom_crlf.srt').toString('utf8'), 'srt');
    assert.strictEqual(f.bom, true);
    assert.strictEqual(f.eol, '\r\n');
    const cs = cues(f);
    assert.deepStrictEqual(cs.map((c) => c.id), ['1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.strictEqual(cs[3]!.timing, '00:00:09,120 --> 00:00:12,480');
    assert.strictEqual(cs[3]!.startMs, 9120);
    assert.strictEqual(cs[7]!.endMs, 65990);
    assert.deepStrictEqual(cs[1]!.lines, ["- Where's the ship?", '- Still on the far side of the moon.']);
    assert.deepStrictEqual(cs[7]!.lines, ['Naomi, get the reactor', 'back online,', 'now!']);
    assert.strictEqual(cs[2]!.after, '\r\n\r\n', 'two blank lines after cue 3 are kept');
  });

  it('messy SRT: missing blank lines, whitespace separators, blank line inside a cue, dot milliseconds, coordinates', () => {
    const f = parseSubtitles(fixture('messy_lf.srt').toString('utf8'), 'srt');
    const cs = cues(f);
    assert.strictEqual(f.leading, '\n');
    assert.deepStrictEqual(cs.map((c) => c.id), ['1', '2', '3', '4', '5']);
    assert.deepStrictEqual(cs[0]!.lines, ['Hello, is anyone there?']);
    assert.strictEqual(cs[2]!.startMs, 4200);
    assert.strictEqual(cs[2]!.settings, 'X1:100 X2:600 Y1:50 Y2:90');
    assert.deepStrictEqual(cs[3]!.lines, ['Stand back.', '', "I'm going to kick it."]);
    assert.deepStrictEqual(cs[4]!.eols, [''], 'last line without a line break');
  });

  it('SRT without ids or milliseconds, and unparseable text between cues', () => {
    const src = 'junk before the first cue\n\n00:00:01 --> 00:00:02\nNo number, no milliseconds\n\n00:00:03,5 --> 00:00:04,25\nShort fractions\n';
    const f = parseSubtitles(src, 'srt');
    assert.deepStrictEqual(f.blocks.map((b) => b.kind), ['text', 'cue', 'cue']);
    const cs = cues(f);
    assert.deepStrictEqual(cs.map((c) => [c.id, c.startMs, c.endMs]), [[undefined, 1000, 2000], [undefined, 3500, 4250]]);
    assert.strictEqual(serializeSubtitles(f), src);
  });

  it('VTT: header, NOTE, STYLE, REGION, ids, settings, voice tags', () => {
    const f = parseSubtitles(fixture('lecture.vtt').toString('utf8'), 'vtt');
    assert.deepStrictEqual(f.blocks.map((b) => b.kind), ['header', 'note', 'style', 'region', 'cue', 'cue', 'note', 'cue', 'cue', 'cue', 'cue']);
    const cs = cues(f);
    assert.deepStrictEqual(cs.map((c) => c.id), ['intro-1', 'intro-2', '3', undefined, 'karaoke', undefined]);
    assert.strictEqual(cs[0]!.settings, 'align:start position:10%');
    assert.strictEqual(cs[1]!.startMs, 4700);
    assert.strictEqual(cs[2]!.timing, '00:00:09.200 --> 00:00:12.000 region:fred align:left');
    assert.deepStrictEqual(cs[2]!.lines, ['<v.student Sam>Does it need a GPU?</v>']);
    const header = f.blocks[0]!;
    assert.ok(header.kind === 'header' && header.raw.includes('Language: en'));
  });
});

describe('subtitles: translation', () => {
  it('translates every cue, keeps ids, timings, BOM and CRLF; output cue count equals input', async () => {
    const src = fixture('movie_bom_crlf.srt').toString('utf8');
    const file = parseSubtitles(src, 'srt');
    const f = fake();
    const r = await translateSubtitles(file, f.fn, { target: 'Simplified Chinese' });
    const out = serializeSubtitles(r.file);
    assert.ok(out.startsWith('\uFEFF1\r\n00:00:01,000 --> 00:00:03,200\r\n'));
    assert.ok(!/[^\r]\n/.test(out), 'every line break is still CRLF');
    const a = cues(file);
    const b = cues(parseSubtitles(out, 'srt'));
    assert.strictEqual(b.length, a.length);
    assert.deepStrictEqual(b.map((c) => c.id + c.timing), a.map((c) => c.id + c.timing));
    assert.deepStrictEqual(b[1]!.lines, ["中- Where's the ship?", '中- Still on the far side of the moon.']);
    assert.deepStrictEqual(b[4]!.lines, ['♪ ♪'], 'nothing to translate: not sent, unchanged');
    assert.deepStrictEqual(b[5]!.lines, ['{\\an8}中[ENGINE WHINING]'], 'ASS override tag kept outside the model');
    assert.strictEqual(r.requests, 1);
    assert.deepStrictEqual(r.failedCueIds, []);
    assert.deepStrictEqual(cues(file)[1]!.lines, ["- Where's the ship?", '- Still on the far side of the moon.'], 'input not mutated');
    // Instruction in the system prompt, only numbered text in the user message.
    assert.match(f.calls[0]!.system, /Simplified Chinese/);
    assert.doesNotMatch(f.calls[0]!.user, /Simplified Chinese|translator/);
    assert.match(f.calls[0]!.user, /^\[2\] - Where's the ship\? ⏎ - Still on the far side of the moon\.$/m);
  });

  it('VTT: voice tags stay outside the model, NOTE/STYLE/REGION untouched', async () => {
    const src = fixture('lecture.vtt').toString('utf8');
    const r = await translateSubtitleText(src, 'vtt', fake().fn, {});
    const f = parseSubtitles(r.text, 'vtt');
    const cs = cues(f);
    assert.deepStrictEqual(cs[1]!.lines, ['<v Dr. Rivera>中Today we run a language model', '中entirely on our own machine.']);
    assert.deepStrictEqual(cs[2]!.lines, ['<v.student Sam>中Does it need a GPU?</v>']);
    const nonCue = (t: string): string => parseSubtitles(t, 'vtt').blocks.map((b) => (b.kind !== 'cue' ? b.raw + b.after : '')).join('|');
    assert.strictEqual(nonCue(r.text), nonCue(src));
  });

  it('batches of 40 that come back misaligned above 10 cues are retried in halves: 1 + 2 + 4 requests', async () => {
    const file = parseSubtitles(synthSrt(40), 'srt');
    // A model that drops the last line of any batch over 10 cues.
    const f = fake((items) => (items.length > 10 ? items.slice(0, -1).map((i) => `[${i.id}] ${zh(i.text)}`).join('\n') : undefined));
    const r = await translateSubtitles(file, f.fn, { batchSize: 40, concurrency: 1 });
    assert.strictEqual(r.requests, 7);
    assert.deepStrictEqual(f.sizes, [40, 20, 10, 10, 20, 10, 10]);
    assert.deepStrictEqual(r.failedCueIds, []);
    assert.strictEqual(cues(r.file).length, 40);
    assert.ok(cues(r.file).every((c, i) => c.lines[0] === `中Line number ${i + 1}`));
  });

  it('a cue that fails even alone keeps its original text and is reported', async () => {
    const file = parseSubtitles(synthSrt(40), 'srt');
    // Cue 7 always comes back empty, and shifts the ids after it (a typical misalignment).
    const f = fake((items) => items.filter((i) => i.id !== 7).map((i) => `[${i.id}] ${zh(i.text)}`).join('\n') + (items.some((i) => i.id === 7) && items.length === 1 ? '\n' : ''));
    const r = await translateSubtitles(file, f.fn, { batchSize: 40, concurrency: 2 });
    assert.deepStrictEqual(r.failedCueIds, ['7']);
    assert.strictEqual(r.failures[0]!.index, 6);
    const cs = cues(r.file);
    assert.strictEqual(cs.length, 40);
    assert.strictEqual(cs[6]!.lines[0], 'Line number 7');
    assert.ok(cs.filter((_c, i) => i !== 6).every((c) => c.lines[0]!.startsWith('中')));
    // Two slots: 20+20 (one fails) -> 10+10 -> 5+5 -> 3+2 -> 2+1 -> 1+1, two requests per halving.
    assert.strictEqual(r.requests, 2 + 2 + 2 + 2 + 2 + 2);
    assert.ok(f.sizes.includes(1));
  });

  it('lenient parsing: chatter, full-width brackets, colons, bold numbers, lines broken instead of ⏎', async () => {
    const file = parseSubtitles('1\n00:00:01,000 --> 00:00:02,000\nOne\n\n2\n00:00:03,000 --> 00:00:04,000\nTwo\nlines\n\n3\n00:00:05,000 --> 00:00:06,000\nThree\n', 'srt');
    const f = fake(() => 'Sure! Here are the translations:\n\n【１】：一\n**[2]** 二\n行\n[3]: 三\n\nNote: I kept it short.');
    const r = await translateSubtitles(file, f.fn, {});
    assert.deepStrictEqual(cues(r.file).map((c) => c.lines), [['一'], ['二', '行'], ['三']]);
    assert.strictEqual(r.requests, 1);
  });

  it('two speakers merged into one line is a misalignment for that cue', async () => {
    const src = fixture('talk_crlf.vtt').toString('utf8');
    const f = fake((items) => items.map((i) => `[${i.id}] ${zh(i.text).replace(/ ⏎ /g, ' ')}`).join('\n'));
    const r = await translateSubtitles(parseSubtitles(src, 'vtt'), f.fn, {});
    assert.deepStrictEqual(r.failedCueIds, ['#2']);
    assert.deepStrictEqual(cues(r.file)[1]!.lines, ['<v Ana>Then let\'s start.', '<v Ben>Wait, the projector is off.']);
    assert.deepStrictEqual(cues(r.file)[0]!.lines, ["中- Did you bring the slides? 中- They're on the USB stick."]);
  });

  it('bilingual output: original lines then translation in each cue, line breaks kept', async () => {
    const src = fixture('movie_bom_crlf.srt').toString('utf8');
    const r = await translateSubtitles(parseSubtitles(src, 'srt'), fake().fn, { bilingual: true });
    const out = serializeSubtitles(r.file);
    assert.ok(out.includes('1\r\n00:00:01,000 --> 00:00:03,200\r\nPreviously on <i>The Expanse</i>...\r\n中Previously on <i>The Expanse</i>...\r\n\r\n2\r\n'));
    assert.deepStrictEqual(cues(parseSubtitles(out, 'srt'))[4]!.lines, ['♪ ♪']);
    const first = await translateSubtitles(parseSubtitles(src, 'srt'), fake().fn, { bilingual: true, bilingualOrder: 'translation-first' });
    assert.deepStrictEqual(cues(first.file)[0]!.lines, ['中Previously on <i>The Expanse</i>...', 'Previously on <i>The Expanse</i>...']);
    // The last cue of a file without a final line break still ends without one.
    const messy = await translateSubtitleText(fixture('messy_lf.srt').toString('utf8'), 'srt', fake().fn, { bilingual: true });
    assert.ok(messy.text.endsWith('Watch out for the glass!\n中Watch out for the glass!'));
  });

  it('context cues are marked as context and never numbered', async () => {
    const f = fake();
    await translateSubtitles(parseSubtitles(synthSrt(12), 'srt'), f.fn, { batchSize: 4, contextCues: 2, concurrency: 1 });
    const second = f.calls[1]!.user;
    // The previous batch finished first (concurrency 1): its translations come with its last cues.
    assert.match(second, /Context, the subtitles just before and how they were translated \(do not translate them again\):\n> Line number 3 ⏎ second line 3\n>> 中Line number 3 ⏎ 中second line 3\n> Line number 4\n>> 中Line number 4\n/);
    assert.match(second, /just after \(do not translate\):\n> Line number 9 ⏎ second line 9\n> Line number 10\n\nTranslate these 4 subtitles:\n\[5\]/);
    assert.deepStrictEqual(itemsOf(second).map((i) => i.id), [5, 6, 7, 8]);
  });

  it('runs batches in parallel up to the concurrency', async () => {
    let active = 0;
    let peak = 0;
    const base = fake();
    const fn = async (r: TranslateRequest): Promise<string> => {
      active++; peak = Math.max(peak, active);
      await sleep(5);
      active--;
      return base.fn(r);
    };
    const r = await translateSubtitles(parseSubtitles(synthSrt(100), 'srt'), fn, { batchSize: 10, concurrency: 4 });
    assert.strictEqual(peak, 4);
    assert.strictEqual(r.requests, 12, '10 batches rounded up to fill 3 rounds of 4');
  });

  it('glossary goes in the system prompt (only terms that occur)', async () => {
    const f = fake();
    await translateSubtitles(parseSubtitles(fixture('movie_bom_crlf.srt').toString('utf8'), 'srt'), f.fn, { glossary: { Rocinante: '驽骍难得号', Ceres: '谷神星', Tycho: '第谷' } });
    assert.match(f.calls[0]!.system, /Ceres → 谷神星\n- Rocinante → 驽骍难得号/);
    assert.doesNotMatch(f.calls[0]!.system, /Tycho/);
    assert.doesNotMatch(f.calls[0]!.user, /谷神星/);
  });

  it('cache: a second run of the same file sends nothing', async () => {
    const cache = new TranslationCache();
    const file = parseSubtitles(synthSrt(30), 'srt');
    const f = fake();
    const a = await translateSubtitles(file, f.fn, { cache, model: 'qwen2.5:7b' });
    const b = await translateSubtitles(file, f.fn, { cache, model: 'qwen2.5:7b' });
    assert.strictEqual(a.requests, 4);
    assert.strictEqual(b.requests, 0);
    assert.strictEqual(b.cachedCues, 30);
    assert.strictEqual(serializeSubtitles(b.file), serializeSubtitles(a.file));
    const c = await translateSubtitles(file, f.fn, { cache, model: 'llama3.2:3b' });
    assert.strictEqual(c.requests, 4, 'another model is another translation');
  });

  it('cancel keeps finished cues; resuming from the saved state sends only the rest', async () => {
    const file = parseSubtitles(synthSrt(50), 'srt');
    const ac = new AbortController();
    const f = fake(undefined, 2);
    const fn = async (r: TranslateRequest): Promise<string> => {
      const a = await f.fn(r);
      if (f.calls.length === 3) setImmediate(() => ac.abort());
      return a;
    };
    const job = new SubtitleJob(file, { batchSize: 5 });
    await assert.rejects(job.run(fn, { concurrency: 1, signal: ac.signal }), (e) => e instanceof AbortError);
    const saved = JSON.parse(JSON.stringify(job.state)) as typeof job.state;
    assert.strictEqual(Object.keys(saved.done).length, 15);
    const g = fake();
    const resumed = await new SubtitleJob(file, { batchSize: 5 }, saved).run(g.fn);
    assert.strictEqual(resumed.requests, 7);
    assert.ok(cues(resumed.file).every((c, i) => c.lines[0] === `中Line number ${i + 1}`));
    assert.throws(() => new SubtitleJob(file, { batchSize: 5, target: 'Japanese' }, saved), /another version|other settings/);
  });
});

