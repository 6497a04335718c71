// The view model of the chat webview: pure functions from the domain (sessions, messages, the
// composer, the model list and facts) to the protocol's views (src/shared/chatProtocol.ts). Every
// word comes from ChatLabels, which the extension localises; tests pass their own.
import { imageDataUrl } from '../common/images';
import type { ModelFacts } from '../llm/facts';
import { estimateTokens } from '../llm/tokens';
import { sameModel } from '../models/format';
import type {
  ActionView, AttachmentView, ChatStateView, MessageView, ModelOption, NoticeView, ThinkView,
} from '../../shared/chatProtocol';
import type { PendingAttachment } from './composer';
import { lastUserIndex, type AnswerStats, type ChatErrorInfo, type ChatMessage, type ChatSession, type ContextAttachment, type MessageState } from './conversation';
import { classifyChatModel, thinkChoices, type ChatModelKind, type ThinkChoice } from './models';

/** Every word of the view model, localised by the extension (src/vscode/chat/strings.ts). */
export interface ChatLabels {
  stateLabel(state: MessageState | undefined, error: ChatErrorInfo | undefined): string | undefined;
  /** The note under an answer cut at the answer limit. */
  cutLabel(limit: number): string;
  statsLine(s: AnswerStats | undefined): { short: string; long: string } | undefined;
  /** A sentence for an answer with reasoning but no text. */
  answerNote(m: ChatMessage): string | undefined;
  /** The actions that fix an answer's error. */
  errorActions(e: ChatErrorInfo): ActionView[];
  modelNote(kind: ChatModelKind): string | undefined;
  thinkLabel(value: string, modelDefault: boolean | string | undefined): string;
  /** The chip of an attachment: "src/a.ts (lines 3-9, typescript)". */
  contextLabel(a: ContextAttachment): string;
  /** The one chip of a turn's `@workspace` snippets ("@workspace: 8 snippets"). */
  snippetsLabel(count: number): string;
}

/** An installed model as the picker sees it (capabilities from /api/tags, else /api/show). */
export interface ListedModel { name: string; capabilities?: string[] }

/** Message `i` of `all` as the webview shows it; `now` for the live counters of a streaming answer. */
export function messageView(m: ChatMessage, i: number, all: readonly ChatMessage[], busy: boolean, labels: ChatLabels, now = Date.now()): MessageView {
  const last = i === all.length - 1;
  // A user turn shows what was typed and a chip per attachment: the attached code itself (up to
  // eight @workspace snippets) is what the model reads, not what the reader needs to see again; the
  // answer lists it under Sources, each opening at its lines.
  const v: MessageView = { id: m.id, role: m.role, markdown: m.text };
  if (m.role === 'user') {
    if (m.context?.length) {
      // What the user attached, one chip each; what the search found, one chip (the answer's Sources
      // list each snippet).
      const snippets = m.context.filter((a) => a.kind === 'snippet').length;
      v.attached = m.context.filter((a) => a.kind !== 'snippet').map((a) => labels.contextLabel(a));
      if (snippets) v.attached.push(labels.snippetsLabel(snippets));
    }
    if (!busy && i === lastUserIndex(all)) v.editText = m.text;
    if (m.images?.length) v.images = m.images.map((im) => ({ name: im.name, src: imageDataUrl(im.mime, im.data) }));
    return v;
  }
  if (m.state) v.state = m.state;
  const label = m.cutAt ? labels.cutLabel(m.cutAt) : labels.stateLabel(m.state, m.error);
  if (label) v.stateLabel = label;
  if (m.thinking) {
    v.thinking = m.thinking;
    if (m.stats?.thinkingMs !== undefined) v.thinkingMs = m.stats.thinkingMs;
  }
  if (m.state === 'streaming') {
    // The webview counts on from these (its clock may differ from the extension host's).
    v.elapsedMs = Math.max(0, now - m.createdAt);
    if (m.thinking && !m.text && m.stats?.thinkingMs === undefined && m.stats?.firstThinkingMs !== undefined) v.thinkingElapsedMs = Math.max(0, v.elapsedMs - m.stats.firstThinkingMs);
  }
  const stats = labels.statsLine(m.stats);
  if (stats) { v.stats = stats.short; v.statsTitle = stats.long; }
  const note = labels.answerNote(m);
  if (note) v.note = note;
  if (m.model) v.model = m.model;
  const prev = all[i - 1];
  if (prev?.role === 'user' && prev.context?.length) {
    const removable = last && !busy && m.state !== 'streaming';
    v.sources = prev.context.map((a, index) => ({ index, label: labels.contextLabel(a), openable: !!a.uri, ...(removable ? { removable: true } : {}) }));
  }
  const actions = m.error && last && !busy ? labels.errorActions(m.error) : [];
  if (m.error) v.error = { kind: m.error.kind, message: m.error.message, actions };
  // Retry on an error is the same action as Regenerate: one button, not two.
  if (last && !busy && m.state !== 'streaming' && !actions.some((a) => a.action === 'retry')) v.canRegenerate = true;
  return v;
}

