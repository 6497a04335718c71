// Load cost of the extension bundle against the official `ollama` client, side by side in one run:
// each is required in a fresh Node process (N times, alternating) and the CPU (user + system) of the
// require is measured there. dist/extension.js is built here as it is packaged (production), with
// `vscode` answered by a stand-in that has the names of the real API (esbuild's import helpers copy
// them, as they do in the host). Also: the lazily loaded transport (paid at the first request), and
// undici's main module for comparison, and the bundle sizes.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const RUNS = 9;
const root = path.resolve(__dirname, '../..');

/** Script run in a fresh Node: installs the `vscode` stand-in, requires the target, prints CPU µs. */
const PROBE = `
const Module = require('module'); const fs = require('fs');
const names = [...new Set([...fs.readFileSync(process.env.VSCODE_DTS, 'utf8').matchAll(/export (?:namespace|class|enum|const|function|let) (\\w+)/g)].map((m) => m[1]))];
const deep = () => new Proxy(function () {}, { get: (t, k) => (k === Symbol.toPrimitive ? () => '' : k === 'prototype' ? {} : deep()), apply: () => deep(), construct: () => ({}) });
const orig = Module._resolveFilename;
Module._resolveFilename = function (req, ...a) { return req === 'vscode' ? 'vscode' : orig.call(this, req, ...a); };
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: Object.fromEntries(names.map((n) => [n, deep()])) };
const target = require.resolve(process.env.TARGET, { paths: [process.env.ROOT] });
for (const b of (process.env.PRELOAD || '').split(',').filter(Boolean)) require(b);
const c0 = process.cpuUsage();
require(target);
const c = process.cpuUsage(c0);
process.stdout.write(String(c.user + c.system));
`;

/** Node built-ins the extension host has loaded long before any extension activates (it uses them
 * itself); in a fresh Node their first load would be charged to whichever module asks first. */
const HOST_BUILTINS = ['node:crypto', 'node:fs', 'node:fs/promises', 'node:stream', 'node:os', 'node:path', 'node:net', 'node:tls', 'node:http', 'node:https', 'node:perf_hooks', 'node:events', 'node:util', 'node:url'];

function probe(target: string, preload: string[] = []): number {
  const out = execFileSync(process.execPath, ['-e', PROBE], {
    encoding: 'utf8', cwd: root,
    env: { ...process.env, TARGET: target, ROOT: root, VSCODE_DTS: path.join(root, 'node_modules/@types/vscode/index.d.ts'), PRELOAD: preload.join(',') },
  });
  return Number(out) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchLoad(out: (line: string) => void): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oa-bench-load-'));
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { extensionBuild, transportBuild } = require(path.join(root, 'esbuild.js')) as { extensionBuild: (o: object) => object; transportBuild: (o: object) => object };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as { build(o: object): Promise<unknown> };
    const ext = path.join(dir, 'extension.js');
    const transport = path.join(dir, 'transport.js');
    await esbuild.build({ ...extensionBuild({ production: true }), outfile: ext, absWorkingDir: root, logLevel: 'silent' });
    await esbuild.build({ ...transportBuild({ production: true }), outfile: transport, absWorkingDir: root, logLevel: 'silent' });
    const targets: Record<string, string> = { 'dist/extension.js': ext, 'ollama (official client)': 'ollama', 'dist/transport.js (first request)': transport, 'undici (main module)': 'undici' };
    const kib = (f: string) => (fs.statSync(f).size / 1024).toFixed(0);
    for (const [label, preload] of [['host-like: Node built-ins already loaded, as in the extension host', HOST_BUILTINS], ['cold Node: built-ins loaded by whoever asks first', []]] as Array<[string, string[]]>) {
      const ms: Record<string, number[]> = {};
      for (const k of Object.keys(targets)) { probe(targets[k]!, preload); ms[k] = []; }
      for (let r = 0; r < RUNS; r++) for (const [k, t] of Object.entries(targets)) ms[k]!.push(probe(t, preload));
      const m = (k: string) => median(ms[k]!);
      out(`require() CPU ms, median of ${RUNS} fresh processes (alternating); ${label}:`);
      for (const k of Object.keys(targets)) out(`  ${k.padEnd(36)} ${m(k).toFixed(1)} ms`);
      out(`  ratio extension / ollama:            ${(m('dist/extension.js') / m('ollama (official client)')).toFixed(2)}  (undici main module / ollama: ${(m('undici (main module)') / m('ollama (official client)')).toFixed(1)})`);
    }
    out(`  bundle: dist/extension.js ${kib(ext)} KiB (goal <= 350), dist/transport.js ${kib(transport)} KiB (loaded at the first request)`);
    out('  activation in the real host (first statement of the bundle to the end of activate) is measured by the');
    out('  integration test "activates in <= 30 ms ..." (test/integration/load.test.ts), which prints it.');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) void benchLoad((l) => console.log(l));
