// Model management in the real extension host against the protocol test server: the Models tree
// (installed and running), pull with progress and cancel, a missing model's error, delete, copy,
// details, settings, Modelfile diagnostics / completions / hovers, create from a local .gguf (blob
// upload first), the unreachable-server path, and a screenshot of the populated view.
import * as assert from 'assert';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { OllamaAssistantTestApi } from '../../src/vscode/testApi';
import type { ModelsNode, OperationResult } from '../../src/vscode/models';
import type { UploadApproval } from '../../src/vscode/models/modelfile';
import { OllamaTestServer } from '../support/ollamaServer';
import { screenshot, setSetting, sleep, waitFor, testApi } from './helpers';


interface Row { label: string; description: string; contextValue?: string; node: ModelsNode }

const cmd = <T = OperationResult>(id: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(`ollamaAssistant.models.${id}`, ...args);

describe('models view and commands (real extension host)', function () {
  this.timeout(60000);
  let server: OllamaTestServer;
  let api: OllamaAssistantTestApi;
  let tree: OllamaAssistantTestApi['models']['tree'];
  let tmp: string;

  /** The provider the extension registered (through the test API: the extension is a bundle, so the
   * test cannot import its module instance). */
  function findTree(): OllamaAssistantTestApi['models']['tree'] {
    const t = api.models.tree;
    assert.ok(t, 'models tree provider not registered');
    return t;
  }

  async function sections(): Promise<Record<string, Row[]>> {
    const out: Record<string, Row[]> = {};
    for (const s of await tree.getChildren()) {
      const item = tree.getTreeItem(s);
      out[String(item.id ?? item.label)] = (await tree.getChildren(s)).map((n) => {
        const it = tree.getTreeItem(n);
        return { label: String(it.label), description: String(it.description ?? ''), contextValue: it.contextValue, node: n };
      });
    }
    return out;
  }

  const installedNames = async () => ((await sections())['section/installed'] ?? []).map((r) => r.label);

  before(async () => {
    api = await testApi();
    tree = findTree();
    server = await OllamaTestServer.start();
    await setSetting('endpoint', server.url);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oa-models-'));
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await setSetting('endpoint', undefined);
    await setSetting('keepAlive', undefined);
    await setSetting('chat.model', undefined);
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('models tree lists installed models with family, size, quantization and age, and running ones with memory, GPU share and unload time', async () => {
    server.reset();
    assert.strictEqual((await cmd('load', 'llama3.2:latest')).ok, true);
    const s = await sections();
    assert.deepStrictEqual(Object.keys(s), ['section/installed', 'section/running']);
    assert.deepStrictEqual(s['section/installed'].map((r) => r.label), server.models().map((m) => m.name));
    const llama = s['section/installed'].find((r) => r.label === 'llama3.2:latest')!;
    assert.match(llama.description, /^llama · 3\.2B · Q4_K_M · 2\.0 GB · .+ ago$/);
    assert.strictEqual(llama.contextValue, 'model');
    const running = s['section/running'];
    assert.deepStrictEqual(running.map((r) => [r.label, r.contextValue]), [['llama3.2:latest', 'modelRunning']]);
    // keepAlive default "30m", shown as a countdown clock (issue 10: the expiry counts down)
    assert.match(running[0].description, /^2\.0 GB · 100% GPU · unloads in (29:[0-5]\d|30:00)$/);
    console.log(`[exthost] installed: ${llama.label} — ${llama.description}; running: ${running[0].description}`);
    // The server's version is part of the last fetch and shown in the view's header.
    assert.strictEqual(findTree().snapshot?.version, '0.33.0');

    await setSetting('keepAlive', '-1');
    assert.strictEqual((await cmd('load', 'qwen2.5-coder:1.5b')).ok, true);
    const forever = (await sections())['section/running'].find((r) => r.label === 'qwen2.5-coder:1.5b');
    assert.match(forever?.description ?? '', /stays loaded forever$/);
    await setSetting('keepAlive', undefined);
  });

  it('models: unload (keep_alive 0) takes a model out of the Running section', async () => {
    const running = (await sections())['section/running'];
    const qwen = running.find((r) => r.label === 'qwen2.5-coder:1.5b')!;
    assert.strictEqual((await cmd('unload', qwen.node)).ok, true);
    const unloadReq = server.requests.filter((r) => r.path === '/api/generate').at(-1);
    assert.deepStrictEqual((unloadReq?.body as { keep_alive?: unknown }).keep_alive, 0);
    assert.deepStrictEqual((await sections())['section/running'].map((r) => r.label), ['llama3.2:latest']);
  });

  it('models: pull reports per-layer progress with rising percentages, and the new model appears', async () => {
    server.setFaults({ tokenDelayMs: 170 }, { path: '/api/pull', times: 1 });
    const r = await cmd('pull', 'tinyllama');
    assert.strictEqual(r.ok, true, r.error);
    assert.strictEqual(r.status, 'success');
    const percents = r.reports!.map((x) => x.percent);
    console.log(`[exthost] pull progress: ${r.reports!.map((x) => `${Math.round(x.percent)}% ${x.message}`).join(' | ')}`);
    assert.ok(percents.every((p, i) => i === 0 || p >= percents[i - 1]), `not monotonic: ${percents.join(', ')}`);
    const between = new Set(percents.filter((p) => p > 0 && p < 100).map(Math.round));
    assert.ok(between.size >= 2, `too few intermediate percentages: ${percents.join(', ')}`);
    assert.strictEqual(percents.at(-1), 100);
    assert.ok(r.reports!.some((x) => /^pulling [0-9a-f]{12}: \d+% \(.+ of .+\)$/.test(x.message)), 'no per-layer message');
    assert.ok((await installedNames()).includes('tinyllama:latest'));
  });

  it('models: cancelling a pull aborts the request (the server sees the connection close)', async () => {
    server.setFaults({ tokenDelayMs: 200 }, { path: '/api/pull', times: 1 });
    const cts = new vscode.CancellationTokenSource();
    const pending = cmd('pull', 'smollm2:135m', { token: cts.token });
    const rec = await server.waitForRequest((x) => x.path === '/api/pull' && (x.body as { model?: string })?.model === 'smollm2:135m', 10000);
    await waitFor(() => rec.linesWritten >= 2, 'pull progress lines');
    cts.cancel();
    const r = await pending;
    assert.strictEqual(r.ok, false);
    assert.strictEqual(r.cancelled, true);
    await server.waitForClose(rec, 5000);
    assert.strictEqual(rec.aborted, true);
    assert.ok(!(await installedNames()).includes('smollm2:135m'));
  });

  it("models: a pull of a missing model ends with the server's error text", async () => {
    const r = await cmd('pull', 'no-such-model:1b');
    assert.strictEqual(r.ok, false);
    assert.strictEqual(r.cancelled, undefined);
    assert.strictEqual(r.error, 'pull model manifest: file does not exist');
  });

  it('models: delete (confirmation skipped) removes the model from the server and the tree', async () => {
    const node = (await sections())['section/installed'].find((r) => r.label === 'tinyllama:latest')!.node;
    const r = await cmd('delete', node, { confirm: false });
    assert.strictEqual(r.ok, true, r.error);
    const del = server.requests.filter((x) => x.method === 'DELETE' && x.path === '/api/delete').at(-1);
    assert.deepStrictEqual(del?.body, { model: 'tinyllama:latest' });
    assert.ok(!server.models().some((m) => m.name === 'tinyllama:latest'));
    assert.ok(!(await installedNames()).includes('tinyllama:latest'));
  });

  it('models: copy makes a new model under the given name', async () => {
    const r = await cmd('copy', 'llama3.2:latest', { destination: 'llama-backup' });
    assert.strictEqual(r.ok, true, r.error);
    assert.ok((await installedNames()).includes('llama-backup:latest'));
    const bad = await cmd('copy', 'llama3.2:latest', { destination: 'not a name' });
    assert.strictEqual(bad.ok, false);
  });

  it('models: show opens a read-only markdown document with details, parameters, template and license', async () => {
    const r = await cmd<OperationResult & { uri: string; text: string }>('show', 'llama3.2:latest');
    assert.strictEqual(r.ok, true, r.error);
    const ed = vscode.window.activeTextEditor;
    assert.strictEqual(ed?.document.uri.scheme, 'ollama-model');
    assert.strictEqual(ed?.document.languageId, 'markdown');
    const text = ed!.document.getText();
    for (const part of ['# llama3.2:latest', '| **Quantization** | Q4_K_M |', '## Default parameters', '## Template', '## Model info', '## License', '`tools`']) {
      assert.ok(text.includes(part), `missing ${part}`);
    }
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('models: "Use for Chat" sets the global chat model setting', async () => {
    const node = (await sections())['section/installed'].find((r) => r.label === 'qwen2.5-coder:1.5b')!.node;
    assert.strictEqual((await cmd('setAsChatModel', node)).ok, true);
    const inspect = vscode.workspace.getConfiguration('ollamaAssistant').inspect<string>('chat.model');
    assert.strictEqual(inspect?.globalValue, 'qwen2.5-coder:1.5b');
    await setSetting('chat.model', undefined);
  });

  it('models: Modelfile parse errors show as diagnostics on their lines, block create, and clear when fixed', async () => {
    const dir = path.join(tmp, 'broken');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'Modelfile');
    fs.writeFileSync(file, 'FROM llama3.2\nPARAMETER temprature 0.5\n# fine\nFOO bar\nPARAMETER top_k many\n');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
    assert.strictEqual(doc.languageId, 'modelfile');
    const diags = await waitFor(() => { const d = vscode.languages.getDiagnostics(doc.uri); return d.length >= 3 ? d : undefined; }, 'diagnostics');
    const at = diags.map((d) => [d.range.start.line, d.range.start.character, d.severity, d.message]);
    console.log(`[exthost] diagnostics: ${JSON.stringify(at)}`);
    assert.deepStrictEqual(at.map((x) => x[0]), [1, 3, 4]);
    assert.deepStrictEqual(diags[0].range, new vscode.Range(1, 10, 1, 20));
    assert.match(diags[0].message, /unknown parameter 'temprature'/);
    assert.match(diags[1].message, /command must be one of/);
    assert.match(diags[2].message, /invalid int value "many"/);
    assert.ok(diags.every((d) => d.severity === vscode.DiagnosticSeverity.Error && d.source === 'Modelfile'));

    const before = server.requests.length;
    const r = await cmd('createFromModelfile', doc.uri, { name: 'broken' });
    assert.strictEqual(r.ok, false);
    assert.match(r.error ?? '', /^Line 2: unknown parameter/);
    assert.ok(!server.requests.slice(before).some((x) => x.path === '/api/create'), 'create was sent despite errors');

    // Kept current while editing: fix the file in the editor and the problems go.
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(1, 0, doc.lineCount, 0), 'PARAMETER temperature 0.5\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor(() => vscode.languages.getDiagnostics(doc.uri).length === 0, 'diagnostics cleared');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('models: Modelfile completions (with re-trigger after PARAMETER) and hovers', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'modelfile', content: 'FROM llama3.2\nPA\nPARAMETER te\nPARAMETER temperature 0.2\n' });
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(1, 2));
    const param = list.items.find((i) => i.label === 'PARAMETER');
    assert.ok(param, list.items.map((i) => String(i.label)).join(','));
    assert.strictEqual(param.command?.command, 'editor.action.triggerSuggest');
    const names = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(2, 12));
    assert.ok(names.items.some((i) => i.label === 'temperature' && i.kind === vscode.CompletionItemKind.Property));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(3, 14));
    const md = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : (c as vscode.MarkdownString).value)).join('\n');
    assert.match(md, /temperature/);
    assert.match(md, /Default: 0\.8/);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('models: create from a Modelfile with a local .gguf uploads the blob first (HEAD, POST blob, then create)', async () => {
    const dir = path.join(tmp, 'tiny-local');
    fs.mkdirSync(dir);
    const weights = Buffer.concat([Buffer.from('GGUF\x03\x00\x00\x00', 'latin1'), randomBytes(3 * 1024 * 1024)]);
    fs.writeFileSync(path.join(dir, 'tiny.gguf'), weights);
    fs.writeFileSync(path.join(dir, 'Modelfile'), 'FROM ./tiny.gguf\nPARAMETER temperature 0.3\nSYSTEM """You are terse."""\n');
    const digest = 'sha256:' + createHash('sha256').update(weights).digest('hex');
    const uri = vscode.Uri.file(path.join(dir, 'Modelfile'));

    const start = server.requests.length;
    // The upload is confirmed by the user (here through the command's options): the file, its real
    // path and size, inside the Modelfile's folder.
    const asked: UploadApproval[] = [];
    const r = await cmd('createFromModelfile', uri, { name: 'tiny-local', approveUploads: (a: UploadApproval) => { asked.push(a); return true; } });
    assert.strictEqual(r.ok, true, r.error);
    assert.deepStrictEqual(asked.map((a) => a.files.map((f) => [f.name, f.path, f.size, f.kind, f.outside])),
      [[['tiny.gguf', fs.realpathSync(path.join(dir, 'tiny.gguf')), weights.length, 'gguf', false]]]);
    assert.strictEqual(r.status, 'success');
    const seq = server.requests.slice(start).map((x) => `${x.method} ${x.path}`)
      .filter((x) => /\/api\/(blobs|create)/.test(x));
    assert.deepStrictEqual(seq, [`HEAD /api/blobs/${digest}`, `POST /api/blobs/${digest}`, 'POST /api/create']);
    assert.strictEqual(server.blobs().get(digest), weights.length);
    const createReq = server.requests.slice(start).find((x) => x.path === '/api/create')!;
    assert.deepStrictEqual(createReq.body, {
      model: 'tiny-local', files: { 'tiny.gguf': digest }, parameters: { temperature: 0.3 }, system: 'You are terse.', stream: true,
    });
    const messages = r.reports!.map((x) => x.message);
    console.log(`[exthost] create progress: ${messages.join(' | ')}`);
    assert.ok(messages.some((m) => m.startsWith('Hashing tiny.gguf')), 'no hashing progress');
    assert.ok(messages.some((m) => /^Uploading tiny\.gguf: .+ of 3\.1 MB$/.test(m)), 'no upload progress with bytes');
    assert.ok((await installedNames()).includes('tiny-local:latest'));

    // A second create finds the blob on the server and does not send it again.
    const again = server.requests.length;
    assert.strictEqual((await cmd('createFromModelfile', uri, { name: 'tiny-local-2', approveUploads: () => true })).ok, true);
    const seq2 = server.requests.slice(again).map((x) => `${x.method} ${x.path}`).filter((x) => /\/api\/(blobs|create)/.test(x));
    assert.deepStrictEqual(seq2, [`HEAD /api/blobs/${digest}`, 'POST /api/create']);
  });

  it('models: an unreachable server empties the tree and marks the monitor; the next successful refresh clears it', async () => {
    const gone = await OllamaTestServer.start();
    const url = gone.url;
    await gone.close();
    await setSetting('endpoint', url);
    assert.deepStrictEqual(await tree.getChildren(), []);
    assert.strictEqual(api.monitor.last?.reachable, false);
    await setSetting('endpoint', server.url);
    assert.ok((await tree.getChildren()).length > 0);
    assert.notStrictEqual(api.monitor.last?.reachable, false);
  });

  it('models view screenshot: the populated tree in the sidebar', async () => {
    server.reset();
    await cmd('load', 'llama3.2:latest');
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('workbench.view.extension.ollamaAssistant');
    await vscode.commands.executeCommand('ollamaAssistant.modelsView.focus');
    // A wider sidebar (the command narrows the editor), so the descriptions (size, quantization, GPU share) are readable.
    for (let i = 0; i < 4; i++) await vscode.commands.executeCommand('workbench.action.decreaseViewWidth').then(undefined, () => undefined);
    await vscode.commands.executeCommand('ollamaAssistant.models.refresh');
    const since = server.requests.length;
    await waitFor(() => server.requests.slice(since).some((x) => x.path === '/api/ps'), 'the view to fetch');
    await sleep(1500);
    const file = await screenshot('models-view');
    assert.ok(fs.statSync(file).size > 10_000);
  });
});
