// Scene batching, strict-mode schemas and answers, and the detection and repair of hidden merges:
// a model that merges, drops or shifts cues (test/support/ollamaServerTranslator.ts) must never
// get a misaligned cue into the output.
import * as assert from 'assert';
import { checkAlignment, logRatios } from '../../src/core/translate/align';
import { makeBatches, makeSceneBatches, parseJsonAnswer, strictBatchSchema } from '../../src/core/translate/batch';
import { cues, parseSubtitles, StructuredOutputUnsupportedError, translateSubtitles, type TranslateFn, type TranslateRequest } from '../../src/core/translate';
import { syntheticDialogueSrt } from '../../bench/translateSubtitles';
import { fakeTranslation, TranslatorModel, translatedFrom, type Misbehaviour } from '../support/ollamaServerTranslator';

function timed(gaps: number[]): Array<{ text: string; startMs: number; endMs: number; n: number }> {
  // gaps[i]: silence before item i+1 (ms); each item is on screen 1 s.
  const out = [{ text: 'x', startMs: 0, endMs: 1000, n: 0 }];
  for (const [i, g] of gaps.entries()) {
    const start = out[i]!.endMs + g;
    out.push({ text: 'x', startMs: start, endMs: start + 1000, n: i + 1 });
  }
  return out;
}

function modelFn(m: TranslatorModel, seen?: TranslateRequest[]): TranslateFn {
  return async (req) => {
    seen?.push(req);
    return m.reply({ path: '/api/chat', body: { messages: [{ role: 'system', content: req.system }, { role: 'user', content: req.user }], format: req.format } });
  };
}

function misalignedCues(source: string, out: ReturnType<typeof cues>): number {
  const ins = cues(parseSubtitles(source, 'srt'));
  return ins.filter((c, i) => !translatedFrom(out[i]!.lines.join('\n'), c.lines.join('\n'))).length;
}

describe('translate: scene batches', () => {
  it('cuts at scene changes (long silences) near the even positions, with as many batches as even cuts would make', () => {
    // 60 items: short silences, except scene changes of 8 s before items 17 and 44.
    const gaps = Array.from({ length: 59 }, (_g, i) => (i + 1 === 17 || i + 1 === 44 ? 8000 : 300 + ((i * 37) % 500)));
    const items = timed(gaps);
    const batches = makeSceneBatches(items, { size: 30, maxChars: 1e9, slots: 3 });
    assert.strictEqual(batches.length, makeBatches(items, { size: 30, maxChars: 1e9, slots: 3 }).length);
    assert.deepStrictEqual(batches.map((b) => b[0]!.n), [0, 17, 44]);
    assert.deepStrictEqual(batches.flat().map((i) => i.n), items.map((i) => i.n), 'every item once, in order');
    assert.ok(batches.every((b) => b.length <= 30));
  });

  it('without scene changes the boundaries stay near even; never more than `size` per batch; a batch over maxChars is cut at its longest silence', () => {
    const items = timed(Array.from({ length: 99 }, () => 500));
    const batches = makeSceneBatches(items, { size: 30, maxChars: 1e9, slots: 4 });
    assert.strictEqual(batches.length, 4);
    assert.ok(batches.every((b) => b.length >= 20 && b.length <= 30), JSON.stringify(batches.map((b) => b.length)));
    const chars = timed([500, 500, 9000, 500, 500]).map((it) => ({ ...it, text: 'y'.repeat(100) }));
    const cut = makeSceneBatches(chars, { size: 30, maxChars: 350 });
    assert.deepStrictEqual(cut.map((b) => b.map((i) => i.n)), [[0, 1, 2], [3, 4, 5]]);
  });

  it('a scene change outside the reach of a boundary does not make batches over size', () => {
    const gaps = Array.from({ length: 99 }, (_g, i) => (i + 1 === 5 ? 20000 : 400));
    const batches = makeSceneBatches(timed(gaps), { size: 30, maxChars: 1e9 });
    assert.ok(batches.every((b) => b.length <= 30 && b.length >= 8), JSON.stringify(batches.map((b) => b.length)));
  });
});

