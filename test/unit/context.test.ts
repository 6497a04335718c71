// Workspace context (issue 15), the pure parts: code terms, chunking at natural boundaries,
// .gitignore rules as git applies them, exclude globs, the BM25 keyword index, rank fusion, the
// embedder against the protocol test server (batches, truncate:false splitting, prefixes), the
// vector store's file format, and the workspace index over an in-memory source (incremental
// updates, caps, embeddings keyed by content hash + model + dimension).
import * as assert from 'assert';
import { chunkText } from '../../src/core/context/chunk';
import { Embedder, embeddingPrefixes, halves } from '../../src/core/context/embed';
import { decodeIfText } from '../../src/core/text/encoding';
import { enabledGlobs, excludeMatcher, expandBraces, IgnoreRules, joinGlobs, looksGenerated, prunableGlobs, skippedByName } from '../../src/core/context/files';
import { KeywordIndex } from '../../src/core/context/keywordIndex';
import { fitSnippets, folderSummary, formatProblems, mentionsWorkspace, withoutWorkspaceMention } from '../../src/core/context/mention';
import { fuseRanks } from '../../src/core/context/rank';
import { TimeSlicer } from '../../src/core/context/slicer';
import { codeTerms, queryTerms } from '../../src/core/context/tokenize';
import { contentHash, normalize, VectorStore } from '../../src/core/context/vectors';
import * as path from 'node:path';
import { chunkInSlices, LocalKeywordEngine, SEGMENT_CHARS, type KeywordEngine } from '../../src/core/context/engine';
import { EngineStoppedError, WorkerKeywordEngine } from '../../src/core/context/engineWorker';
import { WorkspaceIndex, type IndexSource, type SourceFile } from '../../src/core/context/workspaceIndex';
import { ResponseError } from '../../src/core/http/errors';
import { OllamaClient } from '../../src/core/ollama/client';
import { OllamaTestServer } from '../support/ollamaServer';

describe('context: code terms', () => {
  it('keeps identifiers whole and splits them into words (camelCase, snake_case, acronyms, digits)', () => {
    assert.deepStrictEqual(codeTerms('getHTTPResponse_code'), ['gethttpresponse_code', 'get', 'http', 'response', 'code']);
    assert.deepStrictEqual(codeTerms('XMLHttpRequest'), ['xmlhttprequest', 'xml', 'http', 'request']);
    assert.deepStrictEqual(codeTerms('parseV2Json'), ['parsev2json', 'parse', 'v2', 'json']);
    assert.deepStrictEqual(codeTerms('a plain sentence'), ['plain', 'sentence']);
  });
  it('cuts Chinese into words and drops data-like terms', () => {
    const t = codeTerms('计算两个日期之间的工作日 addBusinessDays');
    assert.ok(t.includes('日期'), t.join(','));
    assert.ok(t.includes('addbusinessdays') && t.includes('business'));
    assert.deepStrictEqual(codeTerms('x'.repeat(60)), []);
    // A Latin word inside a CJK run (date-fns' locale files have them): the recursion for it once
    // reset the outer loop, which then never ended.
    assert.deepStrictEqual(codeTerms('日本語formatDistance中文 next'), ['日本語', 'formatdistance', 'format', 'distance', '中文', 'next']);
  });
  it('questions lose their function words, each term once', () => {
    assert.deepStrictEqual(queryTerms('Which file defines the function that adds business days?'), ['adds', 'business', 'days']);
  });
});

