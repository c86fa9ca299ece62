/**
 * Shared data: the queue lists, the canned replies and the agents. A live event carries what it
 * changed (the conversation as it now stands), which is applied to the lists here: no request per
 * event, however many tabs are open. The lists are read whole only on start, after a reconnect
 * (`resync`), for an event that came without its change (a catch-up), when a full list lost a
 * row (the next one beyond the page is unknown), and by the slow safety poll. Those reads are
 * throttled: the first runs at once, later ones within the window merge into one trailing read.
 */
import { get, getOptional, session } from './api.js';
import { REFRESH_MS } from './constants.js';
import { hasRole } from './format.js';
import { live } from './live.js';
import { singleFlight } from './loader.js';
import { beep, setTitleCount, soundEnabled } from './notify.js';
import { createStore } from './store.js';

const THROTTLE_MS = 150;
/** The agents list is read again at most this often (a transfer's choices need not be to the second). */
const AGENTS_MAX_AGE_MS = 30_000;
/** How many rows each list reads, as the server pages them (the same limits as loadQueue). */
const LIMITS = { waiting: 100, active: 200, awaitingFix: 100 };

export const queue = createStore({ waiting: [], active: [], awaitingFix: [], totals: { waiting: 0 }, next: { waiting: null }, loaded: false, failed: false });
/** Rows each list holds now: LIMITS, or more once 加载更多 read further pages of the queue. */
const caps = { ...LIMITS };
export const canned = createStore({ items: [], byFaq: new Map(), loaded: false });
export const agentsList = createStore({ items: [], loaded: false });

let lastRun = 0;
let timer = null;
let known = null;
/** Changes that came while the lists were being read: applied again over the answer (it may predate them). */
let during = null;
/** Chats seen leaving the waiting list since the lists were last read (see waitingDelta). */
let leftWaiting = new Set();
/** Per bot account, the last live event the lists last read already reflect (GET /api/queue `asOf`). */
let readAsOf = {};

/** One read at a time; what is asked meanwhile runs after it, through the throttle again. */
const loads = singleFlight(loadQueue, { rerun: () => refreshQueue() });

export function refreshQueue() {
  if (timer) return;
  const wait = lastRun + THROTTLE_MS - Date.now();
  if (wait <= 0 && !loads.busy()) run();
  else timer = setTimeout(() => {
    timer = null;
    run();
  }, Math.max(wait, 0));
}

function run() {
  if (!loads.busy()) lastRun = Date.now();
  loads.run();
}

async function loadQueue() {
  const agent = session.agent;
  if (!agent || !hasRole(agent, 'agent')) return;
  during = [];
  try {
    // The three lists in one request (GET /api/queue). Parked chats: a manager's are everyone's
    // (等待问题修复); an agent's are their own, which stay under 我的会话 while they wait for a fix
    // rather than vanish from the agent's sight.
    const cap = caps.waiting;
    const { waiting, active, parked: fix, asOf } = await get(`/api/queue?waiting=${cap}&active=${LIMITS.active}&parked=${LIMITS.awaitingFix}`);
    if (session.agent !== agent) return;
    // 加载更多 answered while this read was under way: its rows would take back the page shown.
    if (caps.waiting > cap) {
      refreshQueue();
      return;
    }
    // The true count (v2 `total`), not the rows read: 113 waiting is not "100 排队".
    let lists = { waiting: waiting.items, active: active.items, awaitingFix: fix.items, totals: { waiting: waiting.total ?? waiting.items.length } };
    const read = new Map([...lists.waiting, ...lists.active, ...lists.awaitingFix].map((c) => [c.id, c]));
    leftWaiting = new Set();
    readAsOf = asOf && typeof asOf === 'object' ? asOf : {};
    for (const [id, conv, ev] of during) {
      if (inRead(ev)) continue;
      // An event that came while the lists were read may be older than the answer (under load the
      // read ends later): never put a chat's older state over the one read (a waiting customer
      // taken back to "bot" by their earlier message's event vanished from the queue).
      const row = read.get(id);
      if (row && conv && conv.updatedAt <= row.updatedAt) continue;
      lists = placed(lists, id, conv, agent, ev).lists;
    }
    publish({ ...lists, next: { waiting: waiting.next ?? null }, loaded: true, failed: false });
  } catch {
    queue.set({ failed: true, loaded: true });
  } finally {
    during = null;
  }
}

