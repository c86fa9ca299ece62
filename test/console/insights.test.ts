/**
 * The funnel and satisfaction by category then channel, for a scripted day of traffic counted by
 * hand, through the API on a real redis-server (the bot's turns recorded as the bot records them).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore } from '../../src/console/auth/index.ts';
import { Handoff, type TurnOutcome } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { createKnowledgeService, type KnowledgeService } from '../../src/knowledge/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';
import { runNode } from '../support/processes.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let redis: Redis;
let server: RedisServer;
useRedisServer((s, c) => {
  server = s;
  redis = c;
});
const serverUrl = () => server.url;
let kbDir: string;
const kbDirOf = () => kbDir;

const PW = 'correct horse battery';
const TUESDAY_10 = Date.parse('2026-11-24T02:00:00Z'); // 10:00 in Shanghai
const WEDNESDAY_10 = TUESDAY_10 + 24 * 3600_000;
const ALICE = { id: 'alice', name: 'Alice' };

let app: FastifyInstance;
let handoff: Handoff;
let knowledge: KnowledgeService;
let token: string;
const clock = { t: TUESDAY_10 };

beforeEach(async () => {
  const prefix = randomPrefix();
  clock.t = TUESDAY_10;
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock.t });
  const agents = new AgentStore(redis, prefix);
  await agents.add({ username: 'mia', roles: ['manager'], password: PW, name: 'Mia' });
  await agents.add({ username: 'al', roles: ['agent'], password: PW, name: 'Al' });
  token = (await agents.login('mia', PW))!.token;
  kbDir = await makeTree({
    'billing/refund.md': entry('question: 怎么退款？\ntags: [billing]'),
    'recording/no-sound.md': entry('question: 录屏没声音？\ntags: [recording]'),
    '_tags.yml': 'billing: 付费\n',
  });
  knowledge = await createKnowledgeService({ dir: kbDir, watch: false });
  app = await buildApp({ handoff, agents, redis, knowledge, kbDir, ui: false });
});
afterEach(async () => {
  await app.close();
  await knowledge.close();
  await removeTrees();
});

const get = async <T>(url: string, as = token): Promise<{ status: number; body: T }> => {
  const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${as}` } });
  return { status: r.statusCode, body: r.json<T>() };
};

async function turn(botId: string, customerId: string, text: string, outcome?: TurnOutcome, faqReply?: string) {
  const replies = faqReply ? [{ from: 'bot' as const, text: 'answer', faqId: faqReply, confidence: 0.9 }] : [{ from: 'bot' as const, text: 'ok' }];
  await handoff.recordTurn({ botId, customerId }, { from: 'customer', text }, { replies, decidedFor: 'bot', outcome });
}

/** Handed to Alice, resolved, rated. */
async function servedAndRated(botId: string, customerId: string, score: number, tags: string[] = []) {
  const ref = { botId, customerId };
  await handoff.requestHuman(ref, { reason: 'customer_asked' });
  const id = `${botId}.${customerId}`;
  await handoff.claim(id, ALICE);
  if (tags.length) await handoff.setTags(id, tags);
  await handoff.resolve(id, { by: ALICE.id });
  await handoff.recordRating(ref, score);
  return id;
}

