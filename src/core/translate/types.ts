// Shared vocabulary of the translation core: the injected translate function, glossary, errors and
// target-language names. Nothing here knows about VS Code or about which server answers.
/** One model call: the instruction travels in `system`, only the text to translate in `user`. */
export interface TranslateRequest {
  system: string;
  user: string;
  signal?: AbortSignal;
  /**
   * A JSON schema the answer must follow (Ollama's `format`, strict subtitle batches). A translate
   * function that cannot send it may ignore it (the prompt describes the format too); one whose
   * server refuses it rejects with StructuredOutputUnsupportedError.
   */
  format?: Record<string, unknown>;
}

/**
 * Sends one request and resolves with the model's whole answer (the caller adapts LlmBackend.chat).
 * An answer the model stopped at its length limit must reject with TranslationTruncatedError, never
 * resolve: a cut-off translation is not a translation of the whole text.
 */
export type TranslateFn = (req: TranslateRequest) => Promise<string>;

/** term -> translation, applied to every request through the system prompt. */
export type Glossary = Readonly<Record<string, string>>;

export const DEFAULT_TARGET = 'Simplified Chinese';

/** Ollama serves 4 requests per loaded model at once by default (OLLAMA_NUM_PARALLEL). */
export const DEFAULT_CONCURRENCY = 4;

/** The input is not text we can translate safely (binary, or text in an encoding other than UTF-8). */
export class UnsupportedInputError extends Error {
  readonly reason: 'nul-bytes' | 'invalid-utf8' | 'not-utf8' | 'control-chars';
  constructor(message: string, reason: UnsupportedInputError['reason']) {
    super(message);
    this.name = 'UnsupportedInputError';
    this.reason = reason;
  }
}

/**
 * The model stopped at its length limit (num_predict, or the context window) before the answer was
 * complete. A cut-off answer is never cached and never used as a translation; the remedy is a
 * higher num_predict or smaller pieces.
 */
export class TranslationTruncatedError extends Error {
  /** The answer as far as it got (empty when the error sums up several pieces). */
  readonly partial: string;
  /** Document jobs: the chunks whose answer was cut short (0-based). */
  readonly chunks: readonly number[];
  constructor(message: string, o: { partial?: string; chunks?: readonly number[] } = {}) {
    super(message);
    this.name = 'TranslationTruncatedError';
    this.partial = o.partial ?? '';
    this.chunks = o.chunks ?? [];
  }
}

/**
 * The server refused the `format` schema: Ollama before 0.5.0 (HTTP 400 "cannot unmarshal object
 * into Go struct field ChatRequest.format of type string"), or a schema its converter cannot turn
 * into a grammar ("invalid JSON schema in format", "invalid format: …"). The job asks again without
 * one.
 */
export class StructuredOutputUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StructuredOutputUnsupportedError';
  }
}

/** A saved job state that does not belong to this source text or these settings. */
export class JobStateMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobStateMismatchError';
  }
}


const LANGUAGE_NAMES: Readonly<Record<string, string>> = {
  'zh': 'Simplified Chinese', 'zh-cn': 'Simplified Chinese', 'zh-hans': 'Simplified Chinese', 'zh-sg': 'Simplified Chinese',
  'zh-tw': 'Traditional Chinese', 'zh-hk': 'Traditional Chinese', 'zh-hant': 'Traditional Chinese',
  'en': 'English', 'ja': 'Japanese', 'ko': 'Korean', 'fr': 'French', 'de': 'German', 'es': 'Spanish',
  'pt': 'Portuguese', 'pt-br': 'Brazilian Portuguese', 'it': 'Italian', 'ru': 'Russian', 'ar': 'Arabic',
  'hi': 'Hindi', 'vi': 'Vietnamese', 'th': 'Thai', 'id': 'Indonesian', 'tr': 'Turkish', 'pl': 'Polish',
  'nl': 'Dutch', 'uk': 'Ukrainian', 'sv': 'Swedish', 'cs': 'Czech', 'el': 'Greek', 'he': 'Hebrew',
};

/** Turns a locale code (zh-CN, ja) into the language name models understand best; names pass through. */
export function languageName(target: string | undefined): string {
  const t = (target ?? '').trim();
  if (!t) return DEFAULT_TARGET;
  return LANGUAGE_NAMES[t.toLowerCase().replace(/_/g, '-')] ?? t;
}

/** True when the text has something a translator would change (a letter of any script). */
export function hasTranslatableText(s: string): boolean {
  return /\p{L}/u.test(s);
}
