// Turns a parsed Modelfile into a `POST /api/create` request, as `ollama create` does: the server
// no longer reads Modelfiles, so local weights (FROM/ADAPTER/DRAFT paths) become blobs to upload and
// `files`/`adapters`/`draft_files` maps of name → digest. Building is three steps so that nothing is
// read before it is judged, and hashing and uploading (blobs.ts) can report progress and be
// cancelled: buildCreateRequest plans the uploads (names only), reviewUploads (review.ts) checks each
// planned file's real path and bytes, finalizeCreateRequest fills in the digests. The file system of
// the planning step is injected for tests.

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { CreateRequest, Message } from '../ollama/types';
import type { Instruction, ModelfileError, ParseResult } from './parser';

export type UploadField = 'files' | 'adapters' | 'draft_files';

export interface PlannedUpload {
  /** Absolute path of the local file. */
  path: string;
  field: UploadField;
  /** Key in the request map: the basename, or `sub/name` for files in a subdirectory of a model directory. */
  name: string;
  /** Line of the FROM/ADAPTER/DRAFT that asked for it. */
  line: number;
  /** Set when the instruction named a model directory (the file was picked from it): that directory. */
  directory?: string;
}

export interface CreateDraft {
  /** The request without the blob maps; finalizeCreateRequest adds them. */
  request: CreateRequest;
  uploads: PlannedUpload[];
}

export interface FileInfo { isFile: boolean; isDirectory: boolean }

export interface BuildOptions {
  /** Directory of the Modelfile: relative paths resolve against it. */
  modelfileDir: string;
  /** What `~` expands to. */
  homeDir: string;
  /** undefined when nothing exists at the path. Default: fs.stat (following symlinks). */
  stat?: (p: string) => FileInfo | undefined | Promise<FileInfo | undefined>;
  /** Entry names of a directory. Default: fs.readdir. */
  readdir?: (p: string) => string[] | Promise<string[]>;
  /** Passed through as `quantize` (e.g. q4_K_M). */
  quantize?: string;
}

/** A Modelfile that parses but cannot become a request (missing file, parse errors). */
export class ModelfileBuildError extends Error {
  readonly line?: number;
  readonly errors: ModelfileError[];
  constructor(message: string, line?: number, errors: ModelfileError[] = []) {
    super(line ? `(line ${line}): ${message}` : message);
    this.name = 'ModelfileBuildError';
    this.line = line;
    this.errors = errors;
  }
}

export async function buildCreateRequest(
  modelName: string,
  parsed: Pick<ParseResult, 'instructions'> & Partial<Pick<ParseResult, 'errors'>>,
  opts: BuildOptions,
): Promise<CreateDraft> {
  const errors = parsed.errors ?? [];
  if (errors.length > 0) {
    const e = errors[0];
    throw new ModelfileBuildError(e.message + (errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''), e.line, errors);
  }
  const stat = opts.stat ?? defaultStat;
  const readdir = opts.readdir ?? ((p: string) => fsp.readdir(p));
  const fsx: Fsx = { stat: async (p) => stat(p), readdir: async (p) => readdir(p) };

  let from: string | undefined;
  let files: PlannedUpload[] = [];
  let adapters: PlannedUpload[] = [];
  let drafts: PlannedUpload[] = [];
  const modelPaths: string[] = [];
  const draftPaths: string[] = [];
  let template: string | undefined;
  let system: string | undefined;
  let renderer: string | undefined;
  let parser: string | undefined;
  let requires: string | undefined;
  const licenses: string[] = [];
  const messages: Message[] = [];
  const parameters: Record<string, unknown> = {};

  for (const ins of parsed.instructions) {
    switch (ins.kind) {
      case 'from': {
        const abs = expandPath(ins.value, opts, ins);
        const info = await fsx.stat(abs);
        if (!info) {
          if (looksLikePath(ins.value)) throw new ModelfileBuildError(`FROM ${ins.value}: no such file or directory (${abs})`, ins.line);
          from = ins.value;
          break;
        }
        if (draftPaths.includes(abs)) throw new ModelfileBuildError(`DRAFT must not reference the same local path as FROM: ${abs}`, ins.line);
        modelPaths.push(abs);
        files = mergeUploads(files, await localFiles(abs, info, 'files', ins, fsx));
        break;
      }
      case 'adapter': {
        const abs = await existingPath(ins, opts, fsx);
        // The server takes one adapter; like the CLI, a later ADAPTER replaces an earlier one.
        adapters = await localFiles(abs.path, abs.info, 'adapters', ins, fsx);
        break;
      }
      case 'draft': {
        const abs = await existingPath(ins, opts, fsx);
        if (modelPaths.includes(abs.path)) throw new ModelfileBuildError(`DRAFT must not reference the same local path as FROM: ${abs.path}`, ins.line);
        draftPaths.push(abs.path);
        drafts = mergeUploads(drafts, await localFiles(abs.path, abs.info, 'draft_files', ins, fsx));
        break;
      }
      case 'template': template = ins.value; break;
      case 'system': system = ins.value; break;
      case 'renderer': renderer = ins.value; break;
      case 'parser': parser = ins.value; break;
      case 'requires': requires = ins.value; break;
      case 'license': licenses.push(ins.value); break;
      case 'message': messages.push({ role: ins.role, content: ins.value }); break;
      case 'parameter': {
        if (ins.name === 'stop') {
          const prev = parameters.stop;
          parameters.stop = Array.isArray(prev) ? [...prev, ins.value] : [ins.value];
        } else {
          parameters[ins.name] = ins.value;
        }
        break;
      }
    }
  }

  const request: CreateRequest = { model: modelName };
  if (from !== undefined) request.from = from;
  if (Object.keys(parameters).length > 0) request.parameters = parameters;
  if (template !== undefined) request.template = template;
  if (system !== undefined) request.system = system;
  if (messages.length > 0) request.messages = messages;
  if (licenses.length > 0) request.license = licenses.length === 1 ? licenses[0] : licenses;
  if (renderer !== undefined) request.renderer = renderer;
  if (parser !== undefined) request.parser = parser;
  if (requires !== undefined) request.requires = requires;
  if (opts.quantize) request.quantize = opts.quantize;
  return { request, uploads: [...files, ...adapters, ...drafts] };
}

