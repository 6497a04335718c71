// Reasoning in every dialect: `<think>` text split from the answer while it streams (reasoning.ts),
// and the backends reading each server's own reasoning field, against the protocol test server.
import * as assert from 'assert';
import { OllamaBackend, OpenAIBackend, type StreamChunk } from '../../src/core/llm/backend';
import { ThinkTagParser, type ThinkTagOptions } from '../../src/core/llm/reasoning';
import { chatTranslateFn } from '../../src/core/translate/chatTranslate';
import { DEFAULT_MODELS } from '../support/ollamaServerModels';
import { OllamaTestServer } from '../support/ollamaServer';

/** Feeds the pieces as a stream would and applies `contentWasThinking` as a consumer must. */
function run(pieces: string[], opts?: ThinkTagOptions): { answer: string; thinking: string; moved: number } {
  const p = new ThinkTagParser(opts);
  let answer = '';
  let thinking = '';
  let moved = 0;
  for (const r of [...pieces.map((x) => p.push(x)), p.end()]) {
    if (r.contentWasThinking) { thinking += answer; answer = ''; moved++; }
    answer += r.content;
    thinking += r.thinking;
  }
  return { answer, thinking, moved };
}

/** Every way of cutting `text` into two pieces gives the same split as the whole text. */
function everyCut(text: string, opts?: ThinkTagOptions): void {
  const whole = run([text], opts);
  for (let i = 1; i < text.length; i++) {
    assert.deepStrictEqual(run([text.slice(0, i), text.slice(i)], opts), whole, `cut at ${i}: ${JSON.stringify(text.slice(0, i))}`);
  }
  assert.deepStrictEqual(run(Array.from(text), opts), whole, 'one character at a time');
}

describe('reasoning: <think> text split from the answer (ThinkTagParser)', () => {
  it('the issue example: <think>, \\nThe user greets me., … , </think>, \\n\\n, Hello!', () => {
    const r = run(['<think>', '\nThe user greets me.', ' I should greet back.\n', '</think>', '\n\n', 'Hello!']);
    assert.strictEqual(r.answer, 'Hello!');
    assert.strictEqual(r.thinking, '\nThe user greets me. I should greet back.\n');
  });

  it('tags cut inside themselves across chunks: "<th" "ink>" … "</thi" "nk>"', () => {
    const r = run(['<th', 'ink>plan', ' it</thi', 'nk>', '\n\nAnswer.']);
    assert.deepStrictEqual([r.answer, r.thinking], ['Answer.', 'plan it']);
    everyCut('<think>\nplan it\n</think>\n\nAnswer with </think> later.');
  });

  it('leading whitespace before the opening tag (some templates emit a newline first)', () => {
    assert.deepStrictEqual(run(['\n', '  <think>x</think>y']), { answer: 'y', thinking: 'x', moved: 0 });
  });

  it('an unclosed block when the stream ends is reasoning, not answer (the budget ran out)', () => {
    assert.deepStrictEqual(run(['<think>\nStill think', 'ing about it']), { answer: '', thinking: '\nStill thinking about it', moved: 0 });
    assert.deepStrictEqual(run(['<think>abc</thi']), { answer: '', thinking: 'abc</thi', moved: 0 }, 'a partial closing tag at the end is reasoning text');
  });

  it('a literal <think> later in the answer is answer text, never reasoning', () => {
    const text = 'Use the `<think>` tag like this: <think>x</think> and so on.';
    assert.deepStrictEqual(run([text]), { answer: text, thinking: '', moved: 0 });
    everyCut(text);
  });

  it('answers that merely start like a tag are kept: "<thin ice>", "<", "<b>bold</b>"', () => {
    assert.strictEqual(run(['<thin', ' ice> is dangerous']).answer, '<thin ice> is dangerous');
    assert.strictEqual(run(['<']).answer, '<');
    assert.strictEqual(run(['<b>bold</b>']).answer, '<b>bold</b>');
  });

  it('other tag dialects: <thinking>, ◁think▷ (Kimi), <seed:think> (Seed-OSS), [THINK] (Magistral)', () => {
    assert.deepStrictEqual(run(['[THI', 'NK]a[/THINK]B']), { answer: 'B', thinking: 'a', moved: 0 });
    assert.deepStrictEqual(run(['<thinking>a</thinking>\nB']), { answer: 'B', thinking: 'a', moved: 0 });
    assert.deepStrictEqual(run(['◁think▷a◁/think▷B']), { answer: 'B', thinking: 'a', moved: 0 });
    assert.deepStrictEqual(run(['<seed:think>a</seed:think>B']), { answer: 'B', thinking: 'a', moved: 0 });
    // A block closes only with its own closing tag.
    assert.deepStrictEqual(run(['<thinking>a</think>b</thinking>C']), { answer: 'C', thinking: 'a</think>b', moved: 0 });
  });

  it('DeepSeek-R1 style, opening tag in the prompt (implicitOpen: true): reasoning until </think>', () => {
    assert.deepStrictEqual(run(['Okay, the user', ' says hi.\n</think>\n\n', 'Hi!'], { implicitOpen: true }), { answer: 'Hi!', thinking: 'Okay, the user says hi.\n', moved: 0 });
    everyCut('Okay.\n</think>\n\nHi!', { implicitOpen: true });
  });

  it("implicitOpen 'auto': an orphan </think> at a line start moves what was shown to the reasoning", () => {
    const r = run(['Okay, the user says hi.', '\n</th', 'ink>\n\nHi!'], { implicitOpen: 'auto' });
    assert.deepStrictEqual(r, { answer: 'Hi!', thinking: 'Okay, the user says hi.\n', moved: 1 });
    everyCut('Hmm.\nLet me see.\n</think>\n\nHi!', { implicitOpen: 'auto' });
  });

  it("implicitOpen 'auto': </think> inside code or mid-line stays answer text", () => {
    const fenced = 'Example:\n```xml\n</think>\n```\nDone.';
    assert.deepStrictEqual(run([fenced], { implicitOpen: 'auto' }), { answer: fenced, thinking: '', moved: 0 });
    everyCut(fenced, { implicitOpen: 'auto' });
    const inline = 'The closing tag is </think> here.';
    assert.deepStrictEqual(run([inline], { implicitOpen: 'auto' }), { answer: inline, thinking: '', moved: 0 });
    // After a real block, a later orphan tag is answer text.
    const after = '<think>a</think>\nB\n</think>\nC';
    assert.deepStrictEqual(run([after], { implicitOpen: 'auto' }), { answer: 'B\n</think>\nC', thinking: 'a', moved: 0 });
  });

});

