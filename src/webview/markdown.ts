// Markdown for untrusted model output: the markdown-it configuration of ./markdownIt (raw HTML off,
// only http(s)/mailto links, images as links, highlight.js), and every result passed through
// DOMPurify with an allow-list before it touches the document. Code blocks get Copy / Insert / Open
// buttons.
import DOMPurify from 'dompurify';
import { md, SAFE_URL } from './markdownIt';

const PURIFY_CONFIG = {
  ALLOWED_TAGS: ['a', 'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 's', 'del', 'code', 'pre', 'blockquote',
    'ul', 'ol', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span', 'sup', 'sub'],
  ALLOWED_ATTR: ['href', 'title', 'class', 'start'],
  ALLOWED_URI_REGEXP: SAFE_URL,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  RETURN_DOM_FRAGMENT: true as const,
};

/** Markdown to HTML text, before sanitizing (exported for tests of the markdown configuration). */
export function markdownToHtml(src: string): string {
  return md.render(src);
}

/** Markdown to a sanitized fragment ready to insert. */
export function renderMarkdown(src: string): DocumentFragment {
  return htmlToFragment(md.render(src));
}

/** HTML that `md` rendered (untrusted: it carries model output) to a sanitized fragment with code
 * block toolbars, ready to insert. */
export function htmlToFragment(html: string): DocumentFragment {
  const frag = DOMPurify.sanitize(html, PURIFY_CONFIG) as DocumentFragment;
  decorateCodeBlocks(frag);
  return frag;
}

export interface CodeBlockLabels { copy: string; copyTitle: string; insert: string; insertTitle: string; openInEditor: string; openTitle: string }
let labels: CodeBlockLabels = { copy: 'Copy', copyTitle: '', insert: 'Insert', insertTitle: '', openInEditor: 'Open', openTitle: '' };
export function setCodeBlockLabels(l: CodeBlockLabels): void { labels = l; }

/** The fence language of a rendered code element ("" when none). */
export function codeLanguage(code: Element): string {
  return /(?:^|\s)language-([^\s]+)/.exec(code.className)?.[1] ?? '';
}

function decorateCodeBlocks(root: DocumentFragment): void {
  for (const pre of Array.from(root.querySelectorAll('pre'))) {
    const code = pre.querySelector('code');
    if (!code) continue;
    code.classList.add('hljs');
    const wrap = codeWrapper(codeLanguage(code));
    pre.replaceWith(wrap);
    wrap.append(pre);
  }
}

/** The frame of a code block: its toolbar (language, Copy / Insert / Open); the <pre> goes after it. */
function codeWrapper(language: string): HTMLElement {
  const wrap = document.createElement('div');
  wrap.className = 'code-block';
  const bar = document.createElement('div');
  bar.className = 'code-toolbar';
  const lang = document.createElement('span');
  lang.className = 'code-lang';
  lang.textContent = language;
  bar.append(lang);
  const buttons = [['copy', labels.copy, labels.copyTitle], ['insert', labels.insert, labels.insertTitle], ['open', labels.openInEditor, labels.openTitle]] as const;
  for (const [action, label, title] of buttons) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'code-action';
    b.dataset.codeAction = action;
    b.textContent = label;
    if (title) b.title = title;
    bar.append(b);
  }
  wrap.append(bar);
  return wrap;
}

/** An empty code block shaped like a rendered one (toolbar, <pre><code class="hljs language-x">),
 * for the code of a fence that is still arriving: the caller appends its lines as plain text. */
export function codeBlockShell(info: string): { block: HTMLElement; code: HTMLElement } {
  // The language the way markdown-it takes it: the first word of the info string.
  const language = info.trim().split(/\s+/)[0] ?? '';
  const code = document.createElement('code');
  code.className = language ? `hljs language-${language}` : 'hljs';
  const pre = document.createElement('pre');
  pre.append(code);
  const block = codeWrapper(language);
  block.append(pre);
  return { block, code };
}
