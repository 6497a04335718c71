// Cross-file context for inline completion, measured on a real codebase available offline: the
// TypeScript sources of rxjs 7.8.2 (a dev dependency; 251 .ts files). A TypeScript program gives the
// ground truth: lines whose first call expression calls a function declared in another file of the
// package. 200 of them (seeded) become cursor positions: the cursor after the line's indentation,
// the rest of the line removed (the model has to write the call). Each position goes through the
// very CompletionEngine the editor drives (manual trigger: no debounce), with definitions resolved
// by the TypeScript language service in a worker thread (as VS Code's definition provider does it,
// from tsserver's process: the declaration's contextSpan) and recently viewed ranges (the previous positions' files), against the protocol
// test server; the request the server receives is the prompt. Printed, context on and off:
// - context recall: the share of prompts that contain the called function's declaration (its
//   first line, and the whole declaration);
// - prompt tokens (estimate) and context tokens;
// - added latency per completion: from the provider call to the request's arrival at the server,
//   p50/p95, on minus off (each position is a new version of its file, so the language service
//   first updates its program, as tsserver does after a keystroke);
// - cache stability: after typing three characters at the position, the share of the second
//   prompt (in characters) that repeats the first one from its start (what the server's prompt
//   cache, an exact token prefix, reuses).
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import {
  CompletionEngine, CrossFileContext, RecentRangeTracker, computeWindows, stringAccessor, type DefinitionResolver, type DefinitionSite,
  type EngineSettings, type RecentRanges,
} from '../src/core/fim';
import { OllamaBackend } from '../src/core/llm/backend';
import { estimateTokens } from '../src/core/llm/tokens';
import { OllamaClient } from '../src/core/ollama/client';
import { OllamaTestServer, type ModelFixture } from '../test/support/ollamaServer';
import { TsDefinitionWorker } from './tsWorker';

const SEED = 20261203;
const POSITIONS = 200;
const BUDGET = 1024;
const TIME_LIMIT_MS = 100;
const MODEL = 'qwen2.5-coder:1.5b-base';
const WINDOWS = { prefixStepLines: 16 };

const QWEN_CODER_TEMPLATE = `{{- if .Suffix }}<|fim_prefix|>{{ .Prompt }}<|fim_suffix|>{{ .Suffix }}<|fim_middle|>
{{- else if .Messages }}
{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
{{ else }}{{ .Prompt }}{{ end }}`;

const FIXTURE: ModelFixture = {
  name: MODEL, family: 'qwen2', parameter_size: '1.5B', capabilities: ['completion', 'insert'], template: QWEN_CODER_TEMPLATE, context_length: 32768,
};

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * q))]! : NaN;
}

const pct = (n: number, d: number): string => `${n}/${d} = ${((100 * n) / d).toFixed(1)}%`;
const f1 = (x: number): string => x.toFixed(1);

interface Position {
  file: string;
  /** Offset of the cursor (after the indentation) in the original text. */
  cursor: number;
  /** End of the line's content (its newline) in the original text. */
  lineEnd: number;
  callee: string;
  declFile: string;
  /** The declaration's first line (trimmed) and whole text. */
  signature: string;
  declaration: string;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Whole lines of `text` covering [start, end). */
function wholeLines(text: string, start: number, end: number): { text: string; startLine: number; endLine: number } {
  const a = text.lastIndexOf('\n', start - 1) + 1;
  const nl = text.indexOf('\n', Math.max(start, end - 1));
  const b = nl < 0 ? text.length : nl;
  const startLine = text.slice(0, a).split('\n').length - 1;
  return { text: text.slice(a, b), startLine, endLine: startLine + text.slice(a, b).split('\n').length - 1 };
}

/** The declaration a call's callee resolves to, when it is a function (or a const holding one). */
function functionDeclaration(checker: ts.TypeChecker, callee: ts.Expression): ts.Declaration | undefined {
  const node = ts.isPropertyAccessExpression(callee) ? callee.name : ts.isIdentifier(callee) ? callee : undefined;
  if (!node) return undefined;
  let sym = checker.getSymbolAtLocation(node);
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
  const decl = sym?.declarations?.[0];
  if (!decl) return undefined;
  if (ts.isFunctionDeclaration(decl)) return decl;
  if (ts.isVariableDeclaration(decl) && decl.initializer && (ts.isArrowFunction(decl.initializer) || ts.isFunctionExpression(decl.initializer))) return decl;
  return undefined;
}

/** Every line whose first call expression calls a function declared in another file of `src`. */
function findPositions(program: ts.Program, src: string, texts: Map<string, string>): Position[] {
  const checker = program.getTypeChecker();
  const out: Position[] = [];
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || !sf.fileName.startsWith(src)) continue;
    const text = texts.get(sf.fileName)!;
    const firstCall = new Map<number, ts.CallExpression>();
    const visit = (n: ts.Node): void => {
      if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) return;
      if (ts.isCallExpression(n)) {
        const line = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
        const prev = firstCall.get(line);
        if (!prev || n.getStart(sf) < prev.getStart(sf)) firstCall.set(line, n);
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    for (const [line, call] of firstCall) {
      const decl = functionDeclaration(checker, call.expression);
      const declSf = decl?.getSourceFile();
      if (!decl || !declSf || declSf === sf || !declSf.fileName.startsWith(src) || declSf.isDeclarationFile) continue;
      const lineStart = sf.getPositionOfLineAndCharacter(line, 0);
      const nl = text.indexOf('\n', lineStart);
      const lineEnd = nl < 0 ? text.length : nl;
      const indent = /^[ \t]*/.exec(text.slice(lineStart, lineEnd))![0].length;
      if (lineStart + indent >= lineEnd) continue;
      // The declaration as a definition provider shows it: the statement, without its JSDoc.
      const node = ts.isVariableDeclaration(decl) ? decl.parent.parent : decl;
      const declText = texts.get(declSf.fileName)!;
      const d = wholeLines(declText, node.getStart(declSf), node.getEnd());
      out.push({
        file: sf.fileName, cursor: lineStart + indent, lineEnd, callee: (decl as ts.FunctionDeclaration).name?.getText(declSf) ?? '',
        declFile: declSf.fileName, signature: d.text.split('\n')[0]!.trim(), declaration: d.text.trim(),
      });
    }
  }
  return out;
}

