// The chat view's webview: renders the state the extension sends (messages, the streaming answer,
// attachments, models) and reports what the user does. It keeps no state of its own that matters:
// when the view is shown again it says `ready` and gets everything back. Links never navigate the
// view; they go to the extension, which opens only http(s)/mailto in the browser.
import { IMAGE_DATA_URL, isSupportedImageMime, MAX_IMAGE_BYTES } from '../core/common/images';
import type {
  ActionView,
  AttachmentView,
  ChatStateView,
  ChatStrings,
  FromWebview,
  MessageView,
  ModelOption,
  NoticeView,
  ThinkView,
  ToWebview,
} from '../shared/chatProtocol';
import { codeLanguage, setCodeBlockLabels } from './markdown';
import { MarkdownStream } from './render';

interface VsCodeApi { postMessage(m: unknown): void }
declare function acquireVsCodeApi(): VsCodeApi;
/** True in test builds only (esbuild.js defines it): production bundles leave the test hooks out. */
declare const __OA_TEST__: boolean;

const api = acquireVsCodeApi();
const post = (m: FromWebview): void => api.postMessage(m);

let S: ChatStrings | undefined;
let busy = false;
let editing = false;
let stick = true;

interface Rendered {
  el: HTMLElement;
  body: HTMLElement;
  stream: MarkdownStream;
  /** Markdown shown so far. */
  text: string;
  view: MessageView;
  /** Thinking text shown so far. */
  thinkingShown?: string;
  /** Streaming: elapsed ms at `at` (performance.now()), counted on locally. */
  live?: { elapsed: number; at: number };
  /** While the model reasons: its elapsed ms at `at`. */
  thinkLive?: { elapsed: number; at: number };
  /** How long the reasoning took, as measured here when the answer began (until the extension says). */
  thinkFrozenMs?: number;
}
const rendered = new Map<string, Rendered>();

// ---- DOM skeleton ------------------------------------------------------------------------------

function h<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const app = document.getElementById('app')!;
const header = h('div', 'toolbar');
const modelLabel = h('label', 'model-label');
const modelSelect = h('select', 'model-select');
modelSelect.id = 'model';
modelLabel.htmlFor = 'model';
const thinkSelect = h('select', 'think-select');
thinkSelect.hidden = true;
header.append(modelLabel, modelSelect, thinkSelect);
const messagesEl = h('div', 'messages');
messagesEl.setAttribute('role', 'log');
const emptyHint = h('div', 'empty-hint');
messagesEl.append(emptyHint);
const noticeEl = h('div', 'notice');
noticeEl.hidden = true;
const composer = h('div', 'composer');
const attachmentsEl = h('div', 'attachments');
const editBanner = h('div', 'edit-banner');
editBanner.hidden = true;
const editText = h('span');
const editCancel = h('button', 'link-button');
editCancel.type = 'button';
editBanner.append(editText, editCancel);
const input = h('textarea', 'input');
input.rows = 3;
const actions = h('div', 'composer-actions');
const attachFileBtn = iconButton('M9.5 1.5H4.5a1 1 0 0 0-1 1v11a1 1 0 0 0 1 1h7a1 1 0 0 0 1-1V4.5z M9.5 1.5v3h3 M8 7v5 M5.5 9.5h5');
const attachImageBtn = iconButton('M2 3h12v10H2z M2 11.5l3.5-3.5 3 3 2-2 3.5 3.5 M10.5 6.2a1.2 1.2 0 1 0 0.01 0');
const spacer = h('span', 'spacer');
const sendBtn = h('button', 'send-button');
sendBtn.type = 'button';
const mentionBtn = h('button', 'icon-button mention-button', '@');
mentionBtn.type = 'button';
actions.append(mentionBtn, attachFileBtn, attachImageBtn, spacer, sendBtn);
composer.append(attachmentsEl, editBanner, input, actions);
app.append(header, messagesEl, noticeEl, composer);

/** A button with a stroked SVG icon in the theme's colour (no icon font, no emoji font needed). */
function iconButton(d: string): HTMLButtonElement {
  const b = h('button', 'icon-button');
  b.type = 'button';
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(NS, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '1.2');
  path.setAttribute('stroke-linejoin', 'round');
  svg.append(path);
  b.append(svg);
  return b;
}

