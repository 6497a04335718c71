// Cross-file context for inline completion (issue 16 §1): the symbols picked around the cursor, the
// recent-range tracker, the gathering (budget, priority, time limit, stale answers, stable order,
// secrets), the repository-level prompt formats and the comment fallback, the request built with
// them, the prefix window snapped to line steps, the empty-result reasons, and the engine carrying
// the context to the server and saying what became of each request.
import * as assert from 'assert';
import {
  CompletionEngine, CrossFileContext, RecentRangeTracker, asComment, blankStringsAndComments, buildFimRequest, buildRepoPrompt,
  collectShaped, commentContext, commentSyntax, computeWindows, contextFormatFor, importLineRanges, isSecretPath, stringAccessor,
  symbolsNearCursor, type CompletionOutcome, type ContextQuery, type DefinitionResolver, type DefinitionSite, type EngineSettings,
  type RecentRange, type ShowInfo, type SymbolRef,
} from '../../src/core/fim';
import { OllamaBackend } from '../../src/core/llm/backend';
import { OllamaClient } from '../../src/core/ollama/client';
import { OllamaTestServer } from '../support/ollamaServer';

const QWEN_TEMPLATE = '{{- if .Suffix }}<|fim_prefix|>{{ .Prompt }}<|fim_suffix|>{{ .Suffix }}<|fim_middle|>\n{{- else }}{{ .Prompt }}{{ end }}';
const qwenShow: ShowInfo = { capabilities: ['completion', 'insert'], template: QWEN_TEMPLATE, details: { family: 'qwen2' } };
const codellamaShow: ShowInfo = { capabilities: ['completion'], template: '{{ .Prompt }}', details: { family: 'llama' } };

async function* chunks(...xs: string[]): AsyncGenerator<string> { for (const x of xs) yield x; }

