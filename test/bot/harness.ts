/**
 * The bot on the real Wechaty runtime with wechaty-puppet-mock, the real knowledge base and a real
 * redis-server: mock customers that talk to it and remember what they heard, plus helpers to
 * reach into the handoff (conversation ids, transcripts) and to emit raw mock messages
 * (duplicates, old messages, links).
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
import { randomPrefix } from '../helpers/redis.ts';

export const KB_DIR = path.resolve(import.meta.dirname, '../../knowledge-base');
export const BOT_NAME = '闪录客服';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string | (() => string), cond: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(10);
  }
}

/** Lets the bot work for `ms`, to show that something does *not* happen. */
export const quiet = (ms = 400): Promise<void> => sleep(ms);

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
    async stop() {
      await plugin.stop();
      await bot.stop().catch(() => undefined);
      await knowledge.close();
      redis.disconnect();
    },
  };
  return h;
}
