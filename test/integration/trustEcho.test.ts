// Issue 19 in the real extension host (items 2, 4 and 6): a server that echoes the request's
// credentials into its errors (the API token from SecretStorage, a secret header from settings, the
// endpoint's Basic userinfo) never gets them into the chat (the message shown, the history file on
// disk), the Output channel, a translation's outcome and log, the Models view or a model command's
// error; a proxy answering 407 is reported as that, naming the proxy and how to give it credentials;
// a repository's .vscode/settings.json cannot prune the history of every workspace, raise limits,
// change what the server keeps loaded, or turn on inline completion the user turned off.
import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as vscode from 'vscode';
import type { OperationResult } from '../../src/vscode/models';
import type { TranslationOutcome } from '../../src/vscode/translate/service';
import type { OllamaAssistantTestApi } from '../../src/vscode/testApi';
import { OllamaTestServer } from '../support/ollamaServer';
import { chatTest, idle, webview } from './chatHelpers';
import { screenshot, setSetting, testApi, waitFor } from './helpers';

interface ServerStatus { reachable: boolean; url: string; error?: string }

const TOKEN = `oa-tok-${Date.now().toString(36)}-S3cret`;
const API_KEY = 'xk-live-0123456789abcdef';
const PASS = 'hunter2-pa55word';
const NEVER = [TOKEN, API_KEY, PASS, Buffer.from(`bob:${PASS}`).toString('base64'), 'S3cret', 'pa55word'];

