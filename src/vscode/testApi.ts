// The extension's API for its own integration tests: returned by activate() only in
// ExtensionMode.Test, and only in builds made with __OA_TEST__ (esbuild.js: never in `npm run
// package`). The tests import the OllamaAssistantTestApi type from here; nothing in production
// calls this module. It reads the parts through their ordinary interfaces (state, events) and
// drives the chat webview through the test protocol (src/shared/chatTestProtocol.ts).
import type * as vscode from 'vscode';
import type { ChatSession } from '../core/chat/conversation';
import type { HistoryIndex } from '../core/chat/history';
import { attachmentViews } from '../core/chat/view';
import { checkTestResult, type TestOp } from '../shared/chatTestProtocol';
import type { IndexStats } from '../core/context/workspaceIndex';
import type { ChatFeature } from './chat';
import type { MentionKind } from './chat/mentions';
import { chatLabels } from './chat/strings';
import type { ExtensionContextOwner } from './context';
import type { NativeAi } from './lm';
import type { ModelsFeature } from './models';
import type { TranslationFeature } from './translate';
import type { ConnectionMonitor } from './status';

/** Loading the bundle and running activate(), measured (see src/extension.ts). `ms` = loading (first
 * to last statement of the bundle) + activate(), the time this extension costs; `spanMs` = first
 * statement to the end of activate() on the clock, including whatever the host did in between;
 * `threadCpuMs` = the extension host thread's CPU for loading + activate() (NaN before Node 23.9);
 * whether the HTTP transport (undici) was loaded by then; whether the process-wide undici
 * dispatcher is what it was at the first statement. */
export interface ActivationMeasurement {
  ms: number; loadMs: number; activateMs: number; spanMs: number; threadCpuMs: number; transportLoaded: boolean; dispatcherUnchanged: boolean;
}

export interface ChatTestState {
  ready: boolean;
  busy: boolean;
  model: string;
  session: ChatSession;
  index: HistoryIndex;
  attachments: string[];
  /** Links the webview asked to open, and whether they were opened. */
  links: { href: string; opened: boolean }[];
  notice?: string;
  /** Messages from the webview that were refused, with why (newest last; at most 100). */
  refused: string[];
  /** Whole-state messages sent to the webview. */
  statesPosted: number;
}

export interface ChatTestApi {
  state(): Promise<ChatTestState>;
  /** Shows the chat view (keeping the focus) and waits until its webview is ready. */
  reveal(): Promise<boolean>;
  /** Waits until no answer streams and every save is written. */
  idle(): Promise<ChatTestState>;
  /** Sends a test operation to the webview and waits for its answer. */
  webview<T = unknown>(op: TestOp, timeoutMs?: number): Promise<T>;
  switchTo(id: string): Promise<boolean>;
  deleteSession(id: string): Promise<ChatTestState>;
  newChat(): Promise<ChatTestState>;
  /** Answer the chat's confirmations (pull, clear, attach a file) with `answer` instead of dialogs
   * (undefined: the dialogs again); returns the questions asked since the last call. */
  confirmations(answer: boolean | undefined): string[];
  /** Picks a mention as the picker would (its items, or the symbol providers' answer to `query`)
   * and attaches it: the first item of `kind` whose label or description contains `query`.
   * Returns what the composer gets where the `@` was, or undefined when nothing matched. */
  mention(kind: MentionKind, query?: string): Promise<string | undefined>;
  /** Whether the mention picker is showing. */
  mentionPickerOpen(): boolean;
  /** The workspace search's index, once built (state and sizes). */
  indexStats(): Promise<IndexStats>;
  /** The workspace search as @workspace runs it: the hits' paths and first lines, and whether
   * embeddings ranked too. */
  workspaceSearch(question: string, keywordOnly?: boolean): Promise<{ hits: string[]; usedVectors: boolean }>;
}

export interface OllamaAssistantTestApi {
  activation: ActivationMeasurement;
  /** The owner of every registration and of the clients (rebuilt when the connection changes). */
  context: ExtensionContextOwner;
  /** The connection status (status bar item, unreachable notifications). */
  monitor: ConnectionMonitor;
  /** Unreachable-server notifications shown since activation (one per outage, not per failure). */
  readonly notificationsShown: number;
  models: ModelsFeature;
  chat: ChatTestApi;
  /** Hover translation counters, comment decorations shown, the translation memory. */
  translation: TranslationFeature;
  /** VS Code's own AI features: what is registered (`status`) and the provider while it is. */
  nativeAi: NativeAi;
}

