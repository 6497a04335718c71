// Read-only preview documents for side-by-side translations. They are virtual documents (a
// content provider), so closing one never asks to save, and the user's text is never touched. The
// text is updated as the model streams, throttled: one editor refresh per interval at most.
import * as vscode from 'vscode';

export const PREVIEW_SCHEME = 'ollama-translation';

const THROTTLE_MS = 100;
/** Previews whose text is kept (a closed preview can be reopened from history). */
const KEEP = 50;

interface Entry {
  text: string;
  lastFire: number;
  timer?: ReturnType<typeof setTimeout>;
  /** Set by invalidate(): builds the new text, once, when the throttle interval ends. */
  build?: () => string;
}

export class TranslationPreviews implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private counter = 0;

  /** A new preview document named like the file it comes from (notes.zh-CN.md). */
  create(fileName: string, text = ''): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `/${++this.counter}/${fileName}` });
    this.entries.set(uri.toString(), { text, lastFire: 0 });
    while (this.entries.size > KEEP) {
      const [oldest, e] = this.entries.entries().next().value as [string, Entry];
      if (e.timer) clearTimeout(e.timer);
      this.entries.delete(oldest);
    }
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.entries.get(uri.toString())?.text ?? '';
  }

  text(uri: vscode.Uri): string | undefined {
    return this.entries.get(uri.toString())?.text;
  }

  /** Sets the text; the editor refreshes now, or at the end of the throttle interval. */
  update(uri: vscode.Uri, text: string, now = false): void {
    const e = this.entries.get(uri.toString());
    if (!e) return;
    e.build = undefined;
    if (e.text === text && !now) return;
    e.text = text;
    const wait = THROTTLE_MS - (Date.now() - e.lastFire);
    if (now || wait <= 0) { this.fire(uri, e); return; }
    e.timer ??= setTimeout(() => this.fire(uri, e), wait);
  }

  /**
   * Marks the text stale: `build` runs once when the throttle interval ends, however often this is
   * called meanwhile (once per streamed token), so a long text is not rebuilt for every token.
   */
  invalidate(uri: vscode.Uri, build: () => string): void {
    const e = this.entries.get(uri.toString());
    if (!e) return;
    e.build = build;
    e.timer ??= setTimeout(() => this.fire(uri, e), Math.max(0, THROTTLE_MS - (Date.now() - e.lastFire)));
  }

  private fire(uri: vscode.Uri, e: Entry): void {
    if (e.timer) { clearTimeout(e.timer); e.timer = undefined; }
    if (e.build) {
      const build = e.build;
      e.build = undefined;
      const text = build();
      if (text === e.text) return;
      e.text = text;
    }
    e.lastFire = Date.now();
    this.emitter.fire(uri);
  }

  dispose(): void {
    for (const e of this.entries.values()) if (e.timer) clearTimeout(e.timer);
    this.entries.clear();
    this.emitter.dispose();
  }
}
