// Translating prose: one piece (protect -> prompt -> call -> strip chatter -> restore -> verify), and
// documents as resumable jobs whose serialisable state holds every chunk already translated.
import { createHash } from 'node:crypto';
import { throwIfAborted } from '../common/cancel';
import { assertTranslatableText } from './binary';
import { cacheKey, type TranslationCache } from './cache';
import { stripChatter } from './chatter';
import { chunkDocument, joinChunks, type DocChunk, type DocumentFormat } from './chunk';
import { runQueue } from './pool';
import { relevantGlossary, textSystemPrompt } from './prompt';
import { protect, restore } from './protect';
import { DEFAULT_CONCURRENCY, DEFAULT_TARGET, JobStateMismatchError, languageName, TranslationTruncatedError, type Glossary, type TranslateFn } from './types';

export interface TextTranslateOptions {
  /** Language name or code; default Simplified Chinese. */
  target?: string;
  glossary?: Glossary;
  /** Part of the cache key: the same text through another model is another translation. */
  model?: string;
  cache?: TranslationCache;
  format?: DocumentFormat;
}

export interface PieceResult {
  text: string;
  requests: number;
  cached: boolean;
  /** What did not survive (inline code, links, line breaks); empty when all is well. */
  issues: string[];
}

function lineCount(s: string): number {
  return s.split(/\r\n|\n|\r/).length;
}

/** The cache key translatePiece uses for `body` (so a caller can look before it asks). */
export function pieceCacheKey(body: string, o: Pick<TextTranslateOptions, 'target' | 'glossary' | 'model' | 'format'>): string {
  return cacheKey({ kind: 'text', text: body, target: o.target ?? DEFAULT_TARGET, model: o.model, glossary: relevantGlossary(o.glossary, body), format: o.format });
}

/** Translates one piece of prose that fits one request. */
export async function translatePiece(body: string, translate: TranslateFn, o: TextTranslateOptions & { signal?: AbortSignal }): Promise<PieceResult> {
  const target = o.target ?? DEFAULT_TARGET;
  const glossary = relevantGlossary(o.glossary, body);
  const p = protect(body);
  const system = textSystemPrompt({ target, glossary, placeholders: p.spans.length > 0, format: o.format });
  let requests = 0;
  let issues: string[] = [];
  const compute = async (): Promise<{ value: string; store: boolean }> => {
    let best: { value: string; issues: string[] } | undefined;
    // One retry when code or links were lost: small models drop a placeholder now and then.
    for (let attempt = 0; attempt < 2; attempt++) {
      throwIfAborted(o.signal, 'Translation');
      const raw = await translate({ system, user: p.text, signal: o.signal });
      requests++;
      const stripped = stripChatter(raw, p.text);
      if (!stripped) { best ??= { value: body, issues: ['the model returned an empty answer; the source text is kept'] }; continue; }
      const r = restore(stripped, p.spans);
      const found: string[] = [];
      if (r.missing.length) found.push(`lost in translation: ${r.missing.map((m) => JSON.stringify(m)).join(', ')}`);
      if (r.unknown.length) found.push(`the model invented placeholders ${r.unknown.map((n) => `⟦${n}⟧`).join(', ')}`);
      const candidate = { value: r.text, issues: found };
      if (!best || best.issues.length > 0) best = candidate;
      if (found.length === 0) break;
    }
    const b = best!;
    if (b.issues.length === 0 && lineCount(b.value) !== lineCount(body)) b.issues.push(`line breaks changed (${lineCount(body)} lines became ${lineCount(b.value)})`);
    issues = b.issues;
    return { value: b.value, store: b.issues.length === 0 };
  };
  if (!o.cache) {
    const r = await compute();
    return { text: r.value, requests, cached: false, issues };
  }
  const key = cacheKey({ kind: 'text', text: body, target, model: o.model, glossary, format: o.format });
  const r = await o.cache.getOrCompute(key, compute, o.signal);
  return { text: r.value, requests, cached: r.hit, issues: r.hit ? [] : issues };
}

export interface DocumentJobOptions extends TextTranslateOptions {
  /** Chunk budget in characters (default 1500). */
  maxChunkChars?: number;
}

/** A job's progress in a form that survives JSON (workspace state, a file next to the document). */
export interface DocumentJobState {
  version: 1;
  /** Fingerprint of the source and of the settings that shape chunks and prompts. */
  fingerprint: string;
  /** Number of chunks (translated or not). */
  chunks: number;
  /** Chunk index -> translated body. */
  done: Record<string, string>;
  /** Chunk index -> what went wrong in that chunk's translation. */
  issues: Record<string, string[]>;
}

export interface DocumentProgress {
  /** Translatable chunks done, and in all. */
  done: number;
  total: number;
  /** The chunk that just finished. */
  chunk: number;
  requests: number;
}

export interface JobRunOptions<P> {
  /** Requests in flight at once (default 4, Ollama's usual number of parallel slots). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: P) => void;
}

export interface DocumentResult {
  text: string;
  /** Model requests made by this run (cache hits and chunks done by an earlier run cost none). */
  requests: number;
  issues: Array<{ chunk: number; messages: string[] }>;
}

function fingerprint(source: string, o: DocumentJobOptions): string {
  const g = o.glossary ? Object.entries(o.glossary).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : [];
  const parts = [1, source, o.maxChunkChars ?? null, o.format ?? 'markdown', languageName(o.target), o.model ?? '', g];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}

