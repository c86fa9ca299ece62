import { randomUUID } from 'node:crypto';
import { DAY_TTL_S, type HandoffContext } from './context.ts';
import type { Counters } from './counters.ts';
import { fromScriptError } from './errors.ts';
import { checkId, conversationId, parseConversationId } from './keys.ts';
import type { Queries } from './queries.ts';
import type { BotRegistry } from './registry.ts';
import { isFiller } from './preview.ts';
import * as lua from './scripts.ts';
import { queueNotice, slaTimes, type QueueNotice, type SlaTimes } from './sla.ts';
import type { Agent, Conversation, ConversationStatus, CustomerRef, HandoffReason, NewMessage, Tier, TurnOutcome } from './types.ts';

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

/** What recordTurn answers: where the message went, and the ticket of a handoff made with it. */
export interface RecordedTurn {
  id: string;
  conversationId: string;
  status: ConversationStatus;
  repliesRecorded: boolean;
  duplicate: boolean;
  /** The handoff decided with the message, when the decision stood (else null: decide again for `status`). */
  ticket: QueueTicket | null;
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

/** Editors read the newest questions the FAQ missed; older ones are trimmed. */
const GAPS_MAX_LEN = 10_000;
const MAX_GAP_CHARS = 500;

/**
 * Every change of a conversation. Each is one Lua script (see lua/ and scripts.ts): it checks the
 * current status, changes the conversation, the queue and the SLA timers, and appends to the
 * transcript and the events stream in one atomic step, so concurrent bots and consoles never see
 * (or leave) a half-done change.
 */
export class Transitions {
  constructor(
    private readonly ctx: HandoffContext,
    private readonly registry: BotRegistry,
    private readonly queries: Queries,
    private readonly counters: Counters,
    private readonly opts: { tierRule?: (ref: CustomerRef) => Tier | undefined; announceClaims: boolean },
  ) {}

  /**
   * Appends a message to the customer's conversation (created on first use). A `msgId` already
   * recorded in this conversation adds nothing and returns the first entry's id.
   */
  async recordMessage(ref: CustomerRef, msg: NewMessage): Promise<{ id: string; conversationId: string; status: ConversationStatus }> {
    const { id, conversationId, status } = await this.recordTurn(ref, msg);
    return { id, conversationId, status };
  }

  /**
   * A customer message and the bot's replies to it in one round trip. The replies are recorded
   * only if the conversation is (still) in `decidedFor` (`repliesRecorded`, also with no
   * replies); otherwise the bot should decide again for `status`. `duplicate`: the message was
   * recorded before, and nothing was written. With `handoff`, the conversation is queued in the
   * same step when the decision stood (`ticket`), as requestHuman would queue it.
   */
  async recordTurn(
    ref: CustomerRef,
    msg: NewMessage,
    turn?: { replies: NewMessage[]; decidedFor: ConversationStatus; outcome?: TurnOutcome; handoff?: { reason: HandoffReason; question?: string } },
  ): Promise<RecordedTurn> {
    const id = conversationId(ref.botId, ref.customerId);
    const now = this.ctx.now();
    // Registered (once per process) side by side with the script: one round trip, not two.
    const registered = this.registry.ensureRegistered(ref.botId);
    const outcome = turn?.outcome;
    const handoff = turn?.handoff;
    const times = handoff && this.bothTiers(ref, now, handoff.reason);
    const others = times && this.othersAhead(ref.botId, times);
    const [, res] = await Promise.all([
      registered,
      lua.append(this.ctx.redis, this.ctx.keys, {
        conv: id,
        now,
        eventsMaxLen: this.ctx.maxLen,
        customerName: ref.customerName ?? '',
        day: this.ctx.dayOf(now),
        from: msg.from,
        text: msg.text,
        decidedFor: turn?.decidedFor ?? '',
        replies: (turn?.replies ?? []).map((r) => ({ text: r.text, fields: extraFields(r) })),
        outcome: outcome && { type: outcome.type, faqId: outcome.faqId, question: (outcome.question ?? '').slice(0, MAX_GAP_CHARS) },
        handoff: handoff && times && { reason: handoff.reason, question: firstLine(handoff.question), times },
        gapsMaxLen: GAPS_MAX_LEN,
        dayTtlS: DAY_TTL_S,
        fields: extraFields(msg),
        filler: msg.from === 'customer' && isFiller(msg.text),
      }),
    ]);
    const ticket = res.queued && times && others ? await this.ticket(now, res.queued, times, others) : null;
    return { id: res.entryId, conversationId: id, status: res.status, repliesRecorded: res.repliesRecorded, duplicate: res.duplicate, ticket };
  }

