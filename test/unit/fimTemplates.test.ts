// FIM prompt formats, stop lists and family detection, byte for byte.
import * as assert from 'assert';
import {
  FIM_FAMILIES, FIM_TEMPLATES, buildRawPrompt, detectFamily, familyFromName, isInstructModel, specialTokens, suggestFimModel,
  type FimFamily,
} from '../../src/core/fim';

/** Code points as U+XXXX, so a failing byte shows as what it is. */
function cps(s: string): string {
  return [...s].map((c) => 'U+' + c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')).join(' ');
}

describe('FIM templates', () => {
  const P = 'def f(x):\n    return ';
  const S = '\n\nprint(f(2))\n';
  const table: Array<[FimFamily, string, string[]]> = [
    ['codellama', `<PRE> ${P} <SUF>${S} <MID>`, ['<EOT>']],
    ['deepseek', `<\uFF5Cfim\u2581begin\uFF5C>${P}<\uFF5Cfim\u2581hole\uFF5C>${S}<\uFF5Cfim\u2581end\uFF5C>`, ['<\uFF5Cend\u2581of\u2581sentence\uFF5C>']],
    ['starcoder', `<fim_prefix>${P}<fim_suffix>${S}<fim_middle>`, ['<|endoftext|>', '<file_sep>']],
    ['qwen', `<|fim_prefix|>${P}<|fim_suffix|>${S}<|fim_middle|>`, ['<|endoftext|>', '<|file_sep|>', '<|fim_pad|>']],
    ['codegemma', `<|fim_prefix|>${P}<|fim_suffix|>${S}<|fim_middle|>`, ['<|endoftext|>', '<|file_sep|>', '<|fim_pad|>', '<|file_separator|>', '<end_of_turn>']],
    ['codestral', `[SUFFIX]${S}[PREFIX]${P}`, ['[PREFIX]', '[SUFFIX]']],
  ];

  it('covers every family', () => {
    assert.deepStrictEqual(table.map((r) => r[0]).sort(), [...FIM_FAMILIES].sort());
  });

  for (const [family, prompt, stop] of table) {
    it(`${family}: prompt and stop tokens are byte-exact`, () => {
      const got = buildRawPrompt(family, P, S);
      assert.strictEqual(cps(got), cps(prompt));
      assert.deepStrictEqual(Buffer.from(got, 'utf8'), Buffer.from(prompt, 'utf8'));
      assert.deepStrictEqual(FIM_TEMPLATES[family].stop.map(cps), stop.map(cps));
      for (const s of stop) assert.ok(specialTokens(family).includes(s), `${s} is stripped from output`);
    });
  }

  it('DeepSeek tokens use U+FF5C and U+2581, never an ASCII bar or space (the Twinny bug)', () => {
    const t = FIM_TEMPLATES.deepseek;
    for (const tok of [...t.tokens, ...t.stop]) {
      assert.ok(!tok.includes('|') && !tok.includes(' ') && !tok.includes('_'), tok);
      assert.ok(tok.includes('\uFF5C') && tok.includes('\u2581'), tok);
    }
    assert.strictEqual(Buffer.from(t.stop[0], 'utf8').toString('hex'), '3c' + 'efbd9c' + '656e64' + 'e29681' + '6f66' + 'e29681' + '73656e74656e6365' + 'efbd9c' + '3e');
  });

  it('CodeLlama keeps its spaces: "<PRE> " before the prefix and " <MID>" after the suffix', () => {
    assert.strictEqual(buildRawPrompt('codellama', 'a', 'b'), '<PRE> a <SUF>b <MID>');
    assert.strictEqual(buildRawPrompt('codestral', 'a', 'b'), '[SUFFIX]b[PREFIX]a');
  });
});

describe('FIM family detection', () => {
  // name -> [family, instruct]
  const names: Array<[string, FimFamily | undefined, boolean]> = [
    ['qwen2.5-coder:1.5b-base', 'qwen', false],
    ['qwen2.5-coder:7b-base-q4_K_M', 'qwen', false],
    ['qwen2.5-coder:7b-instruct', 'qwen', true],
    ['hf.co/Qwen/Qwen2.5-Coder-1.5B-GGUF:Q8_0', 'qwen', false],
    ['deepseek-coder:6.7b-base', 'deepseek', false],
    ['deepseek-coder:6.7b-instruct', 'deepseek', true],
    ['deepseek-coder-v2', 'deepseek', false],
    ['deepseek-coder-v2:16b-lite-base-q4_0', 'deepseek', false],
    ['codellama:7b-code', 'codellama', false],
    ['codellama:7b-instruct', 'codellama', true],
    ['codellama:13b-code-q4_K_M', 'codellama', false],
    ['starcoder2:3b', 'starcoder', false],
    ['starcoder:1b', 'starcoder', false],
    ['starcoder2:15b-instruct', 'starcoder', true],
    ['stable-code:3b', 'starcoder', false],
    ['codegemma:2b', 'codegemma', false],
    ['codegemma:7b-code', 'codegemma', false],
    ['codegemma:7b-it', 'codegemma', true],
    ['codestral:22b', 'codestral', false],
    ['CodeStral:latest', 'codestral', false],
    ['llama3.2', undefined, false],
    ['llama3.2:3b-instruct-q4_K_M', undefined, true],
    ['qwen2.5:7b', undefined, false],
    ['mistral:7b', undefined, false],
    ['gemma2:2b', undefined, false],
  ];
  for (const [name, family, instruct] of names) {
    it(`${name} -> ${family ?? 'no FIM family'}${instruct ? ', instruct' : ''}`, () => {
      assert.strictEqual(familyFromName(name), family);
      assert.strictEqual(isInstructModel(name), instruct);
    });
  }

  it('Qwen2.5-Coder is never taken for CodeLlama (the Twinny bug)', () => {
    for (const n of ['qwen2.5-coder:1.5b-base', 'qwen2.5-coder:32b-base', 'qwen2.5-coder']) assert.strictEqual(familyFromName(n), 'qwen');
  });

  it('an ambiguous name falls back to /api/show: parent model, GGUF names, template tokens, unambiguous architecture', () => {
    assert.strictEqual(detectFamily('my-coder:latest', { details: { parent_model: 'qwen2.5-coder:1.5b-base' } }), 'qwen');
    assert.strictEqual(detectFamily('my-coder', { details: {}, model_info: { 'general.basename': 'deepseek-coder' } }), 'deepseek');
    assert.strictEqual(detectFamily('x', { details: { family: 'qwen2' }, template: '{{ if .Suffix }}<|fim_prefix|>{{ .Prompt }}<|fim_suffix|>{{ .Suffix }}<|fim_middle|>{{ end }}' }), 'qwen');
    assert.strictEqual(detectFamily('x', { details: { family: 'gemma' }, template: '<|fim_prefix|>{{ .Prompt }}<|fim_suffix|>{{ .Suffix }}<|fim_middle|>' }), 'codegemma');
    assert.strictEqual(detectFamily('x', { details: { family: 'llama' }, template: '<\uFF5Cfim\u2581begin\uFF5C>{{ .Prompt }}' }), 'deepseek');
    assert.strictEqual(detectFamily('x', { details: { family: 'llama' }, template: '<PRE> {{ .Prompt }} <SUF>{{ .Suffix }} <MID>' }), 'codellama');
    assert.strictEqual(detectFamily('x', { details: { family: 'llama' }, template: '[SUFFIX]{{ .Suffix }}[PREFIX] {{ .Prompt }}' }), 'codestral');
    assert.strictEqual(detectFamily('x', { details: { family: 'starcoder2' }, template: '{{ .Prompt }}' }), 'starcoder');
    // llama / qwen2 / gemma architectures are chat models too: no guess.
    assert.strictEqual(detectFamily('x', { details: { family: 'llama' }, template: '{{ .Prompt }}' }), undefined);
    assert.strictEqual(detectFamily('x', { details: { family: 'qwen2' } }), undefined);
    // The name wins over show.
    assert.strictEqual(detectFamily('codellama:7b-code', { details: { family: 'llama' }, template: '<|fim_prefix|>' }), 'codellama');
  });

  const suggestions: Array<[string, string]> = [
    ['qwen2.5-coder:7b-instruct', 'qwen2.5-coder:7b-base'],
    ['qwen2.5-coder:1.5b-instruct-q8_0', 'qwen2.5-coder:1.5b-base'],
    ['codellama:7b-instruct', 'codellama:7b-code'],
    ['deepseek-coder:6.7b-instruct', 'deepseek-coder:6.7b-base'],
    ['codegemma:7b-it', 'codegemma:7b-code'],
    ['starcoder2:15b-instruct', 'starcoder2:15b'],
    ['deepseek-coder-v2:16b-lite-instruct', 'qwen2.5-coder:1.5b-base'],
    ['qwen2.5-coder:99b-instruct', 'qwen2.5-coder:1.5b-base'],
    ['llama3.2', 'qwen2.5-coder:1.5b-base'],
  ];
  for (const [name, want] of suggestions) {
    it(`suggests ${want} instead of ${name}`, () => assert.strictEqual(suggestFimModel(name), want));
  }
});
