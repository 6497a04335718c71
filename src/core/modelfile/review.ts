// What a Modelfile may make us upload. A Modelfile comes from a repository, so `FROM`/`ADAPTER`/
// `DRAFT` paths are untrusted: `FROM ../../../../etc/passwd` or a link to ~/.ssh/id_rsa would
// otherwise be hashed and left on the server as a blob. Before anything is hashed or sent, every
// planned file is resolved to its real path (symlinks followed), must be a regular file, and must
// BE what its role needs, judged by its bytes rather than its name:
//
//  - weights: GGUF (magic `GGUF` + version 1–3, or Ollama's byte-swapped `FUGG`; fs/ggml/ggml.go
//    DetectContentType and gguf.go at ollama fb30760) or safetensors (8-byte little-endian header
//    length, then that many bytes of JSON describing the tensors; the safetensors format spec, whose
//    header limit is 100 MB). The server converts nothing else: PyTorch zips and pickles fail there
//    with "unknown type" (server/create.go detectModelTypeFromFiles), so they are refused here,
//    before gigabytes are sent.
//  - the files a model directory carries beside its weights (parser/parser.go filesForModel):
//    `*.json` must be JSON, `chat_template.jinja` UTF-8 text, `tokenizer.model` a SentencePiece
//    protobuf (it starts with field 1, `pieces`: byte 0x0A).
//  - a safetensors set needs what the server reads with it (config.json for a model,
//    adapter_config.json for an adapter: convert/convert.go), so a lone .safetensors file is refused
//    with a pointer to its directory; an adapter is one GGUF file or one safetensors directory
//    (server/create.go errOnlyOneAdapterSupported).
//
// The result lists each file with its real path, size and whether it lies outside the Modelfile's
// folder (its real path), for the user to confirm. Nothing here reads more than a file's header,
// except JSON and text files up to a few MiB (read whole to be checked) and a streamed UTF-8 check
// of larger JSON.

