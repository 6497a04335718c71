// Whole folders: every subtitle (.srt/.vtt) and Markdown file of a list goes through its own job
// (SubtitleJob, DocumentJob) into <name>.<tag>.<ext> next to it. Files run in parallel and their
// requests share one limit (the configured parallel requests, what the server's slots take), so
// a big file and many small ones keep the server equally busy. The state is plain JSON, saved by
// the caller as the job goes (after every file and every few batches): a run stopped by a cancel,
// a crash or a restart resumes with the files done skipped and the file in progress continuing
// where it was. A file whose translation already exists is skipped. Nothing here knows VS Code:
// the file system comes in as FolderIo.
import { textHash } from '../common/hash';
import { isCancel } from '../common/cancel';
import { DocumentJob, type DocumentJobState } from './document';
import { cues, parseSubtitles, serializeSubtitles, type SubtitleFormat } from './subtitles';
import { SubtitleJob, type SubtitleJobState, type SubtitleTranslateOptions } from './subtitleJob';
import { languageTag, translatedFileName } from './langTag';
import { assertTranslatableText } from './binary';
import type { TranslationCache } from './cache';
import { JobStateMismatchError, TranslationTruncatedError, UnsupportedInputError, type Glossary, type TranslateFn } from './types';

export type FolderFileKind = 'subtitles' | 'markdown';

/** One file of the folder, as the caller found it. */
export interface FolderFile {
  /** Stable id (the file's URI). */
  key: string;
  /** Path relative to the folder, for messages. */
  name: string;
}

/** The caller's file system. Texts are decoded (a leading U+FEFF stands for a BOM). */
export interface FolderIo {
  read(file: FolderFile): Promise<string>;
  /** Writes the translation; `output` is outputKey(file). */
  write(file: FolderFile, output: string, text: string): Promise<void>;
  /** Where the translation of `file` goes (a key of the same kind as FolderFile.key). */
  outputKey(file: FolderFile, outputName: string): string;
  exists(output: string): Promise<boolean>;
}

export interface FolderOptions {
  target: string;
  model?: string;
  glossary?: Glossary;
  cache?: TranslationCache;
  /** Subtitle options (batch size, scenes, strict mode, alignment check). */
  subtitles?: Omit<SubtitleTranslateOptions, 'target' | 'model' | 'glossary' | 'cache' | 'languageTag'>;
  /** Markdown chunk budget (characters). */
  chunkChars?: number;
  /** Clock for the ETA (default Date.now). */
  now?: () => number;
}

export type FolderFileStatus = 'done' | 'skipped' | 'failed';

export interface FolderFileState {
  status: FolderFileStatus | 'partial';
  /** sha256 of the source text when it was read (a changed file starts over). */
  hash?: string;
  output?: string;
  /** Why it failed or was skipped. */
  reason?: string;
  units?: number;
  /** A partial file's job state. */
  subtitle?: SubtitleJobState;
  document?: DocumentJobState;
}

/** Plain JSON: save it to resume. */
export interface FolderJobState {
  version: 1;
  target: string;
  model: string;
  files: Record<string, FolderFileState>;
}

export interface FolderProgress {
  filesDone: number;
  filesTotal: number;
  /** Cues and chunks settled, and in all (of the files this run translates). */
  unitsDone: number;
  unitsTotal: number;
  /** Estimated time left (ms), once something has been translated in this run. */
  etaMs?: number;
  requests: number;
}

export interface FolderFileResult {
  file: FolderFile;
  status: FolderFileStatus;
  output?: string;
  reason?: string;
  units: number;
  /** Cues that kept their original text. */
  failedUnits: number;
}

export interface FolderResult {
  files: FolderFileResult[];
  requests: number;
}

const SUBTITLE = /\.(srt|vtt)$/i;
const MARKDOWN = /\.(md|markdown|mdx|mkd)$/i;

export function folderFileKind(name: string): FolderFileKind | undefined {
  return SUBTITLE.test(name) ? 'subtitles' : MARKDOWN.test(name) ? 'markdown' : undefined;
}

/** True for a file that is itself a translation into `target` (movie.zh-CN.srt): never an input. */
export function isTranslationOutput(name: string, target: string): boolean {
  const tag = languageTag(target).toLowerCase();
  const base = name.split('/').pop()!.toLowerCase();
  return new RegExp(`\\.${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?: \\(\\d+\\))?\\.[a-z0-9]+$`).test(base);
}


