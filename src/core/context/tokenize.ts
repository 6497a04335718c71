// The terms of code and prose for keyword search (BM25): identifiers are kept whole AND split into
// their words, so `getUserName`, `get_user_name` and "user name" meet (`split` of change-case: the
// case-boundary rules `([\p{Ll}\d])(\p{Lu})` and `(\p{Lu})(\p{Lu}\p{Ll})`); Han, kana and Hangul runs
// are cut into words by the ICU word segmenter (Intl.Segmenter) because they have no spaces; terms
// are lowercased. Questions lose their function words ("which file defines…") so that only the
// words that carry meaning are searched for. Pure.
import { split } from 'change-case';

/** A run of letters, digits, `_` and `$`: an identifier or a word. */
const WORD = /[\p{L}\p{N}_$]+/gu;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
/** Terms longer than this are data (hashes, base64), not words anyone searches for. */
const MAX_TERM_CHARS = 48;

let segmenter: Intl.Segmenter | undefined;
function cjkWords(run: string): string[] {
  segmenter ??= new Intl.Segmenter('zh', { granularity: 'word' });
  const out: string[] = [];
  for (const s of segmenter.segment(run)) if (s.isWordLike) out.push(s.segment);
  return out;
}

/**
 * The terms of `text`, in order, lowercased: each identifier whole (when it has 2+ characters) and,
 * when it is made of several words, each word of 2+ characters as well; CJK runs as their words.
 * Terms of more than MAX_TERM_CHARS characters are left out. O(length).
 */
export function codeTerms(text: string): string[] {
  const out: string[] = [];
  // matchAll works on its own copy of the regex: the recursion below for a Latin word inside a CJK
  // run must not move the outer loop's position (a shared `lastIndex` made it start over, forever).
  for (const m of text.matchAll(WORD)) {
    const w = m[0];
    if (w.length > MAX_TERM_CHARS) continue;
    if (CJK.test(w)) {
      for (const part of cjkWords(w)) {
        if (CJK.test(part)) out.push(part.toLowerCase());
        else out.push(...codeTerms(part));
      }
      continue;
    }
    const lower = w.toLowerCase();
    if (lower.length >= 2) out.push(lower);
    if (!/[A-Z_$]|\d\p{L}|\p{L}\d/u.test(w)) continue;
    const parts = split(w.replace(/\$/g, ' '));
    if (parts.length < 2) continue;
    for (const p of parts) if (p.length >= 2) out.push(p.toLowerCase());
  }
  return out;
}

/** Words a question is made of that say nothing about where the answer is. Search only: the
 * index keeps every term (a function may be called `find`). */
export const QUESTION_STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'the', 'and', 'or', 'of', 'in', 'on', 'at', 'to', 'for', 'from', 'by', 'with', 'about', 'into', 'as',
  'is', 'are', 'was', 'were', 'be', 'been', 'it', 'its', 'this', 'that', 'these', 'those', 'there', 'here',
  'do', 'does', 'did', 'done', 'can', 'could', 'should', 'would', 'will', 'may', 'might', 'must', 'shall',
  'i', 'me', 'my', 'we', 'our', 'you', 'your', 'they', 'their',
  'what', 'which', 'where', 'when', 'who', 'whom', 'whose', 'why', 'how',
  'file', 'files', 'code', 'function', 'functions', 'method', 'defined', 'define', 'defines', 'definition',
  'implemented', 'implement', 'implements', 'implementation', 'located', 'live', 'lives', 'find', 'show',
  'tell', 'explain', 'please', 'workspace', 'project', 'repo', 'repository', 'codebase', 'somewhere', 'some',
  'any', 'all', 'one', 'thing', 'things', 'way', 'used', 'use', 'uses', 'using', 'happen', 'happens', 'get', 'gets',
]);

/** The terms to search for in a question: codeTerms without QUESTION_STOP_WORDS, each once. */
export function queryTerms(question: string): string[] {
  const seen = new Set<string>();
  for (const t of codeTerms(question)) if (!QUESTION_STOP_WORDS.has(t)) seen.add(t);
  return [...seen];
}
