import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { parseRedisUrl } from './redis-url.ts';

export interface RedisConfig {
  /** See `parseRedisUrl`: one Redis, a Sentinel set, or the nodes of a Redis Cluster. */
  url: string;
  /** Treat a single URL as a startup node of a Redis Cluster. */
  cluster?: boolean;
  /**
   * For command lines: give up after a few attempts instead of waiting for Redis forever
   * (no offline queue beyond that; commands fail with the connection error).
   */
  failFast?: boolean;
}

/**
 * A client that rides out a Redis restart (or a Sentinel failover): it reconnects forever
 * (backing off to 2 s), and commands issued meanwhile wait in its offline queue and are sent, in
 * order, when Redis is back, instead of failing after a few retries. Callers that must not wait
 * check `isReady`.
 */
export function createRedis(config: RedisConfig, logger?: Logger): Redis | Cluster {
  const retry = config.failFast
    ? (times: number) => (times > 3 ? null : 200 * times)
    : (times: number) => Math.min(100 * times, 2_000);
  const options: RedisOptions = config.failFast
    ? { maxRetriesPerRequest: 1, connectTimeout: 5_000, retryStrategy: retry }
    : {
        maxRetriesPerRequest: null,
        enableOfflineQueue: true,
        retryStrategy: retry,
        // A failover turns the old primary read-only: reconnect to find the new one.
        reconnectOnError: (err) => err.message.startsWith('READONLY'),
      };
  const target = parseRedisUrl(config.url, config.cluster);
  let client: Redis | Cluster;
  switch (target.kind) {
    case 'single':
      client = new Redis(target.url, options);
      break;
    case 'cluster':
      client = new Cluster(target.nodes, {
        redisOptions: { ...options, username: target.username, password: target.password, ...(target.tls ? { tls: {} } : {}) },
        clusterRetryStrategy: retry,
      });
      break;
    case 'sentinel':
      client = new Redis({
        ...options,
        sentinels: target.sentinels,
        name: target.name,
        db: target.db,
        username: target.username,
        password: target.password,
        sentinelPassword: target.sentinelPassword,
        sentinelRetryStrategy: retry,
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
      });
      break;
  }
  if (client instanceof Redis) coalesceWrites(client);
  let wasReady = false;
  client.on('ready', () => {
    if (wasReady) logger?.info('redis connection restored');
    wasReady = true;
  });
  client.on('error', (err: Error) => logger?.warn({ err: err.message }, 'redis connection error'));
  return client;
}

export const isReady = (client: Redis | Cluster): boolean => client.status === 'ready';

/** Sockets whose writes are joined already (a reconnect brings a new one). */
const coalesced = new WeakSet<object>();

/**
 * Commands issued in one turn of the event loop leave in one socket write. ioredis writes each
 * command to the socket as it is issued, and a socket with nothing pending writes at once: one
 * system call per command, ~40 us each, which under a burst of customer turns (each resumed on its
 * own after matching on a thread) cost the bot's loop more than the rest of the turns. Corking the
 * socket until the loop's check phase joins them (what ioredis's enableAutoPipelining does at
 * the command level, which fails on this project's script commands). The order of commands and of
 * their replies is unchanged; a command waits at most for the rest of the current turn of the loop.
 */
export function coalesceWrites(client: Redis): void {
  client.on('connect', () => {
    const stream = client.stream;
    if (!stream || coalesced.has(stream)) return;
    coalesced.add(stream);
    let corked = false;
    const uncork = (): void => {
      corked = false;
      stream.uncork();
    };
    const write = stream.write;
    stream.write = function (this: typeof stream, ...args: Parameters<typeof stream.write>) {
      if (!corked) {
        corked = true;
        stream.cork();
        setImmediate(uncork);
      }
      return write.apply(this, args);
    } as typeof stream.write;
  });
}
