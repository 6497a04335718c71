// The prefix/suffix windows sent with a completion, bounded by lines and by characters. They are read
// from the cursor outwards through a ranged accessor, so a 50 000-line file costs the same as a
// 50-line one: at most `maxChars` characters are ever requested on each side.

/** A document read by offset ranges (a VS Code adapter maps offsets with positionAt). */
export interface TextAccessor {
  readonly length: number;
  getText(start: number, end: number): string;
  /** The 0-based line of an offset, and the offset where a line starts (needed for
   * `prefixStepLines` only). */
  lineAt?(offset: number): number;
  lineStart?(line: number): number;
}

export interface WindowOptions {
  prefixMaxLines: number;
  prefixMaxChars: number;
  suffixMaxLines: number;
  suffixMaxChars: number;
  /**
   * When > 0 and the prefix window does not reach the top of the document, it starts on a line
   * whose number is a multiple of this (moving the start down, never up): the start then moves
   * once every that many lines instead of with each line typed, so the server's prompt cache
   * (an exact token prefix) keeps everything before the cursor. 0: off.
   */
  prefixStepLines?: number;
}

export const DEFAULT_WINDOWS: Readonly<WindowOptions> = {
  prefixMaxLines: 100, prefixMaxChars: 4000, suffixMaxLines: 40, suffixMaxChars: 1500,
};

export interface FimWindows {
  prefix: string;
  suffix: string;
  /** Document offset where `prefix` starts. */
  prefixStart: number;
  /** Document offset where `suffix` ends. */
  suffixEnd: number;
}

/** An accessor over a string (tests, the benchmark); line lookups scan the text. */
export function stringAccessor(text: string): TextAccessor {
  let starts: number[] | undefined;
  const lineStarts = (): number[] => {
    if (!starts) {
      starts = [0];
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    }
    return starts;
  };
  return {
    length: text.length,
    getText: (s, e) => text.slice(s, e),
    lineAt: (offset) => {
      const ls = lineStarts();
      let lo = 0;
      let hi = ls.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (ls[mid]! <= offset) lo = mid; else hi = mid - 1;
      }
      return lo;
    },
    lineStart: (line) => lineStarts()[Math.max(0, Math.min(line, lineStarts().length - 1))]!,
  };
}

/**
 * Windows around `offset`. A prefix line count includes the cursor's own line. When the character
 * limit cuts a line in two, the partial line is dropped (a window starts/ends on a line boundary)
 * unless it is the only line, as in minified files.
 */
export function computeWindows(doc: TextAccessor, offset: number, opts: Partial<WindowOptions> = {}): FimWindows {
  const o = { ...DEFAULT_WINDOWS, ...opts };
  const at = Math.max(0, Math.min(offset, doc.length));

  const pStart = Math.max(0, at - o.prefixMaxChars);
  let prefix = doc.getText(pStart, at);
  let prefixStart = pStart;
  let cut = linesFromEnd(prefix, o.prefixMaxLines);
  if (cut === 0 && pStart > 0 && doc.getText(pStart - 1, pStart) !== '\n') {
    // Cut by characters: start after the first newline, if the window has one.
    const nl = prefix.indexOf('\n');
    if (nl >= 0) cut = nl + 1;
  }
  if (cut > 0) { prefix = prefix.slice(cut); prefixStart += cut; }
  const step = o.prefixStepLines ?? 0;
  if (step > 0 && prefixStart > 0 && doc.lineAt && doc.lineStart) {
    const line = doc.lineAt(prefixStart);
    const snapped = Math.ceil(line / step) * step;
    if (snapped > line && snapped <= doc.lineAt(at)) {
      const start = doc.lineStart(snapped);
      if (start > prefixStart && start <= at) { prefix = prefix.slice(start - prefixStart); prefixStart = start; }
    }
  }

  const sEnd = Math.min(doc.length, at + o.suffixMaxChars);
  let suffix = doc.getText(at, sEnd);
  let end = linesFromStart(suffix, o.suffixMaxLines);
  if (end === suffix.length && sEnd < doc.length && doc.getText(sEnd, sEnd + 1) !== '\n') {
    const nl = suffix.lastIndexOf('\n');
    if (nl >= 0) end = nl + 1;
  }
  if (end < suffix.length) suffix = suffix.slice(0, end);

  return { prefix, suffix, prefixStart, suffixEnd: at + suffix.length };
}

/** Index where the last `maxLines` lines of `s` begin (0 when `s` has no more lines than that). */
function linesFromEnd(s: string, maxLines: number): number {
  let i = s.length;
  for (let n = 0; n < maxLines; n++) {
    if (i <= 0) return 0;
    i = s.lastIndexOf('\n', i - 1);
    if (i < 0) return 0;
    if (n === maxLines - 1) return i + 1;
  }
  return maxLines <= 0 ? s.length : 0;
}

/** Index where the first `maxLines` lines of `s` end, keeping the last line's newline
 * (`s.length` when `s` has no more lines than that). */
function linesFromStart(s: string, maxLines: number): number {
  let i = -1;
  for (let n = 0; n < maxLines; n++) {
    i = s.indexOf('\n', i + 1);
    if (i < 0) return s.length;
  }
  return maxLines <= 0 ? 0 : i + 1;
}
