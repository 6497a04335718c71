// The chat view in a real extension host against the Ollama-protocol test server: streamed answers
// rendered as markdown with highlighted code and code actions, stop (the server sees the close),
// regenerate / edit, hostile output rendered inert, context and images, model picking, errors with
// the action that fixes them, context trimming, history. The webview reports its DOM through a
// test-only message, so every check reads what the user would see.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { DomReport } from '../../src/shared/chatTestProtocol';
import type { ChatTestState } from '../../src/vscode/testApi';
import { OllamaTestServer, type RecordedRequest } from '../support/ollamaServer';
import { DEFAULT_MODELS } from '../support/ollamaServerModels';
import { CODE_ANSWER, XSS_ANSWER } from './chatFixtures';
import { chatState, chatTest, domReport, idle, webview } from './chatHelpers';
import { activate, screenshot, setSetting, sleep, testApi, waitFor } from './helpers';

const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const LONG_ANSWER = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');

interface ChatBody { model: string; messages: { role: string; content: string; images?: string[] }[]; options?: Record<string, unknown> }
const chatRequests = (s: OllamaTestServer): RecordedRequest[] => s.requests.filter((r) => r.path === '/api/chat');
const body = (r: RecordedRequest | undefined): ChatBody => r?.body as ChatBody;
const lastAssistant = (rep: DomReport) => rep.messages.filter((m) => m.role === 'assistant').at(-1);

