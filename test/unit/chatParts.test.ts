// The chat's parts in plain Node: the view-model mapping (pure functions over ChatLabels), the
// sessions (one index rule, pruning, deleted sessions never written back, the final flush), the
// composer, delta batching, one answer run (streaming, the answer limit, stop, errors), and the
// error kinds the presenter words.
import * as assert from 'assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AnswerRun, type AnswerDeps, type AnswerSink } from '../../src/core/chat/answer';
import { Composer } from '../../src/core/chat/composer';
import { newSession, type ChatMessage, type ChatSession } from '../../src/core/chat/conversation';
import { DeltaBatcher, type Delta } from '../../src/core/chat/delta';
import { HistoryStore } from '../../src/core/chat/history';
import { ChatSessions, indexWith } from '../../src/core/chat/sessions';
import { attachmentViews, messageView, modelOptions, selectedModel, thinkView, type ChatLabels } from '../../src/core/chat/view';
import type { ClockTimers } from '../../src/core/common/timing';
import { classifyError, isUnreachable } from '../../src/core/http/classify';
import { AbortError, ConnectionError, EndpointNotFoundError, IncompleteStreamError, ModelNotFoundError, ResponseError, StreamError, TimeoutError } from '../../src/core/http/errors';
import type { StreamChunk } from '../../src/core/llm/backend';
import { TokenCalibration } from '../../src/core/llm/tokens';

const labels: ChatLabels = {
  stateLabel: (s, e) => (s === 'stopped' ? 'Stopped.' : s === 'error' && e?.kind === 'midStream' ? 'broke off' : undefined),
  cutLabel: (n) => `cut at ${n}`,
  statsLine: (s) => (s?.tokensPerSecond ? { short: `${s.tokensPerSecond} t/s`, long: `${s.tokensPerSecond} tokens/s` } : undefined),
  answerNote: (m) => (m.role === 'assistant' && !m.text && m.thinking && m.state === 'done' ? 'only reasoned' : undefined),
  errorActions: (e) => (e.kind === 'unreachable' ? [{ action: 'openEndpointSetting', label: 'Open' }, { action: 'retry', label: 'Retry' }] : [{ action: 'retry', label: 'Retry' }]),
  modelNote: (k) => (k === 'base' ? 'base model' : k === 'none' ? 'cannot chat' : undefined),
  thinkLabel: (v, d) => `${v}${d !== undefined ? `(${String(d)})` : ''}`,
  contextLabel: (a) => `${a.path}:${a.language}`,
  snippetsLabel: (n) => `@workspace: ${n}`,
};

