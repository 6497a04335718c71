// Translation core: selections, documents (chunked, parallel, resumable) and subtitle files
// (byte-exact .srt/.vtt round trip, numbered batches with retry-smaller). No `vscode` here: the
// editor layer injects a TranslateFn built on LlmBackend.chat.
export * from './types';
export {
  decodeText, encodeText, assertTranslatableText, translationOutputEncoding, UnknownEncodingError, type DecodedText, type TextEncodingName,
} from './binary';
export { stripChatter } from './chatter';
export { protect, restore, placeholder, type Protected, type Restored } from './protect';
export { textSystemPrompt, batchSystemPrompt, relevantGlossary, LINE_BREAK_MARKER, type GlossaryEntries } from './prompt';
export { TranslationCache, cacheKey, type CacheKeyParts, type TranslationCacheOptions } from './cache';
export { chunkDocument, joinChunks, DEFAULT_CHUNK_CHARS, type DocChunk, type ChunkOptions, type DocumentFormat } from './chunk';
export {
  DocumentJob, translateDocument, translateText, translatePiece, pieceCacheKey,
  type DocumentJobOptions, type DocumentJobState, type DocumentProgress, type DocumentResult, type JobRunOptions,
  type TextResult, type TextTranslateOptions, type PieceResult,
} from './document';
export {
  parseSubtitles, serializeSubtitles, cues, cueLabel, withCueText, cloneSubtitles, detectSubtitleFormat, isTimingLine, splitLines, setVttLanguage,
  type Cue, type RawBlock, type SubtitleBlock, type SubtitleFile, type SubtitleFormat, type Line,
} from './subtitles';
export {
  buildBatchUser, parseNumberedAnswer, validateBatch, makeBatches, halves, joinItemLines, splitItemLines,
  type BatchItem, type BatchContext, type BatchCheck, type ParsedItem,
} from './batch';
export {
  SubtitleJob, translateSubtitles, translateSubtitleText,
  type SubtitleTranslateOptions, type SubtitleProgress, type SubtitleFailure, type SubtitleResult, type SubtitleJobState,
} from './subtitleJob';
export { runQueue, type TaskContext } from './pool';
export { LiveDocumentView } from './live';
export { makeSceneBatches, strictBatchSchema, parseJsonAnswer, type SceneSizing, type TimedItem } from './batch';
export { checkAlignment, alignLength, endsSentence, type AlignCheck, type RatioPrior } from './align';
export {
  scanRegions, textBlocks, blockAt, languageSyntax, isDirective, isProseString, rebuildBlock, BUILTIN_SYNTAX,
  type LanguageSyntax, type ConfiguredComments, type Region, type TextBlock, type BlockLine, type StringRule,
} from './comments';
export {
  FolderJob, folderFileKind, isTranslationOutput, limitConcurrency,
  type FolderFile, type FolderIo, type FolderOptions, type FolderJobState, type FolderFileState, type FolderProgress, type FolderResult, type FolderFileResult,
} from './folder';
export { alreadyInTarget } from './script';
export { parseGlossaryFile, mergeGlossaries, MAX_GLOSSARY_ENTRIES, MAX_TERM_CHARS, type GlossaryFileResult } from './glossaryFile';
export { serializeMemory, parseMemory, MEMORY_VERSION, type MemoryFile } from './memory';
