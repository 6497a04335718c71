// Markdown texts for the streaming-render property test (test/unit/chatMarkdownStream.test.ts):
// real-looking chat answers written by hand, a generator of random answers built from the same kinds
// of blocks, and a generator of line soups made of the lines that decide where CommonMark blocks end
// (fence openers and closers of every length, indent and character, list markers, quote markers,
// setext underlines, table rows, reference definitions and their continuations). All seeded.

/** A small seeded PRNG (mulberry32). */
export function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Hand-written answers, each a kind of content models produce. */
export const ANSWERS: { name: string; text: string }[] = [
  {
    name: 'reference link defined in a later block (the reported case)',
    text: 'See the [docs][d] and [the guide][].\n\nMore text here.\n\n[d]: https://example.com/docs\n[the guide]: https://example.com/guide "The Guide"\n',
  },
  {
    name: 'references before use, duplicate labels (first wins), case and whitespace folding',
    text: '[Foo Bar]: https://example.com/first\n[foo   bar]: https://example.com/second\n\nUse [foo bar] and [FOO BAR][] and [x][Foo\nBar].\n\n[FOO BAR]: https://example.com/third\n',
  },
  {
    name: 'reference definitions with titles on the next line, multi-line titles, destination on the next line',
    text: 'Links: [a], [b], [c], [d].\n\n[a]: https://example.com/a\n  "Title on the next line"\n[b]:\n  https://example.com/b\n[c]: https://example.com/c \'a title\nthat goes on\'\n[d]: https://example.com/d (paren title)\n\nAfter.\n',
  },
  {
    name: 'something that looks like a definition but is not',
    text: '[a]: https://example.com/a \'unclosed title\nstill a paragraph?\n\n[a]\n\n[not a def]: no spaces allowed here\n[b]: javascript:alert(1)\n\n[b] stays text.\n',
  },
  {
    name: 'a definition whose title goes on after the next block has started',
    text: '- [l]: https://example.com/l\n\'title\nmore\'\n\n> [q]: https://example.com/q\n\'title\nmore\'\n\n[s]: https://example.com/s \'foo\n===\nbar\nbaz\'\n\nUse [l], [q], [s].\n',
  },
  {
    name: 'a paragraph that turns into a definition on its third line',
    text: 'Intro.\n\n[a]: https://example.com/a \'a title\nover three\nlines\'\n\n[a]\n\n[b]: https://example.com/b \'never\nclosed\nat all\n\n[b]\n',
  },
  {
    name: 'a long paragraph interrupted by a table',
    text: 'Intro line one\nintro line two\nintro three\n| a | b |\n|---|---|\n| 1 | 2 |\n\nAnother paragraph\nof two lines\nx | y\nnot a delimiter\n',
  },
  {
    name: 'definitions inside a block quote and a list item count for the whole answer',
    text: 'Early use: [q] and [l].\n\n> [q]: https://example.com/q\n> quoted text\n\n- item\n- [l]: https://example.com/l\n  more\n\nLate use: [q] [l]\n',
  },
  {
    name: 'nested fences of ``` and ~~~ with different lengths',
    text: 'Here is a markdown file:\n\n````markdown\n# Title\n\n```python\nprint("hi")\n```\n\n~~~\ntilde\n~~~\n````\n\nAnd tildes around backticks:\n\n~~~~text\n```\nnot closed by backticks\n~~~\nnot closed by shorter tildes\n~~~~~\n\nDone.\n',
  },
  {
    name: 'indented fences (up to 3 spaces), closers indented differently, 4 spaces is code',
    text: '   ```js\n   const a = 1;\n  const b = 2;\n const c = 3;\n      const d = 4;\n    ```\n   ```\n\n    ```\n    indented code, not a fence\n\nText.\n\n  ~~~\n  x\n~~~\n',
  },
  {
    name: 'fence info strings: backticks make it not a fence, tildes may have them',
    text: '``` a `b` c\nnot code\n```\n\n~~~ a `b` c\ncode\n~~~\n\n```js title="x.js"\nlet x;\n```\n',
  },
  {
    name: 'unclosed fence at the end',
    text: 'Start:\n\n```ts\nexport function f() {\n  return 1;\n}\n\n// more\n',
  },
  {
    name: 'tight and loose lists, nested, ordered with start numbers, code inside items',
    text: '1. First\n2. Second\n   - nested a\n   - nested b\n\n     continued b\n3. Third\n\n- tight one\n- tight two\n\n* loose one\n\n* loose two\n\n7) seven\n8) eight\n\n- item with code:\n\n  ```sh\n  npm test\n  ```\n\n- last\n',
  },
  {
    name: 'list ends, paragraph interrupts, ordered list interrupting a paragraph only from 1',
    text: 'A paragraph\n2. not a list\n1. a list\n- bullet\n\nPara\n-\nafter empty item\n\n- a\n+ b\n* c\n',
  },
  {
    name: 'block quotes with lazy continuation, nesting, and content',
    text: '> quoted line\nlazy continuation\n> > nested\n> back\n\n> # heading in quote\n> - list in quote\n> ```\n> code in quote\n> ```\n\n>no space\n>\n> after empty\n',
  },
  {
    name: 'setext headings, thematic breaks, and the difference',
    text: 'Title\n=====\n\nSubtitle\nover two lines\n---\n\nText\n\n---\n\n***\n___\n- - -\n\nNot a heading\n   ===\n',
  },
  {
    name: 'tables: alignment, escaped pipes, short rows, interrupting a paragraph, ending',
    text: 'Intro paragraph\n| Name | Value |\n|:-----|------:|\n| a | 1 |\n| b \\| c | 2 |\n| short |\n\nAfter.\n\nx | y\n--|--\n1 | 2\n# heading ends it\n\n| not | a table |\n| - | - | - |\n',
  },
  {
    name: 'indented code blocks with blank lines inside, tabs',
    text: 'Code:\n\n    line 1\n\n    line 3\n\tline with tab\n\nAfter.\n\n- item\n\n        code in item\n',
  },
  {
    name: 'emphasis, links and code spans across lines; hard breaks; escapes; entities',
    text: 'This is *emphasis\nacross lines* and **strong\nacross** and `code\nspan`.  \nHard break above, \\\nbackslash break. \\*not em\\* &amp; &copy; &#35;\n\n[link\ntext](https://example.com/a b) and [ok](https://example.com/ok "t") and https://example.com/auto.\n',
  },
  {
    name: 'HTML is text (html off), dangerous URLs are not links',
    text: '<div>\n<script>alert(1)</script>\n</div>\n\n<b>bold?</b> [x](javascript:alert(1)) ![img](https://example.com/i.png) <https://example.com/auto>\n',
  },
  {
    name: 'CRLF line ends throughout',
    text: '# Title\r\n\r\nPara one\r\nstill one\r\n\r\n```py\r\nprint(1)\r\n```\r\n\r\n- a\r\n- b\r\n\r\n[r]: https://example.com/r\r\n\r\nUse [r].\r\n',
  },
  {
    name: 'lone CR and mixed line ends',
    text: 'one\rtwo\r\n\rthree\n\r\n```\rcode\r```\rafter\n',
  },
  {
    name: 'a typical answer',
    text: '## Installing\n\nRun the installer, then check the version:\n\n```bash\n$ ollama --version\nollama version 0.5.1\n```\n\n### Options\n\n| Flag | Meaning |\n|------|---------|\n| `-v` | verbose |\n| `-q` | quiet |\n\n1. **Download** the model:\n   ```\n   ollama pull llama3.2\n   ```\n2. Run it.\n\n> **Note:** models are large.\nThis can take a while.\n\nSee [the docs][docs] for more.\n\n[docs]: https://ollama.com/docs\n',
  },
  {
    name: 'a heading with a pipe followed by a delimiter row is a table',
    text: '# a | b\n|---|---|\n| 1 | 2 |\n\n# c | d\n\ntext\n',
  },
  {
    name: 'empty lines of spaces, trailing spaces, NUL',
    text: 'a  \n   \n\t\nb\u0000c\n  \n    \n- x\n  \n  y\n',
  },
];

