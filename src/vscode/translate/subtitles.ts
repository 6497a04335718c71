// Translate Subtitle File: an .srt/.vtt file is translated in numbered batches (neighbouring cues
// as context, misaligned answers retried smaller: the core does that) and written next to the
// input as <name>.<lang-tag>.<ext>. The input is never overwritten; timing, ids, styling, BOM and
// line breaks are kept byte for byte. A cancelled or failed run is saved for Resume.
import * as vscode from 'vscode';
import {
  cues, detectSubtitleFormat, encodeText, parseSubtitles, serializeSubtitles, SubtitleJob, translationOutputEncoding, UnsupportedInputError,
  type SubtitleFile, type SubtitleJobState, type SubtitleProgress, type SubtitleResult, type TextEncodingName,
} from '../../core/translate';
import { assertTranslatableText } from '../../core/translate/binary';
import { describeEncoding, readTextFile } from '../textFile';
import { languageTag, numberedFileName, translatedFileName } from '../../core/translate/langTag';
import { translationSettings } from '../config';
import { discardSaved, runResumableJob, type JobKind } from './jobRunner';
import { displayName, unsupportedMessage, type TranslationOutcome, type TranslationService } from './service';
import { jobKey, textHash, type SavedSubtitleJob, type SubtitleSpec } from './store';

const SUBTITLE_PATH = /\.(srt|vtt)$/i;

interface SubSource {
  uri: vscode.Uri; name: string;
  /** The decoded text, a leading U+FEFF standing for the BOM (the parser keeps it for the round trip). */
  text: string;
  /** What the file was read as, and what the translation is written as. */
  inputEncoding: TextEncodingName; outputEncoding: TextEncodingName; outputBom: boolean;
  file: SubtitleFile;
}

type Read = { ok: true; source: SubSource } | { ok: false; outcome: TranslationOutcome };

/**
 * Reads a subtitle file from disk (not from the editor, whose text has one line break style: the
 * file's own breaks are kept byte for byte) in the encoding the editor would use, or the one the
 * user picks; `known` is the encoding an interrupted job read it in.
 */
async function readSubtitles(svc: TranslationService, uri: vscode.Uri, known?: TextEncodingName): Promise<Read> {
  const name = displayName(uri);
  try {
    const read = await readTextFile(uri, name, known);
    if (!read) return { ok: false, outcome: { status: 'cancelled', reason: 'cancelled' } };
    assertTranslatableText(read.text, name);
    const text = (read.bom ? '\uFEFF' : '') + read.text;
    const format = detectSubtitleFormat(text, name);
    if (!format) {
      void vscode.window.showErrorMessage(vscode.l10n.t('{0} is not an .srt or .vtt subtitle file.', name));
      return { ok: false, outcome: { status: 'unsupported', reason: 'unsupported' } };
    }
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open?.isDirty) {
      void vscode.window.showWarningMessage(vscode.l10n.t('{0} has unsaved changes: the saved file is translated.', name));
    }
    const out = translationOutputEncoding(read);
    svc.log.info(`${name}: read as ${describeEncoding(read)}; the translation is written as ${out.encoding}${out.bom ? ' with BOM' : ''}`);
    return {
      ok: true,
      source: { uri, name, text, inputEncoding: read.encoding, outputEncoding: out.encoding, outputBom: out.bom, file: parseSubtitles(text, format) },
    };
  } catch (e) {
    return { ok: false, outcome: readFailure(svc, e, name, uri.toString()) };
  }
}

/** A subtitle file that cannot be read (or made into a job): said, and the outcome. */
function readFailure(svc: TranslationService, e: unknown, name: string, uri: string): TranslationOutcome {
  if (e instanceof UnsupportedInputError) {
    svc.log.warn(`${name}: ${e.message}`);
    void vscode.window.showErrorMessage(unsupportedMessage(e, name));
    return { status: 'unsupported', reason: 'unsupported' };
  }
  const msg = e instanceof Error ? e.message : String(e);
  svc.log.error(`cannot read ${uri}: ${msg}`);
  void vscode.window.showErrorMessage(vscode.l10n.t('Cannot read {0}: {1}', name, msg));
  return { status: 'failed', reason: 'error', message: msg };
}

