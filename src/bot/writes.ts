/**
 * The bot's Redis writes, described as data so that they can be journaled (./journal.ts) and
 * redone by a later process.
 *
 * Redis never stands between a customer and an FAQ answer: when the connection is not ready (or a
 * call takes longer than `waitMs`), writes go on a per-customer chain that the ioredis offline
 * queue completes, in order, once Redis is back. Those writes live in this process's memory; the
 * journal keeps each one on disk from before it is issued until Redis confirms it, and `replay`
 * issues what an earlier process left, in order, before the bot takes new messages.
 *
 * Redoing a write must change nothing when the first attempt took effect after all (Redis ran it,
 * the process died before the reply). Every kind is safe to redo:
 * - turn: the customer's message with the bot's replies (or its handoff); the append script
 *   ignores a WeChat msgId it has recorded (the replies and the handoff are skipped with it);
 * - message: a bot or system line; each gets a msgId of its own when it is journaled, so the
 *   append script ignores it the second time;
 * - handoff: the queue script changes nothing for a chat already waiting or with an agent;
 * - withdraw: closes only a waiting chat; the customer's own close, redone, is answered as done;
 * - escalate: changes a waiting chat only when it makes it due sooner, so redoing it changes nothing;
 * - rating: not deduplicated by Redis, so replay first looks for the same score from the same
 *   conversation in the ratings written since the entry was journaled.
 */
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  conversationId,
  HANDOFF_REASONS,
  isReady,
  STATUSES,
  TURN_OUTCOMES,
  type ConversationStatus,
  type CustomerRef,
  type Handoff,
  type HandoffReason,
  type NewMessage,
  type TurnOutcome,
} from '../handoff/index.ts';
import type { CustomerHandle } from '../channels/types.ts';
import type { Journal, JournalEntry } from './journal.ts';

export type WriteOp =
  | {
      kind: 'turn';
      msg: NewMessage;
      replies: NewMessage[];
      decidedFor?: ConversationStatus;
      outcome?: TurnOutcome;
      /** A handoff decided with the message: queued in the same step when the decision stands. */
      handoff?: { reason: HandoffReason; question?: string };
    }
  | { kind: 'message'; msg: NewMessage }
  | { kind: 'rating'; score: number }
  | { kind: 'rating_comment'; text: string }
  | { kind: 'handoff'; reason: HandoffReason; question?: string }
  | { kind: 'withdraw' }
  | { kind: 'escalate' };

type H = Handoff;
export interface WriteResults {
  turn: Awaited<ReturnType<H['recordTurn']>>;
  message: Awaited<ReturnType<H['recordMessage']>>;
  rating: Awaited<ReturnType<H['recordRating']>>;
  rating_comment: Awaited<ReturnType<H['recordRatingComment']>>;
  handoff: Awaited<ReturnType<H['requestHuman']>>;
  withdraw: Awaited<ReturnType<H['withdraw']>>;
  escalate: Awaited<ReturnType<H['escalate']>>;
}

/** One customer's write chain (the runtime keeps one per customer of the channel account). */
export interface WriteChain {
  customer: CustomerHandle;
  ref?: Promise<CustomerRef>;
  /** The resolved `ref`, once known. */
  refValue?: CustomerRef;
  /** Writes waiting for the identity or for earlier such writes, in order. */
  writes: Promise<unknown>;
  /** How many writes are on that chain and not yet issued. */
  chained: number;
}

export interface WriterOptions {
  botId: string;
  handoff: Handoff;
  /** The client `handoff` uses: its readiness decides whether to wait for Redis. */
  redis: Redis | Cluster;
  /** The customer of a journal snapshot (the channel adapter's `restore`). */
  restore(snapshot: Record<string, unknown>): CustomerHandle;
  /** How long to wait for a write before going on without it. */
  waitMs: number;
  journal?: Journal;
  logger?: Logger;
}

const message = z.object({
  from: z.enum(['customer', 'bot', 'agent', 'system', 'note']),
  text: z.string(),
  faqId: z.string().optional(),
  confidence: z.number().optional(),
  kind: z.string().optional(),
  url: z.string().optional(),
  msgId: z.string().optional(),
  agentId: z.string().optional(),
  agentName: z.string().optional(),
});
const opSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('turn'),
    msg: message,
    replies: z.array(message),
    decidedFor: z.enum(STATUSES).optional(),
    outcome: z
      .object({ type: z.enum(TURN_OUTCOMES), faqId: z.string().optional(), score: z.number().optional(), question: z.string().optional() })
      .optional(),
    handoff: z.object({ reason: z.enum(HANDOFF_REASONS), question: z.string().optional() }).optional(),
  }),
  z.object({ kind: z.literal('message'), msg: message }),
  z.object({ kind: z.literal('rating'), score: z.number().int().min(1).max(5) }),
  z.object({ kind: z.literal('rating_comment'), text: z.string().max(2000) }),
  z.object({ kind: z.literal('handoff'), reason: z.enum(HANDOFF_REASONS), question: z.string().optional() }),
  z.object({ kind: z.literal('withdraw') }),
  z.object({ kind: z.literal('escalate') }),
]);
/** The channel's snapshot of a customer (a Wechaty contact's profile, a WeCom external_userid…). */
const snapshotSchema = z.record(z.string(), z.unknown());
const refSchema = z.object({ botId: z.string(), customerId: z.string(), customerName: z.string().optional() });
/** A journal entry's data: the write, and whom it is for (the customer id, or the channel's snapshot when it was not known yet). */
const recordSchema = z.object({ op: opSchema, ref: refSchema.optional(), contact: snapshotSchema.optional() });
/** A msgId for a line the bot writes itself, so that redoing the write is recognised. */
export const ownMsgId = (): string => `b:${randomUUID()}`;

