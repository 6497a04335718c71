// Text files as VS Code reads them: encodings named as VS Code names them (the values of
// `files.encoding` and of `TextDocument.encoding`: utf8, utf8bom, utf16le, windows1252, gbk, cp950…),
// the BOM decides first, BOM-less UTF-16 is recognised by its zero bytes, binary data is refused,
// and a legacy encoding is guessed from the bytes. The rules follow VS Code's own
// (src/vs/workbench/services/textfile/common/encoding.ts); where we differ it is said below.
// Pure: no `vscode`. UTF-8 and UTF-16 are handled here; every other encoding (and guessing) goes
// through ./codecs, which is loaded on first use only.

/** A VS Code encoding id: `utf8`, `utf8bom`, `utf16le`, `utf16be`, `windows1252`, `gbk`, `cp950`, … */
export type EncodingId = string;

export interface EncodingInfo {
  id: EncodingId;
  /** VS Code's long label ("Simplified Chinese (GBK)"). */
  label: string;
  /** The name iconv-lite knows it by. */
  iconv: string;
}

/** Every encoding VS Code offers in "Reopen with Encoding", in its order and with its labels. */
export const SUPPORTED_ENCODINGS: readonly EncodingInfo[] = ([
  ['utf8', 'UTF-8'], ['utf8bom', 'UTF-8 with BOM', 'utf8'], ['utf16le', 'UTF-16 LE'], ['utf16be', 'UTF-16 BE'],
  ['windows1252', 'Western (Windows 1252)'], ['iso88591', 'Western (ISO 8859-1)'], ['iso88593', 'Western (ISO 8859-3)'],
  ['iso885915', 'Western (ISO 8859-15)'], ['macroman', 'Western (Mac Roman)'], ['cp437', 'DOS (CP 437)'],
  ['windows1256', 'Arabic (Windows 1256)'], ['iso88596', 'Arabic (ISO 8859-6)'], ['windows1257', 'Baltic (Windows 1257)'],
  ['iso88594', 'Baltic (ISO 8859-4)'], ['iso885914', 'Celtic (ISO 8859-14)'], ['windows1250', 'Central European (Windows 1250)'],
  ['iso88592', 'Central European (ISO 8859-2)'], ['cp852', 'Central European (CP 852)'], ['windows1251', 'Cyrillic (Windows 1251)'],
  ['cp866', 'Cyrillic (CP 866)'], ['cp1125', 'Cyrillic (CP 1125)'], ['iso88595', 'Cyrillic (ISO 8859-5)'], ['koi8r', 'Cyrillic (KOI8-R)'],
  ['koi8u', 'Cyrillic (KOI8-U)'], ['iso885913', 'Estonian (ISO 8859-13)'], ['windows1253', 'Greek (Windows 1253)'],
  ['iso88597', 'Greek (ISO 8859-7)'], ['windows1255', 'Hebrew (Windows 1255)'], ['iso88598', 'Hebrew (ISO 8859-8)'],
  ['iso885910', 'Nordic (ISO 8859-10)'], ['iso885916', 'Romanian (ISO 8859-16)'], ['windows1254', 'Turkish (Windows 1254)'],
  ['iso88599', 'Turkish (ISO 8859-9)'], ['windows1258', 'Vietnamese (Windows 1258)'], ['gbk', 'Simplified Chinese (GBK)'],
  ['gb18030', 'Simplified Chinese (GB18030)'], ['cp950', 'Traditional Chinese (Big5)'], ['big5hkscs', 'Traditional Chinese (Big5-HKSCS)'],
  ['shiftjis', 'Japanese (Shift JIS)'], ['eucjp', 'Japanese (EUC-JP)'], ['euckr', 'Korean (EUC-KR)'], ['windows874', 'Thai (Windows 874)'],
  ['iso885911', 'Latin/Thai (ISO 8859-11)'], ['koi8ru', 'Cyrillic (KOI8-RU)'], ['koi8t', 'Tajik (KOI8-T)'],
  ['gb2312', 'Simplified Chinese (GB 2312)'], ['cp865', 'Nordic DOS (CP 865)'], ['cp850', 'Western European DOS (CP 850)'],
  ['cp857', 'Turkish DOS (CP 857)'],
] as Array<[string, string, string?]>).map(([id, label, iconv]) => ({ id, label, iconv: iconv ?? id }));

