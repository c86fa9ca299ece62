/**
 * One installation of the KefuBot plugin on a Wechaty bot (./plugin.ts): guards -> identity ->
 * transcript -> decide -> send for customer messages, and the outbound consumer for agents'
 * replies. See plugin.ts for the principles.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { types, type Contact, type Message, type Room, type Wechaty } from 'wechaty';
import { isReady, OutboundConsumer, parseConversationId, type ConversationStatus, type NewMessage } from '../handoff/index.ts';
import { deliverOutbound, type DeliveryHost } from './deliver.ts';
import { coalesce, floodCutText, kindOf, type Outgoing } from './format.ts';
import { FloodCap, FloodGuard, isTooOld, RecentIds } from './guard.ts';
import { IdentityMap } from './identity.ts';
import { Journal, journalName } from './journal.ts';
import { KnowledgeCache } from './knowledge-cache.ts';
import type { Messages } from './messages.ts';
import { decide, decideNonText, DEFAULT_POLICY_OPTIONS, delayNoticeText, kindLabel, queueNoticeText, type PolicyOptions } from './policy.ts';
import type { Action, Decision, Session } from './types.ts';
import type { KefuBotConfig } from './plugin.ts';
import { BotWriter, type WriteChain, type WriteOp, type WriteResults } from './writes.ts';

/** What the bot keeps per customer (per contact of this login). */
interface CustomerState extends WriteChain {
  contact: Contact;
  session: Session;
  /** Last status the bot knew (answers go on from it while Redis is away). */
  status: ConversationStatus;
  /** Messages of one customer are handled one after another. */
  turn: Promise<void>;
  /** Notes a flood cut in the transcript if no stored message does first. */
  cutTimer?: NodeJS.Timeout;
}

