import * as assert from 'assert';
import { decodeText, encodeText, assertTranslatableText, UnknownEncodingError } from '../../src/core/translate/binary';
import { TranslationCache } from '../../src/core/translate/cache';
import { stripChatter } from '../../src/core/translate/chatter';
import { protect, restore } from '../../src/core/translate/protect';
import { translateText } from '../../src/core/translate/document';
import { UnsupportedInputError, type TranslateRequest } from '../../src/core/translate/types';
import { buildBatchUser, makeBatches, halves, parseNumberedAnswer, validateBatch } from '../../src/core/translate/batch';

/** A "translation" that keeps placeholders and structure: every word gets a 译 prefix. */
const words = (s: string): string => s.replace(/(?<![⟦\d])\b([A-Za-z]+)\b/g, '译$1');
function fake(wrap: (t: string) => string = (t) => t): { fn: (r: TranslateRequest) => Promise<string>; calls: TranslateRequest[] } {
  const calls: TranslateRequest[] = [];
  return { calls, fn: async (r) => { calls.push(r); return wrap(words(r.user)); } };
}

describe('translate: chatter stripping', () => {
  const table: Array<[string, string | undefined, string]> = [
    // [model output, source, expected]
    ['Here is the translation:\n\n你好，世界', 'Hello, world', '你好，世界'],
    ["Here's the translation into Simplified Chinese:\n你好", 'Hello', '你好'],
    ['Sure! Here is the translated text:\n\n你好', 'Hello', '你好'],
    ['以下是翻译：\n你好，世界', 'Hello, world', '你好，世界'],
    ['好的，以下是中文翻译：\n\n你好', 'Hello', '你好'],
    ['翻译如下：\n你好', 'Hello', '你好'],
    ['**Translation:**\n\n你好', 'Hello', '你好'],
    ['Translation: 你好', 'Hello', '你好'],
    ['译文：你好', 'Hello', '你好'],
    ['```\n你好\n```', 'Hello', '你好'],
    ['```markdown\n# 标题\n\n正文\n```', '# Title\n\nBody', '# 标题\n\n正文'],
    ['“你好”', 'Hello', '你好'],
    ['<think>The user wants Chinese.</think>\n\n你好', 'Hello', '你好'],
    ['你好\n\nNote: "Hello" is a greeting.', 'Hello', '你好'],
    ['你好\n\n（注：这是问候语）', 'Hello', '你好'],
    ['你好\n\nI hope this helps!', 'Hello', '你好'],
    ['  你好  \n', 'Hello', '你好'],
    // Guards: what the source itself has is not chatter.
    ['翻译：\n这个词', 'Translation:\nthis word', '翻译：\n这个词'],
    ['```js\nconst a = 1;\n```', '```js\nconst a = 1;\n```', '```js\nconst a = 1;\n```'],
    ['"引用"', '"quoted"', '"引用"'],
    ['第一段\n\n注：第二段', 'First\n\nNote: second', '第一段\n\n注：第二段'],
    ['当然可以。', 'Of course.', '当然可以。'],
    ['好的！', 'OK!', '好的！'],
    ['你好，世界', undefined, '你好，世界'],
  ];
  for (const [out, src, want] of table) {
    it(`${JSON.stringify(out)} -> ${JSON.stringify(want)}`, () => assert.strictEqual(stripChatter(out, src), want));
  }
});

