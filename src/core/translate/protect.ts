// Keeps inline code, URLs and link targets out of the model's hands: they are swapped for numbered
// placeholders before the request and put back after, and restore() says which ones did not survive.

export interface Protected {
  /** The text with ⟦n⟧ in place of each protected span. */
  text: string;
  /** The original spans; spans[n] replaces ⟦n⟧. */
  spans: string[];
}

export interface Restored {
  text: string;
  /** Spans whose placeholder is missing from the translation (lost or mangled by the model). */
  missing: string[];
  /** Placeholder numbers in the translation that do not exist (removed from the text). */
  unknown: number[];
}

export function placeholder(n: number): string {
  return `⟦${n}⟧`;
}

const PROTECTED = new RegExp([
  // Inline code: a run of backticks, content that does not cross a blank line, the same run.
  /(`+)(?!`)(?:(?!\n[ \t]*\n)[\s\S])+?(?<!`)\1(?!`)/.source,
  // URLs; trailing sentence punctuation is not part of them.
  /\b(?:https?|ftp|file):\/\/[^\s<>"'`()\[\]{}]*[^\s<>"'`()\[\]{}.,;:!?。，、；：！？]/.source,
  // Markdown link and image destinations that are not URLs (./docs/setup.md#install).
  /(?<=\]\()[^()\s]+(?=[)\s])/.source,
].join('|'), 'g');

/** Replaces inline code, URLs and link destinations with placeholders. */
export function protect(text: string): Protected {
  // Text that already contains our brackets would be ambiguous: leave it alone.
  if (/[⟦⟧]/.test(text)) return { text, spans: [] };
  const spans: string[] = [];
  const out = text.replace(PROTECTED, (m) => {
    spans.push(m);
    return placeholder(spans.length - 1);
  });
  return { text: out, spans };
}

/** Puts the spans back. Lenient about spaces inside the brackets (⟦ 3 ⟧); strict about which survived. */
export function restore(translated: string, spans: readonly string[]): Restored {
  if (spans.length === 0) return { text: translated, missing: [], unknown: [] };
  const seen = new Set<number>();
  const unknown: number[] = [];
  const text = translated.replace(/⟦\s*(\d+)\s*⟧/g, (_m, d: string) => {
    const n = Number(d);
    const span = spans[n];
    if (span === undefined) { unknown.push(n); return ''; }
    seen.add(n);
    return span;
  });
  const missing = spans.filter((_s, i) => !seen.has(i));
  return { text, missing, unknown };
}