function applyStrings(s: ChatStrings): void {
  S = s;
  setCodeBlockLabels(s);
  modelLabel.textContent = s.model;
  emptyHint.textContent = s.emptyHint;
  input.placeholder = s.placeholder;
  editText.textContent = s.editing;
  editCancel.textContent = s.cancel;
  mentionBtn.title = s.mention;
  mentionBtn.setAttribute('aria-label', s.mention);
  attachFileBtn.title = s.attachFile;
  attachFileBtn.setAttribute('aria-label', s.attachFile);
  attachImageBtn.title = s.attachImage;
  attachImageBtn.setAttribute('aria-label', s.attachImage);
  thinkSelect.title = s.think;
  thinkSelect.setAttribute('aria-label', s.think);
  setBusy(busy);
}

function setBusy(b: boolean): void {
  busy = b;
  sendBtn.textContent = b ? S?.stop ?? 'Stop' : S?.send ?? 'Send';
  sendBtn.classList.toggle('stop', b);
  sendBtn.dataset.role = b ? 'stop' : 'send';
  document.body.classList.toggle('busy', b);
}

// ---- messages ----------------------------------------------------------------------------------

function scrollToEnd(): void {
  if (stick) messagesEl.scrollTop = messagesEl.scrollHeight;
}
messagesEl.addEventListener('scroll', () => {
  stick = messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight < 48;
});

function createMessage(v: MessageView): Rendered {
  const el = h('div', `msg msg-${v.role}`);
  el.dataset.id = v.id;
  const head = h('div', 'msg-head');
  const body = h('div', 'msg-body markdown');
  el.append(head, body);
  const stream = new MarkdownStream(body);
  stream.onRender = scrollToEnd;
  const r: Rendered = { el, body, stream, text: '', view: v };
  updateMessage(r, v, true);
  return r;
}

function updateMessage(r: Rendered, v: MessageView, fresh = false): void {
  const { el } = r;
  el.dataset.state = v.state ?? 'done';
  const head = el.querySelector('.msg-head')!;
  head.textContent = v.role === 'user' ? S?.you ?? 'You' : v.model ?? S?.assistant ?? 'Assistant';
  // Text: continue the stream when the new text extends what is shown, else render again.
  if (fresh || v.markdown !== r.text) {
    if (!fresh && v.markdown.startsWith(r.text)) r.stream.append(v.markdown.slice(r.text.length));
    else r.stream.reset(v.markdown);
    r.text = v.markdown;
  }
  if (v.state !== 'streaming') r.stream.finish();
  const now = performance.now();
  if (v.state === 'streaming') {
    r.live = { elapsed: v.elapsedMs ?? r.live?.elapsed ?? 0, at: now };
    if (v.thinkingElapsedMs !== undefined) r.thinkLive = { elapsed: v.thinkingElapsedMs, at: now };
    else if (v.markdown || v.thinkingMs !== undefined) r.thinkLive = undefined;
    else if (v.thinking && !r.thinkLive) r.thinkLive = { elapsed: 0, at: now };
  } else {
    r.live = undefined;
    r.thinkLive = undefined;
  }
  setThinking(r, v.thinking);
  setImages(r, v.images);
  setPart(el, 'msg-attached', v.attached?.length ? v.attached : undefined, (p, list) => {
    p.replaceChildren(...list.map((label) => h('span', 'chip chip-sent', label)));
  });
  setPart(el, 'msg-note', v.note, (p, t) => { p.textContent = t; });
  setPart(el, 'msg-status', v.stateLabel, (p, t) => { p.textContent = t; });
  setPart(el, 'msg-error', v.error, (p, e) => {
    p.replaceChildren(h('div', 'error-text', e.message), actionButtons(e.actions));
    p.dataset.kind = e.kind;
  });
  setPart(el, 'msg-sources', v.sources?.length ? v.sources : undefined, (p, list) => {
    const items = list.map((src) => {
      const li = h('li', 'source');
      const open = h('button', 'link-button source-open', src.label);
      open.type = 'button';
      open.disabled = !src.openable;
      open.dataset.sourceOpen = String(src.index);
      li.append(open);
      if (src.removable) {
        const x = h('button', 'link-button source-remove', '×');
        x.type = 'button';
        x.dataset.sourceRemove = String(src.index);
        x.title = S?.removeSource ?? 'Remove';
        x.setAttribute('aria-label', S?.removeSource ?? 'Remove');
        li.append(x);
      }
      return li;
    });
    const ul = h('ul', 'source-list');
    ul.append(...items);
    p.replaceChildren(h('div', 'sources-title', S?.sources ?? 'Sources'), ul);
  });
  const foot = footButtons(v);
  setPart(el, 'msg-foot', v.stats || foot.childElementCount ? v : undefined, (p) => {
    const stats = h('span', 'msg-stats', v.stats ?? '');
    if (v.statsTitle) stats.title = v.statsTitle;
    p.replaceChildren(...(v.stats ? [stats] : []), foot);
  });
  r.view = v;
  updateLive(r);
  ensureTicker();
}

