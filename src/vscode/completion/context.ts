// The editor's side of cross-file completion context (the logic is core/fim/crossfile.ts): symbols
// resolved through VS Code's definition provider (the declaration's full range, LocationLink
// targetRange) and, where a provider gives only the name's position, its hover provider (the
// signature); the ranges of other files the user recently edited or viewed, fed from the editor's
// events; and what the core needs to know about the document a completion is for.
import * as vscode from 'vscode';
import { RecentRangeTracker, type ContextQuery, type DefinitionResolver, type DefinitionSite, type RecentRange, type RecentRanges, type SymbolRef } from '../../core/fim';
import { completionLanguageEnabled } from '../config';

/** Where context may come from: files, unsaved files, a remote machine's files, virtual workspaces. */
const SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-vfs']);
/** Characters of the document's start read for its imports. */
const HEAD_CHARS = 10_000;
/** Files larger than this are not read for a definition's text. */
const MAX_FILE_BYTES = 2_000_000;
/** Definitions taken per symbol from the provider. */
const MAX_SITES = 4;

const isEligible = (doc: vscode.TextDocument): boolean => SCHEMES.has(doc.uri.scheme) && completionLanguageEnabled(doc.languageId);

/** The path a model sees for `uri`: workspace-relative when it is in the workspace. */
export function displayPath(uri: vscode.Uri): string {
  return uri.scheme === 'untitled' ? uri.path : vscode.workspace.asRelativePath(uri, false);
}

/** What the core needs about the document at the completion's windows. */
export function contextQuery(doc: vscode.TextDocument, prefixStart: number, suffixEnd: number): Omit<ContextQuery, 'prefix' | 'suffix' | 'language'> {
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  const headEnd = Math.min(HEAD_CHARS, prefixStart);
  return {
    uri: doc.uri.toString(),
    version: doc.version,
    path: displayPath(doc.uri),
    repo: folder?.name ?? vscode.workspace.name ?? 'workspace',
    head: headEnd > 0 ? doc.getText(new vscode.Range(doc.positionAt(0), doc.positionAt(headEnd))) : '',
    prefixStart,
    windowLines: [doc.positionAt(prefixStart).line, doc.positionAt(suffixEnd).line],
  };
}

/** The code blocks of a hover (where language servers put signatures), else its plain text. */
function hoverText(hovers: readonly vscode.Hover[]): string {
  const parts: string[] = [];
  for (const h of hovers) {
    for (const c of h.contents) {
      const v = typeof c === 'string' ? c : 'value' in c ? c.value : '';
      const blocks = [...v.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!.trimEnd());
      parts.push(...(blocks.length ? blocks : []));
    }
  }
  return parts.join('\n');
}

/** Definitions through `vscode.executeDefinitionProvider`, hovers through `vscode.executeHoverProvider`. */
export class VsCodeDefinitionResolver implements DefinitionResolver {
  async definitions(doc: { uri: string; version: number }, sym: SymbolRef): Promise<DefinitionSite[]> {
    const uri = vscode.Uri.parse(doc.uri);
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === doc.uri);
    // The document moved on since the request: its offsets no longer mean the same thing (a
    // rejection is not cached; the next request asks again).
    if (!document || document.version !== doc.version) throw new Error('the document changed before its definitions were asked for');
    const position = document.positionAt(sym.offset);
    const found = await vscode.commands.executeCommand<Array<vscode.Location | vscode.LocationLink> | undefined>('vscode.executeDefinitionProvider', uri, position) ?? [];
    const sites: DefinitionSite[] = [];
    for (const f of found.slice(0, MAX_SITES)) {
      const link = 'targetUri' in f;
      const target = link ? f.targetUri : f.uri;
      const range = link ? f.targetRange : f.range;
      const external = !vscode.workspace.getWorkspaceFolder(target) && target.scheme !== 'untitled';
      const site = { uri: target.toString(), path: displayPath(target), startLine: range.start.line, endLine: range.end.line, external };
      if (external) { sites.push({ ...site, text: '' }); continue; }
      let text: string | undefined;
      if (!link && range.start.line === range.end.line) {
        // A bare Location is the name's position: the hover has the signature.
        const hovers = await vscode.commands.executeCommand<vscode.Hover[] | undefined>('vscode.executeHoverProvider', uri, position) ?? [];
        text = hoverText(hovers) || undefined;
      }
      text ??= await readLines(target, range.start.line, range.end.line);
      if (text !== undefined) sites.push({ ...site, text });
    }
    return sites;
  }
}

/** Lines [start, end] of a file: from its open document, else read from disk (UTF-8). */
async function readLines(uri: vscode.Uri, start: number, end: number): Promise<string | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return open.getText(new vscode.Range(start, 0, end, open.lineAt(Math.min(end, open.lineCount - 1)).text.length));
  try {
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.size > MAX_FILE_BYTES) return undefined;
    const text = new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
    return text.split(/\r?\n/).slice(start, end + 1).join('\n');
  } catch {
    return undefined;
  }
}

/** True while `uri` is open in an editor tab (a closed file's ranges are not offered). */
function inTab(uri: string): boolean {
  for (const g of vscode.window.tabGroups.all) {
    for (const t of g.tabs) {
      const input = t.input;
      if (input instanceof vscode.TabInputText && input.uri.toString() === uri) return true;
      if (input instanceof vscode.TabInputTextDiff && input.modified.toString() === uri) return true;
    }
  }
  return false;
}

/** The recently edited and viewed ranges, from the editor's events: edits in visible editors (not
 * those other extensions make in the background), cursor moves in the active editor. */
export class VsCodeRecentRanges implements RecentRanges, vscode.Disposable {
  readonly tracker = new RecentRangeTracker();
  private readonly subs: vscode.Disposable[];

  constructor() {
    this.subs = [
      vscode.workspace.onDidChangeTextDocument((e) => {
        const doc = e.document;
        if (!e.contentChanges.length || !isEligible(doc) || !vscode.window.visibleTextEditors.some((ed) => ed.document === doc)) return;
        this.tracker.note('edited', doc.uri.toString(), displayPath(doc.uri), e.contentChanges[0]!.range.start.line, doc.lineCount);
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        const doc = e.textEditor.document;
        if (e.textEditor !== vscode.window.activeTextEditor || !isEligible(doc)) return;
        this.tracker.note('visited', doc.uri.toString(), displayPath(doc.uri), e.selections[0]!.active.line, doc.lineCount);
      }),
      vscode.window.onDidChangeActiveTextEditor((ed) => {
        if (!ed || !isEligible(ed.document)) return;
        this.tracker.note('visited', ed.document.uri.toString(), displayPath(ed.document.uri), ed.selection.active.line, ed.document.lineCount);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.tracker.forget(d.uri.toString())),
    ];
  }

  recent(excludeUri: string): RecentRange[] {
    return this.tracker.ranges(excludeUri, (uri, start, end) => {
      if (!inTab(uri)) return undefined;
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
      if (!doc) return undefined;
      const last = Math.min(end, doc.lineCount - 1);
      return doc.getText(new vscode.Range(Math.min(start, last), 0, last, doc.lineAt(last).text.length));
    });
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.tracker.clear();
  }
}