export function attachmentViews(items: readonly PendingAttachment[], labels: ChatLabels): AttachmentView[] {
  return items.map((p) => p.image
    ? { id: p.id, kind: 'image' as const, label: p.image.name, src: imageDataUrl(p.image.mime, p.image.data) }
    : { id: p.id, kind: p.context!.kind, label: labels.contextLabel(p.context!), tokens: estimateTokens(p.context!.text) });
}

/** The models the picker offers: never one that cannot chat (an embedding model); a base/FIM
 * model with a note. The configured model is always there (first, marked not installed, when the
 * server does not list it; with its note when it cannot chat). */
export function modelOptions(models: readonly ListedModel[], current: string, labels: ChatLabels): ModelOption[] {
  const opts: ModelOption[] = [];
  for (const m of models) {
    const kind = classifyChatModel(m.name, m.capabilities);
    const isCurrent = sameModel(m.name, current);
    if (kind === 'none' && !isCurrent) continue;
    const note = labels.modelNote(kind);
    opts.push({ name: m.name, installed: true, ...(kind !== 'chat' ? { kind } : {}), ...(note ? { note } : {}) });
  }
  if (!models.some((m) => sameModel(m.name, current))) opts.unshift({ name: current, installed: false });
  return opts;
}

/** The configured model as the server lists it ("llama3.2" -> "llama3.2:latest"). */
export function selectedModel(models: readonly ListedModel[], current: string): string {
  return models.find((m) => sameModel(m.name, current))?.name ?? current;
}

/** The reasoning choices a model allows, from its facts ([] before they are known, or when it has none). */
export function thinkAllowed(facts: ModelFacts | undefined): ThinkChoice[] {
  return facts ? thinkChoices(facts.capabilities, facts.thinking) : [];
}

/** The reasoning control of a model: undefined when it has none; `chosen` falls back to 'default'
 * when the model does not offer it (any more). */
export function thinkView(facts: ModelFacts | undefined, chosen: string | undefined, labels: ChatLabels): ThinkView | undefined {
  const allowed = thinkAllowed(facts);
  if (!allowed.length) return undefined;
  const current = chosen && allowed.includes(chosen as ThinkChoice) ? chosen : 'default';
  return { options: allowed.map((value) => ({ value, label: labels.thinkLabel(value, facts?.thinking?.default) })), current };
}

/** Everything the webview shows, at once (after `ready`, after a resync, after a change of session). */
export function stateView(p: {
  session: ChatSession; busy: boolean; model: string; models: ModelOption[]; think: ThinkView | undefined;
  attachments: AttachmentView[]; notice: NoticeView | undefined; labels: ChatLabels; now?: number;
}): ChatStateView {
  return {
    sessionId: p.session.id,
    title: p.session.title,
    messages: p.session.messages.map((m, i, all) => messageView(m, i, all, p.busy, p.labels, p.now)),
    busy: p.busy,
    model: p.model,
    models: p.models,
    ...(p.think ? { think: p.think } : {}),
    attachments: p.attachments,
    ...(p.notice ? { notice: p.notice } : {}),
  };
}