describe('context: chunks', () => {
  const ts = (n: number) => Array.from({ length: n }, (_, i) => `/** Doc of f${i}. */\nexport function f${i}(a: number): number {\n${'  a = a + 1; // step\n'.repeat(20)}  return a;\n}\n`).join('\n');
  it('cuts at declarations, keeps doc comments with them, covers every line once', () => {
    const text = ts(6);
    const chunks = chunkText('a.ts', text);
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
    const lines = text.split('\n');
    let next = 1;
    for (const c of chunks) {
      assert.ok(c.startLine >= next, 'in order, no overlap');
      for (let l = next; l < c.startLine; l++) assert.strictEqual(lines[l - 1]!.trim(), '', `line ${l} left out`);
      assert.ok(c.tokens <= 400, `chunk of ${c.tokens} tokens`);
      next = c.endLine + 1;
    }
    for (const c of chunks) {
      assert.ok(/^\/\*\* Doc of f\d+/.test(c.text), `a chunk starts at a doc comment: ${c.text.slice(0, 40)}`);
      const m = /f(\d+)/.exec(c.text)!;
      assert.ok(c.symbols.includes(`f${m[1]}`), JSON.stringify(c.symbols));
    }
  });
  it('Markdown cuts at headings; a minified line is cut in pieces; blank files give nothing', () => {
    const md = `# Title\n\n${'Some prose here. '.repeat(80)}\n\n## Install\n\n${'More words. '.repeat(80)}\n`;
    const c = chunkText('README.md', md);
    assert.ok(c.some((x) => x.text.startsWith('## Install')), c.map((x) => x.text.slice(0, 20)).join('|'));
    assert.ok(c.find((x) => x.text.startsWith('## Install'))!.symbols.includes('Install'));
    const long = chunkText('min.js', 'var a=1;'.repeat(3000));
    assert.ok(long.length > 1 && long.every((x) => x.startLine === 1 && x.tokens <= 400));
    assert.strictEqual(long.map((x) => x.text).join(''), 'var a=1;'.repeat(3000));
    assert.deepStrictEqual(chunkText('e.ts', '\n\n  \n'), []);
  });
  it('a large file is chunked in segments with a checkpoint between them, line numbers kept', async () => {
    const text = ts(200);
    assert.ok(text.length > SEGMENT_CHARS * 3);
    let checkpoints = 0;
    const slicer = { checkpoint: async () => { checkpoints++; } } as unknown as TimeSlicer;
    const chunks = await chunkInSlices('big.ts', text, undefined, slicer);
    assert.ok(checkpoints >= 3, `${checkpoints} checkpoints`);
    const lines = text.split('\n');
    for (const c of chunks) assert.strictEqual(c.text, lines.slice(c.startLine - 1, c.endLine).join('\n'), `lines ${c.startLine}-${c.endLine}`);
    assert.strictEqual(chunks.at(-1)!.endLine, lines.length - 1);
  });
  it('segments keep line numbers for every line ending: LF, CRLF, CR only, and a lone CR among LFs', async () => {
    const lf = ts(120);
    const variants: Array<[string, string]> = [
      ['LF', lf],
      ['CRLF', lf.replace(/\n/g, '\r\n')],
      ['CR', lf.replace(/\n/g, '\r')],
      ['lone CR', lf.replace('\n', '\r')],
      // No blank line for a long stretch: segments are cut at a single CR.
      ['CR, no blank lines', lf.replace(/\n\n/g, '\n').replace(/\n/g, '\r')],
    ];
    for (const [name, text] of variants) {
      assert.ok(text.length > SEGMENT_CHARS * 2, name);
      const lines = text.split(/\r\n|\r|\n/);
      for (const c of await chunkInSlices('big.ts', text, undefined, undefined)) {
        assert.strictEqual(c.text.split(/\r\n|\r|\n/).join('\n'), lines.slice(c.startLine - 1, c.endLine).join('\n'), `${name}: lines ${c.startLine}-${c.endLine}`);
      }
    }
  });
  it('finds declarations of Python, Go, Rust and C, not control flow', () => {
    const src = ['def load_config(path):', '    return 1', '', 'func ServeHTTP(w http.ResponseWriter) {', '}', '', 'pub fn parse_args() -> Args {', '}', '', 'static int count_lines(const char *s) {', '  if (x) {', '  return foo(1);', '}'].join('\n');
    const names = chunkText('x.txt.c', src, { minTokens: 1, targetTokens: 1 }).flatMap((c) => c.symbols);
    for (const n of ['load_config', 'ServeHTTP', 'parse_args', 'count_lines']) assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
    assert.ok(!names.includes('if') && !names.includes('foo'));
  });
});

