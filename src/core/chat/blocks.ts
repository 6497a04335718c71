// Streaming markdown that renders exactly what one markdown-it render of the text so far would, while
// rendering each finished block only once.
//
// A streamed answer is kept as committed chunks (top-level blocks that no further text can change,
// each rendered once) and the open region after them (re-rendered per frame). Where a block ends is
// decided by markdown-it's own block parser, run on the complete lines of the open region only: a
// top-level block is committed when the parser has started the next one after it, or when it ends
// itself (a closed fence, a heading, a thematic break, a paragraph, table or block quote followed by a
// blank line). CommonMark's rules (fence indentation, length and character, lists and their
// tightness, lazy continuation, setext headings, tables, indented code) therefore come from the parser
// that renders, not from a second, simplified one.
//
// Two things let later text change earlier blocks, and both are handled:
// - Link reference definitions apply to the whole document, wherever they are (`[docs][d]` … later
//   `[d]: https://example.com/docs`; the first definition of a label wins). Committed chunks whose
//   text contains a bracketed label are re-rendered when that label's definition appears or changes.
// - A definition is parsed by scanning ahead (a label or title may go on over following lines) and
//   backing off when it cannot finish; the table rule looks one line ahead. A block that could still
//   become (part of) a definition, and a heading that could still become a table header, are not
//   committed until a blank line (which stops every such scan) or the next line settles it.
// That markdown-it's rendering of a document is the concatenation of its top-level blocks' renderings
// (the renderer only looks at neighbouring tokens inside a block) is what makes chunks independent.
//
// Cost per frame is proportional to the new text and the open region, never to the answer: the open
// region is parsed only when a line completes. Two common long open regions get cheaper paths so that
// their cost per frame does not grow with their length:
// - an open fenced code block (a model writing a file): new lines are only checked for the closing
//   fence; the lines are shown as plain text and the block is rendered (highlighted) once, when it
//   closes;
// - one long paragraph: a new line is checked against a few-line window (does it continue the
//   paragraph?) instead of the whole paragraph being parsed again; and any open region longer than
//   `previewMinChars` is rendered exactly only each time it has grown by `previewGrowth` since the
//   last exact render (and not at all past `previewMaxChars` until it ends), with the text that
//   arrived in between shown as plain text.
// Any other long open block (a block quote, a list, a table, a paragraph that could still become a
// definition) is parsed again only once the open region has grown by `previewGrowth` since its last
// parse (by a quarter when a blank line, where most blocks end, has arrived since), so the parsing
// of a long open block costs a small multiple of its length in all, not its length per line; until
// then its new text is shown as plain text, like a preview. And the open region is searched for
// reference definitions only when one of its lines could start one (`[` after container markers).
// Pure: no DOM; the webview (src/webview/render.ts) applies the frames, the unit tests compare them
// with markdown-it rendering the whole prefix.
import type MarkdownIt from 'markdown-it';

type Md = MarkdownIt.MarkdownIt;
type Token = MarkdownIt.Token;

/** A link reference definition the way markdown-it keeps it in `env.references`. */
interface RefDef { href: string; title: string }
type Refs = Record<string, RefDef>;

/** A committed chunk: one top-level block (with the blank lines and definitions before it). */
export interface Chunk {
  /** Increasing in document order; a later frame may send the same id again in `changed`. */
  id: number;
  /** markdown-it's HTML for the chunk (unsanitized: it carries model output). May be "" (blank
   * lines, definitions only). */
  html: string;
  /** The chunk uses a bracketed label, so a later frame may re-render it (`changed`). */
  mayChange: boolean;
}

/** What to do with the open region (shown after every committed chunk). */
export type OpenUpdate =
  /** Nothing changed. */
  | { kind: 'same' }
  /** Replace what the open region shows with this exact rendering ("" = nothing to show). */
  | { kind: 'html'; html: string }
  /** A preview: add this text, as plain text, after what the open region shows. */
  | { kind: 'append'; text: string }
  /** The open region is a fenced code block that is still open. `reset`: start a new, empty code
   * block with this language (the first word of the info string, as markdown-it takes it). `lines`:
   * finished code lines (each ending in \n) to add; `tail`: the unfinished last line, which replaces
   * the previous tail. Shown as plain text; highlighted once the fence closes. */
  | { kind: 'fence'; reset?: { lang: string }; lines: string; tail: string };

