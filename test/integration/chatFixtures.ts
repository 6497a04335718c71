// Fixtures shared by the chat tests (unit and real-host): hostile model outputs that must render
// inert, and a realistic answer with a code block.

/** Every payload sets window.__oaXss if it ever runs; the webview reports whether that global exists. */
export const XSS_CORPUS: string[] = [
  '<script>window.__oaXss=1</script>',
  '<img src=x onerror="window.__oaXss=1">',
  '[markdown js link](javascript:window.__oaXss=1)',
  '[mixed case](JaVaScRiPt:window.__oaXss=1) and [spaced]( javascript:window.__oaXss=1) and [entity](java&#x73;cript:window.__oaXss=1)',
  '<a href="javascript:window.__oaXss=1">raw js link</a>',
  '<javascript:window.__oaXss=1> and <vbscript:msgbox(1)>',
  '<iframe src="javascript:window.__oaXss=1"></iframe>',
  '<iframe srcdoc="<script>parent.__oaXss=1</script>"></iframe>',
  '<svg onload="window.__oaXss=1"><circle r="10"></circle></svg>',
  '```html\n<script>window.__oaXss=1</script>\n<img src=x onerror="window.__oaXss=1">\n```',
  '[data link](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX19vYVhzcz0xPC9zY3JpcHQ+)',
  '<a href="data:text/html,<script>parent.__oaXss=1</script>">raw data link</a>',
  '<style>body{display:none}</style>',
  '<div style="position:fixed;top:0;left:0;width:100%;height:100%;background:red">overlay</div>',
  '<object data="javascript:window.__oaXss=1"></object><embed src="javascript:window.__oaXss=1">',
  '<form action="javascript:window.__oaXss=1"><input type="submit" value="go"></form>',
  '![image js](javascript:window.__oaXss=1) ![remote](https://example.com/x.png "t")',
  '<details open ontoggle="window.__oaXss=1"><summary>x</summary></details>',
  '<math><mtext><table><mglyph><style><img src=x onerror="window.__oaXss=1">',
  '[ref link][evil]\n\n[evil]: javascript:window.__oaXss=1',
  'A safe link: [docs](https://example.com/docs) and mail <user@example.com>.',
].map((s) => s + '\n');

export const XSS_ANSWER = 'Here is the hostile corpus:\n\n' + XSS_CORPUS.join('\n');

export const CODE_ANSWER = [
  'Here is a **TypeScript** function that adds two numbers:',
  '',
  '```typescript',
  '// Adds two numbers.',
  'export function add(a: number, b: number): number {',
  '  return a + b;',
  '}',
  '```',
  '',
  'And how to run the tests:',
  '',
  '- install: `npm ci`',
  '- run: `npm test`',
  '',
  '```bash',
  'npm test -- --grep add',
  '```',
  '',
  'See [the docs](https://example.com/docs) for more.',
].join('\n');
