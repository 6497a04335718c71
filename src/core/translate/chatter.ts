// Removes what a chatty model adds around a translation ("Here is the translation:", "以下是翻译：",
// a code fence around everything, a closing "Note: ..."). Every rule is guarded by the source: text
// that the source itself has (a first line "Translation:", a fenced block) is never stripped.

/** A line that announces a translation ("Here is the translation into French:", "译文如下："). */
const ANNOUNCE_KEYWORD = /translat|翻译|翻譯|译文|譯文|译为|翻訳|訳文|번역|traduc|übersetz|перевод/i;
/** A bare acknowledgement line before the answer ("Sure!", "好的。"). */
const ACK_LINE = /^(?:sure|okay|ok|certainly|of course|absolutely|here you go|here it is|好的|当然|没问题|はい|かしこまりました)(?:[!！.。,，:：\s]|$)[^\n]{0,30}$/i;
/** "Translation: 你好" on one line. */
const LABEL_PREFIX = /^(?:translation|translated text|translation result|译文|翻译|翻譯|翻译结果|翻訳|訳文)\s*(?:\([^)\n]{0,40}\)|（[^）\n]{0,40}）)?\s*[:：]\s*/i;
/** A closing remark the model added after the translation. */
const TRAILER = /^(?:\(?\s*notes?\s*[:：]|\(\s*(?:note|translator)|（\s*注|注\s*[:：]|注意\s*[:：]|说明\s*[:：]|備考|i hope (?:this|that)|let me know|feel free|if you (?:need|have|want)|希望(?:这|對|对)|如(?:果)?(?:您|你)?(?:需要|有)(?:任何|其他|进一步))/i;

const QUOTE_PAIRS: ReadonlyArray<readonly [string, string]> = [['"', '"'], ['“', '”'], ['「', '」'], ['『', '』'], ["'", "'"], ['«', '»']];

function plain(line: string): string {
  // Markdown emphasis and heading marks do not change what a preamble line says.
  return line.replace(/[*_#>`]/g, '').trim();
}

function nonBlankLines(s: string): number {
  return s.split(/\r\n|\n|\r/).filter((l) => l.trim() !== '').length;
}

function paragraphs(s: string): string[] {
  return s.trim().split(/(?:\r\n|\n|\r)[ \t]*(?:\r\n|\n|\r)\s*/).filter((p) => p.trim() !== '');
}

function isAnnouncement(line: string): boolean {
  const p = plain(line);
  if (!p || p.length > 160) return false;
  if (/[:：]$/.test(p) && ANNOUNCE_KEYWORD.test(p)) return true;
  return p.length <= 40 && ACK_LINE.test(p);
}

function firstLine(s: string): string {
  return s.split(/\r\n|\n|\r/, 1)[0] ?? '';
}

/**
 * Strips model chatter from a translation. `source` (the text that was sent) makes the rules safe:
 * a rule only fires when the output has something the source does not (an extra first line, an extra
 * last paragraph, a fence, quotes). Leading and trailing whitespace are trimmed; callers put the
 * source's own back.
 */
export function stripChatter(output: string, source?: string): string {
  let s = output.replace(/^\s*<think>[\s\S]*?<\/think>/i, '');
  s = s.trim();
  const src = source?.trim();
  for (let pass = 0; pass < 4; pass++) {
    const before = s;
    // A fence around the whole answer.
    const fence = /^(`{3,}|~{3,})[^\n`]*\r?\n([\s\S]*?)\r?\n\1\s*$/.exec(s);
    if (fence && !(src && /^(`{3,}|~{3,})/.test(src))) s = fence[2]!.trim();
    // A first line that announces the translation, when the output has more lines than the source.
    const lines = s.split(/\r\n|\n|\r/);
    if (lines.length > 1 && isAnnouncement(lines[0]!) && (src === undefined || (nonBlankLines(s) > nonBlankLines(src) && !isAnnouncement(firstLine(src))))) {
      s = lines.slice(1).join('\n').trim();
    }
    // "Translation: text" on one line.
    const label = LABEL_PREFIX.exec(s);
    if (label && s.length > label[0].length && !(src && LABEL_PREFIX.test(src))) s = s.slice(label[0].length).trim();
    // A closing remark, when the output has more paragraphs than the source.
    const paras = paragraphs(s);
    if (paras.length > 1 && TRAILER.test(plain(paras[paras.length - 1]!)) && (src === undefined || paras.length > paragraphs(src).length)) {
      const last = paras[paras.length - 1]!;
      s = s.slice(0, s.lastIndexOf(last)).trim();
    }
    // Quotes around everything.
    for (const [open, close] of QUOTE_PAIRS) {
      if (s.length > 2 && s.startsWith(open) && s.endsWith(close) && !(src && src.startsWith(open) && src.endsWith(close))) {
        const inner = s.slice(open.length, s.length - close.length);
        if (!inner.includes(open) && !inner.includes(close)) { s = inner.trim(); break; }
      }
    }
    if (s === before) break;
  }
  return s;
}