describe('translate: strict mode (exactly N items)', () => {
  it('the schema is a closed tuple with const ids and no `items` key (llama.cpp takes `items` over `prefixItems`)', () => {
    const s = strictBatchSchema([7, 8, 9]) as { prefixItems: Array<{ properties: Record<string, unknown>; required: string[] }>; minItems: number; maxItems: number };
    assert.ok(!('items' in s));
    assert.strictEqual(s.prefixItems.length, 3);
    assert.deepStrictEqual(s.prefixItems.map((p) => p.properties.i), [{ const: 7 }, { const: 8 }, { const: 9 }]);
    assert.deepStrictEqual(Object.keys(s.prefixItems[0]!.properties), ['i', 't'], 'alphabetical = intended order');
    assert.strictEqual(s.minItems, 3);
    assert.strictEqual(s.maxItems, 3);
  });

  it('reads JSON answers in any key order, fenced or after reasoning; line breaks become the marker; other text is not JSON', () => {
    assert.deepStrictEqual(parseJsonAnswer('[{"i":1,"t":"一"},{"t":"二\\n三","i":2}]'), [{ id: 1, text: '一' }, { id: 2, text: '二 ⏎ 三' }]);
    assert.deepStrictEqual(parseJsonAnswer('<think>hmm</think>```json\n[{"id":"3","text":"x"}]\n```'), [{ id: 3, text: 'x' }]);
    assert.strictEqual(parseJsonAnswer('[1] one\n[2] two'), undefined);
    assert.strictEqual(parseJsonAnswer('[{"i":1}]'), undefined);
  });

  it('sends the schema, reads the JSON answer; a server that refuses `format` is asked again without, once for the run', async () => {
    const source = syntheticDialogueSrt(90);
    const seen: TranslateRequest[] = [];
    const model = new TranslatorModel();
    const r = await translateSubtitles(parseSubtitles(source, 'srt'), modelFn(model, seen), { strict: true, batchSize: 30, concurrency: 1 });
    assert.ok(seen.every((q) => q.format && /JSON array/.test(q.system)));
    assert.strictEqual(model.stats.strictBatches, seen.length);
    assert.strictEqual(r.strict, true);
    assert.strictEqual(misalignedCues(source, cues(r.file)), 0);

    const refused: string[] = [];
    const sent: TranslateRequest[] = [];
    const old: TranslateFn = async (req) => {
      sent.push(req);
      if (req.format) throw new StructuredOutputUnsupportedError('json: cannot unmarshal object into Go struct field ChatRequest.format of type string');
      return modelFn(new TranslatorModel())(req);
    };
    const r2 = await translateSubtitles(parseSubtitles(source, 'srt'), old, { strict: true, batchSize: 30, concurrency: 1, onStrictUnsupported: (w) => refused.push(w) });
    assert.strictEqual(refused.length, 1);
    assert.strictEqual(sent.filter((q) => q.format).length, 1, 'only the first request carried a schema');
    assert.ok(sent.slice(1).every((q) => !q.format && /\[12\] translation/.test(q.system)), 'the text format is described');
    assert.strictEqual(r2.strict, false);
    assert.strictEqual(cues(r2.file).length, cues(parseSubtitles(source, 'srt')).length);
    assert.strictEqual(misalignedCues(source, cues(r2.file)), 0);
  });
});

describe('translate: hidden merges, drops and shifts', () => {
  const src = ['Where were you last night?', 'I told you already.', 'No, you told me you were at home, and that is not the same thing.', 'Fine.',
    'Look, I did not want to worry you.', 'Worry me about what?', 'The letter came this morning from the bank.', 'They want the house back.'];

  // What a job knows after its first batches: the length ratios of accepted cues.
  const corpus = cues(parseSubtitles(syntheticDialogueSrt(200, 3), 'srt')).map((c) => c.lines.join(' ⏎ '));
  const prior = { logRatios: logRatios(corpus, corpus.map(fakeTranslation)) };

  it('an honest answer is aligned', () => {
    const a = checkAlignment(src, src.map(fakeTranslation), prior);
    assert.strictEqual(a.aligned, true, a.reason);
    for (let at = 0; at + 20 <= corpus.length; at += 20) {
      const batch = corpus.slice(at, at + 20);
      assert.strictEqual(checkAlignment(batch, batch.map(fakeTranslation), prior).aligned, true, `false alarm at ${at}`);
    }
  });

  it('a merge padded at the end (repeat or split) is found wherever it is', () => {
    for (const k of [0, 2, 5]) {
      const shifted = [...src.slice(0, k), `${src[k]} ${src[k + 1]}`, ...src.slice(k + 2)].map(fakeTranslation);
      for (const pad of ['repeat', 'split'] as const) {
        const last = shifted[shifted.length - 1]!;
        const answer = pad === 'repeat' ? [...shifted, last] : [...shifted.slice(0, -1), last.slice(0, last.length >> 1), last.slice(last.length >> 1)];
        const a = checkAlignment(src, answer, prior);
        assert.strictEqual(a.aligned, false, `merge at ${k}, ${pad}`);
      }
    }
  });

  it('a dropped cue with the tail padded is found; numbers that moved to the next answer are a signal too', () => {
    const dropped = [...src.slice(0, 3), ...src.slice(4)].map(fakeTranslation);
    const a = checkAlignment(src, [...dropped, dropped[dropped.length - 1]!], prior);
    assert.strictEqual(a.aligned, false);
    const nums = ['Call me at 5.', 'Room 12, please.', 'It costs 40 dollars.', 'See you at 9.'];
    const b = checkAlignment(nums, ['〔译〕Room 12.', '〔译〕It costs 40.', '〔译〕See you at 9.', '〔译〕See you at 9.']);
    assert.strictEqual(b.aligned, false);
  });

  for (const [kinds, hidden, strict] of [[['merge'], true, false], [['drop'], true, false], [['merge', 'drop', 'shift'], false, false], [['merge', 'drop', 'shift'], true, true]] as const) {
    it(`a file through a model that misbehaves (${kinds.join('/')}, ${strict ? 'strict' : hidden ? 'ids complete' : 'ids wrong'}) in 30% of batches: same cues, same timing, none misaligned`, async () => {
      const source = syntheticDialogueSrt(400, 11);
      const model = new TranslatorModel({ share: 0.3, kinds: kinds as unknown as Misbehaviour[], hidden, seed: 'unit' });
      const repairs: string[] = [];
      const r = await translateSubtitles(parseSubtitles(source, 'srt'), modelFn(model), { batchSize: 30, concurrency: 4, strict, onRepair: (w) => repairs.push(w) });
      const ins = cues(parseSubtitles(source, 'srt'));
      const outs = cues(r.file);
      assert.ok(model.stats.misbehaved >= 3, `misbehaved ${model.stats.misbehaved}`);
      assert.strictEqual(outs.length, ins.length);
      assert.deepStrictEqual(outs.map((c) => c.timing), ins.map((c) => c.timing));
      assert.strictEqual(misalignedCues(source, outs), 0, repairs.join('\n'));
      assert.deepStrictEqual(r.failedCueIds, []);
      assert.strictEqual(r.invalid + r.misaligned, model.stats.misbehaved, 'every misbehaving answer was caught, and only those');
    });
  }
});
