/**
 * The vitest lifecycle forms of ./redis.ts. Kept apart so that the benchmarks (tsx, no vitest) can
 * import the rest of test/support.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, stopAllPostgres, type PostgresServer } from './postgres.ts';
import { startRedis, stopAll, waitReady, type RedisServer, type StartRedisOptions } from './redis.ts';

/**
 * One redis-server for a whole test file: started before its tests, stopped (with every other
 * server ./redis.ts started) after them. `ready` gets the server and a connected client.
 */
export function useRedisServer(ready: (server: RedisServer, client: Redis) => void, opts: StartRedisOptions = {}): void {
  beforeAll(async () => {
    const server = await startRedis(opts);
    const client = server.client();
    await waitReady(client);
    ready(server, client);
  });
  afterAll(stopAll);
}

/** One PostgreSQL server for a whole test file (an empty database `kefu`), stopped after its tests. */
export function usePostgresServer(ready: (server: PostgresServer) => void): void {
  beforeAll(async () => {
    ready(await startPostgres());
  }, 60_000);
  afterAll(stopAllPostgres);
}