/** The changes since the previous frame. */
export interface Frame {
  /** Newly committed chunks, in document order, to show after the previous ones. */
  added: Chunk[];
  /** Already committed chunks whose rendering changed (a reference definition appeared or changed). */
  changed: Chunk[];
  open: OpenUpdate;
}

export interface StreamingMarkdownOptions {
  /** An open region up to this many characters is rendered exactly in every frame. Default 8,192
   * (markdown-it alone takes a few ms for that much, more on a busy machine). */
  previewMinChars?: number;
  /** A longer one is rendered exactly again once it is this many times as long as at its last exact
   * rendering; the text in between is appended as plain text (`append`). Default 2. */
  previewGrowth?: number;
  /** Past this many characters an open region is not rendered exactly again until it is finished
   * (one such rendering of a huge block costs a visible pause). Default 131,072. */
  previewMaxChars?: number;
  /** false: never preview (no `append`, no `fence`): every frame renders the open region exactly. The
   * block boundaries and their cost are the same. Default true. */
  previews?: boolean;
}

/** Work done so far, in characters (for tests and benchmarks of the cost per frame). */
export interface StreamingMarkdownStats {
  /** Characters given to markdown-it's block parser to find where blocks end. */
  parsedChars: number;
  /** Characters rendered (parsed and rendered to HTML). */
  renderedChars: number;
}

type Mode =
  | { kind: 'generic' }
  /** The open region is blank lines and then one open fence, opened on line `start`. */
  | { kind: 'fence'; start: number; marker: number; len: number; indent: number; lang: string }
  /** The open region is blank lines and then one paragraph, from line `start` to the last complete line. */
  | { kind: 'paragraph'; start: number };

type View =
  | { kind: 'exact'; region: number; chars: number }
  | { kind: 'fence'; region: number; start: number; shown: number };

const GENERIC: Mode = { kind: 'generic' };
const NO_REFS: Refs = Object.freeze({}) as Refs;
/** A line whose content may begin with `[` (a reference definition's label): any run of spaces, tabs,
 * block-quote markers and list markers (bullets, ordinal digits with `.` or `)`) and then `[`. A
 * superset of where markdown-it's reference rule can start. */
