// Completion from the first keystroke of a new window (issue 10, item 1). Runs only in its own host
// run (OA_SCENARIO=first-keystroke, a fresh profile): nothing of ours may be touched before typing,
// so this test never calls activate(), never runs one of our commands and never opens our views. It
// only writes the endpoint and model settings, opens a .ts file of the workspace and types; the
// request must reach the server and the ghost text must be there to accept. Without an activation
// event that covers typing, the extension is not even loaded and nothing happens.
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { OllamaTestServer } from '../support/ollamaServer';
import { EXTENSION_ID, sleep, waitFor } from './helpers';

const SCENARIO = 'first-keystroke';

describe('first hour: inline completion from the first keystroke of a new window', function () {
  this.timeout(120000);
  let server: OllamaTestServer | undefined;

  before(function () {
    if (process.env.OA_SCENARIO !== SCENARIO) this.skip();
  });
  after(async () => { await server?.close(); });

  it('first keystroke: a fresh window, settings written, a .ts file opened and typed in: FIM request and ghost text, nothing of ours touched first', async () => {
    const t0 = performance.now();
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, 'extension not installed');
    const activeAtStart = ext.isActive;
    let activatedAt: number | undefined = activeAtStart ? 0 : undefined;
    const watch = setInterval(() => { if (activatedAt === undefined && ext.isActive) activatedAt = performance.now() - t0; }, 20);

    server = await OllamaTestServer.start({
      tokenDelayMs: 5,
      reply: (req) => ((req.body.prompt ?? '').endsWith('const greeting = ') ? "'hello, world';\n" : 'undefined;\n'),
    });
    // What a user does in the Settings UI: User settings. (update() does not activate anything.)
    const user = vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration('ollamaAssistant').update('endpoint', server.url, user);
    await vscode.workspace.getConfiguration('ollamaAssistant').update('completion.model', 'qwen2.5-coder:1.5b', user);
    // Word suggestions would open the suggest widget over the ghost text.
    await vscode.workspace.getConfiguration('editor').update('quickSuggestions', { other: false, comments: false, strings: false }, user);

    const file = path.join(process.env.OA_WORKSPACE ?? '', 'hello.ts');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const editor = await vscode.window.showTextDocument(doc);
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    editor.selection = new vscode.Selection(end, end);
    const typedAt = performance.now() - t0;
    // A person's pace: about 10 keys a second.
    for (const ch of 'const greeting = ') {
      await vscode.commands.executeCommand('type', { text: ch });
      await sleep(60);
    }
    const lastKeyAt = performance.now() - t0;

    // A busy workbench can stall a keystroke past the debounce, so an earlier request for a shorter
    // prefix may come first; the one that matters is for the whole line.
    const fim = await waitFor(() => server!.requests.find((r) => r.path === '/api/generate' && String((r.body as { prompt?: string }).prompt).endsWith('const greeting = ')),
      'the FIM request for "const greeting = " at the server', 30000)
      .catch((e: Error) => { throw new Error(`${e.message}; extension active: ${ext.isActive}, activated at ${activatedAt?.toFixed(0)} ms; requests: ${server!.requests.map((r) => r.path).join(' ')}`); });
    const body = fim.body as { model: string; prompt: string; suffix: string; raw?: boolean };
    assert.strictEqual(body.model, 'qwen2.5-coder:1.5b');

    // The ghost text is shown: accepting it puts it into the document.
    const expected = "const greeting = 'hello, world';";
    await waitFor(async () => {
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
      return doc.getText().includes(expected);
    }, `the ghost text to accept (document ends ${JSON.stringify(doc.getText().slice(-40))})`, 15000);
    clearInterval(watch);
    console.log(`[exthost] active at test start: ${activeAtStart}; activated at ${activatedAt?.toFixed(0) ?? '?'} ms; typing ${typedAt.toFixed(0)}–${lastKeyAt.toFixed(0)} ms; FIM request at ${(fim.startedAt - t0).toFixed(0)} ms`);
    assert.strictEqual(ext.isActive, true);
    const events: string[] = ext.packageJSON.activationEvents ?? [];
    assert.ok(events.includes('onStartupFinished'), `activationEvents: ${JSON.stringify(events)}`);
  });
});
