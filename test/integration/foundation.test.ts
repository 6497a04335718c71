// Foundation checks in the real extension host: activation, the status command against the
// protocol test server, settings reaching the wire, and a deliberate failure that proves the
// runner reports failing tests.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { OllamaTestServer } from '../support/ollamaServer';
import { activate, setSetting } from './helpers';

interface ServerStatus { reachable: boolean; url: string; version?: string; modelCount?: number; error?: string }

describe('foundation (real extension host)', () => {
  let server: OllamaTestServer;

  before(async () => {
    server = await OllamaTestServer.start({ version: '0.33.0-test' });
  });
  after(async () => {
    await setSetting('endpoint', undefined);
    await setSetting('headers', undefined);
    await server.close();
  });

  it('activates without touching the network', async () => {
    const before = server.requests.length;
    const ext = await activate();
    assert.strictEqual(ext.isActive, true);
    assert.strictEqual(server.requests.length, before, 'activation sent a request');
    console.log(`[exthost] VS Code ${vscode.version}, ${vscode.env.appHost}, node ${process.version}`);
  });

  it('"Ollama: Show Server Status" reports the version and model count from the server', async () => {
    await setSetting('endpoint', server.url);
    const status = await vscode.commands.executeCommand<ServerStatus>('ollamaAssistant.showServerStatus');
    assert.strictEqual(status.reachable, true, status.error);
    assert.strictEqual(status.version, '0.33.0-test');
    assert.strictEqual(status.modelCount, server.models().length);
    assert.ok(status.modelCount! > 0);
    assert.strictEqual(status.url, server.url);
    const paths = server.requests.map((r) => `${r.method} ${r.path}`);
    assert.ok(paths.includes('GET /api/version'), paths.join(', '));
    assert.ok(paths.includes('GET /api/tags'), paths.join(', '));
  });

  it('sends the configured headers and follows an endpoint change without a reload', async () => {
    const other = await OllamaTestServer.start({ version: '9.9.9', basePath: '/proxy/ollama', requireHeaders: { 'x-team-token': 'abc' } });
    try {
      await setSetting('endpoint', other.url);
      await setSetting('headers', { 'X-Team-Token': 'abc' });
      const status = await vscode.commands.executeCommand<ServerStatus>('ollamaAssistant.showServerStatus');
      assert.strictEqual(status.reachable, true, status.error);
      assert.strictEqual(status.version, '9.9.9');
      assert.strictEqual(other.requests.at(-1)?.headers['x-team-token'], 'abc');
    } finally {
      await setSetting('headers', undefined);
      await other.close();
    }
  });

  it('says which URL it could not reach when the server is down', async () => {
    const gone = await OllamaTestServer.start();
    const url = gone.url;
    await gone.close();
    await setSetting('endpoint', url);
    const status = await vscode.commands.executeCommand<ServerStatus>('ollamaAssistant.showServerStatus');
    assert.strictEqual(status.reachable, false);
    assert.ok(status.error?.includes(url.replace(/\/$/, '')), status.error);
    assert.ok(/ECONNREFUSED/.test(status.error ?? ''), status.error);
  });

  it('deliberate failure (runs only with OA_PROVE_FAILURE=1, to prove the runner reports failures)', function () {
    if (process.env.OA_PROVE_FAILURE !== '1') this.skip();
    assert.strictEqual(1 + 1, 3, 'deliberate failure');
  });
});