const MAY_START_DEFINITION = /^[ \t>*+\-0-9.)]*\[/;

/**
 * Incremental markdown for one streamed answer: `push` the text as it arrives (any pieces), and call
 * `update` once per frame for what changed; `finish` when the answer is complete.
 *
 * Invariant (checked by test/unit/chatMarkdownStream.test.ts for many texts, cut points and piece
 * sizes): after any update, the HTML of the committed chunks (latest version of each, in id order)
 * followed by `renderOpen()` equals `md.render(text so far)`; an update of kind `html` is that
 * rendering of the open region, and after `finish` the open region is always shown that way.
 *
 * `md` must be the instance used for the whole-text rendering being matched (same options, rules,
 * validateLink, highlight).
 */
export class StreamingMarkdown {
  readonly stats: StreamingMarkdownStats = { parsedChars: 0, renderedChars: 0 };
  private readonly previewMin: number;
  private readonly growth: number;
  private readonly previewMax: number;
  private readonly previews: boolean;

  private rawLength = 0;
  /** The last character pushed was \r: a \n right after it belongs to the same line end. */
  private pendingCR = false;
  /** Complete lines of the open region, without their \n (text normalized as markdown-it does). */
  private lines: string[] = [];
  private linesChars = 0;
  /** The unfinished last line, in pieces (joined when it completes or when asked for). */
  private partial: string[] = [];
  private partialChars = 0;
  /** Text pushed since the last update (for `append`). */
  private fresh: string[] = [];
  /** Complete lines already judged (how far the mode has looked). */
  private examined = 0;
  private mode: Mode = GENERIC;
  /** Changes whenever the open region loses its start (a commit). */
  private region = 0;
  /** The open region's last full parse (parseRegion): its region and its complete lines' length. */
  private parsed: { region: number; chars: number } | undefined;
  /** How many complete lines of the open region were checked for a definition start, and whether
   * one of them could start one (reset with the region). */
  private defLinesChecked = 0;
  private defLineSeen = false;
  private view: View | undefined;
  /** finish() was called: the open region is always rendered exactly (text may still come). */
  private finished = false;

  private nextId = 0;
  /** Text of committed chunks that use a bracketed label (the only ones that can change). */
  private chunkText = new Map<number, string>();
  private byLabel = new Map<string, Set<number>>();
  /** Definitions in committed chunks (first wins); never change. */
  private committedRefs: Refs = {};
  private committedRefCount = 0;
  /** Definitions in the open region not already in committedRefs, as of the last update. */
  private openRefs: Refs = NO_REFS;
  /** committedRefs then openRefs: what `env.references` is for a whole render of the text so far. */
  private effective: Refs = NO_REFS;
  private effectiveCount = 0;

  constructor(private readonly md: Md, options: StreamingMarkdownOptions = {}) {
    this.previewMin = options.previewMinChars ?? 8192;
    this.growth = Math.max(1.01, options.previewGrowth ?? 2);
    this.previewMax = options.previewMaxChars ?? 131_072;
    this.previews = options.previews ?? true;
  }

  /** Characters pushed so far (as given, before line ends are normalized). */
  get length(): number { return this.rawLength; }

  /** Adds streamed text. Costs the length of `text` (lines are split; nothing is parsed here). */
  push(text: string): void {
    if (!text) return;
    this.rawLength += text.length;
    let s = text;
    // markdown-it's normalize step: \r\n and a lone \r become \n, NUL becomes U+FFFD. A \r at the end
    // of one piece already ended its line, so a \n at the start of the next one is the same line end.
    if (this.pendingCR && s.charCodeAt(0) === 10) s = s.slice(1);
    this.pendingCR = text.charCodeAt(text.length - 1) === 13;
    if (s.includes('\r')) s = s.replace(/\r\n?/g, '\n');
    if (s.includes('\0')) s = s.replace(/\0/g, '\uFFFD');
    if (!s) return;
    this.fresh.push(s);
    let pos = 0;
    for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', pos)) {
      const seg = s.slice(pos, nl);
      const line = this.partial.length ? this.partial.join('') + seg : seg;
      this.partial = [];
      this.partialChars = 0;
      this.lines.push(line);
      this.linesChars += line.length + 1;
      pos = nl + 1;
    }
    if (pos < s.length) {
      const rest = pos ? s.slice(pos) : s;
      this.partial.push(rest);
      this.partialChars += rest.length;
    }
  }

  /** What changed since the last update: newly committed chunks, re-rendered chunks, the open region. */
  update(): Frame {
    const added: { id: number; text: string }[] = [];
    const committedRefsGrew = this.advance(added);
    const prevOpenRefs = this.openRefs;
    const open = this.openUpdate(added.length > 0);
    this.fresh = [];
    const changedLabels = committedRefsGrew || !sameRefs(prevOpenRefs, this.openRefs) ? this.refreshEffective() : [];
    const frame: Frame = { added: [], changed: [], open };
    for (const c of added) frame.added.push(this.renderChunk(c.id, c.text, true));
    if (changedLabels.length) {
      const ids = new Set<number>();
      for (const label of changedLabels) for (const id of this.byLabel.get(label) ?? []) ids.add(id);
      const fresh = new Set(added.map((c) => c.id));
      for (const id of [...ids].sort((a, b) => a - b)) {
        if (!fresh.has(id)) frame.changed.push(this.renderChunk(id, this.chunkText.get(id)!, false));
      }
    }
    return frame;
  }

  /** The answer is complete: an update in which the open region is rendered exactly (as it is in
   * every later one). Calling it again with no new text changes nothing and costs nothing. */
  finish(): Frame {
    if (this.finished && !this.fresh.length) return { added: [], changed: [], open: { kind: 'same' } };
    this.finished = true;
    this.view = undefined;
    return this.update();
  }

  /** The exact rendering of the open region now (what an `html` update would carry). Costs the open
   * region; for tests and for callers that need it outside a frame. */
  renderOpen(): string {
    const text = this.openText();
    if (!text) return '';
    const env = envFor(this.committedRefs, this.committedRefCount);
    this.stats.renderedChars += text.length;
    return this.md.render(text, env);
  }

  // ---- where blocks end --------------------------------------------------------------------------

  /** Judges the complete lines not judged yet and commits what they finish. Returns whether
   * committed definitions were added. */
  private advance(added: { id: number; text: string }[]): boolean {
    let grew = false;
    while (this.examined < this.lines.length) {
      const m = this.mode;
      if (m.kind === 'fence') {
        let k = Math.max(this.examined, m.start + 1);
        while (k < this.lines.length && !isFenceClose(this.lines[k]!, m.marker, m.len)) k++;
        if (k === this.lines.length) { this.examined = k; return grew; }
        // Closed: the fence (with the blank lines before it) is final whatever follows.
        this.commit(added, [k + 1]);
        this.mode = GENERIC;
        this.examined = 0;
        continue;
      }
      if (m.kind === 'paragraph' && this.paragraphContinues(m.start)) {
        this.examined = this.lines.length;
        return grew;
      }
      if (this.deferParse()) return grew;
      grew = this.parseRegion(added) || grew;
      return grew;
    }
    return grew;
  }

  /** Whether parsing the open region again can wait: it is long (over previewMinChars) and has not
   * yet grown by `previewGrowth` since its last parse (by a quarter when a blank line has completed
   * since the last look). Waiting only delays commits (and the exact rendering past previewMaxChars):
   * the open region is rendered from its whole text, so what is shown stays exact. Never while
   * finishing or without previews. */
  private deferParse(): boolean {
    const p = this.parsed;
    if (this.finished || !this.previews || !p || p.region !== this.region || this.linesChars <= this.previewMin) return false;
    let blank = false;
    for (let i = this.examined; i < this.lines.length && !blank; i++) blank = isBlank(this.lines[i]!);
    return this.linesChars < p.chars * (blank ? Math.min(1.25, this.growth) : this.growth);
  }

  /** Whether the lines that completed since the last look continue the open paragraph: the last
   * judged line (the table rule looks one line ahead, so its status may have changed) and the new
   * ones, parsed after a stand-in first line. A paragraph's continuation lines are judged line by
   * line (lazy continuation, interrupting blocks, a setext underline), so this agrees with parsing
   * the whole paragraph; anything else falls back to that. */
  private paragraphContinues(start: number): boolean {
    const a = Math.max(start, this.examined - 1);
    const win = a === start ? this.lines.slice(start) : ['x', ...this.lines.slice(a)];
    const src = win.join('\n') + '\n';
    this.stats.parsedChars += src.length;
    const tokens: Token[] = [];
    this.md.block.parse(src, this.md, {}, tokens);
    return tokens.length === 3 && tokens[0]!.type === 'paragraph_open' && tokens[0]!.map![1] === win.length;
  }

  /** Parses the open region's complete lines, commits the blocks that are final, and picks the mode
   * for the rest. Returns whether committed definitions were added. */
  private parseRegion(added: { id: number; text: string }[]): boolean {
    const lines = this.lines;
    const n = lines.length;
    const src = lines.join('\n') + '\n';
    this.stats.parsedChars += src.length;
    const env: { references?: Refs } = {};
    const tokens: Token[] = [];
    this.md.block.parse(src, this.md, env, tokens);
    const tops: Token[] = [];
    for (const t of tokens) if (t.level === 0 && t.nesting !== -1) tops.push(t);

    // Blocks a definition could still take over: a definition (its title or a label may go on) and a
    // paragraph or setext heading that could still turn out to be one. A blank line after it ends
    // every such scan (markdown-it's reference rule stops at an empty line), so they are final once
    // one follows; until then no cut may pass their start.
    let lastBlank = -1;
    for (let i = n - 1; i >= 0; i--) if (isBlank(lines[i]!)) { lastBlank = i; break; }
    let limit = Infinity;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      const start = t.map?.[0] ?? 0;
      if (start >= limit || lastBlank > start) continue;
      if (t.type === 'reference_definition' || (isParagraphLike(t) && mayBecomeDefinition(tokens[i + 1]!.content))) limit = start;
    }

    // Cuts: where the next top-level block starts, or the end of a last block that ended itself.
    const cuts: number[] = [];
    for (let j = 1; j < tops.length; j++) {
      const c = tops[j]!.map![0];
      if (c > limit) break;
      cuts.push(c);
    }
    const last = tops[tops.length - 1];
    if (last && cuts.length === tops.length - 1) {
      const end = selfEnd(last, lines);
      if (end > 0 && end <= limit && end > (cuts[cuts.length - 1] ?? 0)) cuts.push(end);
    }
    const cut = cuts[cuts.length - 1] ?? 0;

    let grew = false;
    if (cut > 0) {
      // Definitions in the committed part are final: keep them (the first of a label wins).
      const refs = env.references;
      if (refs) {
        for (const t of tokens) {
          if (t.type !== 'reference_definition' || t.map![0] >= cut) continue;
          const label = (t.meta as { label: string }).label;
          if (Object.prototype.hasOwnProperty.call(this.committedRefs, label)) continue;
          this.committedRefs[label] = refs[label]!;
          this.committedRefCount++;
          grew = true;
        }
      }
      this.commit(added, cuts);
    }

    this.mode = GENERIC;
    const rest = tops.filter((t) => t.map![0] >= cut);
    if (rest.length === 1) {
      const t = rest[0]!;
      const start = t.map![0] - cut;
      if (t.type === 'fence' && t.map![1] === n && !(n - 1 > t.map![0] && isFenceClose(lines[n - 1 - cut] ?? '', t.markup.charCodeAt(0), t.markup.length))) {
        const info = t.info ? this.md.utils.unescapeAll(t.info).trim() : '';
        this.mode = {
          kind: 'fence', start, marker: t.markup.charCodeAt(0), len: t.markup.length,
          indent: indentOf(this.lines[start]!), lang: info.split(/\s+/)[0] ?? '',
        };
      } else if (t.type === 'paragraph_open' && t.map![1] === n && !mayBecomeDefinition(tokens[tokens.indexOf(t) + 1]!.content)) {
        this.mode = { kind: 'paragraph', start };
      }
    }
    this.examined = this.lines.length;
    this.parsed = { region: this.region, chars: this.linesChars };
    return grew;
  }

  /** Commits the open region's lines up to each cut (increasing), one chunk per cut. */
  private commit(added: { id: number; text: string }[], cuts: number[]): void {
    let from = 0;
    for (const c of cuts) {
      added.push({ id: this.nextId++, text: this.lines.slice(from, c).join('\n') + '\n' });
      from = c;
    }
    for (let i = 0; i < from; i++) this.linesChars -= this.lines[i]!.length + 1;
    this.lines.splice(0, from);
    this.region++;
    this.defLinesChecked = 0;
    this.defLineSeen = false;
  }

  // ---- the open region -----------------------------------------------------------------------------

  private openText(): string {
    if (this.partial.length > 1) this.partial = [this.partial.join('')];
    const tail = this.partial[0] ?? '';
    return this.lines.length ? this.lines.join('\n') + '\n' + tail : tail;
  }

  private openUpdate(committed: boolean): OpenUpdate {
    const total = this.linesChars + this.partialChars;
    const v = this.view;
    if (!committed && !this.fresh.length && v && v.region === this.region
      && (v.kind === 'fence') === (this.mode.kind === 'fence' && !this.finished)) return { kind: 'same' };
    if (this.finished || !this.previews) return this.exact(total);
    const m = this.mode;
    if (m.kind === 'fence') {
      this.openRefs = NO_REFS;
      return this.fenceUpdate(m);
    }
    if (total <= this.previewMin || !v || v.kind !== 'exact' || v.region !== this.region
      || (total >= v.chars * this.growth && total <= this.previewMax)) {
      return this.exact(total);
    }
    // A long open region between exact renderings: the new text as plain text. A paragraph holds no
    // definitions; other blocks may, and they count for the committed chunks.
    this.openRefs = m.kind === 'paragraph' ? NO_REFS : this.openDefinitions();
    return { kind: 'append', text: this.fresh.join('') };
  }

  private exact(total: number): OpenUpdate {
    const text = this.openText();
    this.view = { kind: 'exact', region: this.region, chars: total };
    if (!text) { this.openRefs = NO_REFS; return { kind: 'html', html: '' }; }
    const env = envFor(this.committedRefs, this.committedRefCount);
    this.stats.renderedChars += text.length;
    const html = this.md.render(text, env);
    this.openRefs = ownRefs(env.references);
    return { kind: 'html', html };
  }

  /** Definitions in the open region (not already committed), without rendering it. */
  private openDefinitions(): Refs {
    if (!this.mayHoldDefinition()) return NO_REFS;
    const text = this.openText();
    if (!text.includes(']:')) return NO_REFS;
    const env = envFor(this.committedRefs, this.committedRefCount);
    this.stats.parsedChars += text.length;
    this.md.block.parse(text, this.md, env, []);
    return ownRefs(env.references);
  }

  /** Whether a line of the open region could start a reference definition: markdown-it's reference
   * rule only starts at a `[` that begins a line's content (after up to 3 spaces, inside block
   * quotes and list items), so a line whose first character after spaces, tabs and container
   * markers is not `[` starts none. Costs the lines completed since the last call and the start of
   * the unfinished one. */
  private mayHoldDefinition(): boolean {
    for (; !this.defLineSeen && this.defLinesChecked < this.lines.length; this.defLinesChecked++) {
      this.defLineSeen = MAY_START_DEFINITION.test(this.lines[this.defLinesChecked]!);
    }
    if (this.defLineSeen) return true;
    if (this.partial.length > 1) this.partial = [this.partial.join('')];
    return MAY_START_DEFINITION.test(this.partial[0] ?? '');
  }

  private fenceUpdate(m: Extract<Mode, { kind: 'fence' }>): OpenUpdate {
    let v = this.view;
    let reset: { lang: string } | undefined;
    if (!v || v.kind !== 'fence' || v.region !== this.region || v.start !== m.start) {
      reset = { lang: m.lang };
      v = this.view = { kind: 'fence', region: this.region, start: m.start, shown: m.start + 1 };
    }
    let lines = '';
    if (v.shown < this.lines.length) {
      const done: string[] = [];
      for (let i = v.shown; i < this.lines.length; i++) done.push(stripIndent(this.lines[i]!, m.indent), '\n');
      lines = done.join('');
      v.shown = this.lines.length;
    }
    if (this.partial.length > 1) this.partial = [this.partial.join('')];
    return { kind: 'fence', reset, lines, tail: stripIndent(this.partial[0] ?? '', m.indent) };
  }

  // ---- references ----------------------------------------------------------------------------------

  /** Recomputes the definitions a whole render would see; returns the labels whose definition changed. */
  private refreshEffective(): string[] {
    const next: Refs = this.committedRefCount || Object.keys(this.openRefs).length
      ? Object.assign({}, this.openRefs, this.committedRefs) : NO_REFS;
    const changed: string[] = [];
    for (const label of Object.keys(next)) {
      const a = this.effective[label];
      const b = next[label]!;
      if (!a || a.href !== b.href || a.title !== b.title) changed.push(label);
    }
    for (const label of Object.keys(this.effective)) if (!(label in next)) changed.push(label);
    this.effective = next;
    this.effectiveCount = Object.keys(next).length;
    return changed;
  }

  /** Renders a committed chunk with the definitions of the whole text so far. */
  private renderChunk(id: number, text: string, isNew: boolean): Chunk {
    const env = envFor(this.effective, this.effectiveCount);
    this.stats.renderedChars += text.length;
    const tokens = this.md.parse(text, env);
    const html = this.md.renderer.render(tokens, this.md.options, env);
    if (isNew) {
      const labels = new Set<string>();
      for (const t of tokens) if (t.type === 'inline' && t.content.includes('[')) bracketLabels(t.content, labels, this.md);
      if (labels.size) {
        this.chunkText.set(id, text);
        for (const l of labels) {
          let ids = this.byLabel.get(l);
          if (!ids) this.byLabel.set(l, ids = new Set());
          ids.add(id);
        }
      }
    }
    return { id, html, mayChange: this.chunkText.has(id) };
  }
}

