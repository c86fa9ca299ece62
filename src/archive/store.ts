/**
 * The archiver's writes to PostgreSQL: conversations upserted and transcript messages inserted once
 * each (keyed by the stream entry id), a whole batch in one transaction with the events cursor it
 * reaches, so a crash anywhere leaves either all of a batch or none of it. Each table gets one
 * INSERT per batch: the rows travel as one JSON parameter (jsonb_to_recordset), so a batch of any
 * size is one statement and one round trip.
 *
 * Every message carries its conversation's filter facts for the search (migrations/005): written
 * here with the message, and rewritten by the database's triggers when the conversation's status,
 * channel, assignee, tags or ratings change (in the same transaction as the change).
 */
import type pg from 'pg';
import { parseTags } from '../handoff/convert.ts';
import { parseConversationId } from '../handoff/keys.ts';
import type { ConversationCopy } from './source.ts';
import { searchTokens } from './tokens.ts';

/** PostgreSQL text cannot hold NUL (nor can jsonb): dropped from anything a customer typed. */
const clean = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '') : s);
const isoOf = (ms: string | undefined): string | null => (ms && Number.isFinite(Number(ms)) ? new Date(Number(ms)).toISOString() : null);

/** What the archive already holds of each conversation: where its copy of the transcript ends. */
export interface CopiedState {
  lastMsgId: string | null;
  trimmed: boolean;
}

export async function copiedStates(db: pg.Pool | pg.PoolClient, ids: string[]): Promise<Map<string, CopiedState>> {
  const out = new Map<string, CopiedState>();
  if (ids.length === 0) return out;
  const { rows } = await db.query<{ id: string; last_msg_id: string | null; trimmed: boolean }>(
    'SELECT id, last_msg_id, trimmed_at IS NOT NULL AS trimmed FROM conversations WHERE id = ANY($1::text[])',
    [ids],
  );
  for (const r of rows) out.set(r.id, { lastMsgId: r.last_msg_id, trimmed: r.trimmed });
  return out;
}

/** Where the copy stands in a stream: its last entry read, and how many entries the stream had by then. */
export interface Cursor {
  lastId: string;
  position: number | null;
}

export async function readCursor(db: pg.Pool, botId: string, stream: string): Promise<Cursor | null> {
  const { rows } = await db.query<{ last_id: string; position: string | null }>(
    'SELECT last_id, position FROM archive_cursors WHERE bot_id = $1 AND stream = $2',
    [botId, stream],
  );
  const r = rows[0];
  return r ? { lastId: r.last_id, position: r.position === null ? null : Number(r.position) } : null;
}

export interface BatchResult {
  /** Conversation rows inserted or changed (an unchanged conversation is not rewritten). */
  conversations: number;
  /** Messages inserted (one already there is not). */
  messages: number;
}

/**
 * One batch in one transaction: the conversations (each with the last transcript entry copied:
 * `lastMsgIds`), their new messages, and the events cursor when given.
 */
