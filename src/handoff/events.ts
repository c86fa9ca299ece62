import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { toEvent } from './convert.ts';
import type { Keys } from './keys.ts';
import type { HandoffEvent } from './types.ts';

export interface EventReaderOptions {
  /** Where to start per bot account: a stream id to continue after, or '$' (only new events). Default '$'. */
  from?: Record<string, string>;
  /**
   * Start for bot accounts not in `from` found when the reader starts: '$' or '0'. A bot account
   * that appears later is read from its beginning: all of its events are new to this reader.
   */
  defaultFrom?: '$' | '0';
  blockMs?: number;
  /** How often the list of bot accounts is re-read. */
  discoverMs?: number;
  logger?: Logger;
}

/**
 * Follows the events streams of every bot account with blocking XREAD: the durable feed a
 * console turns into live updates. It remembers the last id per stream (`positions()`), so a
 * restarted console resumes exactly where it stopped and misses nothing the streams still hold.
 * One connection per bot account (a blocked XREAD holds its connection, and in a cluster the
 * streams live in different slots); `connect` makes them.
 */
export class EventReader {
  private readonly keys: Keys;
  private readonly connect: () => Redis | Cluster;
  private readonly registry: Redis | Cluster;
  private readonly o: EventReaderOptions;
  private readonly last = new Map<string, string>();
  private readonly readers = new Map<string, { conn: Redis | Cluster; done: Promise<void> }>();
  private readonly handlers = new Set<(e: HandoffEvent) => void>();
  private running = false;
  /** Whether the first discovery (the one `defaultFrom` applies to) is done. */
  private discovered = false;
  private discoverTimer?: NodeJS.Timeout;

  constructor(registry: Redis | Cluster, connect: () => Redis | Cluster, keys: Keys, opts: EventReaderOptions = {}) {
    this.registry = registry;
    this.connect = connect;
    this.keys = keys;
    this.o = opts;
    for (const [bot, id] of Object.entries(opts.from ?? {})) this.last.set(bot, id);
  }

  onEvent(handler: (e: HandoffEvent) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** The last id seen per bot account: persist it to resume after a restart. */
  positions(): Record<string, string> {
    return Object.fromEntries(this.last);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.discover();
    this.discoverTimer = setInterval(() => void this.discover().catch(() => undefined), this.o.discoverMs ?? 5_000);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.discoverTimer);
    const readers = [...this.readers.values()];
    this.readers.clear();
    for (const r of readers) r.conn.disconnect();
    await Promise.all(readers.map((r) => r.done));
  }

  private async discover(): Promise<void> {
    for (const botId of await this.registry.smembers(this.keys.bots())) {
      if (!this.running || this.readers.has(botId)) continue;
      // '$' for a bot account registered after we started would drop what it wrote before the
      // next discovery (up to discoverMs): start those from their beginning.
      if (!this.last.has(botId)) this.last.set(botId, this.discovered ? '0' : await this.startId(botId));
      if (!this.running) return;
      const conn = this.connect();
      const reader = { conn, done: Promise.resolve() };
      this.readers.set(botId, reader);
      reader.done = this.follow(botId, conn);
    }
    this.discovered = true;
  }

  /** '$' would race with events written between discovery and the first read: pin the current last id. */
  private async startId(botId: string): Promise<string> {
    if ((this.o.defaultFrom ?? '$') === '0') return '0';
    const last = await this.registry.xrevrange(this.keys.events(botId), '+', '-', 'COUNT', 1);
    return last[0]?.[0] ?? '0';
  }

  private async follow(botId: string, conn: Redis | Cluster): Promise<void> {
    const key = this.keys.events(botId);
    while (this.running && this.readers.get(botId)?.conn === conn) {
      try {
        const res = await conn.xread('COUNT', 500, 'BLOCK', this.o.blockMs ?? 5_000, 'STREAMS', key, this.last.get(botId) ?? '0');
        for (const [, entries] of res ?? []) {
          for (const [id, flat] of entries) {
            this.last.set(botId, id);
            const event = toEvent(botId, id, flat);
            for (const h of this.handlers) {
              try {
                h(event);
              } catch (err) {
                this.o.logger?.error({ err }, 'event handler failed');
              }
            }
          }
        }
      } catch (err) {
        if (!this.running) break;
        this.o.logger?.warn({ err, botId }, 'events read failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
