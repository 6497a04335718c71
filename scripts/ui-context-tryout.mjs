// Issue 15 (chat context) tried as a new user lives it, through the UI only: the PACKAGED .vsix is
// installed with `code-server --install-extension` into a fresh profile, a small git workspace
// (src/dates, src/api, src/ui, a .gitignored vendor/ with a decoy copy) is opened, and everything
// after that is keyboard and mouse in headless chromium (playwright-core): `@` in the chat composer
// opens the mention picker, a file is picked (chip with a token size), `@workspace` lists Sources
// that open at their lines and can be removed (regenerate), the index is rebuilt from the command
// palette and its report read in the Output channel, and problems / git diff / folder / symbol
// mentions are picked. The protocol test server stands in for Ollama; its recorded requests show
// what reached the request body. The endpoint is written into the fresh profile's User
// settings.json before start (the Settings UI path is covered by scripts/ui-scenario.mjs).
//
// usage: node scripts/ui-context-tryout.mjs [path/to.vsix]   (default ./ollama-assistant.vsix)
// needs: `npx tsc -p tsconfig.test.json`, the test host. env: OLLAMA_ASSISTANT_TEST_HOST, ARTIFACTS,
// CHROMIUM, KEEP_TMP=1. Screenshots: test-artifacts/tryout-*.png. Exit 0 only if every step passes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { artifacts, assert, closeAll, freshProfile, installVsix, openWorkbench, QUIET_SETTINGS, repo, runCommand as runCommandOn, stepper, writeUserSettings } from './uiHarness.mjs';

const require = createRequire(import.meta.url);
const vsix = path.resolve(process.argv[2] ?? path.join(repo, 'ollama-assistant.vsix'));
const t0 = Date.now();
const ts = () => `[${((Date.now() - t0) / 1000).toFixed(1)}s]`;

if (!existsSync(vsix)) { console.error(`no .vsix at ${vsix}`); process.exit(3); }
const serverModule = path.join(repo, 'out/test/support/ollamaServer.js');
if (!existsSync(serverModule)) { console.error(`no ${serverModule}: run npx tsc -p tsconfig.test.json first`); process.exit(3); }
const { OllamaTestServer } = require(serverModule);
const { DEFAULT_MODELS } = require(path.join(repo, 'out/test/support/ollamaServerModels.js'));

const profile = freshProfile('oa-ctx-', 'shop');
const { ws } = profile;

