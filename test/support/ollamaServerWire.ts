// Wire-level helpers for the Ollama test server: Go-compatible JSON encoding and decoding errors,
// Go duration parsing, model-name rules, deterministic tokenizer, timestamps and float32 formatting.
// Everything here is pure (no sockets) so it can be unit-tested and reused by other fakes.
import { createHash } from 'node:crypto';

/** JSON exactly as Go's encoding/json writes it: `<`, `>`, `&`, U+2028 and U+2029 are \u-escaped. */
export function goJson(value: unknown): string {
  const s = JSON.stringify(value);
  if (s === undefined) return 'null';
  return s.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Go's strconv.Quote / fmt %q for a string (good enough for the ASCII and printable text we quote). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/** Go's json quoteChar for syntax errors: works on a byte (interpreted as a Latin-1 rune). */
function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return '\'"\'';
  const q = goQuote(String.fromCharCode(c));
  return "'" + q.slice(1, -1) + "'";
}

// ---------------------------------------------------------------------------------------------
// Decoding: Go's json.Decoder reads the FIRST value only (trailing data ignored) and reports
// scanner errors with these exact texts.

export type GoDecodeResult =
  | { ok: true; value: unknown }
  | { ok: false; empty: boolean; message: string };

class ScanError {
  constructor(readonly message: string) {}
}
class ScanEOF {}

/** Scan the first JSON value of `buf` like Go's decoder. Returns the end offset of that value. */
function scanFirstValue(buf: Buffer): { start: number; end: number } {
  const n = buf.length;
  let i = 0;
  const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  const skip = () => {
    while (i < n && isWs(buf[i])) i++;
  };
  const fail = (c: number, ctx: string): never => {
    throw new ScanError(`invalid character ${quoteChar(c)} ${ctx}`);
  };
  const need = () => {
    if (i >= n) throw new ScanEOF();
    return buf[i];
  };
  const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
  const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

  const str = () => {
    i++; // opening quote
    for (;;) {
      const c = need();
      i++;
      if (c === 0x22) return;
      if (c === 0x5c) {
        const e = need();
        i++;
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            const h = need();
            i++;
            if (!isHex(h)) fail(h, 'in \\u hexadecimal character escape');
          }
        } else if (![0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74].includes(e)) {
          fail(e, 'in string escape code');
        }
      } else if (c < 0x20) {
        fail(c, 'in string literal');
      }
    }
  };
  const num = () => {
    if (buf[i] === 0x2d) {
      i++;
      const c = need();
      if (!isDigit(c)) fail(c, 'in numeric literal');
    }
    if (buf[i] === 0x30) i++;
    else while (i < n && isDigit(buf[i])) i++;
    if (i < n && buf[i] === 0x2e) {
      i++;
      const c = need();
      if (!isDigit(c)) fail(c, 'after decimal point in numeric literal');
      while (i < n && isDigit(buf[i])) i++;
    }
    if (i < n && (buf[i] === 0x65 || buf[i] === 0x45)) {
      i++;
      let c = need();
      if (c === 0x2b || c === 0x2d) {
        i++;
        c = need();
      }
      if (!isDigit(c)) fail(c, 'in exponent of numeric literal');
      while (i < n && isDigit(buf[i])) i++;
    }
  };
  const lit = (word: string) => {
    i++;
    for (let k = 1; k < word.length; k++) {
      const c = need();
      if (c !== word.charCodeAt(k)) fail(c, `in literal ${word} (expecting ${quoteChar(word.charCodeAt(k))})`);
      i++;
    }
  };
  const value = (): void => {
    skip();
    const c = need();
    if (c === 0x7b) return obj();
    if (c === 0x5b) return arr();
    if (c === 0x22) return str();
    if (c === 0x2d || isDigit(c)) return num();
    if (c === 0x74) return lit('true');
    if (c === 0x66) return lit('false');
    if (c === 0x6e) return lit('null');
    fail(c, 'looking for beginning of value');
  };
  const obj = () => {
    i++;
    skip();
    if (need() === 0x7d) {
      i++;
      return;
    }
    for (;;) {
      skip();
      const c = need();
      if (c !== 0x22) fail(c, 'looking for beginning of object key string');
      str();
      skip();
      const colon = need();
      if (colon !== 0x3a) fail(colon, 'after object key');
      i++;
      value();
      skip();
      const sep = need();
      i++;
      if (sep === 0x2c) continue;
      if (sep === 0x7d) return;
      fail(sep, 'after object key:value pair');
    }
  };
  const arr = () => {
    i++;
    skip();
    if (need() === 0x5d) {
      i++;
      return;
    }
    for (;;) {
      value();
      skip();
      const sep = need();
      i++;
      if (sep === 0x2c) continue;
      if (sep === 0x5d) return;
      fail(sep, 'after array element');
    }
  };
  skip();
  const start = i;
  value();
  return { start, end: i };
}

