// Tool calling over both backends: the tools a request offers, the calls a model makes (whole on
// Ollama's native API, streamed in pieces on OpenAI-compatible servers), and a round trip that sends
// the call and its result back.
import * as assert from 'assert';
import { OllamaBackend, OpenAIBackend, type LlmBackend, type LlmMessage, type LlmTool, type StreamChunk } from '../../src/core/llm/backend';
import { ProtocolError } from '../../src/core/http/errors';
import { OpenAIToolCallAssembler, ollamaToolCalls, openAIToolCalls, parseToolArguments, toOllamaMessage, toOpenAIToolMessage, withToolCalls } from '../../src/core/llm/toolCalls';
import { OllamaTestServer } from '../support/ollamaServer';

async function collect(it: AsyncIterable<StreamChunk>): Promise<StreamChunk[]> {
  const out: StreamChunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

async function* from<T>(items: T[]): AsyncGenerator<T> { for (const i of items) yield i; }

const WEATHER: LlmTool = {
  name: 'get_weather',
  description: 'The weather in a city',
  inputSchema: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city', 'days'] },
};

describe('tool calls: wire forms', () => {
  it('arguments: an object as is, a JSON string parsed, empty is {}, anything else a ProtocolError', () => {
    assert.deepStrictEqual(parseToolArguments({ a: 1 }, 'f'), { a: 1 });
    assert.deepStrictEqual(parseToolArguments('{"a":[1,2]}', 'f'), { a: [1, 2] });
    assert.deepStrictEqual(parseToolArguments('', 'f'), {});
    assert.deepStrictEqual(parseToolArguments(undefined, 'f'), {});
    assert.throws(() => parseToolArguments('{"a":', 'f'), ProtocolError);
    assert.throws(() => parseToolArguments('[1]', 'f'), ProtocolError);
    assert.throws(() => parseToolArguments('"text"', 'f'), ProtocolError);
    assert.throws(() => parseToolArguments(42, 'f'), ProtocolError);
  });

  it('native messages carry calls with object arguments, results with tool_name and tool_call_id', () => {
    assert.deepStrictEqual(toOllamaMessage({ role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'f', arguments: { x: 1 } }] }),
      { role: 'assistant', content: '', tool_calls: [{ id: 'c1', function: { name: 'f', arguments: { x: 1 } } }] });
    assert.deepStrictEqual(toOllamaMessage({ role: 'tool', content: 'sunny', toolCallId: 'c1', toolName: 'f' }),
      { role: 'tool', content: 'sunny', tool_name: 'f', tool_call_id: 'c1' });
    assert.deepStrictEqual(toOllamaMessage({ role: 'user', content: 'hi', images: ['iVBOR'] }), { role: 'user', content: 'hi', images: ['iVBOR'] });
  });

  it('/v1 messages carry calls with JSON-string arguments (content null when there is no text), results with tool_call_id', () => {
    assert.deepStrictEqual(toOpenAIToolMessage({ role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'f', arguments: { x: 1 } }] }),
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }] });
    assert.deepStrictEqual(toOpenAIToolMessage({ role: 'assistant', content: 'Let me look.', toolCalls: [{ id: 'c1', name: 'f', arguments: {} }] })?.content, 'Let me look.');
    assert.deepStrictEqual(toOpenAIToolMessage({ role: 'tool', content: 'sunny', toolCallId: 'c1', toolName: 'f' }), { role: 'tool', content: 'sunny', tool_call_id: 'c1', name: 'f' });
    assert.strictEqual(toOpenAIToolMessage({ role: 'user', content: 'hi' }), undefined);
  });

  describe('streamed /v1 pieces', () => {
    it('OpenAI / vLLM / llama.cpp: id and name first, the arguments text in pieces by index', () => {
      const a = new OpenAIToolCallAssembler();
      a.push([{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }]);
      a.push([{ index: 0, function: { arguments: '{"ci' } }]);
      a.push([{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } }]);
      a.push([{ index: 0, function: { arguments: 'ty":"Paris","days":2}' } }]);
      assert.deepStrictEqual(a.finish(), [
        { id: 'call_a', name: 'get_weather', arguments: { city: 'Paris', days: 2 } },
        { id: 'call_b', name: 'get_time', arguments: {} },
      ]);
      assert.deepStrictEqual(a.finish(), [], 'finish() hands the calls over once');
    });

    it('Ollama /v1: several calls whole in one delta', () => {
      const a = new OpenAIToolCallAssembler();
      a.push([{ id: 'x1', index: 0, type: 'function', function: { name: 'f', arguments: '{"a":1}' } }, { id: 'x2', index: 1, type: 'function', function: { name: 'g', arguments: '{"b":2}' } }]);
      assert.deepStrictEqual(a.finish(), [{ id: 'x1', name: 'f', arguments: { a: 1 } }, { id: 'x2', name: 'g', arguments: { b: 2 } }]);
    });

    it('without an index: pieces continue the call of their id, or the last call; a new name after arguments starts a new call', () => {
      const a = new OpenAIToolCallAssembler();
      a.push([{ id: 'k1', function: { name: 'f', arguments: '{"a"' } }]);
      a.push([{ function: { arguments: ':1}' } }]);
      a.push([{ function: { name: 'g', arguments: '{"b":2}' } }]);
      a.push([{ id: 'k1', function: { arguments: '' } }]);
      const calls = a.finish();
      assert.deepStrictEqual(calls.map((c) => [c.name, c.arguments]), [['f', { a: 1 }], ['g', { b: 2 }]]);
      assert.strictEqual(calls[0]!.id, 'k1');
      assert.match(calls[1]!.id, /^call_/, 'a call without an id gets one');
    });

    it('arguments sent as an object (some servers) and a repeated name are taken as they are', () => {
      const a = new OpenAIToolCallAssembler();
      a.push([{ index: 0, id: 'o', function: { name: 'f', arguments: { a: 1 } } }]);
      a.push([{ index: 0, function: { name: 'f' } }]);
      assert.deepStrictEqual(a.finish(), [{ id: 'o', name: 'f', arguments: { a: 1 } }]);
    });

    it('a call without a name, or arguments that do not parse, is a ProtocolError', () => {
      const a = new OpenAIToolCallAssembler();
      a.push([{ index: 0, function: { arguments: '{}' } }]);
      assert.throws(() => a.finish(), ProtocolError);
      const b = new OpenAIToolCallAssembler();
      b.push([{ index: 0, id: 'q', function: { name: 'f', arguments: '{"a":' } }]);
      assert.throws(() => b.finish(), /not JSON/);
    });
  });

  it('calls ride on the done chunk; a stream that ends without one gets a last chunk with them', async () => {
    const tools = { tools: [WEATHER] };
    const native = ollamaToolCalls(tools)!;
    const wire = [{ message: { tool_calls: [{ function: { index: 0, name: 'get_weather', arguments: { city: 'Oslo' } } }] } }, { message: {} }];
    const tapped = await collect(native.tap(from(wire)) as AsyncIterable<never>);
    assert.strictEqual(tapped.length, 2, 'the wire stream passes through');
    const out = await collect(withToolCalls(native, from<StreamChunk>([{ text: 'a', done: false }, { text: '', done: true }])));
    assert.strictEqual(out.length, 2);
    assert.strictEqual(out[0]!.toolCalls, undefined);
    assert.deepStrictEqual(out[1]!.toolCalls!.map((c) => [c.name, c.arguments]), [['get_weather', { city: 'Oslo' }]]);
    assert.match(out[1]!.toolCalls![0]!.id, /^call_/, 'a server before call ids: one is made');

    const oa = openAIToolCalls(tools)!;
    await collect(oa.tap(from([{ choices: [{ delta: { tool_calls: [{ index: 0, id: 'z', function: { name: 'f', arguments: '{}' } }] } }] }])) as AsyncIterable<never>);
    const cut = await collect(withToolCalls(oa, from<StreamChunk>([{ text: 'x', done: false }])));
    assert.deepStrictEqual(cut.at(-1), { text: '', done: false, toolCalls: [{ id: 'z', name: 'f', arguments: {} }] });
    assert.strictEqual(ollamaToolCalls({}), undefined, 'no tools offered: nothing is collected');
  });
});

