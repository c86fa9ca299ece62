import { randomUUID } from 'node:crypto';
import { DAY_TTL_S, type HandoffContext } from './context.ts';
import type { Counters } from './counters.ts';
import { fromScriptError } from './errors.ts';
import { checkId, conversationId, parseConversationId } from './keys.ts';
import type { Queries } from './queries.ts';
import type { BotRegistry } from './registry.ts';
import * as lua from './scripts.ts';
import { queueNotice, slaTimes, type QueueNotice } from './sla.ts';
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
   * recorded before, and nothing was written.
   */
  async recordTurn(
    ref: CustomerRef,
    msg: NewMessage,
    turn?: { replies: NewMessage[]; decidedFor: ConversationStatus; outcome?: TurnOutcome },
  ): Promise<{ id: string; conversationId: string; status: ConversationStatus; repliesRecorded: boolean; duplicate: boolean }> {
    const id = conversationId(ref.botId, ref.customerId);
    const now = this.ctx.now();
    await this.registry.ensureRegistered(ref.botId);
    const outcome = turn?.outcome;
    const res = await lua.append(this.ctx.redis, this.ctx.keys, {
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
      gapsMaxLen: GAPS_MAX_LEN,
      dayTtlS: DAY_TTL_S,
      fields: extraFields(msg),
    });
    return { id: res.entryId, conversationId: id, status: res.status, repliesRecorded: res.repliesRecorded, duplicate: res.duplicate };
  }

  /**
   * Puts the conversation in the human queue, its SLA due time computed in business time
   * from the customer's tier. Asking again while waiting or with an agent changes nothing.
   */
  async requestHuman(ref: CustomerRef, opts: { reason: HandoffReason; question?: string }): Promise<QueueTicket> {
    const id = conversationId(ref.botId, ref.customerId);
    const now = this.ctx.now();
    await this.registry.ensureRegistered(ref.botId);
    const tier = await this.tierOf(ref);
    const times = slaTimes(now, tier, this.ctx.policy);
    const question = (opts.question ?? '').split('\n')[0]!.slice(0, 200);
    const { status, changed, slaDueAt: due } = await lua.enqueue(this.ctx.redis, this.ctx.keys, {
      conv: id,
      now,
      eventsMaxLen: this.ctx.maxLen,
      reason: opts.reason,
      slaDueAt: times.dueAt,
      slaWarnAt: times.warnAt,
      tier,
      question,
    });
    // Counted apart from the script (handoffs are rare next to messages): the funnel's handoffs by reason.
    if (changed) await this.counters.add(ref.botId, now, { [`handoff:${opts.reason}`]: 1 });
    const slaDueAt = due === null ? null : new Date(due).toISOString();
    if (status !== 'waiting') return { status, queued: false, position: 0, slaDueAt, notice: null };
    const dueAt = due ?? 0;
    const position = await this.queries.positionOf(id, dueAt);
    const ticketTimes = changed ? times : { ...times, dueAt, startedAt: now };
    return { status, queued: changed, position, slaDueAt, notice: queueNotice(now, position, ticketTimes, this.ctx.policy.hours) };
  }

  /**
   * Exactly one agent wins: the others get HandoffError CONFLICT naming the owner. With
   * `announceClaims` the customer is told who joined (a `joined` notice through the bot).
   */
  async claim(id: string, agent: Agent): Promise<Conversation> {
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
    });
    return this.queries.mustGet(id);
  }

  /** `expectedOwner` guards against transferring a chat someone else took meanwhile; omit for a manager's override. */
  async transfer(id: string, to: Agent, opts: { expectedOwner?: string } = {}): Promise<Conversation> {
    parseConversationId(id);
    checkId('agent id', to.id);
    await lua.transfer(this.ctx.redis, this.ctx.keys, {
      conv: id,
      expectedOwner: opts.expectedOwner ?? '',
      agentId: to.id,
      agentName: to.name,
      now: this.ctx.now(),
      eventsMaxLen: this.ctx.maxLen,
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
    await lua.resolve(this.ctx.redis, this.ctx.keys, {
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
    if (res.firstResponse) await this.counters.countFirstResponse(id, botId, now);
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

  /** A manager's decision first, then the rule, then standard. */
  private async tierOf(ref: CustomerRef): Promise<Tier> {
    const set = await this.ctx.redis.hget(this.ctx.keys.customer(ref.botId, ref.customerId), 'tier');
    if (set === 'vip' || set === 'standard') return set;
    return this.opts.tierRule?.(ref) ?? 'standard';
  }
}

/** The optional transcript fields of a message. */
function extraFields(msg: NewMessage): Record<string, string> {
  const f: Record<string, string> = {};
  if (msg.faqId) f.faqId = msg.faqId;
  if (msg.confidence !== undefined) f.confidence = String(msg.confidence);
  for (const key of ['kind', 'url', 'msgId', 'agentId', 'agentName'] as const) if (msg[key]) f[key] = msg[key];
  return f;
}
