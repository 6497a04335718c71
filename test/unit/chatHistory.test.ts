// Chat history on disk: round trip, atomic writes (a temp file renamed over the old one, so a
// reader never sees half a file), index rebuilt from session files, streaming answers read back as
// interrupted, writes that coalesce when the disk is slow, and the save throttle.
import * as assert from 'assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { newSession, type ChatSession } from '../../src/core/chat/conversation';
import { HistoryStore, parseIndex, parseSession, serializeSession, writeFileAtomic } from '../../src/core/chat/history';
import { Throttle, type ClockTimers as Timers } from '../../src/core/common/timing';

function sample(): ChatSession {
  const s = newSession(1000);
  s.title = 'Adding numbers';
  s.messages.push(
    { id: 'u1', role: 'user', text: 'What does this do?', createdAt: 1001, context: [{ kind: 'selection', path: 'src/a.ts', language: 'typescript', text: 'a + b', startLine: 3, endLine: 3 }] },
    { id: 'a1', role: 'assistant', text: 'It adds.', state: 'done', model: 'llama3.2', createdAt: 1002, stats: { tokensPerSecond: 42.5, ttftMs: 120, outputTokens: 3 } },
    { id: 'u2', role: 'user', text: 'And this image?', createdAt: 1003, images: [{ name: 'x.png', mime: 'image/png', data: 'iVBORw0KGgo=' }] },
    { id: 'a2', role: 'assistant', text: 'Partial ans', state: 'streaming', model: 'llava:7b', createdAt: 1004 },
  );
  return s;
}

