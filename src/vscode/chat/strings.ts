// Every word the chat shows, localised here (the webview gets them in its `init` message).
import * as vscode from 'vscode';
import type { AnswerStats, ChatErrorInfo, MessageState } from '../../core/chat/conversation';
import type { ActionView, ChatStrings } from '../../shared/chatProtocol';

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
    imageTooLarge: vscode.l10n.t('That image is too large (over 20 MB).'),
    imageUnsupported: vscode.l10n.t('Only PNG, JPEG, WebP and GIF images can be attached.'),
    newChat: vscode.l10n.t('New chat'),
  };
}

export function stateLabel(state: MessageState | undefined, error: ChatErrorInfo | undefined): string | undefined {
  if (state === 'interrupted') return vscode.l10n.t('Interrupted: the window was reloaded or closed while this answer was arriving.');
  if (state === 'stopped') return vscode.l10n.t('Stopped.');
  if (state === 'error' && error?.kind === 'midStream') return vscode.l10n.t('The answer broke off here.');
  return undefined;
}

export function statsLine(s: AnswerStats | undefined): string | undefined {
  if (!s) return undefined;
  const parts: string[] = [];
  if (s.tokensPerSecond !== undefined) parts.push(vscode.l10n.t('{0} tokens/s', s.tokensPerSecond.toFixed(1)));
  const ttft = s.ttftMs ?? (s.loadMs !== undefined || s.promptMs !== undefined ? (s.loadMs ?? 0) + (s.promptMs ?? 0) : undefined);
  if (ttft !== undefined) parts.push(vscode.l10n.t('first token {0} s', (ttft / 1000).toFixed(2)));
  if (s.outputTokens) parts.push(vscode.l10n.t('{0} tokens', s.outputTokens));
  if (s.doneReason === 'length') parts.push(vscode.l10n.t('cut at the length limit'));
  if (s.trimmedMessages) parts.push(vscode.l10n.t('{0} older messages left out to fit the context window', s.trimmedMessages));
  return parts.length ? parts.join(' · ') : undefined;
}

export function errorActions(e: ChatErrorInfo): ActionView[] {
  switch (e.kind) {
    case 'unreachable':
      return [
        { action: 'openEndpointSetting', label: vscode.l10n.t('Open Endpoint Setting') },
        { action: 'retry', label: vscode.l10n.t('Retry') },
      ];
    case 'modelMissing':
      return [
        { action: 'pullModel', label: vscode.l10n.t('Pull {0}', e.model ?? ''), ...(e.model ? { arg: e.model } : {}) },
        { action: 'selectModel', label: vscode.l10n.t('Choose Another Model') },
      ];
    default:
      return [{ action: 'retry', label: vscode.l10n.t('Retry') }];
  }
}
