// Splits streamed markdown into blocks that can no longer change, so a renderer renders each
// finished block once and re-renders only the last, open one: the cost per streamed token depends on
// the size of that open block, not on the length of the answer.
//
// A block ends at a blank line outside a code fence when the next line starts at column 0 (an
// indented line may still continue a list item or an indented code block), and right after the
// closing line of an unindented fence. Lines are looked at once each, as they complete.
// Pure: no DOM, used by the webview and by the unit tests.

interface Fence { char: '`' | '~'; len: number; start: number; bodyStart: number; info: string }

/** An unindented code fence that is open at the end of the open block. Offsets are into `openText`. */
export interface OpenFence {
  /** Start of the opening line (the text before it belongs to the block too). */
  start: number;
  /** Start of the first code line (just after the opening line). */
  bodyStart: number;
  /** The info string after the fence characters ("typescript"). */
  info: string;
}

const FENCE_OPEN = /^\s*(`{3,}|~{3,})(.*)$/;

export class BlockSplitter {
  /** The open block (everything after the last boundary) is kept as its complete lines, in pieces
   * (joined only when asked for), and the unfinished last line. Only this part is kept, and new
   * text is looked at once: the work per push is proportional to the new text, not to the open
   * block (a long code fence) or the whole answer. */
  private done: string[] = [];
  private doneLength = 0;
  private partial = '';
  /** Offset of the open block in the whole text. */
  private base = 0;
  private fence: Fence | undefined;
  private fenceIndented = false;
  /** A blank line (outside fences) was seen since the last non-blank line. */
  private afterBlank = false;
  private sawContent = false;
  private finished: string[] = [];

  /** Length of all text pushed so far. */
  get length(): number { return this.base + this.doneLength + this.partial.length; }
  /** The open (last, unfinished) block. */
  get openText(): string { return this.joined() + this.partial; }
  /** Offset of the open block in the whole text. */
  get openStart(): number { return this.base; }
  get inFence(): boolean { return this.fence !== undefined; }
  /** The unindented fence the open block ends in, if any: its finished lines can no longer change
   * (only the closing line ends the fence), so a renderer may show them without re-rendering. */
  get openFence(): OpenFence | undefined {
    const f = this.fence;
    return f && !this.fenceIndented ? { start: f.start, bodyStart: f.bodyStart, info: f.info } : undefined;
  }

  /** The open block from `offset` on: costs the length of that part, not of the whole block. */
  openTextFrom(offset: number): string {
    if (offset >= this.doneLength) return this.partial.slice(offset - this.doneLength);
    let i = this.done.length;
    let at = this.doneLength;
    while (i > 0 && at > offset) at -= this.done[--i]!.length;
    const from = this.done.slice(i);
    return (from.length === 1 ? from[0]! : from.join('')).slice(offset - at) + this.partial;
  }

  /** Adds streamed text; returns the blocks it finished, in order. */
  push(delta: string): string[] {
    this.finished = [];
    let pos = 0;
    for (;;) {
      const nl = delta.indexOf('\n', pos);
      if (nl < 0) break;
      const line = this.partial + delta.slice(pos, nl);
      this.partial = '';
      pos = nl + 1;
      this.line(line);
    }
    this.partial += delta.slice(pos);
    // The next line has begun at column 0 after a blank line: the block before it is finished
    // (no need to wait for the line to complete).
    if (this.afterBlank && this.partial && !/\s/.test(this.partial[0]!)) {
      this.cut();
      this.afterBlank = false;
    }
    return this.finished;
  }

  /** A complete line (without its \n) of the open block. */
  private line(raw: string): void {
    const line = raw.replace(/\r$/, '');
    if (this.fence) {
      const m = /^\s*(`{3,}|~{3,})\s*$/.exec(line);
      this.add(raw);
      if (m && m[1]![0] === this.fence.char && m[1]!.length >= this.fence.len) {
        this.fence = undefined;
        if (!this.fenceIndented) { this.cut(); this.sawContent = false; }
      }
      return;
    }
    if (/^\s*$/.test(line)) { if (this.sawContent) this.afterBlank = true; this.add(raw); return; }
    if (this.afterBlank && !/^\s/.test(line)) this.cut();
    this.afterBlank = false;
    this.sawContent = true;
    const f = FENCE_OPEN.exec(line);
    if (f && !(f[1]![0] === '`' && f[2]!.includes('`'))) {
      const start = this.doneLength;
      this.fence = { char: f[1]![0] as '`' | '~', len: f[1]!.length, start, bodyStart: start + raw.length + 1, info: f[2]!.trim() };
      this.fenceIndented = /^\s/.test(line);
    }
    this.add(raw);
  }

  private add(line: string): void {
    this.done.push(line + '\n');
    this.doneLength += line.length + 1;
  }

  /** The complete lines of the open block as one string (kept joined). */
  private joined(): string {
    if (this.done.length > 1) this.done = [this.done.join('')];
    return this.done[0] ?? '';
  }

  /** Ends a block after the complete lines seen so far. */
  private cut(): void {
    if (!this.doneLength) return;
    this.finished.push(this.joined());
    this.base += this.doneLength;
    this.done = [];
    this.doneLength = 0;
  }
}

/** Splits a whole text the way streaming it would: finished blocks, then the open rest (if any). */
export function splitBlocks(text: string): string[] {
  const s = new BlockSplitter();
  const out = [...s.push(text)];
  if (s.openText) out.push(s.openText);
  return out;
}
