// Preloaded (`node --require`) into a code-server that has no `--vscode-option` flag (4.99.x, the
// minimum-version test host), to switch on VS Code's `--enable-smoke-test-driver`: without it a built
// workbench ignores the URL payload that names the extension under test and its tests
// (scripts/run-integration.mjs). code-server passes its own parsed arguments to the VS Code server
// through `toCodeArgs` (out/node/cli.js) and rejects options it does not know, so the flag is added
// there. Loaded in every process code-server forks; it does nothing outside code-server's cli module.
'use strict';
const Module = require('node:module');

const load = Module._load;
Module._load = function (request, parent, isMain) {
  const exported = load.apply(this, arguments);
  if (typeof request === 'string' && /(^|[\\/])cli(\.js)?$/.test(request) && exported && typeof exported.toCodeArgs === 'function'
    && !exported.toCodeArgs.oaSmokeDriver) {
    let file = '';
    try { file = Module._resolveFilename(request, parent, isMain); } catch { /* not a file module */ }
    if (/[\\/]code-server[\\/]out[\\/]node[\\/]cli\.js$/.test(file)) {
      const toCodeArgs = exported.toCodeArgs;
      const patched = async (...args) => ({ ...(await toCodeArgs(...args)), 'enable-smoke-test-driver': true });
      patched.oaSmokeDriver = true;
      exported.toCodeArgs = patched;
    }
  }
  return exported;
};
