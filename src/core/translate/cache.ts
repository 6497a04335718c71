// The translation cache: the same text, target, model, glossary and kind of prompt is sent once.
// Concurrent requests for the same key share one model call.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { isCancel } from '../common/cancel';
import type { GlossaryEntries } from './prompt';
import { languageName } from './types';

/** Bump when a prompt changes, so answers to the old prompt are not reused. */
const PROMPT_VERSION = 1;

export interface CacheKeyParts {
  /** What kind of request produced the value: a text chunk, or one subtitle cue. */
  kind: 'text' | 'cue';
  text: string;
  target: string;
  model?: string;
  glossary?: GlossaryEntries;
  format?: string;
}

export function cacheKey(p: CacheKeyParts): string {
  const parts = [PROMPT_VERSION, p.kind, p.model ?? '', languageName(p.target), p.format ?? '', p.glossary ?? [], p.text];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}

export interface TranslationCacheOptions {
  maxEntries?: number;
  /** Total characters of cached translations. */
  maxChars?: number;
  /** Called after every new entry (a persisted memory schedules a save). */
  onSet?: () => void;
}

export class TranslationCache {
  private readonly lru: LRUCache<string, string>;
  private readonly pending = new Map<string, Promise<{ value: string; store: boolean }>>();

  private readonly onSet?: () => void;

  constructor(o: TranslationCacheOptions = {}) {
    this.onSet = o.onSet;
    this.lru = new LRUCache<string, string>({
      max: o.maxEntries ?? 5000,
      maxSize: o.maxChars ?? 4_000_000,
      sizeCalculation: (v) => Math.max(1, v.length),
    });
  }

  get(key: string): string | undefined { return this.lru.get(key); }
  set(key: string, value: string): void { this.lru.set(key, value); this.onSet?.(); }

  /** Every entry, least recently used first (what a persisted memory writes). */
  entries(): Array<[string, string]> { return [...this.lru.rentries()].map(([k, v]) => [k, v]); }

  /** Adds entries read back from disk (least recently used first), without reporting them as new. */
  load(entries: ReadonlyArray<readonly [string, string]>): void {
    for (const [k, v] of entries) if (typeof k === 'string' && typeof v === 'string' && !this.lru.has(k)) this.lru.set(k, v);
  }
  get size(): number { return this.lru.size; }
  clear(): void { this.lru.clear(); }

  /**
   * The cached value, or compute() once: callers asking for the same key meanwhile share its
   * result. Failures, and values compute() marks `store: false` (a flawed translation), are not kept.
   * `signal` is the caller's own: when the request it shares is cancelled by the caller that started
   * it, a caller whose own signal is still live computes the value itself instead of failing.
   */
  async getOrCompute(key: string, compute: () => Promise<{ value: string; store: boolean }>, signal?: AbortSignal): Promise<{ value: string; hit: boolean }> {
    for (;;) {
      const cached = this.lru.get(key);
      if (cached !== undefined) return { value: cached, hit: true };
      const inFlight = this.pending.get(key);
      if (!inFlight) break;
      try {
        return { value: (await inFlight).value, hit: true };
      } catch (e) {
        // Someone else's cancel is not ours: look again (another waiter may have started a new
        // request meanwhile), else compute below.
        if (!isCancel(e) || signal?.aborted) throw e;
      }
    }
    const p = compute();
    this.pending.set(key, p);
    try {
      const r = await p;
      if (r.store) this.set(key, r.value);
      return { value: r.value, hit: false };
    } finally {
      if (this.pending.get(key) === p) this.pending.delete(key);
    }
  }
}
