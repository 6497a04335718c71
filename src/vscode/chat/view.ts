// The chat webview view: a strict CSP with a fresh nonce, scripts and styles only from dist/webview
// and media, and a message channel that stays closed until the webview says `ready` (a hidden view
// loses its DOM; when it is shown again it says `ready` again and gets the whole state back).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { ToWebview } from '../../shared/chatProtocol';
import { VIEW } from '../ids';

export const CHAT_VIEW_ID = VIEW.chat;

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private readyWaiters: Array<() => void> = [];
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    /** onMessage gets the message as it came: the controller checks it (checkFromWebview). */
    private readonly handlers: { onMessage: (m: unknown) => void; onReady: () => void },
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const roots = [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.extensionUri, 'media')];
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: roots };
    view.webview.html = this.html(view.webview);
    this.disposables.push(
      view.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      view.onDidChangeVisibility(() => { if (!view.visible) this.ready = false; }),
      view.onDidDispose(() => { if (this.view === view) { this.view = undefined; this.ready = false; } }),
    );
  }

  private receive(m: unknown): void {
    if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready') {
      this.ready = true;
      this.handlers.onReady();
      for (const w of this.readyWaiters.splice(0)) w();
      return;
    }
    this.handlers.onMessage(m);
  }

  /** Posts when the webview is ready; otherwise drops the message (the state goes again on `ready`). */
  post(m: ToWebview): boolean {
    if (!this.view || !this.ready) return false;
    void this.view.webview.postMessage(m);
    return true;
  }

  get isReady(): boolean { return !!this.view && this.ready; }
  get visible(): boolean { return !!this.view?.visible; }

  /** Shows the view and waits until its webview is ready. */
  async reveal(preserveFocus = false, timeoutMs = 15000): Promise<boolean> {
    if (this.view) this.view.show(preserveFocus);
    else await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    if (!preserveFocus && this.view) await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
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
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview', 'main.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'chat.css'));
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
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.view = undefined;
  }
}
