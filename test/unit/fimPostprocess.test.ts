// Shaping raw model output into ghost text: one rule per test.
import * as assert from 'assert';
import {
  CompletionShaper, FIM_FAMILIES, FIM_TEMPLATES, allowsMultiline, collectCompletion, shapeCompletion, stripSpecialTokens,
  type ShapeContext,
} from '../../src/core/fim';

/** Context from a document with `|` at the cursor. */
function at(doc: string, extra: Partial<ShapeContext> = {}): ShapeContext {
  const i = doc.indexOf('|');
  return { prefix: doc.slice(0, i), suffix: doc.slice(i + 1), ...extra };
}

describe('FIM output shaping', () => {
  describe('special tokens never reach the editor', () => {
    for (const family of FIM_FAMILIES) {
      it(`${family}: every token and stop is cut`, () => {
        const t = FIM_TEMPLATES[family];
        for (const tok of [...t.tokens, ...t.stop]) {
          assert.strictEqual(shapeCompletion(`return 1;${tok}\n}\nmore`, at('x = |', { family })), 'return 1;', tok);
        }
      });
    }

    it('unambiguous tokens are cut for any model; <PRE> and [SUFFIX] only for their own family', () => {
      assert.strictEqual(stripSpecialTokens('a<|endoftext|>b').text, 'a');
      assert.strictEqual(stripSpecialTokens('a<\uFF5Cend\u2581of\u2581sentence\uFF5C>').text, 'a');
      assert.strictEqual(stripSpecialTokens('a<|file_separator|>b<fim_middle>').text, 'a');
      assert.deepStrictEqual(stripSpecialTokens('<PRE>x</PRE> [SUFFIX]'), { text: '<PRE>x</PRE> [SUFFIX]', cut: false });
      assert.strictEqual(stripSpecialTokens('x <EOT>', 'codellama').text, 'x ');
      assert.strictEqual(stripSpecialTokens('x<MID>y', 'codellama').text, 'x');
      assert.strictEqual(stripSpecialTokens('x[PREFIX]y', 'codestral').text, 'x');
    });
  });

  describe('single or multi-line', () => {
    const table: Array<[string, boolean]> = [
      ['foo(|', true],
      ['foo(|   \nbar', true],
      ['x = |y', false],
      ['foo(|)', false],
      ['function f() {|}', true],
      ['function f() { |  }', true],
      ['const a = [|]', true],
      ['if (x) {\n  |\n}', true],
      ['s = "|"', false],
    ];
    for (const [doc, multi] of table) {
      it(`${JSON.stringify(doc)} -> ${multi ? 'multi-line' : 'one line'}`, () => {
        const c = at(doc);
        assert.strictEqual(allowsMultiline(c.prefix, c.suffix), multi);
      });
    }

    it('mid-line the completion ends at its first newline', () => {
      assert.strictEqual(shapeCompletion('a, b\n  c = 1\n', at('x = foo(|')), 'a, b\n  c = 1');
      assert.strictEqual(shapeCompletion('bar\nbaz', at('x = |qux')), 'bar');
    });
  });

  describe('stopping where the model re-types the suffix', () => {
    it('cuts at a line equal to the suffix\'s first non-empty line', () => {
      const c = at('def f(x):\n    |\n\n    return y\n');
      assert.strictEqual(shapeCompletion('y = x * 2\n    return y\n', c), 'y = x * 2');
      assert.strictEqual(shapeCompletion('return y', c), '', 'a first line on a blank cursor line is a whole line');
    });

    it('but not inside a block the completion opened', () => {
      const c = at('function f() {\n  |\n  done();\n}');
      assert.strictEqual(shapeCompletion('if (x) {\n    done();\n  }\n  done();\n  more();', c), 'if (x) {\n    done();\n  }');
    });

    it('a partial last line is not compared until the stream ends', () => {
      const s = new CompletionShaper(at('a = 1\n|\nprint(a)\n'));
      assert.deepStrictEqual(s.shape('b = 2\nprint(a', false), { text: 'b = 2\nprint(a', final: false });
      assert.deepStrictEqual(s.shape('b = 2\nprint(a)', true), { text: 'b = 2', final: true, reason: 'suffix-repeat' });
    });
  });

  describe('bracket balance', () => {
    it('does not emit a closer the suffix already has', () => {
      assert.strictEqual(shapeCompletion('bar(1))', at('x = foo(|)')), 'bar(1)');
      assert.strictEqual(shapeCompletion('return 1;\n}\n\nfunction g() {}', at('function f() {\n  |\n}\n')), 'return 1;');
      assert.strictEqual(shapeCompletion('1, 2]', at('a = [|];')), '1, 2');
    });

    it('keeps a closer the suffix does not have', () => {
      assert.strictEqual(shapeCompletion('b);', at('function f() {\n  foo(a, |\n}')), 'b);');
      assert.strictEqual(shapeCompletion('b);\n}', at('function f() {\n  foo(a, |\n}')), 'b);');
      assert.strictEqual(shapeCompletion(', 3];', at('const a = [1, 2|')), ', 3];');
    });

    it('ignores brackets inside strings and // comments', () => {
      assert.strictEqual(shapeCompletion('")" + y) // )\n', at('x = f(|)')), '")" + y');
      assert.strictEqual(shapeCompletion('"(" + y)', at('x = f(|)')), '"(" + y');
    });

    it('inside an empty block a multi-line body ends on its own line before the closer', () => {
      assert.strictEqual(shapeCompletion('\n  return 1;\n}', at('function f() {|}')), '\n  return 1;\n');
      assert.strictEqual(shapeCompletion('\n      return 1;\n    }', at('    function f() {|}')), '\n      return 1;\n    ');
      assert.strictEqual(shapeCompletion(' return 1; }', at('function f() {|}')), ' return 1; ');
    });
  });

  describe('the end of a completion never repeats the text after the cursor (issue 12 §5)', () => {
    const table: Array<[string, string, string, string]> = [
      // [what, document with | at the cursor, model output, expected ghost text]
      ['closing quote and bracket the editor auto-closed', 'print("hello|")\n', ' world")', ' world'],
      ['closing quote and semicolon', "x = 'abc|';", "def';", 'def'],
      ['an f-string: brace, quote', 'print(f"{x|}")', 'y}")', 'y'],
      ['a template literal: brace, backtick, semicolon', 's = `Hello ${na|}`;', 'me}`;', 'me'],
      ['arguments the suffix already has', 'foo(|, b)', 'a, b)', 'a'],
      ['the rest of the line after a call', 'x = |;', 'foo();', 'foo()'],
      ['the rest of the line, longer', 'x = |foo(1);', 'bar + foo(1);', 'bar + '],
      ['a closing tag', '<div>|</div>', 'Hello</div>', 'Hello'],
      ['a generic\'s closing angle bracket', 'List<|> xs;', 'String> xs;', 'String'],
      ['markdown emphasis', 'a **bold|** word', ' text** word', ' text'],
      ['inside a block comment the suffix closes', '/* TODO: fix| */', ' the parser */', ' the parser'],
      ['inside a line comment', '// call foo(|)', 'bar)', 'bar'],
      ['a nested call keeps its own closer', 'foo(|)', 'g(x)', 'g(x)'],
      ['a closer that belongs to a bracket of its own', 'foo(|)', 'bar(1))', 'bar(1)'],
      ['a quote that closes a string the suffix does not close is kept', 'print("hello|\n', ' world")', ' world")'],
      ['text that only resembles the suffix is kept', 'x = |b;', 'a + c', 'a + c'],
    ];
    for (const [what, doc, raw, want] of table) {
      it(`${what}: ${JSON.stringify(doc)} + ${JSON.stringify(raw)} -> ${JSON.stringify(want)}`, () => {
        assert.strictEqual(shapeCompletion(raw, at(doc)), want);
      });
    }

    it('a multi-line completion whose last line is the suffix\'s first line', () => {
      assert.strictEqual(shapeCompletion('const y = 2;\n  return y;', at('function f() {\n  |\n  return y;\n}')), 'const y = 2;');
      assert.strictEqual(shapeCompletion('\n  1,\n  2,\n];', at('const a = [|];')), '\n  1,\n  2,\n');
    });

    it('the prefix window begins inside a block comment: the lexer starts after its end', () => {
      // Without that, `"hi */ const s = "` reads as one string and the cursor as code.
      assert.strictEqual(shapeCompletion('bc";', at(' * say "hi */ const s = "a|";')), 'bc');
      assert.strictEqual(shapeCompletion('x])', at(' * Example: call(a, [b\n */\nfoo(|)')), 'x]');
    });

    it('# starts a comment only in languages where it does', () => {
      const c = at('x = 1  # see (a\ny = f(|)', { language: 'python' });
      assert.strictEqual(shapeCompletion('b)', c), 'b');
      assert.strictEqual(shapeCompletion('b)', at('x = 1  # see (a\ny = f(|)')), 'b');
    });

    it('streaming: a closer cuts at once; the whole-rest-of-line rule waits for the end', () => {
      const s = new CompletionShaper(at('print("hello|")\n'));
      assert.deepStrictEqual(s.shape(' wor', false), { text: ' wor', final: false });
      assert.deepStrictEqual(s.shape(' world"', false), { text: ' world', final: true, reason: 'closer' });
      const r = new CompletionShaper(at('x = |foo(1);'));
      assert.deepStrictEqual(r.shape('bar + foo(1);', false), { text: 'bar + foo(1);', final: false });
      assert.deepStrictEqual(r.shape('bar + foo(1);', true), { text: 'bar + ', final: true, reason: 'suffix-overlap' });
    });
  });

  it('keeps at most maxLines lines', () => {
    const s = new CompletionShaper(at('def f():\n    |', { maxLines: 2 }));
    assert.deepStrictEqual(s.shape('a = 1\n    b = 2', false), { text: 'a = 1\n    b = 2', final: false });
    assert.deepStrictEqual(s.shape('a = 1\n    b = 2\n', false), { text: 'a = 1\n    b = 2', final: true, reason: 'max-lines' });
    assert.strictEqual(shapeCompletion('1\n2\n3\n4', at('|', { maxLines: 3 })), '1\n2\n3');
  });

  it('trims trailing whitespace (but keeps a separating space mid-line)', () => {
    assert.strictEqual(shapeCompletion('a = 1   \n  b = 2  \n\n  \n', at('def f():\n  |')), 'a = 1\n  b = 2');
    assert.strictEqual(shapeCompletion('   \n\n', at('x|')), '');
    assert.strictEqual(shapeCompletion('a + ', at('return |b;')), 'a + ');
    assert.strictEqual(shapeCompletion('a + \t', at('return | b;')), 'a +');
  });

  it('collectCompletion stops reading once the result is final', async () => {
    const pulled: string[] = [];
    async function* stream(): AsyncGenerator<string> {
      for (const s of ['foo', '(1', ')', '\nbar', '\nbaz', '\nqux']) { pulled.push(s); yield s; }
    }
    assert.strictEqual(await collectCompletion(stream(), at('x = |;')), 'foo(1)');
    assert.deepStrictEqual(pulled, ['foo', '(1', ')', '\nbar']);
    pulled.length = 0;
    assert.strictEqual(await collectCompletion(stream(), new CompletionShaper(at('x = |', { maxLines: 1 }))), 'foo(1)');
    assert.deepStrictEqual(pulled, ['foo', '(1', ')', '\nbar']);
  });
});
