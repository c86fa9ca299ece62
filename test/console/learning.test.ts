/**
 * Learning from traffic through the console API (routes/knowledge.ts, the reply route of
 * routes/conversations.ts), via inject, on a real redis-server and a temp copy of the policy tests'
 * knowledge base: agents' FAQ answers and customers' picks become proposals, one call accepts
 * (the existing alternates route) or dismisses one, the editors' switch adopts what enough
 * conversations agree on (and is logged), and an undo takes it out of the file again.
 */
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore } from '../../src/console/auth/index.ts';
import { errorHandler } from '../../src/console/errors.ts';
import { conversationRoutes } from '../../src/console/routes/conversations.ts';
import { knowledgeRoutes } from '../../src/console/routes/knowledge.ts';
import { cannedReplies } from '../../src/console/canned.ts';
import { DEFAULT_SLA_POLICY, Handoff, type TurnOutcome } from '../../src/handoff/index.ts';
import { createKnowledgeService, renderAnswer, type KnowledgeService } from '../../src/knowledge/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { makeTree, removeTrees } from '../support/kb-tree.ts';
import { captureLogs, type LogCapture } from '../support/logs.ts';
import { waitFor } from '../support/waits.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
useRedisServer((_server, client) => (redis = client));

const POLICY_KB = path.resolve(import.meta.dirname, '../fixtures/policy-kb');
const PW = 'correct horse battery';
const TUESDAY_10 = Date.parse('2026-11-24T02:00:00Z');

interface Ctx {
  app: FastifyInstance;
  handoff: Handoff;
  agents: AgentStore;
  knowledge: KnowledgeService;
  kbDir: string;
  clock: { t: number };
  tokens: Record<string, string>;
  logs: LogCapture;
}
let ctx: Ctx;

beforeEach(async () => {
  const prefix = randomPrefix();
  const clock = { t: TUESDAY_10 };
  const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock.t });
  const agents = new AgentStore(redis, prefix);
  const tokens: Record<string, string> = {};
  for (const [username, roles] of [['alice', ['agent']], ['eddie', ['editor']]] as const) {
    await agents.add({ username, roles: [...roles], password: PW, name: username === 'eddie' ? '编辑艾迪' : '客服爱丽丝' });
    tokens[username] = (await agents.login(username, PW))!.token;
  }
  const kbDir = await makeTree();
  await cp(POLICY_KB, kbDir, { recursive: true });
  const knowledge = await createKnowledgeService({ dir: kbDir, watch: false });
  const logs = captureLogs();
  const app = await buildApp({ handoff, agents, redis, knowledge, kbDir, ui: false, logger: logs.logger });
  ctx = { app, handoff, agents, knowledge, kbDir, clock, tokens, logs };
});
afterEach(async () => {
  await ctx.app.close();
  await ctx.knowledge.close();
  await removeTrees();
});

function call(method: 'GET' | 'POST', url: string, opts: { as?: string; body?: unknown; app?: FastifyInstance } = {}) {
  const headers: Record<string, string> = {};
  if (opts.as) headers.authorization = `Bearer ${ctx.tokens[opts.as]}`;
  return (opts.app ?? ctx.app).inject({ method, url, headers, ...(opts.body !== undefined ? { payload: opts.body as object } : {}) });
}
function ok<T>(res: LightMyRequestResponse, status = 200): T {
  expect(res.statusCode, res.body).toBe(status);
  return res.json<T>();
}
const read = (file: string) => readFile(path.join(ctx.kbDir, file), 'utf8');
const answerOf = (id: string) => renderAnswer(ctx.knowledge.matcher().entry(id)!.answer).join('\n\n');
const ref = (customerId: string) => ({ botId: 'botA', customerId, customerName: customerId });

