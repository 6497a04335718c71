// Typed configuration: one getter per setting group, every default and range read from package.json
// (through the extension's own manifest, core/config/schema), and REBUILDS, the one map of which
// setting changes rebuild what. Nothing else calls getConfiguration.
import * as vscode from 'vscode';
import { nonEmptyText, oneOf, record, seconds, settingsSchema, text, wholeNumber, type SettingSchema, type SettingsSchema } from '../core/config/schema';
import {
  narrowOnlyMapSwitch, narrowOnlyMax, narrowOnlyRank, narrowOnlySwitch, resolveEndpoint, tabInForce, userLevelValue,
  type EndpointSource, type InspectRecord, type SettingsTab, type UserLevelValue,
} from '../core/config/userLevel';
import type { EngineSettings } from '../core/fim';
import type { BackendKind, Sampling } from '../core/llm/backend';
import type { Glossary } from '../core/translate';
import { EDITOR_SETTING, EXTENSION_ID, SECTION, SETTING, type SettingKey } from './ids';
import { SETTING_TRUST, settingsTrusted } from './settingsTrust';

// ---- the schema ---------------------------------------------------------------------------------

let schema: SettingsSchema | undefined;

/** The manifest's schema of `key` (full key). */
function spec(key: SettingKey): SettingSchema {
  schema ??= settingsSchema(vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON);
  return schema[key] ?? {};
}

/** `key` relative to the section ("chat.model"). */
const rel = (key: SettingKey): string => key.slice(SECTION.length + 1);
const section = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration(SECTION);
const inspectOf = (c: vscode.WorkspaceConfiguration, key: SettingKey): InspectRecord<unknown> | undefined => c.inspect<unknown>(rel(key)) as InspectRecord<unknown> | undefined;
const anyValue = (v: unknown): v is unknown => v !== undefined;
/**
 * The value of `key` in force, as its class allows (settingsTrust.ts): for a `userLevel` setting the
 * User / Remote value (else the default), workspace and folder values ignored; for the others what
 * VS Code merged. `narrowOnly` settings are read with their own rule (narrowOnly* in
 * core/config/userLevel), never through here.
 */
const raw = (c: vscode.WorkspaceConfiguration, key: SettingKey): unknown =>
  SETTING_TRUST[key] === 'userLevel' ? userLevelValue(inspectOf(c, key), anyValue).value : c.get<unknown>(rel(key));

// ---- which change rebuilds what -----------------------------------------------------------------

/**
 * Which settings, when they change, rebuild which part. `client`: the HTTP client (the context
 * owner closes the old one). `completion`: the completion engine ends its streams and drops its
 * cache (they were made with the old values). `chatModel`: the chat posts its model list again.
 * Everything else is read when it is used (a translation job reads its settings once, at its start).
 */
export const REBUILDS = {
  client: [SETTING.endpoint, SETTING.backend, SETTING.headers, `${SECTION}.timeouts`, SETTING.caCertificateFile, EDITOR_SETTING.httpProxy, EDITOR_SETTING.httpNoProxy],
  completion: [`${SECTION}.completion`, SETTING.options, SETTING.keepAlive],
  chatModel: [SETTING.chatModel],
  /** VS Code's own AI features: each registration follows its switch. */
  vscodeChat: [`${SECTION}.vscodeChat`, EDITOR_SETTING.disableAIFeatures],
  /** What the language-model provider tells VS Code (context window, answer room). */
  languageModelInfo: [SETTING.options],
  /** The workspace index: its limits and what it leaves out (the files are listed and indexed again). */
  contextIndex: [SETTING.contextMaxFiles, SETTING.contextMaxFileKB, EDITOR_SETTING.filesExclude, EDITOR_SETTING.searchExclude],
  /** The workspace index's embedding model (only the embeddings are set up again). */
  contextEmbeddings: [SETTING.embeddingsModel],
} as const;

export function affects(e: vscode.ConfigurationChangeEvent, what: keyof typeof REBUILDS): boolean {
  return REBUILDS[what].some((k) => e.affectsConfiguration(k));
}

