// The language-model tools the extension gives other agents (VS Code's chat, other extensions through
// vscode.lm.invokeTool): their inputs checked, whether an invocation sends data off this machine
// (then VS Code asks the user first), and the model list as the tool returns it. Pure: no vscode.
import { isLoopback } from '../http/proxy';
import type { ModelSummary } from '../llm/types';

/** Input of the translate tool. */
export interface TranslateToolInput { text: string; targetLanguage?: string }
/** Input of the run-a-prompt tool. */
export interface RunPromptToolInput { model: string; prompt: string; system?: string }

/** A tool input that does not match its schema: the message says what is wrong (it goes back to
 * the model that made the call, which can correct it). */
export class ToolInputError extends Error {
  constructor(message: string) { super(message); this.name = 'ToolInputError'; }
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function str(o: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) throw new ToolInputError(`"${key}" is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new ToolInputError(`"${key}" must be a string`);
  if (required && !v.trim()) throw new ToolInputError(`"${key}" must not be empty`);
  return v;
}

export function translateToolInput(input: unknown): TranslateToolInput {
  if (!isObject(input)) throw new ToolInputError('the input must be an object');
  const text = str(input, 'text', true)!;
  const target = str(input, 'targetLanguage', false)?.trim();
  return { text, ...(target ? { targetLanguage: target } : {}) };
}

export function runPromptToolInput(input: unknown): RunPromptToolInput {
  if (!isObject(input)) throw new ToolInputError('the input must be an object');
  const model = str(input, 'model', true)!.trim();
  const prompt = str(input, 'prompt', true)!;
  const system = str(input, 'system', false);
  return { model, prompt, ...(system ? { system } : {}) };
}

/**
 * True when a request to `url` leaves this machine: its host is not a loopback address. In a
 * remote window "this machine" is the one the extension host runs on (where the workspace is).
 * An unparsable URL counts as leaving (ask rather than not).
 */
export function leavesMachine(url: string): boolean {
  try { return !isLoopback(new URL(url).hostname); } catch { return true; }
}

/** A loaded model as /api/ps tells it. */
export interface RunningSummary { name: string; sizeVramBytes?: number; contextLength?: number; expiresAt?: string }

/** What the list-models tool returns: JSON a model can read (names as the server lists them). */
export function modelListResult(server: string, models: readonly ModelSummary[], running: readonly RunningSummary[] | undefined): string {
  return JSON.stringify({
    server,
    models: models.map((m) => ({
      name: m.name,
      ...(m.family ? { family: m.family } : {}),
      ...(m.parameterSize ? { parameterSize: m.parameterSize } : {}),
      ...(m.quantization ? { quantization: m.quantization } : {}),
      ...(m.sizeBytes !== undefined ? { sizeBytes: m.sizeBytes } : {}),
      ...(m.capabilities ? { capabilities: m.capabilities } : {}),
    })),
    ...(running ? { loaded: running.map((r) => ({ name: r.name, ...(r.contextLength ? { contextLength: r.contextLength } : {}), ...(r.sizeVramBytes !== undefined ? { sizeVramBytes: r.sizeVramBytes } : {}), ...(r.expiresAt ? { expiresAt: r.expiresAt } : {}) })) } : {}),
  });
}
