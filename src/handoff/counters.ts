import type { ChainableCommander } from 'ioredis';
import { DAY_TTL_S, MAX_LIST, type HandoffContext } from './context.ts';
import { fieldsOf, iso, parseTags } from './convert.ts';
import { conversationId, parseConversationId } from './keys.ts';
import type { BotRegistry } from './registry.ts';
import { openGaps, type RawGap } from './gaps.ts';
import { businessMinutesBetween } from './sla.ts';
import { firstResponseFields, resolutionFields } from './service-fields.ts';
import type { CustomerRef, KnowledgeGap } from './types.ts';

/** A customer's rating as reports read it. */
export interface Rating {
  conv: string;
  botId: string;
  score: number;
  agentId: string | null;
  tags: string[];
  faqId: string | null;
  at: string;
}

const DAY_MS = 24 * 3600_000;

/**
 * The funnel's counters (per business day and all time, per bot account), customers' ratings and
 * the questions the FAQ missed. The Lua scripts count what must count exactly once with their
 * transition (conversations, outcomes, resolves); the rest is counted here, after the fact.
 */
export class Counters {
  constructor(
    private readonly ctx: HandoffContext,
    private readonly registry: BotRegistry,
  ) {}

  /** Adds `fields` to the bot account's counters of the day of `now` and of all time (in `tx`). */
  count(tx: ChainableCommander, botId: string, now: number, fields: Record<string, number>): void {
    const { keys } = this.ctx;
    const day = keys.day(botId, this.ctx.dayOf(now));
    for (const key of [day, keys.totals(botId)]) for (const [field, n] of Object.entries(fields)) tx.hincrby(key, field, n);
    tx.expire(day, DAY_TTL_S);
  }

  /** Counts `fields` now, in a transaction of their own. */
  async add(botId: string, now: number, fields: Record<string, number>): Promise<void> {
    const tx = this.ctx.redis.multi();
    this.count(tx, botId, now, fields);
    await tx.exec();
  }

  /**
   * The funnel's first-response time (in business minutes) and SLA met, counted once per handoff;
   * with the agent who answered, the managers' figures too (per agent, and the minutes' histogram
   * medians are read from: day hash only, see service-fields.ts).
   */
  async countFirstResponse(id: string, botId: string, now: number, agentId?: string): Promise<void> {
    const [since, due] = await this.ctx.redis.hmget(this.ctx.keys.conversation(id), 'waitingSince', 'slaDueAt');
    if (!since) return;
    const minutes = Math.round(businessMinutesBetween(Number(since), now, this.ctx.policy.hours));
    const met = due && now <= Number(due) ? 1 : 0;
    const tx = this.ctx.redis.multi();
    this.count(tx, botId, now, { 'fr:count': 1, 'fr:minutes': minutes, ...(met ? { 'fr:met': 1 } : {}) });
    this.countDay(tx, botId, now, firstResponseFields(minutes, met, agentId));
    await tx.exec();
  }

  /**
   * A resolve that changed the conversation (not a retry): its time from the handoff in business
   * minutes, and who closed it (an agent's "handled"); day hash only. Counted after the script, as
   * the first response is: a crash in between loses one sample, never counts one twice.
   */
  async countResolution(id: string, botId: string, now: number, by: string): Promise<void> {
    const [since] = await this.ctx.redis.hmget(this.ctx.keys.conversation(id), 'waitingSince');
    const minutes = since ? Math.round(businessMinutesBetween(Number(since), now, this.ctx.policy.hours)) : null;
    const fields = resolutionFields(minutes, by === 'system' ? undefined : by);
    if (Object.keys(fields).length === 0) return;
    const tx = this.ctx.redis.multi();
    this.countDay(tx, botId, now, fields);
    await tx.exec();
  }

  /** Adds `fields` to the bot account's counters of the day of `now` only (not all time). */
  private countDay(tx: ChainableCommander, botId: string, now: number, fields: Record<string, number>): void {
    const day = this.ctx.keys.day(botId, this.ctx.dayOf(now));
    for (const [field, n] of Object.entries(fields)) tx.hincrby(day, field, n);
    tx.expire(day, DAY_TTL_S);
  }

  /**
   * A customer's 1-5 rating after a resolve, kept with who served them and what it was about (the
   * conversation's tags and the last FAQ entry the bot answered with) for satisfaction by category
   * and channel. A 1 or 2 flags the conversation for a manager (and is announced live).
   */
  async recordRating(ref: CustomerRef, score: number): Promise<Rating> {
    if (!Number.isInteger(score) || score < 1 || score > 5) throw new RangeError(`a rating is 1-5, not ${score}`);
    const id = conversationId(ref.botId, ref.customerId);
    const { redis, keys: k, maxLen } = this.ctx;
    const now = this.ctx.now();
    const [conv, recent] = await Promise.all([redis.hmget(k.conversation(id), 'resolvedBy', 'tags'), redis.xrevrange(k.transcript(id), '+', '-', 'COUNT', 200)]);
    const [agentId, tags] = conv;
    const faqId = recent.map(([, flat]) => fieldsOf(flat)).find((f) => f.from === 'bot' && f.faqId)?.faqId ?? '';
    const tx = redis.multi();
    tx.xadd(k.ratings(ref.botId), 'MAXLEN', '~', maxLen, '*', 'conv', id, 'score', score, 'agentId', agentId ?? '', 'tags', tags ?? '[]', 'faqId', faqId, 'at', now);
    this.count(tx, ref.botId, now, { 'csat:count': 1, 'csat:sum': score, [`csat:${score}`]: 1 });
    if (score <= 2) {
      // On the managers' 差评待跟进 list (low-ratings.ts) until marked done; a new one reopens it.
      tx.hset(k.conversation(id), 'lowRating', score, 'lowRatingAgent', agentId ?? '');
      tx.hdel(k.conversation(id), 'lowRatingDoneAt', 'lowRatingDoneBy', 'lowRatingComment');
      tx.zadd(k.flagged(ref.botId), now, id);
      tx.xadd(k.events(ref.botId), 'MAXLEN', '~', maxLen, '*', 'type', 'low_rating', 'conv', id, 'score', score, 'at', now);
    }
    await tx.exec();
    return { conv: id, botId: ref.botId, score, agentId: agentId || null, tags: parseTags(tags), faqId: faqId || null, at: iso(String(now))! };
  }

