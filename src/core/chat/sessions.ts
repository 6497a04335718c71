// The chat's sessions as the extension keeps them: the current session, the index (newest first,
// pruned to the maximum), loading on first use, saves throttled while an answer streams, deleted
// sessions never written back, and a final synchronous flush when the host shuts down. Any chat
// surface (the sidebar view, VS Code's own chat) can keep its sessions here. Pure of `vscode`; the
// files are HistoryStore's business.
import { systemTimers, Throttle, type ClockTimers } from '../common/timing';
import { newSession, summarize, type ChatSession, type SessionSummary } from './conversation';
import type { HistoryIndex, HistoryStore } from './history';

const SAVE_INTERVAL_MS = 500;

export interface SessionsLog {
  error(message: string): void;
}

export interface ChatSessionsOptions {
  /** How many sessions the index keeps (the oldest are deleted beyond it); read at every save. */
  maxSessions: () => number;
  log: SessionsLog;
  /** Saves of a session that changes (streaming) at most this often (default 500 ms). */
  saveIntervalMs?: number;
  timers?: ClockTimers;
}

/**
 * The index as it is with `current` at its place: every other entry kept, `current` (unless it is
 * empty or deleted) summarised anew, newest first. The one rule for the index, used by every save
 * and by the final flush.
 */
export function indexWith(sessions: readonly SessionSummary[], current: ChatSession, deleted: ReadonlySet<string>): SessionSummary[] {
  const list = sessions.filter((x) => x.id !== current.id);
  if (current.messages.length && !deleted.has(current.id)) list.unshift(summarize(current));
  return list.sort((a, b) => b.updatedAt - a.updatedAt);
}

export class ChatSessions {
  private idx: HistoryIndex = { sessions: [] };
  private cur: ChatSession = newSession();
  private loading: Promise<void> | undefined;
  private readonly dirty = new Set<ChatSession>();
  private readonly saver: Throttle;
  /** Sessions deleted while something (an answer, a queued save) still holds them: never written again. */
  private readonly deleted = new Set<string>();
  private disposed = false;

  constructor(private readonly store: HistoryStore, private readonly o: ChatSessionsOptions) {
    this.saver = new Throttle(o.saveIntervalMs ?? SAVE_INTERVAL_MS, () => this.writeDirty(), o.timers ?? systemTimers);
  }

  /** The session the chat shows. */
  get current(): ChatSession { return this.cur; }
  /** The session list, newest first. */
  get index(): HistoryIndex { return this.idx; }

  /** Resolves once the history is read (on first use, never at activation). Never rejects: a
   * history that cannot be read is logged and the chat starts empty. */
  whenLoaded(): Promise<void> { return (this.loading ??= this.load()); }

  private async load(): Promise<void> {
    try {
      this.idx = await this.store.loadIndex();
      const id = this.idx.currentId ?? this.idx.sessions[0]?.id;
      const s = id ? await this.store.readSession(id) : undefined;
      if (s) this.cur = s;
    } catch (e) {
      this.o.log.error(`chat history could not be read from ${this.store.dir}: ${(e as Error).message}`);
    }
  }

  /** `s` changed: write it soon (`now`: at once). */
  markDirty(s: ChatSession, now = false): void {
    if (this.disposed || this.deleted.has(s.id)) return;
    this.dirty.add(s);
    this.saver.schedule();
    if (now) this.saver.flush();
  }

  private writeDirty(): void {
    for (const s of this.dirty) {
      if (!s.messages.length || this.deleted.has(s.id)) continue;
      this.store.writeSession(s).catch((e: unknown) => this.o.log.error(`chat history write failed: ${(e as Error).message}`));
    }
    this.dirty.clear();
  }

  /** `s` was updated now: written at once, and the index too when it is the current session. */
  touch(s: ChatSession): void {
    if (this.deleted.has(s.id)) return;
    s.updatedAt = Date.now();
    this.markDirty(s, true);
    if (s === this.cur) this.saveIndex();
  }

  /** Puts the current session at the top of the index, prunes it to the maximum, writes it. */
  saveIndex(): void {
    if (this.disposed) return;
    const list = indexWith(this.idx.sessions, this.cur, this.deleted);
    const max = Math.max(1, this.o.maxSessions());
    while (list.length > max) {
      const victim = list.pop()!;
      void this.store.deleteSession(victim.id).catch(() => undefined);
    }
    this.idx = { currentId: this.cur.id, sessions: list };
    this.store.writeIndex(this.idx).catch((e: unknown) => this.o.log.error(`chat index write failed: ${(e as Error).message}`));
  }

  /** A new empty session becomes current (the old one, when it has messages, is saved first).
   * False when the current one was empty already. */
  startNew(): boolean {
    if (!this.cur.messages.length) return false;
    this.touch(this.cur);
    this.cur = newSession();
    this.saveIndex();
    return true;
  }

  /** Makes session `id` current (`leaving` is called just before, when it can be read). False when
   * it cannot be read. */
  async switchTo(id: string, leaving?: () => void): Promise<boolean> {
    if (id === this.cur.id) return true;
    const s = await this.store.readSession(id);
    if (!s) return false;
    leaving?.();
    this.cur = s;
    this.saveIndex();
    return true;
  }

  /** Empties the current session; it leaves the history (rather than staying as an empty file). */
  clearCurrent(): void {
    this.cur.messages = [];
    this.cur.title = '';
    void this.store.deleteSession(this.cur.id).catch(() => undefined);
    this.saveIndex();
  }

  /** Deletes session `id`: an answer still streaming into it (or a save already scheduled) will not
   * write it back. When it was current, `leaving` is called and the newest other session (or a new
   * one) becomes current; resolves true then. */
  async delete(id: string, leaving?: () => void): Promise<boolean> {
    this.deleted.add(id);
    this.dirty.forEach((s) => { if (s.id === id) this.dirty.delete(s); });
    this.idx = { ...this.idx, sessions: this.idx.sessions.filter((x) => x.id !== id) };
    await this.store.deleteSession(id).catch(() => undefined);
    const wasCurrent = id === this.cur.id;
    if (wasCurrent) {
      leaving?.();
      const next = this.idx.sessions[0] ? await this.store.readSession(this.idx.sessions[0].id) : undefined;
      this.cur = next ?? newSession();
    }
    this.saveIndex();
    return wasCurrent;
  }

  /** Waits for every save (scheduled ones are started first). */
  async idle(): Promise<void> {
    if (this.dirty.size) { this.saver.schedule(); this.saver.flush(); }
    await this.store.idle();
  }

  /**
   * The last save, synchronously (the host may not wait for anything asynchronous), of what changed
   * and of `alsoWrite` (an answer still streaming is written as such and reads back as
   * interrupted); then nothing is written any more. Throws what the disk throws.
   */
  flushSync(alsoWrite: readonly ChatSession[] = []): void {
    if (this.disposed) return;
    this.disposed = true;
    this.saver.cancel();
    try {
      for (const s of new Set([...this.dirty, ...alsoWrite])) if (s.messages.length && !this.deleted.has(s.id)) this.store.writeSessionSync(s);
      if (this.cur.messages.length || this.idx.sessions.length) {
        this.store.writeIndexSync({ currentId: this.cur.id, sessions: indexWith(this.idx.sessions, this.cur, this.deleted) });
      }
    } finally {
      this.store.close();
    }
  }
}