/** The request with `files`/`adapters`/`draft_files` filled from the digests of the uploaded paths. */
export function finalizeCreateRequest(draft: CreateDraft, digests: ReadonlyMap<string, string>): CreateRequest {
  const maps: Partial<Record<UploadField, Record<string, string>>> = {};
  for (const u of draft.uploads) {
    const d = digests.get(u.path);
    if (d === undefined) throw new ModelfileBuildError(`no digest for ${u.path}: upload it first`, u.line);
    if (!/^sha256:[0-9a-f]{64}$/.test(d)) throw new ModelfileBuildError(`bad digest for ${u.path}: ${d}`, u.line);
    (maps[u.field] ??= {})[u.name] = d;
  }
  // Keep the blob maps next to `from`, where a reader of the request expects them.
  const { model, from, ...rest } = draft.request;
  const out: CreateRequest = { model };
  if (from !== undefined) out.from = from;
  for (const f of ['files', 'adapters', 'draft_files'] as const) if (maps[f]) out[f] = maps[f];
  return Object.assign(out, rest);
}

/** The two file-system questions the builder asks (async forms of BuildOptions.stat/readdir). */
export interface Fsx {
  stat(p: string): Promise<FileInfo | undefined>;
  readdir(p: string): Promise<string[]>;
}

