// Chat history on disk: one JSON file per session under <dir>/sessions/, and <dir>/index.json with
// the session list and the current session. Every write goes to a temporary file that is then
// renamed over the old one, so a crash or a killed host leaves either the old or the new file,
// never half of one. Reading is forgiving: a missing or damaged index is rebuilt from the session
// files, damaged session files are skipped, and an answer that was still streaming when the file
// was written reads back as `interrupted`.
//
// Images are not kept in the session file: each is written once, content-addressed, to
// <dir>/images/<sessionId>/<sha256>.b64 (its base64 text), and the session file names it by hash
// ({ name, mime, ref }). The file rewritten while an answer streams therefore stays small however
// large the screenshots in the conversation are. Session files from before, with the base64 inside
// ({ name, mime, data }), are still read (and move their images out on their next write).
import { createHash } from 'node:crypto';
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

/** The session file's JSON. With `imageRef`, images are written as references (`{ name, mime, ref }`)
 * instead of with their data. */
export function serializeSession(s: ChatSession, imageRef?: (im: ImageAttachment) => string): string {
  const file: SessionFile = { version: HISTORY_VERSION, ...s };
  if (imageRef) {
    file.messages = s.messages.map((m) => (m.images?.length
      ? { ...m, images: m.images.map((im) => ({ name: im.name, mime: im.mime, ref: imageRef(im) }) as unknown as ImageAttachment) }
      : m));
  }
  return JSON.stringify(file);
}

/** An image reference in a session file: the SHA-256 (hex) of the image's base64 text. */
const IMAGE_REF = /^[0-9a-f]{64}$/;

export function imageHash(im: ImageAttachment): string {
  return createHash('sha256').update(im.data).digest('hex');
}

/** Reads stored images: the data for a reference (undefined when it is missing), and a note of
 * which image object came from which reference. */
export interface ImageSource {
  data(ref: string): string | undefined;
  loaded?(im: ImageAttachment, ref: string): void;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const STATES: MessageState[] = ['done', 'streaming', 'interrupted', 'stopped', 'error'];
const ERROR_KINDS: ChatErrorInfo['kind'][] = ['unreachable', 'modelMissing', 'midStream', 'other'];

function parseMessage(v: unknown, images: ImageSource | undefined): ChatMessage | undefined {
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
    const imgs: ImageAttachment[] = [];
    for (const i of v.images) {
      if (!isObj(i) || typeof i.name !== 'string' || typeof i.mime !== 'string') continue;
      if (typeof i.data === 'string') { imgs.push({ name: i.name, mime: i.mime, data: i.data }); continue; }
      const ref = str(i.ref);
      const data = ref && IMAGE_REF.test(ref) ? images?.data(ref) : undefined;
      if (ref === undefined || data === undefined) continue;
      const im: ImageAttachment = { name: i.name, mime: i.mime, data };
      images?.loaded?.(im, ref);
      imgs.push(im);
    }
    if (imgs.length) m.images = imgs;
  }
  if (isObj(v.error) && typeof v.error.message === 'string') {
    const kind = ERROR_KINDS.includes(v.error.kind as ChatErrorInfo['kind']) ? (v.error.kind as ChatErrorInfo['kind']) : 'other';
    m.error = { kind, message: v.error.message, ...(str(v.error.model) ? { model: str(v.error.model) } : {}), ...(str(v.error.url) ? { url: str(v.error.url) } : {}) };
  }
  const cutAt = num(v.cutAt);
  if (cutAt !== undefined && cutAt > 0) m.cutAt = cutAt;
  if (isObj(v.stats)) {
    const st: AnswerStats = {};
    for (const k of ['tokensPerSecond', 'ttftMs', 'loadMs', 'promptMs', 'promptTokens', 'outputTokens', 'totalMs', 'trimmedMessages'] as const) {
      const n = num(v.stats[k]);
      if (n !== undefined) st[k] = n;
    }
    const dr = str(v.stats.doneReason);
    if (dr) st.doneReason = dr;
    const by = str(v.stats.answeredBy);
    if (by) st.answeredBy = by;
    m.stats = st;
  }
  return m;
}

/** Parses a session file; undefined when it is not one. Streaming answers become `interrupted`.
 * Image references are resolved through `images`; those it cannot resolve are left out. */
