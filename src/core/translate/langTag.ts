// File names for translated subtitles: a short language tag from the target language setting
// ("Simplified Chinese" -> zh-CN) so players pick up movie.zh-CN.srt next to movie.mp4. Pure: no
// `vscode` here.

const NAME_TO_TAG: Readonly<Record<string, string>> = {
  'simplified chinese': 'zh-CN', 'chinese simplified': 'zh-CN', 'chinese': 'zh-CN', 'mandarin': 'zh-CN',
  '简体中文': 'zh-CN', '中文': 'zh-CN', '汉语': 'zh-CN', '简体': 'zh-CN',
  'traditional chinese': 'zh-TW', 'chinese traditional': 'zh-TW', '繁體中文': 'zh-TW', '繁体中文': 'zh-TW', 'cantonese': 'yue',
  'english': 'en', 'japanese': 'ja', '日本語': 'ja', 'korean': 'ko', '한국어': 'ko', 'french': 'fr', 'german': 'de',
  'spanish': 'es', 'portuguese': 'pt', 'brazilian portuguese': 'pt-BR', 'portuguese (brazil)': 'pt-BR', 'italian': 'it',
  'russian': 'ru', 'arabic': 'ar', 'hindi': 'hi', 'vietnamese': 'vi', 'thai': 'th', 'indonesian': 'id', 'malay': 'ms',
  'turkish': 'tr', 'polish': 'pl', 'dutch': 'nl', 'ukrainian': 'uk', 'swedish': 'sv', 'norwegian': 'no', 'danish': 'da',
  'finnish': 'fi', 'czech': 'cs', 'slovak': 'sk', 'hungarian': 'hu', 'romanian': 'ro', 'bulgarian': 'bg', 'greek': 'el',
  'hebrew': 'he', 'persian': 'fa', 'farsi': 'fa', 'bengali': 'bn', 'urdu': 'ur', 'tamil': 'ta', 'filipino': 'fil',
  'español': 'es', 'français': 'fr', 'deutsch': 'de', 'italiano': 'it', 'português': 'pt', 'русский': 'ru', 'tiếng việt': 'vi',
  'tagalog': 'tl', 'catalan': 'ca', 'croatian': 'hr', 'serbian': 'sr', 'lithuanian': 'lt', 'latvian': 'lv', 'estonian': 'et',
};

/** Primary subtags a file name segment may carry (movie.en.srt), so it is replaced rather than stacked. */
const KNOWN_PRIMARY = new Set([
  ...Object.values(NAME_TO_TAG).map((t) => t.split('-')[0]!.toLowerCase()),
  'zh', 'chs', 'cht', 'eng', 'jpn', 'kor', 'fre', 'fra', 'ger', 'deu', 'spa', 'ita', 'rus', 'por', 'chi', 'zho',
]);

const CODE = /^([a-z]{2,3})(?:[-_]([a-z]{2}|[a-z]{4}|\d{3}))?$/i;

function normaliseCode(primary: string, sub: string | undefined): string {
  const p = primary.toLowerCase();
  if (!sub) return p;
  if (/^\d{3}$/.test(sub)) return `${p}-${sub}`;
  if (sub.length === 4) return `${p}-${sub[0]!.toUpperCase()}${sub.slice(1).toLowerCase()}`;
  return `${p}-${sub.toUpperCase()}`;
}

/** A short tag for a target language: a known name or a locale code; otherwise a file-name-safe slug. */
export function languageTag(target: string): string {
  const t = target.trim();
  const code = CODE.exec(t);
  if (code && (KNOWN_PRIMARY.has(code[1]!.toLowerCase()) || code[2] !== undefined || t.length === 2)) return normaliseCode(code[1]!, code[2]);
  const name = t.toLowerCase().replace(/\s+/g, ' ');
  const direct = NAME_TO_TAG[name] ?? NAME_TO_TAG[name.replace(/\s*[(（][^)）]*[)）]\s*/g, ' ').trim()];
  if (direct) return direct;
  // "Chinese (Simplified)" and friends.
  const words = name.replace(/[()（）,]/g, ' ').split(' ').filter(Boolean).sort().join(' ');
  for (const [n, tag] of Object.entries(NAME_TO_TAG)) if (n.split(' ').sort().join(' ') === words) return tag;
  const slug = t.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 24);
  return slug || 'translated';
}

function isLanguageSegment(seg: string): boolean {
  const m = CODE.exec(seg);
  return !!m && KNOWN_PRIMARY.has(m[1]!.toLowerCase());
}

/**
 * The translated file's name: movie.srt -> movie.zh-CN.srt, movie.en.srt -> movie.zh-CN.srt (a
 * language segment is replaced). Never the input's own name.
 */
export function translatedFileName(inputName: string, tag: string): string {
  const dot = inputName.lastIndexOf('.');
  const ext = dot > 0 ? inputName.slice(dot) : '';
  const base = dot > 0 ? inputName.slice(0, dot) : inputName;
  const parts = base.split('.');
  const stem = parts.length > 1 && isLanguageSegment(parts[parts.length - 1]!) ? parts.slice(0, -1).join('.') : base;
  const name = `${stem}.${tag}${ext}`;
  return name.toLowerCase() === inputName.toLowerCase() ? `${base}.${tag}${ext}` : name;
}

/** movie.zh-CN.srt -> movie.zh-CN (2).srt, for "keep both". */
export function numberedFileName(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}