async function turn(customerId: string, text: string, outcome: TurnOutcome) {
  ctx.clock.t += 1_000;
  const replies = outcome.type === 'answer' || outcome.type === 'picked' ? [{ from: 'bot' as const, text: 'answer', faqId: outcome.faqId }] : [];
  await ctx.handoff.recordTurn(ref(customerId), { from: 'customer', text }, { replies, decidedFor: 'bot', outcome });
}
/** "Did you mean" and the customer's pick. */
async function pick(customerId: string, question: string, faqId: string) {
  await turn(customerId, question, { type: 'suggest' });
  await turn(customerId, '1', { type: 'picked', faqId, question });
}
/** The bot could not answer (or answered with `botFaqId`), the chat went to Alice, who sends an FAQ answer. */
async function agentAnswers(customerId: string, question: string, faqId: string, opts: { botFaqId?: string; sendFaqId?: boolean; app?: FastifyInstance } = {}) {
  if (opts.botFaqId) {
    await turn(customerId, question, { type: 'answer', faqId: opts.botFaqId });
    await turn(customerId, '转人工', { type: 'rejected' });
    await ctx.handoff.requestHuman(ref(customerId), { reason: 'customer_asked', question: '转人工' });
  } else {
    await turn(customerId, question, { type: 'unanswered', question });
    await ctx.handoff.requestHuman(ref(customerId), { reason: 'low_confidence', question });
  }
  const conv = `botA.${customerId}`;
  ok(await call('POST', `/api/conversations/${conv}/claim`, { as: 'alice' }));
  const body = { text: answerOf(faqId), ...(opts.sendFaqId === false ? {} : { faqId }) };
  ok(await call('POST', `/api/conversations/${conv}/messages`, { as: 'alice', body, app: opts.app }), 202);
}

interface Proposal { faqId: string; text: string; convs: number; count: number; kinds: Record<string, number>; ready: boolean; conflict: unknown }
interface LearningBody {
  settings: { autoAdopt: boolean; threshold: number; updatedBy: string | null };
  proposals: { id: string; question: string; proposals: Proposal[] }[];
  wrongAnswers: { faqId: string; question: string; text: string; kinds: Record<string, number>; corrections: { id: string; question: string }[] }[];
  adoptions: { id: string; faqId: string; question: string; text: string; convs: number; undone: { by: string } | null }[];
  evidence: number;
}
const learning = async () => ok<LearningBody>(await call('GET', '/api/kb/learning', { as: 'eddie' }));
const proposed = async () => (await learning()).proposals.flatMap((g) => g.proposals.map((p) => `${p.faqId}:${p.text}:${p.convs}${p.ready ? ':ready' : ''}`));

describe('evidence through the reply route', () => {
  it("an agent's FAQ answer (faqId) is evidence; a plain reply is not; a malformed faqId is refused before sending", async () => {
    await agentAnswers('c1', '票据怎么弄', 'invoice');
    ok(await call('POST', '/api/conversations/botA.c1/messages', { as: 'alice', body: { text: '还有别的问题吗' } }), 202);
    const bad = await call('POST', '/api/conversations/botA.c1/messages', { as: 'alice', body: { text: 'x', faqId: '../etc' } });
    expect(bad.statusCode).toBe(400);
    expect((await ctx.handoff.transcript('botA.c1')).filter((m) => m.from === 'agent')).toHaveLength(2);
    expect((await ctx.handoff.learningEvidence()).map((e) => [e.kind, e.faqId, e.text])).toEqual([['agent', 'invoice', '票据怎么弄']]);
  });

  it('with the knowledge base, the reply route recognises an unedited canned FAQ answer without faqId', async () => {
    const app = Fastify();
    app.decorateRequest('agent', null);
    app.setErrorHandler(errorHandler);
    await app.register(conversationRoutes, { handoff: ctx.handoff, agents: ctx.agents, knowledge: ctx.knowledge });
    try {
      await agentAnswers('c1', '票据怎么弄', 'invoice', { sendFaqId: false, app });
      ok(await call('POST', '/api/conversations/botA.c1/messages', { as: 'alice', body: { text: `${answerOf('refund')}，请看看` }, app }), 202);
      expect((await ctx.handoff.learningEvidence()).map((e) => [e.kind, e.faqId])).toEqual([['agent', 'invoice']]);
    } finally {
      await app.close();
    }
  });
});

