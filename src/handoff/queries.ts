import { MAX_LIST, type HandoffContext } from './context.ts';
import { fieldsOf, toConversation, toEvent, toMessage } from './convert.ts';
import { fromScriptError } from './errors.ts';
import { parseConversationId } from './keys.ts';
import { fields as readFields } from './list-scripts.ts';
import type { BotRegistry } from './registry.ts';
import { checkStreamId, LAST_STREAM_ID } from './stream-id.ts';
import type { Conversation, HandoffEvent, TranscriptMessage } from './types.ts';

export interface QueueCounts {
  waiting: number;
  active: number;
  awaitingFix: number;
}

/**
 * Reads of conversations, transcripts, events and the queues, across every bot account. Nothing
 * here writes: the queue is ordered by SLA due time, which the transitions keep.
 */
export class Queries {
  constructor(
    private readonly ctx: HandoffContext,
    private readonly registry: BotRegistry,
  ) {}

  /** 1-based place among every waiting conversation of every bot account (earlier due first). */
  async positionOf(id: string, dueAt: number): Promise<number> {
    const bots = await this.registry.bots();
    const ahead = await Promise.all(bots.map((botId) => this.ctx.redis.zcount(this.ctx.keys.queue(botId), '-inf', `(${dueAt}`)));
    return ahead.reduce((a, b) => a + b, 0) + 1;
  }

  async conversation(id: string): Promise<Conversation | null> {
    const h = await this.ctx.redis.hgetall(this.ctx.keys.conversation(id));
    return h.status ? toConversation(h) : null;
  }

  /** The conversation, or HandoffError NOT_FOUND. */
  async mustGet(id: string): Promise<Conversation> {
    const c = await this.conversation(id);
    if (!c) throw fromScriptError(new Error('NOT_FOUND'), id);
    return c;
  }

  /** Transcript entries after `after` (exclusive; default from the start), oldest first. */
  async transcript(id: string, opts: { after?: string; count?: number } = {}): Promise<TranscriptMessage[]> {
    if (opts.after && checkStreamId(opts.after) === LAST_STREAM_ID) return [];
    const start = opts.after ? `(${opts.after}` : '-';
    const entries = await this.ctx.redis.xrange(this.ctx.keys.transcript(id), start, '+', 'COUNT', opts.count ?? 1000);
    return entries.map(([entryId, flat]) => toMessage(entryId, fieldsOf(flat)));
  }

  /** A bot account's events after `after` (exclusive) up to `until` (inclusive), oldest first. */
  async eventsBetween(botId: string, after: string, until = '+', count = 500): Promise<HandoffEvent[]> {
    if (checkStreamId(after, { seqOptional: true }) === LAST_STREAM_ID) return [];
    const entries = await this.ctx.redis.xrange(this.ctx.keys.events(botId), `(${after}`, until, 'COUNT', count);
    return entries.map(([id, flat]) => toEvent(botId, id, flat));
  }

  /** The most urgent waiting conversations of all bot accounts, by SLA due time. */
  async listWaiting(limit = 50): Promise<Conversation[]> {
    const n = Math.min(Math.max(limit, 1), MAX_LIST);
    const ranked: { id: string; due: number }[] = [];
    const { redis, keys } = this.ctx;
    const pages = await Promise.all((await this.registry.bots()).map((botId) => redis.zrange(keys.queue(botId), '0', String(n - 1), 'WITHSCORES')));
    for (const flat of pages) {
      for (let i = 0; i + 1 < flat.length; i += 2) ranked.push({ id: flat[i]!, due: Number(flat[i + 1]) });
    }
    ranked.sort((a, b) => a.due - b.due || (a.id < b.id ? -1 : 1));
    return this.load(ranked.slice(0, n).map((r) => r.id));
  }

