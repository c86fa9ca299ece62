/**
 * What the customer panel needs of a conversation's archived past: its system events (handoffs,
 * claims, transfers, parks, resolves: the conversations so far) and its ratings. Both indexed by
 * conversation (messages_conv_order, ratings_conversation): one customer's rows, never a scan.
 */
import type pg from 'pg';
import { parseConversationId } from '../handoff/keys.ts';
import type { TranscriptMessage } from '../handoff/types.ts';
import { toMessage, type MessageRow } from './read.ts';

export interface ArchivedHistory {
  /** System messages, oldest first. */
  events: TranscriptMessage[];
  /** The ratings stream entries copied for this conversation, oldest first. */
  ratings: { id: string; score: number; agentId: string | null; at: string }[];
  /** The first archived message's time (the customer's first contact, when Redis no longer has it). */
  firstAt: string | null;
}

/** A customer's whole history is a few hundred handoffs at most; this bounds a pathological one. */
const MAX_EVENTS = 5000;

export async function readHistory(db: pg.Pool, id: string): Promise<ArchivedHistory> {
  parseConversationId(id);
  const [events, ratings, first] = await Promise.all([
    db.query<MessageRow>(
      `SELECT id, at, sender, text, msg_id, faq_id, confidence, agent_id, agent_name, event, kind, url FROM messages
       WHERE conversation_id = $1 AND sender = 'system'
       ORDER BY split_part(id, '-', 1)::bigint, split_part(id, '-', 2)::bigint LIMIT $2`,
      [id, MAX_EVENTS],
    ),
    db.query<{ id: string; score: number; agent_id: string | null; at: Date }>('SELECT id, score, agent_id, at FROM ratings WHERE conversation_id = $1 ORDER BY at', [id]),
    db.query<{ at: Date }>(
      `SELECT at FROM messages WHERE conversation_id = $1 ORDER BY split_part(id, '-', 1)::bigint, split_part(id, '-', 2)::bigint LIMIT 1`,
      [id],
    ),
  ]);
  return {
    events: events.rows.map(toMessage),
    ratings: ratings.rows.map((r) => ({ id: r.id, score: r.score, agentId: r.agent_id, at: r.at.toISOString() })),
    firstAt: first.rows[0]?.at.toISOString() ?? null,
  };
}
