// The Models view: installed models (/api/tags), the ones loaded in memory (/api/ps) and the
// server's version (/api/version, for the view's description). The full lists are fetched when VS
// Code asks for the root (the view is visible) after a refresh, a client change, or a Test
// Connection that succeeds after a failure. No dialog comes from here: an unreachable server is
// reported to the ConnectionMonitor (which says so once and flips the context key behind the view's
// welcome content), the openai backend shows one item saying model management needs the native
// API, and any other error becomes one item in the tree.
// The Running section follows the server without a full refresh: after our own chat, completion and
// translation requests (the context owner's activity event, coalesced), every POLL_MS while the view
// is visible (other clients load models too), and when the next model unloads, it asks /api/ps only
// (never /api/tags); the time each model has left counts down every second while the view is visible.
import * as vscode from 'vscode';
import { expiryOf, formatBytes, formatRelative, processorSplit, sameModel } from '../../core/models';
import { formatCountdown, hasCountdown, runningChanged } from '../../core/models/countdown';
import type { ModelResponse, RunningModel } from '../../core/ollama/types';
import { errorText, NativeApiRequiredError, type ModelsEnv } from './shared';

export type ModelsNode =
  | { kind: 'section'; section: 'installed' | 'running'; models: ModelResponse[] | RunningModel[]; running: RunningModel[] }
  | { kind: 'model'; model: ModelResponse; running?: RunningModel }
  | { kind: 'running'; model: RunningModel }
  | { kind: 'message'; text: string; tooltip?: string; icon: 'error' | 'info' };

export interface ModelsSnapshot {
  installed: ModelResponse[];
  running: RunningModel[];
  url: string;
  /** Server version ('' when the server does not say). */
  version: string;
}

type Loaded = { ok: true; snapshot: ModelsSnapshot } | { ok: false; nodes: ModelsNode[] };

/** Longest wait for the next unload before refreshing anyway (setTimeout's limit is ~24.8 days). */
const MAX_TIMER_MS = 24 * 3600_000;
/** How often the Running section asks /api/ps while the view is visible. */
export const POLL_MS = 10_000;
/** Requests that start or end within this window share one /api/ps. */
const ACTIVITY_COALESCE_MS = 750;