function publish(state) {
  noticeNew(state.waiting);
  queue.set(state);
  setTitleCount(unreadChats(state, session.agent));
}

/** 加载更多: the queue's next page after the rows shown (the cursor holds while the queue changes). */
export async function loadMoreWaiting() {
  const state = queue.get();
  if (!state.next?.waiting) return;
  const page = await get(`/api/conversations?status=waiting&limit=${LIMITS.waiting}&cursor=${encodeURIComponent(state.next.waiting)}`);
  const now = queue.get();
  if (now.next?.waiting !== state.next.waiting) return;
  const seen = new Set(now.waiting.map((c) => c.id));
  const waiting = [...now.waiting, ...page.items.filter((c) => !seen.has(c.id))];
  caps.waiting = Math.min(500, Math.max(LIMITS.waiting, waiting.length));
  publish({ ...now, waiting, totals: { ...now.totals, waiting: page.total ?? now.totals.waiting }, next: { ...now.next, waiting: page.next ?? null } });
}

/** "<ms>-<seq>" stream ids in order (each part may pass 2^53: compared as digit strings). */
function compareIds(a, b) {
  const [am = '', as = '0'] = String(a).split('-');
  const [bm = '', bs = '0'] = String(b).split('-');
  const part = (x, y) => x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
  return part(am, bm) || part(as, bs);
}

/**
 * Whether the lists last read already hold this event's change: it was written before the read.
 * Applied again, it would count a chat leaving the queue twice ("0 排队" with a customer waiting)
 * or put an older state over the one read.
 */
function inRead(ev) {
  const upTo = ev?.botId ? readAsOf[ev.botId] : undefined;
  return typeof upTo === 'string' && typeof ev.id === 'string' && compareIds(ev.id, upTo) <= 0;
}

/**
 * How a change moves the waiting count beyond the rows loaded: was it waiting before (loaded, or
 * the event says it came from there), is it waiting now.
 */
function waitingDelta(lists, id, conv, ev) {
  const listed = lists.waiting.some((c) => c.id === id);
  // The event's hints speak for a chat beyond the rows read; not for one this tab already saw leave
  // (a claim's own answer, then its event: counted once, or "0 排队" hid a waiting customer), nor
  // when the rows are the whole queue: a read's `asOf` is stamped before its lists, so a claim in
  // between is both gone from them and newer than the stamp.
  const beyondRows = (lists.totals?.waiting ?? 0) > lists.waiting.length;
  const hinted = !listed && beyondRows && !leftWaiting.has(id) &&
    (ev?.data?.from === 'waiting' || ev?.data?.status === 'waiting' || (conv?.status === 'waiting' && ev && ev.type !== 'waiting' && ev.type !== 'released'));
  const was = listed || hinted;
  const is = conv?.status === 'waiting';
  if (was && !is) leftWaiting.add(id);
  else if (is) leftWaiting.delete(id);
  return (is ? 1 : 0) - (was ? 1 : 0);
}

/** My chats (active or parked) with customer messages I have not read: the tab title's count. */
export function unreadChats(state, agent) {
  if (!agent) return 0;
  return [...state.active, ...state.awaitingFix].filter((c) => c.assignee?.id === agent.id && c.unread > 0).length;
}

const byDue = (a, b) => Date.parse(a.slaDueAt ?? '') - Date.parse(b.slaDueAt ?? '') || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byUpdated = (a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0);

/** The list a conversation belongs in for this agent, as the server's lists would have it (or none). */
function listOf(conv, agent) {
  if (!conv) return null;
  if (conv.status === 'waiting') return 'waiting';
  if (conv.status === 'active' && (hasRole(agent, 'manager') || conv.assignee?.id === agent.id)) return 'active';
  if (conv.status === 'awaiting_fix' && (hasRole(agent, 'manager') || conv.assignee?.id === agent.id)) return 'awaitingFix';
  return null;
}

