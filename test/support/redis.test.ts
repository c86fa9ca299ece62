import { existsSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startCluster } from './redis-cluster.ts';
import { randomPrefix, startRedis, stopAll, waitReady, type RedisServer } from './redis.ts';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Every server and dir the tests saw, checked by the last test. */
const seen: RedisServer[] = [];
const track = <T extends RedisServer>(s: T): T => (seen.push(s), s);

afterAll(stopAll);

describe('startRedis', () => {
  it('starts on a free port (not 6379), two servers get different ports', async () => {
    const [a, b] = await Promise.all([startRedis().then(track), startRedis().then(track)]);
    expect(a.port).not.toBe(6379);
    expect(a.port).not.toBe(b.port);
    expect(a.dir).not.toBe(b.dir);
    expect(a.url).toBe(`redis://127.0.0.1:${a.port}`);
    expect(a.host).toBe('127.0.0.1');
    expect(a.pid).toBeGreaterThan(0);
  });

  it('SET/GET works and randomPrefix gives distinct prefixes', async () => {
    const server = track(await startRedis());
    const redis = server.client();
    const p = randomPrefix();
    expect(p).toMatch(/^t[0-9a-z]+$/);
    expect(randomPrefix()).not.toBe(p);
    await redis.set(`${p}:k`, 'v');
    expect(await redis.get(`${p}:k`)).toBe('v');
    expect(await redis.config('GET', 'save')).toEqual(['save', '']);
  });

  it('with appendonly (fsync always), data written before a SIGKILL survives restart', async () => {
    const server = track(await startRedis({ appendonly: true }));
    const redis = server.client();
    await redis.set('k', 'kept');
    await redis.rpush('list', 'a', 'b');
    const before = server.pid;
    await server.stop({ signal: 'SIGKILL' });
    expect(server.pid).toBeUndefined();
    await server.restart();
    expect(server.pid).not.toBe(before);
    const again = server.client();
    expect(await again.get('k')).toBe('kept');
    expect(await again.lrange('list', 0, -1)).toEqual(['a', 'b']);
  });

  it('without appendonly a restart loses data (no RDB, even on a clean shutdown)', async () => {
    const server = track(await startRedis());
    const redis = server.client({ lazyConnect: true });
    await redis.set('k', 'gone');
    redis.disconnect();
    await server.stop(); // SIGTERM: clean shutdown
    expect(readdirSync(server.dir)).not.toContain('dump.rdb');
    await server.restart();
    expect(await server.client().get('k')).toBeNull();
  });

  it('a client with retryStrategy reconnects after restart', async () => {
    const server = track(await startRedis({ appendonly: true }));
    const redis = server.client({ retryStrategy: () => 20 });
    let readies = 0;
    redis.on('ready', () => readies++);
    await waitReady(redis);
    await redis.set('k', '1');
    await server.stop({ signal: 'SIGKILL' });
    await server.restart();
    await expect.poll(() => readies, { timeout: 3000 }).toBe(2);
    expect(await redis.get('k')).toBe('1');
  });

  it('fails with the log tail when redis-server cannot start', async () => {
    await expect(startRedis({ args: ['--no-such-option', 'x'] })).rejects.toThrow(/exited[\s\S]*no-such-option/i);
  });
});

describe('startCluster', () => {
  it('routes keys to their slots, rejects cross-slot MSET, accepts hash-tagged keys', async () => {
    const cluster = await startCluster();
    cluster.nodes.forEach(track);
    expect(cluster.nodes).toHaveLength(3);
    for (const n of cluster.nodes) expect(n.port + 10_000).toBeLessThanOrEqual(65_535);
    const c = cluster.client();
    await waitReady(c);

    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    for (const k of keys) await c.set(k, k.toUpperCase());
    for (const k of keys) expect(await c.get(k)).toBe(k.toUpperCase());
    // the keys really are spread over all three masters
    const sizes = await Promise.all(cluster.nodes.map((n) => n.client().dbsize()));
    expect(sizes.every((s) => s > 0)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(keys.length);

    // slot('a') = 15495, slot('b') = 3300
    await expect(c.mset('{a}x', '1', '{b}y', '2')).rejects.toThrow(/CROSSSLOT/);
    await c.mset('{t}a', '1', '{t}b', '2');
    expect(await c.mget('{t}a', '{t}b')).toEqual(['1', '2']);

    await cluster.stop();
    for (const n of cluster.nodes) expect(n.pid).toBeUndefined();
  });
});

describe('stopAll', () => {
  it('leaves no redis-server process and no temp dir behind', async () => {
    const extra = track(await startRedis({ appendonly: true }));
    extra.client();
    const pids = seen.map((s) => s.pid).filter((p): p is number => p !== undefined);
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.every(alive)).toBe(true);
    await stopAll();
    expect(pids.filter(alive)).toEqual([]);
    expect(seen.every((s) => s.pid === undefined)).toBe(true);
    expect(seen.filter((s) => existsSync(s.dir))).toEqual([]);
    await expect(extra.restart()).rejects.toThrow(/stopAll/);
  });
});
