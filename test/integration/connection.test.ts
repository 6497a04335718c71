// Connection behaviour in the real extension host: the API token goes through SecretStorage to the
// wire and nowhere else, the extension connects to nothing but the configured endpoint, and an
// unreachable server is announced once however many requests fail.
import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import * as vscode from 'vscode';
import { OllamaTestServer } from '../support/ollamaServer';
import { activate, EXTENSION_ID, setSetting, waitFor, testApi } from './helpers';

interface ServerStatus { reachable: boolean; url: string; version?: string; modelCount?: number; error?: string }

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

describe('connection, secrets and network isolation (real extension host)', () => {
  let server: OllamaTestServer;
  before(async () => {
    await activate();
    server = await OllamaTestServer.start();
    await setSetting('endpoint', server.url);
  });
  after(async () => {
    await vscode.commands.executeCommand('ollamaAssistant.clearApiToken');
    await setSetting('endpoint', undefined);
    await server.close();
  });

  it('a token set through the command reaches the server as a Bearer header and is in no settings file', async () => {
    const token = 'oa-secret-' + Date.now().toString(36);
    assert.strictEqual(await vscode.commands.executeCommand('ollamaAssistant.setApiToken', token), true);
    server.reset();
    const status = await vscode.commands.executeCommand<ServerStatus>('ollamaAssistant.testConnection');
    assert.strictEqual(status.reachable, true, status.error);
    assert.ok(server.requests.length > 0);
    for (const r of server.requests) assert.strictEqual(r.headers['authorization'], `Bearer ${token}`);

    // Not in any settings.json (user, machine, workspace) nor anywhere else under the user-data and
    // workspace folders; not in the configuration API either.
    const roots = [process.env.OA_USER_DATA, process.env.OA_WORKSPACE].filter((x): x is string => !!x);
    assert.ok(roots.length > 0, 'runner did not pass OA_USER_DATA/OA_WORKSPACE');
    const settingsFiles = roots.flatMap(filesUnder).filter((f) => f.endsWith('settings.json'));
    assert.ok(settingsFiles.length > 0, 'no settings.json found to check');
    for (const f of roots.flatMap(filesUnder)) {
      if (fs.statSync(f).size > 20 * 1024 * 1024) continue;
      assert.ok(!fs.readFileSync(f).includes(token), `token found in ${f}`);
    }
    assert.ok(!JSON.stringify(vscode.workspace.getConfiguration('ollamaAssistant')).includes(token));

    await vscode.commands.executeCommand('ollamaAssistant.clearApiToken');
    server.reset();
    await vscode.commands.executeCommand('ollamaAssistant.testConnection');
    assert.ok(server.requests.every((r) => r.headers['authorization'] === undefined));
  });

  it('opens no connection except to the configured endpoint (no telemetry)', async () => {
    // Every socket a file of this extension's bundles opens (dist/extension.js, and undici, which
    // runs from dist/transport.js), by the stack at Socket#connect; the host runs other extensions too.
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, 'the extension');
    const bundles = path.join(ext.extensionPath, 'dist') + path.sep;
    // A server no connection exists to yet: the endpoint change rebuilds the client, so the
    // commands below must open new sockets (none can be reused from an earlier test's pool).
    const fresh = await OllamaTestServer.start();
    const seen: Array<{ to: string; from: string }> = [];
    const proto = net.Socket.prototype as unknown as { connect: (...a: unknown[]) => unknown };
    const original = proto.connect;
    proto.connect = function (this: net.Socket, ...args: unknown[]) {
      const stack = new Error().stack ?? '';
      const from = stack.split('\n').find((l) => l.includes(bundles));
      if (from) {
        const a = args[0] as { host?: string; port?: number } | number | unknown[];
        const opt = Array.isArray(a) ? a[0] as { host?: string; port?: number } : a;
        seen.push({ to: typeof opt === 'object' && opt ? `${opt.host ?? '?'}:${opt.port ?? '?'}` : String(opt), from: path.basename(from.replace(/:\d+:\d+\)?$/, '')) });
      }
      return original.apply(this, args);
    };
    try {
      await setSetting('endpoint', fresh.url);
      const status = await vscode.commands.executeCommand<ServerStatus>('ollamaAssistant.testConnection');
      assert.strictEqual(status.reachable, true, status.error);
      await vscode.commands.executeCommand('ollamaAssistant.showServerStatus');
    } finally {
      proto.connect = original;
      await setSetting('endpoint', server.url);
      await fresh.close();
    }
    const allowed = [`127.0.0.1:${fresh.port}`, `127.0.0.1:${server.port}`];
    assert.ok(fresh.requests.length > 0, 'the commands reached the new endpoint');
    // The hook really sees the extension's sockets: the new endpoint's connection, from the transport bundle.
    assert.ok(seen.some((s) => s.to === allowed[0]), `no socket to ${allowed[0]} was observed: ${JSON.stringify(seen)}`);
    assert.ok(seen.some((s) => s.from.startsWith('transport.js')), `no socket opened from dist/transport.js: ${JSON.stringify(seen)}`);
    for (const s of seen) assert.ok(allowed.includes(s.to), `unexpected connection to ${s.to} (from ${s.from})`);
  });

  it('one outage, one status-bar warning: the completion item leaves it to the connection item; its own warnings are one sentence', async () => {
    const info = () => vscode.commands.executeCommand<{ state: string; statusText: string; statusTooltip: string }>('ollamaAssistant.completion.debugInfo');
    const api = await testApi();
    const editorConfig = vscode.workspace.getConfiguration('editor');
    await editorConfig.update('quickSuggestions', { other: false, comments: false, strings: false }, vscode.ConfigurationTarget.Global);
    await setSetting('completion.model', 'qwen2.5-coder:1.5b');
    const gone = await OllamaTestServer.start();
    const url = gone.url;
    await gone.close();
    try {
      await setSetting('endpoint', url);
      const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: '' });
      await vscode.window.showTextDocument(doc);
      for (const ch of 'let x = ') await vscode.commands.executeCommand('type', { text: ch });
      await vscode.commands.executeCommand('ollamaAssistant.completion.trigger');
      await waitFor(async () => (await info()).state === 'error', 'the completion to fail', 15000)
        .catch(async (e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(await info())}; monitor: ${JSON.stringify(api.monitor.last)}`); });
      assert.strictEqual(api.monitor.last?.reachable, false, 'the connection item shows the outage');
      const down = await info();
      assert.notStrictEqual(down.statusText, '$(warning)', 'a second warning for the same outage');
      assert.match(down.statusTooltip, /the server cannot be reached; the Ollama item in the status bar says why/);

      // A failure that is not an outage (the server answers 500) is the completion item's own
      // warning, and its tooltip reads as sentences (no "..").
      await setSetting('endpoint', server.url);
      server.setFaults({ status: 500, body: JSON.stringify({ error: 'llama runner process has terminated: exit status 2' }), contentType: 'application/json; charset=utf-8' }, { path: '/api/generate' });
      await vscode.commands.executeCommand('type', { text: '1' });
      await vscode.commands.executeCommand('ollamaAssistant.completion.trigger');
      await waitFor(async () => { const i = await info(); return i.state === 'error' && i.statusText === '$(warning)'; }, 'the completion item warning', 15000);
      const own = await info();
      assert.match(own.statusTooltip, /the last request failed\. llama runner process has terminated: exit status 2\. Click to pause\.$/);
      assert.ok(!/\.\./.test(own.statusTooltip), own.statusTooltip);
    } finally {
      server.clearFaults();
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await setSetting('completion.model', undefined);
      await setSetting('endpoint', server.url);
      await editorConfig.update('quickSuggestions', undefined, vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand('notifications.clearAll');
    }
  });

  it('an unreachable server is reported once, not per request', async () => {
    const gone = await OllamaTestServer.start();
    const url = gone.url;
    await gone.close();
    await setSetting('endpoint', url);
    const api = await testApi();
    const shownBefore = api.notificationsShown;
    let announced = 0;
    const client = (await api.context.ollama())!;
    for (let i = 0; i < 5; i++) {
      try { await client.version(); } catch (e) { if (api.monitor.reportError(e, url)) announced++; }
    }
    assert.strictEqual(announced, 5, 'every failure is recognised as unreachable');
    assert.strictEqual(api.notificationsShown - shownBefore, 1, 'one notification for five failures');
    const status = await vscode.commands.executeCommand<ServerStatus>('ollamaAssistant.testConnection');
    assert.strictEqual(status.reachable, false);
    await setSetting('endpoint', server.url);
  });
});