// ---- connection (user level only) ---------------------------------------------------------------

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

/** The connection settings: read from User / Remote settings only (see core/config/userLevel). */
const CONNECTION_KEYS: readonly SettingKey[] = [
  SETTING.endpoint, SETTING.backend, SETTING.headers, SETTING.caCertificateFile,
  SETTING.connectSeconds, SETTING.firstByteSeconds, SETTING.idleSeconds,
];

/**
 * Every setting read from User / Remote settings only (a workspace or folder value is ignored, and
 * logged): besides the connection, those whose effect reaches beyond the workspace that would set
 * them - the chat history kept for every workspace (`chat.maxHistorySessions` deletes the oldest
 * sessions), the extension host's memory (`chat.maxAnswerChars`), and the shared server's memory and
 * loaded models (`options`: num_ctx sizes the KV cache and reloads the model for everyone;
 * `keepAlive`: keeps a model resident or unloads it). docs/notes/trust2.md has the audit of every
 * setting.
 */
export const USER_LEVEL_KEYS: readonly SettingKey[] = settingsTrusted('userLevel');

/** Settings a workspace may only narrow (turn off, lower) - what the editor sends on its own and how
 * many requests a job runs at once (core/config/userLevel narrowOnly*). */
export const NARROW_ONLY_KEYS: readonly SettingKey[] = settingsTrusted('narrowOnly');

/** The user-level-only settings (USER_LEVEL_KEYS) other than the connection's that a workspace or
 * folder sets: their values were ignored (for the log). */
