import { MAX_LIST, type HandoffContext } from './context.ts';
import { parseTags, toConversation } from './convert.ts';
import { KefuError } from '../errors.ts';
import { parseConversationId } from './keys.ts';
import { CONVERSATION_FIELDS } from './queries.ts';
import type { BotRegistry } from './registry.ts';
import { fields as readFields, indexBotChats, indexResolved } from './list-scripts.ts';
import type { Conversation, Tier } from './types.ts';

/** The console's lists (v2): `parked` is v1's `awaiting_fix`; `all` is every chat, the bot's included. */
export const LIST_STATUSES = ['waiting', 'active', 'parked', 'resolved', 'bot', 'all'] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];
export const LIST_VIEWS = ['mine', 'unassigned', 'all'] as const;
export type ListView = (typeof LIST_VIEWS)[number];

export interface ListQuery {
  status: ListStatus;
  view: ListView;
  /** Who asks: an agent who is not a manager sees their own chats and those nobody owns. */
  viewer: { id: string; manager: boolean };
  tag?: string;
  /** The assignee's agent id. */
  agent?: string;
  tier?: Tier;
  /** The bot account's channel kind (wechaty, wecom-kf, oa). */
  channel?: string;
  limit: number;
  /** `next` of the page before. */
  cursor?: string;
}

export interface ListPage {
  items: Conversation[];
  /** Every conversation the query matches, over all pages. */
  total: number;
  /** The cursor of the following page; null on the last. */
  next: string | null;
}

export class InvalidCursorError extends KefuError {
  constructor(why: string) {
    super('INVALID_CURSOR', `cursor: ${why}`);
  }
}

/** A place in one list's order: its sort key (ms) and the id that breaks ties. */
interface Place {
  k: number;
  i: string;
}

/** Hash status per list (the v2 name `parked` is stored as awaiting_fix). */
const STORED: Record<Exclude<ListStatus, 'all'>, string> = {
  waiting: 'waiting',
  active: 'active',
  parked: 'awaiting_fix',
  resolved: 'resolved',
  bot: 'bot',
};
/** What a filter or the order needs of each candidate (the rows shown are read whole afterwards). */
const HEAD_FIELDS = ['status', 'assigneeId', 'tier', 'tags', 'updatedAt', 'createdAt'] as const;
/** Conversations read per fields call while filtering (one script call holds them all as keys). */
const CHUNK = 2_000;
const SCAN_COUNT = 1_000;

/**
 * Pages of conversations by status and filters, with `total` and an opaque `next` cursor that stays
 * right while the lists change: a cursor is the last row's place in the order (sort key, id), not an
 * offset, so rows added or removed before it shift nothing. The order: `waiting` by SLA due time
 * (the queue's score) then id; `resolved` newest resolve first (its index's score); the small lists
 * (active, parked) and `bot`/`all` newest `updatedAt` first (`bot`'s index is scored by it).
 *
 * The queue page, a manager's resolved page and the bot page are read from their sorted sets alone
 * (ZCARD and a range from the cursor per bot account, then the rows shown): a few round trips
 * whatever the list's length. (A chat with the bot has no owner, so the bot page needs no view but
 * `mine`, which is empty.) Filters that need a conversation's fields (view, tag, agent, tier), and
 * `all`, whose indexes are scored by different times, read those fields of every candidate of the
 * indexes in one script call per bot account: round trips stay bounded, the work grows with the list.
 * SCAN is used only once per account and index, by the backfill of an index newer than the data.
 */
export class ConversationLists {
  /** "<index>|<bot account>" whose conversations from before that index are known to be in it. */
  private readonly indexed = new Set<string>();

  constructor(
    private readonly ctx: HandoffContext,
    private readonly registry: BotRegistry,
  ) {}

  async page(q: ListQuery): Promise<ListPage> {
    const n = Math.min(Math.max(q.limit, 1), MAX_LIST);
    const after = q.cursor ? decodeCursor(q.cursor, q.status) : undefined;
    const bots = await this.botsOf(q.channel);
    await Promise.all([
      q.status === 'resolved' || q.status === 'all' ? this.ensureIndexed('resolved', bots) : undefined,
      q.status === 'bot' || q.status === 'all' ? this.ensureIndexed('bot', bots) : undefined,
    ]);
    const unfiltered = !q.tag && !q.tier && !q.agent;
    const simple =
      unfiltered &&
      (q.status === 'bot' ? q.view !== 'mine' : q.view === 'all' ? q.status === 'waiting' || q.viewer.manager : q.view === 'unassigned' && q.status === 'waiting');
    if (simple && (q.status === 'waiting' || q.status === 'resolved' || q.status === 'bot')) return this.fromIndex(q.status, bots, n, after);
    return this.filtered(q, bots, n, after);
  }