export async function writeBatch(
  pool: pg.Pool,
  batch: { copies: ConversationCopy[]; lastMsgIds: Map<string, string | null>; channel: (botId: string) => string | null; cursor?: { botId: string } & Cursor },
): Promise<BatchResult> {
  const convRows = batch.copies.map((c) => conversationRow(c, batch.lastMsgIds.get(c.id) ?? null, batch.channel));
  const msgRows = batch.copies.flatMap((c) => c.messages.map(([id, f]) => messageRow(c.id, id, f)));
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // The search's facts (migrations/005): these conversations locked, in order, before any of
    // their facts is read or written, so a rating copied at the same time waits for this commit.
    if (convRows.length) await client.query('SELECT kefu_lock_facts($1::text[])', [batch.copies.map((c) => c.id)]);
    let conversations = 0;
    let messages = 0;
    if (convRows.length) conversations = (await client.query(UPSERT_CONVERSATIONS, [JSON.stringify(convRows)])).rowCount ?? 0;
    if (msgRows.length) messages = (await client.query(INSERT_MESSAGES, [JSON.stringify(msgRows)])).rowCount ?? 0;
    if (batch.cursor) await client.query(SAVE_CURSOR, [batch.cursor.botId, 'events', batch.cursor.lastId, batch.cursor.position]);
    await client.query('COMMIT');
    return { conversations, messages };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

function conversationRow(c: ConversationCopy, lastMsgId: string | null, channel: (botId: string) => string | null): Record<string, unknown> {
  const h = c.hash;
  const { botId, customerId } = parseConversationId(c.id);
  const name = clean(h.customerName ?? '');
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) data[clean(k)] = clean(v);
  const created = isoOf(h.createdAt) ?? new Date().toISOString();
  return {
    id: c.id,
    bot_id: botId,
    customer_id: customerId,
    customer_name: name,
    tier: h.tier || 'standard',
    channel: channel(botId),
    status: h.status,
    assignee_id: h.assigneeId || null,
    assignee_name: h.assigneeName || null,
    reason: h.reason || null,
    question: h.question ? clean(h.question) : null,
    problem_id: h.problemId || null,
    resolved_by: h.status === 'resolved' ? h.resolvedBy || null : null,
    tags: parseTags(h.tags).map(clean),
    created_at: created,
    updated_at: isoOf(h.updatedAt) ?? created,
    first_response_at: isoOf(h.firstResponseAt),
    data,
    // Search terms of the customer's name and id (the search module queries the same way).
    tokens: searchTokens(`${name} ${customerId}`),
    last_msg_id: lastMsgId,
  };
}

function messageRow(conv: string, id: string, f: Record<string, string>): Record<string, unknown> {
  const text = clean(f.text ?? '');
  const confidence = f.confidence !== undefined && f.confidence !== '' && Number.isFinite(Number(f.confidence)) ? Number(f.confidence) : null;
  return {
    conversation_id: conv,
    id,
    at: isoOf(f.at) ?? new Date(Number(id.split('-')[0])).toISOString(),
    sender: f.from || 'system',
    text,
    msg_id: f.msgId ? clean(f.msgId) : null,
    faq_id: f.faqId || null,
    confidence,
    agent_id: f.agentId || null,
    agent_name: f.agentName ? clean(f.agentName) : null,
    event: f.event || null,
    kind: f.kind || null,
    url: f.url ? clean(f.url) : null,
    tokens: text ? searchTokens(text) : '',
  };
}

/**
 * A conversation that comes back after a trim keeps its first created_at (the thread began then);
 * a row whose copy has not changed is not rewritten, so copying twice changes nothing.
 */
const UPSERT_CONVERSATIONS = `
INSERT INTO conversations AS t (id, bot_id, customer_id, customer_name, tier, channel, status, assignee_id, assignee_name,
  reason, question, problem_id, resolved_by, tags, created_at, updated_at, first_response_at, data, search, last_msg_id, trimmed_at)
SELECT r.id, r.bot_id, r.customer_id, r.customer_name, r.tier, r.channel, r.status, r.assignee_id, r.assignee_name,
  r.reason, r.question, r.problem_id, r.resolved_by, COALESCE(r.tags, '{}'), r.created_at, r.updated_at, r.first_response_at,
  r.data, to_tsvector('simple', r.tokens), r.last_msg_id, NULL
FROM jsonb_to_recordset($1::jsonb) AS r(id text, bot_id text, customer_id text, customer_name text, tier text, channel text,
  status text, assignee_id text, assignee_name text, reason text, question text, problem_id text, resolved_by text, tags text[],
  created_at timestamptz, updated_at timestamptz, first_response_at timestamptz, data jsonb, tokens text, last_msg_id text)
ON CONFLICT (id) DO UPDATE SET
  customer_name = EXCLUDED.customer_name, tier = EXCLUDED.tier, channel = COALESCE(EXCLUDED.channel, t.channel),
  status = EXCLUDED.status, assignee_id = EXCLUDED.assignee_id, assignee_name = EXCLUDED.assignee_name,
  reason = EXCLUDED.reason, question = EXCLUDED.question, problem_id = EXCLUDED.problem_id, resolved_by = EXCLUDED.resolved_by,
  tags = EXCLUDED.tags, created_at = LEAST(t.created_at, EXCLUDED.created_at), updated_at = EXCLUDED.updated_at,
  first_response_at = EXCLUDED.first_response_at, data = EXCLUDED.data, search = EXCLUDED.search,
  last_msg_id = COALESCE(EXCLUDED.last_msg_id, t.last_msg_id), trimmed_at = NULL
WHERE t.data IS DISTINCT FROM EXCLUDED.data OR t.last_msg_id IS DISTINCT FROM COALESCE(EXCLUDED.last_msg_id, t.last_msg_id)
  OR t.trimmed_at IS NOT NULL OR t.channel IS DISTINCT FROM COALESCE(EXCLUDED.channel, t.channel)`;

