// The Modelfile parser. It accepts what ollama's own parser (parser/parser.go) accepts and yields the
// same values, so a model created from the editor equals one made by `ollama create -f`. Unlike the
// CLI it goes on after an error, so the editor can mark every bad line, and it checks PARAMETER
// names, types and REQUIRES at parse time, where a line number is still known.
//
// Value rules (from the Go state machine): a value runs to the end of its line and is trimmed. One
// that opens with `"` or `"""` goes on, line after line, until a line whose trimmed text ends with
// the same quote; the newlines in between are kept as written. No escapes, no single quotes.
// Invisible characters (controls, format characters, non-ASCII spaces) are dropped as the CLI does.

import {
  DEPRECATED_PARAMETERS, INSTRUCTION_NAMES, parameterSpec, type InstructionName, type MessageRole, type ParameterSpec,
} from './spec';

export type ParameterValue = number | boolean | string;
export type QuoteStyle = '' | '"' | '"""';

interface InstructionBase {
  /** 1-based line of the keyword. */
  line: number;
  /** 1-based line where the value ends (> line for multi-line quoted values). */
  endLine: number;
  /** 1-based column of the keyword. */
  column: number;
  /** 1-based column (on `line`) where the value starts, quote included. */
  valueColumn: number;
  /** The keyword as written (`from`, `FROM`…). */
  keyword: string;
  quote: QuoteStyle;
}

export interface TextInstruction extends InstructionBase {
  kind: Exclude<InstructionName, 'parameter' | 'message'>;
  value: string;
}

export interface ParameterInstruction extends InstructionBase {
  kind: 'parameter';
  name: string;
  /** Converted by the parameter's type (a `stop` value stays a string; the create request gathers them). */
  value: ParameterValue;
  /** The value text before conversion. */
  raw: string;
  nameColumn: number;
}

export interface MessageInstruction extends InstructionBase {
  kind: 'message';
  role: MessageRole;
  value: string;
}

export type Instruction = TextInstruction | ParameterInstruction | MessageInstruction;

/** A problem in the text, located for the editor. Lines and columns are 1-based; `endColumn` is exclusive. */
export interface ModelfileError {
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface ParseResult {
  instructions: Instruction[];
  errors: ModelfileError[];
  /** Accepted but worth a look (deprecated parameters, a repeated ADAPTER, a `"` value spanning lines). */
  warnings: ModelfileError[];
}

export const INVALID_COMMAND_MESSAGE =
  'command must be one of "from", "license", "template", "system", "adapter", "draft", "renderer", "parser", "parameter", "message", or "requires"';
export const INVALID_ROLE_MESSAGE = 'message role must be one of "system", "user", or "assistant"';
export const MISSING_FROM_MESSAGE = 'no FROM line';
export const REQUIRES_MESSAGE = 'requires must be a valid semver (e.g. 0.14.0)';

const VALID = new Set<string>(INSTRUCTION_NAMES);
const DEPRECATED = new Set(DEPRECATED_PARAMETERS);
const ROLES = new Set(['system', 'user', 'assistant']);

export function parseModelfile(text: string): ParseResult {
  return new Parser(text).run();
}

class Parser {
  private readonly lines: string[] = [];
  /** seps[i] is the line break after lines[i] ('' after the last line). */
  private readonly seps: string[] = [];
  private readonly out: ParseResult = { instructions: [], errors: [], warnings: [] };

  constructor(text: string) {
    const parts = text.replace(/^\uFEFF/, '').split(/(\r\n|\r|\n)/);
    for (let i = 0; i < parts.length; i += 2) {
      this.lines.push(parts[i]);
      this.seps.push(parts[i + 1] ?? '');
    }
  }

  run(): ParseResult {
    let sawFrom = false;
    let adapters = 0;
    for (let i = 0; i < this.lines.length;) {
      const consumed = this.line(i);
      if (consumed.keyword === 'from') sawFrom = true;
      if (consumed.keyword === 'adapter' && ++adapters === 2) {
        const a = this.out.instructions.filter((x) => x.kind === 'adapter').at(-1);
        if (a) this.warn(a.line, a.column, a.line, a.column + a.keyword.length, 'only one ADAPTER is supported: the last one is used');
      }
      i = consumed.next;
    }
    if (!sawFrom) this.error(1, 1, 1, 1 + (this.lines[0]?.length ?? 0), MISSING_FROM_MESSAGE);
    return this.out;
  }

