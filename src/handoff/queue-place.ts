/**
 * Where a handoff puts the customer: both tiers' SLA times (the queue script takes the customer's
 * tier's), the place across every bot account's queue, and what the bot tells the customer.
 */
import type { HandoffContext } from './context.ts';
import type { BotRegistry } from './registry.ts';
import type * as lua from './scripts.ts';
import { queueNotice, slaTimes, type QueueNotice, type SlaTimes } from './sla.ts';
import type { ConversationStatus, CustomerRef, HandoffReason, Tier } from './types.ts';

export interface QueueTicket {
  status: ConversationStatus;
  /** false when the conversation was already waiting or with an agent (nothing changed). */
  queued: boolean;
  /** 1 = next; across every bot account sharing the agents. */
  position: number;
  slaDueAt: string | null;
  /** What the bot needs to tell the customer where they stand. */
  notice: QueueNotice | null;
}

/** Both tiers' SLA times from `now` (the script takes the customer's tier's) and the tier by rule. */
type BothTiers = lua.HandoffTimes & { standard: SlaTimes; vip: SlaTimes };

/**
 * The queue scripts put a tie at most this long after its due time (their first-come rule: 1 ms
 * after the last one queued within a minute of it).
 */
const TIE_SPAN_MS = 60_001;
/**
 * Due times read from another account's queue within that span (a weekend's ties are many): with
 * fewer, the place is known for any tie; with more, that account is asked again once it is known.
 */
const TIES_READ = 100;

export class QueuePlace {
  constructor(
    private readonly ctx: HandoffContext,
    private readonly registry: BotRegistry,
    private readonly tierRule?: (ref: CustomerRef) => Tier | undefined,
  ) {}

  /** What the bot tells the customer: the place across every bot account's queue, and when to expect a reply. */
  async ticket(now: number, q: lua.Queued, times: BothTiers, othersAhead: (dueAt: number) => Promise<number>): Promise<QueueTicket> {
    const slaDueAt = q.slaDueAt === null ? null : new Date(q.slaDueAt).toISOString();
    if (q.status !== 'waiting') return { status: q.status, queued: false, position: 0, slaDueAt, notice: null };
    const dueAt = q.slaDueAt ?? 0;
    const position = q.ahead + (await othersAhead(dueAt)) + 1;
    const tierTimes = times[q.tier];
    const ticketTimes = q.changed ? tierTimes : { ...tierTimes, dueAt, startedAt: now };
    return { status: q.status, queued: q.changed, position, slaDueAt, notice: queueNotice(now, position, ticketTimes, this.ctx.policy.hours) };
  }

  /**
   * The tier is a manager's decision (read by the script) or the rule's: both tiers' times, computed
   * here. A low-rating follow-up or a complaint is due as a VIP's whatever the tier: an unhappy
   * customer goes to the front of the queue, not behind everyone who asked since.
   */
  bothTiers(ref: CustomerRef, now: number, reason?: HandoffReason): BothTiers {
    const { policy } = this.ctx;
    const vip = slaTimes(now, 'vip', policy);
    return { ruleTier: this.tierRule?.(ref) ?? 'standard', standard: reason === 'low_rating' || reason === 'complaint' ? vip : slaTimes(now, 'standard', policy), vip };
  }

  /**
   * The waiting conversations of the other bot accounts due before this one, asked while the
   * queue script runs (another account's queue is in another slot of a Cluster: no script can
   * read it with this one). The due time is not known yet (the tier and a tie decide it), so each
   * account is asked, for either tier's due time, how many are due before it and when those in
   * the span a tie may add are due. Asked again, exactly, once the due time is known: an account
   * with more than TIES_READ in that span, any account when the conversation was waiting already
   * (its own due time), and an account that appeared meanwhile (the registry's list is read in
   * the same round trip; the one asked is this process's last).
   */
  othersAhead(botId: string, times: BothTiers): (dueAt: number) => Promise<number> {
    const { redis, keys } = this.ctx;
    const dues = [...new Set([times.standard.dueAt, times.vip.dueAt])];
    const fresh = this.registry.bots().catch(() => undefined);
    const asked = new Map<string, Promise<[below: number, ties: string[]][] | undefined>>();
    for (const b of this.registry.knownBots() ?? []) {
      if (b === botId) continue;
      const q = keys.queue(b);
      const counts = Promise.all(
        dues.map((d) => Promise.all([redis.zcount(q, '-inf', `(${d}`), redis.zrangebyscore(q, d, d + TIE_SPAN_MS, 'WITHSCORES', 'LIMIT', 0, TIES_READ)])),
      );
      // Not awaited when the script fails or the conversation is not waiting: never an unhandled rejection.
      asked.set(b, counts.catch(() => undefined));
    }
    return async (dueAt) => {
      const bots = (await fresh) ?? (await this.registry.bots());
      let ahead = 0;
      const again: string[] = [];
      for (const b of bots) {
        if (b === botId) continue;
        const counts = await asked.get(b);
        // The candidate whose span holds the due time, with every due time in that span read.
        const j = dues.findIndex((d, i) => d <= dueAt && dueAt <= d + TIE_SPAN_MS && counts?.[i] && counts[i][1].length < 2 * TIES_READ);
        if (j < 0 || !counts) {
          again.push(b);
          continue;
        }
        const [below, ties] = counts[j]!;
        ahead += below;
        for (let i = 1; i < ties.length; i += 2) if (Number(ties[i]) < dueAt) ahead++;
      }
      const exact = await Promise.all(again.map((b) => redis.zcount(keys.queue(b), '-inf', `(${dueAt}`)));
      return exact.reduce((a, n) => a + n, ahead);
    };
  }

  /** A manager's decision first, then the rule, then standard. */
  async tierOf(ref: CustomerRef): Promise<Tier> {
    const set = await this.ctx.redis.hget(this.ctx.keys.customer(ref.botId, ref.customerId), 'tier');
    if (set === 'vip' || set === 'standard') return set;
    return this.tierRule?.(ref) ?? 'standard';
  }
}