/** Decode a request body the way gin's ShouldBindJSON does (first value, Go error texts). */
export function goDecode(buf: Buffer): GoDecodeResult {
  let allWs = true;
  for (const c of buf) {
    if (!(c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d)) {
      allWs = false;
      break;
    }
  }
  if (allWs) return { ok: false, empty: true, message: 'EOF' };
  try {
    const { start, end } = scanFirstValue(buf);
    return { ok: true, value: JSON.parse(buf.subarray(start, end).toString('utf8')) };
  } catch (e) {
    if (e instanceof ScanEOF) return { ok: false, empty: false, message: 'unexpected EOF' };
    if (e instanceof ScanError) return { ok: false, empty: false, message: e.message };
    return { ok: false, empty: false, message: String(e) };
  }
}

// ---------------------------------------------------------------------------------------------
// Struct type checking: reproduces `json: cannot unmarshal X into Go struct field S.f of type T`.

export type FieldType =
  | 'string'
  | 'bool'
  | 'int'
  | 'float32'
  | 'float64'
  | 'any'
  | { kind: 'array'; go: string; elem: FieldType }
  | { kind: 'map'; go: string; elem?: FieldType }
  | { kind: 'struct'; go: string; name: string; fields: Record<string, FieldType> }
  | { kind: 'custom'; check: (v: unknown) => string | undefined }
  | { kind: 'base64' };

function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

