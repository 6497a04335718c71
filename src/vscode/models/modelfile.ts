// Modelfiles in the editor: parse problems as diagnostics while typing, completions and hovers from
// the language tables, and "Create Model from Modelfile": parse (refusing while there are errors),
// review the local files it names (real paths, model files only: a Modelfile from a repository must
// not make us upload ~/.ssh/id_rsa), ask the user to confirm the list, upload them as blobs (hash,
// then only what the server lacks), then /api/create with the server's progress.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  buildCreateRequest, completionsInDocument, finalizeCreateRequest, ModelfileBuildError, parseModelfile, reviewUploads, uploadModelFiles,
  UploadRefusedError, type ModelFileKind, type ModelfileCompletion, type ModelfileError, type ParseResult, type ReviewedDraft,
  type UploadField, type UploadProgress,
} from '../../core/modelfile';
import { defaultModelName, formatBytes, hoverInDocument, isValidModelName, sameModel, TransferProgress, uploadFraction } from '../../core/models';
import { readTextFile } from '../textFile';
import { abortOn } from '../cancel';
import { commandOptions, invalidNameMessage, ProgressSink, type CommandOptions, type ModelsEnv, type OperationResult } from './shared';
import type { ModelsTreeProvider } from './tree';
import { COMMAND } from '../ids';

export const MODELFILE_LANGUAGE = 'modelfile';
const SELECTOR: vscode.DocumentSelector = { language: MODELFILE_LANGUAGE };

export function registerModelfile(env: ModelsEnv, tree: ModelsTreeProvider): void {
  const diagnostics = env.ctx.own(new ModelfileDiagnostics());
  env.ctx.own(vscode.languages.registerCompletionItemProvider(SELECTOR, { provideCompletionItems }, ' '));
  env.ctx.own(vscode.languages.registerHoverProvider(SELECTOR, { provideHover }));
  const create = new ModelfileCreator(env, tree, diagnostics);
  env.ctx.own(vscode.commands.registerCommand(COMMAND.modelsCreateFromModelfile,
    (arg?: unknown, opts?: unknown) => create.run(arg, commandOptions(opts))));
}

/** Typing re-parses a Modelfile once it pauses this long, not on every keystroke. */
const DEBOUNCE_MS = 200;

/** Parse problems of every open Modelfile, kept current as it is edited. */
export class ModelfileDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(MODELFILE_LANGUAGE);
  private readonly subs: vscode.Disposable[];
  /** Re-parses waiting for typing to pause, by document URI. */
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();

  constructor() {
    this.subs = [
      vscode.workspace.onDidOpenTextDocument((d) => this.update(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => { this.cancel(d.uri); this.collection.delete(d.uri); }),
    ];
    for (const d of vscode.workspace.textDocuments) this.update(d);
  }

  /** An edit: re-parse when typing pauses. */
  schedule(doc: vscode.TextDocument): void {
    if (doc.languageId !== MODELFILE_LANGUAGE && !this.collection.has(doc.uri)) return;
    const key = doc.uri.toString();
    const t = this.pending.get(key);
    if (t) clearTimeout(t);
    this.pending.set(key, setTimeout(() => {
      this.pending.delete(key);
      if (!doc.isClosed) this.update(doc);
    }, DEBOUNCE_MS));
  }

  private cancel(uri: vscode.Uri): void {
    const key = uri.toString();
    const t = this.pending.get(key);
    if (t) { clearTimeout(t); this.pending.delete(key); }
  }

  update(doc: vscode.TextDocument): void {
    this.cancel(doc.uri);
    if (doc.languageId !== MODELFILE_LANGUAGE) {
      // A document switched to another language keeps no Modelfile problems.
      if (this.collection.has(doc.uri)) this.collection.delete(doc.uri);
      return;
    }
    this.set(doc.uri, parseModelfile(doc.getText()));
  }

  set(uri: vscode.Uri, parsed: ParseResult, extra: vscode.Diagnostic[] = []): void {
    this.cancel(uri);
    this.collection.set(uri, [
      ...parsed.errors.map((e) => toDiagnostic(e, vscode.DiagnosticSeverity.Error)),
      ...parsed.warnings.map((e) => toDiagnostic(e, vscode.DiagnosticSeverity.Warning)),
      ...extra,
    ]);
  }

  dispose(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    this.subs.forEach((s) => s.dispose());
    this.collection.dispose();
  }
}

function toDiagnostic(e: ModelfileError, severity: vscode.DiagnosticSeverity): vscode.Diagnostic {
  // The parser counts from 1 with an exclusive end column; the editor counts from 0.
  const range = new vscode.Range(Math.max(0, e.line - 1), Math.max(0, e.column - 1), Math.max(0, e.endLine - 1), Math.max(0, e.endColumn - 1));
  const d = new vscode.Diagnostic(range, e.message, severity);
  d.source = 'Modelfile';
  return d;
}

