/**
 * npm run demo: Redis found or started, PostgreSQL for the archive used, started or missing (the
 * demo runs without it and says so once), the bot on the mock puppet (or, with DEMO_CHANNEL=wecom-kf,
 * on the 微信客服 channel against the WeChat API simulator) with the console, the seeded queue,
 * and the WeChat simulator routes going through the real bot.
 */
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalPostgres, postgresRunAs } from '../src/archive/local-server.ts';
import { ConfigError } from '../src/config.ts';
import { resolveDemoPostgres } from '../src/demo/postgres.ts';
import { NoRedisError, pingRedis, resolveDemoRedis } from '../src/demo/redis.ts';
import { demoBanner, startDemo, type DemoChannel, type RunningDemo } from '../src/demo/main.ts';
import { DEMO_WECOM, externalUserIdOf } from '../src/demo/wecom-sim.ts';
import { useRedisServer } from './support/hooks.ts';
import { freePort, randomPrefix, removeDir, trackDir, type RedisServer } from './support/redis.ts';
import { ROOT, runNode } from './support/processes.ts';
import { waitFor } from './support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

const pgDirs: string[] = [];
afterAll(async () => {
  await Promise.all(pgDirs.map((d) => removeDir(d)));
});

/** A temp folder for the demo's PostgreSQL data, which the postgres user may enter (as ./.data is made so). */
async function pgBase(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-demo-pg-'));
  trackDir(dir);
  pgDirs.push(dir);
  const as = postgresRunAs();
  if (as) await chown(dir, as.uid, as.gid);
  return dir;
}

describe('where the demo finds PostgreSQL', () => {
  it('DATABASE_URL first; without the server programs, none, with the install command', async () => {
    const given = await resolveDemoPostgres({ DATABASE_URL: ' postgres://db.example/kefu ' }, { dataDir: 'x' });
    expect(given).toMatchObject({ url: 'postgres://db.example/kefu', source: 'DATABASE_URL' });
    const none = await resolveDemoPostgres({}, { dataDir: 'x', binDir: '/nonexistent/bin' });
    expect(none.source).toBe('none');
    expect(none.url).toBeUndefined();
    expect(none.notice).toMatch(/apt-get install postgresql/);
    expect(existsSync('x')).toBe(false);
  });

  it('else starts it with initdb on the first run, keeps the data for the next, uses one an earlier demo left running', { timeout: 60_000 }, async () => {
    const dataDir = path.join(await pgBase(), 'pg');
    const first = await resolveDemoPostgres({}, { dataDir });
    expect(first).toMatchObject({ source: 'started', initialised: true, dataDir });
    const port = Number(new URL(first.url!).port);
    const local = new LocalPostgres({ dataDir, port });
    expect(await local.answers()).toBe(true);
    await first.stop();
    expect(await local.answers()).toBe(false);

    const second = await resolveDemoPostgres({}, { dataDir });
    expect(second).toMatchObject({ source: 'started', initialised: false });
    await second.stop();

    // A demo killed outright leaves its server behind: the next one uses it and leaves it running.
    const orphan = new LocalPostgres({ dataDir, port: await freePort(false) });
    await orphan.start();
    try {
      const third = await resolveDemoPostgres({}, { dataDir });
      expect(third).toMatchObject({ source: 'running', url: orphan.url('kefu') });
      await third.stop();
      expect(await orphan.answers()).toBe(true);
    } finally {
      await orphan.stop();
    }
  });
});