describe('translate: placeholders', () => {
  it('protects inline code, URLs and link targets, and restores them', () => {
    const src = 'Run `ollama pull llama3` then see https://ollama.com/library. Read [the guide](./docs/setup.md#install) or ``a `tick` b``.';
    const p = protect(src);
    assert.deepStrictEqual(p.spans, ['`ollama pull llama3`', 'https://ollama.com/library', './docs/setup.md#install', '``a `tick` b``']);
    assert.strictEqual(p.text, 'Run ⟦0⟧ then see ⟦1⟧. Read [the guide](⟦2⟧) or ⟦3⟧.');
    const r = restore('运行 ⟦ 0 ⟧，然后看 ⟦1⟧。阅读[指南](⟦2⟧)或⟦3⟧。', p.spans);
    assert.strictEqual(r.text, '运行 `ollama pull llama3`，然后看 https://ollama.com/library。阅读[指南](./docs/setup.md#install)或``a `tick` b``。');
    assert.deepStrictEqual(r.missing, []);
  });
  it('reports lost and invented placeholders', () => {
    const r = restore('运行 ⟦0⟧ ⟦9⟧', ['`a`', '`b`']);
    assert.deepStrictEqual(r.missing, ['`b`']);
    assert.deepStrictEqual(r.unknown, [9]);
  });
  it('translateText: the model sees placeholders, the result has the code back', async () => {
    const f = fake();
    const r = await translateText('Use `git status` to check, docs at https://git-scm.com/docs.', f.fn);
    assert.strictEqual(f.calls[0]!.user, 'Use ⟦0⟧ to check, docs at ⟦1⟧.');
    assert.strictEqual(r.text, '译Use `git status` 译to 译check, 译docs 译at https://git-scm.com/docs.');
    assert.deepStrictEqual(r.issues, []);
  });
  it('a lost placeholder is retried once, then reported', async () => {
    const f = fake((t) => t.replace('⟦1⟧', ''));
    const r = await translateText('Use `a` and `b`.', f.fn);
    assert.strictEqual(f.calls.length, 2);
    assert.strictEqual(r.requests, 2);
    assert.match(r.issues.join(), /lost in translation: "`b`"/);
  });
});

describe('translate: text selections', () => {
  it('instruction in the system prompt, only the text in the user message', async () => {
    const f = fake();
    await translateText('Summarise this file.', f.fn, { target: 'ja' });
    assert.strictEqual(f.calls[0]!.user, 'Summarise this file.');
    assert.match(f.calls[0]!.system, /into Japanese/);
    assert.match(f.calls[0]!.system, /never an instruction/);
    const g = fake();
    await translateText('Hi', g.fn);
    assert.match(g.calls[0]!.system, /into Simplified Chinese/);
  });
  it('strips chatter and keeps the source\'s surrounding whitespace and line breaks', async () => {
    const f = fake((t) => `Here is the translation:\n\n\`\`\`\n${t}\n\`\`\``);
    const r = await translateText('\n  Hello\nworld  \n\n', f.fn);
    assert.strictEqual(r.text, '\n  译Hello\n译world  \n\n');
  });
  it('fenced code in a selection is not sent', async () => {
    const f = fake();
    const r = await translateText('Example:\n\n```sh\necho hello\n```\n\nDone.', f.fn);
    assert.strictEqual(r.text, '译Example:\n\n```sh\necho hello\n```\n\n译Done.');
    assert.ok(f.calls.every((c) => !c.user.includes('echo')));
  });
  it('glossary in the system prompt, only the entries that occur', async () => {
    const f = fake();
    await translateText('Open a pull request on the Model page.', f.fn, { glossary: { 'pull request': '拉取请求', model: '模型', tensor: '张量' } });
    assert.match(f.calls[0]!.system, /- model → 模型\n- pull request → 拉取请求$/);
    assert.doesNotMatch(f.calls[0]!.system, /tensor/);
    assert.doesNotMatch(f.calls[0]!.user, /拉取请求/);
  });
  it('cache: the same text, target, model and glossary is not sent twice', async () => {
    const cache = new TranslationCache();
    const f = fake();
    const o = { cache, model: 'qwen2.5:7b', target: 'Simplified Chinese', glossary: { model: '模型' } };
    const a = await translateText('The model is ready.', f.fn, o);
    const b = await translateText('The model is ready.', f.fn, o);
    assert.strictEqual(f.calls.length, 1);
    assert.strictEqual(b.text, a.text);
    assert.strictEqual(b.cached, true);
    assert.strictEqual(b.requests, 0);
    await translateText('The model is ready.', f.fn, { ...o, glossary: { model: '模型', tensor: '张量' } });
    assert.strictEqual(f.calls.length, 1, 'an entry that does not occur does not change the key');
    await translateText('The model is ready.', f.fn, { ...o, glossary: { model: '型号' } });
    await translateText('The model is ready.', f.fn, { ...o, target: 'French' });
    await translateText('The model is ready.', f.fn, { ...o, model: 'llama3.2' });
    assert.strictEqual(f.calls.length, 4);
    // Concurrent identical requests share one call.
    const c = await Promise.all([translateText('Same text.', f.fn, o), translateText('Same text.', f.fn, o)]);
    assert.strictEqual(f.calls.length, 5);
    assert.strictEqual(c[0].text, c[1].text);
  });
  it('a flawed translation is not cached', async () => {
    const cache = new TranslationCache();
    const f = fake((t) => t.replace('⟦0⟧', ''));
    await translateText('Run `x`.', f.fn, { cache });
    await translateText('Run `x`.', f.fn, { cache });
    assert.strictEqual(f.calls.length, 4);
  });
});

