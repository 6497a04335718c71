// What to offer while typing a Modelfile: instructions at the start of a line, parameter names
// after PARAMETER, roles after MESSAGE. Pure data and string matching; the editor adapter turns
// the items into CompletionItems (and hovers from the same docs).

import { parseModelfile } from './parser';
import { INSTRUCTIONS, MESSAGE_ROLES, PARAMETERS, type ParameterSpec } from './spec';

export type CompletionKind = 'instruction' | 'parameter' | 'role';

export interface ModelfileCompletion {
  label: string;
  detail: string;
  /** Markdown. */
  documentation: string;
  /** Plain text to insert. */
  insertText: string;
  /** A richer VS Code snippet (`$0` = cursor), when there is one. */
  snippet?: string;
  kind: CompletionKind;
  /** 0-based character where the word being completed starts (replace from here to the cursor). */
  replaceStart: number;
  /** The editor should open suggestions again after inserting (PARAMETER → names, MESSAGE → roles). */
  retrigger?: boolean;
}

const BLOCK = new Set(['template', 'system', 'license']);

export function parameterDocumentation(p: ParameterSpec): string {
  return `${p.documentation}\n\nType: \`${p.type}\` · Default: ${p.default}`;
}

/** Completions for a line, from its text and the 0-based cursor character. */
export function completionsAt(lineText: string, character: number): ModelfileCompletion[] {
  const before = lineText.slice(0, character);

  let m = /^([ \t]*)([A-Za-z]*)$/.exec(before);
  if (m) {
    const prefix = m[2].toLowerCase();
    const replaceStart = m[1].length;
    return INSTRUCTIONS.filter((i) => i.name.startsWith(prefix)).map((i) => ({
      label: i.keyword,
      detail: i.syntax,
      documentation: i.documentation,
      insertText: `${i.keyword} `,
      snippet: BLOCK.has(i.name) ? `${i.keyword} """\n$0\n"""` : undefined,
      kind: 'instruction' as const,
      replaceStart,
      retrigger: i.name === 'parameter' || i.name === 'message' ? true : undefined,
    }));
  }

  m = /^([ \t]*parameter[ \t]+)([A-Za-z0-9_]*)$/i.exec(before);
  if (m) {
    const prefix = m[2];
    return PARAMETERS.filter((p) => p.name.startsWith(prefix)).map((p) => ({
      label: p.name,
      detail: `${p.type} (default ${p.default})`,
      documentation: parameterDocumentation(p),
      insertText: `${p.name} `,
      kind: 'parameter' as const,
      replaceStart: m![1].length,
    }));
  }

  m = /^([ \t]*message[ \t]+)([A-Za-z]*)$/i.exec(before);
  if (m) {
    const prefix = m[2];
    return MESSAGE_ROLES.filter((r) => r.role.startsWith(prefix)).map((r) => ({
      label: r.role,
      detail: 'message role',
      documentation: r.documentation,
      insertText: `${r.role} `,
      kind: 'role' as const,
      replaceStart: m![1].length,
    }));
  }
  return [];
}

/**
 * completionsAt, but nothing on a line that lies inside a multi-line quoted value (including one
 * still being typed and not yet closed). `lineNumber` is 1-based.
 */
export function completionsInDocument(text: string, lineNumber: number, character: number): ModelfileCompletion[] {
  const parsed = parseModelfile(text);
  const inside = parsed.instructions.some((i) => i.line < lineNumber && lineNumber <= i.endLine)
    || parsed.errors.some((e) => e.message.startsWith('unexpected EOF') && e.line < lineNumber);
  if (inside) return [];
  const lineText = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)[lineNumber - 1] ?? '';
  return completionsAt(lineText, character);
}
