// The extension in OpenAI mode (backend "openai") in the real extension host, against the test
// server speaking each dialect users run (issue 18): llama.cpp's llama-server, LM Studio, vLLM and
// Ollama's own /v1. Per server: Test Connection with no key, a wrong key and the right key (a
// request that really needs the key, never /health); a chat answer with the speed read from what
// that server reports; inline completion the way that server fills in the middle (llama.cpp
// /infill for a model known only by its file name, vLLM a raw FIM prompt in the tokens its
// /tokenize knows, Ollama `suffix`), ghost text accepted; a selection translated.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { DomReport } from '../../src/shared/chatTestProtocol';
import type { ServerStatus } from '../../src/vscode/status';
import { OllamaTestServer, type DialectOptions, type RecordedRequest } from '../support/ollamaServer';
import { chatState, chatTest, domReport, idle, webview } from './chatHelpers';
import { activate, screenshot, setSetting, sleep, testApi, waitFor } from './helpers';

interface DebugInfo { paused: boolean; notices: string[]; last?: { kind: string; text?: string; source?: string } }
interface Outcome { status: string; mode?: string; message?: string }
type Obj = Record<string, any>;

const debugInfo = () => vscode.commands.executeCommand<DebugInfo>('ollamaAssistant.completion.debugInfo');

const KEY = 'sk-right-' + Date.now().toString(36);
const GREETING = "'hello, world';";

/** What the "model" answers, by endpoint: a translation for the translation prompt, a greeting for
 * code ending in `const greeting = ` (whatever FIM form carries it), else an echo of the question. */
function reply(req: { path: string; body: Obj }): string {
  const b = req.body ?? {};
  if (Array.isArray(b.messages)) {
    const msgs = b.messages as Obj[];
    const system = String(msgs.find((m) => m.role === 'system')?.content ?? '');
    const last = String([...msgs].reverse().find((m) => m.role === 'user')?.content ?? '');
    if (system.includes('into Simplified Chinese')) return last.split('\n').map((l) => (l.trim() ? `〔译〕${l}` : l)).join('\n');
    return `Answer to: ${last.slice(0, 40)}`;
  }
  const prefix = typeof b.input_prefix === 'string' ? b.input_prefix : String(b.prompt ?? '');
  return prefix.includes('const greeting = ') ? GREETING : 'undefined;';
}

interface Case {
  name: string;
  /** Test server options (undefined: Ollama itself, spoken to through /v1). */
  dialect?: DialectOptions;
  /** The endpoint setting: a server root or its /v1. */
  endpoint: (url: string) => string;
  /** What Test Connection reports. */
  label: string;
  /** The request whose success proves the key (undefined: the server takes no key). */
  keyPath?: string;
  chatModel: string;
  completionModel?: string;
  /** The FIM request the completion must send, and how to check it. */
  fim?: { path: string; check: (body: Obj) => void };
  /** The speed the chat must show (the server's own report), or a pattern when measured. */
  speed: RegExp;
}

