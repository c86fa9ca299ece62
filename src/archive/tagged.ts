/**
 * Tagged conversations that left Redis, for the tag model (src/tagging trains on agents' tags): the
 * newest first, each with its first customer, agent and bot messages (a topic is set early).
 */
import type pg from 'pg';

/** Messages read per conversation. */
const PER_CONVERSATION = 60;

export interface TaggedConversation {
  id: string;
  tags: string[];
  messages: { from: string; text: string; faqId: string | null; kind: string | null }[];
}

export async function readTagged(db: pg.Pool, limit: number): Promise<TaggedConversation[]> {
  const { rows } = await db.query<{ id: string; tags: string[]; sender: string | null; text: string | null; faq_id: string | null; kind: string | null }>(
    `WITH c AS (
       SELECT id, tags, updated_at FROM conversations WHERE cardinality(tags) > 0 ORDER BY updated_at DESC LIMIT $1
     ), m AS (
       SELECT m.conversation_id, m.sender, m.text, m.faq_id, m.kind,
              row_number() OVER (PARTITION BY m.conversation_id
                                 ORDER BY split_part(m.id, '-', 1)::bigint, split_part(m.id, '-', 2)::bigint) AS n
       FROM messages m JOIN c ON c.id = m.conversation_id
       WHERE m.sender IN ('customer', 'agent', 'bot')
     )
     SELECT c.id, c.tags, m.sender, m.text, m.faq_id, m.kind
     FROM c LEFT JOIN m ON m.conversation_id = c.id AND m.n <= $2
     ORDER BY c.updated_at DESC, c.id, m.n`,
    [limit, PER_CONVERSATION],
  );
  const out = new Map<string, TaggedConversation>();
  for (const r of rows) {
    let c = out.get(r.id);
    if (!c) out.set(r.id, (c = { id: r.id, tags: r.tags, messages: [] }));
    if (r.sender !== null) c.messages.push({ from: r.sender, text: r.text ?? '', faqId: r.faq_id, kind: r.kind });
  }
  return [...out.values()];
}
