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

// ---- settings a workspace may only narrow ------------------------------------------------------
//
// Some settings are fine for a repository to turn DOWN but not UP: what the editor sends to the
// server on its own (inline completion: whether, and for which languages) and how much load a job
// puts on it at once. For these the user-level value (User / Remote, else the default) is the
// ceiling and a workspace or folder value can only lower it.

const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

/** A switch a workspace may turn off but not on: the user-level value (else the default, else
 * `fallback`), and off when the workspace or the folder says `false`. */
export function narrowOnlySwitch(i: InspectRecord<unknown> | undefined, fallback = true): boolean {
  const user = userLevelValue(i as InspectRecord<boolean> | undefined, isBool).value ?? fallback;
  return user && i?.workspaceValue !== false && i?.workspaceFolderValue !== false;
}

/**
 * A per-key switch in a map such as `completion.languages` (`{"*": true, "markdown": false}`): the
 * key's own entry, else `*`, else `fallback`. The user-level map is the default merged with the
 * User/Remote value key by key (as VS Code merges objects); the workspace and folder maps can turn a
 * key off (their own entry, else their `*`) but never on.
 */
export function narrowOnlyMapSwitch(i: InspectRecord<unknown> | undefined, key: string, fallback = true): boolean {
  const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  const lookup = (m: Record<string, unknown>): boolean | undefined => {
    const own = m[key];
    if (typeof own === 'boolean') return own;
    const star = m['*'];
    return typeof star === 'boolean' ? star : undefined;
  };
  const user = { ...(isMap(i?.defaultValue) ? i.defaultValue : {}), ...(userLevelValue(i as InspectRecord<Record<string, unknown>> | undefined, isMap).value ?? {}) };
  if (!(lookup(user) ?? fallback)) return false;
  for (const m of [i?.workspaceValue, i?.workspaceFolderValue]) if (isMap(m) && lookup(m) === false) return false;
  return true;
}

/** A number a workspace may lower but not raise: the smallest of the user-level value (else the
 * default) and any workspace or folder value; undefined when none is a finite number. */
export function narrowOnlyMax(i: InspectRecord<unknown> | undefined): number | undefined {
  const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const user = userLevelValue(i as InspectRecord<number> | undefined, isNum).value;
  const all = [user, i?.workspaceValue, i?.workspaceFolderValue].filter(isNum);
  return all.length ? Math.min(...all) : undefined;
}

/**
 * An enum a workspace may narrow but not widen, its values listed from narrowest to widest (e.g.
 * `['off', 'keyboard', 'auto']`): the narrowest of the user-level value (else the default) and any
 * workspace or folder value that is one of `order`; undefined when none is.
 */
export function narrowOnlyRank<T extends string>(i: InspectRecord<unknown> | undefined, order: readonly T[]): T | undefined {
  const isOne = (v: unknown): v is T => typeof v === 'string' && (order as readonly string[]).includes(v);
  const user = userLevelValue(i as InspectRecord<T> | undefined, isOne).value;
  const all = [user, i?.workspaceValue, i?.workspaceFolderValue].filter(isOne);
  return all.length ? all.reduce((a, b) => (order.indexOf(b) < order.indexOf(a) ? b : a)) : undefined;
}
