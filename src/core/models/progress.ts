// Progress of a pull, push or create stream, keyed by layer digest as the protocol asks: layers come
// one after another, repeat every ~60 ms, may lack `total`/`completed` early on, and a layer already
// on disk arrives once as complete. The editor shows the current layer's percentage and moves one
// overall bar that never goes backwards, at most every few hundred milliseconds.

import type { ProgressResponse } from '../ollama/types';

export interface LayerState {
  digest: string;
  total: number;
  completed: number;
}

export interface ProgressSnapshot {
  /** The server's status text (free text: only `success` has a meaning). */
  status: string;
  /** The layer the last line was about, if it had a digest and a size. */
  layer?: LayerState & { percent: number };
  /** Bytes done over bytes known across all layers, 0–100, never decreasing. */
  percent: number;
}

export class TransferProgress {
  private readonly layers = new Map<string, LayerState>();
  private status = '';
  private current: string | undefined;
  private best = 0;

  /** Take one progress line; returns what to show now. */
  update(p: ProgressResponse): ProgressSnapshot {
    if (typeof p.status === 'string' && p.status) this.status = p.status;
    if (typeof p.digest === 'string' && p.digest) {
      const prev = this.layers.get(p.digest);
      const total = num(p.total) ?? prev?.total ?? 0;
      // A line without `completed` (omitempty) means 0 only if nothing was reported before.
      const completed = Math.min(num(p.completed) ?? prev?.completed ?? 0, total || Infinity);
      this.layers.set(p.digest, { digest: p.digest, total, completed: Math.max(completed, prev?.completed ?? 0) });
      this.current = p.digest;
    } else {
      this.current = undefined;
    }
    if (p.status === 'success') this.best = 100;
    return this.snapshot();
  }

  snapshot(): ProgressSnapshot {
    let total = 0;
    let done = 0;
    for (const l of this.layers.values()) {
      total += l.total;
      done += l.completed;
    }
    if (total > 0) this.best = Math.max(this.best, Math.min(100, (done / total) * 100));
    const cur = this.current ? this.layers.get(this.current) : undefined;
    return {
      status: this.status,
      percent: this.best,
      ...(cur && cur.total > 0 ? { layer: { ...cur, percent: Math.min(100, (cur.completed / cur.total) * 100) } } : {}),
    };
  }

  layer(digest: string): LayerState | undefined {
    const l = this.layers.get(digest);
    return l ? { ...l } : undefined;
  }
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/**
 * Lets an update through when `intervalMs` passed since the last one, or when it says something new
 * (another status or layer): a pull sends ~16 lines a second per layer and a notification needs far
 * fewer. `now` is injectable for tests.
 */
export class Throttle {
  private last = -Infinity;
  private lastKey: string | undefined;

  constructor(private readonly intervalMs: number, private readonly now: () => number = () => Date.now()) {}

  shouldEmit(key: string): boolean {
    const t = this.now();
    if (key !== this.lastKey || t - this.last >= this.intervalMs) {
      this.last = t;
      this.lastKey = key;
      return true;
    }
    return false;
  }
}

/** Overall share (0–1) of a multi-file upload: each file is read twice, to hash it and to send it. */
export function uploadFraction(p: { phase: string; index: number; count: number; completed: number; total: number }): number {
  if (p.count <= 0) return 1;
  const part = p.total > 0 ? Math.min(1, p.completed / p.total) : 0;
  let within: number;
  switch (p.phase) {
    case 'hashing': within = part / 2; break;
    case 'checking': within = 0.5; break;
    case 'uploading': within = 0.5 + part / 2; break;
    default: within = 1;
  }
  return Math.min(1, (p.index + within) / p.count);
}