describe('symbols near the cursor', () => {
  const doc = [
    "import { addTax, roundCents } from './money';",
    "import { formatPrice } from './format';",
    '',
    'export function total(items: Item[]): number {',
    '  // sum the prices with addTaxLater',
    '  const sum = items.reduce((a, i) => a + i.price, 0);',
    "  const label = 'roundCents';",
    '  return ',
  ].join('\n');

  it('cursor line first, then imported-but-unused names, then the lines around; keywords, comments and strings never count', () => {
    const src = { head: '', prefix: doc, prefixStart: 0, suffix: '\n}\n', language: 'typescript' };
    const got = symbolsNearCursor(src);
    const names = got.map((s) => s.name);
    // Cursor line: `return` is a keyword; nothing else on it.
    assert.deepStrictEqual(got.filter((s) => s.rank === 0), []);
    // Imported but unused in the window (the call the user is about to write), the last import first.
    assert.deepStrictEqual(got.filter((s) => s.rank === 1).map((s) => s.name), ['formatPrice', 'roundCents', 'addTax']);
    // Nothing from the comment ("addTaxLater", "sum", "prices") or the string ('roundCents' counts only as an import).
    assert.ok(!names.includes('addTaxLater') && !names.includes('prices'), names.join(','));
    for (const k of ['return', 'const', 'export', 'function', 'number', 'import', 'from']) assert.ok(!names.includes(k), k);
    // Each name once, at the offset of the occurrence it was picked for.
    assert.strictEqual(new Set(names).size, names.length);
    const addTax = got.find((s) => s.name === 'addTax')!;
    assert.strictEqual(doc.slice(addTax.offset, addTax.offset + 6), 'addTax');
  });

  it('the identifiers on the cursor line come first, nearest first; the word being typed is left out', () => {
    const prefix = 'const x = formatPrice(total(items), curr';
    const got = symbolsNearCursor({ head: '', prefix, prefixStart: 100, suffix: ');\n' });
    assert.deepStrictEqual(got.filter((s) => s.rank === 0).map((s) => s.name), ['items', 'total', 'formatPrice']);
    assert.ok(!got.some((s) => s.name === 'curr'));
    assert.strictEqual(got.find((s) => s.name === 'total')!.offset, 100 + prefix.indexOf('total'));
  });

  it('imports in the head (before the prefix window) count, with their document offsets; max caps the list', () => {
    const head = "import { far } from './far';\n";
    const got = symbolsNearCursor({ head, prefix: 'far2(a1, b2, c3, d4, e5)', prefixStart: 5000, suffix: '' }, { max: 3 });
    assert.strictEqual(got.length, 3);
    const all = symbolsNearCursor({ head, prefix: 'x = ', prefixStart: 5000, suffix: '' });
    assert.deepStrictEqual(all.map((s) => [s.name, s.offset, s.rank]), [['far', head.indexOf('far'), 1]]);
  });

  it('import statements of other languages are found (Python, Go lists, Rust, C#, C)', () => {
    const text = 'from pkg.mod import helper, other\nimport (\n  "fmt"\n  util "x/util"\n)\nuse crate::thing::Widget;\nusing System.Text;\n#include "vec.h"\nx = 1\n';
    const ranges = importLineRanges(text).map(([a, b]) => text.slice(a, b));
    assert.deepStrictEqual(ranges, ['from pkg.mod import helper, other', 'import (', '  "fmt"', '  util "x/util"', ')', 'use crate::thing::Widget;', 'using System.Text;', '#include "vec.h"']);
    assert.ok(symbolsNearCursor({ head: '', prefix: text, prefixStart: 0, suffix: '', language: 'python' }).some((s) => s.name === 'helper'));
  });

  it('blanking keeps offsets and line breaks; # is a comment only where the language says so', () => {
    const t = "a = 'x y' # note\nb = `multi\nline` // c\n";
    const js = blankStringsAndComments(t, false);
    assert.strictEqual(js.length, t.length);
    assert.strictEqual(js.split('\n').length, t.split('\n').length);
    assert.ok(!/x y|multi|line| c/.test(js));
    assert.ok(js.includes('# note'));
    assert.ok(!blankStringsAndComments(t, true).includes('note'));
  });
});

describe('recent ranges', () => {
  it('keeps newest first, merges a note inside a range, caps files and ranges per file, never offers the excluded file', () => {
    let t = 0;
    const r = new RecentRangeTracker({ maxFiles: 2, perFile: 2, editedRadius: 2, visitedRadius: 5, now: () => ++t });
    r.note('visited', 'a', 'a.ts', 50, 100);
    r.note('visited', 'a', 'a.ts', 52, 100); // inside the first: moves it, no new range
    assert.deepStrictEqual(r.list().map((e) => [e.uri, e.startLine, e.endLine]), [['a', 47, 57]]);
    r.note('edited', 'a', 'a.ts', 0, 3);
    assert.deepStrictEqual(r.list()[0], { uri: 'a', path: 'a.ts', kind: 'edited', startLine: 0, endLine: 2, at: 3 });
    r.note('visited', 'a', 'a.ts', 10, 100);
    r.note('visited', 'a', 'a.ts', 90, 100); // third visited range of a: the oldest goes
    assert.deepStrictEqual(r.list().filter((e) => e.kind === 'visited').map((e) => e.startLine), [85, 5]);
    r.note('visited', 'b', 'b.ts', 1, 10);
    r.note('visited', 'c', 'c.ts', 1, 10); // third file: the least recent (a) goes
    assert.deepStrictEqual([...new Set(r.list().map((e) => e.uri))], ['c', 'b']);
    assert.deepStrictEqual(r.list('c').map((e) => e.uri), ['b']);
    const ranges = r.ranges('x', (uri) => (uri === 'b' ? 'text of b' : undefined));
    assert.deepStrictEqual(ranges.map((x) => [x.uri, x.text]), [['b', 'text of b']]);
    r.forget('b');
    assert.deepStrictEqual(r.list().map((e) => e.uri), ['c']);
  });
});

