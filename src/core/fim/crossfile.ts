// Cross-file context for a completion: the definitions of the symbols around the cursor (through a
// DefinitionResolver: VS Code's definition and hover providers in the editor, the TypeScript
// language service in the benchmark) and the ranges of other files the user recently edited or
// viewed (RecentRanges), within a token budget, in an order that stays the same from keystroke to
// keystroke so the server's prompt cache is reused.
//
// Latency: the lookups of one request are raced against a time limit (default 100 ms, Continue's
// figure); what has not arrived by then is replaced by the answer for the same name at an earlier
// version of the document, if there is one, and the lookups already started finish in the
// background for the next request (those not started are dropped). Answers are cached per document
// version and name.
//
// Order (cache stability): since Ollama 0.30 the prompt cache is llama-server's exact token-prefix
// slot cache, so everything after the first changed token is recomputed. The snippets chosen for a
// document keep their place from one request to the next; new ones are appended after them (in
// priority order, so the budget squeezes out the last ones first), and one that drops out takes
// only what follows it along.
import { LRUCache } from 'lru-cache';
import { estimateTokens } from '../llm/tokens';
import type { RecentKind, RecentRanges } from './recent';
import { symbolsNearCursor, type SymbolRef } from './symbols';

/** Where a symbol is declared, as the resolver found it. */
export interface DefinitionSite {
  /** The target document's identity (a URI string in the editor, a file name in the benchmark). */
  uri: string;
  /** The path shown to the model (workspace-relative). */
  path: string;
  /** 0-based lines of the declaration, inclusive. */
  startLine: number;
  endLine: number;
  /** The declaration's text, whole lines (or a signature from a hover when that is all there is). */
  text: string;
  /** Outside the workspace (a runtime's or the editor's own library): the model knows those. */
  external?: boolean;
}

/** Finds the declarations of the symbol at `symbol.offset` of document `doc`. May reject. `signal`
 * aborts when the answers are no longer wanted at all (CrossFileContext.clear), not when one
 * request's time limit passes: a late answer is cached for the next request. */
export interface DefinitionResolver {
  definitions(doc: { uri: string; version: number }, symbol: SymbolRef, signal: AbortSignal): Promise<DefinitionSite[]>;
}

export type SnippetKind = 'definition' | RecentKind;

/** One piece of context, as it goes into the prompt. */
export interface ContextSnippet {
  /** Identity for ordering and de-duplication (kind, document, first line). */
  key: string;
  kind: SnippetKind;
  uri: string;
  path: string;
  startLine: number;
  endLine: number;
  text: string;
  /** Estimated tokens of the snippet with its path line. */
  tokens: number;
  /** The symbol a definition was looked up for. */
  symbol?: string;
}

/** What the editor knows about the document a completion is for. */
export interface ContextQuery {
  uri: string;
  version: number;
  /** The document's path as shown to the model (workspace-relative). */
  path: string;
  /** The repository's name (the workspace folder's). */
  repo: string;
  language?: string;
  /** The start of the document (imports), ending at or before `prefixStart`. */
  head: string;
  prefix: string;
  /** Document offset where the prefix starts. */
  prefixStart: number;
  suffix: string;
  /** 0-based first and last line of the prefix/suffix windows (same-file definitions inside them
   * are already in the prompt). */
  windowLines: [number, number];
}

export interface GatherOptions {
  /** Tokens the snippets may take (0: no context). */
  budgetTokens: number;
  signal?: AbortSignal;
}

export interface GatherStats {
  /** Names looked up. */
  symbols: number;
  /** Answered from the cache of this document version. */
  cached: number;
  /** Answered within the time limit. */
  resolved: number;
  /** Not answered in time: an earlier version's answer was used (`stale`) or none. */
  late: number;
  stale: number;
  /** Candidates that did not fit the budget. */
  overBudget: number;
  /** Recent ranges offered. */
  recent: number;
}

export interface GatherResult {
  /** In prompt order. */
  snippets: ContextSnippet[];
  tokens: number;
  /** Time spent, on the injected clock. */
  ms: number;
  timedOut: boolean;
  stats: GatherStats;
}

