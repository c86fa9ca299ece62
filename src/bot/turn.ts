/**
 * The channel-agnostic turn: every channel adapter (Wechaty, 微信客服, Official Account) hands its
 * customers' messages here (the `TurnSink`), and the turn does guards -> identity -> transcript ->
 * decide -> reply, in order per customer. The policy decides (./policy.ts, pure); writes go
 * through the per-customer write chain (./writes.ts); replies go back through the message's own
 * `reply`. The adapter never sees FAQ, policy or transcript; the turn never sees a channel's API.
 *
 * Every customer message is recorded. What is limited is what the bot says and, against a true
 * flood only, how many messages a minute are stored one by one (./turn-flood.ts).
 */
import type { Logger } from 'pino';
import { ChannelSendError, type ChannelAdapter, type CustomerHandle, type InboundMessage, type TurnSink } from '../channels/types.ts';
import { conversationId, isReady, type ConversationStatus, type NewMessage, type QueueTicket } from '../handoff/index.ts';
import type { BotRuntimeConfig } from './config.ts';
import { coalesce, type Outgoing } from './format.ts';
import { isTooOld, RecentIds } from './guard.ts';
import type { KnowledgeCache } from './knowledge-cache.ts';
import type { Messages } from './messages.ts';
import { Pacer } from './pace.ts';
import { afterPause, decide, decideNonText, decideWelcome, delayNoticeText, kindLabel, PAUSE_MS, queueNoticeText, queuePlaceText, type PolicyOptions } from './policy.ts';
import type { Action, Decision } from './types.ts';
import { memoriesOf, recall, SessionMemory, type Recallable } from './sessions.ts';
import { PERSON_STATUSES, TurnFlood, type FloodState } from './turn-flood.ts';
import { within, type BotWriter, type WriteOp, type WriteResults } from './writes.ts';

/** What the bot keeps per customer of one channel account. */
export interface CustomerState extends FloodState, Recallable {
  /** Last status the bot knew (answers go on from it while Redis is away). */
  status: ConversationStatus;
  /** When the customer's last message was handled here (ms, the bot's clock): a pause forgets prompts. */
  lastAt?: number;
}


const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type HandoffAction = Extract<Action, { type: 'handoff' }>;

/** A handoff written with the customer's message; its ticket once Redis answered (undefined: not yet). */
interface MadeHandoff {
  action: HandoffAction;
  ticket: QueueTicket | undefined;
}

/**
 * The handoff of a decision that can go to Redis with the customer's message: every other action
 * is words (no I/O, so nothing written before the handoff changes order).
 */
function handoffOf(actions: readonly Action[]): HandoffAction | undefined {
  if (!actions.every((a) => a.type === 'say' || a.type === 'handoff')) return undefined;
  const handoffs = actions.filter((a): a is HandoffAction => a.type === 'handoff');
  return handoffs.length === 1 ? handoffs[0] : undefined;
}

export interface TurnDeps {
  config: BotRuntimeConfig;
  adapter: ChannelAdapter;
  writer: BotWriter;
  kb: KnowledgeCache;
  policy: PolicyOptions;
  messages(): Messages;
  logger?: Logger;
}

export class Turn implements TurnSink {
  private readonly c: BotRuntimeConfig;
  private readonly log?: Logger;
  private readonly recent = new RecentIds();
  private readonly floods: TurnFlood;
  private readonly customers = new Map<string, CustomerState>();
  private readonly maxAgeS: number;
  private readonly maxMatchChars: number;
  private readonly attempts: number;
  private readonly coalesce: boolean;
  /** Customer messages are handled once this settles (the journal replayed, a login's epoch begun). */
  private gate: Promise<void> = Promise.resolve();
  /** A burst of turns leaves room on the event loop for what else waits (agents' replies, Redis answers). */
  private readonly pacer = new Pacer();
  /** Chats' memories from before a restart or a re-login, taken back as each customer writes (./sessions.ts). */
  readonly memory = new SessionMemory();

