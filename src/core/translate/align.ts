// Is a batch of translated subtitles still aligned with its source? A model that merges two cues
// into one and shifts the rest up by one can still answer with every number present (and, under a
// schema of exactly N items, must): the ids say nothing then. What does survive translation is
// length (a translation's length is roughly proportional to its source's) and numbers. This module
// compares the identity alignment (cue k <-> answer k) with the best alignment that may merge,
// split, drop or insert (the sentence-alignment model of Gale & Church, "A Program for Aligning
// Sentences in Bilingual Corpora", Computational Linguistics 19(1), 1993: beads 1-1, 2-1, 1-2, 1-0,
// 0-1 with their prior probabilities, a length-ratio cost per bead, dynamic programming), and says
// which window of cues to ask again when the best alignment is clearly not the identity.
// llm-subtrans, the leading subtitle translator, does not detect merges at all
// (PySubtrans/TranslationParser.py: "#TODO: check for merged lines").

/** What is known about length ratios from batches already accepted in this job. */
export interface RatioPrior {
  /** log(translation length / source length) of accepted cues (most recent last). */
  logRatios: number[];
  /** Accepted cues whose source ends a sentence (. ? ! …): how many translations did too. A model
   * that keeps this (most do, though Chinese subtitles often drop the final full stop) shows a
   * shifted or re-split answer by a translation that stops mid-sentence. */
  terminal?: { seen: number; kept: number };
}

