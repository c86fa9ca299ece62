/**
 * The bot accounts' WeChat logins (GET /api/bots, managers and admins): one store for the 微信账号
 * page (#/bots) and for the red "account logged out" banner shown anywhere in the shell.
 *
 * A `bot_status` live event patches its account at once and re-fetches the list (a scanning bot's
 * QR code only comes with the list); a 15 s poll and every reconnect cover missed events. An
 * account that went down (logged_out / error) keeps its alert until it is logged in again, also
 * while it waits for a scan; closing the banner hides it until the account goes down again.
 */
import { getOptional } from './api.js';
import { BOT_STATUSES, BOTS_REFRESH_MS } from './constants.js';
import { live } from './live.js';
import { singleFlight } from './loader.js';
import { beep, soundEnabled } from './notify.js';
import { createStore } from './store.js';

export const botStatusLabel = (s) => BOT_STATUSES[s] ?? BOT_STATUSES.unknown;
export const isDown = (s) => s === 'logged_out' || s === 'error';

/** items: [{id, status, at, qr}] sorted by id, as the server lists them. */
export const bots = createStore({ items: [], loaded: false, failed: false, at: null });
/** The banners to show: [{botId, status, at}] for accounts that are down and not dismissed. */
export const botAlerts = createStore({ items: [] });

/** botId -> {status, at, dismissed}: accounts that went down and have not logged in since. */
const down = new Map();
/** botId -> ms of the newest status this tab knows (an older list answer must not undo an event). */
const seen = new Map();

let running = false;
/** Bumped by every start and stop: an answer for an earlier session is dropped. */
let generation = 0;

const ms = (iso) => {
  const t = Date.parse(iso ?? '');
  return Number.isNaN(t) ? 0 : t;
};

function publishAlerts() {
  const items = [...down]
    .filter(([, a]) => !a.dismissed)
    .map(([botId, a]) => ({ botId, status: a.status, at: a.at }))
    .sort((a, b) => (a.botId < b.botId ? -1 : a.botId > b.botId ? 1 : 0));
  botAlerts.set({ items });
}

/**
 * One account's status, from an event (`fresh`: something just happened) or from the list. Returns
 * true when a banner newly shows.
 */
function applyStatus(botId, status, at, fresh) {
  if (status === 'logged_in') {
    const had = down.delete(botId);
    if (had) publishAlerts();
    return false;
  }
  if (!isDown(status)) return false;
  const prev = down.get(botId);
  // The list repeating a known outage changes nothing; a new logout event shows a closed banner again.
  if (prev && !(fresh && ms(at) > ms(prev.at))) {
    if (prev.status !== status) {
      prev.status = status;
      publishAlerts();
    }
    return false;
  }
  down.set(botId, { status, at, dismissed: false });
  publishAlerts();
  return !prev || prev.dismissed;
}

function alarm() {
  if (soundEnabled()) beep();
}

async function load() {
  const gen = generation;
  let data;
  try {
    data = await getOptional('/api/bots', { items: [] });
  } catch {
    if (gen === generation) bots.set({ failed: true, loaded: true });
    return;
  }
  if (gen !== generation) return;
  const listed = Array.isArray(data?.items) ? data.items : [];
  const byId = new Map(bots.get().items.map((b) => [b.id, b]));
  let rang = false;
  const items = listed.map((b) => {
    const known = seen.get(b.id) ?? 0;
    // An event newer than this answer wins (the list was read before it happened).
    if (ms(b.at) < known && byId.has(b.id)) return byId.get(b.id);
    seen.set(b.id, ms(b.at));
    if (applyStatus(b.id, b.status, b.at, false)) rang = true;
    return { id: b.id, status: b.status ?? 'unknown', at: b.at ?? null, qr: b.qr ?? null };
  });
  bots.set({ items, loaded: true, failed: false, at: new Date() });
  if (rang) alarm();
}

const loads = singleFlight(load);

/** Re-reads the list: one request at a time, plus one trailing for what came meanwhile. */
export function refreshBots() {
  if (running) loads.run();
}

function onEvent(ev) {
  if (ev?.type !== 'bot_status' || !ev.botId) return;
  const status = ev.data?.status ?? 'unknown';
  const at = ev.at || new Date().toISOString();
  if (ms(at) < (seen.get(ev.botId) ?? 0)) return;
  seen.set(ev.botId, ms(at));
  const items = bots.get().items;
  const patched = { id: ev.botId, status, at, qr: null };
  const next = items.some((b) => b.id === ev.botId)
    ? items.map((b) => (b.id === ev.botId ? { ...b, ...patched, qr: status === 'scan' ? b.qr : null } : b))
    : [...items, patched].sort((a, b) => (a.id < b.id ? -1 : 1));
  bots.set({ items: next });
  if (applyStatus(ev.botId, status, at, true)) alarm();
  refreshBots();
}

/** Closes a banner until the account goes down again. */
export function dismissBotAlert(botId) {
  const a = down.get(botId);
  if (!a || a.dismissed) return;
  a.dismissed = true;
  publishAlerts();
}

/** Starts following the accounts (call for managers only); returns the stop function. */
export function startBots() {
  stopBots();
  running = true;
  generation += 1;
  refreshBots();
  const timer = setInterval(refreshBots, BOTS_REFRESH_MS);
  const offs = [live.on('event', onEvent), live.on('resync', refreshBots)];
  stopFns = [() => clearInterval(timer), ...offs];
  return stopBots;
}

let stopFns = [];
export function stopBots() {
  stopFns.forEach((fn) => fn());
  stopFns = [];
  running = false;
  generation += 1;
  loads.reset();
  down.clear();
  seen.clear();
  bots.set({ items: [], loaded: false, failed: false, at: null });
  botAlerts.set({ items: [] });
}
