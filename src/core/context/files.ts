// Which files of a workspace are searched: the rules of `.gitignore` files (every directory's own,
// applied the way git does with the `ignore` package: paths relative to that file's directory, a
// deeper file's negation can re-include), `.git/info/exclude`, VS Code's `search.exclude` (which
// `workspace.findFiles` does not apply by itself) and `files.exclude`, a size limit, known binary
// types, and generated text (minified bundles, lock files) that would only crowd the results. Pure:
// the editor side lists the files and reads the rules.
import picomatch from 'picomatch';
import ignore, { type Ignore } from 'ignore';

/** Extensions of files that are never text (or never worth reading as text). */
const BINARY_EXTENSIONS = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'bmp', 'ico', 'icns', 'webp', 'avif', 'tif', 'tiff', 'psd', 'heic',
  'mp3', 'mp4', 'm4a', 'wav', 'ogg', 'flac', 'webm', 'mov', 'avi', 'mkv',
  'zip', 'gz', 'tgz', 'bz2', 'xz', 'zst', '7z', 'rar', 'tar', 'jar', 'war', 'apk', 'aar', 'whl', 'nupkg', 'vsix', 'crx',
  'exe', 'dll', 'so', 'dylib', 'a', 'lib', 'o', 'obj', 'class', 'pyc', 'pyo', 'wasm', 'node', 'bin', 'dat', 'pdb',
  'woff', 'woff2', 'ttf', 'otf', 'eot', 'pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'odt',
  'sqlite', 'db', 'mdb', 'gguf', 'safetensors', 'onnx', 'pt', 'pth', 'ckpt', 'npy', 'npz', 'pkl', 'parquet', 'arrow',
  'map', 'lockb', 'DS_Store',
]);
/** Generated files that match every question and answer none. */
const GENERATED_NAMES = /(?:^|\/)(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock|poetry\.lock|Gemfile\.lock|composer\.lock|go\.sum|bun\.lock)$|\.min\.(?:js|css|mjs|cjs)$|\.(?:js|css)\.map$/i;

/** True for a path (POSIX, any base) that is not worth reading: a binary type or a generated file. */
export function skippedByName(path: string): boolean {
  if (GENERATED_NAMES.test(path)) return true;
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot < 0) return false;
  const ext = base.slice(dot + 1);
  return BINARY_EXTENSIONS.has(ext) || BINARY_EXTENSIONS.has(ext.toLowerCase());
}

/** A file's text that is generated rather than written: long lines on average (minified code,
 * embedded data). Checked after reading. */
export function looksGenerated(text: string): boolean {
  if (text.length < 4096) return false;
  let lines = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  return text.length / lines > 300;
}

const IGNORE_CASE = process.platform === 'win32' || process.platform === 'darwin';

/**
 * The `.gitignore` rules of one folder tree: one rule set per directory that has a `.gitignore`,
 * plus `.git/info/exclude` at the root; `.git/` itself is always ignored. Paths are POSIX and
 * relative to the folder root (no leading `./` or `/`).
 */
export class IgnoreRules {
  /** Directory ('' = root) -> its rules. */
  private readonly sets = new Map<string, Ignore>();

  /** Adds the rules of the `.gitignore` in directory `dir` ('' for the root; the info/exclude file
   * counts as the root's). */
  add(dir: string, content: string): void {
    const d = dir.replace(/^\/+|\/+$/g, '');
    let set = this.sets.get(d);
    // Case as git matches it: core.ignorecase is true where the file system folds case (Windows,
    // macOS) and false on Linux, where `Build/` is not ignored by a `build/` rule.
    if (!set) { set = ignore({ allowRelativePaths: true, ignorecase: IGNORE_CASE }); this.sets.set(d, set); }
    set.add(content);
  }

  get size(): number { return this.sets.size; }

  /**
   * Whether `path` (a file, or a directory when `isDir`) is ignored. Git's order: the rules of the
   * nearest directory decide, a deeper `!pattern` re-includes what a shallower one excluded; and a
   * file inside an ignored directory stays ignored whatever deeper rules say.
   */
  ignores(path: string, isDir = false): boolean {
    const p = path.replace(/^\/+/, '');
    if (p === '.git' || p.startsWith('.git/') || p.includes('/.git/')) return true;
    const parts = p.split('/');
    // A parent directory that is ignored hides everything inside it.
    for (let i = 1; i < parts.length; i++) {
      if (this.decide(parts.slice(0, i).join('/') + '/', parts, i)) return true;
    }
    return this.decide(isDir ? p + '/' : p, parts, parts.length);
  }

