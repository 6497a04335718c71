// Where the comments and strings of a document are: each language's comment tokens from the
// language-configuration.json its extension contributes (`contributes.languages[].configuration`,
// JSONC, read once per language), the core scanner (core/translate/comments) over the document,
// and the result kept per document version, so a hover or a command never scans twice.
import * as vscode from 'vscode';
// The ESM build: the UMD one (package main) loads its parts with a require() esbuild cannot follow.
import { parse as parseJsonc } from 'jsonc-parser/lib/esm/main.js';
import { languageSyntax, scanRegions, textBlocks, type ConfiguredComments, type LanguageSyntax, type TextBlock } from '../../core/translate/comments';

const configured = new Map<string, Promise<ConfiguredComments | undefined>>();

/** The `comments` of the language's own configuration file, if an extension contributes one. */
function configuredComments(languageId: string): Promise<ConfiguredComments | undefined> {
  let p = configured.get(languageId);
  if (!p) {
    p = (async () => {
      for (const ext of vscode.extensions.all) {
        const langs = (ext.packageJSON as { contributes?: { languages?: Array<{ id?: string; configuration?: string }> } })?.contributes?.languages ?? [];
        const lang = langs.find((l) => l.id === languageId && typeof l.configuration === 'string');
        if (!lang) continue;
        try {
          const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(ext.extensionUri, lang.configuration!));
          const json = parseJsonc(new TextDecoder().decode(bytes)) as { comments?: ConfiguredComments } | undefined;
          if (json?.comments) return json.comments;
        } catch { /* unreadable: try the next contribution, else the built-in table */ }
      }
      return undefined;
    })();
    configured.set(languageId, p);
  }
  return p;
}

/** The syntax for a language (its configuration's comment tokens + the built-in string forms). */
export async function syntaxFor(languageId: string): Promise<LanguageSyntax | undefined> {
  return languageSyntax(languageId, await configuredComments(languageId));
}

/** Files longer than this (characters) are not scanned for comments: the scan runs on the
 * extension host's thread at the first hover after an edit (2 MB: ~50-60 ms on a slow shared core;
 * larger files are bundles and generated code, not what one reads comments in). */
const MAX_SCAN_CHARS = 2_000_000;

const scans = new WeakMap<vscode.TextDocument, { version: number; blocks: TextBlock[] }>();

/** The document's comment and string blocks (cached per document version). Undefined: a language
 * whose comments are not known, or a file over MAX_SCAN_CHARS. */
export async function blocksOf(doc: vscode.TextDocument): Promise<TextBlock[] | undefined> {
  // Very large files (bundles, generated code) are not scanned: a hover must stay cheap.
  if (doc.offsetAt(new vscode.Position(doc.lineCount, 0)) > MAX_SCAN_CHARS) return undefined;
  const hit = scans.get(doc);
  if (hit && hit.version === doc.version) return hit.blocks;
  const syn = await syntaxFor(doc.languageId);
  if (!syn) return undefined;
  const text = doc.getText();
  const blocks = textBlocks(text, scanRegions(text, syn));
  scans.set(doc, { version: doc.version, blocks });
  return blocks;
}

/** Prose languages: the paragraph under the cursor is the unit. */
export const PROSE_LANGUAGES = new Set(['markdown', 'plaintext', 'mdx', 'restructuredtext', 'asciidoc', 'latex']);

/**
 * The paragraph of a prose document at `line`: the lines between blank lines, without fenced code
 * (Markdown) and without leading list/quote markers' effect on the range. Undefined on a blank line
 * or inside a code fence.
 */
export function paragraphAt(doc: vscode.TextDocument, line: number): vscode.Range | undefined {
  if (doc.lineAt(line).isEmptyOrWhitespace) return undefined;
  if (doc.languageId === 'markdown' || doc.languageId === 'mdx') {
    let inFence = false;
    for (let k = 0; k <= line; k++) {
      if (/^\s*(`{3,}|~{3,})/.test(doc.lineAt(k).text)) {
        if (k === line) return undefined;
        inFence = !inFence;
      }
    }
    if (inFence) return undefined;
  }
  let a = line;
  let b = line;
  const stop = (k: number): boolean => doc.lineAt(k).isEmptyOrWhitespace || /^\s*(`{3,}|~{3,})/.test(doc.lineAt(k).text);
  while (a > 0 && !stop(a - 1)) a--;
  while (b < doc.lineCount - 1 && !stop(b + 1)) b++;
  return new vscode.Range(a, 0, b, doc.lineAt(b).text.length);
}
