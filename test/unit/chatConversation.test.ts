// The conversation model: the user turn with attached code as fenced blocks (name + language),
// the message list sent to the backend, and the markdown configuration on hostile input.
import * as assert from 'assert';
import { sniffImageMime } from '../../src/core/common/images';
import {
  composeUserContent,
  fenceFor,
  languageIdForFence,
  markInterrupted,
  newSession,
  titleFrom,
  toLlmMessages,
  type ChatMessage,
} from '../../src/core/chat/conversation';
import { markdownToHtml } from '../../src/webview/markdown';
import { XSS_ANSWER, XSS_CORPUS } from '../integration/chatFixtures';

describe('chat conversation model', () => {
  it('puts a selection into the prompt as a fenced block with file name, lines and language', () => {
    const c = composeUserContent({ text: 'Why?', context: [{ kind: 'selection', path: 'src/hello.ts', language: 'typescript', text: 'return a + b;', startLine: 2, endLine: 2 }] });
    assert.strictEqual(c, 'Why?\n\nSelected code from `src/hello.ts` (lines 2-2), language typescript:\n```typescript\nreturn a + b;\n```');
  });

  it('uses a longer fence when the code itself contains fences', () => {
    assert.strictEqual(fenceFor('no ticks'), '```');
    assert.strictEqual(fenceFor('```js\nx\n```'), '````');
    const c = composeUserContent({ text: '', context: [{ kind: 'file', path: 'README.md', language: 'markdown', text: '````\nx\n````\n', truncated: true }] });
    assert.ok(c.startsWith('File `README.md`, language markdown (truncated):\n`````markdown\n````\nx\n````\n`````'), c);
  });

  it('sends the system prompt first, every turn, images as base64, and skips empty failed answers', () => {
    const h: ChatMessage[] = [
      { id: '1', role: 'user', text: 'hi', createdAt: 0 },
      { id: '2', role: 'assistant', text: '', state: 'error', createdAt: 0 },
      { id: '3', role: 'user', text: 'look', images: [{ name: 'a.png', mime: 'image/png', data: 'iVBOR' }], createdAt: 0 },
      { id: '4', role: 'assistant', text: 'partial', state: 'interrupted', createdAt: 0 },
      { id: '5', role: 'user', text: 'go on', createdAt: 0 },
    ];
    assert.deepStrictEqual(toLlmMessages(h, 'Be brief.'), [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
      { role: 'user', content: 'look', images: ['iVBOR'] },
      { role: 'assistant', content: 'partial' },
      { role: 'user', content: 'go on' },
    ]);
    assert.strictEqual(toLlmMessages(h, '  ')[0]!.role, 'user');
  });

  it('marks streaming answers interrupted', () => {
    const s = newSession();
    s.messages.push({ id: 'a', role: 'assistant', text: 'x', state: 'streaming', createdAt: 0 }, { id: 'b', role: 'assistant', text: 'y', state: 'done', createdAt: 0 });
    assert.strictEqual(markInterrupted(s), 1);
    assert.deepStrictEqual(s.messages.map((m) => m.state), ['interrupted', 'done']);
  });

  it('titles, image types and fence languages', () => {
    assert.strictEqual(titleFrom('\n  How do I   sort?\nmore'), 'How do I sort?');
    assert.strictEqual(titleFrom('x'.repeat(100)).length, 60);
    assert.strictEqual(sniffImageMime('iVBORw0KGgo'), 'image/png');
    assert.strictEqual(sniffImageMime('/9j/4AAQ'), 'image/jpeg');
    assert.strictEqual(sniffImageMime('PHN2Zz4='), undefined);
    const known = new Set(['typescript', 'python', 'shellscript', 'plaintext', 'cpp']);
    assert.strictEqual(languageIdForFence('ts', known), 'typescript');
    assert.strictEqual(languageIdForFence('python {linenos}', known), 'python');
    assert.strictEqual(languageIdForFence('bash', known), 'shellscript');
    assert.strictEqual(languageIdForFence('c++', known), 'cpp');
    assert.strictEqual(languageIdForFence('klingon', known), 'plaintext');
    assert.strictEqual(languageIdForFence('', known), 'plaintext');
  });
});

describe('chat markdown configuration (before DOMPurify)', () => {
  it('renders raw HTML in model output as text and makes no javascript:/data: links', () => {
    const html = markdownToHtml(XSS_ANSWER);
    assert.ok(!/<(script|iframe|object|embed|form|style|svg|img|details|math|input)\b/i.test(html), html);
    assert.ok(!/<[a-z][^>]*\son\w+\s*=/i.test(html), 'no on* attributes in tags');
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    assert.deepStrictEqual(hrefs, ['https://example.com/x.png', 'https://example.com/docs', 'mailto:user@example.com']);
    assert.ok(html.includes('&lt;script&gt;'), 'tags are shown as text');
    assert.strictEqual(XSS_CORPUS.length > 15, true);
  });

  it('highlights fenced code with a known language and leaves unknown ones plain', () => {
    const html = markdownToHtml('```typescript\nconst a: number = 1;\n```\n\n```klingon\nqapla\n```');
    assert.ok(/<pre><code class="language-typescript"><span class="hljs-keyword">const<\/span>/.test(html), html);
    assert.ok(html.includes('<code class="language-klingon">qapla'), html);
  });
});