describe('context: mentions', () => {
  it('@workspace is a word of its own, and the question is searched without it', () => {
    for (const t of ['@workspace where is x', 'where is x @workspace', 'hi @Workspace, where?']) assert.ok(mentionsWorkspace(t), t);
    for (const t of ['me@workspace.com', '@workspaces', 'workspace']) assert.ok(!mentionsWorkspace(t), t);
    assert.strictEqual(withoutWorkspaceMention('@workspace  which file adds days?'), 'which file adds days?');
  });
  it('a folder summary lists files shallowest first and stops at its budgets', () => {
    const entries = [{ path: 'b/deep.ts', text: 'deep\n' }, { path: 'a.ts', text: Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n') }, { path: 'img.png' }];
    const s = folderSummary(entries, { linesPerFile: 3 });
    assert.ok(s.text.startsWith('Files (3):\n- a.ts\n- img.png\n- b/deep.ts'), s.text);
    assert.ok(s.text.includes('== a.ts (start) ==\nline 0\nline 1\nline 2\n'));
    assert.ok(s.truncated);
    const many = folderSummary(Array.from({ length: 300 }, (_, i) => ({ path: `f${i}.ts` })), { maxEntries: 10 });
    assert.ok(many.text.includes('- … and 290 more') && many.truncated);
    const small = folderSummary([{ path: 'x.ts', text: 'ab' }], { budgetChars: 1 });
    assert.ok(small.text.endsWith('== x.ts (start) ==\na') && small.truncated);
  });
  it('problems one per line, errors first, then by file and line', () => {
    const f = formatProblems([
      { path: 'b.ts', line: 3, column: 1, severity: 'warning', message: 'unused', source: 'eslint', code: 'no-unused' },
      { path: 'b.ts', line: 1, column: 5, severity: 'error', message: 'bad\n  type', source: 'ts', code: '2322' },
      { path: 'a.ts', line: 9, column: 2, severity: 'error', message: 'oops' },
    ]);
    assert.strictEqual(f.text, 'a.ts:9:2 error: oops\nb.ts:1:5 error 2322: bad type (ts)\nb.ts:3:1 warning no-unused: unused (eslint)');
    assert.strictEqual(formatProblems([]).text, 'No problems reported.');
    assert.ok(formatProblems(Array.from({ length: 5 }, (_, i) => ({ path: 'a', line: i, column: 1, severity: 'hint' as const, message: 'm' })), 2).text.endsWith('… and 3 more'));
  });
  it('snippets are fitted best first into the room left', () => {
    assert.deepStrictEqual(fitSnippets([{ tokens: 50 }, { tokens: 80 }, { tokens: 30 }], 100), [{ tokens: 50 }, { tokens: 30 }]);
    assert.deepStrictEqual(fitSnippets([{ tokens: 5 }], 0), []);
  });
});

describe('context: which files are searched', () => {
  it('applies nested .gitignore files as git does (negation, anchoring, ignored parent directories)', () => {
    const r = new IgnoreRules();
    r.add('', 'node_modules/\n*.log\n/build\ndist\n!keep.log\n');
    r.add('pkg', '*.tmp\n!important.tmp\n/local\n');
    assert.ok(r.ignores('node_modules/x/index.js'));
    assert.ok(r.ignores('a/node_modules', true));
    assert.ok(r.ignores('err.log') && !r.ignores('keep.log'));
    assert.ok(r.ignores('build/out.js') && !r.ignores('src/build/out.js'), '/build is anchored to the root');
    assert.ok(r.ignores('src/dist/a.js'), 'an unanchored name matches at any depth');
    assert.ok(r.ignores('pkg/a.tmp') && !r.ignores('pkg/important.tmp') && !r.ignores('a.tmp'));
    assert.ok(r.ignores('pkg/local/x.ts') && !r.ignores('local/x.ts'), "anchored to the .gitignore's own directory");
    assert.ok(r.ignores('.git/config') && r.ignores('sub/.git/HEAD'));
    // Case: as git's core.ignorecase on this platform (false on Linux).
    assert.strictEqual(r.ignores('Node_Modules/x.js'), process.platform === 'win32' || process.platform === 'darwin');
    const deeper = new IgnoreRules();
    deeper.add('', 'logs/\n');
    deeper.add('logs', '!keep.txt\n');
    assert.ok(deeper.ignores('logs/keep.txt'), 'a file in an ignored directory stays ignored (git does not look inside)');
  });
  it('matches new files against the exclude globs as VS Code does: the path or a folder it is in', () => {
    const m = excludeMatcher(enabledGlobs({ '**/out': true, '**/*.gen.ts': true, 'docs/{drafts,old}': true, '**/.cache': true, 'off/**': false }));
    assert.ok(m('out/a.js') && m('src/out/deep/a.js'), 'a folder at any depth hides what is in it');
    assert.ok(m('src/x.gen.ts') && !m('src/x.ts'));
    assert.ok(m('docs/drafts/a.md') && m('docs/old/b.md') && !m('docs/new/c.md'), 'braces');
    assert.ok(m('a/.cache/x'), 'dot folders');
    assert.ok(!m('off/a.ts') && !m('output/a.js'), 'a false key is off; a name only starting the same is not it');
    assert.strictEqual(excludeMatcher([])('anything'), false);
  });

  it('turns exclude settings and .gitignore names into findFiles globs', () => {
    assert.deepStrictEqual(enabledGlobs({ '**/node_modules': true, '**/x': false, '**/*.js': { when: '$(basename).ts' }, ' ': true }), ['**/node_modules']);
    assert.deepStrictEqual(expandBraces('a/{b,c}/{d,e}'), ['a/b/d', 'a/b/e', 'a/c/d', 'a/c/e']);
    assert.strictEqual(joinGlobs(['**/node_modules', '**/{a,b}']), '{**/node_modules,**/a,**/b}');
    assert.strictEqual(joinGlobs([]), undefined);
    assert.deepStrictEqual(prunableGlobs('', 'target/\n/out\n# c\n*.log\n'), ['**/target/**', 'out/**', 'out']);
    assert.deepStrictEqual(prunableGlobs('sub', 'gen\n'), ['sub/**/gen/**', 'sub/**/gen']);
    assert.deepStrictEqual(prunableGlobs('', 'out\n!out/keep\n'), [], 'a negation makes git look inside: nothing pruned');
  });
  it('skips binary, generated and minified files', () => {
    for (const p of ['a.png', 'x/y.woff2', 'package-lock.json', 'a.min.js', 'b.js.map', 'model.gguf']) assert.ok(skippedByName(p), p);
    for (const p of ['a.ts', 'Makefile', 'x.min.ts']) assert.ok(!skippedByName(p), p);
    // Read as the editor would, without asking anyone (core/text/encoding decodeIfText).
    assert.strictEqual(decodeIfText(new Uint8Array([65, 0, 66, 0x80, 0, 1, 2])), undefined, 'NUL bytes that are not UTF-16: binary');
    assert.strictEqual(decodeIfText(new Uint8Array([0xff, 0xfe, 65, 0, 66, 0])), 'AB', 'UTF-16 with a BOM is text, decoded as UTF-16');
    assert.strictEqual(decodeIfText(Buffer.from('\ufefftext é')), 'text é', 'a UTF-8 BOM is not part of the text');
    const gbk = new Uint8Array([0xd6, 0xd0, 0xce, 0xc4]); // 中文 in GBK
    assert.strictEqual(decodeIfText(gbk), undefined, 'not UTF-8 and no setting names the encoding: not decoded as mojibake');
    assert.strictEqual(decodeIfText(gbk, { configured: 'gbk' }), '中文', 'files.encoding names it');
    assert.ok(looksGenerated('x'.repeat(5000)) && !looksGenerated('short line\n'.repeat(1000)));
  });
});

describe('context: keyword index and fusion', () => {
  it('ranks by BM25 with path and symbol boosts; a removed file stops matching at once', () => {
    const k = new KeywordIndex();
    const add = (f: string, text: string) => { const c = chunkText(f, text); k.setFile(f, f, c, c.map((x) => contentHash(x.text)), c.map((x) => x.tokens)); };
    add('src/dates/addBusinessDays.ts', 'export function addBusinessDays(date, amount) {\n  // skips weekends\n}\n');
    add('src/util/weekend.ts', 'export function isWeekend(d) { return d.getDay() % 6 === 0; }\n');
    add('README.md', '# Dates\n\nBusiness days and weekends are handled by several functions.\n');
    const hits = k.search(queryTerms('add business days skipping weekends'), 10);
    assert.strictEqual(hits[0]!.chunk.file, 'src/dates/addBusinessDays.ts');
    assert.strictEqual(k.search(['weekend'], 5)[0]!.chunk.file, 'src/util/weekend.ts', 'a symbol/path hit outranks prose');
    assert.ok(k.search(['week'], 5).length > 0, 'a 4+ letter term matches as a prefix');
    k.removeFile('src/util/weekend.ts');
    assert.ok(!k.search(['isweekend'], 5).length);
    assert.strictEqual(k.fileCount, 2);
  });
  it('fuses ranked lists by reciprocal rank (k = 60)', () => {
    const f = fuseRanks([['a', 'b', 'c'], ['c', 'a']]);
    assert.deepStrictEqual(f.map((x) => x.id), ['a', 'c', 'b']);
    assert.ok(Math.abs(f[0]!.score - (1 / 61 + 1 / 62)) < 1e-12);
  });
  it('the slicer yields once a slice used its budget and records the longest one', async () => {
    let t = 0;
    let yields = 0;
    const s = new TimeSlicer({ budgetMs: 10, now: () => t, yieldNow: async () => { yields++; } });
    t = 4; await s.checkpoint();
    assert.strictEqual(yields, 0);
    t = 12; await s.checkpoint();
    assert.strictEqual(yields, 1);
    t = 40; await s.checkpoint();
    assert.strictEqual(s.longestMs, 28);
  });
});

describe('context: embeddings', function () {
  this.timeout(20000);
  let server: OllamaTestServer;
  let client: OllamaClient;
  before(async () => { server = await OllamaTestServer.start(); client = new OllamaClient({ host: server.url }); });
  after(async () => { await client.close(); await server.close(); });

  it('knows the task prefixes of the common embedding models', () => {
    assert.strictEqual(embeddingPrefixes('nomic-embed-text:latest').query, 'search_query: ');
    assert.strictEqual(embeddingPrefixes('library/nomic-embed-text').document, 'search_document: ');
    assert.ok(embeddingPrefixes('embeddinggemma').document.startsWith('title: none'));
    assert.deepStrictEqual(embeddingPrefixes('all-minilm'), { query: '', document: '' });
    assert.deepStrictEqual(halves('aaaa\nbbbb\ncccc'), ['aaaa\nbbbb', '\ncccc']);
  });
  it('embeds in batches with truncate:false and splits what the model cannot hold', async () => {
    const e = new Embedder(client, 'all-minilm', { batchSize: 2 });
    server.requests.length = 0;
    const long = Array.from({ length: 120 }, (_, i) => `line ${i} of a long chunk with words`).join('\n');
    const v = await e.documents(['alpha', 'beta', 'gamma', long]);
    assert.strictEqual(v.length, 4);
    assert.ok(v.every((x) => x && x.length === 384));
    assert.strictEqual(e.dims, 384);
    const embeds = server.requests.filter((r) => r.path === '/api/embed');
    assert.ok(embeds.every((r) => (r.body as { truncate?: boolean }).truncate === false));
    assert.deepStrictEqual((embeds[0]!.body as { input: string[] }).input, ['alpha', 'beta']);
    assert.ok(embeds.length > 3, 'the over-long input was refused and sent again in pieces');
    const n = Math.hypot(...v[3]!);
    assert.ok(Math.abs(n - 1) < 1e-5);
  });
  it('a missing model stops with ModelNotFoundError', async () => {
    await assert.rejects(new Embedder(client, 'nope').documents(['x']), (e: Error) => e.name === 'ModelNotFoundError' || /not found/.test(e.message));
  });
  it('the vector file round-trips (in slices, unaligned); another model or dimension, a corrupt file or a NaN is not used', async () => {
    const s = new VectorStore('m', 3);
    s.set('00112233445566778899aabbccddeeff', normalize(Float32Array.from([1, 2, 2])));
    let pauses = 0;
    const pause = async (): Promise<void> => { pauses++; };
    const bytes = await s.serialize(pause);
    const back = (await VectorStore.deserialize(bytes, 'm', 3, pause))!;
    assert.ok(Math.abs(back.get('00112233445566778899aabbccddeeff')![1]! - 2 / 3) < 1e-6);
    assert.strictEqual(await VectorStore.deserialize(bytes, 'other', 3), undefined);
    assert.strictEqual(await VectorStore.deserialize(bytes, 'm', 4), undefined);
    assert.strictEqual(await VectorStore.deserialize(bytes.slice(0, bytes.length - 3), 'm', 3), undefined);
    // Not aligned in the file (a 1-byte offset): read the same.
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    assert.deepStrictEqual([...(await VectorStore.deserialize(shifted.subarray(1), 'm', 3))!.get('00112233445566778899aabbccddeeff')!], [...back.get('00112233445566778899aabbccddeeff')!]);
    // A value that is not finite: the file is not used.
    const nan = new Uint8Array(bytes);
    new DataView(nan.buffer).setFloat32(nan.length - 4, Number.NaN, true);
    assert.strictEqual(await VectorStore.deserialize(nan, 'm', 3), undefined);
    // A large store pauses between slices, both ways, and survives the round trip.
    const big = new VectorStore('m', 8);
    for (let i = 0; i < 2000; i++) big.set(contentHash(`t${i}`), normalize(Float32Array.from({ length: 8 }, (_, j) => Math.sin(i + j))));
    pauses = 0;
    const bigBack = (await VectorStore.deserialize(await big.serialize(pause), 'm', 8, pause))!;
    assert.ok(pauses >= 6, `${pauses} pauses`);
    assert.strictEqual(bigBack.size, 2000);
    assert.deepStrictEqual([...bigBack.get(contentHash('t1999'))!], [...big.get(contentHash('t1999'))!]);
    assert.throws(() => s.set('x', new Float32Array(4)), RangeError);
  });
});

/** An in-memory source: files by path, reads counted. */
function memorySource(files: Map<string, string>): IndexSource & { reads: number } {
  const src = {
    reads: 0,
    list: async (): Promise<SourceFile[]> => [...files].map(([p, t]) => ({ key: p, path: p, size: t.length, mtime: 1 })),
    read: async (f: SourceFile): Promise<string | undefined> => { src.reads++; return files.get(f.key); },
  };
  return src;
}

/** The worker's script as tsc compiles it (the extension runs the esbuild bundle dist/contextWorker.js). */
const WORKER_SCRIPT = path.join(__dirname, '../../src/core/context/engineWorkerMain.js');

const ENGINES: ReadonlyArray<[string, () => KeywordEngine]> = [
  ['in-thread engine', () => new LocalKeywordEngine()],
  ['worker-thread engine', () => new WorkerKeywordEngine({ script: WORKER_SCRIPT })],
];

for (const [engineName, makeEngine] of ENGINES) describe(`context: workspace index (${engineName})`, function () {
  this.timeout(20000);
  const engines: KeywordEngine[] = [];
  const engine = (): KeywordEngine => { const e = makeEngine(); engines.push(e); return e; };
  after(() => { for (const e of engines) e.dispose(); });
  const files = () => new Map<string, string>([
    ['src/math.ts', 'export function addNumbers(a: number, b: number) {\n  return a + b;\n}\n'],
    ['src/strings.ts', 'export function reverseString(s: string) {\n  return [...s].reverse().join("");\n}\n'],
    ['big.txt', 'x '.repeat(5000)],
    ['empty.ts', '\n\n'],
  ]);

  it('builds, searches, updates a changed file incrementally and drops a deleted one', async () => {
    const fs = files();
    const src = memorySource(fs);
    const logs: string[] = [];
    const idx = new WorkspaceIndex(src, { limits: { maxFiles: 100, maxFileBytes: 4096 }, engine: engine(), log: (l) => logs.push(l) });
    await idx.ensureBuilt();
    const st = idx.stats();
    assert.strictEqual(st.state, 'ready');
    assert.strictEqual(st.files, 2);
    assert.deepStrictEqual(st.skipped, { tooLarge: 1, unreadable: 0, generated: 0, empty: 1 });
    assert.ok(logs.some((l) => /2 files, 2 chunks/.test(l)), logs.join('\n'));
    let r = await idx.search('where do we reverse a string?');
    assert.strictEqual(r.hits[0]!.path, 'src/strings.ts');
    assert.strictEqual(await idx.snippet(r.hits[0]!), fs.get('src/strings.ts')!.trimEnd());
    const reads = src.reads;
    idx.update({ key: 'src/math.ts', path: 'src/math.ts', size: 10, mtime: 2 }, 'export function multiplyNumbers(a, b) { return a * b; }\n');
    await idx.settled();
    assert.strictEqual(src.reads, reads, 'unsaved text given with the update: nothing read');
    r = await idx.search('multiply numbers');
    assert.strictEqual(r.hits[0]!.path, 'src/math.ts');
    assert.strictEqual((await idx.search('add')).hits.length, 0, 'the old text is gone');
    idx.remove('src/strings.ts');
    await idx.settled();
    assert.strictEqual((await idx.search('reverse string')).hits.length, 0);
    // A rebuild reads only what changed (size or mtime).
    const before = src.reads;
    await idx.build();
    assert.strictEqual(src.reads - before, 2, 'strings.ts (listed again) and math.ts (mtime differs from the listing) are read; nothing else');
  });

  it('a deleted folder (the watcher reports only its top) drops every file under it; a new file past the cap waits for the next listing', async () => {
    const fs = new Map<string, string>([
      ['w/src/legacy/a.ts', 'export function legacyAlpha() {}\n'],
      ['w/src/legacy/deep/b.ts', 'export function legacyBeta() {}\n'],
      ['w/src/legacyKeep.ts', 'export function legacyKeep() {}\n'],
    ]);
    const idx = new WorkspaceIndex(memorySource(fs), { limits: { maxFiles: 3, maxFileBytes: 4096 }, engine: engine() });
    await idx.ensureBuilt();
    assert.strictEqual(idx.stats().files, 3);
    idx.remove('w/src/legacy');
    await idx.settled();
    assert.deepStrictEqual((await idx.search('legacy')).hits.map((h) => h.path), ['w/src/legacyKeep.ts'], 'a sibling whose name only starts the same stays');
    idx.update({ key: 'w/new1.ts', path: 'w/new1.ts', size: 10, mtime: 1 }, 'export function fresh1() {}\n');
    idx.update({ key: 'w/new2.ts', path: 'w/new2.ts', size: 10, mtime: 1 }, 'export function fresh2() {}\n');
    idx.update({ key: 'w/new3.ts', path: 'w/new3.ts', size: 10, mtime: 1 }, 'export function fresh3() {}\n');
    await idx.settled();
    assert.strictEqual(idx.stats().files, 3, 'never more than maxFiles');
    assert.ok(idx.stats().capped >= 1);
  });

  it('caps the file count (shallowest first) and says so', async () => {
    const fs = new Map<string, string>();
    for (let i = 0; i < 5; i++) fs.set(`deep/a/b/f${i}.ts`, `export const v${i} = ${i};\n`);
    fs.set('top.ts', 'export const top = 1;\n');
    const logs: string[] = [];
    const idx = new WorkspaceIndex(memorySource(fs), { limits: { maxFiles: 3, maxFileBytes: 4096 }, engine: engine(), log: (l) => logs.push(l) });
    await idx.ensureBuilt();
    const st = idx.stats();
    assert.strictEqual(st.files, 3);
    assert.strictEqual(st.capped, 3);
    assert.ok(idx.knows('top.ts'));
    assert.ok(logs.some((l) => /6 files found; indexing the first 3/.test(l)), logs.join('\n'));
  });

  it('embeds each chunk once (by content hash), searches hybrid, and a model change re-embeds without an error', async () => {
    const server = await OllamaTestServer.start();
    const client = new OllamaClient({ host: server.url });
    try {
      const idx = new WorkspaceIndex(memorySource(files()), { limits: { maxFiles: 100, maxFileBytes: 4096 }, engine: engine() });
      await idx.ensureBuilt();
      let saved: VectorStore | undefined;
      idx.setEmbeddings({ embedder: new Embedder(client, 'all-minilm'), save: async (s) => { saved = s; } });
      await idx.embeddingIdle();
      const st = idx.stats().embeddings!;
      assert.deepStrictEqual([st.embedded, st.pending, st.dims, st.error], [2, 0, 384, undefined]);
      assert.ok(saved && saved.size === 2);
      const r = await idx.search('reverse string', { limit: 3 });
      assert.ok(r.usedVectors);
      assert.strictEqual(r.hits[0]!.path, 'src/strings.ts');
      assert.ok(r.hits[0]!.vectorRank !== undefined && r.hits[0]!.keywordRank !== undefined);
      // The same vectors handed back: nothing is embedded again.
      server.requests.length = 0;
      idx.setEmbeddings({ embedder: new Embedder(client, 'all-minilm'), stored: saved });
      await idx.embeddingIdle();
      assert.strictEqual(server.requests.filter((x) => x.path === '/api/embed').length, 0);
      // Another model with the old model's vectors: a new store of its own dimension, no error.
      idx.setEmbeddings({ embedder: new Embedder(client, 'llama3.2'), stored: saved });
      await idx.embeddingIdle();
      const st2 = idx.stats().embeddings!;
      assert.strictEqual(st2.error, undefined);
      assert.strictEqual(st2.embedded, 2);
      assert.strictEqual(idx.vectors!.model, 'llama3.2');
      assert.notStrictEqual(idx.vectors!.dims, 384);
      // A model that is missing: keyword search still works, and the reason is kept.
      idx.setEmbeddings({ embedder: new Embedder(client, 'nope') });
      await idx.embeddingIdle();
      assert.ok(/not found/.test(idx.stats().embeddings!.error ?? ''));
      assert.strictEqual((await idx.search('reverse string')).hits[0]!.path, 'src/strings.ts');
      // Stored vectors of the same name but another size (the model was pulled again): every chunk
      // has one, so nothing is embedded, until a question's vector shows the new size.
      const old = new VectorStore('all-minilm', 8);
      for (const key of ['src/math.ts', 'src/strings.ts']) for (const m of idx.chunksOf(key)) old.set(m.hash, normalize(Float32Array.from({ length: 8 }, (_, i) => i + 1)));
      idx.setEmbeddings({ embedder: new Embedder(client, 'all-minilm'), stored: old });
      await idx.embeddingIdle();
      assert.strictEqual(idx.vectors!.dims, 8);
      const mismatch = await idx.search('reverse string');
      assert.strictEqual(mismatch.usedVectors, false);
      assert.match(mismatch.vectorError ?? '', /384 dimensions \(stored: 8\)/);
      assert.strictEqual(mismatch.hits[0]!.path, 'src/strings.ts', 'keyword ranking meanwhile');
      await idx.embeddingIdle();
      assert.strictEqual(idx.vectors!.dims, 384);
      assert.strictEqual(idx.stats().embeddings!.embedded, 2);
      assert.ok((await idx.search('reverse string')).usedVectors);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe('context: chunks the embedding model refuses', function () {
  this.timeout(20000);
  it('are asked once per model, not on every pass, and counted apart from the pending ones', async () => {
    const server = await OllamaTestServer.start();
    const client = new OllamaClient({ host: server.url });
    try {
      // The server's answer to an input it will not take (as Ollama words a 400), for one file.
      const refusing = {
        embed: (r: Parameters<OllamaClient['embed']>[0], o?: Parameters<OllamaClient['embed']>[1]) => {
          const inputs = Array.isArray(r.input) ? r.input : [r.input];
          if (inputs.some((t) => t.includes('refuseme'))) return Promise.reject(new ResponseError('refused', { status: 400, error: 'input contains a token the model cannot take', body: '' }));
          return client.embed(r, o);
        },
      };
      const fs = new Map<string, string>([
        ['a.ts', 'export function alpha() { return 1; }\n'],
        ['b.ts', 'export function refuseme() { return 2; }\n'],
      ]);
      const idx = new WorkspaceIndex(memorySource(fs), { limits: { maxFiles: 100, maxFileBytes: 4096 }, engine: new LocalKeywordEngine() });
      await idx.ensureBuilt();
      idx.setEmbeddings({ embedder: new Embedder(refusing, 'all-minilm') });
      await idx.embeddingIdle();
      assert.deepStrictEqual([idx.stats().embeddings!.embedded, idx.stats().embeddings!.refused, idx.stats().embeddings!.pending], [1, 1, 0]);
      // A save elsewhere starts another pass: the refused chunk is not sent again.
      server.requests.length = 0;
      fs.set('a.ts', 'export function alphaTwo() { return 3; }\n');
      idx.update({ key: 'a.ts', path: 'a.ts', size: 5, mtime: 2 });
      await idx.settled();
      await idx.embeddingIdle();
      const sent = server.requests.filter((x) => x.path === '/api/embed').flatMap((x) => (x.body as { input: string[] }).input);
      assert.ok(sent.length >= 1 && sent.every((t) => !t.includes('refuseme')), JSON.stringify(sent));
      assert.strictEqual(idx.stats().embeddings!.refused, 1);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe('context: workspace index, clear and rebuild while work is in flight', function () {
  this.timeout(20000);
  /** The in-thread engine with a worker's round trip: each answer comes a few ms later. */
  const slowEngine = (): KeywordEngine => {
    const e = new LocalKeywordEngine();
    const later = <T>(p: Promise<T>): Promise<T> => p.then((v) => new Promise<T>((resolve) => setTimeout(() => resolve(v), 3)));
    return Object.assign(Object.create(e) as KeywordEngine, {
      setFile: (f: string, p: string, t: string) => later(e.setFile(f, p, t)),
      search: (t: readonly string[], n: number) => later(e.search(t, n)),
    });
  };
  const many = (): Map<string, string> => new Map(Array.from({ length: 200 }, (_, i) => [`src/f${i}.ts`, `export function fileNumber${i}() { return ${i}; }\n`]));

  it('a clear (the Rebuild command, a settings change) during a build: the next build indexes every file, nothing stale is kept', async () => {
    const idx = new WorkspaceIndex(memorySource(many()), { limits: { maxFiles: 1000, maxFileBytes: 4096 }, engine: slowEngine(), readConcurrency: 8 });
    const first = idx.ensureBuilt();
    await new Promise<void>((resolve) => { const off = idx.onChange(() => { if (idx.stats().done >= 20) { off(); resolve(); } }); });
    idx.clear();
    assert.strictEqual(idx.state, 'empty');
    await idx.ensureBuilt();
    await first;
    await idx.settled();
    const st = idx.stats();
    assert.deepStrictEqual([st.state, st.files, st.chunks], ['ready', 200, 200]);
    const r = await idx.search('fileNumber17', { limit: 3 });
    assert.strictEqual(r.hits[0]?.path, 'src/f17.ts');
  });

  it('a clear with updates queued: they are dropped, and the index stays empty until asked', async () => {
    const idx = new WorkspaceIndex(memorySource(many()), { limits: { maxFiles: 1000, maxFileBytes: 4096 }, engine: slowEngine() });
    await idx.ensureBuilt();
    for (let i = 0; i < 20; i++) idx.update({ key: `src/f${i}.ts`, path: `src/f${i}.ts`, size: 1, mtime: 2 }, `export function changed${i}() {}\n`);
    idx.clear();
    await idx.settled();
    assert.deepStrictEqual([idx.state, idx.stats().files], ['empty', 0]);
    await idx.ensureBuilt();
    assert.strictEqual(idx.stats().files, 200);
  });
});

describe('context: the keyword engine on a worker thread', function () {
  this.timeout(20000);
  const corpus = (): Map<string, string> => {
    const m = new Map<string, string>();
    const words = ['parse', 'format', 'week', 'month', 'interval', 'locale', 'duration', 'business', 'leap', 'quarter'];
    for (let i = 0; i < 60; i++) {
      const a = words[i % words.length]!;
      const b = words[(i * 7 + 3) % words.length]!;
      m.set(`src/${a}/${b}${i}.ts`, `/** Returns the ${a} of the ${b}. */\nexport function ${a}${b[0]!.toUpperCase()}${b.slice(1)}${i}(x: number): number {\n  return x * ${i}; // ${a} ${b}\n}\n\n${'// filler line\n'.repeat(i % 5)}`);
    }
    return m;
  };

  it('gives the same chunks, results and scores as the in-thread engine', async () => {
    const local = new WorkspaceIndex(memorySource(corpus()), { limits: { maxFiles: 1000, maxFileBytes: 65536 }, engine: new LocalKeywordEngine() });
    const worker = new WorkerKeywordEngine({ script: WORKER_SCRIPT });
    try {
      const remote = new WorkspaceIndex(memorySource(corpus()), { limits: { maxFiles: 1000, maxFileBytes: 65536 }, engine: worker });
      await Promise.all([local.ensureBuilt(), remote.ensureBuilt()]);
      const [a, b] = [local.stats(), remote.stats()];
      assert.deepStrictEqual([b.files, b.chunks, b.terms, b.textChars], [a.files, a.chunks, a.terms, a.textChars]);
      for (const q of ['parse the week', 'leap quarter', 'duration of a business month', 'locale interval formatting']) {
        const [x, y] = await Promise.all([local.search(q, { limit: 5 }), remote.search(q, { limit: 5 })]);
        assert.deepStrictEqual(y.hits.map((h) => [h.path, h.startLine, h.score.toFixed(6)]), x.hits.map((h) => [h.path, h.startLine, h.score.toFixed(6)]), q);
        assert.ok(y.hits.length > 0, q);
      }
      const info = await remote.engineStats();
      assert.strictEqual(info?.worker, true);
      assert.ok(info!.heapBytes > 0);
      assert.strictEqual(remote.stats().worker, true);
    } finally {
      worker.dispose();
    }
  });

  it('a worker that stops (a crash, or its heap cap) fails the index with the reason; a rebuild starts a new worker', async () => {
    const worker = new WorkerKeywordEngine({ script: WORKER_SCRIPT });
    const logs: string[] = [];
    try {
      const idx = new WorkspaceIndex(memorySource(corpus()), { limits: { maxFiles: 1000, maxFileBytes: 65536 }, engine: worker, log: (l) => logs.push(l) });
      await idx.ensureBuilt();
      assert.strictEqual(idx.stats().state, 'ready');
      // The worker ends as a crash would (the engine's own Worker object; no seam in the product).
      await (worker as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      await new Promise<void>((resolve) => { const off = idx.onChange(() => { if (idx.state === 'failed') { off(); resolve(); } }); if (idx.state === 'failed') resolve(); });
      const st = idx.stats();
      assert.strictEqual(st.files, 0, 'what the worker held is gone, and so is the copy');
      assert.match(st.error ?? '', /worker exited/);
      assert.ok(logs.some((l) => /workspace index failed: .*worker exited/.test(l)), logs.join('\n'));
      assert.strictEqual((await idx.search('parse week')).hits.length, 0, 'a failed index answers nothing (and starts no worker)');
      assert.strictEqual(worker.started, false);
      // Updates while failed wait for the rebuild (they would start an empty worker).
      idx.update({ key: 'src/x.ts', path: 'src/x.ts', size: 10, mtime: 1 }, 'export function parseWeekX() {}\n');
      await idx.settled();
      assert.strictEqual(worker.started, false);
      await idx.build();
      assert.strictEqual(idx.stats().state, 'ready');
      assert.ok(idx.stats().files > 50);
      assert.ok((await idx.search('parse week')).hits.length > 0);
    } finally {
      worker.dispose();
    }
  });

  it('the heap cap ends the worker with a message that names the cap and the settings', async () => {
    const worker = new WorkerKeywordEngine({ script: WORKER_SCRIPT, maxHeapMb: 8 });
    const failures: Error[] = [];
    worker.onFailure((e) => failures.push(e));
    try {
      // Distinct terms until an 8 MB old generation cannot hold them.
      const text = Array.from({ length: 40000 }, (_, i) => `export const term${i.toString(36)}x${(i * 7919).toString(36)} = ${i};`).join('\n');
      const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => worker.setFile(`f${i}`, `f${i}.ts`, text.replace(/term/g, `t${i}`))));
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.ok(rejected.length > 0, 'the cap was reached');
      assert.ok(rejected[0]!.reason instanceof EngineStoppedError);
      assert.strictEqual(failures.length, 1);
      assert.match(failures[0]!.message, /memory cap \(8 MB\).*ollamaAssistant\.context\.maxFiles/);
      assert.strictEqual((failures[0] as EngineStoppedError).outOfMemory, true);
    } finally {
      worker.dispose();
    }
  });
});