  constructor(private readonly d: TurnDeps) {
    const c = (this.c = d.config);
    this.log = d.logger;
    this.floods = new TurnFlood(c, {
      note: (st, op) => void this.write(st as CustomerState, op, false),
      pauseText: () => d.messages().flood,
      logger: d.logger,
    });
    this.maxAgeS = c.maxMessageAgeS ?? 120;
    this.maxMatchChars = c.maxMatchChars ?? 500;
    this.attempts = Math.max(1, c.sendAttempts ?? 3);
    this.coalesce = c.coalesce ?? true;
  }

  // ------------------------------------------------------------------------------------------
  // TurnSink

  before(task: () => Promise<void>): void {
    this.gate = this.gate.then(task).catch((err: unknown) => this.log?.error({ err }, 'a task before the next messages failed'));
  }

  forget(): void {
    // Ids change with a re-login; the customer ids behind them do not.
    for (const st of this.customers.values()) if (st.refValue) this.memory.keep(st.refValue.customerId, st.session);
    this.customers.clear();
  }

  /** Every chat's memory worth leaving for the next process (at a stop). */
  memories(): ReturnType<typeof memoriesOf> {
    return memoriesOf(this.customers.values(), this.memory);
  }

  record(customer: CustomerHandle, line: { from: 'system' | 'agent'; kind?: string; text: string; msgId?: string }): void {
    const st = this.state(customer);
    st.turn = st.turn.then(() => void this.write(st, { kind: 'message', msg: { ...line } }, false));
  }

  /** Synchronous guards first (cheap, no awaits), then the customer's turn queue. */
  message(msg: InboundMessage): Promise<void> {
    let stored!: () => void;
    const storedP = new Promise<void>((r) => (stored = r));
    let queued = false;
    try {
      if (this.recent.seen(msg.id)) {
        this.log?.debug({ msgId: msg.id }, 'duplicate message dropped');
        return storedP;
      }
      if (isTooOld(msg.at, this.maxAgeS)) {
        if (!this.d.adapter.keepLate) {
          this.log?.debug({ msgId: msg.id }, 'old message dropped');
          return storedP;
        }
        // Late but real: recorded for the agents, not answered as if it were new.
        msg = { ...msg, silent: true };
      }
      const st = this.state(msg.customer);
      // A group message counts once it is known to be for the bot (after the mention check).
      if (!msg.group && !this.floods.admit(st, msg.kind === 'text' ? msg.text : `[${kindLabel(msg.kind)}]`)) return storedP;
      const m = msg;
      const prepared = this.prepare(m, st);
      st.turn = st.turn
        .then(() => this.gate)
        .then(() => prepared)
        .then(() => this.handle(m, st, stored))
        .catch((err: unknown) => this.log?.error({ err, msgId: m.id }, 'message handling failed'))
        .finally(() => {
          stored();
          m.done?.();
        });
      queued = true;
    } catch (err) {
      this.log?.error({ err, msgId: msg.id }, 'message dropped: could not read it');
    } finally {
      if (!queued) {
        stored();
        msg.done?.();
      }
    }
    return storedP;
  }

  welcome(customer: CustomerHandle, id: string, reply: (text: string, key: string) => Promise<void>): void {
    if (this.recent.seen(`welcome:${id}`)) return;
    const st = this.state(customer);
    st.turn = st.turn
      .then(() => this.gate)
      .then(async () => {
        // This process may not know the chat yet (a restart): ask Redis, briefly, whether a person has it.
        const known = await this.storedStatus(st);
        if (known) st.status = known;
        if (!st.recalled) await this.recall(st);
        // A person has the chat: they greet in their own words.
        if (PERSON_STATUSES.has(st.status)) return;
        const decision = decideWelcome(st.session, this.d.kb.knowledge(), this.d.messages(), this.d.policy);
        st.session = decision.session;
        const out: Outgoing[] = [];
        for (const action of decision.actions) await this.act(action, st, '', out);
        for (const [i, o] of this.joined(out).entries()) {
          if ((await this.send({ reply } as InboundMessage, o.text, `${id}:${i}`)) === undefined) {
            void this.write(st, { kind: 'message', msg: { from: 'bot', text: o.text, ...o.extra } }, false);
          }
        }
      })
      .catch((err: unknown) => this.log?.error({ err }, 'welcome failed'));
  }

  // ------------------------------------------------------------------------------------------