describe('where the demo finds Redis', () => {
  const closed = { host: '127.0.0.1', port: 1 };

  it('REDIS_URL first, then a Redis that answers on the probed address', async () => {
    expect(await resolveDemoRedis({ REDIS_URL: 'redis://example:1' }, { dataDir: 'x' })).toMatchObject({ url: 'redis://example:1', source: 'REDIS_URL' });
    const found = await resolveDemoRedis({}, { dataDir: 'x', probe: { host: '127.0.0.1', port: server.port } });
    expect(found).toMatchObject({ url: `redis://127.0.0.1:${server.port}`, source: 'local' });
    expect(await pingRedis('127.0.0.1', 1)).toBe(false);
  });

  it('else starts redis-server with AOF in the data folder, and stops it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-demo-redis-'));
    try {
      const r = await resolveDemoRedis({}, { dataDir: dir, probe: closed });
      expect(r.source).toBe('started');
      const port = Number(new URL(r.url).port);
      expect(await pingRedis('127.0.0.1', port)).toBe(true);
      await r.stop();
      expect(await pingRedis('127.0.0.1', port)).toBe(false);
      // Redis 7 keeps its AOF in a folder of its own.
      expect((await readdir(dir)).some((f) => f.startsWith('appendonly'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('without redis-server: one clear message with the install commands', async () => {
    const err = await resolveDemoRedis({}, { dataDir: 'x', probe: closed, bin: 'no-such-redis-server' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoRedisError);
    expect((err as Error).message).toMatch(/apt-get install redis-server/);
    expect((err as Error).message).toMatch(/brew install redis/);
    expect(existsSync('x')).toBe(false);
  });
});

/** The same demo, whichever WeChat door it plays. */
const demoSuite = (channel: DemoChannel) => describe(`the demo (DEMO_CHANNEL=${channel})`, () => {
  let demo: RunningDemo;
  let token: string;
  const api = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${demo.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
  };

  beforeAll(async () => {
    // One suite with the archive (PostgreSQL started in a temp folder), one without PostgreSQL at all.
    const pg = channel === 'wechaty' ? { pgDataDir: path.join(await pgBase(), 'pg') } : { pgBinDir: '/nonexistent/bin' };
    demo = await startDemo({ env: { REDIS_URL: server.url, REDIS_PREFIX: randomPrefix(), PORT: '0', LOG_LEVEL: 'silent', DEMO_CHANNEL: channel }, ...pg });
    const login = await fetch(`${demo.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: demo.password }),
    });
    expect(login.status).toBe(200);
    token = ((await login.json()) as { token: string }).token;
  }, 60_000);
  afterAll(async () => {
    await demo?.stop();
  });

  if (channel === 'wechaty') {
    it('with PostgreSQL installed: starts it for the archive and says where its data is', async () => {
      expect(demo.postgres).toMatchObject({ source: 'started', initialised: true });
      expect(demo.kefu.config.archive.url).toBe(demo.postgres.url);
      expect(demo.kefu.archive!.status().up).toBe(true);
      const ready = (await (await fetch(`${demo.url}/readyz`)).json()) as { checks: Record<string, string> };
      expect(ready.checks.archive).toBe('ok');
      const banner = demoBanner(demo);
      expect(banner).toContain(`数据在 ${demo.postgres.dataDir}`);
      expect(banner).not.toMatch(/apt-get install postgresql/);
    });
  } else {
    it('without PostgreSQL: runs without the archive and says once how to install it', async () => {
      expect(demo.postgres.source).toBe('none');
      expect(demo.kefu.config.archive.url).toBeUndefined();
      expect(demo.kefu.archive).toBeUndefined();
      const banner = demoBanner(demo);
      expect(banner.match(/apt-get install postgresql/g)).toHaveLength(1);
      expect(banner).toMatch(/归档:\s+未启用/);
    });
  }

  it('seeds chats in different states and tiers, through the real bot', async () => {
    const waiting = (await api('GET', '/api/conversations?status=waiting')).body.items as { customer: { name: string; tier: string }; reason: string; question: string }[];
    const byName = Object.fromEntries(waiting.map((c) => [c.customer.name, c]));
    expect(Object.keys(byName).sort()).toEqual(['张伟', '李娜', '王芳'].sort());
    // "我要投诉，…，转人工": a complaint, queued as one (an apology, and a complaint's place).
    expect(byName['王芳']).toMatchObject({ reason: 'complaint', customer: { tier: 'vip' } });
    expect(byName['张伟']).toMatchObject({ reason: 'not_helpful', question: '录屏没有声音怎么办', customer: { tier: 'vip' } });
    expect(byName['李娜']).toMatchObject({ reason: 'low_confidence', customer: { tier: 'standard' } });
    const active = (await api('GET', '/api/conversations?status=active')).body.items as { customer: { name: string }; assignee: { name: string } }[];
    expect(active.map((c) => c.customer.name)).toEqual(['赵磊']);
    // The agent's reply reached the simulated phone, as a line from the bot's account.
    const chat = (await api('GET', `/api/demo/messages?customer=${encodeURIComponent('赵磊')}`)).body.items as { from: string; text: string }[];
    expect(chat.at(-1)).toMatchObject({ from: 'bot', text: expect.stringContaining('年费会员购买 7 天内可以全额退款') });
  });

  it('the simulator: a new customer types, the bot answers as WeChat shows it; an agent reply arrives as the bot', async () => {
    expect((await api('POST', '/api/demo/messages', { customer: '新客户', text: '怎么去掉水印' })).status).toBe(202);
    // On 微信客服 the customer opened the chat first and got the welcome before typing.
    const own = channel === 'wecom-kf' ? 1 : 0;
    const answered = await waitFor('the bot\'s answer', async () => {
      const items = (await api('GET', `/api/demo/messages?customer=${encodeURIComponent('新客户')}`)).body.items as { from: string; text: string }[];
      return items.length >= own + 2 ? items : null;
    });
    if (own) expect(answered[0]).toMatchObject({ from: 'bot', text: expect.stringMatching(/\S/) });
    expect(answered[own]).toMatchObject({ from: 'customer', text: '怎么去掉水印' });
    expect(answered[own + 1]!.from).toBe('bot');
    expect(answered[own + 1]!.text).not.toMatch(/\*\*/);

    await api('POST', '/api/demo/messages', { customer: '新客户', text: '转人工' });
    const conv = await waitFor('the chat in the queue', async () => {
      const items = (await api('GET', '/api/conversations?status=waiting')).body.items as { id: string; customer: { name: string } }[];
      return items.find((c) => c.customer.name === '新客户');
    });
    expect((await api('POST', `/api/conversations/${conv.id}/claim`)).status).toBe(200);
    expect((await api('POST', `/api/conversations/${conv.id}/messages`, { text: '您好，我来帮您' })).status).toBe(202);
    const reply = await waitFor('the reply on the phone', async () => {
      const items = (await api('GET', `/api/demo/messages?customer=${encodeURIComponent('新客户')}`)).body.items as { from: string; text: string }[];
      return items.find((l) => l.from === 'bot' && l.text.endsWith('您好，我来帮您'));
    });
    // On 微信客服 the agent's joining rides on the first reply (WeChat allows 5 replies per customer message).
    if (channel === 'wecom-kf') expect(reply.text).toMatch(/接下来由我为您服务~\n\n您好，我来帮您$/);
    else expect(reply.text).toBe('您好，我来帮您');
    const customers = (await api('GET', '/api/demo/customers')).body.items as { name: string }[];
    expect(customers.map((c) => c.name)).toContain('新客户');
  });

  it('rejects a bad simulator message with the spec\'s error shape', async () => {
    const bad = await api('POST', '/api/demo/messages', { customer: '', text: 'x' });
    expect(bad.status).toBe(400);
    expect((bad.body.error as { message: string }).message).toMatch(/body\.customer/);
    expect((await api('POST', '/api/demo/messages', { customer: 'a', text: 'x'.repeat(2001) })).status).toBe(400);
    expect((await api('GET', '/api/demo/messages')).status).toBe(400);
    const anonymous = await fetch(`${demo.url}/api/demo/messages?customer=a`);
    expect(anonymous.status).toBe(401);
  });

  if (channel === 'wecom-kf') {
    it('plays 微信客服 through the simulator: the chats are the open_kfid\'s, what the phone shows is what WeChat delivered', async () => {
      expect(demo.channel).toBe('wecom-kf');
      expect(demo.kefu.config.channels.list).toEqual(['wecom-kf']);
      expect(demo.kefu.config.channels.wecomKf).toMatchObject({ apiBase: demo.wechat!.url, openKfids: [DEMO_WECOM.openKfid] });
      const waiting = (await api('GET', '/api/conversations?status=waiting')).body.items as { id: string; customer: { name: string } }[];
      const wang = waiting.find((c) => c.customer.name === '王芳')!;
      expect(wang.id).toBe(`kf-${DEMO_WECOM.openKfid}.${externalUserIdOf('王芳')}`);
      // The phone's lines are exactly what WeChat delivered to that external_userid (welcome included).
      const delivered = demo.wechat!.received(externalUserIdOf('王芳')).map((m) => m.text);
      const chat = (await api('GET', `/api/demo/messages?customer=${encodeURIComponent('王芳')}`)).body.items as { from: string; text: string }[];
      expect(chat.filter((l) => l.from === 'bot').map((l) => l.text)).toEqual(delivered);
      expect(demo.wechat!.received(externalUserIdOf('王芳'))[0]!.via).toBe('send_msg_on_event');
      expect(chat.filter((l) => l.from === 'customer').map((l) => l.text)).toEqual(['我要投诉，导出的视频一直失败，转人工']);
    });
  }
});

demoSuite('wechaty');
demoSuite('wecom-kf');

describe('npm run demo with a bad configuration', () => {
  it('names every invalid variable in one go before anything starts, and exits 1', async () => {
    const env = { ...process.env, PORT: 'abc', REDIS_URL: 'notaurl', KEFU_ADMIN_PASSWORD: 'short', DEMO_CHANNEL: 'oa' };
    const r = await runNode(['--import', 'tsx', 'src/demo/main.ts'], { cwd: ROOT, env, timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/演示已启动/);
    for (const v of ['PORT', 'REDIS_URL', 'KEFU_ADMIN_PASSWORD', 'DEMO_CHANNEL']) expect(r.stderr.match(new RegExp(`^ {2}${v}: `, 'gm'))).toHaveLength(1);
    expect(r.stderr).toContain('PORT: must be a port number 1-65535 (or 0: any free port), got "abc"');
  }, 40_000);
});

describe('DEMO_CHANNEL', () => {
  it('refuses an unknown channel before anything starts, naming the variable', async () => {
    const err = await startDemo({ env: { DEMO_CHANNEL: 'oa', REDIS_URL: 'redis://127.0.0.1:1', LOG_LEVEL: 'silent' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([{ variable: 'DEMO_CHANNEL', message: expect.stringContaining('wechaty, wecom-kf') }]);
    expect((err as Error).message).toMatch(/DEMO_CHANNEL/);
  });
});