/** Limits how many calls of `fn` run at once (the requests of all files share the server's slots). */
export function limitConcurrency(fn: TranslateFn, limit: number): TranslateFn {
  let active = 0;
  const waiting: Array<() => void> = [];
  const release = (): void => { active--; waiting.shift()?.(); };
  return async (req) => {
    if (active >= limit) {
      await new Promise<void>((resolve, reject) => {
        const go = (): void => { req.signal?.removeEventListener('abort', onAbort); resolve(); };
        const onAbort = (): void => { const i = waiting.indexOf(go); if (i >= 0) waiting.splice(i, 1); reject(req.signal!.reason); };
        waiting.push(go);
        req.signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    active++;
    try { return await fn(req); } finally { release(); }
  };
}

interface Planned { file: FolderFile; kind: FolderFileKind; text: string; hash: string; units: number; output: string; outputName: string }

/**
 * Translates the files of a folder. Construct with the files found and, to resume, the saved state;
 * run() resolves when every file is settled (done, skipped or failed), and rejects on a cancel or
 * on a failure that is not the file's own (server unreachable, model missing) with the state kept.
 */
export class FolderJob {
  private readonly files: FolderFile[];
  private readonly st: FolderJobState;

  constructor(files: readonly FolderFile[], private readonly io: FolderIo, private readonly o: FolderOptions, state?: FolderJobState) {
    this.files = files.filter((f) => folderFileKind(f.name) && !isTranslationOutput(f.name, o.target));
    const fits = state && state.version === 1 && state.target === o.target && state.model === (o.model ?? '');
    this.st = fits ? { ...state, files: { ...state.files } } : { version: 1, target: o.target, model: o.model ?? '', files: {} };
  }

  /** The files this job considers (inputs, not earlier outputs). */
  get inputs(): readonly FolderFile[] { return this.files; }

  get state(): FolderJobState { return JSON.parse(JSON.stringify(this.st)) as FolderJobState; }

  /** Files settled so far (done, skipped or failed). */
  get settled(): number { return this.files.filter((f) => { const s = this.st.files[f.key]?.status; return s !== undefined && s !== 'partial'; }).length; }

  async run(translate: TranslateFn, ro: { concurrency?: number; signal?: AbortSignal; onProgress?: (p: FolderProgress) => void; onState?: (s: FolderJobState) => void } = {}): Promise<FolderResult> {
    const concurrency = Math.max(1, ro.concurrency ?? 4);
    const now = this.o.now ?? Date.now;
    const limited = limitConcurrency(translate, concurrency);
    const tag = languageTag(this.o.target);
    const results = new Map<string, FolderFileResult>();
    let requests = 0;

    // Plan: read every file not settled yet (cheap next to translating), count its units, skip
    // those whose translation exists (unless this job wrote it half way: then it is resumed).
    const plan: Planned[] = [];
    for (const file of this.files) {
      const saved = this.st.files[file.key];
      const kind = folderFileKind(file.name)!;
      if (saved && saved.status !== 'partial') {
        results.set(file.key, { file, status: saved.status, ...(saved.output ? { output: saved.output } : {}), ...(saved.reason ? { reason: saved.reason } : {}), units: saved.units ?? 0, failedUnits: 0 });
        continue;
      }
      const outputName = translatedFileName(file.name.split('/').pop()!, tag);
      const output = this.io.outputKey(file, outputName);
      let text: string;
      try {
        text = await this.io.read(file);
        assertTranslatableText(text, file.name);
      } catch (e) {
        this.settle(results, file, 'failed', { reason: e instanceof Error ? e.message : String(e) });
        continue;
      }
      const hash = textHash(text);
      if (saved?.status === 'partial' && saved.hash !== hash) delete this.st.files[file.key];
      if (this.st.files[file.key]?.status !== 'partial' && await this.io.exists(output)) {
        this.settle(results, file, 'skipped', { output, reason: 'translation exists' });
        continue;
      }
      let units: number;
      if (kind === 'subtitles') {
        const format = (SUBTITLE.exec(file.name)![1]!.toLowerCase()) as SubtitleFormat;
        units = cues(parseSubtitles(text, format)).filter((c) => /\p{L}/u.test(c.lines.join(' '))).length;
      } else {
        units = new DocumentJob(text, { format: 'markdown', maxChunkChars: this.o.chunkChars }).total;
      }
      plan.push({ file, kind, text, hash, units, output, outputName });
    }
    ro.onState?.(this.state);

    const unitsTotal = plan.reduce((a, p) => a + p.units, 0);
    const live = new Map<string, number>();
    let unitsSettled = 0;
    const t0 = now();
    let doneAtStart: number | undefined;
    const report = (): void => {
      const unitsDone = unitsSettled + [...live.values()].reduce((a, b) => a + b, 0);
      doneAtStart ??= unitsDone;
      const elapsed = now() - t0;
      const progressed = unitsDone - doneAtStart;
      const etaMs = progressed > 0 && elapsed > 0 ? ((unitsTotal - unitsDone) * elapsed) / progressed : undefined;
      ro.onProgress?.({ filesDone: this.settled, filesTotal: this.files.length, unitsDone, unitsTotal, ...(etaMs !== undefined ? { etaMs } : {}), requests });
    };
    report();

    const fatal: unknown[] = [];
    const inner = new AbortController();
    const onAbort = (): void => inner.abort(ro.signal!.reason);
    ro.signal?.addEventListener('abort', onAbort, { once: true });
    if (ro.signal?.aborted) inner.abort(ro.signal.reason);
    const queue = [...plan];
    const worker = async (): Promise<void> => {
      for (let p = queue.shift(); p && !inner.signal.aborted; p = queue.shift()) {
        try {
          const r = await this.translateFile(p, limited, concurrency, inner.signal, (done, state) => {
            live.set(p!.file.key, done);
            this.st.files[p!.file.key] = { status: 'partial', hash: p!.hash, units: p!.units, ...state };
            ro.onState?.(this.state);
            report();
          });
          requests += r.requests;
          live.delete(p.file.key);
          unitsSettled += p.units;
          await this.io.write(p.file, p.output, r.text);
          this.settle(results, p.file, 'done', { output: p.output, units: p.units, failedUnits: r.failedUnits, ...(r.failedUnits ? { reason: `${r.failedUnits} kept the original text` } : {}) });
        } catch (e) {
          live.delete(p.file.key);
          if (isCancel(e) || !(e instanceof UnsupportedInputError || e instanceof TranslationTruncatedError || e instanceof JobStateMismatchError)) {
            fatal.push(e);
            inner.abort(e);
            break;
          }
          unitsSettled += p.units;
          this.settle(results, p.file, 'failed', { reason: e.message, units: p.units });
        }
        ro.onState?.(this.state);
        report();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, plan.length)) }, worker));
    } finally {
      ro.signal?.removeEventListener('abort', onAbort);
    }
    if (fatal.length) throw ro.signal?.aborted ? ro.signal.reason as Error : fatal[0];
    return { files: this.files.map((f) => results.get(f.key)!).filter(Boolean), requests };
  }

  private settle(results: Map<string, FolderFileResult>, file: FolderFile, status: FolderFileStatus, x: { output?: string; reason?: string; units?: number; failedUnits?: number }): void {
    this.st.files[file.key] = { status, ...(x.output ? { output: x.output } : {}), ...(x.reason ? { reason: x.reason } : {}), units: x.units ?? 0 };
    results.set(file.key, { file, status, ...(x.output ? { output: x.output } : {}), ...(x.reason ? { reason: x.reason } : {}), units: x.units ?? 0, failedUnits: x.failedUnits ?? 0 });
  }

  private async translateFile(p: Planned, translate: TranslateFn, concurrency: number, signal: AbortSignal, progress: (done: number, state: Pick<FolderFileState, 'subtitle' | 'document'>) => void): Promise<{ text: string; requests: number; failedUnits: number }> {
    const saved = this.st.files[p.file.key];
    if (p.kind === 'subtitles') {
      const format = (SUBTITLE.exec(p.file.name)![1]!.toLowerCase()) as SubtitleFormat;
      const file = parseSubtitles(p.text, format);
      const opts: SubtitleTranslateOptions = { ...this.o.subtitles, target: this.o.target, model: this.o.model, glossary: this.o.glossary, cache: this.o.cache, languageTag: languageTag(this.o.target) };
      let job: SubtitleJob;
      try { job = new SubtitleJob(file, opts, saved?.subtitle); } catch (e) { if (!(e instanceof JobStateMismatchError)) throw e; job = new SubtitleJob(file, opts); }
      const r = await job.run(translate, { concurrency, signal, onProgress: (q) => progress(q.done, { subtitle: job.state }) });
      return { text: serializeSubtitles(r.file), requests: r.requests, failedUnits: r.failures.length };
    }
    const opts = { target: this.o.target, model: this.o.model, glossary: this.o.glossary, cache: this.o.cache, format: 'markdown' as const, maxChunkChars: this.o.chunkChars };
    let job: DocumentJob;
    try { job = new DocumentJob(p.text, opts, saved?.document); } catch (e) { if (!(e instanceof JobStateMismatchError)) throw e; job = new DocumentJob(p.text, opts); }
    const r = await job.run(translate, { concurrency, signal, onProgress: (q) => progress(q.done, { document: job.state }) });
    return { text: r.text, requests: r.requests, failedUnits: 0 };
  }
}
