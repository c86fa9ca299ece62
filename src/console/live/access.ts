/**
 * What each role may receive over the live socket, mirroring the HTTP route guards:
 *  - conversation events (messages, queue changes, ratings…) and presence: roles that may read
 *    conversations (`agent`; manager and admin imply it), as /api/conversations;
 *  - `bot_status` (an account's WeChat login): managers, as /api/bots and the 微信账号 page;
 *  - editors: only that a chat was handed off (`waiting`, with no conversation id and no data), which
 *    is when the 知识库 page re-reads its unanswered questions. Nothing about the customer.
 */
import { hasRole, type Agent } from '../auth/index.ts';
import type { HandoffEvent } from '../../handoff/index.ts';
import type { ApiConversation, ApiMessage } from '../serialize.ts';

/** How a client sees an event: in full, as a bare signal, or not at all. */
export type EventView = 'full' | 'signal' | null;

export function mayReadConversations(agent: Pick<Agent, 'roles'>): boolean {
  return hasRole(agent, 'agent');
}

export function viewOf(agent: Pick<Agent, 'roles'>, event: Pick<HandoffEvent, 'type'>): EventView {
  if (event.type === 'bot_status') return hasRole(agent, 'manager') ? 'full' : null;
  if (mayReadConversations(agent)) return 'full';
  if (event.type === 'waiting' && hasRole(agent, 'editor')) return 'signal';
  return null;
}

/** What changed with an event (enrich.ts): the conversation as it stands (null: gone) and a message event's entry. */
export interface EventChange {
  conversation: ApiConversation | null;
  message: ApiMessage | null;
}

/**
 * One event serialized at most once per view, however many sockets get it. A full view carries
 * the change with it when it was read (`conversation`, and `message` for a message event), so a
 * tab applies it instead of fetching; without it (a catch-up, Redis briefly away) the tab reads.
 */
export function eventFrames(event: HandoffEvent, change?: EventChange): (view: Exclude<EventView, null>) => string {
  let full: string | undefined;
  let signal: string | undefined;
  return (view) => {
    if (view === 'full') {
      return (full ??= JSON.stringify(change ? { type: 'event', event, conversation: change.conversation, ...(change.message ? { message: change.message } : {}) } : { type: 'event', event }));
    }
    const bare: HandoffEvent = { id: event.id, botId: event.botId, type: event.type, conv: '', at: event.at, data: {} };
    return (signal ??= JSON.stringify({ type: 'event', event: bare }));
  };
}
