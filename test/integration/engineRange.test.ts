// The engine range package.json claims is the one `npm test` runs: the minimum-version step
// (scripts/test-all.sh, HOST=min, OA_MIN_HOST=1) must really be the lowest VS Code and Node the
// manifest names, so raising `engines` without moving the test host (or the reverse) fails here.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { activate } from './helpers';

describe('engine range (real extension host)', () => {
  it('minimum version: the host runs the lowest VS Code (engines.vscode) and Node (engines.node) the manifest claims', async function () {
    if (process.env.OA_MIN_HOST !== '1') this.skip();
    const ext = await activate();
    const engines = (ext.packageJSON as { engines: { vscode: string; node: string } }).engines;
    const vs = /^\^(\d+)\.(\d+)\.\d+$/.exec(engines.vscode);
    const node = /^>=(\d+\.\d+\.\d+)$/.exec(engines.node);
    assert.ok(vs && node, `engines ${JSON.stringify(engines)}: expected "^major.minor.patch" and ">=x.y.z"`);
    assert.ok(vscode.version.startsWith(`${vs[1]}.${vs[2]}.`), `engines.vscode is ${engines.vscode} but this host is VS Code ${vscode.version}`);
    assert.strictEqual(process.version, `v${node[1]}`, `engines.node is ${engines.node} but this host runs Node ${process.version}`);
    assert.strictEqual(ext.isActive, true);
    console.log(`[exthost] minimum-version host: VS Code ${vscode.version} (${vscode.env.appHost}), Node ${process.version}; engines ${JSON.stringify(engines)}`);
  });
});
