// The symbols around the cursor whose definitions are worth looking up for a completion, most
// useful first: the identifiers on the cursor's line, names imported but not used yet (the call the
// user is about to write), the identifiers of the few lines around the cursor, then the other
// imported names by how close their nearest use is. Language-agnostic: strings and comments are
// blanked out (offsets kept), common keywords of the usual languages dropped, and import lines
// found by their leading keyword (TS/JS `import`/`export … from`/`require(`, Python `from`/`import`,
// Go/Java/Kotlin/Scala/Haskell `import`, Rust `use`, C# `using`, C/C++/ObjC `#include`/`#import`,
// R `library`, F#/OCaml `open`). The definition provider then decides what each name means.

/** One name to look up: where it occurs in the document and why it was picked. */
export interface SymbolRef {
  name: string;
  /** Document offset of the occurrence the definition lookup is asked at. */
  offset: number;
  /** 0 cursor line, 1 imported but unused in the window, 2 lines around the cursor, 3 other imports. */
  rank: 0 | 1 | 2 | 3;
}

export interface SymbolSource {
  /** The start of the document (where imports are), from offset 0; may be empty. It must end at or
   * before `prefixStart` (the adapter cuts it there), so no text is read twice. */
  head: string;
  /** The prefix window and the document offset where it starts. */
  prefix: string;
  prefixStart: number;
  suffix: string;
  /** VS Code language id (decides whether `#` starts a comment). */
  language?: string;
}

export interface SymbolOptions {
  /** Prefix lines above the cursor's line counted as "around the cursor" (default 5). */
  linesBefore?: number;
  /** Suffix lines below the cursor's line counted as "around the cursor" (default 3). */
  linesAfter?: number;
  /** At most this many names (default 12). */
  max?: number;
}

/** Keywords and ubiquitous built-ins of JS/TS, Python, Go, Rust, Java, C#, C/C++, Kotlin, Swift,
 * Ruby, PHP: never worth a definition lookup. */
const KEYWORDS = new Set(`
abstract and any as assert async await base bool boolean break byte case catch char class const constructor continue
crate debugger declare def default defer del delete do double dyn elif else enum except export extends extern false
fi final finally float fn for foreach from func function get global go goto if impl implements import in include
infer instanceof int interface internal is keyof lambda let long loop match mod module mut namespace native new nil
none not null number object of open operator or out override package pass private protected pub public raise
readonly record ref require return satisfies sealed select self set short signed sizeof static str strictfp string
struct super switch symbol synchronized template then this throw throws trait true try type typedef typeof uint
undefined union unique unknown unsafe unsigned use using val var virtual void volatile where while with yield
True False None Self String Object Array Promise console println printf print len elsif unless until begin end
`.split(/\s+/).filter(Boolean));

const HASH_COMMENT_LANGUAGES = new Set([
  'python', 'shellscript', 'ruby', 'perl', 'r', 'yaml', 'toml', 'dockerfile', 'makefile', 'powershell', 'coffeescript',
  'julia', 'elixir', 'nim', 'crystal', 'cmake', 'graphql', 'tcl', 'raku', 'awk',
]);

const IMPORT_LINE = /^\s*(?:import\b|from\s+\S+\s+import\b|export\s[^\n]*\bfrom\b|use\s|using\s|#\s*(?:include|import)\b|library\(|require\s|open\s|(?:const|let|var)\s[^=\n]*=\s*require\()/;
const IDENT = /[\p{L}_$][\p{L}\p{N}_$]*/gu;

/**
 * `text` with string literals and comments replaced by spaces (line breaks kept), so identifiers
 * keep their offsets and none is taken from prose. Strings end at the line break when unclosed
 * (template literals may span lines).
 */
export function blankStringsAndComments(text: string, hashComments: boolean): string {
  const out = text.split('');
  let i = 0;
  const blank = (a: number, b: number): void => { for (let k = a; k < b; k++) if (out[k] !== '\n') out[k] = ' '; };
  while (i < text.length) {
    const ch = text[i]!;
    const next = text[i + 1];
    if ((ch === '/' && next === '/') || (ch === '#' && hashComments)) {
      const end = text.indexOf('\n', i);
      const e = end < 0 ? text.length : end;
      blank(i, e);
      i = e;
    } else if (ch === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const e = end < 0 ? text.length : end + 2;
      blank(i, e);
      i = e;
    } else if (ch === '"' || ch === '\'' || ch === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== ch && (ch === '`' || text[j] !== '\n')) j += text[j] === '\\' ? 2 : 1;
      const e = Math.min(text.length, j + 1);
      blank(i, e);
      i = e;
    } else {
      i++;
    }
  }
  return out.join('');
}

