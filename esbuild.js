// Bundles the extension (Node, CommonJS, `vscode` external), its HTTP transport (undici, loaded on
// the first request from a separate file so activation never pays for it) and the webview (browser,
// IIFE). Flags: --production (minify, no source maps, and no test code: `__OA_TEST__` is false, so
// the test API and the webview's test hooks are dropped with their branches), --watch. Also required
// by tests (exports the build options; builds only when run directly).
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

/** `require('./undiciTransport')` in src/core/http/transport.ts becomes a runtime require of
 * dist/transport.js (a separate bundle), instead of pulling undici into dist/extension.js. */
const lazyTransport = {
  name: 'lazy-transport',
  setup(build) {
    build.onResolve({ filter: /^\.\/undiciTransport$/ }, (args) =>
      args.importer.endsWith(path.join('core', 'http', 'transport.ts')) ? { path: './transport.js', external: true } : undefined);
  },
};

/** `import * as vscode from 'vscode'` (and `* as` imports of node: builtins) compile, in a CommonJS
 * bundle, to `__toESM(require('vscode'))` in EVERY module that has one: a fresh copy of the whole
 * API object's properties per module (about 400 names x 25 modules), which was the largest cost of
 * loading the extension after undici. `import vscode = require('vscode')` is the same binding for
 * TypeScript and compiles to a plain require; this rewrites the former into the latter. */
const plainRequires = {
  name: 'plain-requires',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      const contents = text.replace(/^import \* as (\w+) from '(vscode|node:[\w/]+)';$/gm, "import $1 = require('$2');");
      return { contents, loader: 'ts' };
    });
  },
};

/**
 * src/core/text/codecs.ts (iconv-lite + jschardet, ~1.5 MB) is its own bundle, dist/codecs.js, next to
 * dist/extension.js: encoding.ts `require('./codecs')`s it the first time a file is not UTF-8 or
 * UTF-16, so activation never parses it. In the extension bundle that require stays a require.
 */
const lazyCodecs = {
  name: 'lazy-codecs',
  setup(build) {
    build.onResolve({ filter: /^\.\/codecs$/ }, (args) =>
      args.importer.endsWith(path.join('src', 'core', 'text', 'encoding.ts')) ? { path: './codecs.js', external: true } : undefined);
  },
};

/** `__OA_TEST__`: true in development builds (the integration tests run them), false in production. */
function testDefine(production) {
  return { __OA_TEST__: production ? 'false' : 'true' };
}

/** @returns {import('esbuild').BuildOptions} */
function extensionBuild({ production = false } = {}) {
  return {
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    define: testDefine(production),
    plugins: [lazyTransport, lazyCodecs, plainRequires],
    // The first statement of the bundle: activation is timed from here (see src/extension.ts).
    // (And, for the tests, the CPU used so far and the process-wide undici dispatcher as it was.)
    // Thread CPU (Node >= 23.9) is what loading costs even when the host thread is descheduled.
    banner: { js: "var __oaLoadStart = performance.now(), __oaLoadThreadCpu = process.threadCpuUsage && process.threadCpuUsage(), __oaDispatcherAtLoad = globalThis[Symbol.for('undici.globalDispatcher.1')];" },
    // The last statement: loading is over (the host may do other work before it calls activate).
    footer: { js: 'var __oaLoadEnd = performance.now(), __oaLoadEndThreadCpu = process.threadCpuUsage && process.threadCpuUsage();' },
    minify: production,
    sourcemap: !production,
    sourcesContent: false,
    logLevel: 'warning',
  };
}

/** A Node (CommonJS) bundle of its own next to dist/extension.js, required lazily at run time.
 * @returns {import('esbuild').BuildOptions} */
function nodeBundle(entry, outfile, { production = false, sourcemap = !production } = {}) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: production,
    sourcemap,
    ...(sourcemap ? { sourcesContent: false } : {}),
    logLevel: 'warning',
  };
}

/** The HTTP transport (undici): dist/transport.js. */
function transportBuild({ production = false } = {}) {
  return nodeBundle('src/core/http/undiciTransport.ts', 'dist/transport.js', { production });
}

/** iconv-lite + jschardet: dist/codecs.js (no source map: it is all library code). */
function codecsBuild({ production = false } = {}) {
  return nodeBundle('src/core/text/codecs.ts', 'dist/codecs.js', { production, sourcemap: false });
}

/** The workspace search's worker thread (chunking + MiniSearch), dist/contextWorker.js: started by
 * src/core/context/engineWorker.ts on the first `@workspace`, never at activation. */
function contextWorkerBuild({ production = false } = {}) {
  return nodeBundle('src/core/context/engineWorkerMain.ts', 'dist/contextWorker.js', { production });
}

function webviewBuild({ production = false } = {}) {
  return {
    entryPoints: ['src/webview/main.ts'],
    outfile: 'dist/webview/main.js',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    define: testDefine(production),
    minify: production,
    sourcemap: !production,
    sourcesContent: false,
    logLevel: 'warning',
  };
}

async function main() {
  const production = process.argv.includes('--production');
  const watch = process.argv.includes('--watch');
  /** @type {import('esbuild').BuildOptions[]} */
  const builds = [extensionBuild({ production }), transportBuild({ production }), codecsBuild({ production }), contextWorkerBuild({ production })];
  // The chat webview bundle is built only once its entry exists.
  if (fs.existsSync(path.join(__dirname, 'src/webview/main.ts'))) builds.push(webviewBuild({ production }));
  if (production) fs.rmSync(path.join(__dirname, 'dist'), { recursive: true, force: true });
  if (watch) {
    for (const b of builds) await (await esbuild.context(b)).watch();
    console.log('[esbuild] watching');
    return;
  }
  await Promise.all(builds.map((b) => esbuild.build(b)));
}

module.exports = { extensionBuild, transportBuild, codecsBuild, contextWorkerBuild, webviewBuild };
if (require.main === module) main().catch((e) => { console.error(e); process.exit(1); });