const BY_ID = new Map(SUPPORTED_ENCODINGS.map((e) => [e.id, e]));

/** Names other tools use (WHATWG labels, jschardet's names, our own older names) -> VS Code ids. */
const ALIASES: Readonly<Record<string, EncodingId>> = {
  utf8: 'utf8', utf8bom: 'utf8bom', utf8sig: 'utf8bom', ascii: 'utf8', usascii: 'utf8',
  utf16le: 'utf16le', utf16be: 'utf16be', utf16: 'utf16le', ucs2: 'utf16le',
  big5: 'cp950', cp950: 'cp950', big5hkscs: 'big5hkscs',
  cp932: 'shiftjis', sjis: 'shiftjis', shiftjis: 'shiftjis', windows31j: 'shiftjis', mskanji: 'shiftjis',
  cp949: 'euckr', uhc: 'euckr', ksc56011987: 'euckr', euckr: 'euckr', cp936: 'gbk', gbk: 'gbk', gb18030: 'gb18030',
  gb2312: 'gb2312', hzgb2312: 'gb2312', eucjp: 'eucjp', ibm866: 'cp866', ibm1125: 'cp1125', cp1252: 'windows1252',
  latin1: 'iso88591', l1: 'iso88591', macintosh: 'macroman', macroman: 'macroman', tis620: 'windows874', cp874: 'windows874',
  iso885911: 'iso885911', koi8r: 'koi8r', koi8u: 'koi8u',
};

/**
 * The VS Code id for an encoding name in any usual spelling ("UTF-8", "windows-1252", "GB18030",
 * "Big5", "CP932", "ISO-8859-2"), or undefined when VS Code offers no such encoding.
 */
export function normalizeEncoding(name: string | undefined | null): EncodingId | undefined {
  if (!name) return undefined;
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  const alias = ALIASES[n];
  if (alias) return alias;
  if (BY_ID.has(n)) return n;
  const win = /^(?:windows|cp|win)(125\d|874)$/.exec(n);
  if (win) return BY_ID.has(`windows${win[1]}`) ? `windows${win[1]}` : undefined;
  const iso = /^iso8859(\d{1,2})$/.exec(n);
  if (iso && BY_ID.has(`iso8859${iso[1]}`)) return `iso8859${iso[1]}`;
  return undefined;
}

export function encodingInfo(id: EncodingId): EncodingInfo | undefined {
  return BY_ID.get(normalizeEncoding(id) ?? id);
}

/** utf8, utf8bom, utf16le, utf16be: they hold any text. Every other encoding is a legacy one. */
export function isUnicodeEncoding(id: EncodingId): boolean {
  return id === 'utf8' || id === 'utf8bom' || id === 'utf16le' || id === 'utf16be';
}

/** The encoding a byte order mark at the start of `bytes` announces (VS Code: detectEncodingByBOMFromBuffer). */
export function detectBom(bytes: Uint8Array): 'utf8bom' | 'utf16le' | 'utf16be' | undefined {
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf16be';
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf16le';
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf8bom';
  return undefined;
}

/** How many leading bytes decide between UTF-16 without BOM and binary (VS Code looks at 512). */
const ZERO_BYTE_WINDOW = 512;

/**
 * VS Code's zero-byte rule: in the first 512 bytes, zeros only at odd offsets mean UTF-16 LE, only at
 * even offsets UTF-16 BE, zeros anywhere else mean binary. Text without zero bytes says nothing.
 */
export function sniffZeroBytes(bytes: Uint8Array): 'utf16le' | 'utf16be' | 'binary' | undefined {
  let le = true;
  let be = true;
  let zero = false;
  const n = Math.min(bytes.length, ZERO_BYTE_WINDOW);
  for (let i = 0; i < n; i++) {
    const odd = i % 2 === 1;
    const isZero = bytes[i] === 0;
    if (isZero) zero = true;
    if (le && (odd ? !isZero : isZero)) le = false;
    if (be && (odd ? isZero : !isZero)) be = false;
    if (isZero && !le && !be) return 'binary';
  }
  if (!zero) return bytes.indexOf(0, n) >= 0 ? 'binary' : undefined;
  return le ? 'utf16le' : be ? 'utf16be' : 'binary';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** True when `bytes` are well-formed UTF-8 (a BOM included or not). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try { strictUtf8.decode(bytes); return true; } catch { return false; }
}

