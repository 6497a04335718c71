// Where the user has recently been: the ranges of files they edited and the ranges they looked at,
// a few per file for the last few files (Continue keeps 3 files x 3 ranges; llama.vscode a ring of
// 16 chunks), newest first. The editor adapter notes edits and cursor moves; the completion context
// reads the ranges' current text through a reader when it builds a prompt, so nothing is copied per
// keystroke. Pure: no editor, no clock of its own.

export type RecentKind = 'edited' | 'visited';

export interface RecentEntry {
  uri: string;
  /** The path shown to the model (workspace-relative). */
  path: string;
  kind: RecentKind;
  /** 0-based lines, inclusive. */
  startLine: number;
  endLine: number;
  /** When it was last touched (the tracker's clock). */
  at: number;
}

/** A recent range with its text, as the completion context takes it. */
export interface RecentRange extends RecentEntry {
  text: string;
}

/** The recently edited and viewed ranges of files other than `excludeUri`, newest first. */
export interface RecentRanges {
  recent(excludeUri: string): RecentRange[];
}

export interface RecentTrackerOptions {
  /** Files kept (default 4: the file being typed in is one of them and is never offered). */
  maxFiles?: number;
  /** Ranges kept per file and kind (default 3). */
  perFile?: number;
  /** Lines either side of an edit (default 10) and of a visited line (default 20). */
  editedRadius?: number;
  visitedRadius?: number;
  now?: () => number;
}

/**
 * The ranges themselves. A note inside (or touching) a range of the same file and kind moves that
 * range to the new line and makes it the newest instead of adding one.
 */
export class RecentRangeTracker {
  private entries: RecentEntry[] = [];
  private readonly maxFiles: number;
  private readonly perFile: number;
  private readonly radius: Record<RecentKind, number>;
  private readonly now: () => number;
  private tick = 0;

  constructor(o: RecentTrackerOptions = {}) {
    this.maxFiles = o.maxFiles ?? 4;
    this.perFile = o.perFile ?? 3;
    this.radius = { edited: o.editedRadius ?? 10, visited: o.visitedRadius ?? 20 };
    // A counter breaks ties between notes in the same millisecond.
    this.now = o.now ?? (() => Date.now());
  }

  /** The user edited or looked at `line` of `uri`. `lineCount` bounds the range. */
  note(kind: RecentKind, uri: string, path: string, line: number, lineCount: number): void {
    const r = this.radius[kind];
    const startLine = Math.max(0, line - r);
    const endLine = Math.max(startLine, Math.min(lineCount - 1, line + r));
    const at = Math.max(this.now(), this.tick + 1e-3);
    this.tick = at;
    const same = this.entries.findIndex((e) => e.uri === uri && e.kind === kind && line >= e.startLine - 1 && line <= e.endLine + 1);
    if (same >= 0) this.entries.splice(same, 1);
    this.entries.unshift({ uri, path, kind, startLine, endLine, at });
    this.prune();
  }

  /** The document was closed or deleted: its ranges go. */
  forget(uri: string): void {
    this.entries = this.entries.filter((e) => e.uri !== uri);
  }

  /** Newest first, without `excludeUri`. */
  list(excludeUri?: string): RecentEntry[] {
    return this.entries.filter((e) => e.uri !== excludeUri).map((e) => ({ ...e }));
  }

  /** The ranges with their current text from `read` (undefined: the file is gone, the range is
   * skipped), newest first, without `excludeUri`. */
  ranges(excludeUri: string, read: (uri: string, startLine: number, endLine: number) => string | undefined): RecentRange[] {
    const out: RecentRange[] = [];
    for (const e of this.list(excludeUri)) {
      const text = read(e.uri, e.startLine, e.endLine);
      if (text !== undefined && text.trim() !== '') out.push({ ...e, text });
    }
    return out;
  }

  clear(): void { this.entries = []; }

  private prune(): void {
    const files: string[] = [];
    const perKey = new Map<string, number>();
    this.entries = this.entries.filter((e) => {
      if (!files.includes(e.uri)) {
        if (files.length >= this.maxFiles) return false;
        files.push(e.uri);
      }
      const k = `${e.uri}\u0000${e.kind}`;
      const n = (perKey.get(k) ?? 0) + 1;
      perKey.set(k, n);
      return n <= this.perFile;
    });
  }
}
