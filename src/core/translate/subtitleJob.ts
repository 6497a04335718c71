// Translating subtitle files: cue text goes out in numbered batches with neighbouring cues as
// context; a misaligned answer is retried as two halves, down to single cues; a cue that still fails
// keeps its text and is reported. Timing, ids, settings and every other byte of the file stay as
// they were. Like DocumentJob, a job keeps finished cues when cancelled and can resume.
import { createHash } from 'node:crypto';
import { checkAlignment, learn, type RatioPrior } from './align';
import {
  buildBatchUser, halves, joinItemLines, makeBatches, makeSceneBatches, parseJsonAnswer, parseNumberedAnswer, splitItemLines, strictBatchSchema, validateBatch,
  type BatchContext, type BatchItem,
} from './batch';
import { cacheKey, type TranslationCache } from './cache';
import type { JobRunOptions } from './document';
import { runQueue } from './pool';
import { batchSystemPrompt, relevantGlossary } from './prompt';
import { cloneSubtitles, cues, cueLabel, parseSubtitles, serializeSubtitles, setVttLanguage, withCueText, type Cue, type SubtitleFile, type SubtitleFormat } from './subtitles';
import {
  DEFAULT_CONCURRENCY, DEFAULT_TARGET, hasTranslatableText, JobStateMismatchError, languageName, StructuredOutputUnsupportedError, TranslationTruncatedError,
  type Glossary, type TranslateFn, type TranslateRequest,
} from './types';
import { assertTranslatableText } from './binary';

export interface SubtitleTranslateOptions {
  /** Language name or code; default Simplified Chinese. */
  target?: string;
  glossary?: Glossary;
  /** Part of the cache key. */
  model?: string;
  cache?: TranslationCache;
  /** Cues per request (default 30). */
  batchSize?: number;
  /** Characters of cue text per request (default 2500), so long cues do not overflow a small context. */
  maxBatchChars?: number;
  /** Neighbouring cues sent as context on each side of a batch (default 3). */
  contextCues?: number;
  /** Keep the original lines in each cue and add the translation (default order: original first). */
  bilingual?: boolean;
  bilingualOrder?: 'original-first' | 'translation-first';
  /**
   * BCP 47 tag of the target language (zh-CN). When given, a WebVTT header's `Language:` line is set
   * to it, so the translated track is not labelled with the source language.
   */
  languageTag?: string;
  /** Cut batches at scene changes (silences of `sceneGapMs` or more) rather than at even counts (default true). */
  sceneBatches?: boolean;
  /** Silence (ms) that makes a scene change (default 3000). */
  sceneGapMs?: number;
  /**
   * Strict mode: each batch asks for a JSON schema of exactly its number of items (the prompt says
   * so too). Only for servers that take a schema in `format` (native Ollama >= 0.5.0); when the
   * server refuses it the run goes on without (and `onStrictUnsupported` is told once).
   */
  strict?: boolean;
  onStrictUnsupported?: (reason: string) => void;
  /** Check every answer for merged or shifted cues (align.ts) and ask again for the window (default true). */
  checkAlignment?: boolean;
  /** Told of each answer that was not used as it came, and why (for the log). */
  onRepair?: (what: string) => void;
}

export interface SubtitleProgress {
  /** Translatable cues settled (translated or given up), and in all. */
  done: number;
  total: number;
  failed: number;
  requests: number;
  /** Answers found misaligned (merged, dropped or shifted cues) and asked again. */
  repairs?: number;
}

export interface SubtitleFailure {
  /** Position among the file's cues (0-based). */
  index: number;
  id: string;
  reason: string;
}

export interface SubtitleResult {
  /** A new file with exactly the input's cues; failed cues keep their text. */
  file: SubtitleFile;
  failedCueIds: string[];
  failures: SubtitleFailure[];
  /** Model requests made by this run, retries included. */
  requests: number;
  /** Cues taken from the cache. */
  cachedCues: number;
  /** Answers whose ids were wrong (missing, repeated, empty) and were asked again in halves. */
  invalid: number;
  /** Answers with every id present that were misaligned (a hidden merge or shift) and asked again. */
  misaligned: number;
  /** Strict mode was asked for and ran (false: off, or the server refused it). */
  strict: boolean;
}

export interface SubtitleJobState {
  version: 1;
  fingerprint: string;
  cues: number;
  /** Cue index -> translated text (lines joined with ⏎, tags not included). */
  done: Record<string, string>;
  /** Cue index -> why the cue kept its original text. */
  failed: Record<string, string>;
}

