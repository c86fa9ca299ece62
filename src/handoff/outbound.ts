import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { fieldsOf } from './convert.ts';
import type { Keys } from './keys.ts';
import { ack, pending, type PendingEntry } from './outbound-scripts.ts';
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
  /**
   * The connection acknowledgements go on (default: a duplicate of the reading connection, opened
   * by `start` and closed by `stop`). Not the reading one: a blocked read would hold them back.
   */
  ackRedis?: Redis | Cluster;
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
  /**
   * Told once when a message has been failing for `delayNoticeMs` (default 60 s), and once when
   * such a message goes through after all: the agent should not learn of a stuck reply a day later.
   */
  onDelay?: (msg: OutboundMessage, state: 'delayed' | 'recovered', err?: unknown) => void | Promise<void>;
  delayNoticeMs?: number;
  logger?: Logger;
}

/**
 * The transcript line each fate of an outbound message leaves, by the message's id: said (the
 * bot's copy of the text), failed (refused for good or given up), delayed, recovered. One line per
 * fate however often it is written (the append script's msgId check); the console reads a fix
 * notice's fate from them (problems.ts).
 */
export const outcomeLineId = {
  said: (msgId: string): string => `o:${msgId}`,
  failed: (msgId: string): string => `f:${msgId}`,
  delayed: (msgId: string): string => `d:${msgId}`,
  recovered: (msgId: string): string => `r:${msgId}`,
} as const;

/** Adds `id` as the newest of `set`, dropping the oldest past `max`. */
function addBounded(set: Set<string>, id: string, max: number): void {
  set.delete(id);
  set.add(id);
  if (set.size > max) set.delete(set.values().next().value!);
}

type Defaults = Required<Omit<OutboundOptions, 'logger' | 'onGiveUp' | 'onDelay' | 'delayNoticeMs' | 'giveUpMs' | 'ackRedis'>>;

/** A message on its way: `skip` when it was delivered before (it is only acknowledged). */
interface Held {
  msg: OutboundMessage;
  skip: boolean;
}

/** Message ids delivered by this process, remembered until their acknowledgement is surely in. */
const RECENT_IDS = 10_000;

/**
 * Delivers a bot account's outbound stream (agent replies, notices) through a consumer group,
 * at least once: a bot that dies after WeChat accepted a message and before acknowledging it
 * sends that message again (a Wechaty puppet has no idempotency key to prevent it; 微信客服 takes
 * the same `msgid`): at most one per conversation, those whose lanes were sending at that moment.
 *
 * Reading and sending do not wait for each other: one loop reads (new entries claimed with
 * XREADGROUP >, blocking while there are none, and in the same round trip our pending entries
 * after the last one we hold, with their dedupe look-up: pending-2.lua) and hands each entry to
 * its conversation's lane; lanes deliver side by side (at most `concurrency` at once), each in
 * order. So a new reply costs one round trip before its send however many others are being sent,
 * and its acknowledgement (on another connection) is awaited before that lane's next send.
 *
 * Entries are delivered from the pending list, in id order, never from the answer of the read that
 * claimed them: a read replayed after a lost connection cannot reorder them (what the lost answer
 * claimed is pending, ahead of what the repeat claims). An entry is acknowledged only after
 * `deliver` succeeded; a failing one is retried every `retryMs`, ahead of its conversation's later
 * ones, while other conversations go on; entries a dead consumer left pending are taken over
 * (XAUTOCLAIM); a delivered id is remembered, so a redelivery is acknowledged unsent.
 *
 * Give it a connection of its own: XREADGROUP BLOCK holds the connection while it waits.
 */
