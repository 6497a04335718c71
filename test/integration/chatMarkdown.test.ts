// Streaming markdown in the real chat webview: an answer whose first paragraph uses reference links
// defined at its very end, with nested fences, a table, a setext heading, a lazy block quote and
// indented code, streamed token by token. The paragraph is committed (rendered once) long before the
// definitions arrive, so the links can only be there if the webview re-rendered it when they did;
// the final DOM must show what one render of the whole answer shows. (That every prefix renders
// exactly is the unit property test chatMarkdownStream.test.ts.)
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { DomReport } from '../../src/shared/chatTestProtocol';
import { OllamaTestServer } from '../support/ollamaServer';
import { chatState, chatTest, domReport, idle, webview } from './chatHelpers';
import { activate, screenshot, setSetting, waitFor } from './helpers';

const FILLER = Array.from({ length: 4 }, (_, i) => `Paragraph ${i} keeps the answer going with plain words so that many frames pass before the end.`).join('\n\n');

const LATE_REFERENCE_ANSWER = [
  'See the [docs][d] and [the guide][].',
  '',
  FILLER,
  '',
  '````markdown',
  '```python',
  'print("hi")',
  '```',
  '````',
  '',
  '| Flag | Meaning |',
  '|------|---------|',
  '| `-v` | verbose |',
  '',
  'Title',
  '=====',
  '',
  '> quoted',
  'lazy line',
  '',
  '    indented code',
  '',
  '[d]: https://example.com/docs',
  '[the guide]: https://example.com/guide "The Guide"',
  '',
].join('\n');

describe('chat markdown streaming (real extension host)', function () {
  this.timeout(60000);
  let server: OllamaTestServer;

  before(async () => {
    server = await OllamaTestServer.start({ tokenDelayMs: 3, reply: () => LATE_REFERENCE_ANSWER });
    await activate();
    await setSetting('endpoint', server.url);
    await setSetting('chat.model', 'llama3.2');
    assert.strictEqual(await chatTest<boolean>({ op: 'reveal' }), true, 'chat webview did not become ready');
    await chatTest({ op: 'newChat' });
  });

  after(async () => {
    // As chat.test.ts leaves it: the sidebar closed (its views would refresh against the default
    // endpoint and announce it unreachable), no notifications.
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await setSetting('endpoint', undefined);
    await setSetting('chat.model', undefined);
    await server.close();
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('reference links defined at the end of a streamed answer become links in the paragraph that used them', async () => {
    const before = (await chatState()).session.messages.length;
    await webview({ op: 'send', text: 'Explain the flags with references' });
    await waitFor(async () => (await chatState()).session.messages.length > before, 'message accepted');
    await idle();
    const rep = await waitFor(async () => { const r = await domReport(); return r.busy ? undefined : r; }, 'webview idle') as DomReport;
    const answer = rep.messages.filter((m) => m.role === 'assistant').at(-1)!;
    assert.strictEqual(answer.state, 'done');
    assert.ok(answer.text.includes('See the docs and the guide.'), answer.text.slice(0, 80));
    assert.ok(!answer.text.includes('[docs][d]') && !answer.text.includes('[d]:'), 'no literal brackets or definitions');
    assert.deepStrictEqual(rep.links, ['https://example.com/docs', 'https://example.com/guide']);
    assert.deepStrictEqual(rep.codeBlocks.map((c) => [c.language, c.text.trimEnd()]), [
      ['markdown', '```python\nprint("hi")\n```'],
      ['', 'indented code'],
    ]);
    assert.ok(rep.codeBlocks[0]!.highlighted, 'the fence is highlighted once closed');
    assert.ok(answer.text.includes('quoted\nlazy line') || answer.text.includes('quoted lazy line'), 'lazy line stays in the quote');
    // The whole sidebar for the chat (as chat.test.ts does for its screenshots).
    const toggle = 'ollamaAssistant.modelsView.toggleVisibility';
    const canToggle = (await vscode.commands.getCommands(true)).includes(toggle);
    if (canToggle) await vscode.commands.executeCommand(toggle);
    try {
      await chatTest({ op: 'reveal' });
      await screenshot('chat-markdown-late-references');
    } finally {
      if (canToggle) await vscode.commands.executeCommand(toggle);
    }
  });
});