  /** An unfiltered page straight from the sorted sets: ZCARD and the range after the cursor, per account. */
  private async fromIndex(status: 'waiting' | 'resolved' | 'bot', bots: string[], n: number, after: Place | undefined): Promise<ListPage> {
    const { redis, keys } = this.ctx;
    const asc = status === 'waiting';
    const per = await Promise.all(
      bots.map(async (botId) => {
        const key = asc ? keys.queue(botId) : status === 'bot' ? keys.botChats(botId) : keys.resolved(botId);
        // One pipeline (one socket write, one reply read) per account, not a command each: at 10
        // clients the console's time went to the writes and reply callbacks more than to Redis.
        const pipe = redis.pipeline().zcard(key);
        if (!after) {
          if (asc) pipe.zrange(key, '0', String(n), 'WITHSCORES');
          else pipe.zrevrange(key, 0, n, 'WITHSCORES');
        } else {
          if (asc) pipe.zrangebyscore(key, `(${after.k}`, '+inf', 'WITHSCORES', 'LIMIT', 0, n + 1);
          else pipe.zrevrangebyscore(key, `(${after.k}`, '-inf', 'WITHSCORES', 'LIMIT', 0, n + 1);
          // Rows due at the cursor's very instant (rare): those after its id still follow it.
          pipe.zrangebyscore(key, after.k, after.k, 'WITHSCORES');
        }
        const got = (await pipe.exec()) ?? [];
        for (const [err] of got) if (err) throw err;
        const total = Number(got[0]?.[1] ?? 0);
        const range = (got[1]?.[1] ?? []) as string[];
        const ties = (got[2]?.[1] ?? []) as string[];
        return { total, rows: [...pairs(range), ...pairs(ties)] };
      }),
    );
    const dir = asc ? 1 : -1;
    const rows = per
      .flatMap((p) => p.rows)
      .filter((r) => !after || comparePlace(r, after, dir) > 0)
      .sort((a, b) => comparePlace(a, b, dir));
    const shown = rows.slice(0, n);
    const items = await this.load(shown.map((r) => r.i));
    const total = per.reduce((a, p) => a + p.total, 0);
    return { items, total, next: rows.length > n ? encodeCursor(status, shown[shown.length - 1]!) : null };
  }

  /** Every candidate's few fields read, filtered and ordered here; then only the page's rows whole. */
  private async filtered(q: ListQuery, bots: string[], n: number, after: Place | undefined): Promise<ListPage> {
    const byIndex = q.status === 'waiting' || q.status === 'resolved' || q.status === 'bot';
    const dir = q.status === 'waiting' ? 1 : -1;
    const want = new Set(q.status === 'all' ? Object.values(STORED) : [STORED[q.status]]);
    const per = await Promise.all(
      bots.map(async (botId) => {
        const cands = await this.candidates(q.status, botId);
        const heads: (string | null)[][] = [];
        for (let i = 0; i < cands.length; i += CHUNK) {
          const ids = cands.slice(i, i + CHUNK).map((c) => c.i);
          heads.push(...(await readFields(this.ctx.redis, this.ctx.keys, { botId, ids, fields: HEAD_FIELDS })));
        }
        const out: Place[] = [];
        cands.forEach((c, j) => {
          const [status, assignee, tier, tags, updatedAt, createdAt] = heads[j]!;
          if (!status || !want.has(status) || !matches(q, assignee ?? '', tier ?? 'standard', tags ?? null)) return;
          out.push({ i: c.i, k: byIndex ? c.k : Number(updatedAt ?? createdAt ?? 0) });
        });
        return out;
      }),
    );
    const all = per.flat().sort((a, b) => comparePlace(a, b, dir));
    const rest = after ? all.filter((r) => comparePlace(r, after, dir) > 0) : all;
    const shown = rest.slice(0, n);
    const items = await this.load(shown.map((r) => r.i));
    return { items, total: all.length, next: rest.length > n ? encodeCursor(q.status, shown[shown.length - 1]!) : null };
  }

  /** The ids a status's list is drawn from, with their index scores (0 where the order is updatedAt's). */
  private async candidates(status: ListStatus, botId: string): Promise<Place[]> {
    const { redis, keys } = this.ctx;
    const of: Record<Exclude<ListStatus, 'all'>, string> = {
      waiting: keys.queue(botId),
      active: keys.active(botId),
      parked: keys.parked(botId),
      resolved: keys.resolved(botId),
      bot: keys.botChats(botId),
    };
    const sets = status === 'all' ? Object.values(of) : [of[status]];
    const got = await Promise.all(sets.map((key) => redis.zrange(key, '0', '-1', 'WITHSCORES')));
    const seen = new Set<string>();
    return got.flatMap(pairs).filter((p) => !seen.has(p.i) && seen.add(p.i));
  }

