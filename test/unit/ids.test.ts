// The names the extension shares with VS Code are typed once (src/vscode/ids.ts) and match
// package.json both ways: every contributed command, setting and view has its constant, and every
// constant is contributed (or registered on purpose without a palette entry). No other source file
// spells one of them out.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { seconds, settingsSchema, wholeNumber } from '../../src/core/config/schema';
import { COMMAND, EXTENSION_ID, HIDDEN_COMMANDS, SETTING, VIEW } from '../../src/vscode/ids';

const root = path.join(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('ids: command ids, setting keys and views match package.json', () => {
  it('the extension id is publisher.name', () => {
    assert.strictEqual(EXTENSION_ID, `${pkg.publisher}.${pkg.name}`);
  });

  it('every contributed command has a constant, and every constant is contributed or hidden on purpose', () => {
    const contributed: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);
    const constants: string[] = Object.values(COMMAND);
    assert.deepStrictEqual(contributed.filter((c) => !constants.includes(c)), [], 'contributed without a constant');
    assert.deepStrictEqual(constants.filter((c) => !contributed.includes(c) && !HIDDEN_COMMANDS.includes(c as never)), [], 'constants neither contributed nor hidden');
    assert.deepStrictEqual(HIDDEN_COMMANDS.filter((c) => contributed.includes(c)), [], 'hidden commands are not contributed');
  });

  it('every setting in package.json has a constant and every constant is a setting', () => {
    const declared = Object.keys(settingsSchema(pkg)).sort();
    assert.deepStrictEqual(Object.values(SETTING).sort(), declared);
  });

  it('the views are the contributed ones', () => {
    const views: string[] = Object.values(pkg.contributes.views).flat().map((v) => (v as { id: string }).id);
    assert.deepStrictEqual(Object.values(VIEW).sort(), views.sort());
  });

  it('no source file outside ids.ts spells out a command id or setting key', () => {
    const names = new Set<string>([...Object.values(COMMAND), ...Object.values(SETTING), ...Object.values(VIEW)]);
    const offenders: string[] = [];
    for (const f of sourceFiles(path.join(root, 'src'))) {
      if (f.endsWith(path.join('vscode', 'ids.ts'))) continue;
      const text = fs.readFileSync(f, 'utf8');
      for (const m of text.matchAll(/['"](ollamaAssistant\.[\w.]+)['"]/g)) if (names.has(m[1]!)) offenders.push(`${path.relative(root, f)}: ${m[1]}`);
    }
    assert.deepStrictEqual(offenders, []);
  });

  it('integer settings are read within their declared range, with the declared default otherwise', () => {
    const schema = settingsSchema(pkg);
    for (const [key, s] of Object.entries(schema)) {
      if (s.type !== 'integer') continue;
      assert.strictEqual(wholeNumber(s, undefined), s.default, `${key}: default`);
      assert.strictEqual(wholeNumber(s, 'x'), s.default, `${key}: a string`);
      if (s.minimum !== undefined) assert.strictEqual(wholeNumber(s, s.minimum - 1000), s.minimum, `${key}: minimum`);
      if (s.maximum !== undefined) assert.strictEqual(wholeNumber(s, s.maximum + 1000), s.maximum, `${key}: maximum`);
      assert.ok(s.minimum === undefined || (s.default as number) >= s.minimum, `${key}: the default is in range`);
    }
  });

  it('the timeouts are read within their declared range (connectSeconds: 0 is not "no limit", its minimum is 1), fractions kept, the default otherwise', () => {
    const schema = settingsSchema(pkg);
    const keys = Object.keys(schema).filter((k) => k.startsWith('ollamaAssistant.timeouts.'));
    assert.deepStrictEqual(keys.sort(), ['ollamaAssistant.timeouts.connectSeconds', 'ollamaAssistant.timeouts.firstByteSeconds', 'ollamaAssistant.timeouts.idleSeconds']);
    for (const key of keys) {
      const s = schema[key]!;
      assert.strictEqual(s.type, 'number', key);
      assert.ok(typeof s.minimum === 'number' && typeof s.maximum === 'number', `${key}: declares its range`);
      assert.strictEqual(seconds(s, undefined), s.default, `${key}: default`);
      assert.strictEqual(seconds(s, '5'), s.default, `${key}: a string`);
      assert.strictEqual(seconds(s, NaN), s.default, `${key}: NaN`);
      assert.strictEqual(seconds(s, -5), s.minimum, `${key}: negative`);
      assert.strictEqual(seconds(s, 0), s.minimum, `${key}: 0`);
      assert.strictEqual(seconds(s, s.maximum! + 1), s.maximum, `${key}: above the maximum`);
      assert.strictEqual(seconds(s, 2.5), 2.5, `${key}: a fraction`);
    }
    assert.strictEqual(seconds(schema['ollamaAssistant.timeouts.connectSeconds']!, 0), 1, 'a connect timeout cannot be switched off');
    assert.strictEqual(seconds(schema['ollamaAssistant.timeouts.idleSeconds']!, 0), 0, 'idle: 0 = no limit, as declared');
  });
});
