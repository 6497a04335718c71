// Bundles the extension (Node, CommonJS, `vscode` external) and the webview (browser, IIFE).
// Flags: --production (minify, no source maps), --watch.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

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
    minify: production,
    sourcemap: !production,
    sourcesContent: false,
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
