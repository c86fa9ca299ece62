/**
 * The queue lists' cache (src/console/list-cache.ts) against a real redis-server: a repeated load
 * is served from it, and every change a list shows (a new chat in the queue, a claim, a tier, tags,
 * a message, a new bot account) is in the very next answer; lists it must not keep are read each time.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore } from '../../src/console/auth/index.ts';
import { ListCache } from '../../src/console/list-cache.ts';
import { Handoff } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
useRedisServer((_server, client) => (redis = client));

const PW = 'correct horse battery';
let app: FastifyInstance;
let handoff: Handoff;
let cache: ListCache;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

beforeEach(async () => {
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  await handoff.registerBot('botA');
  const agents = new AgentStore(redis, prefix);
  for (const [username, roles] of [['alice', ['agent']], ['mia', ['manager']]] as const) {
    ids[username] = (await agents.add({ username, roles: [...roles], password: PW, name: username })).id;
    tokens[username] = (await agents.login(username, PW))!.token;
  }
  cache = new ListCache();
  app = await buildApp({ handoff, agents, redis, listCache: cache });
});
afterEach(async () => {
  await app.close();
});

interface Row {
  id: string;
  status: string;
  tags: string[];
  customer: { tier: string };
  preview?: string;
}
interface Queue {
  waiting: { items: Row[]; total: number };
  active: { items: Row[]; total: number };
  parked: { items: Row[]; total: number };
  asOf: Record<string, string>;
}

async function get<T>(as: string, url: string): Promise<T> {
  const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[as]}` } });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.json<T>();
}
const queue = (as: string): Promise<Queue> => get<Queue>(as, '/api/queue');

async function waiting(botId: string, customerId: string, text = '我要退款'): Promise<string> {
  const ref = { botId, customerId, customerName: customerId };
  await handoff.recordMessage(ref, { from: 'customer', text });
  await handoff.requestHuman(ref, { reason: 'customer_asked', question: text });
  return `${botId}.${customerId}`;
}
const agent = (who: string) => ({ id: ids[who]!, name: who });

describe('the queue lists cache', () => {
  it('serves a repeated load from the cache, and the same answer', async () => {
    await waiting('botA', 'c1');
    const first = await queue('mia');
    const again = await queue('mia');
    expect(again).toEqual(first);
    expect(cache.stats).toEqual({ hits: 1, misses: 1 });
    expect(first.waiting.items.map((c) => c.id)).toEqual(['botA.c1']);
    // asOf is the stamp the answer was read under: the bot's last event.
    const last = await redis.xrevrange(handoff.keys.events('botA'), '+', '-', 'COUNT', 1);
    expect(first.asOf).toEqual({ botA: last[0]![0] });
  });

  it('shows every change in the next answer: a new chat, a claim, a tier, tags, a message', async () => {
    const c1 = await waiting('botA', 'c1');
    expect((await queue('mia')).waiting.total).toBe(1);

    const c2 = await waiting('botA', 'c2');
    expect((await queue('mia')).waiting.items.map((c) => c.id)).toEqual([c1, c2]);

    await handoff.claim(c1, agent('alice'));
    let q = await queue('alice');
    expect(q.waiting.items.map((c) => c.id)).toEqual([c2]);
    expect(q.active.items.map((c) => c.id)).toEqual([c1]);

    await handoff.setTier('botA', 'c2', 'vip');
    expect((await queue('alice')).waiting.items[0]!.customer.tier).toBe('vip');

    await handoff.setTags(c2, ['退款']);
    expect((await queue('alice')).waiting.items[0]!.tags).toEqual(['退款']);

    await handoff.recordMessage({ botId: 'botA', customerId: 'c1', customerName: 'c1' }, { from: 'customer', text: '还在吗' });
    q = await queue('alice');
    expect(q.active.items[0]!.preview).toContain('还在吗');
    // Each of those loads came after a change: none of them could be served from the cache.
    expect(cache.stats.hits).toBe(0);
  });

  it('keeps each viewer apart: an agent does not get a manager\'s lists', async () => {
    const c1 = await waiting('botA', 'c1');
    await handoff.claim(c1, agent('mia'));
    expect((await queue('mia')).active.items.map((c) => c.id)).toEqual([c1]);
    expect((await queue('alice')).active.items).toEqual([]);
    expect(cache.stats).toEqual({ hits: 0, misses: 2 });
  });

  it('sees a bot account that registered after the answer was kept', async () => {
    await waiting('botA', 'c1');
    await queue('mia');
    // Another bot process (its own Handoff, so this console's registry has not heard of it).
    const other = new Handoff(redis, { prefix: handoff.keys.prefix, policy: DEFAULT_SLA_POLICY });
    await other.registerBot('botB');
    await other.recordMessage({ botId: 'botB', customerId: 'x', customerName: 'x' }, { from: 'customer', text: '人工' });
    await other.requestHuman({ botId: 'botB', customerId: 'x', customerName: 'x' }, { reason: 'customer_asked' });
    expect((await queue('mia')).waiting.items.map((c) => c.id).sort()).toEqual(['botA.c1', 'botB.x']);
  });

  it('reads ten loads at once once', async () => {
    await waiting('botA', 'c1');
    const answers = await Promise.all(Array.from({ length: 10 }, () => queue('mia')));
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(cache.stats).toEqual({ hits: 9, misses: 1 });
  });

  it('pages of GET /api/conversations are kept per query; resolved lists are read every time', async () => {
    for (let i = 0; i < 3; i++) await waiting('botA', `c${i}`);
    const p1 = await get<{ items: Row[]; next: string | null }>('mia', '/api/conversations?status=waiting&limit=2');
    const p2 = await get<{ items: Row[] }>('mia', `/api/conversations?status=waiting&limit=2&cursor=${encodeURIComponent(p1.next!)}`);
    expect([...p1.items, ...p2.items].map((c) => c.id)).toEqual(['botA.c0', 'botA.c1', 'botA.c2']);
    await get('mia', '/api/conversations?status=waiting&limit=2');
    expect(cache.stats).toEqual({ hits: 1, misses: 2 });
    await get('mia', '/api/conversations?status=resolved');
    await get('mia', '/api/conversations?status=resolved');
    expect(cache.stats).toEqual({ hits: 1, misses: 2 });
  });
});

describe('ListCache', () => {
  it('does not keep a failed read, and drops the least recently used beyond its size', async () => {
    const c = new ListCache(2);
    await expect(c.get('k', 's1', () => Promise.reject(new Error('redis down')))).rejects.toThrow('redis down');
    expect(await c.get('k', 's1', async () => 'ok')).toBe('ok');
    expect(c.stats).toEqual({ hits: 0, misses: 2 });
    await c.get('a', 's1', async () => 'A');
    await c.get('k', 's1', async () => 'again'); // k used: a is now the oldest
    await c.get('b', 's1', async () => 'B');
    expect(await c.get('k', 's1', async () => 'new')).toBe('ok');
    expect(await c.get('a', 's1', async () => 'A2')).toBe('A2');
    // A new stamp replaces the answer.
    expect(await c.get('k', 's2', async () => 'fresh')).toBe('fresh');
  });

  it('keeps the answers\' total length under its limit, the least recently used going first', async () => {
    const c = new ListCache(100, 25);
    await c.get('a', 's', async () => 'x'.repeat(10));
    await c.get('b', 's', async () => 'y'.repeat(10));
    await c.get('a', 's', async () => 'not read'); // a used again: b is the oldest
    await c.get('c', 's', async () => 'z'.repeat(10));
    expect(await c.get('b', 's', async () => 'read again')).toBe('read again');
    expect(await c.get('c', 's', async () => 'not read')).toBe('z'.repeat(10));
  });
});
