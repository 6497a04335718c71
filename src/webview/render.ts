// Renders a streamed markdown answer into one element, showing exactly what one markdown-it render of
// the text so far shows, without rendering it all again per token. src/core/chat/blocks.ts decides
// what changed (committed blocks, each rendered once; blocks re-rendered because a reference
// definition they use arrived; the open region); this file only applies those frames to the DOM, at
// most once per animation frame however many tokens arrived in between. The cost of a frame depends
// on the new text and the open block, not on how long the answer already is (bench/chatRender.ts).
// Previews, both replaced by the exact rendering as soon as the block is finished:
// - an open code fence (a model writing a whole file) shows its finished lines as plain text in a
//   code block, appended as they arrive; it is rendered and highlighted once, when it closes;
// - a very long open block (one endless paragraph) is rendered exactly each time it has doubled in
//   length, the text in between appended as plain text.
import { StreamingMarkdown, type Frame, type OpenUpdate } from '../core/chat/blocks';
import { md } from './markdownIt';
import { codeBlockShell, htmlToFragment } from './markdown';

const BLOCKS_PER_PAGE = 24;
const CODE_LINES_PER_CHUNK = 40;
/** Plain text appended to a preview goes into text nodes of about this size (appending to one huge
 * text node copies it every time). */
const TEXT_NODE_CHARS = 8192;

export type FrameScheduler = (cb: () => void) => void;

const defaultScheduler: FrameScheduler = (cb) => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => cb());
  else setTimeout(cb, 16);
};

interface LiveFence {
  code: HTMLElement;
  /** The unfinished last line. */
  tail: Text;
  /** Finished lines go into chunks of CODE_LINES_PER_CHUNK lines (block elements), so that laying
   * out a frame does not walk every line of a long fence again. */
  chunk: HTMLElement | undefined;
  chunkLines: number;
}

/** Block elements a preview's plain text may continue (the last one of these, deepest). */
const TEXT_CONTAINERS = new Set(['P', 'LI', 'UL', 'OL', 'BLOCKQUOTE', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6']);

export class MarkdownStream {
  private model: StreamingMarkdown;
  /** Committed blocks that a later frame may re-render (they use a reference label). */
  private changeable = new Map<number, HTMLElement>();
  private live: HTMLElement | undefined;
  private currentPage: HTMLElement | undefined;
  private liveFence: LiveFence | undefined;
  /** The text node plain preview text is appended to. */
  private liveText: Text | undefined;
  private scheduled = false;
  private disposed = false;
  /** Called after each frame that changed the DOM (e.g. to keep the view scrolled to the end). */
  onRender: (() => void) | undefined;

  constructor(readonly container: HTMLElement, private readonly schedule: FrameScheduler = defaultScheduler) {
    this.model = new StreamingMarkdown(md);
  }

  /** Characters received so far. */
  get length(): number { return this.model.length; }

  /** Adds streamed text; the DOM catches up on the next frame. */
  append(text: string): void {
    if (!text || this.disposed) return;
    this.model.push(text);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => { if (this.scheduled) this.flush(); });
    }
  }

  /** Brings the DOM up to date now (the frame callback; also used by the benchmark). */
  flush(): void {
    this.scheduled = false;
    if (this.disposed) return;
    this.apply(this.model.update());
  }

  /** The answer is complete: render what is left exactly and stop. */
  finish(): void {
    this.scheduled = false;
    if (this.disposed) return;
    this.apply(this.model.finish());
    this.live?.classList.remove('md-live');
  }

  /** Replaces everything with `text` (a message shown from history, or a resync). */
  reset(text: string): void {
    this.model = new StreamingMarkdown(md);
    this.changeable.clear();
    this.live = undefined;
    this.currentPage = undefined;
    this.liveFence = undefined;
    this.liveText = undefined;
    this.scheduled = false;
    this.container.replaceChildren();
    if (text) { this.model.push(text); this.flush(); }
  }

  dispose(): void { this.disposed = true; }

  private apply(f: Frame): void {
    let changed = false;
    for (const c of f.added) {
      if (!c.html) continue;
      const el = document.createElement('div');
      el.className = 'md-block';
      el.append(htmlToFragment(c.html));
      this.page().append(el);
      if (c.mayChange) this.changeable.set(c.id, el);
      changed = true;
    }
    for (const c of f.changed) {
      const el = this.changeable.get(c.id);
      if (el) { el.replaceChildren(htmlToFragment(c.html)); changed = true; }
    }
    if (f.open.kind !== 'same') { this.showOpen(f.open); changed = true; }
    if (changed) this.onRender?.();
  }

  private showOpen(u: Exclude<OpenUpdate, { kind: 'same' }>): void {
    if (u.kind === 'html') {
      this.liveFence = undefined;
      this.liveText = undefined;
      if (!u.html.trim()) { this.live?.remove(); this.live = undefined; return; }
      this.liveElement().replaceChildren(htmlToFragment(u.html));
      return;
    }
    if (u.kind === 'append') { this.appendText(u.text); return; }
    this.showFence(u);
  }

  /** Plain preview text after what the open region shows, inside its last paragraph or list item. */
  private appendText(text: string): void {
    if (!text) return;
    let t = this.liveText;
    if (!t || t.length >= TEXT_NODE_CHARS) {
      let target: Element = this.liveElement();
      while (target.lastElementChild && TEXT_CONTAINERS.has(target.lastElementChild.tagName)) target = target.lastElementChild;
      t = this.liveText = document.createTextNode('');
      target.append(t);
    }
    t.appendData(text);
  }

  private liveElement(): HTMLElement {
    if (!this.live) {
      this.live = document.createElement('div');
      this.live.className = 'md-block md-live';
      this.container.append(this.live);
    }
    return this.live;
  }

  /** An open fence: a code block whose finished lines are appended as plain text, and whose
   * unfinished last line is replaced. */
  private showFence(u: Extract<OpenUpdate, { kind: 'fence' }>): void {
    let lf = this.liveFence;
    if (u.reset || !lf) {
      const { block, code } = codeBlockShell(u.reset?.lang ?? '');
      const tail = document.createTextNode('');
      code.append(tail);
      this.liveElement().replaceChildren(block);
      this.liveText = undefined;
      lf = this.liveFence = { code, tail, chunk: undefined, chunkLines: 0 };
    }
    if (u.lines) {
      if (!lf.chunk || lf.chunkLines >= CODE_LINES_PER_CHUNK) {
        lf.chunk = document.createElement('div');
        lf.chunk.className = 'code-lines';
        lf.chunkLines = 0;
        lf.code.insertBefore(lf.chunk, lf.tail);
      }
      lf.chunk.append(u.lines);
      for (let i = u.lines.indexOf('\n'); i >= 0; i = u.lines.indexOf('\n', i + 1)) lf.chunkLines++;
    }
    if (lf.tail.data !== u.tail) lf.tail.data = u.tail;
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
}
