import type { Cluster, Redis } from 'ioredis';
import { iso } from './convert.ts';
import { HandoffError } from './errors.ts';
import { parseConversationId, type Keys } from './keys.ts';
import { outcomeLineId } from './outbound.ts';
import { notifyFix, problemFix } from './scripts.ts';
import type { Agent, Conversation } from './types.ts';

export type ProblemStatus = 'open' | 'fixed';

/** A known problem: customers who hit it wait, parked, until it is fixed, then all hear about it. */
export interface Problem {
  id: string;
  /** The team's name for it (may be technical: "P0 iOS 17 encoder crash"). */
  title: string;
  /** What customers are told it is ("iPhone 上录屏黑屏"); '' = the title is said. */
  publicTitle: string;
  description: string;
  status: ProblemStatus;
  createdAt: string;
  createdBy: Agent | null;
  fixedAt: string | null;
  fixedBy: Agent | null;
  note: string | null;
  /** Conversations linked to it. */
  linked: number;
}

export interface ProblemsOptions {
  now?: () => number;
  streamMaxLen?: number;
}

/** What known problems need of the conversations: read one, park one (the handoff provides both). */
export interface ProblemsDeps {
  keys: Keys;
  conversation(id: string): Promise<Conversation | null>;
  park(id: string, opts: { problemId: string; by: string }): Promise<Conversation>;
}

/**
 * Known problems and the closed loop (all in Redis): link a conversation (it is parked out of the
 * SLA queue), mark the problem fixed (every linked customer is told once, through the bot account
 * that serves them). A problem's own keys share the `{problems}` slot; each notice runs on the
 * conversation's bot slot, guarded so that repeating `fixed` (after a crash, or twice by hand)
 * never tells anyone twice.
 */