export interface CrossFileOptions {
  resolver?: DefinitionResolver;
  recent?: RecentRanges;
  /** Wait at most this long for definitions (default 100 ms). */
  timeLimitMs?: number;
  /** Names looked up per request (default 12). */
  maxSymbols?: number;
  /** Lookups running at once (default 4). */
  concurrency?: number;
  /** Lines of one snippet (default 40; a longer declaration keeps its first lines). */
  maxSnippetLines?: number;
  /** Declarations kept per symbol (default 2: the first overload and the implementation). */
  sitesPerSymbol?: number;
  now?: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (h: unknown) => void;
}

/** Files whose content never goes into a prompt: environment files, keys, certificates, credential
 * stores. Matched on the base name, case-insensitively. */
const SECRET_FILE = /^(?:\.env(?:\..*)?|.*\.(?:pem|key|p12|pfx|jks|keystore|crt|cer|der|asc|gpg|kdbx|ppk)|id_(?:rsa|dsa|ecdsa|ed25519)(?:\.pub)?|\.npmrc|\.pypirc|\.netrc|\.pgpass|\.htpasswd|\.git-credentials|credentials(?:\.\w+)?|secrets?\.(?:json|ya?ml|toml|env)|.*\.tfvars|.*\.tfstate)$/i;

/** True for a path whose file may hold secrets (see SECRET_FILE). */
export function isSecretPath(path: string): boolean {
  const base = path.split(/[\\/]/).pop() ?? path;
  return SECRET_FILE.test(base);
}

/** The first `maxLines` lines of `text` (a long declaration keeps its signature and first lines). */
export function firstLines(text: string, maxLines: number): string {
  let at = -1;
  for (let n = 0; n < maxLines; n++) {
    at = text.indexOf('\n', at + 1);
    if (at < 0) return text;
  }
  return text.slice(0, at);
}

/** Tokens a snippet costs in the prompt: its text and a path line. */
export function snippetTokens(path: string, text: string): number {
  return estimateTokens(text) + estimateTokens(path) + 3;
}

/** At most `n` tasks at once; a task whose gate aborted before it could start is dropped. */
class Limiter {
  private running = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly n: number) {}

  run<T>(task: () => Promise<T>, gate: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        if (gate.aborted) { reject(new Error('lookup not started in time')); this.next(); return; }
        this.running++;
        task().then(resolve, reject).finally(() => { this.running--; this.next(); });
      };
      if (this.running < this.n) start(); else this.queue.push(start);
    });
  }

  private next(): void {
    if (this.running < this.n) this.queue.shift()?.();
  }
}

interface Settled<T> { done: boolean; value?: T; started?: boolean; gate?: AbortSignal }

/**
 * Gathers the context of one completion request. One instance per editor session: it holds the
 * definition cache and, per document, the order of the snippets last sent.
 */
export class CrossFileContext {
  private readonly exact = new LRUCache<string, { p: Promise<void>; s: Settled<DefinitionSite[]> }>({ max: 1024 });
  private readonly latest = new LRUCache<string, DefinitionSite[]>({ max: 1024 });
  private readonly order = new LRUCache<string, string[]>({ max: 64 });
  private readonly limiter: Limiter;
  private readonly now: () => number;
  private readonly timeLimitMs: number;
  /** Aborted by clear(): lookups outlive a request's time limit (their answers are cached), not this. */
  private life = new AbortController();

  constructor(private readonly o: CrossFileOptions = {}) {
    this.limiter = new Limiter(o.concurrency ?? 4);
    this.now = o.now ?? (() => performance.now());
    this.timeLimitMs = o.timeLimitMs ?? 100;
  }

  /** Forget every cached definition and snippet order (another workspace, a settings change). */
  clear(): void {
    this.life.abort();
    this.life = new AbortController();
    this.exact.clear();
    this.latest.clear();
    this.order.clear();
  }