export class OutboundConsumer {
  private readonly redis: Redis | Cluster;
  private readonly keys: Keys;
  private readonly o: Defaults & Pick<OutboundOptions, 'logger' | 'onGiveUp' | 'onDelay'>;
  private readonly giveUpMs: number;
  private ackRedis?: Redis | Cluster;
  private readonly ownsAckRedis: boolean;
  private running = false;
  private loop?: Promise<void>;
  /** Settles when stop() is called: the read loop does not wait for an answer it no longer needs. */
  private stopped: Promise<undefined> = Promise.resolve(undefined);
  private stopNow?: () => void;
  /** Whatever waits: lanes between attempts (woken by stop), the read loop for room (woken by stop and by room freed). */
  private readonly waits = new Set<() => void>();
  private readonly roomWaits = new Set<() => void>();
  /** Acknowledgements on their way; stop() waits for them. */
  private readonly acks = new Set<Promise<void>>();
  /** Entry ids read and not yet settled (delivered and acknowledged): a read skips them. */
  private readonly held = new Set<string>();
  /** Per conversation, its messages still to deliver, oldest first (present while its lane runs). */
  private readonly lanes = new Map<string, Held[]>();
  private readonly laneRuns = new Set<Promise<void>>();
  /** Lanes delivering now, and those waiting for one of the `concurrency` places. */
  private sending = 0;
  private readonly queued: (() => void)[] = [];
  /** Message ids this process delivered, oldest first. */
  private readonly recent = new Set<string>();
  /** Message ids the agent was told are delayed (still failing, or through since: told once more). */
  private readonly delayed = new Set<string>();
  private readonly delayNoticeMs: number;
  /** Every pending entry up to this id is held (or settled): the next read starts after it… */
  private cursor = '0';
  /** …unless something pending may lie before it (taken over, an acknowledgement lost): then from the start. */
  private rescan = true;

  constructor(redis: Redis | Cluster, keys: Keys, opts: OutboundOptions) {
    this.redis = redis;
    this.keys = keys;
    const { ackRedis, ...rest } = opts;
    this.ackRedis = ackRedis;
    this.ownsAckRedis = !ackRedis;
    this.o = {
      group: 'bots',
      claimIdleMs: 60_000,
      blockMs: 2_000,
      batch: 50,
      concurrency: 16,
      dedupeMs: 7 * 24 * 3600_000,
      retryMs: 1_000,
      ...rest,
    };
    this.giveUpMs = opts.giveUpMs ?? 24 * 3600_000;
    this.delayNoticeMs = opts.delayNoticeMs ?? 60_000;
  }

  /** Read entries held at most (those of a customer who cannot be reached wait in memory). */
  private get maxHeld(): number {
    return Math.max(1_000, this.o.batch * this.o.concurrency * 2);
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.ensureGroup();
    if (this.ownsAckRedis) {
      this.ackRedis ??= (this.redis as Redis).duplicate();
      this.ackRedis.on('error', () => undefined);
    }
    this.cursor = '0';
    this.rescan = true;
    this.stopped = new Promise<undefined>((resolve) => (this.stopNow = () => resolve(undefined)));
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Stops reading and starts no new send; waits for the sends in flight and their acknowledgements.
   * A read still waiting is left to end by itself: what it claims stays pending for the next start.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.stopNow?.();
    for (const wake of [...this.waits, ...this.roomWaits]) wake();
    await this.loop;
    await Promise.all([...this.laneRuns]);
    await Promise.all([...this.acks]);
    this.lanes.clear();
    this.held.clear();
    if (this.ownsAckRedis && this.ackRedis) {
      this.ackRedis.disconnect();
      this.ackRedis = undefined;
    }
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
    // Wait for new entries only when none of ours can be pending past the cursor: not after a full
    // page, nor when reading from the start (a restart, a takeover, an error).
    let mayWait = false;
    while (this.running) {
      try {
        if (this.held.size >= this.maxHeld) {
          await this.pause(this.o.retryMs, this.roomWaits);
          continue;
        }
        if (this.rescan) {
          this.rescan = false;
          this.cursor = '0';
          mayWait = false;
        }
        const page: PendingEntry[] | undefined = await this.untilStopped(this.readNewThenPending(mayWait ? this.o.blockMs : 0));
        if (!page || !this.running) break;
        this.dispatch(page);
        mayWait = page.length < this.o.batch;
        if (Date.now() - lastClaim >= Math.min(this.o.claimIdleMs, 10_000)) {
          lastClaim = Date.now();
          const taken = (await this.untilStopped(this.redis.xautoclaim(this.stream, this.o.group, this.o.consumer, this.o.claimIdleMs, '0-0', 'COUNT', this.o.batch))) as
            | [string, unknown[]]
            | undefined;
          // Now ours, possibly ahead of the cursor: read the pending list from its start again.
          if (taken && taken[1].length > 0) this.rescan = true;
        }
      } catch (err) {
        if (!this.running) break;
        this.rescan = true;
        if (String((err as Error).message).includes('NOGROUP')) await this.ensureGroup().catch(() => undefined);
        this.o.logger?.warn({ err }, 'outbound delivery loop error; retrying');
        await this.pause(this.o.retryMs, this.waits);
      }
    }
  }