/** An env whose `references` are `refs` (markdown-it adds a chunk's own definitions only when the
 * label is not there yet: first wins, as in one whole render). */
function envFor(refs: Refs, count: number): { references?: Refs } {
  return count ? { references: Object.create(refs) as Refs } : {};
}

/** The definitions markdown-it added to an env from `envFor` (its own properties). */
function ownRefs(refs: Refs | undefined): Refs {
  if (!refs) return NO_REFS;
  const keys = Object.keys(refs);
  if (!keys.length) return NO_REFS;
  const out: Refs = {};
  for (const k of keys) out[k] = refs[k]!;
  return out;
}

function sameRefs(a: Refs, b: Refs): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const x = a[k]!;
    const y = b[k];
    if (!y || x.href !== y.href || x.title !== y.title) return false;
  }
  return true;
}

/** Every innermost bracketed text in inline content, normalized as a reference label. A reference
 * (`[text][label]`, `[label][]`, `[label]`) can only match a definition whose label has no unescaped
 * brackets, so each usable label is one of these; extra ones (link text, code) only cost a re-render. */
function bracketLabels(s: string, out: Set<string>, md: Md): void {
  let open = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) { i++; continue; }
    if (c === 91 /* [ */) open = i;
    else if (c === 93 /* ] */ && open >= 0) {
      const label = md.utils.normalizeReference(s.slice(open + 1, i));
      if (label) out.add(label);
      open = -1;
    }
  }
}

