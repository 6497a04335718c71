// The "Diagnose Problems" command: runs core/diagnose against the backend the features use and
// opens the findings as a plain-text report the user can copy into a bug report: one line per check
// (✓ fine, ⚠ worth knowing, ✗ broken, · information) with the remedy under it, secrets redacted
// (the API token, header values, credentials in the endpoint or proxy URL). Also written to the
// Output channel. The command returns the report (text and lines) for tests.
import * as vscode from 'vscode';
import { diagnose, redactSecrets, type Diagnosis, type FeatureFinding, type DiagnosedFeature } from '../core/diagnose/diagnose';
import { selectProxy } from '../core/http/proxy';
import { formatBytes, processorSplit } from '../core/models/format';
import type { ExtensionContextOwner } from './context';
import { endpointSourceSentence, generationDefaults, modelFor, modelSetting, readConnectionConfig } from './config';
import { describeError } from './errors';
import { COMMAND, STORAGE_KEY } from './ids';

export type DiagnoseMark = '✓' | '⚠' | '✗' | '·';

export interface DiagnoseLine {
  mark: DiagnoseMark;
  /** Which check (stable, for tests): endpoint, proxy, ca, token, model:<feature>, fim, context:<feature>, thinking:<feature>, request:<feature>, loaded. */
  check: string;
  text: string;
  /** What to do about it. */
  remedy?: string;
}

export interface DiagnoseReport {
  /** The whole report as shown (redacted). */
  text: string;
  lines: DiagnoseLine[];
}

const FEATURES: readonly DiagnosedFeature[] = ['chat', 'completion', 'translation', 'embeddings'];

function featureName(f: DiagnosedFeature): string {
  switch (f) {
    case 'chat': return vscode.l10n.t('Chat');
    case 'completion': return vscode.l10n.t('Inline completion');
    case 'translation': return vscode.l10n.t('Translation');
    case 'embeddings': return vscode.l10n.t('Embeddings');
  }
}

const ms = (x: number): string => String(Math.round(x));

/** The findings as report lines, in the order a user checks them. */
export function reportLines(d: Diagnosis, env: { url: string; proxy?: string; ca?: string; sourceSentence?: string }): DiagnoseLine[] {
  const lines: DiagnoseLine[] = [];
  const add = (mark: DiagnoseMark, check: string, text: string, remedy?: string): void => { lines.push({ mark, check, text, ...(remedy ? { remedy } : {}) }); };

  if (d.endpoint.ok) {
    const p = d.endpoint.value;
    const what = p.server === 'ollama' ? vscode.l10n.t('Ollama {0}', p.version ?? '?')
      : p.server ? vscode.l10n.t('an OpenAI-compatible server ({0})', p.server) : vscode.l10n.t('an OpenAI-compatible server');
    add('✓', 'endpoint', p.models.length === 1 ? vscode.l10n.t('Endpoint {0} answers in {1} ms: {2}, 1 model.', env.url, ms(d.endpoint.ms), what) : vscode.l10n.t('Endpoint {0} answers in {1} ms: {2}, {3} models.', env.url, ms(d.endpoint.ms), what, p.models.length));
  } else {
    add('✗', 'endpoint', vscode.l10n.t('Endpoint {0} does not answer: {1}', env.url, describeError(d.endpoint.error, env.url)),
      vscode.l10n.t('Start the server (`ollama serve`) or correct ollamaAssistant.endpoint (User settings), then run Diagnose again.'));
  }
  // (An unreachable endpoint's sentence already says where it came from.)
  if (env.sourceSentence && d.endpoint.ok) add('·', 'endpoint-source', env.sourceSentence);
  add('·', 'proxy', env.proxy ? vscode.l10n.t('Proxy: requests go through {0} (http.proxy or the environment).', env.proxy) : vscode.l10n.t('Proxy: none (direct connection).'));
  add('·', 'ca', env.ca ? vscode.l10n.t('Extra CA certificate: {0}.', env.ca) : vscode.l10n.t('Extra CA certificate: none.'));
  switch (d.token) {
    case 'none': add('·', 'token', vscode.l10n.t('API token: none stored.')); break;
    case 'accepted': add('✓', 'token', vscode.l10n.t('API token: stored and not refused (Ollama itself does not check tokens; a proxy in front of it may).')); break;
    case 'refused': add('✗', 'token', vscode.l10n.t('API token: refused by the server.'), vscode.l10n.t('Run "Ollama: Set API Token" with a valid token.')); break;
    case 'unknown': add('·', 'token', vscode.l10n.t('API token: stored; not checked (the server did not answer).')); break;
  }

  for (const f of d.features) featureLines(f, d, add);

  if (d.loaded) {
    if (!d.loaded.ok) add('⚠', 'loaded', vscode.l10n.t('Loaded models: cannot tell ({0}).', describeError(d.loaded.error, env.url)));
    else if (!d.loaded.value.length) add('·', 'loaded', vscode.l10n.t('Loaded now: no model (the first request loads one, which can take a while).'));
    else {
      const now = Date.now();
      for (const m of d.loaded.value) {
        const split = processorSplit(m.sizeBytes, m.vramBytes);
        const where = split ? (split.gpuPercent === 100 ? vscode.l10n.t('100% GPU') : split.gpuPercent === 0 ? vscode.l10n.t('100% CPU') : vscode.l10n.t('{0}% GPU / {1}% CPU', split.gpuPercent, split.cpuPercent)) : '';
        const until = m.expiresAt ? Date.parse(m.expiresAt) : NaN;
        const expiry = Number.isFinite(until) && until > now ? vscode.l10n.t('unloads in {0} min', Math.max(1, Math.round((until - now) / 60000))) : '';
        add('·', 'loaded', vscode.l10n.t('Loaded now: {0}, {1} in memory{2}{3}{4}.', m.name, formatBytes(m.sizeBytes),
          where ? ` (${where})` : '', m.contextLength ? vscode.l10n.t(', context {0} tokens', m.contextLength) : '', expiry ? `, ${expiry}` : ''));
      }
    }
  }
  return lines;
}