describe('reasoning: translation asks for none and never keeps a leading block', () => {
  const THOUGHT = 'I need to translate this.';
  let server: OllamaTestServer;
  before(async () => {
    server = await OllamaTestServer.start({
      reply: ({ body }) => `译文：${(body as { messages: { content: string }[] }).messages.at(-1)!.content}`,
      thinking: () => THOUGHT,
      models: [...DEFAULT_MODELS, { name: 'r1-gguf:latest', capabilities: ['completion'], thinking_output: 'tags' }],
    });
  });
  after(async () => { await server.close(); });
  const fn = (model: string) => chatTranslateFn(async () => new OllamaBackend({ host: server.url }), { model });

  it('think:false is sent; a thinking model answers without reasoning', async () => {
    assert.strictEqual(await fn('qwen3:0.6b')({ system: 'Translate.', user: 'Hello' }), '译文：Hello');
    assert.strictEqual((server.requests.at(-1)!.body as { think?: unknown }).think, false);
  });

  it('a model that reasons anyway (raw <think> block first): the block is removed', async () => {
    assert.strictEqual(await fn('r1-gguf')({ system: 'Translate.', user: 'Hello' }), '译文：Hello');
  });

  it('a text that legitimately contains <think> keeps it, at the start too', async () => {
    const inner = await fn('qwen3:0.6b')({ system: 'Translate.', user: 'The <think> tag marks reasoning.' });
    assert.strictEqual(inner, '译文：The <think> tag marks reasoning.');
    const server2 = await OllamaTestServer.start({ reply: () => '<think> 标签标记推理。</think> 是结束标签。' });
    const t = await chatTranslateFn(async () => new OllamaBackend({ host: server2.url }), { model: 'llama3.2' })({ system: 'Translate.', user: '<think> marks reasoning.</think> ends it.' });
    assert.strictEqual(t, '<think> 标签标记推理。</think> 是结束标签。');
    await server2.close();
  });
});