interface Prepared {
  index: number;
  cue: Cue;
  /** Per line: tags kept out of the model's hands (<v Speaker>, {\an8}) and the closing </v>. */
  prefixes: string[];
  suffixes: string[];
  /** What is sent: the lines without those tags, joined with ⏎. */
  send: string;
  translatable: boolean;
}

/** One leading tag: a voice <v Speaker> / <v.loud Speaker>, or an ASS override {\an8}. Sticky. */
const LEADING_TAG = /<v(?:\.[^\s>]*)?(?:\s[^>]*)?>|\{\\[^}]*\}/y;
const SPACES = /\s*/y;

/**
 * Splits a cue line into [leading tags and the whitespace around them, the text, trailing
 * whitespace with one closing </v>]. Linear in the line's length: a scan for the tags, then
 * trimEnd/endsWith for the tail (one regex with a lazy middle and two \s* at the end was cubic).
 */
export function splitLineTags(line: string): [prefix: string, core: string, suffix: string] {
  let pos = 0;
  for (;;) {
    SPACES.lastIndex = pos;
    SPACES.exec(line);
    const afterSpaces = SPACES.lastIndex;
    LEADING_TAG.lastIndex = afterSpaces;
    if (!LEADING_TAG.exec(line)) { pos = afterSpaces; break; }
    pos = LEADING_TAG.lastIndex;
  }
  const rest = line.slice(pos);
  let core = rest.trimEnd();
  if (core.endsWith('</v>')) core = core.slice(0, -'</v>'.length).trimEnd();
  return [line.slice(0, pos), core, rest.slice(core.length)];
}

function prepare(cue: Cue, index: number): Prepared {
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  const cores: string[] = [];
  for (const line of cue.lines) {
    const [prefix, core, suffix] = splitLineTags(line);
    prefixes.push(prefix);
    cores.push(core);
    suffixes.push(suffix);
  }
  const send = joinItemLines(cores);
  return { index, cue, prefixes, suffixes, send, translatable: hasTranslatableText(send) };
}

/** The translated lines of a cue with its tags put back, or why the answer cannot be used. */
function finish(p: Prepared, translated: string): string[] | { reason: string } {
  let out = splitItemLines(translated);
  if (!p.cue.lines.some((l) => l.trim() === '')) out = out.filter((l) => l !== '');
  if (out.length === 0) return { reason: 'empty translation' };
  const n = p.cue.lines.length;
  if (out.length === n) return out.map((t, k) => p.prefixes[k] + t + p.suffixes[k]);
  const tags = new Set(p.prefixes.map((x) => x.trim()).filter((x) => x !== ''));
  if (tags.size > 1) return { reason: `${n} lines with different speakers came back as ${out.length}` };
  const prefix = p.prefixes.find((x) => x.trim() !== '') ?? '';
  const suffix = [...p.suffixes].reverse().find((x) => x.trim() !== '') ?? '';
  out[0] = prefix + out[0];
  out[out.length - 1] += suffix;
  return out;
}

function fingerprint(file: SubtitleFile, o: SubtitleTranslateOptions): string {
  const g = o.glossary ? Object.entries(o.glossary).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : [];
  const parts = [1, serializeSubtitles(file), languageName(o.target), o.model ?? '', g];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}

interface Sent extends BatchItem { p: Prepared; startMs: number; endMs: number }

/** One request's worth of cues; `repair` counts how often these cues were asked again already. */
interface Task { items: Sent[]; repair: number }

export class SubtitleJob {
  private readonly opts: SubtitleTranslateOptions;
  private readonly prepared: Prepared[];
  private readonly fp: string;
  private readonly done = new Map<number, string>();
  private readonly failed = new Map<number, string>();
  private running = false;
  private readonly prior: RatioPrior = { logRatios: [] };

  constructor(readonly file: SubtitleFile, opts: SubtitleTranslateOptions = {}, state?: SubtitleJobState) {
    this.opts = { ...opts };
    this.prepared = cues(file).map(prepare);
    this.fp = fingerprint(file, opts);
    if (state) {
      if (state.version !== 1 || state.fingerprint !== this.fp || state.cues !== this.prepared.length) {
        throw new JobStateMismatchError('The saved translation progress belongs to another version of this subtitle file or to other settings (target, model, glossary); start over.');
      }
      for (const [k, v] of Object.entries(state.done)) if (this.prepared[Number(k)]?.translatable) this.done.set(Number(k), v);
      for (const [k, v] of Object.entries(state.failed ?? {})) this.failed.set(Number(k), v);
    }
  }

  get state(): SubtitleJobState {
    return {
      version: 1,
      fingerprint: this.fp,
      cues: this.prepared.length,
      done: Object.fromEntries([...this.done].map(([k, v]) => [String(k), v])),
      failed: Object.fromEntries([...this.failed].map(([k, v]) => [String(k), v])),
    };
  }

