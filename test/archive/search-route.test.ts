/**
 * GET /api/search through the real app (inject): live conversations copied by the real archiver
 * into a real PostgreSQL are found with their live state; an agent finds their own and the unowned
 * ones, a manager everything; without the archive (or with it down) the route searches Redis and
 * says so (`scope: "live"`); bad input is a 400, hostile text is just text.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveError } from '../../src/archive/index.ts';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore } from '../../src/console/auth/index.ts';
import { useRedisServer, usePostgresServer } from '../support/hooks.ts';
import type { PostgresServer } from '../support/postgres.ts';
import { archiveEnv, type ArchiveEnv } from './helpers.ts';

let redis: Redis;
let server: PostgresServer;
useRedisServer((_s, client) => (redis = client));
usePostgresServer((s) => (server = s));

const PW = 'correct horse battery';
let e: ArchiveEnv;
let agents: AgentStore;
let manager: { token: string; id: string; name: string };
let agent: { token: string; id: string; name: string };
const apps: FastifyInstance[] = [];

interface Page {
  items: { conversation: { id: string; status: string; assignee: { id: string } | null; customer: { name: string } }; message: { id: string; text: string; from: string }; match: string }[];
  next: string | null;
  scope: string;
}

async function login(username: string, roles: ('agent' | 'manager')[]): Promise<{ token: string; id: string; name: string }> {
  await agents.add({ username, roles, password: PW, name: username });
  const r = (await agents.login(username, PW))!;
  return { token: r.token, id: r.agent.id, name: r.agent.name };
}

async function app(archive: Parameters<typeof buildApp>[0]['archive']): Promise<FastifyInstance> {
  const a = await buildApp({ handoff: e.h, agents, redis, ui: false, ...(archive ? { archive } : {}) });
  apps.push(a);
  return a;
}

async function get(a: FastifyInstance, who: { token: string }, query: string): Promise<{ status: number; body: Page & { error?: { code: string; message: string } } }> {
  const res = await a.inject({ method: 'GET', url: `/api/search?${query}`, headers: { authorization: `Bearer ${who.token}` } });
  return { status: res.statusCode, body: res.json() };
}

const q = (s: string) => `q=${encodeURIComponent(s)}`;

beforeEach(async () => {
  e = await archiveEnv(redis, server.url);
  // Each test searches its own conversations only (one database for the file).
  await server.pool().query('TRUNCATE conversations, messages, ratings');
  agents = new AgentStore(redis, e.prefix);
  manager = await login('mia', ['manager']);
  agent = await login('al', ['agent']);
  const ref = (customerId: string, customerName: string) => ({ botId: e.botId, customerId, customerName });
  // Mia's chat about a refund, a waiting one about a screen recording, Al's about an invoice.
  const { conversationId: refund } = await e.h.recordMessage(ref('wxid_refund01', '何子兰'), { from: 'customer', text: '我想申请退款，订单还没到账' });
  await e.h.requestHuman(ref('wxid_refund01', '何子兰'), { reason: 'customer_asked' });
  await e.h.claim(refund, manager);
  e.clock.advance(60_000);
  await e.h.recordMessage(ref('wm_rec02', '小猫咪爱吃鱼'), { from: 'customer', text: '录屏没有声音怎么办' });
  await e.h.requestHuman(ref('wm_rec02', '小猫咪爱吃鱼'), { reason: 'customer_asked' });
  e.clock.advance(60_000);
  const { conversationId: invoice } = await e.h.recordMessage(ref('wxid_inv03', 'Kevin王'), { from: 'customer', text: '退款的发票怎么开' });
  await e.h.requestHuman(ref('wxid_inv03', 'Kevin王'), { reason: 'customer_asked' });
  await e.h.claim(invoice, agent);
  await e.archive.runOnce();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await e.archive.close();
});

describe('GET /api/search', () => {
  it('finds archived copies of live conversations, newest first, showing their live state', async () => {
    const a = await app(e.archive);
    const refundId = `${e.botId}.wxid_refund01`;
    // Changed in Redis after the copy: the answer shows Redis's state, not the archive's.
    await e.h.release(refundId, { by: manager.id });
    const { status, body } = await get(a, manager, q('退款'));
    expect(status).toBe(200);
    expect(body.scope).toBe('all');
    expect(body.items.map((i) => [i.conversation.id, i.message.text])).toEqual([
      [`${e.botId}.wxid_inv03`, '退款的发票怎么开'],
      [refundId, '我想申请退款，订单还没到账'],
    ]);
    expect(body.items[1]!.conversation.status).toBe('waiting');
    const byName = await get(a, manager, q('猫咪爱'));
    expect(byName.body.items.map((i) => [i.conversation.customer.name, i.match])).toEqual([['小猫咪爱吃鱼', 'customer']]);
  });

  it("lets an agent find their own and the unowned conversations, not a colleague's", async () => {
    const a = await app(e.archive);
    const mine = await get(a, agent, q('退款'));
    expect(mine.body.items.map((i) => i.conversation.id)).toEqual([`${e.botId}.wxid_inv03`]);
    expect((await get(a, agent, q('声音'))).body.items).toHaveLength(1);
    expect((await get(a, manager, `${q('退款')}&agent=${agent.id}`)).body.items.map((i) => i.conversation.id)).toEqual([`${e.botId}.wxid_inv03`]);
  });

  it('pages with the cursor it gives and refuses one it did not', async () => {
    const a = await app(e.archive);
    const first = await get(a, manager, `${q('退款')}&limit=1`);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.next).toEqual(expect.any(String));
    const second = await get(a, manager, `${q('退款')}&limit=1&cursor=${first.body.next}`);
    expect(second.body.items.map((i) => i.message.text)).toEqual(['我想申请退款，订单还没到账']);
    const bad = await get(a, manager, `${q('退款')}&cursor=nonsense`);
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('BAD_REQUEST');
  });

  it('validates the query and treats hostile text as text', async () => {
    const a = await app(e.archive);
    expect((await get(a, manager, '')).status).toBe(400);
    expect((await get(a, manager, `${q('退款')}&rating=9`)).status).toBe(400);
    expect((await get(a, manager, `${q('退款')}&from=yesterday`)).status).toBe(400);
    for (const hostile of [`'&|!:*()`, '%_\\', `退款' OR '1'='1`]) {
      const r = await get(a, manager, q(hostile));
      expect(r.status, hostile).toBe(200);
    }
    expect((await get(a, manager, `${q('退款')}&from=2000-01-01&to=2000-01-02`)).body.items).toEqual([]);
  });

  it('searches live conversations in Redis without the archive, and while it is down', async () => {
    const noArchive = await app(undefined);
    const live = await get(noArchive, manager, q('声音'));
    expect(live.body.scope).toBe('live');
    expect(live.body.items.map((i) => i.message.text)).toEqual(['录屏没有声音怎么办']);
    expect((await get(noArchive, agent, q('退款'))).body.items.map((i) => i.conversation.id)).toEqual([`${e.botId}.wxid_inv03`]);
    expect((await get(noArchive, manager, q('子兰'))).body.items.map((i) => i.match)).toEqual(['customer']);
    // The conversation id as the console's address shows it.
    const byId = await get(noArchive, manager, q(`${e.botId}.wxid_inv03`));
    expect(byId.body.items.map((i) => [i.conversation.id, i.match])).toEqual([[`${e.botId}.wxid_inv03`, 'customer']]);
    const down = await app({
      search: async () => {
        throw new ArchiveError('ARCHIVE_UNAVAILABLE', 'PostgreSQL cannot be reached');
      },
    });
    const r = await get(down, manager, q('退款'));
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('live');
    expect(r.body.items).toHaveLength(2);
  });

  it("puts customers' words above the bot's and shows a repeated FAQ answer once (live and archived)", async () => {
    const FAQ = '会员在购买后 7 天内且未使用高级功能的，可以申请退款：我的 → 订单记录 → 申请退款，1~3 个工作日原路退回。';
    const ref = (customerId: string, customerName: string) => ({ botId: e.botId, customerId, customerName });
    // 周婷 asked three ways without the word; the bot answered three times, the same text.
    for (const text of ['买错了', '会员能退吗', '钱能拿回来吗']) {
      e.clock.advance(60_000);
      await e.h.recordTurn(ref('wx_zt', '周婷'), { from: 'customer', text }, { replies: [{ from: 'bot', text: FAQ, faqId: 'refund', confidence: 0.8 }], decidedFor: 'bot', outcome: { type: 'answer', faqId: 'refund' } });
    }
    // 刘洋 said 退款 herself; the bot answered her with the same FAQ text.
    e.clock.advance(60_000);
    await e.h.recordTurn(ref('wx_ly', '刘洋'), { from: 'customer', text: '年费会员怎么退款' }, { replies: [{ from: 'bot', text: FAQ, faqId: 'refund', confidence: 0.9 }], decidedFor: 'bot', outcome: { type: 'answer', faqId: 'refund' } });
    await e.archive.runOnce();
    const expected = [
      [`${e.botId}.wx_ly`, 'customer', '年费会员怎么退款'],
      [`${e.botId}.wxid_inv03`, 'customer', '退款的发票怎么开'],
      [`${e.botId}.wxid_refund01`, 'customer', '我想申请退款，订单还没到账'],
      [`${e.botId}.wx_zt`, 'bot', FAQ],
    ];
    for (const a of [await app(e.archive), await app(undefined)]) {
      const { body } = await get(a, manager, q('退款'));
      expect(body.items.map((i) => [i.conversation.id, i.message.from, i.message.text]), body.scope).toEqual(expected);
      expect((body.items.at(-1) as { repeats?: number }).repeats, body.scope).toBe(3);
      expect((body.items[0] as { repeats?: number }).repeats).toBeUndefined();
    }
  });
});
