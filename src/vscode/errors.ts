// The one presenter of errors: any error a request can end with becomes a kind, a sentence a user
// can act on (naming the endpoint and where it came from, and in a remote window what the extension
// host can reach) and its remedies (Pull, Open Setting, Retry, Test Connection, Choose Another
// Model), in that order of usefulness. Chat, completion, translation, the model commands and the
// connection status all ask here; each surface only decides how to show the remedies (buttons on a
// notification, actions in the chat view) and what Retry means for it.
import * as vscode from 'vscode';
import { isCancel } from '../core/common/cancel';
import { isLoopback } from '../core/http/proxy';
import { classifyError, type ErrorKind } from '../core/http/classify';
import { serverErrorFact } from '../core/openai/dialect';
import { ConnectionError, EndpointNotFoundError, ModelNotFoundError, OllamaError, ProxyError, ResponseError, ResponseTooLargeError, StreamError, TimeoutError } from '../core/http/errors';
import { endpointSourceOf, endpointSourceSentence } from './config';
import { COMMAND, EDITOR_SETTING, SETTING, type SettingKey } from './ids';

export type Remedy =
  /** Download the model (the pull command shows its progress). */
  | { kind: 'pull'; model: string }
  /** Open the settings editor where `key` takes effect (ours, or VS Code's http.proxy). */
  | { kind: 'openSetting'; key: SettingKey | typeof EDITOR_SETTING.httpProxy }
  /** Do again what failed (what that is, the surface knows). */
  | { kind: 'retry' }
  | { kind: 'testConnection' }
  /** Pick another installed model (the chat's picker). */
  | { kind: 'chooseModel' };

export interface PresentedError {
  kind: ErrorKind;
  /** A complete, localised sentence. */
  message: string;
  /** What fixes it, most useful first; [] for a cancel. */
  remedies: Remedy[];
  /** modelMissing: the model the server does not have. */
  model?: string;
}

export interface PresentOptions {
  /** The endpoint the request went to (for the sentence). */
  url: string;
  /** The model asked for (when the error does not name it). */
  model?: string;
  /** The setting that names the model: a missing model offers to open it (else to choose another). */
  modelSetting?: SettingKey;
  /** Part of an answer had arrived: a broken stream is `midStream` (the part is kept). */
  partial?: boolean;
  /** Prefer the server's own words for a refused request (the model commands). */
  serverWords?: boolean;
  /** The caller's signal: any error after it aborted is a cancel. */
  signal?: AbortSignal;
}

/** A sentence a user can act on, for any client error. Errors about reaching the server also say
 * where the endpoint came from and, in a remote window, what the extension host can reach. */