describe('tool calls: round trip over both backends (protocol test server)', () => {
  let server: OllamaTestServer;
  before(async () => { server = await OllamaTestServer.start(); });
  after(async () => { await server.close(); });
  beforeEach(() => server.reset());

  const backends: Array<[string, (url: string) => LlmBackend, number | undefined]> = [
    ['ollama', (url) => new OllamaBackend({ host: url }), undefined],
    ['openai (Ollama /v1: calls whole)', (url) => new OpenAIBackend({ host: url }), undefined],
    ['openai (OpenAI / vLLM / llama.cpp: arguments streamed in pieces)', (url) => new OpenAIBackend({ host: url }), 5],
  ];

  for (const [name, make, pieces] of backends) {
    it(`${name}: offers the tools, reads the call, sends call and result back, gets the answer`, async () => {
      const s = await OllamaTestServer.start({ ...(pieces ? { openaiToolCallPieces: pieces } : {}) });
      const b = make(s.url);
      try {
        const question: LlmMessage = { role: 'user', content: 'What does get_weather say for Paris?' };
        const first = await collect(await b.chat({ model: 'llama3.2', messages: [question], tools: [WEATHER] }));
        const sent = s.requests.at(-1)!.body as { tools: Array<{ type: string; function: { name: string; description: string; parameters: unknown } }> };
        assert.deepStrictEqual(sent.tools, [{ type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: WEATHER.inputSchema } }]);
        const done = first.at(-1)!;
        assert.strictEqual(done.done, true);
        assert.strictEqual(first.filter((c) => c.toolCalls).length, 1, 'the calls arrive once');
        assert.strictEqual(done.toolCalls?.length, 1);
        const call = done.toolCalls![0]!;
        assert.strictEqual(call.name, 'get_weather');
        assert.deepStrictEqual(call.arguments, { city: 'test', days: 1 }, 'the arguments, whole and parsed');
        assert.ok(call.id, 'the call has an id');
        if (name !== 'ollama') assert.strictEqual(done.doneReason, 'tool_calls');
        // role, name piece, argument pieces, finish, usage, [DONE] (whole: role+call, finish, usage, [DONE])
        if (pieces) assert.ok(s.requests.at(-1)!.linesWritten >= pieces + 4, `the call came in pieces (${s.requests.at(-1)!.linesWritten} lines)`);

        const second = await collect(await b.chat({
          model: 'llama3.2', tools: [WEATHER],
          messages: [question, { role: 'assistant', content: '', toolCalls: [call] }, { role: 'tool', content: 'Sunny, 21 °C', toolCallId: call.id, toolName: call.name }],
        }));
        assert.strictEqual(second.map((c) => c.text).join(''), s.lastReplyText);
        assert.strictEqual(second.at(-1)!.toolCalls, undefined, 'no call this time');
        const back = s.requests.at(-1)!;
        assert.strictEqual(back.status, 200);
        const msgs = (back.body as { messages: Array<Record<string, unknown>> }).messages;
        if (name === 'ollama') {
          assert.deepStrictEqual(msgs[1], { role: 'assistant', content: '', tool_calls: [{ id: call.id, function: { name: 'get_weather', arguments: { city: 'test', days: 1 } } }] });
          assert.deepStrictEqual(msgs[2], { role: 'tool', content: 'Sunny, 21 °C', tool_name: 'get_weather', tool_call_id: call.id });
        } else {
          assert.deepStrictEqual(msgs[1], { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"test","days":1}' } }] });
          assert.deepStrictEqual(msgs[2], { role: 'tool', content: 'Sunny, 21 °C', tool_call_id: call.id, name: 'get_weather' });
        }
      } finally {
        await b.close();
        await s.close();
      }
    });
  }

  it('/v1: tool_choice "required" is sent when asked; Ollama native has no such field', async () => {
    const oa = new OpenAIBackend({ host: server.url });
    const na = new OllamaBackend({ host: server.url });
    try {
      await collect(await oa.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], tools: [WEATHER], toolChoice: 'required' }));
      assert.strictEqual((server.requests.at(-1)!.body as { tool_choice?: string }).tool_choice, 'required');
      await collect(await na.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], tools: [WEATHER], toolChoice: 'required' }));
      assert.strictEqual('tool_choice' in (server.requests.at(-1)!.body as object), false);
    } finally {
      await oa.close();
      await na.close();
    }
  });

  it('a model without the tools capability is refused with the server\'s words', async () => {
    const b = new OllamaBackend({ host: server.url });
    try {
      await assert.rejects(b.chat({ model: 'llava:7b', messages: [{ role: 'user', content: 'hi' }], tools: [WEATHER] }), /does not support tools/);
    } finally { await b.close(); }
  });
});
