// Long open blocks in the streaming markdown engine alone (src/core/chat/blocks.ts, plain Node, no
// DOM): one block that never ends - a paragraph (one line, or many lines), a block quote, a list
// item, a table - streamed in 50 frames. Printed side by side in one run: all frames of the engine
// (total, slowest), the characters it parsed and rendered, and what one naive frame (markdown-it
// rendering the whole block again) costs at the first and at the last frame. Issue 19 item 3: the
// cost per frame must not grow with the block.
import { StreamingMarkdown } from '../src/core/chat/blocks';
import { md } from '../src/webview/markdownIt';

interface Kind { name: string; chars: number; line: (i: number) => string }

const KINDS: Kind[] = [
  { name: 'paragraph, one line', chars: 1_000_000, line: () => 'word word word word **bold** and `code` ' },
  { name: 'paragraph, many lines', chars: 1_000_000, line: () => 'word word word word word word **bold** and `code`\n' },
  { name: 'block quote', chars: 1_000_000, line: () => '> word word **bold** and `code`\n' },
  { name: 'list item', chars: 1_000_000, line: (i) => (i === 0 ? '- item word word\n' : '  word word **bold** and `code`\n') },
  { name: 'table', chars: 250_000, line: (i) => (i === 0 ? '| a | b |\n|---|---|\n' : '| x **y** | z |\n') },
];

export async function benchLongBlocks(out: (line: string) => void): Promise<void> {
  for (const k of KINDS) {
    const pieces: string[] = [];
    let n = 0;
    for (let f = 0; f < 50; f++) {
      let p = '';
      while (p.length < k.chars / 50) p += k.line(n++);
      pieces.push(p);
    }
    const s = new StreamingMarkdown(md);
    const frames: number[] = [];
    for (const p of pieces) {
      const t = performance.now();
      s.push(p);
      s.update();
      frames.push(performance.now() - t);
    }
    const parsed = s.stats.parsedChars;
    const rendered = s.stats.renderedChars;
    const t = performance.now();
    s.finish();
    const finish = performance.now() - t;
    const total = frames.reduce((a, b) => a + b, 0);
    const text = pieces.join('');
    const naive = (chars: string) => { const t0 = performance.now(); md.render(chars); return performance.now() - t0; };
    const first = naive(pieces[0]!);
    const last = naive(text);
    out(`${k.name}, ${(text.length / 1e6).toFixed(2)} MB in 50 frames: ${(total / 1000).toFixed(2)} s for all frames (slowest ${frames.reduce((a, b) => Math.max(a, b), 0).toFixed(0)} ms), `
      + `${(parsed / text.length).toFixed(2)}x its length parsed and ${(rendered / text.length).toFixed(2)}x rendered by the frames; exact render at the end ${finish.toFixed(0)} ms. `
      + `Naive frame (render it all): ${first.toFixed(0)} ms at the first frame, ${last.toFixed(0)} ms at the last (ratio incremental all frames / one naive last frame ${(total / last).toFixed(2)})`);
    await new Promise((r) => setImmediate(r));
  }
}
