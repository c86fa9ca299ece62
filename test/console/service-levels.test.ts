/**
 * The managers' service figures (GET /api/service-levels) and the markdown report in Chinese:
 * first-response time, SLA met, resolution time and per-agent figures, from real handoffs (queue,
 * claim, reply, resolve, rating) over three days: one only in the archive (its Redis hash expired),
 * one in both (counted on after the copy: never twice), one only in Redis. PostgreSQL down: the
 * Redis figures with the short days named. Real redis-server and real PostgreSQL.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, migrate } from '../../src/archive/index.ts';
import { createArchiveReports } from '../../src/archive/reports.ts';
import { syncReports } from '../../src/archive/reports-sync.ts';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore } from '../../src/console/auth/index.ts';
import { REASON_LABELS, STATUS_LABELS, CHANNEL_LABELS } from '../../src/console/labels.ts';
import { Handoff, type HandoffReason } from '../../src/handoff/index.ts';
import { bucketOf, histogramMedian } from '../../src/handoff/service-fields.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { createKnowledgeService, type KnowledgeService } from '../../src/knowledge/index.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';
import { usePostgresServer, useRedisServer } from '../support/hooks.ts';
import type { PostgresServer } from '../support/postgres.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
let pgServer: PostgresServer;
useRedisServer((_s, c) => (redis = c));
usePostgresServer((s) => (pgServer = s));

const PW = 'correct horse battery';
// Tuesday to Thursday, long before today; 10:00 in Shanghai, inside business hours.
const D1 = '2026-09-01';
const D2 = '2026-09-02';
const D3 = '2026-09-03';
const tenAm = (day: string): number => Date.parse(`${day}T02:00:00Z`);
const MIN = 60_000;
// Standard chats must be answered within 30 business minutes.
const POLICY = { ...DEFAULT_SLA_POLICY, targetMinutes: { vip: 10, standard: 30 } };
const ANN = { id: 'ann', name: '安妮' };
const BOB = { id: 'bob', name: 'Bob' };

const clock = { t: tenAm(D1) };
let pool: pg.Pool;
let handoff: Handoff;
let withArchive: FastifyInstance;
let redisOnly: FastifyInstance;
let knowledge: KnowledgeService;
let token: string;
let prefix: string;
let n = 0;

/** One handoff: queued at 10:00 + `offset` minutes, answered after `fr`, resolved after `res`, then rated. */
async function served(day: string, agent: { id: string; name: string }, fr: number, res: number, rating: number | null, reason: HandoffReason = 'customer_asked', offset = 0): Promise<void> {
  const ref = { botId: n % 2 ? 'botA' : 'botB', customerId: `c${n++}` };
  const id = `${ref.botId}.${ref.customerId}`;
  const start = tenAm(day) + offset * MIN;
  clock.t = start;
  await handoff.recordMessage(ref, { from: 'customer', text: '我要退款' });
  await handoff.requestHuman(ref, { reason });
  clock.t = start + 1 * MIN;
  await handoff.claim(id, agent);
  clock.t = start + fr * MIN;
  await handoff.reply(id, agent, '您好，马上处理');
  clock.t = start + res * MIN;
  await handoff.resolve(id, { by: agent.id });
  // A retried resolve (the same agent) is not a second resolution.
  await handoff.resolve(id, { by: agent.id });
  if (rating !== null) {
    clock.t = start + res * MIN + 1;
    await handoff.recordRating(ref, rating);
  }
}

const sync = () => syncReports({ pool, redis, prefix, now: () => clock.t });

interface Figures {
  firstResponse: { count: number; averageMinutes: number; medianMinutes: number | null; slaMet: number; slaMetCount: number };
  resolution: { count: number; averageMinutes: number; medianMinutes: number | null };
  agents: { agentId: string; name: string | null; handled: number; served: number; replies: number; firstResponse: { count: number; medianMinutes: number | null; slaMet: number }; csat: { count: number; average: number; low: number } }[];
  incomplete?: { unreadDays: string[]; error: string };
}

async function get<T>(app: FastifyInstance, url: string): Promise<T> {
  const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  expect(r.statusCode, r.body).toBe(200);
  return (r.headers['content-type']?.startsWith('application/json') ? r.json() : r.body) as T;
}
const RANGE = `from=${D1}&to=${D3}`;

