/**
 * Search over the archive in PostgreSQL: message text by words (the `search` tsvector, GIN) and
 * customers by any part of their name or id (trigrams), newest first, with filters. A message's
 * filters are facts written on it (migrations/005_search_facts.sql, search-query.ts), so words and
 * filters are one lookup in one index. The archiver
 * copies live conversations continuously, so this covers live and archived alike; the console
 * overlays the live state of conversations still in Redis (their status, assignee and tags move
 * faster than the copy).
 *
 * Two result streams, merged by time: messages whose words match (`match: 'message'`, time = the
 * message's), and conversations whose customer matches (`match: 'customer'`, time = the
 * conversation's last change, shown with its latest message). Each is read in keyset order, so a
 * page costs the same on page 1 and page 100; the cursor holds where each stream stands.
 */
import type pg from 'pg';
import { z } from 'zod';
import { toConversation } from '../handoff/convert.ts';
import type { Conversation, ConversationStatus, TranscriptMessage } from '../handoff/types.ts';
import { toMessage, type MessageRow as ArchivedMessageRow } from './read.ts';
import { filterFacts, wordQuery } from './search-query.ts';
import { nameNeedle, queryTerms } from './tokens.ts';

export interface SearchFilters {
  /** Messages (and conversation changes) at or after this instant. */
  from?: Date;
  /** ... and before this one (exclusive). */
  to?: Date;
  /** The bot account's channel kind: wechaty, wecom-kf, oa. */
  channel?: string;
  status?: ConversationStatus;
  tag?: string;
  /** The agent who owns (or last owned) the conversation. */
  agent?: string;
  /** A customer rating of the conversation with this score, 1-5. */
  rating?: number;
  /**
   * An agent without the manager role sees the conversations they own (or owned last) and those
   * nobody owns yet (with the bot, waiting): their work, not the whole company's customer history.
   */
  visibleTo?: string;
}

export interface SearchOptions extends SearchFilters {
  q: string;
  limit: number;
  cursor?: SearchCursor;
}

export type SearchMatch = 'message' | 'customer';

export interface SearchItem {
  conversation: Conversation;
  message: TranscriptMessage;
  match: SearchMatch;
  /** The bot account's channel kind as archived (null when the bot never said). */
  channel: string | null;
}

export interface SearchResult {
  items: SearchItem[];
  /** Where the next page starts (encodeCursor), null on the last page. */
  next: SearchCursor | null;
}

/** Where each stream stands: after this key, or 'end' when it has nothing more; absent = from the top. */
const cursorSchema = z.object({
  m: z.union([z.literal('end'), z.tuple([z.number().int().nonnegative(), z.string().max(200), z.string().max(64)])]).optional(),
  c: z.union([z.literal('end'), z.tuple([z.number().int().nonnegative(), z.string().max(200)])]).optional(),
});
export type SearchCursor = z.infer<typeof cursorSchema>;

export const encodeCursor = (c: SearchCursor): string => Buffer.from(JSON.stringify(c)).toString('base64url');