const user = (id: string, text: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({ id, role: 'user', text, createdAt: 1, ...extra });
const answer = (id: string, text: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({ id, role: 'assistant', text, state: 'done', createdAt: 1, ...extra });

describe('chat view model (pure)', () => {
  it('edit only the last user message when idle; images as data URLs; the typed text as markdown and a chip per attachment', () => {
    const all = [user('u1', 'first'), answer('a1', 'x'), user('u2', 'second', { images: [{ name: 'p.png', mime: 'image/png', data: 'iVBOR' }], context: [{ kind: 'file', path: 'a.ts', language: 'ts', text: 'code' }] })];
    const v = all.map((m, i) => messageView(m, i, all, false, labels));
    assert.strictEqual(v[0]!.editText, undefined);
    assert.strictEqual(v[2]!.editText, 'second');
    assert.deepStrictEqual(v[2]!.images, [{ name: 'p.png', src: 'data:image/png;base64,iVBOR' }]);
    assert.strictEqual(v[2]!.markdown, 'second', 'the attached code is for the model; the reader gets a chip');
    assert.deepStrictEqual(v[2]!.attached, [labels.contextLabel({ kind: 'file', path: 'a.ts', language: 'ts', text: 'code' })]);
    assert.strictEqual(v[0]!.attached, undefined);
    const snip = (p: string) => ({ kind: 'snippet' as const, path: p, language: 'ts', text: 'x', startLine: 1, endLine: 2 });
    const ws = [user('u3', '@workspace where?', { context: [{ kind: 'file', path: 'b.ts', language: 'ts', text: 'y' }, snip('c.ts'), snip('d.ts')] })];
    assert.deepStrictEqual(messageView(ws[0]!, 0, ws, false, labels).attached, ['b.ts:ts', '@workspace: 2'], 'the search\'s snippets are one chip');
    assert.strictEqual(messageView(all[2]!, 2, all, true, labels).editText, undefined, 'not while busy');
  });

  it('an answer: state label (the cut note first), thinking, live counters, stats, note, error actions on the last only, Retry instead of Regenerate', () => {
    const all = [user('u', 'q'), answer('a', 'partial', { state: 'error', error: { kind: 'midStream', message: 'broke' }, thinking: 'hmm', stats: { tokensPerSecond: 5, thinkingMs: 30 } })];
    const v = messageView(all[1]!, 1, all, false, labels);
    assert.strictEqual(v.stateLabel, 'broke off');
    assert.strictEqual(v.thinking, 'hmm');
    assert.strictEqual(v.thinkingMs, 30);
    assert.strictEqual(v.stats, '5 t/s');
    assert.strictEqual(v.statsTitle, '5 tokens/s');
    assert.deepStrictEqual(v.error, { kind: 'midStream', message: 'broke', actions: [{ action: 'retry', label: 'Retry' }] });
    assert.strictEqual(v.canRegenerate, undefined, 'Retry is the same action: one button');
    const cut = messageView(answer('c', 'long', { state: 'stopped', cutAt: 1000 }), 0, [answer('c', 'long')], false, labels);
    assert.strictEqual(cut.stateLabel, 'cut at 1000');
    assert.strictEqual(cut.canRegenerate, true);
    const streaming = answer('s', '', { state: 'streaming', createdAt: 1000, thinking: 't', stats: { firstThinkingMs: 200 } });
    const sv = messageView(streaming, 0, [streaming], true, labels, 1500);
    assert.strictEqual(sv.elapsedMs, 500);
    assert.strictEqual(sv.thinkingElapsedMs, 300);
    assert.strictEqual(sv.canRegenerate, undefined);
    assert.strictEqual(messageView(answer('n', '', { thinking: 'only' }), 0, [answer('n', '')], false, labels).note, 'only reasoned');
    const old = [answer('e', '', { state: 'error', error: { kind: 'unreachable', message: 'no' } }), user('u', 'again')];
    assert.deepStrictEqual(messageView(old[0]!, 0, old, false, labels).error?.actions, [], 'actions only on the last message');
  });

  it('model options: no model that cannot chat (unless it is the configured one), notes, the configured one first when not listed', () => {
    const models = [{ name: 'llama3.2:latest', capabilities: ['completion', 'tools'] }, { name: 'starcoder2:3b', capabilities: ['completion', 'insert'] }, { name: 'all-minilm:latest', capabilities: ['embedding'] }];
    assert.deepStrictEqual(modelOptions(models, 'llama3.2', labels), [
      { name: 'llama3.2:latest', installed: true },
      { name: 'starcoder2:3b', installed: true, kind: 'base', note: 'base model' },
    ]);
    assert.deepStrictEqual(modelOptions(models, 'all-minilm', labels).map((o) => [o.name, o.kind]), [['llama3.2:latest', undefined], ['starcoder2:3b', 'base'], ['all-minilm:latest', 'none']]);
    assert.deepStrictEqual(modelOptions(models, 'mistral:7b', labels)[0], { name: 'mistral:7b', installed: false });
  });

  it('one model-name rule (Ollama\'s, ollama-protocol.md §0.1): library/ and registry.ollama.ai/ are the default, :latest the default tag, case does not matter', () => {
    const models = [{ name: 'llama3.2:latest' }];
    for (const configured of ['llama3.2', 'library/llama3.2', 'registry.ollama.ai/library/llama3.2:latest', 'LLAMA3.2:latest']) {
      assert.strictEqual(selectedModel(models, configured), 'llama3.2:latest', configured);
      assert.ok(modelOptions(models, configured, labels).every((o) => o.installed), `${configured}: not listed again as not installed`);
    }
    assert.strictEqual(selectedModel(models, 'me/llama3.2'), 'me/llama3.2', 'another namespace is another model');
    assert.strictEqual(selectedModel(models, 'llama3.2:1b'), 'llama3.2:1b', 'another tag is another model');
  });

  it('the reasoning control: none before the facts are known or for a model without one; a stale choice shows as the default', () => {
    assert.strictEqual(thinkView(undefined, 'on', labels), undefined);
    assert.strictEqual(thinkView({ capabilities: ['completion'] }, undefined, labels), undefined);
    const t = thinkView({ capabilities: ['completion', 'thinking'], thinking: { values: ['low', 'high'], default: 'low' } }, 'level:medium', labels)!;
    assert.deepStrictEqual(t.options.map((o) => o.value), ['default', 'level:low', 'level:high']);
    assert.strictEqual(t.current, 'default');
    assert.strictEqual(t.options[0]!.label, 'default(low)');
  });

  it('attachments: images with thumbnails, code with its label', () => {
    const c = new Composer();
    c.addContext({ kind: 'selection', path: 'a.py', language: 'python', text: 'x', startLine: 1, endLine: 1 });
    assert.strictEqual(c.addImage('i.png', 'image/png', 'iVBORw0KGgo='), undefined);
    const v = attachmentViews(c.attachments, labels);
    assert.deepStrictEqual(v.map((a) => [a.kind, a.label, a.src]), [['selection', 'a.py:python', undefined], ['image', 'i.png', 'data:image/png;base64,iVBORw0KGgo=']]);
  });
});

describe('chat composer', () => {
  it('refuses what is not an image we take, and more than ten; a send takes what is attached and leaves what came later', () => {
    const c = new Composer<string>();
    assert.strictEqual(c.addImage('x.svg', 'image/svg+xml', 'PHN2Zz4='), 'unsupported');
    assert.strictEqual(c.addImage('x.png', 'image/png', 'PHN2Zz4='), 'unsupported', 'the bytes decide, not the claim');
    for (let i = 0; i < 10; i++) assert.strictEqual(c.addImage(`${i}.png`, 'image/png', 'iVBORw0KGgo='), undefined);
    assert.strictEqual(c.addImage('11.png', 'image/png', 'iVBORw0KGgo='), 'tooMany');
    assert.strictEqual(c.attachments[0]!.image!.mime, 'image/png');
    const sent = c.take();
    assert.strictEqual(sent.images.length, 10);
    c.addContext({ kind: 'file', path: 'later.ts', language: 'typescript', text: '' });
    c.release(sent.used);
    assert.deepStrictEqual(c.attachments.map((a) => a.context?.path), ['later.ts']);
    c.remove(c.attachments[0]!.id);
    assert.strictEqual(c.attachments.length, 0);
  });
});

/** Timers that run only when told to. */
function manualTimers(): ClockTimers & { run(): void; now(): number } {
  let now = 0;
  let q: Array<() => void> = [];
  return {
    now: () => now,
    setTimeout: (fn) => { q.push(fn); return fn; },
    clearTimeout: (h) => { q = q.filter((f) => f !== h); },
    run: () => { now += 1000; const fs0 = q; q = []; for (const f of fs0) f(); },
  };
}

describe('chat delta batching', () => {
  it('one message per interval with the offset where it starts; another message flushes first; drop forgets', () => {
    const sent: Delta[] = [];
    const t = manualTimers();
    const b = new DeltaBatcher((d) => sent.push(d), 25, t);
    b.queue('m1', 3, 'abc', '');
    b.queue('m1', 5, 'de', 'th');
    assert.strictEqual(sent.length, 0);
    t.run();
    assert.deepStrictEqual(sent, [{ id: 'm1', offset: 0, text: 'abcde', thinking: 'th' }]);
    b.queue('m1', 6, 'f', '');
    b.queue('m2', 1, 'x', '');
    assert.deepStrictEqual(sent.at(-1), { id: 'm1', offset: 5, text: 'f', thinking: '' });
    b.drop();
    t.run();
    assert.strictEqual(sent.length, 2);
  });
});

describe('chat sessions', () => {
  let dir: string;
  const log = { error: (m: string) => { throw new Error(m); } };
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oa-sessions-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });
  const withMessage = (s: ChatSession, text: string, at: number): ChatSession => { s.messages.push(user(`u${at}`, text)); s.updatedAt = at; return s; };

  it('the index rule: the current session summarised anew at its place, empty or deleted ones left out, newest first', () => {
    const cur = withMessage(newSession(5), 'now', 50);
    const list = indexWith([{ id: 'a', title: '', createdAt: 1, updatedAt: 10, messageCount: 1 }, { id: cur.id, title: 'old', createdAt: 5, updatedAt: 5, messageCount: 0 }, { id: 'b', title: '', createdAt: 1, updatedAt: 99, messageCount: 2 }], cur, new Set());
    assert.deepStrictEqual(list.map((s) => [s.id, s.messageCount]), [['b', 2], [cur.id, 1], ['a', 1]]);
    assert.deepStrictEqual(indexWith(list, newSession(), new Set()).map((s) => s.id), ['b', cur.id, 'a']);
    assert.deepStrictEqual(indexWith(list, cur, new Set([cur.id])).map((s) => s.id), ['b', 'a']);
  });

  it('new, switch, delete, prune to the maximum, and a final flush after which nothing is written', async () => {
    const store = new HistoryStore(dir);
    let max = 2;
    const s = new ChatSessions(store, { maxSessions: () => max, log });
    await s.whenLoaded();
    const first = s.current;
    withMessage(first, 'one', Date.now());
    s.touch(first);
    assert.strictEqual(s.startNew(), true);
    assert.strictEqual(s.startNew(), false, 'an empty session is not left behind for another');
    const second = s.current;
    withMessage(second, 'two', Date.now());
    s.touch(second);
    await s.idle();
    assert.deepStrictEqual(s.index.sessions.map((x) => x.id).sort(), [first.id, second.id].sort());
    let left = 0;
    assert.strictEqual(await s.switchTo(first.id, () => { left++; }), true);
    assert.strictEqual(left, 1);
    assert.strictEqual(s.current.id, first.id);
    assert.strictEqual(await s.switchTo('missing'), false);
    // Pruning: a third session with room for one.
    max = 1;
    s.startNew();
    withMessage(s.current, 'three', Date.now() + 10);
    s.touch(s.current);
    await s.idle();
    assert.deepStrictEqual(s.index.sessions.map((x) => x.id), [s.current.id]);
    const third = s.current;
    // Deleting the current one moves to the next (none left: a new one).
    assert.strictEqual(await s.delete(third.id, () => { left++; }), true);
    assert.strictEqual(left, 2);
    assert.notStrictEqual(s.current.id, third.id);
    withMessage(third, 'written after delete?', Date.now());
    s.markDirty(third, true);
    await s.idle();
    assert.ok(!fs.existsSync(path.join(dir, 'sessions', `${third.id}.json`)), 'a deleted session is never written back');
    // The final flush writes a streaming answer as such; nothing afterwards.
    withMessage(s.current, 'last', Date.now());
    s.current.messages.push(answer('a', 'part', { state: 'streaming' }));
    s.flushSync([s.current]);
    const back = await new HistoryStore(dir).readSession(s.current.id);
    assert.strictEqual(back?.messages.at(-1)?.state, 'interrupted');
    s.touch(s.current);
    s.saveIndex();
    await s.idle();
    assert.strictEqual((await new HistoryStore(dir).loadIndex()).currentId, s.current.id);
  });

  it('clearing the current session removes it from the history', async () => {
    const s = new ChatSessions(new HistoryStore(dir), { maxSessions: () => 50, log });
    await s.whenLoaded();
    withMessage(s.current, 'x', Date.now());
    s.touch(s.current);
    await s.idle();
    const id = s.current.id;
    assert.ok(fs.existsSync(path.join(dir, 'sessions', `${id}.json`)));
    s.clearCurrent();
    await s.idle();
    assert.ok(!fs.existsSync(path.join(dir, 'sessions', `${id}.json`)));
    assert.deepStrictEqual(s.index.sessions, []);
  });
});

