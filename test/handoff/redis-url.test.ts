/**
 * REDIS_URL's forms, and a real Sentinel set: a redis-server master watched by a redis-server in
 * sentinel mode, reached through `redis+sentinel://`, following a failover to the new master.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis, parseRedisUrl, RedisUrlError } from '../../src/handoff/index.ts';
import { loadConfig, ConfigError } from '../../src/config.ts';
import { freePort } from '../../src/demo/redis.ts';
import { startRedis, stopAll } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';

describe('parseRedisUrl', () => {
  it('one Redis, with credentials, TLS and a database', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379' });
    expect(parseRedisUrl('rediss://u:p@redis.example:6380/2')).toEqual({ kind: 'single', url: 'rediss://u:p@redis.example:6380/2' });
  });

  it('Cluster nodes: a comma list (with or without the scheme on each), or one node with REDIS_CLUSTER', () => {
    const nodes = [
      { host: 'a', port: 7000 },
      { host: 'b', port: 7001 },
      { host: 'c', port: 6379 },
    ];
    expect(parseRedisUrl('redis://:pw@a:7000,redis://b:7001,c')).toEqual({ kind: 'cluster', nodes, username: undefined, password: 'pw', tls: false });
    expect(parseRedisUrl('rediss://a:7000', true)).toMatchObject({ kind: 'cluster', nodes: [{ host: 'a', port: 7000 }], tls: true });
  });

  it('a Sentinel set: sentinels, master name, database, the master\'s and the sentinels\' passwords', () => {
    expect(parseRedisUrl('redis+sentinel://:s3cret@s1:26379,s2,s3:26380/mymaster/3?sentinelPassword=sp')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
        { host: 's3', port: 26380 },
      ],
      name: 'mymaster',
      db: 3,
      username: undefined,
      password: 's3cret',
      sentinelPassword: 'sp',
      tls: false,
    });
    expect(parseRedisUrl('rediss+sentinel://s1/main')).toMatchObject({ kind: 'sentinel', name: 'main', db: 0, tls: true });
  });

  it.each([
    ['http://x', /must start with redis/],
    ['redis://', /not a URL|no host/],
    ['redis+sentinel://s1:26379', /must start with|not a URL|no host/],
    ['redis+sentinel://s1:99999/m', /port out of range/],
    ['redis+sentinel://s1/m?db=2', /unknown parameter db/],
    ['', /empty/],
  ])('%j is refused: %s', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('the configuration accepts every form, names REDIS_URL otherwise, and never echoes a password', () => {
    for (const url of ['redis+sentinel://a:26379,b:26379/mymaster', 'redis://a:7000,redis://b:7001']) expect(loadConfig({ REDIS_URL: url }).redis.url).toBe(url);
    const err = (() => {
      try {
        loadConfig({ REDIS_URL: 'redis://user:hunter2@' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.issues.map((i) => i.variable)).toEqual(['REDIS_URL']);
    expect(err!.message).not.toContain('hunter2');
  });
});

// ---------------------------------------------------------------------------------------------------------------

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await stopAll();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A redis-server in sentinel mode watching `masterPort` as "kefu" (quorum 1, quick failover). */
async function startSentinel(masterPort: number): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-sentinel-'));
  dirs.push(dir);
  const port = await freePort();
  const conf = path.join(dir, 'sentinel.conf');
  await writeFile(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor kefu 127.0.0.1 ${masterPort} 1`,
      'sentinel down-after-milliseconds kefu 500',
      'sentinel failover-timeout kefu 5000',
      '',
    ].join('\n'),
  );
  const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
  children.push(child);
  return port;
}

/** Waits on a Redis call that may fail meanwhile (a failover in progress counts as "not yet"). */
const until = (what: string, f: () => Promise<boolean>, timeoutMs = 15_000) => waitFor(what, () => f().catch(() => false), { timeout: timeoutMs, interval: 50 });

describe('a Sentinel set', () => {
  it('is reached through redis+sentinel:// and followed through a failover', async () => {
    const master = await startRedis();
    const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    const sentinelPort = await startSentinel(master.port);
    const admin = replica.client();
    await until('the replica in sync', async () => /master_link_status:up/.test(await admin.info('replication')));

    const client = createRedis({ url: `redis+sentinel://127.0.0.1:${sentinelPort}/kefu` }) as Redis;
    try {
      await client.set('k', 'before');
      expect(await client.get('k')).toBe('before');
      expect((await client.info('server')).match(/tcp_port:(\d+)/)?.[1]).toBe(String(master.port));

      // The master dies; the sentinel promotes the replica; the client finds it and goes on.
      await master.stop({ signal: 'SIGKILL' });
      await until('the failover and a write through the new master', async () => (await client.set('k', 'after')) === 'OK', 20_000);
      expect(await client.get('k')).toBe('after');
      expect((await client.info('server')).match(/tcp_port:(\d+)/)?.[1]).toBe(String(replica.port));
    } finally {
      client.disconnect();
    }
  }, 40_000);
});
