/**
 * 微信客服 customers' nicknames, for the console and for tier rules by name: kf/customer/batchget
 * is asked once per customer (the answer is kept in memory and in Redis, so other processes and
 * restarts do not ask again), before the turn records the customer's first line, because the
 * conversation takes its name when it is created. A lookup never holds a message back for long:
 * when WeChat fails or is slow, the name stays '' and the message goes on.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../../handoff/index.ts';
import type { WecomApi } from './api.ts';
import { customerIdOf } from './ids.ts';

/** kf/customer/batchget takes at most 100 external_userids per call. */
const BATCH = 100;
/** Names kept in memory (the oldest go first; Redis still has them). */
const MAX_KNOWN = 50_000;
/** A display name, not a document: long nicknames are cut. */
const MAX_NAME_CHARS = 64;

export interface CustomerNamesOptions {
  api: Pick<WecomApi, 'customerBatchget'>;
  redis: Redis | Cluster;
  keys: Keys;
  botId: string;
  /** How long a page of messages waits for a lookup before it goes on without the names (default 3 s). */
  waitMs?: number;
  logger?: Logger;
}

/** Control characters out (a name is shown on one line), at most MAX_NAME_CHARS characters. */
const clean = (nickname: string): string => [...nickname.replace(/\p{Cc}/gu, '').trim()].slice(0, MAX_NAME_CHARS).join('');

export class CustomerNames {
  /** external_userid -> nickname ('' when WeChat has none). */
  private readonly known = new Map<string, string>();
  /** Lookups under way, so a slow one is not started again by the next page. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly waitMs: number;

  constructor(private readonly o: CustomerNamesOptions) {
    this.waitMs = o.waitMs ?? 3_000;
  }

  /** The customer's nickname, '' while unknown. */
  name(externalUserId: string): string {
    return this.known.get(externalUserId) ?? '';
  }

  /** Looks up the customers whose names are not known yet; resolves within `waitMs` and never rejects. */
  async learn(externalUserIds: Iterable<string>): Promise<void> {
    const waits: Promise<void>[] = [];
    const fresh: string[] = [];
    for (const ext of new Set(externalUserIds)) {
      if (!ext || this.known.has(ext)) continue;
      const p = this.pending.get(ext);
      if (p) waits.push(p);
      else fresh.push(ext);
    }
    if (fresh.length > 0) {
      const lookup = this.lookup(fresh)
        .catch((err: unknown) => this.o.logger?.warn({ err, customers: fresh.length }, 'no nicknames from kf/customer/batchget (names stay empty)'))
        .finally(() => fresh.forEach((ext) => this.pending.delete(ext)));
      for (const ext of fresh) this.pending.set(ext, lookup);
      waits.push(lookup);
    }
    if (waits.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.waitMs)));
    try {
      await Promise.race([Promise.all(waits), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async lookup(exts: string[]): Promise<void> {
    const key = this.o.keys.kfNames(this.o.botId);
    const stored = await this.o.redis.hmget(key, ...exts.map(customerIdOf));
    const ask: string[] = [];
    exts.forEach((ext, i) => {
      const name = stored[i];
      if (typeof name === 'string') this.remember(ext, name);
      else ask.push(ext);
    });
    for (let i = 0; i < ask.length; i += BATCH) {
      const chunk = ask.slice(i, i + BATCH);
      const answer = await this.o.api.customerBatchget(chunk);
      const asked = new Set(chunk);
      const found: Record<string, string> = {};
      for (const c of answer.customer_list) {
        if (!asked.has(c.external_userid)) continue;
        const name = clean(c.nickname);
        this.remember(c.external_userid, name);
        found[customerIdOf(c.external_userid)] = name;
      }
      // Customers WeChat calls invalid (no message within 48 h: an old backlog) are asked again when they next appear.
      if (Object.keys(found).length > 0) await this.o.redis.hset(key, found);
    }
  }

  private remember(ext: string, name: string): void {
    this.known.delete(ext);
    this.known.set(ext, name);
    if (this.known.size > MAX_KNOWN) this.known.delete(this.known.keys().next().value as string);
  }
}
