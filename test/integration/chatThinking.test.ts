// The chat with reasoning models, the model picker's filtering and the layout, in a real extension
// host against the Ollama-protocol test server: reasoning streams into its own collapsed block with
// live seconds and never goes back to the model; raw <think> tags are split off; the reasoning
// control offers what the model lists and is remembered per model; a model that only reasoned gets
// a sentence instead of an empty bubble; the picker leaves out embedding models and notes base
// models; Chinese text is estimated honestly; at 300 px and 600 px sidebar widths the stats stay
// one line and wide code scrolls with a cue (screenshots).
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { DomReport } from '../../src/shared/chatTestProtocol';
import { OllamaTestServer, type RecordedRequest } from '../support/ollamaServer';
import { DEFAULT_MODELS } from '../support/ollamaServerModels';
import { chatState, chatTest, domReport, idle, webview } from './chatHelpers';
import { activate, screenshot, setSetting, sleep, waitFor } from './helpers';

interface ChatBody { model: string; messages: { role: string; content: string }[]; think?: unknown; options?: Record<string, unknown> }
const chatRequests = (s: OllamaTestServer): RecordedRequest[] => s.requests.filter((r) => r.path === '/api/chat');
const body = (r: RecordedRequest | undefined): ChatBody => r?.body as ChatBody;
const lastAssistant = (rep: DomReport) => rep.messages.filter((m) => m.role === 'assistant').at(-1);

const THOUGHT = 'The user greets me. I should greet back, briefly and kindly, and offer help with their code. ';
const WIDE_CODE = [
  'Here is the call:',
  '',
  '```typescript',
  'const result = await client.chat({ model: "qwen3:0.6b", messages: [{ role: "user", content: "hello there" }], stream: true, keep_alive: "30m" });',
  '```',
].join('\n');

async function ask(text: string): Promise<DomReport> {
  const before = (await chatState()).session.messages.length;
  await webview({ op: 'send', text });
  await waitFor(async () => { const s = await chatState(); return s.session.messages.length > before || s.notice; }, `"${text}" accepted`);
  await idle();
  return waitFor(async () => { const r = await domReport(); return r.busy ? undefined : r; }, 'webview idle');
}

/** Resizes the sidebar (the chat's width) to about `px`: the workbench resizes in steps of 60 px. */
async function sidebarWidth(px: number): Promise<number> {
  let width = (await domReport()).width;
  for (let i = 0; i < 20 && Math.abs(width - px) > 30; i++) {
    await chatTest({ op: 'reveal' });
    // With the focus in the chat, "view size" is the sidebar's; the editor's width is the fallback.
    const grow = width < px;
    await vscode.commands.executeCommand(grow ? 'workbench.action.increaseViewSize' : 'workbench.action.decreaseViewSize');
    let next = await waitFor(async () => { const w = (await domReport()).width; return w !== width ? w : undefined; }, 'sidebar resized', 1500).catch(() => width);
    if (next === width) {
      await vscode.commands.executeCommand(grow ? 'workbench.action.decreaseViewWidth' : 'workbench.action.increaseViewWidth');
      next = await waitFor(async () => { const w = (await domReport()).width; return w !== width ? w : undefined; }, 'sidebar resized', 1500).catch(() => width);
    }
    if (next === width) break;
    width = next;
  }
  return width;
}

