// Test builds only: the webview's half of the test protocol (src/shared/chatTestProtocol.ts). The
// extension's test API asks it to report the DOM as a user would see it (and what an XSS check must
// find absent) or to act as a user would (type, click, paste, pick); it answers with a testResult.
// main.ts requires this module inside `if (__OA_TEST__)`, which the production build drops.
import { IMAGE_DATA_URL } from '../core/common/images';
import type { MessageView } from '../shared/chatProtocol';
import type { DomReport, TestMessage, TestOp } from '../shared/chatTestProtocol';
import { codeLanguage } from './markdown';

/** What main.ts hands the hooks: its elements and rendered messages, read-only. */
export interface TestHookContext {
  postRaw(m: unknown): void;
  rendered: ReadonlyMap<string, { el: HTMLElement; body: HTMLElement; view: MessageView }>;
  isBusy(): boolean;
  el: {
    messagesEl: HTMLElement; noticeEl: HTMLElement; attachmentsEl: HTMLElement; modelSelect: HTMLSelectElement;
    thinkSelect: HTMLSelectElement; input: HTMLTextAreaElement; sendBtn: HTMLButtonElement;
  };
  /** Set by installTestHooks: the scripts in the document when the view started (our bundle and
   * the webview host's own API script); any other is a script a payload injected. */
  bootScripts: ReadonlySet<HTMLScriptElement>;
}

/** Answers the extension's test messages. */
export function installTestHooks(ctx: Omit<TestHookContext, 'bootScripts'>): void {
  const c: TestHookContext = { ...ctx, bootScripts: new Set(Array.from(document.querySelectorAll('script'))) };
  window.addEventListener('message', (ev: MessageEvent<TestMessage | { type?: unknown }>) => {
    const m = ev.data;
    if (!m || typeof m !== 'object' || m.type !== 'test') return;
    const t = m as TestMessage;
    runTest(c, t.op).then(
      (result) => c.postRaw({ type: 'testResult', id: t.id, result }),
      (e: unknown) => c.postRaw({ type: 'testResult', id: t.id, result: { error: String(e) } }),
    );
  });
}

async function runTest(c: TestHookContext, op: TestOp): Promise<unknown> {
  const { messagesEl, modelSelect, thinkSelect, input, sendBtn } = c.el;
  switch (op.op) {
    case 'report': return report(c);
    case 'click': {
      const els = document.querySelectorAll<HTMLElement>(op.selector);
      const el = els[op.index ?? 0];
      if (!el) return false;
      el.click();
      return true;
    }
    case 'clickLink': {
      const a = messagesEl.querySelectorAll('a')[op.index];
      if (!a) return false;
      a.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
      return true;
    }
    case 'send': input.value = op.text; sendBtn.click(); return true;
    case 'editLast': {
      const b = Array.from(messagesEl.querySelectorAll<HTMLElement>('[data-msg-action="edit"]')).pop();
      if (!b) return false;
      b.click();
      input.value = op.text;
      sendBtn.click();
      return true;
    }
    case 'paste': {
      const bytes = Uint8Array.from(atob(op.base64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], op.name, { type: op.mime }));
      input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      return true;
    }
    case 'post': c.postRaw(op.message); return true;
    case 'selectModel':
      modelSelect.value = op.model;
      modelSelect.dispatchEvent(new Event('change'));
      return modelSelect.value === op.model;
    case 'selectThink':
      if (thinkSelect.hidden) return false;
      thinkSelect.value = op.value;
      thinkSelect.dispatchEvent(new Event('change'));
      return thinkSelect.value === op.value;
    default: return false;
  }
}

