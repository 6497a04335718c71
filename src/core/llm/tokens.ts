// Token estimates without the model's tokenizer, per script, and their calibration per model from
// the server's own count (`prompt_eval_count`, or `usage.prompt_tokens` on /v1).
//
// A flat "characters / 3.5" is right for English and code and four to six times too low for
// Chinese: BPE vocabularies hold few multi-character CJK tokens, so a Han character, kana or Hangul
// syllable costs about one token (Qwen3 0.5, Llama 3 0.7, Llama 2 / Mistral 1.0-1.2 per character).
// Measured with the real tokenizers of Llama 3, Qwen3, Gemma 3, DeepSeek-V3, Llama 2 and GPT-4o
// (docs/notes/chat.md has the table), per run of text:
// - CJK (Han, kana, Hangul, CJK punctuation, full-width forms): 1 token per character (at least);
// - digits: 1 per digit (Qwen and Gemma split every digit; Llama 3 groups three);
// - Latin words: 1 per 5 letters (a letter outside ASCII counting double), or more for words that
//   change case often (identifiers, base64);
// - Cyrillic, Greek, Armenian, Georgian, Hebrew, Arabic, Syriac, Thaana: 1 per 2.5 letters;
// - Devanagari and the other Indic scripts: 1.25 per character, combining marks included; every
//   other script (Thai, Lao, Khmer, Myanmar, Tibetan, Ethiopic, …): 1 per character;
// - emoji: 2.5 per pictograph (4 UTF-8 bytes, rarely one token), joiners and variation selectors 1;
// - punctuation and symbols: 1 per character, a run of them 1 per 2;
// - whitespace: a single space is part of the next word; a run of spaces (indentation) 1 per 16;
//   a run with line breaks about 1.
// The estimate is meant to be at or above the real count for current tokenizers, so a "fits" is
// believable; calibration then brings it to the model's own scale.
// Pure and O(length): called for every message of a conversation before each request.

/** Tokens split by where they come from, so calibration can scale CJK text and the rest apart. */
export interface TokenParts {
  /** From CJK characters. */
  cjk: number;
  /** From everything else (including per-message overhead added by callers). */
  other: number;
}

/** Multipliers a model's own counts taught us (1 = the plain estimate). */
export interface TokenFactors {
  cjk: number;
  other: number;
}

export const UNIT_FACTORS: TokenFactors = Object.freeze({ cjk: 1, other: 1 });

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Bopomofo}\u3000-\u303f\uff00-\uffef\u30fc]/u;
const PIECE = /(\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator})|([\u200d\ufe0f\ufe0e])|(\p{N}+)|([\p{L}\p{M}]+)|([ \t]+)|(\s+)|([^\s\p{L}\p{M}\p{N}]+)/gu;
const TWO_BYTE_SCRIPT = /[\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Armenian}\p{Script=Georgian}\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}]/u;
const LATIN = /[\p{Script=Latin}]/u;
const BRAHMIC = /[\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}]/u;

/** Letters of one script run (a word) in tokens; CJK characters are counted apart. */
function wordTokens(word: string): { cjk: number; other: number } {
  let cjk = 0;
  let rest = '';
  for (const ch of word) {
    if (CJK.test(ch)) { cjk++; continue; }
    rest += ch;
  }
  if (!rest) return { cjk, other: 0 };
  const first = rest[0]!;
  if (LATIN.test(first) || /[\p{M}]/u.test(first) && LATIN.test(rest)) {
    // Common words are one token; identifiers split at case changes; random text (base64, keys)
    // changes case every few letters and costs about one token per case run.
    let weight = 0;
    let runs = 1;
    let prevUpper: boolean | undefined;
    for (const ch of rest) {
      weight += ch.charCodeAt(0) < 0x80 ? 1 : 2;
      const upper = ch !== ch.toLowerCase();
      if (prevUpper !== undefined && upper !== prevUpper) runs++;
      prevUpper = upper;
    }
    return { cjk, other: Math.max(Math.ceil(weight / 5), Math.ceil(runs / 2) + (runs > 4 ? Math.floor(runs / 2) : 0)) };
  }
  const n = Array.from(rest).length;
  if (TWO_BYTE_SCRIPT.test(first)) return { cjk, other: Math.ceil(n / 2.5) };
  if (BRAHMIC.test(first)) return { cjk, other: Math.ceil(n * 1.25) };
  return { cjk, other: n };
}