const WORDS = ['the', 'model', 'returns', 'a', 'value', '`code`', '**bold**', '*em*', '_em_', 'with', 'and', 'https://example.com/x',
  '[link](https://example.com/l)', '[ref]', '[Ref][r2]', '[r3][]', 'x|y', '\\*', '&amp;', '<b>', '~~del~~', 'data', 'test'];

function sentence(r: (n: number) => number, words = 4 + r(10)): string {
  const w: string[] = [];
  for (let i = 0; i < words; i++) w.push(WORDS[r(WORDS.length)]!);
  return w.join(' ');
}

function paragraph(r: (n: number) => number): string[] {
  const out: string[] = [];
  for (let i = 0, n = 1 + r(3); i < n; i++) out.push(sentence(r) + (r(8) === 0 ? '  ' : ''));
  if (r(5) === 0) out[0] = '*' + out[0];
  if (r(5) === 0) out[out.length - 1] += '*';
  return out;
}

function fence(r: (n: number) => number, indent = ''): string[] {
  const ch = r(3) === 0 ? '~' : '`';
  const len = 3 + r(3);
  const ind = ' '.repeat(r(4));
  const out = [indent + ind + ch.repeat(len) + ['', 'js', 'python', 'ts extra', 'markdown'][r(5)]!];
  for (let i = 0, n = r(6); i < n; i++) {
    const k = r(10);
    out.push(indent + (k === 0 ? '' : k === 1 ? ch.repeat(Math.max(3, len - 1)) : k === 2 ? (ch === '`' ? '~~~' : '```') : k === 3 ? '    ' + ch.repeat(len) : `  code ${i} [ref] *x*`));
  }
  const close = r(6);
  if (close !== 0) out.push(indent + ' '.repeat(r(5)) + ch.repeat(len + r(2)) + (r(6) === 0 ? ' x' : r(4) === 0 ? '  ' : ''));
  return out;
}