  /**
   * Puts the conversation in the human queue, its SLA due time computed in business time
   * from the customer's tier. Asking again while waiting or with an agent changes nothing.
   */
  async requestHuman(ref: CustomerRef, opts: { reason: HandoffReason; question?: string }): Promise<QueueTicket> {
    const id = conversationId(ref.botId, ref.customerId);
    const now = this.ctx.now();
    const registered = this.registry.ensureRegistered(ref.botId);
    const times = this.bothTiers(ref, now, opts.reason);
    const others = this.othersAhead(ref.botId, times);
    const [, queued] = await Promise.all([
      registered,
      lua.enqueue(this.ctx.redis, this.ctx.keys, {
        conv: id,
        now,
        eventsMaxLen: this.ctx.maxLen,
        reason: opts.reason,
        times,
        question: firstLine(opts.question),
        filler: opts.question !== undefined && isFiller(firstLine(opts.question)),
        day: this.ctx.dayOf(now),
        dayTtlS: DAY_TTL_S,
      }),
    ]);
    return this.ticket(now, queued, times, others);
  }

  /** What the bot tells the customer: the place across every bot account's queue, and when to expect a reply. */
  private async ticket(now: number, q: lua.Queued, times: BothTiers, othersAhead: (dueAt: number) => Promise<number>): Promise<QueueTicket> {
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
   * here. A low-rating follow-up is due as a VIP's is whatever the tier: an unhappy customer who
   * wrote back goes to the front of the queue, not behind everyone who asked since.
   */
  private bothTiers(ref: CustomerRef, now: number, reason?: HandoffReason): BothTiers {
    const { policy } = this.ctx;
    const vip = slaTimes(now, 'vip', policy);
    return { ruleTier: this.opts.tierRule?.(ref) ?? 'standard', standard: reason === 'low_rating' ? vip : slaTimes(now, 'standard', policy), vip };
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
  private othersAhead(botId: string, times: BothTiers): (dueAt: number) => Promise<number> {
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

  /**
   * Exactly one agent wins: the others get HandoffError CONFLICT naming the owner. With
   * `announceClaims` the customer is told who joined (a `joined` notice through the bot).
   */
  claim(id: string, agent: Agent): Promise<Conversation> {
    return this.take(id, agent);
  }

  /**
   * An agent reopens a closed chat (resolved -> active, the caller its owner; the bot leaves it alone
   * as it does any chat with an agent). Anything but resolved is ILLEGAL_TRANSITION: a chat someone
   * reopened (or the customer's message gave back to the bot) meanwhile is not taken from them.
   */
  reopen(id: string, agent: Agent): Promise<Conversation> {
    return this.take(id, agent, 'resolved');
  }

  /** claim-9.lua, which with `from` takes the chat only from that status. */
  private async take(id: string, agent: Agent, from?: 'resolved'): Promise<Conversation> {
    parseConversationId(id);
    checkId('agent id', agent.id);
    const { maxLen } = this.ctx;
    await lua.claim(this.ctx.redis, this.ctx.keys, {
      conv: id,
      agentId: agent.id,
      agentName: agent.name,
      now: this.ctx.now(),
      eventsMaxLen: maxLen,
      outboundMsgId: this.opts.announceClaims ? randomUUID() : '',
      outboundMaxLen: maxLen,
      publicName: agent.publicName ?? agent.name,
      ...(from ? { from } : {}),
    });
    return this.queries.mustGet(id);
  }

  /**
   * `expectedOwner` guards against transferring a chat someone else took meanwhile; omit for a
   * manager's override. `note` (by `by`) is kept in the transcript as a private note, in the same
   * step: the new owner reads why the chat came to them.
   */
  async transfer(id: string, to: Agent, opts: { expectedOwner?: string; note?: { text: string; by: Agent } } = {}): Promise<Conversation> {
    parseConversationId(id);
    checkId('agent id', to.id);
    const note = opts.note?.text.trim() ?? '';
    await lua.transfer(this.ctx.redis, this.ctx.keys, {
      conv: id,
      expectedOwner: opts.expectedOwner ?? '',
      agentId: to.id,
      agentName: to.name,
      now: this.ctx.now(),
      eventsMaxLen: this.ctx.maxLen,
      note,
      noteById: note ? opts.note!.by.id : '',
      noteByName: note ? opts.note!.by.name : '',
    });
    return this.queries.mustGet(id);
  }

  /**
   * Back to the queue, keeping the original SLA due time. `by` (default the expected owner): who
   * releases; the same agent releasing again while it still waits is a retry, answered as done.
   */
  async release(id: string, opts: { expectedOwner?: string; by?: string } = {}): Promise<Conversation> {
    const { botId, customerId } = parseConversationId(id);
    const now = this.ctx.now();
    const times = slaTimes(now, await this.tierOf({ botId, customerId }), this.ctx.policy);
    await lua.release(this.ctx.redis, this.ctx.keys, {
      conv: id,
      expectedOwner: opts.expectedOwner ?? '',
      now,
      fallbackDueAt: times.dueAt,
      fallbackWarnAt: times.warnAt,
      eventsMaxLen: this.ctx.maxLen,
      releasedBy: opts.by ?? opts.expectedOwner ?? '',
    });
    return this.queries.mustGet(id);
  }

  /**
   * Closes the chat. With `expectedOwner` only that agent's chat (a waiting one is nobody's:
   * NOT_ASSIGNEE; someone else's: CONFLICT); without, anyone's (a manager). The customer is asked
   * for a rating only if an agent replied in this handoff, and never with `rate: false` (spam).
   * `by` resolving again what `by` resolved is a retry: nothing changes, nothing is sent twice.
   */
  async resolve(id: string, opts: { by: string; expectedOwner?: string; rate?: boolean }): Promise<Conversation> {
    parseConversationId(id);
    const now = this.ctx.now();
    const res = await lua.resolve(this.ctx.redis, this.ctx.keys, {
      conv: id,
      by: opts.by,
      now,
      expectedOwner: opts.expectedOwner ?? '',
      eventsMaxLen: this.ctx.maxLen,
      outboundMsgId: randomUUID(),
      outboundMaxLen: this.ctx.maxLen,
      askRating: opts.rate !== false,
      day: this.ctx.dayOf(now),
      dayTtlS: DAY_TTL_S,
    });
    if (res.changed) await this.counters.countResolution(id, parseConversationId(id).botId, now, opts.by);
    return this.queries.mustGet(id);
  }

  async park(id: string, opts: { problemId: string; by: string }): Promise<Conversation> {
    parseConversationId(id);
    await lua.park(this.ctx.redis, this.ctx.keys, { conv: id, problemId: opts.problemId, by: opts.by, now: this.ctx.now(), eventsMaxLen: this.ctx.maxLen });
    return this.queries.mustGet(id);
  }

  /** The assignee's reply: into the transcript and onto the bot's outbound stream together. */
  async reply(id: string, agent: Agent, text: string): Promise<{ id: string; msgId: string }> {
    const { botId } = parseConversationId(id);
    checkId('agent id', agent.id);
    const msgId = randomUUID();
    const now = this.ctx.now();
    const { maxLen } = this.ctx;
    const res = await lua.reply(this.ctx.redis, this.ctx.keys, {
      conv: id,
      agentId: agent.id,
      agentName: agent.name,
      text,
      now,
      msgId,
      eventsMaxLen: maxLen,
      outboundMaxLen: maxLen,
    });
    if (res.firstResponse) await this.counters.countFirstResponse(id, botId, now, agent.id);
    return { id: res.entryId, msgId };
  }

  /** A private note: in the transcript for agents, never sent to the customer. */
  async note(id: string, agent: Agent, text: string): Promise<{ id: string }> {
    const ref = parseConversationId(id);
    if (!(await this.queries.conversation(id))) throw fromScriptError(new Error('NOT_FOUND'), id);
    const { id: entryId } = await this.recordMessage(ref, { from: 'note', text, agentId: agent.id, agentName: agent.name });
    return { id: entryId };
  }

  /** A manager's decision (over any rule): applies to this customer's next handoffs. */
  async setTier(botId: string, customerId: string, tier: Tier): Promise<void> {
    const id = conversationId(botId, customerId);
    const { redis, keys: k } = this.ctx;
    const tx = redis.multi();
    tx.hset(k.customer(botId, customerId), 'tier', tier);
    if (await redis.exists(k.conversation(id))) tx.hset(k.conversation(id), 'tier', tier);
    tx.xadd(k.events(botId), 'MAXLEN', '~', this.ctx.maxLen, '*', 'type', 'tier', 'conv', id, 'tier', tier, 'at', String(this.ctx.now()));
    await tx.exec();
  }

  /**
   * Replaces the tags. `by` (an agent who is not a manager) is held to the owner's rules: a chat
   * someone owns (active or parked: its assignee; resolved: who resolved it) is theirs to tag,
   * NOT_ASSIGNEE for anyone else; a chat nobody owns (bot, waiting, parked from the queue) is open to
   * every agent. `manager` (or no `by`) may tag any chat.
   */
  async setTags(id: string, tags: string[], opts: { by?: string; manager?: boolean } = {}): Promise<Conversation> {
    parseConversationId(id);
    const clean = [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
    const heldTo = opts.by && !opts.manager ? opts.by : '';
    await lua.tags(this.ctx.redis, this.ctx.keys, { conv: id, tags: clean, now: this.ctx.now(), eventsMaxLen: this.ctx.maxLen, heldTo, by: opts.by ?? '' });
    return this.queries.mustGet(id);
  }

  /** The owner read the chat: its unread count back to 0 (anyone else's reading changes nothing). */
  async markRead(id: string, agentId: string): Promise<Conversation> {
    parseConversationId(id);
    await lua.read(this.ctx.redis, this.ctx.keys, { conv: id, agentId, now: this.ctx.now(), eventsMaxLen: this.ctx.maxLen });
    return this.queries.mustGet(id);
  }

  /** A manager's decision first, then the rule, then standard. */
  private async tierOf(ref: CustomerRef): Promise<Tier> {
    const set = await this.ctx.redis.hget(this.ctx.keys.customer(ref.botId, ref.customerId), 'tier');
    if (set === 'vip' || set === 'standard') return set;
    return this.opts.tierRule?.(ref) ?? 'standard';
  }
}

/** A handoff's question as agents see it in the queue: its first line, at most 200 characters. */
const firstLine = (question: string | undefined): string => (question ?? '').split('\n')[0]!.slice(0, 200);

/** The optional transcript fields of a message. */
function extraFields(msg: NewMessage): Record<string, string> {
  const f: Record<string, string> = {};
  if (msg.faqId) f.faqId = msg.faqId;
  if (msg.confidence !== undefined) f.confidence = String(msg.confidence);
  for (const key of ['kind', 'url', 'msgId', 'agentId', 'agentName'] as const) if (msg[key]) f[key] = msg[key];
  return f;
}