const KINDS: Record<ModelfileCompletion['kind'], vscode.CompletionItemKind> = {
  instruction: vscode.CompletionItemKind.Keyword,
  parameter: vscode.CompletionItemKind.Property,
  role: vscode.CompletionItemKind.EnumMember,
};

function provideCompletionItems(doc: vscode.TextDocument, pos: vscode.Position): vscode.CompletionItem[] {
  return completionsInDocument(doc.getText(), pos.line + 1, pos.character).map((c) => {
    const item = new vscode.CompletionItem(c.label, KINDS[c.kind]);
    item.detail = c.detail;
    item.documentation = new vscode.MarkdownString(c.documentation);
    item.range = new vscode.Range(pos.line, c.replaceStart, pos.line, pos.character);
    item.insertText = c.snippet ? new vscode.SnippetString(c.snippet) : c.insertText;
    // After PARAMETER / MESSAGE the next word has its own list: open it right away.
    if (c.retrigger) item.command = { command: 'editor.action.triggerSuggest', title: 'Suggest' };
    return item;
  });
}

function provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
  const h = hoverInDocument(doc.getText(), pos.line + 1, pos.character);
  return h && new vscode.Hover(new vscode.MarkdownString(h.markdown), new vscode.Range(pos.line, h.start, pos.line, h.end));
}

/** One file of an upload confirmation, as the dialog lists it. */
export interface UploadListing {
  /** Name in the request (`files`/`adapters`/`draft_files` key). */
  name: string;
  field: UploadField;
  /** Real path: what is read and sent. */
  path: string;
  /** The path as the Modelfile names it (differs when it is a symbolic link). */
  requestedPath: string;
  size: number;
  kind: ModelFileKind;
  /** Outside the Modelfile's folder. */
  outside: boolean;
  viaSymlink: boolean;
}

/** What the confirmation dialog shows: its sentence, its detail (one line per file) and the files. */
export interface UploadApproval {
  message: string;
  detail: string;
  files: UploadListing[];
}

/** The create command's options: CommandOptions, and `approveUploads` to answer the upload
 * confirmation instead of the modal dialog (tests, scripts). `confirm: false` does NOT skip it. */
export interface CreateOptions extends CommandOptions {
  approveUploads?: (approval: UploadApproval) => boolean | Thenable<boolean>;
}

class ModelfileCreator {
  constructor(private readonly env: ModelsEnv, private readonly tree: ModelsTreeProvider, private readonly diagnostics: ModelfileDiagnostics) {}

