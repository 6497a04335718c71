// The one runner of resumable translation jobs (documents, subtitle files): one run per job at a
// time; saved progress that no longer fits (another version of the source or other settings) is
// discarded and the job starts over; a cancellable progress notification; on success the kind
// delivers the result; on a cancel or a failure the finished part is saved for Resume (and shown,
// for documents) and the user is told why, with Resume offered. What differs per kind — how a job
// is made, what its progress counts, how its result is delivered — comes in a JobKind.
import * as vscode from 'vscode';
import { isCancel } from '../../core/common/cancel';
import { JobStateMismatchError, type TranslateFn } from '../../core/translate';
import { translationSettings } from '../config';
import { COMMAND } from '../ids';
import type { TranslationOutcome, TranslationService } from './service';
import type { DocumentSpec, SavedJob, SubtitleSpec } from './store';

/** A core job (DocumentJob, SubtitleJob) as the runner sees it. */
export interface ResumableJob<State, Progress, Result> {
  readonly total: number;
  readonly state: State;
  run(translate: TranslateFn, o: { concurrency?: number; signal?: AbortSignal; onProgress?: (p: Progress) => void }): Promise<Result>;
}

export interface JobKind<J extends ResumableJob<S, P, R>, S, P extends { done: number; total: number }, R> {
  spec: DocumentSpec | SubtitleSpec;
  /** The job as saved for Resume, with `done` units finished. */
  saved(job: J, done: number): SavedJob;
  /** A job from the source, continuing `state` when given. Throws JobStateMismatchError when the
   * state belongs to another version of the source or other settings. */
  create(state?: S): J;
  /** Units finished so far (what a saved job says it has done). */
  settled(job: J): number;
  /** "3 of 10 chunks". */
  progress(done: number, total: number): string;
  /** An outcome instead of a run, when there is nothing to do. */
  nothingToDo?(job: J): TranslationOutcome | undefined;
  /** Delivers the result (and forgets the saved job); the outcome of a successful run. */
  deliver(job: J, result: R, ms: number): Promise<TranslationOutcome>;
  /** After a failure with finished units: shows what there is; adds to the outcome. */
  partial?(job: J): Promise<Partial<TranslationOutcome>>;
  /** The job could not be made for another reason than stale progress. */
  cannotStart(e: unknown): Promise<TranslationOutcome>;
}

export async function runResumableJob<J extends ResumableJob<S, P, R>, S, P extends { done: number; total: number }, R>(
  svc: TranslationService, kind: JobKind<J, S, P, R>, state?: S,
): Promise<TranslationOutcome> {
  const { spec } = kind;
  if (svc.running.has(spec.key)) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} is already being translated.', spec.name));
    return { status: 'nothing', jobKey: spec.key };
  }
  let job: J;
  try {
    job = kind.create(state);
  } catch (e) {
    if (!(e instanceof JobStateMismatchError)) return kind.cannotStart(e);
    await svc.jobs.delete(spec.key);
    svc.log.warn(`${spec.name}: ${e.message}`);
    job = kind.create();
  }
  const nothing = kind.nothingToDo?.(job);
  if (nothing) return nothing;
  const { parallelRequests } = translationSettings();
  await svc.memoryReady();
  const translate = svc.translateFn(spec.model);
  const t0 = Date.now();
  svc.running.add(spec.key);
  try {
    const r = await svc.withProgress(vscode.l10n.t('Translating {0} into {1}', spec.name, spec.target), (report, signal) => {
      const done0 = kind.settled(job);
      report(done0, job.total, kind.progress(done0, job.total));
      return job.run(translate, { concurrency: parallelRequests, signal, onProgress: (p) => report(p.done, p.total, kind.progress(p.done, p.total)) });
    });
    return await kind.deliver(job, r, Date.now() - t0);
  } catch (e) {
    const done = kind.settled(job);
    let shown: Partial<TranslationOutcome> = {};
    if (done > 0) {
      await svc.jobs.save(kind.saved(job, done));
      shown = (await kind.partial?.(job)) ?? {};
    }
    const reason = await svc.reportFailure(e, {
      model: spec.model, subject: spec.name,
      ...(done > 0 ? { interrupted: { subject: spec.name, progress: kind.progress(done, job.total), resume: () => vscode.commands.executeCommand(COMMAND.translateResume, spec.key) } } : {}),
    });
    return { status: done > 0 ? 'partial' : isCancel(e) ? 'cancelled' : 'failed', reason, done, total: job.total, jobKey: spec.key, ...shown };
  } finally {
    svc.running.delete(spec.key);
  }
}

/** Saved progress that cannot be resumed: the source is gone (said, and forgotten) or changed
 * (said, with Translate Again). */
export async function discardSaved(svc: TranslationService, saved: SavedJob, why: 'gone' | 'changed', again: () => unknown): Promise<TranslationOutcome> {
  await svc.jobs.delete(saved.key);
  if (why === 'gone') {
    void vscode.window.showErrorMessage(vscode.l10n.t('{0} is no longer there; its saved translation progress was discarded.', saved.name));
  } else {
    const label = vscode.l10n.t('Translate Again');
    void vscode.window.showWarningMessage(vscode.l10n.t('{0} changed after its translation stopped, so the saved progress no longer fits it.', saved.name), label).then((pick) => {
      if (pick === label) void again();
    });
  }
  return { status: 'nothing' };
}