// --- the workspace: a small shop app in three folders, a git repo, a decoy under an ignored folder
const files = {
  '.gitignore': 'node_modules/\nvendor/\ndist/\n',
  'package.json': JSON.stringify({ name: 'shop', version: '1.0.0', type: 'module', devDependencies: { typescript: '^5.6.0' } }, null, 2) + '\n',
  'tsconfig.json': JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ES2022', strict: true, jsx: 'react-jsx' }, include: ['src'] }, null, 2) + '\n',
  'README.md': '# Shop\n\nOrder handling and delivery estimates for the shop.\n\n- `src/api` — HTTP handlers\n- `src/dates` — calendar helpers\n- `src/ui` — components\n',
  'src/dates/businessDays.ts': [
    "import { isHoliday } from './holidays';",
    '',
    '/** Saturday (6) and Sunday (0). */',
    'export function isWeekend(d: Date): boolean {',
    '  const day = d.getDay();',
    '  return day === 0 || day === 6;',
    '}',
    '',
    '/**',
    ' * Adds `days` business days to `start`, skipping weekends and public holidays.',
    ' * A negative `days` goes backwards. The time of day is kept.',
    ' */',
    'export function addBusinessDays(start: Date, days: number): Date {',
    '  const step = days < 0 ? -1 : 1;',
    '  const result = new Date(start.getTime());',
    '  let left = Math.abs(days);',
    '  while (left > 0) {',
    '    result.setDate(result.getDate() + step);',
    '    if (!isWeekend(result) && !isHoliday(result)) left--;',
    '  }',
    '  return result;',
    '}',
    '',
  ].join('\n'),
  'src/dates/holidays.ts': [
    "const FIXED = ['01-01', '05-01', '12-25', '12-26'];",
    '',
    '/** True on a fixed-date public holiday. */',
    'export function isHoliday(d: Date): boolean {',
    "  const key = `${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;",
    '  return FIXED.includes(key);',
    '}',
    '',
  ].join('\n'),
  'src/dates/format.ts': [
    '/** 2024-03-05 style. */',
    'export function formatIsoDate(d: Date): string {',
    '  return d.toISOString().slice(0, 10);',
    '}',
    '',
    '/** "Tue 5 Mar" style, for the order page. */',
    'export function formatShort(d: Date, locale = "en-GB"): string {',
    "  return d.toLocaleDateString(locale, { weekday: 'short', day: 'numeric', month: 'short' });",
    '}',
    '',
  ].join('\n'),
  'src/api/orders.ts': [
    "import { addBusinessDays } from '../dates/businessDays';",
    "import { formatIsoDate } from '../dates/format';",
    '',
    'export interface Order { id: string; placedAt: Date; express: boolean }',
    '',
    '/** The promised delivery date: 2 business days for express, 5 otherwise. */',
    'export function deliveryDate(order: Order): string {',
    '  return formatIsoDate(addBusinessDays(order.placedAt, order.express ? 2 : 5));',
    '}',
    '',
    '/** A deliberate type error, for the Problems mention. */',
    'export const orderCount: number = "three";',
    '',
  ].join('\n'),
  'src/api/server.ts': [
    "import { createServer } from 'node:http';",
    "import { deliveryDate } from './orders';",
    '',
    'export function start(port: number) {',
    '  return createServer((req, res) => {',
    "    const order = { id: '1', placedAt: new Date(), express: req.url?.includes('express') ?? false };",
    "    res.setHeader('content-type', 'application/json');",
    '    res.end(JSON.stringify({ delivery: deliveryDate(order) }));',
    '  }).listen(port);',
    '}',
    '',
  ].join('\n'),
  'src/ui/DeliveryBadge.tsx': [
    "import { formatShort } from '../dates/format';",
    '',
    'export function DeliveryBadge({ date }: { date: Date }) {',
    '  return <span className="badge">Arrives {formatShort(date)}</span>;',
    '}',
    '',
  ].join('\n'),
  // The decoy: an ignored vendored copy; @workspace must not cite it.
  'vendor/dates/businessDays.ts': '// vendored old copy (DECOY, ignored by .gitignore)\nexport function addBusinessDays(start: Date, days: number): Date {\n  const r = new Date(start); r.setDate(r.getDate() + days); return r; // DECOY\n}\n',
};
for (const [rel, text] of Object.entries(files)) {
  mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
  writeFileSync(path.join(ws, rel), text);
}
const git = (...args) => execFileSync('git', args, { cwd: ws, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
git('init', '-q', '-b', 'main');
git('add', '-A');
git('commit', '-q', '-m', 'initial');
// A working-tree change for the git diff mention.
writeFileSync(path.join(ws, 'src/dates/holidays.ts'), files['src/dates/holidays.ts'].replace("'12-26'", "'12-26', '12-31' /* DIFF-MARKER */"));

// The endpoint goes straight into User settings.json (the Settings UI path is in ui-scenario.mjs).
let page;
const { step, finish } = stepper('tryout', () => page);
const notes = [];
const note = (s) => { notes.push(s); console.log('      note:', s); };
const shot = (name) => page.screenshot({ path: path.join(artifacts, `tryout-${name}.png`) });

let chats = 0;
const server = await OllamaTestServer.start({
  version: '0.33.0',
  tokenDelayMs: 5,
  models: [...DEFAULT_MODELS, { name: 'qwen2.5-coder:1.5b-base', family: 'qwen2', parameter_size: '1.5B', capabilities: ['completion', 'insert'] }],
  reply: (req) => {
    if (req.path === '/api/generate') return '';
    chats++;
    return `Answer ${chats}: use \`addBusinessDays(start, n)\` from src/dates/businessDays.ts.`;
  },
});
writeUserSettings(profile, {
  ...QUIET_SETTINGS,
  'ollamaAssistant.endpoint': server.url,
  'ollamaAssistant.completion.enabled': false,
});
const chatReqs = () => server.requests.filter((r) => r.path === '/api/chat');
const bodyText = (r) => JSON.stringify(r.body);

let opened;
let frame;
try {
  console.log(ts(), 'installing', vsix);
  installVsix(profile, vsix);
  opened = await openWorkbench(profile).catch((e) => { opened = e.opened; throw e; });
  page = opened.page;
  console.log(ts(), 'workbench open');

  const quick = page.locator('.quick-input-widget');
  const quickInput = quick.locator('input');
  const runCommand = (title) => runCommandOn(page, title);
  async function openFile(name) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('ControlOrMeta+P');
    await quickInput.waitFor({ timeout: 15000 });
    await quickInput.fill(name);
    const row = quick.locator('.monaco-list-row', { hasText: name }).first();
    await row.waitFor({ timeout: 30000 });
    await row.click();
    await page.locator('.editor-group-container .tab.active', { hasText: name }).first().waitFor({ timeout: 30000 });
  }
  const composer = () => frame.locator('textarea').first();
  /** Types `@` in the composer; resolves when the mention picker shows. */
  async function openPicker() {
    await composer().click();
    await page.keyboard.press('End');
    await page.keyboard.type('@');
    await quick.locator('.quick-input-title', { hasText: 'Add context to the chat' }).waitFor({ timeout: 15000 });
  }
  /** In the open picker: types `filter`, waits for a row matching `row`, picks it with Enter. */
  async function pickInPicker(filter, row, shotName) {
    await page.keyboard.type(filter, { delay: 30 });
    const r = quick.locator('.monaco-list-row', { hasText: row }).first();
    await r.waitFor({ timeout: 30000 });
    // Arrow to it if it is not the focused row.
    for (let i = 0; i < 40 && !(await r.evaluate((e) => e.classList.contains('focused'))); i++) await page.keyboard.press('ArrowDown');
    if (shotName) await shot(shotName);
    await page.keyboard.press('Enter');
    await quick.waitFor({ state: 'hidden', timeout: 15000 });
  }
  async function waitAnswer(n) {
    await frame.locator('[role=log]', { hasText: `Answer ${n}:` }).waitFor({ timeout: 60000 });
  }

  console.log('\n  issue 15 (chat context) through the UI, from the packaged .vsix');

  await step('1. workspace opens; an editor on src/api/orders.ts', async () => {
    await openFile('orders.ts');
    await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 30000 }).catch(() => {});
    await shot('1-workspace');
  });

  await step('2. @ opens the mention picker; a picked file becomes a chip with a token size; the answer arrives', async () => {
    await page.locator('.activitybar [aria-label^="Ollama"]').first().click();
    frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await composer().waitFor({ timeout: 45000 });
    const s = Date.now();
    await openPicker();
    note(`picker shown ${Date.now() - s} ms after typing @`);
    // The full list (files, folders) comes after the listing: wait for a file row.
    await quick.locator('.monaco-list-row', { hasText: 'businessDays.ts' }).first().waitFor({ timeout: 30000 });
    await shot('2a-picker');
    const rows = await quick.locator('.monaco-list-row').allInnerTexts();
    note(`picker first rows: ${rows.slice(0, 14).map((r) => r.replace(/\s+/g, ' ')).join(' | ')}`);
    assert(!rows.some((r) => r.includes('vendor')), 'the picker lists the .gitignored vendor/ folder');
    await pickInPicker('format.ts', 'format.ts', null);
    const chip = frame.locator('.chip', { hasText: 'format.ts' }).first();
    await chip.waitFor({ timeout: 15000 });
    const chipText = (await chip.innerText()).replace(/\s+/g, ' ');
    note(`chip: "${chipText}"`);
    assert(/~\d+ tok/.test(chipText), `no token size on the chip: ${chipText}`);
    const composerValue = await composer().inputValue();
    note(`composer after the pick: ${JSON.stringify(composerValue)}`);
    await shot('2b-chip');
    await composer().click();
    await page.keyboard.type('What does formatShort return?');
    await page.keyboard.press('Enter');
    await waitAnswer(1);
    const body = bodyText(chatReqs().at(-1));
    assert(body.includes('formatShort') && body.includes('toLocaleDateString'), `the file text did not reach the body: ${body.slice(0, 600)}`);
    await shot('2c-answer');
    const chipsAfter = await frame.locator('.chip').count();
    note(`chips left in the composer after sending: ${chipsAfter}`);
  });

  await step('3. @workspace: Sources list businessDays.ts (not the decoy); a source opens at its lines; × regenerates', async () => {
    await openPicker();
    await pickInPicker('workspace', '@workspace', '3a-picker-workspace');
    const v = await composer().inputValue();
    assert(v.includes('@workspace '), `composer after picking @workspace: ${JSON.stringify(v)}`);
    await page.keyboard.type('how do I add business days to a date?');
    await shot('3a2-composer');
    const before = chatReqs().length;
    const s = Date.now();
    await page.keyboard.press('Enter');
    await waitAnswer(2);
    note(`@workspace answer in ${Date.now() - s} ms`);
    const sources = frame.locator('.msg-sources').last();
    await sources.waitFor({ timeout: 15000 });
    const labels = await sources.locator('.source-open').allInnerTexts();
    note(`sources: ${labels.join(' | ')}`);
    await shot('3b-sources');
    const req = chatReqs().at(-1);
    assert(chatReqs().length === before + 1, 'not one /api/chat for the question');
    const body = bodyText(req);
    assert(body.includes('export function addBusinessDays(start: Date, days: number): Date'), 'businessDays.ts text not in the body');
    assert(!body.includes('DECOY'), 'the .gitignored vendor decoy reached the body');
    const bd = labels.findIndex((l) => l.includes('businessDays.ts') && !l.includes('vendor'));
    assert(bd >= 0, `businessDays.ts not among the sources: ${labels.join(' | ')}`);
    assert(!labels.some((l) => l.includes('vendor')), 'decoy among sources');
    // Open it: the editor shows businessDays.ts with the selection on the cited range.
    await sources.locator('.source-open').nth(bd).click();
    await page.locator('.tab.active', { hasText: 'businessDays.ts' }).first().waitFor({ timeout: 15000 });
    const m = /:(\d+)-(\d+)$/.exec(labels[bd].replace(/\s*×$/, "").trim());
    const status = page.locator('[id="status.editor.selection"]').first();
    await status.filter({ hasText: /selected/ }).waitFor({ timeout: 15000 }).catch(() => note('the status bar never showed a selection after opening the source'));
    const sel = (await status.innerText()).trim();
    note(`source label "${labels[bd]}" opened; status bar: "${sel}"`);
    const ln = Number(/Ln (\d+)/.exec(sel)?.[1]);
    assert(m, `the source label gives no lines: ${labels[bd]}`);
    assert(ln >= Number(m[1]) && ln <= Number(m[2]), `label says lines ${m[1]}-${m[2]} but the cursor is at ${sel}`);
    const fnLine = files['src/dates/businessDays.ts'].split('\n').findIndex((l) => l.startsWith('export function addBusinessDays')) + 1;
    await shot('3c-source-opened');
    // The question's turn as the user sees it (scrolled into view).
    await frame.locator('.msg-head', { hasText: 'You' }).last().scrollIntoViewIfNeeded();
    await shot('3b2-user-turn');
    const userTurn = await frame.locator('.msg-head', { hasText: 'You' }).last().locator('xpath=..').innerText();
    note(`the @workspace user turn shows ${userTurn.length} characters; starts ${JSON.stringify(userTurn.slice(0, 160))}`);
    assert(m && Number(m[1]) <= fnLine && (!m[2] || Number(m[2]) >= fnLine), `the cited range ${labels[bd]} does not cover addBusinessDays (line ${fnLine})`);
    // Remove another source (or this one if it is the only one) and see the answer regenerate.
    const n = await sources.locator('.source-remove').count();
    assert(n > 0, 'no × on the sources');
    const removeAt = labels.length > 1 ? (bd === 0 ? 1 : 0) : 0;
    const removed = labels[removeAt];
    await frame.locator('.msg-sources').last().locator('.source-remove').nth(removeAt).click();
    await waitAnswer(3);
    const after = await frame.locator('.msg-sources').last().locator('.source-open').allInnerTexts().catch(() => []);
    note(`after × on "${removed}": sources ${after.join(' | ')}; /api/chat count ${chatReqs().length - before}`);
    assert(!after.includes(removed), `removed source still listed: ${after.join(' | ')}`);
    const answerCount = await frame.locator('[role=log]').innerText();
    assert(!answerCount.includes('Answer 2:'), 'the regenerated answer did not replace the old one');
    const turnAfter = await frame.locator('.msg-head', { hasText: 'You' }).last().locator('xpath=..').innerText();
    note(`after ×, the user turn still shows the removed snippet: ${turnAfter.includes(removed.replace(/, \w+\)$/, ')').replace(/^(\S+)/, '$1'))}`);
    await shot('3d-after-remove');
  });

  await step('4. "Ollama: Rebuild the Workspace Search Index"; the Output channel reports files, chunks, heap', async () => {
    await runCommand('Ollama: Rebuild the Workspace Search Index');
    // A toast? Note what the user sees.
    await page.locator('.notification-toast').first().waitFor({ timeout: 8000 }).then(async () => note(`toast after rebuild: ${(await page.locator('.notification-toast').first().innerText()).replace(/\s+/g, ' ')}`), () => note('no toast after the rebuild command'));
    await shot('4a-after-rebuild');
    await runCommand('Output: Show Output Channels...');
    await quick.locator('.monaco-list-row', { hasText: 'Ollama Assistant' }).first().waitFor({ timeout: 15000 });
    await quickInput.fill('Ollama Assistant');
    await page.keyboard.press('Enter');
    const out = page.locator('.output-view, .panel .monaco-editor').first();
    await out.waitFor({ timeout: 15000 });
    // The last report line (the rebuild's) with its sizes.
    await page.locator('.panel .view-lines', { hasText: /workspace\sindex:\sready;\s\d+\sfiles/ }).first().waitFor({ timeout: 60000 });
    const text = (await page.locator('.panel .view-lines').first().innerText()).replace(/\u00a0/g, ' ').replace(/\n(?!\d{4}-\d\d-\d\d )/g, ' ');
    const lines = text.split('\n').filter((l) => l.includes('workspace index'));
    note(`index lines in Output (${lines.length}): ${lines.map((l) => l.trim()).join(' || ')}`);
    const last = lines.at(-1) ?? '';
    assert(/\d+ files/.test(last) && /\d+ chunks/.test(last) && /heap/.test(last), `report line lacks files/chunks/heap: ${last}`);
    await shot('4b-output');
  });

  await step('5. picker: problems of the file, workspace problems, git changes, folder, symbol reach the body', async () => {
    await page.keyboard.press('Escape');
    await openFile('orders.ts');
    // Wait for the TS server's diagnostic (the Problems mention needs it).
    await page.locator('.squiggly-error').first().waitFor({ timeout: 90000 });
    // The sidebar is still open (the activity-bar icon would toggle it closed).
    if (!(await composer().isVisible())) await page.locator('.activitybar [aria-label^="Ollama"]').first().click();
    await composer().waitFor({ timeout: 15000 });
    await openPicker();
    await pickInPicker('Problems in the current', 'Problems in the current file', null);
    await openPicker();
    await pickInPicker('Problems in the work', 'Problems in the workspace', null);
    await openPicker();
    await pickInPicker('Git working', 'Git working-tree changes', null);
    await openPicker();
    await pickInPicker('src/ui', 'src/ui/', null);
    await openPicker();
    const s = Date.now();
    await page.keyboard.type('addBusinessDays', { delay: 30 });
    const symRow = quick.locator('.monaco-list-row', { has: page.locator('.codicon-symbol-function') }).filter({ hasText: 'addBusinessDays' }).first();
    await symRow.waitFor({ timeout: 45000 });
    note(`symbol row shown ${Date.now() - s} ms after typing`);
    await shot('5a-picker-symbol');
    const symRows = (await quick.locator('.monaco-list-row').allInnerTexts()).map((r) => r.replace(/\s+/g, ' '));
    note(`symbol picker rows: ${symRows.slice(0, 8).join(' | ')}`);
    for (let i = 0; i < 40 && !(await symRow.evaluate((e) => e.classList.contains('focused'))); i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await quick.waitFor({ state: 'hidden', timeout: 15000 });
    const chips = (await frame.locator('.chip').allInnerTexts()).map((c) => c.replace(/\s+/g, ' '));
    note(`chips: ${chips.join(' | ')}`);
    await shot('5b-chips');
    await composer().click();
    // An e-mail address's @ must not open the picker.
    await page.keyboard.type('mail bob@example.com: ');
    await frame.locator('.chip').first().waitFor({ timeout: 5000 });
    note(`picker visible after typing an e-mail address: ${await quick.isVisible()}`);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('Review these.');
    await page.keyboard.press('Enter');
    await waitAnswer(4);
    const body = bodyText(chatReqs().at(-1));
    const want = { 'problem (Type string not assignable)': /not assignable to type 'number'/, 'git diff marker': /DIFF-MARKER/, 'folder src/ui': /DeliveryBadge/, 'symbol body': /let left = Math.abs\(days\)/ };
    const missing = Object.entries(want).filter(([, re]) => !re.test(body)).map(([k]) => k);
    await shot('5c-answer');
    assert(!missing.length, `missing from the request body: ${missing.join(', ')} (chips: ${chips.join(' | ')})`);
  });
} catch (e) {
  console.error(ts(), 'runner error:', e);
  await step('runner', () => { throw e; });
} finally {
  writeFileSync(path.join(artifacts, 'tryout-requests.json'), JSON.stringify(server.requests.filter((r) => r.path === '/api/chat').map((r) => r.body), null, 1));
  await closeAll(profile, opened);
  await server.close();
}
finish(t0);