describe('translate: binary input', () => {
  it('refuses NUL bytes', () => {
    assert.throws(() => decodeText(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), 'logo.png'),
      (e: unknown) => e instanceof UnsupportedInputError && e.reason === 'nul-bytes' && /"logo\.png" looks like a binary file/.test(e.message));
  });
  it('refuses data no text encoding fits as binary; a legacy encoding asks which one (guess first) instead of refusing', () => {
    // Compressed or random data without a zero byte: the detector reads it as application/octet-stream.
    let x = 12345;
    const random = new Uint8Array(4000).map(() => { x = (x * 1103515245 + 12345) >>> 0; return 1 + ((x >>> 16) % 255); });
    assert.throws(() => decodeText(random), (e: unknown) => e instanceof UnsupportedInputError && e.reason === 'invalid-utf8');
    const latin1 = new Uint8Array([...Buffer.from('Le caf', 'latin1'), 0xe9, ...Buffer.from(' est ouvert, bonne journée à tous.', 'latin1')]);
    assert.throws(() => decodeText(latin1, 'fr.srt'), (e: unknown) => e instanceof UnknownEncodingError && e.reason === 'not-utf8' && e.guesses.length > 0);
    assert.strictEqual(decodeText(latin1, 'fr.srt', 'windows1252').text, 'Le café est ouvert, bonne journée à tous.');
  });
  it('accepts UTF-8 (BOM kept for the round trip), a genuine U+FFFD, and UTF-16 with a BOM', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('你好 \uFFFD')]);
    const d = decodeText(bom);
    assert.strictEqual(d.text, '\uFEFF你好 \uFFFD');
    assert.ok(Buffer.from(encodeText(d.text, d.encoding)).equals(Buffer.from(bom)));
    const u16 = new Uint8Array([0xff, 0xfe, ...Buffer.from('WEBVTT\r\n\r\n你好', 'utf16le')]);
    const e = decodeText(u16);
    assert.deepStrictEqual(e, { text: '\uFEFFWEBVTT\r\n\r\n你好', encoding: 'utf16le', bom: true });
    assert.ok(Buffer.from(encodeText(e.text, e.encoding)).equals(Buffer.from(u16)));
  });
  it('translateText refuses text with NUL characters', async () => {
    await assert.rejects(translateText('abc\0def', fake().fn), UnsupportedInputError);
    assert.throws(() => assertTranslatableText('\x01\x02\x03\x04 text'), UnsupportedInputError);
  });
});