describe('reasoning: every server dialect through the backends', () => {
  const collect = async (it: AsyncIterable<StreamChunk>) => {
    let text = '';
    let thinking = '';
    for await (const c of it) {
      if (c.textWasThinking) { thinking += text; text = ''; }
      text += c.text;
      thinking += c.thinking ?? '';
    }
    return { text, thinking };
  };
  const qwen3 = DEFAULT_MODELS.find((m) => m.name === 'qwen3:0.6b')!;
  const THOUGHT = 'The user greets me. I should greet back.';
  let server: OllamaTestServer;
  before(async () => {
    server = await OllamaTestServer.start({
      reply: () => 'Hello! Nice to meet you.',
      thinking: () => THOUGHT,
      models: [
        ...DEFAULT_MODELS,
        // A GGUF import without a thinking parser: raw tags in the content, no capability.
        { name: 'r1-gguf:latest', capabilities: ['completion'], thinking_output: 'tags' },
        // DeepSeek-R1's template opens <think> itself: the output has only the closing tag.
        { name: 'deepseek-r1:1.5b', capabilities: ['completion', 'thinking'], thinking_output: 'tags-open-in-template', template: '{{ .Prompt }}<｜Assistant｜><think>\n' },
        { ...qwen3, name: 'gpt-oss:20b', thinking_values: ['low', 'medium', 'high'], thinking_default: 'medium' },
      ],
    });
  });
  after(async () => { await server.close(); });
  beforeEach(() => server.reset());
  const msgs = [{ role: 'user' as const, content: 'hi' }];

  it('Ollama native message.thinking (qwen3 with a parser)', async () => {
    const b = new OllamaBackend({ host: server.url });
    assert.deepStrictEqual(await collect(await b.chat({ model: 'qwen3:0.6b', messages: msgs })), { text: 'Hello! Nice to meet you.', thinking: THOUGHT });
    await b.close();
  });

  it('Ollama native generate `thinking`', async () => {
    const b = new OllamaBackend({ host: server.url });
    assert.deepStrictEqual(await collect(await b.complete({ model: 'qwen3:0.6b', prompt: 'hi' })), { text: 'Hello! Nice to meet you.', thinking: THOUGHT });
    await b.close();
  });

  it('<think> tags in the content (GGUF import / older server), native and /v1', async () => {
    for (const b of [new OllamaBackend({ host: server.url }), new OpenAIBackend({ host: server.url })]) {
      const r = await collect(await b.chat({ model: 'r1-gguf', messages: msgs }));
      assert.deepStrictEqual(r, { text: 'Hello! Nice to meet you.', thinking: `\n${THOUGHT}\n` }, b.kind);
      await b.close();
    }
  });

  it('DeepSeek-R1 style output without the opening tag', async () => {
    const b = new OllamaBackend({ host: server.url });
    assert.deepStrictEqual(await collect(await b.chat({ model: 'deepseek-r1:1.5b', messages: msgs })), { text: 'Hello! Nice to meet you.', thinking: `${THOUGHT}\n` });
    await b.close();
  });

  it('Ollama /v1 delta.reasoning', async () => {
    const b = new OpenAIBackend({ host: server.url });
    assert.deepStrictEqual(await collect(await b.chat({ model: 'qwen3:0.6b', messages: msgs })), { text: 'Hello! Nice to meet you.', thinking: THOUGHT });
    await b.close();
  });

  it('delta.reasoning_content (vLLM, llama.cpp, LM Studio, DeepSeek)', async () => {
    const vllm = await OllamaTestServer.start({ reply: () => 'Hi.', thinking: () => THOUGHT, openaiReasoningField: 'reasoning_content' });
    const b = new OpenAIBackend({ host: vllm.url });
    assert.deepStrictEqual(await collect(await b.chat({ model: 'qwen3:0.6b', messages: msgs })), { text: 'Hi.', thinking: THOUGHT });
    await b.close();
    await vllm.close();
  });

  it('think: false goes out as think:false natively and reasoning_effort "none" on /v1; the answer has no reasoning', async () => {
    const n = new OllamaBackend({ host: server.url });
    assert.deepStrictEqual(await collect(await n.chat({ model: 'qwen3:0.6b', messages: msgs, think: false })), { text: 'Hello! Nice to meet you.', thinking: '' });
    assert.strictEqual((server.requests.at(-1)!.body as { think?: unknown }).think, false);
    const o = new OpenAIBackend({ host: server.url });
    assert.deepStrictEqual(await collect(await o.chat({ model: 'qwen3:0.6b', messages: msgs, think: false })), { text: 'Hello! Nice to meet you.', thinking: '' });
    assert.strictEqual((server.requests.at(-1)!.body as { reasoning_effort?: unknown }).reasoning_effort, 'none');
    await n.close();
    await o.close();
  });

  it('a level goes out as is: think "high" natively', async () => {
    const n = new OllamaBackend({ host: server.url });
    await collect(await n.chat({ model: 'gpt-oss:20b', messages: msgs, think: 'high' }));
    assert.strictEqual((server.requests.at(-1)!.body as { think?: unknown }).think, 'high');
    await n.close();
  });

  it('a /v1 server that refuses reasoning_effort "none" (older vLLM: 400) is asked again without it, once', async () => {
    const b = new OpenAIBackend({ host: server.url });
    server.setFaults({ status: 400, contentType: 'application/json', body: JSON.stringify({ object: 'error', message: "1 validation error: reasoning_effort Input should be 'low', 'medium' or 'high'", type: 'BadRequestError', code: 400 }) }, { path: '/v1/chat/completions', times: 1 });
    const r = await collect(await b.chat({ model: 'qwen3:0.6b', messages: msgs, think: false }));
    assert.strictEqual(r.text, 'Hello! Nice to meet you.');
    const sent = server.requests.filter((x) => x.path === '/v1/chat/completions').map((x) => (x.body as { reasoning_effort?: string }).reasoning_effort);
    assert.deepStrictEqual(sent, ['none', undefined]);
    await collect(await b.chat({ model: 'qwen3:0.6b', messages: msgs, think: false }));
    assert.strictEqual((server.requests.at(-1)!.body as { reasoning_effort?: string }).reasoning_effort, undefined, 'remembered');
    await b.close();
  });

  it('a FIM (suffix) completion is never read for tags', async () => {
    const fim = await OllamaTestServer.start({ reply: () => '<think>x</think>y' });
    const b = new OllamaBackend({ host: fim.url });
    assert.deepStrictEqual(await collect(await b.complete({ model: 'qwen2.5-coder:1.5b', prompt: 'a', suffix: 'b', think: false })), { text: '<think>x</think>y', thinking: '' });
    await b.close();
    await fim.close();
  });
});
