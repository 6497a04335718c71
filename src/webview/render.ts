// Renders a streamed markdown answer into one element without re-rendering what is finished:
// the text is split into blocks (src/core/chat/blocks.ts); each finished block is rendered once
// and appended, and only the last, open block is rendered again - at most once per animation frame,
// however many tokens arrived in between. The cost of a frame therefore depends on the new text and
// the open block, not on how long the answer already is (bench/chatRender.ts measures this).
import { BlockSplitter } from '../core/chat/blocks';
import { renderMarkdown } from './markdown';

const BLOCKS_PER_PAGE = 24;

export type FrameScheduler = (cb: () => void) => void;

const defaultScheduler: FrameScheduler = (cb) => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => cb());
  else setTimeout(cb, 16);
};

export class MarkdownStream {
  private splitter = new BlockSplitter();
  /** Finished blocks not yet in the DOM. */
  private pendingBlocks: string[] = [];
  private live: HTMLElement | undefined;
  private currentPage: HTMLElement | undefined;
  /** Open-block text currently shown in `live`. */
  private liveText = '';
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
    const open = this.splitter.openText;
    if (open !== this.liveText || (changed && !open)) {
      this.liveText = open;
      if (!open.trim()) {
        this.live?.remove();
        this.live = undefined;
      } else {
        if (!this.live) {
          this.live = document.createElement('div');
          this.live.className = 'md-block md-live';
          this.container.append(this.live);
        }
        this.live.replaceChildren(renderMarkdown(open));
      }
      changed = true;
    }
    if (changed) this.onRender?.();
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
    this.flush();
    this.live?.classList.remove('md-live');
  }

  /** Replaces everything with `text` (a message shown from history, or a resync). */
  reset(text: string): void {
    this.splitter = new BlockSplitter();
    this.pendingBlocks = [];
    this.live = undefined;
    this.currentPage = undefined;
    this.liveText = '';
    this.container.replaceChildren();
    this.scheduled = false;
    if (text) { this.pendingBlocks.push(...this.splitter.push(text)); this.flush(); }
  }

  dispose(): void { this.disposed = true; }
}