/** A resolver over fixed answers, with controllable delays and a log of what was asked. */
class FakeResolver implements DefinitionResolver {
  asked: string[] = [];
  pending: Array<() => void> = [];
  constructor(private readonly answers: Record<string, DefinitionSite[] | Error>, private readonly hold = new Set<string>()) {}
  definitions(doc: { uri: string; version: number }, sym: SymbolRef): Promise<DefinitionSite[]> {
    this.asked.push(`${sym.name}@${doc.version}`);
    const a = this.answers[sym.name] ?? [];
    const settle = (): Promise<DefinitionSite[]> => (a instanceof Error ? Promise.reject(a) : Promise.resolve(a));
    if (!this.hold.has(sym.name)) return settle();
    return new Promise((resolve, reject) => this.pending.push(() => { settle().then(resolve, reject); }));
  }
  release(): void { for (const p of this.pending.splice(0)) p(); }
}

const site = (path: string, text: string, startLine = 0, extra: Partial<DefinitionSite> = {}): DefinitionSite => ({
  uri: `file:///ws/${path}`, path, startLine, endLine: startLine + text.split('\n').length - 1, text, ...extra,
});

function query(prefix: string, version = 1, extra: Partial<ContextQuery> = {}): ContextQuery {
  return { uri: 'file:///ws/main.ts', version, path: 'main.ts', repo: 'ws', head: '', prefix, prefixStart: 0, suffix: '\n', windowLines: [0, 10], language: 'typescript', ...extra };
}

/** Timers the test fires by hand: the time limit passes when the test says so. */
function manualTimers() {
  const due: Array<{ fn: () => void; cleared: boolean }> = [];
  return {
    setTimeout: (fn: () => void) => { const h = { fn, cleared: false }; due.push(h); return h; },
    clearTimeout: (h: unknown) => { (h as { cleared: boolean }).cleared = true; },
    fire: () => { for (const h of due.splice(0)) if (!h.cleared) h.fn(); },
  };
}

