// The comment/string scanner per language family: what is a comment, what is a string, what is
// neither, how adjacent line comments merge, and how a translated block is put back.
import * as assert from 'assert';
import { blockAt, BUILTIN_SYNTAX, isDirective, isProseString, languageSyntax, rebuildBlock, scanRegions, textBlocks, type LanguageSyntax } from '../../src/core/translate/comments';

function blocks(text: string, lang: string | LanguageSyntax) {
  const syn = typeof lang === 'string' ? languageSyntax(lang)! : lang;
  return textBlocks(text, scanRegions(text, syn));
}
const texts = (text: string, lang: string) => blocks(text, lang).map((b) => `${b.kind}:${b.text}`);

describe('translate: comment and string scanner', () => {
  it('C family (TypeScript): line, block and JSDoc comments; // and /* inside strings and template literals are not comments', () => {
    const src = [
      '// Load the user.',
      '// Then cache it.',
      'const url = "http://example.com/*not*/"; // trailing note',
      'const t = `a // b',
      'still the template`;',
      '/**',
      ' * Returns the answer.',
      ' * @param x the input',
      ' */',
      'const s = \'it\\\'s a "quote"\';',
    ].join('\n');
    assert.deepStrictEqual(texts(src, 'typescript'), [
      'comment:Load the user.\nThen cache it.',
      'string:http://example.com/*not*/',
      'comment:trailing note',
      'string:a // b\nstill the template',
      'comment:Returns the answer.\n@param x the input',
      'string:it\\\'s a "quote"',
    ]);
    const b = blocks(src, 'typescript');
    assert.strictEqual(b[0]!.lineComments, true);
    assert.strictEqual(b[2]!.trailing, true);
  });

  it('line comments merge only when each is alone on its line with the same indentation', () => {
    const src = 'x = 1 // one\n// two\n  // three\n// four\n\n// five\n';
    assert.deepStrictEqual(texts(src, 'javascript'), ['comment:one', 'comment:two', 'comment:three', 'comment:four', 'comment:five']);
    assert.deepStrictEqual(texts('/// Doc one\n/// doc two\n//! inner\n', 'rust'), ['comment:Doc one\ndoc two', 'comment:inner']);
  });

  it('Python: # comments, docstrings count as comments, prefixed and triple-quoted strings, # inside strings', () => {
    const src = [
      'def f(x):',
      '    """Compute the value.',
      '',
      '    Longer text here.',
      '    """',
      '    s = f"hash # not a comment {x}"',
      '    t = r\'C:\\path\\\'',
      '    return s  # the result',
      'doc = """assigned, a string"""',
    ].join('\n');
    assert.deepStrictEqual(texts(src, 'python'), [
      'comment:Compute the value.\n\nLonger text here.',
      'string:hash # not a comment {x}',
      'string:C:\\path\\',
      'comment:the result',
      'string:assigned, a string',
    ]);
  });

  it('shell: # starts a comment only at a word start; single quotes have no escapes', () => {
    const src = 'echo $# ${#arr[@]} a#b # count of args\necho \'it\\\' # still code\n';
    assert.deepStrictEqual(texts(src, 'shellscript'), ['comment:count of args', 'string:it\\', 'comment:still code']);
  });

  it('SQL: -- and /* */ comments, doubled quotes inside strings', () => {
    const src = "SELECT 'it''s -- not a comment' AS x -- real comment\n/* block\n comment */\n";
    assert.deepStrictEqual(texts(src, 'sql'), ["string:it''s -- not a comment", 'comment:real comment', 'comment:block\ncomment']);
  });

  it('Lua: --[[ long comments ]] win over --, [[ long strings ]]', () => {
    const src = '--[[ Long\ncomment ]]\nlocal s = [[long -- string]] -- short one\n';
    assert.deepStrictEqual(texts(src, 'lua'), ['comment:Long\ncomment', 'string:long -- string', 'comment:short one']);
  });

  it('markup (HTML/XML): <!-- --> comments only', () => {
    assert.deepStrictEqual(texts('<p title="a b">x</p>\n<!-- Say hello\n to the user -->\n', 'html'), ['comment:Say hello\nto the user']);
  });

  it('Rust raw strings, C# verbatim strings, Go raw strings, C++ raw strings', () => {
    assert.deepStrictEqual(texts('let s = r#"a "quoted" // text"#; // note\n', 'rust'), ['string:a "quoted" // text', 'comment:note']);
    assert.deepStrictEqual(texts('var p = @"C:\\dir\\ ""x"" // y"; // note\n', 'csharp'), ['string:C:\\dir\\ ""x"" // y', 'comment:note']);
    assert.deepStrictEqual(texts('s := `multi // line\nraw` // note\n', 'go'), ['string:multi // line\nraw', 'comment:note']);
    assert.deepStrictEqual(texts('auto s = R"(raw " // x)"; // note\n', 'cpp'), ['string:raw " // x', 'comment:note']);
  });

  it('an unclosed single-line string ends at its line; an unclosed block comment runs to the end', () => {
    assert.deepStrictEqual(texts('x = "open\n// real comment\n', 'javascript'), ['string:open', 'comment:real comment']);
    assert.deepStrictEqual(texts('/* never closed\nmore', 'c'), ['comment:never closed\nmore']);
  });

  it('the language configuration\'s tokens are used (string or CommentRule object form), with the table\'s string forms', () => {
    const syn = languageSyntax('made-up', { lineComment: { comment: ';;' }, blockComment: ['#|', '|#'] })!;
    assert.deepStrictEqual(syn.lineComments, [';;']);
    assert.deepStrictEqual(blocks('(a "b ;; c") ;; note\n#| block |#\n', syn).map((b) => b.text), ['b ;; c', 'note', 'block']);
    assert.strictEqual(languageSyntax('made-up'), undefined);
    const py = languageSyntax('python', { lineComment: '#' })!;
    assert.strictEqual(py.docstrings, true);
    assert.ok(BUILTIN_SYNTAX.typescript);
  });

  it('blockAt finds the block under an offset, markers included', () => {
    const src = 'a = 1; // first\nb = 2;\n/* second */';
    const bs = blocks(src, 'javascript');
    assert.strictEqual(blockAt(bs, src.indexOf('first'))?.text, 'first');
    assert.strictEqual(blockAt(bs, src.indexOf('//'))?.text, 'first');
    assert.strictEqual(blockAt(bs, src.indexOf('b = 2')), undefined);
    assert.strictEqual(blockAt(bs, src.indexOf('/* s'))?.text, 'second');
  });

  it('tool directives are recognised and prose strings told from keys, paths and identifiers', () => {
    for (const d of ['// eslint-disable-next-line no-console', '// @ts-ignore', '//go:build linux', '# type: ignore', '#!/bin/sh', '// prettier-ignore', '# noqa: E501', '// #region setup']) {
      const lang = d.startsWith('#') ? 'python' : 'typescript';
      const b = blocks(d + '\n', lang);
      if (b.length) assert.ok(isDirective(b[0]!), d);
    }
    assert.ok(!isDirective(blocks('// Explain the retry\n', 'typescript')[0]!));
    assert.ok(isProseString('Could not open the file'));
    assert.ok(isProseString('文件不存在'));
    assert.ok(!isProseString('utf-8'));
    assert.ok(!isProseString('user.name'));
    assert.ok(!isProseString('./src/index.ts'));
    assert.ok(!isProseString('Content-Type'));
    assert.ok(!isProseString('https://example.com/a b'));
  });

  it('rebuildBlock puts translated lines back with each line\'s prefix; extra lines take the block\'s prefix', () => {
    const src = '    // First line.\n    // Second line.\nx();\n/**\n * Doc one.\n * Doc two.\n */\ny(); // tail\n';
    const bs = blocks(src, 'typescript');
    const apply = (i: number, tr: string[]) => { const r = rebuildBlock(bs[i]!, tr, '\n'); return src.slice(0, r.start) + r.text + src.slice(r.end); };
    assert.strictEqual(apply(0, ['第一行。', '第二行。', '第三行。']).split('\nx();')[0], '    // 第一行。\n    // 第二行。\n    // 第三行。');
    assert.strictEqual(apply(0, ['合并的一行。']).split('\nx();')[0], '    // 合并的一行。');
    assert.ok(apply(1, ['文档一。', '文档二。', '文档三。']).includes('/**\n * 文档一。\n * 文档二。\n * 文档三。\n */'));
    assert.ok(apply(2, ['尾部', '注释']).endsWith('y(); // 尾部 注释\n'));
  });
});
