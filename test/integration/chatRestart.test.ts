// History survives a restart of the extension host, including an answer that was still streaming.
// Two runs with the same user data directory:
//   USER_DATA=/tmp/oa-ud EXT_ENV='{"OA_GREP":"chat restart \\(before\\)"}' node scripts/run-integration.mjs
//   USER_DATA=/tmp/oa-ud EXT_ENV='{"OA_GREP":"chat restart \\(after\\)"}' node scripts/run-integration.mjs
// "before" makes a session with a finished exchange and starts a slow answer that is still streaming
// when the run ends (the host is killed); "after" finds the session and the partial answer marked
// interrupted. Both skip unless OA_GREP names them, so a plain "chat" run leaves them out.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { OllamaTestServer } from '../support/ollamaServer';
import { chatState, chatTest, domReport, idle, webview } from './chatHelpers';
import { activate, screenshot, setSetting, testApi, waitFor } from './helpers';

const FIRST_Q = 'restart check: first question';
const SECOND_Q = 'restart check: tell me a long story';
const STORY = Array.from({ length: 3000 }, (_, i) => `story${i}`).join(' ');
const reply = (b: unknown): string => {
  const msgs = (b as { messages?: { role: string; content: string }[] } | undefined)?.messages ?? [];
  const last = [...msgs].reverse().find((m) => m.role === 'user')?.content ?? '';
  return last.includes('long story') ? STORY : 'The first answer.';
};

const selected = () => (process.env.OA_GREP ?? '').includes('chat restart');

async function storageDir(): Promise<string> {
  const api = await testApi();
  return path.join(api.context.ext.globalStorageUri.fsPath, 'chat');
}

describe('chat restart (before)', function () {
  this.timeout(60000);
  before(function () { if (!selected()) this.skip(); });

  it('creates a session and leaves an answer streaming when the host goes away', async () => {
    // The server is deliberately never closed: it dies with the host, mid-answer.
    const server = await OllamaTestServer.start({ reply: ({ body }) => reply(body) });
    await activate();
    await setSetting('endpoint', server.url);
    await setSetting('chat.model', 'llama3.2');
    assert.strictEqual(await chatTest<boolean>({ op: 'reveal' }), true);
    await chatTest({ op: 'newChat' });
    await webview({ op: 'send', text: FIRST_Q });
    await waitFor(async () => (await chatState()).session.messages.length >= 2, 'first exchange started');
    await idle();
    server.setFaults({ tokenDelayMs: 100 }, { path: '/api/chat' });
    await webview({ op: 'send', text: SECOND_Q });
    await waitFor(async () => ((await chatState()).session.messages[3]?.text.length ?? 0) > 60, 'second answer streaming');
    // Wait (on the file, not the clock) until the throttled save has written part of the answer.
    const sessionId = (await chatState()).session.id;
    const file = path.join(await storageDir(), 'sessions', `${sessionId}.json`);
    const partSaved = () => {
      try {
        const m = JSON.parse(fs.readFileSync(file, 'utf8')) as { messages: Array<{ text: string }> };
        return m.messages.length === 4 && (m.messages[3]?.text.length ?? 0) > 12 ? m : undefined;
      } catch { return undefined; }
    };
    await waitFor(partSaved, 'part of the streaming answer saved', 20000);
    const st = await chatState();
    assert.strictEqual(st.busy, true, 'still streaming');
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.strictEqual(saved.messages.length, 4);
    assert.strictEqual(saved.messages[3].state, 'streaming');
    assert.ok(saved.messages[3].text.startsWith('story0 story1'), saved.messages[3].text.slice(0, 40));
    console.log(`[exthost] before restart: session ${st.session.id}, ${saved.messages[3].text.length} characters of the answer on disk`);
  });
});

describe('chat restart (after)', function () {
  this.timeout(60000);
  before(function () { if (!selected()) this.skip(); });

  it('finds the session and the partial answer marked interrupted', async () => {
    const server = await OllamaTestServer.start({ reply: ({ body }) => reply(body) });
    try {
      await activate();
      await setSetting('endpoint', server.url);
      const st = await chatState();
      const summary = st.index.sessions.find((s) => s.title === FIRST_Q);
      assert.ok(summary, `session listed: ${JSON.stringify(st.index.sessions)}`);
      assert.strictEqual(st.session.id, summary.id, 'it is the current session again');
      const msgs = st.session.messages;
      assert.deepStrictEqual(msgs.map((m) => m.role), ['user', 'assistant', 'user', 'assistant']);
      assert.deepStrictEqual(msgs.map((m) => m.text.slice(0, 20)), [FIRST_Q.slice(0, 20), 'The first answer.', SECOND_Q.slice(0, 20), 'story0 story1 story2']);
      assert.strictEqual(msgs[1]!.state, 'done');
      assert.strictEqual(msgs[3]!.state, 'interrupted');
      assert.ok(STORY.startsWith(msgs[3]!.text), 'the partial answer is a prefix of the real one');
      assert.ok(msgs[3]!.text.length > 60);
      // What the user sees
      assert.strictEqual(await chatTest<boolean>({ op: 'reveal' }), true);
      const rep = await waitFor(async () => { const r = await domReport(); return r.messages.length === 4 ? r : undefined; }, 'history shown');
      assert.strictEqual(rep.messages[3]!.state, 'interrupted');
      assert.match(rep.messages[3]!.stateLabel ?? '', /Interrupted/);
      assert.ok(rep.messages[3]!.text.startsWith('story0 story1'));
      console.log(`[exthost] after restart: ${msgs[3]!.text.length} characters of the interrupted answer kept`);
      await screenshot('chat-restart-after');
      // The conversation goes on: Regenerate replaces the interrupted answer.
      await webview({ op: 'click', selector: '[data-msg-action="regenerate"]' });
      await waitFor(() => server.requests.some((r) => r.path === '/api/chat'), 'regenerate request');
      await chatTest({ op: 'idle' }).catch(() => undefined);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeSidebar');
      await setSetting('endpoint', undefined);
      await setSetting('chat.model', undefined);
      await server.close();
    }
  });
});
