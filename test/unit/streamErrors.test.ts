// Failures inside a streamed answer (after HTTP 200), in every server's dialect (issue 12 §2): each
// ends as an error, after the partial answer was delivered, with the error marked mid-stream - never
// as a normal or empty answer, never as a TypeError. The dialects are taught to the test server
// (FaultPlan.sseErrorDialect); the decoders are also checked on exact bytes.
import * as assert from 'assert';
import { inBandError } from '../../src/core/http/stream';
import { OllamaBackend, OpenAIBackend, type StreamChunk } from '../../src/core/llm/backend';
import { OllamaClient } from '../../src/core/ollama/client';
import { IncompleteStreamError, ProtocolError, StreamError } from '../../src/core/http/errors';
import { OpenAICompatClient, OpenAISseDecoder } from '../../src/core/openai/client';
import { NdjsonDecoder } from '../../src/core/stream/ndjson';
import { OllamaTestServer, SSE_ERROR_DIALECTS, type SseErrorDialect } from '../support/ollamaServer';

const enc = new TextEncoder();
const MESSAGE = 'Failed to parse input at pos 22: \ufffd\ufffd';

/** Reads a stream to its end or error; returns the text before the error and the error. */
async function partial(it: AsyncIterable<StreamChunk>): Promise<{ text: string; error: unknown }> {
  let text = '';
  try {
    for await (const c of it) text += c.text;
  } catch (error) {
    return { text, error };
  }
  return { text, error: undefined };
}

describe('stream errors in every dialect', function () {
  let server: OllamaTestServer;
  before(async () => { server = await OllamaTestServer.start(); });
  after(async () => { await server.close(); });
  beforeEach(() => server.reset());

  // Every dialect but Ollama's own /v1 layer says what went wrong (a StreamError with the message).
  const worded = SSE_ERROR_DIALECTS.filter((d) => d !== 'ollama');
  for (const dialect of worded) {
    for (const route of ['chat', 'complete'] as const) {
      it(`${dialect} (${route}): partial answer delivered, then StreamError(midStream) with the server's message`, async () => {
        server.setFaults({ errorAfterLines: 3, errorMessage: MESSAGE, sseErrorDialect: dialect }, { path: '/v1/' });
        const b = new OpenAIBackend({ host: server.url });
        try {
          const it = route === 'chat'
            ? await b.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'one two three four five six' }] })
            : await b.complete({ model: 'llama3.2', prompt: 'one two three four five six' });
          const { text, error } = await partial(it);
          assert.ok(error instanceof StreamError, `expected StreamError, got ${String(error)}`);
          assert.strictEqual(error.error, MESSAGE);
          assert.strictEqual(error.midStream, true);
          assert.ok(error.received >= 2, `received ${error.received}`);
          assert.ok(text.length > 0, 'the partial answer before the error was delivered');
          assert.ok(server.lastReplyText.startsWith(text), `partial "${text}" is a prefix of the answer`);
        } finally { await b.close(); }
      });
    }
  }

  it('ollama /v1 (empty chunk, then EOF without [DONE]): IncompleteStreamError marked mid-stream after the partial answer', async () => {
    server.setFaults({ errorAfterLines: 3, sseErrorDialect: 'ollama' }, { path: '/v1/' });
    const b = new OpenAIBackend({ host: server.url });
    try {
      const { text, error } = await partial(await b.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'one two three four five' }] }));
      assert.ok(error instanceof IncompleteStreamError, String(error));
      assert.strictEqual(error.midStream, true);
      assert.strictEqual(error.dropped, false);
      assert.ok(text.length > 0 && server.lastReplyText.startsWith(text));
    } finally { await b.close(); }
  });

  it('an error before any data (first frame) is a StreamError with midStream=false', async () => {
    server.setFaults({ errorAfterLines: 0, sseErrorDialect: 'vllm' }, { path: '/v1/' });
    // errorAfterLines: 0 answers with a real HTTP 500 before anything is written (the server's
    // rule), so write one frame first via the role chunk: use 1 and check the count instead.
    server.clearFaults();
    server.setFaults({ errorAfterLines: 1, errorMessage: 'boom', sseErrorDialect: 'vllm' }, { path: '/v1/' });
    const c = new OpenAICompatClient({ host: server.url });
    try {
      const it = await c.chatCompletions({ model: 'llama3.2', messages: [{ role: 'user', content: 'x y' }], stream: true });
      const { error } = await partial(it as unknown as AsyncIterable<StreamChunk>);
      assert.ok(error instanceof StreamError && error.received === 1 && error.error === 'boom', String(error));
    } finally { await c.close(); }
  });

  it('native NDJSON {"error"} mid-stream keeps the partial answer (Ollama)', async () => {
    server.setFaults({ errorAfterLines: 2, errorMessage: MESSAGE }, { path: '/api/' });
    const b = new OllamaBackend({ host: server.url });
    try {
      const { text, error } = await partial(await b.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'one two three four' }] }));
      assert.ok(error instanceof StreamError && error.midStream && error.error === MESSAGE, String(error));
      assert.ok(text.length > 0 && server.lastReplyText.startsWith(text));
    } finally { await b.close(); }
  });

  for (const v of ['null', '42', '[]', '"text"', 'true']) {
    it(`NDJSON line ${v} in a stream is a ProtocolError (not a TypeError), after the partial answer`, async () => {
      server.setFaults({ nonObjectLineAfter: 2, nonObjectLine: v }, { path: '/api/' });
      const c = new OllamaClient({ host: server.url });
      try {
        const it = await c.generate({ model: 'llama3.2', prompt: 'one two three four', stream: true });
        let n = 0;
        await assert.rejects(async () => { for await (const _ of it) n++; }, (e: unknown) => e instanceof ProtocolError && e.raw === v && /not an object/.test(e.message));
        assert.strictEqual(n, 2);
      } finally { await c.close(); }
    });

    it(`SSE data: ${v} is a ProtocolError (not a TypeError)`, async () => {
      server.setFaults({ nonObjectLineAfter: 2, nonObjectLine: v }, { path: '/v1/' });
      const b = new OpenAIBackend({ host: server.url });
      try {
        const { error } = await partial(await b.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'one two three four' }] }));
        assert.ok(error instanceof ProtocolError && error.raw === v, String(error));
      } finally { await b.close(); }
    });
  }

  it('the non-streamed generate collects an in-band error as a StreamError too', async () => {
    server.setFaults({ errorAfterLines: 2, errorMessage: 'model runner crashed' }, { path: '/api/generate' });
    const c = new OllamaClient({ host: server.url });
    try {
      await assert.rejects(c.generate({ model: 'llama3.2', prompt: 'a b c d e' }), (e: unknown) => e instanceof StreamError && e.error === 'model runner crashed');
    } finally { await c.close(); }
  });
});

