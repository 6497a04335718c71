// Block splitting of streamed markdown: finished blocks end at blank lines outside fences (when
// the next line starts at column 0) and after closing fences; streaming in any pieces gives the
// same blocks as splitting the whole text.
import * as assert from 'assert';
import { BlockSplitter, splitBlocks } from '../../src/core/chat/blocks';

function streamed(text: string, piece: number): string[] {
  const s = new BlockSplitter();
  const out: string[] = [];
  for (let i = 0; i < text.length; i += piece) out.push(...s.push(text.slice(i, i + piece)));
  if (s.openText) out.push(s.openText);
  return out;
}

describe('chat markdown block splitting', () => {
  it('splits paragraphs at blank lines', () => {
    assert.deepStrictEqual(splitBlocks('one\ntwo\n\nthree\n\nfour'), ['one\ntwo\n\n', 'three\n\n', 'four']);
  });

  it('never splits inside a fence, even at blank lines', () => {
    const t = 'intro\n\n```python\na = 1\n\n\nb = 2\n```\nafter\n';
    assert.deepStrictEqual(splitBlocks(t), ['intro\n\n', '```python\na = 1\n\n\nb = 2\n```\n', 'after\n']);
  });

  it('handles ~~~ fences and longer closing fences; a shorter one does not close', () => {
    const t = '~~~~\ncode\n~~~\n\nstill code\n~~~~~\n\nnext\n';
    assert.deepStrictEqual(splitBlocks(t), ['~~~~\ncode\n~~~\n\nstill code\n~~~~~\n', '\nnext\n']);
  });

  it('an unclosed fence stays open to the end', () => {
    assert.deepStrictEqual(splitBlocks('a\n\n```js\nx\n\ny\n'), ['a\n\n', '```js\nx\n\ny\n']);
  });

  it('keeps indented continuations (list items, indented code) with their block', () => {
    const t = '1. first\n\n   more of first\n\n2. second\n';
    assert.deepStrictEqual(splitBlocks(t), ['1. first\n\n   more of first\n\n', '2. second\n']);
  });

  it('keeps an indented fence inside a list item whole', () => {
    const t = '- step:\n  ```sh\n  npm i\n\n  npm t\n  ```\n  done\n\nnext\n';
    assert.deepStrictEqual(splitBlocks(t), ['- step:\n  ```sh\n  npm i\n\n  npm t\n  ```\n  done\n\n', 'next\n']);
  });

  it('a backtick line with backticks in its info string is not a fence', () => {
    assert.deepStrictEqual(splitBlocks('``` a ` b\n\nc\n'), ['``` a ` b\n\n', 'c\n']);
  });

  it('gives the same blocks whatever the size of the streamed pieces', () => {
    const t = '# Title\n\nSome *text* here.\nMore.\n\n```ts\nconst a = 1;\n\nconst b = 2;\n```\n- a\n- b\n\n> quote\n\nend';
    const whole = splitBlocks(t);
    for (const n of [1, 2, 3, 7, 16, 1000]) assert.deepStrictEqual(streamed(t, n), whole, `pieces of ${n}`);
    assert.strictEqual(whole.join(''), t);
  });

  it('keeps only the open block: offsets and length follow the whole text', () => {
    const s = new BlockSplitter();
    s.push('a\n\nb');
    assert.strictEqual(s.openStart, 3);
    assert.strictEqual(s.openText, 'b');
    assert.strictEqual(s.length, 4);
    s.push('\n```\ncode\n');
    assert.strictEqual(s.inFence, true);
    assert.deepStrictEqual(s.push('```\n'), ['b\n```\ncode\n```\n']);
    assert.strictEqual(s.openText, '');
  });

  it('CRLF line ends work like LF', () => {
    assert.deepStrictEqual(splitBlocks('a\r\n\r\nb\r\n'), ['a\r\n\r\n', 'b\r\n']);
  });
});

describe('chat markdown block splitting: open fences', () => {
  it('reports an unindented open fence and reads the open block from an offset', () => {
    const s = new BlockSplitter();
    s.push('intro\n\nHere:\n```ts extra\nline 1\nline 2\npart');
    const f = s.openFence!;
    assert.ok(f);
    assert.strictEqual(s.openText.slice(f.start), '```ts extra\nline 1\nline 2\npart');
    assert.strictEqual(s.openText.slice(0, f.start), 'Here:\n');
    assert.strictEqual(f.info, 'ts extra');
    assert.strictEqual(s.openTextFrom(f.bodyStart), 'line 1\nline 2\npart');
    s.push('ial\nline 3\n');
    assert.strictEqual(s.openTextFrom(f.bodyStart + 'line 1\n'.length), 'line 2\npartial\nline 3\n');
    assert.strictEqual(s.openTextFrom(s.openText.length), '');
    assert.deepStrictEqual(s.push('```\n'), ['Here:\n```ts extra\nline 1\nline 2\npartial\nline 3\n```\n']);
    assert.strictEqual(s.openFence, undefined);
  });

  it('an indented fence (inside a list item) is not reported', () => {
    const s = new BlockSplitter();
    s.push('- step\n  ```sh\n  npm i\n');
    assert.strictEqual(s.inFence, true);
    assert.strictEqual(s.openFence, undefined);
  });

  it('a 5,000-line fence streams in constant time per piece (the open block is not copied each push)', () => {
    const s = new BlockSplitter();
    s.push('```ts\n');
    const line = '  const value = compute(1, "text"); // comment\n';
    const time = (n: number) => {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) for (const piece of line.match(/\S+\s*|\s+/g)!) { s.push(piece); s.openTextFrom(s.length - s.openStart - 1); }
      return Number(process.hrtime.bigint() - t);
    };
    time(200);
    const early = time(500);
    time(4000);
    const late = time(500);
    assert.ok(late < early * 4, `late ${late} vs early ${early}`);
  });
});