/** The [start, end) offsets (in `text`) of its import statements, multi-line `{…}`/`(…)` lists included. */
export function importLineRanges(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let at = 0;
  let open = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl;
    const line = text.slice(at, end);
    if (open > 0 || IMPORT_LINE.test(line)) {
      ranges.push([at, end]);
      for (const c of line) {
        if (c === '{' || c === '(') open++;
        else if ((c === '}' || c === ')') && open > 0) open--;
      }
    }
    at = end + 1;
  }
  return ranges;
}

interface Occurrence { name: string; offset: number }

function identifiers(text: string, base: number): Occurrence[] {
  const out: Occurrence[] = [];
  IDENT.lastIndex = 0;
  for (let m = IDENT.exec(text); m; m = IDENT.exec(text)) {
    const name = m[0];
    if (name.length < 2 || KEYWORDS.has(name) || /^\p{N}/u.test(name)) continue;
    out.push({ name, offset: base + m.index });
  }
  return out;
}

/**
 * The names to look up, most useful first, at most `max`, each once (at its best-ranked
 * occurrence; within a rank the nearest to the cursor first). The identifier the cursor touches
 * is being typed and is left out.
 */
export function symbolsNearCursor(src: SymbolSource, o: SymbolOptions = {}): SymbolRef[] {
  const before = o.linesBefore ?? 5;
  const after = o.linesAfter ?? 3;
  const max = o.max ?? 12;
  const hash = HASH_COMMENT_LANGUAGES.has(src.language ?? '');
  const cursor = src.prefixStart + src.prefix.length;
  const prefix = blankStringsAndComments(src.prefix, hash);
  const suffix = blankStringsAndComments(src.suffix, hash);
  const head = blankStringsAndComments(src.head, hash);

  // Import statements, in the head and in the prefix window.
  const imported: Occurrence[] = [];
  const inImport = new Set<number>();
  for (const [text, base] of [[head, 0], [prefix, src.prefixStart]] as const) {
    for (const [a, b] of importLineRanges(text)) {
      for (const occ of identifiers(text.slice(a, b), base + a)) {
        imported.push(occ);
        inImport.add(occ.offset);
      }
    }
  }

  // Lines around the cursor: [nearStart, nearEnd) in document offsets; the cursor line inside it.
  const lineStart = prefix.lastIndexOf('\n') + 1;
  const lineEndInSuffix = suffix.indexOf('\n');
  const cursorLine: [number, number] = [src.prefixStart + lineStart, cursor + (lineEndInSuffix < 0 ? suffix.length : lineEndInSuffix)];
  let nearStart = lineStart;
  for (let n = 0; n < before && nearStart > 0; n++) nearStart = prefix.lastIndexOf('\n', nearStart - 2) + 1;
  let nearEnd = lineEndInSuffix < 0 ? suffix.length : lineEndInSuffix;
  for (let n = 0; n < after && nearEnd < suffix.length; n++) {
    const nl = suffix.indexOf('\n', nearEnd + 1);
    nearEnd = nl < 0 ? suffix.length : nl;
  }
  const near: [number, number] = [src.prefixStart + nearStart, cursor + nearEnd];

  // Every use in the window (not in an import statement).
  const uses = [...identifiers(prefix, src.prefixStart), ...identifiers(suffix, cursor)].filter((x) => !inImport.has(x.offset));
  // The word the cursor touches is still being typed.
  const typing = (x: Occurrence): boolean => x.offset <= cursor && x.offset + x.name.length >= cursor;
  const dist = (x: Occurrence): number => (x.offset < cursor ? cursor - x.offset - x.name.length : x.offset - cursor);
  const used = new Map<string, number>();
  for (const u of uses) if (!typing(u)) used.set(u.name, Math.min(used.get(u.name) ?? Infinity, dist(u)));

  const picked: SymbolRef[] = [];
  const seen = new Set<string>();
  const take = (list: Occurrence[], rank: SymbolRef['rank'], key: (x: Occurrence) => number): void => {
    for (const x of [...list].sort((a, b) => key(a) - key(b))) {
      if (seen.has(x.name) || typing(x)) continue;
      seen.add(x.name);
      picked.push({ name: x.name, offset: x.offset, rank });
    }
  };
  const within = (x: Occurrence, r: [number, number]): boolean => x.offset >= r[0] && x.offset <= r[1];
  take(uses.filter((x) => within(x, cursorLine)), 0, dist);
  take(imported.filter((x) => !used.has(x.name)), 1, (x) => -x.offset);
  take(uses.filter((x) => within(x, near)), 2, dist);
  take(imported, 3, (x) => used.get(x.name) ?? Infinity);
  return picked.slice(0, max);
}
