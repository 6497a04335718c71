// Checks that every file package.json points at (main, l10n, icons, grammars, language
// configurations, walkthrough media) goes into the .vsix (`vsce ls` applies .vscodeignore), so a
// missing .vscodeignore exception fails the build instead of shipping a broken extension; and that
// the production bundles hold no test code (the test API, the test protocol, the webview's test
// hooks: esbuild.js drops them with `__OA_TEST__` false).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const listing = execFileSync('npx', ['vsce', 'ls', '--no-dependencies'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean);
const files = new Set(listing.map((f) => f.trim()));
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const c = pkg.contributes ?? {};
const wanted = new Set([pkg.main.replace(/^\.\//, ''), 'package.nls.json', 'package.nls.zh-cn.json', 'l10n/bundle.l10n.zh-cn.json', 'dist/webview/main.js',
  // The HTTP transport (undici), required lazily by dist/extension.js at the first request.
  'dist/transport.js',
  // iconv-lite + jschardet, required lazily the first time a file is neither UTF-8 nor UTF-16.
  'dist/codecs.js',
  // The workspace search's worker thread (chunking + BM25), started on the first @workspace.
  'dist/contextWorker.js']);
const add = (p) => { if (typeof p === 'string' && !p.startsWith('$(')) wanted.add(p.replace(/^\.\//, '')); };
for (const g of c.grammars ?? []) add(g.path);
for (const l of c.languages ?? []) add(l.configuration);
for (const v of c.viewsContainers?.activitybar ?? []) add(v.icon);
for (const views of Object.values(c.views ?? {})) for (const v of views) add(v.icon);
for (const w of c.walkthroughs ?? []) for (const s of w.steps ?? []) { add(s.media?.image); add(s.media?.markdown); add(s.media?.svg); }
const missing = [...wanted].filter((p) => !files.has(p));
if (missing.length) { console.error(`missing from the .vsix (see .vscodeignore):\n  ${missing.join('\n  ')}`); process.exit(1); }

// Strings that only the test API (src/vscode/testApi.ts), the test protocol
// (src/shared/chatTestProtocol.ts) and the webview's test hooks (src/webview/testHooks.ts) contain.
const TEST_ONLY = ['testResult', 'did not answer test op', 'chat webview is not ready', '__oaXss'];
const bundles = [...files].filter((f) => /^dist\/.*\.js$/.test(f));
const leaks = bundles.flatMap((f) => {
  const text = readFileSync(f, 'utf8');
  return TEST_ONLY.filter((m) => text.includes(m)).map((m) => `${f}: ${JSON.stringify(m)}`);
});
if (leaks.length) { console.error(`test-only code in the production bundles (see esbuild.js __OA_TEST__):\n  ${leaks.join('\n  ')}`); process.exit(1); }
console.log(`vsix check: ok (${wanted.size} referenced files present, ${files.size} files in total; no test code in ${bundles.length} bundles)`);