function lastUserContent(b: ChatBody): string {
  return [...b.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
}

/** Sends like a user (types into the webview and presses Send) and waits for the answer to end. */
async function ask(text: string): Promise<DomReport> {
  const before = (await chatState()).session.messages.length;
  await webview({ op: 'send', text });
  await waitFor(async () => { const s = await chatState(); return s.session.messages.length > before || s.notice; }, `"${text}" accepted`);
  await idle();
  return waitFor(async () => { const r = await domReport(); return r.busy ? undefined : r; }, 'webview idle');
}

/** Gives the chat the whole sidebar while `f` runs (for screenshots), then puts it back. */
async function withRoomyChat<T>(f: () => Promise<T>): Promise<T> {
  const cmds = new Set(await vscode.commands.getCommands(true));
  const toggle = 'ollamaAssistant.modelsView.toggleVisibility';
  const canToggle = cmds.has(toggle);
  if (canToggle) await vscode.commands.executeCommand(toggle);
  await chatTest({ op: 'reveal' });
  await sleep(400);
  try {
    return await f();
  } finally {
    if (canToggle) await vscode.commands.executeCommand(toggle);
    await chatTest({ op: 'reveal' });
  }
}

describe('chat (real extension host)', function () {
  this.timeout(60000);
  let server: OllamaTestServer;

  before(async () => {
    server = await OllamaTestServer.start({
      tokenDelayMs: 2,
      reply: ({ body: b }) => {
        const msgs = ((b as ChatBody | undefined)?.messages ?? []);
        const last = [...msgs].reverse().find((m) => m.role === 'user')?.content ?? '';
        if (last.includes('XSS')) return XSS_ANSWER;
        if (last.includes('CODE')) return CODE_ANSWER;
        if (last.includes('LONG')) return LONG_ANSWER;
        return `Answer to: ${last.slice(0, 40)}`;
      },
    });
    await activate();
    await setSetting('endpoint', server.url);
    await setSetting('chat.model', 'llama3.2');
    await setSetting('chat.systemPrompt', undefined);
    await setSetting('options', undefined);
    assert.strictEqual(await chatTest<boolean>({ op: 'reveal' }), true, 'chat webview did not become ready');
  });

  after(async () => {
    // Leave the workbench as we found it: the Ollama sidebar closed (its views would otherwise
    // refresh against the default endpoint below and announce it unreachable), no notifications.
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await setSetting('endpoint', undefined);
    await setSetting('chat.model', undefined);
    await setSetting('chat.systemPrompt', undefined);
    await setSetting('options', undefined);
    await server.close();
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  beforeEach(async () => {
    server.clearFaults();
    await chatTest({ op: 'newChat' });
  });

  it('streams an answer rendered as markdown with a highlighted code block, with tokens/s and time to first token', async () => {
    const rep = await ask('Show me CODE for adding numbers');
    const a = lastAssistant(rep)!;
    assert.strictEqual(a.state, 'done', JSON.stringify(a));
    assert.ok(a.text.includes('Here is a TypeScript function'), a.text);
    assert.ok(!a.text.includes('**'), 'markdown is rendered, not shown');
    assert.strictEqual(rep.codeBlocks.length, 2);
    assert.deepStrictEqual(rep.codeBlocks.map((c) => c.language), ['typescript', 'bash']);
    assert.ok(rep.codeBlocks[0]!.highlighted, 'typescript block is highlighted');
    assert.ok(rep.codeBlocks[0]!.text.includes('export function add(a: number, b: number): number {'));
    assert.deepStrictEqual(rep.codeBlocks[0]!.buttons, ['copy', 'insert', 'open']);
    assert.match(a.stats ?? '', /tokens\/s/);
    assert.match(a.stats ?? '', /first answer token \d+\.\d\d s/);
    const req = chatRequests(server).at(-1)!;
    assert.ok(req.linesWritten > 20, `the answer was streamed (${req.linesWritten} lines)`);
    assert.strictEqual(body(req).model, 'llama3.2');
    assert.deepStrictEqual(rep.links, ['https://example.com/docs']);
    const png = await withRoomyChat(() => screenshot('chat-answer'));
    console.log(`[exthost] screenshot: ${png}`);
  });

  it('code block actions: open in a new editor with the fence language, insert at the cursor, copy', async () => {
    await ask('Show me CODE again');
    // Open in a new editor
    assert.strictEqual(await webview({ op: 'click', selector: '[data-code-action="open"]', index: 0 }), true);
    const ed = await waitFor(() => {
      const e = vscode.window.activeTextEditor;
      return e && e.document.isUntitled && e.document.getText().includes('export function add') ? e : undefined;
    }, 'code opened in a new editor');
    assert.strictEqual(ed.document.languageId, 'typescript');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    // Insert at the cursor of the active editor
    const folder = vscode.workspace.workspaceFolders![0]!.uri;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, 'hello.ts'));
    const editor = await vscode.window.showTextDocument(doc);
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    editor.selection = new vscode.Selection(end, end);
    assert.strictEqual(await webview({ op: 'click', selector: '[data-code-action="insert"]', index: 1 }), true);
    await waitFor(() => doc.getText().includes('npm test -- --grep add'), 'code inserted at the cursor');
    assert.ok(doc.getText().startsWith('export function add(a: number, b: number) {'), 'inserted at the cursor, not elsewhere');
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    // Copy
    await vscode.env.clipboard.writeText('');
    assert.strictEqual(await webview({ op: 'click', selector: '[data-code-action="copy"]', index: 0 }), true);
    await waitFor(async () => (await vscode.env.clipboard.readText()).includes('return a + b;'), 'code copied to the clipboard');
  });

  it('Stop aborts the request (the server sees the socket close) and keeps the partial answer', async () => {
    server.setFaults({ tokenDelayMs: 40 }, { path: '/api/chat', times: 1 });
    const before = chatRequests(server).length;
    await webview({ op: 'send', text: 'Tell me something LONG' });
    await waitFor(async () => (lastAssistant(await domReport())?.text.length ?? 0) > 40, 'some streamed text');
    const req = chatRequests(server)[before]!;
    assert.strictEqual(await webview({ op: 'click', selector: '.send-button[data-role="stop"]' }), true);
    await server.waitForClose(req, 5000);
    assert.strictEqual(req.aborted, true);
    assert.ok(req.linesWritten < 300, 'generation stopped early');
    await idle();
    const rep = await waitFor(async () => { const r = await domReport(); return r.busy ? undefined : r; }, 'idle');
    const a = lastAssistant(rep)!;
    assert.strictEqual(a.state, 'stopped');
    assert.ok(a.text.startsWith('word0 word1'), a.text);
    assert.match(a.stateLabel ?? '', /Stopped/);
  });

  it('Regenerate asks again; Edit resends the changed last message', async () => {
    await ask('first question');
    await ask('second question');
    const n = chatRequests(server).length;
    assert.strictEqual(await webview({ op: 'click', selector: '[data-msg-action="regenerate"]' }), true);
    await waitFor(() => chatRequests(server).length > n, 'regenerate request');
    await idle();
    const regen = body(chatRequests(server).at(-1));
    assert.deepStrictEqual(regen.messages.map((m) => m.content), ['first question', 'Answer to: first question', 'second question']);
    let st = await chatState();
    assert.strictEqual(st.session.messages.length, 4, 'the old answer was replaced');

    assert.strictEqual(await webview({ op: 'editLast', text: 'second question, edited' }), true);
    await waitFor(() => chatRequests(server).length > n + 1, 'edit request');
    await idle();
    const edited = body(chatRequests(server).at(-1));
    assert.deepStrictEqual(edited.messages.map((m) => m.content), ['first question', 'Answer to: first question', 'second question, edited']);
    st = await chatState();
    assert.deepStrictEqual(st.session.messages.map((m) => m.text), ['first question', 'Answer to: first question', 'second question, edited', 'Answer to: second question, edited']);
    const rep = await domReport();
    assert.strictEqual(rep.messages.length, 4);
    assert.strictEqual(rep.messages[3]!.text.trim(), 'Answer to: second question, edited');
  });

  it('hostile model output renders inert (XSS corpus): no scripts, frames, handlers, javascript:/data: URLs or styles', async () => {
    const rep = await ask('Print the XSS corpus');
    const summary = {
      scripts: rep.scripts, iframes: rep.iframes, objects: rep.objects, embeds: rep.embeds, forms: rep.forms,
      styleElements: rep.styleElements, styleAttributes: rep.styleAttributes, onAttributes: rep.onAttributes, badUrls: rep.badUrls, canary: rep.canary,
    };
    console.log(`[exthost] XSS corpus DOM summary: ${JSON.stringify(summary)}`);
    assert.deepStrictEqual(summary, {
      scripts: 0, iframes: 0, objects: 0, embeds: 0, forms: 0, styleElements: 0, styleAttributes: 0, onAttributes: [], badUrls: [], canary: false,
    });
    assert.deepStrictEqual(rep.links, ['https://example.com/x.png', 'https://example.com/docs', 'mailto:user@example.com']);
    const a = lastAssistant(rep)!;
    assert.ok(a.text.includes('<script>window.__oaXss=1</script>'), 'tags are shown as text');
    assert.strictEqual(a.state, 'done');
    // Links go through the extension, which opens only http(s)/mailto.
    // (mailto: rather than https: so that no "open external website?" dialog stays on screen)
    await webview({ op: 'clickLink', index: 2 });
    await waitFor(async () => (await chatState()).links.some((l) => l.href === 'mailto:user@example.com' && l.opened), 'link opened via the extension');
    await webview({ op: 'post', message: { type: 'openLink', href: 'javascript:alert(1)' } });
    await webview({ op: 'post', message: { type: 'openLink', href: 'data:text/html,<script>alert(1)</script>' } });
    await waitFor(async () => (await chatState()).links.length >= 3, 'link requests recorded');
    const links = (await chatState()).links;
    assert.deepStrictEqual(links.map((l) => [l.href.slice(0, 11), l.opened]), [['mailto:user', true], ['javascript:', false], ['data:text/h', false]]);
    await withRoomyChat(() => screenshot('chat-xss'));
  });

  it('Ask about selection puts the selection with its file name and language into the prompt as a fenced block', async () => {
    const folder = vscode.workspace.workspaceFolders![0]!.uri;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, 'hello.ts'));
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(0, 0, 2, 1);
    await vscode.commands.executeCommand('ollamaAssistant.chat.askAboutSelection');
    await waitFor(async () => (await domReport()).attachments.length === 1, 'selection attached');
    assert.deepStrictEqual((await domReport()).attachments, ['hello.ts:1-3']);
    await ask('What does this do?');
    const content = lastUserContent(body(chatRequests(server).at(-1)));
    assert.strictEqual(content, 'What does this do?\n\nSelected code from `hello.ts` (lines 1-3), language typescript:\n```typescript\nexport function add(a: number, b: number) {\n  return a + b;\n}\n```');
    const rep = await domReport();
    // The turn shows what was typed and a chip for the selection; the code itself went to the model.
    const turn = rep.messages.filter((m) => m.role === 'user').at(-1)!;
    assert.strictEqual(turn.text.trim(), 'What does this do?');
    assert.deepStrictEqual(turn.attached, ['hello.ts:1-3']);
    assert.deepStrictEqual(rep.attachments, []);
    // Attach the whole active file
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('ollamaAssistant.chat.attachActiveFile');
    await waitFor(async () => (await domReport()).attachments.length === 1, 'file attached');
    await ask('Review this file');
    assert.ok(lastUserContent(body(chatRequests(server).at(-1))).includes('File `hello.ts`, language typescript:\n```typescript\nexport function add'));
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('images: refused with a clear message for a model without vision, sent as base64 to llava', async () => {
    await setSetting('chat.model', 'llama3.2');
    await webview({ op: 'paste', name: 'dot.png', mime: 'image/png', base64: PNG_1X1 });
    await waitFor(async () => (await domReport()).attachments.includes('dot.png'), 'pasted image attached');
    const before = chatRequests(server).length;
    await webview({ op: 'send', text: 'What is in this image?' });
    const refused = await waitFor(async () => { const r = await domReport(); return r.notice ? r : undefined; }, 'refusal notice');
    assert.match(refused.notice!, /llama3\.2 cannot read images: it does not have the vision capability/);
    assert.strictEqual(chatRequests(server).length, before, 'nothing was sent');
    assert.strictEqual(refused.input, 'What is in this image?', 'the question is kept');
    assert.deepStrictEqual(refused.attachments, ['dot.png'], 'the image is kept');
    assert.ok(refused.actions.some((a) => a.action === 'selectModel'));
    await screenshot('chat-image-refused');
    // Pick llava in the view's model picker and send again.
    assert.strictEqual(await webview({ op: 'selectModel', model: 'llava:7b' }), true);
    await waitFor(() => vscode.workspace.getConfiguration('ollamaAssistant').get('chat.model') === 'llava:7b', 'model setting updated');
    const rep = await ask('What is in this image?');
    const b = body(chatRequests(server).at(-1));
    assert.strictEqual(b.model, 'llava:7b');
    assert.deepStrictEqual(b.messages.at(-1)!.images, [PNG_1X1]);
    assert.strictEqual(rep.images, 1, 'the thumbnail is shown in the conversation');
    assert.strictEqual(rep.notice, undefined);
    assert.strictEqual(lastAssistant(rep)!.state, 'done');
    await setSetting('chat.model', 'llama3.2');
  });

  it('the model picker lists /api/tags (never an embedding model) and remembers the choice in ollamaAssistant.chat.model', async () => {
    await webview({ op: 'post', message: { type: 'refreshModels' } });
    const rep = await waitFor(async () => { const r = await domReport(); return r.models.includes('llava:7b') ? r : undefined; }, 'models listed');
    for (const m of server.models()) {
      if (m.capabilities?.includes('completion')) assert.ok(rep.models.includes(m.name), `${m.name} listed`);
      else assert.ok(!rep.models.includes(m.name), `${m.name} (cannot chat) is not offered`);
    }
    assert.strictEqual(rep.selectedModel, 'llama3.2:latest');
    assert.ok(server.requests.some((r) => r.path === '/api/tags'));
    await webview({ op: 'selectModel', model: 'qwen2.5-coder:1.5b' });
    await waitFor(() => vscode.workspace.getConfiguration('ollamaAssistant').get('chat.model') === 'qwen2.5-coder:1.5b', 'setting updated');
    await ask('hello');
    assert.strictEqual(body(chatRequests(server).at(-1)).model, 'qwen2.5-coder:1.5b');
    await setSetting('chat.model', 'llama3.2');
  });

  it('a model that is not installed shows the error with a Pull action', async () => {
    await setSetting('chat.model', 'mistral:7b');
    const rep = await ask('hello?');
    const a = lastAssistant(rep)!;
    assert.strictEqual(a.state, 'error');
    assert.match(a.error ?? '', /Model mistral:7b is not installed on http:\/\/127\.0\.0\.1:\d+/);
    const pull = rep.actions.find((x) => x.action === 'pullModel');
    assert.ok(pull, JSON.stringify(rep.actions));
    assert.strictEqual(pull.arg, 'mistral:7b');
    assert.strictEqual(pull.label, 'Pull mistral:7b');
    await screenshot('chat-model-missing');
    await setSetting('chat.model', 'llama3.2');
  });

  it('an unreachable server: the error names the URL, offers the endpoint setting and Retry', async () => {
    const gone = await OllamaTestServer.start();
    const url = gone.url;
    await gone.close();
    await setSetting('endpoint', url);
    try {
      const rep = await ask('are you there?');
      const a = lastAssistant(rep)!;
      assert.strictEqual(a.state, 'error');
      assert.ok(a.error?.includes(url.replace(/\/$/, '')), a.error);
      assert.deepStrictEqual(rep.actions.map((x) => x.action), ['openEndpointSetting', 'retry']);
      assert.ok(!a.buttons?.includes('regenerate'), 'one button for one action (Retry)');
    } finally {
      await setSetting('endpoint', server.url);
      // The connection monitor also announced it once; close that so later tests start clean.
      await vscode.commands.executeCommand('notifications.clearAll');
    }
    // Retry (with the server back) answers in place of the error.
    const n = chatRequests(server).length;
    await webview({ op: 'click', selector: '[data-action="retry"]' });
    await waitFor(() => chatRequests(server).length > n, 'retry request');
    await idle();
    const rep = await domReport();
    assert.strictEqual(rep.messages.length, 2);
    assert.strictEqual(lastAssistant(rep)!.state, 'done');
    assert.strictEqual(lastAssistant(rep)!.text.trim(), 'Answer to: are you there?');
  });

  it('a mid-stream failure keeps the partial answer, marks it, and offers Retry', async () => {
    server.setFaults({ errorAfterLines: 6, errorMessage: 'runner process has terminated' }, { path: '/api/chat', times: 1 });
    const rep = await ask('Tell me something LONG');
    const a = lastAssistant(rep)!;
    assert.strictEqual(a.state, 'error');
    assert.ok(a.text.startsWith('word0 word1'), a.text);
    assert.match(a.stateLabel ?? '', /broke off/);
    assert.match(a.error ?? '', /runner process has terminated/);
    assert.deepStrictEqual(rep.actions.map((x) => x.action), ['retry']);
    assert.deepStrictEqual(a.buttons, ['copyAnswer'], 'Retry only: Regenerate would be the same action');
    const n = chatRequests(server).length;
    await webview({ op: 'click', selector: '[data-action="retry"]' });
    await waitFor(() => chatRequests(server).length > n, 'retry request');
    await idle();
    const after = lastAssistant(await domReport())!;
    assert.strictEqual(after.state, 'done');
    assert.ok(after.text.includes('word399'));
  });

  it('a long conversation is trimmed oldest-first to num_ctx and keeps the system prompt (request body)', async () => {
    await setSetting('options', { num_ctx: 512 });
    await setSetting('chat.systemPrompt', 'You are a terse assistant.');
    try {
      const pad = (tag: string) => `${tag} ` + 'lorem ipsum '.repeat(80);
      await ask(pad('Q1'));
      await ask(pad('Q2'));
      await ask(pad('Q3'));
      const b = body(chatRequests(server).at(-1));
      assert.strictEqual(b.options?.num_ctx, 512);
      assert.deepStrictEqual(b.messages[0], { role: 'system', content: 'You are a terse assistant.' });
      const users = b.messages.filter((m) => m.role === 'user').map((m) => m.content.slice(0, 2));
      assert.deepStrictEqual(users.at(-1), 'Q3', 'the question is sent');
      assert.ok(!users.includes('Q1'), `the oldest turn was left out: ${users.join(',')}`);
      assert.ok(b.messages.length < 6, `trimmed: ${b.messages.length} messages`);
      const rep = await domReport();
      assert.match(lastAssistant(rep)!.stats ?? '', /older left out/);
      // The history itself keeps everything.
      assert.strictEqual((await chatState()).session.messages.length, 6);
    } finally {
      await setSetting('options', undefined);
      await setSetting('chat.systemPrompt', undefined);
    }
  });

  it('a message over the context budget is sent with a visible notice', async () => {
    await setSetting('options', { num_ctx: 512 });
    try {
      const rep = await ask('HUGE ' + 'lorem ipsum '.repeat(400));
      assert.match(rep.notice ?? '', /too long for the model's context window \(about \d+ tokens; 384 fit\)/);
      assert.strictEqual(lastAssistant(rep)!.state, 'done', 'it is sent anyway');
      const next = await ask('and a short one');
      assert.strictEqual(next.notice, undefined, 'a message that fits clears the notice');
    } finally {
      await setSetting('options', undefined);
    }
  });

  it('a chat deleted while its answer streams stays deleted (the answer does not write it back)', async () => {
    server.setFaults({ tokenDelayMs: 30 }, { path: '/api/chat', times: 1 });
    await webview({ op: 'send', text: 'Tell me something LONG' });
    await waitFor(async () => ((await chatState()).session.messages[1]?.text.length ?? 0) > 40, 'answer streaming');
    const id = (await chatState()).session.id;
    const api = await testApi();
    const file = path.join(api.context.ext.globalStorageUri.fsPath, 'chat', 'sessions', `${id}.json`);
    await waitFor(() => fs.existsSync(file), 'streaming session saved');
    const st = await chatTest<ChatTestState>({ op: 'delete', id });
    assert.notStrictEqual(st.session.id, id);
    await idle();
    await sleep(800); // longer than the save interval
    assert.ok(!fs.existsSync(file), 'the session file was written back');
    assert.ok(!(await chatState()).index.sessions.some((x) => x.id === id), 'listed again');
  });

  it('while a send with an image is checked nothing else starts; New chat cancels it; thinking streams in', async () => {
    // Own server: vision models nobody asked about yet (the capability check is not cached), and no
    // custom reply (so qwen3 thinks).
    const llava = DEFAULT_MODELS.find((m) => m.name === 'llava:7b')!;
    const slow = await OllamaTestServer.start({ models: [...DEFAULT_MODELS, { ...llava, name: 'llava:race1' }, { ...llava, name: 'llava:race2' }] });
    const shows = () => slow.requests.filter((r) => r.path === '/api/show').length;
    try {
      await setSetting('endpoint', slow.url);
      await setSetting('chat.model', 'qwen3:0.6b');
      const first = await ask('warm-up question');
      // Thinking deltas are appended; the view shows the whole thinking text once.
      const thinking = (await chatState()).session.messages[1]!.thinking ?? '';
      assert.ok(thinking.length > 20, thinking);
      assert.strictEqual(lastAssistant(first)!.thinking, thinking);

      // The chat asks /api/show about a newly chosen model at once (for its reasoning control); a
      // send with an image waits for that same answer, which the server holds back.
      const showPending = () => slow.requests.some((r) => r.path === '/api/show' && r.endedAt === undefined);
      slow.setFaults({ firstTokenDelayMs: 4000 }, { path: '/api/show' });
      let n = shows();
      await setSetting('chat.model', 'llava:race1');
      await webview({ op: 'paste', name: 'dot.png', mime: 'image/png', base64: PNG_1X1 });
      await waitFor(async () => (await domReport()).attachments.includes('dot.png'), 'image attached');
      await waitFor(() => shows() > n && showPending(), 'capability check started');
      await webview({ op: 'send', text: 'What is in this image?' });
      await waitFor(async () => (await chatState()).busy, 'busy while the image is checked');
      assert.ok(showPending(), 'the check is still waiting for the server');
      await webview({ op: 'post', message: { type: 'regenerate' } });
      await webview({ op: 'post', message: { type: 'editLast', text: 'edited meanwhile' } });
      await webview({ op: 'post', message: { type: 'send', text: 'sent meanwhile' } });
      await idle();
      let st = await chatState();
      assert.deepStrictEqual(st.session.messages.map((m) => m.role), ['user', 'assistant', 'user', 'assistant']);
      assert.deepStrictEqual(st.session.messages.filter((m) => m.role === 'user').map((m) => m.text), ['warm-up question', 'What is in this image?']);
      assert.strictEqual(st.session.messages[1]!.thinking, thinking, 'the first answer was not regenerated');
      assert.strictEqual(chatRequests(slow).length, 2, 'one answer at a time');
      assert.strictEqual(st.session.messages[3]!.state, 'done');
      const firstSession = st.session.id;

      // New chat while an image is checked: the send is dropped; nothing lands in either chat.
      n = shows();
      await setSetting('chat.model', 'llava:race2');
      await webview({ op: 'paste', name: 'dot.png', mime: 'image/png', base64: PNG_1X1 });
      await waitFor(async () => (await domReport()).attachments.includes('dot.png'), 'image attached again');
      await waitFor(() => shows() > n && showPending(), 'second capability check started');
      await webview({ op: 'send', text: 'This one is cancelled' });
      await waitFor(async () => (await chatState()).busy, 'busy while the second image is checked');
      st = await chatTest<ChatTestState>({ op: 'newChat' });
      assert.notStrictEqual(st.session.id, firstSession);
      assert.strictEqual(st.busy, false);
      // The cancelled check is over (answered or closed) - state, not a fixed wait.
      await waitFor(() => slow.requests.filter((r) => r.path === '/api/show').every((r) => r.endedAt !== undefined || r.closedAt !== undefined), 'the capability checks finished', 20000);
      st = await idle();
      assert.deepStrictEqual(st.session.messages, [], 'nothing landed in the new chat');
      assert.strictEqual(chatRequests(slow).length, 2, 'nothing was sent');
      const rep = await domReport();
      assert.deepStrictEqual(rep.attachments, ['dot.png'], 'the image stays in the composer');
      assert.strictEqual(await chatTest<boolean>({ op: 'switch', id: firstSession }), true);
      assert.strictEqual((await chatState()).session.messages.length, 4, 'nothing landed in the old chat');
      assert.strictEqual(await webview({ op: 'click', selector: '.chip-remove' }), true);
      await waitFor(async () => (await domReport()).attachments.length === 0, 'image removed');
    } finally {
      await setSetting('endpoint', server.url);
      await setSetting('chat.model', 'llama3.2');
      await slow.close();
    }
  });

  it('history: sessions are saved as JSON in global storage, listed, switched, deleted; a hidden view comes back', async () => {
    await ask('session one question');
    const first = (await chatState()).session.id;
    await vscode.commands.executeCommand('ollamaAssistant.chat.newSession');
    await ask('session two question');
    let st = await idle();
    const second = st.session.id;
    assert.notStrictEqual(first, second);
    assert.deepStrictEqual(st.index.sessions.slice(0, 2).map((s) => s.id), [second, first]);
    assert.strictEqual(st.index.sessions[1]!.title, 'session one question');
    const api = await testApi();
    const dir = path.join(api.context.ext.globalStorageUri.fsPath, 'chat');
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'sessions', `${first}.json`), 'utf8'));
    assert.deepStrictEqual(saved.messages.map((m: { text: string }) => m.text), ['session one question', 'Answer to: session one question']);
    assert.ok(!fs.readdirSync(path.join(dir, 'sessions')).some((f) => f.endsWith('.tmp')), 'no temp files left');
    assert.strictEqual(JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')).currentId, second);
    // Switch
    assert.strictEqual(await chatTest<boolean>({ op: 'switch', id: first }), true);
    await waitFor(async () => (await domReport()).messages[0]?.text.includes('session one question'), 'switched session shown');
    // Hide the view (its webview is destroyed) and show it again: the state comes back from the extension.
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await sleep(300);
    assert.strictEqual(await chatTest<boolean>({ op: 'reveal' }), true);
    const back = await waitFor(async () => { const r = await domReport(); return r.messages.length === 2 ? r : undefined; }, 'state re-sent');
    assert.ok(back.messages[1]!.text.includes('Answer to: session one question'));
    // Delete
    st = await chatTest<ChatTestState>({ op: 'delete', id: first });
    assert.ok(!st.index.sessions.some((s) => s.id === first));
    assert.ok(!fs.existsSync(path.join(dir, 'sessions', `${first}.json`)));
    assert.strictEqual(st.session.id, second, 'the next most recent session is shown');
  });
});
