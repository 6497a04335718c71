// Registers the translation feature: Translate Selection, Translate Document, Translate Subtitle
// File and Resume Translation, the read-only preview documents, and the cache they share.
import * as vscode from 'vscode';
import type { ExtensionContextOwner } from '../context';
import type { ConnectionMonitor } from '../status';
import { resumeDocument, translateDocumentCommand } from './document';
import { PREVIEW_SCHEME } from './preview';
import { translateSelection, type SelectionArgs } from './selection';
import { displayName, TranslationService, type TranslationOutcome } from './service';
import type { SavedJob } from './store';
import { resumeSubtitles, translateSubtitlesCommand } from './subtitles';
import { COMMAND } from '../ids';
import { CommentDecorations, translateCommentsCommand } from './comments';
import { interruptedFolders, translateFolderCommand } from './folder';
import { HoverTranslator } from './hover';
import { chooseModelFor } from '../modelPick';

export type { TranslationOutcome } from './service';

/** Explorer menus pass (clicked, selected[]); palette and keybindings pass nothing. */
function targets(uri: unknown, uris: unknown): Array<vscode.Uri | undefined> {
  if (Array.isArray(uris) && uris.length > 0 && uris.every((u) => u instanceof vscode.Uri)) return uris as vscode.Uri[];
  return [uri instanceof vscode.Uri ? uri : undefined];
}

/** Runs a command for each selected file, one after another; returns the last outcome. */
async function each(list: Array<vscode.Uri | undefined>, run: (u: vscode.Uri | undefined) => Promise<TranslationOutcome>): Promise<TranslationOutcome> {
  let last: TranslationOutcome = { status: 'nothing' };
  for (const u of list) {
    last = await run(u);
    if (last.status === 'cancelled') break;
  }
  return last;
}

async function pickJob(svc: TranslationService, arg: unknown): Promise<SavedJob | undefined> {
  if (typeof arg === 'string') return svc.jobs.get(arg);
  const uri = arg instanceof vscode.Uri ? arg : undefined;
  let jobs = uri ? svc.jobs.forUri(uri.toString()) : svc.jobs.all();
  if (!uri && jobs.length > 1) {
    // From the palette with the source open: that document's job first.
    const active = vscode.window.activeTextEditor?.document.uri.toString();
    const mine = jobs.filter((j) => j.uri === active);
    if (mine.length === 1) jobs = mine;
  }
  if (jobs.length <= 1) return jobs[0];
  const items = jobs.map((j) => ({
    label: j.name,
    description: `${j.kind === 'document' ? vscode.l10n.t('{0} of {1} chunks', j.done, j.total) : vscode.l10n.t('{0} of {1} cues', j.done, j.total)} · ${j.target}`,
    detail: vscode.Uri.parse(j.uri).scheme === 'file' ? vscode.workspace.asRelativePath(vscode.Uri.parse(j.uri)) : j.uri,
    job: j,
  }));
  return (await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Which translation should continue?') }))?.job;
}

async function resume(svc: TranslationService, arg: unknown): Promise<TranslationOutcome> {
  // A folder run that stopped is resumed by running it again (its state is kept per folder).
  const folders = interruptedFolders(svc);
  if (arg === undefined && svc.jobs.all().length === 0 && folders.length > 0) {
    const items = folders.map((f) => ({ label: displayName(f.folder), description: `${vscode.l10n.t('{0} of {1} files', f.done, f.total)} · ${f.target}`, folder: f.folder }));
    const pick = items.length === 1 ? items[0] : await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Which translation should continue?') });
    return pick ? translateFolderCommand(svc, pick.folder) : { status: 'nothing' };
  }
  const job = await pickJob(svc, arg);
  if (!job) {
    if (svc.jobs.all().length === 0) void vscode.window.showInformationMessage(vscode.l10n.t('There is no interrupted translation to resume.'));
    return { status: 'nothing' };
  }
  return job.kind === 'document' ? resumeDocument(svc, job) : resumeSubtitles(svc, job);
}

/** The parts of the translation feature other code (the test API) may look at. */
export interface TranslationFeature {
  readonly hover: HoverTranslator;
  readonly decorations: CommentDecorations;
  readonly service: TranslationService;
}

export function registerTranslation(ctx: ExtensionContextOwner, monitor: ConnectionMonitor): TranslationFeature {
  const svc = ctx.own(new TranslationService(ctx, monitor));
  ctx.own(vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, svc.previews));
  ctx.own(vscode.commands.registerCommand(COMMAND.translateSelection, (arg?: unknown) =>
    translateSelection(svc, arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) ? (arg as SelectionArgs) : undefined)));
  ctx.own(vscode.commands.registerCommand(COMMAND.translateDocument, (uri?: unknown, uris?: unknown) =>
    each(targets(uri, uris), (u) => translateDocumentCommand(svc, u))));
  ctx.own(vscode.commands.registerCommand(COMMAND.translateSubtitles, (uri?: unknown, uris?: unknown) =>
    each(targets(uri, uris), (u) => translateSubtitlesCommand(svc, u))));
  ctx.own(vscode.commands.registerCommand(COMMAND.translateResume, (arg?: unknown) => resume(svc, arg)));

  // Hover translation: one provider for every language (it finds nothing to do outside comments,
  // strings and prose paragraphs, and does nothing before its delay when the mouse moves on).
  const hover = ctx.own(new HoverTranslator(svc));
  ctx.own(vscode.languages.registerHoverProvider('*', hover));
  ctx.own(vscode.commands.registerCommand(COMMAND.translateHover, () => hover.showAtCursor()));

  const decorations = ctx.own(new CommentDecorations());
  ctx.own(vscode.commands.registerCommand(COMMAND.translateComments, (arg?: unknown) =>
    translateCommentsCommand(svc, decorations, arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) ? (arg as { mode?: 'decorations' | 'replace' }) : undefined)));
  ctx.own(vscode.commands.registerCommand(COMMAND.translateClearComments, () => {
    const uri = vscode.window.activeTextEditor?.document.uri;
    if (uri) decorations.clear(uri);
  }));
  ctx.own(vscode.commands.registerCommand(COMMAND.translateFolder, (uri?: unknown) => translateFolderCommand(svc, uri instanceof vscode.Uri ? uri : undefined)));
  ctx.own(vscode.commands.registerCommand(COMMAND.translateChooseModel, () => chooseModelFor(ctx, 'translation')));
  ctx.own(vscode.commands.registerCommand(COMMAND.translateClearMemory, async () => {
    await svc.clearMemory();
    void vscode.window.showInformationMessage(vscode.l10n.t('The translation memory is empty.'));
  }));
  return { hover, decorations, service: svc };
}
