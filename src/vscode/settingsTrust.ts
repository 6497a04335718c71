// What a workspace may do with each setting (issue 19 item 4). A cloned repository brings its own
// .vscode/settings.json; VS Code applies it to every `window`/`resource`-scoped setting. So every
// setting is classified here, once, by what its value can reach:
// - `userLevel`: read from User / Remote settings only (core/config/userLevel; a workspace value is
//   ignored and logged): where requests go and with what credentials, data kept for every
//   workspace, memory limits of the extension host, what the shared server keeps loaded.
// - `narrowOnly`: a workspace may turn it off or lower it, never on or higher: what the editor sends
//   on its own, load on the shared server.
// - `workspace`: a workspace value applies; it only shapes that workspace's own work, which the user
//   starts, sent only to the configured server.
// The Record type makes a new setting fail to compile until it is classified. No `vscode` import, so
// plain-Node tests read it. docs/notes/trust2.md has the table with the reasons.
import { SETTING, type SettingKey } from './ids';

export type SettingTrust = 'userLevel' | 'narrowOnly' | 'workspace';

export const SETTING_TRUST: Readonly<Record<SettingKey, SettingTrust>> = {
  [SETTING.endpoint]: 'userLevel',
  [SETTING.backend]: 'userLevel',
  [SETTING.headers]: 'userLevel',
  [SETTING.caCertificateFile]: 'userLevel',
  [SETTING.connectSeconds]: 'userLevel',
  [SETTING.firstByteSeconds]: 'userLevel',
  [SETTING.idleSeconds]: 'userLevel',
  [SETTING.options]: 'userLevel',
  [SETTING.keepAlive]: 'userLevel',
  [SETTING.chatModel]: 'workspace',
  [SETTING.chatSystemPrompt]: 'workspace',
  [SETTING.chatMaxHistorySessions]: 'userLevel',
  [SETTING.chatMaxAnswerChars]: 'userLevel',
  [SETTING.completionModel]: 'workspace',
  [SETTING.completionEnabled]: 'narrowOnly',
  [SETTING.completionDebounceMs]: 'workspace',
  [SETTING.completionMaxLines]: 'workspace',
  [SETTING.completionNumPredict]: 'workspace',
  [SETTING.completionLanguages]: 'narrowOnly',
  [SETTING.completionContextTokens]: 'narrowOnly',
  [SETTING.translationModel]: 'workspace',
  [SETTING.translationTargetLanguage]: 'workspace',
  [SETTING.translationOutputMode]: 'workspace',
  [SETTING.translationParallelRequests]: 'narrowOnly',
  [SETTING.translationChunkChars]: 'workspace',
  [SETTING.translationSubtitleBatchSize]: 'workspace',
  [SETTING.translationBilingualSubtitles]: 'workspace',
  [SETTING.translationGlossary]: 'workspace',
  [SETTING.translationCommentsMode]: 'workspace',
  [SETTING.translationFolderGlob]: 'workspace',
  [SETTING.translationHoverDelayMs]: 'workspace',
  [SETTING.translationHoverStrings]: 'narrowOnly',
  [SETTING.translationHoverTrigger]: 'narrowOnly',
  [SETTING.translationMemory]: 'userLevel',
  [SETTING.translationSceneGapMs]: 'workspace',
  [SETTING.translationStrictSubtitles]: 'workspace',
  [SETTING.embeddingsModel]: 'userLevel',
  [SETTING.contextMaxFiles]: 'userLevel',
  [SETTING.contextMaxFileKB]: 'userLevel',
  [SETTING.vscodeChatLanguageModels]: 'narrowOnly',
  [SETTING.vscodeChatParticipant]: 'workspace',
  [SETTING.vscodeChatTools]: 'narrowOnly',
  [SETTING.vscodeChatShowThinking]: 'workspace',
};

/** The settings of one class, in SETTING's order. */
export function settingsTrusted(t: SettingTrust): SettingKey[] {
  return (Object.keys(SETTING_TRUST) as SettingKey[]).filter((k) => SETTING_TRUST[k] === t);
}
