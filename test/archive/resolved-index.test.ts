/**
 * The resolved index (the console's 已解决 list) through the archiver's trim, with a real
 * redis-server and PostgreSQL: a resolved chat trimmed from Redis leaves the index, one kept stays.
 */
import type { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import type { ArchiveService } from '../../src/archive/index.ts';
import { ALICE, bringTo, ref } from '../support/handoff-fixture.ts';
import { useRedisServer, usePostgresServer } from '../support/hooks.ts';
import type { PostgresServer } from '../support/postgres.ts';
import { archiveEnv, DAY_MS } from './helpers.ts';

let redis: Redis;
let server: PostgresServer;
useRedisServer((_s, client) => (redis = client));
usePostgresServer((s) => (server = s));

const open: ArchiveService[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
});

it('removes a trimmed conversation from the resolved index, and keeps one not yet due for the archive', async () => {
  const e = await archiveEnv(redis, server.url);
  open.push(e.archive);
  const old = await bringTo(e, ref('old', e.botId), 'resolved');
  e.clock.advance(8 * DAY_MS);
  const recent = await bringTo(e, ref('recent', e.botId), 'resolved');
  const key = e.h.keys.resolved(e.botId);
  expect((await redis.zrange(key, '0', '-1')).sort()).toEqual([old, recent].sort());

  const run = await e.archive.runOnce();
  expect(run.trimmed).toBe(1);
  expect(await redis.zrange(key, '0', '-1')).toEqual([recent]);
  const page = await e.h.listPage({ status: 'resolved', view: 'all', viewer: { id: ALICE.id, manager: true }, limit: 10 });
  expect(page).toMatchObject({ total: 1, next: null });
  expect(page.items.map((c) => c.id)).toEqual([recent]);
});

it('removes a trimmed bot-only conversation from the bot list index, and keeps one not yet due', async () => {
  const e = await archiveEnv(redis, server.url);
  open.push(e.archive);
  const old = await bringTo(e, ref('old-bot', e.botId), 'bot');
  e.clock.advance(8 * DAY_MS);
  const recent = await bringTo(e, ref('recent-bot', e.botId), 'bot');
  const key = e.h.keys.botChats(e.botId);
  expect((await redis.zrange(key, '0', '-1')).sort()).toEqual([old, recent].sort());

  expect((await e.archive.runOnce()).trimmed).toBe(1);
  expect(await redis.zrange(key, '0', '-1')).toEqual([recent]);
  const page = await e.h.listPage({ status: 'bot', view: 'all', viewer: { id: ALICE.id, manager: true }, limit: 10 });
  expect(page).toMatchObject({ total: 1, next: null });
});