  /**
   * The customer's reason after a 1-2 rating: kept on the conversation (`lowRatingComment`, the
   * latest wins) for the manager who follows the flagged chats up, and announced live.
   */
  async recordRatingComment(ref: CustomerRef, text: string): Promise<void> {
    const id = conversationId(ref.botId, ref.customerId);
    const { redis, keys: k, maxLen } = this.ctx;
    const now = this.ctx.now();
    const comment = text.trim().slice(0, 500);
    if (!comment) return;
    const tx = redis.multi();
    tx.hset(k.conversation(id), 'lowRatingComment', comment);
    tx.xadd(k.events(ref.botId), 'MAXLEN', '~', maxLen, '*', 'type', 'rating_comment', 'conv', id, 'at', now);
    await tx.exec();
  }

  /** Ratings of every bot account in [fromMs, toMs), oldest first. */
  async ratings(fromMs: number, toMs: number): Promise<Rating[]> {
    const pages = await Promise.all(
      (await this.registry.bots()).map(async (botId) => {
        // Entry ids are Redis's clock, `at` is the handoff's (the same in production, not under a
        // test clock): read from a day before the range and keep by `at`. Ratings are few.
        const entries = await this.ctx.redis.xrange(this.ctx.keys.ratings(botId), String(Math.max(0, Math.floor(fromMs) - DAY_MS)), '+');
        return entries
          .map(([, flat]) => fieldsOf(flat))
          .filter((f) => Number(f.at) >= fromMs && Number(f.at) < toMs)
          .map((f): Rating => ({ conv: f.conv ?? '', botId, score: Number(f.score), agentId: f.agentId || null, tags: parseTags(f.tags), faqId: f.faqId || null, at: iso(f.at) ?? '' }));
      }),
    );
    return pages.flat().sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  /**
   * One conversation's ratings still in the bot account's ratings stream, oldest first, with their
   * entry ids (the archive's copies have the same ids). The stream has no index by conversation:
   * the newest `scan` entries are read (older ones are in the archive, or trimmed).
   */
  async conversationRatings(id: string, scan = 10_000): Promise<{ id: string; score: number; agentId: string | null; at: string }[]> {
    const { botId } = parseConversationId(id);
    const entries = await this.ctx.redis.xrevrange(this.ctx.keys.ratings(botId), '+', '-', 'COUNT', scan);
    return entries
      .map(([entryId, flat]) => ({ entryId, f: fieldsOf(flat) }))
      .filter(({ f }) => f.conv === id)
      .map(({ entryId, f }) => ({ id: entryId, score: Number(f.score), agentId: f.agentId || null, at: iso(f.at) ?? '' }))
      .reverse();
  }

  /** The all-time counters, summed over every bot account (conversations, out:*, handoff:*, csat:*). */
  async totals(): Promise<Record<string, number>> {
    return this.sum((botId) => this.ctx.keys.totals(botId));
  }

  /** One business day's counters per bot account (the funnel), 'YYYY-MM-DD'. */
  async dayCounters(date: string): Promise<Record<string, Record<string, number>>> {
    const bots = await this.registry.bots();
    const all = await Promise.all(bots.map((botId) => this.ctx.redis.hgetall(this.ctx.keys.day(botId, date))));
    return Object.fromEntries(bots.map((botId, i) => [botId, Object.fromEntries(Object.entries(all[i]!).map(([f, n]) => [f, Number(n)]))]));
  }

  /** How often the bot answered with each FAQ entry, over every bot account. */
  async faqHits(): Promise<Record<string, number>> {
    return this.sum((botId) => this.ctx.keys.faqHits(botId));
  }

  /** The newest questions the FAQ did not answer (or whose answer did not help), over every bot account. */
  async knowledgeGaps(limit = 100): Promise<KnowledgeGap[]> {
    const n = Math.min(Math.max(limit, 1), MAX_LIST);
    const bots = await this.registry.bots();
    const pages = await Promise.all(bots.map((botId) => this.ctx.redis.xrevrange(this.ctx.keys.gaps(botId), '+', '-', 'COUNT', n)));
    const rows = pages.flat().map(([id, flat]): RawGap => {
      const f = fieldsOf(flat);
      return { id, conv: f.conv ?? '', reason: f.reason ?? '', text: f.text ?? '', faqId: f.faqId || null, at: Number(f.at) || 0 };
    });
    return openGaps(rows).slice(0, n);
  }

  /** A hash of every bot account summed field by field. */
  private async sum(key: (botId: string) => string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const all = await Promise.all((await this.registry.bots()).map((botId) => this.ctx.redis.hgetall(key(botId))));
    for (const h of all) for (const [field, n] of Object.entries(h)) out[field] = (out[field] ?? 0) + Number(n);
    return out;
  }
}
