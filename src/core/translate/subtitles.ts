// SubRip (.srt) and WebVTT (.vtt) parsing and serialisation with a byte-identical round trip: every
// line keeps its own line break, blank lines between blocks are kept as written, and headers, NOTE,
// STYLE and REGION blocks are kept raw. Only cue text lines are meant to be changed.
//
// Line breaks as files really have them, each kept byte for byte: LF (Unix), CRLF (Windows), a lone
// CR (classic Mac OS, some caption exporters), CR CR LF (a CRLF file converted to CRLF a second time
// by a tool that saw only the LF: one break, not a blank line, or every cue would end after its id),
// LF CR (RISC OS, and CRLF read backwards by broken converters: one break when the whole file uses
// it), and any mixture of these in one file (files concatenated or edited in different editors).

export type SubtitleFormat = 'srt' | 'vtt';

export interface Cue {
  kind: 'cue';
  /** The identifier line as written (SRT number, VTT cue id), without its line break; absent in many VTT files. */
  id?: string;
  idEol: string;
  /** The timing line as written: "00:00:01,000 --> 00:00:02,500" plus any settings. */
  timing: string;
  timingEol: string;
  startMs: number;
  endMs: number;
  /** What follows the end time (VTT cue settings such as "align:start position:10%", SRT X1/Y1 coordinates). */
  settings: string;
  /** Text lines, without line breaks. */
  lines: string[];
  /** The line break after each text line ('' for a last line at the end of the file). */
  eols: string[];
  /** The blank (or whitespace-only) lines after the cue, as written. */
  after: string;
}

export interface RawBlock {
  kind: 'header' | 'note' | 'style' | 'region' | 'text';
  /** The block as written, line breaks included. */
  raw: string;
  after: string;
}

export type SubtitleBlock = Cue | RawBlock;

export interface SubtitleFile {
  format: SubtitleFormat;
  /** The text started with U+FEFF. */
  bom: boolean;
  /** The most common line break, used for lines that are added (bilingual output). */
  eol: string;
  /** Blank lines before the first block. */
  leading: string;
  blocks: SubtitleBlock[];
}

/** One line of a file and the line break that ended it ('' for a last line without one). */
export interface Line { text: string; eol: string }

// Hours optional (VTT), comma or dot before the milliseconds, milliseconds missing in some SRT files.
const TIME = String.raw`(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[,.](\d{1,3}))?`;
const TIMING = new RegExp(String.raw`^\s*${TIME}\s*-->\s*${TIME}(.*)$`);

/**
 * Splits text into lines, each with the exact line break that ended it. A run of CRs before an LF
 * (CRLF, CR CR LF) is one break; so is LF CR when every LF in the text is followed by a CR (an LF CR
 * file, where a blank line is LF CR LF CR); any other lone CR or LF is a break of its own.
 */
export function splitLines(text: string): Line[] {
  const out: Line[] = [];
  const lfcr = text.includes('\n\r') && !/\n(?!\r)/.test(text);
  const re = lfcr ? /([^\r\n]*)(\n\r|\r*\n|\r|$)/g : /([^\r\n]*)(\r*\n|\r|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[1] === '' && m[2] === '') break;
    out.push({ text: m[1]!, eol: m[2]! });
  }
  return out;
}

function ms(h: string | undefined, m: string, s: string, frac: string | undefined): number {
  return ((Number(h ?? 0) * 60 + Number(m)) * 60 + Number(s)) * 1000 + Number((frac ?? '0').padEnd(3, '0'));
}

export function isTimingLine(line: string): boolean {
  return TIMING.test(line);
}

function isBlank(l: Line): boolean {
  return l.text.trim() === '';
}

function raw(lines: readonly Line[]): string {
  return lines.map((l) => l.text + l.eol).join('');
}