/**
 * The translated file's bytes. `encoding` is the job's output encoding: `utf8bom` (always a BOM),
 * `utf8` (never), UTF-16 (a BOM when the input had one); jobs saved before version 0.2 stored the
 * input's `utf-8` / `utf-16le`, whose BOM followed the input (the text's leading U+FEFF).
 */
function encodeOutput(text: string, encoding: TextEncodingName): Uint8Array {
  const hadBom = text.startsWith('\uFEFF');
  const body = hadBom ? text.slice(1) : text;
  const bom = encoding === 'utf8bom' || (encoding !== 'utf8' && hadBom);
  return encodeText((bom ? '\uFEFF' : '') + body, encoding === 'utf8bom' ? 'utf8' : encoding);
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try { await vscode.workspace.fs.stat(uri); return true; } catch { return false; }
}

/** Where the translation goes; asks before replacing an existing file. Undefined: the user cancelled. */
async function chooseOutput(input: vscode.Uri, target: string): Promise<vscode.Uri | undefined> {
  const dir = vscode.Uri.joinPath(input, '..');
  const name = translatedFileName(displayName(input), languageTag(target));
  const out = vscode.Uri.joinPath(dir, name);
  if (!(await exists(out))) return out;
  const replace = vscode.l10n.t('Replace');
  const keep = vscode.l10n.t('Keep Both');
  const pick = await vscode.window.showWarningMessage(vscode.l10n.t('{0} already exists. Replace it with the new translation?', name), { modal: true }, replace, keep);
  if (pick === replace) return out;
  if (pick !== keep) return undefined;
  for (let n = 2; ; n++) {
    const candidate = vscode.Uri.joinPath(dir, numberedFileName(name, n));
    if (!(await exists(candidate))) return candidate;
  }
}

async function pickSubtitleFile(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && active.scheme === 'file' && SUBTITLE_PATH.test(active.path)) return active;
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false, openLabel: vscode.l10n.t('Translate'), filters: { [vscode.l10n.t('Subtitles')]: ['srt', 'vtt'] },
  });
  return picked?.[0];
}

export async function translateSubtitlesCommand(svc: TranslationService, uri?: vscode.Uri): Promise<TranslationOutcome> {
  const input = uri ?? (await pickSubtitleFile());
  if (!input) return { status: 'nothing' };
  const read = await readSubtitles(svc, input);
  if (!read.ok) return read.outcome;
  const { source } = read;
  if (cues(source.file).length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no subtitles to translate.', source.name));
    return { status: 'nothing', done: 0, total: 0 };
  }
  const s = translationSettings();
  if (!svc.requireModel(s.model)) return { status: 'failed', reason: 'error' };
  const output = await chooseOutput(input, s.target);
  if (!output) return { status: 'cancelled', reason: 'cancelled' };
  const hash = textHash(source.text);
  const spec: SubtitleSpec = {
    kind: 'subtitles', key: jobKey('subtitles', input.toString(), hash, s.target), uri: input.toString(), name: source.name, hash,
    target: s.target, model: s.model, glossary: await svc.glossary(input), batchSize: s.subtitleBatchSize, bilingual: s.bilingualSubtitles,
    sceneGapMs: s.sceneGapMs, strict: s.strictSubtitles,
    outputUri: output.toString(), encoding: source.outputEncoding === 'utf8' && source.outputBom ? 'utf8bom' : source.outputEncoding, inputEncoding: source.inputEncoding,
  };
  await svc.jobs.delete(spec.key);
  return runSubtitleJob(svc, spec, source.file);
}

