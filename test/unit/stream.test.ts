import * as assert from 'assert';
import { splitLines, LineTooLongError } from '../../src/core/stream/lines';
import { MalformedLineError, parseNdjson } from '../../src/core/stream/ndjson';
import { parseSse } from '../../src/core/stream/sse';

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