/**
 * The lists with conversation `id` as it now is (`conv`; null: gone) in the right place. `gap`:
 * a full list lost a row, so the row after the page must be read.
 */
function placed(lists, id, conv, agent, ev) {
  const next = { ...lists };
  let gap = false;
  if (lists.totals) next.totals = { ...lists.totals, waiting: Math.max(0, lists.totals.waiting + waitingDelta(lists, id, conv, ev)) };
  for (const name of Object.keys(LIMITS)) {
    const at = next[name].findIndex((c) => c.id === id);
    if (at === -1) continue;
    if (next[name].length >= caps[name] && listOf(conv, agent) !== name) gap = true;
    next[name] = next[name].filter((c) => c.id !== id);
  }
  const target = listOf(conv, agent);
  if (target) {
    const order = target === 'waiting' ? byDue : byUpdated;
    const list = [...next[target], conv].sort(order);
    // Past the last row loaded while the server has more: it belongs to a page not read yet.
    const last = next[target][next[target].length - 1];
    const beyond = target === 'waiting' && lists.next?.waiting && last && order(conv, last) > 0;
    next[target] = (beyond ? next[target] : list).slice(0, caps[target]);
  }
  return { lists: next, gap };
}

/** A live event: its change applied to the lists, or a read when it came without it. */
function onEvent(ev) {
  if (!ev?.conv) return;
  if (!('conversation' in ev)) {
    if (session.agent && hasRole(session.agent, 'agent')) refreshQueue();
    return;
  }
  applyConversation(ev.conv, ev.conversation, ev);
}

/**
 * A conversation as it now stands (a live event's, or an action's answer) put in its place in the
 * lists; null: it is gone.
 */
export function applyConversation(id, conv, ev) {
  const agent = session.agent;
  if (!agent || !hasRole(agent, 'agent')) return;
  if (during) during.push([id, conv, ev]);
  const state = queue.get();
  if (!state.loaded || inRead(ev)) return;
  const { lists, gap } = placed(state, id, conv, agent, ev);
  const same = lists.totals?.waiting === state.totals?.waiting && Object.keys(LIMITS).every((name) => lists[name].length === state[name].length && lists[name].every((c, i) => c === state[name][i]));
  if (!same) publish({ ...lists });
  if (gap) refreshQueue();
}

function noticeNew(items) {
  const ids = new Set(items.map((c) => c.id));
  const fresh = known ? items.some((c) => !known.has(c.id)) : false;
  known = ids;
  if (fresh && soundEnabled()) beep();
}

export async function loadCanned() {
  const data = await getOptional('/api/canned', { items: [] }).catch(() => ({ items: [] }));
  const items = Array.isArray(data?.items) ? data.items : [];
  const byFaq = new Map();
  for (const item of items) if (item.source === 'faq') byFaq.set(item.faqId ?? item.key, item);
  canned.set({ items, byFaq, loaded: true });
}

let agentsAt = 0;
export async function loadAgents(force = false) {
  if (!force && Date.now() - agentsAt < AGENTS_MAX_AGE_MS) return;
  agentsAt = Date.now();
  const data = await getOptional('/api/agents', { items: [] }).catch(() => ({ items: [] }));
  agentsList.set({ items: Array.isArray(data?.items) ? data.items : [], loaded: true });
}

let stopFns = [];
export function startData() {
  stopData();
  known = null;
  refreshQueue();
  if (session.agent && hasRole(session.agent, 'agent')) loadCanned();
  const safety = setInterval(refreshQueue, REFRESH_MS);
  stopFns = [live.on('event', onEvent), live.on('resync', refreshQueue), () => clearInterval(safety)];
}

export function stopData() {
  stopFns.forEach((fn) => fn());
  stopFns = [];
  clearTimeout(timer);
  timer = null;
  known = null;
  during = null;
  leftWaiting = new Set();
  readAsOf = {};
  queue.set({ waiting: [], active: [], awaitingFix: [], totals: { waiting: 0 }, next: { waiting: null }, loaded: false, failed: false });
  caps.waiting = LIMITS.waiting;
  canned.set({ items: [], byFaq: new Map(), loaded: false });
  agentsList.set({ items: [], loaded: false });
  agentsAt = 0;
  setTitleCount(0);
}
