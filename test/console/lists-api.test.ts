/**
 * The v2 lists (GET /api/conversations with total, next, views and filters) and reopen, against a
 * real redis-server: paging across more than 100 waiting while the queue changes, every status and
 * filter, an agent's view against a manager's, the resolved index through resolve, reopen, the
 * customer writing again and a fix notice, and resolved chats from before the index existed.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore, type Role } from '../../src/console/auth/index.ts';
import { Handoff } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
useRedisServer((_server, client) => (redis = client));

const PW = 'correct horse battery';
const TUESDAY_10 = Date.parse('2026-11-24T02:00:00Z');
const USERS: Record<string, Role[]> = { alice: ['agent'], bob: ['agent'], mia: ['manager'] };

let app: FastifyInstance;
let handoff: Handoff;
let prefix: string;
const clock = { t: TUESDAY_10 };
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

beforeEach(async () => {
  prefix = randomPrefix();
  clock.t = TUESDAY_10;
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock.t });
  await handoff.registerBot('botA');
  const agents = new AgentStore(redis, prefix);
  for (const [username, roles] of Object.entries(USERS)) {
    const a = await agents.add({ username, roles, password: PW, name: username });
    ids[username] = a.id;
    tokens[username] = (await agents.login(username, PW))!.token;
  }
  app = await buildApp({ handoff, agents, redis });
});
afterEach(async () => {
  await app.close();
});

interface Row {
  id: string;
  status: string;
  assignee: { id: string } | null;
  tags: string[];
  customer: { tier: string };
}
interface Page {
  items: Row[];
  total: number;
  next: string | null;
}

async function list(as: string, query: string): Promise<Page> {
  const res = await app.inject({ method: 'GET', url: `/api/conversations?${query}`, headers: { authorization: `Bearer ${tokens[as]}` } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Page>();
}

/** Every page of a list, following `next`. */
async function all(as: string, query: string, limit: number): Promise<{ ids: string[]; totals: number[] }> {
  const out: string[] = [];
  const totals: number[] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await list(as, `${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.items.map((c) => c.id));
    totals.push(page.total);
    cursor = page.next;
  } while (cursor);
  return { ids: out, totals };
}

async function waiting(customerId: string, botId = 'botA'): Promise<string> {
  const ref = { botId, customerId, customerName: `Name ${customerId}` };
  await handoff.recordMessage(ref, { from: 'customer', text: '我要退款' });
  await handoff.requestHuman(ref, { reason: 'customer_asked', question: '我要退款' });
  clock.t += 1000;
  return `${botId}.${customerId}`;
}

const agent = (who: string) => ({ id: ids[who]!, name: who });

async function resolvedBy(customerId: string, who: string): Promise<string> {
  const id = await waiting(customerId);
  await handoff.claim(id, agent(who));
  clock.t += 1000;
  await handoff.resolve(id, { by: ids[who]!, expectedOwner: ids[who]! });
  clock.t += 1000;
  return id;
}

describe('GET /api/conversations (v2 lists)', () => {
  it('pages through 130 waiting with the true total and a cursor that holds while the queue changes', async () => {
    const made: string[] = [];
    for (let i = 0; i < 130; i++) made.push(await waiting(`w${String(i).padStart(3, '0')}`));
    const first = await list('alice', 'status=waiting');
    // v1 unchanged: 100 items by default, most urgent first; v2: the total and a cursor.
    expect(first.items).toHaveLength(100);
    expect(first.items.map((c) => c.id)).toEqual(made.slice(0, 100));
    expect(first.total).toBe(130);
    expect(first.next).toEqual(expect.any(String));

    // Meanwhile: one shown is claimed, one not yet shown is claimed, a new customer queues.
    await handoff.claim(made[5]!, agent('bob'));
    await handoff.claim(made[110]!, agent('bob'));
    const late = await waiting('zz-late');
    const second = await list('alice', `status=waiting&cursor=${encodeURIComponent(first.next!)}`);
    expect(second.items.map((c) => c.id)).toEqual([...made.slice(100, 110), ...made.slice(111), late]);
    expect(second.total).toBe(129);
    expect(second.next).toBeNull();

    const walked = await all('alice', 'status=waiting', 7);
    expect(new Set(walked.ids).size).toBe(129);
    expect(walked.totals.every((t) => t === 129)).toBe(true);
  });

  it('lists every status with totals; awaiting_fix is parked; an agent sees own and unowned, a manager all', async () => {
    const w = await waiting('w1');
    const a1 = await waiting('a1');
    await handoff.claim(a1, agent('alice'));
    const b1 = await waiting('b1');
    await handoff.claim(b1, agent('bob'));
    const p1 = await waiting('p1');
    await handoff.claim(p1, agent('bob'));
    const problem = await handoff.problems.create({ title: '支付故障', by: agent('mia') });
    await handoff.problems.link(p1, problem.id, agent('bob'));
    const p2 = await waiting('p2');
    await handoff.problems.link(p2, problem.id, agent('mia'));
    const r1 = await resolvedBy('r1', 'alice');
    const r2 = await resolvedBy('r2', 'bob');
    await handoff.recordMessage({ botId: 'botA', customerId: 'bot1' }, { from: 'customer', text: '你好' });

    const idsOf = async (as: string, q: string) => (await list(as, q)).items.map((c) => c.id).sort();
    // v1 answers kept: an agent's active is their own, a manager's everyone's.
    expect(await idsOf('alice', 'status=active')).toEqual([a1]);
    expect(await idsOf('mia', 'status=active')).toEqual([a1, b1].sort());
    expect(await idsOf('mia', 'status=awaiting_fix')).toEqual([p1, p2].sort());
    expect(await idsOf('mia', 'status=parked')).toEqual([p1, p2].sort());
    // An agent: their own and nobody's (p2 was parked from the queue), never bob's.
    expect(await idsOf('alice', 'status=parked')).toEqual([p2]);
    expect(await idsOf('alice', 'status=resolved')).toEqual([r1]);
    expect(await idsOf('mia', 'status=resolved')).toEqual([r1, r2].sort());
    expect((await list('mia', 'status=resolved')).items.map((c) => c.id)).toEqual([r2, r1]); // newest first
    expect(await idsOf('alice', 'status=bot')).toEqual(['botA.bot1']);
    // `all` is every chat, the bot's (never handed off) included.
    const everything = await list('mia', 'status=all');
    expect(everything.items.map((c) => c.id).sort()).toEqual([w, a1, b1, p1, p2, r1, r2, 'botA.bot1'].sort());
    expect(everything.total).toBe(8);
    expect((await list('alice', 'status=all')).items.map((c) => c.id).sort()).toEqual([w, a1, p2, r1, 'botA.bot1'].sort());
    // Views.
    expect(await idsOf('alice', 'status=all&view=mine')).toEqual([a1, r1].sort());
    expect(await idsOf('mia', 'status=all&view=unassigned')).toEqual([w, p2, 'botA.bot1'].sort());
    // An agent's own parked chats are theirs ("mine"), by either name of the status.
    expect(await idsOf('bob', 'status=parked&view=mine')).toEqual([p1]);
    expect(await idsOf('bob', 'status=awaiting_fix&view=mine')).toEqual([p1]);
    expect(await idsOf('bob', 'status=all&view=mine')).toEqual([b1, p1, r2].sort());
    expect(await idsOf('mia', 'status=active&view=all')).toEqual([a1, b1].sort());
    expect(await idsOf('alice', 'status=active&view=all')).toEqual([a1]);
    expect((await list('alice', 'status=waiting&view=mine')).total).toBe(0);
    // Filters: agent, tag, tier, channel.
    expect(await idsOf('mia', `status=all&agent=${ids.bob}`)).toEqual([b1, p1, r2].sort());
    await handoff.setTags(r2, ['退款', '投诉']);
    await handoff.setTags(w, ['退款']);
    const tagged = await list('mia', `status=all&tag=${encodeURIComponent('退款')}`);
    expect(tagged.items.map((c) => c.id).sort()).toEqual([w, r2].sort());
    expect(tagged.total).toBe(2);
    await handoff.setTier('botA', 'w1', 'vip');
    expect(await idsOf('mia', 'status=waiting&tier=vip')).toEqual([w]);
    expect(await idsOf('mia', 'status=waiting&tier=standard')).toEqual([]);
    await handoff.registry.setChannel('botA', { kind: 'wecom-kf', label: '微信客服', maxTextBytes: 2048 });
    expect((await list('mia', 'status=all&channel=wecom-kf')).total).toBe(8);
    expect((await list('mia', 'status=all&channel=oa')).total).toBe(0);
  });

  it('pages a filtered list by cursor, and refuses a cursor that is not one or belongs to another list', async () => {
    for (let i = 0; i < 12; i++) await resolvedBy(`r${i}`, i % 2 ? 'alice' : 'bob');
    const mine = await all('alice', 'status=resolved&view=mine', 4);
    expect(mine.ids).toHaveLength(6);
    expect(mine.totals).toEqual([6, 6]);
    const waitingPage = await list('mia', 'status=resolved&limit=5');
    expect(waitingPage.total).toBe(12);
    const wrong = await app.inject({
      method: 'GET',
      url: `/api/conversations?status=waiting&cursor=${waitingPage.next}`,
      headers: { authorization: `Bearer ${tokens.mia}` },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json<{ error: { code: string } }>().error.code).toBe('INVALID_CURSOR');
    const junk = await app.inject({ method: 'GET', url: '/api/conversations?status=waiting&cursor=nonsense', headers: { authorization: `Bearer ${tokens.mia}` } });
    expect(junk.statusCode).toBe(400);
    const badView = await app.inject({ method: 'GET', url: '/api/conversations?view=everyone', headers: { authorization: `Bearer ${tokens.mia}` } });
    expect(badView.statusCode).toBe(400);
  });
});

describe('GET /api/queue (the queue page in one request)', () => {
  it('answers the waiting, active and parked lists as the list route does, own chats for an agent, everyone\'s for a manager', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push(await waiting(`q${i}`));
    await handoff.claim(made[0]!, agent('alice'));
    await handoff.claim(made[1]!, agent('bob'));
    const problem = await handoff.problems.create({ title: '支付故障', by: agent('mia') });
    await handoff.problems.link(made[1]!, problem.id, agent('bob'));
    await handoff.claim(made[2]!, agent('alice'));
    await handoff.problems.link(made[2]!, problem.id, agent('alice'));

    const queue = async (as: string, query = '') => {
      const res = await app.inject({ method: 'GET', url: `/api/queue${query}`, headers: { authorization: `Bearer ${tokens[as]}` } });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ waiting: Page; active: Page; parked: Page; asOf: Record<string, string> }>();
    };
    const ids = (p: Page) => p.items.map((c) => c.id).sort();
    const alice = await queue('alice');
    expect(alice.waiting).toEqual(await list('alice', 'status=waiting'));
    expect(ids(alice.waiting)).toEqual([made[3]!, made[4]!].sort());
    expect(ids(alice.active)).toEqual([made[0]!]);
    expect(ids(alice.parked)).toEqual([made[2]!]); // her own, not bob's
    expect(alice.parked).toEqual(await list('alice', 'status=parked&view=mine'));
    const mia = await queue('mia');
    expect(ids(mia.parked)).toEqual([made[1]!, made[2]!].sort());
    expect(ids(mia.active)).toEqual([made[0]!]);
    // asOf: each account's last event written before the reads (the claim and parking just made).
    const last = (await redis.xrevrange(handoff.keys.events('botA'), '+', '-', 'COUNT', 1))[0]![0];
    expect(mia.asOf).toEqual({ botA: last });

    // Limits page each list; 0 leaves one out; a bad limit is a clear 400.
    const small = await queue('mia', '?waiting=1&parked=0');
    expect(small.waiting.items).toHaveLength(1);
    expect(small.waiting.total).toBe(2);
    expect(small.waiting.next).toEqual(expect.any(String));
    expect(small.parked).toEqual({ items: [], total: 0, next: null });
    const bad = await app.inject({ method: 'GET', url: '/api/queue?active=9999', headers: { authorization: `Bearer ${tokens.mia}` } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('active');
    expect((await app.inject({ method: 'GET', url: '/api/queue' })).statusCode).toBe(401);
  });
});

describe('reopen and the resolved index', () => {
  it('reopens a resolved chat for the caller (409 otherwise), and the index follows resolve, reopen, the customer and a fix', async () => {
    const r = await resolvedBy('c1', 'bob');
    const key = handoff.keys.resolved('botA');
    expect(await redis.zscore(key, r)).not.toBeNull();
    const opened = await app.inject({ method: 'GET', url: `/api/conversations/${r}`, headers: { authorization: `Bearer ${tokens.alice}` } });
    expect(opened.json<{ status: string }>().status).toBe('resolved');

    const res = await app.inject({ method: 'POST', url: `/api/conversations/${r}/reopen`, headers: { authorization: `Bearer ${tokens.alice}` } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<Row>()).toMatchObject({ status: 'active', assignee: { id: ids.alice } });
    expect(await redis.zscore(key, r)).toBeNull();
    expect((await list('alice', 'status=active')).items.map((c) => c.id)).toEqual([r]);
    const again = await app.inject({ method: 'POST', url: `/api/conversations/${r}/reopen`, headers: { authorization: `Bearer ${tokens.bob}` } });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ error: { code: string } }>().error.code).toBe('ILLEGAL_TRANSITION');
    const waitingOne = await waiting('c2');
    expect((await app.inject({ method: 'POST', url: `/api/conversations/${waitingOne}/reopen`, headers: { authorization: `Bearer ${tokens.bob}` } })).statusCode).toBe(409);
    // The bot leaves a reopened chat to its agent: a customer message stays with alice.
    await handoff.recordMessage({ botId: 'botA', customerId: 'c1' }, { from: 'customer', text: '还在吗' });
    expect((await handoff.conversation(r))!.status).toBe('active');

    // Resolved again, then the customer writes: back to the bot, out of the index.
    await handoff.resolve(r, { by: ids.alice! });
    expect(await redis.zscore(key, r)).not.toBeNull();
    await handoff.recordMessage({ botId: 'botA', customerId: 'c1' }, { from: 'customer', text: '又有问题' });
    expect(await redis.zscore(key, r)).toBeNull();
    expect((await list('mia', 'status=resolved')).total).toBe(0);

    // A fix notice resolves a parked chat: in the index.
    const problem = await handoff.problems.create({ title: '登录故障', by: agent('mia') });
    await handoff.problems.link(waitingOne, problem.id, agent('mia'));
    expect(await redis.zscore(key, waitingOne)).toBeNull();
    await handoff.problems.fixed(problem.id, { note: '已修复', by: agent('mia') });
    expect((await handoff.conversation(waitingOne))!.status).toBe('resolved');
    expect(await redis.zscore(key, waitingOne)).not.toBeNull();
    expect((await list('mia', 'status=resolved')).items.map((c) => c.id)).toEqual([waitingOne]);
  });

  it('lists resolved chats from a Redis written before the index existed (the one-off backfill)', async () => {
    const r1 = await resolvedBy('old1', 'alice');
    const r2 = await resolvedBy('old2', 'bob');
    const w = await waiting('still-waiting');
    // As an older version left them: no index, no marker.
    await redis.del(handoff.keys.resolved('botA'), handoff.keys.resolvedIndexed('botA'));
    const fresh = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock.t });
    const page = await fresh.listPage({ status: 'resolved', view: 'all', viewer: { id: ids.mia!, manager: true }, limit: 10 });
    expect(page.items.map((c) => c.id)).toEqual([r2, r1]);
    expect(page.total).toBe(2);
    expect(await redis.exists(handoff.keys.resolvedIndexed('botA'))).toBe(1);
    expect(await redis.zscore(handoff.keys.resolved('botA'), w)).toBeNull();
  });
});

describe('the bot list index', () => {
  const bot = async (customerId: string, text = '你好') => {
    await handoff.recordMessage({ botId: 'botA', customerId }, { from: 'customer', text });
    clock.t += 1000;
    return `botA.${customerId}`;
  };

  it('pages bot chats from their index (no SCAN), newest update first, and follows handoff, claim, reopen and tags', async () => {
    const [b1, b2, b3, b4] = [await bot('b1'), await bot('b2'), await bot('b3'), await bot('b4')];
    await list('mia', 'status=all'); // the one-off backfills (nothing to add) set their markers
    const scans: unknown[] = [];
    const scan = redis.scan.bind(redis);
    redis.scan = ((...args: Parameters<typeof scan>) => (scans.push(args), scan(...args))) as typeof redis.scan;
    try {
      const walked = await all('alice', 'status=bot', 3);
      expect(walked.ids).toEqual([b4, b3, b2, b1]);
      expect(walked.totals).toEqual([4, 4]);
      await bot('b1', '还在吗'); // written to: first
      expect((await list('mia', 'status=bot')).items.map((c) => c.id)).toEqual([b1, b4, b3, b2]);
      await waiting('b2'); // handed off: out
      await handoff.claim(b3, agent('alice')); // taken straight from the bot: out
      const page = await list('mia', 'status=bot');
      expect(page.items.map((c) => c.id)).toEqual([b1, b4]);
      expect(page.total).toBe(2);
      await handoff.setTags(b4, ['咨询']); // tags move updatedAt, and the index with it
      clock.t += 1000;
      expect((await list('mia', 'status=bot')).items.map((c) => c.id)).toEqual([b4, b1]);
      await handoff.resolve(b3, { by: ids.alice!, expectedOwner: ids.alice! });
      expect((await list('mia', 'status=bot')).total).toBe(2);
      await bot('b3', '又有问题'); // back to the bot from resolved: in again
      expect((await list('mia', 'status=bot')).items.map((c) => c.id)).toEqual([b3, b4, b1]);
      expect((await list('mia', 'status=all')).total).toBe(4);
      expect(scans).toEqual([]);
    } finally {
      redis.scan = scan;
    }
  });

  it('lists bot chats from a Redis written before the index existed (the one-off backfill)', async () => {
    const b1 = await bot('old1');
    const b2 = await bot('old2');
    const w = await waiting('w-old');
    await redis.del(handoff.keys.botChats('botA'), handoff.keys.botChatsIndexed('botA'));
    const fresh = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock.t });
    const page = await fresh.listPage({ status: 'all', view: 'all', viewer: { id: ids.mia!, manager: true }, limit: 10 });
    expect(page.items.map((c) => c.id).sort()).toEqual([b1, b2, w].sort());
    expect(page.total).toBe(3);
    expect(await redis.exists(handoff.keys.botChatsIndexed('botA'))).toBe(1);
    expect(await redis.zrange(handoff.keys.botChats('botA'), '0', '-1')).toEqual([b1, b2]);
  });
});