describe('the funnel', () => {
  it('a scripted Tuesday matches the hand count; Wednesday is its own day; the range sums them', async () => {
    // Tuesday: 4 customers on two bot accounts.
    await turn('botA', 'c1', '怎么退款', { type: 'answer', faqId: 'refund' }, 'refund'); // answered
    await turn('botA', 'c1', '1', { type: 'helpful', faqId: 'refund' }); //                   helpful
    await turn('botA', 'c2', '没声音', { type: 'answer', faqId: 'no-sound' }, 'no-sound'); // answered
    await turn('botA', 'c2', '2', { type: 'not_helpful', faqId: 'no-sound', question: '没声音' }); // not helpful
    await handoff.requestHuman({ botId: 'botA', customerId: 'c2' }, { reason: 'not_helpful' }); // handoff
    // Asking again while waiting is no second handoff.
    await handoff.requestHuman({ botId: 'botA', customerId: 'c2' }, { reason: 'customer_asked' });
    await turn('botB', 'c3', '会员', { type: 'suggest' }); //                                suggested
    await handoff.requestHuman({ botId: 'botB', customerId: 'c3' }, { reason: 'customer_asked' }); // handoff
    await handoff.withdraw({ botId: 'botB', customerId: 'c3' }); // "不用了" then "1": left the queue, not resolved
    await turn('botB', 'c4', '天气', { type: 'unanswered', question: '天气' }); //             unanswered
    await handoff.requestHuman({ botId: 'botB', customerId: 'c4' }, { reason: 'low_confidence' }); // handoff
    await handoff.claim('botB.c4', ALICE);
    clock.t += 5 * 60_000; // answered after 5 business minutes, one reply
    await handoff.reply('botB.c4', ALICE, '您好');
    await handoff.resolve('botB.c4', { by: ALICE.id });
    await handoff.recordRating({ botId: 'botB', customerId: 'c4' }, 4);
    // botA.c2 is answered after its SLA (540 business minutes for a standard customer: due
    // Wednesday 10:00), on Wednesday 11:00 = 600 business minutes, with two replies.
    await handoff.claim('botA.c2', ALICE);
    clock.t = WEDNESDAY_10 + 3600_000;
    await handoff.reply('botA.c2', ALICE, '在吗');
    await handoff.reply('botA.c2', ALICE, '好的');
    await handoff.resolve('botA.c2', { by: ALICE.id });

    clock.t = WEDNESDAY_10;
    await turn('botA', 'c5', '怎么退款', { type: 'answer', faqId: 'refund' }, 'refund');

    const tue = await get<{ days: Record<string, unknown>[] }>('/api/funnel?from=2026-11-24&to=2026-11-24');
    expect(tue.status).toBe(200);
    expect(tue.body.days).toEqual([
      {
        date: '2026-11-24',
        conversations: 4,
        botAnswered: 2,
        suggested: 1,
        unanswered: 1,
        helpful: 1,
        notHelpful: 1,
        handoffs: { not_helpful: 1, customer_asked: 1, low_confidence: 1 },
        csat: { count: 1, average: 4 },
        firstResponse: { count: 1, averageMinutes: 5, slaMet: 1 },
        resolved: 1,
        resolvedOneReply: 1,
        withdrawn: 1,
        faq: { refund: 1, 'no-sound': 1 },
      },
    ]);
    const both = await get<{ days: { date: string; conversations: number }[]; total: { conversations: number; botAnswered: number } }>(
      '/api/funnel?from=2026-11-24&to=2026-11-25',
    );
    expect(both.body.days.map((d) => [d.date, d.conversations])).toEqual([
      ['2026-11-24', 4],
      ['2026-11-25', 1],
    ]);
    expect(both.body.total).toMatchObject({
      conversations: 5,
      botAnswered: 3,
      // 5 and 600 business minutes; only the first within its SLA; c2 took two replies.
      firstResponse: { count: 2, averageMinutes: 302.5, slaMet: 0.5 },
      resolved: 2,
      resolvedOneReply: 1,
      withdrawn: 1,
    });
  });

  it('refuses a reversed or too long range, and agents', async () => {
    expect((await get('/api/funnel?from=2026-11-25&to=2026-11-24')).status).toBe(400);
    expect((await get('/api/funnel?from=2024-01-01&to=2026-11-24')).status).toBe(400);
    expect((await get('/api/funnel?from=24-11-2026')).status).toBe(400);
  });
});