export class ModelsTreeProvider implements vscode.TreeDataProvider<ModelsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelsNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly loaded = new vscode.EventEmitter<void>();
  /** Fires after every fetch, successful or not (`snapshot` tells which). */
  readonly onDidLoad = this.loaded.event;
  private readonly refreshed = new vscode.EventEmitter<void>();
  /** Fires on refresh(): the installed models may have changed (a pull, delete, copy or create, a
   * Refresh, another server), whether or not the view is visible to fetch them. */
  readonly onDidRefresh = this.refreshed.event;
  private generation = 0;
  private loading: { generation: number; promise: Promise<Loaded> } | undefined;
  private failed = false;
  private visible = false;
  private stale = false;
  private unloadTimer: ReturnType<typeof setTimeout> | undefined;
  /** Our own requests loaded or used a model while the view was hidden: ask /api/ps when shown. */
  private runningStale = false;
  private activityTimer: ReturnType<typeof setTimeout> | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private tickTimer: ReturnType<typeof setInterval> | undefined;
  private psInFlight: Promise<void> | undefined;
  /** The generation `snapshot` was fetched in: VS Code asking for the root again (it may, twice for
   * one change event, or on a re-render) is answered from it; refresh() starts a new generation. */
  private snapshotGeneration = -1;
  /** The Running rows VS Code shows, kept so the countdown can re-render exactly them. */
  private runningNodes: Array<Extract<ModelsNode, { kind: 'running' }>> = [];
  /** How many /api/ps requests the Running section made on its own (a measure of its cost). */
  psRefreshes = 0;
  /** The rows of the Running section as VS Code last got them (the countdown repaints exactly these). */
  get runningRows(): ReadonlyArray<Extract<ModelsNode, { kind: 'running' }>> { return this.runningNodes; }
  /** The models VS Code last asked to show in the Running section. */
  get shownRunning(): RunningModel[] { return this.runningNodes.map((n) => n.model); }
  /** The lists of the last successful fetch. */
  snapshot: ModelsSnapshot | undefined;

  constructor(private readonly env: ModelsEnv) {
    env.ctx.own(env.ctx.onDidChangeClient(() => this.refresh()));
    // A successful "Test Connection" after a failure brings the list back. Only that transition:
    // the monitor also fires for the errors and successes this view reports itself.
    env.ctx.own(env.monitor.onDidChange((s) => { if (s?.reachable && this.failed) this.refresh(); }));
    env.ctx.own(env.ctx.onDidUseModel(() => this.onModelActivity()));
  }

  /** Drop what is known and ask VS Code for the children again (it fetches if the view is visible). */
  refresh(): void {
    this.generation++;
    this.stale = false;
    this.runningStale = false;
    this.changed.fire();
    this.refreshed.fire();
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible && this.stale) this.refresh();
    // refreshRunning never rejects (a failure leaves the full fetch to say what is wrong).
    else if (visible && this.runningStale) void this.refreshRunning();
    this.updateTimers();
  }

  /** A chat, completion or translation request started or ended: the server's loaded models (and
   * their keep_alive) changed. Coalesced, and only while the view is visible. */
  private onModelActivity(): void {
    if (!this.visible) { this.runningStale = true; return; }
    if (this.activityTimer) return;
    this.activityTimer = setTimeout(() => { this.activityTimer = undefined; void this.refreshRunning(); }, ACTIVITY_COALESCE_MS);
  }

  /**
   * Ask /api/ps only and update the Running section (and the "loaded" marks of installed models)
   * when it changed. Without a successful full fetch yet, a quiet check: success brings the whole
   * list (a server that came back); failure says nothing (the full fetch already did).
   */
  refreshRunning(): Promise<void> {
    if (this.psInFlight) return this.psInFlight;
    this.runningStale = false;
    const generation = this.generation;
    const p = (async () => {
      const had = this.snapshot;
      try {
        const { client } = await this.env.connect();
        this.psRefreshes++;
        const ps = await client.ps();
        if (generation !== this.generation) return;
        if (!had || this.snapshot !== had) { if (this.failed) this.refresh(); return; }
        this.scheduleUnloadRefresh(ps.models);
        if (!runningChanged(had.running, ps.models)) return;
        this.snapshot = { ...had, running: ps.models };
        this.changed.fire();
        this.updateTimers();
      } catch {
        // The view's own full fetch says what is wrong, once.
        if (generation === this.generation && had) this.refresh();
      }
    })();
    this.psInFlight = p;
    void p.finally(() => { if (this.psInFlight === p) this.psInFlight = undefined; });
    return p;
  }

  /** Poll /api/ps while visible; tick the countdown every second while a model has one. */
  private updateTimers(): void {
    if (this.visible && !this.pollTimer) {
      this.pollTimer = setInterval(() => { if (!this.loading) void this.refreshRunning(); }, POLL_MS);
    } else if (!this.visible && this.pollTimer) {
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
    }
    const tick = this.visible && hasCountdown(this.snapshot?.running ?? [], Date.now());
    if (tick && !this.tickTimer) {
      this.tickTimer = setInterval(() => {
        if (!hasCountdown(this.snapshot?.running ?? [], Date.now())) { this.updateTimers(); return; }
        for (const n of this.runningNodes) this.changed.fire(n);
      }, 1000);
    } else if (!tick && this.tickTimer) {
      clearInterval(this.tickTimer);
      this.tickTimer = undefined;
    }
  }

  async getChildren(node?: ModelsNode): Promise<ModelsNode[]> {
    if (node?.kind === 'section') {
      if (node.section === 'running') {
        this.runningNodes = (node.models as RunningModel[]).map((m) => ({ kind: 'running', model: m }));
        return this.runningNodes;
      }
      return (node.models as ModelResponse[]).map((m) => ({ kind: 'model', model: m, running: node.running.find((r) => sameModel(r.name, m.name)) }));
    }
    if (node) return [];
    const cached = this.snapshotGeneration === this.generation ? this.snapshot : undefined;
    const r: Loaded = cached ? { ok: true, snapshot: cached } : await this.load();
    if (!r.ok) return r.nodes;
    const { installed, running } = r.snapshot;
    if (installed.length === 0 && running.length === 0) return []; // the view's "No models installed yet" welcome
    return [
      { kind: 'section', section: 'installed', models: installed, running },
      { kind: 'section', section: 'running', models: running, running },
    ];
  }

  /** Fresh lists; callers that ask while a fetch of the same generation runs share it. */
  load(): Promise<Loaded> {
    if (this.loading?.generation !== this.generation) {
      const generation = this.generation;
      const promise = this.fetch(generation);
      this.loading = { generation, promise };
      void promise.finally(() => { if (this.loading?.promise === promise) this.loading = undefined; });
    }
    return this.loading!.promise;
  }

  private async fetch(generation: number): Promise<Loaded> {
    let url = '';
    try {
      const c = await this.env.connect();
      url = c.url;
      const [tags, ps, version] = await Promise.all([
        c.client.list(), c.client.ps(), c.client.version().then((v) => v.version, () => ''),
      ]);
      this.snapshot = { installed: tags.models, running: ps.models, url, version };
      this.snapshotGeneration = generation;
      this.failed = false;
      this.env.monitor.reportSuccess(url);
      this.scheduleUnloadRefresh(ps.models);
      this.updateTimers();
      this.loaded.fire();
      return { ok: true, snapshot: this.snapshot };
    } catch (e) {
      this.failed = true;
      this.snapshot = undefined;
      this.snapshotGeneration = -1;
      this.loaded.fire();
      if (e instanceof NativeApiRequiredError) return { ok: false, nodes: [{ kind: 'message', text: e.message, icon: 'info' }] };
      url ||= await this.env.url();
      this.env.ctx.log.warn(`models view: ${errorText(e, url)}`);
      if (this.env.monitor.reportError(e, url)) return { ok: false, nodes: [] };
      const text = errorText(e, url);
      return { ok: false, nodes: [{ kind: 'message', text: vscode.l10n.t('Could not list the models: {0}', text), tooltip: text, icon: 'error' }] };
    }
  }

  /** Refresh when the next model unloads, so the Running section does not show a stale entry. */
  private scheduleUnloadRefresh(running: RunningModel[]): void {
    if (this.unloadTimer) clearTimeout(this.unloadTimer);
    this.unloadTimer = undefined;
    const now = Date.now();
    const next = Math.min(...running.map((r) => expiryOf(r.expires_at, now)).map((x) => (x.kind === 'at' ? x.ms : Infinity)));
    if (!Number.isFinite(next)) return;
    this.unloadTimer = setTimeout(() => {
      this.unloadTimer = undefined;
      if (this.visible) void this.refreshRunning();
      else this.runningStale = true;
    }, Math.min(MAX_TIMER_MS, Math.max(1000, next - now + 1000)));
  }

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'section': return sectionItem(node);
      case 'model': return installedItem(node.model, node.running);
      case 'running': return runningItem(node.model);
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.tooltip = node.tooltip ?? node.text;
        item.contextValue = 'message';
        return item;
      }
    }
  }

  dispose(): void {
    if (this.unloadTimer) clearTimeout(this.unloadTimer);
    if (this.activityTimer) clearTimeout(this.activityTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.changed.dispose();
    this.loaded.dispose();
    this.refreshed.dispose();
  }
}