/** The texts the benchmark sees: the files on disk, with the current file's edited version. */
class Texts {
  private readonly overrides = new Map<string, string>();
  constructor(private readonly disk: Map<string, string>, private readonly worker: TsDefinitionWorker) {}
  text(f: string): string {
    const o = this.overrides.get(f) ?? this.disk.get(f);
    if (o !== undefined) return o;
    const t = fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
    this.disk.set(f, t);
    return t;
  }
  /** A new version of `file` (undefined: back to the original), for both threads. */
  set(file: string, text: string | undefined): void {
    if (text === undefined) this.overrides.delete(file); else this.overrides.set(file, text);
    this.worker.set(file, text ?? null);
  }
}

/** Definitions through the language service (in its worker), as VS Code's TypeScript definition
 * provider gives them: targetRange = the declaration's contextSpan, read as whole lines. */
function tsResolver(worker: TsDefinitionWorker, texts: Texts, src: string): DefinitionResolver {
  return {
    async definitions(doc: { uri: string }, sym: { offset: number }): Promise<DefinitionSite[]> {
      const defs = await worker.definitions(doc.uri, sym.offset);
      return defs.map((d) => {
        const lines = wholeLines(texts.text(d.fileName), d.start, d.start + d.length);
        return { uri: d.fileName, path: path.relative(src, d.fileName), ...lines, external: !d.fileName.startsWith(src) };
      });
    },
  };
}

interface RunResult {
  recallSig: number;
  recallFull: number;
  promptTokens: number[];
  contextTokens: number[];
  latency: number[];
  kept: number[];
  timedOut: number;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

export async function benchCompletionContext(out: (s: string) => void): Promise<void> {
  const root = path.dirname(require.resolve('rxjs/package.json'));
  const src = path.join(root, 'src') + path.sep;
  const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const files = walk(src);
  const texts = new Map(files.map((f) => [f, fs.readFileSync(f, 'utf8')]));
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, target: ts.ScriptTarget.ESNext, lib: ['lib.esnext.d.ts', 'lib.dom.d.ts'], moduleResolution: ts.ModuleResolutionKind.Node10,
    baseUrl: root, paths: { rxjs: ['./src/index'], 'rxjs/operators': ['./src/operators/index'], 'rxjs/internal/*': ['./src/internal/*'] }, skipLibCheck: true,
  };
  const t0 = performance.now();
  const program = ts.createProgram(files, options);
  const all = findPositions(program, src, texts);
  const buildS = (performance.now() - t0) / 1000;
  const worker = new TsDefinitionWorker({ files, options, root });
  const host = new Texts(new Map(texts), worker);
  const rng = mulberry32(SEED);
  const shuffled = all.map((p) => ({ p, k: rng() })).sort((a, b) => a.k - b.k).map((x) => x.p);
  const sample = shuffled.slice(0, POSITIONS);
  out(`rxjs ${version} src: ${files.length} .ts files; ${all.length} lines whose first call goes to a function in another file; ${sample.length} sampled (seed ${SEED}); program + ground truth in ${f1(buildS)} s`);