beforeAll(async () => {
  pool = createPool({ url: pgServer.url });
  await migrate(pool);
  prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: POLICY, now: () => clock.t });
  await handoff.registerBot('botA');
  await handoff.registerBot('botB');
  await handoff.registry.setChannel('botA', { kind: 'wecom-kf', label: '官方客服', maxTextBytes: 2048 });
  const agents = new AgentStore(redis, prefix);
  await agents.add({ username: 'mia', roles: ['manager'], password: PW, name: 'Mia' });
  await agents.add({ username: 'ann', roles: ['agent'], password: PW, name: ANN.name });
  await agents.add({ username: 'bob', roles: ['agent'], password: PW, name: BOB.name });
  // The store gives ids of its own: the handoff's agents are those.
  ANN.id = (await agents.get('ann'))!.id;
  BOB.id = (await agents.get('bob'))!.id;
  token = (await agents.login('mia', PW))!.token;
  const kbDir = await makeTree({ 'billing/refund.md': entry('question: 怎么退款？\ntags: [billing]') });
  knowledge = await createKnowledgeService({ dir: kbDir, watch: false });
  const reports = createArchiveReports({ pool, redis, prefix, timeoutMs: 3_000 });
  withArchive = await buildApp({ handoff, agents, redis, knowledge, ui: false, timezone: 'Asia/Shanghai', archive: { reports } });
  redisOnly = await buildApp({ handoff, agents, redis, knowledge, ui: false, timezone: 'Asia/Shanghai' });

  // D1 (archive only): Ann answers in 5 and resolves in 20 (rated 5); Bob, half an hour later, answers in 40, past the SLA (rated 2).
  await served(D1, ANN, 5, 20, 5);
  await served(D1, BOB, 40, 60, 2, 'low_confidence', 30);
  // D2 (in both): Ann in 10, resolved in 30, rated 4; copied; then Ann again in 3/10, rated 5, after the copy.
  await served(D2, ANN, 10, 30, 4);
  clock.t = tenAm(D3) + 12 * 3600_000;
  await sync();
  await redis.del(handoff.keys.day('botA', D1), handoff.keys.day('botB', D1));
  await served(D2, ANN, 3, 10, 5, 'not_helpful', 60);
  // D3 (Redis only): Bob in 20, resolved in 45, not rated.
  await served(D3, BOB, 20, 45, null);
}, 60_000);
afterAll(async () => {
  await Promise.all([withArchive?.close(), redisOnly?.close()]);
  await knowledge?.close();
  await removeTrees();
  await pool?.end();
});

describe('GET /api/service-levels', () => {
  it('first response, SLA met, resolution and per-agent figures over days in the archive, in both and in Redis: each once', async () => {
    const f = await get<Figures>(withArchive, `/api/service-levels?${RANGE}`);
    expect(f.incomplete).toBeUndefined();
    // First responses 5, 40, 10, 3, 20: median 10, average 15.6; 4 of 5 within 30 minutes.
    expect(f.firstResponse).toEqual({ count: 5, averageMinutes: 15.6, medianMinutes: 10, slaMet: 0.8, slaMetCount: 4 });
    // Resolutions 20, 60, 30, 10, 45 (the retried resolves are not counted).
    expect(f.resolution).toEqual({ count: 5, averageMinutes: 33, medianMinutes: 30 });
    expect(f.agents).toEqual([
      { agentId: ANN.id, name: ANN.name, handled: 3, served: 3, replies: 3, firstResponse: { count: 3, averageMinutes: 6, medianMinutes: 5, slaMet: 1, slaMetCount: 3 }, csat: { count: 3, average: 4.67, low: 0 } },
      { agentId: BOB.id, name: BOB.name, handled: 2, served: 2, replies: 2, firstResponse: { count: 2, averageMinutes: 30, medianMinutes: 20, slaMet: 0.5, slaMetCount: 1 }, csat: { count: 1, average: 2, low: 1 } },
    ]);
    // One day alone.
    const d2 = await get<Figures>(withArchive, `/api/service-levels?from=${D2}&to=${D2}`);
    expect(d2.firstResponse.count).toBe(2);
    expect(d2.agents.map((a) => [a.agentId, a.handled])).toEqual([[ANN.id, 2]]);

    // Redis alone misses the expired day.
    const short = await get<Figures>(redisOnly, `/api/service-levels?${RANGE}`);
    expect(short.firstResponse.count).toBe(3);
    expect(short.agents.map((a) => [a.agentId, a.handled])).toEqual([
      [ANN.id, 2],
      [BOB.id, 1],
    ]);

    // Syncing again changes nothing.
    await sync();
    expect(await get<Figures>(withArchive, `/api/service-levels?${RANGE}`)).toEqual(f);
    // The funnel's first response agrees.
    const funnel = await get<{ total: { firstResponse: { count: number; slaMet: number } } }>(withArchive, `/api/funnel?${RANGE}`);
    expect(funnel.total.firstResponse).toMatchObject({ count: 5, slaMet: 0.8 });
  });

  it('an agent who took a chat over by a transfer, and neither answered first nor closed it, is listed as serving it, by the replies they sent', async () => {
    const D4 = '2026-09-04';
    const ref = { botId: 'botA', customerId: 'transferred' };
    const id = `${ref.botId}.${ref.customerId}`;
    clock.t = tenAm(D4);
    await handoff.recordMessage(ref, { from: 'customer', text: '发票开错了' });
    await handoff.requestHuman(ref, { reason: 'customer_asked' });
    await handoff.claim(id, ANN);
    clock.t += 2 * MIN;
    await handoff.reply(id, ANN, '我看一下');
    await handoff.transfer(id, BOB);
    for (const text of ['您好，我来处理发票', '已经重新开好了']) {
      clock.t += MIN;
      await handoff.reply(id, BOB, text);
    }
    await handoff.transfer(id, ANN);
    clock.t += MIN;
    await handoff.resolve(id, { by: ANN.id });
    const f = await get<Figures>(redisOnly, `/api/service-levels?from=${D4}&to=${D4}`);
    // 接待 counts Bob, who replied after the transfer; the first response stays Ann's. Ann took the
    // chat back only to close it (no reply then): still one chat served.
    expect(f.agents.map((a) => ({ id: a.agentId, handled: a.handled, served: a.served, first: a.firstResponse.count, replies: a.replies }))).toEqual([
      { id: ANN.id, handled: 1, served: 1, first: 1, replies: 1 },
      { id: BOB.id, handled: 0, served: 1, first: 0, replies: 2 },
    ]);
    const md = await get<string>(redisOnly, `/api/report?from=${D4}&to=${D4}`);
    expect(md).toMatch(/\| Bob \| 1 \| 0 \| 2 \| — \| — \|/);
  });

  it('PostgreSQL down: the Redis figures, with the days that may be short named', { timeout: 60_000 }, async () => {
    await pgServer.stop();
    try {
      const f = await get<Figures>(withArchive, `/api/service-levels?${RANGE}`);
      // D1 expired; D3 has no Redis hash of botA (no traffic there), so it may be short too, as the funnel says.
      expect(f.incomplete?.unreadDays).toEqual([D1, D3]);
      expect(f.incomplete?.error).toMatch(/PostgreSQL/);
      expect(f.firstResponse.count).toBe(3);
      const md = await get<string>(withArchive, `/api/report?${RANGE}`);
      expect(md).toContain('数据不完整');
    } finally {
      await pgServer.restart();
    }
    expect((await get<Figures>(withArchive, `/api/service-levels?${RANGE}`)).incomplete).toBeUndefined();
  });
});

