/**
 * The queue lists read conversations with HMGET of CONVERSATION_FIELDS (queries.ts), and the active
 * list decides which to show on a few fields before reading those whole. These tests hold that to
 * what a single conversation shows (HGETALL): the same fields, the same values, nothing stale.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore, type Role } from '../../src/console/auth/index.ts';
import type { ApiConversation } from '../../src/console/serialize.ts';
import { Handoff } from '../../src/handoff/index.ts';
import { toConversation } from '../../src/handoff/convert.ts';
import { CONVERSATION_FIELDS } from '../../src/handoff/queries.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
useRedisServer((_server, client) => (redis = client));

const PW = 'correct horse battery';
const TUESDAY_10 = Date.parse('2026-11-24T02:00:00Z'); // 10:00 in Shanghai: business hours
const USERS: Record<string, Role[]> = { alice: ['agent'], bob: ['agent'], mia: ['manager'] };

let app: FastifyInstance;
let handoff: Handoff;
let clock: { t: number };
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

beforeEach(async () => {
  const prefix = randomPrefix();
  clock = { t: TUESDAY_10 };
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock.t });
  const agents = new AgentStore(redis, prefix);
  for (const [username, roles] of Object.entries(USERS)) {
    ids[username] = (await agents.add({ username, roles, password: PW, name: username.toUpperCase() })).id;
    tokens[username] = (await agents.login(username, PW))!.token;
  }
  app = await buildApp({ handoff, agents, redis });
});
afterEach(async () => {
  await app.close();
});

const get = async <T>(url: string, as: string): Promise<T> => {
  const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[as]}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<T>();
};
const post = async (url: string, as: string, body?: object): Promise<void> => {
  const res = await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${tokens[as]}` }, ...(body ? { payload: body } : {}) });
  expect(res.statusCode, res.body).toBeLessThan(300);
};
const list = async (status: string, as: string, limit = 100): Promise<ApiConversation[]> =>
  (await get<{ items: ApiConversation[] }>(`/api/conversations?status=${status}&limit=${limit}`, as)).items;
/** GET /api/conversations/:id without the transcript and channel: what a list item must equal. */
const single = async (id: string, as: string): Promise<ApiConversation> => {
  const { messages: _m, channel: _c, ...conv } = await get<ApiConversation & { messages: unknown; channel: unknown }>(`/api/conversations/${id}`, as);
  return conv;
};

/** A waiting conversation of `botId`, `minutes` after the start. */
async function waiting(botId: string, customerId: string, minutes: number): Promise<string> {
  clock.t = TUESDAY_10 + minutes * 60_000;
  const ref = { botId, customerId, customerName: `客户 ${customerId}` };
  await handoff.recordMessage(ref, { from: 'customer', text: '我要退款' });
  await handoff.requestHuman(ref, { reason: 'customer_asked', question: '我要退款' });
  return `${botId}.${customerId}`;
}

describe('CONVERSATION_FIELDS', () => {
  it('names every hash field toConversation reads', () => {
    const read = new Set<string>();
    const hash = new Proxy({} as Record<string, string>, {
      get(_t, key) {
        if (typeof key === 'string') read.add(key);
        // A value for every field, so that no branch skips reading one (status resolved reads resolvedBy);
        // digits suit the times and do for the names.
        return key === 'status' ? 'resolved' : key === 'tags' ? '["x"]' : '1796637600000';
      },
    });
    toConversation(hash);
    expect([...read].filter((f) => !(CONVERSATION_FIELDS as readonly string[]).includes(f))).toEqual([]);
    expect(read.size).toBeGreaterThan(10);
  });
});

