// Registers the chat feature: the sidebar webview view, its controller (state, history, streaming)
// and the chat commands. Test builds also get `ollamaAssistant.chat.test`, which lets the
// integration tests read the state and drive the webview the way a user would.
import * as vscode from 'vscode';
import type { TestOp } from '../../shared/chatProtocol';
import type { ExtensionContextOwner } from '../context';
import type { ConnectionMonitor } from '../status';
import { ChatController } from './controller';
import { CHAT_VIEW_ID, ChatViewProvider } from './view';
import { COMMAND } from '../ids';

export type ChatTestRequest =
  | { op: 'state' }
  | { op: 'reveal' }
  | { op: 'idle' }
  | { op: 'webview'; test: TestOp }
  | { op: 'switch'; id: string }
  | { op: 'delete'; id: string }
  | { op: 'newChat' }
  /** Answer the chat's confirmations (pull, clear, attach a file) with `answer` instead of dialogs
   * (omitted: the dialogs again); resolves with the questions asked since the last call. */
  | { op: 'confirmations'; answer?: boolean };

export function registerChat(ctx: ExtensionContextOwner, monitor: ConnectionMonitor): void {
  const controller = new ChatController(ctx, monitor);
  const provider = new ChatViewProvider(ctx.ext.extensionUri, {
    onMessage: (m) => controller.onMessage(m),
    onReady: () => controller.onReady(),
  });
  controller.attach(provider);
  // The controller is disposed last so that its final save sees the answer as it was.
  ctx.own(provider);
  ctx.own(vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, provider));
  const cmd = (id: string, f: (...args: unknown[]) => unknown) => ctx.own(vscode.commands.registerCommand(id, f));
  cmd(COMMAND.chatFocus, () => provider.reveal(false));
  cmd(COMMAND.chatNewSession, async () => { await controller.newChat(); await provider.reveal(false); });
  cmd(COMMAND.chatShowHistory, () => controller.showHistory());
  cmd(COMMAND.chatClear, () => controller.clear());
  cmd(COMMAND.chatAskAboutSelection, () => controller.askAboutSelection());
  cmd(COMMAND.chatAttachActiveFile, () => controller.attachActiveFile());
  cmd(COMMAND.chatAttachImage, () => controller.pickImages());
  cmd(COMMAND.chatStop, () => controller.stop());
  cmd(COMMAND.chatSelectModel, () => controller.pickModel());
  if (ctx.ext.extensionMode === vscode.ExtensionMode.Test) {
    cmd('ollamaAssistant.chat.test', async (arg: unknown) => {
      const r = arg as ChatTestRequest;
      await controller.whenLoaded();
      switch (r.op) {
        case 'state': return controller.testState();
        case 'reveal': return provider.reveal(true);
        case 'idle': await controller.testIdle(); return controller.testState();
        case 'webview': return controller.testWebview(r.test);
        case 'switch': return controller.switchTo(r.id);
        case 'delete': await controller.deleteSession(r.id); return controller.testState();
        case 'newChat': await controller.newChat(); return controller.testState();
        case 'confirmations': return controller.testConfirmations(r.answer);
        default: throw new Error(`unknown chat test op ${JSON.stringify(r)}`);
      }
    });
  }
  ctx.own(controller);
}
