/**
 * The Wechaty plugin: any Wechaty bot can `use(KefuBot(config))`. It carries out the dialogue
 * policy (./policy.ts decides, this file does): guards -> identity -> transcript -> decide ->
 * send, and delivers the agents' replies from the handoff's outbound stream.
 *
 * Redis never stands between a customer and an FAQ answer: when the handoff's connection is not
 * ready (or a call takes longer than `redisWaitMs`), writes go on a per-customer chain that the
 * ioredis offline queue completes, in order, once Redis is back, and the bot answers from the
 * last status it knew.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { types, type Contact, type Message, type Room, type Wechaty, type WechatyPlugin } from 'wechaty';
import {
  isReady,
  OutboundConsumer,
  parseConversationId,
  type ConversationStatus,
  type CustomerRef,
  type Handoff,
  type HandoffReason,
  type NewMessage,
  type OutboundMessage,
  type OutboundOptions,
  type TurnOutcome,
} from '../handoff/index.ts';
import { menuEntries, renderAnswer, WECHAT_MAX_MESSAGE_BYTES, type FaqEntry, type Matcher, type MatchResult } from '../knowledge/index.ts';
import { FloodGuard, isTooOld, RecentIds } from './guard.ts';
import { IdentityMap } from './identity.ts';
import { renderTemplate, type Messages } from './messages.ts';
import {
  decide,
  decideNonText,
  DEFAULT_POLICY_OPTIONS,
  delayNoticeText,
  kindLabel,
  queueNoticeText,
  type PolicyKnowledge,
  type PolicyOptions,
} from './policy.ts';
import type { Action, Session } from './types.ts';

export interface KefuBotConfig {
  /** This WeChat account's id in the handoff (letters, digits, _ and -). */
  botId: string;
  handoff: Handoff;
  /** The Redis client `handoff` uses: its readiness decides whether the bot waits for Redis. */
  redis: Redis | Cluster;
  /**
   * A connection of its own for the outbound consumer (XREADGROUP BLOCK holds it while waiting);
   * default: a duplicate of `redis`, closed on uninstall.
   */
  outboundRedis?: Redis | Cluster;
  /** The current matcher (e.g. a hot-reloaded KnowledgeService). */
  knowledge: { matcher(): Matcher };
  messages: Messages;
  /** The current phrases, when they are hot-reloaded (`watchMessages`); else `messages` stays. */
  messagesSource?: () => Messages;
  policy?: Partial<PolicyOptions>;
  /** Business-hours time zone, for queue notices ("we are back on Monday 09:00"). */
  timezone: string;
  /** Group chats: answer only when @-mentioned (default), or never. */
  roomMode?: 'mention' | 'off';
  /** Older messages (a backlog after login) are dropped; default 120. */
  maxMessageAgeS?: number;
  flood?: { max: number; windowS: number; muteS: number };
  /** Text beyond this is not matched (it is stored whole); default 500. */
  maxMatchChars?: number;
  /** Write the customer number into new contacts' remark (default true). */
  setAlias?: boolean;
  /** How long to wait for a Redis call before going on without it (default 2,000 ms). */
  redisWaitMs?: number;
  /**
   * Join the texts of one turn (an answer and its "有帮助吗？" check, a greeting and the menu) into
   * as few WeChat messages as fit (2,000 bytes each), default true: fewer bubbles for the customer,
   * fewer sends for an account WeChat watches for bursts, and fewer transcript writes.
   */
  coalesce?: boolean;
  /**
   * Match results remembered per knowledge-base version, by exact text (default 5,000; 0 = off).
   * Customers ask the same FAQ in the same words again and again; a reload starts afresh.
   */
  matchCacheSize?: number;
  /** Attempts per message the bot sends itself (default 3). */
  sendAttempts?: number;
  /** Outbound consumer tuning (tests: short retry and block times). */
  outbound?: Pick<OutboundOptions, 'retryMs' | 'blockMs' | 'claimIdleMs' | 'giveUpMs'>;
  logger?: Logger;
  /** Operational counters and timings (the composition root backs them with prom-client). */
  metrics?: BotMetrics;
}

