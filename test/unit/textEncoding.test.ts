// Files in every encoding and with every line break people really have (issue 12, section 4): real
// bytes (written by Python's codecs, not by the iconv-lite we decode with: see
// test/fixtures/encodings/make.py), the decision VS Code would make for them, and subtitle files whose
// cue structure parses right and whose translation keeps every line break byte for byte.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  canEncode, decideEncoding, decodeBytes, detectBom, encodeString, guessEncodings, normalizeEncoding, previewSample,
  sniffEncoding, sniffZeroBytes, SUPPORTED_ENCODINGS,
} from '../../src/core/text/encoding';
import {
  cues, decodeText, encodeText, parseSubtitles, serializeSubtitles, setVttLanguage, splitLines, translateSubtitleText,
  translationOutputEncoding, UnknownEncodingError, UnsupportedInputError, type SubtitleFormat, type TranslateRequest,
} from '../../src/core/translate';
import { parseModelfile } from '../../src/core/modelfile';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/encodings');
const fixture = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(FIXTURES, name)));
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/** [VS Code id, text, the bytes Python's codec writes for it] */
const LEGACY: Array<[string, string, string]> = [
  ['windows1252', 'Café crème — déjà vu, “naïve” €5', '436166e9206372e86d6520972064e96ae02076752c20936e61ef766594208035'],
  ['iso88591', 'Größe und Übermaß', '4772f6df6520756e6420dc6265726d61df'],
  ['windows1250', 'Zażółć gęślą jaźń', '5a61bff3b3e62067ea9c6cb9206a619ff1'],
  ['iso88592', 'Příliš žluťoučký kůň', '50f8ed6c69b920be6c75bb6f75e86bfd206bf9f2'],
  ['windows1251', 'Привет, мир. Сегодня хорошая погода.', 'cff0e8e2e5f22c20ece8f02e20d1e5e3eee4edff20f5eef0eef8e0ff20efeee3eee4e02e'],
  ['koi8r', 'Привет, мир. Сегодня хорошая погода.', 'f0d2c9d7c5d42c20cdc9d22e20f3c5c7cfc4ced120c8cfd2cfdbc1d120d0cfc7cfc4c12e'],
  ['cp866', 'Привет, мир.', '8fe0a8a2a5e22c20aca8e02e'],
  ['windows1253', 'Καλημέρα κόσμε', 'cae1ebe7ecddf1e120eafcf3ece5'],
  ['windows1255', 'שלום עולם', 'f9ece5ed20f2e5eced'],
  ['windows1256', 'مرحبا بالعالم', 'e3d1cdc8c720c8c7e1dac7e1e3'],
  ['windows1254', 'Günaydın dünya, şimdi', '47fc6e617964fd6e2064fc6e79612c20fe696d6469'],
  ['windows874', 'สวัสดีชาวโลก', 'cac7d1cab4d5aad2c7e2c5a1'],
  ['windows1258', 'Xin chào', '58696e206368e06f'],
  ['macroman', 'Café “déjà”', '4361668e20d2648e6a88d3'],
  ['cp437', 'Café ░▒▓ ü', '4361668220b0b1b22081'],
  ['gbk', '你好，世界。今天天气很好。', 'c4e3bac3a3accac0bde7a1a3bdf1ccecccecc6f8badcbac3a1a3'],
  ['gb18030', '你好€😀', 'c4e3bac3a2e39439fc36'],
  ['cp950', '你好，世界。今天天氣很好。', 'a741a66ea141a540acc9a143a4b5a4d1a4d1aef0abdca66ea143'],
  ['shiftjis', 'こんにちは、世界。今日はいい天気ですね。', '82b182f182c982bf82cd814190a28a4581428da193fa82cd82a282a293568b4382c582b782cb8142'],
  ['eucjp', 'こんにちは、世界。', 'a4b3a4f3a4cba4c1a4cfa1a2c0a4b3a6a1a3'],
  ['euckr', '안녕하세요, 세상. 오늘 날씨가 좋네요.', 'bec8b3e7c7cfbcbcbfe42c20bcbcbbf32e20bfc0b4c320b3afbebeb0a120c1c1b3d7bfe42e'],
];

