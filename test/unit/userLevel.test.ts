// Connection settings are read from the user level only (User, or a remote window's Remote
// settings), never from a workspace; and where the endpoint came from, for messages.
import * as assert from 'assert';
import { resolveEndpoint, tabInForce, userLevelValue, type InspectRecord } from '../../src/core/config/userLevel';

const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

describe('connection settings: user level only', () => {
  it('a User value is in force (origin user)', () => {
    const i: InspectRecord<string> = { defaultValue: '', globalValue: 'http://gpu:11434', globalLocalValue: 'http://gpu:11434' };
    assert.deepStrictEqual(userLevelValue(i, isString), { value: 'http://gpu:11434', origin: 'user', workspaceIgnored: false });
  });

  it('a Remote value overrides User in a remote window (origin remote)', () => {
    // VS Code's merged globalValue already prefers the remote machine's value.
    const i: InspectRecord<string> = { defaultValue: '', globalValue: 'http://remote-box:11434', globalLocalValue: 'http://laptop:11434', globalRemoteValue: 'http://remote-box:11434' };
    assert.deepStrictEqual(userLevelValue(i, isString), { value: 'http://remote-box:11434', origin: 'remote', workspaceIgnored: false });
  });

  it('workspace and folder values are ignored and reported, for every kind of value', () => {
    const ws: InspectRecord<string> = { defaultValue: '', globalValue: 'http://mine:11434', workspaceValue: 'http://evil.example:80' };
    assert.deepStrictEqual(userLevelValue(ws, isString), { value: 'http://mine:11434', origin: 'user', workspaceIgnored: true });
    const folder: InspectRecord<string> = { defaultValue: '', workspaceFolderValue: 'http://evil.example:80' };
    assert.deepStrictEqual(userLevelValue(folder, isString), { value: '', origin: 'default', workspaceIgnored: true });
    const headers: InspectRecord<Record<string, string>> = { defaultValue: {}, workspaceValue: { 'X-Leak': '1' } };
    assert.deepStrictEqual(userLevelValue(headers, isObject), { value: {}, origin: 'default', workspaceIgnored: true });
  });

  it('a user value of the wrong type falls back to the default', () => {
    const i = { defaultValue: 10, globalValue: 'ten' } as InspectRecord<unknown>;
    assert.deepStrictEqual(userLevelValue(i, (v): v is number => typeof v === 'number'), { value: 10, origin: 'default', workspaceIgnored: false });
    assert.deepStrictEqual(userLevelValue(undefined, isString), { value: undefined, origin: 'default', workspaceIgnored: false });
  });

  it('hosts without globalLocalValue/globalRemoteValue (older VS Code) still read the User value', () => {
    assert.deepStrictEqual(userLevelValue({ defaultValue: '', globalValue: 'x:1' }, isString), { value: 'x:1', origin: 'user', workspaceIgnored: false });
  });

  it('the endpoint: setting, else OLLAMA_HOST, else the default, with its source', () => {
    const user = userLevelValue({ defaultValue: '', globalValue: ' http://a:1 ' }, isString);
    assert.deepStrictEqual(resolveEndpoint(user, { OLLAMA_HOST: 'b:2' }), { endpoint: 'http://a:1', source: 'user' });
    const remote = userLevelValue({ defaultValue: '', globalValue: 'http://r:1', globalRemoteValue: 'http://r:1' }, isString);
    assert.deepStrictEqual(resolveEndpoint(remote, {}), { endpoint: 'http://r:1', source: 'remote' });
    const empty = userLevelValue({ defaultValue: '', globalValue: '  ' }, isString);
    assert.deepStrictEqual(resolveEndpoint(empty, { OLLAMA_HOST: ' b:2 ' }), { endpoint: 'b:2', source: 'OLLAMA_HOST' });
    assert.deepStrictEqual(resolveEndpoint(empty, { OLLAMA_HOST: '' }), { endpoint: '', source: 'default' });
    // A workspace value never becomes the endpoint, not even over OLLAMA_HOST.
    const hostile = userLevelValue({ defaultValue: '', workspaceValue: 'http://evil:1' }, isString);
    assert.deepStrictEqual(resolveEndpoint(hostile, { OLLAMA_HOST: 'b:2' }), { endpoint: 'b:2', source: 'OLLAMA_HOST' });
    assert.deepStrictEqual(resolveEndpoint(hostile, {}), { endpoint: '', source: 'default' });
  });

  it('"Open Setting" goes to the tab whose value is in force', () => {
    assert.strictEqual(tabInForce(undefined, true), 'user');
    assert.strictEqual(tabInForce({ globalValue: 'a', globalLocalValue: 'a' }, true), 'user');
    assert.strictEqual(tabInForce({ globalValue: 'b', globalLocalValue: 'a', globalRemoteValue: 'b' }, true), 'remote');
    // Connection settings: a workspace value is not in force, so not its tab.
    assert.strictEqual(tabInForce({ workspaceValue: 'w', globalValue: 'a' }, true), 'user');
    // Ordinary settings: the workspace (or folder) value wins.
    assert.strictEqual(tabInForce({ workspaceValue: 'w', globalValue: 'a' }, false), 'workspace');
    assert.strictEqual(tabInForce({ workspaceFolderValue: 'f', workspaceValue: 'w' }, false), 'workspaceFolder');
    assert.strictEqual(tabInForce({ globalRemoteValue: 'r' }, false), 'remote');
  });
});