/** Go's base64.StdEncoding error position (`illegal base64 data at input byte N`), or undefined. */
export function goBase64Error(s: string): string | undefined {
  const b = Buffer.from(s, 'utf8');
  const n = b.length;
  const alpha = (c: number) =>
    (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
  const nl = (c: number) => c === 0x0a || c === 0x0d;
  const err = (p: number) => `illegal base64 data at input byte ${p}`;
  let si = 0;
  while (si < n) {
    for (let j = 0; j < 4; j++) {
      if (si === n) {
        if (j === 0) return undefined;
        return err(si - j);
      }
      const c = b[si++];
      if (alpha(c)) continue;
      if (nl(c)) {
        j--;
        continue;
      }
      if (c !== 0x3d) return err(si - 1);
      // padding
      if (j < 2) return err(si - 1);
      if (j === 2) {
        while (si < n && nl(b[si])) si++;
        if (si === n) return err(n);
        if (b[si] !== 0x3d) return err(si - 1);
        si++;
      }
      while (si < n && nl(b[si])) si++;
      if (si < n) return err(si);
      return undefined;
    }
  }
  return undefined;
}

/**
 * Check a decoded value against a Go struct shape. Returns the error message Go would return
 * (custom-unmarshaler errors abort immediately; type errors are reported after decoding,
 * first one wins), or undefined. Keys match case-insensitively like Go; the returned object
 * has canonical key names.
 */
export function goCheckStruct(
  value: unknown,
  struct: { go: string; name: string; fields: Record<string, FieldType> },
): { error?: string; value: Record<string, unknown> } {
  if (value === null) return { value: {} };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { error: `json: cannot unmarshal ${jsonKind(value)} into Go value of type ${struct.go}`, value: {} };
  }
  let typeErr: string | undefined;
  const walk = (
    v: unknown,
    t: FieldType,
    structName: string,
    path: string[],
  ): { abort?: string; out: unknown } => {
    if (v === null || v === undefined) return { out: undefined };
    const saveType = (kindDesc: string, goT: string) => {
      typeErr ??= `json: cannot unmarshal ${kindDesc} into Go struct field ${structName}.${path.join('.')} of type ${goT}`;
    };
    if (typeof t === 'string') {
      switch (t) {
        case 'any':
          return { out: v };
        case 'string':
          if (typeof v !== 'string') saveType(jsonKind(v), 'string');
          return { out: typeof v === 'string' ? v : undefined };
        case 'bool':
          if (typeof v !== 'boolean') saveType(jsonKind(v), 'bool');
          return { out: typeof v === 'boolean' ? v : undefined };
        case 'int':
          if (typeof v !== 'number') saveType(jsonKind(v), 'int');
          else if (!Number.isInteger(v)) saveType(`number ${v}`, 'int');
          return { out: typeof v === 'number' && Number.isInteger(v) ? v : undefined };
        case 'float32':
        case 'float64':
          if (typeof v !== 'number') saveType(jsonKind(v), t);
          return { out: typeof v === 'number' ? v : undefined };
      }
    }
    switch (t.kind) {
      case 'custom': {
        const e = t.check(v);
        return e ? { abort: e, out: undefined } : { out: v };
      }
      case 'base64': {
        if (typeof v !== 'string') {
          saveType(jsonKind(v), 'api.ImageData');
          return { out: undefined };
        }
        const e = goBase64Error(v);
        if (e) typeErr ??= e;
        return { out: v };
      }
      case 'array': {
        if (!Array.isArray(v)) {
          saveType(jsonKind(v), t.go);
          return { out: undefined };
        }
        const out: unknown[] = [];
        for (const el of v) {
          const r = walk(el, t.elem, structName, path);
          if (r.abort) return r;
          out.push(r.out ?? (el === null ? null : undefined));
        }
        return { out };
      }
      case 'map': {
        if (typeof v !== 'object' || Array.isArray(v)) {
          saveType(jsonKind(v), t.go);
          return { out: undefined };
        }
        if (!t.elem) return { out: v };
        const out: Record<string, unknown> = {};
        for (const [k, el] of Object.entries(v as Record<string, unknown>)) {
          const r = walk(el, t.elem, structName, path);
          if (r.abort) return r;
          out[k] = r.out;
        }
        return { out };
      }
      case 'struct': {
        if (typeof v !== 'object' || Array.isArray(v)) {
          saveType(jsonKind(v), t.go);
          return { out: undefined };
        }
        const out: Record<string, unknown> = {};
        const names = Object.keys(t.fields);
        for (const [k, el] of Object.entries(v as Record<string, unknown>)) {
          const canon = names.find((f) => f === k) ?? names.find((f) => f.toLowerCase() === k.toLowerCase());
          if (!canon) continue; // unknown fields are ignored
          const r = walk(el, t.fields[canon], t.name, [...path, canon]);
          if (r.abort) return r;
          out[canon] = r.out;
        }
        return { out };
      }
    }
    return { out: v };
  };
  const r = walk(value, { kind: 'struct', ...struct }, struct.name, []);
  if (r.abort) return { error: r.abort, value: {} };
  if (typeErr) return { error: typeErr, value: {} };
  return { value: r.out as Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------------
// Go durations (time.ParseDuration) and the api.Duration JSON rules for keep_alive.

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Parse a Go duration string to nanoseconds, or throw an Error with Go's message. */
export function parseGoDuration(orig: string): number {
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  const invalid = () => new Error('time: invalid duration ' + goQuote(orig));
  if (s === '') throw invalid();
  let total = 0;
  while (s !== '') {
    if (!(s[0] === '.' || (s[0] >= '0' && s[0] <= '9'))) throw invalid();
    const m = /^([0-9]*)(\.([0-9]*))?/.exec(s)!;
    const pre = m[1].length > 0;
    const post = m[3] !== undefined && m[3].length > 0;
    if (!pre && !post) throw invalid();
    const v = parseFloat((m[1] || '0') + (m[3] !== undefined ? '.' + (m[3] || '0') : ''));
    s = s.slice(m[0].length);
    let k = 0;
    while (k < s.length && !(s[k] === '.' || (s[k] >= '0' && s[k] <= '9'))) k++;
    if (k === 0) throw new Error('time: missing unit in duration ' + goQuote(orig));
    const u = s.slice(0, k);
    s = s.slice(k);
    const unit = UNIT_NS[u];
    if (unit === undefined) throw new Error('time: unknown unit ' + goQuote(u) + ' in duration ' + goQuote(orig));
    total += v * unit;
  }
  return neg ? -total : total;
}

/** Go's math.MaxInt64 nanoseconds: what a negative keep_alive means ("forever", ~292 years). */
export const FOREVER_NS = 9223372036854775807;

/** api.Duration.UnmarshalJSON: returns an error message or undefined. */
export function keepAliveError(v: unknown): string | undefined {
  if (typeof v === 'number') return undefined;
  if (typeof v === 'string') {
    try {
      parseGoDuration(v);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }
  const t = typeof v === 'boolean' ? 'bool' : Array.isArray(v) ? '[]interface {}' : 'map[string]interface {}';
  return `Unsupported type: '${t}'`;
}

/** keep_alive to nanoseconds (negative means forever); undefined when absent. */
export function keepAliveNs(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v < 0 ? FOREVER_NS : v * 1e9;
  if (typeof v === 'string') {
    const ns = parseGoDuration(v);
    return ns < 0 ? FOREVER_NS : ns;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Model names: [host/][namespace/]model[:tag]

export interface ModelName {
  host: string;
  namespace: string;
  model: string;
  tag: string;
}

export const DEFAULT_HOST = 'registry.ollama.ai';
export const DEFAULT_NAMESPACE = 'library';

const PART = {
  host: /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,349}$/,
  namespace: /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/,
  model: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/,
  tag: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$/,
};

/** Parse a model name like Ollama's model.ParseName; undefined when invalid. */
export function parseModelName(input: string): ModelName | undefined {
  let s = input.replace(/^https?:\/\//, '');
  if (s === '') return undefined;
  const at = s.indexOf('@');
  if (at >= 0) s = s.slice(0, at);
  let tag = 'latest';
  const slash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  if (colon > slash) {
    tag = s.slice(colon + 1);
    s = s.slice(0, colon);
  }
  const parts = s.split('/');
  if (parts.length > 3) return undefined;
  const model = parts.pop()!;
  const namespace = parts.pop() ?? DEFAULT_NAMESPACE;
  const host = parts.pop() ?? DEFAULT_HOST;
  const n = { host, namespace, model, tag };
  if (!PART.host.test(host) || !PART.namespace.test(namespace) || !PART.model.test(model) || !PART.tag.test(tag)) {
    return undefined;
  }
  return n;
}

/** `registry.ollama.ai/library/llama3.2:latest` */
export function fullName(n: ModelName): string {
  return `${n.host}/${n.namespace}/${n.model}:${n.tag}`;
}

/** Shortest display form: `llama3.2:latest`, `me/x:latest`, `host:5000/me/x:latest`. */
export function displayName(n: ModelName): string {
  if (n.host === DEFAULT_HOST) {
    return n.namespace === DEFAULT_NAMESPACE ? `${n.model}:${n.tag}` : `${n.namespace}/${n.model}:${n.tag}`;
  }
  return fullName(n);
}

/** Case-insensitive lookup key. */
export function nameKey(n: ModelName): string {
  return fullName(n).toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Tokenizer, hashes, numbers, times.

/**
 * Deterministic tokenizer used for every streamed answer: a token is a word plus its trailing
 * whitespace (leading whitespace is its own token); words longer than 6 code points are split
 * into 6-code-point pieces, so CJK runs and emoji stay intact inside tokens but a token may
 * still hold several multi-byte characters.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const re = /\s+|\S+\s*/gu;
  for (const m of text.matchAll(re)) {
    const piece = m[0];
    const cps = Array.from(piece);
    if (cps.length <= 6 || /^\s+$/u.test(piece)) {
      out.push(piece);
      continue;
    }
    const word = Array.from(piece.replace(/\s+$/u, ''));
    const trail = piece.slice(piece.replace(/\s+$/u, '').length);
    for (let i = 0; i < word.length; i += 6) {
      const last = i + 6 >= word.length;
      out.push(word.slice(i, i + 6).join('') + (last ? trail : ''));
    }
  }
  return out;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Small deterministic token id (1..127999) for `context` arrays. */
export function tokenId(tok: string): number {
  let h = 2166136261;
  for (let i = 0; i < tok.length; i++) {
    h ^= tok.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return ((h >>> 0) % 127999) + 1;
}

/** The shortest decimal that round-trips a float32, as Go prints float32 values. */
export function float32Value(x: number): number {
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const v = parseFloat(f.toPrecision(p));
    if (Math.fround(v) === f) return v;
  }
  return f;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function fracNanos(ns: number): string {
  if (ns === 0) return '';
  return ('.' + String(ns).padStart(9, '0')).replace(/0+$/, '');
}

let lastSub = 0;
/** RFC 3339 UTC with nanoseconds, trailing zeros trimmed, like Go's time.Time JSON encoding. */
export function goTimeUTC(ms: number = Date.now()): string {
  const d = new Date(ms);
  // sub-millisecond digits so stamps look like Go's (and are strictly increasing within a ms)
  lastSub = (lastSub + 123457) % 1000000;
  const ns = d.getUTCMilliseconds() * 1e6 + lastSub;
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fracNanos(ns)}Z`
  );
}

/** RFC 3339 with the local offset (as /api/tags modified_at and /api/ps expires_at); `Z` when UTC. */
export function goTimeLocal(ms: number, subMsNanos = 0): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const ns = d.getMilliseconds() * 1e6 + subMsNanos;
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${fracNanos(ns)}${zone}`
  );
}

/** Deterministic pseudo-random stream from a seed string (sha256 in counter mode). */
export function* hashFloats(seed: string): Generator<number> {
  for (let counter = 0; ; counter++) {
    const h = createHash('sha256').update(seed).update(String(counter)).digest();
    for (let i = 0; i + 4 <= h.length; i += 4) yield h.readUInt32LE(i) / 0xffffffff - 0.5;
  }
}