export function describeError(e: unknown, url: string, o: { serverWords?: boolean } = {}): string {
  if (isCancel(e)) return vscode.l10n.t('Cancelled.');
  if (e instanceof ConnectionError) return withOrigin(vscode.l10n.t('Cannot reach the Ollama server at {0} ({1}).', url, e.code ?? e.message), url);
  if (e instanceof TimeoutError) {
    const text = vscode.l10n.t('The Ollama server at {0} did not answer in time ({1}).', url, e.phase);
    return e.phase === 'connect' ? withOrigin(text, url) : text;
  }
  if (e instanceof EndpointNotFoundError) return withOrigin(vscode.l10n.t('{0} is not an Ollama API endpoint (HTTP 404). Check the endpoint URL and path prefix.', url), url);
  if (e instanceof ModelNotFoundError) return vscode.l10n.t('Model {0} is not installed on {1}.', e.model, url);
  if (e instanceof ProxyError) return describeProxyError(e, url);
  if (e instanceof ResponseTooLargeError) {
    return vscode.l10n.t('The server at {0} sent a reply larger than {1} MiB, more than a server sends for this request; it was not read.', url, Math.round(e.limitBytes / (1 << 20)));
  }
  const fact = e instanceof ResponseError || e instanceof StreamError ? serverErrorFact(e.status, e.error) : undefined;
  if (fact && e instanceof OllamaError) {
    const words = (e as ResponseError | StreamError).error;
    switch (fact.kind) {
      case 'keyRefused':
        return withOrigin(vscode.l10n.t('The server at {0} refused the API key (HTTP {1}: {2}). Set the right one with the command "Set API Token", or clear it if the server takes none.', url, e.status ?? 401, words), url);
      case 'contextOverflow':
        return fact.promptTokens !== undefined && fact.contextTokens !== undefined
          ? vscode.l10n.t('The prompt ({0} tokens) is longer than the {1} tokens of context the server gives one request (llama.cpp: --ctx-size divided by --parallel). Start the server with a larger context or fewer slots, or shorten the conversation.', fact.promptTokens, fact.contextTokens)
          : vscode.l10n.t('The prompt is longer than the context the server gives one request ({0}).', words);
      case 'badRequestBody':
        return vscode.l10n.t('The server could not read the request as JSON (HTTP {0}: {1}): it was cut or changed on its way (a proxy?).', e.status ?? 500, words);
      case 'outputUnparsable':
        return vscode.l10n.t('The server could not parse what the model generated (HTTP {0}: {1}); this happens when a model emits broken text. Try again.', e.status ?? 500, words);
      case 'infillUnsupported':
        return vscode.l10n.t('The server cannot fill in the middle with this model: {0}', words);
    }
  }
  if (o.serverWords && (e instanceof StreamError || e instanceof ResponseError) && e.error) return e.error;
  if (e instanceof OllamaError) return e.status ? `${e.message} (HTTP ${e.status})` : e.message;
  return e instanceof Error ? e.message : String(e);
}

/** A proxy's refusal: which proxy, what it said, and for a 407 how to give it credentials (the user
 * name and password in the proxy URL, which undici sends as Proxy-Authorization). */
function describeProxyError(e: ProxyError, url: string): string {
  if (e.status !== 407) return vscode.l10n.t('The proxy {0} refused to pass requests on to {1} (HTTP {2}). Check the http.proxy and http.noProxy settings, or the HTTPS_PROXY / HTTP_PROXY / NO_PROXY environment variables of the extension host.', e.proxy, url, e.status);
  return e.credentialsSent
    ? vscode.l10n.t('The proxy {0} refused the user name and password in its URL (HTTP 407 Proxy Authentication Required) for requests to {1}. Correct them in the http.proxy setting (http://user:password@{0}) or in the HTTPS_PROXY / HTTP_PROXY environment variable of the extension host.', e.proxy, url)
    : vscode.l10n.t('The proxy {0} requires authentication (HTTP 407 Proxy Authentication Required) before it passes requests on to {1}. Put the user name and password in the proxy URL: the http.proxy setting (http://user:password@{0}) or the HTTPS_PROXY / HTTP_PROXY environment variable of the extension host.', e.proxy, url);
}

/** `text`, then where the endpoint came from and what a remote window's extension host reaches. */
function withOrigin(text: string, url: string): string {
  const source = endpointSourceOf(url);
  return [text, source ? endpointSourceSentence(source) : '', reachNote(url) ?? ''].filter(Boolean).join(' ');
}

/** In a remote window the extension runs on the remote machine: "localhost" is that machine, and any
 * other address must be reachable from there. Undefined in a local window. */
export function reachNote(url: string): string | undefined {
  const remote = vscode.env.remoteName;
  if (!remote) return undefined;
  let loopback = false;
  try { loopback = isLoopback(new URL(url).hostname); } catch { return undefined; }
  return loopback
    ? vscode.l10n.t('This is a remote window ({0}): {1} is on the remote machine where the extension runs, not on your local computer.', remote, url)
    : vscode.l10n.t('This is a remote window ({0}): requests to {1} are made from the remote machine where the extension runs.', remote, url);
}

