// Which value of a connection setting is in force, from VS Code's `WorkspaceConfiguration.inspect()`
// record, and where it came from. Connection settings (endpoint, backend, headers, CA file, timeouts)
// are read ONLY from the user level: User settings, or in a remote window the Remote (machine)
// settings, which VS Code merges over User. Workspace and folder values are ignored, so a cloned
// repository's .vscode/settings.json can never redirect requests (or the code in them) elsewhere.
//
// Why not `"scope": "machine"`: in a remote window (Remote-SSH, WSL, Dev Containers, code-server) the
// workbench drops machine-scoped keys from the local User settings (LOCAL_MACHINE_SCOPES in VS Code's
// configuration service excludes MACHINE), so a User value is silently ignored there. With `window`
// scope the User value applies in local and remote windows and the Remote tab can override it per
// machine; the workspace part of `window` scope is what this module refuses.

/** The part of `inspect()` this module reads. `globalLocalValue` / `globalRemoteValue` are filled
 * by the extension host at run time (VS Code ≥ 1.64) though @types/vscode does not declare them. */
export interface InspectRecord<T> {
  defaultValue?: T;
  globalValue?: T;
  globalLocalValue?: T;
  globalRemoteValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** Where a user-level value came from: User settings, Remote settings (a remote window's machine
 * settings), or nowhere (the default). */
export type SettingOrigin = 'user' | 'remote' | 'default';

export interface UserLevelValue<T> {
  /** The value in force: the merged user-level value, else the default. */
  value: T | undefined;
  origin: SettingOrigin;
  /** The workspace or a workspace folder sets this key; that value was ignored. */
  workspaceIgnored: boolean;
}

/**
 * The user-level value of a setting, ignoring workspace and folder values.
 * `valid` rejects a value of the wrong type (hand-edited settings.json); a rejected user value
 * falls back to the default, with origin `default`.
 */
export function userLevelValue<T>(i: InspectRecord<T> | undefined, valid: (v: unknown) => v is T): UserLevelValue<T> {
  if (!i) return { value: undefined, origin: 'default', workspaceIgnored: false };
  const workspaceIgnored = i.workspaceValue !== undefined || i.workspaceFolderValue !== undefined;
  const dflt = valid(i.defaultValue) ? i.defaultValue : undefined;
  // globalValue is VS Code's merge of User and Remote (Remote wins, objects merge key by key).
  const user = i.globalValue;
  if (user === undefined || !valid(user)) return { value: dflt, origin: 'default', workspaceIgnored };
  const origin: SettingOrigin = i.globalRemoteValue !== undefined ? 'remote' : 'user';
  return { value: user, origin, workspaceIgnored };
}

/** Where the endpoint in use came from, for messages: a setting (User or Remote), the extension
 * host's OLLAMA_HOST environment variable, or the built-in default. */
export type EndpointSource = 'user' | 'remote' | 'OLLAMA_HOST' | 'default';

/** The endpoint string and its source: the user-level setting when non-empty, else OLLAMA_HOST,
 * else '' (the client's default, http://127.0.0.1:11434). */
export function resolveEndpoint(setting: UserLevelValue<string>, env: Record<string, string | undefined>): { endpoint: string; source: EndpointSource } {
  const s = (setting.value ?? '').trim();
  if (s && setting.origin !== 'default') return { endpoint: s, source: setting.origin };
  const fromEnv = (env.OLLAMA_HOST ?? '').trim();
  if (fromEnv) return { endpoint: fromEnv, source: 'OLLAMA_HOST' };
  return { endpoint: '', source: 'default' };
}

/** Which settings editor tab shows the value in force: 'remote' when a Remote value is set,
 * 'workspace' / 'workspaceFolder' for ordinary settings a workspace overrides, else 'user'.
 * `userLevelOnly` (connection settings): workspace values do not count, they are ignored. */
export type SettingsTab = 'user' | 'remote' | 'workspace' | 'workspaceFolder';

export function tabInForce(i: InspectRecord<unknown> | undefined, userLevelOnly: boolean): SettingsTab {
  if (!i) return 'user';
  if (!userLevelOnly) {
    if (i.workspaceFolderValue !== undefined) return 'workspaceFolder';
    if (i.workspaceValue !== undefined) return 'workspace';
  }
  return i.globalRemoteValue !== undefined ? 'remote' : 'user';
}