describe('cross-file context: gathering', () => {
  const addTax = site('money.ts', 'export function addTax(price: number, rate: number): number {\n  return price * (1 + rate);\n}', 3);
  const fmt = site('format.ts', 'export function formatPrice(p: number): string {\n  return p.toFixed(2);\n}');

  it('definitions of the symbols at the cursor go in, highest priority first, then recent edits, then views', async () => {
    const resolver = new FakeResolver({ addTax: [addTax], formatPrice: [fmt] });
    const recent = { recent: (): RecentRange[] => [
      { uri: 'file:///ws/v.ts', path: 'v.ts', kind: 'visited', startLine: 0, endLine: 0, at: 2, text: 'const viewed = 1;' },
      { uri: 'file:///ws/e.ts', path: 'e.ts', kind: 'edited', startLine: 0, endLine: 0, at: 1, text: 'const edited = 2;' },
    ] };
    const c = new CrossFileContext({ resolver, recent });
    const r = await c.gather(query('const t = formatPrice(addTax(p, '), { budgetTokens: 1000 });
    assert.deepStrictEqual(r.snippets.map((s) => [s.kind, s.path, s.symbol]), [
      ['definition', 'money.ts', 'addTax'], ['definition', 'format.ts', 'formatPrice'], ['edited', 'e.ts', undefined], ['visited', 'v.ts', undefined],
    ]);
    assert.strictEqual(r.snippets[0]!.text, addTax.text);
    assert.strictEqual(r.tokens, r.snippets.reduce((a, s) => a + s.tokens, 0));
    assert.strictEqual(r.timedOut, false);
  });

  it('stays within the budget (greedy in priority order; a snippet that does not fit is skipped, a smaller one after it still goes in)', async () => {
    const big = site('big.ts', Array.from({ length: 30 }, (_, i) => `export const value${i} = ${i} * 1234567;`).join('\n'));
    const resolver = new FakeResolver({ bigThing: [big], addTax: [addTax] });
    const c = new CrossFileContext({ resolver });
    const r = await c.gather(query('bigThing(addTax('), { budgetTokens: 60 });
    assert.deepStrictEqual(r.snippets.map((s) => s.symbol), ['addTax']);
    assert.ok(r.tokens <= 60, String(r.tokens));
    assert.strictEqual(r.stats.overBudget, 1);
    assert.deepStrictEqual((await c.gather(query('x'), { budgetTokens: 0 })).snippets, []);
  });

  it('leaves out external (library) declarations, same-file ones already in the window, secret files, and what the window already shows', async () => {
    const resolver = new FakeResolver({
      lib: [site('node_modules/x/index.d.ts', 'declare function lib(): void;', 0, { external: true })],
      near: [{ ...site('main.ts', 'function near() {}', 5), uri: 'file:///ws/main.ts' }],
      secret: [site('config/.env', 'API_KEY=abc')],
      shown: [site('other.ts', 'const shown = 1;')],
      far: [{ ...site('main.ts', 'function far() {}', 400), uri: 'file:///ws/main.ts' }],
    });
    const c = new CrossFileContext({ resolver });
    const r = await c.gather(query('lib(); near(); secret(); far(); const shown = 1;\nshown('), { budgetTokens: 1000 });
    assert.deepStrictEqual(r.snippets.map((s) => s.symbol), ['far']);
    assert.ok(isSecretPath('a/b/.env.local') && isSecretPath('id_rsa') && isSecretPath('C:\\x\\server.KEY') && isSecretPath('secrets.yaml'));
    assert.ok(!isSecretPath('src/env.ts') && !isSecretPath('keys.ts'));
  });

  it('a slow lookup does not hold the request past the time limit; its answer serves the next request (same version from the cache, a later version as stale)', async () => {
    const timers = manualTimers();
    const resolver = new FakeResolver({ addTax: [addTax], formatPrice: [fmt] }, new Set(['addTax']));
    const c = new CrossFileContext({ resolver, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout });
    const first = c.gather(query('formatPrice(addTax(', 1), { budgetTokens: 1000 });
    await new Promise((r) => setImmediate(r));
    timers.fire(); // the time limit passes while addTax is still being looked up
    const r1 = await first;
    assert.strictEqual(r1.timedOut, true);
    assert.deepStrictEqual(r1.snippets.map((s) => s.symbol), ['formatPrice']);
    assert.strictEqual(r1.stats.late, 1);
    resolver.release(); // the late answer arrives and is kept
    await new Promise((r) => setImmediate(r));
    const r2 = await c.gather(query('formatPrice(addTax(', 1), { budgetTokens: 1000 });
    assert.strictEqual(r2.stats.cached, 2);
    assert.deepStrictEqual(new Set(r2.snippets.map((s) => s.symbol)), new Set(['formatPrice', 'addTax']));
    assert.deepStrictEqual(resolver.asked, ['addTax@1', 'formatPrice@1'], 'version 1 is asked once per name, nearest first');
    // A new version: asked again; while that lookup is slow, the earlier version's answer stands in.
    const third = c.gather(query('formatPrice(addTax(', 2), { budgetTokens: 1000 });
    await new Promise((r) => setImmediate(r));
    timers.fire();
    const r3 = await third;
    assert.strictEqual(r3.stats.stale, 1);
    assert.ok(r3.snippets.some((s) => s.symbol === 'addTax'));
  });

  it('a failing resolver costs the symbol its definition, never the request; the failure is not cached', async () => {
    const resolver = new FakeResolver({ addTax: new Error('provider crashed'), formatPrice: [fmt] });
    const c = new CrossFileContext({ resolver });
    const r = await c.gather(query('formatPrice(addTax('), { budgetTokens: 1000 });
    assert.deepStrictEqual(r.snippets.map((s) => s.symbol), ['formatPrice']);
    await c.gather(query('formatPrice(addTax('), { budgetTokens: 1000 });
    assert.strictEqual(resolver.asked.filter((a) => a.startsWith('addTax')).length, 2);
  });

  it('rejects when the request is cancelled', async () => {
    const resolver = new FakeResolver({ addTax: [addTax] }, new Set(['addTax']));
    const c = new CrossFileContext({ resolver });
    const ac = new AbortController();
    const p = c.gather(query('addTax('), { budgetTokens: 1000, signal: ac.signal });
    ac.abort(new Error('cancelled'));
    await assert.rejects(p, /cancelled/);
  });

  it('keeps the order of the snippets from one request to the next: old ones keep their place, new ones are appended', async () => {
    const a = site('a.ts', 'export function alpha() {}');
    const b = site('b.ts', 'export function beta() {}');
    const g = site('g.ts', 'export function gamma() {}');
    const c = new CrossFileContext({ resolver: new FakeResolver({ alpha: [a], beta: [b], gamma: [g] }) });
    const first = await c.gather(query('beta(); alpha('), { budgetTokens: 1000 });
    assert.deepStrictEqual(first.snippets.map((s) => s.symbol), ['alpha', 'beta']);
    // Now beta is on the cursor line (higher priority), gamma is new: the order stays, gamma goes last.
    const second = await c.gather(query('alpha(); gamma(beta(', 2), { budgetTokens: 1000 });
    assert.deepStrictEqual(second.snippets.map((s) => s.symbol), ['alpha', 'beta', 'gamma']);
    // alpha stops being a candidate: the others keep their relative order.
    const third = await c.gather(query('gamma(beta(', 3), { budgetTokens: 1000 });
    assert.deepStrictEqual(third.snippets.map((s) => s.symbol), ['beta', 'gamma']);
  });

  it('a snippet the last prompt carried keeps its budget: a new, higher-ranked one waits instead of squeezing it out of the cached prompt', async () => {
    const body = (name: string) => `export function ${name}() {\n${'  work();\n'.repeat(6)}}`;
    const resolver = new FakeResolver({ alpha: [site('a.ts', body('alpha'))], beta: [site('b.ts', body('beta'))] });
    const c = new CrossFileContext({ resolver });
    const one = (await c.gather(query('x;\nalpha('), { budgetTokens: 1000 })).snippets[0]!;
    const budget = one.tokens + 5; // room for one snippet
    const first = await c.gather(query('x;\nalpha(', 1, { uri: 'file:///ws/other.ts' }), { budgetTokens: budget });
    assert.deepStrictEqual(first.snippets.map((s) => s.symbol), ['alpha']);
    // beta is now on the cursor line (ranked above alpha, which is still near): alpha stays.
    const second = await c.gather(query('alpha();\nbeta(', 2, { uri: 'file:///ws/other.ts' }), { budgetTokens: budget });
    assert.deepStrictEqual(second.snippets.map((s) => s.symbol), ['alpha']);
    assert.strictEqual(second.stats.overBudget, 1);
    // Once alpha is no longer around the cursor, beta takes its place.
    const third = await c.gather(query('\n\n\n\n\n\n\n\nbeta(', 3, { uri: 'file:///ws/other.ts' }), { budgetTokens: budget });
    assert.deepStrictEqual(third.snippets.map((s) => s.symbol), ['beta']);
  });
});