  /** Conversations with an agent (optionally one agent's) or parked on a problem, newest first. */
  async list(status: 'active' | 'awaiting_fix', opts: { limit?: number; assigneeId?: string } = {}): Promise<Conversation[]> {
    const n = Math.min(Math.max(opts.limit ?? 100, 1), MAX_LIST);
    const { redis, keys } = this.ctx;
    const pages = await Promise.all(
      (await this.registry.bots()).map((botId) => redis.zrevrange(status === 'active' ? keys.active(botId) : keys.parked(botId), 0, n - 1)),
    );
    let ids = pages.flat();
    if (opts.assigneeId || ids.length > n) ids = await this.newest(ids, n, opts.assigneeId);
    // Filtered again: one may have changed hands since `newest` read it.
    const convs = (await this.load(ids)).filter((c) => !opts.assigneeId || c.assignee?.id === opts.assigneeId);
    return convs.sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1)).slice(0, n);
  }

  /**
   * The `n` of `ids` changed last (of `assigneeId`'s only, when given), decided on three fields of
   * each, so that only the conversations shown are read whole: an agent's own few among everyone's.
   */
  private async newest(ids: string[], n: number, assigneeId: string | undefined): Promise<string[]> {
    const heads = await this.fields(ids, ['status', 'assigneeId', 'updatedAt', 'createdAt']);
    return ids
      .map((id, i) => ({ id, h: heads[i]! }))
      .filter(({ h }) => h[0] !== null && (!assigneeId || h[1] === assigneeId))
      .sort((a, b) => Number(b.h[2] ?? b.h[3]) - Number(a.h[2] ?? a.h[3]))
      .slice(0, n)
      .map(({ id }) => id);
  }

  async counts(): Promise<QueueCounts> {
    const c: QueueCounts = { waiting: 0, active: 0, awaitingFix: 0 };
    const { redis, keys } = this.ctx;
    for (const botId of await this.registry.bots()) {
      const [w, a, p] = await Promise.all([redis.zcard(keys.queue(botId)), redis.zcard(keys.active(botId)), redis.zcard(keys.parked(botId))]);
      c.waiting += w;
      c.active += a;
      c.awaitingFix += p;
    }
    return c;
  }

  /**
   * Waiting conversations past their SLA due time (breached) and past the warning point but not
   * yet due (at risk). At risk is counted among the `scan` most urgent not yet due per bot account,
   * enough for a dashboard: the queue is ordered by due time, and warnings come shortly before it.
   */
  async slaCounts(scan = 500): Promise<{ atRisk: number; breached: number }> {
    const now = this.ctx.now();
    const { redis, keys } = this.ctx;
    const perBot = await Promise.all(
      (await this.registry.bots()).map(async (botId) => {
        const queue = keys.queue(botId);
        const [breached, upcoming] = await Promise.all([redis.zcount(queue, '-inf', now), redis.zrangebyscore(queue, `(${now}`, '+inf', 'LIMIT', 0, scan)]);
        const warns = await Promise.all(upcoming.map((id) => redis.hget(keys.conversation(id), 'slaWarnAt')));
        return { breached, atRisk: warns.filter((w) => w !== null && Number(w) <= now).length };
      }),
    );
    return perBot.reduce((a, b) => ({ atRisk: a.atRisk + b.atRisk, breached: a.breached + b.breached }), { atRisk: 0, breached: 0 });
  }

  /**
   * The conversations of `ids` that still exist, in that order: per bot account (its keys share a
   * slot), one fields-n.lua call that answers HMGET of the fields a Conversation shows for each, as
   * one JSON string. Not HGETALL: a page of 100 spent most of its time decoding every field of every
   * hash (history such as parkedAt or askedText too) and building the objects; and not a pipeline of
   * HMGETs, whose hundred nested replies cost the console four times the script's one.
   */
  private async load(ids: string[]): Promise<Conversation[]> {
    const rows = await this.fields(ids, CONVERSATION_FIELDS);
    const out: Conversation[] = [];
    for (const row of rows) {
      const h = asHash(CONVERSATION_FIELDS, row);
      if (h.status) out.push(toConversation(h));
    }
    return out;
  }

  /** `fields` of each conversation of `ids`, in that order (null where a field or the hash is missing). */
  private async fields(ids: readonly string[], fields: readonly string[]): Promise<(string | null)[][]> {
    const byBot = new Map<string, { ids: string[]; at: number[] }>();
    ids.forEach((id, i) => {
      const { botId } = parseConversationId(id);
      const group = byBot.get(botId);
      if (group) {
        group.ids.push(id);
        group.at.push(i);
      } else byBot.set(botId, { ids: [id], at: [i] });
    });
    const rows: (string | null)[][] = new Array(ids.length);
    await Promise.all(
      [...byBot].map(async ([botId, group]) => {
        const got = await readFields(this.ctx.redis, this.ctx.keys, { botId, ids: group.ids, fields });
        got.forEach((row, j) => (rows[group.at[j]!] = row));
      }),
    );
    return rows;
  }
}

/**
 * The hash fields `toConversation` (convert.ts) reads, and no others: what a list asks Redis for.
 * A field it starts reading must be added here, or lists would show it empty where a single
 * conversation shows it (test/handoff/list-fields.test.ts checks the two agree, field by field;
 * test/console/queue-speed.test.ts that this names every field toConversation reads).
 */
export const CONVERSATION_FIELDS = [
  'id',
  'botId',
  'status',
  'customerId',
  'customerName',
  'tier',
  'assigneeId',
  'assigneeName',
  'reason',
  'question',
  'slaDueAt',
  'slaWarnAt',
  'waitingSince',
  'firstResponseAt',
  'problemId',
  'resolvedBy',
  'createdAt',
  'updatedAt',
  'tags',
  'unread',
  'preview',
] as const;

/** HMGET's answer as the hash HGETALL would give for those fields (a missing field is absent). */
function asHash(fields: readonly string[], row: readonly (string | null)[]): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i < fields.length; i++) {
    const v = row[i];
    if (v !== null && v !== undefined) h[fields[i]!] = v;
  }
  return h;
}
