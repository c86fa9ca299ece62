import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisConfig {
  /** redis://host:port, or several comma-separated node URLs of a Redis Cluster. */
  url: string;
  cluster?: boolean;
  /**
   * For command lines: give up after a few attempts instead of waiting for Redis forever
   * (no offline queue beyond that; commands fail with the connection error).
   */
  failFast?: boolean;
}

/**
 * A client that rides out a Redis restart: it reconnects forever (backing off to 2 s), and
 * commands issued meanwhile wait in its offline queue and are sent, in order, when Redis is
 * back, instead of failing after a few retries. Callers that must not wait check `isReady`.
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
  const urls = config.url.split(',').map((u) => u.trim()).filter(Boolean);
  const client =
    config.cluster || urls.length > 1
      ? new Cluster(
          urls.map((u) => {
            const { hostname, port } = new URL(u);
            return { host: hostname, port: Number(port || 6379) };
          }),
          { redisOptions: options, clusterRetryStrategy: retry },
        )
      : new Redis(urls[0] ?? 'redis://127.0.0.1:6379', options);
  let wasReady = false;
  client.on('ready', () => {
    if (wasReady) logger?.info('redis connection restored');
    wasReady = true;
  });
  client.on('error', (err: Error) => logger?.warn({ err: err.message }, 'redis connection error'));
  return client;
}

export const isReady = (client: Redis | Cluster): boolean => client.status === 'ready';