describe('cross-file context: prompt formats', () => {
  const ctx = { repo: 'shop', path: 'src/main.ts', language: 'typescript', snippets: [{ path: 'src/money.ts', text: 'export function addTax(p: number) {}' }] };

  it('Qwen2.5-Coder repository-level FIM layout, exactly as the official example', () => {
    assert.strictEqual(buildRepoPrompt('qwen-repo', ctx, 'const t = ', ';\n'),
      '<|repo_name|>shop\n<|file_sep|>src/money.ts\nexport function addTax(p: number) {}\n<|file_sep|>src/main.ts\n<|fim_prefix|>const t = <|fim_suffix|>;\n<|fim_middle|>');
  });

  it('StarCoder2: the current path inside the FIM prefix', () => {
    assert.strictEqual(buildRepoPrompt('starcoder2-repo', ctx, 'a', 'b'),
      '<repo_name>shop<file_sep>src/money.ts\nexport function addTax(p: number) {}\n<file_sep><fim_prefix>src/main.ts\na<fim_suffix>b<fim_middle>');
  });

  it('picks the format from the FIM family (and StarCoder2 by name); everything else gets comments', () => {
    assert.strictEqual(contextFormatFor('qwen2.5-coder:1.5b-base', 'qwen'), 'qwen-repo');
    assert.strictEqual(contextFormatFor('starcoder2:3b', 'starcoder'), 'starcoder2-repo');
    assert.strictEqual(contextFormatFor('starcoder:1b', 'starcoder'), 'comments');
    assert.strictEqual(contextFormatFor('codellama:7b-code', 'codellama'), 'comments');
    assert.strictEqual(contextFormatFor('mystery', undefined), 'comments');
  });

  it('comment fallback in the language comment syntax, path headers, then the current path', () => {
    assert.strictEqual(commentContext(ctx), '// Path: src/money.ts\n// export function addTax(p: number) {}\n\n// Path: src/main.ts\n');
    assert.strictEqual(commentContext({ ...ctx, language: 'python', snippets: [{ path: 'm.py', text: 'def f():\n\n    pass' }] }),
      '# Path: m.py\n# def f():\n#\n#     pass\n\n# Path: src/main.ts\n');
    assert.deepStrictEqual(commentSyntax('sql'), { line: '--' });
    assert.deepStrictEqual(commentSyntax('html'), { block: ['<!--', '-->'] });
    // A block comment's closer inside the text is broken so the comment cannot end early.
    assert.strictEqual(asComment('a --> b', { block: ['<!--', '-->'] }), '<!-- a -- > b -->');
    assert.strictEqual(commentContext({ ...ctx, snippets: [] }), '');
  });

  it('the request: Qwen gets the raw repository prompt with its stop tokens; a model without file tokens gets comments before the prefix', () => {
    const q = buildFimRequest('qwen2.5-coder:1.5b-base', qwenShow, 'const t = ', ';\n', { context: ctx });
    assert.ok(q.kind === 'ok');
    assert.strictEqual(q.mode, 'raw');
    assert.strictEqual(q.params.raw, true);
    assert.strictEqual(q.contextFormat, 'qwen-repo');
    assert.ok(q.params.prompt.startsWith('<|repo_name|>shop\n<|file_sep|>src/money.ts\n'));
    assert.ok(q.params.options!.stop!.includes('<|file_sep|>') && q.params.options!.stop!.includes('<|repo_name|>'));
    const l = buildFimRequest('codellama:7b-code', codellamaShow, 'const t = ', ';\n', { context: ctx });
    assert.ok(l.kind === 'ok');
    assert.strictEqual(l.contextFormat, 'comments');
    assert.strictEqual(l.params.prompt, '<PRE> // Path: src/money.ts\n// export function addTax(p: number) {}\n\n// Path: src/main.ts\nconst t =  <SUF>;\n <MID>');
    // Without snippets the request is what it always was (suffix mode for Qwen).
    const none = buildFimRequest('qwen2.5-coder:1.5b-base', qwenShow, 'a', 'b', { context: { ...ctx, snippets: [] } });
    assert.ok(none.kind === 'ok' && none.mode === 'suffix' && none.snippets === 0 && none.params.prompt === 'a');
  });

  it('a snippet holding the format\'s special tokens is left out (it would read as prompt structure)', () => {
    const bad = { ...ctx, snippets: [{ path: 'tool.ts', text: 'const T = "<|file_sep|>";' }, ctx.snippets[0]!] };
    const q = buildFimRequest('qwen2.5-coder:1.5b-base', qwenShow, 'x', 'y', { context: bad });
    assert.ok(q.kind === 'ok' && q.snippets === 1 && !q.params.prompt.includes('tool.ts'));
  });
});

