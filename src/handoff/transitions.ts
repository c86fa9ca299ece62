import { randomUUID } from 'node:crypto';
import { DAY_TTL_S, type HandoffContext } from './context.ts';
import type { Counters } from './counters.ts';
import { fromScriptError, HandoffError } from './errors.ts';
import { checkId, conversationId, parseConversationId } from './keys.ts';
import type { Queries } from './queries.ts';
import type { BotRegistry } from './registry.ts';
import { isFiller } from './preview.ts';
import * as lua from './scripts.ts';
import { QueuePlace, type QueueTicket } from './queue-place.ts';
import { slaTimes } from './sla.ts';
import type { Agent, Conversation, ConversationStatus, CustomerRef, HandoffReason, NewMessage, Tier, TurnOutcome } from './types.ts';

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

/** `resolvedBy` of a chat the customer left while it waited (Transitions.withdraw). */
export const WITHDRAWN_BY = 'customer';

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
  ) {
    this.place = new QueuePlace(ctx, registry, opts.tierRule);
  }

  private readonly place: QueuePlace;

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
    const times = handoff && this.place.bothTiers(ref, now, handoff.reason);
    const others = times && this.place.othersAhead(ref.botId, times);
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
    const ticket = res.queued && times && others ? await this.place.ticket(now, res.queued, times, others) : null;
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
    const times = this.place.bothTiers(ref, now, opts.reason);
    const others = this.place.othersAhead(ref.botId, times);
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
    return this.place.ticket(now, queued, times, others);
  }

  /**
   * Where a waiting chat stands now: its place across the queues and when to expect a reply (the
   * ticket's notice), for a customer asking "还要等多久"; null when it is not waiting. Reads only:
   * nothing is queued, recorded or counted.
   */
  async queuePlace(ref: CustomerRef): Promise<QueueTicket | null> {
    const id = conversationId(ref.botId, ref.customerId);
    const now = this.ctx.now();
    const { redis, keys } = this.ctx;
    const [status, due, tier] = await redis.hmget(keys.conversation(id), 'status', 'slaDueAt', 'tier');
    if (status !== 'waiting' || !due) return null;
    const times = this.place.bothTiers(ref, now);
    const others = this.place.othersAhead(ref.botId, times);
    const ahead = await redis.zcount(keys.queue(ref.botId), '-inf', `(${due}`);
    return this.place.ticket(now, { status: 'waiting', changed: false, slaDueAt: Number(due), tier: tier === 'vip' ? 'vip' : 'standard', ahead }, times, others);
  }

  /**
   * A waiting customer complains: the chat is due as a complaint handoff is (a VIP's SLA from now)
   * when that is sooner, with the reason `complaint`; an `escalated` event moves it up every
   * console's queue. False when nothing changed (due as soon already, or not waiting).
   */
  async escalate(ref: CustomerRef): Promise<boolean> {
    const id = conversationId(ref.botId, ref.customerId);
    const now = this.ctx.now();
    const times = slaTimes(now, 'vip', this.ctx.policy);
    const res = await lua.escalate(this.ctx.redis, this.ctx.keys, { conv: id, now, dueAt: times.dueAt, warnAt: times.warnAt, reason: 'complaint', eventsMaxLen: this.ctx.maxLen });
    return res.changed;
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
      // Never the internal name by default: an account without a display name is not named to customers.
      publicName: agent.publicName ?? '',
      ...(from ? { from } : {}),
    });
    return this.queries.mustGet(id);
  }

  /**
   * `expectedOwner` guards against transferring a chat someone else took meanwhile; omit for a
   * manager's override. `note` (by `by`) is kept in the transcript as a private note, in the same
   * step: the new owner reads why the chat came to them. With `announceClaims` the customer hears
   * who took over (the `joined` notice, with `to.publicName`).
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
      outboundMsgId: this.opts.announceClaims ? randomUUID() : '',
      outboundMaxLen: this.ctx.maxLen,
      publicName: to.publicName ?? '',
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
    const times = slaTimes(now, await this.place.tierOf({ botId, customerId }), this.ctx.policy);
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
    const res = await this.close(id, now, { by: opts.by, expectedOwner: opts.expectedOwner ?? '', askRating: opts.rate !== false });
    if (res.changed) await this.counters.countResolution(id, parseConversationId(id).botId, now, opts.by);
    return this.queries.mustGet(id);
  }

  /**
   * The customer leaves the queue ("解决了", "不用转人工了", confirmed): a waiting chat is closed by
   * `customer` (WITHDRAWN_BY), without a rating and without counting as resolved (nobody resolved
   * it; the day's counters say `withdrawn`). False when it is not waiting any more: an agent
   * claimed it meanwhile, and the chat stays theirs. A retry after a lost reply changes nothing.
   */
  async withdraw(ref: CustomerRef): Promise<boolean> {
    try {
      await this.close(conversationId(ref.botId, ref.customerId), this.ctx.now(), { by: WITHDRAWN_BY, expectedOwner: '', askRating: false, from: 'waiting' });
      return true;
    } catch (err) {
      if (err instanceof HandoffError && (err.code === 'ILLEGAL_TRANSITION' || err.code === 'NOT_FOUND')) return false;
      throw err;
    }
  }

  /** resolve-11.lua with what every close passes (the streams, a fresh outbound id, the day's counters). */
  private close(id: string, now: number, o: { by: string; expectedOwner: string; askRating: boolean; from?: 'waiting' }): ReturnType<typeof lua.resolve> {
    const { maxLen } = this.ctx;
    return lua.resolve(this.ctx.redis, this.ctx.keys, { conv: id, now, eventsMaxLen: maxLen, outboundMsgId: randomUUID(), outboundMaxLen: maxLen, day: this.ctx.dayOf(now), dayTtlS: DAY_TTL_S, ...o });
  }

  async park(id: string, opts: { problemId: string; by: string }): Promise<Conversation> {
    parseConversationId(id);
    await lua.park(this.ctx.redis, this.ctx.keys, {
      conv: id,
      problemId: opts.problemId,
      by: opts.by,
      now: this.ctx.now(),
      eventsMaxLen: this.ctx.maxLen,
      outboundMsgId: randomUUID(),
      outboundMaxLen: this.ctx.maxLen,
    });
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
      day: this.ctx.dayOf(now),
      dayTtlS: DAY_TTL_S,
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
