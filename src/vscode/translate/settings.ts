// Typed access to the ollamaAssistant.translation.* settings, read once per command so a job runs
// with one consistent set of options even if the user edits settings meanwhile.
import * as vscode from 'vscode';
import { DEFAULT_CONCURRENCY, DEFAULT_TARGET, type Glossary } from '../../core/translate';
import { modelFor, SECTION } from '../config';

export type OutputMode = 'replace' | 'insertBelow' | 'sideBySide' | 'copy';
export const OUTPUT_MODES: readonly OutputMode[] = ['replace', 'insertBelow', 'sideBySide', 'copy'];

export interface TranslationSettings {
  model: string;
  target: string;
  outputMode: OutputMode | 'ask';
  parallelRequests: number;
  chunkChars: number;
  subtitleBatchSize: number;
  bilingualSubtitles: boolean;
  glossary: Glossary;
}

function int(v: unknown, dflt: number, min: number, max: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.floor(v))) : dflt;
}

export function isOutputMode(v: unknown): v is OutputMode {
  return typeof v === 'string' && (OUTPUT_MODES as readonly string[]).includes(v);
}

export function readTranslationSettings(): TranslationSettings {
  const c = vscode.workspace.getConfiguration(`${SECTION}.translation`);
  const mode = c.get<string>('outputMode');
  const rawGlossary = c.get<Record<string, unknown>>('glossary') ?? {};
  const glossary: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawGlossary)) if (k.trim() && typeof v === 'string' && v.trim()) glossary[k] = v;
  return {
    model: modelFor('translation'),
    target: (c.get<string>('targetLanguage') ?? '').trim() || DEFAULT_TARGET,
    outputMode: isOutputMode(mode) || mode === 'ask' ? mode : 'sideBySide',
    parallelRequests: int(c.get('parallelRequests'), DEFAULT_CONCURRENCY, 1, 32),
    chunkChars: int(c.get('chunkChars'), 1500, 200, 20000),
    subtitleBatchSize: int(c.get('subtitleBatchSize'), 30, 1, 200),
    bilingualSubtitles: c.get<boolean>('bilingualSubtitles') === true,
    glossary,
  };
}
