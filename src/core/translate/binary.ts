// Decides whether input is text we may translate, and decodes/encodes file bytes so a file written
// back differs from the original only in the translated text (BOM and encoding are kept).
import { UnsupportedInputError } from './types';

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be';

export interface DecodedText {
  /** The text, with a leading U+FEFF when the file had a BOM (parsers keep it for the round trip). */
  text: string;
  encoding: TextEncodingName;
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

function decodeUtf16(bytes: Uint8Array, le: boolean): string {
  let s = '';
  const parts: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    s += String.fromCharCode(le ? bytes[i]! | (bytes[i + 1]! << 8) : (bytes[i]! << 8) | bytes[i + 1]!);
    if (s.length >= 8192) { parts.push(s); s = ''; }
  }
  parts.push(s);
  return parts.join('');
}

/**
 * Decodes file bytes as UTF-8 (or UTF-16 when the file starts with a UTF-16 BOM). Throws
 * UnsupportedInputError for binary data (NUL bytes, mostly invalid UTF-8, many control characters)
 * and for text in a legacy encoding (a few invalid UTF-8 sequences), which we would corrupt on save.
 */
export function decodeText(bytes: Uint8Array, name?: string): DecodedText {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    const encoding = bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
    const text = decodeUtf16(bytes, encoding === 'utf-16le');
    if (text.includes('\0')) throw new UnsupportedInputError(`${label(name)} looks like a binary file (it contains NUL characters); only text files can be translated.`, 'nul-bytes');
    checkControl(text, name);
    return { text, encoding };
  }
  if (bytes.indexOf(0) !== -1) {
    throw new UnsupportedInputError(`${label(name)} looks like a binary file (it contains NUL bytes); only text files can be translated.`, 'nul-bytes');
  }
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(bytes);
  const replacements = (text.match(/\uFFFD/g) ?? []).length;
  if (replacements > 0) {
    // U+FFFD that was really in the file is encoded as EF BF BD; the rest are broken sequences.
    let genuine = 0;
    for (let i = 0; i + 2 < bytes.length; i++) if (bytes[i] === 0xef && bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) genuine++;
    const invalid = replacements - genuine;
    if (invalid > 0) {
      if (invalid / Math.max(1, text.length) > BINARY_RATIO) {
        throw new UnsupportedInputError(`${label(name)} looks like a binary file (${invalid} invalid UTF-8 sequences); only text files can be translated.`, 'invalid-utf8');
      }
      throw new UnsupportedInputError(`${label(name)} is not valid UTF-8 (${invalid} invalid byte sequences; perhaps Windows-1252 or GBK). Re-save it as UTF-8 and try again.`, 'not-utf8');
    }
  }
  checkControl(text, name);
  return { text, encoding: 'utf-8' };
}

/** Encodes text back in the encoding it was read in (a leading U+FEFF becomes the BOM). */
export function encodeText(text: string, encoding: TextEncodingName = 'utf-8'): Uint8Array {
  if (encoding === 'utf-8') return new TextEncoder().encode(text);
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (encoding === 'utf-16le') { out[2 * i] = c & 0xff; out[2 * i + 1] = c >> 8; } else { out[2 * i] = c >> 8; out[2 * i + 1] = c & 0xff; }
  }
  return out;
}

/**
 * For text that is already a string (an editor document): refuses what is evidently binary data
 * decoded as text (NUL characters, many U+FFFD or control characters).
 */
export function assertTranslatableText(text: string, name?: string): void {
  if (text.includes('\0')) {
    throw new UnsupportedInputError(`${label(name)} looks like a binary file (it contains NUL characters); only text files can be translated.`, 'nul-bytes');
  }
  const replacements = (text.match(/\uFFFD/g) ?? []).length;
  if (text.length > 0 && replacements / text.length > BINARY_RATIO) {
    throw new UnsupportedInputError(`${label(name)} looks like a binary file (${replacements} undecodable characters); only text files can be translated.`, 'invalid-utf8');
  }
  checkControl(text, name);
}