  /** The per-customer state (the delivery of agents' replies shares it). */
  state(customer: CustomerHandle): CustomerState {
    let st = this.customers.get(customer.key);
    if (!st) {
      st = { customer, session: {}, status: 'bot', turn: Promise.resolve(), writes: Promise.resolve(), chained: 0 };
      this.customers.set(customer.key, st);
    }
    return st;
  }

  private recall(st: CustomerState): Promise<void> {
    return recall(st, this.memory, async () => (await this.within(this.d.writer.refOf(st)))?.customerId);
  }

  /** `p`'s value, or undefined when it fails or Redis does not answer within the wait. */
  private within<T>(p: Promise<T>): Promise<T | undefined> {
    return within(p, this.c.redisWaitMs ?? 2_000);
  }

  /** The conversation's status in Redis, or undefined when Redis does not answer within the wait. */
  private async storedStatus(st: CustomerState): Promise<ConversationStatus | undefined> {
    const lookup = async () => {
      const ref = await this.d.writer.refOf(st);
      return (await this.c.handoff.conversation(conversationId(ref.botId, ref.customerId)))?.status;
    };
    return this.within(lookup());
  }

  /** Notes the cuts still pending (at uninstall). */
  flushCuts(): void {
    for (const st of this.customers.values()) if (st.cutTimer) this.floods.noteCut(st);
  }

  private write<K extends WriteOp['kind']>(st: CustomerState, op: Extract<WriteOp, { kind: K }>, wait = true): Promise<WriteResults[K] | undefined> {
    return this.d.writer.write(st, op, wait);
  }

  /**
   * Starts matching a text message on a matching thread while it waits its turn, when the bot is
   * likely to match it (the chat is with the bot, or waiting for a person); the turn's own match
   * then finds the result.
   */
  private prepare(msg: InboundMessage, st: CustomerState): Promise<void> | undefined {
    // Waiting for a person, a question the FAQ is sure of is still answered (policy/decide.ts).
    if (msg.kind !== 'text' || msg.group || msg.silent || (PERSON_STATUSES.has(st.status) && st.status !== 'waiting')) return undefined;
    return this.d.kb.prepare(this.matchText(msg.text));
  }

  private matchText(text: string): string {
    return text.length > this.maxMatchChars ? text.slice(0, this.maxMatchChars) : text;
  }

  private decideFor(msg: InboundMessage, text: string, st: CustomerState, status: ConversationStatus): Decision {
    const messages = this.d.messages();
    const decision =
      msg.kind === 'text'
        ? decide(
            { text: this.matchText(text), status, session: st.session },
            this.d.kb.knowledge(),
            messages,
            this.d.policy,
          )
        : decideNonText(msg.kind, status, st.session, messages);
    return this.floods.throttle(st, status, decision);
  }