describe('prefix window in line steps (prompt-cache stability)', () => {
  it('the window start snaps down to a multiple of the step and stays put while the cursor moves within it', () => {
    const doc = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n');
    const acc = stringAccessor(doc);
    const at = (line: number) => acc.lineStart!(line) + 3;
    const opts = { prefixMaxLines: 40, prefixStepLines: 16 };
    const starts = [100, 101, 102, 110].map((l) => acc.lineAt!(computeWindows(acc, at(l), opts).prefixStart));
    assert.deepStrictEqual(starts, [64, 64, 64, 80]);
    // Off: the window slides with each line.
    assert.deepStrictEqual([100, 101].map((l) => acc.lineAt!(computeWindows(acc, at(l), { prefixMaxLines: 40 }).prefixStart)), [61, 62]);
    // At the top of the document nothing is cut.
    assert.strictEqual(computeWindows(acc, at(10), opts).prefixStart, 0);
  });
});

describe('empty completions say why', () => {
  const ctx = { prefix: 'const a = ', suffix: '\nfoo();\n', maxLines: 5 };
  it('nothing / whitespace / a shaping rule', async () => {
    assert.strictEqual((await collectShaped(chunks(), ctx)).empty, 'nothing');
    assert.strictEqual((await collectShaped(chunks('  ', '\n'), ctx)).empty, 'whitespace');
    const rep = await collectShaped(chunks('foo();\n'), { prefix: 'const a = 1;\n', suffix: 'foo();\n', maxLines: 5 });
    assert.strictEqual(rep.text, '');
    assert.strictEqual(rep.empty, 'suffix-repeat');
    const ok = await collectShaped(chunks('1;'), ctx);
    assert.strictEqual(ok.text, '1;');
    assert.strictEqual(ok.empty, undefined);
  });
});

