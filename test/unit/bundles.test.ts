// Production bundles carry no test code: the extension's test API and the webview's test hooks are
// behind `__OA_TEST__`, which `npm run package` (esbuild.js --production) sets false so esbuild
// drops them with their branches; development builds (what the integration tests run) keep them.
// scripts/check-vsix.mjs checks the packaged files the same way.
import * as assert from 'assert';
import * as path from 'path';

const root = path.join(__dirname, '../../..');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- esbuild.js is CommonJS
const builds = require(path.join(root, 'esbuild.js')) as { extensionBuild(o: object): object; webviewBuild(o: object): object };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const esbuild = require('esbuild') as { build(o: object): Promise<{ outputFiles: Array<{ path: string; text: string }> }> };

/** Strings only the test API, the test protocol and the test hooks contain (as check-vsix.mjs). */
const TEST_ONLY = ['testResult', 'did not answer test op', 'chat webview is not ready', '__oaXss'];

async function bundle(make: (o: object) => object, production: boolean): Promise<string> {
  const r = await esbuild.build({ ...make({ production }), absWorkingDir: root, write: false, sourcemap: false, logLevel: 'silent' });
  return r.outputFiles.filter((f) => f.path.endsWith('.js')).map((f) => f.text).join('\n');
}

describe('bundles: test code only in test builds', function () {
  this.timeout(60000);
  for (const [name, make] of [['extension', builds.extensionBuild], ['webview', builds.webviewBuild]] as const) {
    it(`${name}: production has none of it, development has it`, async () => {
      const prod = await bundle(make, true);
      const dev = await bundle(make, false);
      assert.deepStrictEqual(TEST_ONLY.filter((m) => prod.includes(m)), [], `${name} production bundle`);
      assert.ok(TEST_ONLY.some((m) => dev.includes(m)), `${name} development bundle has the test code (else this check proves nothing)`);
    });
  }
});