export class Problems {
  private readonly now: () => number;
  private readonly maxLen: number;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly conversations: ProblemsDeps,
    opts: ProblemsOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.maxLen = opts.streamMaxLen ?? 100_000;
  }

  private get keys(): Keys {
    return this.conversations.keys;
  }

  async create(input: { title: string; publicTitle?: string; description?: string; by: Agent }): Promise<Problem> {
    const n = await this.redis.incr(this.keys.problemSeq());
    const id = `P${n}`;
    const now = this.now();
    const tx = this.redis.multi();
    tx.hset(this.keys.problem(id), 'id', id, 'title', input.title, 'publicTitle', input.publicTitle ?? '', 'description', input.description ?? '', 'status', 'open', 'createdAt', now, 'createdById', input.by.id, 'createdByName', input.by.name);
    tx.zadd(this.keys.problems(), now, id);
    await tx.exec();
    return (await this.get(id))!;
  }

  /**
   * Renames an open problem (the team's title, what customers are told, the description). A fixed
   * one is final: its customers were told with the words it had (ILLEGAL_TRANSITION).
   */
  async update(id: string, patch: { title?: string; publicTitle?: string; description?: string }): Promise<Problem> {
    const status = await this.redis.hget(this.keys.problem(id), 'status');
    if (!status) throw new HandoffError('NOT_FOUND', `problem ${id} not found`);
    if (status !== 'open') throw new HandoffError('ILLEGAL_TRANSITION', `problem ${id} is ${status}: its customers were told already`, { from: status, to: 'open' });
    const fields = Object.entries(patch).filter((e): e is [string, string] => typeof e[1] === 'string');
    if (fields.length > 0) await this.redis.hset(this.keys.problem(id), Object.fromEntries(fields));
    return (await this.get(id))!;
  }

  async get(id: string): Promise<Problem | null> {
    const [h, linked] = await Promise.all([this.redis.hgetall(this.keys.problem(id)), this.redis.scard(this.keys.problemConvs(id))]);
    return h.status ? toProblem(h, linked) : null;
  }

  /** Newest first; `status` filters. */
  async list(opts: { status?: ProblemStatus; limit?: number } = {}): Promise<Problem[]> {
    const ids = await this.redis.zrevrange(this.keys.problems(), 0, Math.min(Math.max(opts.limit ?? 200, 1), 1000) - 1);
    const all = await Promise.all(ids.map((id) => this.get(id)));
    return all.filter((p): p is Problem => p !== null && (!opts.status || p.status === opts.status));
  }

  /**
   * The conversations linked to a problem, whether each customer's fix notice was sent (`notified`:
   * handed to the bot) and what became of it: `delivered` (the bot recorded it said), `failed` (the
   * channel refused it for good, or the bot gave up: a closed 48 h window, an unreachable
   * customer) or `pending` (not yet either: the bot is away, or still retrying). Told by the
   * transcript lines the bot leaves (outcomeLineId, bot/deliver.ts).
   */
  async linked(id: string): Promise<LinkedConversation[]> {
    const convs = (await this.redis.smembers(this.keys.problemConvs(id))).sort();
    const rows = await Promise.all(
      convs.map(async (conv): Promise<LinkedConversation | null> => {
        const { botId } = parseConversationId(conv);
        const notice = fixNoticeId(id, conv);
        const [conversation, notified, [said, failed]] = await Promise.all([
          this.conversations.conversation(conv),
          this.redis.sismember(this.keys.fixNotices(botId), `${id}|${conv}`),
          this.redis.hmget(this.keys.msgIds(conv), outcomeLineId.said(notice), outcomeLineId.failed(notice)),
        ]);
        if (!conversation) return null;
        const delivery = notified !== 1 ? null : said ? 'delivered' : failed ? 'failed' : 'pending';
        return { conversation, notified: notified === 1, delivery };
      }),
    );
    return rows.filter((r): r is LinkedConversation => r !== null);
  }

  /**
   * Links the conversation to an open problem and parks it (waiting|active -> awaiting_fix, out of
   * the SLA queue). A fixed problem takes no more links (ILLEGAL_TRANSITION).
   */
  async link(convId: string, problemId: string, by: Agent): Promise<Conversation> {
    const status = await this.redis.hget(this.keys.problem(problemId), 'status');
    if (!status) throw new HandoffError('NOT_FOUND', `problem ${problemId} not found`);
    if (status !== 'open') throw new HandoffError('ILLEGAL_TRANSITION', `problem ${problemId} is ${status}: link the conversation to an open one`, { from: status, to: 'linked' });
    // Linked first: a park that fails is undone; a crash between the two leaves a link that a
    // fix would notify, which is what the customer asked for anyway.
    const added = await this.redis.sadd(this.keys.problemConvs(problemId), convId);
    try {
      return await this.conversations.park(convId, { problemId, by: by.id });
    } catch (err) {
      if (added) await this.redis.srem(this.keys.problemConvs(problemId), convId);
      throw err;
    }
  }

  /**
   * Marks the problem fixed (the first call's note stands) and tells every linked customer once.
   * Safe to repeat: it finishes notices a crash left unsent and sends nothing twice.
   * @returns the problem and how many linked customers have been told (now or before)
   */
  async fixed(id: string, input: { note: string; by: Agent }): Promise<{ problem: Problem; notified: number; sentNow: number }> {
    const { title, note } = await problemFix(this.redis, this.keys, { problemId: id, now: this.now(), note: input.note, byId: input.by.id, byName: input.by.name }).catch(
      (err: unknown) => {
        if (err instanceof Error && /NOT_FOUND/.test(err.message)) throw new HandoffError('NOT_FOUND', `problem ${id} not found`);
        throw err;
      },
    );
    // Customers hear the words chosen for them, when there are some.
    const said = (await this.redis.hget(this.keys.problem(id), 'publicTitle')) || title;
    const convs = await this.redis.smembers(this.keys.problemConvs(id));
    let sentNow = 0;
    // A few at a time: a problem may have thousands of customers behind it.
    for (let i = 0; i < convs.length; i += 50) {
      const batch = convs.slice(i, i + 50);
      const sent = await Promise.all(batch.map((conv) => this.notify(id, conv, said, note)));
      sentNow += sent.filter(Boolean).length;
    }
    const rows = await this.linked(id);
    return { problem: (await this.get(id))!, notified: rows.filter((r) => r.notified).length, sentNow };
  }

  private async notify(problemId: string, conv: string, title: string, note: string): Promise<boolean> {
    return notifyFix(this.redis, this.keys, {
      conv,
      problemId,
      now: this.now(),
      // The message id is the notice's own: the bot's delivered-id dedupe backs the notices set.
      msgId: fixNoticeId(problemId, conv),
      title,
      note,
      eventsMaxLen: this.maxLen,
      outboundMaxLen: this.maxLen,
    });
  }
}

/** A fix notice's outbound message id: one per problem and conversation. */
const fixNoticeId = (problemId: string, conv: string): string => `fix-${problemId}-${conv}`;

export interface LinkedConversation {
  conversation: Conversation;
  notified: boolean;
  /** What became of the fix notice (null before it was sent). */
  delivery: 'pending' | 'delivered' | 'failed' | null;
}

function toProblem(h: Record<string, string>, linked: number): Problem {
  return {
    id: h.id!,
    title: h.title ?? '',
    publicTitle: h.publicTitle ?? '',
    description: h.description ?? '',
    status: h.status === 'fixed' ? 'fixed' : 'open',
    createdAt: iso(h.createdAt)!,
    createdBy: h.createdById ? { id: h.createdById, name: h.createdByName ?? h.createdById } : null,
    fixedAt: iso(h.fixedAt),
    fixedBy: h.fixedById ? { id: h.fixedById, name: h.fixedByName ?? h.fixedById } : null,
    note: h.status === 'fixed' ? (h.note ?? '') : null,
    linked,
  };
}