function makeCue(lines: readonly Line[], hasId: boolean, after: string): Cue {
  const t = hasId ? 1 : 0;
  const timing = lines[t]!;
  const m = TIMING.exec(timing.text)!;
  const text = lines.slice(t + 1);
  return {
    kind: 'cue',
    ...(hasId ? { id: lines[0]!.text } : {}),
    idEol: hasId ? lines[0]!.eol : '',
    timing: timing.text,
    timingEol: timing.eol,
    startMs: ms(m[1], m[2]!, m[3]!, m[4]),
    endMs: ms(m[5], m[6]!, m[7]!, m[8]),
    settings: m[9]!.trim(),
    lines: text.map((l) => l.text),
    eols: text.map((l) => l.eol),
    after,
  };
}

function rawKind(first: string, format: SubtitleFormat, isFirstBlock: boolean): RawBlock['kind'] {
  if (format === 'vtt') {
    if (isFirstBlock && /^WEBVTT(?:[ \t]|$)/.test(first)) return 'header';
    if (/^NOTE(?:[ \t]|$)/.test(first)) return 'note';
    if (/^STYLE[ \t]*$/.test(first)) return 'style';
    if (/^REGION[ \t]*$/.test(first)) return 'region';
  }
  return 'text';
}

/**
 * Parses .srt or .vtt text. Lenient like players are: cues without the blank line between them,
 * several blank lines, whitespace-only separator lines, a missing final line break; in SRT, text
 * after a blank line inside a cue stays part of that cue.
 */
export function parseSubtitles(text: string, format: SubtitleFormat): SubtitleFile {
  const bom = text.startsWith('\uFEFF');
  const lines = splitLines(bom ? text.slice(1) : text);
  const eolCount = new Map<string, number>();
  for (const l of lines) if (l.eol) eolCount.set(l.eol, (eolCount.get(l.eol) ?? 0) + 1);
  const eol = [...eolCount].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '\n';

  const file: SubtitleFile = { format, bom, eol, leading: '', blocks: [] };
  let i = 0;
  while (i < lines.length && isBlank(lines[i]!)) file.leading += raw([lines[i++]!]);

  while (i < lines.length) {
    const para: Line[] = [];
    while (i < lines.length && !isBlank(lines[i]!)) para.push(lines[i++]!);
    let after = '';
    while (i < lines.length && isBlank(lines[i]!)) after += raw([lines[i++]!]);
    const firstBlock = file.blocks.length === 0;

    // NOTE/STYLE/REGION blocks may not hold cues; a paragraph is otherwise cut where each cue starts.
    const kind = rawKind(para[0]!.text, format, firstBlock);
    if (kind !== 'text' && kind !== 'header') { file.blocks.push({ kind, raw: raw(para), after }); continue; }

    const starts: Array<{ at: number; hasId: boolean }> = [];
    let prevTiming = -1;
    for (let k = 0; k < para.length; k++) {
      if (!isTimingLine(para[k]!.text)) continue;
      // The line before a timing line is its identifier when it is the paragraph's first line (any
      // text: VTT ids are free-form) or, further down, a number (SRT cues without a blank line between).
      const id = k - 1;
      const hasId = id > prevTiming && (id === 0 ? kind !== 'header' : id > 0 && /^\s*\d+\s*$/.test(para[id]!.text));
      starts.push({ at: hasId ? id : k, hasId });
      prevTiming = k;
    }
    const firstCue = starts.length ? starts[0]!.at : para.length;
    if (firstCue > 0) {
      const pre = para.slice(0, firstCue);
      const preAfter = starts.length ? '' : after;
      const prev = file.blocks[file.blocks.length - 1];
      if (kind === 'text' && format === 'srt' && prev?.kind === 'cue') {
        // SRT text after a blank line inside a cue: players show it as part of the cue.
        for (const b of splitLines(prev.after)) { prev.lines.push(b.text); prev.eols.push(b.eol); }
        for (const l of pre) { prev.lines.push(l.text); prev.eols.push(l.eol); }
        prev.after = preAfter;
      } else {
        file.blocks.push({ kind, raw: raw(pre), after: preAfter });
      }
    }
    starts.forEach((s, n) => {
      const end = n + 1 < starts.length ? starts[n + 1]!.at : para.length;
      file.blocks.push(makeCue(para.slice(s.at, end), s.hasId, n + 1 < starts.length ? '' : after));
    });
  }
  return file;
}