const CASES: Case[] = [
  {
    name: 'llama.cpp',
    // --alias-less model known by its file name; --api-key; 2 slots.
    dialect: { kind: 'llamacpp', apiKey: KEY, model: 'my-model-q4.gguf', ctxSize: 4096, parallel: 2, tokensPerSecond: 1234.5 },
    endpoint: (u) => u,
    label: 'llama.cpp',
    keyPath: '/props',
    chatModel: 'my-model-q4.gguf',
    completionModel: 'my-model-q4.gguf',
    fim: {
      path: '/infill',
      check: (b) => {
        assert.strictEqual(b.input_prefix, 'const greeting = ');
        assert.strictEqual(typeof b.input_suffix, 'string');
        assert.strictEqual(b.stream, true);
      },
    },
    speed: /1234\.5 tokens\/s/,
  },
  {
    name: 'LM Studio',
    dialect: {
      kind: 'lmstudio', apiKey: KEY, lmstudioModels: [
        { id: 'qwen2.5-7b-instruct', type: 'llm', state: 'loaded', max_context_length: 32768, loaded_context_length: 4096, arch: 'qwen2', capabilities: ['tool_use'] },
        { id: 'qwen2.5-coder-1.5b', type: 'llm', state: 'loaded', max_context_length: 32768, loaded_context_length: 4096, arch: 'qwen2' },
        { id: 'text-embedding-nomic-embed-text-v1.5', type: 'embeddings', state: 'not-loaded', max_context_length: 2048, arch: 'nomic-bert' },
      ],
    },
    endpoint: (u) => `${u}/v1`,
    label: 'LM Studio',
    keyPath: '/v1/models',
    chatModel: 'qwen2.5-7b-instruct',
    // No FIM endpoint and no `suffix`: the family's raw prompt, the family told by the name.
    completionModel: 'qwen2.5-coder-1.5b',
    fim: {
      path: '/v1/completions',
      check: (b) => {
        assert.ok(String(b.prompt).startsWith('<|fim_prefix|>const greeting = <|fim_suffix|>'), String(b.prompt));
        assert.ok(String(b.prompt).endsWith('<|fim_middle|>'), String(b.prompt));
      },
    },
    speed: /[\d.]+ tokens\/s/,
  },
  {
    name: 'vLLM',
    dialect: { kind: 'vllm', apiKey: KEY, model: 'Qwen/Qwen2.5-Coder-1.5B', fim: 'qwen' },
    endpoint: (u) => u,
    label: 'vLLM',
    keyPath: '/v1/models',
    chatModel: 'Qwen/Qwen2.5-Coder-1.5B',
    completionModel: 'Qwen/Qwen2.5-Coder-1.5B',
    fim: {
      path: '/v1/completions',
      check: (b) => {
        assert.ok(String(b.prompt).startsWith('<|fim_prefix|>const greeting = <|fim_suffix|>'), String(b.prompt));
        assert.ok(String(b.prompt).endsWith('<|fim_middle|>'), String(b.prompt));
        assert.strictEqual(b.suffix, undefined, 'vLLM refuses suffix');
      },
    },
    speed: /[\d.]+ tokens\/s/,
  },
  {
    name: "Ollama's /v1",
    endpoint: (u) => `${u}/v1`,
    label: 'Ollama',
    chatModel: 'llama3.2',
    completionModel: 'qwen2.5-coder:1.5b',
    fim: {
      path: '/v1/completions',
      check: (b) => {
        assert.strictEqual(b.prompt, 'const greeting = ');
        assert.strictEqual(typeof b.suffix, 'string');
      },
    },
    speed: /[\d.]+ tokens\/s/,
  },
];

async function freshEditor(content = ''): Promise<vscode.TextEditor> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content });
  const editor = await vscode.window.showTextDocument(doc);
  const end = doc.lineAt(doc.lineCount - 1).range.end;
  editor.selection = new vscode.Selection(end, end);
  return editor;
}