describe('stream error forms, byte for byte', () => {
  const decode = (text: string): unknown[] => {
    const d = new OpenAISseDecoder();
    return [...d.push(enc.encode(text)), ...d.end()];
  };
  const firstError = (objs: unknown[]) => objs.map(inBandError).find((m) => m !== undefined);
  const content = 'data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n';

  const forms: Array<[string, string, string]> = [
    ['llama.cpp data: {"error":{…}}', 'data: {"error":{"code":500,"message":"Failed to parse input","type":"server_error"}}\n\n', 'Failed to parse input'],
    ['llama.cpp legacy `error:` field, then [DONE]', 'error: {"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}\n\ndata: [DONE]\n\n', 'the request exceeds the available context size'],
    ['vLLM {"error":{…}} then [DONE]', 'data: {"error":{"object":"error","message":"engine dead","type":"BadRequestError","param":null,"code":400}}\n\ndata: [DONE]\n\n', 'engine dead'],
    ['vLLM legacy {"object":"error"} then [DONE]', 'data: {"object":"error","message":"too long","type":"BadRequestError","param":null,"code":400}\n\ndata: [DONE]\n\n', 'too long'],
    ['LiteLLM {"error":{…code:"500"}}', 'data: {"error":{"message":"litellm.APIConnectionError: upstream","type":"None","param":"None","code":"500"}}\n\n', 'litellm.APIConnectionError: upstream'],
    ['LM Studio {"error":{"message"}}', 'data: {"error":{"message":"Error rendering prompt with jinja template"}}\n\n', 'Error rendering prompt with jinja template'],
    ['event: error with an Anthropic-style body', 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n', 'Overloaded'],
    ['event: error with plain text', 'event: error\ndata: upstream timed out\n\n', 'upstream timed out'],
    ['{"error":"text"}', 'data: {"error":"thinking_budget is not supported"}\n\n', 'thinking_budget is not supported'],
    ['error object without a message', 'data: {"error":{"type":"server_error","code":503}}\n\n', 'server error (server_error, 503)'],
    ['CRLF framing', 'data: {"error":{"message":"crlf"}}\r\n\r\n', 'crlf'],
  ];
  for (const [name, bytes, message] of forms) {
    it(`${name} -> "${message}"`, () => {
      const objs = decode(content + bytes);
      assert.strictEqual(inBandError(objs[0]), undefined, 'the content chunk before it is not an error');
      assert.strictEqual(firstError(objs), message);
    });
  }

  for (const [name, obj] of [
    ['"error": null in a normal chunk', { choices: [], error: null }],
    ['"error": ""', { error: '' }],
    ['"error": false', { error: false }],
    ['a normal chunk', { choices: [{ index: 0, delta: { content: 'x' } }] }],
    ['a usage chunk', { choices: [], usage: { prompt_tokens: 1 } }],
  ] as Array<[string, unknown]>) {
    it(`not an error: ${name}`, () => assert.strictEqual(inBandError(obj), undefined));
  }

  it('[DONE] with surrounding spaces is the terminator; blank data is skipped', () => {
    assert.deepStrictEqual(decode('data:  [DONE] \n\ndata: \n\n'), [{ done: true }]);
  });

  it('native NDJSON {"error":{"message"}} (a proxy in front of Ollama) is read too', () => {
    const objs = new NdjsonDecoder().push(enc.encode('{"response":"a","done":false}\n{"error":{"message":"proxy: upstream reset"}}\n'));
    assert.strictEqual(inBandError(objs[1]), 'proxy: upstream reset');
  });
});

export type { SseErrorDialect };
