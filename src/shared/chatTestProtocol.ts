// The chat's test protocol, for test builds only (src/vscode/testApi.ts and src/webview/testHooks.ts,
// which production bundles leave out): the extension asks the webview to report its DOM or to act
// as a user would, and the webview answers. Nothing here is in the production protocol.
import type { FromWebview } from './chatProtocol';

/** Extension -> webview: run `op`, answer with a TestResultMessage of the same `id`. */
export interface TestMessage { type: 'test'; id: number; op: TestOp }
/** Webview -> extension. */
export interface TestResultMessage { type: 'testResult'; id: number; result: unknown }

export type TestOp =
  | { op: 'report' }
  | { op: 'click'; selector: string; index?: number }
  | { op: 'send'; text: string }
  | { op: 'paste'; name: string; mime: string; base64: string }
  | { op: 'selectModel'; model: string }
  | { op: 'selectThink'; value: string }
  | { op: 'editLast'; text: string }
  | { op: 'clickLink'; index: number }
  /** Post this message to the extension as if the webview had sent it (hostile-webview checks). */
  | { op: 'post'; message: FromWebview };

/** A test result from the webview: the id an integer, the result anything. Never throws. */
export function checkTestResult(raw: unknown): { ok: true; message: TestResultMessage } | { ok: false; reason: string } {
  if (typeof raw !== 'object' || raw === null || (raw as { type?: unknown }).type !== 'testResult') return { ok: false, reason: 'not a test result' };
  const m = raw as Record<string, unknown>;
  return Number.isSafeInteger(m.id) ? { ok: true, message: { type: 'testResult', id: m.id as number, result: m.result } } : { ok: false, reason: 'testResult: id not an integer' };
}

/** What the webview reports about its DOM (test builds): the XSS checks and what a user sees. */
export interface DomReport {
  /** <script> elements that were not in the document when the view started (the bundle and the
   * webview host's API script are). */
  scripts: number;
  iframes: number;
  objects: number;
  embeds: number;
  forms: number;
  /** <style> elements and style="" attributes inside the conversation. */
  styleElements: number;
  styleAttributes: number;
  /** "tag.onerror" for every on* attribute anywhere in the document. */
  onAttributes: string[];
  /** href/src/action/formaction/xlink:href values with a javascript:, vbscript: or data: (non-image) URL. */
  badUrls: string[];
  /** Every link target in the conversation. */
  links: string[];
  /** A global that the hostile payloads would set if any ran. */
  canary: boolean;
  messages: {
    id: string; role: string; state: string; text: string;
    /** User turns: the chips of what was attached, as shown. */
    attached: string[];
    thinking?: string; error?: string; stats?: string; stateLabel?: string;
    /** The thinking block's summary as shown, and whether it is expanded. */
    thinkingSummary?: string; thinkingOpen?: boolean;
    /** Where the thinking block is: before the answer body, as its own element. */
    thinkingApart?: boolean;
    note?: string;
    /** Rendered height of the stats line in lines (1 = it does not wrap). */
    statsLines?: number;
    /** Foot buttons shown (copyAnswer, regenerate, edit). */
    buttons?: string[];
  }[];
  codeBlocks: { language: string; text: string; highlighted: boolean; buttons: string[] }[];
  actions: { action: string; arg?: string; label: string }[];
  notice?: string;
  attachments: string[];
  /** The token size shown on each attachment chip ("~120 tok"; '' for none). */
  attachmentTokens: string[];
  models: string[];
  /** The note shown with each model (same order as models; '' for none). */
  modelNotes: string[];
  selectedModel: string;
  /** The reasoning control: its values and the selected one ([] / '' when hidden). */
  thinkOptions: string[];
  think: string;
  /** The webview's width in CSS pixels (the sidebar's width). */
  width: number;
  /** Per code block: whether its code is wider than the block and scrolls (with the cue). */
  codeScroll: { scrollable: boolean; cue: boolean }[];
  busy: boolean;
  images: number;
  input: string;
}