describe('satisfaction by category, then by channel', () => {
  it('groups ratings by the agent\'s tag or the FAQ entry\'s category, then bot account, worst first, with the conversations', async () => {
    await turn('botA', 'r1', '怎么退款', { type: 'answer', faqId: 'refund' }, 'refund');
    await servedAndRated('botA', 'r1', 2); //            billing (from the FAQ entry), botA
    await turn('botB', 'r2', '怎么退款', { type: 'answer', faqId: 'refund' }, 'refund');
    await servedAndRated('botB', 'r2', 1); //            billing, botB
    await servedAndRated('botA', 'r3', 5, ['recording']); // recording (agent's tag), botA
    await servedAndRated('botA', 'r4', 4); //            uncategorized
    const { body } = await get<{ total: { count: number; average: number; low: number }; categories: { category: string; count: number; average: number; low: number; channels: { channel: string; average: number; conversations: { id: string; score: number }[] }[] }[] }>(
      '/api/csat?from=2026-11-24&to=2026-11-24',
    );
    expect(body.total).toEqual({ count: 4, average: 3, low: 2, scores: [1, 1, 0, 1, 1] });
    expect(body.categories.map((c) => [c.category, c.count, c.average, c.low])).toEqual([
      ['billing', 2, 1.5, 2],
      ['uncategorized', 1, 4, 0],
      ['recording', 1, 5, 0],
    ]);
    // Named as _tags.yml names them; an id it does not name stays as it is.
    expect((body.categories as { label?: string }[]).map((c) => c.label)).toEqual(['付费', 'uncategorized', 'recording']);
    const billing = body.categories[0]!;
    expect(billing.channels.map((c) => [c.channel, c.average, c.conversations.map((x) => [x.id, x.score])])).toEqual([
      ['botA', 2, [['botA.r1', 2]]],
      ['botB', 1, [['botB.r2', 1]]],
    ]);
    // Other days are not in it.
    expect((await get<{ total: { count: number } }>('/api/csat?from=2026-11-25&to=2026-11-25')).body.total.count).toBe(0);
  });

  it('lists at most the 100 worst and newest conversations behind a number, and counts the rest', async () => {
    for (let i = 0; i < 103; i++) await servedAndRated('botA', `m${i}`, i === 50 ? 1 : 5, ['bulk']);
    const { body } = await get<{ total: { scores: number[] }; categories: { category: string; channels: { count: number; conversations: { id: string; score: number }[]; more: number }[] }[] }>(
      '/api/csat?from=2026-11-24&to=2026-11-24',
    );
    const bulk = body.categories.find((c) => c.category === 'bulk')!.channels[0]!;
    expect(bulk.count).toBe(103);
    expect(bulk.conversations).toHaveLength(100);
    expect(bulk.more).toBe(3);
    expect(bulk.conversations[0]).toMatchObject({ id: 'botA.m50', score: 1 });
    expect(body.total.scores[0]).toBeGreaterThanOrEqual(1);
    expect(body.total.scores[4]).toBeGreaterThanOrEqual(102);
  });
});