export function ignoredWorkspaceSettings(): string[] {
  const c = section();
  return USER_LEVEL_KEYS.filter((k) => !CONNECTION_KEYS.includes(k)).filter((k) => {
    const i = inspectOf(c, k);
    return i?.workspaceValue !== undefined || i?.workspaceFolderValue !== undefined;
  });
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export function readConnectionConfig(env: Record<string, string | undefined> = process.env): ConnectionConfig {
  const c = section();
  const http = vscode.workspace.getConfiguration('http');
  const ignored: string[] = [];
  const read = <T>(key: SettingKey, valid: (v: unknown) => v is T): UserLevelValue<T> => {
    const v = userLevelValue(c.inspect<T>(rel(key)) as InspectRecord<T> | undefined, valid);
    if (v.workspaceIgnored) ignored.push(key);
    return v;
  };
  const { endpoint, source } = resolveEndpoint(read(SETTING.endpoint, isString), env);
  // Within package.json's range (core/config/schema seconds): 0 is "no limit" only where the minimum allows it.
  const ms = (key: SettingKey) => seconds(spec(key), read(key, isNumber).value) * 1000;
  return {
    endpoint,
    endpointSource: source,
    backend: oneOf<BackendKind>(spec(SETTING.backend), read(SETTING.backend, isString).value),
    headers: read(SETTING.headers, isObject).value ?? {},
    connectTimeoutMs: ms(SETTING.connectSeconds),
    headersTimeoutMs: ms(SETTING.firstByteSeconds),
    idleTimeoutMs: ms(SETTING.idleSeconds),
    caCertificateFile: (read(SETTING.caCertificateFile, isString).value ?? '').trim(),
    httpProxy: (http.get<string>('proxy') ?? '').trim(),
    httpNoProxy: http.get<string[]>('noProxy') ?? [],
    ignoredWorkspaceKeys: ignored,
  };
}

// ---- models and generation ----------------------------------------------------------------------

export type Feature = 'chat' | 'completion' | 'translation' | 'embeddings';

const MODEL_SETTING: Record<Feature, SettingKey> = {
  chat: SETTING.chatModel, completion: SETTING.completionModel, translation: SETTING.translationModel, embeddings: SETTING.embeddingsModel,
};

/** The setting that names a feature's model. */
export function modelSetting(feature: Feature): SettingKey { return MODEL_SETTING[feature]; }

/** The model configured for a feature ('' when the user emptied the setting). */
export function modelFor(feature: Feature): string {
  const key = MODEL_SETTING[feature];
  return text(spec(key), raw(section(), key));
}

/** Default generation options and keep_alive shared by every feature, so that the same model is
 * never reloaded because two features asked with different load-time options. */
export function generationDefaults(): { options: Sampling; keepAlive: string | undefined } {
  const c = section();
  // User level only: num_ctx and keep_alive act on the shared server (USER_LEVEL_KEYS).
  const o = record(spec(SETTING.options), raw(c, SETTING.options));
  const num = (k: string) => (typeof o[k] === 'number' && Number.isFinite(o[k]) ? (o[k] as number) : undefined);
  const options: Sampling = {};
  const set = <K extends keyof Sampling>(k: K, v: Sampling[K] | undefined) => { if (v !== undefined) options[k] = v; };
  set('temperature', num('temperature'));
  set('topP', num('top_p'));
  set('topK', num('top_k'));
  set('numCtx', num('num_ctx'));
  set('numPredict', num('num_predict'));
  set('seed', num('seed'));
  const ka = text(spec(SETTING.keepAlive), raw(c, SETTING.keepAlive));
  return { options, keepAlive: ka || undefined };
}

// ---- chat -----------------------------------------------------------------------------------------

export interface ChatSettings {
  /** Never empty: an emptied setting means its default. */
  model: string;
  /** As typed (not trimmed: it is sent as written). */
  systemPrompt: string;
  maxHistorySessions: number;
  /** Characters of answer (text + reasoning) after which an answer is cut. */
  maxAnswerChars: number;
}

export function chatSettings(): ChatSettings {
  const c = section();
  const prompt = raw(c, SETTING.chatSystemPrompt);
  return {
    model: nonEmptyText(spec(SETTING.chatModel), raw(c, SETTING.chatModel)),
    systemPrompt: typeof prompt === 'string' ? prompt : '',
    // User level only: the history is kept for every workspace; the limit guards the host's memory.
    maxHistorySessions: wholeNumber(spec(SETTING.chatMaxHistorySessions), raw(c, SETTING.chatMaxHistorySessions)),
    maxAnswerChars: wholeNumber(spec(SETTING.chatMaxAnswerChars), raw(c, SETTING.chatMaxAnswerChars)),
  };
}

// ---- chat context (workspace search) -----------------------------------------------------------

export interface ContextSettings {
  maxFiles: number;
  maxFileBytes: number;
  /** The embedding model ('' = keyword search only). */
  embeddingsModel: string;
}

export function contextSettings(): ContextSettings {
  const c = section();
  return {
    maxFiles: wholeNumber(spec(SETTING.contextMaxFiles), raw(c, SETTING.contextMaxFiles)),
    maxFileBytes: wholeNumber(spec(SETTING.contextMaxFileKB), raw(c, SETTING.contextMaxFileKB)) * 1024,
    embeddingsModel: modelFor('embeddings').trim(),
  };
}

// ---- inline completion ------------------------------------------------------------------------------

/** What one completion request is made of. num_ctx and keep_alive are the chat's, so that both
 * features load the model the same way and Ollama never reloads it between them. */
export function completionEngineSettings(): EngineSettings {
  const c = section();
  const { options, keepAlive } = generationDefaults();
  const n = (key: SettingKey) => wholeNumber(spec(key), raw(c, key));
  return {
    model: modelFor('completion'),
    debounceMs: n(SETTING.completionDebounceMs),
    maxLines: n(SETTING.completionMaxLines),
    numPredict: n(SETTING.completionNumPredict),
    // What other files the editor sends on its own: a workspace can lower it, not raise it (NARROW_ONLY_KEYS).
    contextTokens: wholeNumber(spec(SETTING.completionContextTokens), narrowOnlyMax(inspectOf(c, SETTING.completionContextTokens))),
    ...(options.numCtx !== undefined ? { numCtx: options.numCtx } : {}),
    ...(keepAlive !== undefined ? { keepAlive } : {}),
  };
}

/** Automatic completion is on (asking by hand works regardless). A workspace can turn it off, not
 * on (NARROW_ONLY_KEYS): it sends what is typed to the server without being asked. */
export function completionEnabled(): boolean {
  return narrowOnlySwitch(inspectOf(section(), SETTING.completionEnabled), spec(SETTING.completionEnabled).default !== false);
}

/** `completion.languages`: the language's own entry, else `*`, else on; a workspace can turn a
 * language off, not on (NARROW_ONLY_KEYS). */
export function completionLanguageEnabled(languageId: string): boolean {
  return narrowOnlyMapSwitch(inspectOf(section(), SETTING.completionLanguages), languageId);
}

// ---- translation ------------------------------------------------------------------------------------

export type OutputMode = 'replace' | 'insertBelow' | 'sideBySide' | 'copy';
const OUTPUT_MODES: readonly OutputMode[] = ['replace', 'insertBelow', 'sideBySide', 'copy'];

export function isOutputMode(v: unknown): v is OutputMode {
  return typeof v === 'string' && (OUTPUT_MODES as readonly string[]).includes(v);
}

export interface TranslationSettings {
  model: string;
  target: string;
  outputMode: OutputMode | 'ask';
  parallelRequests: number;
  chunkChars: number;
  subtitleBatchSize: number;
  bilingualSubtitles: boolean;
  glossary: Glossary;
  /** Scene change silence (ms); 0 = even batches. */
  sceneGapMs: number;
  strictSubtitles: boolean;
  commentsMode: 'decorations' | 'replace' | 'ask';
  folderGlob: string;
  memory: boolean;
}

export interface HoverSettings {
  trigger: 'auto' | 'keyboard' | 'off';
  delayMs: number;
  strings: boolean;
}

/** The hover triggers from narrowest to widest (what a workspace may narrow to). */
const HOVER_TRIGGERS: readonly HoverSettings['trigger'][] = ['off', 'keyboard', 'auto'];

/** Hover translation settings (read on every hover: cheap). */
export function hoverSettings(): HoverSettings {
  const c = section();
  return {
    // Hovering sends text on its own: a workspace can narrow these (NARROW_ONLY_KEYS), never widen them.
    trigger: oneOf<HoverSettings['trigger']>(spec(SETTING.translationHoverTrigger), narrowOnlyRank(inspectOf(c, SETTING.translationHoverTrigger), HOVER_TRIGGERS)),
    delayMs: wholeNumber(spec(SETTING.translationHoverDelayMs), raw(c, SETTING.translationHoverDelayMs)),
    strings: narrowOnlySwitch(inspectOf(c, SETTING.translationHoverStrings), spec(SETTING.translationHoverStrings).default !== false),
  };
}

/** Read once per command, so a job runs with one consistent set of options even if the user edits
 * settings meanwhile. */
export function translationSettings(): TranslationSettings {
  const c = section();
  const n = (key: SettingKey) => wholeNumber(spec(key), raw(c, key));
  const glossary: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(spec(SETTING.translationGlossary), raw(c, SETTING.translationGlossary)))) {
    if (k.trim() && typeof v === 'string' && v.trim()) glossary[k] = v;
  }
  return {
    model: modelFor('translation'),
    target: nonEmptyText(spec(SETTING.translationTargetLanguage), raw(c, SETTING.translationTargetLanguage)),
    outputMode: oneOf<OutputMode | 'ask'>(spec(SETTING.translationOutputMode), raw(c, SETTING.translationOutputMode)),
    // A workspace can lower it, not raise it (NARROW_ONLY_KEYS): it is load on the shared server.
    parallelRequests: wholeNumber(spec(SETTING.translationParallelRequests), narrowOnlyMax(inspectOf(c, SETTING.translationParallelRequests))),
    chunkChars: n(SETTING.translationChunkChars),
    subtitleBatchSize: n(SETTING.translationSubtitleBatchSize),
    bilingualSubtitles: raw(c, SETTING.translationBilingualSubtitles) === true,
    glossary,
    sceneGapMs: n(SETTING.translationSceneGapMs),
    strictSubtitles: raw(c, SETTING.translationStrictSubtitles) === true,
    commentsMode: oneOf<TranslationSettings['commentsMode']>(spec(SETTING.translationCommentsMode), raw(c, SETTING.translationCommentsMode)),
    folderGlob: nonEmptyText(spec(SETTING.translationFolderGlob), raw(c, SETTING.translationFolderGlob)),
    memory: raw(c, SETTING.translationMemory) !== false,
  };
}

