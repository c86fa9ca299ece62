/**
 * The customer panel's history (GET /api/customers/:botId/:customerId): the conversations so far
 * (each handoff of the customer's thread) with who served them, how they ended and the rating,
 * archived ones included and none twice; a customer only the archive holds is answered from it
 * with `archived: true`; PostgreSQL down: the live part, said to be incomplete. Real redis-server,
 * real PostgreSQL, the real app through inject.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createPool } from '../../src/archive/index.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncReports } from '../../src/archive/reports-sync.ts';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore } from '../../src/console/auth/index.ts';
import { sessionsOf, type CustomerHistory } from '../../src/console/customer-history.ts';
import { WITHDRAWN_BY } from '../../src/handoff/index.ts';
import { ALICE, BOB, bringTo, ref } from '../support/handoff-fixture.ts';
import { usePostgresServer, useRedisServer } from '../support/hooks.ts';
import type { PostgresServer } from '../support/postgres.ts';
import { archiveEnv, DAY_MS, type ArchiveEnv } from '../archive/helpers.ts';

let redis: Redis;
let server: PostgresServer;
useRedisServer((_s, client) => (redis = client));
usePostgresServer((s) => (server = s));

const PW = 'correct horse battery';
let e: ArchiveEnv;
let app: FastifyInstance;
let redisOnly: FastifyInstance;
let token: string;
let pool: pg.Pool;

beforeEach(async () => {
  e = await archiveEnv(redis, server.url);
  // The archive's pool: an idle connection PostgreSQL drops (the outage test) is not an unhandled error.
  pool = createPool({ url: server.url, max: 1 });
  const agents = new AgentStore(redis, e.prefix);
  await agents.add({ username: 'alice', roles: ['agent'], password: PW, name: 'Alice' });
  token = (await agents.login('alice', PW))!.token;
  app = await buildApp({ handoff: e.h, agents, redis, ui: false, archive: e.archive });
  redisOnly = await buildApp({ handoff: e.h, agents, redis, ui: false });
  await e.h.registry.setChannel(e.botId, { kind: 'wecom-kf', label: '官方客服', maxTextBytes: 2048 });
});
afterEach(async () => {
  await Promise.all([app.close(), redisOnly.close()]);
  await e.archive.close();
  await pool.end();
});

/** The JSON of a CustomerHistory (dates as strings, as the route sends them). */
type History = CustomerHistory;

async function history(customer: string, on = app): Promise<{ status: number; body: History & { error?: { code: string } } }> {
  const res = await on.inject({ method: 'GET', url: `/api/customers/${e.botId}/${customer}`, headers: { authorization: `Bearer ${token}` } });
  return { status: res.statusCode, body: res.json() };
}

/** A first conversation served by Alice and rated 4, then copied to the archive and trimmed from Redis. */
async function servedAndArchived(customer: string): Promise<{ id: string; firstAt: string }> {
  const r = ref(customer, e.botId);
  const id = await bringTo(e, r, 'resolved');
  const [first] = await redis.xrange(e.h.keys.transcript(id), '-', '+', 'COUNT', 1);
  await e.h.setTags(id, ['退款'], { manager: true });
  e.clock.advance(60_000);
  await e.h.recordRating(r, 4);
  await syncReports({ pool, redis, prefix: e.prefix, now: e.clock.now });
  e.clock.advance(8 * DAY_MS);
  expect((await e.archive.runOnce()).trimmed).toBe(1);
  expect(await redis.exists(e.h.keys.conversation(id))).toBe(0);
  return { id, firstAt: new Date(Number(first![0].split('-')[0])).toISOString() };
}

