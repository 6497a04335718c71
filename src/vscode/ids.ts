// Every name the extension shares with VS Code, typed once: command ids, setting keys, view ids,
// context keys and storage keys. Nothing else spells them out (a unit test checks these against
// package.json both ways). No `vscode` import, so plain-Node tests can read it.

export const EXTENSION_ID = 'ollama-assistant.ollama-assistant';
/** The settings section: every setting key starts with `ollamaAssistant.`. */
export const SECTION = 'ollamaAssistant';

/** Command ids: those contributed in package.json, and the hidden ones (HIDDEN_COMMANDS). */
export const COMMAND = {
  showServerStatus: 'ollamaAssistant.showServerStatus',
  testConnection: 'ollamaAssistant.testConnection',
  diagnose: 'ollamaAssistant.diagnose',
  setApiToken: 'ollamaAssistant.setApiToken',
  clearApiToken: 'ollamaAssistant.clearApiToken',
  chatFocus: 'ollamaAssistant.chat.focus',
  chatNewSession: 'ollamaAssistant.chat.newSession',
  chatShowHistory: 'ollamaAssistant.chat.showHistory',
  chatClear: 'ollamaAssistant.chat.clear',
  chatAskAboutSelection: 'ollamaAssistant.chat.askAboutSelection',
  chatAttachActiveFile: 'ollamaAssistant.chat.attachActiveFile',
  chatAttachImage: 'ollamaAssistant.chat.attachImage',
  chatStop: 'ollamaAssistant.chat.stop',
  chatSelectModel: 'ollamaAssistant.chat.selectModel',
  chatMention: 'ollamaAssistant.chat.mention',
  contextRebuildIndex: 'ollamaAssistant.context.rebuildIndex',
  contextClearIndex: 'ollamaAssistant.context.clearIndex',
  completionTrigger: 'ollamaAssistant.completion.trigger',
  completionTogglePause: 'ollamaAssistant.completion.togglePause',
  translateSelection: 'ollamaAssistant.translate.selection',
  translateDocument: 'ollamaAssistant.translate.document',
  translateSubtitles: 'ollamaAssistant.translate.subtitles',
  translateResume: 'ollamaAssistant.translate.resume',
  translateComments: 'ollamaAssistant.translate.comments',
  translateClearComments: 'ollamaAssistant.translate.clearComments',
  translateHover: 'ollamaAssistant.translate.hover',
  translateFolder: 'ollamaAssistant.translate.folder',
  translateChooseModel: 'ollamaAssistant.translate.chooseModel',
  translateClearMemory: 'ollamaAssistant.translate.clearMemory',
  completionChooseModel: 'ollamaAssistant.completion.chooseModel',
  embeddingsChooseModel: 'ollamaAssistant.embeddings.chooseModel',
  modelsRefresh: 'ollamaAssistant.models.refresh',
  modelsPull: 'ollamaAssistant.models.pull',
  modelsDelete: 'ollamaAssistant.models.delete',
  modelsCopy: 'ollamaAssistant.models.copy',
  modelsShow: 'ollamaAssistant.models.show',
  modelsUnload: 'ollamaAssistant.models.unload',
  modelsLoad: 'ollamaAssistant.models.load',
  modelsPush: 'ollamaAssistant.models.push',
  modelsSetAsChatModel: 'ollamaAssistant.models.setAsChatModel',
  modelsSetAsCompletionModel: 'ollamaAssistant.models.setAsCompletionModel',
  modelsSetAsTranslationModel: 'ollamaAssistant.models.setAsTranslationModel',
  modelsCreateFromModelfile: 'ollamaAssistant.models.createFromModelfile',
  /** Hidden: every "Open Setting" button; opens the settings editor where the value takes effect. */
  openSetting: 'ollamaAssistant.openSetting',
  /** Hidden: the inline-completion state a bug report can quote. */
  completionDebugInfo: 'ollamaAssistant.completion.debugInfo',
} as const;
export type CommandId = typeof COMMAND[keyof typeof COMMAND];

/** Registered but not contributed (no palette entry). */
export const HIDDEN_COMMANDS: readonly CommandId[] = [COMMAND.openSetting, COMMAND.completionDebugInfo];

