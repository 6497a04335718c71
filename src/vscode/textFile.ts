// Reading text files the way the editor would: the open editor's encoding, else `files.encoding`,
// `files.autoGuessEncoding` and `files.candidateGuessEncodings` for that file (language overrides
// included), a BOM always winning; when the bytes are not UTF-8 and guessing is off, the user picks
// the encoding from a list whose entries show a line of the file in each encoding (the detector's
// guesses first) instead of a refusal. The decision rules are pure (core/text/encoding.ts).
import * as vscode from 'vscode';
import {
  decideEncoding, decodeBytes, decodeIfText, encodingInfo, previewSample, SUPPORTED_ENCODINGS, type EncodingGuess, type EncodingId,
  type EncodingPolicy, type EncodingSource,
} from '../core/text/encoding';
import { UnsupportedInputError } from '../core/translate/types';
import { fileEncodingSettings } from './config';

export interface TextFile {
  /** The text without its BOM. Line breaks are exactly as in the file. */
  text: string;
  bom: boolean;
  /** VS Code encoding id (`utf8`, `utf16le`, `gbk`…). */
  encoding: EncodingId;
  source: EncodingSource;
  bytes: Uint8Array;
}

/** `TextDocument.encoding` exists from VS Code 1.101 on; older hosts have no such property. */
function editorEncoding(doc: vscode.TextDocument | undefined): string | undefined {
  const e = (doc as { encoding?: unknown } | undefined)?.encoding;
  return typeof e === 'string' && e ? e : undefined;
}

/** The encoding settings that apply to `uri` (with the language's overrides when it is open). */
export function encodingPolicy(uri: vscode.Uri): EncodingPolicy {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  const files = fileEncodingSettings(uri, open?.languageId);
  return { editor: editorEncoding(open), configured: files.encoding, autoGuess: files.autoGuess, candidates: files.candidates };
}

/**
 * Reads and decodes a file. `known`: an encoding decided earlier (a resumed job), used unless a BOM
 * says otherwise. Resolves undefined when the user dismissed the encoding question. Throws
 * UnsupportedInputError for binary data and the file system's error when it cannot be read.
 */
export async function readTextFile(uri: vscode.Uri, name: string, known?: EncodingId): Promise<TextFile | undefined> {
  const bytes = await vscode.workspace.fs.readFile(uri);
  const policy = known ? { editor: known } : encodingPolicy(uri);
  const d = decideEncoding(bytes, policy);
  let encoding: EncodingId;
  let source: EncodingSource;
  if (d.kind === 'binary') {
    throw new UnsupportedInputError(`"${name}" looks like a binary file (${d.why === 'zero-bytes' ? 'it contains NUL bytes' : 'no text encoding fits its bytes'}); only text files can be read.`,
      d.why === 'zero-bytes' ? 'nul-bytes' : 'invalid-utf8');
  } else if (d.kind === 'decided') {
    encoding = d.id;
    source = known && d.source === 'editor' ? 'saved' : d.source;
  } else {
    const picked = await askEncoding(name, bytes, d.guesses);
    if (!picked) return undefined;
    encoding = picked;
    source = 'user';
  }
  const { text, bom } = decodeBytes(bytes, encoding);
  return { text, bom, encoding: encoding === 'utf8bom' ? 'utf8' : encoding, source, bytes };
}

/**
 * The text of a file for a reader in the background (the workspace search, the chat's folder and
 * diff mentions): `bytes` decoded with the file's encoding settings when that needs no question
 * (core decodeIfText); undefined for binary data and for bytes whose encoding nobody said.
 */
export function backgroundText(uri: vscode.Uri, bytes: Uint8Array): string | undefined {
  return decodeIfText(bytes, encodingPolicy(uri));
}

interface EncodingItem extends vscode.QuickPickItem { id?: EncodingId }

/** Asks which encoding a file is in; each entry shows a line of the file decoded in it. */
export async function askEncoding(name: string, bytes: Uint8Array, guesses: readonly EncodingGuess[]): Promise<EncodingId | undefined> {
  const sample = previewSample(bytes);
  const preview = (id: EncodingId): string => {
    try { return decodeBytes(sample, id).text.trim(); } catch { return ''; }
  };
  const item = (id: EncodingId, description?: string): EncodingItem => ({
    id, label: encodingInfo(id)?.label ?? id, description, detail: preview(id),
  });
  const guessed = guesses.filter((g) => encodingInfo(g.id));
  const items: EncodingItem[] = [
    // The detector's confidences for single-byte encodings are low numbers even when it is right: say
    // which one it picked, and let the previews speak for the rest.
    ...guessed.slice(0, 5).map((g, i) => item(g.id, i === 0 ? vscode.l10n.t('detected') : vscode.l10n.t('also possible'))),
    { label: vscode.l10n.t('Other encodings'), kind: vscode.QuickPickItemKind.Separator },
    ...SUPPORTED_ENCODINGS.filter((e) => !guessed.slice(0, 5).some((g) => g.id === e.id) && !/^utf(8bom|16)/.test(e.id)).map((e) => item(e.id)),
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('{0} is not UTF-8: which encoding is it in?', name),
    placeHolder: vscode.l10n.t('Each entry shows a line of the file read in that encoding'),
    matchOnDescription: true,
    matchOnDetail: true,
    ignoreFocusOut: true,
  });
  return pick?.id;
}

/** How an encoding decision reads in the log: "Simplified Chinese (GBK), from the editor". */
export function describeEncoding(f: Pick<TextFile, 'encoding' | 'bom' | 'source'>): string {
  const label = encodingInfo(f.encoding)?.label ?? f.encoding;
  return `${label}${f.bom ? ' with BOM' : ''} (${f.source})`;
}