describe('GET /api/customers/:botId/:customerId', () => {
  it('a customer only the archive holds: read-only history with the outcome, the agent and the rating', async () => {
    const { id } = await servedAndArchived('gone');
    const res = await history('gone');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ conversationId: id, archived: true, status: 'resolved', tags: ['退款'], channel: { kind: 'wecom-kf', label: '官方客服' } });
    expect(res.body.sessions).toEqual([
      expect.objectContaining({ reason: 'customer_asked', agent: { id: ALICE.id, name: ALICE.name }, outcome: 'resolved', resolvedBy: ALICE.id, rating: 4 }),
    ]);
    expect(res.body.ratings).toEqual({ count: 1, average: 4 });
    // Without the archive it is unknown; an id nobody knows is 404 either way.
    expect((await history('gone', redisOnly)).status).toBe(404);
    expect((await history('nobody')).status).toBe(404);
    expect((await history('bad.id')).status).toBe(400);
  });

  it('a returning customer: the archived conversation and the new one, newest first, none twice; the archived one opens', async () => {
    const { id } = await servedAndArchived('back');
    e.clock.advance(60_000);
    const r = ref('back', e.botId);
    await e.h.recordMessage(r, { from: 'customer', text: '上次的退款还没到' });
    e.clock.advance(60_000);
    await e.h.requestHuman(r, { reason: 'low_confidence', question: '退款还没到' });
    e.clock.advance(60_000);
    await e.h.claim(id, BOB);
    // The archiver copies the live conversation too (write-behind): its events are then in both stores.
    await e.archive.runOnce();

    const res = await history('back');
    expect(res.status).toBe(200);
    expect(res.body.archived).toBe(false);
    expect(res.body.status).toBe('active');
    expect(res.body.sessions.map((s) => [s.reason, s.agent?.name, s.outcome, s.rating])).toEqual([
      ['low_confidence', 'Bob', 'open', null],
      ['customer_asked', 'Alice', 'resolved', 4],
    ]);
    // First seen: the first message of the archived conversation, not the new one's.
    expect(Date.parse(res.body.firstSeen!)).toBeLessThan(Date.parse(res.body.sessions[1]!.startedAt));

    // The archived session opens: its start is in the archived transcript (GET /api/conversations/:id?before=…).
    const old = res.body.sessions[1]!;
    const page = await app.inject({ method: 'GET', url: `/api/conversations/${id}`, headers: { authorization: `Bearer ${token}` } });
    expect(page.json<{ messages: { id: string }[] }>().messages.map((m) => m.id)).toContain(old.startId);

    // Redis alone knows only the new conversation.
    const live = await history('back', redisOnly);
    expect(live.body.sessions.map((s) => s.reason)).toEqual(['low_confidence']);
  });

  it('PostgreSQL down: the live part, with `incomplete`', { timeout: 60_000 }, async () => {
    await servedAndArchived('outage');
    await e.h.recordMessage(ref('outage', e.botId), { from: 'customer', text: '在吗' });
    await e.h.requestHuman(ref('outage', e.botId), { reason: 'customer_asked' });
    await server.stop();
    try {
      const res = await history('outage');
      expect(res.status).toBe(200);
      expect(res.body.incomplete?.error).toBeTruthy();
      expect(res.body.sessions.map((s) => s.outcome)).toEqual(['open']);
    } finally {
      await server.restart();
    }
    expect((await history('outage')).body.sessions).toHaveLength(2);
  });
});

describe('sessions from a thread\'s events', () => {
  const m = (id: string, event: string, extra: Record<string, string> = {}) => ({ id, from: 'system' as const, text: event === 'waiting' ? `handoff: ${extra.reason}` : event, at: new Date(Number(id.split('-')[0])).toISOString(), event, ...extra });
  it('a release back to the queue is the same handoff; a takeover starts one; a fix notice closes a parked one; a rating goes to the one closed before it', () => {
    const sessions = sessionsOf(
      [
        m('1000-0', 'waiting', { reason: 'customer_asked' }),
        m('2000-0', 'claimed', { agentId: 'alice', agentName: 'Alice' }),
        m('3000-0', 'released'),
        m('4000-0', 'waiting', { reason: 'customer_asked' }),
        m('5000-0', 'claimed', { agentId: 'bob', agentName: 'Bob' }),
        m('6000-0', 'resolved', { agentId: 'bob' }),
        m('7000-0', 'claimed', { agentId: 'carol', agentName: 'Carol' }),
        m('8000-0', 'parked', { agentId: 'carol' }),
        m('9000-0', 'fixed'),
      ],
      [{ score: 2, at: new Date(6500).toISOString() }],
    );
    expect(sessions.map((s) => [s.startId, s.reason, s.agent?.id, s.outcome, s.rating])).toEqual([
      ['7000-0', 'agent_initiated', 'carol', 'fixed', null],
      ['1000-0', 'customer_asked', 'bob', 'resolved', 2],
    ]);
  });

  it('a handoff the customer left before anyone took it ends as withdrawn, closed by the customer', () => {
    const sessions = sessionsOf(
      [m('1000-0', 'waiting', { reason: 'low_confidence' }), m('2000-0', 'resolved', { agentId: WITHDRAWN_BY }), m('3000-0', 'waiting', { reason: 'customer_asked' })],
      [],
    );
    expect(sessions.map((s) => [s.startId, s.outcome, s.resolvedBy, s.endedAt])).toEqual([
      ['3000-0', 'open', null, null],
      ['1000-0', 'withdrawn', WITHDRAWN_BY, new Date(2000).toISOString()],
    ]);
  });
});
