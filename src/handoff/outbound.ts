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
  /**
   * Conversations delivered side by side (each one's messages stay in order): one slow or
   * unreachable customer, or a burst of replies, does not make every other reply wait its turn.
   */
  concurrency?: number;
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
 * Conversations are delivered side by side, each in order: a new reply costs one round trip
 * before its send (the claim and the read of the pending list go together, see
 * `readNewThenPending`), a dedupe look-up shared by its page, and its ack after the send.
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
  /** Acknowledgements on their way (see deliverOne); stop() waits for them. */
  private readonly acks = new Set<Promise<void>>();

  constructor(redis: Redis | Cluster, keys: Keys, opts: OutboundOptions) {
    this.redis = redis;
    this.keys = keys;
    this.o = {
      group: 'bots',
      claimIdleMs: 60_000,
      blockMs: 2_000,
      batch: 20,
      concurrency: 16,
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
    await Promise.all([...this.acks]);
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
    // Wait for new entries only when nothing of ours can be pending: not on the first pass (a
    // restart leaves them), nor after a takeover or an error.
    let mayWait = false;
    let blocked = new Set<string>();
    while (this.running) {
      try {
        // A conversation that failed in the last pass is tried again after retryMs, or sooner
        // when something new arrives.
        const waitMs = blocked.size > 0 ? Math.min(this.o.retryMs, this.o.blockMs) : mayWait ? this.o.blockMs : 0;
        // Conversations whose oldest message failed in this pass: their later ones wait.
        blocked = new Set<string>();
        mayWait = false;
        for (let page = await this.readNewThenPending(waitMs); page.length > 0 && this.running; ) {
          await this.process(page, blocked);
          if (page.length < this.o.batch) break;
          page = await this.readPending(page.at(-1)![0]);
        }
        // Stopping: the deliveries in flight have finished; start nothing new.
        if (!this.running) break;
        mayWait = true;
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
          if (claimed.length > 0) mayWait = false;
        }
      } catch (err) {
        if (!this.running) break;
        mayWait = false;
        if (String((err as Error).message).includes('NOGROUP')) await this.ensureGroup().catch(() => undefined);
        this.o.logger?.warn({ err }, 'outbound delivery loop error; retrying');
        await this.sleep(this.o.retryMs);
      }
    }
  }

  /**
   * New entries move into our pending list (waiting up to `waitMs` for one when there are none),
   * then the pending list is read from its start, in one round trip: Redis runs the second read
   * once the first returns. Delivering from the pending list, never from the first read's answer,
   * keeps the order when an answer was lost with the connection and the read sent again (what it
   * had claimed is pending, ahead of what the repeat claims).
   */
  private async readNewThenPending(waitMs: number): Promise<Entries> {
    const claim: (string | number)[] = ['GROUP', this.o.group, this.o.consumer, 'COUNT', this.o.batch];
    if (waitMs > 0) claim.push('BLOCK', waitMs);
    const answers = await this.redis
      .pipeline()
      .xreadgroup(...(claim as ['GROUP', string, string]), 'STREAMS', this.stream, '>')
      .xreadgroup('GROUP', this.o.group, this.o.consumer, 'COUNT', this.o.batch, 'STREAMS', this.stream, '0')
      .exec();
    for (const [err] of answers ?? []) if (err) throw err;
    return this.present(answers?.[1]?.[1]);
  }

  /** Our pending entries after `after`, a page of them. */
  private async readPending(after: string): Promise<Entries> {
    const res = await this.redis.xreadgroup('GROUP', this.o.group, this.o.consumer, 'COUNT', this.o.batch, 'STREAMS', this.stream, after);
    return this.present(res);
  }

  private async present(res: unknown): Promise<Entries> {
    // Entries deleted by trimming while pending come back with null fields: nothing to send,
    // and acknowledged so they stop sitting at the head of the pending list.
    const entries = (res as [string, Entries][] | null)?.[0]?.[1] ?? [];
    const gone = entries.filter((e) => !Array.isArray(e[1])).map((e) => e[0]);
    if (gone.length > 0) await this.redis.xack(this.stream, this.o.group, ...gone);
    return entries.filter((e) => Array.isArray(e[1]));
  }

  /**
   * Delivers a page: conversations side by side (up to `concurrency` at once), each one's
   * messages in order. A conversation whose message fails is added to `blocked` and its later
   * entries are left pending, so nothing overtakes within a conversation. Returns once every
   * delivery it started has ended (a later pass must not start one of them again).
   */
  private async process(entries: Entries, blocked: Set<string>): Promise<void> {
    const msgs = entries.map(([entryId, flat]) => toOutbound(entryId, flat)).filter((m) => !blocked.has(m.conv));
    if (msgs.length === 0) return;
    // Delivered before but not acknowledged (a crash, a takeover): one look-up for the page.
    const ids = [...new Set(msgs.map((m) => m.msgId))];
    const scores = (await this.redis.zmscore(this.keys.delivered(this.o.botId), ...ids)) as (string | null)[];
    const delivered = new Set(ids.filter((_, i) => scores[i] !== null && scores[i] !== undefined));
    const byConv = new Map<string, OutboundMessage[]>();
    for (const m of msgs) {
      const queue = byConv.get(m.conv);
      if (queue) queue.push(m);
      else byConv.set(m.conv, [m]);
    }
    let failure: { err: unknown } | undefined;
    await eachLimited([...byConv.values()], this.o.concurrency, async (queue) => {
      for (const m of queue) {
        if (!this.running) return;
        try {
          if (!(await this.deliverOne(m, delivered))) {
            blocked.add(m.conv);
            return;
          }
        } catch (err) {
          // Unexpected (deliver's failures are handled in deliverOne): this conversation stops
          // here; the loop reports it once every other delivery has ended.
          failure ??= { err };
          blocked.add(m.conv);
          return;
        }
      }
    });
    if (failure) throw failure.err;
  }

  /** Sends one message (unless already delivered) and acknowledges it; false: it failed, retry later. */
  private async deliverOne(msg: OutboundMessage, delivered: Set<string>): Promise<boolean> {
    if (!delivered.has(msg.msgId)) {
      try {
        await this.o.deliver(msg);
      } catch (err) {
        // Its age by the stream entry id: Redis's clock when the reply was written.
        const age = Date.now() - Number(msg.entryId.split('-')[0]);
        if (age < this.giveUpMs) {
          this.o.logger?.warn({ err, conv: msg.conv, msgId: msg.msgId }, 'outbound delivery failed; will retry');
          return false;
        }
        this.o.logger?.error({ err, conv: msg.conv, msgId: msg.msgId }, 'outbound delivery given up');
        await Promise.resolve(this.o.onGiveUp?.(msg, err)).catch((e: unknown) => this.o.logger?.warn({ err: e }, 'onGiveUp failed'));
      }
    }
    // Not awaited: the next read goes out behind it on this connection, so Redis has run it
    // before it reads the pending list again, and the next reply need not wait for its answer.
    const acked: Promise<void> = ack(this.redis, this.keys, { botId: this.o.botId, group: this.o.group, entryId: msg.entryId, msgId: msg.msgId, now: Date.now(), rememberMs: this.o.dedupeMs }).then(
      () => void this.acks.delete(acked),
      (err: unknown) => {
        this.acks.delete(acked);
        // Still pending, and not in the delivered set: the next pass sends it again.
        this.o.logger?.warn({ err, conv: msg.conv, msgId: msg.msgId }, 'outbound acknowledgement failed');
      },
    );
    this.acks.add(acked);
    // A second entry with the same message id later in this page is not sent again.
    delivered.add(msg.msgId);
    return true;
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

function toOutbound(entryId: string, flat: string[]): OutboundMessage {
  const f = fieldsOf(flat);
  return {
    entryId,
    msgId: f.msgId ?? entryId,
    kind: (f.kind as OutboundMessage['kind'] | undefined) ?? 'text',
    conv: f.conv ?? '',
    customerId: f.customerId ?? '',
    text: f.text ?? '',
    at: f.at ? new Date(Number(f.at)).toISOString() : '',
    ...(f.title !== undefined ? { title: f.title } : {}),
  };
}

/** Runs `work` over `items`, at most `limit` at once; resolves when all have ended. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}
