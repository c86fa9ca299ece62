import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { fieldsOf } from './convert.ts';
import type { Keys } from './keys.ts';
import { ack } from './scripts.ts';
import type { OutboundMessage } from './types.ts';

export interface OutboundOptions {
  botId: string;
  /**
   * This process's name in the consumer group. Keep it stable across restarts (e.g. the bot
   * id): a restarted consumer then resumes its own pending entries first, in order, while a
   * new name would only take them over after `claimIdleMs`, behind newer messages.
   */
  consumer: string;
  /** Sends to WeChat; resolves once WeChat accepted the message, throws to retry later. */
  deliver: (msg: OutboundMessage) => Promise<void>;
  group?: string;
  /** Entries another consumer left unacknowledged this long are taken over (it died). */
  claimIdleMs?: number;
  blockMs?: number;
  batch?: number;
  /** Delivered message ids are remembered this long to drop redeliveries. */
  dedupeMs?: number;
  /** Wait between attempts after a failed delivery. */
  retryMs?: number;
  /**
   * A message still failing this long after it was written is given up: acknowledged (so its
   * conversation's later messages go on) and reported to `onGiveUp`. Default 24 h.
   */
  giveUpMs?: number;
  /** Told about a message given up (the bot notes it in the transcript for the agent). */
  onGiveUp?: (msg: OutboundMessage, err: unknown) => void | Promise<void>;
  logger?: Logger;
}

type Entries = [string, string[]][];

/**
 * Delivers a bot account's outbound stream (agent replies, notices) through a consumer group,
 * at least once: a bot that dies after WeChat accepted a message and before acknowledging it
 * sends that one message again (WeChat has no idempotency key to prevent it).
 * An entry is acknowledged only after `deliver` succeeded; a failed one stays pending and is
 * retried, in order, before anything newer of the same conversation, while other conversations
 * go on (one unreachable customer must not hold up a whole account); entries a dead consumer
 * left pending are taken over (XAUTOCLAIM); a delivered id is remembered, so a redelivery is
 * acknowledged unsent. New entries are only claimed by a read and then delivered from the
 * pending list, in id order, so a read replayed after a lost connection cannot reorder them.
 *
 * Give it a connection of its own: XREADGROUP BLOCK holds the connection while it waits.
 */
