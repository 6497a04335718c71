// Chat rendering cost per streamed token, early and late in a long answer. The webview's own
// renderer (src/webview/render.ts with its markdown/sanitizer/highlighter, bundled by esbuild the
// way esbuild.js bundles the webview) runs in headless Debian chromium; 20,000 tokens of realistic
// markdown (paragraphs, lists, code fences, a 300-line fence in the middle, and a file of 650+ lines
// written into one fence that is still open at the last token) stream through it 4 tokens per frame,
// each frame followed by a forced layout. The cost per token around token 1,000 and around token
// 20,000 (deep inside the long open fence) should be about the same (ratio ≈ 1): finished blocks are
// never rendered again, and finished lines of an open fence are appended as text, highlighted once
// when the fence closes. For contrast, a naive renderer that re-renders the whole message every
// frame is timed at the same two points. The final DOM must hold exactly the HTML of one render of
// the whole answer (block by block, sanitized and decorated the same way).
// Then one long paragraph, the case where a single open block grows without end: 1 MB in one line
// streamed in 50 frames of 20 KB (a naive renderer took 30-50 s with 2 s frames), and a 100 KB
// paragraph streamed token by token, whose cost per token must not grow with the paragraph.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';

const TOKENS = 20_000;
const PER_FRAME = 4;
/** Tokens measured on each side of a point (the window is [point - W/2, point + W/2), clipped). */
const WINDOW = 1_000;
const NAIVE_FRAMES = 60;

function repoRoot(): string {
  for (const d of [path.resolve(__dirname, '..', '..'), path.resolve(__dirname, '..'), process.cwd()]) {
    if (fs.existsSync(path.join(d, 'src', 'webview', 'render.ts'))) return d;
  }
  throw new Error('cannot find src/webview/render.ts');
}

/** Tokens like a model's tokenizer roughly makes them: words with their trailing space, long words in pieces. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const m of text.matchAll(/\s+|\S+\s*/g)) {
    const piece = m[0];
    if (piece.length <= 6) tokens.push(piece);
    else for (let i = 0; i < piece.length; i += 5) tokens.push(piece.slice(i, i + 5));
  }
  return tokens;
}

/** Lines of a plausible TypeScript file (a model writing a whole file into one fence). */
function fileLines(n: number, from = 0): string[] {
  const t = [
    (i: number) => `/** Parses record ${i} of the streamed response and returns its value. */`,
    (i: number) => `export function parseRecord${i}(input: string, options: ParseOptions = {}): Result<number> {`,
    (i: number) => `  const parts = input.split(',').map((p) => p.trim()).filter(Boolean);`,
    (i: number) => `  if (parts.length < ${2 + (i % 5)}) return { ok: false, error: \`expected ${2 + (i % 5)} fields, got \${parts.length}\` };`,
    (i: number) => `  let total = ${i};`,
    () => '  for (const [k, v] of parts.entries()) {',
    (i: number) => `    total += Number.parseInt(v, 10) * (k + ${i % 7}); // weight by position`,
    () => '  }',
    () => "  return options.strict && Number.isNaN(total) ? { ok: false, error: 'not a number' } : { ok: true, value: total };",
    () => '}',
    () => '',
  ];
  return Array.from({ length: n }, (_, k) => t[(from + k) % t.length]!(from + k));
}

/** Lines in the code fence that is still open at the end of the synthetic answer. */
export const LONG_FENCE_LINES = 700;

/** A long, realistic answer: headings, paragraphs with inline code and links, lists, short code
 * fences, a 300-line fence in the middle, and at the end a file written into one fence that is still
 * open (and more than LONG_FENCE_LINES lines long) when the last token arrives. */