/** True when `bytes` hold a byte above 0x7F: text that is more than ASCII. */
export function hasNonAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return true;
  return false;
}

interface Codecs {
  decode(bytes: Uint8Array, iconvName: string): string;
  encode(text: string, iconvName: string): Uint8Array;
  exists(iconvName: string): boolean;
  detect(bytes: Uint8Array, maxBytes: number): { binary: boolean; candidates: Array<{ name: string; confidence: number }> };
}

let codecsModule: Codecs | undefined;

/** iconv-lite and jschardet, loaded on first use (see codecs.ts for why they are a bundle of their own). */
function codecs(): Codecs {
  // A plain require: esbuild leaves `./codecs` to the separate dist/codecs.js bundle (esbuild.js).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  codecsModule ??= require('./codecs') as Codecs;
  return codecsModule;
}

/** Bytes given to the detector (VS Code gives jschardet 64 KB; more only costs time). */
const GUESS_MAX_BYTES = 64 * 1024;

export interface EncodingGuess {
  id: EncodingId;
  /** The detector's confidence, 0–1. */
  confidence: number;
}

/**
 * The detector's guesses for bytes that are neither UTF-16 nor binary, best first, as VS Code ids
 * (unknown names and duplicates dropped); `binary` when the detector reads them as no text at all.
 * `candidates` (VS Code ids, as in `files.candidateGuessEncodings`) limits the answer to those
 * encodings when any of them fits. ASCII-only and valid UTF-8 input guesses `utf8`, as VS Code would.
 */
export function guessEncodings(bytes: Uint8Array, candidates: readonly string[] = []): { binary: boolean; guesses: EncodingGuess[] } {
  if (!hasNonAscii(bytes) || isValidUtf8(bytes)) return { binary: false, guesses: [{ id: 'utf8', confidence: 1 }] };
  const out: EncodingGuess[] = [];
  const seen = new Set<string>();
  const d = codecs().detect(bytes, GUESS_MAX_BYTES);
  for (const g of d.candidates) {
    const id = normalizeEncoding(g.name);
    // UTF-8 was ruled out above: the bytes are not valid UTF-8.
    if (!id || id === 'utf8' || seen.has(id) || !BY_ID.has(id)) continue;
    seen.add(id);
    out.push({ id, confidence: g.confidence });
  }
  const allowed = new Set(candidates.map((c) => normalizeEncoding(c)).filter((c): c is string => !!c));
  if (allowed.size > 0) {
    const within = out.filter((g) => allowed.has(g.id));
    if (within.length > 0) return { binary: d.binary, guesses: within };
  }
  return { binary: d.binary, guesses: out };
}

/**
 * Decodes bytes in a known encoding. A BOM that matches the encoding is not part of the text; `bom`
 * says whether there was one. Invalid sequences become U+FFFD (the editor shows the same).
 */
export function decodeBytes(bytes: Uint8Array, id: EncodingId): { text: string; bom: boolean } {
  const enc = normalizeEncoding(id) ?? id;
  const bom = detectBom(bytes);
  const hasBom = bom !== undefined && (bom === enc || (bom === 'utf8bom' && enc === 'utf8'));
  const body = hasBom ? bytes.subarray(bom === 'utf8bom' ? 3 : 2) : bytes;
  if (enc === 'utf8' || enc === 'utf8bom') return { text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(body), bom: hasBom };
  if (enc === 'utf16le' || enc === 'utf16be') return { text: decodeUtf16(body, enc === 'utf16le'), bom: hasBom };
  const info = BY_ID.get(enc);
  if (!info) throw new RangeError(`Unknown encoding "${id}"`);
  return { text: codecs().decode(body, info.iconv), bom: false };
}

/**
 * Encodes text. `bom` adds the byte order mark (utf8bom always has one; legacy encodings never do).
 * Characters a legacy encoding cannot hold become `?`: check with `canEncode` first.
 */
