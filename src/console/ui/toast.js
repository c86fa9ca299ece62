import { html } from '/vendor/preact-htm.js';
import { describeError } from './api.js';
import { createStore, useStore } from './store.js';

const toasts = createStore({ items: [] });
let seq = 0;

export function toast(text, { kind = 'info', detail = '', ms = 4000 } = {}) {
  const id = ++seq;
  toasts.set((s) => ({ items: [...s.items.slice(-3), { id, text, detail, kind }] }));
  setTimeout(() => dismiss(id), kind === 'error' ? Math.max(ms, 6000) : ms);
}

function dismiss(id) {
  toasts.set((s) => ({ items: s.items.filter((t) => t.id !== id) }));
}

/** `action` says what failed ("发送失败"); `overrides` maps an HTTP status to a better sentence. */
export function toastError(err, action, overrides = {}) {
  const { text, detail } = describeError(err);
  const specific = overrides[err?.status];
  toast(`${action}：${specific ?? text}`, { kind: 'error', detail: specific ? '' : detail });
}

/** A phone puts toasts over the top bar (toasts.css); wider screens under an open chat's header. */
const WIDE = '(min-width: 721px)';

/** Where toasts start: under the chat header when a chat is open (its buttons stay clickable). */
function topOffset() {
  const head = typeof matchMedia === 'function' && matchMedia(WIDE).matches ? document.querySelector('.conv-head') : null;
  return head ? { top: `${Math.round(head.getBoundingClientRect().bottom) + 8}px` } : undefined;
}

export function Toasts() {
  const { items } = useStore(toasts);
  return html`<div class="toasts" role="status" aria-live="polite" data-testid="toasts" style=${items.length ? topOffset() : undefined}>
    ${items.map(
      (t) => html`<div key=${t.id} class=${`toast toast-${t.kind}`} data-testid=${t.kind === 'error' ? 'toast-error' : 'toast'}>
        <div class="toast-text">${t.text}</div>
        ${t.detail ? html`<div class="toast-detail">${t.detail}</div>` : null}
        <button class="toast-close" type="button" aria-label="关闭" onClick=${() => dismiss(t.id)}>×</button>
      </div>`,
    )}
  </div>`;
}
