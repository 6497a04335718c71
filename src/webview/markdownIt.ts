// The one markdown-it configuration for chat answers, shared by the webview (src/webview/markdown.ts
// sanitizes what it renders) and by the unit tests, which run it in plain Node: raw HTML off (tags
// come out as text), linkify on, only http(s)/mailto links, images shown as links (nothing is
// fetched), code highlighted by highlight.js (a fixed set of common languages, no auto-detection).
// No DOM here.
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

export const md = new MarkdownIt({
  html: false,
  linkify: true,
  breaks: false,
  highlight(code: string, info: string): string {
    const lang = info.trim().split(/\s+/)[0] ?? '';
    if (!lang || !hljs.getLanguage(lang)) return '';
    try { return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value; } catch { return ''; }
  },
});

export const SAFE_URL = /^(?:https?:|mailto:)/i;
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

