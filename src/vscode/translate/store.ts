// Interrupted document and subtitle translations, kept in workspaceState so Resume can continue
// them after a cancel, a failure or a window reload. A job is keyed by its source URI, a hash of the
// source text and the target language; the options it ran with are saved too, so a resumed job
// continues exactly as it started even if the settings changed meanwhile.
import type * as vscode from 'vscode';
import type { DocumentFormat, DocumentJobState, Glossary, SubtitleJobState, TextEncodingName } from '../../core/translate';
import { languageTag } from '../../core/translate/langTag';
import { STORAGE_KEY } from '../ids';

interface JobSpecBase {
  key: string;
  /** The source document or file. */
  uri: string;
  /** For messages and pickers. */
  name: string;
  /** sha256 of the source text: a changed source cannot be resumed. */
  hash: string;
  target: string;
  model: string;
  glossary: Glossary;
}

export interface DocumentSpec extends JobSpecBase {
  kind: 'document';
  languageId: string;
  format: DocumentFormat;
  chunkChars: number;
  /** The encoding the source was read from disk in (absent when it came from an open editor). */
  inputEncoding?: TextEncodingName;
}

export interface SubtitleSpec extends JobSpecBase {
  kind: 'subtitles';
  batchSize: number;
  bilingual: boolean;
  /** Where the translated file goes (decided before the first request, never the input). */
  outputUri: string;
  /** The encoding the translation is written in. */
  encoding: TextEncodingName;
  /** The encoding the input was read in (a resumed job reads it the same way without asking again). */
  inputEncoding?: TextEncodingName;
  /** Scene change silence (ms; 0 or absent: even batches) and strict JSON batches (absent: off). */
  sceneGapMs?: number;
  strict?: boolean;
}

interface Saved { done: number; total: number; savedAt: number }
export type SavedDocumentJob = DocumentSpec & Saved & { state: DocumentJobState };
export type SavedSubtitleJob = SubtitleSpec & Saved & { state: SubtitleJobState };
export type SavedJob = SavedDocumentJob | SavedSubtitleJob;

const JOBS_KEY = STORAGE_KEY.translationJobs;
/** Oldest interrupted jobs are forgotten beyond this many. */
const MAX_JOBS = 20;

export { textHash } from '../../core/common/hash';

export function jobKey(kind: SavedJob['kind'], uri: string, hash: string, target: string): string {
  return `${kind}|${uri}|${hash}|${languageTag(target)}`;
}

export class JobStore {
  constructor(private readonly memento: vscode.Memento) {}

  all(): SavedJob[] {
    const v = this.memento.get<Record<string, SavedJob>>(JOBS_KEY) ?? {};
    return Object.values(v).sort((a, b) => b.savedAt - a.savedAt);
  }

  get(key: string): SavedJob | undefined {
    return this.memento.get<Record<string, SavedJob>>(JOBS_KEY)?.[key];
  }

  forUri(uri: string): SavedJob[] {
    return this.all().filter((j) => j.uri === uri);
  }

  async save(job: SavedJob): Promise<void> {
    const v = { ...(this.memento.get<Record<string, SavedJob>>(JOBS_KEY) ?? {}) };
    v[job.key] = job;
    const keep = Object.values(v).sort((a, b) => b.savedAt - a.savedAt).slice(0, MAX_JOBS);
    await this.memento.update(JOBS_KEY, Object.fromEntries(keep.map((j) => [j.key, j])));
  }

  async delete(key: string): Promise<void> {
    const v = { ...(this.memento.get<Record<string, SavedJob>>(JOBS_KEY) ?? {}) };
    if (!(key in v)) return;
    delete v[key];
    await this.memento.update(JOBS_KEY, v);
  }
}
