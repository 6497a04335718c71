// Streamed text goes to a view in batches: what arrives within one interval (25 ms) is one message
// `{ id, offset, text, thinking }`, where `offset` is where the text starts in the message, so a
// view that missed a batch can tell and ask for the whole state again. Pure; timers injectable.
import { systemTimers, type Timers } from '../common/timing';

export interface Delta {
  id: string;
  /** Characters of the message's text before this batch. */
  offset: number;
  text: string;
  /** Reasoning appended in this batch ('' for none). */
  thinking: string;
}

export class DeltaBatcher {
  private pending: Delta | undefined;
  private timer: unknown;

  constructor(private readonly send: (d: Delta) => void, private readonly intervalMs = 25, private readonly timers: Timers = systemTimers) {}

  /** `text` and `thinking` were appended to message `id`, whose text is now `textLength` long. A
   * batch for another message is sent first. */
  queue(id: string, textLength: number, text: string, thinking: string): void {
    if (this.pending && this.pending.id !== id) this.flush();
    this.pending ??= { id, offset: textLength - text.length, text: '', thinking: '' };
    this.pending.text += text;
    this.pending.thinking += thinking;
    this.timer ??= this.timers.setTimeout(() => { this.timer = undefined; this.flush(); }, this.intervalMs);
  }

  /** Sends what is pending now (nothing when it is empty). */
  flush(): void {
    this.stopTimer();
    const d = this.pending;
    this.pending = undefined;
    if (d && (d.text || d.thinking)) this.send(d);
  }

  /** Forgets what is pending (the view gets the whole state instead). */
  drop(): void {
    this.stopTimer();
    this.pending = undefined;
  }

  private stopTimer(): void {
    if (this.timer !== undefined) { this.timers.clearTimeout(this.timer); this.timer = undefined; }
  }
}
