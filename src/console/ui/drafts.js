/**
 * Reply drafts per conversation in localStorage: a reload, a crash or a look at another chat does
 * not lose what the agent was typing. Cleared when the reply is sent. Drafts older than a week are
 * dropped when the console starts, so the storage does not fill with chats long closed.
 */
const PREFIX = 'kefu.draft.';
const MAX_AGE_MS = 7 * 24 * 3600_000;

function read(convId) {
  try {
    const v = JSON.parse(localStorage.getItem(PREFIX + convId) ?? 'null');
    return v && typeof v.text === 'string' ? v : null;
  } catch {
    return null;
  }
}

export const loadDraft = (convId) => read(convId)?.text ?? '';

export function saveDraft(convId, text) {
  try {
    if (text.trim()) localStorage.setItem(PREFIX + convId, JSON.stringify({ text, at: Date.now() }));
    else localStorage.removeItem(PREFIX + convId);
  } catch {
    // Storage full or refused (private mode): the draft lives only in this tab.
  }
}

export const clearDraft = (convId) => localStorage.removeItem(PREFIX + convId);

export function pruneDrafts(now = Date.now()) {
  for (let i = localStorage.length - 1; i >= 0; i--) {
    const key = localStorage.key(i);
    if (!key?.startsWith(PREFIX)) continue;
    const at = read(key.slice(PREFIX.length))?.at;
    if (!(at > now - MAX_AGE_MS)) localStorage.removeItem(key);
  }
}
