// Streaming markdown (src/core/chat/blocks.ts): which blocks are committed when (CommonMark's rules,
// decided by markdown-it's own block parser), reference definitions that arrive after their use,
// open fences shown as plain lines, previews of long open blocks, and the work done per frame (counted
// in characters parsed and rendered, so these tests are deterministic; timings are in npm run bench).
// The exhaustive check against markdown-it rendering every prefix is chatMarkdownStream.test.ts.
import * as assert from 'assert';
import { isFenceClose, StreamingMarkdown, type Frame, type StreamingMarkdownOptions } from '../../src/core/chat/blocks';
import { md } from '../../src/webview/markdownIt';

/** Pushes `text` at once and returns the chunks committed (non-empty HTML) and the open region's HTML. */
function split(text: string): { committed: string[]; open: string } {
  const s = new StreamingMarkdown(md);
  s.push(text);
  const f = s.update();
  return { committed: f.added.map((c) => c.html).filter(Boolean), open: s.renderOpen() };
}

function engine(options?: StreamingMarkdownOptions): { s: StreamingMarkdown; step(text: string): Frame } {
  const s = new StreamingMarkdown(md, options);
  return { s, step(text: string) { s.push(text); return s.update(); } };
}

describe('chat markdown streaming: reference definitions after their use', () => {
  it('the reported case: [docs][d] becomes a link in the frame in which "[d]: …" arrives, later blocks untouched', () => {
    const { step } = engine();
    const f1 = step('See the [docs][d].\n\nMore text.\n\nAnd more.\n\n');
    assert.deepStrictEqual(f1.added.map((c) => c.html), ['<p>See the [docs][d].</p>\n', '<p>More text.</p>\n', '<p>And more.</p>\n']);
    assert.deepStrictEqual(f1.added.map((c) => c.mayChange), [true, false, false]);
    const f2 = step('[d]: https://example.com/docs\n');
    assert.deepStrictEqual(f2.changed, [{ id: f1.added[0]!.id, html: '<p>See the <a href="https://example.com/docs">docs</a>.</p>\n', mayChange: true }]);
  });

  it('a definition still arriving updates the links using it each frame; an invalid one leaves text', () => {
    const { step } = engine();
    step('Use [x] here.\n\n');
    assert.match(step('[x]: https://example.com/a').changed[0]!.html, /href="https:\/\/example.com\/a"/);
    assert.match(step('b').changed[0]!.html, /href="https:\/\/example.com\/ab"/);
    assert.strictEqual(step(' not-a-title').changed[0]!.html, '<p>Use [x] here.</p>\n');
    assert.deepStrictEqual(step(' x').changed, [], 'no change, no re-render');
  });

  it('the first definition of a label wins (case and spaces folded), and a later one changes nothing', () => {
    const { step } = engine();
    step('[Foo  Bar]: https://example.com/1\n\nUse [foo bar].\n\n');
    const f = step('[FOO BAR]: https://example.com/2\n\n# end\n');
    assert.deepStrictEqual(f.changed, []);
    assert.deepStrictEqual(f.added.map((c) => c.html), ['', '<h1>end</h1>\n']);
    assert.strictEqual(md.render('[Foo  Bar]: https://example.com/1\n\nUse [foo bar].\n\n[FOO BAR]: https://example.com/2\n'), '<p>Use <a href="https://example.com/1">foo bar</a>.</p>\n');
  });

  it('definitions inside a block quote and a list item count for blocks before them', () => {
    const { step } = engine();
    step('[q] and [l]\n\n');
    assert.match(step('> [q]: https://example.com/q\n\n').changed[0]!.html, /<a href="https:\/\/example.com\/q">q<\/a> and \[l\]/);
    assert.match(step('- [l]: https://example.com/l\n\nend\n').changed[0]!.html, /<a href="https:\/\/example.com\/l">l<\/a>/);
  });

  it('a definition whose title may still go on keeps what follows it open until a blank line', () => {
    // "- [l]: url" then "'title": today the title is unclosed, so the list holds an empty item and
    // "'title" is a paragraph after it; "more'" makes them one definition with a two-line title.
    const { step } = engine();
    assert.deepStrictEqual(step("- [l]: https://example.com/l\n'title\n").added, []);
    assert.deepStrictEqual(step("more'\n").added, []);
    const f = step('\n[l]\n\nend\n');
    assert.deepStrictEqual(f.added.map((c) => c.html).filter(Boolean), ['<ul>\n<li></li>\n</ul>\n', '<p><a href="https://example.com/l" title="title\nmore">l</a></p>\n']);
  });

  it('a paragraph that could still become a definition is not given the cheap paragraph path', () => {
    // With previews every frame of a long open block is plain text, so the definition's effect on
    // the committed chunk must still be found in the frame in which its title closes.
    const { step } = engine({ previewMinChars: 10 });
    step('Use [a].\n\n');
    step("[a]: https://example.com/a 'a title\n");
    for (let i = 0; i < 5; i++) assert.deepStrictEqual(step(`line ${i} of the title\n`).changed, []);
    const f = step("end'\n");
    assert.strictEqual(f.open.kind, 'append');
    assert.match(f.changed[0]!.html, /<a href="https:\/\/example.com\/a" title="a title\nline 0/);
  });
});

describe('chat markdown streaming: where blocks end (CommonMark, as markdown-it parses it)', () => {
  it('a fence indented up to 3 spaces is a fence (blank lines inside do not end it); 4 spaces is indented code', () => {
    assert.deepStrictEqual(split('   ```\n   code\n\n\nx\n'), { committed: [], open: '<pre><code>code\n\n\nx\n</code></pre>\n' });
    assert.deepStrictEqual(split('    ```\n    code\n\nx\n'), { committed: ['<pre><code>```\ncode\n</code></pre>\n'], open: '<p>x</p>\n' });
  });

  it('a fence closes only with its own character, at least as long, indented under 4, nothing after', () => {
    const r = split('````\na\n```\n~~~~\n    ````\n```` x\n ````  \nafter\n');
    assert.deepStrictEqual(r, { committed: ['<pre><code>a\n```\n~~~~\n    ````\n```` x\n</code></pre>\n'], open: '<p>after</p>\n' });
    for (const [line, marker, len, want] of [
      ['```', '`', 3, true], ['   ```', '`', 3, true], ['    ```', '`', 3, false], ['\t```', '`', 3, false], [' ```` \t', '`', 3, true],
      ['``', '`', 3, false], ['````', '`', 4, true], ['```', '`', 4, false], ['``` x', '`', 3, false], ['~~~', '`', 3, false], ['~~~~', '~', 3, true],
    ] as const) assert.strictEqual(isFenceClose(line, marker.charCodeAt(0), len), want, JSON.stringify(line));
  });

  it('a backtick fence may not have a backtick in its info string; a tilde fence may', () => {
    assert.deepStrictEqual(split('``` a`b\nx\n\ny\n').committed, ['<p>``` a`b\nx</p>\n']);
    assert.deepStrictEqual(split('~~~ a`b\nx\n~~~\ny\n').committed, ['<pre><code class="language-a`b">x\n</code></pre>\n']);
  });

  it('a list stays one open block across blank lines (loose) until a line that cannot continue it', () => {
    assert.deepStrictEqual(split('- a\n\n- b\n\n').committed, []);
    assert.deepStrictEqual(split('- a\n\n- b\n\ntext\n').committed, ['<ul>\n<li>\n<p>a</p>\n</li>\n<li>\n<p>b</p>\n</li>\n</ul>\n']);
    assert.deepStrictEqual(split('- a\n- b\n\n  more b\nc\n').committed, []);
    assert.deepStrictEqual(split('1. a\n2. b\n\n# h\n').committed, ['<ol>\n<li>a</li>\n<li>b</li>\n</ol>\n', '<h1>h</h1>\n']);
  });

  it('lazy continuation lines stay in the block quote', () => {
    assert.deepStrictEqual(split('> quoted\nlazy\n> more\n\nafter\n').committed, ['<blockquote>\n<p>quoted\nlazy\nmore</p>\n</blockquote>\n']);
  });

  it('a setext heading takes the paragraph lines before its underline and is committed at the underline', () => {
    assert.deepStrictEqual(split('Title\nover two lines\n---\n').committed, ['<h2>Title\nover two lines</h2>\n']);
    assert.deepStrictEqual(split('Text\n\n---\n').committed, ['<p>Text</p>\n', '<hr>\n']);
  });

  it('a paragraph is committed as soon as a table interrupts it, when the delimiter row arrives later', () => {
    const { s, step } = engine();
    for (const line of ['one\n', 'two\n', 'three\n', '| a | b |\n']) assert.deepStrictEqual(step(line).added, []);
    assert.deepStrictEqual(step('|---|---|\n').added.map((c) => c.html), ['<p>one\ntwo\nthree</p>\n']);
    assert.strictEqual(s.renderOpen(), '<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n</table>\n');
  });

  it('an ATX heading is committed at once, unless it has a | and could be a table header', () => {
    assert.deepStrictEqual(split('# a b\n').committed, ['<h1>a b</h1>\n']);
    assert.deepStrictEqual(split('# a | b\n').committed, []);
    assert.deepStrictEqual(split('# a | b\n|---|---|\n').open, '<table>\n<thead>\n<tr>\n<th># a</th>\n<th>b</th>\n</tr>\n</thead>\n</table>\n');
  });

  it('indented code with blank lines inside stays one block; a paragraph ends at a blank line', () => {
    assert.deepStrictEqual(split('    a\n\n    b\n').committed, []);
    assert.deepStrictEqual(split('    a\n\n    b\nc\n').committed, ['<pre><code>a\n\nb\n</code></pre>\n']);
    assert.deepStrictEqual(split('p\n\n').committed, ['<p>p</p>\n']);
  });

  it('CRLF and a lone CR end lines as markdown-it reads them, also when a \\r\\n is split between pieces', () => {
    const { s, step } = engine();
    const shown = [] as string[];
    for (const piece of ['a\r', '\nb\r', '\r\nc']) for (const c of step(piece).added) shown.push(c.html);
    assert.strictEqual(s.length, 8);
    for (const c of s.finish().added) shown.push(c.html);
    assert.strictEqual(shown.join('') + s.renderOpen(), md.render('a\r\nb\r\r\nc'));
    assert.strictEqual(md.render('a\r\nb\r\r\nc'), '<p>a\nb</p>\n<p>c</p>\n');
  });
});

describe('chat markdown streaming: open fences', () => {
  it('finished lines stream as plain text; the fence is rendered and highlighted once, when it closes', () => {
    const { step } = engine();
    const f1 = step('Intro\n\n```ts\nconst a = 1;\nconst b');
    assert.deepStrictEqual(f1.added.map((c) => c.html), ['<p>Intro</p>\n']);
    assert.deepStrictEqual(f1.open, { kind: 'fence', reset: { lang: 'ts' }, lines: 'const a = 1;\n', tail: 'const b' });
    assert.deepStrictEqual(step(' = 2;\n').open, { kind: 'fence', reset: undefined, lines: 'const b = 2;\n', tail: '' });
    const f3 = step('```\n');
    assert.match(f3.added[0]!.html, /^<pre><code class="language-ts"><span class="hljs-keyword">const<\/span> a = <span class="hljs-number">1<\/span>;/);
    assert.deepStrictEqual(f3.open, { kind: 'html', html: '' });
  });

  it('an indented fence drops its own indentation from the plain lines, as markdown-it does', () => {
    const { s, step } = engine();
    const f = step('  ~~~ py\n  a\n b\n    c\n\td\n  e');
    assert.deepStrictEqual(f.open, { kind: 'fence', reset: { lang: 'py' }, lines: 'a\nb\n  c\n  d\n', tail: 'e' });
    assert.strictEqual(s.renderOpen(), md.render('  ~~~ py\n  a\n b\n    c\n\td\n  e'));
    assert.match(s.renderOpen(), /<code class="language-py">a\nb\n {2}c\n {2}d\ne<\/code>/);
  });

  it('a 5,000-line open fence costs no parsing or rendering per line; it is rendered once when it closes', () => {
    const { s, step } = engine();
    step('```ts\n');
    const parsed = s.stats.parsedChars;
    const line = '  const value = compute(1, "text"); // comment\n';
    for (let i = 0; i < 5000; i++) {
      for (const piece of line.match(/\S+\s*|\s+/g)!) {
        const f = step(piece);
        assert.strictEqual(f.open.kind, 'fence');
      }
    }
    assert.strictEqual(s.stats.parsedChars, parsed);
    assert.strictEqual(s.stats.renderedChars, 0);
    const f = step('```\n');
    assert.strictEqual(f.added.length, 1);
    assert.ok(s.stats.renderedChars < 5001 * line.length + 20, String(s.stats.renderedChars));
  });
});

describe('chat markdown streaming: work per frame', () => {
  it('one long paragraph of 3,000 lines: each new line is checked against a few lines, not the paragraph', () => {
    const { s, step } = engine();
    const line = 'The model keeps writing one paragraph without a blank line, and **this** goes on.\n';
    const perLine: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const before = s.stats.parsedChars;
      step(line);
      perLine.push(s.stats.parsedChars - before);
    }
    const late = Math.max(...perLine.slice(-500));
    assert.ok(late <= 2 * line.length + 2, `parsed ${late} characters for one line late in the paragraph`);
    const f = step('\nNext.\n');
    assert.strictEqual(f.added.length, 1);
    assert.ok(f.added[0]!.html.startsWith('<p>The model keeps') && f.added[0]!.html.endsWith('goes on.</p>\n'));
  });

  it('a 1 MB paragraph in 50 frames renders about twice its length in all, not 25 times', () => {
    for (const withNewlines of [true, false]) {
      const { s, step } = engine();
      const unit = withNewlines ? 'word word word word word word word word word word word word **bold** and `code`\n' : 'word word word word **bold** and `code` ';
      const piece = unit.repeat(Math.ceil(20_100 / unit.length));
      const kinds: string[] = [];
      for (let f = 0; f < 50; f++) kinds.push(step(piece).open.kind);
      const total = 50 * piece.length;
      assert.ok(total > 1_000_000);
      assert.ok(s.stats.renderedChars <= 2 * total, `rendered ${s.stats.renderedChars} for ${total}`);
      assert.ok(kinds.filter((k) => k === 'append').length >= 40, kinds.join(','));
      s.finish();
      assert.ok(s.stats.renderedChars <= 3 * total);
    }
  });

  it('a 1 MB paragraph in 50 frames: no frame does more than one exact render of previewMaxChars, and the late frames only their own text (issue 19 item 3)', () => {
    const maxChars = 131_072;
    for (const unit of ['word word word word **bold** and `code` ', 'word word word word word word **bold** and `code`\n', 'see [a]: b and [c] then x ', 'see [a]: b and [c] then x\n']) {
      const { s, step } = engine({ previewMaxChars: maxChars });
      const piece = unit.repeat(Math.ceil(20_100 / unit.length));
      const work: number[] = [];
      for (let f = 0; f < 50; f++) {
        const before = s.stats.parsedChars + s.stats.renderedChars;
        step(piece);
        work.push(s.stats.parsedChars + s.stats.renderedChars - before);
      }
      const what = JSON.stringify(unit);
      assert.ok(Math.max(...work) <= maxChars + 2 * piece.length, `${what}: a frame did ${Math.max(...work)} characters of work`);
      // Past previewMaxChars nothing is rendered again; what is left is at most the new lines' check.
      assert.ok(Math.max(...work.slice(10)) <= piece.length + 200, `${what}: late frames ${work.slice(10).join(',')}`);
      assert.ok(work.slice(10).every((w, i, a) => i === 0 || w <= a[0]! + 200), `${what}: work grew: ${work.slice(10).join(',')}`);
    }
  });

  it('other long open blocks (a block quote, a list item, a table, nested quotes) are parsed again only as they grow: 400 KB in 50 frames is parsed and rendered under twice its length each, in a few of the frames', function () {
    this.timeout(60_000);
    const kinds: Array<{ name: string; size: number; line: (i: number) => string }> = [
      { name: 'block quote', size: 400_000, line: () => '> word word **bold** and `code`\n' },
      { name: 'list item', size: 400_000, line: (i) => (i === 0 ? '- item word word\n' : '  word word **bold** and `code`\n') },
      { name: 'nested quote and list', size: 400_000, line: (i) => (i === 0 ? '> - item\n' : '>   word *em* word\n') },
      // markdown-it's table rule is slow (about 1 s per MB on a busy machine): a smaller table shows the same.
      { name: 'table', size: 200_000, line: (i) => (i === 0 ? '| a | b |\n|---|---|\n' : '| x **y** | z |\n') },
    ];
    for (const k of kinds) {
      const { s, step } = engine();
      let text = '';
      let n = 0;
      const work: number[] = [];
      for (let f = 0; f < 50; f++) {
        let piece = '';
        while (piece.length < k.size / 50) piece += k.line(n++);
        const before = s.stats.parsedChars + s.stats.renderedChars;
        const fr = step(piece);
        work.push(s.stats.parsedChars + s.stats.renderedChars - before);
        assert.strictEqual(fr.added.length, 0, `${k.name}: nothing can be committed`);
        text += piece;
      }
      // Parsed: the geometric series of re-parses; rendered: the exact previews at each doubling.
      assert.ok(s.stats.parsedChars <= 2 * text.length, `${k.name}: parsed ${s.stats.parsedChars} characters for ${text.length}`);
      assert.ok(s.stats.renderedChars <= 2 * text.length, `${k.name}: rendered ${s.stats.renderedChars} characters for ${text.length}`);
      assert.ok(Math.max(...work) <= text.length, `${k.name}: one frame did ${Math.max(...work)}`);
      // Work happens in a few frames (each doubling), not in every frame.
      assert.ok(work.filter((w) => w > 0).length <= 8, `${k.name}: work in frames ${work.join(',')}`);
      // What is shown at the end is still exactly the whole rendering.
      assert.deepStrictEqual(s.finish().open, { kind: 'html', html: md.render(text) }, k.name);
    }
  });

  it('a long open block that ends at a blank line is committed within a quarter of its length more, exactly as rendered whole', () => {
    const { s, step } = engine();
    const quote = '> a line of a long quote with *emphasis*\n'.repeat(2500);
    for (let i = 0; i < quote.length; i += 10_000) assert.strictEqual(step(quote.slice(i, i + 10_000)).added.length, 0);
    let after = 0;
    let added: Frame['added'] = [];
    for (const piece of ['\n', ...Array(20).fill('More text after the quote, in a paragraph. '.repeat(50) + '\n')] as string[]) {
      added = step(piece).added;
      after += piece.length;
      if (added.length) break;
    }
    assert.ok(added.length > 0 && after <= quote.length / 4 + 3000, `committed after ${after} more characters`);
    assert.strictEqual(added.map((c) => c.html).join(''), md.render(quote));
  });

  it('a long line with "]:" in it is not searched for definitions each frame unless a line starts with [', () => {
    const { s, step } = engine();
    const piece = 'see [a]: b and [c] then x '.repeat(800);
    for (let f = 0; f < 30; f++) step(piece);
    assert.strictEqual(s.stats.parsedChars, 0);
    // A definition at a line start is still found (and used by the text before it).
    const d = engine({ previewMinChars: 100 });
    d.step('Read [the docs][d].\n\n');
    d.step('x '.repeat(200) + '\n\n');
    const f = d.step('> [d]: https://example.com/docs\n> more');
    assert.ok(f.changed.some((c) => c.html.includes('<a href="https://example.com/docs">the docs</a>')), JSON.stringify(f));
  });

  it('the work per frame does not grow with the answer (early and late frames of a 400-section answer)', () => {
    const section = (i: number) => `## Step ${i}\n\nSome text with \`code\` and a [link](https://example.com/${i}).\nMore text.\n\n- one\n- two\n\n\`\`\`js\nconst x${i} = ${i};\n\`\`\`\n\n`;
    let text = '';
    for (let i = 0; i < 400; i++) text += section(i);
    const { s, step } = engine();
    const work: number[] = [];
    for (let i = 0; i < text.length; i += 16) {
      const before = s.stats.parsedChars + s.stats.renderedChars;
      step(text.slice(i, i + 16));
      work.push(s.stats.parsedChars + s.stats.renderedChars - before);
    }
    const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const early = avg(work.slice(100, 600));
    const late = avg(work.slice(-500));
    assert.ok(late < early * 1.5 && early < late * 1.5, `early ${early.toFixed(1)} vs late ${late.toFixed(1)} characters per frame`);
  });
});

