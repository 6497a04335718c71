// Chat context in a real extension host (issue 15): mentions of a file, a symbol (the TypeScript
// workspace symbol provider), problems and the git working-tree diff reach the request body;
// `@workspace` finds the file that defines the function a question is about (a nested .gitignore
// keeps another file out); the answer's sources open the file at the snippet's lines, and removing
// one answers again without it. Against the Ollama-protocol test server, with its embedding model
// (all-minilm) for the hybrid ranking.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { DomReport } from '../../src/shared/chatTestProtocol';
import { OllamaTestServer, type RecordedRequest } from '../support/ollamaServer';
import { chatState, chatTest, domReport, idle, webview } from './chatHelpers';
import { activate, screenshot, setSetting, testApi, waitFor } from './helpers';

interface ChatBody { messages: { role: string; content: string }[] }
const chatRequests = (s: OllamaTestServer): RecordedRequest[] => s.requests.filter((r) => r.path === '/api/chat');
const lastUser = (r: RecordedRequest | undefined): string => [...((r?.body as ChatBody | undefined)?.messages ?? [])].reverse().find((m) => m.role === 'user')?.content ?? '';

const BUSINESS_DAYS = `/**
 * Adds the given number of business days to a date: Saturdays and Sundays are skipped.
 */
export function addBusinessDays(date: Date, amount: number): Date {
  const result = new Date(date);
  let left = amount;
  while (left > 0) {
    result.setDate(result.getDate() + 1);
    const day = result.getDay();
    if (day !== 0 && day !== 6) left--;
  }
  return result;
}
`;
const PAD = `export function padStart(text: string, width: number, fill = ' '): string {
  while (text.length < width) text = fill + text;
  return text;
}

export function padEnd(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}
`;

async function ask(text: string): Promise<DomReport> {
  const before = (await chatState()).session.messages.length;
  await webview({ op: 'send', text });
  await waitFor(async () => { const s = await chatState(); return s.session.messages.length > before || s.notice; }, `"${text}" accepted`, 60000);
  await idle();
  return waitFor(async () => { const r = await domReport(); return r.busy ? undefined : r; }, 'webview idle');
}