export function syntheticAnswer(minTokens: number): string[] {
  const words = ['the', 'function', 'returns', 'a', 'value', 'when', 'called', 'with', 'two', 'numbers', 'and', 'we', 'can', 'test', 'it',
    'using', 'mocha', 'because', 'every', 'module', 'exports', 'named', 'helpers', 'for', 'parsing', 'streamed', 'responses'];
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const sentence = () => {
    const n = 8 + rnd(10);
    const w: string[] = [];
    for (let i = 0; i < n; i++) {
      const x = words[rnd(words.length)]!;
      w.push(rnd(12) === 0 ? `\`${x}()\`` : rnd(25) === 0 ? `**${x}**` : rnd(40) === 0 ? `[${x}](https://example.com/${x})` : x);
    }
    const s = w.join(' ');
    return s[0]!.toUpperCase() + s.slice(1) + '.';
  };
  const longFence = (intro: string, lines: string[], close: boolean) =>
    `${intro}\n\n\`\`\`typescript\n${lines.join('\n')}\n${close ? '```\n\n' : ''}`;
  const tail = longFence('Finally, the whole file:', fileLines(LONG_FENCE_LINES + 200), false);
  // Start the last fence early enough that LONG_FENCE_LINES of it have arrived by the last token.
  const tailStart = minTokens - tokenize(longFence('Finally, the whole file:', fileLines(LONG_FENCE_LINES), false)).length;
  let text = '';
  let section = 0;
  let middleDone = false;
  while (tokenize(text).length < tailStart) {
    section++;
    const block: string[] = [];
    block.push(`## Step ${section}: ${sentence().slice(0, 40)}`, '');
    block.push([sentence(), sentence(), sentence()].join(' '), '');
    block.push(...Array.from({ length: 3 + rnd(4) }, () => `- ${sentence()}`), '');
    block.push('```typescript');
    for (let i = 0; i < 6 + rnd(10); i++) block.push(`  const value${i} = compute(${i}, "text ${i}"); // ${words[rnd(words.length)]}`);
    block.push('```', '');
    block.push([sentence(), sentence()].join(' '), '');
    if (section % 3 === 0) block.push('1. first item', '2. second item with `code`', '3. third item', '');
    if (section % 4 === 0) block.push('```python', 'def add(a, b):', '    return a + b', '', 'print(add(1, 2))', '```', '');
    text += block.join('\n') + '\n';
    if (!middleDone && tokenize(text).length > tailStart / 3) { text += longFence('The helper module:', fileLines(300, 3), true); middleDone = true; }
  }
  return tokenize(text + tail).slice(0, minTokens);
}

export interface ChatRenderResult {
  tokens: number;
  frames: number;
  totalMs: number;
  earlyMsPerToken: number;
  lateMsPerToken: number;
  ratio: number;
  naiveEarlyMsPerToken: number;
  naiveLateMsPerToken: number;
  naiveRatio: number;
  blocks: number;
  /** Inside the long open fence: ms/token over its first WINDOW tokens, and the ratio of the last
   * WINDOW tokens (latePerToken) to that (≈1: a fence line costs the same at line 30 and line 650). */
  fenceEarlyMsPerToken: number;
  fenceRatio: number;
  /** Lines of the code fence still open at the last token. */
  openFenceLines: number;
  /** The slowest frame (a long fence closing is highlighted in one frame). */
  maxFrameMs: number;
  /** The incremental DOM holds exactly the HTML of a single render of the whole answer. */
  sameAsFullRender: boolean;
  paragraph: LongParagraphResult;
}

export interface LongParagraphResult {
  /** 1 MB in 50 frames: characters, wall time of all frames (with a forced layout each) and of the
   * finishing exact render, the slowest frame, the median frame. */
  bigChars: number;
  bigFrames: number;
  bigTotalMs: number;
  bigFinishMs: number;
  bigMaxFrameMs: number;
  bigMedianFrameMs: number;
  /** One naive frame (whole paragraph rendered again) at the first and at the last frame. */
  naiveFirstMs: number;
  naiveLastMs: number;
  /** Token by token: ms/token over the first WINDOW tokens (the paragraph under the 8 KB exact
   * threshold: rendered exactly each frame), over WINDOW tokens from a quarter in (about 25 KB,
   * previews), and over the last WINDOW tokens (about 100 KB). */
  tokChars: number;
  tokTokens: number;
  tokEarlyMsPerToken: number;
  tokMidMsPerToken: number;
  tokLateMsPerToken: number;
  tokSame: boolean;
  bigSame: boolean;
}

/** One paragraph of about `chars` characters: prose with inline markup, no blank line; `wrap`: a
 * line break every ~100 characters (else one line). */