const TERMINAL = /[.?!…。？！؟।]["'”’»」』)\]]*$/u;

/** The text ends a sentence (trailing fillers, spaces and closing quotes aside). */
export function endsSentence(text: string): boolean {
  return TERMINAL.test(text.replace(/[\s～~⏎]+$/u, ''));
}

export interface AlignCheck {
  /** True when the answer looks aligned (nothing to repair). */
  aligned: boolean;
  /** The cues (0-based positions in the batch) to ask again, inclusive; set when not aligned. */
  from?: number;
  to?: number;
  /** Why, for the log. */
  reason?: string;
  /** How much cheaper (nats) the best alignment is than the identity. */
  margin: number;
}

/** Bead priors (Gale & Church 1993, table 5): 1-1 .89, 1-0/0-1 .0099, 2-1/1-2 .089 (split evenly). */
const COST_11 = -Math.log(0.89);
const COST_21 = -Math.log(0.089 / 2);
const COST_10 = -Math.log(0.0099 / 2);
/** The identity must be this much more costly (nats) than the best alignment to be rejected. */
const THRESHOLD = 4;
const SMOOTH = 3;
/** A number in the source missing from its translation (or the other way round) costs this much. */
const NUMBER_MISMATCH = 3;
/** Cues of margin around a suspected window (the first shifted cue may look fine by length). */
const MARGIN = 1;

/** Length that survives translation: letters, digits and punctuation, without spaces or line-break markers. */
export function alignLength(text: string): number {
  return [...text.replace(/⏎|\s+/g, '')].length;
}

function numbers(text: string): string {
  return (text.match(/\d+(?:[.,:]\d+)*/g) ?? []).map((n) => n.replace(/[.,]/g, '')).sort().join(' ');
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? 0 : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function normalised(t: string): string {
  return t.replace(/[\s⏎\p{P}]+/gu, '').toLowerCase();
}

/**
 * Checks one batch. `sources[k]` and `translations[k]` are cue k's text and the answer's text for
 * it ('' when the answer had none). The expected length ratio and its spread come from `prior`
 * (accepted cues of this job) when it has enough samples, else from this batch's own median.
 */
export function checkAlignment(sources: readonly string[], translations: readonly string[], prior?: RatioPrior): AlignCheck {
  const n = sources.length;
  if (n <= 1) return { aligned: true, margin: 0 };
  const ls = sources.map(alignLength);
  const lt = translations.map(alignLength);
  const xs = ls.map((l, k) => Math.log((lt[k]! + SMOOTH) / (l + SMOOTH)));
  const useful = prior && prior.logRatios.length >= 12;
  const base = useful ? prior.logRatios.slice(-400) : xs.filter((_x, k) => lt[k]! > 0);
  const mu = median(base.length ? base : xs);
  const mad = median(base.map((x) => Math.abs(x - mu)));
  const sigma = Math.min(0.6, Math.max(0.15, 1.4826 * mad));
  const nums = sources.map(numbers);
  const tnums = translations.map(numbers);
  const z2 = (src: number, tgt: number): number => {
    const x = Math.log((tgt + SMOOTH) / (src + SMOOTH)) - mu;
    return (x * x) / (2 * sigma * sigma);
  };
  const c11 = (i: number, j: number): number => COST_11 + z2(ls[i]!, lt[j]!) + (nums[i] !== tnums[j] ? NUMBER_MISMATCH : 0);

  // The identity, with two signals lengths miss: an empty answer for a cue with text, and two
  // neighbouring answers that are the same while their sources differ (a merge padded at the end).
  let identity = 0;
  for (let k = 0; k < n; k++) identity += c11(k, k);
  const dups: number[] = [];
  for (let k = 0; k + 1 < n; k++) {
    const a = normalised(translations[k]!);
    if (a.length >= 2 && a === normalised(translations[k + 1]!) && normalised(sources[k]!) !== normalised(sources[k + 1]!)) dups.push(k);
  }

  // Best alignment by dynamic programming over (sources used, answers used).
  const INF = Number.POSITIVE_INFINITY;
  const cost: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(n + 1).fill(INF));
  const from: Array<Array<[number, number]>> = Array.from({ length: n + 1 }, () => new Array<[number, number]>(n + 1).fill([0, 0]));
  cost[0]![0] = 0;
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= n; j++) {
      const here = cost[i]![j]!;
      if (here === INF) continue;
      const relax = (di: number, dj: number, c: number): void => {
        const ni = i + di;
        const nj = j + dj;
        if (ni > n || nj > n) return;
        if (here + c < cost[ni]![nj]!) { cost[ni]![nj] = here + c; from[ni]![nj] = [di, dj]; }
      };
      if (i < n && j < n) relax(1, 1, c11(i, j));
      if (i + 1 < n && j < n) relax(2, 1, COST_21 + z2(ls[i]! + ls[i + 1]!, lt[j]!) + (numbers(sources[i]! + ' ' + sources[i + 1]!) !== tnums[j] ? NUMBER_MISMATCH : 0));
      if (i < n && j + 1 < n) relax(1, 2, COST_21 + z2(ls[i]!, lt[j]! + lt[j + 1]!));
      if (i < n) relax(1, 0, COST_10);
      if (j < n) relax(0, 1, COST_10);
    }
  }
  const best = cost[n]![n]!;
  const margin = identity - best;
  // Where the best path leaves the diagonal or uses another bead than 1-1.
  let lo = n;
  let hi = -1;
  for (let i = n, j = n; i > 0 || j > 0;) {
    const [di, dj] = from[i]![j]!;
    const pi = i - di;
    const pj = j - dj;
    if (!(di === 1 && dj === 1 && pi === pj)) { lo = Math.min(lo, pi, pj); hi = Math.max(hi, i - 1, j - 1); }
    i = pi;
    j = pj;
  }
  const empty = translations.findIndex((t, k) => t.trim() === '' && ls[k]! > 0);
  // Sentences that stopped short: more translations than this job's usual that do not end a
  // sentence where their source does (a binomial bound over the cues that end one).
  const term = prior?.terminal;
  const ends = sources.map((x) => endsSentence(x));
  const cut = ends.map((e, k) => e && translations[k]!.trim() !== '' && !endsSentence(translations[k]!));
  let stopped = -1;
  if (term && term.seen >= 30 && term.kept / term.seen >= 0.9) {
    const rate = term.kept / term.seen;
    const t = ends.filter(Boolean).length;
    const misses = cut.filter(Boolean).length;
    if (misses > (1 - rate) * t + 2 * Math.sqrt(t * rate * (1 - rate)) + 0.5) stopped = cut.indexOf(true);
  }
  const reasons: string[] = [];
  if (margin > THRESHOLD && hi >= 0) reasons.push(`lengths fit a merged or shifted answer better (by ${margin.toFixed(1)} nats) at cues ${lo + 1}-${hi + 1}`);
  else { lo = n; hi = -1; }
  if (dups.length) { reasons.push(`answers ${dups.map((k) => `${k + 1}=${k + 2}`).join(', ')} are the same`); lo = Math.min(lo, dups[0]!); hi = Math.max(hi, n - 1); }
  if (empty >= 0) { reasons.push(`answer ${empty + 1} is empty`); lo = Math.min(lo, empty); hi = Math.max(hi, empty); }
  if (stopped >= 0) { reasons.push(`answers stop mid-sentence where their source ends one (first ${stopped + 1})`); lo = Math.min(lo, stopped); hi = Math.max(hi, n - 1); }
  if (!reasons.length) return { aligned: true, margin };
  return { aligned: false, from: Math.max(0, lo - MARGIN), to: Math.min(n - 1, hi + MARGIN), reason: reasons.join('; '), margin };
}

/** Adds accepted cues to a job's prior (length ratios, sentence ends kept). */
export function learn(prior: RatioPrior, sources: readonly string[], translations: readonly string[]): void {
  prior.logRatios.push(...logRatios(sources, translations));
  if (prior.logRatios.length > 800) prior.logRatios.splice(0, prior.logRatios.length - 400);
  const t = prior.terminal ??= { seen: 0, kept: 0 };
  sources.forEach((x, k) => { if (endsSentence(x)) { t.seen++; if (endsSentence(translations[k]!)) t.kept++; } });
}

/** The log length ratios of accepted cues, for the job's prior. */
export function logRatios(sources: readonly string[], translations: readonly string[]): number[] {
  return sources.map((s, k) => Math.log((alignLength(translations[k]!) + SMOOTH) / (alignLength(s) + SMOOTH)));
}