  /** The snippets for `q` within `budgetTokens`, in prompt order. Never rejects for a resolver's
   * failure (that symbol has no definition); rejects only when `signal` aborts. */
  async gather(q: ContextQuery, g: GatherOptions): Promise<GatherResult> {
    const t0 = this.now();
    const stats: GatherStats = { symbols: 0, cached: 0, resolved: 0, late: 0, stale: 0, overBudget: 0, recent: 0 };
    if (g.budgetTokens <= 0) return { snippets: [], tokens: 0, ms: 0, timedOut: false, stats };
    let timedOut = false;
    const definitions: ContextSnippet[] = [];
    if (this.o.resolver) {
      const symbols = symbolsNearCursor({ head: q.head, prefix: q.prefix, prefixStart: q.prefixStart, suffix: q.suffix, ...(q.language ? { language: q.language } : {}) }, { max: this.o.maxSymbols ?? 12 });
      stats.symbols = symbols.length;
      const gate = new AbortController();
      const lookups = symbols.map((s) => this.lookup(q, s, gate.signal, stats));
      try {
        timedOut = !(await this.within(Promise.allSettled(lookups.map((l) => l.p)).then(() => undefined), g.signal));
      } finally {
        // Lookups not started by now are dropped; those running finish for the next request.
        gate.abort();
      }
      for (let i = 0; i < symbols.length; i++) {
        const s = symbols[i]!;
        const l = lookups[i]!;
        let sites = l.s.done ? l.s.value : undefined;
        if (!l.s.done) {
          stats.late++;
          sites = this.latest.get(`${q.uri}\u0000${s.name}`);
          if (sites) stats.stale++;
        }
        const snip = sites ? this.definitionSnippet(q, s, sites) : undefined;
        if (snip && !definitions.some((d) => d.key === snip.key)) definitions.push(snip);
      }
    }
    const recent: ContextSnippet[] = [];
    for (const r of this.o.recent?.recent(q.uri) ?? []) {
      if (isSecretPath(r.path)) continue;
      const text = r.text.replace(/\s+$/, '');
      recent.push({ key: `${r.kind}\u0000${r.uri}\u0000${r.startLine}`, kind: r.kind, uri: r.uri, path: r.path, startLine: r.startLine, endLine: r.endLine, text, tokens: snippetTokens(r.path, text) });
    }
    stats.recent = recent.length;
    // Fixed priority: definitions, then edited, then viewed ranges (newest first within each).
    const candidates = [...definitions, ...recent.filter((r) => r.kind === 'edited'), ...recent.filter((r) => r.kind === 'visited')];
    const snippets = this.select(q, candidates, g.budgetTokens, stats);
    return { snippets, tokens: snippets.reduce((a, s) => a + s.tokens, 0), ms: this.now() - t0, timedOut, stats };
  }

  /** One name's definitions: from the cache of this version, else a new lookup (started only while
   * `gate` is open). `s.done` says whether it has arrived. */
  private lookup(q: ContextQuery, sym: SymbolRef, gate: AbortSignal, stats: GatherStats): { p: Promise<unknown>; s: Settled<DefinitionSite[]> } {
    const key = `${q.uri}\u0000${q.version}\u0000${sym.name}`;
    const hit = this.exact.get(key);
    // A lookup an earlier request queued but dropped (never started) is asked again.
    if (hit && (hit.s.done || hit.s.started || !hit.s.gate?.aborted)) {
      if (hit.s.done) stats.cached++;
      return hit;
    }
    const s: Settled<DefinitionSite[]> = { done: false, gate };
    const resolver = this.o.resolver!;
    const task = (): Promise<DefinitionSite[]> => { s.started = true; return resolver.definitions({ uri: q.uri, version: q.version }, sym, this.life.signal); };
    const p = this.limiter.run(task, gate).then(
      (v) => {
        s.done = true;
        s.value = v;
        this.latest.set(`${q.uri}\u0000${sym.name}`, v);
        if (!gate.aborted) stats.resolved++;
      },
      () => {
        // A failed or dropped lookup is not remembered: the next request asks again.
        if (this.exact.get(key)?.s === s) this.exact.delete(key);
        if (!gate.aborted) { s.done = true; s.value = []; }
      },
    );
    const entry = { p, s };
    this.exact.set(key, entry);
    return entry;
  }

