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
//   length; the text in between is appended as plain text in blocks of a few KB after it, so that
//   the browser lays out only the last of them each frame, not the whole paragraph again.
import { StreamingMarkdown, type Frame, type OpenUpdate } from '../core/chat/blocks';
import { md } from './markdownIt';
import { codeBlockShell, htmlToFragment } from './markdown';

const BLOCKS_PER_PAGE = 24;
const CODE_LINES_PER_CHUNK = 40;
/** Plain preview text goes into blocks of about this many characters (ended at a space): laying out
 * a frame touches the last one only, and appending never copies a huge text node. */
const RAW_PIECE_CHARS = 4096;

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

export class MarkdownStream {
  private model: StreamingMarkdown;
  /** Committed blocks that a later frame may re-render (they use a reference label). */
  private changeable = new Map<number, HTMLElement>();
  private live: HTMLElement | undefined;
  private currentPage: HTMLElement | undefined;
  private liveFence: LiveFence | undefined;
  /** The block plain preview text is appended to: its last text node and its length. */
  private liveRaw: { el: HTMLElement; text: Text; chars: number } | undefined;
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
    this.liveRaw = undefined;
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
      this.liveRaw = undefined;
      if (!u.html.trim()) { this.live?.remove(); this.live = undefined; return; }
      this.liveElement().replaceChildren(htmlToFragment(u.html));
      return;
    }
    if (u.kind === 'append') { this.appendText(u.text); return; }
    this.showFence(u);
  }

  /** Plain preview text after what the open region shows, in `.md-raw` blocks of about
   * RAW_PIECE_CHARS, its line ends kept as <br> (a list or table still reads line by line). */
  private appendText(text: string): void {
    let rest = text;
    while (rest) {
      let raw = this.liveRaw;
      if (!raw || raw.chars >= RAW_PIECE_CHARS) {
        const el = document.createElement('div');
        el.className = 'md-raw';
        const t = document.createTextNode('');
        el.append(t);
        this.liveElement().append(el);
        raw = this.liveRaw = { el, text: t, chars: 0 };
      }
      let take = rest.length;
      const room = RAW_PIECE_CHARS - raw.chars;
      if (take > room) {
        // End the piece at a space, so that no word is split over two blocks.
        const ws = /\s/g;
        ws.lastIndex = room;
        take = ws.exec(rest) ? ws.lastIndex : rest.length;
      }
      const part = take === rest.length ? rest : rest.slice(0, take);
      rest = take === rest.length ? '' : rest.slice(take);
      raw.chars += part.length;
      let i = 0;
      for (let nl = part.indexOf('\n'); nl >= 0; nl = part.indexOf('\n', i)) {
        if (nl > i) raw.text.appendData(part.slice(i, nl));
        raw.text = document.createTextNode('');
        raw.el.append(document.createElement('br'), raw.text);
        i = nl + 1;
      }
      if (i < part.length) raw.text.appendData(i ? part.slice(i) : part);
    }
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
      this.liveRaw = undefined;
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
