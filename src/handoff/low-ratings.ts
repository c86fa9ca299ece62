/**
 * The low ratings a manager follows up: every 1-2 rating stays on this list (the bot account's
 * `flagged` zset, scored by when it was given) until someone marks it done, so the loop is closed
 * by the system and not by whoever happened to see the live toast. A new low rating of the same
 * conversation puts it back on the list (recordRating clears the done mark).
 */
import type { HandoffContext } from './context.ts';
import { iso } from './convert.ts';
import { parseConversationId } from './keys.ts';
import type { BotRegistry } from './registry.ts';
import type { ConversationStatus, HandoffReason } from './types.ts';

export type LowRatingState = 'pending' | 'done';

export interface LowRating {
  conv: string;
  botId: string;
  customer: { id: string; name: string };
  score: number;
  /** When the (latest) low rating was given. */
  at: string;
  /** What went wrong in the customer's words: their comment, else the words of the follow-up handoff. */
  comment: string | null;
  /** Who served the customer in the rated conversation. */
  agentId: string | null;
  /** The conversation now (a follow-up handoff shows as waiting / active). */
  status: ConversationStatus;
  reason: HandoffReason | null;
  state: LowRatingState;
  doneAt: string | null;
  doneBy: string | null;
}

const FIELDS = ['customerId', 'customerName', 'lowRating', 'lowRatingComment', 'lowRatingAgent', 'lowRatingDoneAt', 'lowRatingDoneBy', 'status', 'reason', 'question'] as const;

export class LowRatings {
  constructor(
    private readonly ctx: HandoffContext,
    private readonly registry: BotRegistry,
  ) {}

  /** The newest low ratings of every bot account, newest first; `state` filters pending / done. */
  async list(opts: { state?: LowRatingState; limit?: number } = {}): Promise<{ items: LowRating[]; pending: number }> {
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 500);
    const { redis, keys } = this.ctx;
    const bots = await this.registry.bots();
    // Flagged chats are few (low ratings); each account's newest 500 are read and joined.
    const pages = await Promise.all(bots.map((botId) => redis.zrevrange(keys.flagged(botId), 0, 499, 'WITHSCORES')));
    const flagged: { id: string; at: number }[] = [];
    for (const page of pages) for (let i = 0; i + 1 < page.length; i += 2) flagged.push({ id: page[i]!, at: Number(page[i + 1]) });
    flagged.sort((a, b) => b.at - a.at);
    const rows = await Promise.all(flagged.map(({ id }) => redis.hmget(keys.conversation(id), ...FIELDS)));
    const all = flagged.map(({ id, at }, i) => this.row(id, at, rows[i]!)).filter((r): r is LowRating => r !== null);
    const pending = all.filter((r) => r.state === 'pending').length;
    const items = (opts.state ? all.filter((r) => r.state === opts.state) : all).slice(0, limit);
    return { items, pending };
  }

  /** Marks a low rating followed up (done), by whom; false when the conversation has none. */
  async markDone(id: string, by: string): Promise<boolean> {
    const { redis, keys } = this.ctx;
    const { botId } = parseConversationId(id);
    if ((await redis.zscore(keys.flagged(botId), id)) === null) return false;
    await redis.hset(keys.conversation(id), 'lowRatingDoneAt', this.ctx.now(), 'lowRatingDoneBy', by);
    return true;
  }

  /** Back on the list (marked done by mistake). */
  async reopen(id: string): Promise<boolean> {
    const { redis, keys } = this.ctx;
    const { botId } = parseConversationId(id);
    if ((await redis.zscore(keys.flagged(botId), id)) === null) return false;
    await redis.hdel(keys.conversation(id), 'lowRatingDoneAt', 'lowRatingDoneBy');
    return true;
  }

  private row(id: string, at: number, v: (string | null)[]): LowRating | null {
    const [customerId, customerName, score, comment, agentId, doneAt, doneBy, status, reason, question] = v;
    if (!status || !score) return null;
    const { botId } = parseConversationId(id);
    const followUpWords = reason === 'low_rating' ? question : null;
    return {
      conv: id,
      botId,
      customer: { id: customerId ?? '', name: customerName ?? '' },
      score: Number(score),
      at: new Date(at).toISOString(),
      comment: comment || followUpWords || null,
      agentId: agentId || null,
      status: status as ConversationStatus,
      reason: (reason as HandoffReason | null) || null,
      state: doneAt ? 'done' : 'pending',
      doneAt: doneAt ? iso(doneAt) : null,
      doneBy: doneBy || null,
    };
  }
}
