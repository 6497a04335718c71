// Prefix/suffix windows: bounded by lines and characters, read from the cursor outwards.
import * as assert from 'assert';
import { computeWindows, stringAccessor, type TextAccessor } from '../../src/core/fim';

/** An accessor that counts the characters it hands out. */
function counting(text: string): TextAccessor & { read: number; calls: number } {
  const a = {
    length: text.length, read: 0, calls: 0,
    getText(s: number, e: number): string { a.calls++; a.read += Math.max(0, e - s); return text.slice(s, e); },
  };
  return a;
}

describe('FIM context windows', () => {
  it('a small document fits whole', () => {
    const doc = 'a\nbc\nd|e\nf\n';
    const at = doc.indexOf('|');
    const text = doc.replace('|', '');
    assert.deepStrictEqual(computeWindows(stringAccessor(text), at), { prefix: 'a\nbc\nd', suffix: 'e\nf\n', prefixStart: 0, suffixEnd: text.length });
  });

  it('counts the cursor line as a prefix line and keeps whole lines', () => {
    const text = 'l1\nl2\nl3\nl4\nl5\nl6';
    const at = text.indexOf('l4') + 1;
    const w = computeWindows(stringAccessor(text), at, { prefixMaxLines: 2, suffixMaxLines: 2 });
    assert.strictEqual(w.prefix, 'l3\nl');
    assert.strictEqual(w.suffix, '4\nl5\n');
    assert.strictEqual(w.prefixStart, text.indexOf('l3'));
    assert.strictEqual(w.suffixEnd, text.indexOf('l6'));
  });

  it('a character cut drops the partial line at the far end', () => {
    const text = 'aaaaaaaaaa\nbbbb\ncc|dd\neeee\nffffffffff';
    const at = text.indexOf('|');
    const doc = stringAccessor(text.replace('|', ''));
    const w = computeWindows(doc, at, { prefixMaxChars: 10, suffixMaxChars: 10 });
    assert.strictEqual(w.prefix, 'bbbb\ncc');
    assert.strictEqual(w.suffix, 'dd\neeee\n');
  });

  it('a cut that falls exactly on a line boundary keeps the whole line', () => {
    const text = 'xxxx\nabc\ndef';
    const w = computeWindows(stringAccessor(text), text.length, { prefixMaxChars: 8 });
    assert.strictEqual(w.prefix, 'abc\ndef');
    const s = computeWindows(stringAccessor(text), 0, { suffixMaxChars: 4 });
    assert.strictEqual(s.suffix, 'xxxx');
  });

  it('a single over-long line (minified code) is cut by characters', () => {
    const text = 'x'.repeat(10_000) + '|' + 'y'.repeat(10_000);
    const at = 10_000;
    const w = computeWindows(stringAccessor(text.replace('|', '')), at);
    assert.strictEqual(w.prefix, 'x'.repeat(4000));
    assert.strictEqual(w.suffix, 'y'.repeat(1500));
  });

  it('clamps the offset and handles both document ends', () => {
    const doc = stringAccessor('abc');
    assert.deepStrictEqual(computeWindows(doc, 0), { prefix: '', suffix: 'abc', prefixStart: 0, suffixEnd: 3 });
    assert.deepStrictEqual(computeWindows(doc, 99), { prefix: 'abc', suffix: '', prefixStart: 0, suffixEnd: 3 });
    assert.deepStrictEqual(computeWindows(stringAccessor(''), 0), { prefix: '', suffix: '', prefixStart: 0, suffixEnd: 0 });
  });

  it('on a 50 000-line file reads only the windows, whatever the cursor position', () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `    const value${i} = compute(${i}); // line ${i}`);
    const text = lines.join('\n');
    for (const line of [0, 25_000, 49_999]) {
      const at = text.indexOf(`value${line} =`);
      const doc = counting(text);
      const w = computeWindows(doc, at);
      assert.ok(doc.read <= 4000 + 1500 + 2, `read ${doc.read} characters`);
      assert.ok(doc.calls <= 4);
      assert.ok(w.prefix.length <= 4000 && w.prefix.split('\n').length <= 100);
      assert.ok(w.suffix.length <= 1500 && w.suffix.split('\n').length <= 41);
      assert.ok(text.slice(0, at).endsWith(w.prefix));
      assert.ok(text.slice(at).startsWith(w.suffix));
      assert.strictEqual(text.slice(w.prefixStart, at), w.prefix);
      if (line > 0) assert.strictEqual(text[w.prefixStart - 1], '\n', 'the prefix starts on a line');
    }
    // Line limits bind when lines are short.
    const short = Array.from({ length: 50_000 }, (_, i) => String(i)).join('\n');
    const mid = short.indexOf('\n25000\n') + 1;
    const w = computeWindows(counting(short), mid);
    assert.strictEqual(w.prefix.split('\n').length, 100);
    assert.strictEqual(w.prefix.split('\n')[0], '24901');
    assert.strictEqual(w.suffix.split('\n').length, 41); // 40 lines, the last one's newline kept
    assert.strictEqual(w.suffix.split('\n')[39], '25039');
  });
});