export async function resumeSubtitles(svc: TranslationService, saved: SavedSubtitleJob): Promise<TranslationOutcome> {
  const input = vscode.Uri.parse(saved.uri);
  if (!(await exists(input))) return discardSaved(svc, saved, 'gone', () => undefined);
  const read = await readSubtitles(svc, input, saved.inputEncoding);
  if (!read.ok) return read.outcome;
  if (textHash(read.source.text) !== saved.hash) return discardSaved(svc, saved, 'changed', () => translateSubtitlesCommand(svc, input));
  return runSubtitleJob(svc, saved, read.source.file, saved.state);
}

/** Strict JSON batches need native Ollama (an OpenAI-compatible server gets the text protocol). */
export async function strictAvailable(svc: TranslationService): Promise<boolean> {
  try { return (await svc.ctx.llm()).kind === 'ollama'; } catch { return false; }
}

async function runSubtitleJob(svc: TranslationService, spec: SubtitleSpec, file: SubtitleFile, state?: SubtitleJobState): Promise<TranslationOutcome> {
  const strict = spec.strict === true && await strictAvailable(svc);
  const options = {
    target: spec.target, glossary: spec.glossary, model: spec.model, cache: svc.cache, batchSize: spec.batchSize, bilingual: spec.bilingual, contextCues: 3,
    languageTag: languageTag(spec.target),
    // Jobs saved before these settings existed run as they started (even batches, text protocol).
    sceneGapMs: spec.sceneGapMs ?? 0, sceneBatches: (spec.sceneGapMs ?? 0) > 0, strict,
    onStrictUnsupported: (why: string) => svc.log.warn(`${spec.name}: strict subtitle batches not supported (${why}); the numbered text format is used`),
    onRepair: (what: string) => svc.log.info(`${spec.name}: ${what}`),
  };
  const output = vscode.Uri.parse(spec.outputUri);
  const kind: JobKind<SubtitleJob, SubtitleJobState, SubtitleProgress, SubtitleResult> = {
    spec,
    create: (st) => new SubtitleJob(file, options, st),
    saved: (job, done) => ({ ...spec, kind: 'subtitles', done, total: job.total, savedAt: Date.now(), state: job.state }),
    settled: (job) => Object.keys(job.state.done).length,
    progress: (d, t) => vscode.l10n.t('{0} of {1} cues', d, t),
    deliver: async (job, r, ms) => {
      if (output.toString() === spec.uri) throw new Error('refusing to overwrite the input file');
      await vscode.workspace.fs.writeFile(output, encodeOutput(serializeSubtitles(r.file), spec.encoding));
      await svc.jobs.delete(spec.key);
      svc.log.info(`translated ${spec.name} into ${spec.target} with ${spec.model}: ${job.total} cues, ${r.requests} requests, ${r.cachedCues} from the cache, ${r.failures.length} kept in the original, ${ms} ms -> ${output.fsPath}`);
      void svc.reportSuccess();
      const open = vscode.l10n.t('Open');
      if (r.failures.length) {
        for (const f of r.failures) svc.log.warn(`${spec.name}, cue ${f.id}: kept in the original (${f.reason})`);
        const show = vscode.l10n.t('Show Log');
        void vscode.window.showWarningMessage(vscode.l10n.t('Wrote {0}. {1} of {2} cues could not be translated and keep their original text: {3}', displayName(output), r.failures.length, job.total, r.failedCueIds.slice(0, 10).join(', ') + (r.failedCueIds.length > 10 ? ', …' : '')), open, show).then((pick) => {
          if (pick === open) void vscode.window.showTextDocument(output);
          else if (pick === show) svc.log.show(true);
        });
      } else {
        void vscode.window.showInformationMessage(vscode.l10n.t('Wrote {0} ({1} cues).', displayName(output), job.total), open).then((pick) => {
          if (pick === open) void vscode.window.showTextDocument(output);
        });
      }
      return { status: 'done', uri: output.toString(), requests: r.requests, done: job.total - r.failures.length, total: job.total, failedCues: r.failedCueIds, jobKey: spec.key };
    },
    cannotStart: (e) => Promise.resolve(readFailure(svc, e, spec.name, spec.uri)),
  };
  return runResumableJob(svc, kind, state);
}
