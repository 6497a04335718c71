// Chat history on disk: one JSON file per session under <dir>/sessions/, and <dir>/index.json with
// the session list and the current session. Every write goes to a temporary file that is then
// renamed over the old one, so a crash or a killed host leaves either the old or the new file,
// never half of one. Reading is forgiving: a missing or damaged index is rebuilt from the session
// files, damaged session files are skipped, and an answer that was still streaming when the file
// was written reads back as `interrupted`.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import {
  markInterrupted,
  summarize,
  type AnswerStats,
  type ChatErrorInfo,
  type ChatMessage,
  type ChatSession,
  type ContextAttachment,
  type ImageAttachment,
  type MessageState,
  type SessionSummary,
} from './conversation';

export const HISTORY_VERSION = 1;

export interface HistoryIndex {
  currentId?: string;
  sessions: SessionSummary[];
}

interface SessionFile extends ChatSession { version: number }
interface IndexFile extends HistoryIndex { version: number }

// ---- serialization (pure) ------------------------------------------------------------------------

export function serializeSession(s: ChatSession): string {
  const file: SessionFile = { version: HISTORY_VERSION, ...s };
  return JSON.stringify(file);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const STATES: MessageState[] = ['done', 'streaming', 'interrupted', 'stopped', 'error'];
const ERROR_KINDS: ChatErrorInfo['kind'][] = ['unreachable', 'modelMissing', 'midStream', 'other'];

function parseMessage(v: unknown): ChatMessage | undefined {
  if (!isObj(v)) return undefined;
  const id = str(v.id);
  const role = v.role === 'user' || v.role === 'assistant' ? v.role : undefined;
  const text = str(v.text);
  if (!id || !role || text === undefined) return undefined;
  const m: ChatMessage = { id, role, text, createdAt: num(v.createdAt) ?? 0 };
  if (STATES.includes(v.state as MessageState)) m.state = v.state as MessageState;
  const model = str(v.model);
  if (model) m.model = model;
  const thinking = str(v.thinking);
  if (thinking) m.thinking = thinking;
  if (Array.isArray(v.context)) {
    const ctx = v.context.filter((a): a is ContextAttachment => isObj(a) && (a.kind === 'selection' || a.kind === 'file')
      && typeof a.path === 'string' && typeof a.language === 'string' && typeof a.text === 'string');
    if (ctx.length) m.context = ctx;
  }
  if (Array.isArray(v.images)) {
    const imgs = v.images.filter((i): i is ImageAttachment => isObj(i) && typeof i.name === 'string' && typeof i.mime === 'string' && typeof i.data === 'string');
    if (imgs.length) m.images = imgs;
  }
  if (isObj(v.error) && typeof v.error.message === 'string') {
    const kind = ERROR_KINDS.includes(v.error.kind as ChatErrorInfo['kind']) ? (v.error.kind as ChatErrorInfo['kind']) : 'other';
    m.error = { kind, message: v.error.message, ...(str(v.error.model) ? { model: str(v.error.model) } : {}), ...(str(v.error.url) ? { url: str(v.error.url) } : {}) };
  }
  if (isObj(v.stats)) {
    const st: AnswerStats = {};
    for (const k of ['tokensPerSecond', 'ttftMs', 'loadMs', 'promptMs', 'promptTokens', 'outputTokens', 'totalMs', 'trimmedMessages'] as const) {
      const n = num(v.stats[k]);
      if (n !== undefined) st[k] = n;
    }
    const dr = str(v.stats.doneReason);
    if (dr) st.doneReason = dr;
    m.stats = st;
  }
  return m;
}

/** Parses a session file; undefined when it is not one. Streaming answers become `interrupted`. */
export function parseSession(json: string): ChatSession | undefined {
  let v: unknown;
  try { v = JSON.parse(json); } catch { return undefined; }
  if (!isObj(v) || typeof v.id !== 'string' || !Array.isArray(v.messages)) return undefined;
  const messages = v.messages.map(parseMessage).filter((m): m is ChatMessage => !!m);
  const s: ChatSession = {
    id: v.id,
    title: str(v.title) ?? '',
    createdAt: num(v.createdAt) ?? 0,
    updatedAt: num(v.updatedAt) ?? num(v.createdAt) ?? 0,
    messages,
  };
  markInterrupted(s);
  return s;
}

export function serializeIndex(i: HistoryIndex): string {
  const file: IndexFile = { version: HISTORY_VERSION, ...i };
  return JSON.stringify(file, null, 1);
}

export function parseIndex(json: string): HistoryIndex | undefined {
  let v: unknown;
  try { v = JSON.parse(json); } catch { return undefined; }
  if (!isObj(v) || !Array.isArray(v.sessions)) return undefined;
  const sessions = v.sessions.filter((x): x is SessionSummary => isObj(x) && typeof x.id === 'string' && SESSION_ID.test(x.id))
    .map((x) => ({ id: x.id, title: str(x.title) ?? '', createdAt: num(x.createdAt) ?? 0, updatedAt: num(x.updatedAt) ?? 0, messageCount: num(x.messageCount) ?? 0 }));
  return { ...(str(v.currentId) ? { currentId: v.currentId as string } : {}), sessions };
}

/** Session ids become file names: only these characters are accepted. */
const SESSION_ID = /^[A-Za-z0-9-]{1,64}$/;

// ---- the store -----------------------------------------------------------------------------------

let tmpCounter = 0;
function tmpName(file: string): string {
  tmpCounter = (tmpCounter + 1) % 1e9;
  return `${file}.${process.pid}.${tmpCounter}.tmp`;
}

/** Writes `data` to `file` atomically: a temporary file in the same directory, then a rename. */
export async function writeFileAtomic(file: string, data: string, cancelled: () => boolean = () => false): Promise<void> {
  const tmp = tmpName(file);
  try {
    await fsp.writeFile(tmp, data, 'utf8');
    if (cancelled()) { await fsp.rm(tmp, { force: true }); return; }
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

export function writeFileAtomicSync(file: string, data: string): void {
  const tmp = tmpName(file);
  try {
    fs.writeFileSync(tmp, data, 'utf8');
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.rmSync(tmp, { force: true }); } catch { /* ignore */ }
    throw e;
  }
}

export class HistoryStore {
  private readonly sessionsDir: string;
  private readonly indexFile: string;
  /** Writes to one file happen one after another, in the order they were asked for. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Set by the final synchronous save: queued asynchronous writes (older data) are dropped. */
  private closed = false;

  constructor(readonly dir: string) {
    this.sessionsDir = path.join(dir, 'sessions');
    this.indexFile = path.join(dir, 'index.json');
  }

  private sessionFile(id: string): string {
    if (!SESSION_ID.test(id)) throw new Error(`invalid session id ${JSON.stringify(id)}`);
    return path.join(this.sessionsDir, `${id}.json`);
  }

  private enqueue(file: string, job: () => Promise<void>): Promise<void> {
    const prev = this.queues.get(file) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => (this.closed ? undefined : job()));
    this.queues.set(file, next);
    void next.finally(() => { if (this.queues.get(file) === next) this.queues.delete(file); }).catch(() => undefined);
    return next;
  }

  /** Waits for every queued write. */
  async idle(): Promise<void> {
    while (this.queues.size) await Promise.allSettled([...this.queues.values()]);
  }

  /** The session list, newest first. Sessions whose files exist but are missing from the index (a
   * damaged index, another window) are added back; entries without a file are dropped. */
  async loadIndex(): Promise<HistoryIndex> {
    let index: HistoryIndex | undefined;
    try { index = parseIndex(await fsp.readFile(this.indexFile, 'utf8')); } catch { index = undefined; }
    let files: string[] = [];
    try { files = (await fsp.readdir(this.sessionsDir)).filter((f) => f.endsWith('.json')); } catch { files = []; }
    const onDisk = new Set(files.map((f) => f.slice(0, -5)).filter((id) => SESSION_ID.test(id)));
    const sessions = (index?.sessions ?? []).filter((s) => onDisk.has(s.id));
    const known = new Set(sessions.map((s) => s.id));
    for (const id of onDisk) {
      if (known.has(id)) continue;
      const s = await this.readSession(id);
      if (s) sessions.push(summarize(s));
    }
    sessions.sort((a, b) => b.updatedAt - a.updatedAt);
    const currentId = index?.currentId && onDisk.has(index.currentId) ? index.currentId : undefined;
    return { ...(currentId ? { currentId } : {}), sessions };
  }

  async readSession(id: string): Promise<ChatSession | undefined> {
    try { return parseSession(await fsp.readFile(this.sessionFile(id), 'utf8')); } catch { return undefined; }
  }

  writeSession(s: ChatSession): Promise<void> {
    const file = this.sessionFile(s.id);
    const data = serializeSession(s);
    return this.enqueue(file, async () => {
      await fsp.mkdir(this.sessionsDir, { recursive: true });
      await writeFileAtomic(file, data, () => this.closed);
    });
  }

  /** For the last save when the extension host shuts down: asynchronous work may never finish then. */
  writeSessionSync(s: ChatSession): void {
    if (this.closed) return;
    fs.mkdirSync(this.sessionsDir, { recursive: true });
    writeFileAtomicSync(this.sessionFile(s.id), serializeSession(s));
  }

  writeIndex(i: HistoryIndex): Promise<void> {
    const data = serializeIndex(i);
    return this.enqueue(this.indexFile, async () => {
      await fsp.mkdir(this.dir, { recursive: true });
      await writeFileAtomic(this.indexFile, data, () => this.closed);
    });
  }

  writeIndexSync(i: HistoryIndex): void {
    if (this.closed) return;
    fs.mkdirSync(this.dir, { recursive: true });
    writeFileAtomicSync(this.indexFile, serializeIndex(i));
  }

  /** After the final synchronous writes: nothing queued before may overwrite them. */
  close(): void { this.closed = true; }

  deleteSession(id: string): Promise<void> {
    const file = this.sessionFile(id);
    return this.enqueue(file, () => fsp.rm(file, { force: true }));
  }
}
