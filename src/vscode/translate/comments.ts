// Translate Comments in File/Selection: every comment block of the file (or of the selection) that
// is not a tool directive and not already in the target language is translated (one request per
// block, from the cache when the same text was translated before, `translation.parallelRequests`
// at once, under one cancellable progress notification). Then, per `translation.commentsMode`,
// the translations are shown as decorations after each block (the file is untouched; they go
// when the file is edited or with Clear Comment Translations) or written over the comments' text
// in ONE edit, so one Undo restores every comment. Markers, indentation and `*` decoration stay
// (core rebuildBlock). Nothing is written when the file changed while the model worked.
import * as vscode from 'vscode';
import { alreadyInTarget, isDirective, rebuildBlock, runQueue, translatePiece, type TextBlock } from '../../core/translate';
import { translationSettings } from '../config';
import { displayName, type TranslationOutcome, type TranslationService } from './service';
import { blocksOf } from './syntax';

/** Comment blocks longer than this are left out (a document command is for such texts). */
const MAX_BLOCK_CHARS = 8000;

export interface CommentsOutcome extends TranslationOutcome {
  /** Each translated block: its first and last line (0-based) and the translation. */
  items?: Array<{ line: number; endLine: number; text: string }>;
  commentsMode?: 'decorations' | 'replace';
}

/** The decorations shown per document, until it is edited or cleared. */
export class CommentDecorations implements vscode.Disposable {
  private readonly type = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic', margin: '0 0 0 2em' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly byDoc = new Map<string, vscode.DecorationOptions[]>();
  private readonly subs: vscode.Disposable[];

  constructor() {
    this.subs = [
      vscode.window.onDidChangeVisibleTextEditors((eds) => { for (const e of eds) this.apply(e); }),
      // An edit moves the text under the decorations: they would sit on the wrong lines.
      vscode.workspace.onDidChangeTextDocument((e) => { if (e.contentChanges.length && this.byDoc.has(e.document.uri.toString())) this.clear(e.document.uri); }),
      vscode.workspace.onDidCloseTextDocument((d) => this.byDoc.delete(d.uri.toString())),
    ];
  }

  set(uri: vscode.Uri, options: vscode.DecorationOptions[]): void {
    this.byDoc.set(uri.toString(), options);
    for (const e of vscode.window.visibleTextEditors) if (e.document.uri.toString() === uri.toString()) this.apply(e);
  }

  /** Number of decorations shown for `uri`. */
  count(uri: vscode.Uri): number { return this.byDoc.get(uri.toString())?.length ?? 0; }

  clear(uri: vscode.Uri): void {
    this.byDoc.delete(uri.toString());
    for (const e of vscode.window.visibleTextEditors) if (e.document.uri.toString() === uri.toString()) e.setDecorations(this.type, []);
  }

  private apply(e: vscode.TextEditor): void {
    const o = this.byDoc.get(e.document.uri.toString());
    if (o) e.setDecorations(this.type, o);
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.type.dispose();
    this.byDoc.clear();
  }
}

/** One line of the translation, as a decoration's text (model output: shown as plain text). */
function oneLine(text: string): string {
  const t = text.replace(/\s*\n\s*/g, ' ').trim();
  return t.length > 400 ? `${t.slice(0, 399)}…` : t;
}

async function pickMode(): Promise<'decorations' | 'replace' | undefined> {
  const items = [
    { label: vscode.l10n.t('Show translations after the comments'), mode: 'decorations' as const },
    { label: vscode.l10n.t('Replace the comments with their translations'), mode: 'replace' as const },
  ];
  return (await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('What should happen with the translated comments?') }))?.mode;
}

