/**
 * Known problems, the closed loop, through the API on a real redis-server: create, link (parked
 * out of the SLA queue), fixed -> one templated notice per linked customer on the right bot
 * account's outbound stream, exactly once however often it is repeated.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore, type Role } from '../../src/console/auth/index.ts';
import { fieldsOf } from '../../src/handoff/convert.ts';
import { Handoff } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
useRedisServer((_s, c) => (redis = c));

const PW = 'correct horse battery';
const USERS: Record<string, Role[]> = { alice: ['agent'], bob: ['agent'], mia: ['manager'] };
let app: FastifyInstance;
let handoff: Handoff;
let tokens: Record<string, string>;

beforeEach(async () => {
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  const agents = new AgentStore(redis, prefix);
  tokens = {};
  for (const [username, roles] of Object.entries(USERS)) {
    await agents.add({ username, roles, password: PW, name: username });
    tokens[username] = (await agents.login(username, PW))!.token;
  }
  app = await buildApp({ handoff, agents, redis, ui: false });
});
afterEach(async () => {
  await app.close();
});

function call(method: 'GET' | 'POST', url: string, as: string, body?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({ method, url, headers: { authorization: `Bearer ${tokens[as]}` }, ...(body !== undefined ? { payload: body as object } : {}) });
}
const json = <T>(r: LightMyRequestResponse, status = 200): T => {
  expect(r.statusCode, r.body).toBe(status);
  return r.json<T>();
};

async function waiting(botId: string, customerId: string): Promise<string> {
  const ref = { botId, customerId, customerName: customerId };
  await handoff.recordMessage(ref, { from: 'customer', text: '导出一直失败' });
  await handoff.requestHuman(ref, { reason: 'customer_asked' });
  return `${botId}.${customerId}`;
}

const outbound = async (botId: string) => (await redis.xrange(handoff.keys.outbound(botId), '-', '+')).map(([, f]) => fieldsOf(f)).filter((f) => f.kind === 'fixed');

describe('known problems', () => {
  it('create -> link (awaiting_fix, out of the queue) -> fixed: every linked customer told once, on their own bot account', async () => {
    const created = json<{ id: string; title: string; status: string }>(await call('POST', '/api/problems', 'alice', { title: '导出 4K 失败', description: 'v3.2 起' }), 201);
    expect(created).toMatchObject({ id: 'P1', title: '导出 4K 失败', status: 'open' });

    const a = await waiting('botA', 'c1');
    const b = await waiting('botB', 'c2');
    const c = await waiting('botA', 'c3');
    json(await call('POST', `/api/conversations/${c}/claim`, 'alice'));
    for (const id of [a, b, c]) {
      const conv = json<{ status: string; problemId: string }>(await call('POST', `/api/conversations/${id}/problem`, 'alice', { problemId: 'P1' }));
      expect(conv).toMatchObject({ status: 'awaiting_fix', problemId: 'P1' });
    }
    expect((await handoff.counts()).waiting).toBe(0);
    expect((await handoff.counts()).awaitingFix).toBe(3);
    const page = json<{ linked: number; conversations: { id: string; notified: boolean }[] }>(await call('GET', '/api/problems/P1', 'bob'));
    expect(page.linked).toBe(3);
    expect(page.conversations.map((x) => [x.id, x.notified])).toEqual([
      [a, false],
      [c, false],
      [b, false],
    ]);

    expectStatus(await call('POST', '/api/problems/P1/fixed', 'alice', { note: '已在 3.2.1 修复' }), 403);
    const fixed = json<{ status: string; notified: number; note: string }>(await call('POST', '/api/problems/P1/fixed', 'mia', { note: '已在 3.2.1 修复' }));
    expect(fixed).toMatchObject({ status: 'fixed', notified: 3, note: '已在 3.2.1 修复' });
    expect((await outbound('botA')).map((f) => [f.conv, f.title, f.text]).sort()).toEqual([
      [a, '导出 4K 失败', '已在 3.2.1 修复'],
      [c, '导出 4K 失败', '已在 3.2.1 修复'],
    ].sort());
    expect((await outbound('botB')).map((f) => f.conv)).toEqual([b]);
    // Parked chats are resolved (the bot has them again); the transcript says why.
    expect((await handoff.conversation(a))!.status).toBe('resolved');
    expect((await handoff.counts()).awaitingFix).toBe(0);
    expect((await handoff.transcript(a)).at(-1)).toMatchObject({ from: 'system', event: 'fixed' });

    // Repeated (a retry after a crash, or a second click): the same answer, nothing sent again.
    const again = json<{ notified: number; note: string }>(await call('POST', '/api/problems/P1/fixed', 'mia', { note: '别的说明' }));
    expect(again).toMatchObject({ notified: 3, note: '已在 3.2.1 修复' });
    expect(await outbound('botA')).toHaveLength(2);
    expect(await outbound('botB')).toHaveLength(1);
    expect(json<{ conversations: { notified: boolean }[] }>(await call('GET', '/api/problems/P1', 'bob')).conversations.every((x) => x.notified)).toBe(true);
  });

  it('each notice\'s fate: pending until the bot says it, delivered, or failed (a closed window, given up)', async () => {
    json(await call('POST', '/api/problems', 'alice', { title: '支付页白屏' }), 201);
    const ids = [await waiting('botA', 'd1'), await waiting('botA', 'd2'), await waiting('botA', 'd3')];
    for (const id of ids) json(await call('POST', `/api/conversations/${id}/problem`, 'alice', { problemId: 'P1' }));
    const fates = async () =>
      Object.fromEntries(
        json<{ conversations: { id: string; notified: boolean; delivery: string | null }[] }>(await call('GET', '/api/problems/P1', 'bob')).conversations.map((c) => [
          c.id,
          c.delivery,
        ]),
      );
    expect(Object.values(await fates())).toEqual([null, null, null]);
    json(await call('POST', '/api/problems/P1/fixed', 'mia', { note: '已修复' }));
    expect(Object.values(await fates())).toEqual(['pending', 'pending', 'pending']);
    // As the bot records them (bot/deliver.ts, the runtime's give-up): said, refused for good.
    await handoff.recordMessage({ botId: 'botA', customerId: 'd1' }, { from: 'bot', text: '支付页白屏 已修复', msgId: `o:fix-P1-${ids[0]}` });
    await handoff.recordMessage({ botId: 'botA', customerId: 'd2' }, { from: 'system', kind: 'send_failed', text: '95001', msgId: `f:fix-P1-${ids[1]}` });
    expect(await fates()).toEqual({ [ids[0]!]: 'delivered', [ids[1]!]: 'failed', [ids[2]!]: 'pending' });
  });

  it('a fix interrupted midway is finished by the repeat, still once per customer', async () => {
    json(await call('POST', '/api/problems', 'alice', { title: '登录闪退' }), 201);
    const ids = [await waiting('botA', 'x1'), await waiting('botA', 'x2')];
    for (const id of ids) json(await call('POST', `/api/conversations/${id}/problem`, 'alice', { problemId: 'P1' }));
    // As if the first call died after marking the problem fixed and telling one customer.
    await handoff.problems.fixed('P1', { note: '修好了', by: { id: 'm', name: 'm' } });
    await redis.srem(handoff.keys.fixNotices('botA'), `P1|${ids[1]}`);
    const before = (await outbound('botA')).length;
    const res = json<{ notified: number }>(await call('POST', '/api/problems/P1/fixed', 'mia', { note: '修好了' }));
    expect(res.notified).toBe(2);
    expect((await outbound('botA')).length).toBe(before + 1);
  });

  it('refuses bad input, unknown problems and links to a fixed problem', async () => {
    expectStatus(await call('POST', '/api/problems', 'alice', { title: '' }), 400);
    expectStatus(await call('POST', '/api/problems', 'alice', { title: 'x'.repeat(101) }), 400);
    const id = await waiting('botA', 'y1');
    expectStatus(await call('POST', `/api/conversations/${id}/problem`, 'alice', { problemId: 'P9' }), 404);
    expectStatus(await call('POST', `/api/conversations/${id}/problem`, 'alice', { problemId: 'nope' }), 400);
    expectStatus(await call('POST', '/api/problems/P9/fixed', 'mia', { note: 'x' }), 404);
    json(await call('POST', '/api/problems', 'alice', { title: '旧问题' }), 201);
    json(await call('POST', '/api/problems/P1/fixed', 'mia', { note: '修好了' }));
    expectStatus(await call('POST', `/api/conversations/${id}/problem`, 'alice', { problemId: 'P1' }), 409);
    expect((await handoff.conversation(id))!.status).toBe('waiting');
    // Another agent's chat is not yours to park.
    json(await call('POST', `/api/conversations/${id}/claim`, 'bob'));
    json(await call('POST', '/api/problems', 'alice', { title: '新问题' }), 201);
    expectStatus(await call('POST', `/api/conversations/${id}/problem`, 'alice', { problemId: 'P2' }), 409);
    expect(json<{ items: { id: string }[] }>(await call('GET', '/api/problems', 'alice')).items.map((p) => p.id)).toEqual(['P2']);
    expect(json<{ items: { id: string }[] }>(await call('GET', '/api/problems?status=all', 'alice')).items.map((p) => p.id)).toEqual(['P2', 'P1']);
  });
});

function expectStatus(r: LightMyRequestResponse, status: number): void {
  expect(r.statusCode, r.body).toBe(status);
  expect(Object.keys(r.json<object>())).toEqual(['error']);
}
