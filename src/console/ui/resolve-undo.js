/**
 * 解决 and 关闭（不回复） with a few seconds to take it back: the close waits here, shown in a bar
 * with 撤销, and is sent when the time is up. A tab closed, reloaded or hidden meanwhile sends it at
 * once (`fetch` with keepalive outlives the page), so a close the agent asked for is never lost;
 * only 撤销 drops it. One close per conversation: asking again replaces the waiting one.
 */
import { html } from '/vendor/preact-htm.js';
import { post, session } from './api.js';
import { RESOLVE_UNDO_MS } from './constants.js';
import { Icon } from './components/icons.js';
import { createStore, useStore } from './store.js';
import { toastError } from './toast.js';

const pending = createStore({ items: [] });
/** conv id -> { timer, body, onDone } */
const waiting = new Map();

const pathOf = (id) => `/api/conversations/${encodeURIComponent(id)}/resolve`;

/**
 * Closes `id` after the undo window. `rate: false`: without asking the customer for a rating (spam).
 * `onDone(conv)` gets the server's answer; `onCancel()` is told of an undo or a refusal, which
 * `overrides` word (toastError).
 */
export function scheduleResolve(id, { rate = true, name = '', onDone, onCancel, overrides } = {}) {
  cancelResolve(id);
  const body = rate ? undefined : { rate: false };
  const timer = setTimeout(() => void commit(id), RESOLVE_UNDO_MS);
  waiting.set(id, { timer, body, onDone, onCancel, overrides });
  pending.set((s) => ({ items: [...s.items.filter((x) => x.id !== id), { id, rate, name, until: Date.now() + RESOLVE_UNDO_MS }] }));
}

/** 撤销: nothing is sent. */
export function cancelResolve(id) {
  const w = waiting.get(id);
  if (!w) return false;
  clearTimeout(w.timer);
  waiting.delete(id);
  pending.set((s) => ({ items: s.items.filter((x) => x.id !== id) }));
  w.onCancel?.();
  return true;
}

/** Whether a close of `id` is waiting out its undo window (a component re-renders when that changes). */
export const useResolving = (id) => useStore(pending).items.some((x) => x.id === id);

async function commit(id) {
  const w = waiting.get(id);
  if (!w) return;
  waiting.delete(id);
  pending.set((s) => ({ items: s.items.filter((x) => x.id !== id) }));
  try {
    const res = await post(pathOf(id), w.body);
    w.onDone?.(res);
  } catch (err) {
    toastError(err, '操作失败', w.overrides);
    w.onCancel?.();
  }
}

/** The page goes away: every waiting close is sent now, by a request that survives the page. */
function flush() {
  if (!waiting.size || !session.token) return;
  for (const [id, w] of waiting) {
    clearTimeout(w.timer);
    const headers = { authorization: `Bearer ${session.token}` };
    if (w.body) headers['content-type'] = 'application/json';
    fetch(pathOf(id), { method: 'POST', headers, body: w.body ? JSON.stringify(w.body) : undefined, keepalive: true }).catch(() => undefined);
  }
  waiting.clear();
  pending.set({ items: [] });
}
window.addEventListener('pagehide', flush);
// Mobile browsers may kill a hidden tab without `pagehide`: hidden counts as leaving.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') flush();
});

/** The bars with 撤销, bottom centre, one per waiting close. */
export function ResolveUndoBars() {
  const { items } = useStore(pending);
  if (!items.length) return null;
  return html`<div class="undo-bars" role="status" aria-live="polite">
    ${items.map(
      (x) => html`<div key=${x.id} class="undo-bar" data-testid="resolve-undo" data-conv-id=${x.id}>
        <${Icon} name="check" size=${15} />
        <span class="undo-text">${x.rate ? '会话即将解决' : '会话即将关闭（不回复、不邀请评价）'}${x.name ? html` · <bdi>${x.name}</bdi>` : null}</span>
        <button type="button" class="btn btn-sm undo-btn" data-testid="resolve-undo-btn" onClick=${() => cancelResolve(x.id)}>撤销</button>
      </div>`,
    )}
  </div>`;
}
