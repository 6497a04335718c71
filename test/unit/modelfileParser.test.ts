import * as assert from 'assert';
import {
  buildCreateRequest, INVALID_COMMAND_MESSAGE, INVALID_ROLE_MESSAGE, MISSING_FROM_MESSAGE, parseModelfile,
  type Instruction, type ParseResult,
} from '../../src/core/modelfile';

function ok(text: string): Instruction[] {
  const r = parseModelfile(text);
  assert.deepStrictEqual(r.errors, [], 'unexpected errors');
  return r.instructions;
}

/** The instructions without positions, for compact expectations. */
function shape(ins: Instruction[]): Array<Record<string, unknown>> {
  return ins.map((i) => {
    if (i.kind === 'parameter') return { kind: i.kind, name: i.name, value: i.value };
    if (i.kind === 'message') return { kind: i.kind, role: i.role, value: i.value };
    return { kind: i.kind, value: i.value };
  });
}

function errorsOf(r: ParseResult): Array<[number, string]> {
  return r.errors.map((e) => [e.line, e.message]);
}

const MARIO = `# comment
FROM llama3.2
PARAMETER temperature 0.7
PARAMETER stop "<|eot_id|>"
PARAMETER stop "user:"
SYSTEM """You are Mario.
Stay in character."""
MESSAGE user Is Toronto in Canada?
MESSAGE assistant yes
`;

