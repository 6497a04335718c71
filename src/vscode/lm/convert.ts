// VS Code's message parts (LanguageModelTextPart, ToolCallPart, ToolResultPart, DataPart,
// ThinkingPart, PromptTsxPart) read into the core's neutral parts (core/lm/messages). The part
// classes are looked up at runtime where they are newer than the VS Code the extension requires.
import * as vscode from 'vscode';
import type { LmInMessage, LmInPart } from '../../core/lm/messages';
import { dataPartClass, SYSTEM_ROLE, thinkingPartClass, type LmChatRequestMessage, type LmDataPart } from './api';

const decoder = new TextDecoder();

/** MIME types of data parts read as text. */
const TEXT_MIME = /^(text\/|application\/(json|xml|x-yaml|yaml|javascript|typescript)\b)/i;

function dataPart(p: unknown): LmDataPart | undefined {
  const C = dataPartClass();
  return C && p instanceof C ? p : undefined;
}

/** The text of a tool result's content: text parts, prompt-tsx values as JSON, text-like data. */
export function toolResultText(content: readonly unknown[]): string {
  const out: string[] = [];
  for (const c of content) {
    if (c instanceof vscode.LanguageModelTextPart) out.push(c.value);
    else if (c instanceof vscode.LanguageModelPromptTsxPart) out.push(JSON.stringify(c.value));
    else {
      const d = dataPart(c);
      if (d && TEXT_MIME.test(d.mimeType)) out.push(decoder.decode(d.data));
      else if (d) out.push(`[${d.mimeType} data left out]`);
    }
  }
  return out.join('');
}

function readPart(p: unknown): LmInPart | undefined {
  if (p instanceof vscode.LanguageModelTextPart) return { kind: 'text', text: p.value };
  if (p instanceof vscode.LanguageModelToolCallPart) return { kind: 'toolCall', callId: p.callId, name: p.name, input: (p.input && typeof p.input === 'object' ? p.input : {}) as Record<string, unknown> };
  if (p instanceof vscode.LanguageModelToolResultPart) return { kind: 'toolResult', callId: p.callId, text: toolResultText(p.content) };
  const d = dataPart(p);
  if (d) {
    if (/^image\//i.test(d.mimeType)) return { kind: 'image', mime: d.mimeType.toLowerCase(), data: Buffer.from(d.data).toString('base64') };
    if (TEXT_MIME.test(d.mimeType)) return { kind: 'text', text: decoder.decode(d.data) };
    return undefined; // other data (usage reports, cache hints) is not for the model
  }
  const T = thinkingPartClass();
  if (T && p instanceof T) return { kind: 'thinking', text: Array.isArray(p.value) ? p.value.join('') : String(p.value) };
  return undefined;
}

/** One message of a provider request in the core's terms. */
export function readMessage(m: LmChatRequestMessage): LmInMessage {
  const role = m.role === vscode.LanguageModelChatMessageRole.Assistant ? 'assistant' : (m.role as number) === SYSTEM_ROLE ? 'system' : 'user';
  const parts: LmInPart[] = [];
  for (const p of m.content) {
    const r = readPart(p);
    if (r) parts.push(r);
  }
  return { role, parts };
}
