// Helpers for the chat tests in the real extension host: the chat part of the extension's test API
// (state, driving the webview, reading its DOM report).
import type { DomReport, TestOp } from '../../src/shared/chatTestProtocol';
import type { ChatTestState } from '../../src/vscode/testApi';
import { testApi } from './helpers';

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

export async function chatTest<T>(r: ChatTestRequest): Promise<T> {
  const chat = (await testApi()).chat;
  switch (r.op) {
    case 'state': return await chat.state() as T;
    case 'reveal': return await chat.reveal() as T;
    case 'idle': return await chat.idle() as T;
    case 'webview': return chat.webview<T>(r.test);
    case 'switch': return await chat.switchTo(r.id) as T;
    case 'delete': return await chat.deleteSession(r.id) as T;
    case 'newChat': return await chat.newChat() as T;
    case 'confirmations': return chat.confirmations(r.answer) as T;
  }
}
export const chatState = (): Promise<ChatTestState> => chatTest<ChatTestState>({ op: 'state' });
export const webview = <T = unknown>(test: TestOp): Promise<T> => chatTest<T>({ op: 'webview', test });
export const domReport = (): Promise<DomReport> => webview<DomReport>({ op: 'report' });
export async function idle(): Promise<ChatTestState> { return chatTest<ChatTestState>({ op: 'idle' }); }
