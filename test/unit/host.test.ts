import * as assert from 'assert';
import { InvalidHostError } from '../../src/core/http/errors';
import { parseHost } from '../../src/core/http/host';

describe('parseHost (OLLAMA_HOST semantics)', () => {
  const table: Array<[string | undefined, string]> = [
    [undefined, 'http://127.0.0.1:11434'],
    ['', 'http://127.0.0.1:11434'],
    ['   ', 'http://127.0.0.1:11434'],
    ['127.0.0.1:11434', 'http://127.0.0.1:11434'],
    ['127.0.0.1', 'http://127.0.0.1:11434'],
    [':11434', 'http://127.0.0.1:11434'],
    [':8080', 'http://127.0.0.1:8080'],
    ['0.0.0.0', 'http://127.0.0.1:11434'],
    ['0.0.0.0:11434', 'http://127.0.0.1:11434'],
    ['example.com', 'http://example.com:11434'],
    ['example.com:8000', 'http://example.com:8000'],
    ['http://example.com', 'http://example.com'],
    ['http://example.com:80', 'http://example.com'],
    ['https://example.com', 'https://example.com'],
    ['https://example.com:8443', 'https://example.com:8443'],
    ['http://example.com:11434/', 'http://example.com:11434'],
    ['https://example.com/ollama', 'https://example.com/ollama'],
    ['https://example.com/ollama/', 'https://example.com/ollama'],
    ['example.com/ollama/api-proxy', 'http://example.com:11434/ollama/api-proxy'],
    ['"127.0.0.1:11434"', 'http://127.0.0.1:11434'],
    ["'https://example.com'", 'https://example.com'],
    ['[::1]:11434', 'http://[::1]:11434'],
    ['[::1]', 'http://[::1]:11434'],
    ['::1', 'http://[::1]:11434'],
    ['[::]:11434', 'http://[::1]:11434'],
    ['ollama.com', 'https://ollama.com'],
    ['HTTP://Example.COM:9000', 'http://example.com:9000'],
    ['http://example.com?x=1#frag', 'http://example.com'],
  ];
  for (const [input, want] of table) {
    it(`${JSON.stringify(input)} -> ${want}`, () => {
      assert.strictEqual(parseHost(input).url, want);
    });
  }

  it('moves userinfo out of the URL into credentials', () => {
    const p = parseHost('https://alice:s%40cret@example.com/ollama');
    assert.deepStrictEqual(p, { url: 'https://example.com/ollama', username: 'alice', password: 's@cret' });
  });

  for (const bad of ['ftp://example.com', 'http://', 'http://exa mple.com', 'example.com:99999']) {
    it(`rejects ${bad}`, () => {
      assert.throws(() => parseHost(bad), InvalidHostError);
    });
  }
});