  /** `p`'s value, or undefined once stop() was called (its answer, or failure, is then ignored). */
  private untilStopped<T>(p: Promise<T>): Promise<T | undefined> {
    p.catch(() => undefined);
    return Promise.race([p, this.stopped]);
  }

  /**
   * New entries move into our pending list (waiting up to `waitMs` for one when there are none),
   * then our pending entries after the cursor are read with their dedupe look-up: two commands
   * written together, one round trip (Redis runs the second once the first returns).
   */
  private async readNewThenPending(waitMs: number): Promise<PendingEntry[]> {
    const claim: (string | number)[] = ['GROUP', this.o.group, this.o.consumer, 'COUNT', this.o.batch];
    if (waitMs > 0) claim.push('BLOCK', waitMs);
    const claimed = this.redis.xreadgroup(...(claim as ['GROUP', string, string]), 'STREAMS', this.stream, '>');
    const page = pending(this.redis, this.keys, { botId: this.o.botId, group: this.o.group, consumer: this.o.consumer, count: this.o.batch, after: this.cursor });
    const [a, b] = await Promise.allSettled([claimed, page]);
    if (a.status === 'rejected') throw a.reason;
    if (b.status === 'rejected') throw b.reason;
    return b.value;
  }

  /** Hands each entry not held yet to its conversation's lane, in id order; the cursor moves past the page. */
  private dispatch(page: PendingEntry[]): void {
    for (const e of page) {
      this.cursor = e.entryId;
      // Trimmed away (the script acknowledged it), or already on its way.
      if (!e.fields || this.held.has(e.entryId)) continue;
      const msg = toOutbound(e.entryId, e.fields);
      this.held.add(e.entryId);
      const item: Held = { msg, skip: e.delivered || this.recent.has(msg.msgId) };
      const lane = this.lanes.get(msg.conv);
      if (lane) {
        lane.push(item);
        continue;
      }
      const fresh = [item];
      this.lanes.set(msg.conv, fresh);
      const run: Promise<void> = this.runLane(msg.conv, fresh).finally(() => this.laneRuns.delete(run));
      this.laneRuns.add(run);
    }
  }

  /** Delivers one conversation's messages in order, holding one of the `concurrency` places while it sends. */
  private async runLane(conv: string, lane: Held[]): Promise<void> {
    try {
      while (lane.length > 0 && this.running) {
        // A free place is taken at once: the first send starts before the read loop writes anything.
        if (this.sending < this.o.concurrency) this.sending++;
        else await new Promise<void>((resolve) => this.queued.push(resolve));
        let failed = false;
        try {
          while (lane.length > 0 && this.running && !failed) {
            if (await this.deliverOne(lane[0]!)) lane.shift();
            else failed = true;
          }
        } finally {
          this.leave();
        }
        // Its oldest message failed: tried again after retryMs, later ones waiting behind it.
        if (failed) await this.pause(this.o.retryMs, this.waits);
      }
    } finally {
      this.lanes.delete(conv);
      // Stopping: what is left stays pending for the next start.
      for (const item of lane) this.held.delete(item.msg.entryId);
    }
  }

