// Translation in the real extension host against the Ollama-protocol test server, whose "model"
// answers deterministically: prose lines from a small dictionary (else "〔译〕" + the line), numbered
// subtitle batches line for line. What a user would see is checked: the selection replaced only
// after success, the side-by-side preview filling while the answer streams, a subtitle file written
// next to its input with identical timing, and a failed document run resumed to completion.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { OllamaAssistantTestApi } from '../../src/vscode/testApi';
import type { TranslationOutcome } from '../../src/vscode/translate/service';
import { cues, decodeText, parseSubtitles, type SubtitleFormat } from '../../src/core/translate';
import { OllamaTestServer } from '../support/ollamaServer';
import { screenshot, setSetting, sleep, waitFor, testApi } from './helpers';

/** What the translate commands return (a type-only import: the bundled extension cannot be required). */
type Outcome = TranslationOutcome;

interface ChatBody { model: string; messages: Array<{ role: string; content: string }> }

const DICTIONARY: Record<string, string> = {
  '# Running models locally': '# 在本地运行模型',
  'Ollama runs large language models on your own machine, so your code never leaves it.': 'Ollama 在你自己的机器上运行大语言模型，因此你的代码永远不会离开它。',
  'Select any text and press Ctrl+Alt+T: the translation appears beside the editor while the model is still writing.': '选中任意文本并按 Ctrl+Alt+T：模型还在输出时，译文就会出现在编辑器旁边。',
  'Subtitle files keep their timing, and nothing is written over your text unless you ask for it.': '字幕文件保留原有的时间轴；除非你要求，否则不会覆盖你的文本。',
};

/** Called with every prose request's user message (tests inject faults from here). */
let onTextRequest: ((user: string) => void) | undefined;

function fakeModel(req: { path: string; body: ChatBody }): string {
  const messages = req.body?.messages ?? [];
  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  const user = messages.find((m) => m.role === 'user')?.content ?? '';
  if (/subtitle translator/.test(system)) {
    const batch = user.slice(user.indexOf('Translate these'));
    return [...batch.matchAll(/^\[(\d+)\] (.*)$/gm)].map((m) => `[${m[1]}] 〔译〕${m[2]}`).join('\n');
  }
  onTextRequest?.(user);
  return user.split('\n').map((l) => (l.trim() ? DICTIONARY[l] ?? `〔译〕${l}` : l)).join('\n');
}

function chatRequests(server: OllamaTestServer, from: number): ChatBody[] {
  return server.requests.slice(from).filter((r) => r.path === '/api/chat').map((r) => r.body as ChatBody);
}

