// Files in legacy encodings and with mixed line breaks, in the real extension host (issue 12 §4):
// subtitle files read as the editor reads them (files.autoGuessEncoding, "Reopen with Encoding", or
// the user's pick from the encoding list), translated with every line break kept byte for byte and
// written as UTF-8 with a BOM; a UTF-16 .vtt whose header said `Language: en`; a Modelfile saved as
// UTF-16 created straight from the explorer.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { TranslationOutcome } from '../../src/vscode/translate/service';
import type { OperationResult } from '../../src/vscode/models/shared';
import { cues, decodeText, parseSubtitles, splitLines } from '../../src/core/translate';
import { OllamaTestServer } from '../support/ollamaServer';
import { activate, screenshot, setSetting, waitFor } from './helpers';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/encodings');

interface ChatBody { messages: Array<{ role: string; content: string }> }

function fakeModel(req: { body: ChatBody }): string {
  const user = req.body?.messages?.find((m) => m.role === 'user')?.content ?? '';
  const batch = user.slice(user.indexOf('Translate these'));
  return [...batch.matchAll(/^\[(\d+)\] (.*)$/gm)].map((m) => `[${m[1]}] 〔译〕${m[2]}`).join('\n');
}

async function setFiles(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('files').update(key, value, vscode.ConfigurationTarget.Global);
}

