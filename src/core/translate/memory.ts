// Translation memory: the translation cache written to disk and read back, so translating an edited
// file in a later session only sends what changed (every piece, chunk or cue is looked up by its
// cache key: text + model + target + glossary + format). The file is plain JSON
// `{"version": 1, "entries": [[key, translation], ...]}`, least recently used first; it is our own
// file but read defensively (a damaged or foreign file is ignored, never trusted for more than
// string pairs), and bounded by the cache's own limits (TranslationCache maxEntries / maxChars).
import type { TranslationCache } from './cache';

export const MEMORY_VERSION = 1;

export interface MemoryFile {
  version: typeof MEMORY_VERSION;
  entries: Array<[string, string]>;
}

/** The cache's entries as the file's text. */
export function serializeMemory(cache: TranslationCache): string {
  const file: MemoryFile = { version: MEMORY_VERSION, entries: cache.entries() };
  return JSON.stringify(file);
}

/**
 * The entries of a memory file's text: only `[string, string]` pairs of a version-1 file are kept.
 * Returns [] for anything else (damaged, empty, another version); never throws.
 */
export function parseMemory(text: string): Array<[string, string]> {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return []; }
  if (!v || typeof v !== 'object' || (v as { version?: unknown }).version !== MEMORY_VERSION) return [];
  const entries = (v as { entries?: unknown }).entries;
  if (!Array.isArray(entries)) return [];
  return entries.filter((e): e is [string, string] => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string');
}
