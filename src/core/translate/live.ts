// What a side-by-side preview shows while a document job streams: finished chunks, and the partial
// answer of the chunks still running. A streamed token only records the answer so far (O(1)); the
// text is built by render(), which the preview calls once per refresh, not once per token.
import { stripChatter } from './chatter';
import { joinChunks } from './chunk';
import type { DocumentJob } from './document';
import { protect, restore } from './protect';
import type { TranslateRequest } from './types';

export class LiveDocumentView {
  private readonly byUser = new Map<string, { indices: number[]; spans: string[] }>();
  /** User message -> the raw answer so far. */
  private readonly partial = new Map<string, string>();
  private closed = false;

  constructor(private readonly job: DocumentJob) {
    job.chunks.forEach((c, i) => {
      if (!c.translate) return;
      const p = protect(c.body);
      const e = this.byUser.get(p.text) ?? { indices: [], spans: p.spans };
      e.indices.push(i);
      this.byUser.set(p.text, e);
    });
  }

  /** Records a partial answer; false when it is not one of this job's requests, or after close(). */
  onText(req: TranslateRequest, soFar: string): boolean {
    if (this.closed || !this.byUser.has(req.user)) return false;
    this.partial.set(req.user, soFar);
    return true;
  }

  /** Late tokens (a request still winding down after a cancel) are ignored from now on. */
  close(): void { this.closed = true; }

  /** The document as far as it got: done chunks, partial answers, '' for chunks not started. */
  render(): string {
    const shown = new Map<number, string>();
    for (const [user, soFar] of this.partial) {
      const e = this.byUser.get(user)!;
      const text = restore(stripChatter(soFar, user), e.spans).text;
      for (const i of e.indices) shown.set(i, text);
    }
    return joinChunks(this.job.chunks, this.job.chunks.map((c, i) => this.job.translation(i) ?? shown.get(i) ?? (c.translate ? '' : undefined)));
  }
}