async function closeEditors(): Promise<void> {
  // Untitled results are dirty: revert them first so closing never asks to save.
  for (const doc of vscode.workspace.textDocuments) {
    if (doc.isUntitled && doc.isDirty) {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

function timingLines(text: string): string[] {
  return text.split(/(?<=\n)/).filter((l) => l.includes('-->'));
}

describe('translation (real extension host)', function () {
  this.timeout(60000);
  let server: OllamaTestServer;
  let api: OllamaAssistantTestApi;
  let dir: string;

  before(async () => {
    server = await OllamaTestServer.start({ reply: fakeModel });
    api = await testApi();
    await setSetting('endpoint', server.url);
    await setSetting('translation.model', 'llama3.2');
    await setSetting('translation.targetLanguage', 'Simplified Chinese');
    const root = process.env.OA_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.tmpdir();
    dir = fs.mkdtempSync(path.join(root, 'translate-'));
  });

  afterEach(async () => {
    onTextRequest = undefined;
    server.clearFaults();
    await closeEditors();
  });

  after(async () => {
    for (const key of ['endpoint', 'translation.model', 'translation.targetLanguage', 'translation.outputMode', 'translation.parallelRequests', 'translation.chunkChars', 'translation.bilingualSubtitles']) {
      await setSetting(key, undefined);
    }
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('replaces the selection (outputMode = replace) only after the translation completed; a failure leaves it untouched', async () => {
    await setSetting('translation.outputMode', 'replace');
    const doc = await vscode.workspace.openTextDocument({
      language: 'markdown',
      content: 'Keep this line.\nHello world, run `npm test` and read https://example.com/docs.\nThis line stays as it is.\n',
    });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(1, 0, 1, doc.lineAt(1).text.length);
    const before = server.requests.length;
    const r = await vscode.commands.executeCommand<Outcome>('ollamaAssistant.translate.selection');
    assert.strictEqual(r.status, 'done', JSON.stringify(r));
    assert.strictEqual(r.mode, 'replace');
    assert.strictEqual(doc.lineAt(1).text, '〔译〕Hello world, run `npm test` and read https://example.com/docs.');
    assert.strictEqual(doc.lineAt(0).text, 'Keep this line.');
    assert.strictEqual(doc.lineAt(2).text, 'This line stays as it is.');
    const sent = chatRequests(server, before);
    assert.strictEqual(sent.length, 1);
    assert.strictEqual(sent[0]!.model, 'llama3.2');
    assert.deepStrictEqual(sent[0]!.messages.map((m) => m.role), ['system', 'user']);
    assert.ok(sent[0]!.messages[0]!.content.includes('into Simplified Chinese'), sent[0]!.messages[0]!.content);
    // Only the text goes in the user message; code spans and URLs travel as placeholders.
    assert.strictEqual(sent[0]!.messages[1]!.content, 'Hello world, run ⟦0⟧ and read ⟦1⟧.');

    // The stream breaks half way: nothing may be written over the user's text.
    editor.selection = new vscode.Selection(2, 0, 2, doc.lineAt(2).text.length);
    server.setFaults({ errorAfterLines: 2, errorMessage: 'model runner crashed' }, { path: '/api/chat', times: 1 });
    const failed = await vscode.commands.executeCommand<Outcome>('ollamaAssistant.translate.selection');
    assert.strictEqual(failed.status, 'failed', JSON.stringify(failed));
    assert.strictEqual(doc.lineAt(2).text, 'This line stays as it is.');
    assert.strictEqual(doc.getText(), 'Keep this line.\n〔译〕Hello world, run `npm test` and read https://example.com/docs.\nThis line stays as it is.\n');
  });

  it('an answer cut off at num_predict never replaces the selection and is not cached', async () => {
    await setSetting('translation.outputMode', 'replace');
    const content = 'Intro line.\nThis sentence is much longer than three tokens, so the model stops at its length limit.\n';
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(1, 0, 1, doc.lineAt(1).text.length);
    await setSetting('options', { num_predict: 3 });
    try {
      for (let attempt = 1; attempt <= 2; attempt++) {
        const before = server.requests.length;
        const r = await vscode.commands.executeCommand<Outcome>('ollamaAssistant.translate.selection');
        assert.strictEqual(r.status, 'failed', JSON.stringify(r));
        assert.strictEqual(r.reason, 'truncated');
        assert.strictEqual(doc.getText(), content, 'the cut-off translation was written over the selection');
        // Each attempt asks the model again: the cut-off answer was not cached.
        assert.strictEqual(chatRequests(server, before).length, 1, `attempt ${attempt}`);
      }
    } finally {
      await setSetting('options', undefined);
    }
    // With room to answer, the same selection is translated and replaced.
    const ok = await vscode.commands.executeCommand<Outcome>('ollamaAssistant.translate.selection');
    assert.strictEqual(ok.status, 'done', JSON.stringify(ok));
    assert.strictEqual(doc.lineAt(1).text, '〔译〕This sentence is much longer than three tokens, so the model stops at its length limit.');
  });

  it('streams into a read-only preview beside the editor (mode sideBySide) while the answer arrives', async () => {
    const source = path.join(dir, 'guide.md');
    const content = Object.keys(DICTIONARY).join('\n\n') + '\n';
    fs.writeFileSync(source, content);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(source));
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(content.length));
    // The server stops twice mid-answer until the test has seen the preview show what came so far
    // (events and state, not timing: it holds on a machine of any speed).
    const gates = [0, 1].map(() => { let open!: () => void; const p = new Promise<void>((r) => { open = r; }); return { p, open }; });
    server.setFaults({ pauses: [{ afterLines: 6, until: gates[0]!.p }, { afterLines: 14, until: gates[1]!.p }] }, { path: '/api/chat', times: 1 });
    const seen: string[] = [];
    const previewDoc = () => vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'ollama-translation' && d.uri.path.endsWith('/guide.zh-CN.md'));
    const onChange = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === previewDoc() && e.document.getText() !== seen[seen.length - 1]) seen.push(e.document.getText());
    });
    const pending = Promise.resolve(vscode.commands.executeCommand<Outcome>('ollamaAssistant.translate.selection', { mode: 'sideBySide' }));
    let r: Outcome;
    try {
      const first = await waitFor(() => { const t = previewDoc()?.getText(); return t && t.trim() !== '' ? t : undefined; }, 'the first part of the answer in the preview', 20000);
      seen.push(first);
      gates[0]!.open();
      seen.push(await waitFor(() => { const t = previewDoc()?.getText(); return t && t.length > first.length ? t : undefined; }, 'more of the answer in the preview', 20000));
      gates[1]!.open();
      r = await pending;
    } finally {
      gates.forEach((g) => g.open());
      onChange.dispose();
    }
    assert.strictEqual(r.status, 'done', JSON.stringify(r));
    assert.strictEqual(r.mode, 'sideBySide');
    const preview = await waitFor(() => vscode.workspace.textDocuments.find((d) => d.uri.toString() === r.uri), 'the preview document');
    await waitFor(() => preview.getText() === r.text, 'the final translation in the preview');
    assert.ok(r.text!.startsWith('# 在本地运行模型\n\nOllama 在你自己的机器上运行大语言模型'), r.text);
    const partial = seen.filter((t) => t.trim() !== '' && t.length < r.text!.length && r.text!.startsWith(t.trimEnd()));
    assert.ok(partial.length >= 2, `the preview did not fill while streaming; saw ${JSON.stringify(seen)}`);
    // Beside the source, read-only, and the source untouched.
    const shown = vscode.window.visibleTextEditors.find((e) => e.document === preview);
    assert.ok(shown, 'preview is not visible');
    assert.notStrictEqual(shown.viewColumn, editor.viewColumn);
    assert.strictEqual(doc.getText(), content);
    assert.strictEqual(doc.isDirty, false);
    await sleep(500);
    const png = await screenshot('translate-side-by-side');
    console.log(`[exthost] screenshot: ${png}`);
  });

  it('sends no request for an empty selection', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'Nothing selected here.\n   \n' });
    const editor = await vscode.window.showTextDocument(doc);
    const before = server.requests.length;
    editor.selection = new vscode.Selection(0, 5, 0, 5);
    const r = await vscode.commands.executeCommand<Outcome>('ollamaAssistant.translate.selection', { mode: 'copy' });
    assert.strictEqual(r.status, 'empty');
    editor.selection = new vscode.Selection(1, 0, 1, 3);
    const blank = await vscode.commands.executeCommand<Outcome>('ollamaAssistant.translate.selection', { mode: 'copy' });
    assert.strictEqual(blank.status, 'empty');
    await sleep(200);
    assert.strictEqual(server.requests.length, before, 'a request was sent');
    assert.strictEqual(doc.getText(), 'Nothing selected here.\n   \n');
  });

  for (const [fixture, copyAs, format, bilingual] of [['movie_bom_crlf.srt', 'movie.srt', 'srt', false], ['talk_crlf.vtt', 'talk.vtt', 'vtt', true]] as const) {
    it(`translates ${copyAs} into a new file next to it with the same cues and byte-identical timestamps${bilingual ? ' (bilingual)' : ''}`, async () => {
      await setSetting('translation.bilingualSubtitles', bilingual);
      const input = path.join(dir, copyAs);
      const original = fs.readFileSync(path.resolve(__dirname, '../../../test/fixtures/subtitles', fixture));
      fs.writeFileSync(input, original);
      const r = await vscode.commands.executeCommand<Outcome>('ollamaAssistant.translate.subtitles', vscode.Uri.file(input));
      assert.strictEqual(r.status, 'done', JSON.stringify(r));
      const expected = path.join(dir, copyAs.replace(/\.(srt|vtt)$/, `.zh-CN.$1`));
      assert.strictEqual(vscode.Uri.parse(r.uri!).fsPath, expected);
      assert.deepStrictEqual(fs.readFileSync(input), original, 'the input file changed');
      const outBytes = fs.readFileSync(expected);
      const inText = decodeText(original).text;
      const outText = decodeText(outBytes).text;
      assert.strictEqual(outText.startsWith('\uFEFF'), inText.startsWith('\uFEFF'), 'BOM not kept');
      const inFile = parseSubtitles(inText, format as SubtitleFormat);
      const outFile = parseSubtitles(outText, format as SubtitleFormat);
      const inCues = cues(inFile);
      const outCues = cues(outFile);
      assert.ok(inCues.length >= 3);
      assert.strictEqual(outCues.length, inCues.length, 'cue count');
      const translatable = inCues.filter((c) => /\p{L}/u.test(c.lines.join(' ')));
      assert.strictEqual(r.total, translatable.length);
      assert.deepStrictEqual(r.failedCues, []);
      assert.deepStrictEqual(timingLines(outText), timingLines(inText), 'timestamps are not byte-identical');
      assert.deepStrictEqual(outCues.map((c) => c.id), inCues.map((c) => c.id));
      for (const [i, c] of outCues.entries()) {
        const text = c.lines.join('\n');
        // A cue with nothing to translate (♪ ♪) keeps its text.
        if (!translatable.includes(inCues[i]!)) { assert.deepStrictEqual(c.lines, inCues[i]!.lines); continue; }
        assert.ok(text.includes('〔译〕'), `cue ${i + 1} not translated: ${text}`);
        if (bilingual) assert.ok(text.startsWith(inCues[i]!.lines.join('\n')), `cue ${i + 1} lost its original: ${text}`);
      }
      assert.ok(!/\r(?!\n)/.test(outText) && outText.split('\n').length - 1 === outText.split('\r\n').length - 1, 'CRLF not kept');
    });
  }

  it('keeps the finished chunks when a document run fails half way, and Resume completes it', async () => {
    await setSetting('translation.parallelRequests', 1);
    await setSetting('translation.chunkChars', 200);
    const paragraphs = Array.from({ length: 6 }, (_, i) =>
      `Paragraph ${i + 1} explains one more step of the setup in enough words that it becomes a chunk of its own, about one hundred and fifty characters.`);
    const file = path.join(dir, 'report.md');
    const content = `# Report\n\n${paragraphs.join('\n\n')}\n`;
    fs.writeFileSync(file, content);
    const uri = vscode.Uri.file(file);
    // Chunks: heading + paragraph 1, then one per paragraph. The third request arms a fault for the
    // fourth: its answer breaks after one streamed line.
    let n = 0;
    onTextRequest = () => {
      if (++n === 3) server.setFaults({ errorAfterLines: 1, errorMessage: 'CUDA error: out of memory' }, { path: '/api/chat', times: 1 });
    };
    const r1 = await vscode.commands.executeCommand<Outcome>('ollamaAssistant.translate.document', uri);
    assert.strictEqual(r1.status, 'partial', JSON.stringify(r1));
    assert.strictEqual(r1.reason, 'error');
    assert.strictEqual(r1.total, 6);
    assert.strictEqual(r1.done, 3, 'three chunks were done');
    assert.strictEqual(fs.readFileSync(file, 'utf8'), content, 'the source was modified');
    // The partial result is open: finished chunks translated, the rest still in the source language.
    const partialDoc = await waitFor(() => vscode.workspace.textDocuments.find((d) => d.uri.toString() === r1.uri), 'the partial result');
    assert.strictEqual(partialDoc.isUntitled, true);
    const partial = partialDoc.getText();
    assert.ok(partial.includes('〔译〕Paragraph 3 explains'), partial);
    assert.ok(partial.includes('\n\nParagraph 4 explains') && !partial.includes('〔译〕Paragraph 4'), partial);
    const saved = api.context.ext.workspaceState.get<Record<string, { done: number; total: number }>>('ollamaAssistant.translation.jobs') ?? {};
    assert.strictEqual(saved[r1.jobKey!]?.done, 3, JSON.stringify(Object.keys(saved)));

    onTextRequest = undefined;
    const before = server.requests.length;
    const r2 = await vscode.commands.executeCommand<Outcome>('ollamaAssistant.translate.resume', uri);
    assert.strictEqual(r2.status, 'done', JSON.stringify(r2));
    const resumed = chatRequests(server, before).map((b) => b.messages[1]!.content);
    assert.deepStrictEqual(resumed.map((u) => u.slice(0, 11)), ['Paragraph 4', 'Paragraph 5', 'Paragraph 6'], 'Resume repeated finished chunks');
    assert.strictEqual(r2.requests, 3);
    assert.strictEqual(r2.uri, r1.uri, 'the partial result was not completed in place');
    const expected = `〔译〕# Report\n\n${paragraphs.map((p) => `〔译〕${p}`).join('\n\n')}\n`;
    await waitFor(() => partialDoc.getText() === expected, `the completed translation (got ${JSON.stringify(partialDoc.getText())})`);
    const after = api.context.ext.workspaceState.get<Record<string, unknown>>('ollamaAssistant.translation.jobs') ?? {};
    assert.ok(!(r1.jobKey! in after), 'the finished job is still saved');
    await setSetting('translation.parallelRequests', undefined);
    await setSetting('translation.chunkChars', undefined);
  });

  it('says so when the model is not installed, and refuses a binary file without sending anything', async () => {
    await setSetting('translation.model', 'not-installed:1b');
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'Translate me, please.\n' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(0, 0, 0, 21);
    const missing = await vscode.commands.executeCommand<Outcome>('ollamaAssistant.translate.selection', { mode: 'replace' });
    assert.strictEqual(missing.status, 'failed');
    assert.strictEqual(missing.reason, 'model-missing');
    assert.strictEqual(doc.getText(), 'Translate me, please.\n');
    await setSetting('translation.model', 'llama3.2');

    const bin = path.join(dir, 'image.txt');
    fs.writeFileSync(bin, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]));
    const before = server.requests.length;
    const r = await vscode.commands.executeCommand<Outcome>('ollamaAssistant.translate.document', vscode.Uri.file(bin));
    assert.strictEqual(r.status, 'unsupported');
    assert.strictEqual(server.requests.length, before);
  });
});