describe('completion engine with cross-file context (protocol test server)', function () {
  this.timeout(20000);
  let server: OllamaTestServer;
  let client: OllamaClient;
  before(async () => {
    server = await OllamaTestServer.start({ reply: (req) => ((req.body as { prompt?: string }).prompt?.includes('export function addTax') ? 'addTax(price, 0.2);' : '') });
    client = new OllamaClient({ host: server.url });
  });
  after(async () => { await client.close(); await server.close(); });
  beforeEach(() => server.reset());

  const money = site('money.ts', 'export function addTax(price: number, rate: number): number {\n  return price * (1 + rate);\n}');

  function engineWith(settings: Partial<EngineSettings>, outcomes: CompletionOutcome[], debug: string[]) {
    const backend = new OllamaBackend(client);
    return new CompletionEngine({
      backend: async () => backend,
      settings: () => ({ model: 'qwen2.5-coder:1.5b', debounceMs: 0, maxLines: 5, numPredict: 32, contextTokens: 512, ...settings }),
      context: new CrossFileContext({ resolver: new FakeResolver({ addTax: [money] }) }),
      onOutcome: (o) => outcomes.push(o),
      log: { debug: (m: string) => { debug.push(m); }, info: () => undefined },
    });
  }

  it('the definition from another file reaches the FIM request (Qwen repository-level prompt), and the outcome and debug log say so', async () => {
    const outcomes: CompletionOutcome[] = [];
    const debug: string[] = [];
    const engine = engineWith({}, outcomes, debug);
    const prefix = "import { addTax } from './money';\nconst total = ";
    const r = await engine.complete({
      doc: 'file:///ws/main.ts', prefix, suffix: '\n', language: 'typescript', manual: true,
      context: () => ({ uri: 'file:///ws/main.ts', version: 1, path: 'main.ts', repo: 'shop', head: '', prefixStart: 0, windowLines: [0, 2] }),
    });
    assert.ok(r.kind === 'completion', JSON.stringify(r));
    assert.strictEqual(r.text, 'addTax(price, 0.2);');
    assert.strictEqual(r.context?.snippets, 1);
    const gen = server.requests.find((q) => q.path === '/api/generate')!;
    const body = gen.body as { prompt: string; raw?: boolean; suffix?: string };
    assert.strictEqual(body.raw, true);
    assert.strictEqual(body.suffix, undefined);
    assert.strictEqual(body.prompt, `<|repo_name|>shop\n<|file_sep|>money.ts\n${money.text}\n<|file_sep|>main.ts\n<|fim_prefix|>${prefix}<|fim_suffix|>\n<|fim_middle|>`);
    const last = outcomes[outcomes.length - 1]!;
    assert.strictEqual(last.kind, 'shown');
    assert.ok(last.kind === 'shown' && last.context?.sources[0]?.path === 'money.ts');
    assert.ok(debug.some((d) => /request to http:\/\/127\.0\.0\.1:\d+: raw qwen, context 1 snippet\(s\) as qwen-repo/.test(d)), debug.join('\n'));
    assert.ok(debug.some((d) => /completion #\d+ shown: 1 line\(s\).*context 1 snippet\(s\), \d+ tokens in \d+ ms.*total \d+ ms/.test(d)), debug.join('\n'));
  });

  it('context off (0 tokens): the request is the plain suffix-mode one; an empty answer is reported with its reason', async () => {
    const outcomes: CompletionOutcome[] = [];
    const engine = engineWith({ contextTokens: 0 }, outcomes, []);
    const prefix = "import { addTax } from './money';\nconst total = ";
    const r = await engine.complete({
      doc: 'file:///ws/main.ts', prefix, suffix: '\n', language: 'typescript', manual: true,
      context: () => ({ uri: 'file:///ws/main.ts', version: 1, path: 'main.ts', repo: 'shop', head: '', prefixStart: 0, windowLines: [0, 2] }),
    });
    assert.ok(r.kind === 'completion');
    assert.strictEqual(r.text, '');
    assert.strictEqual(r.empty, 'nothing');
    const body = server.requests.find((q) => q.path === '/api/generate')!.body as { prompt: string; suffix?: string };
    assert.strictEqual(body.prompt, prefix);
    assert.strictEqual(body.suffix, '\n');
    assert.deepStrictEqual(outcomes.map((o) => o.kind === 'empty' && o.reason), ['nothing']);
  });

  it('num_ctx caps the context budget at a quarter of it', async () => {
    const big = site('big.ts', Array.from({ length: 40 }, (_, i) => `export const v${i} = ${i};`).join('\n'));
    const backend = new OllamaBackend(client);
    const seen: number[] = [];
    const engine = new CompletionEngine({
      backend: async () => backend,
      settings: () => ({ model: 'qwen2.5-coder:1.5b', debounceMs: 0, maxLines: 5, numPredict: 8, contextTokens: 4096, numCtx: 400 }),
      context: { gather: async (q, o) => { seen.push(o.budgetTokens); return new CrossFileContext({ resolver: new FakeResolver({ bigOne: [big] }) }).gather(q, o); } },
    });
    await engine.complete({
      doc: 'd', prefix: 'bigOne(', suffix: '', manual: true,
      context: () => ({ uri: 'd', version: 1, path: 'd.ts', repo: 'r', head: '', prefixStart: 0, windowLines: [0, 0] }),
    });
    assert.deepStrictEqual(seen, [100]);
  });
});