export class OutboundConsumer {
  private readonly redis: Redis | Cluster;
  private readonly keys: Keys;
  private readonly o: Required<Omit<OutboundOptions, 'logger' | 'onGiveUp' | 'giveUpMs'>> & Pick<OutboundOptions, 'logger' | 'onGiveUp'>;
  private readonly giveUpMs: number;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(redis: Redis | Cluster, keys: Keys, opts: OutboundOptions) {
    this.redis = redis;
    this.keys = keys;
    this.o = {
      group: 'bots',
      claimIdleMs: 60_000,
      blockMs: 2_000,
      batch: 20,
      dedupeMs: 7 * 24 * 3600_000,
      retryMs: 1_000,
      ...opts,
    };
    this.giveUpMs = opts.giveUpMs ?? 24 * 3600_000;
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.ensureGroup();
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the current step; a blocked read ends within `blockMs`. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private get stream(): string {
    return this.keys.outbound(this.o.botId);
  }

  private async ensureGroup(): Promise<void> {
    try {
      // From the start of the stream: replies written before any bot ever ran are delivered too.
      await this.redis.xgroup('CREATE', this.stream, this.o.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  private async run(): Promise<void> {
    let lastClaim = 0;
    while (this.running) {
      try {
        // Conversations whose oldest message failed in this pass: their later ones wait.
        const blocked = new Set<string>();
        // Our own unacknowledged entries first (after a restart, a failure, or a fresh read), in order.
        let pendingLeft = false;
        for (let after = '0'; this.running; ) {
          const page = await this.read(after, false);
          if (page.length === 0) break;
          await this.process(page, blocked);
          pendingLeft = true;
          after = page.at(-1)![0];
          if (page.length < this.o.batch) break;
        }
        // Stopping: the delivery in flight has finished; start nothing new.
        if (!this.running) break;
        if (Date.now() - lastClaim >= Math.min(this.o.claimIdleMs, 10_000)) {
          lastClaim = Date.now();
          const [, claimed] = (await this.redis.xautoclaim(
            this.stream,
            this.o.group,
            this.o.consumer,
            this.o.claimIdleMs,
            '0-0',
            'COUNT',
            this.o.batch,
          )) as [string, Entries];
          // Now ours: the next pass delivers them from the pending list, in order.
          if (claimed.length > 0) continue;
        }
        if (blocked.size > 0) {
          // Other conversations go on: take in what is new, then wait before the retry.
          if ((await this.read('>', false)).length === 0) await this.sleep(this.o.retryMs);
          continue;
        }
        // New entries move into our pending list; the next pass delivers them (at once when
        // there are any; a read without new entries blocks up to blockMs). Everything that was
        // pending was delivered, so "was there anything" only decides whether to block.
        await this.read('>', !pendingLeft);
      } catch (err) {
        if (!this.running) break;
        if (String((err as Error).message).includes('NOGROUP')) await this.ensureGroup().catch(() => undefined);
        this.o.logger?.warn({ err }, 'outbound delivery loop error; retrying');
        await this.sleep(this.o.retryMs);
      }
    }
  }

  private async read(id: string, block: boolean): Promise<Entries> {
    const args: (string | number)[] = ['GROUP', this.o.group, this.o.consumer, 'COUNT', this.o.batch];
    if (block) args.push('BLOCK', this.o.blockMs);
    const res = (await (this.redis.xreadgroup as (...a: (string | number)[]) => Promise<unknown>)(
      ...args,
      'STREAMS',
      this.stream,
      id,
    )) as [string, Entries][] | null;
    // Entries deleted by trimming while pending come back with null fields: nothing to send,
    // and acknowledged so they stop sitting at the head of the pending list.
    const entries = res?.[0]?.[1] ?? [];
    const gone = entries.filter((e) => !Array.isArray(e[1])).map((e) => e[0]);
    if (gone.length > 0) await this.redis.xack(this.stream, this.o.group, ...gone);
    return entries.filter((e) => Array.isArray(e[1]));
  }

  /**
   * Delivers in order; a conversation whose message fails is added to `blocked` and its later
   * entries are left pending, so nothing overtakes within a conversation.
   */
  private async process(entries: Entries, blocked: Set<string>): Promise<void> {
    for (const [entryId, flat] of entries) {
      if (!this.running) return;
      const f = fieldsOf(flat);
      const msg: OutboundMessage = {
        entryId,
        msgId: f.msgId ?? entryId,
        kind: (f.kind as OutboundMessage['kind'] | undefined) ?? 'text',
        conv: f.conv ?? '',
        customerId: f.customerId ?? '',
        text: f.text ?? '',
        at: f.at ? new Date(Number(f.at)).toISOString() : '',
        ...(f.title !== undefined ? { title: f.title } : {}),
      };
      if (blocked.has(msg.conv)) continue;
      const already = await this.redis.zscore(this.keys.delivered(this.o.botId), msg.msgId);
      if (already === null) {
        try {
          await this.o.deliver(msg);
        } catch (err) {
          // Its age by the stream entry id: Redis's clock when the reply was written.
          const age = Date.now() - Number(entryId.split('-')[0]);
          if (age < this.giveUpMs) {
            this.o.logger?.warn({ err, conv: msg.conv, msgId: msg.msgId }, 'outbound delivery failed; will retry');
            blocked.add(msg.conv);
            continue;
          }
          this.o.logger?.error({ err, conv: msg.conv, msgId: msg.msgId }, 'outbound delivery given up');
          await Promise.resolve(this.o.onGiveUp?.(msg, err)).catch((e: unknown) => this.o.logger?.warn({ err: e }, 'onGiveUp failed'));
        }
      }
      await ack(this.redis, this.keys, { botId: this.o.botId, group: this.o.group, entryId, msgId: msg.msgId, now: Date.now(), rememberMs: this.o.dedupeMs });
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
