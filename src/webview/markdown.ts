// Markdown for untrusted model output: markdown-it with raw HTML off (tags come out as text), only
// http(s)/mailto links, images shown as links (nothing is fetched), code highlighted by highlight.js
// (a fixed set of common languages, no auto-detection), and every result passed through DOMPurify
// with an allow-list before it touches the document. Code blocks get Copy / Insert / Open buttons.
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import dockerfile from 'highlight.js/lib/languages/dockerfile';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import markdown from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import plaintext from 'highlight.js/lib/languages/plaintext';
import powershell from 'highlight.js/lib/languages/powershell';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import swift from 'highlight.js/lib/languages/swift';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import MarkdownIt from 'markdown-it';

const LANGUAGES = {
  bash, c, cpp, csharp, css, diff, dockerfile, go, ini, java, javascript, json, kotlin, markdown, php, plaintext,
  powershell, python, ruby, rust, shell, sql, swift, typescript, xml, yaml,
};
for (const [name, lang] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, lang);
hljs.registerAliases(['shellscript', 'sh', 'zsh'], { languageName: 'bash' });
hljs.registerAliases(['typescriptreact', 'tsx'], { languageName: 'typescript' });
hljs.registerAliases(['javascriptreact', 'jsx'], { languageName: 'javascript' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });
hljs.registerAliases(['toml'], { languageName: 'ini' });
hljs.registerAliases(['jsonc', 'json5'], { languageName: 'json' });

const md = new MarkdownIt({
  html: false,
  linkify: true,
  breaks: false,
  highlight(code: string, info: string): string {
    const lang = info.trim().split(/\s+/)[0] ?? '';
    if (!lang || !hljs.getLanguage(lang)) return '';
    try { return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value; } catch { return ''; }
  },
});

const SAFE_URL = /^(?:https?:|mailto:)/i;
// markdown-it's own check drops javascript:/vbscript:/file: and non-image data: URLs; ours is stricter.
md.validateLink = (url: string): boolean => SAFE_URL.test(url.trim());

// Images become links: the CSP would block remote images anyway, and a model must not make the view
// fetch anything (tracking pixels).
md.renderer.rules.image = (tokens, idx) => {
  const t = tokens[idx]!;
  const src = String(t.attrGet('src') ?? '');
  const alt = md.utils.escapeHtml(t.content || src);
  return SAFE_URL.test(src) ? `<a href="${md.utils.escapeHtml(src)}">[${alt}]</a>` : `[${alt}]`;
};

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
  const frag = DOMPurify.sanitize(md.render(src), PURIFY_CONFIG) as DocumentFragment;
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
