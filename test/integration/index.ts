// Mocha entry point loaded by VS Code's extension host (extensionTestsPath).
import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import Mocha from 'mocha';
import * as vscode from 'vscode';

/** What the process looked like when this file was loaded - as early as a test can look: the
 * process-wide undici dispatchers (another extension's `fetch` runs on them), whether our extension
 * was already active (an onStartupFinished activation can precede the tests) and whether its HTTP
 * transport bundle was loaded. test/integration/load.test.ts compares against it. */
export const atTestLoad = {
  dispatcher1: (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.1')],
  dispatcher2: (globalThis as Record<symbol, unknown>)[Symbol.for('undici.globalDispatcher.2')],
  extensionActive: vscode.extensions.getExtension('ollama-assistant.ollama-assistant')?.isActive ?? false,
  transportLoaded: Object.keys(require.cache).some((k) => /[\\/]dist[\\/]transport\.js$/.test(k)),
};

export function run(): Promise<void> {
  // Ext-host console output reaches the runner through the workbench log, unformatted and mixed with
  // workbench chatter; console.* cannot be patched in the host, so the reporter's own output is
  // formatted and tagged instead, and the runner prints only tagged lines.
  (Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void }).consoleLog =
    (...args: unknown[]) => console.log('[exthost] ' + util.format(...args));
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30000, reporter: 'spec' });
  if (process.env.OA_GREP) mocha.grep(process.env.OA_GREP);
  for (const f of fs.readdirSync(__dirname).sort()) if (f.endsWith('.test.js')) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} tests failed.`)) : resolve()));
  });
}