  /** Parses the instruction starting on line index i; returns the next line index to look at. */
  private line(i: number): { next: number; keyword?: string } {
    const text = this.lines[i];
    const ln = i + 1;
    let p = skipBlank(text, 0);
    if (p === text.length || text[p] === '#') return { next: i + 1 };

    const word = /^[A-Za-z]+/.exec(text.slice(p))?.[0] ?? '';
    const kwStart = p;
    const kwEnd = p + word.length;
    const lower = word.toLowerCase();
    if (!word || (kwEnd < text.length && !isBlank(text[kwEnd])) || !VALID.has(lower)) {
      const end = kwEnd < text.length && word ? wordEnd(text, kwEnd) : wordEnd(text, kwStart);
      this.error(ln, kwStart + 1, ln, end + 1, INVALID_COMMAND_MESSAGE);
      return { next: i + 1, keyword: VALID.has(lower) ? lower : undefined };
    }
    const name = lower as InstructionName;
    p = skipBlank(text, kwEnd);
    if (p === text.length) {
      this.error(ln, kwStart + 1, ln, kwEnd + 1, `${word.toUpperCase()} needs ${argumentOf(name)}`);
      return { next: i + 1, keyword: name };
    }

    if (name === 'parameter') return this.parameter(i, word, kwStart, p);
    if (name === 'message') return this.message(i, word, kwStart, p);

    const v = this.value(i, p);
    if (!v) return { next: this.lines.length, keyword: name };
    const base = { line: ln, endLine: v.endLine + 1, column: kwStart + 1, valueColumn: p + 1, keyword: word, quote: v.quote };
    if (v.text === '' && v.quote === '') {
      this.error(ln, kwStart + 1, ln, kwEnd + 1, `${word.toUpperCase()} needs ${argumentOf(name)}`);
    } else if (name === 'requires') {
      const version = normalizeSemver(v.text);
      if (version === undefined) this.error(ln, p + 1, ln, text.length + 1, REQUIRES_MESSAGE);
      else this.out.instructions.push({ ...base, kind: name, value: version });
    } else {
      this.out.instructions.push({ ...base, kind: name, value: v.text });
    }
    return { next: v.endLine + 1, keyword: name };
  }

  private parameter(i: number, keyword: string, kwStart: number, p: number): { next: number; keyword: string } {
    const text = this.lines[i];
    const ln = i + 1;
    const name = /^[A-Za-z0-9_]+/.exec(text.slice(p))?.[0] ?? '';
    const nameEnd = p + name.length;
    if (!name || (nameEnd < text.length && !isBlank(text[nameEnd]))) {
      this.error(ln, p + 1, ln, wordEnd(text, p) + 1, `invalid parameter name "${text.slice(p, wordEnd(text, p))}": use letters, digits and _`);
      return { next: i + 1, keyword: 'parameter' };
    }
    const vp = skipBlank(text, nameEnd);
    if (vp === text.length) {
      this.error(ln, p + 1, ln, nameEnd + 1, `PARAMETER ${name} needs a value`);
      return { next: i + 1, keyword: 'parameter' };
    }
    const v = this.value(i, vp);
    if (!v) return { next: this.lines.length, keyword: 'parameter' };
    const next = { next: v.endLine + 1, keyword: 'parameter' };
    const valueEnd: [number, number] = v.endLine === i ? [ln, text.length + 1] : [v.endLine + 1, this.lines[v.endLine].length + 1];

    if (DEPRECATED.has(name)) {
      this.warn(ln, p + 1, ln, nameEnd + 1, `parameter ${name} is deprecated and ignored`);
      return next;
    }
    const spec = parameterSpec(name);
    if (!spec) {
      this.error(ln, p + 1, ln, nameEnd + 1, `unknown parameter '${name}'`);
      return next;
    }
    const converted = convertParameter(spec, v.text);
    if (typeof converted === 'object') {
      this.error(ln, vp + 1, valueEnd[0], valueEnd[1], converted.error);
      return next;
    }
    this.out.instructions.push({
      kind: 'parameter', name, value: converted, raw: v.text, nameColumn: p + 1,
      line: ln, endLine: v.endLine + 1, column: kwStart + 1, valueColumn: vp + 1, keyword, quote: v.quote,
    });
    return next;
  }

  private message(i: number, keyword: string, kwStart: number, p: number): { next: number; keyword: string } {
    const text = this.lines[i];
    const ln = i + 1;
    const roleEnd = wordEnd(text, p);
    const role = text.slice(p, roleEnd);
    const vp = skipBlank(text, roleEnd);
    if (vp === text.length) {
      this.error(ln, kwStart + 1, ln, roleEnd + 1, 'MESSAGE needs a role and content: MESSAGE <system|user|assistant> <content>');
      return { next: i + 1, keyword: 'message' };
    }
    // Read the content even after a bad role, so a multi-line value does not turn into more errors.
    const v = this.value(i, vp);
    if (!ROLES.has(role)) this.error(ln, p + 1, ln, roleEnd + 1, INVALID_ROLE_MESSAGE);
    if (!v) return { next: this.lines.length, keyword: 'message' };
    if (ROLES.has(role)) {
      this.out.instructions.push({
        kind: 'message', role: role as MessageRole, value: v.text,
        line: ln, endLine: v.endLine + 1, column: kwStart + 1, valueColumn: vp + 1, keyword, quote: v.quote,
      });
    }
    return { next: v.endLine + 1, keyword: 'message' };
  }

