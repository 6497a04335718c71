// The Models view's Running section follows the server (issue 10, item 3): after our own chat,
// completion and translation requests it shows the models they loaded (asking /api/ps only, never
// /api/tags), it notices models other clients load while it is visible, it catches up when shown
// again, and the time each model has left counts down. What is checked is what VS Code was given to
// show (the rows it asked for), never a fetch the test makes itself.
// Runs only in its own host run (OA_SCENARIO=models-running, a fresh profile).
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { OllamaAssistantTestApi } from '../../src/vscode/testApi';
import { OllamaTestServer } from '../support/ollamaServer';
import { chatState, chatTest, idle, webview } from './chatHelpers';
import { screenshot, setSetting, sleep, waitFor, testApi } from './helpers';

type Tree = OllamaAssistantTestApi['models']['tree'];

const POLL_MS = 10_000;

describe('first hour: the Models view keeps "Running" current', function () {
  this.timeout(120000);
  let server: OllamaTestServer;
  let api: OllamaAssistantTestApi;
  let tree: Tree;
  const names = () => tree.shownRunning.map((m) => m.name).sort();
  const count = (p: string, since = 0) => server.requests.slice(since).filter((r) => r.path === p).length;
  /** The Ollama sidebar with both views: the chat (to type into) and Models. */
  const showView = async () => {
    assert.strictEqual(await chatTest<boolean>({ op: 'reveal' }), true, 'chat webview did not become ready');
    await vscode.commands.executeCommand('ollamaAssistant.modelsView.focus');
    await waitFor(() => api.models.view.visible, 'the Models view visible');
  };
  /** Sends a chat message as a user does (typed into the view, Send) and waits for the answer. */
  const chat = async (text: string) => {
    const before = (await chatState()).session.messages.length;
    await webview({ op: 'send', text });
    await waitFor(async () => (await chatState()).session.messages.length > before, `"${text}" accepted`);
    await idle();
  };
  const otherClient = async (body: Record<string, unknown>) => {
    const res = await fetch(new URL('api/generate', server.url.endsWith('/') ? server.url : server.url + '/'), { method: 'POST', body: JSON.stringify(body) });
    assert.strictEqual(res.status, 200, await res.clone().text());
    await res.text();
  };

  before(async function () {
    if (process.env.OA_SCENARIO !== 'models-running') this.skip();
    server = await OllamaTestServer.start({
      tokenDelayMs: 2,
      reply: (req) => ((req.body.prompt ?? '').endsWith('const greeting = ') ? "'hello, world';\n" : 'Bonjour.'),
    });
    await setSetting('endpoint', server.url);
    await setSetting('chat.model', 'llama3.2');
    await setSetting('completion.model', 'qwen2.5-coder:1.5b');
    await setSetting('translation.model', 'qwen3:0.6b');
    await vscode.workspace.getConfiguration('editor').update('quickSuggestions', { other: false, comments: false, strings: false }, vscode.ConfigurationTarget.Global);
    api = await testApi();
    tree = api.models.tree;
    assert.ok(tree, 'models tree provider not registered');
  });
  after(async () => {
    if (process.env.OA_SCENARIO !== 'models-running') return;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await server.close();
  });

  it('models running: our chat, completion and translation requests show up in Running without a refresh, asking /api/ps only', async () => {
    await showView();
    await waitFor(() => tree.snapshot, 'the first fetch of the view');
    assert.deepStrictEqual(tree.snapshot!.running, [], 'a fresh server has nothing loaded');
    // Full fetches of the view (/api/tags + /api/ps + /api/version) from here on: there must be none.
    let fullFetches = 0;
    let step = 'start';
    const at: string[] = [];
    const sub = tree.onDidLoad(() => { fullFetches++; at.push(step); });

    // Chat, as a user: typed into the chat view and sent.
    step = 'chat';
    await chat('hello');
    await waitFor(() => names().includes('llama3.2:latest'), `llama3.2 in Running after the chat`).catch((e: Error) => {
      throw new Error(`${e.message}; shown: ${names()}; snapshot: ${tree.snapshot?.running.map((m) => m.name)}; ps by the view: ${tree.psRefreshes}; requests: ${server.requests.map((r) => r.path).join(' ')}`);
    });

    // Inline completion: typing in an editor.
    step = 'showView';
    await showView();
    step = 'completion';
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: '' });
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One });
    for (const ch of 'const greeting = ') await vscode.commands.executeCommand('type', { text: ch });
    await server.waitForRequest((r) => r.path === '/api/generate', 20000);
    await waitFor(() => names().includes('qwen2.5-coder:1.5b'), `qwen2.5-coder in Running after the completion (shown: ${names()})`);

    step = 'translation';
    // Translation of a selection (to the clipboard, so nothing else opens).
    const src = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'Hello, world.' });
    const ed = await vscode.window.showTextDocument(src, { viewColumn: vscode.ViewColumn.One });
    ed.selection = new vscode.Selection(0, 0, 0, 13);
    const r = await vscode.commands.executeCommand<{ status: string }>('ollamaAssistant.translate.selection', { mode: 'copy' });
    assert.strictEqual(r.status, 'done', JSON.stringify(r));
    await waitFor(() => names().includes('qwen3:0.6b'), `qwen3 in Running after the translation (shown: ${names()})`);

    assert.deepStrictEqual(names(), ['llama3.2:latest', 'qwen2.5-coder:1.5b', 'qwen3:0.6b']);
    sub.dispose();
    assert.strictEqual(fullFetches, 0, `the view refetched everything (it needs /api/ps only), during: ${at.join(', ')}`);
    assert.ok(tree.psRefreshes >= 3, `the Running section asked /api/ps ${tree.psRefreshes} times`);
    console.log(`[exthost] /api/ps requests: ${count('/api/ps')}, of them the Running section's own: ${tree.psRefreshes}; /api/tags: ${count('/api/tags')}`);
  });

  it('models running: the time each model has left counts down every second while the view is visible', async () => {
    const node = () => tree.runningRows.find((n) => n.model.name === 'llama3.2:latest');
    const description = () => String(tree.getTreeItem(node()!).description ?? '');
    const first = description();
    const m = /unloads in (\d+):(\d\d)$/.exec(first);
    assert.ok(m, first);
    const secs = Number(m[1]) * 60 + Number(m[2]);
    assert.ok(secs > 28 * 60 && secs <= 30 * 60, `keep_alive 30m, shows ${first}`);
    // VS Code is told to repaint the row (with the same element) every second.
    let repaints = 0;
    const sub = tree.onDidChangeTreeData((e) => { if (e === node()) repaints++; });
    await waitFor(() => repaints >= 2, 'two countdown repaints', 5000);
    sub.dispose();
    const later = /unloads in (\d+):(\d\d)$/.exec(description())!;
    assert.ok(Number(later[1]) * 60 + Number(later[2]) < secs, `${description()} is not less than ${first}`);
    // A wider sidebar (the command narrows the editor), so the countdown is readable.
    await vscode.commands.executeCommand('ollamaAssistant.modelsView.focus');
    for (let i = 0; i < 5; i++) await vscode.commands.executeCommand('workbench.action.decreaseViewWidth').then(undefined, () => undefined);
    await vscode.commands.executeCommand('notifications.clearAll');
    await sleep(1200);
    await screenshot('models-running-countdown');
  });

  it('models running: a model another client loads appears while the view is visible (polling /api/ps)', async () => {
    const t0 = Date.now();
    // Another client (the ollama CLI, say) loads a model: an empty generate request.
    await otherClient({ model: 'llava:7b', keep_alive: '10m' });
    await waitFor(() => names().includes('llava:7b'), `llava in Running (shown: ${names()})`, POLL_MS + 8000);
    console.log(`[exthost] another client's model shown after ${Date.now() - t0} ms (poll every ${POLL_MS} ms)`);
  });

  it('models running: hidden, the view asks nothing; shown again, it catches up with what our requests loaded', async () => {
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await waitFor(() => !api.models.view.visible, 'the view hidden');
    const since = server.requests.length;
    // Everything unloads behind the view's back (another client), then a translation of ours loads
    // its model while the view is hidden.
    for (const model of ['llama3.2:latest', 'qwen2.5-coder:1.5b', 'qwen3:0.6b', 'llava:7b']) await otherClient({ model, keep_alive: 0 });
    const src = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'Good night.' });
    const ed = await vscode.window.showTextDocument(src);
    ed.selection = new vscode.Selection(0, 0, 0, 11);
    const r = await vscode.commands.executeCommand<{ status: string }>('ollamaAssistant.translate.selection', { mode: 'copy' });
    assert.strictEqual(r.status, 'done', JSON.stringify(r));
    // Longer than the activity coalescing; and no poll while hidden.
    await sleep(1500);
    assert.strictEqual(count('/api/ps', since), 0, 'the hidden view asked /api/ps');
    await showView();
    await waitFor(() => names().join() === 'qwen3:0.6b', `only qwen3 in Running once shown (shown: ${names()})`);
  });
});
