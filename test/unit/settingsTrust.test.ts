// A workspace may not act on global state (issue 19 item 4): every setting in package.json is
// classified (src/vscode/settingsTrust.ts), the classes have scopes that keep working in a remote
// window, and the narrow-only rules let a workspace turn things off or down, never on or up.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { narrowOnlyMapSwitch, narrowOnlyMax, narrowOnlyRank, narrowOnlySwitch, type InspectRecord } from '../../src/core/config/userLevel';
import { SETTING } from '../../src/vscode/ids';
import { SETTING_TRUST, settingsTrusted } from '../../src/vscode/settingsTrust';

const root = path.join(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const props = (): Record<string, { scope?: string; default?: unknown }> => {
  const c = pkg.contributes.configuration;
  return Object.assign({}, ...(Array.isArray(c) ? c : [c]).map((x: { properties: object }) => x.properties));
};

describe('what a workspace may do with each setting', () => {
  it('every contributed setting is classified, and nothing else is', () => {
    assert.deepStrictEqual(Object.keys(SETTING_TRUST).sort(), Object.keys(props()).sort());
  });

  it('user-level and narrow-only settings are window-scoped (machine scope would drop a local User value in a remote window; application would hide the Remote tab), the rest window or resource', () => {
    for (const [key, p] of Object.entries(props())) {
      const scope = p.scope ?? 'window';
      assert.ok(['window', 'resource', 'language-overridable'].includes(scope), `${key}: scope ${scope}`);
      if (SETTING_TRUST[key as keyof typeof SETTING_TRUST] !== 'workspace') assert.strictEqual(scope, 'window', key);
    }
  });

  it('the audit: what reaches beyond the workspace is user-level, what is sent unasked or loads the server is narrow-only', () => {
    assert.deepStrictEqual(settingsTrusted('userLevel').sort(), [
      SETTING.endpoint, SETTING.backend, SETTING.headers, SETTING.caCertificateFile, SETTING.connectSeconds, SETTING.firstByteSeconds, SETTING.idleSeconds,
      SETTING.chatMaxHistorySessions, SETTING.chatMaxAnswerChars, SETTING.options, SETTING.keepAlive, SETTING.translationMemory,
      // The workspace search: embedding every chunk is opt-in per user; the caps bound the host's memory.
      SETTING.embeddingsModel, SETTING.contextMaxFiles, SETTING.contextMaxFileKB,
    ].sort());
    assert.deepStrictEqual(settingsTrusted('narrowOnly').sort(), [SETTING.completionEnabled, SETTING.completionLanguages, SETTING.completionContextTokens, SETTING.translationParallelRequests, SETTING.translationHoverStrings, SETTING.translationHoverTrigger, SETTING.vscodeChatLanguageModels, SETTING.vscodeChatTools].sort());
  });

  it('a switch: the workspace can turn it off, not on', () => {
    const i = (x: Partial<InspectRecord<unknown>>): InspectRecord<unknown> => ({ defaultValue: true, ...x });
    assert.strictEqual(narrowOnlySwitch(i({})), true);
    assert.strictEqual(narrowOnlySwitch(i({ globalValue: false, workspaceValue: true })), false, 'off for the user: a repository cannot turn it on');
    assert.strictEqual(narrowOnlySwitch(i({ globalValue: false, workspaceFolderValue: true })), false);
    assert.strictEqual(narrowOnlySwitch(i({ workspaceValue: false })), false, 'a repository can turn it off');
    assert.strictEqual(narrowOnlySwitch(i({ globalValue: true, workspaceFolderValue: false })), false);
    assert.strictEqual(narrowOnlySwitch(i({ globalValue: 'yes' })), true, 'a wrong-typed user value is the default');
    assert.strictEqual(narrowOnlySwitch(undefined, false), false);
  });

  it('a per-language map: the workspace can turn a language off (by name or *), never on', () => {
    const dflt = { '*': true, plaintext: false, markdown: false };
    const i = (x: Partial<InspectRecord<unknown>>): InspectRecord<unknown> => ({ defaultValue: dflt, ...x });
    assert.strictEqual(narrowOnlyMapSwitch(i({}), 'python'), true);
    assert.strictEqual(narrowOnlyMapSwitch(i({}), 'markdown'), false);
    assert.strictEqual(narrowOnlyMapSwitch(i({ workspaceValue: { markdown: true } }), 'markdown'), false, 'off by default: a repository cannot turn it on');
    assert.strictEqual(narrowOnlyMapSwitch(i({ globalValue: { '*': false }, workspaceValue: { '*': true, python: true } }), 'python'), false);
    assert.strictEqual(narrowOnlyMapSwitch(i({ globalValue: { markdown: true } }), 'markdown'), true, 'the user turns it on');
    assert.strictEqual(narrowOnlyMapSwitch(i({ globalValue: { markdown: true } }), 'python'), true, 'user entries merge with the default key by key');
    assert.strictEqual(narrowOnlyMapSwitch(i({ workspaceValue: { python: false } }), 'python'), false);
    assert.strictEqual(narrowOnlyMapSwitch(i({ workspaceFolderValue: { '*': false } }), 'python'), false);
    assert.strictEqual(narrowOnlyMapSwitch(i({ workspaceValue: { '*': false, python: true } }), 'python'), true, 'its own entry wins over its *');
  });

  it('an enum: the workspace can narrow it (off < keyboard < auto), never widen it', () => {
    const order = ['off', 'keyboard', 'auto'] as const;
    assert.strictEqual(narrowOnlyRank({ defaultValue: 'auto' }, order), 'auto');
    assert.strictEqual(narrowOnlyRank({ defaultValue: 'auto', workspaceValue: 'off' }, order), 'off', 'a repository can turn hover translation off');
    assert.strictEqual(narrowOnlyRank({ defaultValue: 'auto', globalValue: 'keyboard', workspaceValue: 'auto' }, order), 'keyboard', 'never wider than the user chose');
    assert.strictEqual(narrowOnlyRank({ defaultValue: 'auto', globalValue: 'off', workspaceFolderValue: 'auto' }, order), 'off');
    assert.strictEqual(narrowOnlyRank({ defaultValue: 'auto', workspaceValue: 'everything' }, order), 'auto', 'an unknown value is ignored');
    assert.strictEqual(narrowOnlyRank(undefined, order), undefined);
  });

  it('a number: the workspace can lower it, not raise it', () => {
    assert.strictEqual(narrowOnlyMax({ defaultValue: 4 }), 4);
    assert.strictEqual(narrowOnlyMax({ defaultValue: 4, workspaceValue: 32 }), 4);
    assert.strictEqual(narrowOnlyMax({ defaultValue: 4, workspaceValue: 2 }), 2);
    assert.strictEqual(narrowOnlyMax({ defaultValue: 4, globalValue: 8, workspaceValue: 16, workspaceFolderValue: 6 }), 6);
    assert.strictEqual(narrowOnlyMax({ defaultValue: 4, globalValue: 8, workspaceValue: 'lots' }), 8);
    assert.strictEqual(narrowOnlyMax(undefined), undefined);
  });
});