/** The model name behind a tree node (or a plain string argument). */
export function modelNameOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg.trim() || undefined;
  if (arg && typeof arg === 'object' && 'kind' in arg) {
    const n = arg as ModelsNode;
    if (n.kind === 'model' || n.kind === 'running') return n.model.name;
  }
  return undefined;
}

function sectionItem(node: Extract<ModelsNode, { kind: 'section' }>): vscode.TreeItem {
  const installed = node.section === 'installed';
  const n = node.models.length;
  const item = new vscode.TreeItem(
    installed ? vscode.l10n.t('Installed') : vscode.l10n.t('Running'),
    n > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
  );
  // An empty section is a leaf; VS Code keeps a row's collapsed state by id, so a section that gets
  // its first model under the same id would stay collapsed (its models hidden). Another id when empty.
  item.id = n > 0 ? `section/${node.section}` : `section/${node.section}/empty`;
  item.description = n > 0 ? String(n) : installed ? vscode.l10n.t('none') : vscode.l10n.t('no model loaded');
  item.iconPath = new vscode.ThemeIcon(installed ? 'library' : 'pulse');
  item.tooltip = installed
    ? vscode.l10n.t('Models installed on the server ({0})', n)
    : vscode.l10n.t('Models loaded in memory ({0})', n);
  item.contextValue = `section-${node.section}`;
  return item;
}

