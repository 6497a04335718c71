import * as assert from 'assert';
import { splitLines, LineTooLongError } from '../../src/core/stream/lines';
import { MalformedLineError, NdjsonDecoder, parseNdjson } from '../../src/core/stream/ndjson';
import { parseSse, SseDecoder } from '../../src/core/stream/sse';

const enc = new TextEncoder();
async function* chunks(parts: Array<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? enc.encode(p) : p;
}
/** Cut bytes into pieces of the given sizes (cycled). */
function cut(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const n = sizes[k % sizes.length]!;
    out.push(bytes.slice(i, i + n));
    i += n;
  }
  return out;
}
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('NDJSON / SSE parsing', () => {
  const objs = [{ response: 'Hello ' }, { response: '你好，世界 🌍🚀' }, { response: 'é', done: false }, { done: true, eval_count: 3 }];
  const text = objs.map((o) => JSON.stringify(o)).join('\n') + '\n';

  for (const sizes of [[1], [2], [3], [5, 7], [4096]]) {
    it(`reassembles objects split every ${sizes.join('/')} bytes, inside UTF-8 characters too`, async () => {
      const got = await collect(parseNdjson(chunks(cut(enc.encode(text), sizes))));
      assert.deepStrictEqual(got, objs);
    });
  }

  it('tolerates CRLF and blank lines, and parses a last line without newline', async () => {
    const crlf = objs.map((o) => JSON.stringify(o)).join('\r\n\r\n\n');
    assert.deepStrictEqual(await collect(parseNdjson(chunks([crlf]))), objs);
  });

  it('yields several lines from one chunk in order', async () => {
    assert.deepStrictEqual(await collect(parseNdjson(chunks([text]))), objs);
  });

  it('rejects a non-JSON line with its raw text', async () => {
    await assert.rejects(collect(parseNdjson(chunks(['{"a":1}\n', 'garbage{\n']))), (e: unknown) => e instanceof MalformedLineError && e.raw === 'garbage{');
  });

  it('accepts a 1 MiB line and enforces the configured limit', async () => {
    const big = JSON.stringify({ response: 'x'.repeat(1 << 20) });
    const got = await collect(parseNdjson<{ response: string }>(chunks(cut(enc.encode(big + '\n'), [65536]))));
    assert.strictEqual(got[0]!.response.length, 1 << 20);
    await assert.rejects(collect(splitLines(chunks([big]), { maxLineBytes: 1000 })), LineTooLongError);
  });

  it('parses SSE with CRLF, comments, event fields and [DONE]', async () => {
    const sse = ': keep-alive\r\n\r\nevent: delta\r\ndata: {"a":1}\r\n\r\ndata: {"b":\ndata: 2}\n\ndata: [DONE]\n\n';
    const evs = await collect(parseSse(chunks(cut(enc.encode(sse), [3]))));
    assert.deepStrictEqual(evs, [{ event: 'delta', data: '{"a":1}' }, { data: '{"b":\n2}' }, { data: '[DONE]' }]);
  });
});

describe('chunk decoders (one decode per network chunk)', () => {
  const enc2 = new TextEncoder();
  const feed = <T>(d: { push(c: Uint8Array): T[]; end(): T[] }, parts: Uint8Array[]): T[] => {
    const out: T[] = [];
    for (const p of parts) out.push(...d.push(p));
    out.push(...d.end());
    return out;
  };

  it('hands back every object a chunk completes, in one array, and none for a chunk that completes none', () => {
    const d = new NdjsonDecoder();
    assert.deepStrictEqual(d.push(enc2.encode('{"a":1}\n{"a":2}\n{"a"')), [{ a: 1 }, { a: 2 }]);
    assert.deepStrictEqual(d.push(enc2.encode(':3')), []);
    assert.deepStrictEqual(d.push(enc2.encode('}\n')), [{ a: 3 }]);
    assert.deepStrictEqual(d.end(), []);
  });

  it('a CRLF whose CR ends one chunk and LF starts the next is stripped', () => {
    const d = new NdjsonDecoder();
    assert.deepStrictEqual(feed(d, [enc2.encode('{"a":1}\r'), enc2.encode('\n{"b":2}\r\n')]), [{ a: 1 }, { b: 2 }]);
  });

  it('a 4-byte character cut after each of its bytes is decoded once, whole', () => {
    const bytes = enc2.encode('{"t":"🌍中"}\n');
    for (let i = 1; i < bytes.length; i++) {
      assert.deepStrictEqual(feed(new NdjsonDecoder(), [bytes.slice(0, i), bytes.slice(i)]), [{ t: '🌍中' }], `cut at ${i}`);
    }
  });

  it('enforces the line limit inside one chunk and across chunks', () => {
    assert.throws(() => new NdjsonDecoder({ maxLineBytes: 10 }).push(enc2.encode('{"a":"0123456789"}\n')), LineTooLongError);
    const d = new NdjsonDecoder({ maxLineBytes: 10 });
    d.push(enc2.encode('{"a":"01'));
    assert.throws(() => d.push(enc2.encode('23456789"')), LineTooLongError);
    // Short lines in a long chunk are fine.
    assert.strictEqual(new NdjsonDecoder({ maxLineBytes: 10 }).push(enc2.encode('{"a":1}\n'.repeat(100))).length, 100);
  });

  for (const v of ['null', '42', '[]', '[{"done":true}]', '"text"', 'true', '-0.5']) {
    it(`NDJSON line ${v} (valid JSON, not an object) is a MalformedLineError of kind not-object, after the objects before it`, () => {
      const isIt = (e: unknown) => e instanceof MalformedLineError && e.kind === 'not-object' && e.raw === v;
      const d = new NdjsonDecoder();
      assert.deepStrictEqual(d.push(enc2.encode(`{"a":1}\n${v}\n{"a":2}\n`)), [{ a: 1 }]);
      assert.ok(isIt(d.error));
      assert.throws(() => d.push(enc2.encode('{"a":3}\n')), isIt);
      assert.throws(() => new NdjsonDecoder().push(enc2.encode(`${v}\n`)), isIt);
    });
  }

  it('SSE: a non-standard field is kept (llama.cpp `error:`), and an event made only of it is dispatched', () => {
    const d = new SseDecoder();
    const evs = feed(d, [enc2.encode('data: {"a":1}\n\nerror: {"code":500,"message":"boom"}\n\ndata: [DONE]\n\n')]);
    assert.deepStrictEqual(evs, [{ data: '{"a":1}' }, { data: '', fields: { error: '{"code":500,"message":"boom"}' } }, { data: '[DONE]' }]);
  });

  it('SSE: id and event do not leak into the next event; a last event without a blank line is delivered', () => {
    const evs = feed(new SseDecoder(), [enc2.encode('id: 7\nevent: delta\ndata: x\n\ndata: y')]);
    assert.deepStrictEqual(evs, [{ id: '7', event: 'delta', data: 'x' }, { data: 'y' }]);
  });
});
