// Completions already shown, keyed by (model, the prefix window's tail, the suffix window's head), so
// that returning to a spot or typing through ghost text costs no request. Type-through: when the
// text typed since a cached completion is the start of that completion, the rest is served.
import { LRUCache } from 'lru-cache';

export interface CompletionCacheOptions {
  /** Entries kept (default 200). */
  max?: number;
  /** Characters of the prefix tail in the key (default 1000). */
  prefixKeyChars?: number;
  /** Characters of the suffix head in the key (default 200). */
  suffixKeyChars?: number;
  /** Longest typed-through text looked back over (default 256). */
  maxTypeThrough?: number;
}

export interface CacheHit {
  /** What to show now. */
  completion: string;
  /** Characters of the cached completion the user had already typed (0 = exact hit). */
  typed: number;
}

export class CompletionCache {
  private readonly lru: LRUCache<string, string>;
  private readonly prefixKeyChars: number;
  private readonly suffixKeyChars: number;
  private readonly maxTypeThrough: number;
  /** Longest completion stored since the last clear: no typed-through text can be longer, so the
   * lookback on every keystroke stops there instead of at maxTypeThrough. */
  private longest = 0;

  constructor(opts: CompletionCacheOptions = {}) {
    this.lru = new LRUCache<string, string>({ max: opts.max ?? 200 });
    this.prefixKeyChars = opts.prefixKeyChars ?? 1000;
    this.suffixKeyChars = opts.suffixKeyChars ?? 200;
    this.maxTypeThrough = opts.maxTypeThrough ?? 256;
  }

  get size(): number { return this.lru.size; }

  set(model: string, prefix: string, suffix: string, completion: string): void {
    if (completion === '') return;
    this.longest = Math.max(this.longest, completion.length);
    this.lru.set(this.key(model, prefix, prefix.length, suffix), completion);
  }

  /** An exact hit, else the remainder of a completion whose first characters were typed since. */
  get(model: string, prefix: string, suffix: string): CacheHit | undefined {
    if (this.lru.size === 0) return undefined;
    const limit = Math.min(this.maxTypeThrough, prefix.length, this.longest - 1);
    for (let k = 0; k <= limit; k++) {
      const key = this.key(model, prefix, prefix.length - k, suffix);
      const c = this.lru.peek(key);
      if (c === undefined) continue;
      // The typed text must be a strict start of the completion; typing all of it leaves nothing.
      if (k > 0 && !(c.length > k && prefix.endsWith(c.slice(0, k)))) continue;
      this.lru.get(key); // a hit counts as a use
      return { completion: c.slice(k), typed: k };
    }
    return undefined;
  }

  clear(): void { this.lru.clear(); this.longest = 0; }

  /** Key of the prefix as it was when it ended at `end`. */
  private key(model: string, prefix: string, end: number, suffix: string): string {
    return `${model}\u0000${prefix.slice(Math.max(0, end - this.prefixKeyChars), end)}\u0000${suffix.slice(0, this.suffixKeyChars)}`;
  }
}