describe('chat history store', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oa-chat-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('round-trips a session; a streaming answer reads back as interrupted with its text', async () => {
    const store = new HistoryStore(dir);
    const s = sample();
    await store.writeSession(s);
    await store.writeIndex({ currentId: s.id, sessions: [{ id: s.id, title: s.title, createdAt: 1000, updatedAt: 1004, messageCount: 4 }] });
    const back = await new HistoryStore(dir).readSession(s.id);
    assert.ok(back);
    const expected = JSON.parse(JSON.stringify(s)) as ChatSession;
    expected.messages[3]!.state = 'interrupted';
    assert.deepStrictEqual(back, expected);
    const index = await new HistoryStore(dir).loadIndex();
    assert.strictEqual(index.currentId, s.id);
    assert.deepStrictEqual(index.sessions.map((x) => x.id), [s.id]);
  });

  it('writes atomically: temp file + rename, no temp files left, readers see old or new', async () => {
    const file = path.join(dir, 'x.json');
    fs.writeFileSync(file, JSON.stringify({ v: 'old' }));
    const renames: string[] = [];
    const realRename = fs.promises.rename;
    (fs.promises as { rename: typeof realRename }).rename = async (a, b) => { renames.push(`${path.basename(String(a))} -> ${path.basename(String(b))}`); return realRename(a, b); };
    try {
      const big = JSON.stringify({ v: 'new', pad: 'x'.repeat(2_000_000) });
      const writing = writeFileAtomic(file, big);
      // While the write is in flight the file is always complete JSON (old or new).
      for (let i = 0; i < 20; i++) {
        JSON.parse(fs.readFileSync(file, 'utf8'));
        await new Promise((r) => setImmediate(r));
      }
      await writing;
      assert.strictEqual(JSON.parse(fs.readFileSync(file, 'utf8')).v, 'new');
    } finally {
      (fs.promises as { rename: typeof realRename }).rename = realRename;
    }
    assert.strictEqual(renames.length, 1);
    assert.match(renames[0]!, /^x\.json\.\d+\.\d+\.tmp -> x\.json$/);
    assert.deepStrictEqual(fs.readdirSync(dir), ['x.json']);
  });

  it('queues writes to one file in order; the last one wins', async () => {
    const store = new HistoryStore(dir);
    const s = sample();
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) { s.messages[3]!.text = `Partial ${i}`; writes.push(store.writeSession(s)); }
    await Promise.all(writes);
    assert.strictEqual((await store.readSession(s.id))!.messages[3]!.text, 'Partial 19');
    assert.deepStrictEqual(fs.readdirSync(path.join(dir, 'sessions')), [`${s.id}.json`]);
  });

  /** A disk that holds every write while `hold` is set (until released), recording what each wrote. */
  function slowDisk() {
    const written: Array<{ file: string; data: string }> = [];
    const gates: Array<() => void> = [];
    const disk = {
      written,
      started: 0,
      hold: true,
      /** Stops holding: the writes at the gate and every later one go through. */
      open: () => { disk.hold = false; for (const g of gates.splice(0)) g(); },
      io: {
        writeFileAtomic: async (file: string, data: string, cancelled: () => boolean) => {
          disk.started++;
          if (disk.hold) await new Promise<void>((r) => gates.push(r));
          if (!cancelled()) { written.push({ file, data }); await writeFileAtomic(file, data); }
        },
      },
    };
    return disk;
  }
  const tick = () => new Promise((r) => setImmediate(r));
  /** A session without images (images are separate files, written once). */
  const textOnly = () => { const s = sample(); delete s.messages[2]!.images; return s; };

  it('a slow disk never builds a queue of snapshots: one write runs, at most one waits, with the latest state', async () => {
    const disk = slowDisk();
    const store = new HistoryStore(dir, disk.io);
    const s = textOnly();
    s.messages[3]!.text = 'v0';
    const first = store.writeSession(s);
    // Let the first write start (it now sits at the slow disk).
    while (disk.started < 1) await tick();
    // An endless answer: a save every "500 ms" while the disk is stuck, each of a bigger session.
    const later: Promise<void>[] = [];
    for (let i = 1; i <= 500; i++) {
      s.messages[3]!.text = `v${i} ` + 'x'.repeat(i * 100);
      later.push(store.writeSession(s));
      assert.ok(store.waitingWrites <= 1, 'never more than one write waiting per file');
      if (i % 50 === 0) await tick();
    }
    assert.strictEqual(store.waitingWrites, 1);
    assert.strictEqual(disk.started, 1, 'nothing else started while the first write is stuck');
    assert.strictEqual(new Set(later).size, 1, 'every later call resolves with the one waiting write');
    disk.open();
    await Promise.all([first, ...later]);
    assert.strictEqual(disk.started, 2, 'two writes in all: the one in flight and the latest');
    const texts = disk.written.map((w) => (JSON.parse(w.data) as ChatSession).messages[3]!.text.split(' ')[0]);
    assert.deepStrictEqual(texts, ['v0', 'v500']);
    assert.strictEqual((await store.readSession(s.id))!.messages[3]!.text.split(' ')[0], 'v500');
    assert.strictEqual(store.waitingWrites, 0);
  });

  it('a write asked for after a deletion is not merged into a write queued before it (and vice versa)', async () => {
    const disk = slowDisk();
    const store = new HistoryStore(dir, disk.io);
    const s = textOnly();
    const blocker = store.writeSession(s);
    while (disk.started < 1) await tick();
    // write (waiting) → delete → write: the session exists at the end, with the last state.
    s.messages[3]!.text = 'before delete';
    const w1 = store.writeSession(s);
    const del = store.deleteSession(s.id);
    s.messages[3]!.text = 'after delete';
    const w2 = store.writeSession(s);
    assert.notStrictEqual(w1, w2, 'the write after the deletion is a new one');
    disk.open();
    await Promise.all([blocker, w1, del, w2]);
    assert.strictEqual((await store.readSession(s.id))!.messages[3]!.text, 'after delete');
    // write (waiting) → delete: the deletion wins, nothing is resurrected.
    disk.hold = true;
    const t = textOnly();
    const tBlock = store.writeSession(t);
    while (disk.started < 4) await tick();
    const tw = store.writeSession(t);
    const tDel = store.deleteSession(t.id);
    disk.open();
    await Promise.all([tBlock, tw, tDel]);
    assert.strictEqual(await store.readSession(t.id), undefined);
  });

  it('after the final synchronous save, queued asynchronous writes cannot overwrite it', async () => {
    const store = new HistoryStore(dir);
    const s = sample();
    s.messages[3]!.text = 'older';
    const pending = store.writeSession(s);
    s.messages[3]!.text = 'final';
    store.writeSessionSync(s);
    store.close();
    await pending;
    assert.strictEqual((await new HistoryStore(dir).readSession(s.id))!.messages[3]!.text, 'final');
  });

  it('rebuilds a missing or damaged index from the session files, newest first', async () => {
    const store = new HistoryStore(dir);
    const a = sample(); a.updatedAt = 10;
    const b = sample(); b.updatedAt = 20; b.title = 'B';
    await store.writeSession(a);
    await store.writeSession(b);
    fs.writeFileSync(path.join(dir, 'index.json'), '{"version":1,"sessions":[{"id":"');
    const index = await new HistoryStore(dir).loadIndex();
    assert.deepStrictEqual(index.sessions.map((x) => x.id), [b.id, a.id]);
    assert.strictEqual(index.sessions[0]!.title, 'B');
    assert.strictEqual(index.currentId, undefined);
  });

  it('drops index entries whose file is gone, and deletes sessions', async () => {
    const store = new HistoryStore(dir);
    const a = sample();
    await store.writeSession(a);
    await store.writeIndex({ currentId: 'gone', sessions: [{ id: 'gone', title: 'g', createdAt: 0, updatedAt: 99, messageCount: 1 }, { id: a.id, title: a.title, createdAt: 0, updatedAt: 1, messageCount: 4 }] });
    assert.deepStrictEqual((await store.loadIndex()).sessions.map((x) => x.id), [a.id]);
    await store.deleteSession(a.id);
    assert.deepStrictEqual((await store.loadIndex()).sessions, []);
  });

  it('stores images once, content-addressed, next to the session; the session file only names them', async () => {
    const store = new HistoryStore(dir);
    const s = sample();
    // A 4 MB screenshot: the session file must not carry it.
    const big = 'iVBORw0KGgo' + 'A'.repeat(4 * 1024 * 1024);
    s.messages[2]!.images!.push({ name: 'shot.png', mime: 'image/png', data: big });
    await store.writeSession(s);
    const file = path.join(dir, 'sessions', `${s.id}.json`);
    const json = fs.readFileSync(file, 'utf8');
    assert.ok(json.length < 10_000, `session file is ${json.length} bytes`);
    const refs = (JSON.parse(json).messages[2].images as { name: string; mime: string; ref: string; data?: string }[]);
    assert.deepStrictEqual(refs.map((r) => [r.name, r.mime, r.data]), [['x.png', 'image/png', undefined], ['shot.png', 'image/png', undefined]]);
    const imgDir = store.sessionImagesDir(s.id);
    for (const r of refs) assert.match(r.ref, /^[0-9a-f]{64}$/);
    assert.deepStrictEqual(fs.readdirSync(imgDir).sort(), refs.map((r) => `${r.ref}.b64`).sort());
    assert.strictEqual(fs.readFileSync(path.join(imgDir, `${refs[1]!.ref}.b64`), 'utf8'), big);
    // Round trip, in this store and a fresh one (a restart).
    const expected = JSON.parse(JSON.stringify(s)) as ChatSession;
    expected.messages[3]!.state = 'interrupted';
    assert.deepStrictEqual(await store.readSession(s.id), expected);
    const fresh = new HistoryStore(dir);
    const back = (await fresh.readSession(s.id))!;
    assert.deepStrictEqual(back, expected);
    // Later saves (an answer streaming) do not write the images again.
    const before = fs.statSync(path.join(imgDir, `${refs[1]!.ref}.b64`)).mtimeMs;
    const writes: string[] = [];
    const realWrite = fs.promises.writeFile;
    (fs.promises as { writeFile: typeof realWrite }).writeFile = (async (f: fs.PathLike, ...rest: unknown[]) => { writes.push(path.basename(String(f))); return (realWrite as (...a: unknown[]) => Promise<void>)(f, ...rest); }) as typeof realWrite;
    try {
      for (let i = 0; i < 3; i++) { back.messages[3]!.text += ` more ${i}`; await fresh.writeSession(back); s.messages[3]!.text += '.'; await store.writeSession(s); }
    } finally {
      (fs.promises as { writeFile: typeof realWrite }).writeFile = realWrite;
    }
    assert.ok(writes.every((w) => w.startsWith(`${s.id}.json.`)), writes.join(', '));
    assert.strictEqual(fs.statSync(path.join(imgDir, `${refs[1]!.ref}.b64`)).mtimeMs, before);
    // The final synchronous save writes references too.
    fresh.writeSessionSync(back);
    assert.ok(fs.readFileSync(file, 'utf8').length < 10_000);
    assert.strictEqual((await new HistoryStore(dir).readSession(s.id))!.messages[2]!.images![1]!.data, big);
    // Deleting the session deletes its images.
    await fresh.deleteSession(s.id);
    assert.ok(!fs.existsSync(imgDir));
    assert.ok(!fs.existsSync(file));
  });

  it('reads session files that embed their images (older format) and moves them out on the next write', async () => {
    const s = sample();
    fs.mkdirSync(path.join(dir, 'sessions'), { recursive: true });
    const file = path.join(dir, 'sessions', `${s.id}.json`);
    fs.writeFileSync(file, serializeSession(s));
    assert.ok(fs.readFileSync(file, 'utf8').includes('"data":"iVBORw0KGgo="'));
    const store = new HistoryStore(dir);
    const back = (await store.readSession(s.id))!;
    assert.deepStrictEqual(back.messages[2]!.images, [{ name: 'x.png', mime: 'image/png', data: 'iVBORw0KGgo=' }]);
    await store.writeSession(back);
    assert.ok(!fs.readFileSync(file, 'utf8').includes('iVBORw0KGgo='));
    assert.deepStrictEqual((await new HistoryStore(dir).readSession(s.id))!.messages[2]!.images, [{ name: 'x.png', mime: 'image/png', data: 'iVBORw0KGgo=' }]);
    // A reference whose file is gone leaves the image out; the message stays.
    fs.rmSync(store.sessionImagesDir(s.id), { recursive: true });
    const lost = (await new HistoryStore(dir).readSession(s.id))!;
    assert.strictEqual(lost.messages[2]!.text, 'And this image?');
    assert.strictEqual(lost.messages[2]!.images, undefined);
  });

  it('parsing is forgiving and strict where it matters', () => {
    assert.strictEqual(parseSession('not json'), undefined);
    assert.strictEqual(parseSession('{"id":"x"}'), undefined);
    const s = parseSession(JSON.stringify({ id: 'abc', messages: [{ id: 'm', role: 'user', text: 'hi' }, { role: 'evil' }, { id: 'n', role: 'assistant', text: 'yo', state: 'weird', error: { kind: 'nope', message: 'm' } }] }))!;
    assert.strictEqual(s.messages.length, 2);
    assert.strictEqual(s.messages[1]!.state, undefined);
    assert.deepStrictEqual(s.messages[1]!.error, { kind: 'other', message: 'm' });
    // Session ids become file names: anything path-like is refused.
    assert.deepStrictEqual(parseIndex(JSON.stringify({ sessions: [{ id: '../../etc/passwd' }, { id: 'ok-1' }] }))!.sessions.map((x) => x.id), ['ok-1']);
    assert.throws(() => new HistoryStore(dir).writeSessionSync({ ...sample(), id: '../x' }));
    assert.ok(serializeSession(sample()).includes('"version":1'));
  });
});