  /** Reads a value starting at column p of line i; undefined (after reporting) when a quote never closes. */
  private value(i: number, p: number): { text: string; quote: QuoteStyle; endLine: number } | undefined {
    // Go drops invisible runes as it reads, then trims, then looks at the quotes: same order here.
    const first = clean(this.lines[i].slice(p)).trimStart();
    const quote: QuoteStyle = first.startsWith('"""') ? '"""' : first.startsWith('"') ? '"' : '';
    if (quote === '') return { text: first.trimEnd(), quote, endLine: i };

    // The value's pieces (lines and the breaks between them), joined once at the end: only the
    // current line can close the quote. (After clean() the only whitespace left is blanks and line
    // breaks, so a blank line never closes it, and a line that ends with the quote does on every
    // line after the first: the opening quote and a line break come before it.)
    const parts = [first];
    let cur = first;
    for (let j = i; ; j++) {
      const t = cur.trimEnd();
      if (t.endsWith(quote) && (j > i || t.length >= 2 * quote.length)) {
        if (quote === '"' && j > i) {
          this.warn(i + 1, p + 1, i + 1, p + 2, `this "…" value runs on to line ${j + 1}; use """…""" for multi-line text`);
        }
        parts[parts.length - 1] = t;
        const whole = parts.join('');
        return { text: whole.slice(quote.length, whole.length - quote.length), quote, endLine: j };
      }
      if (j + 1 >= this.lines.length) {
        const hint = parts.join('').slice(quote.length).includes(quote) ? ` (a closing ${quote} must end its line)` : '';
        this.error(i + 1, p + 1, i + 1, p + 1 + quote.length, `unexpected EOF: the ${quote} opened on line ${i + 1} is never closed${hint}`);
        return undefined;
      }
      cur = clean(this.lines[j + 1]);
      parts.push(this.seps[j], cur);
    }
  }

  private error(line: number, column: number, endLine: number, endColumn: number, message: string): void {
    this.out.errors.push({ message, line, column, endLine, endColumn });
  }

  private warn(line: number, column: number, endLine: number, endColumn: number, message: string): void {
    this.out.warnings.push({ message, line, column, endLine, endColumn });
  }
}

function isBlank(c: string): boolean {
  return c === ' ' || c === '\t';
}

function skipBlank(s: string, p: number): number {
  while (p < s.length && isBlank(s[p])) p++;
  return p;
}

function wordEnd(s: string, p: number): number {
  while (p < s.length && !isBlank(s[p])) p++;
  return p;
}

function argumentOf(name: InstructionName): string {
  switch (name) {
    case 'from': return 'a model name or a path';
    case 'adapter': case 'draft': return 'a path';
    case 'parameter': return 'a name and a value';
    case 'message': return 'a role and content';
    case 'requires': return 'a version (e.g. 0.14.0)';
    default: return 'a value';
  }
}

/** The Go parser keeps only printable runes (strconv.IsPrint) plus tab and line breaks. */
function clean(s: string): string {
  return s.replace(/[\p{C}\p{Z}]/gu, (c) => (c === ' ' || c === '\t' || c === '\r' || c === '\n' ? c : ''));
}

const FLOAT32_MAX = 3.4028234663852886e38;

/** Conversion as in api.FormatParams: strconv.ParseInt / ParseFloat(32) / ParseBool. */
export function convertParameter(spec: ParameterSpec, raw: string): ParameterValue | { error: string } {
  switch (spec.type) {
    case 'int': {
      if (!/^[+-]?\d+$/.test(raw)) return { error: `invalid int value "${raw}" for parameter '${spec.name}'` };
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) return { error: `int value "${raw}" for parameter '${spec.name}' is out of range` };
      return n;
    }
    case 'float': {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) return { error: `invalid float value "${raw}" for parameter '${spec.name}'` };
      const n = Number(raw);
      if (!(Math.abs(n) <= FLOAT32_MAX)) return { error: `float value "${raw}" for parameter '${spec.name}' is out of range` };
      return n;
    }
    case 'bool':
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
      if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
      return { error: `invalid bool value "${raw}" for parameter '${spec.name}' (use true or false)` };
    case 'string[]':
      return raw;
  }
}

/** golang.org/x/mod/semver validity with an optional leading `v`, which is dropped ("v0.14" → "0.14"). */
export function normalizeSemver(s: string): string | undefined {
  const v = s.startsWith('v') ? s.slice(1) : s;
  const num = '(0|[1-9]\\d*)';
  const pre = '(0|[1-9]\\d*|\\d*[A-Za-z-][0-9A-Za-z-]*)';
  const re = new RegExp(`^${num}(\\.${num}(\\.${num}(-${pre}(\\.${pre})*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?)?)?$`);
  return re.test(v) ? v : undefined;
}
