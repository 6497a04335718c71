// The keyword engine of the workspace index: chunking a file's text and keeping the chunks in the
// BM25 index (KeywordIndex). This is the CPU-heavy part of workspace search (chunking 9 MB of code,
// adding 17k chunks to MiniSearch, a query over 13k terms), so the extension runs it on a worker
// thread (engineWorker.ts: the extension host's thread only passes texts and ids); the same
// engine runs in-thread, in slices, where there is no worker (tests, the bench's contrast).
// Every call is asynchronous and answered in the order made. Pure of `vscode`.
import { chunkText, type Chunk, type ChunkOptions } from './chunk';
import { looksGenerated } from './files';
import { KeywordIndex, type ChunkMeta } from './keywordIndex';
import type { TimeSlicer } from './slicer';
import { contentHash } from './vectors';

/** What indexing one file gave: its chunks, or why it has none. */
export type IndexedFile =
  | { kind: 'indexed'; chunks: ChunkMeta[]; chars: number; terms: number }
  | { kind: 'generated' | 'empty'; terms: number };

/** A chunk to embed: its key (contentHash of `text`) and the text. */
export interface EmbedItem { hash: string; text: string }

/** A BM25 result: the chunk's id (as in the ChunkMeta that setFile returned) and its score. */
export interface ScoredId { id: number; score: number }

/** What the engine holds (for the Output channel's report). */
export interface EngineStats {
  terms: number;
  chunks: number;
  /** Bytes of JavaScript heap the engine's thread uses (the worker's own heap; in-thread: the
   * whole thread's, not only the index's). */
  heapBytes: number;
  /** Whether the engine runs on its own thread. */
  worker: boolean;
}

/** The engine's operations. Each resolves once done, in the order called; a failed engine (its
 * worker stopped) rejects every pending and later call with the reason. */
export interface KeywordEngine {
  /** Chunks `text` and indexes the chunks as `file`'s (replacing what it had). */
  setFile(file: string, path: string, text: string): Promise<IndexedFile>;
  /** Forgets a file. */
  removeFile(file: string): Promise<void>;
  /** Forgets everything. */
  clear(): Promise<void>;
  /** The `limit` best chunks for `terms` (query terms: tokenize.queryTerms). */
  search(terms: readonly string[], limit: number): Promise<ScoredId[]>;
  /** The chunks of `text` whose key is in `want`, with the text to embed (embedText). */
  embedItems(path: string, text: string, want: readonly string[]): Promise<EmbedItem[]>;
  stats(): Promise<EngineStats>;
  /** Called once when the engine stops working (a worker that exited or ran out of memory). */
  onFailure(f: (e: Error) => void): void;
  dispose(): void;
}

/** The text an embedding of a chunk is made from: its path (file names carry meaning) and text. */
export function embedText(path: string, c: Pick<Chunk, 'text'>): string {
  return `${path}\n${c.text}`;
}

/** Characters chunked between two checkpoints: a large file (a 500 KB bundle takes ~0.5 s to chunk
 * whole) is cut into segments at blank lines first, so an in-thread engine never blocks for long. */
export const SEGMENT_CHARS = 16_000;

const LINE_BREAK = /\r\n|\r|\n/g;

/**
 * chunkText of a whole file, in segments of about SEGMENT_CHARS cut at a blank line (else a line
 * break), with a slicer checkpoint between segments (none when `slicer` is undefined); line numbers
 * are the file's. The same text always gives the same chunks (embedding keys depend on it).
 */
export async function chunkInSlices(path: string, text: string, o: ChunkOptions | undefined, slicer: Pick<TimeSlicer, 'checkpoint'> | undefined): Promise<Chunk[]> {
  if (text.length <= SEGMENT_CHARS) return chunkText(path, text, o);
  const out: Chunk[] = [];
  let at = 0;
  let lineOffset = 0;
  while (at < text.length) {
    let end = Math.min(text.length, at + SEGMENT_CHARS);
    if (end < text.length) {
      const blank = text.lastIndexOf('\n\n', end);
      // The last line break of any kind (LF, CRLF, CR: chunkText and the editor count all three).
      const nl = Math.max(text.lastIndexOf('\n', end - 1), text.lastIndexOf('\r', end - 1));
      end = blank > at + SEGMENT_CHARS / 2 ? blank + 1 : nl >= at ? nl + 1 : end;
      // Never between the CR and the LF of one CRLF.
      if (text[end - 1] === '\r' && text[end] === '\n') end++;
    }
    const seg = text.slice(at, end);
    for (const c of chunkText(path, seg, o)) out.push({ ...c, startLine: c.startLine + lineOffset, endLine: c.endLine + lineOffset });
    const lines = seg.match(LINE_BREAK)?.length ?? 0;
    // A segment that does not end at a line break (one enormous line) continues that line.
    lineOffset += lines;
    at = end;
    if (slicer) await slicer.checkpoint();
  }
  return out;
}

/**
 * The engine on the calling thread. With a `slicer`, long work (chunking a large file, adding its
 * chunks) gives the event loop back between slices; without one (inside the worker, which has
 * nothing else to do) it runs straight through.
 */
export class LocalKeywordEngine implements KeywordEngine {
  private readonly index = new KeywordIndex();

  constructor(private readonly chunkOptions?: ChunkOptions, private readonly slicer?: TimeSlicer) {}

  async setFile(file: string, path: string, text: string): Promise<IndexedFile> {
    if (looksGenerated(text)) { this.index.removeFile(file); return { kind: 'generated', terms: this.index.termCount }; }
    const chunks = await chunkInSlices(path, text, this.chunkOptions, this.slicer);
    if (!chunks.length) { this.index.removeFile(file); return { kind: 'empty', terms: this.index.termCount }; }
    const hashes = chunks.map((c) => contentHash(embedText(path, c)));
    const tokens = chunks.map((c) => c.tokens);
    const slicer = this.slicer;
    const metas = slicer
      ? await this.index.setFileInSlices(file, path, chunks, hashes, tokens, () => slicer.checkpoint())
      : this.index.setFile(file, path, chunks, hashes, tokens);
    return { kind: 'indexed', chunks: metas, chars: chunks.reduce((n, c) => n + c.text.length, 0), terms: this.index.termCount };
  }

  async removeFile(file: string): Promise<void> { this.index.removeFile(file); }

  async clear(): Promise<void> { this.index.clear(); }

  async search(terms: readonly string[], limit: number): Promise<ScoredId[]> {
    return this.index.search(terms, limit).map((h) => ({ id: h.chunk.id, score: h.score }));
  }

  async embedItems(path: string, text: string, want: readonly string[]): Promise<EmbedItem[]> {
    const wanted = new Set(want);
    const out: EmbedItem[] = [];
    for (const c of await chunkInSlices(path, text, this.chunkOptions, this.slicer)) {
      const t = embedText(path, c);
      const h = contentHash(t);
      if (wanted.delete(h)) out.push({ hash: h, text: t });
    }
    return out;
  }

  async stats(): Promise<EngineStats> {
    return { terms: this.index.termCount, chunks: this.index.chunkCount, heapBytes: process.memoryUsage().heapUsed, worker: false };
  }

  onFailure(): void { /* an in-thread engine does not stop on its own */ }

  dispose(): void { this.index.clear(); }
}