export async function translateCommentsCommand(svc: TranslationService, decorations: CommentDecorations, arg?: { mode?: 'decorations' | 'replace' }): Promise<CommentsOutcome> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Open a file to translate its comments.'));
    return { status: 'nothing' };
  }
  const doc = editor.document;
  const all = await blocksOf(doc);
  if (!all) {
    void vscode.window.showInformationMessage(vscode.l10n.t('The comments of {0} files are not known to the translator.', doc.languageId));
    return { status: 'unsupported', reason: 'unsupported' };
  }
  const s = translationSettings();
  const sel = editor.selection;
  const [from, to] = sel.isEmpty ? [0, Infinity] : [doc.offsetAt(sel.start), doc.offsetAt(sel.end)];
  const blocks = all.filter((b) => b.kind === 'comment' && b.end > from && b.start < to && !isDirective(b) && b.text.trim() && /\p{L}/u.test(b.text)
    && b.text.length <= MAX_BLOCK_CHARS && !alreadyInTarget(b.text, s.target));
  if (blocks.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No comments to translate in {0}.', displayName(doc.uri)));
    return { status: 'nothing', total: 0, message: `${all.length} comments and strings, none to translate` };
  }
  const mode = arg?.mode ?? (s.commentsMode === 'ask' ? await pickMode() : s.commentsMode);
  if (!mode) return { status: 'cancelled', reason: 'cancelled' };
  if (!svc.requireModel(s.model)) return { status: 'failed', reason: 'error' };
  await svc.memoryReady();
  const glossary = await svc.glossary(doc.uri);
  const version = doc.version;
  const translate = svc.translateFn(s.model, undefined, 'batch');
  const out = new Map<TextBlock, string>();
  let requests = 0;
  try {
    await svc.withProgress(vscode.l10n.t('Translating the comments of {0} into {1}', displayName(doc.uri), s.target), async (report, signal) => {
      report(0, blocks.length, vscode.l10n.t('{0} of {1} comments', 0, blocks.length));
      await runQueue(blocks, { concurrency: s.parallelRequests, signal }, async (b, ctx) => {
        const r = await translatePiece(b.text, translate, { target: s.target, glossary, model: s.model, cache: svc.cache, format: 'plaintext', signal: ctx.signal });
        if (!ctx.live()) return;
        requests += r.requests;
        out.set(b, r.text);
        report(out.size, blocks.length, vscode.l10n.t('{0} of {1} comments', out.size, blocks.length));
      });
    });
  } catch (e) {
    const reason = await svc.reportFailure(e, { model: s.model, subject: displayName(doc.uri) });
    return { status: reason === 'cancelled' ? 'cancelled' : 'failed', reason, requests, done: out.size, total: blocks.length };
  }
  void svc.reportSuccess();
  const items = blocks.map((b) => ({ line: doc.positionAt(b.start).line, endLine: doc.positionAt(b.end).line, text: out.get(b)! }));
  if (doc.version !== version) {
    void vscode.window.showWarningMessage(vscode.l10n.t('{0} changed while its comments were translated; nothing was written. Run the command again.', displayName(doc.uri)));
    return { status: 'failed', reason: 'error', requests, done: 0, total: blocks.length };
  }
  if (mode === 'decorations') {
    decorations.set(doc.uri, blocks.map((b) => {
      const end = doc.positionAt(b.end);
      const line = doc.lineAt(end.line);
      const hover = new vscode.MarkdownString();
      hover.appendText(out.get(b)!);
      return { range: new vscode.Range(end.line, line.text.length, end.line, line.text.length), hoverMessage: hover, renderOptions: { after: { contentText: `⟶ ${oneLine(out.get(b)!)}` } } };
    }));
    svc.log.info(`comments of ${doc.uri.toString()}: ${blocks.length} translated into ${s.target} (${requests} requests), shown as decorations`);
    return { status: 'done', commentsMode: 'decorations', requests, done: blocks.length, total: blocks.length, items };
  }
  const eol = doc.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
  const edits = blocks.map((b) => rebuildBlock(b, out.get(b)!.split(/\r\n|\n|\r/), eol));
  const ok = await editor.edit((e) => {
    for (const x of edits) e.replace(new vscode.Range(doc.positionAt(x.start), doc.positionAt(x.end)), x.text);
  }, { undoStopBefore: true, undoStopAfter: true });
  if (!ok) {
    void vscode.window.showWarningMessage(vscode.l10n.t('{0} changed while its comments were translated; nothing was written. Run the command again.', displayName(doc.uri)));
    return { status: 'failed', reason: 'error', requests, done: 0, total: blocks.length };
  }
  decorations.clear(doc.uri);
  svc.log.info(`comments of ${doc.uri.toString()}: ${blocks.length} replaced by their ${s.target} translation (${requests} requests)`);
  return { status: 'done', commentsMode: 'replace', requests, done: blocks.length, total: blocks.length, items };
}