/** Setting keys (full), as in package.json `contributes.configuration`. */
export const SETTING = {
  endpoint: 'ollamaAssistant.endpoint',
  backend: 'ollamaAssistant.backend',
  headers: 'ollamaAssistant.headers',
  caCertificateFile: 'ollamaAssistant.caCertificateFile',
  connectSeconds: 'ollamaAssistant.timeouts.connectSeconds',
  firstByteSeconds: 'ollamaAssistant.timeouts.firstByteSeconds',
  idleSeconds: 'ollamaAssistant.timeouts.idleSeconds',
  options: 'ollamaAssistant.options',
  keepAlive: 'ollamaAssistant.keepAlive',
  chatModel: 'ollamaAssistant.chat.model',
  chatSystemPrompt: 'ollamaAssistant.chat.systemPrompt',
  chatMaxHistorySessions: 'ollamaAssistant.chat.maxHistorySessions',
  chatMaxAnswerChars: 'ollamaAssistant.chat.maxAnswerChars',
  completionModel: 'ollamaAssistant.completion.model',
  completionEnabled: 'ollamaAssistant.completion.enabled',
  completionDebounceMs: 'ollamaAssistant.completion.debounceMs',
  completionMaxLines: 'ollamaAssistant.completion.maxLines',
  completionNumPredict: 'ollamaAssistant.completion.numPredict',
  completionLanguages: 'ollamaAssistant.completion.languages',
  completionContextTokens: 'ollamaAssistant.completion.contextTokens',
  translationModel: 'ollamaAssistant.translation.model',
  translationTargetLanguage: 'ollamaAssistant.translation.targetLanguage',
  translationOutputMode: 'ollamaAssistant.translation.outputMode',
  translationParallelRequests: 'ollamaAssistant.translation.parallelRequests',
  translationChunkChars: 'ollamaAssistant.translation.chunkChars',
  translationSubtitleBatchSize: 'ollamaAssistant.translation.subtitleBatchSize',
  translationBilingualSubtitles: 'ollamaAssistant.translation.bilingualSubtitles',
  translationGlossary: 'ollamaAssistant.translation.glossary',
  translationCommentsMode: 'ollamaAssistant.translation.commentsMode',
  translationFolderGlob: 'ollamaAssistant.translation.folderGlob',
  translationHoverDelayMs: 'ollamaAssistant.translation.hover.delayMs',
  translationHoverStrings: 'ollamaAssistant.translation.hover.strings',
  translationHoverTrigger: 'ollamaAssistant.translation.hover.trigger',
  translationMemory: 'ollamaAssistant.translation.memory',
  translationSceneGapMs: 'ollamaAssistant.translation.sceneGapMs',
  translationStrictSubtitles: 'ollamaAssistant.translation.strictSubtitles',
  /** Read by the chat-context feature (workspace search with embeddings). */
  embeddingsModel: 'ollamaAssistant.embeddings.model',
  /** VS Code's own AI features (src/vscode/lm): the models as a language-model provider, @ollama,
   * the tools; and whether reasoning is shown there. */
  vscodeChatLanguageModels: 'ollamaAssistant.vscodeChat.languageModels',
  vscodeChatParticipant: 'ollamaAssistant.vscodeChat.participant',
  vscodeChatTools: 'ollamaAssistant.vscodeChat.tools',
  vscodeChatShowThinking: 'ollamaAssistant.vscodeChat.showThinking',
  contextMaxFiles: 'ollamaAssistant.context.maxFiles',
  contextMaxFileKB: 'ollamaAssistant.context.maxFileKB',
} as const;
export type SettingKey = typeof SETTING[keyof typeof SETTING];

/** VS Code's own AI features (package.json `languageModelChatProviders`, `chatParticipants`,
 * `languageModelTools`). The vendor is our own, so the models coexist with the official Ollama
 * extension's (vendor `ollama-models`); VS Code names a model `<vendor>/<id>`. */
export const LM_VENDOR = 'ollama-assistant';
export const CHAT_PARTICIPANT = 'ollamaAssistant.ollama';
/** The participant's slash commands. */
export const CHAT_COMMAND = { translate: 'translate', explain: 'explain', models: 'models' } as const;
export const LM_TOOL = {
  translate: 'ollama_translate_text',
  listModels: 'ollama_list_models',
  runPrompt: 'ollama_run_prompt',
} as const;

/** VS Code's own settings we read. */
export const EDITOR_SETTING = {
  httpProxy: 'http.proxy', httpNoProxy: 'http.noProxy',
  /** VS Code 1.104+: the user turned VS Code's AI features off (the Chat view is hidden). */
  disableAIFeatures: 'chat.disableAIFeatures',
  /** What the workspace search leaves out, as the Explorer and Search do. */
  filesExclude: 'files.exclude', searchExclude: 'search.exclude',
} as const;

export const VIEW = {
  chat: 'ollamaAssistant.chatView',
  models: 'ollamaAssistant.modelsView',
} as const;

/** `when`-clause context keys we set. */
export const CONTEXT_KEY = {
  serverUnreachable: 'ollamaAssistant.serverUnreachable',
} as const;

/** Keys in SecretStorage, globalState and workspaceState. */
export const STORAGE_KEY = {
  /** SecretStorage: the API token. */
  apiToken: 'ollamaAssistant.apiToken',
  /** globalState: the reasoning choice per chat model ({ [model]: ThinkChoice }). */
  chatThink: 'ollamaAssistant.chat.think',
  /** globalState: automatic inline completion paused. */
  completionPaused: 'ollamaAssistant.completion.paused',
  /** workspaceState: interrupted document and subtitle translations. */
  translationJobs: 'ollamaAssistant.translation.jobs',
  /** workspaceState: whole-folder translations, by folder and target ({ [key]: FolderJobState }). */
  translationFolderJobs: 'ollamaAssistant.translation.folderJobs',
} as const;

/** Files in a workspace folder's .vscode/ the translation reads (terms only: they can add glossary
 * entries, never change where requests go or what model answers). */
export const WORKSPACE_FILE = {
  glossaryJson: '.vscode/translation-glossary.json',
  glossaryCsv: '.vscode/translation-glossary.csv',
} as const;

/** Status bar item ids. */
export const STATUS_ITEM = {
  connection: 'ollamaAssistant.connection',
  completion: 'ollamaAssistant.completion',
} as const;
