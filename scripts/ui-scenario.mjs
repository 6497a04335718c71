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
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { artifacts, assert, closeAll, freshProfile, installVsix, listExtensions, openWorkbench, QUIET_SETTINGS, repo, runCommand as runCommandOn, stepper, writeUserSettings } from './uiHarness.mjs';

const require = createRequire(import.meta.url);
const vsix = path.resolve(process.argv[2] ?? path.join(repo, 'ollama-assistant.vsix'));
const EXT_ID = 'ollama-assistant.ollama-assistant';
const t0 = Date.now();
const ts = () => `[${((Date.now() - t0) / 1000).toFixed(1)}s]`;

if (!existsSync(vsix)) { console.error(`no .vsix at ${vsix}: run npm run package first`); process.exit(3); }
const serverModule = path.join(repo, 'out/test/support/ollamaServer.js');
if (!existsSync(serverModule)) { console.error(`no ${serverModule}: run npx tsc -p tsconfig.test.json first`); process.exit(3); }
const { OllamaTestServer } = require(serverModule);
const { DEFAULT_MODELS } = require(path.join(repo, 'out/test/support/ollamaServerModels.js'));

const profile = freshProfile('oa-ui-');
const { ws, userData, extensionsDir } = profile;
writeFileSync(path.join(ws, 'hello.ts'), 'export function add(a: number, b: number) {\n  return a + b;\n}\n');
// A fresh profile; only workbench noise is turned off. Nothing of ours is configured here: the
// user does that in the Settings UI.
writeUserSettings(profile, { ...QUIET_SETTINGS, 'git.enabled': false });

let page;
const { step, finish } = stepper('ui', () => page);

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

let opened;
try {
  console.log(ts(), 'installing', path.relative(repo, vsix));
  console.log(ts(), installVsix(profile, vsix));
  const listed = listExtensions(profile);
  const version = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version;

  console.log(`\n  first hour through the UI, from the packaged .vsix in a fresh profile`);
  await step('the packaged .vsix is installed (not a development path)', async () => {
    assert(listed.split('\n').includes(`${EXT_ID}@${version}`), `--list-extensions: ${listed}`);
    assert(existsSync(path.join(extensionsDir, `${EXT_ID}-${version}`, 'dist', 'extension.js')), 'dist/extension.js not in the installed extension');
  });

  opened = await openWorkbench(profile).catch((e) => { opened = e.opened; throw e; });
  page = opened.page;
  console.log(ts(), 'workbench open');

  const runCommand = (title) => runCommandOn(page, title);

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
  await step('runner', () => { throw e; });
} finally {
  await closeAll(profile, opened);
  await server.close();
}
finish(t0);
