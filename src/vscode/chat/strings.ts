// Every word the chat shows, localised here (the webview gets them in its `init` message).
import * as vscode from 'vscode';
import type { AnswerStats, ChatErrorInfo, ChatMessage, ContextAttachment, MessageState } from '../../core/chat/conversation';
import type { ChatModelKind } from '../../core/chat/models';
import type { ChatLabels } from '../../core/chat/view';
import type { ActionView, ChatStrings } from '../../shared/chatProtocol';
import { remediesFor, type Remedy } from '../errors';

export function webviewStrings(): ChatStrings {
  return {
    placeholder: vscode.l10n.t('Ask about your code… (Enter to send, Shift+Enter for a new line, paste images)'),
    send: vscode.l10n.t('Send'),
    stop: vscode.l10n.t('Stop'),
    you: vscode.l10n.t('You'),
    assistant: vscode.l10n.t('Assistant'),
    regenerate: vscode.l10n.t('Regenerate'),
    edit: vscode.l10n.t('Edit'),
    editing: vscode.l10n.t('Editing your last message: send to ask again.'),
    cancel: vscode.l10n.t('Cancel'),
    copy: vscode.l10n.t('Copy'),
    copied: vscode.l10n.t('Copied'),
    copyAnswer: vscode.l10n.t('Copy answer'),
    copyTitle: vscode.l10n.t('Copy the code to the clipboard'),
    insert: vscode.l10n.t('Insert'),
    insertTitle: vscode.l10n.t('Insert the code at the cursor in the active editor'),
    openInEditor: vscode.l10n.t('Open'),
    openTitle: vscode.l10n.t('Open the code in a new editor'),
    attachFile: vscode.l10n.t('Attach the active file'),
    attachImage: vscode.l10n.t('Attach an image'),
    remove: vscode.l10n.t('Remove'),
    emptyHint: vscode.l10n.t('Ask a question, or select code and run "Ask about selection" (Ctrl+Alt+L). Answers come from your Ollama server; nothing else leaves your machine.'),
    model: vscode.l10n.t('Model'),
    modelNotInstalled: vscode.l10n.t('(not installed)'),
    thinking: vscode.l10n.t('Thinking'),
    thinkingLive: vscode.l10n.t('Thinking… {0}'),
    thoughtFor: vscode.l10n.t('Thought for {0}'),
    waiting: vscode.l10n.t('Waiting for the first token… {0}'),
    think: vscode.l10n.t('Reasoning'),
    imageTooLarge: vscode.l10n.t('That image is too large (over 20 MB).'),
    imageUnsupported: vscode.l10n.t('Only PNG, JPEG, WebP and GIF images can be attached.'),
    newChat: vscode.l10n.t('New chat'),
    sources: vscode.l10n.t('Sources'),
    removeSource: vscode.l10n.t('Leave this out and answer again'),
    mention: vscode.l10n.t('Add context: files, folders, symbols, problems, git changes, @workspace'),
  };
}

function stateLabel(state: MessageState | undefined, error: ChatErrorInfo | undefined): string | undefined {
  if (state === 'interrupted') return vscode.l10n.t('Interrupted: the window was reloaded or closed while this answer was arriving.');
  if (state === 'stopped') return vscode.l10n.t('Stopped.');
  if (state === 'error' && error?.kind === 'midStream') return vscode.l10n.t('The answer broke off here.');
  return undefined;
}

/** The note under an answer cut at the answer limit: what happened and how to allow longer ones. */
function cutLabel(limit: number): string {
  return vscode.l10n.t('The answer reached the limit of {0} characters and was cut there (the server was told to stop). To allow longer answers, raise the setting ollamaAssistant.chat.maxAnswerChars.', limit.toLocaleString('en-US'));
}

/** The stats of an answer: `short` fits one line of a narrow sidebar (speed, first answer token,
 * warnings); `long` (the tooltip) has everything, with the first thinking token and the server's
 * load and prompt times. "First token" is honest about which token: answer or reasoning. */
function statsLine(s: AnswerStats | undefined): { short: string; long: string } | undefined {
  if (!s) return undefined;
  const short: string[] = [];
  const long: string[] = [];
  if (s.tokensPerSecond !== undefined) { const t = vscode.l10n.t('{0} tokens/s', s.tokensPerSecond.toFixed(1)); short.push(t); long.push(t); }
  if (s.answeredBy) { const t = vscode.l10n.t('answered by {0}', s.answeredBy); short.push(t); long.push(t); }
  const secs = (ms: number) => (ms / 1000).toFixed(2);
  if (s.firstThinkingMs !== undefined) long.push(vscode.l10n.t('first thinking token {0} s', secs(s.firstThinkingMs)));
  // Older answers have only the server's timing: load + prompt evaluation is when the first token came.
  const ttft = s.ttftMs ?? (s.firstThinkingMs === undefined && (s.loadMs !== undefined || s.promptMs !== undefined) ? (s.loadMs ?? 0) + (s.promptMs ?? 0) : undefined);
  if (ttft !== undefined) { const t = vscode.l10n.t('first answer token {0} s', secs(ttft)); short.push(t); long.push(t); }
  if (s.outputTokens) long.push(vscode.l10n.t('{0} tokens', s.outputTokens));
  if (s.promptTokens) long.push(vscode.l10n.t('{0} prompt tokens', s.promptTokens));
  if (s.loadMs !== undefined && s.loadMs >= 1) long.push(vscode.l10n.t('model load {0} s', secs(s.loadMs)));
  if (s.doneReason === 'length') { const t = vscode.l10n.t('cut at the length limit'); short.push(t); long.push(t); }
  if (s.trimmedMessages) {
    short.push(vscode.l10n.t('{0} older left out', s.trimmedMessages));
    long.push(vscode.l10n.t('{0} older messages left out to fit the context window', s.trimmedMessages));
  }
  return long.length ? { short: (short.length ? short : long.slice(0, 2)).join(' · '), long: long.join(' · ') } : undefined;
}