  /** Cues with something to translate. */
  get total(): number { return this.prepared.filter((p) => p.translatable).length; }
  get complete(): boolean { return this.done.size === this.total; }

  private progress(requests: number, repairs = 0): SubtitleProgress {
    return { done: this.done.size + this.failed.size, total: this.total, failed: this.failed.size, requests, repairs };
  }

  /** The file as far as it is translated. */
  result(requests = 0, cachedCues = 0, counts: Pick<SubtitleResult, 'invalid' | 'misaligned' | 'strict'> = { invalid: 0, misaligned: 0, strict: false }): SubtitleResult {
    const out = cloneSubtitles(this.file);
    let ci = 0;
    out.blocks = out.blocks.map((b) => {
      if (b.kind !== 'cue') return b;
      const p = this.prepared[ci++]!;
      const t = this.done.get(p.index);
      if (t === undefined) return b;
      const lines = finish(p, t);
      if (!Array.isArray(lines)) return b;
      const text = !this.opts.bilingual ? lines : this.opts.bilingualOrder === 'translation-first' ? [...lines, ...b.lines] : [...b.lines, ...lines];
      return withCueText(b, text, out.eol);
    });
    const failures = [...this.failed].sort(([a], [b]) => a - b).map(([index, reason]) => ({ index, id: cueLabel(this.prepared[index]!.cue, index), reason }));
    const file = this.opts.languageTag ? setVttLanguage(out, this.opts.languageTag) : out;
    return { file, failedCueIds: failures.map((f) => f.id), failures, requests, cachedCues, ...counts };
  }

  private key(text: string): string {
    return cacheKey({ kind: 'cue', text, target: this.opts.target ?? DEFAULT_TARGET, model: this.opts.model, glossary: relevantGlossary(this.opts.glossary, text), format: 'subtitle' });
  }

  private context(items: readonly Sent[]): BatchContext {
    const n = Math.max(0, this.opts.contextCues ?? 3);
    const first = items[0]!.p.index;
    const last = items[items.length - 1]!.p.index;
    const before: string[] = [];
    const beforeTranslated: Array<string | undefined> = [];
    for (let k = first - 1; k >= 0 && before.length < n; k--) {
      if (!this.prepared[k]!.translatable) continue;
      before.unshift(this.prepared[k]!.send);
      beforeTranslated.unshift(this.done.get(k));
    }
    const after: string[] = [];
    for (let k = last + 1; k < this.prepared.length && after.length < n; k++) if (this.prepared[k]!.translatable) after.push(this.prepared[k]!.send);
    return { before, after, beforeTranslated };
  }

  /** Records accepted translations (and their length ratios for the alignment check). */
  private accept(items: readonly Sent[], texts: ReadonlyMap<number, string>): void {
    const cache = this.opts.cache;
    for (const it of items) {
      const t = texts.get(it.id)!;
      this.done.set(it.p.index, t);
      this.failed.delete(it.p.index);
      cache?.set(this.key(it.text), t);
    }
    if (items.length > 1) learn(this.prior, items.map((i) => i.text), items.map((i) => texts.get(i.id)!));
  }