/** "12 s", "2 min 5 s"; with tenths for a finished duration under a minute ("4.2 s"). */
function duration(ms: number, exact: boolean): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return exact ? `${s.toFixed(1)} s` : `${Math.floor(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`;
}

const since = (b: { elapsed: number; at: number }, now: number): number => b.elapsed + (now - b.at);

/** The live parts of a message: the thinking summary and the waiting line. */
function updateLive(r: Rendered, now = performance.now()): void {
  const summary = r.el.querySelector<HTMLElement>(':scope > details.msg-thinking > summary');
  if (summary) {
    let label: string;
    if (r.thinkLive) label = (S?.thinkingLive ?? 'Thinking… {0}').replace('{0}', duration(since(r.thinkLive, now), false));
    else if (r.view.thinkingMs !== undefined) label = (S?.thoughtFor ?? 'Thought for {0}').replace('{0}', duration(r.view.thinkingMs, true));
    else if (r.thinkFrozenMs !== undefined) label = (S?.thoughtFor ?? 'Thought for {0}').replace('{0}', duration(r.thinkFrozenMs, true));
    else label = S?.thinking ?? 'Thinking';
    if (summary.textContent !== label) summary.textContent = label;
    summary.parentElement!.classList.toggle('live', !!r.thinkLive);
  }
  const waiting = r.live && !r.text && !r.view.thinking
    ? (S?.waiting ?? 'Waiting for the first token… {0}').replace('{0}', duration(since(r.live, now), false)) : undefined;
  setPart(r.el, 'msg-waiting', waiting, (p, t) => { if (p.textContent !== t) p.textContent = t; });
}

let ticker: ReturnType<typeof setInterval> | undefined;
/** Counts the seconds of every message that is still streaming, once a second, and stops when none is. */
function ensureTicker(): void {
  const anyLive = () => Array.from(rendered.values()).some((r) => r.live);
  if (ticker === undefined && anyLive()) {
    ticker = setInterval(() => {
      const now = performance.now();
      for (const r of rendered.values()) if (r.live) updateLive(r, now);
      if (!anyLive()) { clearInterval(ticker); ticker = undefined; }
    }, 1000);
  }
}

/** Keeps a child with class `cls` (in a fixed order after the body) present or absent. */
function setPart<T>(el: HTMLElement, cls: string, value: T | undefined, fill: (p: HTMLElement, v: T) => void): void {
  let p = el.querySelector<HTMLElement>(`:scope > .${cls}`);
  if (value === undefined || value === '' || value === null) { p?.remove(); return; }
  if (!p) {
    p = h('div', cls);
    const order = ['msg-attached', 'msg-waiting', 'msg-note', 'msg-status', 'msg-error', 'msg-sources', 'msg-foot'];
    const after = order.slice(order.indexOf(cls) + 1).map((c) => el.querySelector(`:scope > .${c}`)).find(Boolean) ?? null;
    el.insertBefore(p, after);
  }
  fill(p, value);
}

/** Thinking text is long and streams in: it is kept in pieces of about this many characters (text
 * nodes), so a delta is appended to the last piece instead of the whole text being replaced. */
const THINKING_PIECE_CHARS = 4096;

function setThinking(r: Rendered, thinking: string | undefined): void {
  let d = r.el.querySelector<HTMLDetailsElement>(':scope > details.msg-thinking');
  if (!thinking) { d?.remove(); r.thinkingShown = ''; return; }
  if (!d) {
    // Collapsed: the reasoning is there for those who open it, apart from the answer.
    d = h('details', 'msg-thinking');
    d.append(h('summary', undefined, S?.thinking ?? 'Thinking'), h('div', 'thinking-text'));
    r.el.insertBefore(d, r.body);
    r.thinkingShown = '';
  }
  const t = d.querySelector<HTMLElement>('.thinking-text')!;
  const shown = r.thinkingShown ?? '';
  if (thinking === shown) return;
  if (shown && thinking.startsWith(shown)) appendThinkingText(t, thinking.slice(shown.length));
  else t.textContent = thinking;
  r.thinkingShown = thinking;
}

