/**
 * Reply drafts per agent and conversation in localStorage: a reload, a crash or a look at another
 * chat does not lose what the agent was typing. Cleared when the reply is sent. Drafts older than a
 * week are dropped when the console starts, so the storage does not fill with chats long closed.
 *
 * Per agent: on a shared computer the next agent to take the chat must not find a colleague's
 * unsent words (a refund number, a half-written promise) one Enter away from the customer. Logging
 * out with the button takes the agent's drafts with it; a session that merely expired keeps them
 * for when the same agent signs in again.
 */
import { session } from './api.js';

const PREFIX = 'kefu.draft.';
const MAX_AGE_MS = 7 * 24 * 3600_000;

const keyOf = (convId) => `${PREFIX}${session.agent?.id ?? '-'}.${convId}`;

function read(key) {
  try {
    const v = JSON.parse(localStorage.getItem(key) ?? 'null');
    return v && typeof v.text === 'string' ? v : null;
  } catch {
    return null;
  }
}

export const loadDraft = (convId) => read(keyOf(convId))?.text ?? '';

export function saveDraft(convId, text) {
  try {
    if (text.trim()) localStorage.setItem(keyOf(convId), JSON.stringify({ text, at: Date.now() }));
    else localStorage.removeItem(keyOf(convId));
  } catch {
    // Storage full or refused (private mode): the draft lives only in this tab.
  }
}

export const clearDraft = (convId) => localStorage.removeItem(keyOf(convId));

/** Removes the drafts whose key `drop(key, draft)` picks. */
function sweep(drop) {
  for (let i = localStorage.length - 1; i >= 0; i--) {
    const key = localStorage.key(i);
    if (key?.startsWith(PREFIX) && drop(key, read(key))) localStorage.removeItem(key);
  }
}

export function pruneDrafts(now = Date.now()) {
  // Also drafts of the older form (no agent in the key): whose they were is unknown.
  sweep((key, d) => !(d?.at > now - MAX_AGE_MS) || key.slice(PREFIX.length).split('.').length < 3);
}

/** Every draft of the agent signed in now (at a logout). */
export function dropMyDrafts() {
  const mine = `${PREFIX}${session.agent?.id ?? '-'}.`;
  sweep((key) => key.startsWith(mine));
}