describe('text encodings: bytes as the editor reads them', () => {
  describe('Unicode, decided by the bytes alone', () => {
    const cafe = 'Café 你好';
    const table: Array<[string, string, string, boolean]> = [
      ['UTF-8 without BOM', '436166c3a920e4bda0e5a5bd', 'utf8', false],
      ['UTF-8 with BOM', 'efbbbf436166c3a920e4bda0e5a5bd', 'utf8bom', true],
      ['UTF-16 LE with BOM', 'fffe430061006600e9002000604f7d59', 'utf16le', true],
      ['UTF-16 BE with BOM', 'feff00430061006600e900204f60597d', 'utf16be', true],
    ];
    for (const [what, bytes, id, bom] of table) {
      it(`${what}: ${id}${bom ? ', BOM' : ''}`, () => {
        const b = hex(bytes);
        assert.deepStrictEqual(decideEncoding(b), { kind: 'decided', id, source: bom ? 'bom' : 'utf8' });
        assert.deepStrictEqual(decodeBytes(b, id), { text: cafe, bom });
        // Written back, the bytes are the same.
        assert.strictEqual(Buffer.from(encodeString(cafe, id, bom)).toString('hex'), bytes);
      });
    }
    it('UTF-16 LE and BE without a BOM, by their zero bytes (VS Code looks at the first 512 bytes)', () => {
      assert.deepStrictEqual(decideEncoding(hex('480069002c00200077006f0072006c0064000d000a00')), { kind: 'decided', id: 'utf16le', source: 'utf16' });
      assert.deepStrictEqual(decideEncoding(hex('00480069002c00200077006f0072006c0064000d000a')), { kind: 'decided', id: 'utf16be', source: 'utf16' });
      assert.strictEqual(decodeBytes(hex('00480069002c00200077006f0072006c0064000d000a'), 'utf16be').text, 'Hi, world\r\n');
      const f = fixture('utf16le_nobom.srt');
      assert.deepStrictEqual(decideEncoding(f), { kind: 'decided', id: 'utf16le', source: 'utf16' });
      assert.ok(decodeBytes(f, 'utf16le').text.startsWith('1\r\n00:00:01,000 --> 00:00:03,500\r\nHello, world.\r\n'));
    });
    it('a BOM wins over the editor, the setting and the detector', () => {
      const b = hex('fffe43006100660065002000604f7d59');
      assert.deepStrictEqual(decideEncoding(b, { editor: 'windows1252', configured: 'gbk', autoGuess: true }), { kind: 'decided', id: 'utf16le', source: 'bom' });
      assert.strictEqual(detectBom(hex('efbbbf')), 'utf8bom');
      assert.strictEqual(detectBom(hex('efbb')), undefined);
    });
    it('an odd last byte of UTF-16 reads as U+FFFD, as the editor shows it', () => {
      assert.deepStrictEqual(decodeBytes(hex('fffe410042'), 'utf16le'), { text: 'A\uFFFD', bom: true });
    });
  });

  describe('legacy encodings: real bytes decode to the right text', () => {
    for (const [id, text, bytes] of LEGACY) {
      it(`${id}: ${text}`, () => {
        assert.strictEqual(decodeBytes(hex(bytes), id).text, text);
        assert.strictEqual(Buffer.from(encodeString(text, id)).toString('hex'), bytes);
      });
    }
    it('every encoding VS Code offers is known to the decoder', () => {
      assert.strictEqual(SUPPORTED_ENCODINGS.length, 49);
      for (const e of SUPPORTED_ENCODINGS) assert.strictEqual(typeof decodeBytes(hex('41'), e.id).text, 'string', e.id);
    });
    it('names in other spellings map to VS Code ids', () => {
      const t: Array<[string, string | undefined]> = [
        ['UTF-8', 'utf8'], ['utf-8', 'utf8'], ['UTF-8-SIG', 'utf8bom'], ['ascii', 'utf8'], ['utf-16le', 'utf16le'], ['Windows-1252', 'windows1252'],
        ['cp1251', 'windows1251'], ['GB18030', 'gb18030'], ['GBK', 'gbk'], ['GB2312', 'gb2312'], ['Big5', 'cp950'], ['CP932', 'shiftjis'],
        ['SHIFT_JIS', 'shiftjis'], ['CP949', 'euckr'], ['EUC-KR', 'euckr'], ['EUC-JP', 'eucjp'], ['ISO-8859-2', 'iso88592'], ['IBM866', 'cp866'],
        ['MacRoman', 'macroman'], ['KOI8-R', 'koi8r'], ['TIS-620', 'windows874'], ['latin1', 'iso88591'], ['EBCDIC', undefined], ['', undefined],
      ];
      for (const [name, id] of t) assert.strictEqual(normalizeEncoding(name), id, name);
    });
  });

  describe('guessing, as with files.autoGuessEncoding (subtitle files in the encodings they really come in)', () => {
    const table: Array<[string, string, string]> = [
      ['gbk_crlf_crcrlf.srt', 'gb18030', '你好，世界。'],
      ['cp1252_crlf_lf.srt', 'windows1252', 'Café crème — déjà vu.'],
      ['big5_crlf.srt', 'cp950', '你好，世界。今天天氣很好。'],
      ['shiftjis_crlf.srt', 'shiftjis', 'こんにちは、世界。今日はいい天気ですね。'],
      ['euckr_lf.srt', 'euckr', '안녕하세요, 세상. 오늘 날씨가 좋네요.'],
      ['cp1251_cr.srt', 'windows1251', 'Привет, мир. Сегодня хорошая погода.'],
    ];
    for (const [file, id, firstLine] of table) {
      it(`${file} -> ${id}`, () => {
        const b = fixture(file);
        assert.deepStrictEqual(sniffEncoding(b), { kind: 'legacy' });
        assert.deepStrictEqual(decideEncoding(b, { autoGuess: true }), { kind: 'decided', id, source: 'guess' });
        const text = decodeBytes(b, id).text;
        assert.strictEqual(cues(parseSubtitles(text, 'srt'))[0]!.lines[0], firstLine);
        // Without autoGuessEncoding the user is asked, the guess first.
        const ask = decideEncoding(b);
        assert.strictEqual(ask.kind, 'ask');
        assert.strictEqual(ask.kind === 'ask' && ask.guesses[0]!.id, id);
      });
    }
    it('files.candidateGuessEncodings limits the guess', () => {
      const b = fixture('gbk_crlf_crcrlf.srt');
      assert.deepStrictEqual(decideEncoding(b, { autoGuess: true, candidates: ['gbk', 'cp950'] }), { kind: 'decided', id: 'cp950', source: 'guess' });
      assert.strictEqual(guessEncodings(b, ['shiftjis', 'gb18030']).guesses[0]!.id, 'gb18030');
    });
    it('ASCII and valid UTF-8 are UTF-8; data without any text encoding is binary', () => {
      assert.deepStrictEqual(guessEncodings(hex('68656c6c6f')).guesses, [{ id: 'utf8', confidence: 1 }]);
      let x = 7;
      const random = new Uint8Array(4000).map(() => { x = (x * 1103515245 + 12345) >>> 0; return 1 + ((x >>> 16) % 255); });
      assert.deepStrictEqual(decideEncoding(random, { autoGuess: true }), { kind: 'binary', why: 'detector' });
      assert.deepStrictEqual(decideEncoding(hex('89504e470d0a1a0a0000000d49484452')), { kind: 'binary', why: 'zero-bytes' });
      assert.strictEqual(sniffZeroBytes(new Uint8Array([...new Array(600).fill(0x41), 0])), 'binary', 'a zero byte after the first 512');
    });
  });

  describe('the editor and the settings decide before any guess', () => {
    const gbk = fixture('gbk_crlf_crcrlf.srt');
    it("the open editor's encoding (Reopen with Encoding) is used", () => {
      assert.deepStrictEqual(decideEncoding(gbk, { editor: 'gbk' }), { kind: 'decided', id: 'gbk', source: 'editor' });
      assert.deepStrictEqual(decideEncoding(hex('436166c3a9'), { editor: 'utf8bom' }), { kind: 'decided', id: 'utf8', source: 'editor' });
    });
    it('an editor showing legacy bytes as UTF-8 (U+FFFD) is not followed: the user is asked', () => {
      assert.strictEqual(decideEncoding(gbk, { editor: 'utf8' }).kind, 'ask');
    });
    it('files.encoding naming a legacy encoding is used, except for text that is valid non-ASCII UTF-8', () => {
      assert.deepStrictEqual(decideEncoding(gbk, { configured: 'gbk' }), { kind: 'decided', id: 'gbk', source: 'setting' });
      assert.deepStrictEqual(decideEncoding(hex('68656c6c6f'), { configured: 'windows1252' }), { kind: 'decided', id: 'windows1252', source: 'setting' });
      assert.deepStrictEqual(decideEncoding(hex('436166c3a9'), { configured: 'windows1252' }), { kind: 'decided', id: 'utf8', source: 'utf8' });
      assert.deepStrictEqual(decideEncoding(hex('436166c3a9'), { configured: 'utf8' }), { kind: 'decided', id: 'utf8', source: 'utf8' });
    });
  });

  it('the preview sample is the first line with a non-ASCII byte', () => {
    const b = fixture('cp1252_crlf_lf.srt');
    assert.strictEqual(decodeBytes(previewSample(b), 'windows1252').text, 'Café crème — déjà vu.');
    assert.strictEqual(previewSample(hex('41424344'), 2).length, 2);
  });

  it('canEncode: a Chinese translation does not fit Windows-1252; GBK holds it', () => {
    assert.strictEqual(canEncode('你好', 'windows1252'), false);
    assert.strictEqual(canEncode('你好', 'gbk'), true);
    assert.strictEqual(canEncode('Café', 'windows1252'), true);
    assert.strictEqual(canEncode('你好', 'utf16be'), true);
  });
});

