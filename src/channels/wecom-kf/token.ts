/**
 * An access token (the corp's for 微信客服, the Official Account's), shared by every process
 * through Redis.
 *
 * WeChat answers gettoken with the same token for as long as it is valid, so two processes that
 * refresh at the same moment fetch the same token: a benign double fetch, cheaper than a lock
 * everyone would wait on. Within one process refreshes are single-flight (one promise).
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';

/** Fetch a new token this long before the cached one expires (a tenth of a short lifetime). */
const REFRESH_MARGIN_MS = 5 * 60_000;

const cached = z.object({ token: z.string().min(1), refreshAt: z.number() });

/** Deletes the cached token only if it is still the one WeChat refused (not a fresher one). */
const DEL_IF_SAME = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export interface TokenSourceOptions {
  redis: Redis | Cluster;
  /** Where the token is cached (the key builder's `wecomToken` / `oaToken`). */
  key: string;
  /** Calls gettoken: the token and its lifetime in seconds. */
  fetchToken(): Promise<{ token: string; expiresInS: number }>;
  now?: () => number;
  logger?: Logger;
}

export class TokenSource {
  private memo?: { token: string; refreshAt: number; raw: string };
  private inflight?: Promise<string>;
  private readonly now: () => number;
  private readonly key: string;
  /** When a token was last obtained (for readiness). */
  lastOk = 0;

  constructor(private readonly o: TokenSourceOptions) {
    this.now = o.now ?? Date.now;
    this.key = o.key;
  }

  /** A token valid for at least a few more minutes. */
  async get(): Promise<string> {
    const now = this.now();
    if (this.memo && this.memo.refreshAt > now) return this.memo.token;
    this.inflight ??= this.load().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** WeChat refused `token` (42001/40014): forget it here and in Redis, unless already replaced. */
  async invalidate(token: string): Promise<void> {
    if (this.memo?.token === token) {
      const raw = this.memo.raw;
      this.memo = undefined;
      await this.o.redis.eval(DEL_IF_SAME, 1, this.key, raw);
    }
  }

  private async load(): Promise<string> {
    const now = this.now();
    const raw = await this.o.redis.get(this.key);
    if (raw) {
      const parsed = cached.safeParse(safeJson(raw));
      if (parsed.success && parsed.data.refreshAt > now) {
        this.memo = { ...parsed.data, raw };
        this.lastOk = now;
        return parsed.data.token;
      }
    }
    const { token, expiresInS } = await this.o.fetchToken();
    const lifeMs = expiresInS * 1000;
    const refreshAt = this.now() + lifeMs - Math.min(REFRESH_MARGIN_MS, lifeMs / 10);
    const fresh = JSON.stringify({ token, refreshAt });
    await this.o.redis.set(this.key, fresh, 'PX', Math.max(1_000, lifeMs));
    this.memo = { token, refreshAt, raw: fresh };
    this.lastOk = this.now();
    this.o.logger?.info({ expiresInS }, 'access token fetched');
    return token;
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
