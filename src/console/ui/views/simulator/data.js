/**
 * The simulator's data: the simulated customers and the selected one's chat, polled (it is the
 * customer's phone, not a console conversation: no live events), and what this tab remembers.
 */
import { useEffect, useRef } from '/vendor/preact-htm.js';
import { get } from '../../api.js';
import { SIM_NAME_MAX } from '../../constants.js';
import { useLoader } from '../../loader.js';

const CHAT_POLL_MS = 700;
const LIST_POLL_MS = 3000;
/** The other customers whose last line the list shows. */
const PREVIEW_LIMIT = 30;
export const STORE_KEY = 'kefu.sim.customer';
export const LOCAL_KEY = 'kefu.sim.local';

const chatPath = (name) => `/api/demo/messages?customer=${encodeURIComponent(name)}`;

export function readStored(key, fallback) {
  try {
    const v = JSON.parse(sessionStorage.getItem(key) ?? 'null');
    return v ?? fallback;
  } catch {
    return fallback;
  }
}
export function store(key, value) {
  try {
    sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Private mode or full storage: the page works, it just forgets on reload.
  }
}

/** The server's rules for a display name (trimmed, 1..32, no control characters); '' when fine. */
export function nameProblem(name) {
  if (!name) return '请输入客户昵称';
  if (name.length > SIM_NAME_MAX) return `昵称最多 ${SIM_NAME_MAX} 个字符`;
  if (/\p{Cc}/u.test(name)) return '昵称不能包含换行等控制字符';
  return '';
}

/** Same lines? The chat only grows (and drops its oldest lines past the server's cap). */
function sameLines(a, b) {
  if (a.length !== b.length) return false;
  const x = a.at(-1);
  const y = b.at(-1);
  return !x || (x.at === y.at && x.text === y.text && x.from === y.from);
}

/** The selected customer's phone, polled. */
export function useChat(name) {
  const read = async () => {
    const res = await get(chatPath(name));
    return Array.isArray(res?.items) ? res.items : [];
  };
  // An unchanged chat keeps its lines: nothing re-renders below.
  const chat = useLoader(read, { key: name || null, every: CHAT_POLL_MS, merge: (shown, lines) => (sameLines(shown, lines) ? shown : lines) });
  const mine = chat.dataKey === name && chat.data !== null;
  return { name, lines: mine ? chat.data : [], loaded: mine, failed: chat.error !== null, status: chat.error?.status, kick: chat.reload };
}

const summary = (lines) => ({ last: lines.at(-1) ?? null, bot: lines.filter((l) => l.from === 'bot').length });

/** The simulated customers (server order: first message first), each with its last line. */
export function useCustomers(selected) {
  const read = async ({ prev }) => {
    const res = await get('/api/demo/customers');
    const names = (res?.items ?? []).map((c) => c.name).filter((n) => typeof n === 'string');
    // The other customers' last lines, for the list (the selected one comes from its own poll).
    const others = names.filter((n) => n !== selected).slice(-PREVIEW_LIMIT);
    const chats = await Promise.all(others.map((n) => get(chatPath(n)).then((r) => [n, r?.items ?? []], () => null)));
    const previews = new Map(prev?.previews);
    for (const entry of chats) if (entry) previews.set(entry[0], summary(entry[1]));
    return { names, previews };
  };
  const list = useLoader(read, { key: 'customers', every: LIST_POLL_MS });
  // Another selection changes whose last lines to read: read them now.
  const mounted = useRef(false);
  useEffect(() => {
    if (mounted.current) list.reload();
    mounted.current = true;
  }, [selected]);
  return { names: list.data?.names ?? [], previews: list.data?.previews ?? new Map(), loaded: list.data !== null, kick: list.reload };
}