import { constants as fsc, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { CreateRequest } from '../ollama/types';
import { ModelfileBuildError, type CreateDraft, type PlannedUpload, type UploadField } from './create';
import { throwIfAborted } from '../common/cancel';

/** What a file was recognised as. */
export type ModelFileKind = 'gguf' | 'safetensors' | 'json' | 'text' | 'sentencepiece';

/** Why a file is refused; `detail` is extra English text (a parse error), may be empty. */
export type RefusalCode =
  | 'notRegular'       // a device, FIFO, socket: never read
  | 'unreadable'       // open/read failed (permissions)
  | 'empty'
  | 'notGguf'          // weights that are neither GGUF nor (by name) safetensors
  | 'notSafetensors'   // a .safetensors file whose header is not one
  | 'lfsPointer'       // a Git LFS pointer instead of the weights
  | 'pytorch'          // PyTorch zip/pickle: the server cannot convert it
  | 'safetensorsFile'  // a lone .safetensors file: the server needs its directory (config)
  | 'notJson'
  | 'notText'
  | 'notTokenizer'
  | 'tooLarge'         // a JSON/text/tokenizer file beyond its limit
  | 'missingConfig'    // a safetensors set without config.json / adapter_config.json
  | 'oneAdapter';      // several adapter weights: the server takes one

/** A planned file that may not be uploaded. Thrown before anything is hashed or sent. */
export class UploadRefusedError extends ModelfileBuildError {
  constructor(
    readonly code: RefusalCode,
    /** The real path judged (or the path named, when it could not be resolved). */
    readonly path: string,
    line: number | undefined,
    readonly detail = '',
  ) {
    super(`${refusalText(code, detail)}: ${path}`, line);
    this.name = 'UploadRefusedError';
  }
}

/** English sentence per refusal (the editor layer localises by `code`). */
export function refusalText(code: RefusalCode, detail = ''): string {
  const d = detail ? ` (${detail})` : '';
  switch (code) {
    case 'notRegular': return 'not a regular file, so not a model file';
    case 'unreadable': return `cannot be read${d}`;
    case 'empty': return 'is empty, so not a model file';
    case 'notGguf': return 'is not a model file: neither GGUF (it does not start with the GGUF magic and version) nor safetensors';
    case 'notSafetensors': return `is not a safetensors file${d}`;
    case 'lfsPointer': return 'is a Git LFS pointer, not the weights: run "git lfs pull" first';
    case 'pytorch': return 'holds PyTorch weights, which the server cannot import: convert them to safetensors or GGUF';
    case 'safetensorsFile': return 'is a single safetensors file: point the Modelfile at the directory that holds it with its config.json (adapter_config.json for an adapter)';
    case 'notJson': return `is not JSON${d}`;
    case 'notText': return `is not UTF-8 text${d}`;
    case 'notTokenizer': return 'is not a SentencePiece tokenizer model';
    case 'tooLarge': return `is too large for what it should be${d}`;
    case 'missingConfig': return `has no ${detail || 'config.json'} beside the safetensors weights, which the server needs`;
    case 'oneAdapter': return 'holds several adapter files, but the server takes one';
  }
}

export interface ReviewedUpload extends PlannedUpload {
  /** The real path (symlinks resolved): what is hashed and uploaded. */
  path: string;
  /** The path as the Modelfile names it (after `~` and relative resolution), before symlinks. */
  requestedPath: string;
  size: number;
  kind: ModelFileKind;
  /** The real path is not inside the Modelfile's folder (compared by real paths). */
  outside: boolean;
  /** The requested path is (or passes through) a symbolic link. */
  viaSymlink: boolean;
}

/** A create request whose local files were all checked; only these may be uploaded. */
export interface ReviewedDraft {
  request: CreateRequest;
  uploads: ReviewedUpload[];
  /** The Modelfile's folder, real path. */
  folder: string;
  totalBytes: number;
}

export interface ReviewOptions {
  /** The Modelfile's folder: files whose real path is elsewhere are marked `outside`. */
  modelfileDir: string;
  signal?: AbortSignal;
}

/** Largest safetensors header the format allows (safetensors' MAX_HEADER_SIZE). */
export const SAFETENSORS_MAX_HEADER = 100_000_000;
/** JSON at most this large is parsed whole; larger JSON (a big tokenizer.json) is checked as a stream. */
export const JSON_PARSE_MAX = 4 * 1024 * 1024;
/** Beyond this a .json beside the weights is not a config or tokenizer. */
export const JSON_MAX = 512 * 1024 * 1024;
export const TEXT_MAX = 4 * 1024 * 1024;
export const TOKENIZER_MAX = 256 * 1024 * 1024;

/**
 * Checks every planned upload of `draft` (see the file comment for the rules) and returns them
 * with their real paths, sizes and kinds. Throws UploadRefusedError (a ModelfileBuildError with the
 * Modelfile line) at the first file that may not be uploaded; reads nothing beyond what the checks
 * need. Upload the returned `uploads` (their `path` is the real path), then finalizeCreateRequest.
 */
export async function reviewUploads(draft: CreateDraft, opts: ReviewOptions): Promise<ReviewedDraft> {
  const folder = await realOrResolved(opts.modelfileDir);
  const uploads: ReviewedUpload[] = [];
  for (const u of draft.uploads) {
    throwIfAborted(opts.signal, 'Modelfile review');
    uploads.push(await reviewOne(u, folder, u.directory === undefined));
  }
  checkSets(uploads);
  return { request: draft.request, uploads, folder, totalBytes: uploads.reduce((n, u) => n + u.size, 0) };
}

type Role = 'weights' | 'json' | 'text' | 'tokenizer';

function roleOf(name: string, alone: boolean): Role {
  if (alone) return 'weights';
  const base = name.split('/').pop() ?? name;
  if (/\.json$/i.test(base)) return 'json';
  if (base === 'chat_template.jinja') return 'text';
  if (base === 'tokenizer.model') return 'tokenizer';
  return 'weights';
}

async function reviewOne(u: PlannedUpload, folder: string, alone: boolean): Promise<ReviewedUpload> {
  let real: string;
  try {
    real = await fsp.realpath(u.path);
  } catch (e) {
    throw new UploadRefusedError('unreadable', u.path, u.line, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
  const st = await fsp.stat(real).catch((e: NodeJS.ErrnoException) => { throw new UploadRefusedError('unreadable', real, u.line, e.code ?? e.message); });
  // Never open a FIFO (it would block) or a device (/dev/zero never ends).
  if (!st.isFile()) throw new UploadRefusedError('notRegular', real, u.line);
  if (st.size === 0) throw new UploadRefusedError('empty', real, u.line);
  const role = roleOf(u.name, alone);
  const kind = await judge(real, st.size, role, u, alone);
  return {
    ...u,
    path: real,
    requestedPath: u.path,
    size: st.size,
    kind,
    outside: !isInside(folder, real),
    // The file itself is a link (a link among its folders shows in the real path, and in `outside`).
    viaSymlink: real !== path.join(await realOrResolved(path.dirname(u.path)), path.basename(u.path)),
  };
}

async function judge(real: string, size: number, role: Role, u: PlannedUpload, alone: boolean): Promise<ModelFileKind> {
  const refuse = (code: RefusalCode, detail = ''): never => { throw new UploadRefusedError(code, real, u.line, detail); };
  const head = await readHead(real, 64).catch((e: NodeJS.ErrnoException) => refuse('unreadable', e.code ?? e.message));
  switch (role) {
    case 'weights': {
      if (isLfsPointer(head)) refuse('lfsPointer');
      if (/\.safetensors$/i.test(u.name)) {
        const problem = await safetensorsProblem(real, size);
        if (problem) refuse('notSafetensors', problem);
        if (alone) refuse('safetensorsFile');
        return 'safetensors';
      }
      if (ggufByteOrder(head) !== undefined) return 'gguf';
      if (isZip(head) || isPickle(head)) refuse('pytorch');
      return refuse('notGguf');
    }
    case 'json': {
      if (size > JSON_MAX) refuse('tooLarge', `${size} bytes`);
      const problem = await jsonProblem(real, size);
      if (problem) refuse(isLfsPointer(head) ? 'lfsPointer' : 'notJson', problem);
      return 'json';
    }
    case 'text': {
      if (size > TEXT_MAX) refuse('tooLarge', `${size} bytes`);
      const problem = textProblem(await fsp.readFile(real));
      if (problem) refuse('notText', problem);
      return 'text';
    }
    case 'tokenizer': {
      if (size > TOKENIZER_MAX) refuse('tooLarge', `${size} bytes`);
      if (isLfsPointer(head)) refuse('lfsPointer');
      if (!isSentencePiece(head)) refuse('notTokenizer');
      return 'sentencepiece';
    }
  }
}

/** The rules that concern a whole set: configs beside safetensors, one adapter. */
function checkSets(uploads: readonly ReviewedUpload[]): void {
  const fields: UploadField[] = ['files', 'adapters', 'draft_files'];
  for (const field of fields) {
    const set = uploads.filter((u) => u.field === field);
    const weights = set.filter((u) => u.kind === 'gguf' || u.kind === 'safetensors');
    if (field === 'adapters' && weights.filter((u) => u.kind === 'gguf').length > 1) {
      throw new UploadRefusedError('oneAdapter', weights[0]!.directory ?? weights[0]!.requestedPath, weights[0]!.line);
    }
    if (weights.some((u) => u.kind === 'safetensors')) {
      const need = field === 'adapters' ? 'adapter_config.json' : 'config.json';
      if (!set.some((u) => u.name === need)) {
        const first = weights.find((u) => u.kind === 'safetensors')!;
        throw new UploadRefusedError('missingConfig', first.directory ?? first.requestedPath, first.line, need);
      }
    }
  }
}

// ---- sniffers (exported for tests) -------------------------------------------------------------

/** The byte order of a GGUF header, or undefined when `head` is not one: magic `GGUF` with a
 * version of 1–3 in either order, or Ollama's FILE_MAGIC_GGUF_BE (`FUGG`) with a big-endian version. */
export function ggufByteOrder(head: Uint8Array): 'le' | 'be' | undefined {
  if (head.length < 8) return undefined;
  const magic = String.fromCharCode(head[0]!, head[1]!, head[2]!, head[3]!);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const le = dv.getUint32(4, true);
  const be = dv.getUint32(4, false);
  const ok = (v: number) => v >= 1 && v <= 3;
  if (magic === 'GGUF' && ok(le)) return 'le';
  if ((magic === 'GGUF' || magic === 'FUGG') && ok(be)) return 'be';
  return undefined;
}

/** A Git LFS pointer file ("version https://git-lfs.github.com/spec/v1 …"). */
export function isLfsPointer(head: Uint8Array): boolean {
  return Buffer.from(head.subarray(0, 24)).toString('latin1').startsWith('version https://git-lfs');
}

function isZip(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

/** A Python pickle (old PyTorch .bin): PROTO opcode 0x80 with protocol 2–5. */
function isPickle(head: Uint8Array): boolean {
  return head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5;
}

/** A serialized SentencePiece ModelProto starts with field 1 (`pieces`, length-delimited): 0x0A. */
export function isSentencePiece(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x0a;
}

/**
 * Why a file is not safetensors, or undefined when its header is valid: an 8-byte little-endian
 * length N (≤ 100 MB, inside the file), then N bytes of a JSON object whose entries are tensors
 * `{ dtype, shape, data_offsets: [begin, end] }` within the data (and an optional `__metadata__`
 * map of strings), as the safetensors spec defines it. Reads only the header.
 */
export async function safetensorsProblem(file: string, size: number): Promise<string | undefined> {
  if (size < 10) return 'too short for a header';
  const lenBytes = await readHead(file, 8);
  const n = Buffer.from(lenBytes).readBigUInt64LE(0);
  if (n < 2n || n > BigInt(SAFETENSORS_MAX_HEADER)) return `header length ${n} is out of range`;
  const len = Number(n);
  if (8 + len > size) return `header length ${len} runs past the end of the file`;
  const bytes = await readAt(file, 8, len);
  if (bytes[0] !== 0x7b) return 'the header is not a JSON object';
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    return `the header is not JSON: ${(e as Error).message.slice(0, 80)}`;
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) return 'the header is not a JSON object';
  const dataSize = size - 8 - len;
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!v || typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) return '__metadata__ is not a map of strings';
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const offs = t?.data_offsets;
    if (!t || typeof t !== 'object' || typeof t.dtype !== 'string' || !Array.isArray(t.shape)
      || !t.shape.every((d) => Number.isInteger(d) && d >= 0)
      || !Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isInteger(d))
      || offs[0] < 0 || offs[0] > offs[1] || offs[1] > dataSize) {
      return `tensor ${JSON.stringify(name.slice(0, 60))} is not described as the format requires`;
    }
  }
  return undefined;
}