/**
 * A document translation that can stop and resume. `state` is plain JSON: save it when a run is
 * cancelled or fails, and pass it to a new DocumentJob for the same source and settings to continue
 * where it stopped. Chunks are translated in parallel and reassembled in order.
 */
export class DocumentJob {
  readonly chunks: readonly DocChunk[];
  private readonly opts: DocumentJobOptions;
  private readonly fp: string;
  private readonly done = new Map<number, string>();
  private readonly issueMap = new Map<number, string[]>();
  private running = false;

  constructor(readonly source: string, opts: DocumentJobOptions = {}, state?: DocumentJobState) {
    assertTranslatableText(source);
    this.opts = { ...opts };
    this.chunks = chunkDocument(source, { maxChars: opts.maxChunkChars, format: opts.format ?? 'markdown' });
    this.fp = fingerprint(source, opts);
    if (state) {
      if (state.version !== 1 || state.fingerprint !== this.fp || state.chunks !== this.chunks.length) {
        throw new JobStateMismatchError('The saved translation progress belongs to another version of this document or to other settings (target, model, glossary); start over.');
      }
      for (const [k, v] of Object.entries(state.done)) if (this.chunks[Number(k)]?.translate) this.done.set(Number(k), v);
      for (const [k, v] of Object.entries(state.issues ?? {})) this.issueMap.set(Number(k), [...v]);
    }
  }

  get state(): DocumentJobState {
    return {
      version: 1,
      fingerprint: this.fp,
      chunks: this.chunks.length,
      done: Object.fromEntries([...this.done].map(([k, v]) => [String(k), v])),
      issues: Object.fromEntries([...this.issueMap].map(([k, v]) => [String(k), [...v]])),
    };
  }

  /** Translatable chunks, and how many of them are done. */
  get total(): number { return this.chunks.filter((c) => c.translate).length; }
  get doneCount(): number { return this.done.size; }
  get complete(): boolean { return this.done.size === this.total; }

  /** The document as far as it is translated: chunks not done yet keep their source text. */
  text(): string {
    return joinChunks(this.chunks, this.chunks.map((_c, i) => this.done.get(i)));
  }

  /** Chunk i's translation, when it is done. */
  translation(i: number): string | undefined { return this.done.get(i); }

  issues(): Array<{ chunk: number; messages: string[] }> {
    return [...this.issueMap].sort(([a], [b]) => a - b).map(([chunk, messages]) => ({ chunk, messages: [...messages] }));
  }

  /**
   * Translates the chunks not done yet. On cancel (AbortError) or failure the promise rejects and
   * the job keeps every chunk finished so far; run() again, or save `state`, to resume.
   */
  async run(translate: TranslateFn, ro: JobRunOptions<DocumentProgress> = {}): Promise<DocumentResult> {
    if (this.running) throw new Error('This document job is already running.');
    this.running = true;
    let requests = 0;
    try {
      const todo = this.chunks.map((_c, i) => i).filter((i) => this.chunks[i]!.translate && !this.done.has(i));
      // Chunks whose answer the model cut off at its length limit: they stay undone (source text,
      // nothing cached), the other chunks go on, and the run then rejects so the job can be resumed
      // once num_predict is raised or the chunks are smaller.
      const truncated: number[] = [];
      await runQueue(todo, { concurrency: ro.concurrency ?? DEFAULT_CONCURRENCY, signal: ro.signal }, async (i, ctx) => {
        let r: PieceResult;
        try {
          r = await translatePiece(this.chunks[i]!.body, translate, { ...this.opts, signal: ctx.signal });
        } catch (e) {
          if (!(e instanceof TranslationTruncatedError) || !ctx.live()) throw e;
          truncated.push(i);
          return;
        }
        if (!ctx.live()) return;
        requests += r.requests;
        this.done.set(i, r.text);
        if (r.issues.length) this.issueMap.set(i, r.issues); else this.issueMap.delete(i);
        ro.onProgress?.({ done: this.done.size, total: this.total, chunk: i, requests });
      });
      if (truncated.length) {
        truncated.sort((a, b) => a - b);
        throw new TranslationTruncatedError(
          `The model stopped at its length limit (num_predict / num_ctx) in ${truncated.length} of ${this.total} chunks (${truncated.map((i) => i + 1).join(', ')}); they keep their source text`,
          { chunks: truncated });
      }
      return { text: this.text(), requests, issues: this.issues() };
    } finally {
      this.running = false;
    }
  }
}

/** Translates a whole document (markdown or plain text); pass `state` to resume an earlier run. */
export async function translateDocument(
  source: string,
  translate: TranslateFn,
  o: DocumentJobOptions & JobRunOptions<DocumentProgress> & { state?: DocumentJobState } = {},
): Promise<DocumentResult> {
  return new DocumentJob(source, o, o.state).run(translate, o);
}

export interface TextResult {
  text: string;
  requests: number;
  /** Every piece came from the cache. */
  cached: boolean;
  issues: string[];
}

/**
 * Translates a selection. Short text is one request; long text is chunked like a document. Leading
 * and trailing whitespace and fenced code are kept as they are.
 */
export async function translateText(
  text: string,
  translate: TranslateFn,
  o: DocumentJobOptions & { signal?: AbortSignal; concurrency?: number } = {},
): Promise<TextResult> {
  const job = new DocumentJob(text, o);
  const r = await job.run(translate, { signal: o.signal, concurrency: o.concurrency });
  return {
    text: r.text,
    requests: r.requests,
    cached: r.requests === 0 && job.total > 0,
    issues: r.issues.flatMap((i) => i.messages),
  };
}