export interface TestApiParts {
  activation: ActivationMeasurement;
  context: ExtensionContextOwner;
  monitor: ConnectionMonitor;
  models: ModelsFeature;
  chat: ChatFeature;
  translation: TranslationFeature;
  nativeAi: NativeAi;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createTestApi(p: TestApiParts): OllamaAssistantTestApi {
  const { controller, view } = p.chat;
  let notifications = 0;
  const links: { href: string; opened: boolean }[] = [];
  const refused: string[] = [];
  let statesPosted = 0;
  const own = <T extends vscode.Disposable>(d: T) => p.context.own(d);
  own(p.monitor.onDidNotifyUnreachable(() => { notifications++; }));
  own(controller.onDidRequestLink((l) => links.push(l)));
  own(controller.onDidRefuse((r) => { refused.push(r); if (refused.length > 100) refused.shift(); }));
  own(controller.onDidPostState(() => { statesPosted++; }));

  // The webview's answers to test operations.
  const waiters = new Map<number, (r: unknown) => void>();
  let nextId = 1;
  own(view.intercept((raw) => {
    const c = checkTestResult(raw);
    if (!c.ok) return false;
    waiters.get(c.message.id)?.(c.message.result);
    waiters.delete(c.message.id);
    return true;
  }));

  const state = async (): Promise<ChatTestState> => {
    await controller.whenLoaded();
    const notice = controller.notice;
    return {
      ready: view.isReady, busy: controller.busy, model: controller.models.current(), session: controller.sessions.current, index: controller.sessions.index,
      attachments: attachmentViews(controller.composer.attachments, chatLabels).map((a) => a.label), links, refused: [...refused], statesPosted,
      ...(notice ? { notice: notice.message } : {}),
    };
  };

  let confirm: { answer: boolean; asked: string[] } | undefined;
  const realPrompts = controller.prompts;

  const chat: ChatTestApi = {
    state,
    reveal: async () => { await controller.whenLoaded(); return view.reveal(true); },
    idle: async () => {
      await controller.whenLoaded();
      while (controller.busy) await sleep(20);
      await controller.sessions.idle();
      return state();
    },
    webview: async <T>(op: TestOp, timeoutMs = 10000) => {
      await controller.whenLoaded();
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const t = setTimeout(() => { waiters.delete(id); reject(new Error(`webview did not answer test op ${op.op}`)); }, timeoutMs);
        waiters.set(id, (r) => { clearTimeout(t); resolve(r as T); });
        if (!view.postRaw({ type: 'test', id, op })) { clearTimeout(t); waiters.delete(id); reject(new Error('chat webview is not ready')); }
      });
    },
    switchTo: async (id) => controller.switchTo(id),
    deleteSession: async (id) => { await controller.deleteSession(id); return state(); },
    newChat: async () => { await controller.newChat(); return state(); },
    mention: async (kind, query = '') => {
      const m = controller.mentions;
      const items = kind === 'symbol' ? await m.symbols(query) : await m.items();
      const item = items.find((i) => i.mention === kind && (!query || i.label.includes(query) || (i.description ?? '').includes(query)));
      return item ? m.attach(item) : undefined;
    },
    mentionPickerOpen: () => controller.mentions.pickerOpen,
    indexStats: async () => { const idx = await controller.search.ready(); await idx.engineStats(); return idx.stats(); },
    workspaceSearch: async (question, keywordOnly) => {
      const r = await (await controller.search.ready()).search(question, { limit: 8, perFile: 2, ...(keywordOnly ? { vectors: false } : {}) });
      return { hits: r.hits.map((h) => `${h.path}:${h.startLine}`), usedVectors: r.usedVectors };
    },
    confirmations: (answer) => {
      const asked = confirm?.asked ?? [];
      confirm = answer === undefined ? undefined : { answer, asked: [] };
      controller.prompts = confirm ? {
        confirm: (message) => { confirm!.asked.push(message); return Promise.resolve(confirm!.answer); },
        pickDocument: (docs, _active, title) => { confirm!.asked.push(title); return Promise.resolve(confirm!.answer ? docs[0] : undefined); },
      } : realPrompts;
      return asked;
    },
  };

  return {
    activation: p.activation,
    context: p.context,
    monitor: p.monitor,
    get notificationsShown() { return notifications; },
    models: p.models,
    chat,
    translation: p.translation,
    nativeAi: p.nativeAi,
  };
}
