// The keyword index of a workspace's chunks: MiniSearch (BM25+: k1 1.2, b 0.7, delta 0.5; per-field
// length normalisation) over three fields per chunk: its file's path (boost 2), the names it
// declares (boost 3) and its text, all tokenised as code (tokenize.ts). Files are added and removed
// whole (a changed file: its old chunks are discarded, MiniSearch vacuums them in the background);
// the chunk's text is not kept here (the snippet is read again when a hit is used), so memory stays
// at the index's own size. Pure.
import MiniSearch from 'minisearch';
import type { Chunk } from './chunk';
import { ChunkTable } from './chunkTable';
import { codeTerms } from './tokenize';

/** What is known of an indexed chunk. */
export interface ChunkMeta {
  id: number;
  /** The file's key (its URI, or any id the source gives). */
  file: string;
  startLine: number;
  endLine: number;
  /** Estimated tokens of its text. */
  tokens: number;
  /** Hash of the text an embedding of this chunk is made from (see WorkspaceIndex). */
  hash: string;
}

interface Doc { id: number; path: string; symbols: string; text: string }

export interface KeywordHit { chunk: ChunkMeta; score: number }

export const FIELD_BOOST = { path: 2, symbols: 3, text: 1 } as const;

export class KeywordIndex {
  private readonly ms: MiniSearch<Doc>;
  private readonly table = new ChunkTable();
  private nextId = 1;

  constructor() {
    this.ms = new MiniSearch<Doc>({
      fields: ['path', 'symbols', 'text'],
      idField: 'id',
      // Terms come out of codeTerms already lowercased; the query is terms joined by spaces.
      tokenize: (text) => codeTerms(text),
      processTerm: (term) => term,
      searchOptions: { tokenize: (q) => q.split(' ').filter(Boolean), processTerm: (t) => t },
    });
  }

  /** Indexed files. */
  get fileCount(): number { return this.table.fileCount; }
  /** Indexed chunks. */
  get chunkCount(): number { return this.table.chunkCount; }
  /** Characters of indexed text. */
  get textChars(): number { return this.table.textChars; }
  /** Distinct terms in the index. */
  get termCount(): number { return this.ms.termCount; }

  has(file: string): boolean { return this.table.has(file); }
  /** The display path of an indexed file. */
  pathOf(file: string): string | undefined { return this.table.pathOf(file); }
  fileKeys(): IterableIterator<string> { return this.table.fileKeys(); }
  chunk(id: number): ChunkMeta | undefined { return this.table.chunk(id); }
  allChunks(): IterableIterator<ChunkMeta> { return this.table.allChunks(); }
  chunksOf(file: string): ChunkMeta[] { return this.table.chunksOf(file); }

  /**
   * Indexes `chunks` of `file` (replacing what the file had). `hashes[i]` is chunk i's embedding
   * key. Returns the chunks' records.
   */
  setFile(file: string, path: string, chunks: readonly Chunk[], hashes: readonly string[], tokens: readonly number[]): ChunkMeta[] {
    const r = this.prepare(file, path, chunks, hashes, tokens);
    this.ms.addAll(r.docs);
    return r.metas;
  }

  /** setFile, adding the chunks to the index `batch` at a time with `pause()` between batches (a
   * large file has thousands). The file's chunks match only once all are added. */
  async setFileInSlices(file: string, path: string, chunks: readonly Chunk[], hashes: readonly string[], tokens: readonly number[], pause: () => Promise<void>, batch = 32): Promise<ChunkMeta[]> {
    if (chunks.length <= batch) return this.setFile(file, path, chunks, hashes, tokens);
    const r = this.prepare(file, path, chunks, hashes, tokens);
    for (let i = 0; i < r.docs.length; i += batch) {
      this.ms.addAll(r.docs.slice(i, i + batch));
      await pause();
    }
    return r.metas;
  }

  private prepare(file: string, path: string, chunks: readonly Chunk[], hashes: readonly string[], tokens: readonly number[]): { metas: ChunkMeta[]; docs: Doc[] } {
    this.removeFile(file);
    const metas: ChunkMeta[] = [];
    const docs: Doc[] = [];
    let chars = 0;
    chunks.forEach((c, i) => {
      const id = this.nextId++;
      metas.push({ id, file, startLine: c.startLine, endLine: c.endLine, tokens: tokens[i] ?? 0, hash: hashes[i] ?? '' });
      docs.push({ id, path, symbols: c.symbols.join(' '), text: c.text });
      chars += c.text.length;
    });
    this.table.set(file, path, metas, chars);
    return { metas, docs };
  }

  /** Forgets a file (its chunks stop matching at once). */
  removeFile(file: string): boolean {
    const metas = this.table.chunksOf(file);
    if (!this.table.remove(file)) return false;
    for (const m of metas) this.ms.discard(m.id);
    return true;
  }

  clear(): void {
    this.ms.removeAll();
    this.table.clear();
  }

  /**
   * The chunks matching any of `terms` (already query terms: lowercased, no stop words), best
   * BM25+ score first, at most `limit`. A term of 4+ characters also matches as a prefix
   * ("week" finds "weeks", "weekday") at a lower weight; no fuzzy matching (slow, and it turns
   * identifiers into their neighbours).
   */
  search(terms: readonly string[], limit: number): KeywordHit[] {
    if (!terms.length || !this.table.chunkCount) return [];
    const results = this.ms.search(terms.join(' '), {
      boost: { ...FIELD_BOOST },
      prefix: (t) => t.length >= 4,
      fuzzy: false,
      combineWith: 'OR',
      weights: { fuzzy: 0.45, prefix: 0.375 },
    });
    const out: KeywordHit[] = [];
    for (const r of results) {
      const chunk = this.table.chunk(r.id as number);
      if (!chunk) continue;
      out.push({ chunk, score: r.score });
      if (out.length >= limit) break;
    }
    return out;
  }
}
