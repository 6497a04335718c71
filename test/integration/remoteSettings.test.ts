// Connection settings in a remote window (issue 10, item 2). code-server is a remote window: the
// extension host runs on the "remote" machine, User settings live in <user-data>/User/settings.json
// and the Remote tab's in <user-data>/Machine/settings.json. Those files are edited the way a user
// does it, through the workbench ("Preferences: Open User Settings (JSON)" / "Open Remote Settings
// (JSON)", the key added, saved), never through our code or the configuration API (whose Global
// target picks the Remote file for machine-scoped keys, which is how the old bug hid from tests); the
// test then checks the key is in that file on disk. code-server does not notice edits made to those
// files behind the workbench's back, so writing them with fs would prove nothing. The workspace's
// .vscode/settings.json is written on disk, the way a cloned repository brings it.
// Runs only in its own host run (OA_SCENARIO=remote-settings, a fresh profile).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { OllamaAssistantTestApi } from '../../src/vscode/testApi';
import { OllamaTestServer } from '../support/ollamaServer';
import { screenshot, sleep, waitFor, testApi } from './helpers';

interface ServerStatus { reachable: boolean; url: string; version?: string; error?: string; source?: string; remoteNote?: string; detail?: string }

const KEY = 'ollamaAssistant.endpoint';
const userData = () => process.env.OA_USER_DATA ?? '';
const userFile = () => path.join(userData(), 'User', 'settings.json');
const remoteFile = () => path.join(userData(), 'Machine', 'settings.json');
const workspaceFile = () => path.join(process.env.OA_WORKSPACE ?? '', '.vscode', 'settings.json');

/** Adds or removes keys in the User or Remote settings.json through the workbench's JSON settings
 * editor (the rest of the file kept), saves, and checks the file on disk. */
async function editSettings(kind: 'user' | 'remote', keys: Record<string, unknown>): Promise<void> {
  const file = kind === 'user' ? userFile() : remoteFile();
  await vscode.commands.executeCommand(kind === 'user' ? 'workbench.action.openSettingsJson' : 'workbench.action.openRemoteSettingsFile');
  const editor = await waitFor(() => {
    const e = vscode.window.activeTextEditor;
    return e && path.resolve(e.document.uri.fsPath) === path.resolve(file) ? e : undefined;
  }, `the ${kind} settings.json editor`);
  const json = JSON.parse(editor.document.getText().trim() || '{}') as Record<string, unknown>;
  for (const [k, v] of Object.entries(keys)) {
    if (v === undefined) delete json[k];
    else json[k] = v;
  }
  const text = JSON.stringify(json, null, 4) + '\n';
  assert.ok(await editor.edit((b) => b.replace(new vscode.Range(0, 0, editor.document.lineCount, 0), text)));
  // save() of the User settings document resolves false in code-server although the workbench
  // writes the file, so the file on disk is what is checked.
  await editor.document.save();
  const onDisk = () => { try { return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>; } catch { return {}; } };
  await waitFor(() => Object.entries(keys).every(([k, v]) => JSON.stringify(onDisk()[k]) === JSON.stringify(v)), `the keys in ${file} on disk: ${JSON.stringify(onDisk())}`);
  await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
}

/** Adds or removes keys in a settings.json on disk (the rest of the file kept). */
function writeKeys(file: string, keys: Record<string, unknown>): void {
  let json: Record<string, unknown> = {};
  try { json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>; } catch { /* new file */ }
  for (const [k, v] of Object.entries(keys)) {
    if (v === undefined) delete json[k];
    else json[k] = v;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(json, null, 4) + '\n');
}

type Inspect = { globalValue?: unknown; globalLocalValue?: unknown; globalRemoteValue?: unknown; workspaceValue?: unknown };
const inspect = (key = KEY) => (vscode.workspace.getConfiguration().inspect(key) ?? {}) as Inspect;

/** The host has read the file change (the file watcher is asynchronous). */
async function until(what: string, f: (i: Inspect) => boolean, key = KEY): Promise<void> {
  await waitFor(() => f(inspect(key)), `${what} (inspect: ${JSON.stringify(inspect(key))})`, 20000);
}

const test = () => vscode.commands.executeCommand<ServerStatus>('ollamaAssistant.testConnection');