describe('translated files: output encoding', () => {
  it('Unicode input keeps its encoding and BOM; legacy input becomes UTF-8 with BOM', () => {
    assert.deepStrictEqual(translationOutputEncoding({ encoding: 'utf8', bom: false }), { encoding: 'utf8', bom: false });
    assert.deepStrictEqual(translationOutputEncoding({ encoding: 'utf8', bom: true }), { encoding: 'utf8', bom: true });
    assert.deepStrictEqual(translationOutputEncoding({ encoding: 'utf16le', bom: true }), { encoding: 'utf16le', bom: true });
    assert.deepStrictEqual(translationOutputEncoding({ encoding: 'utf16be', bom: false }), { encoding: 'utf16be', bom: false });
    for (const id of ['windows1252', 'gbk', 'gb18030', 'cp950', 'shiftjis', 'euckr', 'windows1251']) {
      assert.deepStrictEqual(translationOutputEncoding({ encoding: id, bom: false }), { encoding: 'utf8', bom: true }, id);
    }
  });
  it('decodeText with a chosen encoding; encodeText turns a leading U+FEFF into the BOM', () => {
    const d = decodeText(fixture('cp1252_crlf_lf.srt'), 'fr.srt', 'windows1252');
    assert.strictEqual(d.encoding, 'windows1252');
    assert.ok(d.text.includes('Señor, ¿qué tal? Naïve “quotes” €5.'));
    assert.throws(() => decodeText(fixture('cp1252_crlf_lf.srt'), 'fr.srt'), UnknownEncodingError);
    assert.strictEqual(Buffer.from(encodeText('\uFEFFhi', 'utf8')).toString('hex'), 'efbbbf6869');
    assert.strictEqual(Buffer.from(encodeText('\uFEFFhi', 'utf16be')).toString('hex'), 'feff00680069');
    assert.strictEqual(Buffer.from(encodeText('hi', 'utf-8')).toString('hex'), '6869', 'an older saved name');
    assert.throws(() => decodeText(hex('efbbbf61000062')), UnsupportedInputError);
  });
});