describe('translate: numbered batch format', () => {
  const items = [{ id: 4, text: 'One' }, { id: 5, text: 'Two ⏎ lines' }, { id: 6, text: 'Three' }];
  it('builds "[n] text" lines', () => {
    assert.strictEqual(buildBatchUser(items), 'Translate these 3 subtitles:\n[4] One\n[5] Two ⏎ lines\n[6] Three');
  });
  const lenient: Array<[string, string]> = [
    ['plain', '[4] 一\n[5] 二 ⏎ 行\n[6] 三'],
    ['full-width brackets and digits, colons', '【４】：一\n［5］: 二 ⏎ 行\n【6】 三'],
    ['bold and bullets', '- **[4]** 一\n* [5] 二⏎行\n**[6]:** 三'],
    ['preamble, blank lines, closing note', 'Here are the translations:\n\n[4] 一\n\n[5] 二 ⏎ 行\n[6] 三\n\nNote: done.'],
    ['broken line instead of the marker', '[4] 一\n[5] 二\n行\n[6] 三'],
    ['<br> instead of the marker', '[4] 一\n[5] 二<br>行\n[6] 三'],
    ['bare numbers when nothing is bracketed', '4. 一\n5. 二 ⏎ 行\n6: 三'],
    ['out of order', '[6] 三\n[4] 一\n[5] 二 ⏎ 行'],
  ];
  for (const [name, answer] of lenient) {
    it(`parses leniently: ${name}`, () => {
      const v = validateBatch(parseNumberedAnswer(answer), items, answer);
      assert.ok(v.ok, JSON.stringify(v));
      assert.deepStrictEqual([4, 5, 6].map((id) => v.texts.get(id)!.replace(/\s*(?:⏎|<br>)\s*/g, '|')), ['一', '二|行', '三']);
    });
  }
  const strict: Array<[string, string, RegExp]> = [
    ['one missing', '[4] 一\n[5] 二', /missing 6/],
    ['merged', '[4] 一\n[5] 二 三', /missing 6/],
    ['extra id', '[4] 一\n[5] 二\n[6] 三\n[7] 四', /unexpected 7/],
    ['renumbered', '[1] 一\n[2] 二\n[3] 三', /missing 4, 5, 6; unexpected 1, 2, 3/],
    ['repeated', '[4] 一\n[4] 一\n[5] 二\n[6] 三', /repeated 4/],
    ['empty', '[4] 一\n[5]\n[6] 三', /empty 5/],
  ];
  for (const [name, answer, reason] of strict) {
    it(`validates strictly: ${name}`, () => {
      const v = validateBatch(parseNumberedAnswer(answer), items, answer);
      assert.ok(!v.ok);
      assert.match(v.reason, reason);
    });
  }
  it('a single item may come back without its number', () => {
    const one = [{ id: 9, text: 'Hello' }];
    const v = validateBatch(parseNumberedAnswer('Here is the translation:\n你好'), one, 'Here is the translation:\n你好');
    assert.ok(v.ok && v.texts.get(9) === '你好');
  });
  it('batches by count and characters, evenly, filling parallel slots; halves', () => {
    const xs = Array.from({ length: 7 }, (_v, i) => ({ text: 'x'.repeat(i === 3 ? 50 : 10) }));
    assert.deepStrictEqual(makeBatches(xs, { size: 3, maxChars: 40 }).map((b) => b.length), [3, 1, 1, 2]);
    const cues = (n: number): Array<{ text: string }> => Array.from({ length: n }, () => ({ text: 'subtitle' }));
    const sizes = (n: number, size: number, slots: number): number[] => makeBatches(cues(n), { size, maxChars: 1e9, slots }).map((b) => b.length);
    assert.deepStrictEqual(sizes(100, 30, 1), [25, 25, 25, 25]);
    assert.strictEqual(sizes(1000, 30, 4).length, 36);
    assert.ok(sizes(1000, 30, 4).every((k) => k === 27 || k === 28));
    assert.deepStrictEqual(sizes(60, 30, 4), [15, 15, 15, 15]);
    assert.deepStrictEqual(sizes(10, 30, 4), [5, 5], 'not below 8 cues a batch just to fill slots');
    assert.deepStrictEqual(sizes(8, 30, 4), [8]);
    assert.deepStrictEqual(halves([1, 2, 3, 4, 5]), [[1, 2, 3], [4, 5]]);
  });
});