describe('GET /api/kb/learning and one-click decisions', () => {
  it('editors only; proposals grouped by entry with counts and kinds, wrong answers with what the agent sent', async () => {
    expect((await call('GET', '/api/kb/learning', { as: 'alice' })).statusCode).toBe(403);
    await pick('c1', '录完的东西跑哪去了', 'find-recordings');
    await pick('c2', '录完的东西 跑哪去了？', 'find-recordings');
    await agentAnswers('c3', '录完的东西跑哪去了', 'find-recordings');
    await agentAnswers('c4', '票据怎么弄', 'invoice', { botFaqId: 'login-help' });
    const body = await learning();
    expect(body.settings).toMatchObject({ autoAdopt: false, threshold: 3 });
    expect(body.proposals.map((g) => [g.id, g.question])).toEqual([['find-recordings', '录好的视频在哪里找？'], ['invoice', '怎么开发票？']]);
    expect(body.proposals[0]!.proposals[0]).toMatchObject({ convs: 3, count: 3, kinds: { picked: 2, helpful: 0, agent: 1 }, ready: true, conflict: null });
    // The bot answered login-help, the customer asked for a person, the agent sent the invoice answer.
    expect(body.proposals[1]!.proposals[0]).toMatchObject({ text: '票据怎么弄', convs: 1, ready: false });
    expect(body.wrongAnswers).toEqual([
      expect.objectContaining({ faqId: 'login-help', question: '登录不上怎么办？', text: '票据怎么弄', kinds: { not_helpful: 0, rejected: 1, corrected: 1 }, corrections: [{ id: 'invoice', question: '怎么开发票？', count: 1 }] }),
    ]);
    expect(body.evidence).toBe(5);
  });

  it('accept (the alternates route) adds one line and the proposal goes; dismiss hides one for good', async () => {
    await pick('c1', '票据怎么弄', 'invoice');
    await pick('c2', '能同时几个人用', 'device-limit');
    const before = await read('billing/invoice.md');
    ok(await call('POST', '/api/kb/entries/invoice/alternates', { as: 'eddie', body: { question: '票据怎么弄' } }));
    expect((await read('billing/invoice.md')).split('\n')).toHaveLength(before.split('\n').length + 1);
    expect(ctx.knowledge.match('票据怎么弄')).toMatchObject({ decision: 'answer', id: 'invoice' });
    expect(await proposed()).toEqual(['device-limit:能同时几个人用:1']);

    expect(ok(await call('POST', '/api/kb/learning/dismiss', { as: 'eddie', body: { faqId: 'device-limit', text: '能同时几个人用？' } }))).toEqual({ faqId: 'device-limit', key: '能同时几个人用' });
    await pick('c3', '能同时几个人用', 'device-limit');
    expect(await proposed()).toEqual([]);
    expect((await call('POST', '/api/kb/learning/dismiss', { as: 'eddie', body: { faqId: 'nope', text: 'x' } })).statusCode).toBe(404);
    expect((await call('POST', '/api/kb/learning/dismiss', { as: 'eddie', body: { faqId: 'invoice', text: '？？' } })).statusCode).toBe(400);
  });
});