describe('the feedback report', () => {
  /** A week of traffic: answers over two days, a known problem fixed, ratings, questions missed (one naming the customer). */
  async function seedWeek(): Promise<void> {
    await turn('botA', 'w1', '怎么退款', { type: 'answer', faqId: 'refund' }, 'refund');
    await turn('botA', 'w2', '怎么退款呀', { type: 'answer', faqId: 'refund' }, 'refund');
    await handoff.recordMessage({ botId: 'botA', customerId: 'w3', customerName: '王小明' }, { from: 'customer', text: '你好' });
    await turn('botA', 'w3', '我是王小明，你们支持 Linux 吗', { type: 'unanswered', question: '我是王小明，你们支持 Linux 吗' });
    await turn('botA', 'w4', '你们支持linux吗？', { type: 'unanswered', question: '你们支持linux吗？' });
    await servedAndRated('botA', 'w1', 2);
    const p = await handoff.problems.create({ title: '导出 4K 失败', by: ALICE });
    await handoff.requestHuman({ botId: 'botA', customerId: 'w5' }, { reason: 'customer_asked' });
    await handoff.problems.link('botA.w5', p.id, ALICE);
    await handoff.problems.fixed(p.id, { note: '3.2.1 已修复', by: ALICE });
    clock.t = WEDNESDAY_10;
    await turn('botB', 'w6', '没声音', { type: 'answer', faqId: 'no-sound' }, 'no-sound');
    await turn('botB', 'w7', '怎么退款', { type: 'answer', faqId: 'refund' }, 'refund');
  }

  it('markdown and CSV: top issues with their trend, problems with customers affected, CSAT by category and channel, missed questions without names', async () => {
    await seedWeek();
    const res = await app.inject({ method: 'GET', url: '/api/report?from=2026-11-24&to=2026-11-25', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/markdown/);
    expect(res.headers['content-disposition']).toContain('report-2026-11-24_2026-11-25.md');
    const md = res.body;
    expect(md).toMatch(/^# 客服反馈报告 2026-11-24 至 2026-11-25/);
    // refund: 2 on Tuesday, 1 on Wednesday.
    expect(md).toMatch(/\| 1 \| 怎么退款？ \(`refund`\) \| 3 \| 2 1 \|/);
    expect(md).toMatch(/\| P1 \| 导出 4K 失败 \| 已修复 2026-11-2\d \| 1 \| 1 \| 3\.2\.1 已修复 \|/);
    expect(md).toMatch(/\| \*\*billing\*\* \| 全部 \| 1 \| 2 \| 1 \|/);
    // The two Linux questions are one group; the customer's name is gone.
    expect(md).toMatch(/\| 1 \| .*linux.* \| 2 \| 2 \/ 0 \/ 0 \|/i);
    expect(md).not.toContain('王小明');
    expect(md).toContain('[客户]');

    const csv = await app.inject({ method: 'GET', url: '/api/report?from=2026-11-24&to=2026-11-25&file=top-issues.csv', headers: { authorization: `Bearer ${token}` } });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body.replace(/^\uFEFF/, '').split('\r\n').slice(0, 2)).toEqual(['faq_id,question,answers,2026-11-24,2026-11-25', 'refund,怎么退款？,3,2,1']);
    expect((await app.inject({ method: 'GET', url: '/api/report?file=nope.csv', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(404);
  });

  it('kefu report writes the same files from the command line', async () => {
    await seedWeek();
    const out = await mkdtemp(path.join(os.tmpdir(), 'kefu-report-'));
    try {
      const r = await runNode(['--import', 'tsx', 'src/console/cli.ts', 'report', '--from', '2026-11-24', '--to', '2026-11-25', '--out', out], {
        cwd: ROOT,
        env: { ...process.env, REDIS_URL: serverUrl(), REDIS_PREFIX: handoff.keys.prefix, KB_DIR: kbDirOf() },
      });
      expect(r.code, r.stderr).toBe(0);
      const files = (await readdir(out)).sort();
      expect(files).toEqual([
        'report-2026-11-24_2026-11-25-csat.csv',
        'report-2026-11-24_2026-11-25-daily.csv',
        'report-2026-11-24_2026-11-25-problems.csv',
        'report-2026-11-24_2026-11-25-top-issues.csv',
        'report-2026-11-24_2026-11-25-unanswered.csv',
        'report-2026-11-24_2026-11-25.md',
      ]);
      expect(r.stdout.trim().split('\n')).toHaveLength(6);
      const md = await readFile(path.join(out, 'report-2026-11-24_2026-11-25.md'), 'utf8');
      expect(md).toMatch(/导出 4K 失败/);
      const bad = await runNode(['--import', 'tsx', 'src/console/cli.ts', 'report', '--from', 'yesterday'], { cwd: ROOT, env: { ...process.env, REDIS_URL: serverUrl() } });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--from must be a date/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);
});