describe('the queue lists', () => {
  it('show each conversation exactly as GET /api/conversations/:id does, in every list and state', async () => {
    // Waiting, plain and vip, on two bot accounts; one released after a reply (firstResponseAt, tags kept).
    const w1 = await waiting('botA', 'w1', 0);
    const w2 = await waiting('botB', 'w2', 1);
    await handoff.setTier('botA', 'w3', 'vip');
    const w3 = await waiting('botA', 'w3', 2);
    const back = await waiting('botB', 'back', 3);
    await post(`/api/conversations/${back}/claim`, 'alice');
    await post(`/api/conversations/${back}/messages`, 'alice', { text: '您好' });
    await post(`/api/conversations/${back}/tags`, 'alice', { tags: ['退款', '加急'] });
    await post(`/api/conversations/${back}/release`, 'alice');
    // Active (bob's, with a reply and tags) and parked on a problem.
    const act = await waiting('botA', 'act', 4);
    await post(`/api/conversations/${act}/claim`, 'bob');
    await post(`/api/conversations/${act}/messages`, 'bob', { text: '在的' });
    await post(`/api/conversations/${act}/tags`, 'bob', { tags: ['发票'] });
    const parked = await waiting('botB', 'parked', 5);
    await handoff.park(parked, { problemId: 'p1', by: ids.mia! });

    const lists = {
      waiting: await list('waiting', 'mia'),
      active: await list('active', 'mia'),
      awaiting_fix: await list('awaiting_fix', 'mia'),
    };
    expect(lists.waiting.map((c) => c.id).sort()).toEqual([w1, w2, w3, back].sort());
    expect(lists.active.map((c) => c.id)).toEqual([act]);
    expect(lists.awaiting_fix.map((c) => c.id)).toEqual([parked]);
    for (const item of Object.values(lists).flat()) expect(item).toStrictEqual(await single(item.id, 'mia'));
    // The fields that only some states have came through the list too.
    const released = lists.waiting.find((c) => c.id === back)!;
    expect(released.firstResponseAt).not.toBeNull();
    expect(released.tags).toEqual(['退款', '加急']);
    expect(lists.active[0]!.assignee).toEqual({ id: ids.bob, name: 'BOB' });
    expect(lists.awaiting_fix[0]!.problemId).toBe('p1');
    expect(lists.waiting.find((c) => c.id === w3)!.customer.tier).toBe('vip');
  });

  it('show an agent\'s own claim at once: claimed, out of the waiting list, in their active list', async () => {
    const a = await waiting('botA', 'a', 0);
    const b = await waiting('botA', 'b', 1);
    expect((await list('waiting', 'alice')).map((c) => c.id)).toEqual([a, b]);
    await post(`/api/conversations/${a}/claim`, 'alice');
    expect((await list('waiting', 'alice')).map((c) => c.id)).toEqual([b]);
    const mine = await list('active', 'alice');
    expect(mine.map((c) => [c.id, c.status, c.assignee?.id])).toEqual([[a, 'active', ids.alice]]);
    await post(`/api/conversations/${a}/release`, 'alice');
    expect(await list('active', 'alice')).toEqual([]);
    expect((await list('waiting', 'alice')).map((c) => c.id)).toEqual([a, b]);
  });

  it('give an agent only their own active chats, newest change first, though others claimed more and later', async () => {
    const alices: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await waiting('botA', `al${i}`, i);
      await post(`/api/conversations/${id}/claim`, 'alice');
      alices.push(id);
    }
    for (let i = 0; i < 6; i++) {
      const id = await waiting(i % 2 ? 'botA' : 'botB', `bo${i}`, 10 + i);
      await post(`/api/conversations/${id}/claim`, 'bob');
    }
    // A later change to alice's first chat makes it her newest.
    clock.t = TUESDAY_10 + 60 * 60_000;
    await post(`/api/conversations/${alices[0]}/messages`, 'alice', { text: '稍等' });

    const mine = await list('active', 'alice');
    expect(mine.map((c) => c.id)).toEqual([alices[0], alices[2], alices[1]]);
    expect(mine.every((c) => c.assignee?.id === ids.alice)).toBe(true);
    // A manager sees everyone's, newest change first.
    const all = await list('active', 'mia');
    expect(all).toHaveLength(9);
    expect(all[0]!.id).toBe(alices[0]);
    for (let i = 1; i < all.length; i++) expect(all[i]!.updatedAt <= all[i - 1]!.updatedAt).toBe(true);
    // With a limit: the first page of that same order (v2 pages exactly: alice's later change puts al0 first).
    expect((await list('active', 'mia', 3)).map((c) => c.id)).toEqual([alices[0], 'botA.bo5', 'botB.bo4']);
  });

  it('read only the conversations of the page, each with one HMGET, never HGETALL or the whole queue', async () => {
    for (let i = 0; i < 30; i++) await waiting(i % 2 ? 'botA' : 'botB', `q${i}`, i);
    const calls = async (cmd: string): Promise<number> =>
      Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(await redis.info('commandstats'))?.[1] ?? 0);
    const [hmget0, hgetall0] = [await calls('hmget'), await calls('hgetall')];
    const page = await handoff.listWaiting(10);
    expect(page.map((c) => c.id)).toEqual(Array.from({ length: 10 }, (_, i) => `${i % 2 ? 'botA' : 'botB'}.q${i}`));
    expect((await calls('hmget')) - hmget0).toBe(10);
    expect((await calls('hgetall')) - hgetall0).toBe(0);
  });

  it('leave out a conversation whose hash is gone though its id is still in the queue', async () => {
    const a = await waiting('botA', 'a', 0);
    const b = await waiting('botA', 'b', 1);
    await redis.del(handoff.keys.conversation(a));
    expect((await list('waiting', 'alice')).map((c) => c.id)).toEqual([b]);
  });
});