describe('files in every encoding and line ending (real extension host)', function () {
  this.timeout(60000);
  let server: OllamaTestServer;
  let dir: string;

  before(async () => {
    server = await OllamaTestServer.start({ reply: fakeModel });
    await activate();
    await setSetting('endpoint', server.url);
    await setSetting('translation.model', 'llama3.2');
    await setSetting('translation.targetLanguage', 'Simplified Chinese');
    await setSetting('translation.bilingualSubtitles', false);
    const root = process.env.OA_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.tmpdir();
    dir = fs.mkdtempSync(path.join(root, 'encodings-'));
  });

  afterEach(async () => {
    await setFiles('autoGuessEncoding', undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    await server?.close();
  });

  /** Checks a translated file against its input: UTF-8 with BOM, same cues and timing, every line break the same. */
  function checkTranslated(input: Buffer, inputEncoding: string, outFile: string, format: 'srt' | 'vtt'): string {
    const out = fs.readFileSync(outFile);
    assert.deepStrictEqual([...out.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a legacy input is written as UTF-8 with a BOM');
    const inText = decodeText(input, 'in', inputEncoding).text;
    const outText = decodeText(out, 'out').text.slice(1);
    assert.deepStrictEqual(splitLines(outText).map((l) => l.eol), splitLines(inText).map((l) => l.eol), 'line breaks differ');
    const inCues = cues(parseSubtitles(inText, format));
    const outCues = cues(parseSubtitles(outText, format));
    assert.deepStrictEqual(outCues.map((c) => c.timing), inCues.map((c) => c.timing));
    for (const [i, c] of outCues.entries()) {
      if (/\p{L}/u.test(inCues[i]!.lines.join(''))) assert.ok(c.lines[0]!.startsWith('〔译〕' + inCues[i]!.lines[0]), JSON.stringify(c.lines));
    }
    return outText;
  }

  it('a GBK .srt with CRLF and CR CR LF line breaks, guessed as with files.autoGuessEncoding', async () => {
    await setFiles('autoGuessEncoding', true);
    const input = fs.readFileSync(path.join(FIXTURES, 'gbk_crlf_crcrlf.srt'));
    const file = path.join(dir, 'episode.srt');
    fs.writeFileSync(file, input);
    const r = await vscode.commands.executeCommand<TranslationOutcome>('ollamaAssistant.translate.subtitles', vscode.Uri.file(file));
    assert.strictEqual(r.status, 'done', JSON.stringify(r));
    assert.strictEqual(r.total, 3, 'the ※ cue has nothing to translate');
    const outText = checkTranslated(input, 'gbk', path.join(dir, 'episode.zh-CN.srt'), 'srt');
    assert.ok(outText.includes('\r\n〔译〕你好，世界。\r\r\n今天天气很好。\r\n'), JSON.stringify(outText));
    assert.ok(outText.includes('\r\r\n'), 'the CR CR LF breaks are kept');
    assert.deepStrictEqual(fs.readFileSync(file), input, 'the input changed');
  });

  it('a Windows-1252 .srt with CRLF and LF line breaks: the user picks the encoding from the list (the detected one first)', async () => {
    const input = fs.readFileSync(path.join(FIXTURES, 'cp1252_crlf_lf.srt'));
    const file = path.join(dir, 'film.srt');
    fs.writeFileSync(file, input);
    const before = server.requests.length;
    let outcome: TranslationOutcome | undefined;
    const pending = Promise.resolve(vscode.commands.executeCommand<TranslationOutcome>('ollamaAssistant.translate.subtitles', vscode.Uri.file(file)))
      .then((r) => { outcome = r; });
    // The question comes before any request; accepting takes the first entry, the detected encoding.
    // (The picture is taken once the list has had time to show; correctness does not depend on it.)
    const t0 = Date.now();
    let shot = false;
    await waitFor(async () => {
      if (outcome) return true;
      if (!shot) {
        if (Date.now() - t0 < 1500) return false;
        shot = true;
        await screenshot('encoding-pick');
      }
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      return !!outcome || server.requests.length > before;
    }, 'the encoding question answered', 20000);
    await pending;
    assert.strictEqual(outcome!.status, 'done', JSON.stringify(outcome));
    const outText = checkTranslated(input, 'windows1252', path.join(dir, 'film.zh-CN.srt'), 'srt');
    assert.ok(outText.includes('〔译〕Café crème — déjà vu.'), outText);
    assert.ok(/[^\r]\n/.test(outText) && outText.includes('\r\n'), 'both CRLF and LF are kept');
  });

  it('an open editor\'s encoding ("Reopen with Encoding") decides, without a question', async function () {
    const input = fs.readFileSync(path.join(FIXTURES, 'big5_crlf.srt'));
    const file = path.join(dir, 'drama.srt');
    fs.writeFileSync(file, input);
    const open = vscode.workspace.openTextDocument as unknown as (u: vscode.Uri, o?: { encoding?: string }) => Thenable<vscode.TextDocument>;
    const doc = await open(vscode.Uri.file(file), { encoding: 'cp950' });
    if ((doc as { encoding?: string }).encoding !== 'cp950') this.skip();
    await vscode.window.showTextDocument(doc);
    assert.ok(doc.getText().includes('你好，世界。今天天氣很好。'));
    const r = await vscode.commands.executeCommand<TranslationOutcome>('ollamaAssistant.translate.subtitles', vscode.Uri.file(file));
    assert.strictEqual(r.status, 'done', JSON.stringify(r));
    checkTranslated(input, 'cp950', path.join(dir, 'drama.zh-CN.srt'), 'srt');
  });

  it('a UTF-16 .vtt keeps its encoding, BOM and CRLF, and its header names the target language', async () => {
    const input = fs.readFileSync(path.join(FIXTURES, 'utf16le_bom_crlf.vtt'));
    const file = path.join(dir, 'talk.en.vtt');
    fs.writeFileSync(file, input);
    const r = await vscode.commands.executeCommand<TranslationOutcome>('ollamaAssistant.translate.subtitles', vscode.Uri.file(file));
    assert.strictEqual(r.status, 'done', JSON.stringify(r));
    const out = fs.readFileSync(path.join(dir, 'talk.zh-CN.vtt'));
    assert.deepStrictEqual([...out.subarray(0, 2)], [0xff, 0xfe], 'UTF-16 LE with BOM');
    const text = out.subarray(2).toString('utf16le');
    assert.ok(text.startsWith('WEBVTT\r\nKind: captions\r\nLanguage: zh-CN\r\n\r\n'), JSON.stringify(text.slice(0, 60)));
    assert.ok(text.includes('<v Anna>〔译〕See you tomorrow.\r\n'), text);
  });

  it('a Modelfile saved as UTF-16 with a BOM is created from the explorer (not open), as `ollama create` accepts it', async () => {
    const file = path.join(dir, 'Modelfile');
    fs.copyFileSync(path.join(FIXTURES, 'Modelfile.utf16'), file);
    const start = server.requests.length;
    const r = await vscode.commands.executeCommand<OperationResult>('ollamaAssistant.models.createFromModelfile', vscode.Uri.file(file), { name: 'helper-zh' });
    assert.strictEqual(r.ok, true, r.error);
    const req = server.requests.slice(start).find((x) => x.path === '/api/create');
    // The line breaks inside triple quotes stay as written, CRLF included: Ollama's parser/parser.go does the same.
    assert.deepStrictEqual(req?.body, { model: 'helper-zh', from: 'llama3.2', parameters: { temperature: 0.7 }, system: '\r\n你是一个乐于助人的助手。\r\n', stream: true });
  });
});