/** Adds a streamed piece of thinking to what is shown. */
function appendThinking(r: Rendered, delta: string): void {
  const t = r.el.querySelector<HTMLElement>(':scope > details.msg-thinking > .thinking-text');
  const all = (r.view.thinking ?? '') + delta;
  r.view = { ...r.view, thinking: all };
  if (!t || r.thinkingShown === undefined) { setThinking(r, all); return; }
  appendThinkingText(t, delta);
  r.thinkingShown = all;
}

function appendThinkingText(t: HTMLElement, delta: string): void {
  const last = t.lastChild;
  if (last instanceof Text && last.length < THINKING_PIECE_CHARS) last.appendData(delta);
  else t.append(delta);
}

function setImages(r: Rendered, images: MessageView['images']): void {
  let box = r.el.querySelector<HTMLElement>(':scope > .msg-images');
  if (!images?.length) { box?.remove(); return; }
  if (box && box.childElementCount === images.length) return;
  if (!box) { box = h('div', 'msg-images'); r.el.insertBefore(box, r.body.nextSibling); }
  box.replaceChildren(...images.map((im) => thumb(im.src, im.name)));
}

function thumb(src: string, name: string): HTMLImageElement {
  const img = h('img', 'thumb');
  // Only image data URLs made by the extension reach here; anything else is not shown.
  if (IMAGE_DATA_URL.test(src)) img.src = src;
  img.alt = name;
  img.title = name;
  return img;
}

function actionButtons(list: ActionView[]): HTMLElement {
  const box = h('div', 'actions');
  for (const a of list) {
    const b = h('button', 'action-button', a.label);
    b.type = 'button';
    b.dataset.action = a.action;
    if (a.arg !== undefined) b.dataset.arg = a.arg;
    box.append(b);
  }
  return box;
}

function footButtons(v: MessageView): HTMLElement {
  const box = h('span', 'msg-buttons');
  const add = (action: string, label: string) => {
    const b = h('button', 'link-button', label);
    b.type = 'button';
    b.dataset.msgAction = action;
    box.append(b);
  };
  if (v.role === 'assistant' && v.markdown && v.state !== 'streaming') add('copyAnswer', S?.copyAnswer ?? 'Copy');
  if (v.canRegenerate) add('regenerate', S?.regenerate ?? 'Regenerate');
  if (v.role === 'user' && v.editText !== undefined && !busy) add('edit', S?.edit ?? 'Edit');
  return box;
}

function renderMessages(views: MessageView[]): void {
  const ids = new Set(views.map((v) => v.id));
  for (const [id, r] of rendered) if (!ids.has(id)) { r.stream.dispose(); r.el.remove(); rendered.delete(id); }
  let prev: Element = emptyHint;
  for (const v of views) {
    let r = rendered.get(v.id);
    if (!r) { r = createMessage(v); rendered.set(v.id, r); } else updateMessage(r, v);
    if (prev.nextElementSibling !== r.el) prev.after(r.el);
    prev = r.el;
  }
  emptyHint.hidden = views.length > 0;
  stick = true;
  scrollToEnd();
}

// ---- composer ----------------------------------------------------------------------------------

function renderModels(models: ModelOption[], current: string, think: ThinkView | undefined): void {
  modelSelect.replaceChildren(...models.map((m) => {
    const o = h('option', undefined, !m.installed ? `${m.name} ${S?.modelNotInstalled ?? ''}` : m.note ? `${m.name} (${m.note})` : m.name);
    o.value = m.name;
    if (m.note) { o.title = m.note; o.dataset.note = m.note; }
    if (m.kind) o.dataset.kind = m.kind;
    return o;
  }));
  renderThink(think);
  modelSelect.value = current;
  if (modelSelect.value !== current) {
    const o = h('option', undefined, current);
    o.value = current;
    modelSelect.prepend(o);
    modelSelect.value = current;
  }
}

function renderThink(think: ThinkView | undefined): void {
  thinkSelect.hidden = !think;
  if (!think) { thinkSelect.replaceChildren(); return; }
  thinkSelect.replaceChildren(...think.options.map((o) => {
    const e = h('option', undefined, o.label);
    e.value = o.value;
    return e;
  }));
  thinkSelect.value = think.current;
}