  const server = await OllamaTestServer.start({ models: [FIXTURE], reply: () => 'x' });
  const client = new OllamaClient({ host: server.url });
  const backend = new OllamaBackend(client);
  try {
    const run = async (contextTokens: number): Promise<RunResult> => {
      const resolver = tsResolver(worker, host, src);
      const tracker = new RecentRangeTracker();
      const recent: RecentRanges = {
        recent: (exclude) => tracker.ranges(exclude, (uri, a, b) => host.text(uri).split('\n').slice(a, b + 1).join('\n')),
      };
      const context = new CrossFileContext({ resolver, recent, timeLimitMs: TIME_LIMIT_MS });
      const settings = (): EngineSettings => ({ model: MODEL, debounceMs: 0, maxLines: 12, numPredict: 1, contextTokens });
      const engine = new CompletionEngine({ backend: async () => backend, settings, context });
      const res: RunResult = { recallSig: 0, recallFull: 0, promptTokens: [], contextTokens: [], latency: [], kept: [], timedOut: 0 };
      let version = 0;
      const ask = async (p: Position, typed: string): Promise<string> => {
        const text = texts.get(p.file)!;
        const doc = text.slice(0, p.cursor) + typed + text.slice(p.lineEnd);
        host.set(p.file, doc);
        const acc = stringAccessor(doc);
        const at = p.cursor + typed.length;
        const w = computeWindows(acc, at, WINDOWS);
        const lines: [number, number] = [acc.lineAt!(w.prefixStart), acc.lineAt!(w.suffixEnd)];
        const before = server.requests.length;
        const t = performance.now();
        const r = await engine.complete({
          doc: p.file, prefix: w.prefix, suffix: w.suffix, language: 'typescript', manual: true,
          context: () => ({ uri: p.file, version: ++version, path: path.relative(src, p.file), repo: 'rxjs', head: doc.slice(0, Math.min(10_000, w.prefixStart)), prefixStart: w.prefixStart, windowLines: lines }),
        });
        const req = server.requests.slice(before).find((x) => x.path === '/api/generate');
        if (!req) throw new Error(`no request for ${p.file}: ${JSON.stringify(r)}`);
        if (!typed) {
          res.latency.push(req.startedAt - t);
          if (r.kind === 'completion' && r.context) {
            res.contextTokens.push(r.context.tokens);
            if (r.context.timedOut) res.timedOut++;
          } else res.contextTokens.push(0);
        }
        const body = req.body as { prompt: string; suffix?: string };
        return body.prompt + (body.suffix !== undefined ? `<suffix>${body.suffix}` : '');
      };
      for (const p of sample) {
        const prompt = await ask(p, '');
        res.promptTokens.push(estimateTokens(prompt));
        if (prompt.includes(p.signature)) res.recallSig++;
        if (prompt.includes(p.declaration)) res.recallFull++;
        // Three characters typed at the position (the start of the call): how much of the prompt
        // the server can keep.
        const text = texts.get(p.file)!;
        const second = await ask(p, text.slice(p.cursor, Math.min(p.lineEnd, p.cursor + 3)));
        res.kept.push(commonPrefix(prompt, second) / second.length);
        if (process.env.BENCH_DEBUG && commonPrefix(prompt, second) / second.length < 0.5) {
          const at = commonPrefix(prompt, second);
          out(`  diverged at ${at}/${second.length} in ${path.relative(src, p.file)}: first ${JSON.stringify(prompt.slice(at - 40, at + 80))} second ${JSON.stringify(second.slice(at - 40, at + 80))}`);
        }
        host.set(p.file, undefined);
        // The user looked here before moving on: a recently viewed range for the next positions.
        const line = text.slice(0, p.cursor).split('\n').length - 1;
        tracker.note('visited', p.file, path.relative(src, p.file), line, text.split('\n').length);
      }
      engine.reset(true);
      return res;
    };

    // Warm the language service and the server (first program check, model load) outside the figures.
    await run(BUDGET).catch(() => undefined);
    const on = await run(BUDGET);
    const off = await run(0);
    const n = sample.length;
    const line = (name: string, r: RunResult): string =>
      `${name}: recall ${pct(r.recallSig, n)} (whole declaration ${pct(r.recallFull, n)}); prompt tokens p50 ${quantile(r.promptTokens, 0.5)} / p95 ${quantile(r.promptTokens, 0.95)}`
      + ` (context p50 ${quantile(r.contextTokens, 0.5)} / p95 ${quantile(r.contextTokens, 0.95)}); provider call -> request p50 ${f1(quantile(r.latency, 0.5))} ms / p95 ${f1(quantile(r.latency, 0.95))} ms`;
    out(`context on (budget ${BUDGET} tokens, time limit ${TIME_LIMIT_MS} ms, ${MODEL}: Qwen repo-level prompt): ${line('', on).slice(2)}`);
    out(`context off: ${line('', off).slice(2)}`);
    out(`added latency per completion (on - off): p50 ${f1(quantile(on.latency, 0.5) - quantile(off.latency, 0.5))} ms, p95 ${f1(quantile(on.latency, 0.95) - quantile(off.latency, 0.95))} ms; time limit reached ${on.timedOut}/${n}`);
    out(`prompt kept unchanged from its start after 3 more characters typed (share of its characters; what the server's prefix cache reuses): context on p50 ${f1(100 * quantile(on.kept, 0.5))}% / p5 ${f1(100 * quantile(on.kept, 0.05))}%; off p50 ${f1(100 * quantile(off.kept, 0.5))}% / p5 ${f1(100 * quantile(off.kept, 0.05))}%`);
  } finally {
    await worker.close();
    await client.close();
    await server.close();
  }
}