describe('first hour: connection settings in a remote window (code-server)', function () {
  this.timeout(90000);
  let userServer: OllamaTestServer;
  let remoteServer: OllamaTestServer;
  let api: OllamaAssistantTestApi;

  before(async function () {
    if (process.env.OA_SCENARIO !== 'remote-settings') this.skip();
    userServer = await OllamaTestServer.start({ version: '0.33.0-user' });
    remoteServer = await OllamaTestServer.start({ version: '0.33.0-remote' });
    api = await testApi();
  });
  after(async () => {
    if (process.env.OA_SCENARIO !== 'remote-settings') return;
    await editSettings('user', { [KEY]: undefined }).catch(() => undefined);
    await editSettings('remote', { [KEY]: undefined }).catch(() => undefined);
    fs.rmSync(workspaceFile(), { force: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await userServer?.close();
    await remoteServer?.close();
  });

  it('remote settings: code-server is a remote window, and the endpoint setting is window-scoped', () => {
    assert.ok(vscode.env.remoteName, 'not a remote window');
    const ext = vscode.extensions.getExtension('ollama-assistant.ollama-assistant')!;
    const props = ext.packageJSON.contributes.configuration.properties as Record<string, { scope?: string }>;
    for (const k of ['endpoint', 'backend', 'headers', 'caCertificateFile', 'timeouts.connectSeconds']) {
      assert.strictEqual(props[`ollamaAssistant.${k}`].scope, 'window', k);
    }
  });

  it('remote settings: the endpoint in User settings (as the Settings UI writes it) takes effect in the remote window', async () => {
    await editSettings('user', { [KEY]: userServer.url });
    await until('the User value', (i) => i.globalValue === userServer.url);
    // The extension host exposes which user level the value came from (VS Code ≥ 1.64).
    assert.strictEqual(inspect().globalLocalValue, userServer.url);
    assert.strictEqual(inspect().globalRemoteValue, undefined);
    userServer.reset();
    const s = await test();
    assert.strictEqual(s.reachable, true, s.error);
    assert.strictEqual(s.version, '0.33.0-user');
    assert.strictEqual(s.source, 'user');
    assert.match(s.detail ?? '', /The endpoint comes from your User settings/);
    assert.ok(userServer.requests.some((r) => r.path === '/api/version'), 'the User endpoint was not asked');
    // "Open Setting" opens the User tab, searched for the endpoint.
    const opened = await vscode.commands.executeCommand<{ tab: string; command: string }>('ollamaAssistant.openSetting', KEY);
    assert.deepStrictEqual(opened, { tab: 'user', command: 'workbench.action.openGlobalSettings' });
    await sleep(1500);
    await screenshot('settings-endpoint-user-tab');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('remote settings: a Remote value overrides User for this machine, and "Open Setting" goes to the Remote tab', async () => {
    await editSettings('remote', { [KEY]: remoteServer.url });
    await until('the Remote value', (i) => i.globalRemoteValue === remoteServer.url && i.globalValue === remoteServer.url);
    remoteServer.reset();
    userServer.reset();
    const s = await test();
    assert.strictEqual(s.reachable, true, s.error);
    assert.strictEqual(s.version, '0.33.0-remote');
    assert.strictEqual(s.source, 'remote');
    assert.match(s.detail ?? '', /Remote settings of /);
    assert.strictEqual(userServer.requests.length, 0, 'the User endpoint was asked although Remote overrides it');
    const opened = await vscode.commands.executeCommand<{ tab: string; command: string }>('ollamaAssistant.openSetting', KEY);
    assert.deepStrictEqual(opened, { tab: 'remote', command: 'workbench.action.openRemoteSettings' });
    await sleep(1500);
    await screenshot('settings-endpoint-remote-tab');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await editSettings('remote', { [KEY]: undefined });
    await until('the Remote value gone', (i) => i.globalRemoteValue === undefined && i.globalValue === userServer.url);
  });

  it("remote settings: a cloned repository's .vscode/settings.json cannot redirect requests (endpoint, headers, backend ignored, with a warning)", async () => {
    const hostile = await OllamaTestServer.start({ version: '6.6.6-hostile' });
    try {
      writeKeys(workspaceFile(), {
        [KEY]: hostile.url, 'ollamaAssistant.headers': { 'X-Exfiltrate': 'yes' }, 'ollamaAssistant.backend': 'openai',
        'ollamaAssistant.timeouts.connectSeconds': 1,
      });
      await until('the workspace value', (i) => i.workspaceValue === hostile.url);
      await until('the workspace headers', (i) => i.workspaceValue !== undefined, 'ollamaAssistant.headers');
      // VS Code itself would hand the workspace value to get(): the extension must not use it.
      assert.strictEqual(vscode.workspace.getConfiguration('ollamaAssistant').get('endpoint'), hostile.url);
      userServer.reset();
      const s = await test();
      assert.strictEqual(s.reachable, true, s.error);
      assert.strictEqual(s.url.replace(/\/$/, ''), userServer.url.replace(/\/$/, ''));
      assert.strictEqual(s.version, '0.33.0-user', 'not the native API of the User endpoint');
      assert.match(s.detail ?? '', /Ignored in the workspace settings: .*ollamaAssistant\.endpoint/);
      assert.match(s.detail ?? '', /ollamaAssistant\.headers/);
      // A chat request too: it goes to the User endpoint, without the workspace's header.
      const llm = await api.context.llm();
      assert.strictEqual(llm.kind, 'ollama');
      for await (const c of await llm.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] })) void c;
      assert.ok(userServer.requests.some((r) => r.path === '/api/chat'));
      for (const r of userServer.requests) assert.strictEqual(r.headers['x-exfiltrate'], undefined, `${r.path} carried the workspace header`);
      assert.strictEqual(hostile.requests.length, 0, `the workspace endpoint got ${hostile.requests.map((r) => r.path).join(', ')}`);
      // "Open Setting" still goes where the value in force lives: the User tab, not the Workspace tab.
      const opened = await vscode.commands.executeCommand<{ tab: string }>('ollamaAssistant.openSetting', KEY);
      assert.strictEqual(opened.tab, 'user');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const log = outputLog();
      assert.match(log, /ignored ollamaAssistant\.endpoint from the workspace settings/);
    } finally {
      fs.rmSync(workspaceFile(), { force: true });
      await until('the workspace value gone', (i) => i.workspaceValue === undefined);
      await hostile.close();
    }
  });

  it('remote settings: an unreachable endpoint says where it came from and that localhost is the remote machine', async () => {
    const gone = await OllamaTestServer.start();
    const url = gone.url;
    await gone.close();
    await editSettings('user', { [KEY]: url });
    await until('the dead User value', (i) => i.globalValue === url);
    const s = await test();
    assert.strictEqual(s.reachable, false);
    assert.strictEqual(s.source, 'user');
    assert.match(s.error ?? '', /Cannot reach the Ollama server at http:\/\/127\.0\.0\.1:\d+\/? \(ECONNREFUSED\)\./);
    assert.match(s.error ?? '', /The endpoint comes from your User settings \(ollamaAssistant\.endpoint\)\./);
    assert.match(s.error ?? '', /This is a remote window \(.+\): http:\/\/127\.0\.0\.1:\d+\/? is on the remote machine where the extension runs, not on your local computer\./);
    // The monitor's status bar warning carries the same sentence.
    assert.strictEqual(api.monitor.last?.error, s.error);
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('remote settings: OLLAMA_HOST of the extension host, then the default, are named as the source', async () => {
    const envServer = await OllamaTestServer.start({ version: '0.33.0-env' });
    const saved = process.env.OLLAMA_HOST;
    try {
      // The extension host's environment (on the remote machine) is what the extension sees.
      process.env.OLLAMA_HOST = envServer.url.replace(/^http:\/\//, '').replace(/\/$/, '');
      await editSettings('user', { [KEY]: undefined });
      await until('no User value', (i) => i.globalValue === undefined);
      const s = await test();
      assert.strictEqual(s.reachable, true, s.error);
      assert.strictEqual(s.version, '0.33.0-env');
      assert.strictEqual(s.source, 'OLLAMA_HOST');
      assert.match(s.detail ?? '', /OLLAMA_HOST environment variable on the remote machine/);

      delete process.env.OLLAMA_HOST;
      api.context.resetClient('test: OLLAMA_HOST removed');
      const d = await test();
      assert.strictEqual(d.source, 'default');
      assert.strictEqual(d.url.replace(/\/$/, ''), 'http://127.0.0.1:11434');
      if (!d.reachable) assert.match(d.error ?? '', /The endpoint is the default/);
    } finally {
      if (saved === undefined) delete process.env.OLLAMA_HOST; else process.env.OLLAMA_HOST = saved;
      await envServer.close();
      await vscode.commands.executeCommand('notifications.clearAll');
    }
  });
});

/** The extension's output channel as the host writes it to disk. */
function outputLog(): string {
  const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name === 'Ollama Assistant.log' ? [path.join(d, e.name)] : []));
  const root = path.join(userData(), 'logs');
  return fs.existsSync(root) ? walk(root).map((f) => fs.readFileSync(f, 'utf8')).join('\n') : '';
}