/** Hooks for operational metrics; every one is optional to implement. */
export interface BotMetrics {
  /** A customer message passed the guards (kind: text, image, voice, …). */
  received?(kind: string): void;
  /** What the bot made of a customer message. */
  outcome?(type: TurnOutcome['type']): void;
  /** A conversation entered the human queue. */
  handoff?(reason: HandoffReason): void;
  /** A message WeChat accepted: the bot's own, an agent's reply, or a notice (resolved). */
  sent?(kind: 'bot' | 'agent' | 'notice'): void;
  /** A send WeChat refused (the bot's own after its retries; an agent reply is retried later). */
  sendFailed?(kind: 'bot' | 'agent'): void;
  /** Time the matching engine took for one question (cache misses only). */
  matchSeconds?(seconds: number): void;
  /** From the agent's reply entering the outbound stream to WeChat accepting it. */
  relaySeconds?(seconds: number): void;
}

/** Stops the plugin on one bot; resolves once the outbound consumer has stopped. */
export type KefuBotUninstaller = () => Promise<void>;

export interface KefuBotPlugin extends WechatyPlugin {
  (bot: Wechaty): KefuBotUninstaller;
  /** Uninstalls from every bot it was installed on. */
  stop(): Promise<void>;
  /** Counters over every bot it is installed on. */
  stats(): { matchCacheHits: number };
}

export function KefuBot(config: KefuBotConfig): KefuBotPlugin {
  const installed = new Map<KefuBotUninstaller, KefuRuntime>();
  const plugin = function KefuBotPlugin(bot: Wechaty): KefuBotUninstaller {
    const runtime = new KefuRuntime(bot, config);
    runtime.install();
    const uninstall: KefuBotUninstaller = async () => {
      if (!installed.delete(uninstall)) return;
      await runtime.uninstall();
    };
    installed.set(uninstall, runtime);
    return uninstall;
  } as KefuBotPlugin;
  plugin.stop = async () => {
    await Promise.all([...installed.keys()].map((u) => u()));
  };
  plugin.stats = () => ({ matchCacheHits: [...installed.values()].reduce((n, r) => n + r.stats().matchCacheHits, 0) });
  return plugin;
}

/** The transcript kind of a WeChat message type; undefined = not something a customer says. */
export function kindOf(type: types.Message): string | undefined {
  switch (type) {
    case types.Message.Text:
      return 'text';
    case types.Message.Image:
      return 'image';
    case types.Message.Audio:
      return 'voice';
    case types.Message.Attachment:
      return 'file';
    case types.Message.Emoticon:
      return 'sticker';
    case types.Message.Url:
      return 'link';
    case types.Message.Video:
      return 'video';
    case types.Message.Location:
      return 'location';
    case types.Message.MiniProgram:
      return 'miniprogram';
    case types.Message.Contact:
      return 'contact';
    default:
      return undefined;
  }
}

/** What the bot keeps per customer (per contact of this login). */
interface CustomerState {
  contact: Contact;
  session: Session;
  /** Last status the bot knew (answers go on from it while Redis is away). */
  status: ConversationStatus;
  ref?: Promise<CustomerRef>;
  /** The resolved `ref`, once known. */
  refValue?: CustomerRef;
  /** Messages of one customer are handled one after another. */
  turn: Promise<void>;
  /** Redis writes of one customer waiting for the identity or for earlier such writes, in order. */
  writes: Promise<unknown>;
  /** How many writes are on that chain and not yet issued. */
  chained: number;
}

/** A text the bot is about to send, with what its transcript entry carries. */
interface Outgoing {
  text: string;
  extra?: Partial<NewMessage>;
}

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * Joins consecutive texts with a blank line while the result fits one WeChat message. The joined
 * message keeps the FAQ id and confidence of the answer in it (the transcript counts answers).
 */
