// With display language zh-cn (the runner's LOCALE=zh-cn run), the extension's own strings are
// Chinese: command titles from package.nls.zh-cn.json and messages from the l10n bundle.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { EXTENSION_ID, activate, screenshot, setSetting, sleep } from './helpers';

interface ServerStatus { reachable: boolean; error?: string }

describe('zh-cn display language', function () {
  before(function () {
    if (vscode.env.language !== 'zh-cn') this.skip();
  });

  it('shows Chinese command titles and messages (zh-cn)', async () => {
    await activate();
    const title = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands
      .find((c: { command: string }) => c.command === 'ollamaAssistant.testConnection').title;
    assert.strictEqual(typeof title === 'string' ? title : title.value, '测试连接');
    await setSetting('endpoint', 'http://127.0.0.1:9');
    const status = await vscode.commands.executeCommand<ServerStatus>('ollamaAssistant.testConnection');
    assert.strictEqual(status.reachable, false);
    assert.ok(status.error?.startsWith('无法连接到'), status.error);
    await vscode.commands.executeCommand('workbench.action.quickOpen', '>Ollama');
    await sleep(1500);
    const png = await screenshot('zh-cn-command-palette');
    console.log(`[exthost] screenshot: ${png}`);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await setSetting('endpoint', undefined);
  });
});