export function encodeString(text: string, id: EncodingId, bom = id === 'utf8bom'): Uint8Array {
  const enc = normalizeEncoding(id) ?? id;
  if (enc === 'utf8' || enc === 'utf8bom') {
    const body = new TextEncoder().encode(text);
    if (!bom && enc !== 'utf8bom') return body;
    const out = new Uint8Array(body.length + 3);
    out.set([0xef, 0xbb, 0xbf]);
    out.set(body, 3);
    return out;
  }
  if (enc === 'utf16le' || enc === 'utf16be') return encodeUtf16(text, enc === 'utf16le', bom);
  const info = BY_ID.get(enc);
  if (!info) throw new RangeError(`Unknown encoding "${id}"`);
  return codecs().encode(text, info.iconv);
}

/** True when `text` survives a round trip through encoding `id` (a Chinese translation does not fit Windows-1252). */
export function canEncode(text: string, id: EncodingId): boolean {
  const enc = normalizeEncoding(id) ?? id;
  if (isUnicodeEncoding(enc)) return true;
  return decodeBytes(encodeString(text, enc), enc).text === text;
}

function decodeUtf16(bytes: Uint8Array, le: boolean): string {
  const parts: string[] = [];
  const n = bytes.length - (bytes.length % 2);
  const units = new Array<number>(Math.min(8192, n / 2));
  let k = 0;
  for (let i = 0; i < n; i += 2) {
    units[k++] = le ? bytes[i]! | (bytes[i + 1]! << 8) : (bytes[i]! << 8) | bytes[i + 1]!;
    if (k === units.length) { parts.push(String.fromCharCode(...units)); k = 0; }
  }
  if (k > 0) parts.push(String.fromCharCode(...units.slice(0, k)));
  // An odd last byte cannot be a character: the editor shows U+FFFD for it.
  if (n < bytes.length) parts.push('\uFFFD');
  return parts.join('');
}

function encodeUtf16(text: string, le: boolean, bom: boolean): Uint8Array {
  const off = bom ? 2 : 0;
  const out = new Uint8Array(off + text.length * 2);
  if (bom) { out[0] = le ? 0xff : 0xfe; out[1] = le ? 0xfe : 0xff; }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const j = off + 2 * i;
    if (le) { out[j] = c & 0xff; out[j + 1] = c >> 8; } else { out[j] = c >> 8; out[j + 1] = c & 0xff; }
  }
  return out;
}

/** Where an encoding decision came from, for logs and messages. */
export type EncodingSource = 'bom' | 'editor' | 'setting' | 'utf16' | 'utf8' | 'guess' | 'user' | 'saved';

/** What the bytes alone say, before any setting or question. */
export type Sniffed =
  | { kind: 'bom'; id: 'utf8bom' | 'utf16le' | 'utf16be' }
  | { kind: 'utf16'; id: 'utf16le' | 'utf16be' }
  | { kind: 'binary' }
  | { kind: 'utf8'; ascii: boolean }
  | { kind: 'legacy' };

/** BOM, then zero bytes (UTF-16 or binary), then UTF-8 validity: everything that needs no guess. */
export function sniffEncoding(bytes: Uint8Array): Sniffed {
  const bom = detectBom(bytes);
  if (bom) return { kind: 'bom', id: bom };
  const z = sniffZeroBytes(bytes);
  if (z === 'binary') return { kind: 'binary' };
  if (z) return { kind: 'utf16', id: z };
  if (!hasNonAscii(bytes)) return { kind: 'utf8', ascii: true };
  if (isValidUtf8(bytes)) return { kind: 'utf8', ascii: false };
  return { kind: 'legacy' };
}

export interface EncodingPolicy {
  /** The encoding the open editor uses for this file (TextDocument.encoding), if it is open. */
  editor?: string;
  /** `files.encoding` for this file (default utf8). */
  configured?: string;
  /** `files.autoGuessEncoding`. */
  autoGuess?: boolean;
  /** `files.candidateGuessEncodings`. */
  candidates?: readonly string[];
  /** False when nobody can be asked (a background reader): undecidable bytes are `ask` with no
   * guesses, and the detector is not loaded for them. */
  canAsk?: boolean;
}

