// Bundles the extension (Node, CommonJS, `vscode` external) and the webview (browser, IIFE).
// Flags: --production (minify, no source maps), --watch.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

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

/** @type {import('esbuild').BuildOptions[]} */
const builds = [
  {
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    plugins: [lazyCodecs],
    minify: production,
    sourcemap: !production,
    sourcesContent: false,
    logLevel: 'warning',
  },
  {
    entryPoints: ['src/core/text/codecs.ts'],
    outfile: 'dist/codecs.js',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: production,
    sourcemap: false,
    logLevel: 'warning',
  },
];
// The chat webview bundle is built only once its entry exists.
if (fs.existsSync(path.join(__dirname, 'src/webview/main.ts'))) {
  builds.push({
    entryPoints: ['src/webview/main.ts'],
    outfile: 'dist/webview/main.js',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: production,
    sourcemap: !production,
    sourcesContent: false,
    logLevel: 'warning',
  });
}

async function main() {
  if (production) fs.rmSync(path.join(__dirname, 'dist'), { recursive: true, force: true });
  if (watch) {
    for (const b of builds) await (await esbuild.context(b)).watch();
    console.log('[esbuild] watching');
    return;
  }
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
main().catch((e) => { console.error(e); process.exit(1); });
