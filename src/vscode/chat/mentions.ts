// Mentions (`@` in the chat's composer): a picker in the editor's own UI (a quick pick, matched
// fuzzily as Ctrl+P does) offering the workspace search, the selection, problems, the git
// working-tree diff, open editors, files, folders and symbols (the workspace symbol providers,
// asked as the user types). What is picked becomes an attachment (a chip with its size in tokens);
// `@workspace` stays in the text and makes the send search the workspace. The user picks in the
// editor's UI, so a webview cannot put a file into a message on its own.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContextAttachment } from '../../core/chat/conversation';
import { folderSummary, formatProblems, type Problem, type Severity } from '../../core/context/mention';
import { listWorkspaceFiles, workspacePath } from '../context/workspaceSearch';
import { MAX_ATTACHMENT_CHARS } from './attachments';
import { backgroundText } from '../textFile';

export type MentionKind = 'workspace' | 'selection' | 'problems' | 'workspaceProblems' | 'diff' | 'editor' | 'file' | 'folder' | 'symbol';

export interface MentionItem extends vscode.QuickPickItem {
  mention: MentionKind;
  uri?: vscode.Uri;
  symbol?: vscode.SymbolInformation;
}

/** Lines of a symbol's code at most (a class can be long). */
const MAX_SYMBOL_LINES = 400;
/** Symbols offered per query. */
const MAX_SYMBOLS = 50;
/** The git diff in characters at most. */
const MAX_DIFF_CHARS = 60_000;

const cut = (text: string): { text: string; truncated?: true } => (text.length > MAX_ATTACHMENT_CHARS ? { text: text.slice(0, MAX_ATTACHMENT_CHARS), truncated: true } : { text });

function severityOf(s: vscode.DiagnosticSeverity): Severity {
  switch (s) {
    case vscode.DiagnosticSeverity.Error: return 'error';
    case vscode.DiagnosticSeverity.Warning: return 'warning';
    case vscode.DiagnosticSeverity.Information: return 'information';
    default: return 'hint';
  }
}

function problemsOf(uri: vscode.Uri, list: readonly vscode.Diagnostic[]): Problem[] {
  const p = workspacePath(uri);
  return list.map((d) => ({
    path: p, line: d.range.start.line + 1, column: d.range.start.character + 1, severity: severityOf(d.severity), message: d.message,
    ...(d.source ? { source: d.source } : {}),
    ...(d.code !== undefined ? { code: String(typeof d.code === 'object' ? d.code.value : d.code) } : {}),
  }));
}

/** The built-in git extension's API (vscode.git, API version 1), the few members used. */
interface GitChange { uri: vscode.Uri; status: number }
interface GitRepository {
  rootUri: vscode.Uri;
  state: { workingTreeChanges: GitChange[]; indexChanges: GitChange[]; untrackedChanges?: GitChange[] };
  diffWithHEAD(path: string): Promise<string>;
  diffIndexWithHEAD(path: string): Promise<string>;
  status?(): Promise<void>;
}
interface GitApi { repositories: GitRepository[] }
/** Status.UNTRACKED in the git extension's API (extensions/git/src/api/git.d.ts). */
const GIT_UNTRACKED = 7;

async function gitApi(): Promise<GitApi | undefined> {
  const ext = vscode.extensions.getExtension<{ getAPI(v: 1): GitApi }>('vscode.git');
  if (!ext) return undefined;
  try {
    const exports = ext.isActive ? ext.exports : await ext.activate();
    return exports.getAPI(1);
  } catch {
    // "Git model not found": git.enabled is off.
    return undefined;
  }
}

export class ChatMentions {
  /** The picker is showing. */
  pickerOpen = false;

  /** `listFiles`: the workspace's files (the workspace search's listing when it has one, so an
   * `@` on a large repository does not walk it again). */
  constructor(private readonly add: (a: ContextAttachment) => void, private readonly listFiles: (token?: vscode.CancellationToken) => Promise<vscode.Uri[]> = listWorkspaceFiles) {}