  /** The verdict for `target` (the first `depth` parts of the path) from every rule set above it. */
  private decide(target: string, parts: readonly string[], depth: number): boolean {
    let ignored = false;
    for (let d = 0; d < depth; d++) {
      const dir = parts.slice(0, d).join('/');
      const set = this.sets.get(dir);
      if (!set) continue;
      const rel = dir ? target.slice(dir.length + 1) : target;
      if (!rel) continue;
      const r = set.test(rel);
      if (r.ignored) ignored = true;
      else if (r.unignored) ignored = false;
    }
    return ignored;
  }
}

/**
 * Glob patterns for `workspace.findFiles`' exclude that prune what a `.gitignore` certainly
 * excludes (so the file walk does not enter `target/` or `build/`): only plain names and anchored
 * paths, and none at all when the file re-includes anything (`!`), since git would then look
 * inside. The `IgnoreRules` check after the walk stays the authority; this only saves work.
 * `dir` is the directory of the `.gitignore`, relative to the folder ('' for the root).
 */
export function prunableGlobs(dir: string, content: string): string[] {
  const lines = content.split(/\r?\n/).map((l) => l.replace(/(?<!\\)\s+$/, '')).filter((l) => l && !l.startsWith('#'));
  if (lines.some((l) => l.startsWith('!'))) return [];
  const base = dir.replace(/^\/+|\/+$/g, '');
  const out: string[] = [];
  for (const l of lines) {
    // Plain names only: letters, digits, . _ - and inner slashes; `*` only as the whole last part.
    const m = /^(\/)?((?:[\w.-]+\/)*[\w.-]+)(\/)?$/.exec(l);
    if (!m || m[2] === '.' || m[2] === '..') continue;
    const anchored = !!m[1] || m[2]!.includes('/');
    const name = m[2]!;
    const prefix = anchored ? (base ? `${base}/` : '') : (base ? `${base}/**/` : '**/');
    out.push(`${prefix}${name}/**`);
    if (!m[3]) out.push(`${prefix}${name}`);
  }
  return out;
}

/**
 * The keys of an exclude setting (`search.exclude`, `files.exclude`) that are on: `true` values only
 * (a `{ when: … }` value depends on a sibling file, which a glob cannot say; false is off).
 */
export function enabledGlobs(setting: unknown): string[] {
  if (!setting || typeof setting !== 'object') return [];
  return Object.entries(setting as Record<string, unknown>).filter(([k, v]) => v === true && k.trim()).map(([k]) => k.trim());
}

/** `a/{b,c}/d` -> [`a/b/d`, `a/c/d`] (every brace group, one level deep; nested groups are kept
 * as they are and then dropped by joinGlobs). */
export function expandBraces(glob: string): string[] {
  const m = /\{([^{}]*)\}/.exec(glob);
  if (!m) return [glob];
  const head = glob.slice(0, m.index);
  const tail = glob.slice(m.index + m[0].length);
  return m[1]!.split(',').flatMap((alt) => expandBraces(head + alt + tail));
}

/** One glob for findFiles' `exclude` that matches any of `globs` (undefined when there are none).
 * VS Code's glob does not nest braces, so each pattern's own braces are expanded first. */
export function joinGlobs(globs: readonly string[]): string | undefined {
  const plain = [...new Set(globs.flatMap(expandBraces).filter((g) => g && !/[{}]/.test(g)))];
  if (!plain.length) return undefined;
  return plain.length === 1 ? plain[0] : `{${plain.join(',')}}`;
}

/**
 * A test of workspace-relative POSIX paths against exclude globs (`files.exclude`, `search.exclude`
 * keys that are on), as VS Code applies them: a path is excluded when it, or a folder it is in,
 * matches (a glob naming the folder `out` at any depth excludes `src/out/a.js`). VS Code's glob
 * syntax (`**`, `*`, `?`, `{a,b}`, `[...]`) is matched by picomatch with dot files included. For
 * files the watcher reports after a listing; the listing itself leaves the excluding to findFiles.
 */
export function excludeMatcher(globs: readonly string[]): (rel: string) => boolean {
  if (!globs.length) return () => false;
  const isMatch = picomatch([...globs], { dot: true });
  return (rel) => {
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) if (isMatch(parts.slice(0, i).join('/'))) return true;
    return false;
  };
}
