// The pure parts of VS Code's own AI features (src/core/lm): what VS Code is told about a model
// (context window from num_ctx and the trained context, the answer's room, capabilities), a VS Code
// conversation turned into the backends' messages (tool calls and results, images, reasoning), the
// token estimate, a consumer's modelOptions, and the tools' inputs and confirmation rule.
import * as assert from 'assert';
import type { ModelFacts } from '../../src/core/llm/facts';
import { estimateTokens } from '../../src/core/llm/tokens';
import { OllamaTestServer } from '../support/ollamaServer';
import type { ModelSummary } from '../../src/core/llm/types';
import { contextWindow, infoSignature, lmModelInfo } from '../../src/core/lm/info';
import { estimateLmTokens, samplingWith, toLlmMessages, UnsupportedImageError, type LmInMessage } from '../../src/core/lm/messages';
import { OpenAIBackend } from '../../src/core/llm/backend';
import { leavesMachine, modelListResult, runPromptToolInput, ToolInputError, translateToolInput } from '../../src/core/lm/tools';

const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const llama: ModelSummary = { name: 'llama3.2:latest', digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72', family: 'llama', parameterSize: '3.2B', quantization: 'Q4_K_M' };
const llamaFacts: ModelFacts = {
  capabilities: ['completion', 'tools'],
  modelInfo: { 'general.architecture': 'llama', 'llama.context_length': 131072 },
  details: { family: 'llama' },
};

describe('language models: what VS Code is told about a model (core/lm/info)', () => {
  it('the window is num_ctx when the model holds it; else the trained context (Ollama clamps); else the chat\'s plan', () => {
    const info = llamaFacts.modelInfo;
    assert.deepStrictEqual(contextWindow(65536, info), { tokens: 65536, source: 'numCtx', trained: 131072 });
    assert.deepStrictEqual(contextWindow(262144, info), { tokens: 131072, source: 'trained', trained: 131072 });
    assert.deepStrictEqual(contextWindow(131072, info), { tokens: 131072, source: 'numCtx', trained: 131072 }, 'exactly the trained context is not clamped');
    // No num_ctx: the trained context capped at 8192 (what the sidebar chat plans for), else 4096.
    assert.deepStrictEqual(contextWindow(undefined, info), { tokens: 8192, source: 'assumed', trained: 131072 });
    assert.deepStrictEqual(contextWindow(undefined, { 'general.architecture': 'qwen2', 'qwen2.context_length': 2048 }), { tokens: 2048, source: 'assumed', trained: 2048 });
    assert.deepStrictEqual(contextWindow(undefined, undefined), { tokens: 4096, source: 'assumed' });
    // An OpenAI-compatible server says nothing about the model: the setting is all there is.
    assert.deepStrictEqual(contextWindow(16384, undefined), { tokens: 16384, source: 'numCtx' });
    // Nonsense settings count as none.
    for (const bad of [0, -1, NaN, Infinity]) assert.strictEqual(contextWindow(bad, info).source, 'assumed', String(bad));
  });

  it('input + output = the window; the output room is num_predict (at most half) or the chat\'s reserve', () => {
    const a = lmModelInfo(llama, llamaFacts, { numCtx: 65536 })!;
    assert.deepStrictEqual([a.contextWindow, a.maxInputTokens, a.maxOutputTokens], [65536, 64512, 1024]);
    const b = lmModelInfo(llama, llamaFacts, { numCtx: 8192, numPredict: 2048 })!;
    assert.deepStrictEqual([b.maxInputTokens, b.maxOutputTokens], [6144, 2048]);
    const c = lmModelInfo(llama, llamaFacts, { numCtx: 4096, numPredict: 100000 })!;
    assert.deepStrictEqual([c.maxInputTokens, c.maxOutputTokens], [2048, 2048], 'num_predict larger than the window leaves half for the prompt');
    const d = lmModelInfo(llama, llamaFacts, { numCtx: 2048 })!;
    assert.deepStrictEqual([d.maxInputTokens, d.maxOutputTokens], [1536, 512], 'a small window keeps a quarter for the answer');
  });

  it('names, family, version (digest prefix, else tag), detail; capabilities from /api/show', () => {
    const i = lmModelInfo(llama, llamaFacts, { numCtx: 65536 })!;
    assert.deepStrictEqual(
      [i.id, i.name, i.family, i.version, i.detail, i.toolCalling, i.imageInput, i.thinking, i.capabilitiesKnown, i.base],
      ['llama3.2:latest', 'llama3.2:latest', 'llama', 'a80c4f17acd5', '3.2B · Q4_K_M', true, false, false, true, false]);
    const llava = lmModelInfo({ name: 'llava:7b' }, { capabilities: ['completion', 'vision'], modelInfo: { 'general.architecture': 'llama', 'llama.context_length': 32768 } }, {})!;
    assert.deepStrictEqual([llava.family, llava.version, llava.detail, llava.toolCalling, llava.imageInput], ['llava', '7b', '', false, true]);
    const qwen = lmModelInfo({ name: 'library/qwen3' }, { capabilities: ['completion', 'tools', 'thinking'] }, {})!;
    assert.deepStrictEqual([qwen.family, qwen.version, qwen.thinking], ['qwen3', 'latest', true]);
    // Thinking metadata without the capability (a model whose values include a level) still thinks.
    assert.strictEqual(lmModelInfo({ name: 'gpt-oss:20b' }, { capabilities: ['completion', 'tools'], thinking: { values: ['low', 'medium', 'high'] } }, {})!.thinking, true);
    assert.strictEqual(lmModelInfo({ name: 'x:1b' }, { capabilities: ['completion'], thinking: { values: [false] } }, {})!.thinking, false);
    // sha256- prefixed digests lose the prefix.
    assert.strictEqual(lmModelInfo({ name: 'm', digest: 'sha256:0123456789abcdef' }, undefined, {})!.version, '0123456789ab');
  });

  it('models that cannot chat are left out; base code models are marked; unknown capabilities offer everything', () => {
    assert.strictEqual(lmModelInfo({ name: 'all-minilm:latest' }, { capabilities: ['embedding'] }, {}), undefined);
    assert.strictEqual(lmModelInfo({ name: 'x/flux:latest' }, { capabilities: ['image'] }, {}), undefined);
    assert.strictEqual(lmModelInfo({ name: 'qwen2.5-coder:1.5b-base' }, { capabilities: ['completion', 'insert'] }, {})!.base, true);
    // /api/tags capabilities (newer servers) count when /api/show could not be asked.
    assert.strictEqual(lmModelInfo({ name: 'nomic-embed-text', capabilities: ['embedding'] }, undefined, {}), undefined);
    const open = lmModelInfo({ name: 'gpt-4o-mini' }, undefined, { numCtx: 32768 })!;
    assert.deepStrictEqual([open.capabilitiesKnown, open.toolCalling, open.imageInput, open.thinking], [false, true, true, false]);
  });

  it('an OpenAI-compatible server\'s own context (llama.cpp meta.n_ctx, vLLM max_model_len) is the window: num_ctx is not sent there', async () => {
    const i = lmModelInfo({ name: 'tiny-utf8.gguf', contextLength: 256 }, undefined, { numCtx: 65536 })!;
    assert.deepStrictEqual([i.contextWindow, i.contextSource, i.maxInputTokens, i.maxOutputTokens], [256, 'server', 192, 64]);
    // /api/show facts (Ollama) win over it.
    assert.strictEqual(lmModelInfo({ ...llama, contextLength: 256 }, llamaFacts, { numCtx: 65536 })!.contextWindow, 65536);
    for (const dialect of ['llamacpp', 'vllm'] as const) {
      const server = await OllamaTestServer.start({ openaiServedContext: { dialect, tokens: 8192 } });
      try {
        const b = new OpenAIBackend({ host: server.url });
        const listed = await b.listModels().finally(() => b.close());
        assert.ok(listed.length > 0 && listed.every((m) => m.contextLength === 8192), `${dialect}: ${JSON.stringify(listed)}`);
      } finally {
        await server.close();
      }
    }
    const plain = await OllamaTestServer.start();
    try {
      const b = new OpenAIBackend({ host: plain.url });
      const listed = await b.listModels().finally(() => b.close());
      assert.ok(listed.every((m) => !('contextLength' in m)), 'Ollama\'s /v1/models says nothing about context');
    } finally {
      await plain.close();
    }
  });

  it('the signature changes with what VS Code would show, not otherwise', () => {
    const a = [lmModelInfo(llama, llamaFacts, { numCtx: 65536 })!];
    assert.strictEqual(infoSignature(a), infoSignature([lmModelInfo(llama, llamaFacts, { numCtx: 65536 })!]));
    assert.notStrictEqual(infoSignature(a), infoSignature([lmModelInfo(llama, llamaFacts, { numCtx: 32768 })!]));
    assert.notStrictEqual(infoSignature(a), infoSignature([lmModelInfo({ ...llama, digest: 'ff' + llama.digest!.slice(2) }, llamaFacts, { numCtx: 65536 })!]));
  });
});

describe('language models: a VS Code conversation as the backends\' messages (core/lm/messages)', () => {
  it('tool calls stay with the assistant; each result becomes a tool message (with the call\'s name) before that turn\'s user text', () => {
    const msgs: LmInMessage[] = [
      { role: 'user', parts: [{ kind: 'text', text: 'Weather in Paris and Rome?' }] },
      { role: 'assistant', parts: [
        { kind: 'thinking', text: 'I should call the tool twice.' },
        { kind: 'text', text: 'Let me look.' },
        { kind: 'toolCall', callId: 'c1', name: 'get_weather', input: { city: 'Paris' } },
        { kind: 'toolCall', callId: 'c2', name: 'get_weather', input: { city: 'Rome' } },
      ] },
      { role: 'user', parts: [
        { kind: 'toolResult', callId: 'c1', text: 'Sunny' },
        { kind: 'toolResult', callId: 'c2', text: 'Rain' },
        { kind: 'text', text: 'And tomorrow?' },
      ] },
    ];
    assert.deepStrictEqual(toLlmMessages(msgs), [
      { role: 'user', content: 'Weather in Paris and Rome?' },
      { role: 'assistant', content: 'Let me look.', toolCalls: [{ id: 'c1', name: 'get_weather', arguments: { city: 'Paris' } }, { id: 'c2', name: 'get_weather', arguments: { city: 'Rome' } }] },
      { role: 'tool', content: 'Sunny', toolCallId: 'c1', toolName: 'get_weather' },
      { role: 'tool', content: 'Rain', toolCallId: 'c2', toolName: 'get_weather' },
      { role: 'user', content: 'And tomorrow?' },
    ]);
  });

  it('a result for an unknown call keeps its id without a name; empty messages are left out; system stays system', () => {
    assert.deepStrictEqual(toLlmMessages([
      { role: 'system', parts: [{ kind: 'text', text: 'Be brief.' }] },
      { role: 'assistant', parts: [{ kind: 'thinking', text: 'only reasoning' }] },
      { role: 'user', parts: [{ kind: 'toolResult', callId: 'zz', text: '42' }] },
    ]), [
      { role: 'system', content: 'Be brief.' },
      { role: 'tool', content: '42', toolCallId: 'zz' },
    ]);
  });

  it('images go with their message as base64; an image no server takes is refused with the reason', () => {
    assert.deepStrictEqual(toLlmMessages([{ role: 'user', parts: [{ kind: 'text', text: 'What is it?' }, { kind: 'image', mime: 'image/png', data: PNG_1X1 }] }]),
      [{ role: 'user', content: 'What is it?', images: [PNG_1X1] }]);
    assert.deepStrictEqual(toLlmMessages([{ role: 'user', parts: [{ kind: 'image', mime: 'image/png', data: PNG_1X1 }] }]),
      [{ role: 'user', content: '', images: [PNG_1X1] }], 'an image alone is a message');
    assert.throws(() => toLlmMessages([{ role: 'user', parts: [{ kind: 'image', mime: 'image/svg+xml', data: 'PHN2Zz4=' }] }]),
      (e: unknown) => e instanceof UnsupportedImageError && e.problem === 'unsupported' && e.mime === 'image/svg+xml');
  });

  it('token estimates are the chat\'s: text by script, per-message overhead, the calls a message carries', () => {
    const one = estimateLmTokens([{ role: 'user', content: '你好世界' }]);
    assert.ok(one > estimateTokens('你好世界'), 'a message costs more than its text');
    const withCall = estimateLmTokens([{ role: 'assistant', content: '', toolCalls: [{ id: 'c', name: 'get_weather', arguments: { city: 'Paris' } }] }]);
    const without = estimateLmTokens([{ role: 'assistant', content: '' }]);
    assert.ok(withCall > without, 'the call is counted');
    // Calibration factors scale the estimate (the chat learns them from the server's prompt counts).
    assert.strictEqual(estimateLmTokens([{ role: 'user', content: 'hello world' }], { cjk: 2, other: 2 }), 2 * estimateLmTokens([{ role: 'user', content: 'hello world' }]));
  });

  it('modelOptions: sampling, length and stops in either spelling override ours; num_ctx never does', () => {
    const base = { numCtx: 8192, temperature: 0.2 };
    assert.deepStrictEqual(samplingWith(base, undefined), base);
    assert.deepStrictEqual(samplingWith(base, { temperature: 0.9, top_p: 0.5, topK: 40.7, seed: 3.2, max_tokens: 256, stop: '###', num_ctx: 999999 }),
      { numCtx: 8192, temperature: 0.9, topP: 0.5, topK: 40, seed: 3, numPredict: 256, stop: ['###'] });
    assert.deepStrictEqual(samplingWith(base, { maxTokens: 0, stop: ['a', 'b'], temperature: 'hot' }), { ...base, stop: ['a', 'b'] });
    assert.deepStrictEqual(samplingWith(base, { num_predict: 64, stop: ['a', 1] }), { ...base, numPredict: 64 });
  });
});

describe('language-model tools: inputs, confirmation, the model list (core/lm/tools)', () => {
  it('translate: text required (a string, not blank); targetLanguage optional and trimmed', () => {
    assert.deepStrictEqual(translateToolInput({ text: 'Hi' }), { text: 'Hi' });
    assert.deepStrictEqual(translateToolInput({ text: 'Hi', targetLanguage: '  Japanese ' }), { text: 'Hi', targetLanguage: 'Japanese' });
    assert.deepStrictEqual(translateToolInput({ text: 'Hi', targetLanguage: '  ' }), { text: 'Hi' });
    for (const [input, msg] of [[{}, /"text" is required/], [{ text: 42 }, /"text" must be a string/], [{ text: ' ' }, /must not be empty/], [null, /must be an object/], [['x'], /must be an object/], [{ text: 'x', targetLanguage: 3 }, /"targetLanguage" must be a string/]] as const) {
      assert.throws(() => translateToolInput(input), (e: unknown) => e instanceof ToolInputError && msg.test(e.message), JSON.stringify(input));
    }
  });

  it('run a prompt: model and prompt required, system optional', () => {
    assert.deepStrictEqual(runPromptToolInput({ model: ' qwen3:0.6b ', prompt: 'Hi', system: 'Be brief.' }), { model: 'qwen3:0.6b', prompt: 'Hi', system: 'Be brief.' });
    assert.deepStrictEqual(runPromptToolInput({ model: 'm', prompt: 'Hi', system: '' }), { model: 'm', prompt: 'Hi' });
    assert.throws(() => runPromptToolInput({ prompt: 'Hi' }), /"model" is required/);
    assert.throws(() => runPromptToolInput({ model: 'm' }), /"prompt" is required/);
    assert.throws(() => runPromptToolInput('m'), /must be an object/);
  });

  it('text leaves the machine unless the server is a loopback address (then no confirmation is asked)', () => {
    for (const url of ['http://127.0.0.1:11434', 'http://localhost:11434', 'http://[::1]:11434', 'http://127.8.9.10', 'http://ollama.localhost']) assert.strictEqual(leavesMachine(url), false, url);
    for (const url of ['http://192.168.1.5:11434', 'https://ollama.example.com', 'http://0.0.0.0:11434', 'http://10.0.0.1', 'not a url', '']) assert.strictEqual(leavesMachine(url), true, url);
  });

  it('the model list a tool returns: names as listed, known fields only, loaded models when known', () => {
    const json = JSON.parse(modelListResult('http://127.0.0.1:11434', [
      { name: 'llama3.2:latest', family: 'llama', parameterSize: '3.2B', quantization: 'Q4_K_M', sizeBytes: 2019393189, capabilities: ['completion', 'tools'] },
      { name: 'gpt-4o-mini' },
    ], [{ name: 'llama3.2:latest', sizeVramBytes: 0, contextLength: 4096, expiresAt: '2026-01-01T00:00:00Z' }]));
    assert.deepStrictEqual(json, {
      server: 'http://127.0.0.1:11434',
      models: [{ name: 'llama3.2:latest', family: 'llama', parameterSize: '3.2B', quantization: 'Q4_K_M', sizeBytes: 2019393189, capabilities: ['completion', 'tools'] }, { name: 'gpt-4o-mini' }],
      loaded: [{ name: 'llama3.2:latest', contextLength: 4096, sizeVramBytes: 0, expiresAt: '2026-01-01T00:00:00Z' }],
    });
    assert.strictEqual('loaded' in JSON.parse(modelListResult('u', [], undefined)), false, 'an OpenAI-compatible server cannot say what is loaded');
  });
});
