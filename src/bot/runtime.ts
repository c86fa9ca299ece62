/**
 * The bot on one channel account: the adapter (what the channel delivers and how to send), the
 * turn (./turn.ts), the write chain with its journal (./writes.ts, ./journal.ts) and the
 * consumer of the handoff's outbound stream (agents' replies and notices, ./deliver.ts).
 *
 * Redis never stands between a customer and an FAQ answer: writes that cannot wait go on a
 * per-customer chain that the ioredis offline queue completes once Redis is back, kept in a local
 * journal until Redis confirms them, and the bot answers from the last status it knew.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ChannelAdapter } from '../channels/types.ts';
import { OutboundConsumer, outcomeLineId, parseConversationId, type OutboundMessage } from '../handoff/index.ts';
import type { BotRuntimeConfig } from './config.ts';
import { deliverOutbound, type DeliveryHost } from './deliver.ts';
import { Journal, journalName } from './journal.ts';
import { KnowledgeCache } from './knowledge-cache.ts';
import type { Messages } from './messages.ts';
import { DEFAULT_POLICY_OPTIONS } from './policy.ts';
import { SessionStore } from './sessions.ts';
import { Turn } from './turn.ts';
import { BotWriter, within } from './writes.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class BotRuntime {
  readonly turn: Turn;
  private readonly log?: Logger;
  private readonly writer: BotWriter;
  private readonly journal?: Journal;
  private readonly consumer: OutboundConsumer;
  private readonly outboundRedis: Redis | Cluster;
  private readonly ownsOutboundRedis: boolean;
  private readonly kb: KnowledgeCache;
  private readonly sessions: SessionStore;
  private consumerStart?: Promise<void>;
  private stopped = false;

  /** The phrases as editors last saved them (valid ones only). */
  private messages(): Messages {
    return this.c.messagesSource?.() ?? this.c.messages;
  }

  constructor(
    readonly adapter: ChannelAdapter,
    private readonly c: BotRuntimeConfig,
  ) {
    const botId = adapter.botId;
    this.log = c.logger?.child({ module: 'bot', botId, channel: adapter.kind });
    this.journal = c.journalDir ? new Journal({ dir: c.journalDir, name: journalName(botId, c.handoff.keys.prefix), logger: this.log }) : undefined;
    this.writer = new BotWriter({
      botId,
      handoff: c.handoff,
      redis: c.redis,
      restore: (s) => adapter.restore(s),
      waitMs: c.redisWaitMs ?? 2_000,
      journal: this.journal,
      logger: this.log,
    });
    this.kb = new KnowledgeCache(c.knowledge, c.matchCacheSize ?? 5_000, (s) => c.metrics?.matchSeconds?.(s), c.matchThreads);
    this.turn = new Turn({
      config: c,
      adapter,
      writer: this.writer,
      kb: this.kb,
      policy: { ...DEFAULT_POLICY_OPTIONS, ...c.policy },
      messages: () => this.messages(),
      logger: this.log,
    });
    this.sessions = new SessionStore({ redis: c.redis, keys: c.handoff.keys, botId, logger: this.log });
    this.ownsOutboundRedis = !c.outboundRedis;
    this.outboundRedis = c.outboundRedis ?? (c.redis as Redis).duplicate();
    if (this.ownsOutboundRedis) this.outboundRedis.on('error', () => undefined);
    const delivery: DeliveryHost = {
      adapter,
      redis: c.redis,
      keys: c.handoff.keys,
      writer: this.writer,
      messages: () => this.messages(),
      timezone: c.timezone,
      state: (customer) => this.turn.state(customer),
      metrics: c.metrics,
      logger: this.log,
    };
    const outcomeLine = async (m: OutboundMessage, fate: 'failed' | 'delayed' | 'recovered'): Promise<void> => {
      const { customerId } = parseConversationId(m.conv);
      const kind = fate === 'failed' ? 'send_failed' : fate === 'delayed' ? 'send_delayed' : 'send_recovered';
      await c.handoff.recordMessage({ botId, customerId }, { from: 'system', kind, text: m.text || m.kind, msgId: outcomeLineId[fate](m.msgId) });
    };
    this.consumer = new OutboundConsumer(this.outboundRedis, c.handoff.keys, {
      botId,
      // Stable across restarts: a restarted bot resumes its own pending deliveries first.
      consumer: c.instance ? `${botId}:${c.instance}` : botId,
      deliver: (m) => deliverOutbound(delivery, m),
      // Acknowledgements on the turn's client: the outbound one is held by its blocking read.
      ackRedis: c.redis,
      // The agent learns from the transcript that the customer never got it (given up), or not
      // yet (failing for a minute: unreachable, the channel refusing for now), and when it went
      // through after all; the line ids make each one once.
      onGiveUp: (m) => outcomeLine(m, 'failed'),
      onDelay: (m, state) => outcomeLine(m, state),
      logger: this.log,
      ...c.outbound,
    });
  }

  async start(): Promise<void> {
    const { adapter } = this;
    const { window } = adapter.limits;
    // For consoles: which channel this account is and what it allows (not awaited: Redis may be away).
    this.c.handoff.registry
      .setChannel(adapter.botId, { kind: adapter.kind, label: adapter.label, maxTextBytes: adapter.limits.maxTextBytes, windowS: window?.windowS, maxReplies: window?.maxReplies })
      .catch((err: unknown) => this.log?.warn({ err }, 'could not record the channel for consoles'));
    // Before any new message: what an earlier process could not write goes first.
    this.turn.before(() => this.writer.replay());
    // The chats' memory an earlier process left (not waited for long: Redis may be away).
    this.turn.before(async () => {
      const taken = await within(this.sessions.load(this.turn.memory), this.c.redisWaitMs ?? 2_000);
      if (taken) this.log?.info({ sessions: taken }, 'took back the chats\' memory an earlier process left');
    });
    // The matching thread loads the knowledge base now, not with the first customer's question.
    this.kb.warm().catch((err: unknown) => this.log?.warn({ err }, 'the matching thread could not load the knowledge base'));
    await this.adapter.start(this.turn);
    this.consumerStart = this.startConsumer();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.adapter.stop();
    this.turn.flushCuts();
    // For the next process: what was offered, pending checks (a killed process leaves nothing).
    await within(this.sessions.save(this.turn.memories()), this.c.redisWaitMs ?? 2_000);
    await this.consumerStart;
    await this.consumer.stop();
    if (this.ownsOutboundRedis) this.outboundRedis.disconnect();
    // Writes still unconfirmed stay in the file for the next start.
    this.journal?.close();
  }

  stats(): { matchCacheHits: number } {
    return { matchCacheHits: this.kb.hits };
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
}
