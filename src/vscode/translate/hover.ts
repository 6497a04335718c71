// Hover translation: the comment block, string or prose paragraph under the mouse, translated by
// the local model into the hover. VS Code calls hover providers after `editor.hover.delay / 2` and
// cancels their token when the mouse moves on; on top of that this provider waits
// `translation.hover.delayMs` (checking the token) before it asks, so sweeping the mouse across code
// sends nothing. Code outside comments and strings is never sent. A translation already made (same
// text, model, target, glossary) comes from the cache at once; a hover closed while its request runs
// aborts the request (the connection closes, so the server stops generating).
import * as vscode from 'vscode';
import { isCancel } from '../../core/common/cancel';
import { alreadyInTarget, blockAt, isDirective, isProseString, pieceCacheKey, translatePiece } from '../../core/translate';
import { abortOn } from '../cancel';
import { hoverSettings, translationSettings } from '../config';
import { PREVIEW_SCHEME } from './preview';
import type { TranslationService } from './service';
import { blocksOf, paragraphAt, PROSE_LANGUAGES } from './syntax';

/** Longer texts are not translated in a hover (a selection or the document commands are for that). */
const MAX_HOVER_CHARS = 4000;
const SKIP_SCHEMES = new Set([PREVIEW_SCHEME, 'output', 'debug', 'vscode-chat-code-block']);

/** What the hover did, for tests and the log. */
export interface HoverStats {
  /** Hovers over a translatable unit. */
  hovers: number;
  /** Model requests made. */
  requests: number;
  /** Answered from the cache. */
  cacheHits: number;
  /** Closed (or moved away) before the delay ended: nothing was sent. */
  cancelledBeforeRequest: number;
  /** Closed while the request ran: the request was aborted. */
  cancelledInFlight: number;
}

interface Unit { text: string; range: vscode.Range }

export class HoverTranslator implements vscode.HoverProvider {
  readonly stats: HoverStats = { hovers: 0, requests: 0, cacheHits: 0, cancelledBeforeRequest: 0, cancelledInFlight: 0 };
  private readonly changed = new vscode.EventEmitter<HoverStats>();
  /** Fires after every hover that found something to translate (tests wait on it). */
  readonly onDidHover = this.changed.event;
  /** Hovers waiting out their delay now (nothing sent yet). */
  pending = 0;
  /** Set by the keyboard command: the next hover at this place is asked for, no delay. */
  private armed: { uri: string; line: number } | undefined;

  constructor(private readonly svc: TranslationService) {}

  /** The keyboard trigger: translate what is at the cursor now. */
  async showAtCursor(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return;
    this.armed = { uri: editor.document.uri.toString(), line: editor.selection.active.line };
    await vscode.commands.executeCommand('editor.action.showHover');
  }

  async provideHover(doc: vscode.TextDocument, pos: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    const armed = this.armed && this.armed.uri === doc.uri.toString() && this.armed.line === pos.line;
    if (armed) this.armed = undefined;
    const hs = hoverSettings();
    if (!armed && hs.trigger !== 'auto') return undefined;
    if (SKIP_SCHEMES.has(doc.uri.scheme)) return undefined;
    const unit = await this.unitAt(doc, pos, hs.strings);
    const t = translationSettings();
    if (!unit || !t.model || token.isCancellationRequested || alreadyInTarget(unit.text, t.target)) return undefined;
    const glossary = await this.svc.glossary(doc.uri);
    const o = { target: t.target, glossary, model: t.model, format: 'plaintext' as const };
    this.stats.hovers++;
    try {
      await this.svc.memoryReady();
      const hit = this.svc.cache.get(pieceCacheKey(unit.text, o));
      if (hit !== undefined) {
        this.stats.cacheHits++;
        return this.hover(hit, unit, t.target);
      }
      if (!armed && hs.delayMs > 0) {
        this.pending++;
        const still = await rest(hs.delayMs, token).finally(() => { this.pending--; });
        if (!still) {
          this.stats.cancelledBeforeRequest++;
          return undefined;
        }
      }
      const abort = abortOn([token]);
      try {
        const r = await translatePiece(unit.text, this.svc.translateFn(t.model, undefined, 'interactive'), { ...o, cache: this.svc.cache, signal: abort.signal });
        this.stats.requests += r.requests;
        if (r.cached) this.stats.cacheHits++;
        if (token.isCancellationRequested) return undefined;
        return this.hover(r.text, unit, t.target);
      } catch (e) {
        if (isCancel(e) || token.isCancellationRequested) {
          this.stats.cancelledInFlight++;
          return undefined;
        }
        this.svc.log.warn(`hover translation failed: ${e instanceof Error ? e.message : String(e)}`);
        const md = new vscode.MarkdownString();
        md.appendText(vscode.l10n.t('Translation failed: {0}', e instanceof Error ? e.message : String(e)));
        return new vscode.Hover(md, unit.range);
      } finally {
        abort.dispose();
      }
    } finally {
      this.changed.fire(this.stats);
    }
  }

  /** The comment block, prose string or paragraph at `pos`, if any. */
  private async unitAt(doc: vscode.TextDocument, pos: vscode.Position, strings: boolean): Promise<Unit | undefined> {
    // A selection under the mouse wins: what the user marked is what they want to read.
    const sel = vscode.window.activeTextEditor?.document === doc ? vscode.window.activeTextEditor.selection : undefined;
    if (sel && !sel.isEmpty && sel.contains(pos)) {
      const text = doc.getText(sel);
      return text.trim() && text.length <= MAX_HOVER_CHARS ? { text: text.trim(), range: sel } : undefined;
    }
    if (PROSE_LANGUAGES.has(doc.languageId)) {
      const range = paragraphAt(doc, pos.line);
      if (!range) return undefined;
      const text = doc.getText(range).trim();
      return text && /\p{L}/u.test(text) && text.length <= MAX_HOVER_CHARS ? { text, range } : undefined;
    }
    const blocks = await blocksOf(doc);
    const b = blocks && blockAt(blocks, doc.offsetAt(pos));
    if (!b || b.text.length > MAX_HOVER_CHARS || isDirective(b)) return undefined;
    if (b.kind === 'string' && (!strings || !isProseString(b.text))) return undefined;
    return { text: b.text, range: new vscode.Range(doc.positionAt(b.start), doc.positionAt(b.end)) };
  }

  private hover(text: string, unit: Unit, target: string): vscode.Hover {
    const md = new vscode.MarkdownString();
    // Model output is untrusted: appended as text (escaped), never as markdown or HTML.
    md.appendMarkdown('$(globe) ');
    md.supportThemeIcons = true;
    md.appendText(vscode.l10n.t('Translation ({0})', target));
    md.appendMarkdown('\n\n');
    md.appendText(text);
    return new vscode.Hover(md, unit.range);
  }

  dispose(): void { this.changed.dispose(); }
}

/** Waits `ms` unless the token is cancelled first; true when the wait ran out (still wanted). */
function rest(ms: number, token: vscode.CancellationToken): Promise<boolean> {
  if (token.isCancellationRequested) return Promise.resolve(false);
  return new Promise((resolve) => {
    const t = setTimeout(() => { sub.dispose(); resolve(true); }, ms);
    const sub = token.onCancellationRequested(() => { clearTimeout(t); sub.dispose(); resolve(false); });
  });
}
