/**
 * The bot on the real Wechaty runtime with wechaty-puppet-mock, the real knowledge base and a real
 * redis-server: mock customers that talk to it and remember what they heard, plus helpers to
 * reach into the handoff (conversation ids, transcripts) and to emit raw mock messages
 * (duplicates, old messages, links). Free of vitest (benchmarks drive it too).
 *
 * To show that the bot did *not* say something, wait for proof that it is done instead of
 * sleeping: it handles one customer's messages one at a time, in order, and sends a turn's replies
 * before the next turn starts, so once a later message of the same customer is in the transcript
 * (`MockCustomer.recorded`) every earlier one has been answered or not; and once the outbound stream
 * is drained (`Harness.outboundDrained`) every agent reply and notice has been delivered.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import { types, WechatyBuilder, type Wechaty } from 'wechaty';
import { PuppetMock, mock } from 'wechaty-puppet-mock';
import { KefuBot, type KefuBotConfig, type KefuBotPlugin } from '../../src/bot/index.ts';
import { loadMessages, type Messages } from '../../src/bot/messages.ts';
import {
  conversationId,
  createRedis,
  DEFAULT_SLA_POLICY,
  Handoff,
  type TranscriptMessage,
} from '../../src/handoff/index.ts';
import { createKnowledgeService, type KnowledgeService } from '../../src/knowledge/index.ts';
import { randomPrefix } from './redis.ts';
import { waitDrained } from './streams.ts';
import { waitFor } from './waits.ts';

export const KB_DIR = path.resolve(import.meta.dirname, '../../knowledge-base');
export const BOT_NAME = '闪录客服';
/** The outbound consumer group of the bots (src/handoff/outbound.ts). */
export const OUTBOUND_GROUP = 'bots';

export class MockCustomer {
  /** Texts the bot sent this customer (private chat), in order. */
  readonly heard: string[] = [];

  constructor(
    readonly h: Harness,
    readonly contact: mock.ContactMock,
  ) {
    contact.on('message', (m: mock.MessageMock) => {
      if (m.payload.talkerId === h.user.id && !m.payload.roomId) this.heard.push(m.payload.text ?? '');
    });
  }

  get id(): string {
    return this.contact.id;
  }

  say(text: string): void {
    this.contact.say(text).to(this.h.user);
  }

  /** A raw message from this customer to the bot (fields override the defaults); returns its id. */
  emit(fields: Partial<{ id: string; text: string; type: types.Message; timestamp: number }> = {}): string {
    return this.h.emit({ talkerId: this.id, listenerId: this.h.user.id, ...fields });
  }

  /** Waits until the bot said something matching `pattern` (after the first `from` messages heard). */
  async hears(pattern: RegExp | string, from = 0, timeoutMs = 5_000): Promise<string> {
    const test = (t: string) => (typeof pattern === 'string' ? t.includes(pattern) : pattern.test(t));
    let found: string | undefined;
    await waitFor(
      // Evaluated at the timeout: what was heard by then.
      () => `the bot to say ${String(pattern)} to ${this.contact.payload.name} (heard: ${JSON.stringify(this.heard.slice(from))})`,
      () => (found = this.heard.slice(from).find(test)) !== undefined,
      timeoutMs,
    );
    return found!;
  }

  /** The customer's stable id in the handoff (once the bot has seen them). */
  async customerId(): Promise<string | null> {
    return this.h.redis.hget(this.h.handoff.keys.identity(this.h.botId), `c:${this.id}`);
  }

  async conversationId(): Promise<string> {
    let id: string | null = null;
    await waitFor('the customer to have an id', async () => (id = await this.customerId()) !== null);
    return conversationId(this.h.botId, id!);
  }

  async transcript(): Promise<TranscriptMessage[]> {
    return this.h.handoff.transcript(await this.conversationId());
  }

  /**
   * Waits until the transcript holds `text` from this customer `times` times. Said after other
   * messages, it proves the bot finished their turns, replies included (see the module comment).
   */
  async recorded(text: string, times = 1, timeoutMs?: number): Promise<TranscriptMessage[]> {
    let t: TranscriptMessage[] = [];
    await waitFor(
      () => `"${text}" from ${this.contact.payload.name} in the transcript ${times} time(s) (got ${JSON.stringify(t.map((m) => m.text))})`,
      async () => (t = await this.transcript()).filter((m) => m.from === 'customer' && m.text === text).length >= times,
      timeoutMs,
    );
    return t;
  }
}