describe('chat save throttle', () => {
  function fakeTimers(): Timers & { advance(ms: number): void } {
    let now = 0;
    let timers: { at: number; fn: () => void; id: number }[] = [];
    let next = 1;
    return {
      now: () => now,
      setTimeout: (fn, ms) => { const id = next++; timers.push({ at: now + ms, fn, id }); return id; },
      clearTimeout: (h) => { timers = timers.filter((t) => t.id !== h); },
      advance(ms: number) {
        const end = now + ms;
        for (;;) {
          const t = timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
          if (!t) break;
          timers = timers.filter((x) => x !== t);
          now = t.at;
          t.fn();
        }
        now = end;
      },
    };
  }

  it('runs at most once per interval while changes stream in, and flushes on demand', () => {
    const t = fakeTimers();
    let runs = 0;
    const th = new Throttle(500, () => { runs++; }, t);
    th.schedule();
    t.advance(0);
    assert.strictEqual(runs, 1, 'first change is written at once');
    for (let i = 0; i < 100; i++) { th.schedule(); t.advance(20); }
    // 2000 ms of changes -> about 4 more writes, not 100
    assert.ok(runs >= 4 && runs <= 6, `runs=${runs}`);
    th.schedule();
    th.flush();
    const after = runs;
    t.advance(1000);
    assert.strictEqual(runs, after, 'nothing pending after flush');
    th.flush();
    assert.strictEqual(runs, after, 'flush without changes does nothing');
  });
});