const userData = () => process.env.OA_USER_DATA ?? '';
function filesUnder(dir: string): string[] {
  if (!dir || !fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}
/** Our Output channel's log file(s), as written to disk. */
const outputLog = () => filesUnder(path.join(userData(), 'logs')).filter((f) => path.basename(f) === 'Ollama Assistant.log').map((f) => fs.readFileSync(f, 'utf8')).join('\n');
/** The chat history files on disk (globalStorage/<extension>/chat). */
const historyFiles = () => filesUnder(userData()).filter((f) => f.includes(`${path.sep}chat${path.sep}`) && f.endsWith('.json'));

function assertNoSecret(text: string, where: string): void {
  for (const s of NEVER) assert.ok(!text.includes(s), `${where}: "${s}" leaked:\n${text.slice(0, 2000)}`);
}

describe('trust: credentials echoed by a server stay out of everything shown, logged or stored (real extension host)', function () {
  this.timeout(90000);
  let server: OllamaTestServer;
  let api: OllamaAssistantTestApi;

  before(async () => {
    api = await testApi();
    server = await OllamaTestServer.start({ tokenDelayMs: 1 });
    // The endpoint carries Basic userinfo, the headers setting a secret header, SecretStorage the token.
    await setSetting('endpoint', server.url.replace('http://', `http://bob:${PASS}@`));
    await setSetting('headers', { 'X-Api-Key': API_KEY });
    await setSetting('chat.model', 'llama3.2');
    await setSetting('translation.model', 'llama3.2');
    assert.strictEqual(await vscode.commands.executeCommand('ollamaAssistant.setApiToken', TOKEN), true);
    assert.strictEqual(await chatTest<boolean>({ op: 'reveal' }), true, 'chat webview did not become ready');
  });

  after(async () => {
    server.clearFaults();
    await vscode.commands.executeCommand('ollamaAssistant.clearApiToken');
    for (const k of ['endpoint', 'headers', 'chat.model', 'translation.model', 'translation.outputMode']) await setSetting(k, undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('notifications.clearAll');
    await server.close();
  });

  beforeEach(() => { server.clearFaults(); });

  it('trust echo: chat - an in-band error and a 401 that quote the request headers: the message shown, the history file on disk and the log carry ***, never a credential', async () => {
    await chatTest({ op: 'newChat' });
    server.setFaults({ echoHeaders: true, errorAfterLines: 2 }, { path: '/api/chat', times: 1 });
    await webview({ op: 'send', text: 'one two three four five' });
    let s = await idle();
    const broken = s.session.messages.at(-1)!;
    assert.strictEqual(broken.state, 'error', JSON.stringify(broken));
    const shown1 = JSON.stringify(broken.error);
    assert.ok(shown1.includes('***'), `the echo reached the error: ${shown1}`);
    assertNoSecret(shown1, 'chat error (mid-stream)');

    server.setFaults({ status: 401, body: '{"error":"invalid credentials: {{headers.json}}"}' }, { path: '/api/chat', times: 1 });
    await webview({ op: 'send', text: 'again' });
    s = await idle();
    const refused = s.session.messages.at(-1)!;
    assert.strictEqual(refused.state, 'error');
    assertNoSecret(JSON.stringify(refused), 'chat error (401)');
    // The request did carry them all (so the server had them to echo).
    const sent = JSON.stringify(server.requests.filter((r) => r.path === '/api/chat').map((r) => r.headers));
    assert.ok(sent.includes(TOKEN) && sent.includes(API_KEY));

    const rep = await webview<{ messages: Array<{ role: string; text?: string; stateLabel?: string }> }>({ op: 'report' });
    assertNoSecret(JSON.stringify(rep), 'the chat view');
    await screenshot('trust-echo-chat-error');

    // On disk: every history file of this profile.
    const files = await waitFor(() => { const f = historyFiles(); return f.some((x) => fs.readFileSync(x, 'utf8').includes(s.session.id)) ? f : undefined; }, 'the session on disk');
    for (const f of files) assertNoSecret(fs.readFileSync(f, 'utf8'), f);
    assert.ok(files.some((f) => fs.readFileSync(f, 'utf8').includes('***')), 'the redacted error was stored');
    assertNoSecret(outputLog(), 'the Output channel');
  });

  it('trust echo: translation - a failure that quotes the request: the outcome and the log carry no credential', async () => {
    await setSetting('translation.outputMode', 'copy');
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'Hello world.\n' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(0, 0, 0, 12);
    server.setFaults({ echoHeaders: true, errorAfterLines: 1, errorMessage: 'runner crashed' }, { path: '/api/chat', times: 1 });
    const r = await vscode.commands.executeCommand<TranslationOutcome>('ollamaAssistant.translate.selection');
    assert.strictEqual(r.status, 'failed', JSON.stringify(r));
    assertNoSecret(JSON.stringify(r), 'translation outcome');
    const log = outputLog();
    assert.match(log, /translation of .* failed: StreamError: runner crashed \(request headers: .*\*\*\*/);
    assertNoSecret(log, 'the Output channel after translation');
  });

  it('trust echo: models - the view\'s error row, a 401 the monitor reports, a pull\'s in-band error', async () => {
    const tree = api.models.tree;
    server.setFaults({ status: 500, body: 'database says: {{headers}}', contentType: 'text/plain' }, { path: '/api/tags' });
    await vscode.commands.executeCommand('ollamaAssistant.models.refresh');
    const rows = await waitFor(async () => {
      const nodes = await tree.getChildren();
      const items = nodes.map((n) => tree.getTreeItem(n));
      return items.some((i) => String(i.label).includes('Could not list')) ? items : undefined;
    }, 'the error row');
    const shown = JSON.stringify(rows.map((i) => [i.label, i.tooltip, i.description]));
    assert.ok(shown.includes('***'), shown);
    assertNoSecret(shown, 'Models view');

    server.clearFaults();
    server.setFaults({ status: 401, body: '<html><pre>{{headers.html}}</pre></html>', contentType: 'text/html' }, { path: '/api/tags' });
    await vscode.commands.executeCommand('ollamaAssistant.models.refresh');
    await waitFor(async () => { await tree.getChildren(); return api.monitor.last && !api.monitor.last.reachable ? true : undefined; }, 'the monitor marks the 401');
    assertNoSecret(JSON.stringify(api.monitor.last), 'connection status');

    server.clearFaults();
    server.setFaults({ echoHeaders: true }, { path: '/api/pull' });
    const pull = await vscode.commands.executeCommand<OperationResult>('ollamaAssistant.models.pull', 'no-such-model');
    assert.strictEqual(pull.ok, false);
    assert.match(pull.error ?? '', /pull model manifest: file does not exist \(request headers: .*\*\*\*/);
    assertNoSecret(JSON.stringify(pull), 'pull error');
    assertNoSecret(outputLog(), 'the Output channel after the models');
    server.clearFaults();
  });

  it('trust echo: OpenAI-compatible backend - SSE errors as llama.cpp and vLLM write them, a 403 page, a translation failure, a 401 on /v1/models: nothing shown, logged or stored carries a credential', async () => {
    await setSetting('backend', 'openai');
    try {
      await waitFor(async () => (await api.context.endpoint()).config.backend === 'openai', 'the OpenAI-compatible backend');
      const before = server.requests.length;
      await chatTest({ op: 'newChat' });
      const errors: string[] = [];
      for (const dialect of ['llamacpp', 'vllm'] as const) {
        server.setFaults({ echoHeaders: true, errorAfterLines: 2, sseErrorDialect: dialect }, { path: '/v1/chat/completions', times: 1 });
        await webview({ op: 'send', text: `one two three four five (${dialect})` });
        const m = (await idle()).session.messages.at(-1)!;
        assert.strictEqual(m.state, 'error', `${dialect}: ${JSON.stringify(m)}`);
        const shown = JSON.stringify(m.error);
        assert.ok(shown.includes('***'), `${dialect}: the echo reached the error: ${shown}`);
        errors.push(shown);
      }
      server.setFaults({ status: 403, body: '<html><body><h1>403 Forbidden</h1><pre>{{headers.html}}</pre></body></html>', contentType: 'text/html' }, { path: '/v1/chat/completions', times: 1 });
      await webview({ op: 'send', text: 'again' });
      const s = await idle();
      const refused = s.session.messages.at(-1)!;
      assert.strictEqual(refused.state, 'error', JSON.stringify(refused));
      errors.push(JSON.stringify(refused));
      for (const e of errors) assertNoSecret(e, 'chat error (OpenAI-compatible)');
      const sent = server.requests.slice(before).filter((r) => r.path === '/v1/chat/completions');
      assert.ok(sent.length >= 3, 'the chat went to /v1/chat/completions');
      assert.ok(JSON.stringify(sent.map((r) => r.headers)).includes(API_KEY), 'the request carried the secret header');
      assertNoSecret(JSON.stringify(await webview({ op: 'report' })), 'the chat view (OpenAI-compatible)');
      const files = await waitFor(() => { const f = historyFiles(); return f.some((x) => fs.readFileSync(x, 'utf8').includes(s.session.id)) ? f : undefined; }, 'the session on disk');
      for (const f of files) assertNoSecret(fs.readFileSync(f, 'utf8'), f);

      await setSetting('translation.outputMode', 'copy');
      const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'Good morning.\n' });
      const editor = await vscode.window.showTextDocument(doc);
      editor.selection = new vscode.Selection(0, 0, 0, 13);
      server.setFaults({ echoHeaders: true, errorAfterLines: 1, errorMessage: 'slot unavailable', sseErrorDialect: 'llamacpp' }, { path: '/v1/chat/completions', times: 1 });
      const r = await vscode.commands.executeCommand<TranslationOutcome>('ollamaAssistant.translate.selection');
      assert.strictEqual(r.status, 'failed', JSON.stringify(r));
      assertNoSecret(JSON.stringify(r), 'translation outcome (OpenAI-compatible)');

      server.setFaults({ status: 401, body: '{"error":{"message":"Incorrect API key provided: {{headers.json}}","type":"invalid_request_error","code":"invalid_api_key"}}' }, { path: '/v1/models' });
      const status = await vscode.commands.executeCommand<ServerStatus>('ollamaAssistant.testConnection');
      assert.strictEqual(status.reachable, false, JSON.stringify(status));
      assert.ok(server.requests.slice(before).some((q) => q.path === '/v1/models'), 'Test Connection asked /v1/models');
      assertNoSecret(JSON.stringify(status), 'Test Connection (OpenAI-compatible 401)');
      assertNoSecret(JSON.stringify(api.monitor.last), 'connection status (OpenAI-compatible)');
      const log = outputLog();
      assert.match(log, /slot unavailable \(request headers: .*\*\*\*/);
      assertNoSecret(log, 'the Output channel (OpenAI-compatible)');
    } finally {
      server.clearFaults();
      await setSetting('backend', undefined);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
});

/** A forward proxy that answers every CONNECT with 407 (its page quoting the request head). */
async function proxy407(): Promise<{ url: string; close: () => Promise<void> }> {
  const srv = net.createServer((sock) => {
    sock.once('data', (head) => {
      const body = `<html>Proxy Authentication Required<pre>${head.toString('latin1')}</pre></html>`;
      sock.end(`HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`, close: () => new Promise((r) => srv.close(() => r())) };
}

describe('trust: a proxy answering 407 is reported as such, not as "Cancelled" (real extension host)', function () {
  this.timeout(60000);
  let proxy: { url: string; close: () => Promise<void> };
  const http = () => vscode.workspace.getConfiguration('http');

  before(async () => {
    await testApi();
    proxy = await proxy407();
    // Loopback is never proxied: the endpoint is a name only the proxy could resolve.
    await setSetting('endpoint', 'http://ollama.corp.invalid:11434');
  });
  after(async () => {
    await http().update('proxy', undefined, vscode.ConfigurationTarget.Global);
    await setSetting('endpoint', undefined);
    await proxy.close();
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('trust proxy 407: Test Connection names the proxy, says it wants credentials and where to put them; with credentials, that they were refused (never showing them)', async () => {
    await http().update('proxy', proxy.url, vscode.ConfigurationTarget.Global);
    await waitFor(() => http().get<string>('proxy') === proxy.url, 'http.proxy');
    const host = new URL(proxy.url).host;
    const s = await vscode.commands.executeCommand<ServerStatus>('ollamaAssistant.testConnection');
    assert.strictEqual(s.reachable, false);
    assert.doesNotMatch(s.error ?? '', /Cancel/i);
    assert.ok((s.error ?? '').includes(`The proxy ${host} requires authentication (HTTP 407 Proxy Authentication Required)`), s.error);
    assert.match(s.error ?? '', /http\.proxy setting \(http:\/\/user:password@/);
    assert.match(s.error ?? '', /HTTPS_PROXY \/ HTTP_PROXY/);
    await screenshot('trust-proxy-407');

    const withCreds = proxy.url.replace('http://', `http://carol:${PASS}@`);
    await http().update('proxy', withCreds, vscode.ConfigurationTarget.Global);
    await waitFor(() => http().get<string>('proxy') === withCreds, 'http.proxy with credentials');
    const s2 = await vscode.commands.executeCommand<ServerStatus>('ollamaAssistant.testConnection');
    assert.ok((s2.error ?? '').includes(`The proxy ${host} refused the user name and password in its URL (HTTP 407`), s2.error);
    assertNoSecret(JSON.stringify(s2), 'Test Connection');
    assertNoSecret(outputLog(), 'the Output channel');
  });
});

describe('trust: a repository\'s settings cannot act beyond its workspace (real extension host)', function () {
  this.timeout(90000);
  let server: OllamaTestServer;
  const workspaceFile = () => path.join(process.env.OA_WORKSPACE ?? '', '.vscode', 'settings.json');
  let savedWorkspaceSettings: string | undefined;
  const inspect = (key: string) => vscode.workspace.getConfiguration('ollamaAssistant').inspect(key);

  before(async () => {
    assert.ok(process.env.OA_WORKSPACE, 'runner did not pass OA_WORKSPACE');
    await testApi();
    server = await OllamaTestServer.start({ tokenDelayMs: 0 });
    await setSetting('endpoint', server.url);
    await setSetting('chat.model', 'llama3.2');
    await setSetting('completion.enabled', false);
    try { savedWorkspaceSettings = fs.readFileSync(workspaceFile(), 'utf8'); } catch { savedWorkspaceSettings = undefined; }
    assert.strictEqual(await chatTest<boolean>({ op: 'reveal' }), true);
  });

  after(async () => {
    if (savedWorkspaceSettings === undefined) fs.rmSync(workspaceFile(), { force: true });
    else fs.writeFileSync(workspaceFile(), savedWorkspaceSettings);
    await waitFor(() => inspect('chat.maxHistorySessions')?.workspaceValue === undefined, 'the workspace values gone', 20000);
    for (const k of ['endpoint', 'chat.model', 'completion.enabled']) await setSetting(k, undefined);
    await server.close();
  });

  it('trust settings: maxHistorySessions, maxAnswerChars, options and keepAlive from .vscode/settings.json are ignored (and logged); completion stays off', async () => {
    // Sessions kept for every workspace, before the repository's settings arrive.
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await chatTest({ op: 'newChat' });
      await webview({ op: 'send', text: `session ${i}` });
      ids.push((await idle()).session.id);
    }
    fs.mkdirSync(path.dirname(workspaceFile()), { recursive: true });
    fs.writeFileSync(workspaceFile(), JSON.stringify({
      'ollamaAssistant.chat.maxHistorySessions': 1,
      'ollamaAssistant.chat.maxAnswerChars': 1000,
      'ollamaAssistant.keepAlive': '-1',
      'ollamaAssistant.options': { num_ctx: 131072 },
      'ollamaAssistant.completion.enabled': true,
    }, null, 2));
    await waitFor(() => inspect('chat.maxHistorySessions')?.workspaceValue === 1 && inspect('completion.enabled')?.workspaceValue === true, 'the workspace values', 20000);
    // VS Code itself hands the workspace value to get(); the extension must not use it.
    assert.strictEqual(vscode.workspace.getConfiguration('ollamaAssistant').get('chat.maxHistorySessions'), 1);

    const before = server.requests.length;
    await chatTest({ op: 'newChat' });
    await webview({ op: 'send', text: 'x '.repeat(800) });
    const s = await idle();
    // Every earlier session is still there: the repository did not prune the shared history.
    for (const id of ids) assert.ok(s.index.sessions.some((x) => x.id === id), `session ${id} was deleted (index: ${s.index.sessions.map((x) => x.id).join(', ')})`);
    // The answer (longer than the repository's 1,000 characters) was not cut.
    const answer = s.session.messages.at(-1)!;
    assert.ok(answer.text.length > 1000 && answer.cutAt === undefined, `answer of ${answer.text.length} characters, cut at ${answer.cutAt}`);
    // keep_alive and num_ctx are the user's, not the repository's.
    const req = server.requests.slice(before).find((r) => r.path === '/api/chat')!;
    const body = req.body as { keep_alive?: unknown; options?: { num_ctx?: unknown } };
    assert.notStrictEqual(body.keep_alive, '-1');
    assert.notStrictEqual(body.keep_alive, -1);
    assert.notStrictEqual(body.options?.num_ctx, 131072);
    // Inline completion the user turned off stays off.
    const info = await vscode.commands.executeCommand<{ mode: string }>('ollamaAssistant.completion.debugInfo');
    assert.strictEqual(info.mode, 'off');
    // A client rebuild logs what was ignored.
    await setSetting('timeouts.connectSeconds', 11);
    await vscode.commands.executeCommand('ollamaAssistant.testConnection');
    await setSetting('timeouts.connectSeconds', undefined);
    const log = await waitFor(() => { const l = outputLog(); return /ignored ollamaAssistant\.chat\.maxHistorySessions from the workspace settings/.test(l) ? l : undefined; }, 'the log line');
    assert.match(log, /ignored ollamaAssistant\.keepAlive from the workspace settings/);

    // A workspace CAN turn completion off for itself when the user has it on.
    await setSetting('completion.enabled', true);
    fs.writeFileSync(workspaceFile(), JSON.stringify({ 'ollamaAssistant.completion.enabled': false }, null, 2));
    await waitFor(() => inspect('completion.enabled')?.workspaceValue === false, 'the workspace switch', 20000);
    const off = await waitFor(async () => { const i = await vscode.commands.executeCommand<{ mode: string }>('ollamaAssistant.completion.debugInfo'); return i.mode === 'off' ? i : undefined; }, 'completion off by the workspace');
    assert.strictEqual(off.mode, 'off');
  });
});