export interface Harness {
  bot: Wechaty;
  mocker: mock.Mocker;
  puppet: PuppetMock;
  /** The bot's own WeChat account. */
  user: mock.ContactMock;
  botId: string;
  prefix: string;
  /** The product's client (offline queue, reconnects forever), as the bot uses it. */
  redis: Redis | Cluster;
  handoff: Handoff;
  knowledge: KnowledgeService;
  messages: Messages;
  plugin: KefuBotPlugin;
  customer(payload?: Partial<mock.ContactMock['payload']>): MockCustomer;
  /** Creates a mock message from a partial payload and has the puppet deliver it; returns its id. */
  emit(payload: Record<string, unknown>): string;
  /** Has the puppet deliver an existing message again (as puppets do after a re-login). */
  redeliver(messageId: string): void;
  /**
   * Waits until the bot's outbound stream is read and acknowledged to the end: every agent reply
   * and notice written so far has been delivered (or given up), and nothing is left to send again.
   */
  outboundDrained(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

let seq = 0;

/**
 * @param overrides plugin settings (a `botId` of an earlier harness meets its journal and conversations again)
 * @param opts.prefix the key prefix (default a fresh one): the same as an earlier harness to share its data
 */
export async function startHarness(redisUrl: string, overrides: Partial<KefuBotConfig> = {}, opts: { prefix?: string } = {}): Promise<Harness> {
  const prefix = opts.prefix ?? randomPrefix();
  const botId = overrides.botId ?? `bot${++seq}`;
  const redis = createRedis({ url: redisUrl });
  const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  const knowledge = await createKnowledgeService({ dir: KB_DIR, watch: false });
  const messages = await loadMessages(KB_DIR);
  const mocker = new mock.Mocker();
  const puppet = new PuppetMock({ mocker });
  // No name: no memory-card file in the working directory.
  const bot = WechatyBuilder.build({ puppet });
  bot.on('error', () => undefined);
  const plugin = KefuBot({
    botId,
    handoff,
    redis,
    knowledge,
    messages,
    timezone: DEFAULT_SLA_POLICY.hours.timezone,
    flood: { max: 6, windowS: 10, muteS: 60 },
    // The mock accepts an alias without keeping it (and wechaty warns about that).
    setAlias: false,
    outbound: { retryMs: 100, blockMs: 300 },
    ...overrides,
  });
  bot.use(plugin);
  await bot.start();
  const user = mocker.createContact({ name: BOT_NAME });
  const loggedIn = new Promise<void>((r) => bot.once('login', () => r()));
  mocker.login(user);
  await loggedIn;

  const emit = (payload: Record<string, unknown>): string => {
    const id = (payload.id as string | undefined) ?? randomUUID().replace(/-/g, '');
    const msg = mocker.MessageMock.create({ type: types.Message.Text, timestamp: Date.now(), ...payload, id } as never);
    mocker.puppet.emit('message', { messageId: msg.id });
    return id;
  };

  const h: Harness = {
    bot,
    mocker,
    puppet,
    user,
    botId,
    prefix,
    redis,
    handoff,
    knowledge,
    messages,
    plugin,
    customer: (payload = {}) => new MockCustomer(h, mocker.createContact(payload)),
    emit,
    redeliver: (messageId) => mocker.puppet.emit('message', { messageId }),
    outboundDrained: (timeoutMs) => waitDrained(redis, handoff.keys.outbound(botId), OUTBOUND_GROUP, { timeout: timeoutMs }),
    async stop() {
      await plugin.stop();
      await bot.stop().catch(() => undefined);
      await knowledge.close();
      redis.disconnect();
    },
  };
  return h;
}

/** Logs the bot out and in again, as a puppet's re-login does (the mock keeps contact ids; a real one changes them). */
export async function relogin(h: Harness): Promise<void> {
  const loggedOut = new Promise<void>((r) => h.bot.once('logout', () => r()));
  await h.bot.logout();
  await loggedOut;
  const loggedIn = new Promise<void>((r) => h.bot.once('login', () => r()));
  h.mocker.login(h.user);
  await loggedIn;
}