/** A sentence for an answer that has reasoning but no answer text, instead of an empty bubble. */
function answerNote(m: ChatMessage): string | undefined {
  if (m.role !== 'assistant' || m.text || !m.thinking || m.state === 'streaming' || m.state === 'error') return undefined;
  if (m.state === 'stopped') return undefined;
  if (m.stats?.doneReason === 'length') {
    return vscode.l10n.t('The model spent its whole answer budget thinking and gave no answer. Raise num_predict in the ollamaAssistant.options setting, or turn reasoning off or lower for this model, then Regenerate.');
  }
  return vscode.l10n.t('The model only reasoned and gave no answer. Regenerate, or turn reasoning off for this model.');
}

/** The note beside a model in the picker. */
function modelNote(kind: ChatModelKind): string | undefined {
  if (kind === 'base') return vscode.l10n.t('base/code completion model: answers, but is not tuned for chat');
  if (kind === 'none') return vscode.l10n.t('cannot chat (embedding or other non-text model)');
  return undefined;
}

/** The label of a reasoning choice; 'default' names the model's own default when it says it. */
function thinkLabel(value: string, modelDefault: boolean | string | undefined): string {
  if (value === 'on') return vscode.l10n.t('Reasoning on');
  if (value === 'off') return vscode.l10n.t('Reasoning off');
  if (value.startsWith('level:')) return vscode.l10n.t('Reasoning: {0}', value.slice('level:'.length));
  const d = modelDefault === true ? vscode.l10n.t('on') : modelDefault === false ? vscode.l10n.t('off') : typeof modelDefault === 'string' ? modelDefault : undefined;
  return d ? vscode.l10n.t('Reasoning: model default ({0})', d) : vscode.l10n.t('Reasoning: model default');
}

/** A remedy (errors.ts) as an action of the chat view. */
function remedyAction(r: Remedy): ActionView {
  switch (r.kind) {
    // The only setting an answer's error points to is the endpoint (remediesFor 'unreachable').
    case 'openSetting': return { action: 'openEndpointSetting', label: vscode.l10n.t('Open Endpoint Setting') };
    case 'pull': return { action: 'pullModel', label: vscode.l10n.t('Pull {0}', r.model), arg: r.model };
    case 'chooseModel': return { action: 'selectModel', label: vscode.l10n.t('Choose Another Model') };
    case 'testConnection': return { action: 'testConnection', label: vscode.l10n.t('Test Connection') };
    case 'retry': return { action: 'retry', label: vscode.l10n.t('Retry') };
  }
}

/** The actions that fix an answer's error (also of one read back from the history). A missing model
 * whose name is unknown is offered another model only. */
function errorActions(e: ChatErrorInfo): ActionView[] {
  return remediesFor(e.kind, e.model ? { model: e.model } : {}).map(remedyAction);
}

/** The chip of an attachment: "src/a.ts (lines 3-9, typescript)". */
function contextLabel(a: ContextAttachment): string {
  // A place reads as editors write it (path:line or path:first-last), so it can be told at a glance.
  const at = (p: string, start?: number, end?: number): string =>
    start === undefined || end === undefined ? p : start === end ? `${p}:${start}` : `${p}:${start}-${end}`;
  switch (a.kind) {
    case 'folder': return vscode.l10n.t('Folder {0}', a.path);
    case 'problems': return a.path ? vscode.l10n.t('Problems in {0}', a.path) : vscode.l10n.t('Problems in the workspace');
    case 'diff': return vscode.l10n.t('Git changes');
    case 'symbol': return `${a.name ?? ''} · ${at(a.path, a.startLine, a.endLine)}`;
    default: return at(a.path, a.startLine, a.endLine);
  }
}

/** The chat's view-model words, localised. */
const snippetsLabel = (count: number): string => count === 1 ? vscode.l10n.t('@workspace: 1 snippet') : vscode.l10n.t('@workspace: {0} snippets', count);

export const chatLabels: ChatLabels = { stateLabel, cutLabel, statsLine, answerNote, errorActions, modelNote, thinkLabel, contextLabel, snippetsLabel };
