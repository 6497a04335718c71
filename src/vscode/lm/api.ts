// The parts of VS Code's AI API this extension uses that are newer than the VS Code it requires
// (engines.vscode ^1.99, @types/vscode 1.99): declared here, and looked up at runtime, so the rest of
// the extension works unchanged on a VS Code without them. Shapes from @types/vscode 1.104.0
// (`LanguageModelChatProvider` L20514, `LanguageModelChatInformation` L20415,
// `ProvideLanguageModelChatResponseOptions` L20387, `LanguageModelChatRequestMessage` L20482,
// `lm.registerLanguageModelChatProvider` L20676), 1.106 (`LanguageModelDataPart`), and VS Code's
// extension host (`LanguageModelThinkingPart`: exported at runtime since about 1.105, typed only in
// the `languageModelThinkingPart` proposal; the host forwards it as a "thinking" part).
import * as vscode from 'vscode';

/** A model as a provider describes it to VS Code (1.104 `LanguageModelChatInformation`). */
export interface LmChatInformation {
  readonly id: string;
  readonly name: string;
  readonly family: string;
  readonly version: string;
  readonly tooltip?: string;
  /** Shown beside the name in the model picker. */
  readonly detail?: string;
  readonly maxInputTokens: number;
  readonly maxOutputTokens: number;
  readonly capabilities: { readonly imageInput?: boolean; readonly toolCalling?: boolean | number };
}

/** 1.104 `LanguageModelChatRequestMessage`: role User = 1, Assistant = 2 (System = 3 is a proposal). */
export interface LmChatRequestMessage {
  readonly role: vscode.LanguageModelChatMessageRole;
  readonly content: ReadonlyArray<unknown>;
  readonly name: string | undefined;
}

/** 1.104 `ProvideLanguageModelChatResponseOptions`. */
export interface LmResponseOptions {
  readonly modelOptions?: { readonly [name: string]: unknown };
  readonly tools?: readonly vscode.LanguageModelChatTool[];
  readonly toolMode: vscode.LanguageModelChatToolMode;
}

/** 1.104 `LanguageModelChatProvider`. */
export interface LmChatProvider<T extends LmChatInformation = LmChatInformation> {
  readonly onDidChangeLanguageModelChatInformation?: vscode.Event<void>;
  provideLanguageModelChatInformation(options: { readonly silent: boolean }, token: vscode.CancellationToken): vscode.ProviderResult<T[]>;
  provideLanguageModelChatResponse(model: T, messages: readonly LmChatRequestMessage[], options: LmResponseOptions, progress: vscode.Progress<unknown>, token: vscode.CancellationToken): Thenable<void>;
  provideTokenCount(model: T, text: string | LmChatRequestMessage, token: vscode.CancellationToken): Thenable<number>;
}

export type RegisterProvider = (vendor: string, provider: LmChatProvider) => vscode.Disposable;

/** The LanguageModelChatMessageRole of a system message (proposal `languageModelSystem`). */
export const SYSTEM_ROLE = 3;

function member(obj: unknown, name: string): unknown {
  return obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[name] : undefined;
}

/** `vscode.lm.registerLanguageModelChatProvider`, when this VS Code has it (1.104+). */
export function providerApi(): RegisterProvider | undefined {
  const f = member(vscode.lm, 'registerLanguageModelChatProvider');
  return typeof f === 'function' ? (f as RegisterProvider).bind(vscode.lm) : undefined;
}

/** `vscode.lm.registerTool` (1.95+), when present. */
export function toolApi(): typeof vscode.lm.registerTool | undefined {
  const f = member(vscode.lm, 'registerTool');
  return typeof f === 'function' ? (f as typeof vscode.lm.registerTool).bind(vscode.lm) : undefined;
}

/** `vscode.chat.createChatParticipant` (1.90+), when present. */
export function participantApi(): typeof vscode.chat.createChatParticipant | undefined {
  const f = member(member(vscode, 'chat'), 'createChatParticipant');
  return typeof f === 'function' ? (f as typeof vscode.chat.createChatParticipant).bind(vscode.chat) : undefined;
}

/** 1.106 `LanguageModelDataPart`: bytes with a MIME type (images, JSON, text). */
export interface LmDataPart { readonly mimeType: string; readonly data: Uint8Array }
type DataPartClass = abstract new (...args: never[]) => LmDataPart;

/** The `LanguageModelDataPart` class, when this VS Code has it. */
export function dataPartClass(): DataPartClass | undefined {
  const c = member(vscode, 'LanguageModelDataPart');
  return typeof c === 'function' ? (c as DataPartClass) : undefined;
}

/** `LanguageModelThinkingPart(value, id?, metadata?)`: reasoning in a response. */
export type ThinkingPartClass = new (value: string | string[], id?: string) => { readonly value: string | string[] };

/** The `LanguageModelThinkingPart` class, when this VS Code exports it (never required). */
export function thinkingPartClass(): ThinkingPartClass | undefined {
  try {
    const c = member(vscode, 'LanguageModelThinkingPart');
    return typeof c === 'function' ? (c as ThinkingPartClass) : undefined;
  } catch {
    return undefined;
  }
}
