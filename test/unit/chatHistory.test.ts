// Chat history on disk: round trip, atomic writes (a temp file renamed over the old one, so a
// reader never sees half a file), index rebuilt from session files, streaming answers read back as
// interrupted, and the save throttle.
import * as assert from 'assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { newSession, type ChatSession } from '../../src/core/chat/conversation';
import { HistoryStore, parseIndex, parseSession, serializeSession, writeFileAtomic } from '../../src/core/chat/history';
import { Throttle, type Timers } from '../../src/core/chat/throttle';

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