/** The estimate of `text` split into CJK and other tokens (not rounded). */
export function estimateTokenParts(text: string): TokenParts {
  let cjk = 0;
  let other = 0;
  PIECE.lastIndex = 0;
  for (let m = PIECE.exec(text); m; m = PIECE.exec(text)) {
    const s = m[0];
    if (m[1]) other += 2.5;
    else if (m[2]) other += s.length;
    else if (m[3]) other += s.length;
    else if (m[4]) { const w = wordTokens(s); cjk += w.cjk; other += w.other; }
    else if (m[5]) { if (s.length > 1) other += Math.ceil(s.length / 16); }
    else if (m[6]) other += 1 + Math.floor(s.replace(/[^\n]/g, '').length / 8) + Math.floor(s.replace(/\s*\n/, '').length / 16);
    else {
      // Punctuation and symbols; CJK punctuation (、。「」) costs one each.
      let run = 0;
      for (const ch of s) { if (CJK.test(ch)) cjk++; else run++; }
      if (run) other += run === 1 ? 1 : Math.ceil(run / 2);
    }
  }
  return { cjk, other };
}

/** Estimated tokens of `text` for a model with the given factors (default: none learnt yet). */
export function estimateTokens(text: string, f: TokenFactors = UNIT_FACTORS): number {
  return scaleParts(estimateTokenParts(text), f);
}

export function scaleParts(p: TokenParts, f: TokenFactors = UNIT_FACTORS): number {
  return Math.ceil(p.cjk * f.cjk + p.other * f.other);
}

export function addParts(a: TokenParts, b: TokenParts): TokenParts {
  return { cjk: a.cjk + b.cjk, other: a.other + b.other };
}

export interface CalibrationSample {
  /** The estimate of the prompt that was sent (unscaled parts). */
  estimate: TokenParts;
  /** The server's count for that prompt (`prompt_eval_count` / `usage.prompt_tokens`). */
  actual: number;
  /** The context window in force: a count close to it may be a prompt the server cut. */
  numCtx?: number;
}

/** Below this many estimated tokens a prompt is mostly template (role markers, a default system
 * prompt from the Modelfile), which says nothing about the text: not used. */
export const MIN_CALIBRATION_TOKENS = 200;
/** One script class must hold this share of the estimate for its factor to be learnt. */
const DOMINANT_SHARE = 0.8;
export const MIN_FACTOR = 0.4;
export const MAX_FACTOR = 2.5;

/**
 * Per-model multipliers for the estimate, learnt from the server's own prompt counts after each
 * answer. The class (CJK or other) that holds most of the prompt gets the correction; a count
 * above the estimate applies at once (an estimate too low means a silently truncated prompt), one
 * below it moves the factor half way (a server that reports only uncached tokens must not talk the
 * estimate down at once). A count near the context window may be a prompt the server cut: it can
 * only raise a factor. Factors stay within [MIN_FACTOR, MAX_FACTOR].
 */
export class TokenCalibration {
  private readonly models = new Map<string, TokenFactors>();

  factors(model: string): TokenFactors {
    return this.models.get(model) ?? UNIT_FACTORS;
  }

  /** Learns from one answer; returns the model's factors afterwards. */
  observe(model: string, s: CalibrationSample): TokenFactors {
    const f = { ...this.factors(model) };
    const est = s.estimate.cjk * f.cjk + s.estimate.other * f.other;
    const total = s.estimate.cjk + s.estimate.other;
    if (!(s.actual > 0) || total < MIN_CALIBRATION_TOKENS || est <= 0) return f;
    const key: keyof TokenFactors | undefined = s.estimate.cjk >= DOMINANT_SHARE * total ? 'cjk' : s.estimate.other >= DOMINANT_SHARE * total ? 'other' : undefined;
    if (!key) return f;
    const ratio = s.actual / est;
    const maybeCut = s.numCtx !== undefined && s.actual >= 0.9 * s.numCtx;
    if (ratio < 1 && maybeCut) return f;
    const target = f[key] * ratio;
    const next = ratio >= 1 ? target : (f[key] + target) / 2;
    f[key] = Math.min(MAX_FACTOR, Math.max(MIN_FACTOR, next));
    this.models.set(model, f);
    return f;
  }

  clear(): void { this.models.clear(); }
}
