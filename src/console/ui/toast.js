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

export function Toasts() {
  const { items } = useStore(toasts);
  return html`<div class="toasts" role="status" aria-live="polite" data-testid="toasts">
    ${items.map(
      (t) => html`<div key=${t.id} class=${`toast toast-${t.kind}`} data-testid=${t.kind === 'error' ? 'toast-error' : 'toast'}>
        <div class="toast-text">${t.text}</div>
        ${t.detail ? html`<div class="toast-detail">${t.detail}</div>` : null}
        <button class="toast-close" type="button" aria-label="关闭" onClick=${() => dismiss(t.id)}>×</button>
      </div>`,
    )}
  </div>`;
}
