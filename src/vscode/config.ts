// Typed access to the extension's settings: one getter per setting, and the one place that knows
// which setting changes rebuild the HTTP client.
import * as vscode from 'vscode';
import { resolveEndpoint, tabInForce, userLevelValue, type EndpointSource, type InspectRecord, type SettingsTab, type UserLevelValue } from '../core/config/userLevel';
import type { BackendKind, Sampling } from '../core/llm/backend';

export const SECTION = 'ollamaAssistant';

export interface ConnectionConfig {
  /** Endpoint as configured; empty means the default (http://127.0.0.1:11434). */
  endpoint: string;
  /** Where the endpoint came from, for messages (User / Remote settings, OLLAMA_HOST, default). */
  endpointSource: EndpointSource;
  backend: BackendKind;
  headers: Record<string, unknown>;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  caCertificateFile: string;
  /** VS Code's own proxy settings (undici does not see VS Code's patch of Node's http). */
  httpProxy: string;
  httpNoProxy: string[];
  /** Connection settings a workspace or folder sets, which were ignored (full keys). */
  ignoredWorkspaceKeys: string[];
}

/** Settings whose change means a new client. */
export const CONNECTION_KEYS = [
  `${SECTION}.endpoint`, `${SECTION}.backend`, `${SECTION}.headers`, `${SECTION}.timeouts`, `${SECTION}.caCertificateFile`,
  'http.proxy', 'http.noProxy',
];

/** The extension's connection settings (relative keys): read from User / Remote settings only. */
export const USER_LEVEL_KEYS = [
  'endpoint', 'backend', 'headers', 'caCertificateFile',
  'timeouts.connectSeconds', 'timeouts.firstByteSeconds', 'timeouts.idleSeconds',
];

const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isSeconds = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** One connection setting's user-level value (workspace values ignored, see core/config/userLevel). */
function userLevel<T>(c: vscode.WorkspaceConfiguration, key: string, valid: (v: unknown) => v is T): UserLevelValue<T> {
  return userLevelValue(c.inspect<T>(key) as InspectRecord<T> | undefined, valid);
}

export function readConnectionConfig(env: Record<string, string | undefined> = process.env): ConnectionConfig {
  const c = vscode.workspace.getConfiguration(SECTION);
  const http = vscode.workspace.getConfiguration('http');
  const ignored: string[] = [];
  const read = <T>(key: string, valid: (v: unknown) => v is T): UserLevelValue<T> => {
    const v = userLevel(c, key, valid);
    if (v.workspaceIgnored) ignored.push(`${SECTION}.${key}`);
    return v;
  };
  const { endpoint, source } = resolveEndpoint(read('endpoint', isString), env);
  const secs = (key: string, dflt: number) => (read(`timeouts.${key}`, isSeconds).value ?? dflt) * 1000;
  return {
    endpoint,
    endpointSource: source,
    backend: read('backend', isString).value === 'openai' ? 'openai' : 'ollama',
    headers: read('headers', isObject).value ?? {},
    connectTimeoutMs: secs('connectSeconds', 10),
    headersTimeoutMs: secs('firstByteSeconds', 600),
    idleTimeoutMs: secs('idleSeconds', 120),
    caCertificateFile: (read('caCertificateFile', isString).value ?? '').trim(),
    httpProxy: (http.get<string>('proxy') ?? '').trim(),
    httpNoProxy: http.get<string[]>('noProxy') ?? [],
    ignoredWorkspaceKeys: ignored,
  };
}

/** The endpoint the current clients use and where it came from (set by the context owner on every
 * client build), so that any message about that URL can say where it came from. */
let endpointInUse: { url: string; source: EndpointSource } | undefined;

export function noteEndpointInUse(url: string, source: EndpointSource): void {
  endpointInUse = { url, source };
}

/** Where `url` came from, when it is the endpoint in use. */
export function endpointSourceOf(url: string): EndpointSource | undefined {
  return endpointInUse && sameUrl(endpointInUse.url, url) ? endpointInUse.source : undefined;
}

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** "The endpoint comes from your User settings (ollamaAssistant.endpoint)." and the like. */
export function endpointSourceSentence(source: EndpointSource): string {
  const remote = vscode.env.remoteName;
  switch (source) {
    case 'user': return vscode.l10n.t('The endpoint comes from your User settings (ollamaAssistant.endpoint).');
    case 'remote': return vscode.l10n.t('The endpoint comes from the Remote settings of {0} (ollamaAssistant.endpoint).', remote ?? '');
    case 'OLLAMA_HOST': return remote
      ? vscode.l10n.t('The endpoint comes from the OLLAMA_HOST environment variable on the remote machine ({0}).', remote)
      : vscode.l10n.t('The endpoint comes from the OLLAMA_HOST environment variable.');
    case 'default': return vscode.l10n.t('The endpoint is the default: ollamaAssistant.endpoint is not set in User settings and OLLAMA_HOST is empty.');
  }
}

/** Which settings editor tab holds the value of `key` (a full key) that is in force. */
export function settingTab(key: string): SettingsTab {
  const rel = key.startsWith(`${SECTION}.`) ? key.slice(SECTION.length + 1) : '';
  const inspect = vscode.workspace.getConfiguration().inspect(key) as InspectRecord<unknown> | undefined;
  return tabInForce(inspect, USER_LEVEL_KEYS.includes(rel));
}

const OPEN_SETTINGS_COMMAND: Record<SettingsTab, string> = {
  user: 'workbench.action.openGlobalSettings',
  remote: 'workbench.action.openRemoteSettings',
  workspace: 'workbench.action.openWorkspaceSettings',
  workspaceFolder: 'workbench.action.openWorkspaceSettings',
};

/** Opens the settings editor on the tab where the value of `key` takes effect (User, Remote, or for
 * ordinary settings a workspace overrides, Workspace), searched for `key`. Resolves with what it did. */
export async function openSettingWhereItTakesEffect(key: string): Promise<{ tab: SettingsTab; command: string }> {
  const tab = settingTab(key);
  const command = OPEN_SETTINGS_COMMAND[tab];
  await vscode.commands.executeCommand(command, { query: key });
  return { tab, command };
}

export function affectsConnection(e: vscode.ConfigurationChangeEvent): boolean {
  return CONNECTION_KEYS.some((k) => e.affectsConfiguration(k));
}

export type Feature = 'chat' | 'completion' | 'translation' | 'embeddings';

/** The model configured for a feature. */
export function modelFor(feature: Feature): string {
  return (vscode.workspace.getConfiguration(SECTION).get<string>(`${feature}.model`) ?? '').trim();
}

/** Default generation options and keep_alive shared by every feature, so that the same model is
 * never reloaded because two features asked with different load-time options. */
export function generationDefaults(): { options: Sampling; keepAlive: string | number | undefined } {
  const c = vscode.workspace.getConfiguration(SECTION);
  const o = c.get<Record<string, unknown>>('options') ?? {};
  const num = (k: string) => (typeof o[k] === 'number' && Number.isFinite(o[k]) ? (o[k] as number) : undefined);
  const options: Sampling = {};
  const set = <K extends keyof Sampling>(k: K, v: Sampling[K] | undefined) => { if (v !== undefined) options[k] = v; };
  set('temperature', num('temperature'));
  set('topP', num('top_p'));
  set('topK', num('top_k'));
  set('numCtx', num('num_ctx'));
  set('numPredict', num('num_predict'));
  set('seed', num('seed'));
  const ka = c.get<string>('keepAlive');
  return { options, keepAlive: ka && ka.trim() ? ka.trim() : undefined };
}
