// Property test: streaming markdown renders exactly what one markdown-it render of the text so far
// renders, for any text, any cut point and any way the text arrives in pieces. The markdown-it
// instance is the webview's own (src/webview/markdownIt.ts: html off, linkify on, our validateLink,
// the image rule, highlight.js), compared as HTML strings before DOMPurify.
//
// Texts: the hand-written answers of chatMarkdownCorpus.ts (every single cut point, one character
// per piece), seeded random answers made of real block kinds, and seeded "line soups" of the lines
// that decide where CommonMark blocks end (random piece sizes). After every piece:
// - the committed chunks (as the frames sent them, re-rendered ones replaced) followed by the exact
//   rendering of the open region equal md.render(prefix);
// - without previews, what the frames show (chunks + the open region's `html`) equals it too;
// - with previews (threshold lowered so that they happen often), what is shown converges: after
//   finish() the display equals md.render(text).
import * as assert from 'assert';
import { StreamingMarkdown, type Frame } from '../../src/core/chat/blocks';
import { md } from '../../src/webview/markdownIt';
import { ANSWERS, lineSoup, randomAnswer, rng } from './chatMarkdownCorpus';

interface Display { chunks: Map<number, string>; open: string }

function applyFrame(d: Display, f: Frame): void {
  for (const c of f.added) {
    assert.ok(!d.chunks.has(c.id), `chunk ${c.id} added twice`);
    d.chunks.set(c.id, c.html);
  }
  for (const c of f.changed) {
    assert.ok(d.chunks.has(c.id), `chunk ${c.id} changed before it was added`);
    d.chunks.set(c.id, c.html);
  }
  if (f.open.kind === 'html') d.open = f.open.html;
}

const committed = (d: Display) => [...d.chunks.values()].join('');

/** Streams `text` in pieces of `size()` characters, checking after every piece; returns the number
 * of cut points checked. */
function streamAndCheck(text: string, size: () => number, previews: boolean, label: string): number {
  const s = new StreamingMarkdown(md, previews ? { previewMinChars: 64, previewGrowth: 1.5 } : { previews: false });
  const d: Display = { chunks: new Map(), open: '' };
  let pos = 0;
  let cuts = 0;
  while (pos < text.length) {
    const n = Math.max(1, size());
    s.push(text.slice(pos, pos + n));
    pos = Math.min(text.length, pos + n);
    const f = s.update();
    applyFrame(d, f);
    const want = md.render(text.slice(0, pos));
    const got = committed(d) + s.renderOpen();
    if (got !== want) {
      assert.fail(`${label}: cut at ${pos} of ${JSON.stringify(text.slice(0, pos))}\n got: ${JSON.stringify(got)}\nwant: ${JSON.stringify(want)}`);
    }
    if (!previews && f.open.kind !== 'same') assert.strictEqual(committed(d) + d.open, want, `${label}: shown at cut ${pos}`);
    cuts++;
  }
  applyFrame(d, s.finish());
  assert.strictEqual(committed(d) + d.open, md.render(text), `${label}: after finish`);
  return cuts;
}

describe('chat markdown streaming: property test against markdown-it rendering the whole prefix', function () {
  this.timeout(600_000);
  const totals = { texts: 0, cuts: 0, ms: 0 };
  const count = (texts: number, cuts: number, t0: number) => { totals.texts += texts; totals.cuts += cuts; totals.ms += Date.now() - t0; };

  after(() => {
    // The numbers the report quotes.
    console.log(`      property test: ${totals.texts} texts, ${totals.cuts} cut points checked, ${(totals.ms / 1000).toFixed(1)} s`);
  });

  for (const a of ANSWERS) {
    it(`every cut point of: ${a.name}`, () => {
      const t0 = Date.now();
      const cuts = streamAndCheck(a.text, () => 1, false, a.name);
      // CRLF: the same text split inside every \r\n.
      const crlf = a.text.includes('\r') ? 0 : streamAndCheck(a.text.replace(/\n/g, '\r\n'), () => 1, false, `${a.name} (CRLF)`);
      count(crlf ? 2 : 1, cuts + crlf, t0);
    });
  }

  it('hand-written answers in random pieces (1-40 characters), with previews', () => {
    const t0 = Date.now();
    let cuts = 0;
    for (const [i, a] of ANSWERS.entries()) {
      for (let k = 0; k < 4; k++) {
        const r = rng(1000 + i * 10 + k);
        cuts += streamAndCheck(a.text, () => 1 + r(40), true, `${a.name} (seed ${k})`);
      }
    }
    count(ANSWERS.length * 4, cuts, t0);
  });

  it('150 random answers (lists, tables, fences, quotes, setext headings, definitions, CRLF) in random pieces', () => {
    const t0 = Date.now();
    let cuts = 0;
    for (let i = 0; i < 150; i++) {
      const text = randomAnswer(i);
      const r = rng(50_000 + i);
      const max = [4, 16, 60][i % 3]!;
      cuts += streamAndCheck(text, () => 1 + r(max), i % 2 === 0, `random answer ${i}`);
    }
    count(150, cuts, t0);
  });

  it('500 line soups (the lines that decide where blocks end, shuffled) in random pieces', () => {
    const t0 = Date.now();
    let cuts = 0;
    for (let i = 0; i < 500; i++) {
      const text = lineSoup(i);
      const r = rng(90_000 + i);
      const max = [1, 8, 30][i % 3]!;
      cuts += streamAndCheck(text, () => 1 + r(max), i % 2 === 1, `line soup ${i}`);
    }
    count(500, cuts, t0);
  });
});