// ---- VS Code's own AI features -----------------------------------------------------------------

export interface VscodeChatSettings {
  /** The models as a language-model provider (VS Code 1.104+). */
  languageModels: boolean;
  /** `@ollama` in the Chat view. */
  participant: boolean;
  /** The language-model tools. */
  tools: boolean;
  /** Reasoning shown (as thinking parts) where VS Code can show it. */
  showThinking: boolean;
  /** VS Code's own `chat.disableAIFeatures` is on: its chat is hidden, so the models and `@ollama`
   * are not offered (VS Code would still ask the provider for its list on every change). Only a
   * VS Code that knows the setting counts (its default is registered); a value in settings.json
   * means nothing to an older one. */
  aiFeaturesDisabled: boolean;
}

function aiFeaturesDisabled(): boolean {
  const dot = EDITOR_SETTING.disableAIFeatures.lastIndexOf('.');
  const c = vscode.workspace.getConfiguration(EDITOR_SETTING.disableAIFeatures.slice(0, dot));
  const key = EDITOR_SETTING.disableAIFeatures.slice(dot + 1);
  return c.inspect(key)?.defaultValue !== undefined && c.get(key) === true;
}

export function vscodeChatSettings(): VscodeChatSettings {
  const c = section();
  const flag = (key: SettingKey) => { const v = raw(c, key); return typeof v === 'boolean' ? v : spec(key).default !== false; };
  return {
    // Other extensions and agent mode reach the server through these, unasked by the user at that
    // moment: a workspace can turn them off, not on (NARROW_ONLY_KEYS).
    languageModels: narrowOnlySwitch(inspectOf(c, SETTING.vscodeChatLanguageModels), spec(SETTING.vscodeChatLanguageModels).default !== false),
    participant: flag(SETTING.vscodeChatParticipant),
    tools: narrowOnlySwitch(inspectOf(c, SETTING.vscodeChatTools), spec(SETTING.vscodeChatTools).default !== false),
    showThinking: flag(SETTING.vscodeChatShowThinking),
    aiFeaturesDisabled: aiFeaturesDisabled(),
  };
}

