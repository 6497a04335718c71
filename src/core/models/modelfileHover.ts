// What a hover over a Modelfile shows: the instruction's syntax and meaning over its keyword, the
// parameter's type, default and meaning over a PARAMETER name, the role over a MESSAGE role. Nothing
// inside a multi-line quoted value, where words are just text.

import {
  DEPRECATED_PARAMETERS, INSTRUCTIONS, MESSAGE_ROLES, parameterDocumentation, parameterSpec, parseModelfile,
} from '../modelfile';

export interface ModelfileHover {
  /** Markdown. */
  markdown: string;
  /** 0-based, end exclusive, on the hovered line. */
  start: number;
  end: number;
}

/** `lineNumber` is 1-based, `character` 0-based, as completionsInDocument takes them. */
export function hoverInDocument(text: string, lineNumber: number, character: number): ModelfileHover | undefined {
  const parsed = parseModelfile(text);
  const inside = parsed.instructions.some((i) => i.line < lineNumber && lineNumber <= i.endLine)
    || parsed.errors.some((e) => e.message.startsWith('unexpected EOF') && e.line < lineNumber);
  if (inside) return undefined;
  const lineText = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)[lineNumber - 1] ?? '';
  return hoverAt(lineText, character);
}

export function hoverAt(lineText: string, character: number): ModelfileHover | undefined {
  const m = /^([ \t]*)([A-Za-z]+)(?:([ \t]+)(\S+))?/.exec(lineText);
  if (!m) return undefined;
  const kwStart = m[1].length;
  const kwEnd = kwStart + m[2].length;
  const keyword = m[2].toLowerCase();
  const spec = INSTRUCTIONS.find((i) => i.name === keyword);
  if (!spec) return undefined;
  if (character >= kwStart && character < kwEnd) {
    return { markdown: `**${spec.keyword}** — \`${spec.syntax}\`\n\n${spec.documentation}`, start: kwStart, end: kwEnd };
  }
  if (m[4] === undefined) return undefined;
  const argStart = kwEnd + m[3].length;
  if (keyword === 'parameter') {
    const name = /^[A-Za-z0-9_]+/.exec(m[4])?.[0] ?? '';
    const argEnd = argStart + name.length;
    if (!name || character < argStart || character >= argEnd) return undefined;
    const p = parameterSpec(name);
    if (p) return { markdown: `**${p.name}** (\`${p.type}\`)\n\n${parameterDocumentation(p)}`, start: argStart, end: argEnd };
    if (DEPRECATED_PARAMETERS.includes(name)) return { markdown: `**${name}**\n\nDeprecated: the server ignores this parameter.`, start: argStart, end: argEnd };
    return undefined;
  }
  if (keyword === 'message') {
    const argEnd = argStart + m[4].length;
    if (character < argStart || character >= argEnd) return undefined;
    const r = MESSAGE_ROLES.find((x) => x.role === m[4]);
    return r ? { markdown: `**${r.role}**\n\n${r.documentation}`, start: argStart, end: argEnd } : undefined;
  }
  return undefined;
}
