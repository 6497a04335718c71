// A webview view's host, for any feature: the HTML with a strict CSP and a fresh nonce (scripts
// and styles only from dist/webview and media), the ready handshake (nothing is posted until the
// webview says `ready`; a hidden view loses its DOM and says `ready` again when shown, so the
// feature sends its whole state then), posting, revealing, and the check of every message the
// webview sends (it renders untrusted content, so a message is a request, never an order). The
// feature supplies the check and what to do with checked messages.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export type Checked<M> = { ok: true; message: M } | { ok: false; reason: string };

export interface WebviewViewSpec<FromWebview> {
  viewId: string;
  extensionUri: vscode.Uri;
  /** The script bundle, relative to dist/webview (e.g. `main.js`). */
  script: string;
  /** The style sheet, relative to media (e.g. `chat.css`). */
  style: string;
  /** Checks a message from the webview: its type known, its fields typed and bounded. */
  check(raw: unknown): Checked<FromWebview>;
}

export interface WebviewViewHandlers<FromWebview> {
  /** The webview (re)loaded and is ready: send it everything. */
  onReady(): void;
  onMessage(m: FromWebview): void;
  /** A message the check refused (`raw` as it came, for a feature that answers some refusals). */
  onRefused(reason: string, raw: unknown): void;
}

export class WebviewViewHost<ToWebview, FromWebview> implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private readyWaiters: Array<() => void> = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly interceptors = new Set<(raw: unknown) => boolean>();

  constructor(private readonly spec: WebviewViewSpec<FromWebview>, private readonly handlers: WebviewViewHandlers<FromWebview>) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const roots = [vscode.Uri.joinPath(this.spec.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.spec.extensionUri, 'media')];
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: roots };
    view.webview.html = this.html(view.webview);
    this.disposables.push(
      view.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      view.onDidChangeVisibility(() => { if (!view.visible) this.ready = false; }),
      view.onDidDispose(() => { if (this.view === view) { this.view = undefined; this.ready = false; } }),
    );
  }

  private receive(raw: unknown): void {
    if (typeof raw === 'object' && raw !== null && (raw as { type?: unknown }).type === 'ready') {
      this.ready = true;
      this.handlers.onReady();
      for (const w of this.readyWaiters.splice(0)) w();
      return;
    }
    for (const f of this.interceptors) if (f(raw)) return;
    const c = this.spec.check(raw);
    if (c.ok) this.handlers.onMessage(c.message);
    else this.handlers.onRefused(c.reason, raw);
  }

  /** Posts when the webview is ready; otherwise drops the message (the state goes again on `ready`). */
  post(m: ToWebview): boolean { return this.postRaw(m); }

  /** Posts any message (a protocol layered on this one: the test protocol). */
  postRaw(m: unknown): boolean {
    if (!this.view || !this.ready) return false;
    void this.view.webview.postMessage(m);
    return true;
  }

  /** Sees raw messages before the check; returning true takes the message (the test protocol). */
  intercept(f: (raw: unknown) => boolean): vscode.Disposable {
    this.interceptors.add(f);
    return new vscode.Disposable(() => this.interceptors.delete(f));
  }

  get isReady(): boolean { return !!this.view && this.ready; }
  get visible(): boolean { return !!this.view?.visible; }

  /** Shows the view and waits until its webview is ready; false after `timeoutMs`. */
  async reveal(preserveFocus = false, timeoutMs = 15000): Promise<boolean> {
    const focus = `${this.spec.viewId}.focus`;
    if (this.view) this.view.show(preserveFocus);
    else await vscode.commands.executeCommand(focus);
    if (!preserveFocus && this.view) await vscode.commands.executeCommand(focus);
    return this.whenReady(timeoutMs);
  }

  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.isReady) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => { clearTimeout(t); resolve(true); };
      const t = setTimeout(() => { this.readyWaiters = this.readyWaiters.filter((w) => w !== done); resolve(false); }, timeoutMs);
      this.readyWaiters.push(done);
    });
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(18).toString('base64');
    const bundle = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.spec.extensionUri, 'dist', 'webview', name)).toString();
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.spec.extensionUri, 'media', this.spec.style));
    const csp = [
      `default-src 'none'`,
      `script-src 'nonce-${nonce}'`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    const lang = vscode.env.language.replace(/[^A-Za-z0-9-]/g, '');
    return `<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}" nonce="${nonce}">
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${bundle(this.spec.script)}"></script>
</body>
</html>`;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.interceptors.clear();
    this.view = undefined;
  }
}