function serializeBlock(b: SubtitleBlock): string {
  if (b.kind !== 'cue') return b.raw + b.after;
  let s = b.id !== undefined ? b.id + b.idEol : '';
  s += b.timing + b.timingEol;
  for (let k = 0; k < b.lines.length; k++) s += b.lines[k]! + (b.eols[k] ?? '');
  return s + b.after;
}

/** Writes the file back; an unchanged parse gives the input byte for byte. */
export function serializeSubtitles(file: SubtitleFile): string {
  return (file.bom ? '\uFEFF' : '') + file.leading + file.blocks.map(serializeBlock).join('');
}

export function cues(file: SubtitleFile): Cue[] {
  return file.blocks.filter((b): b is Cue => b.kind === 'cue');
}

/** How a cue is named in reports: its identifier, or its position ("#12") when it has none. */
export function cueLabel(cue: Cue, index: number): string {
  const id = cue.id?.trim();
  return id ? id : `#${index + 1}`;
}

/**
 * A copy of the cue with new text lines. Line breaks follow the cue's own (the file's for added
 * lines); the last line keeps the original last line break, so a cue at the end of the file still
 * ends the way it did.
 */
export function withCueText(cue: Cue, lines: readonly string[], fileEol: string): Cue {
  const eol = cue.eols.find((e) => e !== '') || cue.timingEol || fileEol;
  const lastEol = cue.eols.length ? cue.eols[cue.eols.length - 1]! : cue.timingEol ? eol : '';
  const eols = lines.map((_l, k) => (k === lines.length - 1 ? lastEol : eol));
  if (lines.length === 0) return { ...cue, lines: [], eols: [] };
  return { ...cue, lines: [...lines], eols };
}

/** A deep copy, so translating never changes the caller's parsed file. */
export function cloneSubtitles(file: SubtitleFile): SubtitleFile {
  return { ...file, blocks: file.blocks.map((b) => (b.kind === 'cue' ? { ...b, lines: [...b.lines], eols: [...b.eols] } : { ...b })) };
}

/** Header lines that name the file's language: `Language: en` (YouTube, many exporters), `lang=en`, `srclang: en`. */
const LANGUAGE_HEADER = /^(\s*(?:language|lang|srclang)\s*[:=]\s*)(.*?)(\s*)$/i;

/**
 * The file with its WebVTT header's language metadata (`Language: en`, `Lang:`, `srclang:`, any
 * case, `:` or `=`) set to `tag` (a BCP 47 tag such as zh-CN), so players do not label a translated
 * track with the source language. Other header lines, the cues and every line break stay as they
 * were; an SRT file (no header) and a header without such a line are returned unchanged.
 */
export function setVttLanguage(file: SubtitleFile, tag: string): SubtitleFile {
  if (file.format !== 'vtt') return file;
  let changed = false;
  const blocks = file.blocks.map((b) => {
    if (b.kind !== 'header') return b;
    const lines = splitLines(b.raw).map((l, i) => {
      const m = i > 0 ? LANGUAGE_HEADER.exec(l.text) : null;
      if (!m || m[2] === tag) return l;
      changed = true;
      return { text: m[1] + tag + m[3], eol: l.eol };
    });
    return { ...b, raw: lines.map((l) => l.text + l.eol).join('') };
  });
  return changed ? { ...file, blocks } : file;
}

/** Guesses the format from the file name, else from the content (a WEBVTT first line). */
export function detectSubtitleFormat(text: string, fileName?: string): SubtitleFormat | undefined {
  const ext = fileName?.toLowerCase().match(/\.(srt|vtt)$/)?.[1];
  if (ext === 'srt' || ext === 'vtt') return ext;
  const t = text.replace(/^\uFEFF/, '');
  if (/^WEBVTT(?:[ \t\r\n]|$)/.test(t)) return 'vtt';
  if (/^\s*\d+\s*(?:\r\n|\n|\r)\s*\d+:\d{2}:\d{2}[,.]\d{1,3}\s*-->/.test(t)) return 'srt';
  return undefined;
}