describe('chat: reasoning, model picker and layout (real extension host)', function () {
  this.timeout(90000);
  let server: OllamaTestServer;
  const qwen3 = DEFAULT_MODELS.find((m) => m.name === 'qwen3:0.6b')!;

  before(async () => {
    server = await OllamaTestServer.start({
      tokenDelayMs: 2,
      thinking: () => THOUGHT.repeat(3),
      reply: ({ body: b }) => {
        const last = [...((b as ChatBody | undefined)?.messages ?? [])].reverse().find((m) => m.role === 'user')?.content ?? '';
        if (last.includes('WIDE')) return WIDE_CODE;
        return `Hello! You said: ${last.slice(0, 30)}`;
      },
      models: [
        ...DEFAULT_MODELS,
        { name: 'qwen2.5-coder:1.5b-base', capabilities: ['completion', 'insert'], family: 'qwen2' },
        { ...qwen3, name: 'gpt-oss:20b', family: 'gptoss', thinking_values: ['low', 'medium', 'high'], thinking_default: 'medium' },
        { name: 'r1-gguf:latest', capabilities: ['completion'], thinking_output: 'tags' },
      ],
    });
    await activate();
    await setSetting('endpoint', server.url);
    await setSetting('chat.model', 'qwen3:0.6b');
    await setSetting('options', undefined);
    assert.strictEqual(await chatTest<boolean>({ op: 'reveal' }), true, 'chat webview did not become ready');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await setSetting('endpoint', undefined);
    await setSetting('chat.model', undefined);
    await setSetting('options', undefined);
    await server.close();
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  beforeEach(async () => {
    server.clearFaults();
    await chatTest({ op: 'newChat' });
  });

  it('reasoning streams live into its own collapsed block (seconds counting, text inside when opened), apart from the answer; never sent back; not copied', async () => {
    await setSetting('chat.model', 'qwen3:0.6b');
    // Slow tokens: about four seconds of reasoning.
    server.setFaults({ tokenDelayMs: 80 }, { path: '/api/chat', times: 1 });
    await webview({ op: 'send', text: 'hi there' });
    const live = await waitFor(async () => {
      const a = lastAssistant(await domReport());
      return a && /^Thinking… [1-9]\d* s$/.test(a.thinkingSummary ?? '') ? a : undefined;
    }, 'the reasoning counts its seconds', 15000);
    assert.strictEqual(live.thinkingOpen, false, 'collapsed');
    assert.strictEqual(live.text.trim(), '', 'no answer yet');
    // Opened while it streams: the reasoning text grows inside.
    assert.strictEqual(await webview({ op: 'click', selector: '.msg-assistant .msg-thinking > summary' }), true);
    const first = (lastAssistant(await domReport())!.thinking ?? '').length;
    await waitFor(async () => (lastAssistant(await domReport())!.thinking ?? '').length > first, 'reasoning text streams inside');
    await screenshot('chat-thinking-live');
    await idle();
    const rep = await waitFor(async () => { const r = await domReport(); return r.busy ? undefined : r; }, 'done');
    const a = lastAssistant(rep)!;
    assert.strictEqual(a.text.trim(), 'Hello! You said: hi there');
    assert.strictEqual(a.thinking, THOUGHT.repeat(3));
    assert.match(a.thinkingSummary ?? '', /^Thought for \d+\.\d s$/);
    assert.strictEqual(a.thinkingApart, true, 'a block of its own before the answer');
    assert.match(a.stats ?? '', /first answer token \d+\.\d\d s/);
    const stats = (await chatState()).session.messages[1]!.stats!;
    assert.ok(stats.firstThinkingMs! < stats.ttftMs!, 'the first thinking token came before the first answer token');
    assert.ok(stats.thinkingMs! > 1000, `reasoning took ${stats.thinkingMs} ms`);
    // Collapsed again for the picture of the finished answer.
    await webview({ op: 'click', selector: '.msg-assistant .msg-thinking > summary' });
    await waitFor(async () => lastAssistant(await domReport())!.thinkingOpen === false, 'collapsed');
    await screenshot('chat-thinking-done');

    // Copy answer: the answer only.
    await vscode.env.clipboard.writeText('');
    await webview({ op: 'click', selector: '.msg-assistant [data-msg-action="copyAnswer"]' });
    await waitFor(async () => (await vscode.env.clipboard.readText()) !== '', 'copied');
    assert.strictEqual((await vscode.env.clipboard.readText()).trim(), 'Hello! You said: hi there');
    // The next request carries the answer without its reasoning.
    await ask('and again');
    const sent = body(chatRequests(server).at(-1)).messages.filter((m) => m.role === 'assistant');
    assert.deepStrictEqual(sent.map((m) => m.content), ['Hello! You said: hi there']);
    assert.ok(!JSON.stringify(body(chatRequests(server).at(-1))).includes('greet back'), 'no reasoning in the request');
  });

  it('raw <think> tags in the content (a GGUF import without a thinking parser) are split off and never sent back', async () => {
    await setSetting('chat.model', 'r1-gguf');
    try {
      const rep = await ask('hello');
      const a = lastAssistant(rep)!;
      assert.strictEqual(a.text.trim(), 'Hello! You said: hello');
      assert.ok(!a.text.includes('think'), a.text);
      assert.strictEqual(a.thinking?.trim(), THOUGHT.repeat(3).trim());
      assert.strictEqual((await chatState()).session.messages[1]!.text, 'Hello! You said: hello');
      await ask('next');
      const history = body(chatRequests(server).at(-1)).messages;
      assert.deepStrictEqual(history.filter((m) => m.role === 'assistant').map((m) => m.content), ['Hello! You said: hello']);
    } finally {
      await setSetting('chat.model', 'qwen3:0.6b');
    }
  });

  it('the reasoning control offers what /api/show lists, is sent as think, and is remembered per model', async () => {
    await setSetting('chat.model', 'gpt-oss:20b');
    let rep = await waitFor(async () => { const r = await domReport(); return r.thinkOptions.length ? r : undefined; }, 'reasoning control for gpt-oss');
    assert.deepStrictEqual(rep.thinkOptions, ['default', 'level:low', 'level:medium', 'level:high']);
    assert.strictEqual(rep.think, 'default');
    assert.strictEqual(await webview({ op: 'selectThink', value: 'level:high' }), true);
    await ask('think hard');
    assert.strictEqual(body(chatRequests(server).at(-1)).think, 'high');

    await setSetting('chat.model', 'qwen3:0.6b');
    rep = await waitFor(async () => { const r = await domReport(); return r.thinkOptions.includes('on') ? r : undefined; }, 'reasoning control for qwen3');
    assert.deepStrictEqual(rep.thinkOptions, ['default', 'on', 'off']);
    assert.strictEqual(rep.think, 'default', 'the gpt-oss choice is not carried over');
    await webview({ op: 'selectThink', value: 'off' });
    const off = await ask('no thinking please');
    assert.strictEqual(body(chatRequests(server).at(-1)).think, false);
    assert.strictEqual(lastAssistant(off)!.thinking, undefined, 'no reasoning block');

    await setSetting('chat.model', 'gpt-oss:20b');
    rep = await waitFor(async () => { const r = await domReport(); return r.think === 'level:high' ? r : undefined; }, 'gpt-oss remembers high');
    await setSetting('chat.model', 'llama3.2');
    rep = await waitFor(async () => { const r = await domReport(); return r.thinkOptions.length === 0 && r.selectedModel.startsWith('llama3.2') ? r : undefined; }, 'no control for llama3.2');
    await ask('plain');
    assert.strictEqual(body(chatRequests(server).at(-1)).think, undefined, 'nothing sent to a model without thinking');
    await setSetting('chat.model', 'qwen3:0.6b');
    await webview({ op: 'selectThink', value: 'default' });
  });

  it('a model that spent its budget reasoning: a clear sentence, not an empty bubble', async () => {
    await setSetting('options', { num_predict: 5 });
    try {
      const rep = await ask('a hard question');
      const a = lastAssistant(rep)!;
      assert.strictEqual(a.text.trim(), '');
      assert.ok((a.thinking ?? '').length > 0);
      assert.match(a.note ?? '', /spent its whole answer budget thinking/);
      await screenshot('chat-thinking-only');
    } finally {
      await setSetting('options', undefined);
    }
  });

  it('the picker never offers an embedding model and notes a base model; an older server without capabilities in /api/tags is asked /api/show', async () => {
    await webview({ op: 'post', message: { type: 'refreshModels' } });
    let rep = await waitFor(async () => { const r = await domReport(); return r.models.includes('qwen2.5-coder:1.5b-base') ? r : undefined; }, 'models listed');
    assert.ok(!rep.models.includes('all-minilm:latest'), 'embedding model left out');
    assert.match(rep.modelNotes[rep.models.indexOf('qwen2.5-coder:1.5b-base')]!, /base\/code completion model/);
    assert.strictEqual(rep.modelNotes[rep.models.indexOf('llama3.2:latest')], '');

    const old = await OllamaTestServer.start({ tagsCapabilities: false });
    try {
      await setSetting('endpoint', old.url);
      await webview({ op: 'post', message: { type: 'refreshModels' } });
      rep = await waitFor(async () => { const r = await domReport(); return r.models.includes('llava:7b') ? r : undefined; }, 'models from the older server', 15000);
      assert.ok(!rep.models.includes('all-minilm:latest'), 'found out through /api/show');
      assert.ok(old.requests.some((r) => r.path === '/api/show' && (r.body as { model?: string }).model === 'all-minilm:latest'));
    } finally {
      await setSetting('endpoint', server.url);
      await old.close();
    }
  });

  it('6,080 Chinese characters with a 4096 context: the "too long" notice shows', async () => {
    await setSetting('options', { num_ctx: 4096 });
    try {
      const text = '在这个快速发展的时代，人工智能技术正在深刻地改变着我们的生活方式和工作方式。'.repeat(160);
      const rep = await ask(text);
      assert.match(rep.notice ?? '', /too long for the model's context window \(about \d+ tokens; 3072 fit\)/);
    } finally {
      await setSetting('options', undefined);
    }
  });

  it('layout at 300 px and 600 px sidebar widths: one stats line, wide code scrolls with a cue (screenshots)', async () => {
    await setSetting('chat.model', 'llama3.2');
    const original = (await domReport()).width;
    try {
      await ask('Show me WIDE code');
      for (const target of [300, 600]) {
        const w = await sidebarWidth(target);
        assert.ok(Math.abs(w - target) <= 30, `sidebar is ${w} px, wanted about ${target}`);
        const rep = await waitFor(async () => { const r = await domReport(); return r.codeBlocks.length ? r : undefined; }, 'code block');
        const a = lastAssistant(rep)!;
        assert.strictEqual(a.statsLines, 1, `stats on one line at ${w} px: ${a.stats}`);
        assert.strictEqual(rep.codeScroll[0]!.scrollable, true, 'the long line scrolls');
        assert.strictEqual(rep.codeScroll[0]!.cue, true, 'with the scroll cue');
        await sleep(300);
        await screenshot(`chat-layout-${target}px`);
      }
    } finally {
      await sidebarWidth(original);
      await setSetting('chat.model', 'qwen3:0.6b');
    }
  });
});
