/**
 * Operating the archive through the composition root (src/main.ts): with DATABASE_URL the archive
 * runs next to the bot and the console; PostgreSQL down at start or later is a state shown at
 * /readyz (still 200: the live service goes on) and /metrics, never a failed start. Real Redis,
 * real PostgreSQL stopped and started again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startKefu, type Kefu } from '../../src/main.ts';
import { usePostgresServer, useRedisServer } from '../support/hooks.ts';
import { captureLogs } from '../support/logs.ts';
import type { PostgresServer } from '../support/postgres.ts';
import { freePort, randomPrefix, type RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';

let redis: RedisServer;
let pg: PostgresServer;
useRedisServer((s) => (redis = s));
usePostgresServer((s) => (pg = s));

const running: Kefu[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((k) => k.stop()));
});

async function start(roles: ('bot' | 'console')[], extra: Record<string, string>, logger = captureLogs()): Promise<Kefu> {
  const config = loadConfig({
    REDIS_URL: redis.url,
    REDIS_PREFIX: randomPrefix(),
    PORT: '0',
    WECHATY_PUPPET: 'wechaty-puppet-mock',
    KEFU_ADMIN_PASSWORD: 'a long enough password',
    // Long: the test runs the archiver itself (runOnce), so nothing races it.
    ARCHIVE_INTERVAL_S: '3600',
    ...extra,
  });
  const k = await startKefu(config, { roles, logger: logger.logger });
  running.push(k);
  return k;
}

const readyz = async (url: string) => {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as { status?: string; checks?: Record<string, string> } };
};

/** The value of one series; undefined when absent. */
const metric = async (url: string, series: string): Promise<number | undefined> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : undefined;
};

describe('the archive in the running product', () => {
  it('archives a conversation; PostgreSQL stopped: /readyz stays 200 with archive down, kefu_archive_up 0; back once it is', { timeout: 60_000 }, async () => {
    const k = await start(['bot', 'console'], { DATABASE_URL: pg.url });
    const url = k.console!.url;
    expect(k.archive).toBeDefined();
    const mocker = k.bot!.mocker!;
    const bot = mocker.createContact({ name: '闪录客服' });
    mocker.login(bot);
    const customer = mocker.createContact({ name: '归档测试' });
    const heard: string[] = [];
    customer.on('message', (m) => {
      if (m.payload.talkerId === bot.id) heard.push(m.payload.text ?? '');
    });
    customer.say('录屏没有声音怎么办').to(bot);
    await waitFor('the bot\'s answer', () => heard.length > 0);
    await waitFor('the conversation archived', async () => {
      await k.archive!.runOnce();
      return k.archive!.status().archived > 0;
    });

    await waitFor('ready', async () => (await readyz(url)).status === 200);
    expect((await readyz(url)).body).toEqual({ status: 'ready', checks: { redis: 'ok', bot: 'ok', archive: 'ok' } });
    expect(await metric(url, 'kefu_archive_up')).toBe(1);
    expect(await metric(url, 'kefu_archive_archived_total')).toBeGreaterThanOrEqual(1);
    expect(await metric(url, 'kefu_archive_trimmed_total')).toBe(0);
    expect(await metric(url, 'kefu_archive_lag_seconds')).toBeGreaterThanOrEqual(0);

    await pg.stop();
    await expect(k.archive!.runOnce()).rejects.toMatchObject({ code: 'ARCHIVE_UNAVAILABLE' });
    const down = await readyz(url);
    expect(down).toEqual({ status: 200, body: { status: 'ready', checks: { redis: 'ok', bot: 'ok', archive: 'down' } } });
    expect(await metric(url, 'kefu_archive_up')).toBe(0);
    // The live service goes on: the bot still answers.
    const before = heard.length;
    customer.say('怎么去掉水印').to(bot);
    await waitFor('the bot\'s answer while PostgreSQL is down', () => heard.length > before);

    await pg.restart();
    await waitFor('the archive back up', async () => {
      await k.archive!.runOnce().catch(() => undefined);
      return k.archive!.status().up;
    });
    expect((await readyz(url)).body.checks).toMatchObject({ archive: 'ok' });
    expect(await metric(url, 'kefu_archive_up')).toBe(1);
  });

  it('PostgreSQL unreachable at start: the bot role starts, says so in one clear line, /readyz 200 with archive down', { timeout: 30_000 }, async () => {
    const logs = captureLogs();
    const closed = `postgres://postgres@127.0.0.1:${await freePort(false)}/kefu`;
    const k = await start(['bot'], { DATABASE_URL: closed }, logs);
    const url = k.ops!.url;
    expect(logs.records.filter((r) => /PostgreSQL cannot be reached/.test(r.msg))).toHaveLength(1);
    k.bot!.mocker!.login(k.bot!.mocker!.createContact({ name: 'bot' }));
    await waitFor('ready', async () => (await readyz(url)).status === 200);
    expect((await readyz(url)).body).toEqual({ status: 'ready', checks: { redis: 'ok', bot: 'ok', archive: 'down' } });
    expect(await metric(url, 'kefu_archive_up')).toBe(0);
    expect(k.archive!.status()).toMatchObject({ up: false, error: expect.stringMatching(/\S/) });
  });

  it('without DATABASE_URL: no archive, nothing about it at /readyz or /metrics', async () => {
    const k = await start(['console'], {});
    expect(k.archive).toBeUndefined();
    expect((await readyz(k.console!.url)).body).toEqual({ status: 'ready', checks: { redis: 'ok' } });
    expect(await metric(k.console!.url, 'kefu_archive_up')).toBeUndefined();
  });
});
