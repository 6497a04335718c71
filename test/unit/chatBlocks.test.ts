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
