// Registers the chat feature: the sidebar webview view (a WebviewViewHost that checks every message
// with chatProtocol's checkFromWebview), its controller and the chat commands.
import * as vscode from 'vscode';
import { checkFromWebview, type FromWebview, type ToWebview } from '../../shared/chatProtocol';
import type { ExtensionContextOwner } from '../context';
import { COMMAND, VIEW } from '../ids';
import type { ConnectionMonitor } from '../status';
import { WebviewViewHost } from '../webview/host';
import { ChatController, type ChatViewHost } from './controller';

/** What the chat feature is made of (the test API reads it). */
export interface ChatFeature { controller: ChatController; view: ChatViewHost }

export function registerChat(ctx: ExtensionContextOwner, monitor: ConnectionMonitor): ChatFeature {
  const controller = new ChatController(ctx, monitor);
  const view = new WebviewViewHost<ToWebview, FromWebview>(
    { viewId: VIEW.chat, extensionUri: ctx.ext.extensionUri, script: 'main.js', style: 'chat.css', check: checkFromWebview },
    {
      onReady: () => controller.onReady(),
      onMessage: (m) => controller.onMessage(m),
      onRefused: (reason, raw) => controller.onRefused(reason, raw),
    },
  );
  controller.attach(view);
  // The controller is disposed last so that its final save sees the answer as it was.
  ctx.own(view);
  ctx.own(vscode.window.registerWebviewViewProvider(VIEW.chat, view));
  const cmd = (id: string, f: (...args: unknown[]) => unknown) => ctx.own(vscode.commands.registerCommand(id, f));
  cmd(COMMAND.chatFocus, () => view.reveal(false));
  cmd(COMMAND.chatNewSession, async () => { await controller.newChat(); await view.reveal(false); });
  cmd(COMMAND.chatShowHistory, () => controller.showHistory());
  cmd(COMMAND.chatClear, () => controller.clear());
  cmd(COMMAND.chatAskAboutSelection, () => controller.attachments.askAboutSelection());
  cmd(COMMAND.chatAttachActiveFile, () => controller.attachments.attachActiveFile());
  cmd(COMMAND.chatAttachImage, () => controller.attachments.pickImages());
  cmd(COMMAND.chatStop, () => controller.stop());
  cmd(COMMAND.chatSelectModel, () => controller.pickModel());
  cmd(COMMAND.chatMention, async () => { await view.reveal(false); await controller.mention(); });
  cmd(COMMAND.contextRebuildIndex, () => controller.search.rebuild(true));
  cmd(COMMAND.contextClearIndex, () => controller.search.clear());
  ctx.own(controller);
  return { controller, view };
}