describe('line breaks as files really have them', () => {
  const table: Array<[string, string, string[]]> = [
    ['LF', 'a\nb\n', ['\n', '\n']],
    ['CRLF', 'a\r\nb\r\n', ['\r\n', '\r\n']],
    ['lone CR (classic Mac OS)', 'a\rb\r\rc', ['\r', '\r', '\r', '']],
    ['CR CR LF (CRLF converted twice)', 'a\r\r\nb\r\r\n\r\r\nc', ['\r\r\n', '\r\r\n', '\r\r\n', '']],
    ['LF CR (RISC OS), used throughout', 'a\n\rb\n\r\n\rc', ['\n\r', '\n\r', '\n\r', '']],
    ['a mixture of all', 'a\r\nb\nc\rd\r\r\ne', ['\r\n', '\n', '\r', '\r\r\n', '']],
    ['LF then a CR blank line is not LF CR when other LFs stand alone', 'a\n\rb\nc', ['\n', '\r', '\n', '']],
  ];
  for (const [what, text, eols] of table) {
    it(what, () => {
      const lines = splitLines(text);
      assert.deepStrictEqual(lines.map((l) => l.eol), eols);
      assert.strictEqual(lines.map((l) => l.text + l.eol).join(''), text);
    });
  }
});

/** A translator that answers every numbered batch line with "〔译〕" + the line. */
async function fakeTranslate(req: TranslateRequest): Promise<string> {
  return [...req.user.matchAll(/^\[(\d+)\] (.*)$/gm)].map((m) => `[${m[1]}] 〔译〕${m[2]}`).join('\n');
}