function renderAttachments(list: AttachmentView[]): void {
  attachmentsEl.replaceChildren(...list.map((a) => {
    const chip = h('span', `chip chip-${a.kind}`);
    if (a.src) chip.append(thumb(a.src, a.label));
    chip.append(h('span', 'chip-label', a.label));
    if (a.tokens !== undefined) chip.append(h('span', 'chip-tokens', `~${a.tokens.toLocaleString()} tok`));
    const x = h('button', 'chip-remove', '×');
    x.type = 'button';
    x.dataset.remove = a.id;
    x.title = S?.remove ?? 'Remove';
    x.setAttribute('aria-label', S?.remove ?? 'Remove');
    chip.append(x);
    return chip;
  }));
  attachmentsEl.hidden = list.length === 0;
}

function renderNotice(n: NoticeView | null | undefined): void {
  if (!n) { noticeEl.hidden = true; noticeEl.replaceChildren(); return; }
  noticeEl.hidden = false;
  noticeEl.dataset.kind = n.kind;
  noticeEl.replaceChildren(h('div', 'notice-text', n.message), actionButtons(n.actions));
}

function localNotice(message: string): void { renderNotice({ kind: 'error', message, actions: [] }); }

function applyState(s: ChatStateView): void {
  setBusy(s.busy);
  renderModels(s.models, s.model, s.think);
  renderMessages(s.messages);
  renderAttachments(s.attachments);
  renderNotice(s.notice);
  if (editing && !s.messages.some((m) => m.editText !== undefined)) setEditing(false);
}

function setEditing(on: boolean, text = ''): void {
  editing = on;
  editBanner.hidden = !on;
  if (on) { input.value = text; input.focus(); input.setSelectionRange(text.length, text.length); }
}

function submit(): void {
  if (busy) { post({ type: 'stop' }); return; }
  const text = input.value;
  if (editing) { post({ type: 'editLast', text }); setEditing(false); return; }
  post({ type: 'send', text });
}

sendBtn.addEventListener('click', submit);
input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); if (!busy) submit(); }
  else if (e.key === 'Escape' && editing) { setEditing(false); input.value = ''; }
});
/** Where the `@` that opened the mention picker was typed (the picker's result replaces it). */
let mentionAt: number | undefined;
input.addEventListener('input', (e) => {
  const ie = e as InputEvent;
  if (ie.inputType !== 'insertText' || ie.data !== '@' || busy) return;
  const at = input.selectionStart - 1;
  // A mention starts a word: not the `@` of an e-mail address or a decorator after a name.
  if (at < 0 || input.value[at] !== '@' || (at > 0 && !/\s/.test(input.value[at - 1]!))) return;
  mentionAt = at;
  post({ type: 'mention' });
});
function mentionDone(insert: string): void {
  const at = mentionAt;
  mentionAt = undefined;
  if (at === undefined || input.value[at] !== '@') {
    // From the @ button: at the cursor, a word of its own.
    if (insert && insert !== '@') {
      const before = input.value.slice(0, input.selectionStart);
      input.setRangeText(before && !/\s$/.test(before) ? ' ' + insert : insert, input.selectionStart, input.selectionEnd, 'end');
    }
    input.focus();
    return;
  }
  input.setRangeText(insert, at, at + 1, 'end');
  input.focus();
}
editCancel.addEventListener('click', () => { setEditing(false); input.value = ''; });
attachFileBtn.addEventListener('click', () => post({ type: 'attachFile' }));
mentionBtn.addEventListener('click', () => { mentionAt = undefined; post({ type: 'mention' }); });
attachImageBtn.addEventListener('click', () => post({ type: 'attachImage' }));
modelSelect.addEventListener('change', () => post({ type: 'selectModel', model: modelSelect.value }));
modelSelect.addEventListener('focus', () => post({ type: 'refreshModels' }));
thinkSelect.addEventListener('change', () => post({ type: 'setThink', value: thinkSelect.value }));

input.addEventListener('paste', (e) => { void onPaste(e); });
async function onPaste(e: ClipboardEvent): Promise<void> {
  const files = Array.from(e.clipboardData?.items ?? []).filter((i) => i.kind === 'file' && i.type.startsWith('image/')).map((i) => i.getAsFile()).filter((f): f is File => !!f);
  if (!files.length) return;
  e.preventDefault();
  for (const f of files) {
    if (!isSupportedImageMime(f.type)) { localNotice(S?.imageUnsupported ?? ''); continue; }
    if (f.size > MAX_IMAGE_BYTES) { localNotice(S?.imageTooLarge ?? ''); continue; }
    const data = await readBase64(f);
    post({ type: 'addImage', name: f.name || 'pasted-image', mime: f.type, data });
  }
}

