/**
 * The queue column's other views (我的 / 未分配 / 全部 with a status and filters): one page of
 * GET /api/conversations at a time, 加载更多 by its `next` cursor, the count from `total`. Live
 * events that carry the conversation are applied here, as data.js does for the queue: a row that
 * stops matching leaves (total - 1), one that starts matching comes in (total + 1); only an event
 * without its change (a catch-up) or a reconnect reads the first page again.
 */
import { get, session } from './api.js';
import { hasRole } from './format.js';
import { live } from './live.js';
import { createStore } from './store.js';

const PAGE = 50;
export const browse = createStore({ params: null, items: [], total: 0, next: null, loading: false, failed: false });

let seq = 0;

function query(p) {
  const q = new URLSearchParams({ status: p.status, view: p.view, limit: String(PAGE) });
  for (const k of ['tag', 'agent', 'tier', 'channel']) if (p[k]) q.set(k, p[k]);
  return q;
}

/** Shows the list of `params` ({view, status, tag, agent, tier, channel}); null: the queue view. */
export async function openList(params) {
  const mine = ++seq;
  if (!params) {
    browse.set({ params: null, items: [], total: 0, next: null, loading: false, failed: false });
    return;
  }
  browse.set({ params, items: [], total: 0, next: null, loading: true, failed: false });
  try {
    const page = await get(`/api/conversations?${query(params)}`);
    if (mine !== seq) return;
    browse.set({ params, items: page.items, total: page.total, next: page.next, loading: false, failed: false });
  } catch {
    if (mine === seq) browse.set({ loading: false, failed: true });
  }
}

export async function loadMore() {
  const s = browse.get();
  if (!s.params || !s.next || s.loading) return;
  const mine = seq;
  browse.set({ loading: true });
  try {
    const q = query(s.params);
    q.set('cursor', s.next);
    const page = await get(`/api/conversations?${q}`);
    if (mine !== seq) return;
    const have = new Set(browse.get().items.map((c) => c.id));
    browse.set({ items: [...browse.get().items, ...page.items.filter((c) => !have.has(c.id))], total: page.total, next: page.next, loading: false });
  } catch {
    if (mine === seq) browse.set({ loading: false, failed: true });
  }
}

const STORED = { waiting: ['waiting'], active: ['active'], parked: ['awaiting_fix'], resolved: ['resolved'], all: ['waiting', 'active', 'awaiting_fix', 'resolved'] };

/** The server's filters (src/handoff/lists.ts) on one conversation, for the agent `me`. */
export function matches(conv, p, me) {
  if (!conv || !STORED[p.status]?.includes(conv.status)) return false;
  const owner = conv.assignee?.id ?? '';
  if (p.view === 'mine' && owner !== me.id) return false;
  if (p.view === 'unassigned' && owner !== '') return false;
  if (!hasRole(me, 'manager') && owner !== '' && owner !== me.id) return false;
  if (p.agent && owner !== p.agent) return false;
  if (p.tier && conv.customer?.tier !== p.tier) return false;
  if (p.tag && !(conv.tags ?? []).includes(p.tag)) return false;
  // The channel is the bot account's: a live row keeps the list's answer (read again on resync).
  return true;
}

const byDue = (a, b) => Date.parse(a.slaDueAt ?? '') - Date.parse(b.slaDueAt ?? '') || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byNewest = (a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : a.id < b.id ? 1 : -1);

/** A conversation as it now stands (null: gone) applied to the open list. */
export function applyToList(id, conv) {
  const s = browse.get();
  const me = session.agent;
  if (!s.params || !me) return;
  const at = s.items.findIndex((c) => c.id === id);
  const fits = conv && (!s.params.channel || at !== -1) && matches(conv, s.params, me);
  if (at !== -1 && !fits) {
    browse.set({ items: s.items.filter((c) => c.id !== id), total: Math.max(0, s.total - 1) });
  } else if (at !== -1) {
    browse.set({ items: s.items.map((c) => (c.id === id ? conv : c)) });
  } else if (fits) {
    const order = s.params.status === 'waiting' ? byDue : byNewest;
    const last = s.items[s.items.length - 1];
    // A row past the last one loaded, while more pages remain, comes with its page.
    const shown = !s.next || !last || order(conv, last) < 0;
    browse.set({ items: shown ? [...s.items, conv].sort(order) : s.items, total: s.total + 1 });
  }
}

function onEvent(ev) {
  if (!ev?.conv || !browse.get().params) return;
  if (!('conversation' in ev)) {
    reload();
    return;
  }
  applyToList(ev.conv, ev.conversation);
}

let timer = null;
function reload() {
  clearTimeout(timer);
  timer = setTimeout(() => {
    const p = browse.get().params;
    if (p) openList(p);
  }, 300);
}

live.on('event', onEvent);
live.on('resync', () => {
  if (browse.get().params) reload();
});
