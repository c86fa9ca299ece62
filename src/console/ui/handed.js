/**
 * A chat handed to me: when a colleague transfers a conversation to the agent of this tab, a toast
 * says who passed it on and their note (the note is also in the transcript, as a private note).
 * Only live `transferred` events naming this agent as the new owner; never for my own transfers.
 */
import { session } from './api.js';
import { live } from './live.js';
import { toast } from './toast.js';

/** Starts listening; returns the stop function. */
export function startHandedNotices() {
  return live.on('event', (ev) => {
    if (ev?.type !== 'transferred') return;
    const me = session.agent;
    const d = ev.data ?? {};
    if (!me || d.agentId !== me.id || d.fromAgentId === me.id) return;
    const by = d.noteBy || '同事';
    const note = typeof d.note === 'string' ? d.note.trim() : '';
    toast(note ? `${by} 把一个会话转给了你` : '有一个会话转给了你', { detail: note ? `转接说明：${note}` : '', ms: note ? 10_000 : 5_000 });
  });
}