describe('subtitle files in every encoding and line break kind: cues parse right and the translation keeps every line break', () => {
  const table: Array<[string, string, SubtitleFormat, number, string[]]> = [
    ['gbk_crlf_crcrlf.srt', 'gbk', 'srt', 4, ['\r\n', '\r\r\n']],
    ['cp1252_crlf_lf.srt', 'windows1252', 'srt', 3, ['\r\n', '\n']],
    ['big5_crlf.srt', 'cp950', 'srt', 3, ['\r\n']],
    ['shiftjis_crlf.srt', 'shiftjis', 'srt', 3, ['\r\n']],
    ['euckr_lf.srt', 'euckr', 'srt', 3, ['\n']],
    ['cp1251_cr.srt', 'windows1251', 'srt', 3, ['\r']],
    ['utf16le_bom_crlf.vtt', 'utf16le', 'vtt', 2, ['\r\n']],
    ['utf16be_bom_lf.srt', 'utf16be', 'srt', 2, ['\n']],
    ['utf16le_nobom.srt', 'utf16le', 'srt', 2, ['\r\n']],
    ['utf8bom_lfcr.vtt', 'utf8', 'vtt', 2, ['\n\r']],
  ];
  for (const [file, encoding, format, n, kinds] of table) {
    it(`${file}: ${n} cues, line breaks ${kinds.map((k) => JSON.stringify(k)).join(' + ')} kept`, async () => {
      const bytes = fixture(file);
      const d = decodeText(bytes, file, encoding);
      const parsed = parseSubtitles(d.text, format);
      // The round trip without translation gives the same bytes.
      assert.strictEqual(Buffer.from(encodeText(serializeSubtitles(parsed), encoding)).equals(Buffer.from(bytes)), true, 'round trip');
      const list = cues(parsed);
      assert.strictEqual(list.length, n);
      for (const c of list) {
        assert.match(c.timing, /^\d\d:\d\d[:.,]\d\d[,.]?\d*\s*-->/);
        assert.ok(c.lines.length >= 1 && c.lines.every((l) => l.trim() !== ''), JSON.stringify(c.lines));
        for (const e of [c.timingEol, ...c.eols.filter((x) => x !== '')]) assert.ok(kinds.includes(e), `unexpected line break ${JSON.stringify(e)}`);
      }
      const out = await translateSubtitleText(d.text, format, fakeTranslate, { languageTag: 'zh-CN' });
      const outEnc = translationOutputEncoding(d);
      const outBytes = encodeText((outEnc.bom && !out.text.startsWith('\uFEFF') ? '\uFEFF' : '') + out.text, outEnc.encoding);
      const back = decodeText(outBytes, 'out', outEnc.encoding).text;
      // Every line break of the input is in the output, in the same order (the translation has as many lines).
      assert.deepStrictEqual(splitLines(back).map((l) => l.eol), splitLines(d.text).map((l) => l.eol));
      const outCues = cues(parseSubtitles(back, format));
      assert.deepStrictEqual(outCues.map((c) => c.timing), list.map((c) => c.timing));
      for (const [i, c] of outCues.entries()) {
        assert.strictEqual(c.lines.length, list[i]!.lines.length);
        if (/\p{L}/u.test(list[i]!.lines.join(''))) assert.ok(c.lines[0]!.replace(/^<v [^>]*>/, '').startsWith('〔译〕'), JSON.stringify(c.lines));
        else assert.deepStrictEqual(c.lines, list[i]!.lines);
      }
    });
  }

  it('CR CR LF is one line break: without that rule every cue would end after its number', () => {
    const text = '1\r\r\n00:00:01,000 --> 00:00:02,000\r\r\nHello\r\r\nthere\r\r\n\r\r\n2\r\r\n00:00:03,000 --> 00:00:04,000\r\r\nBye\r\r\n';
    const list = cues(parseSubtitles(text, 'srt'));
    assert.deepStrictEqual(list.map((c) => [c.id, c.lines]), [['1', ['Hello', 'there']], ['2', ['Bye']]]);
    assert.strictEqual(serializeSubtitles(parseSubtitles(text, 'srt')), text);
  });
});