/** The cursor a page's `next` gave, or undefined when `raw` is not one. */
export function decodeCursor(raw: string): SearchCursor | undefined {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A LIKE pattern matching `s` anywhere: its own %, _ and \ taken literally. */
export const likeAnywhere = (s: string): string => `%${s.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** The distinct character pairs of a string, as kefu_bigrams() in migrations/002_search.sql makes them. */
export function bigrams(s: string): string[] {
  const chars = [...s];
  const out = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i]! + chars[i + 1]!);
  return [...out];
}

/** SQL conditions on `c` (conversations) for the filters, their parameters appended to `params`. */
function conversationConditions(f: SearchFilters, params: unknown[]): string[] {
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  const where: string[] = [];
  if (f.channel !== undefined) where.push(`c.channel = ${p(f.channel)}`);
  if (f.status !== undefined) where.push(`c.status = ${p(f.status)}`);
  if (f.tag !== undefined) where.push(`c.tags @> ARRAY[${p(f.tag)}]::text[]`);
  if (f.agent !== undefined) where.push(`c.assignee_id = ${p(f.agent)}`);
  if (f.rating !== undefined) where.push(`EXISTS (SELECT 1 FROM ratings r WHERE r.conversation_id = c.id AND r.score = ${p(f.rating)})`);
  if (f.visibleTo !== undefined) where.push(`(c.assignee_id = ${p(f.visibleTo)} OR c.status IN ('bot', 'waiting'))`);
  return where;
}

const MESSAGE_COLUMNS = 'm.conversation_id, m.id, m.at, m.sender, m.text, m.faq_id, m.confidence, m.agent_id, m.agent_name, m.event, m.kind, m.url, m.msg_id';

interface MessageRow extends ArchivedMessageRow {
  conversation_id: string;
}

/**
 * How the newest matching messages are found, cheapest first. The filters are facts on each
 * message (migrations/005_search_facts.sql), so words and filters are one condition that the one
 * GIN index answers, or that a walk of the time index checks row by row. PostgreSQL's own choice
 * between the two rests on estimates that filters and skewed words make unreliable (measured on
 * 1,000,000 messages: 250-500 ms where the other plan took 5), so the steps below bound each case:
 * 1. many matches: the newest few thousand messages hold a page of them (a walk of the time index);
 * 2. few (fewer than RARE in range): all of them from the word index, sorted;
 * 3. otherwise a longer walk, then the sort whatever it costs.
 */
const WALKS = [5_000, 50_000] as const;
const RARE = 2_000;

/** Messages whose words match (`tsquery`: wordQuery's) and whose conversation passes the filters, newest first, after the cursor's key. */
async function messageStream(db: pg.Pool, tsquery: string, o: SearchOptions, n: number): Promise<MessageRow[]> {
  const params: unknown[] = [tsquery];
  const match = [`m.sender <> 'system'`, `m.search @@ $1::tsquery`];
  const facts = filterFacts(o);
  if (facts.all.length) match.push(`m.facts @> $${params.push(facts.all)}::text[]`);
  if (facts.any) match.push(`m.facts && $${params.push(facts.any)}::text[]`);
  const range: string[] = [];
  if (o.from) range.push(`m.at >= $${params.push(o.from.toISOString())}`);
  if (o.to) range.push(`m.at < $${params.push(o.to.toISOString())}`);
  if (Array.isArray(o.cursor?.m)) {
    const [ms, conv, id] = o.cursor.m;
    const at = `$${params.push(new Date(ms).toISOString())}`;
    // The first condition is the index's range; the row comparison breaks ties within one instant.
    range.push(`m.at <= ${at}`, `(m.at, m.conversation_id, m.id) < (${at}, $${params.push(conv)}, $${params.push(id)})`);
  }
  const where = [...match, ...range].join(' AND ');
  const order = 'ORDER BY m.at DESC, m.conversation_id DESC, m.id DESC';
  const query = async (sql: string): Promise<MessageRow[]> => (await db.query<MessageRow>(sql, params)).rows;
  const walk = (rows: number): Promise<MessageRow[]> =>
    query(
      `SELECT ${MESSAGE_COLUMNS} FROM (SELECT * FROM messages m ${range.length ? `WHERE ${range.join(' AND ')}` : ''} ${order} LIMIT ${rows}) m
       WHERE ${match.join(' AND ')} ${order} LIMIT ${n}`,
    );
  // Few matches (fewer than RARE): every one from the index, counted and sorted in one query.
  const few = async (): Promise<MessageRow[] | null> => {
    const found = await query(`SELECT *, count(*) OVER () AS total FROM (SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE ${where} LIMIT ${RARE}) m ${order} LIMIT ${n}`);
    return found.length === 0 || Number((found[0] as MessageRow & { total: string }).total) < RARE ? found : null;
  };
  const sorted = (): Promise<MessageRow[]> => query(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE ${where} ${order} LIMIT ${n}`);

  // A full page among the newest messages: those are the newest matches of all.
  let rows = await walk(WALKS[0]);
  if (rows.length >= n) return rows;
  const all = await few();
  if (all) return all;
  rows = await walk(WALKS[1]);
  return rows.length >= n ? rows : sorted();
}