  /** The fixed entries, then open editors, then folders and files (symbols come as the user types). */
  /** The entries that need no listing (shown at once). */
  fixedItems(): MentionItem[] {
    return [
      { mention: 'workspace', label: '@workspace', description: vscode.l10n.t('Search the workspace for what the question is about') },
      { mention: 'selection', label: vscode.l10n.t('Selection'), description: vscode.l10n.t('The code selected in the editor') },
      { mention: 'problems', label: vscode.l10n.t('Problems in the current file') },
      { mention: 'workspaceProblems', label: vscode.l10n.t('Problems in the workspace') },
      { mention: 'diff', label: vscode.l10n.t('Git working-tree changes'), description: vscode.l10n.t('The diff against HEAD, untracked files included') },
    ];
  }

  async items(token?: vscode.CancellationToken): Promise<MentionItem[]> {
    const items = this.fixedItems();
    const seen = new Set<string>();
    for (const group of vscode.window.tabGroups.all) {
      for (const tab of group.tabs) {
        const uri = tab.input instanceof vscode.TabInputText ? tab.input.uri : undefined;
        if (!uri || seen.has(uri.toString())) continue;
        seen.add(uri.toString());
        items.push({ mention: 'editor', uri, label: `$(file) ${path.posix.basename(uri.path)}`, description: vscode.l10n.t('open editor · {0}', workspacePath(uri)) });
      }
    }
    const files = await this.listFiles(token).catch(() => []);
    const folders = new Set<string>();
    for (const f of files) {
      const folder = vscode.workspace.getWorkspaceFolder(f);
      let dir = path.posix.dirname(f.path);
      while (folder && dir.length > folder.uri.path.length && !folders.has(dir)) { folders.add(dir); dir = path.posix.dirname(dir); }
    }
    for (const d of [...folders].sort()) {
      const uri = files[0]!.with({ path: d });
      items.push({ mention: 'folder', uri, label: `$(folder) ${workspacePath(uri)}/` });
    }
    for (const f of files) {
      const rel = workspacePath(f);
      const name = path.posix.basename(f.path);
      // A file at the root: its path is its name, said once.
      items.push({ mention: 'file', uri: f, label: `$(file) ${name}`, ...(rel !== name ? { description: rel } : {}) });
    }
    return items;
  }

  /** Symbols matching `query` from every workspace symbol provider (best first, as they rank them). */
  async symbols(query: string): Promise<MentionItem[]> {
    if (!query.trim()) return [];
    const found = await vscode.commands.executeCommand<vscode.SymbolInformation[] | undefined>('vscode.executeWorkspaceSymbolProvider', query) ?? [];
    return found.slice(0, MAX_SYMBOLS).map((s) => ({
      mention: 'symbol' as const, symbol: s, label: `$(symbol-${vscode.SymbolKind[s.kind].toLowerCase()}) ${s.name}`,
      description: `${s.containerName ? s.containerName + ' · ' : ''}${workspacePath(s.location.uri)}:${s.location.range.start.line + 1}`,
      alwaysShow: true,
    }));
  }

