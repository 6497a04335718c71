// Splits streamed markdown into blocks that can no longer change, so a renderer renders each
// finished block once and re-renders only the last, open one: the cost per streamed token depends on
// the size of that open block, not on the length of the answer.
//
// A block ends at a blank line outside a code fence when the next line starts at column 0 (an
// indented line may still continue a list item or an indented code block), and right after the
// closing line of an unindented fence. Lines are looked at once each, as they complete.
// Pure: no DOM, used by the webview and by the unit tests.

interface Fence { char: '`' | '~'; len: number }

const FENCE_OPEN = /^\s*(`{3,}|~{3,})(.*)$/;

export class BlockSplitter {
  /** Text of the open block (everything after the last boundary). Only this part is kept, so the
   * work per push is proportional to the new text and the open block, never to the whole answer. */
  private open = '';
  /** Offset of `open` in the whole text. */
  private base = 0;
  /** Offset in `open` of the first line not yet looked at. */
  private scan = 0;
  private fence: Fence | undefined;
  private fenceIndented = false;
  /** A blank line (outside fences) was seen since the last non-blank line. */
  private afterBlank = false;
  private sawContent = false;
  private finished: string[] = [];

  /** Length of all text pushed so far. */
  get length(): number { return this.base + this.open.length; }
  /** The open (last, unfinished) block. */
  get openText(): string { return this.open; }
  /** Offset of the open block in the whole text. */
  get openStart(): number { return this.base; }
  get inFence(): boolean { return this.fence !== undefined; }

  /** Adds streamed text; returns the blocks it finished, in order. */
  push(delta: string): string[] {
    this.finished = [];
    this.open += delta;
    for (;;) {
      const nl = this.open.indexOf('\n', this.scan);
      if (nl < 0) break;
      const start = this.scan;
      this.scan = nl + 1;
      this.line(start, nl);
    }
    // The next line has begun at column 0 after a blank line: the block before it is finished
    // (no need to wait for the line to complete).
    if (this.afterBlank && this.scan < this.open.length && !/\s/.test(this.open[this.scan]!)) {
      this.cut(this.scan);
      this.afterBlank = false;
    }
    return this.finished;
  }

  private line(start: number, end: number): void {
    const line = this.open.slice(start, end).replace(/\r$/, '');
    if (this.fence) {
      const m = /^\s*(`{3,}|~{3,})\s*$/.exec(line);
      if (m && m[1]![0] === this.fence.char && m[1]!.length >= this.fence.len) {
        this.fence = undefined;
        if (!this.fenceIndented) { this.cut(end + 1); this.sawContent = false; }
      }
      return;
    }
    if (/^\s*$/.test(line)) { if (this.sawContent) this.afterBlank = true; return; }
    if (this.afterBlank && !/^\s/.test(line)) this.cut(start);
    this.afterBlank = false;
    this.sawContent = true;
    const f = FENCE_OPEN.exec(line);
    if (f && !(f[1]![0] === '`' && f[2]!.includes('`'))) {
      this.fence = { char: f[1]![0] as '`' | '~', len: f[1]!.length };
      this.fenceIndented = /^\s/.test(line);
    }
  }

  /** Ends a block `at` characters into the open text. */
  private cut(at: number): void {
    if (at <= 0 || at > this.open.length) return;
    this.finished.push(this.open.slice(0, at));
    this.open = this.open.slice(at);
    this.base += at;
    this.scan -= at;
  }
}

/** Splits a whole text the way streaming it would: finished blocks, then the open rest (if any). */
export function splitBlocks(text: string): string[] {
  const s = new BlockSplitter();
  const out = [...s.push(text)];
  if (s.openText) out.push(s.openText);
  return out;
}
