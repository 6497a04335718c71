// The chat view's webview is not trusted: every message it posts is checked (type, fields, sizes,
// known actions) and rebuilt with only its own fields before the extension acts. Also the answer
// limit that keeps an endless answer from growing without bound.
import * as assert from 'assert';
import { capPiece } from '../../src/core/chat/conversation';
import { settingsSchema, wholeNumber } from '../../src/core/config/schema';
import { checkFromWebview, WEBVIEW_LIMITS } from '../../src/shared/chatProtocol';
import { checkTestResult } from '../../src/shared/chatTestProtocol';
import * as manifest from '../../package.json';

// ollamaAssistant.chat.maxAnswerChars as the typed configuration reads it (its range and default
// come from package.json).
const answerLimit = (v: unknown): number => wholeNumber(settingsSchema(manifest)['ollamaAssistant.chat.maxAnswerChars']!, v);
const DEFAULT_MAX_ANSWER_CHARS = 200_000;
const MIN_MAX_ANSWER_CHARS = 1_000;
const MAX_MAX_ANSWER_CHARS = 10_000_000;

describe('chat: checking what the webview sends', () => {
  const ok = (raw: unknown) => { const c = checkFromWebview(raw); assert.ok(c.ok, `${JSON.stringify(raw).slice(0, 100)}: ${c.ok ? '' : c.reason}`); return c.message; };
  const refused = (raw: unknown, why: RegExp) => {
    const c = checkFromWebview(raw);
    assert.ok(!c.ok, `${JSON.stringify(raw)?.slice(0, 100)} must be refused`);
    assert.match(c.reason, why);
  };

  it('accepts every message the webview really sends, keeping only its fields', () => {
    assert.deepStrictEqual(ok({ type: 'send', text: 'hi', extra: { evil: 1 } }), { type: 'send', text: 'hi' });
    assert.deepStrictEqual(ok({ type: 'editLast', text: '' }), { type: 'editLast', text: '' });
    for (const type of ['ready', 'stop', 'regenerate', 'clear', 'refreshModels', 'attachFile', 'attachImage', 'resync']) {
      assert.deepStrictEqual(ok({ type, text: 'ignored' }), { type });
    }
    assert.deepStrictEqual(ok({ type: 'selectModel', model: 'llama3.2:latest' }), { type: 'selectModel', model: 'llama3.2:latest' });
    assert.deepStrictEqual(ok({ type: 'setThink', value: 'level:high' }), { type: 'setThink', value: 'level:high' });
    assert.deepStrictEqual(ok({ type: 'action', action: 'pullModel', arg: 'llama3.2' }), { type: 'action', action: 'pullModel', arg: 'llama3.2' });
    assert.deepStrictEqual(ok({ type: 'action', action: 'retry' }), { type: 'action', action: 'retry' });
    assert.deepStrictEqual(ok({ type: 'codeAction', action: 'insert', code: 'x = 1', language: 'python' }), { type: 'codeAction', action: 'insert', code: 'x = 1', language: 'python' });
    assert.deepStrictEqual(ok({ type: 'codeAction', action: 'copy', code: 'x' }), { type: 'codeAction', action: 'copy', code: 'x', language: '' });
    assert.deepStrictEqual(ok({ type: 'copyText', text: 'answer' }), { type: 'copyText', text: 'answer' });
    assert.deepStrictEqual(ok({ type: 'openLink', href: 'https://example.com' }), { type: 'openLink', href: 'https://example.com' });
    assert.deepStrictEqual(ok({ type: 'addImage', name: 'a.png', mime: 'image/png', data: 'iVBOR' }), { type: 'addImage', name: 'a.png', mime: 'image/png', data: 'iVBOR' });
    assert.deepStrictEqual(ok({ type: 'removeAttachment', id: 'abc' }), { type: 'removeAttachment', id: 'abc' });
    // Test builds' own message is checked by the test protocol (production refuses it as unknown).
    const t = checkTestResult({ type: 'testResult', id: 3, result: { a: 1 } });
    assert.deepStrictEqual(t.ok && t.message, { type: 'testResult', id: 3, result: { a: 1 } });
    refused({ type: 'testResult', id: 3, result: {} }, /unknown type "testResult"/);
    // At the bounds exactly.
    ok({ type: 'send', text: 'x'.repeat(WEBVIEW_LIMITS.textChars) });
    ok({ type: 'addImage', name: 'a.png', mime: 'image/png', data: 'A'.repeat(WEBVIEW_LIMITS.imageBase64Chars) });
  });

  it('refuses unknown types, wrong field types, unknown actions and oversized fields', () => {
    for (const raw of [null, undefined, 42, 'send', [], [{ type: 'send' }]]) refused(raw, /not an object/);
    refused({}, /unknown type/);
    refused({ type: 'runCommand', command: 'workbench.action.terminal.new' }, /unknown type "runCommand"/);
    refused({ type: 'exec' }, /unknown type/);
    refused({ type: 'send' }, /text missing/);
    refused({ type: 'send', text: 42 }, /text missing/);
    refused({ type: 'send', text: { toString: 'x' } }, /text missing/);
    refused({ type: 'send', text: 'x'.repeat(WEBVIEW_LIMITS.textChars + 1) }, /too long/);
    refused({ type: 'selectModel' }, /model missing/);
    refused({ type: 'selectModel', model: '' }, /model missing/);
    refused({ type: 'selectModel', model: 'm'.repeat(WEBVIEW_LIMITS.modelChars + 1) }, /too long/);
    refused({ type: 'setThink', value: ['on'] }, /value missing/);
    refused({ type: 'action', action: 'deleteModel', arg: 'llama3.2' }, /unknown action/);
    refused({ type: 'action', action: 'pullModel', arg: 7 }, /arg not a short string/);
    refused({ type: 'action', action: 'pullModel', arg: 'x'.repeat(WEBVIEW_LIMITS.actionArgChars + 1) }, /arg not a short string/);
    refused({ type: 'action', action: '__proto__' }, /unknown action/);
    refused({ type: 'codeAction', action: 'run', code: 'rm -rf /' }, /unknown code action/);
    refused({ type: 'codeAction', action: 'insert' }, /code or language/);
    refused({ type: 'codeAction', action: 'insert', code: 'x', language: 'l'.repeat(WEBVIEW_LIMITS.languageChars + 1) }, /code or language/);
    refused({ type: 'codeAction', action: 'insert', code: 'x'.repeat(WEBVIEW_LIMITS.codeChars + 1) }, /code or language/);
    refused({ type: 'copyText', text: null }, /text missing/);
    refused({ type: 'openLink', href: 'h'.repeat(WEBVIEW_LIMITS.hrefChars + 1) }, /href missing or too long/);
    refused({ type: 'openLink' }, /href missing/);
    refused({ type: 'addImage', name: 'a.png', mime: 'image/png', data: 'A'.repeat(WEBVIEW_LIMITS.imageBase64Chars + 1) }, /image too large/);
    refused({ type: 'addImage', name: 'a.png', mime: 'image/png' }, /data missing/);
    refused({ type: 'addImage', name: 5, mime: 'image/png', data: 'A' }, /name or mime/);
    refused({ type: 'removeAttachment', id: 'i'.repeat(WEBVIEW_LIMITS.idChars + 1) }, /id missing or too long/);
    for (const id of ['1', 1.5]) {
      const c = checkTestResult({ type: 'testResult', id });
      assert.ok(!c.ok && /id not an integer/.test(c.reason), JSON.stringify(c));
    }
  });
});

