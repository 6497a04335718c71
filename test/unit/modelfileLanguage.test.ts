import * as assert from 'assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  completionsAt, completionsInDocument, DEPRECATED_PARAMETERS, INSTRUCTIONS, PARAMETERS, parseModelfile,
} from '../../src/core/modelfile';

const ROOT = path.resolve(__dirname, '../../..');

describe('modelfile completions', () => {
  it('offers every instruction at the start of a line, filtered by what is typed', () => {
    const all = completionsAt('', 0);
    assert.deepStrictEqual(all.map((c) => c.label), INSTRUCTIONS.map((i) => i.keyword));
    assert.deepStrictEqual(all.map((c) => c.label), ['FROM', 'PARAMETER', 'TEMPLATE', 'SYSTEM', 'ADAPTER', 'LICENSE', 'MESSAGE', 'REQUIRES', 'RENDERER', 'PARSER', 'DRAFT']);
    assert.ok(all.every((c) => c.kind === 'instruction' && c.documentation.length > 0 && c.insertText === `${c.label} `));
    const pa = completionsAt('  pa', 4);
    assert.deepStrictEqual(pa.map((c) => c.label), ['PARAMETER', 'PARSER']);
    assert.strictEqual(pa[0].replaceStart, 2);
    assert.strictEqual(pa[0].retrigger, true);
    assert.strictEqual(completionsAt('TEMPLATE', 2).find((c) => c.label === 'TEMPLATE')?.snippet, 'TEMPLATE """\n$0\n"""');
  });

  it('offers parameter names with their type and default after PARAMETER', () => {
    const all = completionsAt('PARAMETER ', 10);
    assert.deepStrictEqual(all.map((c) => c.label), PARAMETERS.map((p) => p.name));
    assert.strictEqual(all.length, 20);
    const t = completionsAt('parameter  te', 13);
    assert.deepStrictEqual(t.map((c) => c.label), ['temperature']);
    assert.deepStrictEqual([t[0].kind, t[0].detail, t[0].insertText, t[0].replaceStart], ['parameter', 'float (default 0.8)', 'temperature ', 11]);
    assert.match(t[0].documentation, /Type: `float`/);
    assert.ok(!all.some((c) => DEPRECATED_PARAMETERS.includes(c.label)));
  });

  it('offers roles after MESSAGE', () => {
    assert.deepStrictEqual(completionsAt('MESSAGE ', 8).map((c) => [c.label, c.kind]), [['system', 'role'], ['user', 'role'], ['assistant', 'role']]);
    assert.deepStrictEqual(completionsAt('MESSAGE a', 9).map((c) => c.label), ['assistant']);
  });

  it('offers nothing in comments, values, or after the cursor has left the word', () => {
    assert.deepStrictEqual(completionsAt('# FR', 4), []);
    assert.deepStrictEqual(completionsAt('FROM ', 5), []);
    assert.deepStrictEqual(completionsAt('PARAMETER temperature ', 22), []);
    assert.deepStrictEqual(completionsAt('MESSAGE user ', 13), []);
  });

  it('offers nothing on lines inside a multi-line value, closed or still open', () => {
    const doc = 'FROM m\nSYSTEM """\nPa\n"""\nPa';
    assert.deepStrictEqual(completionsInDocument(doc, 3, 2), []);
    assert.deepStrictEqual(completionsInDocument(doc, 5, 2).map((c) => c.label), ['PARAMETER', 'PARSER']);
    assert.deepStrictEqual(completionsInDocument('FROM m\nTEMPLATE """\nPa', 3, 2), []);
  });

  it('the parameter table agrees with the parser', () => {
    for (const p of PARAMETERS) {
      const sample = { int: '1', float: '0.5', bool: 'true', 'string[]': 'x' }[p.type];
      assert.deepStrictEqual(parseModelfile(`FROM m\nPARAMETER ${p.name} ${sample}`).errors, [], p.name);
    }
  });
});

describe('modelfile language assets', () => {
  const grammar = JSON.parse(fs.readFileSync(path.join(ROOT, 'syntaxes/modelfile.tmLanguage.json'), 'utf8'));
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'language-configuration/modelfile.json'), 'utf8'));

  /** Oniguruma's (?i:…) as a JS regex with the i flag (JS has no inline modifiers on Node 20). */
  function js(re: string): RegExp {
    return re.includes('(?i:') ? new RegExp(re.replace(/\(\?i:/g, '(?:'), 'i') : new RegExp(re);
  }

  function rules(node: Record<string, unknown>, out: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
    out.push(node);
    for (const p of (node.patterns as Array<Record<string, unknown>> | undefined) ?? []) rules(p, out);
    for (const r of Object.values((node.repository as Record<string, Record<string, unknown>> | undefined) ?? {})) rules(r, out);
    return out;
  }

  it('is a grammar for source.modelfile whose includes resolve and whose regexes compile', () => {
    assert.strictEqual(grammar.scopeName, 'source.modelfile');
    const all = rules(grammar);
    for (const r of all) {
      if (typeof r.include === 'string') assert.ok(grammar.repository[(r.include as string).slice(1)], `${r.include} resolves`);
      for (const k of ['match', 'begin', 'end']) if (typeof r[k] === 'string') assert.doesNotThrow(() => js(r[k] as string), `${k}: ${r[k]}`);
    }
  });

  it('its rules recognise the pieces of a Modelfile', () => {
    const repo = grammar.repository;
    assert.ok(js(repo.comment.match).test('   # note'));
    assert.ok(!js(repo.comment.match).test('FROM x # not a comment'));
    const param = js(repo['parameter-instruction'].begin).exec('parameter temperature 0.7')!;
    assert.deepStrictEqual([param[1], param[2]], ['parameter', 'temperature']);
    assert.strictEqual(js(repo['parameter-instruction'].begin).exec('PARAMETER mirostat 1')![3], 'mirostat');
    assert.strictEqual(js(repo['parameter-instruction'].begin).exec('PARAMETER temp 1')![4], 'temp');
    assert.strictEqual(js(repo['message-instruction'].begin).exec('MESSAGE bot hi')![3], 'bot');
    assert.ok(js(repo['template-instruction'].begin).test('Template """'));
    assert.ok(js(repo['string-triple'].end).test('end of text"""  '));
    assert.ok(!js(repo['string-triple'].end).test('"""not the end'));
    assert.ok(js(repo['go-template'].begin).test('{{- if .System }}'));
    assert.ok(js(repo.number.match).test(' -0.25'));
    assert.strictEqual(grammar.repository['unknown-instruction'].captures['1'].name, 'invalid.illegal.unknown-instruction.modelfile');
  });

  it('the language configuration uses # comments and closes quotes', () => {
    assert.deepStrictEqual(config.comments, { lineComment: '#' });
    assert.ok(config.autoClosingPairs.some((p: { open: string; close: string }) => p.open === '"' && p.close === '"'));
    assert.ok(new RegExp(config.folding.markers.start).test('TEMPLATE """{{ .Prompt }}'));
    assert.ok(!new RegExp(config.folding.markers.start).test('SYSTEM """one line"""'));
  });
});