function isParagraphLike(t: Token): boolean {
  return t.type === 'paragraph_open' || (t.type === 'heading_open' && (t.markup === '=' || t.markup === '-'));
}

/** Whether block content could still become a link reference definition as more lines arrive: it
 * starts with `[` and the label is unfinished or followed by `:`. A label closed by `]` and anything
 * else, an unescaped `[` inside it, or a label longer than markdown-it accepts rules it out for good
 * (as in markdown-it's reference rule). */
function mayBecomeDefinition(content: string): boolean {
  if (content.charCodeAt(0) !== 91) return false;
  for (let i = 1; i < content.length; i++) {
    if (i > 2000) return false;
    const c = content.charCodeAt(i);
    if (c === 91) return false;
    if (c === 93) return i + 1 >= content.length || content.charCodeAt(i + 1) === 58;
    if (c === 92) i++;
  }
  return true;
}

/** Where a last top-level block ends if nothing after it can change it (else -1): a closed fence, an
 * ATX heading (unless it is the last line and has a `|`: with a delimiter row next it would be a
 * table header), a setext heading, a thematic break, and a paragraph, table or block quote followed
 * by a blank line. */
function selfEnd(t: Token, lines: string[]): number {
  const [start, end] = t.map!;
  const n = lines.length;
  switch (t.type) {
    case 'fence':
      return end < n || (end - start >= 2 && isFenceClose(lines[end - 1]!, t.markup.charCodeAt(0), t.markup.length)) ? end : -1;
    case 'hr':
      return end;
    case 'heading_open':
      if (t.markup.charCodeAt(0) === 35 /* # */ && end >= n && lines[start]!.includes('|')) return -1;
      return end;
    case 'paragraph_open':
    case 'table_open':
    case 'blockquote_open':
      return end < n && isBlank(lines[end]!) ? end : -1;
    default:
      return -1;
  }
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** Columns of indentation (tabs to the next multiple of 4), as markdown-it's sCount. */
function indentOf(line: string): number {
  let col = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) col++;
    else if (c === 9) col += 4 - (col % 4);
    else break;
  }
  return col;
}

/** Whether a top-level line closes a fence of `len` × `marker` (markdown-it's fence rule: indented
 * less than 4 columns, at least as many of the same character, then only spaces or tabs). */
export function isFenceClose(line: string, marker: number, len: number): boolean {
  let i = 0;
  let col = 0;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) col++;
    else if (c === 9) col += 4 - (col % 4);
    else break;
  }
  if (col >= 4 || line.charCodeAt(i) !== marker) return false;
  let j = i;
  while (line.charCodeAt(j) === marker) j++;
  if (j - i < len) return false;
  for (; j < line.length; j++) {
    const c = line.charCodeAt(j);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/** A fence content line without up to `indent` columns of the fence's own indentation (markdown-it's
 * getLines for a fence). */
function stripIndent(line: string, indent: number): string {
  if (!indent) return line;
  let col = 0;
  let i = 0;
  while (i < line.length && col < indent) {
    const c = line.charCodeAt(i);
    if (c === 32) col++;
    else if (c === 9) col += 4 - (col % 4);
    else break;
    i++;
  }
  return col > indent ? ' '.repeat(col - indent) + line.slice(i) : line.slice(i);
}