export function longParagraphText(chars: number, wrap: boolean, seed = 11): string {
  const words = ['the', 'stream', 'keeps', 'going', 'without', 'a', 'blank', 'line', '**so**', 'this', '`paragraph`', 'never', 'ends', 'and',
    '[grows](https://example.com/grows)', 'longer', 'with', 'every', '*frame*', 'that', 'arrives'];
  let x = seed;
  const parts: string[] = [];
  let len = 0;
  let line = 0;
  while (len < chars) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const w = words[x % words.length]!;
    line += w.length + 1;
    const sep = wrap && line > 100 ? '\n' : ' ';
    if (sep === '\n') line = 0;
    parts.push(w, sep);
    len += w.length + 1;
  }
  return parts.join('');
}

const BIG_PARAGRAPH_CHARS = 1_000_000;
const BIG_PARAGRAPH_FRAMES = 50;
const TOKEN_PARAGRAPH_CHARS = 100_000;

async function longParagraph(page: import('playwright-core').Page): Promise<LongParagraphResult> {
  const big = longParagraphText(BIG_PARAGRAPH_CHARS, false);
  const size = Math.ceil(big.length / BIG_PARAGRAPH_FRAMES);
  const pieces = Array.from({ length: BIG_PARAGRAPH_FRAMES }, (_, i) => big.slice(i * size, (i + 1) * size));
  const tokens = tokenize(longParagraphText(TOKEN_PARAGRAPH_CHARS, true, 5));
  return page.evaluate(({ pieces, tokens, perFrame, window }) => {
    interface Stream { append(t: string): void; flush(): void; finish(): void }
    const OA = (globalThis as unknown as { OA: { MarkdownStream: new (el: HTMLElement, s: (cb: () => void) => void) => Stream; renderMarkdown: (s: string) => DocumentFragment } }).OA;
    const out = document.getElementById('out')!;
    const layout = () => out.getBoundingClientRect().height;
    const sameHtml = (text: string) => {
      const whole = document.createElement('div');
      whole.append(OA.renderMarkdown(text));
      return Array.from(out.querySelectorAll('.md-block')).map((b) => b.innerHTML).join('') === whole.innerHTML;
    };
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

    // 1 MB in 50 frames.
    out.replaceChildren();
    let stream = new OA.MarkdownStream(out, () => undefined);
    const frameMs: number[] = [];
    for (const p of pieces) {
      const s = performance.now();
      stream.append(p);
      stream.flush();
      layout();
      frameMs.push(performance.now() - s);
    }
    let s = performance.now();
    stream.finish();
    layout();
    const bigFinishMs = performance.now() - s;
    const bigText = pieces.join('');
    const bigSame = sameHtml(bigText);
    // Naive: one frame that renders the whole paragraph again, at the first and the last frame.
    s = performance.now();
    out.replaceChildren(OA.renderMarkdown(pieces[0]!));
    layout();
    const naiveFirstMs = performance.now() - s;
    s = performance.now();
    out.replaceChildren(OA.renderMarkdown(bigText));
    layout();
    const naiveLastMs = performance.now() - s;

    // 100 KB token by token.
    out.replaceChildren();
    stream = new OA.MarkdownStream(out, () => undefined);
    const tokMs: number[] = [];
    for (let i = 0; i < tokens.length; i += perFrame) {
      const t = performance.now();
      for (let k = i; k < Math.min(i + perFrame, tokens.length); k++) stream.append(tokens[k]!);
      stream.flush();
      layout();
      tokMs.push(performance.now() - t);
    }
    stream.finish();
    const perToken = (from: number, to: number) => {
      let sum = 0;
      for (let f = Math.floor(from / perFrame); f < Math.ceil(to / perFrame); f++) sum += tokMs[f]!;
      return sum / (to - from);
    };
    const n = tokens.length;
    return {
      bigChars: bigText.length, bigFrames: pieces.length, bigTotalMs: frameMs.reduce((a, b) => a + b, 0), bigFinishMs,
      bigMaxFrameMs: Math.max(...frameMs), bigMedianFrameMs: median(frameMs), naiveFirstMs, naiveLastMs,
      tokChars: tokens.join('').length, tokTokens: n, tokEarlyMsPerToken: perToken(0, window),
      tokMidMsPerToken: perToken(Math.floor(n / 4), Math.floor(n / 4) + window), tokLateMsPerToken: perToken(n - window, n),
      tokSame: sameHtml(tokens.join('')), bigSame,
    };
  }, { pieces, tokens, perFrame: PER_FRAME, window: WINDOW });
}