function list(r: (n: number) => number, depth = 0): string[] {
  const ordered = r(2) === 0;
  const marker = ordered ? `${r(3) === 0 ? 1 + r(9) : 1}${r(4) === 0 ? ')' : '.'}` : ['-', '*', '+'][r(3)]!;
  const loose = r(3) === 0;
  const out: string[] = [];
  const pad = '  '.repeat(depth);
  for (let i = 0, n = 1 + r(4); i < n; i++) {
    out.push(`${pad}${marker} ${sentence(r, 2 + r(5))}`);
    const cont = ' '.repeat(marker.length + 1);
    const k = r(8);
    if (k === 0 && depth < 2) out.push(...list(r, depth + 1).map((l) => cont.slice(2) + l));
    else if (k === 1) out.push(...fence(r, pad + cont));
    else if (k === 2) out.push(pad + cont + sentence(r));
    else if (k === 3) out.push(sentence(r));
    if (loose) out.push('');
  }
  return out;
}

function table(r: (n: number) => number): string[] {
  const cols = 1 + r(3);
  const row = (f: () => string) => (r(2) ? '| ' : '') + Array.from({ length: cols }, f).join(' | ') + (r(2) ? ' |' : '');
  const out = [row(() => sentence(r, 1)), row(() => [':--', '---', '--:', ':-:'][r(4)]!)];
  for (let i = 0, n = r(4); i < n; i++) out.push(row(() => sentence(r, 1 + r(2))));
  return out;
}

function quote(r: (n: number) => number): string[] {
  const out: string[] = [];
  for (let i = 0, n = 1 + r(4); i < n; i++) {
    const k = r(6);
    out.push(k === 0 ? sentence(r) : k === 1 ? '> > ' + sentence(r) : k === 2 ? '>' : '> ' + sentence(r));
  }
  return out;
}