function readBase64(f: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(f);
  });
}

// One click handler for everything rendered: links, code block buttons, actions.
document.addEventListener('click', (e) => {
  const target = e.target as Element | null;
  const link = target?.closest('a');
  if (link) {
    e.preventDefault();
    e.stopPropagation();
    const href = link.getAttribute('href');
    if (href) post({ type: 'openLink', href });
    return;
  }
  const btn = target?.closest('button');
  if (!btn) return;
  if (btn.dataset.codeAction) {
    const code = btn.closest('.code-block')?.querySelector('pre code');
    if (!code) return;
    const action = btn.dataset.codeAction as 'copy' | 'insert' | 'open';
    post({ type: 'codeAction', action, code: code.textContent ?? '', language: codeLanguage(code) });
    if (action === 'copy') flash(btn, S?.copied ?? 'Copied');
  } else if (btn.dataset.action) {
    post({ type: 'action', action: btn.dataset.action as ActionView['action'], ...(btn.dataset.arg !== undefined ? { arg: btn.dataset.arg } : {}) });
  } else if (btn.dataset.msgAction) {
    const id = btn.closest<HTMLElement>('.msg')?.dataset.id;
    const r = id ? rendered.get(id) : undefined;
    if (!r) return;
    if (btn.dataset.msgAction === 'regenerate') post({ type: 'regenerate' });
    else if (btn.dataset.msgAction === 'edit') setEditing(true, r.view.editText ?? '');
    else if (btn.dataset.msgAction === 'copyAnswer') { post({ type: 'copyText', text: r.text }); flash(btn, S?.copied ?? 'Copied'); }
  } else if (btn.dataset.sourceOpen !== undefined || btn.dataset.sourceRemove !== undefined) {
    const id = btn.closest<HTMLElement>('.msg')?.dataset.id;
    if (!id) return;
    if (btn.dataset.sourceOpen !== undefined) post({ type: 'openSource', id, index: Number(btn.dataset.sourceOpen) });
    else post({ type: 'removeSource', id, index: Number(btn.dataset.sourceRemove) });
  } else if (btn.dataset.remove) {
    post({ type: 'removeAttachment', id: btn.dataset.remove });
  }
}, true);
// Middle-click on a link would otherwise reach the webview host's own link handling.
document.addEventListener('auxclick', (e) => {
  if ((e.target as Element | null)?.closest('a')) { e.preventDefault(); e.stopPropagation(); }
}, true);

function flash(btn: HTMLElement, text: string): void {
  const old = btn.textContent;
  btn.textContent = text;
  setTimeout(() => { btn.textContent = old; }, 1200);
}

// ---- messages from the extension ---------------------------------------------------------------

window.addEventListener('message', (ev: MessageEvent<ToWebview>) => {
  const m = ev.data;
  if (!m || typeof m !== 'object') return;
  switch (m.type) {
    case 'init': applyStrings(m.strings); applyState(m.state); break;
    case 'state': applyState(m.state); break;
    case 'delta': {
      const r = rendered.get(m.id);
      if (!r || m.offset !== r.text.length) { post({ type: 'resync' }); break; }
      const now = performance.now();
      if (m.thinking && !r.text && !m.text && !r.thinkLive && r.live) r.thinkLive = { elapsed: 0, at: now };
      if (m.text && r.thinkLive) { r.thinkFrozenMs = since(r.thinkLive, now); r.thinkLive = undefined; }
      r.text += m.text;
      r.stream.append(m.text);
      if (m.thinking) appendThinking(r, m.thinking);
      updateLive(r, now);
      break;
    }
    case 'composer': setBusy(m.busy); renderAttachments(m.attachments); renderNotice(m.notice); break;
    case 'models': renderModels(m.models, m.current, m.think); break;
    case 'setInput': if (!editing) input.value = m.text; if (m.focus) input.focus(); break;
    case 'mentionDone': mentionDone(m.insert); break;
    default: break;
  }
});

if (__OA_TEST__) {
  // Test builds: the test protocol (report the DOM, act as a user); see testHooks.ts.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a require the production build drops with this branch
  (require('./testHooks') as typeof import('./testHooks')).installTestHooks({
    postRaw: (m) => api.postMessage(m), rendered, isBusy: () => busy,
    el: { messagesEl, noticeEl, attachmentsEl, modelSelect, thinkSelect, input, sendBtn },
  });
}

setBusy(false);
post({ type: 'ready' });