function featureLines(f: FeatureFinding, d: Diagnosis, add: (mark: DiagnoseMark, check: string, text: string, remedy?: string) => void): void {
  const name = featureName(f.feature);
  const setting = modelSetting(f.feature);
  if (f.skipped === 'no-model') { add('·', `model:${f.feature}`, vscode.l10n.t('{0}: no model set ({1}).', name, setting)); return; }
  // Not a failure of its own: the endpoint's ✗ above is the one fault.
  if (f.skipped === 'unreachable') { add('·', `model:${f.feature}`, vscode.l10n.t('{0} ({1}): not checked, the endpoint does not answer.', name, f.model)); return; }
  if (f.installed === false) {
    add('✗', `model:${f.feature}`, vscode.l10n.t('{0}: model {1} is not installed.', name, f.model),
      vscode.l10n.t('Pull it (Ollama: Pull Model, or `ollama pull {0}`), or set {1} to an installed model.', f.model, setting));
    return;
  }
  add(f.installed ? '✓' : '·', `model:${f.feature}`, f.installed
    ? vscode.l10n.t('{0}: model {1} is installed.', name, f.model)
    : vscode.l10n.t('{0}: model {1} (the server does not list its models).', name, f.model));

  if (f.feature === 'completion' && f.fim) {
    const fim = f.fim;
    if (fim.kind === 'unsupported') {
      const why = fim.reason === 'instruct'
        ? vscode.l10n.t('it is a chat/instruct model')
        : vscode.l10n.t('no "insert" capability and no known code-completion format');
      add('✗', 'fim', vscode.l10n.t('{0}: {1} cannot fill in the middle: {2}.', name, f.model, why),
        vscode.l10n.t('Set {0} to a code model that can, such as {1}.', setting, fim.suggestion));
    } else if (fim.kind === 'suffix') {
      add('✓', 'fim', vscode.l10n.t('{0}: fills in the middle through the server\'s template (suffix mode{1}).', name, fim.family ? `, ${fim.family}` : ''));
    } else {
      add('✓', 'fim', vscode.l10n.t('{0}: fills in the middle with a raw {1} prompt (the server\'s template has no suffix).', name, fim.family));
    }
  }
  if (f.feature !== 'embeddings') {
    const max = f.contextLength !== undefined ? vscode.l10n.t('{0} tokens', f.contextLength) : vscode.l10n.t('not reported');
    const sent = d.numCtx !== undefined ? String(d.numCtx) : vscode.l10n.t('not sent (the server\'s default, OLLAMA_CONTEXT_LENGTH)');
    const over = d.numCtx !== undefined && f.contextLength !== undefined && d.numCtx > f.contextLength;
    add(over ? '⚠' : '·', `context:${f.feature}`, vscode.l10n.t('{0}: context: model maximum {1}; num_ctx sent: {2}.', name, max, sent),
      over ? vscode.l10n.t('num_ctx is larger than the model was trained for; lower num_ctx in ollamaAssistant.options.') : undefined);
    if (f.thinking) {
      add('·', `thinking:${f.feature}`, f.thinking.supported
        ? vscode.l10n.t('{0}: the model can reason (thinking){1}.', name, f.thinking.values?.length ? vscode.l10n.t('; levels: {0}', f.thinking.values.join(', ')) : '')
        : vscode.l10n.t('{0}: the model does not reason (no thinking).', name));
    }
  }
  if (f.skipped === 'no-fim') return;
  if (f.skipped === 'unsupported-backend') { add('·', `request:${f.feature}`, vscode.l10n.t('{0}: no test request (this server has no embeddings endpoint the extension uses).', name)); return; }
  const r = f.request;
  if (!r) return;
  if (r.ok) {
    const first = r.value.firstTokenMs !== undefined ? vscode.l10n.t(', first token after {0} ms', ms(r.value.firstTokenMs)) : '';
    add('✓', `request:${f.feature}`, vscode.l10n.t('{0}: a 1-token request took {1} ms{2}.', name, ms(r.ms), first));
  } else {
    add('✗', `request:${f.feature}`, vscode.l10n.t('{0}: the 1-token request failed after {1} ms: {2}', name, ms(r.ms), describeError(r.error, '')),
      vscode.l10n.t('See the Output channel (Ollama Assistant) for the request; try the model with `ollama run {0}`.', f.model));
  }
}