describe('one answer run', () => {
  const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
  function deps(chunks: StreamChunk[] | ((signal: AbortSignal) => AsyncIterable<StreamChunk>), extra: Partial<AnswerDeps> = {}): AnswerDeps {
    return {
      connect: async () => ({
        url: 'http://x',
        llm: { chat: async (_p, o) => (typeof chunks === 'function' ? chunks(o!.signal!) : (async function* () { yield* chunks; })()) },
      }),
      facts: async () => undefined,
      generation: { options: {} },
      systemPrompt: '',
      calibration: new TokenCalibration(),
      maxChars: 1000,
      log: quiet,
      ...extra,
    };
  }
  function sink(): AnswerSink & { text: string; rewrites: number; changes: number } {
    const s = { text: '', rewrites: 0, changes: 0, delta: (t: string) => { s.text += t; }, rewritten: () => { s.rewrites++; }, changed: () => { s.changes++; }, overBudget: () => undefined };
    return s;
  }
  const start = () => answer('a', '', { state: 'streaming', model: 'm' });

  it('streams text and reasoning into the message, with the server\'s counts at the end', async () => {
    const m = start();
    const k = sink();
    const r = await new AnswerRun(m, [user('u', 'q')], deps([
      { text: '', thinking: 'plan', done: false }, { text: 'Hel', done: false }, { text: 'lo', done: false },
      { text: '', done: true, doneReason: 'stop', stats: { promptTokens: 7, outputTokens: 2, tokensPerSecond: 40 } },
    ])).run(k);
    assert.deepStrictEqual(r, { state: 'done', url: 'http://x' });
    assert.strictEqual(m.text, 'Hello');
    assert.strictEqual(m.thinking, 'plan');
    assert.strictEqual(k.text, 'Hello');
    assert.strictEqual(m.state, 'done');
    assert.strictEqual(m.stats?.tokensPerSecond, 40);
    assert.strictEqual(m.stats?.doneReason, 'stop');
    assert.ok(m.stats?.ttftMs !== undefined && m.stats.firstThinkingMs !== undefined);
  });

  it('an answer that turns out to be reasoning moves over (DeepSeek-R1 style)', async () => {
    const m = start();
    const k = sink();
    await new AnswerRun(m, [user('u', 'q')], deps([{ text: 'thinking aloud', done: false }, { text: 'answer', textWasThinking: true, done: false }, { text: '', done: true }])).run(k);
    assert.strictEqual(m.thinking, 'thinking aloud');
    assert.strictEqual(m.text, 'answer');
    assert.strictEqual(k.rewrites, 1);
  });

  it('an endless answer stops at the limit, the connection closed, kept as stopped with the cut noted', async () => {
    const m = start();
    let aborted = false;
    const endless = (signal: AbortSignal) => (async function* () {
      signal.addEventListener('abort', () => { aborted = true; });
      for (;;) yield { text: 'x'.repeat(300), done: false } as StreamChunk;
    })();
    const r = await new AnswerRun(m, [user('u', 'q')], deps(endless, { maxChars: 1000 })).run(sink());
    assert.deepStrictEqual(r, { state: 'stopped' });
    assert.strictEqual(m.text.length, 1000);
    assert.strictEqual(m.cutAt, 1000);
    assert.ok(aborted, 'the stream was aborted');
  });

  it('Stop keeps the part as stopped; another abort as interrupted', async () => {
    for (const how of ['stop', 'abort'] as const) {
      const m = start();
      let run!: AnswerRun;
      const slow = (signal: AbortSignal) => (async function* () {
        yield { text: 'part', done: false } as StreamChunk;
        if (how === 'stop') run.stop(); else run.abort();
        if (!signal.aborted) await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
        throw new AbortError('aborted');
      })();
      run = new AnswerRun(m, [user('u', 'q')], deps(slow));
      const r = await run.run(sink());
      assert.deepStrictEqual(r, { state: how === 'stop' ? 'stopped' : 'interrupted' });
      assert.strictEqual(m.text, 'part');
    }
  });

  it('a failure is the outcome (with whether a part arrived); a missing model stops it before any request', async () => {
    const m = start();
    const broken = () => (async function* () { yield { text: 'part', done: false } as StreamChunk; throw new StreamError('boom', { error: 'runner died', midStream: true }); })();
    const r = await new AnswerRun(m, [user('u', 'q')], deps(broken)).run(sink());
    assert.strictEqual(r.state, 'error');
    assert.ok(r.state === 'error' && r.partial && r.error instanceof StreamError);
    let asked = false;
    const m2 = start();
    const r2 = await new AnswerRun(m2, [user('u', 'q')], deps(() => { asked = true; return (async function* () { /* nothing */ })(); }, {
      facts: async () => { throw new ModelNotFoundError('missing', { status: 404, error: "model 'm' not found", body: '', model: 'm' }); },
    })).run(sink());
    assert.ok(r2.state === 'error' && !r2.partial && r2.error instanceof ModelNotFoundError);
    assert.strictEqual(asked, false);
    const r3 = await new AnswerRun(start(), [user('u', 'q')], deps([{ text: 'ok', done: false }, { text: '', done: true }], { facts: async () => { throw new Error('show failed'); } })).run(sink());
    assert.strictEqual(r3.state, 'done', 'other failures of the facts do not stop the answer');
  });
});

