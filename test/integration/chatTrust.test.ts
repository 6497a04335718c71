// The chat in the real extension host with a hostile webview and a server that never stops: every
// message the webview can post is checked by the extension; what would download (pull), delete
// (clear) or read a file to send it (attach) happens only once the user confirms, and a refusal
// leaves no request on the server; an endless answer stops at ollamaAssistant.chat.maxAnswerChars
// with the connection closed, the text kept and a note saying how to allow more.
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { ChatTestState } from '../../src/vscode/testApi';
import { OllamaTestServer } from '../support/ollamaServer';
import { chatState, chatTest, domReport, idle, webview } from './chatHelpers';
import { activate, screenshot, setSetting, waitFor } from './helpers';
import type { FromWebview } from '../../src/shared/chatProtocol';

const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const ENDLESS = Array.from({ length: 150_000 }, (_, i) => `word${i}`).join(' ');

/** What the confirmations asked since the last call; from now on they are answered with `answer`. */
const confirmations = (answer?: boolean) => chatTest<string[]>({ op: 'confirmations', ...(answer !== undefined ? { answer } : {}) });

describe('chat trust: a hostile webview and an endless server (real extension host)', function () {
  this.timeout(90000);
  let server: OllamaTestServer;

  /** Posts as the webview would (anything at all) and waits until the extension has handled it. */
  async function post(message: unknown, handled: (s: ChatTestState) => boolean): Promise<ChatTestState> {
    await webview({ op: 'post', message: message as FromWebview });
    return waitFor(async () => { const s = await chatState(); return handled(s) ? s : undefined; }, `handled: ${JSON.stringify(message).slice(0, 80)}`);
  }
  /** Removes the pending attachments the way a user does (their × buttons). */
  async function removeAttachments(): Promise<void> {
    while ((await chatState()).attachments.length) {
      const n = (await chatState()).attachments.length;
      assert.strictEqual(await webview({ op: 'click', selector: '[data-remove]', index: 0 }), true);
      await waitFor(async () => (await chatState()).attachments.length < n, 'attachment removed');
    }
  }
  const refusedWith = (re: RegExp) => (s: ChatTestState) => s.refused.some((r) => re.test(r));
  const traffic = (from: number, re: RegExp) => server.requests.slice(from).filter((r) => re.test(r.path)).map((r) => `${r.method} ${r.path}`);

  before(async () => {
    server = await OllamaTestServer.start({
      tokenDelayMs: 1,
      reply: ({ body: b }) => {
        const msgs = (b as { messages?: { role: string; content: string }[] } | undefined)?.messages ?? [];
        const last = [...msgs].reverse().find((m) => m.role === 'user')?.content ?? '';
        return last.includes('ENDLESS') ? ENDLESS : `Answer to: ${last.slice(0, 40)}`;
      },
    });
    await activate();
    await setSetting('endpoint', server.url);
    await setSetting('chat.model', 'llama3.2');
    assert.strictEqual(await chatTest<boolean>({ op: 'reveal' }), true, 'chat webview did not become ready');
    await confirmations(false);
  });

  after(async () => {
    await confirmations(undefined);
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await setSetting('endpoint', undefined);
    await setSetting('chat.model', undefined);
    await setSetting('chat.maxAnswerChars', undefined);
    await server.close();
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  beforeEach(async () => { await chatTest({ op: 'newChat' }); });

  it('chat trust: a pullModel from the webview asks first, naming the model; declined, nothing is pulled; invalid names are refused unasked', async () => {
    await confirmations(false);
    const start = server.requests.length;
    await webview({ op: 'post', message: { type: 'action', action: 'pullModel', arg: 'evil/backdoor:latest' } });
    const asked = await waitFor(async () => { const a = await confirmations(false); return a.length ? a : undefined; }, 'the pull confirmation');
    assert.deepStrictEqual(asked, [`Download the model evil/backdoor:latest to ${server.url}?`]);
    // Invalid names never reach the question; unknown actions and types are refused.
    for (const arg of ['../../../etc/passwd', 'a b', 'https://evil.example/m', 'x'.repeat(300), '']) {
      const before = (await chatState()).refused.length;
      await post({ type: 'action', action: 'pullModel', arg }, (s) => s.refused.length > before);
    }
    await post({ type: 'action', action: 'deleteModel', arg: 'llama3.2' }, refusedWith(/unknown action/));
    await post({ type: 'runCommand', command: 'workbench.action.terminal.new' }, refusedWith(/unknown type "runCommand"/));
    await post({ type: 'action', action: 'pullModel', arg: 42 }, refusedWith(/arg not a short string/));
    assert.deepStrictEqual(await confirmations(false), [], 'nothing else was asked');
    assert.deepStrictEqual(traffic(start, /^\/api\/(pull|delete)/), [], 'nothing was pulled or deleted');

    // Confirmed, the same request pulls (so the refusal above is the confirmation, not a broken path).
    await confirmations(true);
    await webview({ op: 'post', message: { type: 'action', action: 'pullModel', arg: 'smollm2:135m' } });
    const pull = await server.waitForRequest((r) => r.path === '/api/pull', 10000);
    assert.strictEqual((pull.body as { model?: string }).model, 'smollm2:135m');
    assert.deepStrictEqual(await confirmations(false), ['Download the model smollm2:135m to ' + server.url + '?']);
    await waitFor(() => server.models().some((m) => m.name === 'smollm2:135m'), 'pull finished', 15000);
  });

  it('chat trust: selectModel only to a model the picker offered; clear and attach-a-file ask first', async () => {
    await webview({ op: 'post', message: { type: 'refreshModels' } });
    await waitFor(async () => (await domReport()).models.includes('llava:7b'), 'models listed');
    const cfg = () => vscode.workspace.getConfiguration('ollamaAssistant').get<string>('chat.model');
    await post({ type: 'selectModel', model: 'evil/model:latest' }, refusedWith(/"evil\/model:latest" is not among the models offered/));
    await post({ type: 'selectModel', model: '../../x' }, refusedWith(/"\.\.\/\.\.\/x" is not among/));
    assert.strictEqual(cfg(), 'llama3.2', 'the setting is unchanged');
    await webview({ op: 'post', message: { type: 'selectModel', model: 'llava:7b' } });
    await waitFor(() => cfg() === 'llava:7b', 'an offered model is selected');
    await setSetting('chat.model', 'llama3.2');

    // Clear: declined keeps the conversation; confirmed clears it.
    await webview({ op: 'send', text: 'keep me' });
    await idle();
    await confirmations(false);
    await webview({ op: 'post', message: { type: 'clear' } });
    assert.deepStrictEqual(await waitFor(async () => { const a = await confirmations(false); return a.length ? a : undefined; }, 'clear confirmation'), ['Clear this chat?']);
    assert.strictEqual((await chatState()).session.messages.length, 2, 'declined: the chat is kept');
    await confirmations(true);
    await webview({ op: 'post', message: { type: 'clear' } });
    await waitFor(async () => (await chatState()).session.messages.length === 0, 'confirmed: cleared');

    // Attach a file: declined attaches nothing; confirmed attaches the active file.
    const folder = vscode.workspace.workspaceFolders![0]!.uri;
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, 'hello.ts')));
    await confirmations(false);
    await webview({ op: 'post', message: { type: 'attachFile' } });
    assert.deepStrictEqual(await waitFor(async () => { const a = await confirmations(false); return a.length ? a : undefined; }, 'attach question'), ['Attach a file to the chat']);
    assert.deepStrictEqual((await chatState()).attachments, []);
    await confirmations(true);
    await webview({ op: 'post', message: { type: 'attachFile' } });
    await waitFor(async () => (await chatState()).attachments.length === 1, 'attached after confirmation');
    assert.strictEqual((await chatState()).attachments[0], 'hello.ts');
    await removeAttachments();
    await confirmations(false);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('chat trust: sizes are bounded (text, images, number of images) and links other than http(s)/mailto are not opened', async () => {
    const start = server.requests.length;
    await post({ type: 'send', text: 'x'.repeat(1_000_001) }, refusedWith(/send: text missing or too long/));
    assert.deepStrictEqual(traffic(start, /^\/api\/chat/), [], 'an oversized message is not sent');
    await post({ type: 'addImage', name: 'big.png', mime: 'image/png', data: 'iVBOR' + 'A'.repeat(28_000_000) }, refusedWith(/image too large/));
    await waitFor(async () => /too large/.test((await domReport()).notice ?? ''), 'the user is told');
    for (let i = 0; i < 12; i++) await webview({ op: 'post', message: { type: 'addImage', name: `dot${i}.png`, mime: 'image/png', data: PNG_1X1 } });
    await waitFor(async () => /No more images/.test((await chatState()).notice ?? ''), 'the eleventh image is refused');
    assert.strictEqual((await chatState()).attachments.filter((a) => a.startsWith('dot')).length, 10);
    for (const href of ['command:workbench.action.terminal.new', 'file:///etc/passwd', 'vscode://ollama-assistant/x', 'javascript:alert(1)']) {
      const before = (await chatState()).links.length;
      const s = await post({ type: 'openLink', href }, (x) => x.links.length > before);
      assert.deepStrictEqual(s.links.at(-1), { href, opened: false });
    }
    await removeAttachments();
    // A view asking for the whole state in a loop gets it at most every 250 ms.
    const before = (await chatState()).statesPosted;
    const t0 = Date.now();
    for (let i = 0; i < 100; i++) await webview({ op: 'post', message: { type: 'resync' } });
    const elapsed = Date.now() - t0;
    const sent = await waitFor(async () => { const s = await chatState(); return s.statesPosted > before ? s.statesPosted - before : undefined; }, 'a resync answered');
    assert.ok(sent <= Math.ceil(elapsed / 250) + 2, `${sent} states for 100 resyncs in ${elapsed} ms`);
  });

  it('chat trust: an endless answer stops at chat.maxAnswerChars: connection closed, text kept, a note on how to raise it, saved as cut', async () => {
    await setSetting('chat.maxAnswerChars', 2000);
    const before = server.requests.filter((r) => r.path === '/api/chat').length;
    await webview({ op: 'send', text: 'Tell me something ENDLESS' });
    const req = await server.waitForRequest((r) => r.path === '/api/chat' && server.requests.filter((x) => x.path === '/api/chat').indexOf(r) >= before, 10000);
    await server.waitForClose(req, 15000);
    assert.strictEqual(req.aborted, true, 'the extension closed the connection');
    assert.ok(req.linesWritten < 2000, `generation stopped early (${req.linesWritten} lines)`);
    const s = await idle();
    const answer = s.session.messages.at(-1)!;
    assert.strictEqual(answer.text.length, 2000);
    assert.ok(ENDLESS.startsWith(answer.text), 'the text received is kept as it came');
    assert.strictEqual(answer.state, 'stopped');
    assert.strictEqual(answer.cutAt, 2000);
    const rep = await waitFor(async () => { const r = await domReport(); return r.busy ? undefined : r; }, 'idle');
    const shown = rep.messages.filter((m) => m.role === 'assistant').at(-1)!;
    assert.match(shown.stateLabel ?? '', /reached the limit of 2,000 characters and was cut there.*ollamaAssistant\.chat\.maxAnswerChars/);
    await screenshot('chat-answer-cut');
    // Saved with the cut: the session read back from disk says so too.
    await chatTest({ op: 'newChat' });
    await idle();
    assert.strictEqual(await chatTest<boolean>({ op: 'switch', id: s.session.id }), true);
    const back = (await chatState()).session.messages.at(-1)!;
    assert.deepStrictEqual([back.text.length, back.cutAt, back.state], [2000, 2000, 'stopped']);
    await setSetting('chat.maxAnswerChars', undefined);
  });
});
