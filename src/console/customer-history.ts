/**
 * A customer's history for the panel beside a chat. A conversation is one customer's thread with
 * one bot account across every resolve, so "the conversations so far" are its handoffs: each from
 * the `waiting` event (or an agent's takeover) to its resolve, with who served it, how it ended
 * and the rating after it. Read from the live transcript's system events and, with the archive,
 * the archived ones before them (the archive also holds copies of live ones: merged by entry id).
 */
import type { ArchivedHistory } from '../archive/history.ts';
import { compareStreamIds } from '../handoff/stream-id.ts';
import { parseConversationId, WITHDRAWN_BY, type Conversation, type Handoff, type TranscriptMessage } from '../handoff/index.ts';

export type SessionOutcome = 'resolved' | 'fixed' | 'withdrawn' | 'awaiting_fix' | 'open';

export interface CustomerSession {
  /** The entry id of the event that opened it: the chat opens there (`#/c/<id>?m=<this>`). */
  startId: string;
  startedAt: string;
  /** How it came to a person (the handoff reason; agent_initiated for a takeover). */
  reason: string | null;
  /** The last agent who had it (claim or transfer). */
  agent: { id: string; name: string } | null;
  outcome: SessionOutcome;
  endedAt: string | null;
  /** Who closed it (an agent id, or 'system' for a fix notice). */
  resolvedBy: string | null;
  /** The customer's rating after it (the latest, if they rated twice). */
  rating: number | null;
}

export interface CustomerHistory {
  conversationId: string;
  botId: string;
  customerId: string;
  /** Only the archive holds the conversation (read-only). */
  archived: boolean;
  customer: { name: string; tier: string };
  channel: { kind: string; label: string } | null;
  /** The customer's first message or the conversation's creation, whichever is older. */
  firstSeen: string | null;
  tags: string[];
  status: string;
  /** Newest first. */
  sessions: CustomerSession[];
  ratings: { count: number; average: number };
  /** The archive could not be read: older sessions may be missing. */
  incomplete?: { error: string };
}

export interface HistoryArchive {
  conversation(id: string): Promise<Conversation | null>;
  history(id: string): Promise<ArchivedHistory>;
}

/** The whole live transcript is read for its system lines; a thread past this is trimmed by the archiver long before. */
const LIVE_READ = 20_000;

/** Sessions from system events in order; ratings (oldest first) go to the session closed last before them. */
export function sessionsOf(events: TranscriptMessage[], ratings: { score: number; at: string }[]): CustomerSession[] {
  const sessions: CustomerSession[] = [];
  let open: CustomerSession | null = null;
  const start = (m: TranscriptMessage, reason: string | null): CustomerSession => {
    const s: CustomerSession = { startId: m.id, startedAt: m.at, reason, agent: null, outcome: 'open', endedAt: null, resolvedBy: null, rating: null };
    sessions.push(s);
    return s;
  };
  for (const m of events) {
    switch (m.event) {
      case 'waiting':
        // Released back to the queue is the same handoff; a new one starts after a resolve.
        if (!open) open = start(m, m.text.startsWith('handoff: ') ? m.text.slice('handoff: '.length) : null);
        else open.outcome = 'open';
        break;
      case 'claimed':
        open ??= start(m, 'agent_initiated');
        if (m.agentId) open.agent = { id: m.agentId, name: m.agentName ?? m.agentId };
        break;
      case 'transferred':
        if (open && m.agentId) open.agent = { id: m.agentId, name: m.agentName ?? m.agentId };
        break;
      case 'parked':
        if (open) open.outcome = 'awaiting_fix';
        break;
      case 'resolved':
      case 'fixed':
        if (!open) break;
        open.outcome = m.event === 'fixed' || m.agentId === 'system' ? 'fixed' : m.agentId === WITHDRAWN_BY ? 'withdrawn' : 'resolved';
        open.endedAt = m.at;
        open.resolvedBy = m.event === 'fixed' ? 'system' : (m.agentId ?? null);
        open = null;
        break;
      default:
    }
  }
  for (const r of ratings) {
    const closed = sessions.filter((s) => s.endedAt !== null && s.endedAt <= r.at).at(-1);
    if (closed) closed.rating = r.score;
  }
  return sessions.reverse();
}

export async function customerHistory(handoff: Handoff, id: string, archive?: HistoryArchive): Promise<CustomerHistory | null> {
  const { botId, customerId } = parseConversationId(id);
  const [live, liveMessages, liveRatings, channel] = await Promise.all([
    handoff.conversation(id),
    handoff.transcript(id, { count: LIVE_READ }),
    handoff.conversationRatings(id),
    handoff.registry.channel(botId).catch(() => null),
  ]);
  let conv: Conversation | null = live;
  let past: ArchivedHistory = { events: [], ratings: [], firstAt: null };
  let incomplete: { error: string } | undefined;
  if (archive) {
    try {
      const [old, history] = await Promise.all([live ? null : archive.conversation(id), archive.history(id)]);
      conv ??= old;
      past = history;
    } catch (err) {
      incomplete = { error: (err as Error).message };
    }
  }
  if (!conv) return null;
  const byId = new Map<string, TranscriptMessage>();
  for (const m of [...past.events, ...liveMessages.filter((m) => m.from === 'system')]) byId.set(m.id, m);
  const events = [...byId.values()].sort((a, b) => compareStreamIds(a.id, b.id));
  const ratingsById = new Map<string, { score: number; at: string }>();
  for (const r of [...past.ratings, ...liveRatings]) ratingsById.set(r.id, r);
  const ratings = [...ratingsById.values()].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const firstSeen = [conv.createdAt, past.firstAt, liveMessages[0]?.at].filter((x): x is string => !!x).sort()[0] ?? null;
  const sum = ratings.reduce((n, r) => n + r.score, 0);
  return {
    conversationId: id,
    botId,
    customerId,
    archived: !live,
    customer: { name: conv.customer.name, tier: conv.customer.tier },
    channel: channel ? { kind: channel.kind, label: channel.label } : null,
    firstSeen,
    tags: conv.tags,
    status: conv.status,
    sessions: sessionsOf(events, ratings),
    ratings: { count: ratings.length, average: ratings.length ? Math.round((sum / ratings.length) * 100) / 100 : 0 },
    ...(incomplete ? { incomplete } : {}),
  };
}