// ---- VS Code's own settings ---------------------------------------------------------------------

/** `files.encoding`, `files.autoGuessEncoding`, `files.candidateGuessEncodings` for a resource (with
 * a language's overrides when `languageId` is given). */
export function fileEncodingSettings(uri: vscode.Uri, languageId?: string): { encoding?: string; autoGuess: boolean; candidates: string[] } {
  const files = vscode.workspace.getConfiguration('files', languageId ? { uri, languageId } : uri);
  return {
    encoding: files.get<string>('encoding'),
    autoGuess: files.get<boolean>('autoGuessEncoding') === true,
    candidates: files.get<string[]>('candidateGuessEncodings') ?? [],
  };
}

// ---- writing ----------------------------------------------------------------------------------------

/** Sets `key` in the user settings, or in the workspace settings when `preferWorkspace` and the
 * workspace already sets it (so the choice is not hidden behind a workspace value); a user-level or
 * narrow-only setting always in the user settings (a workspace value of it is not what applies). */
export async function updateSetting(key: SettingKey, value: unknown, o: { preferWorkspace?: boolean } = {}): Promise<void> {
  const c = section();
  const target = o.preferWorkspace && SETTING_TRUST[key] === 'workspace' && c.inspect(rel(key))?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await c.update(rel(key), value, target);
}

// ---- where a value comes from -------------------------------------------------------------------

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
  const inspect = vscode.workspace.getConfiguration().inspect(key) as InspectRecord<unknown> | undefined;
  return tabInForce(inspect, (USER_LEVEL_KEYS as readonly string[]).includes(key));
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
