// Progress of a pull, push or create stream, keyed by layer digest as the protocol asks. What the
// server really sends (server/download.go, upload.go, images.go at Ollama 0.33):
// - layers one after another, each announced only when its transfer starts, so the bytes still to
//   come are unknown until the last layer has begun (a vision model's projector, hundreds of MB, comes
//   after the weights); the new registry client announced every layer first with `completed` 0;
// - a line every ~60 ms per layer, often unchanged; the last one before the next layer may stop
//   short of `total` (the download's ticker is not fired at the end);
// - `total`/`completed` absent (omitempty) early on; a layer already on disk once, completed == total;
// - `completed` going down when a part is retried (push Rollback, download CopyN error);
// - safetensors models as one aggregate `sha256:model` layer; create's quantizing as a layer with
//   digest "0000000000000000000";
// - only `success` means done.
// The bar therefore follows bytes done / bytes known, never goes backwards and stays below 100%
// until `success`: see TransferProgress.

import type { ProgressResponse } from '../ollama/types';

export interface LayerState {
  digest: string;
  /** Bytes of the layer; 0 while the server has not said. */
  total: number;
  /** The furthest the layer has got, in bytes, clamped to [0, total]. */
  completed: number;
}

export interface ProgressSnapshot {
  /** The server's status text (free text: only `success` has a meaning). */
  status: string;
  /** The layer the last line was about, if it had a digest and a size. */
  layer?: LayerState & { percent: number };
  /** Where the bar is, 0–100: never decreasing, below 100 until `success` (see TransferProgress). */
  percent: number;
  /** Bytes done and bytes known over every layer seen so far (`known` grows as layers are announced). */
  bytes: { done: number; known: number };
}

/** The bar's ceiling until `success`: the server still verifies digests and writes the manifest. */
export const BAR_MAX_BEFORE_SUCCESS = 99;
/**
 * Share of the bytes known that the bar keeps back for layers not announced yet. Without it a pull
 * whose weights finish first stands at 99% through the whole vision projector that follows.
 */
export const UNANNOUNCED_SHARE = 0.1;

/**
 * Turns progress lines into what the notification shows.
 *
 * The bar is bytes done / bytes known, scaled to leave UNANNOUNCED_SHARE for layers the server has
 * not announced yet: with every layer known it reads 90% × done / known. When a new layer makes bytes
 * known grow (which would pull a plain ratio back), the bar stays where it is and shares what is left
 * of it among the bytes still to come, the new layer's and the unfinished ones, again keeping a share
 * back; so it never goes backwards, moves for the new layer in proportion to its size, and a
 * 1 KB template layer after a 2 GB model moves it by nothing. Once the transfers are over (a line
 * without a digest after layer lines: "verifying sha256 digest", "writing manifest", "pushing
 * manifest") it stands at 99%, and at 100% on `success` only. Bytes are per layer at their furthest
 * point, so a retried part (push rolls `completed` back) does not move anything back either.
 */
export class TransferProgress {
  private readonly layers = new Map<string, LayerState>();
  private status = '';
  private current: string | undefined;
  private shown = 0;
  /** Where the bar and bytes done stood when bytes known last changed. */
  private anchorShown = 0;
  private anchorDone = 0;
  private known = 0;
  private done = 0;

  /** Take one progress line; returns what to show now. */
  update(p: ProgressResponse): ProgressSnapshot {
    if (typeof p.status === 'string' && p.status) this.status = p.status;
    if (typeof p.digest === 'string' && p.digest) {
      const prev = this.layers.get(p.digest);
      const total = num(p.total) || prev?.total || 0;
      const completed = Math.max(num(p.completed) ?? 0, prev?.completed ?? 0);
      this.layers.set(p.digest, { digest: p.digest, total, completed: total > 0 ? Math.min(completed, total) : completed });
      this.current = p.digest;
      this.recount();
    } else {
      this.current = undefined;
      // Transfers are over: the server verifies, writes the manifest, removes old layers.
      if (this.layers.size > 0 && p.status !== 'success') this.shown = Math.max(this.shown, BAR_MAX_BEFORE_SUCCESS);
    }
    if (p.status === 'success') this.shown = 100;
    return this.snapshot();
  }

  private recount(): void {
    const doneBefore = this.done;
    let known = 0;
    let done = 0;
    for (const l of this.layers.values()) {
      if (l.total <= 0) continue;
      known += l.total;
      done += l.completed;
    }
    if (known !== this.known) {
      // Bytes known changed: from here the rest of the bar is shared among the bytes still to come.
      this.anchorShown = this.shown;
      this.anchorDone = doneBefore;
      this.known = known;
    }
    this.done = done;
    const rest = this.known - this.anchorDone;
    if (rest <= 0) return;
    const room = BAR_MAX_BEFORE_SUCCESS - this.anchorShown;
    const share = rest / (rest + UNANNOUNCED_SHARE * this.known);
    const bar = this.anchorShown + room * share * Math.min(1, Math.max(0, (this.done - this.anchorDone) / rest));
    this.shown = Math.max(this.shown, Math.min(bar, BAR_MAX_BEFORE_SUCCESS));
  }

  snapshot(): ProgressSnapshot {
    const cur = this.current ? this.layers.get(this.current) : undefined;
    return {
      status: this.status,
      percent: this.shown,
      bytes: { done: this.done, known: this.known },
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