  /** Resolves true when `p` settles within the time limit, false when the limit comes first;
   * rejects when `signal` aborts. */
  private within(p: Promise<void>, signal?: AbortSignal): Promise<boolean> {
    const set = this.o.setTimeout ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
    const clear = this.o.clearTimeout ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));
    return new Promise<boolean>((resolve, reject) => {
      if (signal?.aborted) { reject(signal.reason); return; }
      const onAbort = (): void => { clear(timer); reject(signal!.reason); };
      const timer = set(() => { signal?.removeEventListener('abort', onAbort); resolve(false); }, this.timeLimitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      void p.then(() => { clear(timer); signal?.removeEventListener('abort', onAbort); resolve(true); });
    });
  }

  /** The snippet for one symbol's declarations: the first and (for overloads) the last, in the
   * workspace, not already in the prompt's windows, not in a secret file. */
  private definitionSnippet(q: ContextQuery, sym: SymbolRef, all: DefinitionSite[]): ContextSnippet | undefined {
    const [w0, w1] = q.windowLines;
    const sites = all.filter((d) => !d.external && d.text.trim() !== '' && !isSecretPath(d.path)
      && !(d.uri === q.uri && d.startLine <= w1 && d.endLine >= w0));
    if (!sites.length) return undefined;
    const first = sites[0]!;
    const same = sites.filter((d) => d.uri === first.uri);
    const keep = this.o.sitesPerSymbol ?? 2;
    const chosen = same.length > keep ? [...same.slice(0, keep - 1), same[same.length - 1]!] : same;
    const text = firstLines(chosen.map((d) => d.text.replace(/\s+$/, '')).join('\n'), this.o.maxSnippetLines ?? 40);
    const startLine = Math.min(...chosen.map((d) => d.startLine));
    const endLine = Math.max(...chosen.map((d) => d.endLine));
    return { key: `definition\u0000${first.uri}\u0000${first.startLine}`, kind: 'definition', uri: first.uri, path: first.path, startLine, endLine, text, tokens: snippetTokens(first.path, text), symbol: sym.name };
  }

  /** Greedy fill within the budget (skipping what the windows already show and what overlaps a
   * snippet already taken): first the snippets the document's last prompt carried, in that order,
   * then the new ones in priority order, appended after them. */
  private select(q: ContextQuery, candidates: ContextSnippet[], budget: number, stats: GatherStats): ContextSnippet[] {
    const window = q.prefix + q.suffix;
    const taken: ContextSnippet[] = [];
    let left = budget;
    const before = this.order.get(q.uri) ?? [];
    // The snippets the last prompt carried take the budget first (while they are still candidates):
    // a new, higher-ranked one must not squeeze out one in the middle of the cached prompt.
    const rank = (c: ContextSnippet): number => { const i = before.indexOf(c.key); return i < 0 ? Infinity : i; };
    const ordered = candidates.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map((x) => x.c);
    for (const c of ordered) {
      if (taken.some((t) => t.key === c.key || (t.uri === c.uri && t.startLine <= c.endLine && t.endLine >= c.startLine))) continue;
      if (c.text.length > 0 && window.includes(c.text)) continue;
      if (c.tokens > left) { stats.overBudget++; continue; }
      taken.push(c);
      left -= c.tokens;
    }
    const byKey = new Map(taken.map((t) => [t.key, t]));
    const kept = before.filter((k) => byKey.has(k)).map((k) => byKey.get(k)!);
    // New ones in priority order: when the budget later squeezes one out, it is the least useful,
    // at the end, and little after it is recomputed.
    const added = taken.filter((t) => !before.includes(t.key));
    const result = [...kept, ...added];
    this.order.set(q.uri, result.map((s) => s.key));
    return result;
  }
}
