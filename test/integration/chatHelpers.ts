// Helpers for the chat tests in the real extension host: the test-only command of the chat
// feature (state, driving the webview, reading its DOM report).
import * as vscode from 'vscode';
import type { DomReport, TestOp } from '../../src/shared/chatProtocol';
import type { ChatTestRequest } from '../../src/vscode/chat';
import type { ChatTestState } from '../../src/vscode/chat/controller';

export const chatTest = <T>(r: ChatTestRequest): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>('ollamaAssistant.chat.test', r));
export const chatState = (): Promise<ChatTestState> => chatTest<ChatTestState>({ op: 'state' });
export const webview = <T = unknown>(test: TestOp): Promise<T> => chatTest<T>({ op: 'webview', test });
export const domReport = (): Promise<DomReport> => webview<DomReport>({ op: 'report' });
export async function idle(): Promise<ChatTestState> { return chatTest<ChatTestState>({ op: 'idle' }); }