describe('automatic adoption', () => {
  it('is off by default; never with a threshold of 1; switched on it adopts what 3 conversations agree on, logs it, and lists it', async () => {
    for (const c of ['c1', 'c2', 'c3']) await pick(c, '一次能录多长', 'time-limit');
    await pick('c4', '票据怎么弄', 'invoice'); // one conversation only
    for (const c of ['c5', 'c6', 'c7']) await pick(c, '会员咋弄', 'membership-plans');
    await agentAnswers('c8', '会员咋弄', 'refund'); // the same words, another entry: a conflict
    expect(await proposed()).toContain('time-limit:一次能录多长:3:ready');

    expect((await call('POST', '/api/kb/learning/settings', { as: 'eddie', body: { threshold: 1 } })).statusCode).toBe(400);
    expect((await call('POST', '/api/kb/learning/settings', { as: 'eddie', body: {} })).statusCode).toBe(400);
    expect((await call('POST', '/api/kb/learning/settings', { as: 'alice', body: { autoAdopt: true } })).statusCode).toBe(403);
    const before = await read('recording/time-limit.md');
    const on = ok<{ settings: LearningBody['settings']; adopted: { faqId: string; text: string; convs: number }[] }>(
      await call('POST', '/api/kb/learning/settings', { as: 'eddie', body: { autoAdopt: true } }),
    );
    expect(on.settings).toMatchObject({ autoAdopt: true, threshold: 3, updatedBy: '编辑艾迪' });
    expect(on.adopted.map((a) => [a.faqId, a.text, a.convs])).toEqual([['time-limit', '一次能录多长', 3]]);
    const after = await read('recording/time-limit.md');
    expect(after.split('\n').filter((l) => !before.split('\n').includes(l))).toEqual(['  - 一次能录多长']);
    expect(ctx.knowledge.match('一次能录多长')).toMatchObject({ decision: 'answer', id: 'time-limit' });
    expect(ctx.logs.withMsg('learning: alternate adopted automatically')).toEqual([expect.objectContaining({ faqId: 'time-limit', confirmations: 3 })]);

    const body = await learning();
    expect(body.adoptions).toEqual([expect.objectContaining({ faqId: 'time-limit', question: '录屏有时间限制吗？', text: '一次能录多长', convs: 3, undone: null })]);
    // Still proposed, never adopted: the single confirmation and both sides of the conflict.
    expect(await proposed()).toEqual(expect.arrayContaining(['membership-plans:会员咋弄:3', 'invoice:票据怎么弄:1', 'refund:会员咋弄:1']));
    expect(await read('billing/membership-plans.md')).not.toContain('会员咋弄');
  });

  it('undo removes the alternate (the file as before), is shown, is idempotent, and the phrasing is not adopted again', async () => {
    for (const c of ['c1', 'c2', 'c3']) await pick(c, '一次能录多长', 'time-limit');
    const before = await read('recording/time-limit.md');
    ok(await call('POST', '/api/kb/learning/settings', { as: 'eddie', body: { autoAdopt: true, threshold: 3 } }));
    const [adoption] = (await learning()).adoptions;
    expect(await read('recording/time-limit.md')).not.toBe(before);

    const undo = ok<{ removed: boolean; changed: boolean; alternates: string[]; undone: { by: string } }>(await call('POST', `/api/kb/learning/adoptions/${adoption!.id}/undo`, { as: 'eddie' }));
    expect(undo).toMatchObject({ removed: true, changed: true, undone: { by: '编辑艾迪' } });
    expect(undo.alternates).not.toContain('一次能录多长');
    expect(await read('recording/time-limit.md')).toBe(before);
    expect(ctx.knowledge.match('一次能录多长').decision).not.toBe('answer');
    expect(ctx.logs.withMsg('learning: automatic adoption undone')).toHaveLength(1);

    expect(ok<{ changed: boolean; removed: boolean }>(await call('POST', `/api/kb/learning/adoptions/${adoption!.id}/undo`, { as: 'eddie' }))).toMatchObject({ changed: false, removed: false });
    // More confirmations and another pass: an undone phrasing stays out (and is no longer proposed).
    await pick('c4', '一次能录多长', 'time-limit');
    expect(ok<{ adopted: unknown[] }>(await call('POST', '/api/kb/learning/settings', { as: 'eddie', body: { autoAdopt: true } })).adopted).toEqual([]);
    const body = await learning();
    expect(body.adoptions[0]!.undone).toMatchObject({ by: '编辑艾迪' });
    expect(await proposed()).toEqual([]);
    expect(await read('recording/time-limit.md')).toBe(before);

    expect((await call('POST', '/api/kb/learning/adoptions/1-0/undo', { as: 'eddie' })).statusCode).toBe(404);
    expect((await call('POST', '/api/kb/learning/adoptions/nope/undo', { as: 'eddie' })).statusCode).toBe(400);
  });

  it('while switched on, the console checks on its own (its timer), with nobody on the page', async () => {
    for (const c of ['c1', 'c2', 'c3']) await pick(c, '一次能录多长', 'time-limit');
    await ctx.handoff.learning.setSettings({ autoAdopt: true }, '编辑艾迪');
    const app = Fastify();
    app.decorateRequest('agent', null);
    await app.register(knowledgeRoutes, { handoff: ctx.handoff, agents: ctx.agents, knowledge: ctx.knowledge, canned: cannedReplies(ctx.kbDir), learningEveryMs: 50 });
    try {
      await app.ready();
      const adoption = await waitFor('the automatic adoption', async () => (await ctx.handoff.learning.adoptions())[0]);
      expect(adoption).toMatchObject({ faqId: 'time-limit', text: '一次能录多长' });
      expect(await read('recording/time-limit.md')).toContain('  - 一次能录多长\n');
    } finally {
      await app.close();
    }
  });
});