  /**
   * Translates the cues not done yet (cues that failed in an earlier run are tried again). On cancel
   * or error the promise rejects and the job keeps the cues finished so far.
   */
  async run(translate: TranslateFn, ro: JobRunOptions<SubtitleProgress> = {}): Promise<SubtitleResult> {
    if (this.running) throw new Error('This subtitle job is already running.');
    this.running = true;
    let requests = 0;
    let cachedCues = 0;
    const cache = this.opts.cache;
    try {
      const toSend: Sent[] = [];
      for (const p of this.prepared) {
        if (!p.translatable || this.done.has(p.index)) continue;
        const hit = cache?.get(this.key(p.send));
        if (hit !== undefined && Array.isArray(finish(p, hit))) {
          this.done.set(p.index, hit);
          this.failed.delete(p.index);
          cachedCues++;
          continue;
        }
        toSend.push({ id: p.index + 1, text: p.send, p, startMs: p.cue.startMs, endMs: p.cue.endMs });
      }
      if (cachedCues) ro.onProgress?.(this.progress(requests));
      const concurrency = ro.concurrency ?? DEFAULT_CONCURRENCY;
      const sizing = { size: this.opts.batchSize ?? 30, maxChars: this.opts.maxBatchChars ?? 2500, slots: concurrency };
      const batches = this.opts.sceneBatches === false ? makeBatches(toSend, sizing) : makeSceneBatches(toSend, { ...sizing, sceneGapMs: this.opts.sceneGapMs });
      let strict = this.opts.strict === true;
      let invalid = 0;
      let misaligned = 0;
      const check = this.opts.checkAlignment !== false;
      await runQueue<Task>(batches.map((items) => ({ items, repair: 0 })), { concurrency, signal: ro.signal }, async (task, ctx) => {
        const { items } = task;
        const glossary = relevantGlossary(this.opts.glossary, items.map((i) => i.text).join('\n'));
        const asStrict = strict && items.length > 1;
        const req: TranslateRequest = {
          system: batchSystemPrompt({ target: this.opts.target, glossary, strict: asStrict }),
          user: buildBatchUser(items, this.context(items)),
          signal: ctx.signal,
          ...(asStrict ? { format: strictBatchSchema(items.map((i) => i.id)) } : {}),
        };
        let answer: string | undefined;
        try {
          answer = await translate(req);
        } catch (e) {
          if (e instanceof StructuredOutputUnsupportedError && asStrict) {
            // The server cannot take a schema: the rest of the run (this batch first) goes without.
            if (!ctx.live()) return;
            requests++;
            if (strict) { strict = false; this.opts.onStrictUnsupported?.(e.message); }
            return [task];
          }
          // Cut off at the length limit: nothing of this answer is used (or cached); smaller
          // batches are tried below like a misaligned answer.
          if (!(e instanceof TranslationTruncatedError)) throw e;
        }
        if (!ctx.live()) return;
        requests++;
        const parsed = answer === undefined ? [] : (asStrict ? parseJsonAnswer(answer) : undefined) ?? parseNumberedAnswer(answer);
        let checked = answer === undefined
          ? { ok: false as const, reason: 'the model stopped at its length limit (num_predict / num_ctx); raise num_predict' }
          : validateBatch(parsed, items, answer);
        if (checked.ok) {
          for (const it of items) {
            const f = finish(it.p, checked.texts.get(it.id)!);
            if (!Array.isArray(f)) { checked = { ok: false, reason: `cue ${it.id}: ${f.reason}` }; break; }
          }
        }
        if (!checked.ok) {
          // Misaligned ids: try again as two smaller batches; a single cue keeps its text.
          if (items.length > 1) {
            invalid++;
            this.opts.onRepair?.(`cues ${items[0]!.id}-${items[items.length - 1]!.id}: ${checked.reason}; asked again in halves`);
            return halves(items).map((h) => ({ items: h, repair: task.repair + 1 }));
          }
          this.failed.set(items[0]!.p.index, checked.reason);
        } else {
          const texts = checked.texts;
          const a = check && items.length > 1
            ? checkAlignment(items.map((i) => i.text), items.map((i) => texts.get(i.id)!), this.prior)
            : { aligned: true as const };
          if (a.aligned) {
            this.accept(items, texts);
          } else {
            // Every id came back but the texts are shifted. Where the shift starts cannot be told
            // for sure (cues of similar length look aligned either way), so nothing of this answer
            // is kept: the cues are asked again in two halves (new prompts, so a model at
            // temperature 0 does not give the same answer again), each checked the same way.
            misaligned++;
            this.opts.onRepair?.(`cues ${items[0]!.id}-${items[items.length - 1]!.id}: ${a.reason}; asked again in halves`);
            return halves(items).map((h) => ({ items: h, repair: task.repair + 1 }));
          }
        }
        ro.onProgress?.(this.progress(requests, invalid + misaligned));
      });
      return this.result(requests, cachedCues, { invalid, misaligned, strict });
    } finally {
      this.running = false;
    }
  }
}

/** Translates a parsed subtitle file; pass `state` to resume an earlier run. */
export async function translateSubtitles(
  file: SubtitleFile,
  translate: TranslateFn,
  o: SubtitleTranslateOptions & JobRunOptions<SubtitleProgress> & { state?: SubtitleJobState } = {},
): Promise<SubtitleResult> {
  return new SubtitleJob(file, o, o.state).run(translate, o);
}

/** Parse, translate and serialise in one step (refuses binary-looking text). */
export async function translateSubtitleText(
  text: string,
  format: SubtitleFormat,
  translate: TranslateFn,
  o: SubtitleTranslateOptions & JobRunOptions<SubtitleProgress> = {},
): Promise<{ text: string } & Omit<SubtitleResult, 'file'>> {
  assertTranslatableText(text);
  const { file, ...rest } = await translateSubtitles(parseSubtitles(text, format), translate, o);
  return { text: serializeSubtitles(file), ...rest };
}