async function bundleRenderer(root: string): Promise<string> {
  const r = await esbuild.build({
    stdin: {
      contents: "export { MarkdownStream } from './src/webview/render';\nexport { renderMarkdown } from './src/webview/markdown';\n",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'OA',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'warning',
  });
  return r.outputFiles[0]!.text;
}

export async function runChatRender(): Promise<ChatRenderResult> {
  const root = repoRoot();
  const bundle = await bundleRenderer(root);
  const css = fs.readFileSync(path.join(root, 'media', 'chat.css'), 'utf8');
  const tokens = syntheticAnswer(TOKENS);
  // The token that opens the last (long, still open) fence.
  const lastFence = tokens.join('').lastIndexOf('```');
  let fenceStart = 0;
  for (let seen = 0; fenceStart < tokens.length && seen <= lastFence; fenceStart++) seen += tokens[fenceStart]!.length;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 420, height: 900 } });
    await page.setContent('<!DOCTYPE html><html><head></head><body class="vscode-dark"><div class="messages"><div class="msg msg-assistant"><div class="msg-body markdown" id="out"></div></div></div></body></html>');
    await page.addStyleTag({ content: css });
    await page.addScriptTag({ content: bundle });
    return await page.evaluate(({ tokens, perFrame, window, naiveFrames, fenceStart }) => {
      interface Stream { append(t: string): void; flush(): void; finish(): void }
      const OA = (globalThis as unknown as { OA: { MarkdownStream: new (el: HTMLElement, s: (cb: () => void) => void) => Stream; renderMarkdown: (s: string) => DocumentFragment } }).OA;
      const out = document.getElementById('out')!;
      const layout = () => out.getBoundingClientRect().height;
      // Warm up the JIT on a different text, then start clean.
      const warm = new OA.MarkdownStream(out, () => undefined);
      for (let i = 0; i < 2000; i++) { warm.append(tokens[i % tokens.length]!); if (i % perFrame === 0) { warm.flush(); layout(); } }
      out.replaceChildren();

      const stream = new OA.MarkdownStream(out, () => undefined);
      const frameMs: number[] = [];
      const t0 = performance.now();
      for (let i = 0; i < tokens.length; i += perFrame) {
        const s = performance.now();
        for (let k = i; k < Math.min(i + perFrame, tokens.length); k++) stream.append(tokens[k]!);
        stream.flush();
        layout();
        frameMs.push(performance.now() - s);
      }
      stream.finish();
      const totalMs = performance.now() - t0;
      const perToken = (from: number, to: number) => {
        const a = Math.max(0, Math.floor(from / perFrame));
        const b = Math.min(frameMs.length, Math.ceil(to / perFrame));
        let sum = 0;
        for (let f = a; f < b; f++) sum += frameMs[f]!;
        return sum / ((b - a) * perFrame);
      };
      const n = tokens.length;
      const full = tokens.join('');
      const openFenceLines = full.slice(full.lastIndexOf('```')).split('\n').length - 2;
      const early = perToken(1000 - window / 2, 1000 + window / 2);
      const late = perToken(n - window, n);
      const fenceEarly = perToken(fenceStart, fenceStart + window);
      const blocks = out.querySelectorAll('.md-block').length;
      // The incremental result is exactly one render of the whole answer, block after block.
      const sameHtml = (el: HTMLElement, text: string) => {
        const whole = document.createElement('div');
        whole.append(OA.renderMarkdown(text));
        return Array.from(el.querySelectorAll('.md-block')).map((b) => b.innerHTML).join('') === whole.innerHTML;
      };
      const sameAsFullRender = sameHtml(out, tokens.join(''));

      // Naive: the whole message rendered again every frame, at the same two points.
      const naive = (at: number) => {
        let text = tokens.slice(0, at).join('');
        const s = performance.now();
        for (let f = 0; f < naiveFrames; f++) {
          for (let k = 0; k < perFrame; k++) text += tokens[(at + f * perFrame + k) % n]!;
          out.replaceChildren(OA.renderMarkdown(text));
          layout();
        }
        return (performance.now() - s) / (naiveFrames * perFrame);
      };
      const naiveEarly = naive(1000);
      const naiveLate = naive(n - naiveFrames * perFrame);
      return {
        tokens: n, frames: frameMs.length, totalMs, maxFrameMs: Math.max(...frameMs), openFenceLines,
        fenceEarlyMsPerToken: fenceEarly, fenceRatio: late / fenceEarly, earlyMsPerToken: early, lateMsPerToken: late, ratio: late / early,
        naiveEarlyMsPerToken: naiveEarly, naiveLateMsPerToken: naiveLate, naiveRatio: naiveLate / naiveEarly, blocks, sameAsFullRender,
      };
    }, { tokens, perFrame: PER_FRAME, window: WINDOW, naiveFrames: NAIVE_FRAMES, fenceStart }).then(async (r) => ({ ...r, paragraph: await longParagraph(page) }));
  } finally {
    await browser.close();
  }
}

