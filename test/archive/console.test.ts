/**
 * A customer who comes back after their conversation left Redis: the console's GET
 * /api/conversations/:id shows the archived messages before the new ones (none twice), serves a
 * conversation only the archive holds read-only, and goes on with the live part when PostgreSQL is
 * down. Real redis-server, real PostgreSQL, the real app through inject.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore } from '../../src/console/auth/index.ts';
import { ARCHIVED_SHOWN } from '../../src/console/routes/conversations.ts';
import { apiConversationWithMessagesSchema } from '../../src/console/serialize.ts';
import { ALICE, bringTo, ref } from '../support/handoff-fixture.ts';
import { useRedisServer, usePostgresServer } from '../support/hooks.ts';
import type { PostgresServer } from '../support/postgres.ts';
import { archiveEnv, DAY_MS, type ArchiveEnv } from './helpers.ts';

let redis: Redis;
let server: PostgresServer;
useRedisServer((_s, client) => (redis = client));
usePostgresServer((s) => (server = s));

const PW = 'correct horse battery';
let e: ArchiveEnv;
let app: FastifyInstance;
let token: string;

beforeEach(async () => {
  e = await archiveEnv(redis, server.url);
  const agents = new AgentStore(redis, e.prefix);
  await agents.add({ username: 'alice', roles: ['agent'], password: PW, name: 'Alice' });
  token = (await agents.login('alice', PW))!.token;
  app = await buildApp({ handoff: e.h, agents, redis, ui: false, archive: e.archive });
});
afterEach(async () => {
  await app.close();
  await e.archive.close();
});

interface Body {
  status: string;
  archived?: true;
  earlier?: true;
  messages: { id: string; from: string; text: string }[];
}

async function get(id: string, query = ''): Promise<{ status: number; body: Body & { error?: { code: string } } }> {
  const res = await app.inject({ method: 'GET', url: `/api/conversations/${id}${query}`, headers: { authorization: `Bearer ${token}` } });
  return { status: res.statusCode, body: res.json() };
}

/** A conversation resolved, copied and trimmed from Redis (8 days on): its transcript as it was. */
async function archivedConversation(customer: string): Promise<{ id: string; old: string[] }> {
  const id = await bringTo(e, ref(customer, e.botId), 'resolved');
  const old = (await redis.xrange(e.h.keys.transcript(id), '-', '+')).map(([entryId]) => entryId);
  e.clock.advance(8 * DAY_MS);
  expect((await e.archive.runOnce()).trimmed).toBe(1);
  expect(await redis.exists(e.h.keys.conversation(id))).toBe(0);
  return { id, old };
}

describe('console: history from the archive', () => {
  it('serves a conversation only the archive holds, read-only', async () => {
    const { id, old } = await archivedConversation('gone');
    const res = await get(id);
    expect(res.status).toBe(200);
    expect(apiConversationWithMessagesSchema.parse(res.body)).toEqual(res.body);
    expect(res.body.status).toBe('resolved');
    expect(res.body.archived).toBe(true);
    expect(res.body.messages.map((m) => m.id)).toEqual(old);
    expect(res.body.messages[0]).toMatchObject({ from: 'customer', text: '你好，我要退款' });
    // Read-only: nothing can be done to it.
    const claim = await app.inject({ method: 'POST', url: `/api/conversations/${id}/claim`, headers: { authorization: `Bearer ${token}` } });
    expect(claim.statusCode).toBe(404);
    // And an id nobody knows is still 404.
    expect((await get(`${e.botId}.nobody`)).status).toBe(404);
  });

  it('shows a returning customer the archived messages before the new ones, none twice', async () => {
    const { id, old } = await archivedConversation('back');
    e.clock.advance(60_000);
    await e.h.recordMessage(ref('back', e.botId), { from: 'customer', text: '我又来了，上次的退款还没到' });
    const live = (await redis.xrange(e.h.keys.transcript(id), '-', '+')).map(([entryId]) => entryId);
    expect(live).toHaveLength(1);

    const res = await get(id);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('bot');
    expect(res.body.archived).toBeUndefined();
    expect(res.body.messages.map((m) => m.id)).toEqual([...old, ...live]);

    // Once the new visit is copied too (the archive then holds both), still each message once.
    await e.h.requestHuman(ref('back', e.botId), { reason: 'customer_asked', question: '退款' });
    await e.h.claim(id, ALICE);
    await e.h.reply(id, ALICE, '马上为您查');
    await e.archive.runOnce();
    const now = (await redis.xrange(e.h.keys.transcript(id), '-', '+')).map(([entryId]) => entryId);
    const again = await get(id);
    expect(again.body.messages.map((m) => m.id)).toEqual([...old, ...now]);
    expect(new Set(again.body.messages.map((m) => m.id)).size).toBe(again.body.messages.length);

    // `after` a live message: only what came since; after the last archived one: the live visit.
    expect((await get(id, `?after=${now[0]}`)).body.messages.map((m) => m.id)).toEqual(now.slice(1));
    expect((await get(id, `?after=${old.at(-1)}`)).body.messages.map((m) => m.id)).toEqual(now);
    expect((await get(id, `?after=${old[1]}`)).body.messages.map((m) => m.id)).toEqual([...old.slice(2), ...now]);
  });

  it('pages back through a history longer than one answer shows, each message once', async () => {
    // Archived first: the 8 days below would trim it with the chatty one.
    const gone = await archivedConversation('gone3');
    const customer = ref('chatty', e.botId);
    for (let i = 0; i < 620; i++) await e.h.recordMessage(customer, { from: 'customer', text: `第${i}句` });
    const { id, old } = await archivedConversation('chatty');
    expect(old.length).toBeGreaterThan(ARCHIVED_SHOWN + 100);
    await e.h.recordMessage(customer, { from: 'customer', text: '我又来了' });
    const live = (await redis.xrange(e.h.keys.transcript(id), '-', '+')).map(([entryId]) => entryId);

    const first = await get(id);
    expect(first.body.earlier).toBe(true);
    expect(first.body.messages.map((m) => m.id)).toEqual([...old.slice(-ARCHIVED_SHOWN), ...live]);
    const back = await get(id, `?before=${first.body.messages[0]!.id}`);
    expect(back.status).toBe(200);
    expect(back.body.earlier).toBeUndefined();
    expect(back.body.messages.map((m) => m.id)).toEqual(old.slice(0, -ARCHIVED_SHOWN));

    // An archived-only conversation pages the same way and stays read-only.
    expect((await get(gone.id)).body.earlier).toBeUndefined();
    expect((await get(gone.id, `?before=${gone.old.at(-1)}`)).body).toMatchObject({ archived: true, messages: gone.old.slice(0, -1).map((mid) => ({ id: mid })) });
    expect((await get(id, `?before=${old[5]}&after=${old[1]}`)).status).toBe(400);
  });

  it('goes on with the live transcript when PostgreSQL is down, and says an archived-only one is unavailable', async () => {
    const { id: gone } = await archivedConversation('gone2');
    const { id: back } = await archivedConversation('back2');
    await e.h.recordMessage(ref('back2', e.botId), { from: 'customer', text: '在吗' });
    await server.stop();
    try {
      const live = await get(back);
      expect(live.status).toBe(200);
      expect(live.body.messages.map((m) => m.text)).toEqual(['在吗']);
      const archived = await get(gone);
      expect(archived.status).toBe(503);
      expect(archived.body.error?.code).toBe('ARCHIVE_UNAVAILABLE');
    } finally {
      await server.restart();
    }
    expect((await get(gone)).status).toBe(200);
  });
});
