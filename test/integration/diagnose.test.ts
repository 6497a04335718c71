// "Diagnose Problems" in the real extension host (issue 16 §2): the report on a healthy server, with
// a missing completion model, with a completion model that cannot fill in the middle, and with a
// dead endpoint; one line per check with its remedy, opened as a document the user can copy
// (redaction is unit-tested: test/unit/diagnose.test.ts). Screenshots: test-artifacts/issue16-diagnose-*.png.
import * as assert from 'assert';
import * as net from 'node:net';
import * as vscode from 'vscode';
import { OllamaTestServer } from '../support/ollamaServer';
import { activate, screenshot, setSetting } from './helpers';

interface Line { mark: string; check: string; text: string; remedy?: string }
interface Report { text: string; lines: Line[] }

const diagnose = async (): Promise<Report> => {
  const r = await vscode.commands.executeCommand<Report | undefined>('ollamaAssistant.diagnose');
  if (!r) throw new Error('Diagnose returned no report');
  return r;
};
const line = (r: Report, check: string): Line => {
  const l = r.lines.find((x) => x.check === check);
  if (!l) throw new Error(`no ${check} line in:\n${r.text}`);
  return l;
};

async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('Diagnose (real extension host)', function () {
  this.timeout(60000);
  let server: OllamaTestServer;

  before(async () => {
    await activate();
    server = await OllamaTestServer.start({ version: '0.33.0' });
    await setSetting('endpoint', server.url);
    await setSetting('chat.model', 'qwen3:0.6b');
    await setSetting('completion.model', 'qwen2.5-coder:1.5b');
    await setSetting('translation.model', 'llama3.2');
    await setSetting('embeddings.model', 'all-minilm');
    await setSetting('options', { num_ctx: 8192 });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const k of ['chat.model', 'completion.model', 'translation.model', 'embeddings.model', 'options', 'endpoint']) await setSetting(k, undefined);
    await server.close();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('on a healthy server: every check passes, a 1-token request per feature, opened as a document', async () => {
    {
      server.reset();
      const r = await diagnose();
      console.log(`[exthost] report:\n${r.text}`);
      assert.match(line(r, 'endpoint').text, new RegExp(`^Endpoint ${server.url.replace(/[.]/g, '\\.')}/? answers in \\d+ ms: Ollama 0\\.33\\.0, 5 models\\.$`));
      assert.strictEqual(line(r, 'endpoint').mark, '✓');
      for (const f of ['chat', 'completion', 'translation', 'embeddings']) {
        assert.strictEqual(line(r, `model:${f}`).mark, '✓', f);
        assert.match(line(r, `request:${f}`).text, /a 1-token request took \d+ ms/, f);
      }
      assert.match(line(r, 'fim').text, /Inline completion: fills in the middle through the server's template \(suffix mode, qwen\)\./);
      assert.match(line(r, 'context:completion').text, /model maximum 32768 tokens; num_ctx sent: 8192\./);
      assert.match(line(r, 'thinking:chat').text, /can reason/);
      assert.match(line(r, 'thinking:translation').text, /does not reason/);
      assert.match(line(r, 'proxy').text, /Proxy: none/);
      assert.ok(r.lines.some((l) => l.check === 'loaded' && /Loaded now: qwen2\.5-coder:1\.5b, [\d.]+ [KMG]B in memory/.test(l.text)), r.text);
      // The requests really reached the server.
      assert.ok(server.requests.some((q) => q.path === '/api/generate' && (q.body as { options: { num_predict: number } }).options.num_predict === 1));
      // The report is the active document: the user can copy it.
      const doc = vscode.window.activeTextEditor?.document;
      assert.strictEqual(doc?.getText(), r.text);
      await screenshot('issue16-diagnose-healthy');
    }
  });

  it('with a missing completion model: that line fails and says how to get it', async () => {
    await setSetting('completion.model', 'starcoder2:3b');
    try {
      const r = await diagnose();
      const l = line(r, 'model:completion');
      assert.strictEqual(l.mark, '✗');
      assert.strictEqual(l.text, 'Inline completion: model starcoder2:3b is not installed.');
      assert.match(l.remedy ?? '', /ollama pull starcoder2:3b.*ollamaAssistant\.completion\.model/);
      assert.ok(!r.lines.some((x) => x.check === 'request:completion'));
      assert.strictEqual(line(r, 'model:chat').mark, '✓');
      await screenshot('issue16-diagnose-missing-model');
    } finally {
      await setSetting('completion.model', 'qwen2.5-coder:1.5b');
    }
  });

  it('with a completion model that cannot fill in the middle: the FIM line fails and suggests a code model', async () => {
    await setSetting('completion.model', 'llama3.2');
    try {
      const r = await diagnose();
      assert.strictEqual(line(r, 'model:completion').mark, '✓');
      const l = line(r, 'fim');
      assert.strictEqual(l.mark, '✗');
      assert.match(l.text, /^Inline completion: llama3\.2 cannot fill in the middle: no "insert" capability and no known code-completion format\.$/);
      assert.match(l.remedy ?? '', /Set ollamaAssistant\.completion\.model to a code model that can, such as qwen2\.5-coder/);
      assert.ok(!r.lines.some((x) => x.check === 'request:completion'));
      await screenshot('issue16-diagnose-no-fim');
    } finally {
      await setSetting('completion.model', 'qwen2.5-coder:1.5b');
    }
  });

  it('on a dead endpoint: the endpoint line fails with the reason and the remedy; the features are not checked', async () => {
    const port = await deadPort();
    await setSetting('endpoint', `http://127.0.0.1:${port}`);
    try {
      const r = await diagnose();
      const l = line(r, 'endpoint');
      assert.strictEqual(l.mark, '✗');
      assert.match(l.text, new RegExp(`Endpoint http://127\\.0\\.0\\.1:${port}/? does not answer: Cannot reach the Ollama server`));
      assert.match(l.remedy ?? '', /ollama serve/);
      for (const f of ['chat', 'completion', 'translation', 'embeddings']) {
        assert.match(line(r, `model:${f}`).text, /not checked, the endpoint does not answer/);
        assert.strictEqual(line(r, `model:${f}`).mark, '·', 'one fault, one ✗: the features are not checked, not failed');
      }
      // The report is a read-only document that closes without asking to be saved.
      const doc = vscode.window.activeTextEditor!.document;
      assert.strictEqual(doc.uri.scheme, 'ollama-assistant-diagnose');
      assert.strictEqual(doc.isDirty, false);
      assert.strictEqual(doc.isUntitled, false);
      assert.ok(!r.lines.some((x) => x.check === 'loaded'));
      await screenshot('issue16-diagnose-dead-endpoint');
    } finally {
      await setSetting('endpoint', server.url);
    }
  });
});
