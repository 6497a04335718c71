// Renders a streamed markdown answer into one element without re-rendering what is finished:
// the text is split into blocks (src/core/chat/blocks.ts); each finished block is rendered once
// and appended, and only the last, open block is rendered again - at most once per animation frame,
// however many tokens arrived in between. The cost of a frame therefore depends on the new text and
// the open block, not on how long the answer already is (bench/chatRender.ts measures this).
// An open block that ends in an open code fence (a model writing a whole file) is not re-rendered:
// what comes before the fence is rendered once, the fence's finished lines are appended to its
// <code> as plain text, and only the unfinished last line is replaced each frame. The block is
// rendered (and highlighted) once, when the fence closes or the answer ends.
import { BlockSplitter, type OpenFence } from '../core/chat/blocks';
import { codeBlockShell, renderMarkdown } from './markdown';

const BLOCKS_PER_PAGE = 24;

export type FrameScheduler = (cb: () => void) => void;

const defaultScheduler: FrameScheduler = (cb) => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => cb());
  else setTimeout(cb, 16);
};

interface LiveFence {
  /** Which fence: the open block's offset and the fence's offset in it. */
  key: string;
  code: HTMLElement;
  /** The unfinished last line. */
  tail: Text;
  /** Characters of the open block shown so far as finished lines. */
  shown: number;
  /** Finished lines go into chunks of CODE_LINES_PER_CHUNK lines (block elements), so that laying
   * out a frame does not walk every line of a long fence again. */
  chunk: HTMLElement | undefined;
  chunkLines: number;
}

const CODE_LINES_PER_CHUNK = 40;

export class MarkdownStream {
  private splitter = new BlockSplitter();
  /** Finished blocks not yet in the DOM. */
  private pendingBlocks: string[] = [];
  private live: HTMLElement | undefined;
  private currentPage: HTMLElement | undefined;
  /** Length of the text the DOM shows (the text only grows, so a new length means new text). */
  private shownLength = 0;
  /** Set while `live` shows an open fence as plain lines. */
  private liveFence: LiveFence | undefined;
  /** The answer is complete: open fences are rendered as markdown, not as plain lines. */
  private final = false;
  private scheduled = false;
  private disposed = false;
  /** Called after each frame that changed the DOM (e.g. to keep the view scrolled to the end). */
  onRender: (() => void) | undefined;

  constructor(readonly container: HTMLElement, private readonly schedule: FrameScheduler = defaultScheduler) {}

  /** Characters received so far. */
  get length(): number { return this.splitter.length; }

  /** Adds streamed text; the DOM catches up on the next frame. */
  append(text: string): void {
    if (!text || this.disposed) return;
    this.pendingBlocks.push(...this.splitter.push(text));
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => { if (this.scheduled) this.flush(); });
    }
  }

  /** Brings the DOM up to date now (the frame callback; also used by the benchmark). */
  flush(): void {
    this.scheduled = false;
    if (this.disposed) return;
    let changed = false;
    if (this.pendingBlocks.length) {
      for (const b of this.pendingBlocks) {
        const el = document.createElement('div');
        el.className = 'md-block';
        el.append(renderMarkdown(b));
        this.page().append(el);
      }
      this.pendingBlocks = [];
      changed = true;
    }
    if (this.splitter.length !== this.shownLength) {
      this.shownLength = this.splitter.length;
      const fence = this.final ? undefined : this.splitter.openFence;
      if (fence) {
        this.showFence(this.liveElement(), fence);
      } else {
        this.liveFence = undefined;
        const open = this.splitter.openText;
        if (!open.trim()) {
          this.live?.remove();
          this.live = undefined;
        } else {
          this.liveElement().replaceChildren(renderMarkdown(open));
        }
      }
      changed = true;
    }
    if (changed) this.onRender?.();
  }

  private liveElement(): HTMLElement {
    if (!this.live) {
      this.live = document.createElement('div');
      this.live.className = 'md-block md-live';
      this.container.append(this.live);
    }
    return this.live;
  }

  /** Shows an open block that ends in an open fence: the text before the fence rendered once, then
   * the code lines as plain text (appended as they finish), the unfinished line replaced. Reads
   * only the text that arrived since the last frame. */
  private showFence(live: HTMLElement, f: OpenFence): void {
    const key = `${this.splitter.openStart}:${f.start}`;
    let lf = this.liveFence;
    if (!lf || lf.key !== key) {
      const head = this.splitter.openText.slice(0, f.start);
      const { block, code } = codeBlockShell(f.info);
      const tail = document.createTextNode('');
      code.append(tail);
      live.replaceChildren(...(head.trim() ? [renderMarkdown(head)] : []), block);
      lf = this.liveFence = { key, code, tail, shown: f.bodyStart, chunk: undefined, chunkLines: 0 };
    }
    const fresh = this.splitter.openTextFrom(lf.shown);
    const done = fresh.lastIndexOf('\n') + 1;
    if (done > 0) {
      if (!lf.chunk || lf.chunkLines >= CODE_LINES_PER_CHUNK) {
        lf.chunk = document.createElement('div');
        lf.chunk.className = 'code-lines';
        lf.chunkLines = 0;
        lf.code.insertBefore(lf.chunk, lf.tail);
      }
      const text = normalizeNewlines(fresh.slice(0, done));
      lf.chunk.append(text);
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lf.chunkLines++;
      lf.shown += done;
    }
    const rest = normalizeNewlines(fresh.slice(done));
    if (lf.tail.data !== rest) lf.tail.data = rest;
  }

  /** Finished blocks go into pages of BLOCKS_PER_PAGE, so that laying out the container (whose
   * last child, the open block, changes every frame) walks a few pages, not every block. */
  private page(): HTMLElement {
    let p = this.currentPage;
    if (!p || p.childElementCount >= BLOCKS_PER_PAGE) {
      p = document.createElement('div');
      p.className = 'md-page';
      this.container.insertBefore(p, this.live ?? null);
      this.currentPage = p;
    }
    return p;
  }

  /** The answer is complete: render what is left and stop. */
  finish(): void {
    this.final = true;
    this.flush();
    // A fence still open at the end (the answer was cut or stopped) is rendered and highlighted now.
    if (this.live && this.liveFence) {
      this.liveFence = undefined;
      this.live.replaceChildren(renderMarkdown(this.splitter.openText));
      this.onRender?.();
    }
    this.live?.classList.remove('md-live');
  }

  /** Replaces everything with `text` (a message shown from history, or a resync). */
  reset(text: string): void {
    this.splitter = new BlockSplitter();
    this.pendingBlocks = [];
    this.live = undefined;
    this.currentPage = undefined;
    this.shownLength = 0;
    this.liveFence = undefined;
    this.final = false;
    this.container.replaceChildren();
    this.scheduled = false;
    if (text) { this.pendingBlocks.push(...this.splitter.push(text)); this.flush(); }
  }

  dispose(): void { this.disposed = true; }
}

/** markdown-it reads \r\n and a lone \r as \n; so do the plain lines of an open fence. */
function normalizeNewlines(s: string): string {
  return s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s;
}