describe('chat context: mentions, @workspace, sources (real extension host)', function () {
  this.timeout(120000);
  let server: OllamaTestServer;
  let root: string;
  const file = (rel: string) => vscode.Uri.file(path.join(root, rel));

  before(async () => {
    server = await OllamaTestServer.start({ tokenDelayMs: 1, reply: () => 'Noted.' });
    root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const write = (rel: string, text: string) => { fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true }); fs.writeFileSync(path.join(root, rel), text); };
    write('ctx/dates/businessDays.ts', BUSINESS_DAYS);
    write('ctx/strings/pad.ts', PAD);
    write('ctx/.gitignore', 'ignored/\n');
    write('ctx/ignored/secret.ts', '// business days, weekends, adds business days to a date, skipping Saturdays and Sundays\nexport const addBusinessDaysCopy = 1;\n');
    write('ctx/README.md', '# Utilities\n\nSmall helpers for strings.\n');
    await activate();
    await setSetting('endpoint', server.url);
    await setSetting('chat.model', 'llama3.2');
    await setSetting('embeddings.model', 'all-minilm');
    assert.strictEqual(await chatTest<boolean>({ op: 'reveal' }), true, 'chat webview did not become ready');
  });

  after(async () => {
    await vscode.workspace.getConfiguration('git').update('enabled', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await setSetting('endpoint', undefined);
    await setSetting('chat.model', undefined);
    await setSetting('embeddings.model', undefined);
    await server.close();
    fs.rmSync(path.join(root, 'ctx'), { recursive: true, force: true });
    fs.rmSync(path.join(root, '.git'), { recursive: true, force: true });
  });

  it('a mention of a file and of a symbol reaches the request body, each a chip with its size in tokens', async () => {
    const api = await testApi();
    await chatTest({ op: 'newChat' });
    // The TypeScript symbol provider answers once it has a project: open a .ts file first.
    await vscode.window.showTextDocument(file('ctx/strings/pad.ts'));
    assert.strictEqual(await api.chat.mention('file', 'ctx/dates/businessDays.ts'), '');
    await waitFor(async () => (await api.chat.mention('symbol', 'padEnd')) !== undefined, 'the symbol provider to find padEnd', 60000);
    const rep = await domReport();
    const labels = (await chatState()).attachments;
    assert.strictEqual(labels[0], 'ctx/dates/businessDays.ts');
    // The TypeScript provider names a function "padEnd()".
    assert.match(labels[1] ?? '', /^padEnd(\(\))? · ctx\/strings\/pad\.ts:6-8$/);
    assert.ok(rep.attachmentTokens.length === 2 && rep.attachmentTokens.every((a) => /^~\d+ tok$/.test(a)), JSON.stringify(rep.attachmentTokens));
    const n = chatRequests(server).length;
    await ask('What do these do?');
    assert.strictEqual(chatRequests(server).length, n + 1);
    const content = lastUser(chatRequests(server).at(-1));
    assert.ok(content.includes('File `ctx/dates/businessDays.ts`') && content.includes('export function addBusinessDays(date: Date, amount: number)'), content);
    assert.match(content, /The symbol `padEnd(\(\))?` from `ctx\/strings\/pad\.ts` \(lines 6-8\)/);
    assert.ok(content.includes("text + ' '.repeat(width - text.length)"), content);
    assert.ok(!content.includes('export function padStart'), 'only the symbol, not its whole file');
  });

  it('@workspace finds the file that defines the asked-about function; its source opens at the right lines; removing it answers again without it', async () => {
    await chatTest({ op: 'newChat' });
    const n = chatRequests(server).length;
    await ask('@workspace which function adds business days to a date, skipping weekends?');
    assert.strictEqual(chatRequests(server).length, n + 1);
    const content = lastUser(chatRequests(server).at(-1));
    assert.ok(content.includes('From the workspace search: `ctx/dates/businessDays.ts` (lines 1-13)'), content);
    assert.ok(!content.includes('secret.ts') && !content.includes('addBusinessDaysCopy'), 'a file the nested .gitignore ignores is never searched');
    const stats = await (await testApi()).chat.indexStats();
    assert.strictEqual(stats.state, 'ready');
    assert.ok(stats.files >= 4, JSON.stringify(stats));
    assert.strictEqual(stats.worker, true, 'chunking and BM25 run on the worker thread (dist/contextWorker.js)');
    assert.ok((stats.engineHeapBytes ?? 0) > 0, JSON.stringify(stats));

    const s = await chatState();
    const turn = s.session.messages.at(-2)!;
    const answer = s.session.messages.at(-1)!;
    const index = turn.context!.findIndex((a) => a.path === 'ctx/dates/businessDays.ts');
    assert.ok(index >= 0);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.ok(await webview({ op: 'click', selector: `.msg[data-id="${answer.id}"] .source-open`, index }), 'the source is shown under the answer');
    const ed = await waitFor(() => {
      const e = vscode.window.activeTextEditor;
      return e?.document.uri.fsPath.endsWith(path.join('ctx', 'dates', 'businessDays.ts')) && !e.selection.isEmpty ? e : undefined;
    }, 'the source to open with its lines selected');
    assert.strictEqual(ed.selection.start.line, 0);
    assert.strictEqual(ed.selection.end.line, 12);
    assert.ok(ed.document.lineAt(3).text.startsWith('export function addBusinessDays'));
    await screenshot('context-sources');

    const m = chatRequests(server).length;
    assert.ok(await webview({ op: 'click', selector: `.msg[data-id="${answer.id}"] .source-remove`, index }));
    await waitFor(() => chatRequests(server).length > m, 'the answer again');
    await idle();
    const again = lastUser(chatRequests(server).at(-1));
    assert.ok(!again.includes('ctx/dates/businessDays.ts'), again);
    assert.ok(!(await chatState()).session.messages.at(-2)!.context?.some((a) => a.path === 'ctx/dates/businessDays.ts'));
  });

  it('the index follows the files: a new file is found by @workspace, a new file the .gitignore ignores is not', async () => {
    const api = await testApi();
    const before = (await api.chat.indexStats()).files;
    fs.mkdirSync(path.join(root, 'ctx/later'), { recursive: true });
    fs.writeFileSync(path.join(root, 'ctx/later/fortnight.ts'), 'export function addFortnights(date: Date, count: number): Date {\n  return new Date(date.getTime() + count * 14 * 86400000);\n}\n');
    fs.writeFileSync(path.join(root, 'ctx/ignored/fortnight2.ts'), 'export function addFortnightsCopy() { /* fortnights */ }\n');
    await waitFor(async () => (await api.chat.indexStats()).files > before, 'the watcher to index the new file', 30000);
    await chatTest({ op: 'newChat' });
    await ask('@workspace how do I add fortnights to a date?');
    const content = lastUser(chatRequests(server).at(-1));
    assert.ok(content.includes('From the workspace search: `ctx/later/fortnight.ts`'), content);
    assert.ok(!content.includes('fortnight2.ts'), 'the ignored file is not indexed');
    assert.strictEqual((await api.chat.indexStats()).files, before + 1);
  });

  it('a folder mention is a bounded summary; a message that cannot fit the context window is not sent', async () => {
    const api = await testApi();
    await chatTest({ op: 'newChat' });
    assert.strictEqual(await api.chat.mention('folder', 'ctx/strings'), '');
    assert.deepStrictEqual((await chatState()).attachments, ['Folder ctx/strings']);
    await ask('What is in this folder?');
    const content = lastUser(chatRequests(server).at(-1));
    assert.ok(content.includes('Summary of the folder `ctx/strings`') && content.includes('- pad.ts') && content.includes('== pad.ts =='), content);
    assert.ok(!content.includes('businessDays'), 'only that folder');

    // A context window of 256 tokens cannot hold the file: nothing is sent, the composer says why.
    await setSetting('options', { num_ctx: 256 });
    try {
      await api.chat.mention('file', 'ctx/dates/businessDays.ts');
      await api.chat.mention('file', 'ctx/strings/pad.ts');
      const n = chatRequests(server).length;
      await webview({ op: 'send', text: 'Too much?' });
      const s = await waitFor(async () => { const x = await chatState(); return x.notice ? x : undefined; }, 'the notice');
      assert.match(s.notice!, /about \d+ tokens, but \d+ fit in the model's context window/);
      assert.strictEqual(chatRequests(server).length, n, 'nothing was sent');
      assert.strictEqual(s.attachments.length, 2, 'the attachments stay, to remove some');
    } finally {
      await setSetting('options', undefined);
      // Removed as a user would (the chips' ×), so the next test starts with an empty composer.
      while ((await chatState()).attachments.length) {
        const before = (await chatState()).attachments.length;
        assert.ok(await webview({ op: 'click', selector: '.chip-remove' }));
        await waitFor(async () => (await chatState()).attachments.length < before, 'the chip removed');
      }
    }
  });

  it('the @ button opens the picker in the editor; picking @workspace puts it in the composer', async () => {
    assert.ok(await webview({ op: 'click', selector: '.mention-button' }));
    const api = await testApi();
    await waitFor(() => api.chat.mentionPickerOpen(), 'the picker to show');
    await screenshot('context-mention-picker');
    // The quick pick is the editor's own: accept its first item (@workspace) once its items are there.
    await waitFor(async () => {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      // The composer still holds the text of the message the previous test could not send.
      return (await domReport()).input === 'Too much? @workspace ';
    }, 'the composer to get @workspace', 30000);
  });

  it('an open editor and the selection are mentions too', async () => {
    const api = await testApi();
    await chatTest({ op: 'newChat' });
    const ed = await vscode.window.showTextDocument(file('ctx/strings/pad.ts'));
    ed.selection = new vscode.Selection(1, 0, 2, 15);
    assert.strictEqual(await api.chat.mention('selection'), '');
    assert.strictEqual(await api.chat.mention('editor', 'open editor · ctx/strings/pad.ts'), '');
    assert.deepStrictEqual((await chatState()).attachments, ['ctx/strings/pad.ts:2-3', 'ctx/strings/pad.ts']);
    await ask('Explain');
    const content = lastUser(chatRequests(server).at(-1));
    assert.ok(content.includes('Selected code from `ctx/strings/pad.ts` (lines 2-3)') && content.includes('File `ctx/strings/pad.ts`'), content);
  });

  it('problems of the current file reach the request body', async () => {
    await chatTest({ op: 'newChat' });
    const uri = file('ctx/strings/pad.ts');
    await vscode.window.showTextDocument(uri);
    const diags = vscode.languages.createDiagnosticCollection('oa-test');
    try {
      const d = new vscode.Diagnostic(new vscode.Range(1, 4, 1, 8), 'TEST-PROBLEM: width may be negative', vscode.DiagnosticSeverity.Error);
      d.source = 'oa-test';
      diags.set(uri, [d]);
      await waitFor(() => vscode.languages.getDiagnostics(uri).some((x) => x.message.startsWith('TEST-PROBLEM')), 'the diagnostic');
      assert.strictEqual(await (await testApi()).chat.mention('problems'), '');
      await ask('How do I fix this?');
      const content = lastUser(chatRequests(server).at(-1));
      assert.ok(content.includes('Problems (diagnostics) reported in `ctx/strings/pad.ts`'), content);
      assert.ok(content.includes('ctx/strings/pad.ts:2:5 error: TEST-PROBLEM: width may be negative (oa-test)'), content);
    } finally {
      diags.dispose();
    }
  });

  it('the git working-tree diff (tracked changes and untracked files) reaches the request body', async () => {
    await chatTest({ op: 'newChat' });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: root });
    git('init', '-q');
    git('add', 'ctx');
    git('commit', '-q', '-m', 'base');
    fs.appendFileSync(path.join(root, 'ctx/strings/pad.ts'), '// CHANGED-LINE\n');
    fs.writeFileSync(path.join(root, 'ctx/strings/fresh.ts'), 'export const fresh = 1;\n');
    await vscode.workspace.getConfiguration('git').update('enabled', true, vscode.ConfigurationTarget.Global);
    const ext = vscode.extensions.getExtension<{ getAPI(v: 1): { repositories: { state: { workingTreeChanges: unknown[]; untrackedChanges?: unknown[] } }[] } }>('vscode.git')!;
    const exports = ext.isActive ? ext.exports : await ext.activate();
    await waitFor(() => {
      try {
        const r = exports.getAPI(1).repositories[0];
        return r && r.state.workingTreeChanges.length + (r.state.untrackedChanges?.length ?? 0) >= 2;
      } catch { return false; }
    }, 'the git extension to see the changes', 60000);
    assert.strictEqual(await (await testApi()).chat.mention('diff'), '');
    await ask('Review my changes');
    const content = lastUser(chatRequests(server).at(-1));
    assert.ok(content.includes('The git working-tree changes (diff against HEAD)'), content);
    assert.ok(content.includes('+// CHANGED-LINE'), content);
    assert.ok(content.includes('new file ctx/strings/fresh.ts (untracked)') && content.includes('+export const fresh = 1;'), content);
  });

  it('an unsaved edit is searched once typing pauses; the saved file again after the edit is undone', async () => {
    const api = await testApi();
    const uri = file('ctx/strings/pad.ts');
    const editor = await vscode.window.showTextDocument(uri);
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), 'export function centerTextQuokka(text: string): string { return text; }\n\n'));
    assert.ok(editor.document.isDirty);
    // One word no file has (an identifier's parts would also match other files: `text`).
    const found = await waitFor(async () => { const r = await api.chat.workspaceSearch('quokka', true); return r.hits.length ? r : undefined; }, 'the unsaved text in the index', 30000);
    assert.deepStrictEqual(found.hits, ['ctx/strings/pad.ts:1']);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await waitFor(async () => (await api.chat.workspaceSearch('quokka', true)).hits.length === 0, 'the reverted text to leave the index', 30000);
  });

  it('embeddings.model from .vscode/settings.json is ignored: nothing is embedded until the user sets it', async () => {
    const api = await testApi();
    const settingsFile = path.join(root, '.vscode', 'settings.json');
    const had = fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, 'utf8') : undefined;
    const inspect = () => vscode.workspace.getConfiguration('ollamaAssistant').inspect('embeddings.model');
    try {
      await setSetting('embeddings.model', undefined);
      fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
      fs.writeFileSync(settingsFile, JSON.stringify({ ...(had ? JSON.parse(had) as object : {}), 'ollamaAssistant.embeddings.model': 'all-minilm' }, null, 2));
      await waitFor(() => inspect()?.workspaceValue === 'all-minilm', 'the workspace value', 20000);
      await vscode.commands.executeCommand('ollamaAssistant.context.rebuildIndex');
      const before = server.requests.length;
      const st = await api.chat.indexStats();
      assert.strictEqual(st.embeddings, undefined, `a repository turned embeddings on: ${JSON.stringify(st.embeddings)}`);
      const r = await api.chat.workspaceSearch('how do I add business days to a date?');
      assert.strictEqual(r.usedVectors, false);
      assert.ok(r.hits[0]?.startsWith('ctx/dates/businessDays.ts:'), JSON.stringify(r));
      assert.strictEqual(server.requests.slice(before).filter((x) => x.path === '/api/embed').length, 0, 'no chunk or question was sent to be embedded');
      // The user's own setting turns it on.
      await setSetting('embeddings.model', 'all-minilm');
      const on = await waitFor(async () => { const s = await api.chat.indexStats(); return s.embeddings?.model === 'all-minilm' ? s : undefined; }, 'embeddings from the user setting', 30000);
      assert.strictEqual(on.embeddings!.model, 'all-minilm');
    } finally {
      if (had === undefined) fs.rmSync(settingsFile, { force: true }); else fs.writeFileSync(settingsFile, had);
      await waitFor(() => inspect()?.workspaceValue === undefined, 'the workspace value gone', 20000);
    }
  });

  it('a symbolic link in the workspace to a file elsewhere on the machine is not indexed', async () => {
    const api = await testApi();
    const outside = path.join(os.tmpdir(), `oa-outside-${process.pid}.txt`);
    fs.writeFileSync(outside, 'aws_secret_access_key = zebraquartzsecret\n');
    fs.symlinkSync(outside, path.join(root, 'ctx/notes.md'));
    fs.writeFileSync(path.join(root, 'ctx/plain.md'), 'zebraquartz notes that are really here\n');
    try {
      await vscode.commands.executeCommand('ollamaAssistant.context.rebuildIndex');
      const r = await waitFor(async () => { const x = await api.chat.workspaceSearch('zebraquartz', true); return x.hits.length ? x : undefined; }, 'the real file in the index', 30000);
      assert.deepStrictEqual(r.hits.map((h) => h.split(':')[0]), ['ctx/plain.md'], 'the link (and the secret it points at) is not searched');
      assert.strictEqual((await api.chat.workspaceSearch('zebraquartzsecret', true)).hits.length, 0);
    } finally {
      fs.rmSync(path.join(root, 'ctx/notes.md'), { force: true });
      fs.rmSync(path.join(root, 'ctx/plain.md'), { force: true });
      fs.rmSync(outside, { force: true });
    }
  });

  it('a deleted folder leaves the index with every file in it', async () => {
    const api = await testApi();
    fs.mkdirSync(path.join(root, 'ctx/legacy/deep'), { recursive: true });
    fs.writeFileSync(path.join(root, 'ctx/legacy/a.ts'), 'export function wombatAlpha() {}\n');
    fs.writeFileSync(path.join(root, 'ctx/legacy/deep/b.ts'), 'export function wombatBeta() {}\n');
    await waitFor(async () => (await api.chat.workspaceSearch('wombat', true)).hits.length === 2, 'both files in the index', 30000);
    fs.rmSync(path.join(root, 'ctx/legacy'), { recursive: true, force: true });
    await waitFor(async () => (await api.chat.workspaceSearch('wombat', true)).hits.length === 0, 'the folder to leave the index', 30000);
  });

  it('files.exclude and search.exclude leave files out, at the listing and when the watcher reports new ones', async () => {
    const api = await testApi();
    const conf = (section: string) => vscode.workspace.getConfiguration(section);
    const write = (rel: string, text: string) => { fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true }); fs.writeFileSync(path.join(root, rel), text); };
    write('ctx/fx/a.ts', 'export function platypusFiles() {}\n');
    write('ctx/sx/b.ts', 'export function platypusSearch() {}\n');
    write('ctx/kept/c.ts', 'export function platypusKept() {}\n');
    try {
      await conf('files').update('exclude', { '**/ctx/fx': true }, vscode.ConfigurationTarget.Global);
      await conf('search').update('exclude', { '**/ctx/sx': true }, vscode.ConfigurationTarget.Global);
      // The settings change lists the files again.
      await waitFor(async () => { const r = await api.chat.workspaceSearch('platypus', true); return r.hits.length === 1 ? r : undefined; }, 'only the kept file', 30000);
      assert.deepStrictEqual((await api.chat.workspaceSearch('platypus', true)).hits.map((h) => h.split(':')[0]), ['ctx/kept/c.ts']);
      // New files after the listing: an excluded folder's stays out, a kept folder's comes in.
      write('ctx/sx/d.ts', 'export function wallabyLater() {}\n');
      write('ctx/kept/e.ts', 'export function wallabyLater() {}\n');
      await waitFor(async () => (await api.chat.workspaceSearch('wallaby', true)).hits.length >= 1, 'the new kept file', 30000);
      assert.deepStrictEqual((await api.chat.workspaceSearch('wallaby', true)).hits.map((h) => h.split(':')[0]), ['ctx/kept/e.ts']);
    } finally {
      await conf('files').update('exclude', undefined, vscode.ConfigurationTarget.Global);
      await conf('search').update('exclude', undefined, vscode.ConfigurationTarget.Global);
      for (const d of ['fx', 'sx', 'kept']) fs.rmSync(path.join(root, 'ctx', d), { recursive: true, force: true });
    }
  });
});