  /** `arg`: the Modelfile's Uri (explorer, editor title) or nothing (the active editor). */
  async run(arg: unknown, o: CreateOptions): Promise<OperationResult> {
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    if (!uri) {
      const error = vscode.l10n.t('Open a Modelfile to create a model from it.');
      void vscode.window.showErrorMessage(error);
      return { ok: false, error };
    }
    const fileName = path.posix.basename(uri.path);
    let text: string;
    try {
      // An open editor has decoded it already; from disk it is read as the editor would read it (a
      // BOM decides, so a Modelfile saved as UTF-16 parses as `ollama create` reads it).
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      if (open) {
        text = open.getText();
      } else {
        const read = await readTextFile(uri, fileName);
        if (!read) return { ok: false, cancelled: true };
        text = read.text;
      }
    } catch (e) {
      const error = vscode.l10n.t('Could not read {0}: {1}', fileName, e instanceof Error ? e.message : String(e));
      void vscode.window.showErrorMessage(error);
      return { ok: false, error };
    }

    const parsed = parseModelfile(text);
    this.diagnostics.set(uri, parsed);
    if (parsed.errors.length > 0) {
      const first = parsed.errors[0];
      const error = vscode.l10n.t('Line {0}: {1}', first.line, first.message);
      const problems = vscode.l10n.t('Show Problems');
      void vscode.window.showErrorMessage(
        vscode.l10n.t('{0} has {1} error(s); fix them before creating a model. {2}', fileName, parsed.errors.length, error), problems,
      ).then((pick) => { if (pick === problems) void vscode.commands.executeCommand('workbench.actions.view.problems'); });
      return { ok: false, error };
    }

    const installed = this.tree.snapshot?.installed ?? [];
    const name = (o.name ?? await vscode.window.showInputBox({
      title: vscode.l10n.t('Create a Model from {0}', fileName),
      prompt: vscode.l10n.t('Name of the new model'),
      value: defaultModelName(uri.scheme === 'file' ? uri.fsPath : uri.path),
      ignoreFocusOut: true,
      validateInput: (v) => {
        if (!v.trim()) return vscode.l10n.t('Enter a name for the new model.');
        if (!isValidModelName(v)) return invalidNameMessage();
        if (installed.some((m) => sameModel(m.name, v))) {
          return { message: vscode.l10n.t('{0} exists and will be replaced.', v.trim()), severity: vscode.InputBoxValidationSeverity.Warning };
        }
        return undefined;
      },
    }))?.trim();
    if (!name) return { ok: false, cancelled: true };
    if (!isValidModelName(name)) {
      void vscode.window.showErrorMessage(invalidNameMessage());
      return { ok: false, model: name, error: invalidNameMessage() };
    }

    let draft: ReviewedDraft;
    try {
      const modelfileDir = this.baseDir(uri);
      // Nothing is hashed or sent before every file is judged by its real path and bytes.
      draft = await reviewUploads(await buildCreateRequest(name, parsed, { modelfileDir, homeDir: os.homedir() }), { modelfileDir });
    } catch (e) {
      const error = e instanceof UploadRefusedError ? refusalMessage(e) : e instanceof Error ? e.message : String(e);
      if (e instanceof UploadRefusedError) this.env.ctx.log.warn(`create ${name}: refused to upload ${e.path}: ${e.code}${e.detail ? ` (${e.detail})` : ''}`);
      if (e instanceof ModelfileBuildError && e.line) {
        // Point at the line (a missing file, say) until the next edit re-parses the document.
        const line = e.line - 1;
        const d = new vscode.Diagnostic(new vscode.Range(line, 0, line, text.split(/\r\n|\r|\n/)[line]?.length ?? 0), error, vscode.DiagnosticSeverity.Error);
        d.source = 'Modelfile';
        this.diagnostics.set(uri, parsed, [d]);
      }
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not create {0}: {1}', name, error));
      return { ok: false, model: name, error };
    }
    if (draft.uploads.length > 0) {
      const approval = uploadApproval(name, await this.env.url(), draft);
      const approved = typeof o.approveUploads === 'function'
        ? await o.approveUploads(approval)
        : await askToUpload(approval);
      if (!approved) {
        this.env.ctx.log.info(`create ${name}: upload of ${draft.uploads.length} file(s) not confirmed`);
        return { ok: false, cancelled: true, model: name };
      }
    }
    return this.create(name, draft, o);
  }

  /** Where relative paths in the Modelfile point: its folder (or the workspace for an unsaved one). */
  private baseDir(uri: vscode.Uri): string {
    if (uri.scheme === 'file') return path.dirname(uri.fsPath);
    const folder = vscode.workspace.getWorkspaceFolder(uri) ?? vscode.workspace.workspaceFolders?.[0];
    return folder?.uri.scheme === 'file' ? folder.uri.fsPath : os.homedir();
  }

  private create(name: string, draft: ReviewedDraft, o: CommandOptions): Thenable<OperationResult> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Creating {0}', name), cancellable: true },
      async (progress, token) => {
        const abort = abortOn([token, o.token]);
        const sink = new ProgressSink(progress);
        // With local files, uploading is the first half of the bar and the server's work the second.
        const base = draft.uploads.length > 0 ? 50 : 0;
        let url = '';
        try {
          const c = await this.env.connect();
          url = c.url;
          const digests = await uploadModelFiles(c.client, draft.uploads.map((u) => ({ path: u.path, name: u.name, size: u.size })), {
            signal: abort.signal,
            onProgress: (p) => sink.report(uploadMessage(p), uploadFraction(p) * base, `${p.phase} ${p.index}`),
          });
          const request = finalizeCreateRequest(draft, digests);
          const stream = await c.client.create({ ...request, stream: true }, { signal: abort.signal });
          const tracker = new TransferProgress();
          let status = '';
          for await (const line of stream) {
            const s = tracker.update(line);
            status = s.status;
            const message = s.layer ? vscode.l10n.t('{0}: {1}%', s.status, Math.floor(s.layer.percent)) : s.status;
            sink.report(message, base + ((100 - base) * s.percent) / 100, s.layer ? `layer ${s.layer.digest}` : `status ${s.status}`);
          }
          sink.finish(status);
          this.env.ctx.log.info(`create ${name}: ${status}`);
          void vscode.window.showInformationMessage(vscode.l10n.t('Created {0}.', name));
          return { ok: true, model: name, status, reports: sink.reports };
        } catch (e) {
          return { ...this.env.fail(e, url, (t) => vscode.l10n.t('Could not create {0}: {1}', name, t), name, abort.signal), reports: sink.reports };
        } finally {
          abort.dispose();
          this.tree.refresh();
        }
      },
    );
  }
}