async function ask(text: string): Promise<DomReport> {
  const before = (await chatState()).session.messages.length;
  await webview({ op: 'send', text });
  await waitFor(async () => { const s = await chatState(); return s.session.messages.length > before || s.notice; }, `"${text}" accepted`, 20000);
  await idle();
  return waitFor(async () => { const r = await domReport(); return r.busy ? undefined : r; }, 'webview idle', 20000);
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const testConnection = () => vscode.commands.executeCommand<ServerStatus>('ollamaAssistant.testConnection');

describe('OpenAI-compatible servers in OpenAI mode (real extension host)', function () {
  this.timeout(90000);
  const editorConfig = () => vscode.workspace.getConfiguration('editor');

  before(async () => {
    await activate();
    await editorConfig().update('quickSuggestions', { other: false, comments: false, strings: false }, vscode.ConfigurationTarget.Global);
    await editorConfig().update('suggestOnTriggerCharacters', false, vscode.ConfigurationTarget.Global);
    if ((await debugInfo()).paused) await vscode.commands.executeCommand('ollamaAssistant.completion.togglePause');
  });

  after(async () => {
    await vscode.commands.executeCommand('ollamaAssistant.clearApiToken');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    for (const k of ['backend', 'endpoint', 'chat.model', 'completion.model', 'translation.model', 'translation.targetLanguage', 'translation.outputMode']) await setSetting(k, undefined);
    await editorConfig().update('quickSuggestions', undefined, vscode.ConfigurationTarget.Global);
    await editorConfig().update('suggestOnTriggerCharacters', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  for (const c of CASES) {
    describe(c.name, () => {
      let server: OllamaTestServer;
      const since = (n: number, path: string): RecordedRequest[] => server.requests.slice(n).filter((r) => r.path === path);

      before(async () => {
        server = await OllamaTestServer.start({ tokenDelayMs: 15, reply, ...(c.dialect ? { dialect: c.dialect } : {}) });
        await vscode.commands.executeCommand('ollamaAssistant.clearApiToken');
        await setSetting('backend', 'openai');
        await setSetting('endpoint', c.endpoint(server.url));
        await setSetting('chat.model', c.chatModel);
        await setSetting('completion.model', c.completionModel ?? c.chatModel);
        await setSetting('translation.model', c.chatModel);
        await setSetting('translation.targetLanguage', 'Simplified Chinese');
        await setSetting('translation.outputMode', 'replace');
      });

      after(async () => {
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        await vscode.commands.executeCommand('ollamaAssistant.clearApiToken');
        await vscode.commands.executeCommand('notifications.clearAll');
        await server.close();
      });

      if (c.keyPath) {
        it(`${c.name}: Test Connection refuses a missing or wrong key with a request that needs it, and names the server with the right one`, async () => {
          const n0 = server.requests.length;
          const none = await testConnection();
          assert.strictEqual(none.reachable, false, JSON.stringify(none));
          assert.strictEqual(none.keyRefused, true, JSON.stringify(none));
          assert.ok(since(n0, '/health').length === 0 && since(n0, '/v1/health').length === 0, 'never /health: it answers without the key');

          assert.strictEqual(await vscode.commands.executeCommand('ollamaAssistant.setApiToken', 'sk-wrong'), true);
          const wrong = await testConnection();
          assert.strictEqual(wrong.reachable, false, JSON.stringify(wrong));
          assert.strictEqual(wrong.keyRefused, true);
          assert.match(wrong.error ?? '', /refused the API key/);

          assert.strictEqual(await vscode.commands.executeCommand('ollamaAssistant.setApiToken', KEY), true);
          const n1 = server.requests.length;
          const ok = await testConnection();
          assert.strictEqual(ok.reachable, true, JSON.stringify(ok));
          assert.strictEqual(ok.backend, 'openai');
          assert.strictEqual(ok.keyCheck && typeof ok.keyCheck === 'object' ? ok.keyCheck.path : ok.keyCheck, `GET ${c.keyPath}`, JSON.stringify(ok));
          const keyed = since(n1, c.keyPath!);
          assert.ok(keyed.length >= 1, `${c.keyPath} was asked`);
          assert.strictEqual(keyed[0]!.headers['authorization'], `Bearer ${KEY}`);
          assert.ok((ok.detail ?? '').includes(c.label), ok.detail);
          if (c.dialect?.kind === 'llamacpp') {
            assert.strictEqual(ok.slots, 2);
            assert.strictEqual(ok.contextPerSlot, 2048);
          }
          console.log(`[exthost] ${c.name} Test Connection: ${(ok.detail ?? '').replace(/\n/g, ' | ')}`);
        });
      } else {
        it(`${c.name}: Test Connection names Ollama and says it takes no key`, async () => {
          const ok = await testConnection();
          assert.strictEqual(ok.reachable, true, JSON.stringify(ok));
          assert.strictEqual(ok.backend, 'openai');
          assert.strictEqual(ok.keyCheck, 'none', JSON.stringify(ok));
          assert.ok((ok.detail ?? '').includes('Ollama'), ok.detail);
        });
      }

      it(`${c.name}: chat streams an answer with the speed the server reports`, async () => {
        if (c.keyPath) await vscode.commands.executeCommand('ollamaAssistant.setApiToken', KEY);
        assert.strictEqual(await chatTest<boolean>({ op: 'reveal' }), true, 'chat webview did not become ready');
        await chatTest({ op: 'newChat' });
        const n0 = server.requests.length;
        const rep = await ask('Hello from OpenAI mode');
        const a = rep.messages.filter((m) => m.role === 'assistant').at(-1);
        assert.ok(a, JSON.stringify(rep));
        assert.strictEqual(a.state, 'done', JSON.stringify(a));
        assert.ok(a.text.includes('Answer to: Hello from OpenAI mode'), a.text);
        assert.match(a.stats ?? '', c.speed);
        const sent = since(n0, '/v1/chat/completions');
        assert.strictEqual(sent.length, 1);
        assert.strictEqual((sent[0]!.body as Obj).model, c.chatModel);
        assert.strictEqual((sent[0]!.body as Obj).stream, true);
        if (c.dialect?.kind === 'lmstudio') {
          // /api/v0/models says which one is an embeddings model: the picker never offers it.
          const models = (await domReport()).models;
          assert.ok(models.includes('qwen2.5-7b-instruct') && models.includes('qwen2.5-coder-1.5b'), JSON.stringify(models));
          assert.ok(!models.includes('text-embedding-nomic-embed-text-v1.5'), JSON.stringify(models));
        }
        if (c.dialect?.kind === 'llamacpp') {
          // The status bar names the server once it is checked (setting the key reset the client).
          await (await testApi()).monitor.check();
          await sleep(300);
          const png = await screenshot(`openai-${slug(c.name)}-chat`);
          console.log(`[exthost] screenshot: ${png} (stats: ${a.stats})`);
        }
      });

      if (c.fim) {
        it(`${c.name}: inline completion fills in the middle the server's way; the ghost text is accepted`, async () => {
          if (c.keyPath) await vscode.commands.executeCommand('ollamaAssistant.setApiToken', KEY);
          const editor = await freshEditor();
          const n0 = server.requests.length;
          await vscode.commands.executeCommand('type', { text: 'const greeting = ' });
          await vscode.commands.executeCommand('ollamaAssistant.completion.trigger');
          await waitFor(async () => (await debugInfo()).last?.text === GREETING, 'the completion', 30000)
            .catch(async (e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(await debugInfo())} requests ${JSON.stringify(server.requests.slice(n0).map((r) => r.path))}`); });
          const fims = since(n0, c.fim!.path);
          assert.ok(fims.length >= 1, `no ${c.fim!.path}: ${JSON.stringify(server.requests.slice(n0).map((r) => r.path))}`);
          c.fim!.check(fims.at(-1)!.body as Obj);
          if (c.dialect?.kind === 'llamacpp') {
            assert.strictEqual(since(n0, '/v1/completions').length, 0, 'llama.cpp ignores suffix on /v1/completions: never used for FIM');
            await sleep(300);
            const png = await screenshot(`openai-${slug(c.name)}-ghost-text`);
            console.log(`[exthost] screenshot: ${png}`);
          }
          await waitFor(async () => {
            if (editor.document.getText() === 'const greeting = ' + GREETING) return true;
            await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
            return editor.document.getText() === 'const greeting = ' + GREETING;
          }, `accepted text (document: ${JSON.stringify(editor.document.getText())})`, 20000);
          await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
        });
      }

      if (c.dialect?.kind === 'llamacpp') {
        it('llama.cpp: a model name the server does not have is answered by its loaded model, and the chat says which', async () => {
          await vscode.commands.executeCommand('ollamaAssistant.setApiToken', KEY);
          await setSetting('chat.model', 'qwen2.5-coder:7b');
          try {
            assert.strictEqual(await chatTest<boolean>({ op: 'reveal' }), true, 'chat webview did not become ready');
            await chatTest({ op: 'newChat' });
            const n0 = server.requests.length;
            const rep = await ask('Who answers?');
            const a = rep.messages.filter((m) => m.role === 'assistant').at(-1);
            assert.ok(a, JSON.stringify(rep));
            assert.strictEqual(a.state, 'done', JSON.stringify(a));
            assert.strictEqual((since(n0, '/v1/chat/completions')[0]!.body as Obj).model, 'qwen2.5-coder:7b');
            assert.match(a.stats ?? '', /answered by my-model-q4\.gguf/);
          } finally {
            await setSetting('chat.model', c.chatModel);
          }
        });

        it('llama.cpp: a conversation longer than one slot (--ctx-size 512, --parallel 2) is trimmed to fit, never refused', async () => {
          const small = await OllamaTestServer.start({ tokenDelayMs: 1, reply, dialect: { kind: 'llamacpp', ctxSize: 512, parallel: 2 } });
          try {
            await setSetting('endpoint', small.url);
            await setSetting('chat.model', 'tiny-utf8.gguf');
            await setSetting('chat.systemPrompt', 'Be brief.');
            assert.strictEqual(await chatTest<boolean>({ op: 'reveal' }), true, 'chat webview did not become ready');
            await chatTest({ op: 'newChat' });
            for (let i = 0; i < 4; i++) {
              const rep = await ask(Array.from({ length: 25 }, (_, k) => `w${i}x${k}`).join(' '));
              const a = rep.messages.filter((m) => m.role === 'assistant').at(-1);
              assert.strictEqual(a?.state, 'done', `turn ${i}: ${JSON.stringify(a)}`);
            }
            const chats = small.requests.filter((r) => r.path === '/v1/chat/completions');
            assert.strictEqual(chats.length, 4);
            assert.ok(chats.every((r) => r.status === 200), JSON.stringify(chats.map((r) => r.status)));
            const lastMsgs = (chats.at(-1)!.body as Obj).messages as Obj[];
            assert.ok(lastMsgs.length < 8, `older turns left out to fit 256 tokens (sent ${lastMsgs.length} messages)`);
            assert.ok(String(lastMsgs.at(-1)!.content).startsWith('w3x0'), 'the newest question is always sent');
          } finally {
            await setSetting('endpoint', c.endpoint(server.url));
            await setSetting('chat.model', c.chatModel);
            await setSetting('chat.systemPrompt', undefined);
            await small.close();
          }
        });

        it('llama.cpp: a model without FIM tokens: /infill answers 501 once, the user is told once, nothing is sent again', async () => {
          const noFim = await OllamaTestServer.start({ tokenDelayMs: 2, reply, dialect: { kind: 'llamacpp', model: 'tiny-nofim-q8.gguf', fim: 'none' } });
          try {
            await setSetting('endpoint', noFim.url);
            await setSetting('completion.model', 'tiny-nofim-q8.gguf');
            const before = (await debugInfo()).notices.length;
            for (let i = 0; i < 3; i++) {
              await freshEditor(`let x${i} = `);
              await vscode.commands.executeCommand('ollamaAssistant.completion.trigger');
              await waitFor(async () => (await debugInfo()).notices.length > before, 'the FIM notice', 20000);
              await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
            }
            const d = await debugInfo();
            assert.deepStrictEqual(d.notices.slice(before), ['unsupported:tiny-nofim-q8.gguf'], JSON.stringify(d.notices));
            const infills = noFim.requests.filter((r) => r.path === '/infill');
            assert.strictEqual(infills.length, 1, `one /infill, got ${infills.length}: ${JSON.stringify(noFim.requests.map((r) => r.path))} ${JSON.stringify(d)}`);
            assert.strictEqual(noFim.requests.filter((r) => r.path === '/v1/completions').length, 0, 'no suffix-ignoring /v1/completions instead');
          } finally {
            await setSetting('endpoint', c.endpoint(server.url));
            await setSetting('completion.model', c.completionModel);
            await vscode.commands.executeCommand('notifications.clearAll');
            await noFim.close();
          }
        });
      }

      it(`${c.name}: a selection is translated and replaces the text`, async () => {
        if (c.keyPath) await vscode.commands.executeCommand('ollamaAssistant.setApiToken', KEY);
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        const root = process.env.OA_WORKSPACE ?? os.tmpdir();
        const file = path.join(root, `openai-${slug(c.name)}-translate.md`);
        fs.writeFileSync(file, 'Keep this line.\nHello world.\n');
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
        const editor = await vscode.window.showTextDocument(doc);
        assert.strictEqual(doc.lineCount, 3, JSON.stringify(doc.getText()));
        editor.selection = new vscode.Selection(1, 0, 1, doc.lineAt(1).text.length);
        const n0 = server.requests.length;
        const r = await vscode.commands.executeCommand<Outcome>('ollamaAssistant.translate.selection');
        assert.strictEqual(r.status, 'done', JSON.stringify(r));
        assert.strictEqual(doc.lineAt(1).text, '〔译〕Hello world.');
        assert.strictEqual(doc.lineAt(0).text, 'Keep this line.');
        const sent = since(n0, '/v1/chat/completions');
        assert.strictEqual(sent.length, 1);
        assert.strictEqual((sent[0]!.body as Obj).model, c.chatModel);
        await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
        fs.rmSync(file, { force: true });
      });
    });
  }
});
