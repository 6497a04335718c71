// The completion cache: exact hits, type-through, keys, eviction.
import * as assert from 'assert';
import { CompletionCache } from '../../src/core/fim';

describe('FIM completion cache', () => {
  const P = 'function add(a, b) {\n  return ';
  const S = '\n}\n';

  it('an exact hit needs the same model, prefix tail and suffix head', () => {
    const c = new CompletionCache();
    c.set('m', P, S, 'a + b;');
    assert.deepStrictEqual(c.get('m', P, S), { completion: 'a + b;', typed: 0 });
    assert.strictEqual(c.get('other', P, S), undefined);
    assert.strictEqual(c.get('m', P, '\n}\n// changed'), undefined);
    assert.strictEqual(c.get('m', P + 'x', S), undefined);
  });

  it('type-through: typing the first k characters serves the remainder without a request', () => {
    const c = new CompletionCache();
    c.set('m', P, S, 'a + b;');
    for (let k = 1; k < 6; k++) {
      assert.deepStrictEqual(c.get('m', P + 'a + b;'.slice(0, k), S), { completion: 'a + b;'.slice(k), typed: k });
    }
    assert.strictEqual(c.get('m', P + 'a + b;', S), undefined, 'typed all of it: nothing left to serve');
    assert.strictEqual(c.get('m', P + 'a - ', S), undefined, 'diverged');
  });

  it('keys by the prefix tail, so a window whose start moved still hits', () => {
    const c = new CompletionCache({ prefixKeyChars: 16 });
    const long = 'x'.repeat(5000) + P;
    c.set('m', long, S, 'a + b;');
    assert.deepStrictEqual(c.get('m', long.slice(100) + 'a +', S), { completion: ' b;', typed: 3 });
  });

  it('looks back at most maxTypeThrough characters and ignores empty completions', () => {
    const c = new CompletionCache({ maxTypeThrough: 2 });
    c.set('m', P, S, 'abcdef');
    c.set('m', 'q', S, '');
    assert.ok(c.get('m', P + 'ab', S));
    assert.strictEqual(c.get('m', P + 'abc', S), undefined);
    assert.strictEqual(c.size, 1);
  });

  it('evicts the least recently used entry', () => {
    const c = new CompletionCache({ max: 2 });
    c.set('m', 'p1', S, '1');
    c.set('m', 'p2', S, '2');
    assert.ok(c.get('m', 'p1', S));
    c.set('m', 'p3', S, '3');
    assert.ok(c.get('m', 'p1', S));
    assert.strictEqual(c.get('m', 'p2', S), undefined);
    c.clear();
    assert.strictEqual(c.size, 0);
  });
});
