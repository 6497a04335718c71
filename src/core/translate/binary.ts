// Decides whether input is text we may translate, decodes file bytes the way the editor would
// (../text/encoding), and chooses how a translation is written back: a file written back differs
// from the original only in the translated text (line breaks and, for Unicode files, the encoding
// and BOM are kept).
import {
  decideEncoding, decodeBytes, encodeString, isUnicodeEncoding, normalizeEncoding, type EncodingGuess, type EncodingId,
} from '../text/encoding';
import { UnsupportedInputError } from './types';

/** A VS Code encoding id (`utf8`, `utf16le`, `gbk`…); older names such as `utf-8` are accepted too. */
export type TextEncodingName = EncodingId;

export interface DecodedText {
  /** The text, with a leading U+FEFF when the file had a BOM (parsers keep it for the round trip). */
  text: string;
  /** The encoding the bytes were read in (`utf8` for UTF-8 with or without BOM). */
  encoding: EncodingId;
  bom: boolean;
}

/** Above this share of broken sequences or control characters, the input is binary rather than mis-encoded text. */
const BINARY_RATIO = 0.1;
const CONTROL_RATIO = 0.05;

function label(name: string | undefined): string {
  return name ? `"${name}"` : 'The input';
}

function countControl(text: string): number {
  // Controls that never appear in text files; tab, line breaks, form feed and ESC (ANSI colours) are fine.
  const m = text.match(/[\x01-\x08\x0E-\x1A\x1C-\x1F\x7F]/g);
  return m ? m.length : 0;
}

function checkControl(text: string, name: string | undefined): void {
  const n = countControl(text);
  if (text.length > 0 && n / text.length > CONTROL_RATIO) {
    throw new UnsupportedInputError(`${label(name)} looks like a binary file (${n} control characters); only text files can be translated.`, 'control-chars');
  }
}

/** Thrown when bytes are not UTF-8 and no encoding was given: the caller asks the user (guesses best first). */
export class UnknownEncodingError extends UnsupportedInputError {
  constructor(message: string, readonly guesses: readonly EncodingGuess[]) {
    super(message, 'not-utf8');
    this.name = 'UnknownEncodingError';
  }
}

/**
 * Decodes file bytes. With `encoding` (a VS Code id the caller resolved: the editor's, a setting, the
 * user's pick) the bytes are read in it, a BOM always winning; without, a BOM or zero-byte UTF-16
 * decides, else UTF-8. Throws UnsupportedInputError for binary data (NUL bytes, many control or
 * undecodable characters) and UnknownEncodingError for bytes that are not UTF-8 when no encoding was
 * given (its `guesses` name the likely legacy encodings).
 */
export function decodeText(bytes: Uint8Array, name?: string, encoding?: EncodingId): DecodedText {
  let id = encoding ? normalizeEncoding(encoding) ?? encoding : undefined;
  const d = decideEncoding(bytes, id ? { editor: id } : {});
  if (d.kind === 'binary') {
    throw d.why === 'zero-bytes'
      ? new UnsupportedInputError(`${label(name)} looks like a binary file (it contains NUL bytes); only text files can be translated.`, 'nul-bytes')
      : new UnsupportedInputError(`${label(name)} looks like a binary file (no text encoding fits its bytes); only text files can be translated.`, 'invalid-utf8');
  }
  if (d.kind === 'ask') {
    const best = d.guesses[0];
    throw new UnknownEncodingError(
      `${label(name)} is not UTF-8${best ? ` (it looks like ${best.id})` : ''}; say which encoding it is in.`, d.guesses);
  }
  id = d.id;
  const { text, bom } = decodeBytes(bytes, id);
  assertTranslatableText(text, name, genuineReplacements(bytes, id));
  return { text: bom ? '\uFEFF' + text : text, encoding: id === 'utf8bom' ? 'utf8' : id, bom };
}

/**
 * Encodes text for writing. A leading U+FEFF in `text` becomes the BOM of a Unicode encoding (and is
 * dropped for a legacy one, which has none).
 */
export function encodeText(text: string, encoding: EncodingId = 'utf8'): Uint8Array {
  const id = normalizeEncoding(encoding) ?? encoding;
  const bom = text.startsWith('\uFEFF');
  const body = bom ? text.slice(1) : text;
  return encodeString(body, id, isUnicodeEncoding(id) && (bom || id === 'utf8bom'));
}

/**
 * The encoding a translated file is written in: a Unicode input keeps its encoding and its BOM (or
 * lack of one), so the new file differs from the input only in the translated text. A legacy input
 * (Windows-1252, GBK, Big5, Shift_JIS…) is written as UTF-8 with a BOM: the target language is
 * usually not representable in the source's code page (Chinese in Windows-1252), a file whose
 * encoding depends on what the model wrote would surprise, and the BOM lets players and editors that
 * guess encodings (the reason the input was legacy-encoded) recognise UTF-8 for sure.
 */
export function translationOutputEncoding(input: { encoding: EncodingId; bom: boolean }): { encoding: EncodingId; bom: boolean } {
  const id = normalizeEncoding(input.encoding) ?? input.encoding;
  if (isUnicodeEncoding(id)) return { encoding: id === 'utf8bom' ? 'utf8' : id, bom: input.bom || id === 'utf8bom' };
  return { encoding: 'utf8', bom: true };
}

/** U+FFFD characters that are in the file itself (EF BF BD in UTF-8, FFFD in UTF-16), not decoding failures. */
function genuineReplacements(bytes: Uint8Array, id: EncodingId): number {
  let n = 0;
  if (id === 'utf8' || id === 'utf8bom') {
    for (let i = 0; i + 2 < bytes.length; i++) if (bytes[i] === 0xef && bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) n++;
  } else if (id === 'utf16le' || id === 'utf16be') {
    const [a, b] = id === 'utf16le' ? [0xfd, 0xff] : [0xff, 0xfd];
    for (let i = 0; i + 1 < bytes.length; i += 2) if (bytes[i] === a && bytes[i + 1] === b) n++;
  }
  return n;
}

/**
 * For text that is already a string (an editor document): refuses what is evidently binary data
 * decoded as text (NUL characters, many U+FFFD or control characters). `genuine`: how many U+FFFD
 * the file really holds (they are not decoding failures).
 */
export function assertTranslatableText(text: string, name?: string, genuine = 0): void {
  if (text.includes('\0')) {
    throw new UnsupportedInputError(`${label(name)} looks like a binary file (it contains NUL characters); only text files can be translated.`, 'nul-bytes');
  }
  const replacements = (text.match(/\uFFFD/g) ?? []).length - genuine;
  if (text.length > 0 && replacements / text.length > BINARY_RATIO) {
    throw new UnsupportedInputError(`${label(name)} looks like a binary file (${replacements} undecodable characters); only text files can be translated.`, 'invalid-utf8');
  }
  checkControl(text, name);
}