interface CustomerRow extends Omit<MessageRow, 'id'> {
  updated_at: Date;
  /** Null for a conversation without messages (LEFT JOIN). */
  id: string | null;
}

/**
 * Conversations whose customer's name or id contains the query, or whose conversation id it is
 * (`<botId>.<customerId>`, as the console's address shows it), last changed first, with their
 * latest message.
 */
async function customerStream(db: pg.Pool, needle: string, o: SearchOptions, n: number): Promise<CustomerRow[]> {
  // The pairs find candidates through the index; LIKE keeps those that hold the needle whole.
  const params: unknown[] = [bigrams(needle), likeAnywhere(needle), o.q.trim()];
  const where = ['((c.search_grams @> $1::text[] AND c.search_name LIKE $2) OR c.id = $3)'];
  if (o.from) where.push(`c.updated_at >= $${params.push(o.from.toISOString())}`);
  if (o.to) where.push(`c.updated_at < $${params.push(o.to.toISOString())}`);
  if (Array.isArray(o.cursor?.c)) {
    const [ms, id] = o.cursor.c;
    const at = `$${params.push(new Date(ms).toISOString())}`;
    where.push(`c.updated_at <= ${at}`, `(c.updated_at, c.id) < (${at}, $${params.push(id)})`);
  }
  where.push(...conversationConditions(o, params));
  // The page's conversations first, then the latest message of those alone: a common part of a name
  // ("奶茶") matches a thousand customers, and reading each one's latest message before the LIMIT
  // cost 100-150 ms at 1,000,000 messages (bench:search) against 4-8 ms this way. LEFT: a
  // conversation without messages still moves the cursor (searchArchive skips it).
  const sql = `SELECT c.updated_at, c.id AS conversation_id, ${MESSAGE_COLUMNS.replace('m.conversation_id, ', '')}
    FROM (SELECT c.id, c.updated_at FROM conversations c WHERE ${where.join(' AND ')}
      ORDER BY c.updated_at DESC, c.id DESC LIMIT ${n}) c
    LEFT JOIN LATERAL (SELECT * FROM messages m WHERE m.conversation_id = c.id
      ORDER BY (m.sender = 'system'), m.at DESC, m.id DESC LIMIT 1) m ON true
    ORDER BY c.updated_at DESC, c.id DESC`;
  return (await db.query<CustomerRow>(sql, params)).rows;
}

interface ConversationRow {
  id: string;
  bot_id: string;
  customer_id: string;
  customer_name: string;
  tier: string;
  channel: string | null;
  status: string;
  assignee_id: string | null;
  assignee_name: string | null;
  tags: string[];
  created_at: Date;
  updated_at: Date;
  data: Record<string, string>;
}

/** The archived conversations of `ids`: the Redis hash as copied (data) read as the handoff reads it, the columns filling gaps. */
async function conversations(db: pg.Pool, ids: string[]): Promise<Map<string, { conversation: Conversation; channel: string | null }>> {
  const out = new Map<string, { conversation: Conversation; channel: string | null }>();
  if (ids.length === 0) return out;
  const { rows } = await db.query<ConversationRow>(
    `SELECT id, bot_id, customer_id, customer_name, tier, channel, status, assignee_id, assignee_name, tags, created_at, updated_at, data
     FROM conversations WHERE id = ANY($1::text[])`,
    [ids],
  );
  for (const r of rows) {
    const ms = (d: Date): string => String(d.getTime());
    const h: Record<string, string> = {
      ...(r.data ?? {}),
      id: r.id,
      botId: r.bot_id,
      customerId: r.customer_id,
      customerName: r.customer_name,
      tier: r.tier,
      status: r.status,
      createdAt: ms(r.created_at),
      updatedAt: ms(r.updated_at),
      tags: JSON.stringify(r.tags),
    };
    if (r.assignee_id) {
      h.assigneeId = r.assignee_id;
      h.assigneeName = r.assignee_name ?? r.assignee_id;
    } else {
      delete h.assigneeId;
    }
    out.set(r.id, { conversation: toConversation(h), channel: r.channel });
  }
  return out;
}