  /** The picker. Resolves with what to put where the `@` was typed ('' when nothing is inserted). */
  async pick(): Promise<string> {
    const qp = vscode.window.createQuickPick<MentionItem>();
    qp.title = vscode.l10n.t('Add context to the chat');
    qp.placeholder = vscode.l10n.t('A file, folder, symbol, open editor, problems, git changes, or @workspace');
    qp.matchOnDescription = true;
    qp.busy = true;
    const cts = new vscode.CancellationTokenSource();
    let fixed: MentionItem[] = this.fixedItems();
    qp.items = fixed;
    let symbols: MentionItem[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let asked = 0;
    void this.items(cts.token).then((items) => { fixed = items; qp.items = [...symbols, ...fixed]; qp.busy = false; });
    qp.onDidChangeValue((v) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        const n = ++asked;
        void this.symbols(v).then((s) => { if (n === asked) { symbols = s; qp.items = [...symbols, ...fixed]; } }, () => undefined);
      }, 150);
    });
    qp.show();
    this.pickerOpen = true;
    qp.onDidHide(() => { this.pickerOpen = false; });
    const picked = await new Promise<MentionItem | undefined>((resolve) => {
      qp.onDidAccept(() => {
        // Enter with nothing selected (the list still loading) keeps the picker open.
        const item = qp.selectedItems[0] ?? qp.activeItems[0];
        if (!item) return;
        resolve(item);
        qp.hide();
      });
      qp.onDidHide(() => resolve(undefined));
    });
    if (timer) clearTimeout(timer);
    cts.cancel();
    cts.dispose();
    qp.dispose();
    if (!picked) return '@';
    return this.attach(picked);
  }

  /** Attaches what an item names; returns the text for the composer ('@workspace ' or ''). */
  async attach(item: MentionItem): Promise<string> {
    switch (item.mention) {
      case 'workspace': return '@workspace ';
      case 'selection': await this.attachSelection(); return '';
      case 'problems': {
        const uri = vscode.window.activeTextEditor?.document.uri;
        if (!uri) { void vscode.window.showWarningMessage(vscode.l10n.t('Open a file in an editor first.')); return ''; }
        this.attachProblems(uri);
        return '';
      }
      case 'workspaceProblems': this.attachProblems(undefined); return '';
      case 'diff': await this.attachDiff(); return '';
      case 'editor': case 'file': if (item.uri) await this.attachFile(item.uri); return '';
      case 'folder': if (item.uri) await this.attachFolder(item.uri); return '';
      case 'symbol': if (item.symbol) await this.attachSymbol(item.symbol); return '';
    }
  }

  async attachFile(uri: vscode.Uri): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(uri);
    this.add({ kind: 'file', path: workspacePath(uri), language: doc.languageId, uri: uri.toString(), ...cut(doc.getText()) });
  }

  async attachSelection(): Promise<void> {
    const ed = vscode.window.activeTextEditor;
    if (!ed || ed.selection.isEmpty) { void vscode.window.showWarningMessage(vscode.l10n.t('Select some code in an editor first.')); return; }
    const sel = ed.selection;
    const endLine = sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line - 1 : sel.end.line;
    this.add({ kind: 'selection', path: workspacePath(ed.document.uri), language: ed.document.languageId, startLine: sel.start.line + 1, endLine: endLine + 1, uri: ed.document.uri.toString(), ...cut(ed.document.getText(sel)) });
  }

  /** A folder: its files (the same rules as the workspace search) and the start of each. */
  async attachFolder(uri: vscode.Uri): Promise<void> {
    const prefix = uri.path.replace(/\/+$/, '') + '/';
    const files = (await listWorkspaceFiles()).filter((f) => f.path.startsWith(prefix));
    const entries = [];
    let budget = 0;
    for (const f of files.sort((a, b) => a.path.split('/').length - b.path.split('/').length || (a.path < b.path ? -1 : 1))) {
      const rel = f.path.slice(prefix.length);
      // Read only what the summary can show (it stops at 12,000 characters).
      if (budget < 12_000 && entries.length < 200) {
        try {
          const bytes = await vscode.workspace.fs.readFile(f);
          const text = bytes.length <= 512 * 1024 ? backgroundText(f, bytes) : undefined;
          if (text !== undefined) {
            entries.push({ path: rel, text });
            budget += Math.min(text.length, 2000);
            continue;
          }
        } catch { /* listed without text */ }
      }
      entries.push({ path: rel });
    }
    const s = folderSummary(entries);
    this.add({ kind: 'folder', path: workspacePath(uri), language: 'text', uri: uri.toString(), text: s.text, ...(s.truncated ? { truncated: true } : {}) });
  }

  /** A symbol: the lines of its range (a class, a function…), at most MAX_SYMBOL_LINES. */
  async attachSymbol(s: vscode.SymbolInformation): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(s.location.uri);
    const r = s.location.range;
    const last = Math.min(r.end.line, r.start.line + MAX_SYMBOL_LINES - 1);
    const text = doc.getText(new vscode.Range(r.start.line, 0, last, doc.lineAt(last).text.length));
    this.add({
      kind: 'symbol', name: s.name, path: workspacePath(s.location.uri), language: doc.languageId, startLine: r.start.line + 1, endLine: last + 1,
      uri: s.location.uri.toString(), ...cut(text), ...(last < r.end.line ? { truncated: true } : {}),
    });
  }

  /** Problems of one file, or of the workspace (`undefined`). */
  attachProblems(uri: vscode.Uri | undefined): void {
    const problems = uri ? problemsOf(uri, vscode.languages.getDiagnostics(uri)) : vscode.languages.getDiagnostics().flatMap(([u, d]) => problemsOf(u, d));
    const f = formatProblems(problems);
    this.add({ kind: 'problems', path: uri ? workspacePath(uri) : '', language: 'text', text: f.text, ...(uri ? { uri: uri.toString() } : {}), ...(f.truncated ? { truncated: true } : {}) });
  }

  /** The working-tree changes against HEAD of every repository (git extension API): the diff of
   * each changed file, and untracked files as new files. */
  async attachDiff(): Promise<void> {
    const git = await gitApi();
    if (!git?.repositories.length) {
      void vscode.window.showWarningMessage(vscode.l10n.t('No git repository is open (or the git extension is disabled: setting git.enabled).'));
      return;
    }
    const parts: string[] = [];
    let size = 0;
    let truncated = false;
    for (const repo of git.repositories) {
      const changes = [...repo.state.indexChanges, ...repo.state.workingTreeChanges, ...(repo.state.untrackedChanges ?? [])];
      const seen = new Set<string>();
      for (const c of changes) {
        const key = c.uri.toString();
        if (seen.has(key)) continue;
        seen.add(key);
        if (size > MAX_DIFF_CHARS) { truncated = true; break; }
        let piece: string;
        if (c.status === GIT_UNTRACKED) {
          // An untracked file may be a 200 MB log: only what still fits is read and shown.
          const room = Math.max(0, MAX_DIFF_CHARS - size);
          const st = await vscode.workspace.fs.stat(c.uri).then((x) => x, () => undefined);
          const tooLarge = !!st && st.size > room * 4;
          const bytes = tooLarge ? new Uint8Array() : await vscode.workspace.fs.readFile(c.uri).then((b) => b, () => new Uint8Array());
          const text = tooLarge ? `(${st.size.toLocaleString('en')} bytes, too large to show)\n` : backgroundText(c.uri, bytes)?.slice(0, room) ?? '(binary file, or an encoding no setting names)\n';
          if (tooLarge) truncated = true;
          const rel = workspacePath(c.uri);
          piece = `new file ${rel} (untracked)\n--- /dev/null\n+++ b/${rel}\n${text.split('\n').map((l) => '+' + l).join('\n')}\n`;
        } else {
          // Worktree against HEAD: what is staged and what is not, together.
          piece = await repo.diffWithHEAD(c.uri.fsPath).catch(() => '');
          if (!piece) piece = await repo.diffIndexWithHEAD(c.uri.fsPath).catch(() => '');
        }
        parts.push(piece);
        size += piece.length;
      }
    }
    let text = parts.join('\n').trim() || 'No changes against HEAD.';
    if (text.length > MAX_DIFF_CHARS) { text = text.slice(0, MAX_DIFF_CHARS); truncated = true; }
    const root = git.repositories.length === 1 ? workspacePath(git.repositories[0]!.rootUri) : '';
    this.add({ kind: 'diff', path: root, language: 'diff', text, ...(truncated ? { truncated: true } : {}) });
  }
}