/** The report as text: a header, then each line with its remedy indented under it. */
export function reportText(lines: readonly DiagnoseLine[], when: Date): string {
  const head = vscode.l10n.t('Ollama Assistant: Diagnose ({0}, VS Code {1}, {2})', when.toISOString(), vscode.version, vscode.env.remoteName ? vscode.l10n.t('remote: {0}', vscode.env.remoteName) : vscode.l10n.t('local window'));
  const body = lines.map((l) => `${l.mark} ${l.text}${l.remedy ? `\n    → ${l.remedy}` : ''}`);
  return `${head}\n\n${body.join('\n')}\n`;
}

/** Registers the command. */
/** The scheme of the report's read-only document (closing it asks nothing; it is not a file). */
const REPORT_SCHEME = 'ollama-assistant-diagnose';

export function registerDiagnose(ctx: ExtensionContextOwner): void {
  const reports = new Map<string, string>();
  ctx.own(vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, { provideTextDocumentContent: (uri) => reports.get(uri.path) }));
  ctx.own(vscode.commands.registerCommand(COMMAND.diagnose, async (): Promise<DiagnoseReport | undefined> => {
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Diagnosing Ollama Assistant…'), cancellable: true },
      async (_progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          return await run(ctx, abort.signal);
        } catch (e) {
          if (abort.signal.aborted) return undefined;
          throw e;
        } finally {
          sub.dispose();
        }
      },
    );
    if (!report) return undefined;
    for (const line of report.text.split('\n')) if (line.trim()) ctx.log.info(`diagnose: ${line}`);
    // A read-only document (not an untitled file that asks to be saved on close), in Markdown so
    // the editor wraps its long lines (VS Code wraps Markdown by default): the remedies are at the
    // ends of lines.
    const path = `/Diagnose ${new Date().toISOString().replace(/[:.]/g, '-')}.md`;
    reports.clear();
    reports.set(path, report.text);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: REPORT_SCHEME, path }));
    await vscode.window.showTextDocument(doc, { preview: false });
    return report;
  }));
}

async function run(ctx: ExtensionContextOwner, signal: AbortSignal): Promise<DiagnoseReport> {
  const config = readConnectionConfig();
  const token = await ctx.ext.secrets.get(STORAGE_KEY.apiToken);
  const { url } = await ctx.endpoint();
  const backend = await ctx.llm();
  const { options, keepAlive } = generationDefaults();
  const proxy = selectProxy(url, { ...process.env, settingProxy: config.httpProxy, settingNoProxy: config.httpNoProxy });
  const d = await diagnose({
    backend,
    features: FEATURES.map((feature) => ({ feature, model: modelFor(feature) })),
    ...(options.numCtx !== undefined ? { numCtx: options.numCtx } : {}),
    ...(keepAlive !== undefined ? { keepAlive } : {}),
    hasToken: !!token,
    signal,
  });
  const lines = reportLines(d, {
    url, ...(proxy ? { proxy } : {}), ...(config.caCertificateFile ? { ca: config.caCertificateFile } : {}), sourceSentence: endpointSourceSentence(config.endpointSource),
  });
  const secrets = [token ?? '', ...Object.values(config.headers).map((v) => (typeof v === 'string' ? v : ''))];
  const redacted = lines.map((l) => ({ ...l, text: redactSecrets(l.text, secrets), ...(l.remedy ? { remedy: redactSecrets(l.remedy, secrets) } : {}) }));
  return { lines: redacted, text: redactSecrets(reportText(redacted, new Date()), secrets) };
}