  /** `stored` is called once the customer's message is written (or journaled). */
  private async handle(msg: InboundMessage, st: CustomerState, stored: () => void): Promise<void> {
    while (this.pacer.full()) await this.pacer.slice();
    if (!st.recalled) await this.recall(st);
    let text = msg.text;
    if (msg.group) {
      const forMe = await msg.group.forMe();
      if (forMe === undefined) return;
      text = forMe;
      if (!this.floods.admit(st, text)) return;
    }

    this.c.metrics?.received?.(msg.kind);
    this.resume(st);
    const record: NewMessage = { from: 'customer', text, msgId: msg.id };
    if (msg.kind !== 'text') {
      record.kind = msg.kind;
      record.text = msg.text || `[${kindLabel(msg.kind)}]`;
      const url = msg.url ?? (await msg.mediaUrl?.());
      if (url) record.url = url;
    }
    if (msg.silent) {
      const pending = this.write(st, { kind: 'turn', msg: record, replies: [] });
      stored();
      const recorded = await pending;
      if (recorded) st.status = recorded.status;
      return;
    }
    // The policy is pure: decide on the last known status while Redis records the message.
    const assumed = st.status;
    let decision = this.decideFor(msg, text, st, assumed);
    let made: MadeHandoff | undefined;
    if (decision.outcome) this.c.metrics?.outcome?.(decision.outcome.type);

    // The common turn, replies that need no I/O to prepare: the customer's message and the bot's
    // replies go to Redis in one round trip, recorded only if the chat is still in the status the
    // replies were decided for.
    if (decision.actions.every((a) => a.type === 'say' || a.type === 'answer') && isReady(this.c.redis)) {
      const out: Outgoing[] = [];
      for (const action of decision.actions) await this.act(action, st, text, out);
      const sends = this.joined(out);
      const replies = sends.map((o): NewMessage => ({ from: 'bot', text: o.text, ...o.extra }));
      const pending = this.write(st, { kind: 'turn', msg: record, replies, decidedFor: assumed, outcome: decision.outcome });
      stored();
      const turn = await pending;
      if (turn?.duplicate) return;
      if (!turn || turn.repliesRecorded) {
        if (turn) st.status = turn.status;
        st.session = decision.session;
        const { outcome } = decision;
        if (outcome?.type === 'rating' && outcome.score) void this.write(st, { kind: 'rating', score: outcome.score }, false);
        if (outcome?.type === 'rating_comment' && outcome.question) void this.write(st, { kind: 'rating_comment', text: outcome.question }, false);
        for (const [i, o] of sends.entries()) {
          const failed = await this.send(msg, o.text, `${msg.id}:${i}`);
          if (failed !== undefined) void this.write(st, { kind: 'message', msg: { from: 'system', kind: 'send_failed', text: failed } }, false);
        }
        return;
      }
      // An agent took the chat (or it was queued) meanwhile: decide again for its real status.
      st.status = turn.status;
      decision = this.decideFor(msg, text, st, st.status);
    } else {
      // No replies to record yet (a handoff's notice needs the place in the queue first); the
      // outcome counts if the decision stands. A handoff goes with the message, in the same step.
      const { outcome } = decision;
      const handoff = handoffOf(decision.actions);
      const asked = handoff && { handoff: { reason: handoff.reason, question: handoff.question ?? text } };
      const pending = this.write(st, { kind: 'turn', msg: record, replies: [], decidedFor: assumed, outcome, ...asked });
      stored();
      const recorded = await pending;
      if (recorded?.duplicate) return;
      // Queued with the message, or written for when Redis is back (the journal keeps it).
      if (handoff && (!recorded || recorded.ticket)) made = { action: handoff, ticket: recorded?.ticket ?? undefined };
      else {
        if (recorded) st.status = recorded.status;
        if (st.status !== assumed) decision = this.decideFor(msg, text, st, st.status);
        // Redis away: the rating waits with the turn (the common turn above records it when Redis is there).
        else if (outcome?.type === 'rating' && outcome.score) void this.write(st, { kind: 'rating', score: outcome.score }, false);
        else if (outcome?.type === 'rating_comment' && outcome.question) void this.write(st, { kind: 'rating_comment', text: outcome.question }, false);
      }
    }
    st.session = decision.session;
    const out: Outgoing[] = [];
    for (const action of decision.actions) await this.act(action, st, text, out, made);
    for (const [i, o] of this.joined(out).entries()) await this.say(msg, st, o, `${msg.id}:${i}`);
  }

  /** A customer back after a pause: what the bot was waiting for before it is forgotten (policy afterPause). */
  private resume(st: CustomerState): void {
    const now = (this.c.now ?? Date.now)();
    if (st.lastAt !== undefined && now - st.lastAt >= PAUSE_MS) st.session = afterPause(st.session);
    st.lastAt = now;
  }

  private joined(out: Outgoing[]): Outgoing[] {
    return this.coalesce ? coalesce(out, this.d.adapter.limits.maxTextBytes) : out;
  }