describe('a translated .vtt names the target language in its header', () => {
  it('Language: en becomes the target tag; key spelling, separator and line breaks are kept', () => {
    const vtt = 'WEBVTT\r\nKind: captions\r\nLanguage: en\r\n\r\n00:01.000 --> 00:02.000\r\nHello\r\n';
    const out = serializeSubtitles(setVttLanguage(parseSubtitles(vtt, 'vtt'), 'zh-CN'));
    assert.strictEqual(out, vtt.replace('Language: en', 'Language: zh-CN'));
    const forms: Array<[string, string]> = [
      ['language: fr', 'language: zh-CN'], ['Lang=en-US', 'Lang=zh-CN'], ['srclang: en', 'srclang: zh-CN'], ['LANGUAGE :  en  ', 'LANGUAGE :  zh-CN  '],
    ];
    for (const [line, want] of forms) {
      const t = serializeSubtitles(setVttLanguage(parseSubtitles(`WEBVTT\n${line}\n\n00:01.000 --> 00:02.000\nHi\n`, 'vtt'), 'zh-CN'));
      assert.strictEqual(t.split('\n')[1], want, line);
    }
  });
  it('nothing else changes: no Language line, an SRT file, a cue that says "Language: en"', () => {
    const plain = 'WEBVTT - English subtitles\n\n00:01.000 --> 00:02.000\nLanguage: en\n';
    assert.strictEqual(serializeSubtitles(setVttLanguage(parseSubtitles(plain, 'vtt'), 'zh-CN')), plain);
    const srt = '1\n00:00:01,000 --> 00:00:02,000\nLanguage: en\n';
    assert.strictEqual(serializeSubtitles(setVttLanguage(parseSubtitles(srt, 'srt'), 'zh-CN')), srt);
  });
  it('translateSubtitleText sets it when given languageTag (the UTF-16 YouTube-style fixture)', async () => {
    const d = decodeText(fixture('utf16le_bom_crlf.vtt'), 'talk.vtt');
    const out = await translateSubtitleText(d.text, 'vtt', fakeTranslate, { languageTag: 'zh-CN' });
    assert.ok(out.text.startsWith('\uFEFFWEBVTT\r\nKind: captions\r\nLanguage: zh-CN\r\n\r\n'), JSON.stringify(out.text.slice(0, 60)));
    const same = await translateSubtitleText(d.text, 'vtt', fakeTranslate);
    assert.ok(same.text.includes('Language: en\r\n'), 'without a tag the header is left alone');
  });
});

describe('Modelfiles saved as UTF-16 parse as `ollama create` reads them (parser.go: BOMOverride, else UTF-8)', () => {
  it('UTF-16 LE with BOM and CRLF (Windows Notepad "Unicode"), and UTF-16 BE with BOM', () => {
    const le = decodeText(fixture('Modelfile.utf16'), 'Modelfile');
    assert.deepStrictEqual([le.encoding, le.bom], ['utf16le', true]);
    const p = parseModelfile(le.text.replace(/^\uFEFF/, ''));
    assert.deepStrictEqual(p.errors, []);
    assert.deepStrictEqual(p.instructions.map((i) => [i.kind, i.value]), [['from', 'llama3.2'], ['parameter', 0.7], ['system', '\r\n你是一个乐于助人的助手。\r\n']]);
    const be = decodeText(fixture('Modelfile.utf16be'), 'Modelfile');
    const q = parseModelfile(be.text.replace(/^\uFEFF/, ''));
    assert.deepStrictEqual(q.errors, []);
    assert.deepStrictEqual(q.instructions.map((i) => [i.kind, i.value]), [['from', 'llama3.2'], ['parameter', 4096], ['system', 'Réponds en français.']]);
  });
  it('read as UTF-8, the same bytes give the three errors users saw', () => {
    const wrong = new TextDecoder().decode(fixture('Modelfile.utf16'));
    assert.ok(parseModelfile(wrong).errors.length > 0);
  });
});