/** How far back replay looks for a rating already recorded (clocks of bot and Redis may differ a little). */
const RATING_SKEW_MS = 60_000;

/** `p`'s value, or undefined when it fails or takes longer than `ms` (it goes on regardless). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

export class BotWriter {
  private readonly log?: Logger;

  constructor(private readonly o: WriterOptions) {
    this.log = o.logger;
  }

  /**
   * Runs a write after this customer's earlier ones. Waits for it only while Redis is ready, and
   * at most `waitMs`: the result, or undefined when the bot went on without it.
   */
  write<K extends WriteOp['kind']>(st: WriteChain, op: Extract<WriteOp, { kind: K }>, wait = true): Promise<WriteResults[K] | undefined> {
    const any = op as WriteOp;
    if (any.kind === 'message') any.msg.msgId ??= ownMsgId();
    const ready = isReady(this.o.redis);
    const jid = this.o.journal?.append(st.refValue ? { op, ref: st.refValue } : { op, contact: st.customer.snapshot() });
    let run: Promise<WriteResults[K]>;
    if (st.refValue && st.chained === 0) {
      // Issued at once: one connection runs commands in the order they were sent (and all of a
      // conversation's keys share a slot, so a Cluster sends them down one connection too).
      run = this.apply(op, st.refValue);
    } else {
      st.chained++;
      run = st.writes.then(async () => {
        try {
          return await this.apply(op, await this.refOf(st));
        } finally {
          st.chained--;
        }
      });
      st.writes = run.catch(() => undefined);
    }
    run.then(
      () => jid !== undefined && this.o.journal?.done(jid),
      // Redis answered with an error: the entry stays in the journal and the next start tries again.
      (err: unknown) => this.log?.warn({ err, kind: op.kind }, 'redis write failed; kept in the journal'),
    );
    return ready && wait ? within(run, this.o.waitMs) : Promise.resolve(undefined);
  }

  refOf(st: WriteChain): Promise<CustomerRef> {
    if (!st.ref) {
      const ref = st.customer.resolve().then((customerId) => {
        const value: CustomerRef = { botId: this.o.botId, customerId, customerName: st.customer.name() };
        st.refValue = value;
        return value;
      });
      ref.catch(() => (st.ref = undefined));
      st.ref = ref;
    }
    return st.ref;
  }

  /**
   * Issues, in journal order, every write an earlier process left unconfirmed; resolves once all
   * are issued (Redis confirms them later, as with live writes). Entries for a customer whose id
   * was not known yet wait for the identity (Redis): the bot must not meet that customer's next
   * message before their earlier ones.
   */
  async replay(): Promise<void> {
    const journal = this.o.journal;
    if (!journal || journal.recovered.length === 0) return;
    this.log?.info({ entries: journal.recovered.length, file: journal.file }, 'replaying writes Redis had not confirmed');
    const byCustomer = new Map<string, CustomerRef>();
    for (const e of journal.recovered) {
      const parsed = recordSchema.safeParse(e.data);
      if (!parsed.success || (!parsed.data.ref && !parsed.data.contact)) {
        journal.reject(e.id, `unreadable entry: ${parsed.error?.issues[0]?.message ?? 'no customer'}`);
        continue;
      }
      const { op, contact } = parsed.data;
      let ref = parsed.data.ref;
      if (!ref && contact) {
        const customer = this.o.restore(contact);
        ref = byCustomer.get(customer.key);
        if (!ref) {
          try {
            ref = { botId: this.o.botId, customerId: await customer.resolve(), customerName: customer.name() };
          } catch (err) {
            // Kept for the next start (this customer's later entries fail the same way, so their order holds).
            this.log?.warn({ err, id: e.id }, 'could not identify the customer of a journal entry; kept for the next start');
            continue;
          }
          byCustomer.set(customer.key, ref);
        }
      }
      let run: Promise<unknown>;
      try {
        // A rating is looked up first (awaited: later entries keep their order behind it).
        run = op.kind === 'rating' && (await this.ratingRecorded(e, op.score, ref!)) ? Promise.resolve() : this.apply(op as WriteOp, ref!);
      } catch (err) {
        run = Promise.reject(err as Error);
      }
      run.then(
        () => journal.done(e.id),
        (err: unknown) => journal.reject(e.id, err instanceof Error ? err.message : String(err)),
      );
    }
  }

  /** True when the ratings since the entry was journaled hold this score from this conversation. */
  private async ratingRecorded(e: JournalEntry, score: number, ref: CustomerRef): Promise<boolean> {
    const conv = conversationId(ref.botId, ref.customerId);
    const since = await this.o.handoff.ratings(e.at - RATING_SKEW_MS, Date.now() + RATING_SKEW_MS);
    return since.some((r) => r.conv === conv && r.score === score);
  }

  private apply<K extends WriteOp['kind']>(op: Extract<WriteOp, { kind: K }>, ref: CustomerRef): Promise<WriteResults[K]>;
  private apply(op: WriteOp, ref: CustomerRef): Promise<WriteResults[WriteOp['kind']]> {
    const h = this.o.handoff;
    switch (op.kind) {
      case 'turn':
        return h.recordTurn(ref, op.msg, op.decidedFor ? { replies: op.replies, decidedFor: op.decidedFor, outcome: op.outcome, handoff: op.handoff } : undefined);
      case 'message':
        return h.recordMessage(ref, op.msg);
      case 'rating':
        return h.recordRating(ref, op.score);
      case 'rating_comment':
        return h.recordRatingComment(ref, op.text);
      case 'handoff':
        return h.requestHuman(ref, { reason: op.reason, question: op.question });
      case 'withdraw':
        return h.withdraw(ref);
      case 'escalate':
        return h.escalate(ref);
    }
  }
}