function definitions(r: (n: number) => number): string[] {
  const labels = ['ref', 'r2', 'R3', 'docs', 'r\nef'];
  const out: string[] = [];
  for (let i = 0, n = 1 + r(3); i < n; i++) {
    const label = labels[r(labels.length)]!;
    const url = r(6) === 0 ? 'javascript:x' : `https://example.com/${label.replace('\n', '')}${i}`;
    const k = r(6);
    if (k === 0) out.push(`[${label}]:`, `  ${url}`);
    else if (k === 1) out.push(`[${label}]: ${url}`, `  "title ${i}"`);
    else if (k === 2) out.push(`[${label}]: ${url} 'multi`, 'line title\'');
    else if (k === 3) out.push(`[${label}]: ${url} "unclosed`);
    else if (k === 4) out.push(`${r(2) ? '-' : '>'} [${label}]: ${url}`, `'title`, ...(r(2) ? ['- next'] : []), `end'`);
    else out.push(`[${label}]: ${url}`);
  }
  return out.join('\n').split('\n');
}

/** A random answer made of real block kinds. */
export function randomAnswer(seed: number): string {
  const r = rng(seed);
  const lines: string[] = [];
  for (let b = 0, n = 3 + r(10); b < n; b++) {
    const k = r(12);
    const block = k === 0 ? [`${'#'.repeat(1 + r(3))} ${sentence(r, 3)}`]
      : k === 1 ? [...paragraph(r), r(2) ? '===' : '---']
      : k === 2 ? fence(r)
      : k === 3 ? list(r)
      : k === 4 ? table(r)
      : k === 5 ? quote(r)
      : k === 6 ? definitions(r)
      : k === 7 ? ['    ' + sentence(r), '', '    ' + sentence(r)]
      : k === 8 ? [['---', '***', '___', '- - -'][r(4)]!]
      : paragraph(r);
    lines.push(...block);
    const gap = r(5);
    if (gap) lines.push(...Array<string>(gap === 4 ? 2 : 1).fill(gap === 3 ? '  ' : ''));
  }
  let text = lines.join('\n') + (r(4) ? '\n' : '');
  if (r(6) === 0) text = text.replace(/\n/g, '\r\n');
  else if (r(10) === 0) text = text.replace(/\n/g, () => (r(3) === 0 ? '\r' : '\n'));
  return text;
}

/** Lines that decide where blocks end, to be shuffled into soups. */
const SOUP = [
  '', '', '', '  ', '\t', 'text', 'more text', '*emph', 'strong**', '[ref]', '[Ref] and [r2][]', '[x]: https://example.com/x',
  '[ref]: https://example.com/ref', '[r2]:', 'https://example.com/r2', '"title"', "'open title", "close'", '[la', 'bel]: https://example.com/l',
  '```', '````', '~~~', '~~~~', '``` js', '```a`b', '~~~ a`b', '   ```', '    ```', ' ``` ', '```  x', '\t```',
  '- item', '* item', '+ item', '-', '1. one', '2. two', '1) one', '10. ten', '  - nested', '    - deep', '   continued',
  '> quote', '>', '> > nested', '> ```', '>     code', '# h1', '## h2 ##', '#no', '# a | b', '===', '---', '- - -', '***', '___',
  '| a | b |', '|---|---|', '| - | :-: |', 'a | b', '--|--', '| 1 |', '    code', '        code', '\tcode', '<div>', '&amp;',
  'a\\', 'b  ', '- [ref]: https://example.com/l', '> [ref]: https://example.com/q', "[ref]: https://example.com/r 'open",
  '[r2]: https://example.com/r2', "'open title", "close'",
];

/** A random sequence of block-deciding lines. */
export function lineSoup(seed: number): string {
  const r = rng(seed);
  const lines: string[] = [];
  for (let i = 0, n = 4 + r(30); i < n; i++) lines.push(SOUP[r(SOUP.length)]!);
  const text = lines.join('\n') + (r(3) ? '\n' : '');
  return r(8) === 0 ? text.replace(/\n/g, '\r\n') : text;
}