describe('parseModelfile', () => {
  it('the Mario example of the protocol reference becomes its exact create request', async () => {
    const parsed = parseModelfile(MARIO);
    assert.deepStrictEqual(parsed.errors, []);
    assert.deepStrictEqual(parsed.warnings, []);
    const { request, uploads } = await buildCreateRequest('mario', parsed, { modelfileDir: '/nowhere', homeDir: '/home/u', stat: () => undefined });
    assert.deepStrictEqual(uploads, []);
    assert.strictEqual(JSON.stringify(request),
      '{"model":"mario","from":"llama3.2","parameters":{"temperature":0.7,"stop":["<|eot_id|>","user:"]},"system":"You are Mario.\\nStay in character.","messages":[{"role":"user","content":"Is Toronto in Canada?"},{"role":"assistant","content":"yes"}]}');
  });

  it('reads every instruction', () => {
    const ins = ok([
      'FROM llama3.2',
      'ADAPTER ./lora.gguf',
      'DRAFT ./draft.gguf',
      'TEMPLATE "{{ .Prompt }}"',
      'SYSTEM You are terse.',
      'LICENSE MIT',
      'LICENSE """Apache',
      'License 2.0"""',
      'MESSAGE system Be nice.',
      'MESSAGE user hi',
      'MESSAGE assistant hello',
      'REQUIRES 0.14.0',
      'RENDERER qwen3-coder',
      'PARSER qwen3-coder',
      'PARAMETER num_ctx 8192',
    ].join('\n'));
    assert.deepStrictEqual(shape(ins), [
      { kind: 'from', value: 'llama3.2' },
      { kind: 'adapter', value: './lora.gguf' },
      { kind: 'draft', value: './draft.gguf' },
      { kind: 'template', value: '{{ .Prompt }}' },
      { kind: 'system', value: 'You are terse.' },
      { kind: 'license', value: 'MIT' },
      { kind: 'license', value: 'Apache\nLicense 2.0' },
      { kind: 'message', role: 'system', value: 'Be nice.' },
      { kind: 'message', role: 'user', value: 'hi' },
      { kind: 'message', role: 'assistant', value: 'hello' },
      { kind: 'requires', value: '0.14.0' },
      { kind: 'renderer', value: 'qwen3-coder' },
      { kind: 'parser', value: 'qwen3-coder' },
      { kind: 'parameter', name: 'num_ctx', value: 8192 },
    ]);
    assert.deepStrictEqual(ins.map((i) => [i.line, i.endLine]), [
      [1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 6], [7, 8], [9, 9], [10, 10], [11, 11], [12, 12], [13, 13], [14, 14], [15, 15],
    ]);
  });

  it('converts every parameter by its documented type', () => {
    const ins = ok([
      'FROM m',
      'PARAMETER num_ctx 4096', 'PARAMETER num_batch 256', 'PARAMETER num_gpu -1', 'PARAMETER main_gpu 0',
      'PARAMETER use_mmap false', 'PARAMETER num_thread 8', 'PARAMETER draft_num_predict 4', 'PARAMETER num_keep 4',
      'PARAMETER seed 42', 'PARAMETER num_predict -1', 'PARAMETER top_k 40', 'PARAMETER top_p 0.9', 'PARAMETER min_p 0',
      'PARAMETER typical_p 1.0', 'PARAMETER repeat_last_n -1', 'PARAMETER temperature .5', 'PARAMETER repeat_penalty 1.1',
      'PARAMETER presence_penalty 1e-1', 'PARAMETER frequency_penalty +0.25', 'PARAMETER stop ###',
    ].join('\n'));
    const values = Object.fromEntries(ins.filter((i) => i.kind === 'parameter').map((i) => [(i as { name: string }).name, i.value]));
    assert.deepStrictEqual(values, {
      num_ctx: 4096, num_batch: 256, num_gpu: -1, main_gpu: 0, use_mmap: false, num_thread: 8, draft_num_predict: 4,
      num_keep: 4, seed: 42, num_predict: -1, top_k: 40, top_p: 0.9, min_p: 0, typical_p: 1, repeat_last_n: -1,
      temperature: 0.5, repeat_penalty: 1.1, presence_penalty: 0.1, frequency_penalty: 0.25, stop: '###',
    });
  });

  it('accepts the spellings of a bool that strconv.ParseBool accepts', () => {
    for (const [text, want] of [['1', true], ['t', true], ['TRUE', true], ['True', true], ['0', false], ['F', false], ['false', false]] as const) {
      const [, p] = ok(`FROM m\nPARAMETER use_mmap ${text}`);
      assert.strictEqual(p.value, want, text);
    }
  });

  it('keeps newlines, blank lines, quotes and # lines inside """ values', () => {
    const [, t, s] = ok([
      'FROM m',
      'TEMPLATE """{{ if .System }}<|system|>',
      '{{ .System }}',
      '',
      '# not a comment',
      'He said "hi"{{ end }}',
      '"""',
      'SYSTEM """  padded  """   ',
    ].join('\n'));
    assert.strictEqual(t.value, '{{ if .System }}<|system|>\n{{ .System }}\n\n# not a comment\nHe said "hi"{{ end }}\n');
    assert.deepStrictEqual([t.line, t.endLine, t.quote], [2, 7, '"""']);
    assert.strictEqual(s.value, '  padded  ');
  });

  it('closes a """ value only at a """ that ends a line, like ollama', () => {
    const [, s] = ok('FROM m\nSYSTEM """say """hi""" twice\nand stop"""\n');
    assert.strictEqual(s.value, 'say """hi""" twice\nand stop');
    const [, e] = ok('FROM m\nSYSTEM """ends with a quote""""');
    assert.strictEqual(e.value, 'ends with a quote"');
  });

  it('reads a 20,000-line """ value (a long LICENSE) whole, blank and whitespace-only lines included', () => {
    const body = Array.from({ length: 20_000 }, (_, i) => (i % 7 === 3 ? '   ' : i % 11 === 5 ? '' : `line ${i} says "quoted" text`));
    const text = `FROM m\nLICENSE """${body.join('\n')}\n"""  \nPARAMETER top_k 1\n`;
    const [, license, topK] = ok(text);
    assert.strictEqual(license.kind, 'license');
    assert.strictEqual(license.value, body.join('\n') + '\n');
    assert.deepStrictEqual([license.line, license.endLine], [2, 20_002]);
    assert.deepStrictEqual([topK.kind, topK.line], ['parameter', 20_003]);
    // Never closed: one error at the opening quote, whatever the length.
    const open = parseModelfile(`FROM m\nLICENSE """${body.join('\n')}\n`);
    assert.deepStrictEqual(errorsOf(open), [[2, 'unexpected EOF: the """ opened on line 2 is never closed']]);
  });

  it('keeps the line breaks of the file inside a value (CRLF stays CRLF), counting CRLF as one line', () => {
    const ins = ok('FROM m\r\nSYSTEM """a\r\nb"""\r\nPARAMETER top_k 1\r\n');
    assert.strictEqual(ins[1].value, 'a\r\nb');
    assert.deepStrictEqual(ins.map((i) => i.line), [1, 2, 4]);
  });

  it('reads "…" values on one line; one that runs on is accepted with a warning', () => {
    const r = parseModelfile('FROM m\nPARAMETER stop "a b "\nSYSTEM "one\ntwo"\n');
    assert.deepStrictEqual(r.errors, []);
    assert.deepStrictEqual(shape(r.instructions).slice(1), [
      { kind: 'parameter', name: 'stop', value: 'a b ' },
      { kind: 'system', value: 'one\ntwo' },
    ]);
    assert.strictEqual(r.warnings.length, 1);
    assert.strictEqual(r.warnings[0].line, 3);
  });

  it('treats # as a comment only at the start of a line', () => {
    const ins = ok('# first\n   # indented\n\t# tabbed\nFROM m # not a comment\nSYSTEM You are #1\n');
    assert.deepStrictEqual(shape(ins), [{ kind: 'from', value: 'm # not a comment' }, { kind: 'system', value: 'You are #1' }]);
    assert.deepStrictEqual(ins.map((i) => i.line), [4, 5]);
  });

  it('takes instruction names in any case and keeps the written keyword', () => {
    const ins = ok('from m\nParameter temperature 1\nsYsTeM hi\nmessage user x\n  license l\n');
    assert.deepStrictEqual(ins.map((i) => [i.kind, i.keyword, i.column]), [
      ['from', 'from', 1], ['parameter', 'Parameter', 1], ['system', 'sYsTeM', 1], ['message', 'message', 1], ['license', 'license', 3],
    ]);
  });

  it('accepts a UTF-8 BOM', () => {
    const ins = ok('\uFEFFFROM llama3.2\nSYSTEM hé ✓\n');
    assert.deepStrictEqual(shape(ins), [{ kind: 'from', value: 'llama3.2' }, { kind: 'system', value: 'hé ✓' }]);
  });

  it('trims unquoted values and allows tabs between the parts', () => {
    const [f, p] = ok('FROM\t  llama3.2  \t\nPARAMETER\ttemperature\t 0.2 ');
    assert.strictEqual(f.value, 'llama3.2');
    assert.strictEqual(p.value, 0.2);
    assert.strictEqual(f.valueColumn, 8);
  });

  it('drops invisible characters as the CLI does', () => {
    const [, s] = ok('FROM m\nSYSTEM a\u200Bb\u0007c\u00A0d\n');
    assert.strictEqual(s.value, 'abcd');
  });

  it('strips a leading v from REQUIRES and accepts semver shorthands', () => {
    assert.strictEqual(ok('FROM m\nREQUIRES v0.14.0')[1].value, '0.14.0');
    assert.strictEqual(ok('FROM m\nREQUIRES 0.14')[1].value, '0.14');
    assert.strictEqual(ok('FROM m\nREQUIRES 1.2.3-rc.1+build.5')[1].value, '1.2.3-rc.1+build.5');
  });

  describe('errors', () => {
    it('unknown instruction, with its line and columns', () => {
      const r = parseModelfile('FROM m\n\nTEMPERATURE 0.7\n');
      assert.deepStrictEqual(r.errors, [{ message: INVALID_COMMAND_MESSAGE, line: 3, column: 1, endLine: 3, endColumn: 12 }]);
      assert.strictEqual(INVALID_COMMAND_MESSAGE,
        'command must be one of "from", "license", "template", "system", "adapter", "draft", "renderer", "parser", "parameter", "message", or "requires"');
    });

    it('a keyword glued to other characters is not an instruction', () => {
      assert.deepStrictEqual(errorsOf(parseModelfile('FROM m\nSYSTEM:"x"\n1FROM y\n')), [[2, INVALID_COMMAND_MESSAGE], [3, INVALID_COMMAND_MESSAGE]]);
    });

    it('unterminated """ → unexpected EOF at the line where it opened', () => {
      const r = parseModelfile('FROM m\nPARAMETER top_k 1\nTEMPLATE """{{ .Prompt }}\n\nmore\n');
      assert.strictEqual(r.errors.length, 1);
      assert.strictEqual(r.errors[0].line, 3);
      assert.strictEqual(r.errors[0].column, 10);
      assert.match(r.errors[0].message, /^unexpected EOF/);
      assert.strictEqual(r.instructions.length, 2);
    });

    it('unterminated " → unexpected EOF too', () => {
      const r = parseModelfile('FROM m\nSYSTEM "abc\n');
      assert.deepStrictEqual(r.errors.map((e) => [e.line, e.message.slice(0, 14)]), [[2, 'unexpected EOF']]);
    });

    it('trailing text after a closing """ keeps the value open, as in ollama', () => {
      const r = parseModelfile('FROM m\nSYSTEM """hi""" # note\nPARAMETER top_k 1\n');
      assert.deepStrictEqual(errorsOf(r), [[2, 'unexpected EOF: the """ opened on line 2 is never closed (a closing """ must end its line)']]);
    });

    it('unknown parameter, name kept case-sensitive', () => {
      const r = parseModelfile('FROM m\nPARAMETER temprature 0.7\nPARAMETER Temperature 1\n');
      assert.deepStrictEqual(errorsOf(r), [[2, "unknown parameter 'temprature'"], [3, "unknown parameter 'Temperature'"]]);
      assert.deepStrictEqual([r.errors[0].column, r.errors[0].endColumn], [11, 21]);
    });

    it('a value that does not fit the parameter type', () => {
      const r = parseModelfile('FROM m\nPARAMETER num_ctx 4096.0\nPARAMETER top_p high\nPARAMETER use_mmap yes\nPARAMETER temperature 1e39\n');
      assert.deepStrictEqual(errorsOf(r), [
        [2, 'invalid int value "4096.0" for parameter \'num_ctx\''],
        [3, 'invalid float value "high" for parameter \'top_p\''],
        [4, 'invalid bool value "yes" for parameter \'use_mmap\' (use true or false)'],
        [5, 'float value "1e39" for parameter \'temperature\' is out of range'],
      ]);
      assert.strictEqual(r.errors[0].column, 19);
    });

    it('a parameter name outside [A-Za-z0-9_]', () => {
      const r = parseModelfile('FROM m\nPARAMETER num-ctx 4096\n');
      assert.deepStrictEqual(r.errors.map((e) => e.line), [2]);
      assert.match(r.errors[0].message, /invalid parameter name "num-ctx"/);
    });

    it('deprecated parameters are dropped with a warning, not an error', () => {
      const r = parseModelfile('FROM m\nPARAMETER mirostat 2\nPARAMETER penalize_newline true\nPARAMETER top_k 3\n');
      assert.deepStrictEqual(r.errors, []);
      assert.deepStrictEqual(shape(r.instructions).slice(1), [{ kind: 'parameter', name: 'top_k', value: 3 }]);
      assert.deepStrictEqual(r.warnings.map((w) => [w.line, w.message]), [
        [2, 'parameter mirostat is deprecated and ignored'], [3, 'parameter penalize_newline is deprecated and ignored'],
      ]);
    });

    it('bad MESSAGE role (roles are lower-case), and its multi-line content is still skipped', () => {
      const r = parseModelfile('FROM m\nMESSAGE tool {"x":1}\nMESSAGE User hi\nMESSAGE bot """a\nPARAMETER is text here\n"""\n');
      assert.deepStrictEqual(errorsOf(r), [[2, INVALID_ROLE_MESSAGE], [3, INVALID_ROLE_MESSAGE], [4, INVALID_ROLE_MESSAGE]]);
      assert.strictEqual(INVALID_ROLE_MESSAGE, 'message role must be one of "system", "user", or "assistant"');
    });

    it('missing FROM', () => {
      const r = parseModelfile('# only a comment\nSYSTEM hi\n');
      assert.deepStrictEqual(errorsOf(r), [[1, MISSING_FROM_MESSAGE]]);
      assert.deepStrictEqual(errorsOf(parseModelfile('')), [[1, MISSING_FROM_MESSAGE]]);
    });

    it('an instruction without its argument', () => {
      const r = parseModelfile('FROM\nSYSTEM   \nPARAMETER top_k\nMESSAGE user\n');
      assert.deepStrictEqual(errorsOf(r), [
        [1, 'FROM needs a model name or a path'], [2, 'SYSTEM needs a value'], [3, 'PARAMETER top_k needs a value'],
        [4, 'MESSAGE needs a role and content: MESSAGE <system|user|assistant> <content>'],
      ]);
    });

    it('REQUIRES that is not a semver', () => {
      const r = parseModelfile('FROM m\nREQUIRES latest\nREQUIRES 01.2.3\n');
      assert.deepStrictEqual(errorsOf(r), [[2, 'requires must be a valid semver (e.g. 0.14.0)'], [3, 'requires must be a valid semver (e.g. 0.14.0)']]);
    });

    it('goes on after an error, so every bad line is reported', () => {
      const r = parseModelfile('FROM m\nFOO bar\nPARAMETER nope 1\nSYSTEM ok\nBAR\n');
      assert.deepStrictEqual(r.errors.map((e) => e.line), [2, 3, 5]);
      assert.deepStrictEqual(shape(r.instructions), [{ kind: 'from', value: 'm' }, { kind: 'system', value: 'ok' }]);
    });

    it('warns about a second ADAPTER', () => {
      const r = parseModelfile('FROM m\nADAPTER a.gguf\nADAPTER b.gguf\n');
      assert.deepStrictEqual(r.warnings.map((w) => w.line), [3]);
    });
  });
});