  /** Every conversation id of the account, by SCAN of its conversation hashes (not their transcripts). */
  private async scanConversations(botId: string): Promise<string[]> {
    const { redis, keys } = this.ctx;
    const pattern = keys.conversationPattern(botId);
    const head = pattern.slice(0, -1);
    const ids: string[] = [];
    let cursor = '0';
    do {
      const [nextCursor, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      cursor = nextCursor;
      for (const key of found) {
        const customer = key.slice(head.length);
        if (/^[A-Za-z0-9_-]{1,64}$/.test(customer)) ids.push(`${botId}.${customer}`);
      }
    } while (cursor !== '0');
    return [...new Set(ids)];
  }

  /**
   * Conversations from before an index existed put into it, once per bot account and index: the
   * first list that reads it (in any process) does it, then a marker key says it is done. The script
   * checks each status itself, so a chat that moved meanwhile is never added. Until the marker is
   * set, every process may run it; that is harmless (ZADD NX).
   */
  async ensureIndexed(index: 'resolved' | 'bot', bots: readonly string[]): Promise<void> {
    const { redis, keys } = this.ctx;
    const marker = index === 'resolved' ? keys.resolvedIndexed : keys.botChatsIndexed;
    const put = index === 'resolved' ? indexResolved : indexBotChats;
    const todo = bots.filter((b) => !this.indexed.has(`${index}|${b}`));
    if (todo.length === 0) return;
    const marks = await Promise.all(todo.map((b) => redis.exists(marker(b))));
    await Promise.all(
      todo.map(async (botId, j) => {
        if (!marks[j]) {
          const ids = await this.scanConversations(botId);
          for (let i = 0; i < ids.length; i += CHUNK) await put(redis, keys, { botId, ids: ids.slice(i, i + CHUNK) });
          await redis.set(marker(botId), String(this.ctx.now()));
        }
        this.indexed.add(`${index}|${botId}`);
      }),
    );
  }

  /** The bot accounts to list: all, or those of one channel kind. */
  private async botsOf(channel: string | undefined): Promise<string[]> {
    const bots = await this.registry.bots();
    if (!channel) return bots;
    const kinds = await Promise.all(bots.map((b) => this.registry.channel(b)));
    return bots.filter((_, i) => kinds[i]?.kind === channel);
  }

  /** The conversations of `ids` that still exist, in that order (one fields call per bot account). */
  private async load(ids: string[]): Promise<Conversation[]> {
    const byBot = new Map<string, string[]>();
    for (const id of ids) {
      const { botId } = parseConversationId(id);
      const group = byBot.get(botId);
      if (group) group.push(id);
      else byBot.set(botId, [id]);
    }
    const rows = new Map<string, Conversation>();
    await Promise.all(
      [...byBot].map(async ([botId, group]) => {
        const got = await readFields(this.ctx.redis, this.ctx.keys, { botId, ids: group, fields: CONVERSATION_FIELDS });
        got.forEach((row, j) => {
          const h: Record<string, string> = {};
          CONVERSATION_FIELDS.forEach((f, x) => {
            if (row[x] !== null && row[x] !== undefined) h[f] = row[x]!;
          });
          if (h.status) rows.set(group[j]!, toConversation(h));
        });
      }),
    );
    return ids.flatMap((id) => rows.get(id) ?? []);
  }
}

/** The view (and the viewer's visibility), agent, tier and tag filters on one conversation's fields. */
function matches(q: ListQuery, assignee: string, tier: string, tags: string | null): boolean {
  const me = q.viewer.id;
  if (q.view === 'mine' && assignee !== me) return false;
  if (q.view === 'unassigned' && assignee !== '') return false;
  if (!q.viewer.manager && assignee !== '' && assignee !== me) return false;
  if (q.agent !== undefined && assignee !== q.agent) return false;
  if (q.tier !== undefined && tier !== q.tier) return false;
  if (q.tag !== undefined && !parseTags(tags).includes(q.tag)) return false;
  return true;
}

/** `dir` 1: ascending by key then id; -1: descending by both. */
function comparePlace(a: Place, b: Place, dir: 1 | -1): number {
  if (a.k !== b.k) return (a.k - b.k) * dir;
  return a.i === b.i ? 0 : (a.i < b.i ? -1 : 1) * dir;
}

function pairs(flat: string[]): Place[] {
  const out: Place[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ i: flat[i]!, k: Number(flat[i + 1]) });
  return out;
}

/** Opaque to clients: the list it belongs to and the last row's place, base64url JSON. */
export function encodeCursor(status: ListStatus, p: Place): string {
  return Buffer.from(JSON.stringify({ s: status, k: p.k, i: p.i })).toString('base64url');
}

export function decodeCursor(raw: string, status: ListStatus): Place {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor from this API');
  }
  const c = v as { s?: unknown; k?: unknown; i?: unknown } | null;
  if (!c || typeof c.k !== 'number' || !Number.isFinite(c.k) || typeof c.i !== 'string') throw new InvalidCursorError('not a cursor from this API');
  if (c.s !== status) throw new InvalidCursorError(`belongs to the ${String(c.s)} list, not ${status}`);
  try {
    parseConversationId(c.i);
  } catch {
    throw new InvalidCursorError('not a cursor from this API');
  }
  return { k: c.k, i: c.i };
}
