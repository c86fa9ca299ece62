/**
 * What the archiver reads from Redis: a bot account's events stream (which conversations changed),
 * every conversation of the account (a full pass, when the events cannot say), and conversations'
 * hashes with the transcript entries not yet copied. Reads only; one pipeline per bot account (its
 * keys share a cluster slot).
 */
import { Cluster, type Redis } from 'ioredis';
import { fieldsOf } from '../handoff/convert.ts';
import { conversationId, type Keys } from '../handoff/keys.ts';
import { compareStreamIds } from '../handoff/stream-id.ts';

type Client = Redis | Cluster;


export interface StreamState {
  /** The newest entry's id ('' when the stream is empty or missing). */
  lastId: string;
  /** Entries the stream ever had (Redis 7's entries-added; null before Redis 7). */
  entriesAdded: number | null;
  /**
   * Whether entries after the cursor were trimmed (MAXLEN) before they were read: the events stream
   * then no longer says everything that changed, and a full pass must. `position`: the entries the
   * stream had up to the cursor. Trimming removes the oldest entries, so entries went unread when
   * more were removed than that. Without the counts, an oldest entry past the cursor may be one.
   */
  gapAfter(cursor: string, position: number | null): boolean;
}

/** XINFO STREAM of `key`, read at once: its last entry and how many entries it ever had and lost. */
export async function streamState(redis: Client, key: string): Promise<StreamState> {
  let flat: unknown[];
  try {
    flat = (await redis.xinfo('STREAM', key)) as unknown[];
  } catch (err) {
    if (/no such key/i.test((err as Error).message)) return { lastId: '', entriesAdded: null, gapAfter: () => false };
    throw err;
  }
  const info = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) info.set(String(flat[i]), flat[i + 1]);
  const length = Number(info.get('length') ?? 0);
  const entryId = (v: unknown): string => (Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');
  const lastId = length > 0 ? entryId(info.get('last-entry')) : '';
  const firstId = length > 0 ? entryId(info.get('first-entry')) : '';
  const added = info.get('entries-added');
  const entriesAdded = added === undefined ? null : Number(added);
  return {
    lastId,
    entriesAdded,
    gapAfter(cursor: string, position: number | null): boolean {
      if (entriesAdded !== null && position !== null) return entriesAdded - length > position;
      return firstId !== '' && compareStreamIds(firstId, cursor) > 0;
    },
  };
}

/** Entry ids and conversations of the events after `after` (exclusive), oldest first, at most `count`. */
export async function eventsAfter(redis: Client, keys: Keys, botId: string, after: string, count: number): Promise<{ id: string; conv: string }[]> {
  const start = after === '' ? '-' : `(${after}`;
  const entries = await redis.xrange(keys.events(botId), start, '+', 'COUNT', count);
  return entries.map(([id, flat]) => ({ id, conv: fieldsOf(flat).conv ?? '' }));
}

/**
 * Every conversation id of the bot account, in batches (SCAN of its conversation hashes; in a
 * cluster, of each master: the pattern's hash tag keeps the matches on one). Rare: the first run,
 * or after the events stream was trimmed past the copy.
 */
export async function* scanConversations(redis: Client, keys: Keys, botId: string, batch = 500): AsyncGenerator<string[]> {
  const pattern = keys.conversationPattern(botId);
  const prefix = pattern.slice(0, -1);
  // A conversation hash is the pattern's prefix and a customer id; its transcript and msgIds add a suffix.
  const own = /^[A-Za-z0-9_-]{1,64}$/;
  const nodes: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', batch, 'TYPE', 'hash');
      cursor = next;
      const ids = found.map((key) => key.slice(prefix.length)).filter((c) => own.test(c)).map((c) => conversationId(botId, c));
      if (ids.length) yield ids;
    } while (cursor !== '0');
  }
}

export interface ConversationCopy {
  id: string;
  /** The conversation hash as it stands (every field). */
  hash: Record<string, string>;
  /** Transcript entries after the last one copied, oldest first: [entry id, fields]. */
  messages: [string, Record<string, string>][];
}

/**
 * The hashes of `convs` and their transcript entries after `after` ('' = from the start). A
 * conversation without a hash (trimmed, or gone) is left out. Long transcripts are read in pages
 * until their end, so a copy never stops halfway through one.
 */
export async function readConversations(redis: Client, keys: Keys, convs: { id: string; after: string }[], page = 1000): Promise<ConversationCopy[]> {
  if (convs.length === 0) return [];
  const pipe = redis.pipeline();
  for (const c of convs) {
    pipe.hgetall(keys.conversation(c.id));
    pipe.xrange(keys.transcript(c.id), c.after === '' ? '-' : `(${c.after}`, '+', 'COUNT', page);
  }
  const results = (await pipe.exec()) ?? [];
  const out: ConversationCopy[] = [];
  for (let i = 0; i < convs.length; i++) {
    const [hErr, h] = results[2 * i] ?? [];
    const [xErr, entries] = results[2 * i + 1] ?? [];
    if (hErr) throw hErr;
    if (xErr) throw xErr;
    const hash = h as Record<string, string>;
    if (!hash.status) continue;
    let rows = entries as [string, string[]][];
    const messages: ConversationCopy['messages'] = rows.map(([id, flat]) => [id, fieldsOf(flat)]);
    while (rows.length === page) {
      rows = await redis.xrange(keys.transcript(convs[i]!.id), `(${rows[rows.length - 1]![0]}`, '+', 'COUNT', page);
      for (const [id, flat] of rows) messages.push([id, fieldsOf(flat)]);
    }
    out.push({ id: convs[i]!.id, hash, messages });
  }
  return out;
}