export function coalesce(out: Outgoing[], maxBytes = WECHAT_MAX_MESSAGE_BYTES): Outgoing[] {
  const merged: Outgoing[] = [];
  for (const o of out) {
    const last = merged.at(-1);
    if (last && utf8Bytes(last.text) + 2 + utf8Bytes(o.text) <= maxBytes && !(last.extra?.faqId && o.extra?.faqId)) {
      merged[merged.length - 1] = { text: `${last.text}\n\n${o.text}`, extra: last.extra ?? o.extra };
    } else {
      merged.push(o);
    }
  }
  return merged;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `p`'s value, or undefined when it fails or takes longer than `ms` (it goes on regardless). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

class KefuRuntime {
  private readonly log?: Logger;
  private readonly identity: IdentityMap;
  private readonly recent = new RecentIds();
  private readonly flood: FloodGuard;
  private readonly customers = new Map<string, CustomerState>();
  private readonly consumer: OutboundConsumer;
  private readonly outboundRedis: Redis | Cluster;
  private readonly ownsOutboundRedis: boolean;
  private readonly policy: PolicyOptions;
  private readonly maxAgeS: number;
  private readonly maxMatchChars: number;
  private readonly waitMs: number;
  private readonly attempts: number;
  private readonly listeners: [string, (...args: never[]) => unknown][] = [];
  private consumerStart?: Promise<void>;
  private kbCache?: PolicyKnowledge & { source: Matcher };
  private matchHits = 0;

  /** The phrases as editors last saved them (valid ones only). */
  private get messages(): Messages {
    return this.c.messagesSource?.() ?? this.c.messages;
  }
  /** Entries are replaced, never changed, on reload: the object is the version. */
  private readonly renderCache = new WeakMap<FaqEntry, string[]>();
  private readonly coalesce: boolean;
  private stopped = false;

  constructor(
    private readonly bot: Wechaty,
    private readonly c: KefuBotConfig,
  ) {
    this.log = c.logger?.child({ module: 'bot', botId: c.botId });
    this.identity = new IdentityMap({ redis: c.redis, keys: c.handoff.keys, botId: c.botId, setAlias: c.setAlias, logger: this.log });
    this.flood = new FloodGuard(c.flood ?? { max: 10, windowS: 10, muteS: 60 });
    this.policy = { ...DEFAULT_POLICY_OPTIONS, ...c.policy };
    this.maxAgeS = c.maxMessageAgeS ?? 120;
    this.maxMatchChars = c.maxMatchChars ?? 500;
    this.waitMs = c.redisWaitMs ?? 2_000;
    this.attempts = Math.max(1, c.sendAttempts ?? 3);
    this.coalesce = c.coalesce ?? true;
    this.ownsOutboundRedis = !c.outboundRedis;
    this.outboundRedis = c.outboundRedis ?? (c.redis as Redis).duplicate();
    if (this.ownsOutboundRedis) this.outboundRedis.on('error', () => undefined);
    this.consumer = new OutboundConsumer(this.outboundRedis, c.handoff.keys, {
      botId: c.botId,
      // Stable across restarts: a restarted bot resumes its own pending deliveries first.
      consumer: c.botId,
      deliver: (m) => this.deliver(m),
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
    this.on('message', (msg: Message) => this.onMessage(msg));
    this.on('login', () => {
      this.customers.clear();
      this.identity.newLogin().catch((err: unknown) => this.log?.warn({ err }, 'could not start a new identity epoch'));
    });
    // Contact.find of a vanished contact and refused aliases are reported as 'error' events:
    // without a listener Node would exit.
    this.on('error', (err: Error) => this.log?.warn({ err: err.message }, 'wechaty error'));
    this.consumerStart = this.startConsumer();
  }

  async uninstall(): Promise<void> {
    this.stopped = true;
    for (const [event, fn] of this.listeners.splice(0)) this.bot.off(event as 'message', fn as never);
    await this.consumerStart;
    await this.consumer.stop();
    if (this.ownsOutboundRedis) this.outboundRedis.disconnect();
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
      st.turn = st.turn
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

  private async handle(msg: Message, kind: string, room: Room | undefined, st: CustomerState): Promise<void> {
    let text = kind === 'text' ? msg.text() : '';
    if (room) {
      if (!(await msg.mentionSelf())) return;
      text = await msg.mentionText();
    }
    switch (this.flood.check(st.contact.id)) {
      case 'muted':
        return;
      case 'warn':
        this.log?.info({ msgId: msg.id }, 'customer flooding: warned, muted for a while');
        await this.say(st, room, this.messages.flood);
        return;
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
      kind === 'text'
        ? decide(
            { text: text.length > this.maxMatchChars ? text.slice(0, this.maxMatchChars) : text, status, session: st.session },
            this.knowledge(),
            this.messages,
            this.policy,
          )
        : decideNonText(kind, status, st.session, this.messages);
    // The policy is pure: decide on the last known status while Redis records the message.
    const assumed = st.status;
    let decision = decideFor(assumed);
    if (decision.outcome) this.c.metrics?.outcome?.(decision.outcome.type);

    // The common turn, replies that need no I/O to prepare: the customer's message and the bot's
    // replies go to Redis in one round trip, recorded only if the chat is still in the status the
    // replies were decided for.
    if (decision.actions.every((a) => a.type === 'say' || a.type === 'answer') && isReady(this.c.redis)) {
      const out: Outgoing[] = [];
      for (const action of decision.actions) await this.act(action, st, room, text, out);
      const sends = this.coalesce ? coalesce(out) : out;
      const replies = sends.map((o): NewMessage => ({ from: 'bot', text: o.text, ...o.extra }));
      const turn = await this.write(st, (ref) => this.c.handoff.recordTurn(ref, record, { replies, decidedFor: assumed, outcome: decision.outcome }));
      if (turn?.duplicate) return;
      if (!turn || turn.repliesRecorded) {
        if (turn) st.status = turn.status;
        st.session = decision.session;
        const { outcome } = decision;
        if (outcome?.type === 'rating' && outcome.score) {
          const score = outcome.score;
          void this.write(st, (ref) => this.c.handoff.recordRating(ref, score), false);
        }
        for (const o of sends) {
          if (!(await this.send(st, room, o.text))) {
            void this.write(st, (ref) => this.c.handoff.recordMessage(ref, { from: 'system', kind: 'send_failed', text: 'send failed' }), false);
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
      const recorded = await this.write(st, (ref) => this.c.handoff.recordTurn(ref, record, { replies: [], decidedFor: assumed, outcome }));
      if (recorded) st.status = recorded.status;
      if (st.status !== assumed) decision = decideFor(st.status);
    }
    st.session = decision.session;
    const out: Outgoing[] = [];
    for (const action of decision.actions) await this.act(action, st, room, text, out);
    for (const o of this.coalesce ? coalesce(out) : out) await this.say(st, room, o.text, o.extra);
  }

  /** An entry's answer as WeChat messages (rendered once per entry version). */
  private rendered(entry: FaqEntry): string[] {
    let parts = this.renderCache.get(entry);
    if (!parts) {
      parts = renderAnswer(entry.answer);
      this.renderCache.set(entry, parts);
    }
    return parts;
  }

  /** The matcher (with its result cache) and menu, built once per knowledge-base version. */
  private knowledge(): PolicyKnowledge {
    const matcher = this.c.knowledge.matcher();
    if (this.kbCache?.source !== matcher) {
      const size = this.c.matchCacheSize ?? 5_000;
      const cache = new Map<string, MatchResult>();
      const match =
        size > 0
          ? (q: string): MatchResult => {
              let r = cache.get(q);
              if (r) {
                this.matchHits++;
                return r;
              }
              const t0 = performance.now();
              r = matcher.match(q);
              this.c.metrics?.matchSeconds?.((performance.now() - t0) / 1000);
              cache.set(q, r);
              if (cache.size > size) cache.delete(cache.keys().next().value as string);
              return r;
            }
          : (q: string): MatchResult => matcher.match(q);
      this.kbCache = { source: matcher, matcher: { match, entry: (id) => matcher.entry(id) }, menu: menuEntries(matcher.kb) };
    }
    return this.kbCache;
  }

  stats(): { matchCacheHits: number } {
    return { matchCacheHits: this.matchHits };
  }

  /** Carries out one action; texts to send go to `out` (sent in order at the end of the turn). */
  private async act(action: Action, st: CustomerState, room: Room | undefined, question: string, out: Outgoing[]): Promise<void> {
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
        for (const part of this.rendered(entry)) out.push({ text: part, extra: { faqId: action.faqId, confidence: action.confidence } });
        return;
      }
      case 'handoff': {
        // The question behind an accepted offer, else this message.
        const asked = action.question ?? question;
        const ticket = await this.write(st, (ref) => this.c.handoff.requestHuman(ref, { reason: action.reason, question: asked }));
        if (ticket) {
          st.status = ticket.status;
          if (ticket.queued) this.c.metrics?.handoff?.(action.reason);
          if (ticket.notice) out.push({ text: queueNoticeText(ticket.notice, this.messages, this.c.timezone, Date.now()) });
          else if (ticket.status === 'active') out.push({ text: this.messages.already_queued });
        } else {
          // Queued for when Redis is back (the offline queue keeps it): the customer hears about the delay.
          st.status = 'waiting';
          out.push({ text: delayNoticeText(this.messages) });
        }
        return;
      }
      case 'feedback':
        void this.write(st, (ref) =>
          this.c.handoff.recordMessage(ref, {
            from: 'system',
            kind: 'feedback',
            faqId: action.faqId,
            text: action.helpful ? 'helpful' : 'not_helpful',
          }),
          false,
        );
        return;
    }
  }

  /** Sends (retrying a failed send) and records it as the bot's message. */
  private async say(st: CustomerState, room: Room | undefined, text: string, extra: Partial<NewMessage> = {}): Promise<void> {
    if (!(await this.send(st, room, text))) return;
    void this.write(st, (ref) => this.c.handoff.recordMessage(ref, { from: 'bot', text, ...extra }), false);
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

  /**
   * Runs a Redis write after this customer's earlier ones. Waits for it only while Redis is ready,
   * and at most `redisWaitMs`: the result, or undefined when the bot went on without it.
   */
  private write<T>(st: CustomerState, op: (ref: CustomerRef) => Promise<T>, wait = true): Promise<T | undefined> {
    const ready = isReady(this.c.redis);
    let run: Promise<T>;
    if (st.refValue && st.chained === 0) {
      // Issued at once: one connection runs commands in the order they were sent (and all of a
      // conversation's keys share a slot, so a Cluster sends them down one connection too).
      run = op(st.refValue);
      run.catch((err: unknown) => this.log?.warn({ err }, 'redis write failed'));
    } else {
      st.chained++;
      run = st.writes.then(async () => {
        try {
          return op(await this.refOf(st));
        } finally {
          st.chained--;
        }
      });
      st.writes = run.catch((err: unknown) => this.log?.warn({ err }, 'redis write failed'));
    }
    return ready && wait ? within(run, this.waitMs) : Promise.resolve(undefined);
  }

  private refOf(st: CustomerState): Promise<CustomerRef> {
    if (!st.ref) {
      const ref = this.identity.resolve(st.contact).then((customerId) => {
        const value: CustomerRef = { botId: this.c.botId, customerId, customerName: st.contact.name() };
        st.refValue = value;
        return value;
      });
      ref.catch(() => (st.ref = undefined));
      st.ref = ref;
    }
    return st.ref;
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

  // ------------------------------------------------------------------------------------------
  // Agent replies and notices from the outbound stream

  /** Throws when the customer cannot be reached now: the consumer keeps the entry and retries. */
  private async deliver(m: OutboundMessage): Promise<void> {
    if (!this.bot.isLoggedIn) throw new Error('not logged in');
    const contact = await this.contactOf(m.customerId);
    if (!contact) throw new Error(`customer ${m.customerId} is not reachable (contact not found)`);
    const text =
      m.kind === 'resolved'
        ? this.messages.resolved
        : m.kind === 'fixed'
          ? renderTemplate(this.messages.problem_fixed, { title: m.title ?? '', note: m.text })
          : m.kind === 'joined'
            ? renderTemplate(this.messages.agent_joined, { agent: m.text })
            : m.text;
    try {
      await contact.say(text);
    } catch (err) {
      this.c.metrics?.sendFailed?.('agent');
      throw err;
    }
    this.c.metrics?.sent?.(m.kind === 'text' ? 'agent' : 'notice');
    if (m.kind === 'text' && m.at) this.c.metrics?.relaySeconds?.(Math.max(0, Date.now() - Date.parse(m.at)) / 1000);
    const st = this.state(contact);
    if (m.kind === 'joined') {
      st.status = 'active';
      void this.write(st, (ref) => this.c.handoff.recordMessage(ref, { from: 'bot', text }), false);
    } else if (m.kind === 'resolved' || m.kind === 'fixed') {
      // A fix notice resolves a chat parked on that problem (the handoff did); one with an agent stays.
      if (m.kind === 'resolved' || st.status === 'awaiting_fix') {
        st.status = 'resolved';
        st.session = {};
      }
      void this.write(st, (ref) => this.c.handoff.recordMessage(ref, { from: 'bot', text }), false);
    } else if (st.status !== 'active') {
      st.status = 'active';
    }
  }

  private async contactOf(customerId: string): Promise<Contact | undefined> {
    const id = await this.identity.contactIdOf(customerId);
    if (id) {
      const c = await this.bot.Contact.find({ id });
      if (c) return c;
    }
    // A new login may have changed the contact's id: its remark still carries the customer number.
    const byAlias = await this.bot.Contact.find({ alias: customerId }).catch(() => undefined);
    return byAlias ?? undefined;
  }
}