/**
 * Each message with its conversation's facts as just upserted (the search's filters), read once
 * per conversation; system lines are not searched and carry none.
 */
const INSERT_MESSAGES = `
WITH r AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(conversation_id text, id text, at timestamptz, sender text, text text, msg_id text,
    faq_id text, confidence real, agent_id text, agent_name text, event text, kind text, url text, tokens text)
), f AS MATERIALIZED (
  SELECT * FROM kefu_conversation_facts(ARRAY(SELECT DISTINCT conversation_id FROM r))
)
INSERT INTO messages (conversation_id, id, at, sender, text, msg_id, faq_id, confidence, agent_id, agent_name, event, kind, url, search, facts)
SELECT r.conversation_id, r.id, r.at, r.sender, r.text, r.msg_id, r.faq_id, r.confidence, r.agent_id, r.agent_name, r.event,
  r.kind, r.url, to_tsvector('simple', r.tokens), CASE WHEN r.sender <> 'system' THEN f.facts END
FROM r LEFT JOIN f ON f.id = r.conversation_id
ON CONFLICT (conversation_id, id) DO NOTHING`;

const SAVE_CURSOR = `
INSERT INTO archive_cursors (bot_id, stream, last_id, position) VALUES ($1, $2, $3, $4)
ON CONFLICT (bot_id, stream) DO UPDATE SET last_id = EXCLUDED.last_id, position = EXCLUDED.position, updated_at = now()`;

export interface TrimCandidate {
  id: string;
  lastMsgId: string;
  hash: Record<string, string>;
}

/**
 * Conversations still in Redis, unchanged since `cutoffMs`, that nobody is working on: resolved, or
 * with the bot (a chat the bot answered alone never gets resolved). Oldest first.
 */
export async function trimCandidates(pool: pg.Pool, botId: string, cutoffMs: number, limit: number): Promise<TrimCandidate[]> {
  const { rows } = await pool.query<{ id: string; last_msg_id: string | null; data: Record<string, string> }>(
    `SELECT id, last_msg_id, data FROM conversations
     WHERE bot_id = $1 AND status IN ('resolved', 'bot') AND trimmed_at IS NULL AND updated_at <= $2
     ORDER BY updated_at LIMIT $3`,
    [botId, new Date(cutoffMs).toISOString(), limit],
  );
  return rows.map((r) => ({ id: r.id, lastMsgId: r.last_msg_id ?? '', hash: r.data }));
}

/** Marks conversations as gone from Redis (after the trim script removed them, or found them gone). */
export async function markTrimmed(pool: pg.Pool, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await pool.query('UPDATE conversations SET trimmed_at = now() WHERE id = ANY($1::text[]) AND trimmed_at IS NULL', [ids]);
}