describe('chat: the answer limit', () => {
  it('answerLimit: the setting clamped to its range, the default for anything else', () => {
    assert.strictEqual(answerLimit(undefined), DEFAULT_MAX_ANSWER_CHARS);
    assert.strictEqual(answerLimit('5000'), DEFAULT_MAX_ANSWER_CHARS);
    assert.strictEqual(answerLimit(NaN), DEFAULT_MAX_ANSWER_CHARS);
    assert.strictEqual(answerLimit(Infinity), DEFAULT_MAX_ANSWER_CHARS);
    assert.strictEqual(answerLimit(5000.7), 5000);
    assert.strictEqual(answerLimit(1), MIN_MAX_ANSWER_CHARS);
    assert.strictEqual(answerLimit(1e12), MAX_MAX_ANSWER_CHARS);
  });

  it('capPiece keeps what fits, reasoning before text, never half a surrogate pair', () => {
    assert.deepStrictEqual(capPiece(0, { text: 'abc', thinking: '' }, 10), { text: 'abc', thinking: '', reached: false });
    assert.deepStrictEqual(capPiece(7, { text: 'abc', thinking: '' }, 10), { text: 'abc', thinking: '', reached: false }, 'exactly at the limit: not cut');
    assert.deepStrictEqual(capPiece(8, { text: 'abc', thinking: '' }, 10), { text: 'ab', thinking: '', reached: true });
    assert.deepStrictEqual(capPiece(10, { text: 'a', thinking: '' }, 10), { text: '', thinking: '', reached: true });
    assert.deepStrictEqual(capPiece(12, { text: 'a', thinking: '' }, 10), { text: '', thinking: '', reached: true });
    assert.deepStrictEqual(capPiece(5, { text: 'xyz', thinking: 'ab' }, 10), { text: 'xyz', thinking: 'ab', reached: false });
    assert.deepStrictEqual(capPiece(6, { text: 'xyz', thinking: 'ab' }, 10), { text: 'xy', thinking: 'ab', reached: true });
    assert.deepStrictEqual(capPiece(8, { text: 'xyz', thinking: 'abc' }, 10), { text: '', thinking: 'ab', reached: true });
    // "😀" is two UTF-16 units: one unit of room keeps none of it.
    assert.deepStrictEqual(capPiece(9, { text: '😀b', thinking: '' }, 10), { text: '', thinking: '', reached: true });
    assert.deepStrictEqual(capPiece(8, { text: '😀b', thinking: '' }, 10), { text: '😀', thinking: '', reached: true });
    assert.deepStrictEqual(capPiece(9, { text: 'x', thinking: '😀' }, 10), { text: '', thinking: '', reached: true });
  });

  it('an endless stream in small pieces stops at the limit with exactly that much kept', () => {
    const max = 200_000;
    let text = '';
    let pieces = 0;
    for (;;) {
      const p = capPiece(text.length, { text: 'token ', thinking: '' }, max);
      text += p.text;
      pieces++;
      if (p.reached) break;
      assert.ok(pieces < 1_000_000, 'never stopped');
    }
    assert.strictEqual(text.length, max);
  });
});
