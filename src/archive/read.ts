/**
 * Reads of the archive, in the handoff's shapes (Conversation, TranscriptMessage): what the console
 * shows of a conversation that left Redis, and the history before a returning customer's new one.
 */
import type pg from 'pg';
import { toConversation } from '../handoff/convert.ts';
import { parseConversationId } from '../handoff/keys.ts';
import { checkStreamId } from '../handoff/stream-id.ts';
import type { Conversation, MessageFrom, TranscriptMessage } from '../handoff/types.ts';

/** The most messages one read returns. */
export const MAX_MESSAGES = 1000;

export interface ArchivedConversation extends Conversation {
  /** Whether it is still in Redis (false: only in the archive, read-only). */
  live: boolean;
}

/** The conversation as last copied, null when the archive never saw it. */
export async function readConversation(db: pg.Pool, id: string): Promise<ArchivedConversation | null> {
  parseConversationId(id);
  const { rows } = await db.query<{ data: Record<string, string>; created_at: Date; trimmed: boolean }>(
    'SELECT data, created_at, trimmed_at IS NOT NULL AS trimmed FROM conversations WHERE id = $1',
    [id],
  );
  const row = rows[0];
  if (!row || !row.data.status) return null;
  // The thread began with its first Redis life, however many trims ago.
  return { ...toConversation({ ...row.data, id }), createdAt: row.created_at.toISOString(), live: !row.trimmed };
}

export interface MessagesQuery {
  /** Only messages before this entry id (exclusive): the history before the live transcript. */
  before?: string;
  /** Only messages after this entry id (exclusive). */
  after?: string;
  /** The latest `limit` of those (default and at most 1000). */
  limit?: number;
}

/** A `messages` row as the readers select it. */
export interface MessageRow {
  id: string;
  at: Date;
  sender: string;
  text: string;
  msg_id: string | null;
  faq_id: string | null;
  confidence: number | null;
  agent_id: string | null;
  agent_name: string | null;
  event: string | null;
  kind: string | null;
  url: string | null;
}

const MS = "split_part(id, '-', 1)::bigint";
const SEQ = "split_part(id, '-', 2)::bigint";
const split = (id: string): [string, string] => {
  const [ms = '0', seq = '0'] = checkStreamId(id, { seqOptional: true }).split('-');
  return [ms, seq];
};

/** The conversation's archived messages in the range, oldest first (the latest `limit` of them). */
export async function readMessages(db: pg.Pool, id: string, q: MessagesQuery = {}): Promise<TranscriptMessage[]> {
  parseConversationId(id);
  const limit = Math.min(Math.max(Math.trunc(q.limit ?? MAX_MESSAGES), 1), MAX_MESSAGES);
  const params: unknown[] = [id];
  const where = ['conversation_id = $1'];
  if (q.before) {
    params.push(...split(q.before));
    where.push(`(${MS}, ${SEQ}) < ($${params.length - 1}::bigint, $${params.length}::bigint)`);
  }
  if (q.after) {
    params.push(...split(q.after));
    where.push(`(${MS}, ${SEQ}) > ($${params.length - 1}::bigint, $${params.length}::bigint)`);
  }
  params.push(limit);
  const { rows } = await db.query<MessageRow>(
    `SELECT id, at, sender, text, msg_id, faq_id, confidence, agent_id, agent_name, event, kind, url FROM messages
     WHERE ${where.join(' AND ')} ORDER BY ${MS} DESC, ${SEQ} DESC LIMIT $${params.length}`,
    params,
  );
  return rows.reverse().map(toMessage);
}

/** A message row as the API's transcript message (fields left out when empty, as the handoff reads Redis). */
export function toMessage(r: MessageRow): TranscriptMessage {
  const m: TranscriptMessage = { id: r.id, from: r.sender as MessageFrom, text: r.text, at: r.at.toISOString() };
  if (r.faq_id) m.faqId = r.faq_id;
  if (r.confidence !== null) m.confidence = r.confidence;
  if (r.agent_id) m.agentId = r.agent_id;
  if (r.agent_name) m.agentName = r.agent_name;
  if (r.event) m.event = r.event;
  if (r.kind) m.kind = r.kind;
  if (r.url) m.url = r.url;
  if (r.msg_id) m.msgId = r.msg_id;
  return m;
}