async function defaultStat(p: string): Promise<FileInfo | undefined> {
  try {
    const s = await fsp.stat(p);
    return { isFile: s.isFile(), isDirectory: s.isDirectory() };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** As the CLI's expandPath: absolute stays, `~` and `~/…` go under the home directory, the rest is relative to the Modelfile. */
export function expandPath(p: string, opts: Pick<BuildOptions, 'modelfileDir' | 'homeDir'>, at?: { line: number }): string {
  if (path.isAbsolute(p) || p.startsWith('/') || p.startsWith('\\')) return path.resolve(p);
  if (p === '~' || p.startsWith('~/') || p.startsWith('~\\')) return path.resolve(opts.homeDir, p.slice(2));
  if (p.startsWith('~')) throw new ModelfileBuildError(`cannot expand "${p.split(/[\\/]/)[0]}": write the path in full`, at?.line);
  return path.resolve(opts.modelfileDir, p);
}

/** A FROM value that cannot be a model name, so a missing file is an error rather than a pull. */
function looksLikePath(v: string): boolean {
  return /^(\.{1,2}[\\/]|[\\/~]|[A-Za-z]:[\\/])/.test(v) || /\.(gguf|safetensors|bin|pth)$/i.test(v);
}

async function existingPath(ins: Instruction, opts: BuildOptions, fsx: Fsx): Promise<{ path: string; info: FileInfo }> {
  const value = (ins as { value: string }).value;
  const abs = expandPath(value, opts, ins);
  const info = await fsx.stat(abs);
  if (!info) throw new ModelfileBuildError(`${ins.keyword.toUpperCase()} ${value}: no such file or directory (${abs})`, ins.line);
  return { path: abs, info };
}

function mergeUploads(prev: PlannedUpload[], add: PlannedUpload[]): PlannedUpload[] {
  const byName = new Map(prev.map((u) => [u.name, u]));
  for (const u of add) byName.set(u.name, u);
  return [...byName.values()];
}

async function localFiles(abs: string, info: FileInfo, field: UploadField, ins: Instruction, fsx: Fsx): Promise<PlannedUpload[]> {
  if (info.isFile) return [{ path: abs, field, name: path.basename(abs), line: ins.line }];
  if (!info.isDirectory) throw new ModelfileBuildError(`${abs} is neither a file nor a directory`, ins.line);
  let rel = await modelDirectoryFiles(abs, fsx);
  if (rel.length === 0 && field === 'adapters') rel = await adapterDirectoryFiles(abs, fsx);
  if (rel.length === 0) {
    throw new ModelfileBuildError(`no model files in ${abs} (expected model*.safetensors, consolidated*.safetensors, pytorch_model*.bin, consolidated*.pth, *.gguf or *.bin${field === 'adapters' ? ', or an adapter\'s *.safetensors with adapter_config.json' : ''})`, ins.line);
  }
  return rel.map((r) => ({ path: path.join(abs, ...r.split('/')), field, name: r, line: ins.line, directory: abs }));
}

/**
 * The files of a model directory, as the CLI's filesForModel picks them: the first kind of weights
 * found, then the JSON configs, chat_template.jinja and tokenizer.model, one subdirectory deep.
 * Returned as `/`-separated paths relative to the directory; empty when there are no weights.
 * This only picks names; reviewUploads (review.ts) then resolves each file's symlinks and checks its
 * bytes. Unlike the CLI, a file linked from outside the directory (a Hugging Face cache snapshot) is
 * not refused outright: it is shown as outside the Modelfile's folder for the user to confirm.
 */
export async function modelDirectoryFiles(dir: string, fsx: Fsx): Promise<string[]> {
  const root = await listDir(dir, fsx);
  const subs: Array<{ name: string; files: string[] }> = [];
  for (const d of root.dirs) subs.push({ name: d, files: (await listDir(path.join(dir, d), fsx)).files });
  const here = (pattern: string) => root.files.filter(globMatcher(pattern));
  const nested = (pattern: string) => subs.flatMap((s) => s.files.filter(globMatcher(pattern)).map((f) => `${s.name}/${f}`));

  let weights: string[];
  if (here('model*.safetensors').length > 0) weights = [...here('model*.safetensors'), ...nested('model*.safetensors')];
  else weights = firstNonEmpty(['consolidated*.safetensors', 'pytorch_model*.bin', 'consolidated*.pth', '*.gguf', '*.bin'].map(here));
  if (weights.length === 0) return [];
  const tokenizer = here('tokenizer.model').length > 0 ? here('tokenizer.model') : nested('tokenizer.model');
  return [...weights, ...here('*.json'), ...nested('*.json'), ...here('chat_template.jinja'), ...tokenizer];
}

/**
 * The files of a safetensors adapter directory as fine-tuning tools write it (PEFT:
 * adapter_model.safetensors + adapter_config.json), which the CLI's filesForModel misses (it looks
 * for model*.safetensors; ollama issue #13314) although the server converts them (convert/convert.go
 * ConvertAdapter reads adapter_config.json and every *.safetensors). Empty when there are none.
 */
export async function adapterDirectoryFiles(dir: string, fsx: Fsx): Promise<string[]> {
  const root = await listDir(dir, fsx);
  const weights = root.files.filter(globMatcher('*.safetensors'));
  if (weights.length === 0) return [];
  return [...weights, ...root.files.filter(globMatcher('*.json'))];
}

function firstNonEmpty(lists: string[][]): string[] {
  return lists.find((l) => l.length > 0) ?? [];
}

async function listDir(dir: string, fsx: Fsx): Promise<{ files: string[]; dirs: string[] }> {
  const names = [...await fsx.readdir(dir)].sort();
  const files: string[] = [];
  const dirs: string[] = [];
  for (const n of names) {
    const info = await fsx.stat(path.join(dir, n));
    if (info?.isFile) files.push(n);
    else if (info?.isDirectory) dirs.push(n);
  }
  return { files, dirs };
}

function globMatcher(pattern: string): (name: string) => boolean {
  const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$');
  return (name) => re.test(name);
}
