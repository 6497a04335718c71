// The model commands: pull and push with a cancellable progress notification, delete, copy, show,
// load and unload, and "use for chat / completion / translation". Each takes a tree item or a model
// name (a quick pick when neither is given) plus optional CommandOptions that skip dialogs, and
// resolves with an OperationResult.
import * as vscode from 'vscode';
import { formatBytes, isValidModelName, sameModel, TransferProgress } from '../../core/models';
import type { ModelResponse, RunningModel } from '../../core/ollama/types';
import { generationDefaults, modelSetting, updateSetting, type Feature } from '../config';
import type { ModelDocumentProvider } from './showDocument';
import { abortOn } from '../cancel';
import { commandOptions, invalidNameMessage, ProgressSink, type CommandOptions, type ModelsEnv, type OperationResult } from './shared';
import { modelNameOf, type ModelsTreeProvider } from './tree';
import { COMMAND, type CommandId } from '../ids';

export interface ShowResult extends OperationResult {
  uri?: string;
  text?: string;
}

export function registerModelCommands(env: ModelsEnv, tree: ModelsTreeProvider, docs: ModelDocumentProvider): void {
  const reg = (id: CommandId, fn: (arg: unknown, o: CommandOptions) => Promise<unknown>) =>
    env.ctx.own(vscode.commands.registerCommand(id, (arg?: unknown, opts?: unknown) => fn(arg, commandOptions(opts))));
  const ops = new ModelOperations(env, tree, docs);

  reg(COMMAND.modelsRefresh, async () => { tree.refresh(); return true; });
  reg(COMMAND.modelsPull, (arg, o) => ops.pull(arg, o));
  reg(COMMAND.modelsPush, (arg, o) => ops.push(arg, o));
  reg(COMMAND.modelsDelete, (arg, o) => ops.delete(arg, o));
  reg(COMMAND.modelsCopy, (arg, o) => ops.copy(arg, o));
  reg(COMMAND.modelsShow, (arg) => ops.show(arg));
  reg(COMMAND.modelsUnload, (arg) => ops.unload(arg));
  reg(COMMAND.modelsLoad, (arg, o) => ops.load(arg, o));
  reg(COMMAND.modelsSetAsChatModel, (arg) => ops.useFor('chat', arg));
  reg(COMMAND.modelsSetAsCompletionModel, (arg) => ops.useFor('completion', arg));
  reg(COMMAND.modelsSetAsTranslationModel, (arg) => ops.useFor('translation', arg));
}

export class ModelOperations {
  constructor(private readonly env: ModelsEnv, private readonly tree: ModelsTreeProvider, private readonly docs: ModelDocumentProvider) {}

