// Which chunks each indexed file has (ids, lines, tokens, embedding keys), without their text. Pure.
import type { ChunkMeta } from './keywordIndex';

/** Chunk records by id and by file (no text): the keyword index's own bookkeeping, and the
 * extension host's copy of what the worker's index holds. */
export class ChunkTable {
  private readonly chunks = new Map<number, ChunkMeta>();
  private readonly files = new Map<string, { path: string; ids: number[]; chars: number }>();
  private chars = 0;
  /** Distinct terms in the engine's index (as of its last answer). */
  termCount = 0;

  get fileCount(): number { return this.files.size; }
  get chunkCount(): number { return this.chunks.size; }
  get textChars(): number { return this.chars; }
  has(file: string): boolean { return this.files.has(file); }
  pathOf(file: string): string | undefined { return this.files.get(file)?.path; }
  fileKeys(): IterableIterator<string> { return this.files.keys(); }
  chunk(id: number): ChunkMeta | undefined { return this.chunks.get(id); }
  allChunks(): IterableIterator<ChunkMeta> { return this.chunks.values(); }
  chunksOf(file: string): ChunkMeta[] { return (this.files.get(file)?.ids ?? []).map((id) => this.chunks.get(id)!); }

  /** Sets `file`'s chunks (replacing what it had). */
  set(file: string, path: string, metas: readonly ChunkMeta[], chars: number): void {
    this.remove(file);
    for (const m of metas) this.chunks.set(m.id, m);
    this.files.set(file, { path, ids: metas.map((m) => m.id), chars });
    this.chars += chars;
  }

  /** Forgets `file`; false when it had no entry. */
  remove(file: string): boolean {
    const e = this.files.get(file);
    if (!e) return false;
    for (const id of e.ids) this.chunks.delete(id);
    this.files.delete(file);
    this.chars -= e.chars;
    return true;
  }

  clear(): void {
    this.chunks.clear();
    this.files.clear();
    this.chars = 0;
    this.termCount = 0;
  }
}