/** A person has the chat: the bot says next to nothing, and nothing the customer sends is throttled. */
const PERSON_STATUSES: ReadonlySet<ConversationStatus> = new Set(['waiting', 'active', 'awaiting_fix']);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class KefuRuntime {
  private readonly log?: Logger;
  private readonly identity: IdentityMap;
  private readonly writer: BotWriter;
  private readonly journal?: Journal;
  private readonly recent = new RecentIds();
  private readonly flood: FloodGuard;
  private readonly cap: FloodCap;
  private readonly cutFlushMs: number;
  private readonly customers = new Map<string, CustomerState>();
  private readonly consumer: OutboundConsumer;
  private readonly outboundRedis: Redis | Cluster;
  private readonly ownsOutboundRedis: boolean;
  private readonly policy: PolicyOptions;
  private readonly kb: KnowledgeCache;
  private readonly maxAgeS: number;
  private readonly maxMatchChars: number;
  private readonly attempts: number;
  private readonly coalesce: boolean;
  private readonly listeners: [string, (...args: never[]) => unknown][] = [];
  private consumerStart?: Promise<void>;
  /** Customer messages are handled once this settles: the journal replayed, the login's identity epoch begun. */
  private ready: Promise<void> = Promise.resolve();
  private stopped = false;

  /** The phrases as editors last saved them (valid ones only). */
  private get messages(): Messages {
    return this.c.messagesSource?.() ?? this.c.messages;
  }

  constructor(
    private readonly bot: Wechaty,
    private readonly c: KefuBotConfig,
  ) {
    this.log = c.logger?.child({ module: 'bot', botId: c.botId });
    this.identity = new IdentityMap({ redis: c.redis, keys: c.handoff.keys, botId: c.botId, setAlias: c.setAlias, logger: this.log });
    this.journal = c.journalDir ? new Journal({ dir: c.journalDir, name: journalName(c.botId, c.handoff.keys.prefix), logger: this.log }) : undefined;
    this.writer = new BotWriter({
      botId: c.botId,
      handoff: c.handoff,
      redis: c.redis,
      identity: this.identity,
      waitMs: c.redisWaitMs ?? 2_000,
      journal: this.journal,
      logger: this.log,
    });
    const now = c.now ?? Date.now;
    this.flood = new FloodGuard({ ...(c.flood ?? { max: 10, windowS: 10, muteS: 60 }), now });
    this.cap = new FloodCap({ perMin: c.floodCap?.perMin ?? 100, now });
    this.cutFlushMs = c.floodCap?.flushMs ?? 10_000;
    this.policy = { ...DEFAULT_POLICY_OPTIONS, ...c.policy };
    this.kb = new KnowledgeCache(c.knowledge, c.matchCacheSize ?? 5_000, (s) => c.metrics?.matchSeconds?.(s));
    this.maxAgeS = c.maxMessageAgeS ?? 120;
    this.maxMatchChars = c.maxMatchChars ?? 500;
    this.attempts = Math.max(1, c.sendAttempts ?? 3);
    this.coalesce = c.coalesce ?? true;
    this.ownsOutboundRedis = !c.outboundRedis;
    this.outboundRedis = c.outboundRedis ?? (c.redis as Redis).duplicate();
    if (this.ownsOutboundRedis) this.outboundRedis.on('error', () => undefined);
    const delivery: DeliveryHost = {
      bot,
      botId: c.botId,
      redis: c.redis,
      keys: c.handoff.keys,
      identity: this.identity,
      writer: this.writer,
      messages: () => this.messages,
      state: (contact) => this.state(contact),
      metrics: c.metrics,
    };
    this.consumer = new OutboundConsumer(this.outboundRedis, c.handoff.keys, {
      botId: c.botId,
      // Stable across restarts: a restarted bot resumes its own pending deliveries first.
      consumer: c.botId,
      deliver: (m) => deliverOutbound(delivery, m),
      // The agent learns from the transcript that the customer never got it.
      onGiveUp: async (m) => {
        const { customerId } = parseConversationId(m.conv);
        await c.handoff.recordMessage({ botId: c.botId, customerId }, { from: 'system', kind: 'send_failed', text: m.text || m.kind });
      },
      logger: this.log,
      ...c.outbound,
    });
  }

  install(): void {
    // Before any new message: what an earlier process could not write goes first.
    this.ready = this.writer.replay().catch((err: unknown) => this.log?.error({ err }, 'journal replay failed'));
    this.on('message', (msg: Message) => this.onMessage(msg));
    this.on('login', () => {
      this.customers.clear();
      // After the replay: it resolves customers of the last login, in that login's epoch.
      this.ready = this.ready.then(() => {
        this.identity.newLogin().catch((err: unknown) => this.log?.warn({ err }, 'could not start a new identity epoch'));
      });
    });
    // Contact.find of a vanished contact and refused aliases are reported as 'error' events:
    // without a listener Node would exit.
    this.on('error', (err: Error) => this.log?.warn({ err: err.message }, 'wechaty error'));
    this.consumerStart = this.startConsumer();
  }

  async uninstall(): Promise<void> {
    this.stopped = true;
    for (const [event, fn] of this.listeners.splice(0)) this.bot.off(event as 'message', fn as never);
    for (const st of this.customers.values()) if (st.cutTimer) this.noteCut(st);
    await this.consumerStart;
    await this.consumer.stop();
    if (this.ownsOutboundRedis) this.outboundRedis.disconnect();
    // Writes still unconfirmed stay in the file for the next start.
    this.journal?.close();
  }

  stats(): { matchCacheHits: number } {
    return { matchCacheHits: this.kb.hits };
  }

  private on(event: string, fn: (...args: never[]) => unknown): void {
    this.listeners.push([event, fn]);
    this.bot.on(event as 'message', fn as never);
  }

  /** Starts the consumer, retrying while Redis is away. */
  private async startConsumer(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.consumer.start();
        return;
      } catch (err) {
        this.log?.warn({ err, attempt }, 'outbound consumer could not start; retrying');
        await sleep(Math.min(200 * attempt, 2_000));
      }
    }
  }

  private write<K extends WriteOp['kind']>(st: CustomerState, op: Extract<WriteOp, { kind: K }>, wait = true): Promise<WriteResults[K] | undefined> {
    return this.writer.write(st, op, wait);
  }

  // ------------------------------------------------------------------------------------------
  // Customer messages

  /** Synchronous guards first (cheap, no awaits), then the customer's turn queue. */
  private onMessage(msg: Message): void {
    try {
      if (msg.self()) return;
      if (this.recent.seen(msg.id)) {
        this.log?.debug({ msgId: msg.id }, 'duplicate message dropped');
        return;
      }
      if (isTooOld(msg.date().getTime(), this.maxAgeS)) {
        this.log?.debug({ msgId: msg.id, ageS: msg.age() }, 'old message dropped');
        return;
      }
      const kind = kindOf(msg.type());
      if (!kind) return;
      const room = msg.room();
      if (room && (this.c.roomMode ?? 'mention') === 'off') return;
      const talker = msg.talker();
      if (talker.type() !== types.Contact.Individual && talker.type() !== types.Contact.Unknown) return;
      const st = this.state(talker);
      // A group message counts once it is known to be for the bot (after the mention check).
      if (!room && !this.admit(st, kind === 'text' ? msg.text() : `[${kindLabel(kind)}]`)) return;
      st.turn = st.turn
        .then(() => this.ready)
        .then(() => this.handle(msg, kind, room, st))
        .catch((err: unknown) => this.log?.error({ err, msgId: msg.id }, 'message handling failed'));
    } catch (err) {
      this.log?.error({ err, msgId: msg.id }, 'message dropped: could not read it');
    }
  }

  private state(contact: Contact): CustomerState {
    let st = this.customers.get(contact.id);
    if (!st) {
      st = { contact, session: {}, status: 'bot', turn: Promise.resolve(), writes: Promise.resolve(), chained: 0 };
      this.customers.set(contact.id, st);
    }
    return st;
  }

  /** The flood cap: false when this message is only counted (a true flood). */
  private admit(st: CustomerState, text: string): boolean {
    const key = st.contact.id;
    const cutting = this.cap.cutting(key);
    if (this.cap.take(key, text)) {
      // The note goes in before the message that ends the cut.
      if (cutting) this.noteCut(st);
      return true;
    }
    if (!cutting) {
      this.log?.warn('customer flood: messages beyond the cap are counted, not stored one by one');
      st.cutTimer = setTimeout(() => this.noteCut(st), this.cutFlushMs);
      st.cutTimer.unref();
    }
    return false;
  }

  /** Writes what the flood cut so far into the transcript, in turn order. */
  private noteCut(st: CustomerState): void {
    clearTimeout(st.cutTimer);
    st.cutTimer = undefined;
    st.turn = st.turn.then(() => {
      const cut = this.cap.drain(st.contact.id);
      if (!cut) return;
      void this.write(st, { kind: 'message', msg: { from: 'system', kind: 'flood_cut', text: floodCutText(cut) } }, false);
    });
  }

  /**
   * The bot's replies, throttled while the bot has the chat. A handoff still goes through (a person
   * is the way out of a flood, and the customer hears where they stand); the rest is recorded
   * without a reply, and the session stays as the customer last saw it.
   */
  private throttle(st: CustomerState, status: ConversationStatus, d: Decision): Decision {
    if (PERSON_STATUSES.has(status) || !d.actions.some((a) => a.type === 'say' || a.type === 'answer')) return d;
    const verdict = this.flood.check(st.contact.id);
    if (verdict === 'ok') return d;
    const handoffs = d.actions.filter((a) => a.type === 'handoff');
    if (handoffs.length > 0) return { actions: handoffs, session: d.session };
    if (verdict === 'warn') this.log?.info('customer flooding: the bot pauses its replies (messages are still recorded)');
    return { actions: verdict === 'warn' ? [{ type: 'say', text: this.messages.flood }] : [], session: st.session };
  }

  private async handle(msg: Message, kind: string, room: Room | undefined, st: CustomerState): Promise<void> {
    let text = kind === 'text' ? msg.text() : '';
    if (room) {
      if (!(await msg.mentionSelf())) return;
      text = await msg.mentionText();
      if (!this.admit(st, text)) return;
    }

    this.c.metrics?.received?.(kind);
    const record: NewMessage = { from: 'customer', text, msgId: msg.id };
    if (kind !== 'text') {
      record.kind = kind;
      record.text = `[${kindLabel(kind)}]`;
      const url = await this.urlOf(msg, kind);
      if (url) record.url = url;
    }
    const decideFor = (status: ConversationStatus) =>
      this.throttle(
        st,
        status,
        kind === 'text'
          ? decide(
              { text: text.length > this.maxMatchChars ? text.slice(0, this.maxMatchChars) : text, status, session: st.session },
              this.kb.knowledge(),
              this.messages,
              this.policy,
            )
          : decideNonText(kind, status, st.session, this.messages),
      );
    // The policy is pure: decide on the last known status while Redis records the message.
    const assumed = st.status;
    let decision = decideFor(assumed);
    if (decision.outcome) this.c.metrics?.outcome?.(decision.outcome.type);

    // The common turn, replies that need no I/O to prepare: the customer's message and the bot's
    // replies go to Redis in one round trip, recorded only if the chat is still in the status the
    // replies were decided for.
    if (decision.actions.every((a) => a.type === 'say' || a.type === 'answer') && isReady(this.c.redis)) {
      const out: Outgoing[] = [];
      for (const action of decision.actions) await this.act(action, st, text, out);
      const sends = this.coalesce ? coalesce(out) : out;
      const replies = sends.map((o): NewMessage => ({ from: 'bot', text: o.text, ...o.extra }));
      const turn = await this.write(st, { kind: 'turn', msg: record, replies, decidedFor: assumed, outcome: decision.outcome });
      if (turn?.duplicate) return;
      if (!turn || turn.repliesRecorded) {
        if (turn) st.status = turn.status;
        st.session = decision.session;
        const { outcome } = decision;
        if (outcome?.type === 'rating' && outcome.score) void this.write(st, { kind: 'rating', score: outcome.score }, false);
        for (const o of sends) {
          if (!(await this.send(st, room, o.text))) {
            void this.write(st, { kind: 'message', msg: { from: 'system', kind: 'send_failed', text: 'send failed' } }, false);
          }
        }
        return;
      }
      // An agent took the chat (or it was queued) meanwhile: decide again for its real status.
      st.status = turn.status;
      decision = decideFor(st.status);
    } else {
      // No replies to record yet (a handoff needs I/O first); the outcome counts if the decision stands.
      const { outcome } = decision;
      const recorded = await this.write(st, { kind: 'turn', msg: record, replies: [], decidedFor: assumed, outcome });
      if (recorded?.duplicate) return;
      if (recorded) st.status = recorded.status;
      if (st.status !== assumed) decision = decideFor(st.status);
      // Redis away: the rating waits with the turn (the common turn above records it when Redis is there).
      else if (outcome?.type === 'rating' && outcome.score) void this.write(st, { kind: 'rating', score: outcome.score }, false);
    }
    st.session = decision.session;
    const out: Outgoing[] = [];
    for (const action of decision.actions) await this.act(action, st, text, out);
    for (const o of this.coalesce ? coalesce(out) : out) await this.say(st, room, o.text, o.extra);
  }

  /** Carries out one action; texts to send go to `out` (sent in order at the end of the turn). */
  private async act(action: Action, st: CustomerState, question: string, out: Outgoing[]): Promise<void> {
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
        for (const part of this.kb.rendered(entry)) out.push({ text: part, extra: { faqId: action.faqId, confidence: action.confidence } });
        return;
      }
      case 'handoff': {
        // The question behind an accepted offer, else this message.
        const asked = action.question ?? question;
        const ticket = await this.write(st, { kind: 'handoff', reason: action.reason, question: asked });
        if (ticket) {
          st.status = ticket.status;
          if (ticket.queued) this.c.metrics?.handoff?.(action.reason);
          if (ticket.notice) out.push({ text: queueNoticeText(ticket.notice, this.messages, this.c.timezone, Date.now()) });
          else if (ticket.status === 'active') out.push({ text: this.messages.already_queued });
        } else {
          // Queued for when Redis is back (the offline queue and the journal keep it): the customer hears about the delay.
          st.status = 'waiting';
          out.push({ text: delayNoticeText(this.messages) });
        }
        return;
      }
      case 'feedback':
        void this.write(st, { kind: 'message', msg: { from: 'system', kind: 'feedback', faqId: action.faqId, text: action.helpful ? 'helpful' : 'not_helpful' } }, false);
        return;
    }
  }

  /** Sends (retrying a failed send) and records it as the bot's message. */
  private async say(st: CustomerState, room: Room | undefined, text: string, extra: Partial<NewMessage> = {}): Promise<void> {
    if (!(await this.send(st, room, text))) return;
    void this.write(st, { kind: 'message', msg: { from: 'bot', text, ...extra } }, false);
  }

  /** Sends to the customer (or the room), retrying a failed send; false when it gave up. */
  private async send(st: CustomerState, room: Room | undefined, text: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (room) await room.say(text, st.contact);
        else await st.contact.say(text);
        this.c.metrics?.sent?.('bot');
        return true;
      } catch (err) {
        if (attempt >= this.attempts) {
          this.c.metrics?.sendFailed?.('bot');
          this.log?.error({ err }, 'send failed; giving up');
          return false;
        }
        this.log?.warn({ err, attempt }, 'send failed; retrying');
        await sleep(300 * attempt);
      }
    }
  }

  private async urlOf(msg: Message, kind: string): Promise<string | undefined> {
    try {
      if (kind === 'link') return (await msg.toUrlLink()).url();
      if (kind === 'image' || kind === 'file' || kind === 'video') {
        const json = (await msg.toFileBox()).toJSON() as { url?: string; remoteUrl?: string };
        const url = json.url ?? json.remoteUrl;
        return typeof url === 'string' && /^https?:\/\//.test(url) ? url : undefined;
      }
    } catch (err) {
      this.log?.debug({ err, msgId: msg.id }, 'no url for a non-text message');
    }
    return undefined;
  }
}