describe('the markdown report speaks Chinese', () => {
  it('reasons, statuses and channels by their Chinese names, the service figures per agent, no codes', async () => {
    const problem = await handoff.problems.create({ title: '退款延迟', by: ANN });
    expect(problem.status).toBe('open');
    const md = await get<string>(withArchive, `/api/report?${RANGE}`);
    expect(md).toContain('客户要求转人工 3');
    expect(md).toContain('机器人没把握 1');
    expect(md).toContain('答案没帮上忙 1');
    expect(md).toMatch(/\| 退款延迟 \| 进行中 \|/);
    expect(md).toContain('| **未分类** |');
    expect(md).toContain('微信客服（botA）');
    expect(md).toContain('## 人工服务');
    expect(md).toContain('| 首次响应 | 中位数 10 分钟，平均 15.6 分钟，共 5 次 |');
    expect(md).toContain('| 响应时限内首次回复 | 80%（4 / 5） |');
    expect(md).toMatch(/\| 安妮 \| 3 \| 3 \| 3 \| 5 分钟（3 次） \| 100% \| 4\.67 分/);
    expect(md).toContain('| 客服 | 接待 | 已解决 | 回复 |');
    // No code a person would have to look up.
    for (const code of ['customer_asked', 'low_confidence', 'not_helpful', 'uncategorized', '| open |', 'wecom-kf']) expect(md).not.toContain(code);
  });

  it('one set of words: the web UI shows the same ones', async () => {
    // The UI's plain browser module (no types: loaded by URL).
    const ui = (await import(new URL('../../src/console/ui/constants.js', import.meta.url).href)) as Record<string, unknown>;
    expect(ui.REASONS).toEqual(REASON_LABELS);
    expect(ui.STATUSES).toEqual(STATUS_LABELS);
    expect(ui.CHANNELS).toEqual(CHANNEL_LABELS);
  });
});

describe('the minutes histogram', () => {
  it('exact to the minute for the first hour, then buckets; the median is the lower middle', () => {
    expect([0, 59, 60, 64, 239, 240, 254, 1439, 1440, 1500, 99_999].map(bucketOf)).toEqual([0, 59, 60, 60, 235, 240, 240, 1425, 1440, 1500, 10_080]);
    expect(histogramMedian(new Map())).toBeNull();
    expect(histogramMedian(new Map([[3, 1], [5, 1], [10, 1], [20, 1], [40, 1]]))).toBe(10);
    expect(histogramMedian(new Map([[20, 1], [40, 1]]))).toBe(20);
  });
});