  async pull(arg: unknown, o: CommandOptions): Promise<OperationResult> {
    const name = modelNameOf(arg) ?? await vscode.window.showInputBox({
      title: vscode.l10n.t('Pull a Model'),
      prompt: vscode.l10n.t('Model name with an optional tag, e.g. llama3.2:3b or hf.co/user/repo:Q4_K_M'),
      placeHolder: 'llama3.2:latest',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() === '' || isValidModelName(v) ? undefined : invalidNameMessage()),
    });
    if (!name?.trim()) return { ok: false, cancelled: true };
    return this.transfer('pull', name.trim(), o);
  }

  async push(arg: unknown, o: CommandOptions): Promise<OperationResult> {
    const name = modelNameOf(arg) ?? await this.pick('installed', vscode.l10n.t('Model to push (its name must include your namespace, e.g. me/model)'));
    if (!name) return { ok: false, cancelled: true };
    return this.transfer('push', name, o);
  }

  /** Pull or push with per-layer progress; Cancel closes the connection, so the server stops. */
  private transfer(kind: 'pull' | 'push', name: string, o: CommandOptions): Thenable<OperationResult> {
    const title = kind === 'pull' ? vscode.l10n.t('Pulling {0}', name) : vscode.l10n.t('Pushing {0}', name);
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const abort = abortOn([token, o.token]);
      const sink = new ProgressSink(progress);
      let url = '';
      try {
        const c = await this.env.connect();
        url = c.url;
        const request = { model: name, stream: true as const };
        // Batch lane: a long transfer never holds the connections chat and completion need.
        const call = { signal: abort.signal, lane: 'batch' as const };
        const stream = kind === 'pull' ? await c.client.pull(request, call) : await c.client.push(request, call);
        const tracker = new TransferProgress();
        let status = '';
        for await (const line of stream) {
          const s = tracker.update(line);
          status = s.status;
          const message = s.layer
            ? vscode.l10n.t('{0}: {1}% ({2} of {3})', s.status, Math.floor(s.layer.percent), formatBytes(s.layer.completed), formatBytes(s.layer.total))
            : s.status;
          sink.report(message, s.percent, s.layer ? `layer ${s.layer.digest}` : `status ${s.status}`);
        }
        sink.finish(status);
        this.env.ctx.log.info(`${kind} ${name}: ${status}`);
        void vscode.window.showInformationMessage(kind === 'pull' ? vscode.l10n.t('Pulled {0}.', name) : vscode.l10n.t('Pushed {0}.', name));
        return { ok: true, model: name, status, reports: sink.reports };
      } catch (e) {
        const say = kind === 'pull'
          ? (t: string) => vscode.l10n.t('Could not pull {0}: {1}', name, t)
          : (t: string) => vscode.l10n.t('Could not push {0}: {1}', name, t);
        return { ...this.env.fail(e, url, say, name, abort.signal), reports: sink.reports };
      } finally {
        abort.dispose();
        this.tree.refresh();
      }
    });
  }

  async delete(arg: unknown, o: CommandOptions): Promise<OperationResult> {
    const name = modelNameOf(arg) ?? await this.pick('installed', vscode.l10n.t('Model to delete'));
    if (!name) return { ok: false, cancelled: true };
    const url = await this.env.url();
    if (o.confirm !== false) {
      const del = vscode.l10n.t('Delete');
      const answer = await vscode.window.showWarningMessage(
        vscode.l10n.t('Delete the model {0}?', name),
        { modal: true, detail: vscode.l10n.t('It is removed from {0}; pull it again to get it back.', url) },
        del,
      );
      if (answer !== del) return { ok: false, cancelled: true, model: name };
    }
    return this.simple(name, (t) => vscode.l10n.t('Could not delete {0}: {1}', name, t), async (client) => {
      await client.delete({ model: name });
      vscode.window.setStatusBarMessage(vscode.l10n.t('Deleted {0}.', name), 5000);
    });
  }

  async copy(arg: unknown, o: CommandOptions): Promise<OperationResult> {
    const source = modelNameOf(arg) ?? await this.pick('installed', vscode.l10n.t('Model to copy'));
    if (!source) return { ok: false, cancelled: true };
    const installed = this.tree.snapshot?.installed ?? [];
    const destination = o.destination ?? await vscode.window.showInputBox({
      title: vscode.l10n.t('Copy {0}', source),
      prompt: vscode.l10n.t('Name of the copy'),
      value: `${source.replace(/:[^:/]*$/, '')}-copy`,
      ignoreFocusOut: true,
      validateInput: (v) => validateNewName(v, source, installed),
    });
    if (!destination?.trim()) return { ok: false, cancelled: true, model: source };
    const to = destination.trim();
    if (!isValidModelName(to)) {
      void vscode.window.showErrorMessage(invalidNameMessage());
      return { ok: false, model: source, error: invalidNameMessage() };
    }
    return this.simple(source, (t) => vscode.l10n.t('Could not copy {0} to {1}: {2}', source, to, t), async (client) => {
      await client.copy({ source, destination: to });
      vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0} to {1}.', source, to), 5000);
    });
  }

  async show(arg: unknown): Promise<ShowResult> {
    const name = modelNameOf(arg) ?? await this.pick('installed', vscode.l10n.t('Model to show'));
    if (!name) return { ok: false, cancelled: true };
    let url = '';
    try {
      url = await this.env.url();
      const { uri, text } = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Loading details of {0}…', name) },
        () => this.docs.render(name),
      );
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc, { preview: true });
      return { ok: true, model: name, uri: uri.toString(), text };
    } catch (e) {
      return this.env.fail(e, url, (t) => vscode.l10n.t('Could not show {0}: {1}', name, t), name);
    }
  }

  async unload(arg: unknown): Promise<OperationResult> {
    const name = modelNameOf(arg) ?? await this.pick('running', vscode.l10n.t('Model to unload'));
    if (!name) return { ok: false, cancelled: true };
    return this.simple(name, (t) => vscode.l10n.t('Could not unload {0}: {1}', name, t), async (client) => {
      await client.unload(name);
      vscode.window.setStatusBarMessage(vscode.l10n.t('Unloaded {0}.', name), 5000);
    });
  }

  /** Loads the model with the keep_alive and context size the features use, so they find it warm
   * rather than reloading it with other load-time options. */
  async load(arg: unknown, o: CommandOptions): Promise<OperationResult> {
    const name = modelNameOf(arg) ?? await this.pick('installed', vscode.l10n.t('Model to load'));
    if (!name) return { ok: false, cancelled: true };
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Loading {0} into memory…', name), cancellable: true },
      async (_progress, token) => {
        const abort = abortOn([token, o.token]);
        let url = '';
        try {
          const c = await this.env.connect();
          url = c.url;
          const { keepAlive, options } = generationDefaults();
          await c.client.generate({
            model: name, prompt: '', stream: false,
            ...(keepAlive !== undefined ? { keep_alive: keepAlive } : {}),
            ...(options.numCtx !== undefined ? { options: { num_ctx: options.numCtx } } : {}),
          }, { signal: abort.signal, lane: 'batch' });
          vscode.window.setStatusBarMessage(vscode.l10n.t('Loaded {0}.', name), 5000);
          return { ok: true, model: name };
        } catch (e) {
          return this.env.fail(e, url, (t) => vscode.l10n.t('Could not load {0}: {1}', name, t), name, abort.signal);
        } finally {
          abort.dispose();
          this.tree.refresh();
        }
      },
    );
  }

  async useFor(feature: Extract<Feature, 'chat' | 'completion' | 'translation'>, arg: unknown): Promise<OperationResult> {
    const name = modelNameOf(arg) ?? await this.pick('installed', vscode.l10n.t('Model to use'));
    if (!name) return { ok: false, cancelled: true };
    await updateSetting(modelSetting(feature), name);
    const said = feature === 'chat' ? vscode.l10n.t('Chat now uses {0}.', name)
      : feature === 'completion' ? vscode.l10n.t('Inline completion now uses {0}.', name)
        : vscode.l10n.t('Translation now uses {0}.', name);
    vscode.window.setStatusBarMessage(said, 5000);
    return { ok: true, model: name };
  }

  /** A short call on the client, a refresh of the tree after it, and the error reported if any. */
  private async simple(name: string, say: (detail: string) => string, run: (client: Awaited<ReturnType<ModelsEnv['connect']>>['client']) => Promise<void>): Promise<OperationResult> {
    let url = '';
    try {
      const c = await this.env.connect();
      url = c.url;
      await run(c.client);
      return { ok: true, model: name };
    } catch (e) {
      return this.env.fail(e, url, say, name);
    } finally {
      this.tree.refresh();
    }
  }

  /** Quick pick of installed or loaded models, for commands run from the palette. */
  async pick(from: 'installed' | 'running', placeHolder: string): Promise<string | undefined> {
    let url = '';
    try {
      const c = await this.env.connect();
      url = c.url;
      const models: Array<ModelResponse | RunningModel> = from === 'installed' ? (await c.client.list()).models : (await c.client.ps()).models;
      if (models.length === 0) {
        void vscode.window.showInformationMessage(from === 'installed'
          ? vscode.l10n.t('No models are installed on {0}.', url)
          : vscode.l10n.t('No model is loaded on {0}.', url));
        return undefined;
      }
      const items = models.map((m) => ({
        label: m.name,
        description: [m.details?.family, m.details?.parameter_size, m.details?.quantization_level, formatBytes(m.size)].filter(Boolean).join(' · '),
      }));
      return (await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true }))?.label;
    } catch (e) {
      this.env.fail(e, url, (t) => vscode.l10n.t('Could not list the models: {0}', t));
      return undefined;
    }
  }
}

function validateNewName(v: string, source: string, installed: ModelResponse[]): string | vscode.InputBoxValidationMessage | undefined {
  const name = v.trim();
  if (!name) return vscode.l10n.t('Enter a name for the copy.');
  if (!isValidModelName(name)) return invalidNameMessage();
  if (sameModel(name, source)) return vscode.l10n.t('The copy needs a name other than {0}.', source);
  if (installed.some((m) => sameModel(m.name, name))) {
    return { message: vscode.l10n.t('{0} exists and will be replaced.', name), severity: vscode.InputBoxValidationSeverity.Warning };
  }
  return undefined;
}