/** The remedies of an error kind (also for a kind read back from the chat history). */
export function remediesFor(kind: ErrorKind, o: { model?: string; modelSetting?: SettingKey } = {}): Remedy[] {
  switch (kind) {
    case 'cancelled': return [];
    case 'unreachable': return [{ kind: 'openSetting', key: SETTING.endpoint }, { kind: 'retry' }];
    case 'modelMissing': return [
      ...(o.model ? [{ kind: 'pull' as const, model: o.model }] : []),
      o.modelSetting ? { kind: 'openSetting', key: o.modelSetting } : { kind: 'chooseModel' },
    ];
    default: return [{ kind: 'retry' }];
  }
}

/** What `e` means for the user and what fixes it. */
export function presentError(e: unknown, o: PresentOptions): PresentedError {
  const kind = classifyError(e, o);
  const model = e instanceof ModelNotFoundError ? e.model || o.model : undefined;
  let message: string;
  if (kind === 'modelMissing') message = vscode.l10n.t('Model {0} is not installed on {1}.', model ?? '', o.url);
  else if (kind === 'midStream') message = vscode.l10n.t('The answer broke off: {0} The part received is kept.', describeError(e, o.url));
  else message = describeError(e, o.url, o);
  // A proxy's refusal is fixed in the proxy setting, not the endpoint.
  const remedies = e instanceof ProxyError && !o.partial
    ? [{ kind: 'openSetting' as const, key: EDITOR_SETTING.httpProxy }, { kind: 'retry' as const }]
    : remediesFor(kind, { ...(model ? { model } : {}), ...(o.modelSetting ? { modelSetting: o.modelSetting } : {}) });
  return { kind, message, remedies, ...(model ? { model } : {}) };
}

/** The button label of a remedy. */
export function remedyLabel(r: Remedy): string {
  switch (r.kind) {
    case 'pull': return vscode.l10n.t('Pull {0}', r.model);
    case 'openSetting': return vscode.l10n.t('Open Setting');
    case 'retry': return vscode.l10n.t('Retry');
    case 'testConnection': return vscode.l10n.t('Test Connection');
    case 'chooseModel': return vscode.l10n.t('Choose Another Model');
  }
}

/** What a surface does for the remedies only it can carry out. */
export interface RemedyHandlers {
  retry?: () => unknown;
  chooseModel?: () => unknown;
}

/** Carries out a remedy: the shared ones through their commands, retry/chooseModel through `h`. */
export async function runRemedy(r: Remedy, h: RemedyHandlers = {}): Promise<void> {
  switch (r.kind) {
    case 'pull': await vscode.commands.executeCommand(COMMAND.modelsPull, r.model); break;
    case 'openSetting': await vscode.commands.executeCommand(COMMAND.openSetting, r.key); break;
    case 'testConnection': await vscode.commands.executeCommand(COMMAND.testConnection); break;
    case 'retry': await h.retry?.(); break;
    case 'chooseModel': await h.chooseModel?.(); break;
  }
}

/** An extra button beside the remedies (Resume, Use another model…). */
export interface ExtraButton { label: string; run: () => unknown }

export interface ShowOptions extends RemedyHandlers {
  /** Default: error. */
  severity?: 'error' | 'warning' | 'info';
  /** Buttons after the remedies' own. */
  extra?: readonly ExtraButton[];
  /** Called when the notification is answered or dismissed, before anything is carried out. */
  onAnswered?: () => void;
  /** A remedy that failed (its command threw). */
  onError?: (e: unknown) => void;
}

/**
 * Shows `message` as a notification with a button per remedy (then `extra`), and carries out the
 * one picked. Returns at once; the notification stays until it is answered.
 */
export function showWithRemedies(message: string, remedies: readonly Remedy[], o: ShowOptions = {}): void {
  const buttons = [...remedies.map((r) => ({ label: remedyLabel(r), run: () => runRemedy(r, o) })), ...(o.extra ?? [])];
  const show = o.severity === 'warning' ? vscode.window.showWarningMessage : o.severity === 'info' ? vscode.window.showInformationMessage : vscode.window.showErrorMessage;
  void Promise.resolve(show(message, ...buttons.map((b) => b.label))).then(async (pick) => {
    o.onAnswered?.();
    const b = buttons.find((x) => x.label === pick);
    if (!b) return;
    try { await b.run(); } catch (e) { o.onError?.(e); }
  });
}