  /** Gives up a place: straight to the next lane waiting for one, if any. */
  private leave(): void {
    const next = this.queued.shift();
    if (next) next();
    else this.sending--;
  }

  /** Sends one message (unless delivered before) and acknowledges it; false: it failed, try again later. */
  private async deliverOne(item: Held): Promise<boolean> {
    const { msg } = item;
    if (!item.skip && !this.recent.has(msg.msgId)) {
      try {
        await this.o.deliver(msg);
        if (this.delayed.delete(msg.msgId)) await this.report('onDelay', () => this.o.onDelay?.(msg, 'recovered'));
      } catch (err) {
        // Its age by the stream entry id: Redis's clock when the reply was written.
        const age = Date.now() - Number(msg.entryId.split('-')[0]);
        if (age < this.giveUpMs) {
          this.o.logger?.warn({ err, conv: msg.conv, msgId: msg.msgId }, 'outbound delivery failed; will retry');
          if (age >= this.delayNoticeMs && !this.delayed.has(msg.msgId)) {
            addBounded(this.delayed, msg.msgId, RECENT_IDS);
            await this.report('onDelay', () => this.o.onDelay?.(msg, 'delayed', err));
          }
          return false;
        }
        this.delayed.delete(msg.msgId);
        this.o.logger?.error({ err, conv: msg.conv, msgId: msg.msgId }, 'outbound delivery given up');
        await this.report('onGiveUp', () => this.o.onGiveUp?.(msg, err));
      }
      // Another entry with this message id (a reply written twice) is not sent again, even before the ack is in.
      this.remember(msg.msgId);
    }
    // Awaited before the lane's next send: a process killed now leaves at most this one message of
    // the conversation delivered but unacknowledged, resent first by the next process (never a run
    // of them, which the customer would hear out of order).
    await this.acknowledge(msg);
    return true;
  }

  /** The entry stays held until Redis answered; a failed acknowledgement is read again and acknowledged unsent. */
  private acknowledge(msg: OutboundMessage): Promise<void> {
    const acked: Promise<void> = ack(this.ackRedis ?? this.redis, this.keys, {
      botId: this.o.botId,
      group: this.o.group,
      entryId: msg.entryId,
      msgId: msg.msgId,
      now: Date.now(),
      rememberMs: this.o.dedupeMs,
    }).then(
      () => this.settle(acked, msg.entryId),
      (err: unknown) => {
        this.settle(acked, msg.entryId);
        // Still pending: read again, and acknowledged unsent (this process remembers its id).
        this.rescan = true;
        this.o.logger?.warn({ err, conv: msg.conv, msgId: msg.msgId }, 'outbound acknowledgement failed');
      },
    );
    this.acks.add(acked);
    return acked;
  }

  private settle(acked: Promise<void>, entryId: string): void {
    this.acks.delete(acked);
    this.held.delete(entryId);
    if (this.held.size < this.maxHeld) for (const wake of [...this.roomWaits]) wake();
  }

  /** Runs a caller's hook; its failure is logged, never the delivery's. */
  private async report(name: 'onGiveUp' | 'onDelay', hook: () => void | Promise<void>): Promise<void> {
    try {
      await hook();
    } catch (err) {
      this.o.logger?.warn({ err }, `${name} failed`);
    }
  }

  private remember(msgId: string): void {
    addBounded(this.recent, msgId, RECENT_IDS);
  }

  /** Waits `ms`, or less when one of `waits` is woken. */
  private pause(ms: number, waits: Set<() => void>): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        waits.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      waits.add(done);
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