function uploadMessage(p: UploadProgress): string {
  const name = path.basename(p.name);
  switch (p.phase) {
    case 'hashing': return vscode.l10n.t('Hashing {0}: {1}%', name, p.total > 0 ? Math.floor((p.completed / p.total) * 100) : 0);
    case 'checking': return vscode.l10n.t('Checking whether the server has {0}…', name);
    case 'uploading': return vscode.l10n.t('Uploading {0}: {1} of {2}', name, formatBytes(p.completed), formatBytes(p.total));
    case 'uploaded': return vscode.l10n.t('Uploaded {0}.', name);
    case 'exists': return vscode.l10n.t('{0} is already on the server.', name);
  }
}

/** The confirmation of an upload: every file with its real path and size, those outside the
 * Modelfile's folder (or reached through a link) called out. */
export function uploadApproval(model: string, url: string, d: ReviewedDraft): UploadApproval {
  const files: UploadListing[] = d.uploads.map((u) => ({
    name: u.name, field: u.field, path: u.path, requestedPath: u.requestedPath, size: u.size, kind: u.kind, outside: u.outside, viaSymlink: u.viaSymlink,
  }));
  const outside = files.filter((f) => f.outside).length;
  const message = outside > 0
    ? vscode.l10n.t('Upload {0} file(s) ({1}) to {2} to create {3}? {4} of them are outside the Modelfile\'s folder.', files.length, formatBytes(d.totalBytes), url, model, outside)
    : vscode.l10n.t('Upload {0} file(s) ({1}) to {2} to create {3}?', files.length, formatBytes(d.totalBytes), url, model);
  const lines = files.map((f) => {
    let line = vscode.l10n.t('{0}: {1} ({2})', f.name, f.path, formatBytes(f.size));
    if (f.viaSymlink) line += ' ' + vscode.l10n.t('[linked from {0}]', f.requestedPath);
    if (f.outside) line += ' ' + vscode.l10n.t('[OUTSIDE the Modelfile\'s folder]');
    return line;
  });
  const detail = [vscode.l10n.t('The Modelfile\'s folder: {0}', d.folder), ...lines].join('\n');
  return { message, detail, files };
}

async function askToUpload(a: UploadApproval): Promise<boolean> {
  const upload = vscode.l10n.t('Upload');
  return (await vscode.window.showWarningMessage(a.message, { modal: true, detail: a.detail }, upload)) === upload;
}

/** The refusal in the user's language, naming the file. */
export function refusalMessage(e: UploadRefusedError): string {
  const p = e.path;
  switch (e.code) {
    case 'notRegular': return vscode.l10n.t('{0} is not a regular file, so not a model file; nothing was uploaded.', p);
    case 'unreadable': return vscode.l10n.t('{0} cannot be read ({1}); nothing was uploaded.', p, e.detail);
    case 'empty': return vscode.l10n.t('{0} is empty, so not a model file; nothing was uploaded.', p);
    case 'notGguf': return vscode.l10n.t('{0} is not a model file (neither GGUF nor safetensors); nothing was uploaded.', p);
    case 'notSafetensors': return vscode.l10n.t('{0} is not a safetensors file ({1}); nothing was uploaded.', p, e.detail);
    case 'lfsPointer': return vscode.l10n.t('{0} is a Git LFS pointer, not the weights: run "git lfs pull" first.', p);
    case 'pytorch': return vscode.l10n.t('{0} holds PyTorch weights, which Ollama cannot import: convert them to safetensors or GGUF.', p);
    case 'safetensorsFile': return vscode.l10n.t('{0} is a single safetensors file: point the Modelfile at the folder that holds it with its config.json (adapter_config.json for an adapter).', p);
    case 'notJson': return vscode.l10n.t('{0} should be JSON but is not ({1}); nothing was uploaded.', p, e.detail);
    case 'notText': return vscode.l10n.t('{0} should be a text template but is not ({1}); nothing was uploaded.', p, e.detail);
    case 'notTokenizer': return vscode.l10n.t('{0} is not a SentencePiece tokenizer model; nothing was uploaded.', p);
    case 'tooLarge': return vscode.l10n.t('{0} is too large for what it should be ({1}); nothing was uploaded.', p, e.detail);
    case 'missingConfig': return vscode.l10n.t('{0} has safetensors weights but no {1}, which Ollama needs to import them.', p, e.detail);
    case 'oneAdapter': return vscode.l10n.t('{0} holds several adapter files, but Ollama takes one adapter.', p);
  }
}
