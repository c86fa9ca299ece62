/**
 * Shared data: the queue lists, the canned replies and the agents. Live events only say "something
 * changed", so the lists are re-fetched, throttled: the first refresh runs at once (a new chat must
 * show up immediately), later ones within the window are merged into one trailing refresh.
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

export const queue = createStore({ waiting: [], active: [], awaitingFix: [], loaded: false, failed: false });
export const canned = createStore({ items: [], byFaq: new Map(), loaded: false });
export const agentsList = createStore({ items: [], loaded: false });

let lastRun = 0;
let timer = null;
let known = null;

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
  try {
    const [waiting, active, fix] = await Promise.all([
      get('/api/conversations?status=waiting&limit=100'),
      get('/api/conversations?status=active&limit=200'),
      hasRole(agent, 'manager') ? get('/api/conversations?status=awaiting_fix&limit=100') : { items: [] },
    ]);
    if (session.agent !== agent) return;
    noticeNew(waiting.items);
    queue.set({ waiting: waiting.items, active: active.items, awaitingFix: fix.items, loaded: true, failed: false });
    setTitleCount(waiting.items.length);
  } catch {
    queue.set({ failed: true, loaded: true });
  }
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
  stopFns = [live.on('event', refreshQueue), live.on('resync', refreshQueue), () => clearInterval(safety)];
}

export function stopData() {
  stopFns.forEach((fn) => fn());
  stopFns = [];
  clearTimeout(timer);
  timer = null;
  known = null;
  queue.set({ waiting: [], active: [], awaitingFix: [], loaded: false, failed: false });
  canned.set({ items: [], byFaq: new Map(), loaded: false });
  agentsList.set({ items: [], loaded: false });
  agentsAt = 0;
  setTitleCount(0);
}