export type EncodingDecision =
  | { kind: 'decided'; id: EncodingId; source: EncodingSource }
  /** Zero bytes that are not UTF-16, or bytes the detector reads as no text at all (compressed, random). */
  | { kind: 'binary'; why: 'zero-bytes' | 'detector' }
  /** Not decidable without the user: the bytes are not UTF-8 and guessing is off. Guesses best first. */
  | { kind: 'ask'; guesses: EncodingGuess[] };

/**
 * Decides how to read a file, as VS Code would open it:
 * 1. a BOM decides (VS Code: the BOM wins over every setting);
 * 2. the open editor's encoding (the user may have picked it with "Reopen with Encoding"), unless
 *    it is UTF-8 and the bytes are not: the editor then shows U+FFFD, which we do not translate;
 * 3. zero bytes: BOM-less UTF-16, or binary (refused);
 * 4. `files.encoding` when it names a legacy encoding: except for bytes that are valid UTF-8 with
 *    non-ASCII characters, which legacy text practically never is (VS Code would show mojibake);
 * 5. valid UTF-8 is UTF-8;
 * 6. with `files.autoGuessEncoding`, the detector's best guess (within the candidates);
 * 7. otherwise the user is asked, the guesses first (VS Code would show U+FFFD instead).
 */
export function decideEncoding(bytes: Uint8Array, p: EncodingPolicy = {}): EncodingDecision {
  const s = sniffEncoding(bytes);
  if (s.kind === 'bom') return { kind: 'decided', id: s.id, source: 'bom' };
  const editor = normalizeEncoding(p.editor);
  if (editor && !(editor === 'utf8' || editor === 'utf8bom') || (editor && s.kind === 'utf8')) {
    return { kind: 'decided', id: editor === 'utf8bom' ? 'utf8' : editor, source: 'editor' };
  }
  if (s.kind === 'binary') return { kind: 'binary', why: 'zero-bytes' };
  if (s.kind === 'utf16') return { kind: 'decided', id: s.id, source: 'utf16' };
  const configured = normalizeEncoding(p.configured);
  if (configured && !isUnicodeEncoding(configured) && !(s.kind === 'utf8' && !s.ascii)) {
    return { kind: 'decided', id: configured, source: 'setting' };
  }
  if (s.kind === 'utf8') return { kind: 'decided', id: 'utf8', source: 'utf8' };
  if (p.canAsk === false && !p.autoGuess) return { kind: 'ask', guesses: [] };
  const { binary, guesses } = guessEncodings(bytes, p.candidates ?? []);
  if (binary) return { kind: 'binary', why: 'detector' };
  if (p.autoGuess && guesses.length > 0) return { kind: 'decided', id: guesses[0]!.id, source: 'guess' };
  return { kind: 'ask', guesses };
}

/**
 * The text of `bytes` as the editor would read it with policy `p` (decideEncoding), when that needs
 * nobody to pick an encoding; undefined for binary data and for bytes that are not UTF-8 when no
 * setting says what they are. For readers that run in the background (the workspace search, the
 * chat's folder and diff mentions): UTF-16 and BOM files read right, GBK with `files.encoding`
 * set to it too, and nothing is decoded as mojibake.
 */
export function decodeIfText(bytes: Uint8Array, p: EncodingPolicy = {}): string | undefined {
  const d = decideEncoding(bytes, { ...p, canAsk: false });
  return d.kind === 'decided' ? decodeBytes(bytes, d.id).text : undefined;
}

/**
 * A short piece of the file for showing how each encoding would read it: the first line that holds
 * a non-ASCII byte (what differs between encodings), at most `maxBytes` long, cut at a line break.
 */
export function previewSample(bytes: Uint8Array, maxBytes = 160): Uint8Array {
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x0a || b === 0x0d) { start = i + 1; continue; }
    if (b > 0x7f) break;
  }
  if (start >= bytes.length) start = 0;
  let end = start;
  while (end < bytes.length && end - start < maxBytes && bytes[end] !== 0x0a && bytes[end] !== 0x0d) end++;
  return bytes.subarray(start, end);
}