function report(c: TestHookContext): DomReport {
  const { messagesEl, noticeEl, attachmentsEl, modelSelect, thinkSelect, input } = c.el;
  const all = Array.from(document.querySelectorAll('*'));
  const onAttributes: string[] = [];
  const badUrls: string[] = [];
  for (const el of all) {
    for (const a of Array.from(el.attributes)) {
      if (/^on/i.test(a.name)) onAttributes.push(`${el.tagName.toLowerCase()}.${a.name}`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'srcdoc', 'data', 'poster'].includes(a.name.toLowerCase())) {
        const v = a.value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
        const ownImage = el.classList.contains('thumb') && IMAGE_DATA_URL.test(v);
        if (/^(javascript|vbscript):/.test(v) || (v.startsWith('data:') && !ownImage) || a.name.toLowerCase() === 'srcdoc') {
          badUrls.push(`${el.tagName.toLowerCase()}.${a.name}=${a.value.slice(0, 80)}`);
        }
      }
    }
  }
  const count = (sel: string, root: ParentNode = document) => root.querySelectorAll(sel).length;
  return {
    scripts: Array.from(document.querySelectorAll('script')).filter((s) => !c.bootScripts.has(s)).length,
    iframes: count('iframe, frame'),
    objects: count('object'),
    embeds: count('embed'),
    forms: count('form, input:not(.input), textarea:not(.input)'),
    styleElements: count('style', messagesEl),
    styleAttributes: count('[style]', messagesEl),
    onAttributes,
    badUrls,
    links: Array.from(messagesEl.querySelectorAll('a')).map((a) => a.getAttribute('href') ?? ''),
    canary: '__oaXss' in window,
    messages: Array.from(c.rendered.values()).map((r) => {
      const details = r.el.querySelector<HTMLDetailsElement>(':scope > details.msg-thinking');
      const stats = r.el.querySelector<HTMLElement>('.msg-stats');
      const lineHeight = stats ? parseFloat(getComputedStyle(stats).lineHeight) || 16 : 16;
      return {
        id: r.view.id,
        role: r.view.role,
        state: r.el.dataset.state ?? '',
        text: r.body.textContent ?? '',
        attached: Array.from(r.el.querySelectorAll(':scope > .msg-attached .chip-sent')).map((chip) => chip.textContent ?? ''),
        ...(details ? {
          thinking: details.querySelector('.thinking-text')!.textContent ?? '',
          thinkingSummary: details.querySelector('summary')!.textContent ?? '',
          thinkingOpen: details.open,
          thinkingApart: details.nextElementSibling === r.body && !r.body.contains(details),
        } : {}),
        ...(r.view.error ? { error: r.view.error.message } : {}),
        ...(r.view.stats ? { stats: r.view.stats } : {}),
        ...(stats && r.view.stats ? { statsLines: Math.round(stats.getBoundingClientRect().height / lineHeight) } : {}),
        ...(r.view.stateLabel ? { stateLabel: r.view.stateLabel } : {}),
        ...(r.view.note ? { note: r.el.querySelector('.msg-note')?.textContent ?? '' } : {}),
        buttons: Array.from(r.el.querySelectorAll<HTMLElement>('[data-msg-action]')).map((b) => b.dataset.msgAction ?? ''),
      };
    }),
    codeBlocks: Array.from(messagesEl.querySelectorAll('.code-block')).map((b) => {
      const code = b.querySelector('pre code')!;
      return {
        language: codeLanguage(code),
        text: code.textContent ?? '',
        highlighted: code.querySelector('[class^="hljs-"]') !== null,
        buttons: Array.from(b.querySelectorAll<HTMLElement>('[data-code-action]')).map((x) => x.dataset.codeAction ?? ''),
      };
    }),
    actions: Array.from(document.querySelectorAll<HTMLElement>('[data-action]')).map((b) => ({ action: b.dataset.action ?? '', ...(b.dataset.arg !== undefined ? { arg: b.dataset.arg } : {}), label: b.textContent ?? '' })),
    ...(noticeEl.hidden ? {} : { notice: noticeEl.textContent ?? '' }),
    attachments: Array.from(attachmentsEl.querySelectorAll('.chip-label')).map((c) => c.textContent ?? ''),
    attachmentTokens: Array.from(attachmentsEl.querySelectorAll('.chip')).map((c) => c.querySelector('.chip-tokens')?.textContent ?? ''),
    models: Array.from(modelSelect.options).map((o) => o.value),
    modelNotes: Array.from(modelSelect.options).map((o) => o.dataset.note ?? ''),
    selectedModel: modelSelect.value,
    thinkOptions: thinkSelect.hidden ? [] : Array.from(thinkSelect.options).map((o) => o.value),
    think: thinkSelect.hidden ? '' : thinkSelect.value,
    width: window.innerWidth,
    codeScroll: Array.from(messagesEl.querySelectorAll<HTMLElement>('.code-block pre')).map((pre) => ({
      scrollable: pre.scrollWidth > pre.clientWidth + 1,
      // The cue: the scroll shadows are drawn by the pre's own background layers.
      cue: getComputedStyle(pre).backgroundImage.includes('gradient'),
    })),
    busy: c.isBusy(),
    images: count('img', messagesEl),
    input: input.value,
  };
}
