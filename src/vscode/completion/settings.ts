// Typed access to the `ollamaAssistant.completion.*` settings, and which changes restart completion.
import * as vscode from 'vscode';
import { generationDefaults, modelFor, SECTION } from '../config';
import type { EngineSettings } from '../../core/fim';

export const COMPLETION_MODEL_SETTING = `${SECTION}.completion.model`;

function section(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

function int(key: string, dflt: number, min: number, max: number): number {
  const v = section().get<number>(key);
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.round(v))) : dflt;
}

/** What one completion request is made of. num_ctx and keep_alive are the chat's, so that both
 * features load the model the same way and Ollama never reloads it between them. */
export function engineSettings(): EngineSettings {
  const { options, keepAlive } = generationDefaults();
  return {
    model: modelFor('completion'),
    debounceMs: int('completion.debounceMs', 250, 0, 5000),
    maxLines: int('completion.maxLines', 12, 1, 200),
    numPredict: int('completion.numPredict', 128, 8, 2048),
    ...(options.numCtx !== undefined ? { numCtx: options.numCtx } : {}),
    ...(keepAlive !== undefined ? { keepAlive } : {}),
  };
}

/** Automatic completion is on (asking by hand works regardless). */
export function completionEnabled(): boolean {
  return section().get<boolean>('completion.enabled') !== false;
}

/** `completion.languages`: the language's own entry, else `*`, else on. */
export function languageEnabled(languageId: string): boolean {
  const map = section().get<Record<string, unknown>>('completion.languages') ?? {};
  const own = map[languageId];
  if (typeof own === 'boolean') return own;
  const star = map['*'];
  return typeof star === 'boolean' ? star : true;
}

/** Settings whose change ends the streams in flight (they were asked with the old values). */
export function affectsCompletion(e: vscode.ConfigurationChangeEvent): boolean {
  return [`${SECTION}.completion`, `${SECTION}.options`, `${SECTION}.keepAlive`].some((k) => e.affectsConfiguration(k));
}
