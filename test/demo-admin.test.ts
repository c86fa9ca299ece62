/**
 * The demo's admin password across restarts (the real `startDemo`, its console on a free port, a
 * real redis-server): a restart keeps the password of the existing admin and prints it again when
 * it remembered it (or says it is unchanged when it cannot know it); KEFU_ADMIN_PASSWORD still sets
 * it. The banner says where Redis is (host:port/db), not a variable's name.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redisAddress } from '../src/demo/admin.ts';
import { demoBanner, startDemo, type RunningDemo } from '../src/demo/main.ts';
import { useRedisServer } from './support/hooks.ts';
import { randomPrefix, type RedisServer } from './support/redis.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function login(demo: RunningDemo, password: string | null): Promise<number> {
  const res = await fetch(`${demo.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  return res.status;
}

/** One start and stop of the demo on `prefix`; `check` runs while it is up. */
async function run(prefix: string, extra: { env?: NodeJS.ProcessEnv; adminFile?: string }, check: (demo: RunningDemo) => Promise<void>): Promise<RunningDemo> {
  const demo = await startDemo({
    env: { REDIS_URL: `${server.url}/0`, REDIS_PREFIX: prefix, PORT: '0', LOG_LEVEL: 'silent', ...extra.env },
    pgBinDir: '/nonexistent/bin',
    seed: false,
    ...(extra.adminFile ? { adminFile: extra.adminFile } : {}),
  });
  try {
    await check(demo);
  } finally {
    await demo.stop();
  }
  return demo;
}

describe('the demo admin across restarts', () => {
  it('keeps the password of the existing admin and prints it again; KEFU_ADMIN_PASSWORD still sets it', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-demo-admin-'));
    dirs.push(dir);
    const adminFile = path.join(dir, 'demo-admin.json');
    const prefix = randomPrefix();

    const first = await run(prefix, { adminFile }, async (demo) => {
      expect(demo.admin).toBe('new');
      expect(await login(demo, demo.password)).toBe(200);
    });
    expect(first.password).toBeTruthy();
    // Remembered beside the demo's data, for its owner only.
    expect(((await stat(adminFile)).mode & 0o777).toString(8)).toBe('600');
    expect(JSON.stringify(JSON.parse(await readFile(adminFile, 'utf8')))).toContain(first.password!);

    const second = await run(prefix, { adminFile }, async (demo) => {
      expect(demo.admin).toBe('kept');
      expect(demo.password).toBe(first.password);
      expect(await login(demo, first.password)).toBe(200);
      const banner = demoBanner(demo);
      expect(banner).toContain(`admin / ${first.password}`);
      expect(banner).toContain('沿用上次的密码');
    });
    expect(second.password).toBe(first.password);

    // Without the remembered copy the password still stays; the banner says so instead of inventing one.
    await run(prefix, {}, async (demo) => {
      expect(demo.admin).toBe('kept');
      expect(demo.password).toBeNull();
      expect(await login(demo, first.password)).toBe(200);
      expect(demoBanner(demo)).toMatch(/admin \/ （沿用已有密码，未改动；忘记了可用 KEFU_ADMIN_PASSWORD=/);
    });

    // KEFU_ADMIN_PASSWORD applies at every start: the old password stops working.
    const given = 'Demo-passphrase-2026';
    await run(prefix, { env: { KEFU_ADMIN_PASSWORD: given }, adminFile }, async (demo) => {
      expect(demo.admin).toBe('given');
      expect(demo.password).toBe(given);
      expect(await login(demo, given)).toBe(200);
      expect(await login(demo, first.password)).toBe(401);
    });
  });
});

describe('the banner says where Redis is', () => {
  it('host:port/db of the URL, never its password nor the variable name alone', async () => {
    expect(redisAddress('redis://127.0.0.1:6390')).toBe('127.0.0.1:6390/0');
    expect(redisAddress('redis://:s3cret@cache.internal:6380/2')).toBe('cache.internal:6380/2');
    expect(redisAddress('redis://cache.internal')).toBe('cache.internal:6379/0');
    expect(redisAddress('redis+sentinel://:pw@s1:26379,s2:26380/mymaster/3')).toBe('s1:26379,s2:26380（Sentinel mymaster）/3');
    const banner = demoBanner({
      redis: { url: 'redis://:s3cret@127.0.0.1:6391/4', source: 'REDIS_URL', stop: async () => undefined },
      postgres: { source: 'none' },
      channel: 'wechaty',
      url: 'http://127.0.0.1:3000',
      password: 'pw-for-banner-1',
    } as Parameters<typeof demoBanner>[0]);
    expect(banner).toMatch(/Redis:\s+127\.0\.0\.1:6391\/4（来自 REDIS_URL）/);
    expect(banner).not.toContain('s3cret');
  });
});