/**
 * Why a file is not JSON, or undefined. Up to JSON_PARSE_MAX it is parsed whole; a larger one is
 * read as a stream: strict UTF-8, no NUL or other C0 control outside whitespace, and it opens with
 * `{` or `[` and closes with `}` or `]` (a PEM key, an INI file, a shell history fail all of these).
 */
export async function jsonProblem(file: string, size: number): Promise<string | undefined> {
  if (size <= JSON_PARSE_MAX) {
    const buf = await fsp.readFile(file);
    let text: string;
    try { text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(buf); } catch { return 'not UTF-8'; }
    try {
      const v: unknown = JSON.parse(text);
      return v !== null && typeof v === 'object' ? undefined : 'not a JSON object or array';
    } catch (e) {
      return (e as Error).message.slice(0, 80);
    }
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let first = '';
  let last = '';
  const fh = await fsp.open(file, fsc.O_RDONLY);
  try {
    const buf = Buffer.alloc(1024 * 1024);
    for (let pos = 0; ;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const chunk = buf.subarray(0, bytesRead);
      let s: string;
      try { s = decoder.decode(chunk, { stream: true }); } catch { return 'not UTF-8'; }
      if (/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(s)) return 'contains control characters';
      const t = s.trim();
      if (t) { if (!first) first = t[0]!; last = t[t.length - 1]!; }
    }
    try { decoder.decode(); } catch { return 'not UTF-8'; }
  } finally {
    await fh.close();
  }
  if (first.charCodeAt(0) === 0xfeff) first = '';
  if (!((first === '{' && last === '}') || (first === '[' && last === ']'))) return 'does not open and close like JSON';
  return undefined;
}

/** Why bytes are not UTF-8 text (a template), or undefined. */
export function textProblem(bytes: Uint8Array): string | undefined {
  let s: string;
  try { s = new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch { return 'not UTF-8'; }
  if (s.includes('\0')) return 'contains NUL bytes';
  return undefined;
}

// ---- file helpers ------------------------------------------------------------------------------

async function readHead(file: string, n: number): Promise<Uint8Array> {
  return readAt(file, 0, n);
}

async function readAt(file: string, position: number, n: number): Promise<Uint8Array> {
  const fh = await fsp.open(file, fsc.O_RDONLY);
  try {
    const buf = Buffer.alloc(n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await fh.read(buf, done, n - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  } finally {
    await fh.close();
  }
}

async function realOrResolved(p: string): Promise<string> {
  try { return await fsp.realpath(p); } catch { return path.resolve(p); }
}

/** `child` is `dir` or below it (both absolute, normalised). */
export function isInside(dir: string, child: string): boolean {
  const rel = path.relative(dir, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