export function parseSession(json: string, images?: ImageSource): ChatSession | undefined {
  let v: unknown;
  try { v = JSON.parse(json); } catch { return undefined; }
  return sessionFrom(v, images);
}

function sessionFrom(v: unknown, images: ImageSource | undefined): ChatSession | undefined {
  if (!isObj(v) || typeof v.id !== 'string' || !Array.isArray(v.messages)) return undefined;
  const messages = v.messages.map((m) => parseMessage(m, images)).filter((m): m is ChatMessage => !!m);
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

/** The image references a parsed session file names. */
function imageRefs(v: unknown): Set<string> {
  const refs = new Set<string>();
  if (!isObj(v) || !Array.isArray(v.messages)) return refs;
  for (const m of v.messages) {
    if (!isObj(m) || !Array.isArray(m.images)) continue;
    for (const i of m.images) if (isObj(i) && typeof i.ref === 'string' && IMAGE_REF.test(i.ref)) refs.add(i.ref);
  }
  return refs;
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

/** How the store writes a file (injectable so tests can make writes slow). */
export interface HistoryIo {
  writeFileAtomic(file: string, data: string, cancelled: () => boolean): Promise<void>;
}

export class HistoryStore {
  private readonly sessionsDir: string;
  private readonly indexFile: string;
  /** Writes to one file happen one after another, in the order they were asked for. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Per file, the write queued last and not started yet. A new write of the same file replaces its
   * job instead of queueing another, so however far writes fall behind, at most one waits per file,
   * and it writes the latest state (the content is computed when it starts). */
  private readonly waiting = new Map<string, { job: () => Promise<void>; promise: Promise<void> }>();
  private readonly io: HistoryIo;
  /** Set by the final synchronous save: queued asynchronous writes (older data) are dropped. */
  private closed = false;
  private readonly imagesDir: string;
  /** Image objects already hashed (hashing a screenshot is not free; it is done once). */
  private readonly hashes = new WeakMap<ImageAttachment, string>();
  /** "<sessionId>/<hash>" of the image files known to be on disk. */
  private readonly stored = new Set<string>();

  constructor(readonly dir: string, io: Partial<HistoryIo> = {}) {
    this.io = { writeFileAtomic: io.writeFileAtomic ?? writeFileAtomic };
    this.sessionsDir = path.join(dir, 'sessions');
    this.indexFile = path.join(dir, 'index.json');
    this.imagesDir = path.join(dir, 'images');
  }

  private sessionFile(id: string): string {
    if (!SESSION_ID.test(id)) throw new Error(`invalid session id ${JSON.stringify(id)}`);
    return path.join(this.sessionsDir, `${id}.json`);
  }

  /** Where a session's images are: <dir>/images/<sessionId>/ (tests look there too). */
  sessionImagesDir(id: string): string {
    if (!SESSION_ID.test(id)) throw new Error(`invalid session id ${JSON.stringify(id)}`);
    return path.join(this.imagesDir, id);
  }

  private imageFile(id: string, ref: string): string {
    if (!IMAGE_REF.test(ref)) throw new Error(`invalid image reference ${JSON.stringify(ref)}`);
    return path.join(this.sessionImagesDir(id), `${ref}.b64`);
  }

  private hashOf(im: ImageAttachment): string {
    let h = this.hashes.get(im);
    if (!h) { h = imageHash(im); this.hashes.set(im, h); }
    return h;
  }

  /** The session file's JSON with image references, and the images it references. */
  private serialize(s: ChatSession): { json: string; images: Map<string, string> } {
    const images = new Map<string, string>();
    const json = serializeSession(s, (im) => { const ref = this.hashOf(im); images.set(ref, im.data); return ref; });
    return { json, images };
  }

  /** Writes the images not yet on disk (before the session file that names them). Decided when the
   * write runs, not when it is queued: a deletion queued in between removes the files. */
  private async writeImages(id: string, images: Map<string, string>): Promise<void> {
    for (const [ref, data] of images) {
      const key = `${id}/${ref}`;
      if (this.stored.has(key)) continue;
      if (this.closed) return;
      const file = this.imageFile(id, ref);
      const exists = await fsp.stat(file).then(() => true, () => false);
      if (!exists) {
        await fsp.mkdir(path.dirname(file), { recursive: true });
        await this.io.writeFileAtomic(file, data, () => this.closed);
        if (this.closed) return;
      }
      this.stored.add(key);
    }
  }

  private writeImagesSync(id: string, images: Map<string, string>): void {
    for (const [ref, data] of images) {
      const key = `${id}/${ref}`;
      if (this.stored.has(key)) continue;
      const file = this.imageFile(id, ref);
      if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        writeFileAtomicSync(file, data);
      }
      this.stored.add(key);
    }
  }

  private enqueue(file: string, job: () => Promise<void>): Promise<void> {
    // Whatever is queued after a waiting write must not be overtaken by later writes merged into it.
    this.waiting.delete(file);
    const prev = this.queues.get(file) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => (this.closed ? undefined : job()));
    this.queues.set(file, next);
    void next.finally(() => { if (this.queues.get(file) === next) this.queues.delete(file); }).catch(() => undefined);
    return next;
  }

  /** Queues a write of `file` (see `waiting`): joins the one already waiting, if any. */
  private enqueueLatest(file: string, job: () => Promise<void>): Promise<void> {
    const w = this.waiting.get(file);
    if (w) { w.job = job; return w.promise; }
    const slot = { job, promise: Promise.resolve() };
    slot.promise = this.enqueue(file, () => {
      if (this.waiting.get(file) === slot) this.waiting.delete(file);
      return slot.job();
    });
    this.waiting.set(file, slot);
    return slot.promise;
  }

  /** Writes queued and not started (tests: it stays at most one per file). */
  get waitingWrites(): number { return this.waiting.size; }

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
    try {
      let v: unknown;
      try { v = JSON.parse(await fsp.readFile(this.sessionFile(id), 'utf8')); } catch { return undefined; }
      const data = new Map<string, string>();
      for (const ref of imageRefs(v)) {
        try { data.set(ref, await fsp.readFile(this.imageFile(id, ref), 'utf8')); } catch { /* missing: the image is left out */ }
      }
      return sessionFrom(v, {
        data: (ref) => data.get(ref),
        loaded: (im, ref) => { this.hashes.set(im, ref); this.stored.add(`${id}/${ref}`); },
      });
    } catch {
      return undefined;
    }
  }

  /** Writes the session (its new images, then the session file) as it is when the write starts:
   * calls made while an earlier write of it is still waiting join that one, so a session that
   * changes faster than the disk keeps up is written with its latest state, with no backlog of
   * snapshots in memory. Resolves when the write that covers this call is done. */
  writeSession(s: ChatSession): Promise<void> {
    const file = this.sessionFile(s.id);
    return this.enqueueLatest(file, async () => {
      const { json, images } = this.serialize(s);
      if (images.size) await this.writeImages(s.id, images);
      if (this.closed) return;
      await fsp.mkdir(this.sessionsDir, { recursive: true });
      await this.io.writeFileAtomic(file, json, () => this.closed);
    });
  }

  /** For the last save when the extension host shuts down: asynchronous work may never finish then. */
  writeSessionSync(s: ChatSession): void {
    if (this.closed) return;
    const file = this.sessionFile(s.id);
    const { json, images } = this.serialize(s);
    if (images.size) this.writeImagesSync(s.id, images);
    fs.mkdirSync(this.sessionsDir, { recursive: true });
    writeFileAtomicSync(file, json);
  }

  /** Writes the index; like writeSession, a call while another index write waits replaces it. */
  writeIndex(i: HistoryIndex): Promise<void> {
    return this.enqueueLatest(this.indexFile, async () => {
      await fsp.mkdir(this.dir, { recursive: true });
      await this.io.writeFileAtomic(this.indexFile, serializeIndex(i), () => this.closed);
    });
  }

  writeIndexSync(i: HistoryIndex): void {
    if (this.closed) return;
    fs.mkdirSync(this.dir, { recursive: true });
    writeFileAtomicSync(this.indexFile, serializeIndex(i));
  }

  /** After the final synchronous writes: nothing queued before may overwrite them. */
  close(): void { this.closed = true; }

  /** Removes the session file and its images. */
  deleteSession(id: string): Promise<void> {
    const file = this.sessionFile(id);
    const images = this.sessionImagesDir(id);
    return this.enqueue(file, async () => {
      await fsp.rm(file, { force: true });
      for (const k of this.stored) if (k.startsWith(`${id}/`)) this.stored.delete(k);
      await fsp.rm(images, { recursive: true, force: true });
    });
  }
}