describe('chat markdown streaming: finishing', () => {
  it('finish renders the open region exactly; again with no new text it does nothing; text after it still shows', () => {
    const { s, step } = engine();
    const para = 'word *em* '.repeat(2000);
    step('```js\nlet a = 1;\n');
    step(`\`\`\`\n\n${para}`);
    const f = s.finish();
    assert.deepStrictEqual(f.open, { kind: 'html', html: md.render(para) });
    const rendered = s.stats.renderedChars;
    assert.deepStrictEqual(s.finish(), { added: [], changed: [], open: { kind: 'same' } });
    assert.strictEqual(s.stats.renderedChars, rendered);
    assert.deepStrictEqual(step('more'), { added: [], changed: [], open: { kind: 'html', html: md.render(`${para}more`) } });
  });
});

describe('chat markdown streaming: previews of long open blocks', () => {
  it('a long open block is rendered exactly each time it doubles; in between its new text is appended', () => {
    const { s, step } = engine({ previewMinChars: 100 });
    const kinds: string[] = [];
    for (let i = 0; i < 60; i++) kinds.push(step('abcd *efg* ').open.kind);
    // 11 characters per frame: exact up to 100 (99 at frame 8), then at twice that (198, frame 17)
    // and twice again (396, frame 35).
    assert.deepStrictEqual(kinds.map((k, i) => (k === 'html' ? i : -1)).filter((i) => i >= 0), [...Array(9).keys(), 17, 35]);
    const f = s.finish();
    assert.deepStrictEqual(f.open, { kind: 'html', html: md.render('abcd *efg* '.repeat(60)) });
  });

  it('past previewMaxChars an open block is not rendered exactly again until it ends', () => {
    const { s, step } = engine({ previewMinChars: 100, previewMaxChars: 300 });
    const kinds: string[] = [];
    for (let i = 0; i < 100; i++) kinds.push(step('abcd *efg* ').open.kind);
    assert.deepStrictEqual(kinds.map((k, i) => (k === 'html' ? i : -1)).filter((i) => i >= 0), [...Array(9).keys(), 17]);
    assert.strictEqual(s.finish().open.kind, 'html');
  });

  it('without previews every frame carries the exact rendering of the open region', () => {
    const { s, step } = engine({ previews: false });
    step('```js\nlet a;\n');
    for (let i = 0; i < 20; i++) {
      const f = step(`x${i};\n`);
      assert.deepStrictEqual(f.open, { kind: 'html', html: s.renderOpen() });
    }
  });
});