describe('error kinds (what the presenter words)', () => {
  it('cancel, unreachable, missing model, broken off, other', () => {
    assert.strictEqual(classifyError(new AbortError('x')), 'cancelled');
    assert.strictEqual(classifyError(new Error('late'), { signal: AbortSignal.abort() }), 'cancelled');
    assert.strictEqual(classifyError(new ModelNotFoundError('m', { status: 404, error: '', body: '', model: 'm' })), 'modelMissing');
    for (const e of [new ConnectionError('refused', { code: 'ECONNREFUSED' }), new EndpointNotFoundError('404', { status: 404, error: '', body: '' }),
      new TimeoutError('t', { phase: 'connect', timeoutMs: 1 }), new ResponseError('bad gateway', { status: 502, error: '', body: '' }), new ResponseError('auth', { status: 401, error: '', body: '' })]) {
      assert.ok(isUnreachable(e), e.message);
      assert.strictEqual(classifyError(e), 'unreachable', e.message);
    }
    assert.strictEqual(classifyError(new TimeoutError('t', { phase: 'idle', timeoutMs: 1 })), 'other');
    assert.strictEqual(classifyError(new TimeoutError('t', { phase: 'idle', timeoutMs: 1 }), { partial: true }), 'midStream');
    assert.strictEqual(classifyError(new ConnectionError('reset', { code: 'ECONNRESET' }), { partial: true }), 'midStream', 'a connection lost mid-answer is not "unreachable"');
    assert.strictEqual(classifyError(new IncompleteStreamError('cut', { dropped: true, received: 3 }), { partial: true }), 'midStream');
    assert.strictEqual(classifyError(new ResponseError('500', { status: 500, error: 'oops', body: '' })), 'other');
  });
});