  /**
   * Carries out one action; texts to send go to `out` (sent in order at the end of the turn).
   * `made`: a handoff written with the customer's message already (its ticket, if Redis answered).
   */
  private async act(action: Action, st: CustomerState, question: string, out: Outgoing[], made?: MadeHandoff): Promise<void> {
    const messages = this.d.messages();
    switch (action.type) {
      case 'say':
        out.push({ text: action.text });
        return;
      case 'answer': {
        const entry = this.c.knowledge.matcher().entry(action.faqId);
        if (!entry) {
          this.log?.warn({ faqId: action.faqId }, 'answer of an entry that is gone');
          return;
        }
        const extra = { faqId: action.faqId, confidence: action.confidence };
        const parts = [...this.d.kb.rendered(entry)];
        if (action.lead !== undefined) {
          // In the answer's first message; alone (still the answer's) when both would not fit one.
          const joined = `${action.lead}\n${parts[0] ?? ''}`;
          if (Buffer.byteLength(joined, 'utf8') <= this.d.adapter.limits.maxTextBytes) parts[0] = joined;
          else parts.unshift(action.lead);
        }
        for (const part of parts) out.push({ text: part, extra });
        return;
      }
      case 'handoff': {
        // The question behind an accepted offer, else this message.
        const asked = action.question ?? question;
        const ticket = made?.action === action ? made.ticket : await this.write(st, { kind: 'handoff', reason: action.reason, question: asked });
        if (ticket) {
          st.status = ticket.status;
          if (ticket.queued) {
            this.c.metrics?.handoff?.(action.reason);
            this.d.adapter.handedOff?.(st.customer).catch((err: unknown) => this.log?.warn({ err }, 'the channel could not follow the handoff'));
          }
          if (ticket.notice) out.push({ text: queueNoticeText(ticket.notice, messages, this.c.timezone, Date.now()) });
          else if (ticket.status === 'active') out.push({ text: messages.already_queued });
        } else {
          // Queued for when Redis is back (the offline queue and the journal keep it): the customer hears about the delay.
          st.status = 'waiting';
          out.push({ text: delayNoticeText(messages) });
        }
        return;
      }
      case 'feedback':
        void this.write(st, { kind: 'message', msg: { from: 'system', kind: 'feedback', faqId: action.faqId, text: action.helpful ? 'helpful' : 'not_helpful' } }, false);
        return;
      case 'escalate':
        // Before the place is read, so the customer hears where the complaint put them.
        await this.write(st, { kind: 'escalate' });
        return;
      case 'queue_place': {
        // Read now (not written: asking where one stands changes nothing); no answer in time, the plain word.
        const ref = await this.within(this.d.writer.refOf(st));
        const ticket = ref && (await this.within(this.c.handoff.queuePlace(ref)));
        out.push({ text: queuePlaceText(ticket?.notice, action.tell, messages, this.c.timezone, Date.now()) });
        return;
      }
      case 'withdraw': {
        const left = await this.write(st, { kind: 'withdraw' });
        if (left === false) {
          // An agent claimed the chat meanwhile: it is theirs now, and they are told nothing changed.
          out.push({ text: messages.queue_leave_late });
          return;
        }
        // Left (or kept to be done once Redis is back: the journal holds it): the chat is the bot's.
        st.status = 'resolved';
        out.push({ text: action.then });
        return;
      }
    }
  }

  /** Sends (retrying a failed send) and records it as the bot's message, or why it could not. */
  private async say(msg: InboundMessage, st: CustomerState, o: Outgoing, key: string): Promise<void> {
    const failed = await this.send(msg, o.text, key);
    const line: NewMessage = failed === undefined ? { from: 'bot', text: o.text, ...o.extra } : { from: 'system', kind: 'send_failed', text: failed };
    void this.write(st, { kind: 'message', msg: line }, false);
  }

  /**
   * Replies to the customer, retrying a failed send: undefined once sent, else why not (a
   * channel's own reason, e.g. 微信客服's closed window, for the agents to read).
   */
  private async send(msg: InboundMessage, text: string, key: string): Promise<string | undefined> {
    // Redis's answers to a burst of turns arrive together: their replies go out a slice at a time.
    while (this.pacer.full()) await this.pacer.slice();
    for (let attempt = 1; ; attempt++) {
      try {
        await msg.reply(text, key);
        this.c.metrics?.sent?.('bot');
        return undefined;
      } catch (err) {
        const permanent = (err as { permanent?: boolean }).permanent === true;
        if (permanent || attempt >= this.attempts) {
          this.c.metrics?.sendFailed?.('bot');
          this.log?.error({ err }, 'send failed; giving up');
          return err instanceof ChannelSendError ? err.message : 'send failed';
        }
        this.log?.warn({ err, attempt }, 'send failed; retrying');
        await sleep(300 * attempt);
      }
    }
  }
}