const locale = () => vscode.env.language;

function when(iso: string | undefined): { relative: string; absolute: string } | undefined {
  const ms = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(ms) || ms <= 0) return undefined;
  return { relative: formatRelative(ms, Date.now(), locale()), absolute: new Date(ms).toLocaleString(locale()) };
}

function installedItem(m: ModelResponse, running: RunningModel | undefined): vscode.TreeItem {
  const d = m.details ?? {};
  const modified = when(m.modified_at);
  const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.None);
  item.id = `installed/${m.name}`;
  item.description = [d.family, d.parameter_size, d.quantization_level, formatBytes(m.size), modified?.relative].filter(Boolean).join(' · ');
  const lines = [
    `**${m.name}**`,
    d.family ? vscode.l10n.t('Family: {0}', d.family) : '',
    d.parameter_size ? vscode.l10n.t('Parameters: {0}', d.parameter_size) : '',
    d.quantization_level ? vscode.l10n.t('Quantization: {0}', d.quantization_level) : '',
    vscode.l10n.t('Size on disk: {0}', formatBytes(m.size)),
    modified ? vscode.l10n.t('Modified: {0} ({1})', modified.absolute, modified.relative) : '',
    m.capabilities?.length ? vscode.l10n.t('Capabilities: {0}', m.capabilities.join(', ')) : '',
    running ? vscode.l10n.t('Loaded in memory') : '',
  ];
  item.tooltip = new vscode.MarkdownString(lines.filter(Boolean).join('  \n'));
  item.iconPath = running ? new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('charts.green')) : new vscode.ThemeIcon('vm');
  item.contextValue = 'model';
  return item;
}

/** "100% GPU", "100% CPU", "48% CPU / 52% GPU". */
export function processorText(size: number, sizeVram: number): string {
  const s = processorSplit(size, sizeVram);
  if (!s) return vscode.l10n.t('GPU share unknown');
  if (s.cpuPercent === 0) return vscode.l10n.t('{0}% GPU', s.gpuPercent);
  if (s.gpuPercent === 0) return vscode.l10n.t('{0}% CPU', s.cpuPercent);
  return vscode.l10n.t('{0}% CPU / {1}% GPU', s.cpuPercent, s.gpuPercent);
}

/** "unloads in 29:59" (counting down), "unloads in 3 days" beyond a day, or "stays loaded forever"
 * for a negative keep_alive. */
export function unloadText(expiresAt: string | undefined): string {
  const now = Date.now();
  const x = expiryOf(expiresAt, now);
  if (x.kind === 'forever') return vscode.l10n.t('stays loaded forever');
  if (x.kind === 'unknown') return '';
  const clock = formatCountdown(x.ms, now);
  return clock !== undefined ? vscode.l10n.t('unloads in {0}', clock) : vscode.l10n.t('unloads {0}', formatRelative(x.ms, now, locale()));
}

function runningItem(m: RunningModel): vscode.TreeItem {
  const item = new vscode.TreeItem(m.name, vscode.TreeItemCollapsibleState.None);
  item.id = `running/${m.name}`;
  const unload = unloadText(m.expires_at);
  item.description = [formatBytes(m.size), processorText(m.size, m.size_vram), unload].filter(Boolean).join(' · ');
  const x = expiryOf(m.expires_at, Date.now());
  const lines = [
    `**${m.name}**`,
    vscode.l10n.t('Memory: {0}', formatBytes(m.size)),
    vscode.l10n.t('VRAM: {0} ({1})', formatBytes(m.size_vram), processorText(m.size, m.size_vram)),
    m.context_length ? vscode.l10n.t('Context length: {0}', m.context_length) : '',
    x.kind === 'at' ? vscode.l10n.t('Unloads at {0} ({1})', new Date(x.ms).toLocaleString(locale()), formatRelative(x.ms, Date.now(), locale())) : unload,
  ];
  item.tooltip = new vscode.MarkdownString(lines.filter(Boolean).join('  \n'));
  item.iconPath = new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('charts.green'));
  item.contextValue = 'modelRunning';
  return item;
}
