// A glossary kept as a file in the workspace (.vscode/translation-glossary.json or .csv), for teams
// to edit and share. The file is untrusted input (it comes with the repository): it can only add
// terms. Its entries never override the user's own glossary setting, never carry anything but a
// term and its translation (no model, endpoint or prompt text: other keys are ignored), and are
// bounded in number and length, each one line, so a hostile file cannot smuggle instructions into
// the prompt nor make it huge. CSV is read with csv-parse (RFC 4180: quotes, doubled quotes,
// commas and line breaks inside quotes); a first row "term,translation" is a header.
import { parse as parseCsv } from 'csv-parse/sync';
import type { Glossary } from './types';

export const MAX_GLOSSARY_ENTRIES = 2000;
export const MAX_TERM_CHARS = 100;

export interface GlossaryFileResult {
  entries: Record<string, string>;
  /** Entries left out, and why (for the log). */
  skipped: string[];
}

function clean(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  // One line of at most MAX_TERM_CHARS, no control characters.
  if (!t || t.length > MAX_TERM_CHARS || /[\u0000-\u001f\u007f\u2028\u2029]/.test(t)) return undefined;
  return t;
}

function add(out: GlossaryFileResult, term: unknown, tr: unknown): void {
  const a = clean(term);
  const b = clean(tr);
  if (a === undefined || b === undefined) { out.skipped.push(`${JSON.stringify(String(term ?? '')).slice(0, 40)}: not a one-line term and translation of at most ${MAX_TERM_CHARS} characters`); return; }
  if (Object.keys(out.entries).length >= MAX_GLOSSARY_ENTRIES) { out.skipped.push(`${a}: more than ${MAX_GLOSSARY_ENTRIES} entries`); return; }
  out.entries[a] = b;
}

/**
 * Reads a glossary file. JSON: `{"term": "translation"}`, `{"terms": {...}}` or
 * `[{"term": "...", "translation": "..."}]`. CSV: two columns (more are ignored). Throws on text
 * that is not valid JSON / CSV.
 */
export function parseGlossaryFile(text: string, kind: 'json' | 'csv'): GlossaryFileResult {
  const out: GlossaryFileResult = { entries: Object.create(null) as Record<string, string>, skipped: [] };
  const body = text.replace(/^\uFEFF/, '');
  if (kind === 'json') {
    const v = JSON.parse(body) as unknown;
    const obj = v && typeof v === 'object' && !Array.isArray(v) && 'terms' in (v as object) ? (v as { terms: unknown }).terms : v;
    if (Array.isArray(obj)) {
      for (const it of obj) if (it && typeof it === 'object') add(out, (it as Record<string, unknown>).term, (it as Record<string, unknown>).translation);
    } else if (obj && typeof obj === 'object') {
      for (const [k, val] of Object.entries(obj as Record<string, unknown>)) add(out, k, val);
    } else {
      throw new Error('expected an object of term -> translation');
    }
    return out;
  }
  const rows = parseCsv(body, { relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  rows.forEach((r, i) => {
    if (i === 0 && /^term$/i.test(r[0] ?? '') && /^translation$/i.test(r[1] ?? '')) return;
    if ((r[0] ?? '').startsWith('#')) return;
    add(out, r[0], r[1]);
  });
  return out;
}

/** The user's glossary with the file's terms added: a term the user has keeps the user's translation. */
export function mergeGlossaries(user: Glossary, file: Readonly<Record<string, string>>): Glossary {
  const have = new Set(Object.keys(user).map((k) => k.trim().toLowerCase()));
  const out: Record<string, string> = { ...user };
  for (const [k, v] of Object.entries(file)) if (!have.has(k.toLowerCase())) out[k] = v;
  return out;
}