/** Prints its lines through `out` (default: console.log). */
export async function benchChatRender(out: (line: string) => void = (l) => console.log(l)): Promise<void> {
  const r = await runChatRender();
  const f = (x: number) => x.toFixed(4);
  out(`chat render: ${r.tokens} tokens streamed through the webview renderer in ${r.frames} frames (${PER_FRAME} tokens/frame, forced layout each frame), ${(r.totalMs / 1000).toFixed(1)} s, ${r.blocks} blocks, ${r.openFenceLines} lines in the code fence still open at the end, slowest frame ${r.maxFrameMs.toFixed(1)} ms, same HTML as one full render: ${r.sameAsFullRender ? 'yes' : 'NO'}`);
  out(`incremental: ${f(r.earlyMsPerToken)} ms/token around token 1,000, ${f(r.lateMsPerToken)} ms/token around token ${r.tokens.toLocaleString('en')}: ratio ${r.ratio.toFixed(2)} (≈1 or below means the cost does not grow with the answer; the late window is inside the long open fence)`);
  out(`inside the long open fence: ${f(r.fenceEarlyMsPerToken)} ms/token over its first ${WINDOW.toLocaleString('en')} tokens, ${f(r.lateMsPerToken)} ms/token over its last ${WINDOW.toLocaleString('en')} (${r.openFenceLines} lines in): ratio ${r.fenceRatio.toFixed(2)}`);
  out(`naive full re-render per frame, for comparison: ${f(r.naiveEarlyMsPerToken)} ms/token around 1,000, ${f(r.naiveLateMsPerToken)} ms/token around ${r.tokens.toLocaleString('en')}: ratio ${r.naiveRatio.toFixed(1)}`);
  const p = r.paragraph;
  out(`one long paragraph, ${(p.bigChars / 1e6).toFixed(2)} MB in one line, ${p.bigFrames} frames: ${(p.bigTotalMs / 1000).toFixed(2)} s for all frames (median ${p.bigMedianFrameMs.toFixed(0)} ms, slowest ${p.bigMaxFrameMs.toFixed(0)} ms), then ${p.bigFinishMs.toFixed(0)} ms for the exact render at the end; same HTML as one full render: ${p.bigSame ? 'yes' : 'NO'}. Naive: a frame re-rendering it all takes ${p.naiveFirstMs.toFixed(0)} ms at the first frame and ${p.naiveLastMs.toFixed(0)} ms at the last`);
  out(`one long paragraph token by token (${(p.tokChars / 1000).toFixed(0)} KB, ${p.tokTokens.toLocaleString('en')} tokens, ${PER_FRAME}/frame): ${f(p.tokEarlyMsPerToken)} ms/token over the first ${WINDOW.toLocaleString('en')} tokens (under 8 KB: exact every frame), ${f(p.tokMidMsPerToken)} ms/token from a quarter in, ${f(p.tokLateMsPerToken)} ms/token over the last ${WINDOW.toLocaleString('en')}: ratio last/quarter ${(p.tokLateMsPerToken / p.tokMidMsPerToken).toFixed(2)}, last/first ${(p.tokLateMsPerToken / p.tokEarlyMsPerToken).toFixed(2)}; same HTML as one full render: ${p.tokSame ? 'yes' : 'NO'}`);
}

if (require.main === module) {
  benchChatRender().catch((e) => { console.error(e); process.exit(1); });
}