interface Candidate {
  ms: number;
  conv: string;
  id: string;
  row: MessageRow;
  match: SearchMatch;
  /** A customer match without any message: it moves the cursor but shows nothing. */
  empty?: boolean;
}

/** Newest first; ties by conversation id, then message id, both descending (the keyset's order). */
const newer = (a: Candidate, b: Candidate): number => b.ms - a.ms || (a.conv < b.conv ? 1 : a.conv > b.conv ? -1 : 0) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * One page of search results. An empty query (nothing but punctuation and blanks) finds nothing:
 * it is not an error, and it does not list everything either.
 */
export async function searchArchive(db: pg.Pool, o: SearchOptions): Promise<SearchResult> {
  const limit = Math.min(Math.max(Math.floor(o.limit), 1), 200);
  const needle = nameNeedle(o.q);
  const mDone = o.cursor?.m === 'end' || queryTerms(o.q).length === 0;
  // One character matches half the customers and says nothing; ids and names need two.
  const cDone = o.cursor?.c === 'end' || [...needle].length < 2;
  const [mRows, cRows] = await Promise.all([
    // A query with a word no message has finds no message (wordQuery: null).
    mDone ? [] : wordQuery(db, o.q).then((tsquery) => (tsquery === null ? [] : messageStream(db, tsquery, o, limit + 1))),
    cDone ? [] : customerStream(db, needle, o, limit + 1),
  ]);
  const ms: Candidate[] = mRows.map((row) => ({ ms: row.at.getTime(), conv: row.conversation_id, id: row.id, row, match: 'message' }));
  const cs: Candidate[] = cRows.map((row) => ({ ms: row.updated_at.getTime(), conv: row.conversation_id, id: row.id ?? '', row: row as MessageRow, match: 'customer', empty: row.id === null }));

  // Merge the two newest-first streams; a message both streams give is shown once.
  const picked: Candidate[] = [];
  const seen = new Set<string>();
  let i = 0;
  let j = 0;
  let lastM: Candidate | undefined;
  let lastC: Candidate | undefined;
  while (picked.length < limit && (i < ms.length || j < cs.length)) {
    const takeM = j >= cs.length || (i < ms.length && newer(ms[i]!, cs[j]!) <= 0);
    const next = takeM ? ms[i++]! : cs[j++]!;
    if (takeM) lastM = next;
    else lastC = next;
    if (next.empty) continue;
    const key = `${next.conv}\n${next.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    picked.push(next);
  }
  const mNext: SearchCursor['m'] = mDone || (i >= ms.length && ms.length <= limit) ? 'end' : lastM ? [lastM.ms, lastM.conv, lastM.id] : o.cursor?.m;
  const cNext: SearchCursor['c'] = cDone || (j >= cs.length && cs.length <= limit) ? 'end' : lastC ? [lastC.ms, lastC.conv] : o.cursor?.c;
  const next = mNext === 'end' && cNext === 'end' ? null : { m: mNext, c: cNext };

  const convs = await conversations(db, [...new Set(picked.map((p) => p.conv))]);
  const items: SearchItem[] = [];
  for (const p of picked) {
    const c = convs.get(p.conv);
    // Gone between the two reads (deleted by hand): nothing to show.
    if (c) items.push({ conversation: c.conversation, message: toMessage(p.row), match: p.match, channel: c.channel });
  }
  return { items, next };
}
