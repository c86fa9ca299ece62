/**
 * The funnel and satisfaction by category then channel, for a scripted day of traffic counted by
 * hand, through the API on a real redis-server (the bot's turns recorded as the bot records them).
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore } from '../../src/console/auth/index.ts';
import { Handoff, type TurnOutcome } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { createKnowledgeService, type KnowledgeService } from '../../src/knowledge/index.ts';
import { entry, makeTree, removeTrees } from '../helpers/kb-tree.ts';
import { randomPrefix, useRedisServer } from '../helpers/redis.ts';

let redis: Redis;
useRedisServer((_s, c) => (redis = c));

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
  const kbDir = await makeTree({
    'billing/refund.md': entry('question: 怎么退款？\ntags: [billing]'),
    'recording/no-sound.md': entry('question: 录屏没声音？\ntags: [recording]'),
  });
  knowledge = await createKnowledgeService({ dir: kbDir, watch: false });
  app = await buildApp({ handoff, agents, redis, knowledge, ui: false });
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
    await turn('botB', 'c3', '会员', { type: 'suggest' }); //                                suggested
    await turn('botB', 'c4', '天气', { type: 'unanswered', question: '天气' }); //             unanswered
    await handoff.requestHuman({ botId: 'botB', customerId: 'c4' }, { reason: 'low_confidence' }); // handoff
    await handoff.claim('botB.c4', ALICE);
    await handoff.resolve('botB.c4', { by: ALICE.id });
    await handoff.recordRating({ botId: 'botB', customerId: 'c4' }, 4);
    // Asking again while waiting is no second handoff.
    await handoff.requestHuman({ botId: 'botA', customerId: 'c2' }, { reason: 'customer_asked' });

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
        handoffs: { not_helpful: 1, low_confidence: 1 },
        csat: { count: 1, average: 4 },
      },
    ]);
    const both = await get<{ days: { date: string; conversations: number }[]; total: { conversations: number; botAnswered: number } }>(
      '/api/funnel?from=2026-11-24&to=2026-11-25',
    );
    expect(both.body.days.map((d) => [d.date, d.conversations])).toEqual([
      ['2026-11-24', 4],
      ['2026-11-25', 1],
    ]);
    expect(both.body.total).toMatchObject({ conversations: 5, botAnswered: 3 });
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
    expect(body.total).toEqual({ count: 4, average: 3, low: 2 });
    expect(body.categories.map((c) => [c.category, c.count, c.average, c.low])).toEqual([
      ['billing', 2, 1.5, 2],
      ['uncategorized', 1, 4, 0],
      ['recording', 1, 5, 0],
    ]);
    const billing = body.categories[0]!;
    expect(billing.channels.map((c) => [c.channel, c.average, c.conversations.map((x) => [x.id, x.score])])).toEqual([
      ['botA', 2, [['botA.r1', 2]]],
      ['botB', 1, [['botB.r2', 1]]],
    ]);
    // Other days are not in it.
    expect((await get<{ total: { count: number } }>('/api/csat?from=2026-11-25&to=2026-11-25')).body.total.count).toBe(0);
  });
});
