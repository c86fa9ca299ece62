/**
 * Learning from traffic, its Redis side (append-15.lua and src/handoff/learning.ts) against a real
 * redis-server: the bot's turns leave evidence (a pick, a "helpful", a "not helpful", a rejection)
 * with the question they were about, an agent's FAQ answer leaves evidence of the question handed
 * off, the evidence streams are bounded, and the editors' switch, dismissals and audit list persist.
 */
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createKeys, DEFAULT_THRESHOLD, type TurnOutcome } from '../../src/handoff/index.ts';
import { append } from '../../src/handoff/scripts.ts';
import { ALICE, env, ref, type Env } from '../support/handoff-fixture.ts';
import { useRedisServer } from '../support/hooks.ts';

let redis: Redis;
useRedisServer((_server, r) => (redis = r));

const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

/** One customer message and the bot's decision, as the bot records it. */
async function turn(e: Env, customer: string, text: string, outcome?: TurnOutcome, decidedFor: 'bot' | 'waiting' = 'bot', msgId?: string) {
  e.clock.advance(1_000);
  const replies = outcome?.type === 'answer' || outcome?.type === 'picked' ? [{ from: 'bot' as const, text: 'answer', faqId: outcome.faqId }] : [];
  return e.h.recordTurn(ref(customer), { from: 'customer', text, ...(msgId ? { msgId } : {}) }, { replies, decidedFor, ...(outcome ? { outcome } : {}) });
}

const evidenceOf = async (e: Env) => (await e.h.learningEvidence()).map((x) => [x.kind, x.faqId, x.text, x.botFaqId, x.conv]);

describe('evidence from the bot\'s turns', () => {
  it('a pick, a "helpful", a "not helpful" and a rejection are recorded with the question and the entry', async () => {
    const e = await env(redis);
    await turn(e, 'c1', '录完的东西跑哪去了', { type: 'suggest' });
    await turn(e, 'c1', '1', { type: 'picked', faqId: 'find-recordings', question: '录完的东西跑哪去了' });
    await turn(e, 'c1', '1', { type: 'helpful', faqId: 'find-recordings', question: '录完的东西跑哪去了' });
    await turn(e, 'c2', '票据怎么弄', { type: 'answer', faqId: 'login-help' });
    await turn(e, 'c2', '2', { type: 'not_helpful', faqId: 'login-help', question: '票据怎么弄' });
    // A rejection without its question or entry: the conversation remembers what was answered.
    await turn(e, 'c3', '钱能不能退回来', { type: 'answer', faqId: 'refund' });
    await turn(e, 'c3', '转人工', { type: 'rejected' });
    expect(await evidenceOf(e)).toEqual([
      ['rejected', 'refund', '钱能不能退回来', null, 'botA.c3'],
      ['not_helpful', 'login-help', '票据怎么弄', null, 'botA.c2'],
      ['helpful', 'find-recordings', '录完的东西跑哪去了', null, 'botA.c1'],
      ['picked', 'find-recordings', '录完的东西跑哪去了', null, 'botA.c1'],
    ]);
    // A pick is answered with the picked entry: it counts as a hit.
    expect(await e.h.faqHits()).toEqual({ 'find-recordings': 1, 'login-help': 1, refund: 1 });
    expect((await e.h.dayCounters(e.h.dayOf(e.clock.t))).botA).toMatchObject({ 'out:picked': 1, 'out:rejected': 1, 'out:helpful': 1 });
  });

  it('nothing for an answer or a suggestion alone, a decision that did not stand, or a repeated message', async () => {
    const e = await env(redis);
    await turn(e, 'c1', '票据怎么弄', { type: 'answer', faqId: 'invoice' });
    await turn(e, 'c2', '录完的东西跑哪去了', { type: 'suggest' });
    // Decided for the bot, but an agent has the chat by now: the decision is made again, nothing counts.
    await e.h.requestHuman(ref('c2'), { reason: 'customer_asked' });
    await turn(e, 'c2', '1', { type: 'picked', faqId: 'find-recordings', question: '录完的东西跑哪去了' });
    await turn(e, 'c1', '1', { type: 'helpful', faqId: 'invoice', question: '票据怎么弄' }, 'bot', 'wx-9');
    await turn(e, 'c1', '1', { type: 'helpful', faqId: 'invoice', question: '票据怎么弄' }, 'bot', 'wx-9');
    expect(await evidenceOf(e)).toEqual([['helpful', 'invoice', '票据怎么弄', null, 'botA.c1']]);
  });

  it('the evidence stream is trimmed like the knowledge gaps', async () => {
    const e = await env(redis);
    const k = e.h.keys;
    for (let i = 0; i < 250; i++) {
      await append(redis, k, {
        conv: 'botA.c1', now: e.clock.advance(1), eventsMaxLen: 1_000, customerName: '', day: '2026-11-24', from: 'customer', text: '1',
        decidedFor: 'bot', replies: [], outcome: { type: 'helpful', faqId: 'invoice', question: `问题 ${i}` }, gapsMaxLen: 10, dayTtlS: 60, fields: {},
      });
    }
    const len = await redis.xlen(k.learning('botA'));
    expect(len).toBeGreaterThanOrEqual(10);
    expect(len).toBeLessThan(250);
  });

  it('the learning keys share their slots: the evidence the bot account\'s, the decisions {learning}', () => {
    const k = createKeys('kefu');
    expect(calculateSlot(k.learning('wx_bot-1'))).toBe(calculateSlot(k.conversation('wx_bot-1.c1')));
    const decisions = [k.learn.settings(), k.learn.dismissed(), k.learn.adopted(), k.learn.adoptions(), k.learn.undone()];
    expect(new Set(decisions.map(calculateSlot))).toEqual(new Set([calculateSlot('{learning}')]));
    expect(new Set(decisions).size).toBe(decisions.length);
  });
});

describe('evidence from an agent\'s FAQ answer', () => {
  it('is the question handed off: the one the bot missed, or the one it answered (and with what)', async () => {
    const e = await env(redis);
    await turn(e, 'c1', '票据怎么弄', { type: 'unanswered', question: '票据怎么弄' });
    await e.h.requestHuman(ref('c1'), { reason: 'low_confidence', question: '票据怎么弄' });
    await e.h.claim('botA.c1', ALICE);
    expect(await e.h.recordAgentAnswer('botA.c1', 'invoice')).toMatchObject({ kind: 'agent', faqId: 'invoice', text: '票据怎么弄', botFaqId: null });

    await turn(e, 'c2', '开票', { type: 'answer', faqId: 'login-help' });
    await turn(e, 'c2', '人工', undefined);
    await e.h.requestHuman(ref('c2'), { reason: 'customer_asked', question: '人工' });
    await e.h.claim('botA.c2', ALICE);
    expect(await e.h.recordAgentAnswer('botA.c2', 'invoice')).toMatchObject({ text: '开票', botFaqId: 'login-help' });
    expect((await evidenceOf(e))[0]).toEqual(['agent', 'invoice', '开票', 'login-help', 'botA.c2']);
  });

  it('nothing when the customer only asked for a person, or the chat is not with an agent', async () => {
    const e = await env(redis);
    await e.h.requestHuman(ref('c1'), { reason: 'customer_asked', question: '转人工' });
    await e.h.claim('botA.c1', ALICE);
    expect(await e.h.recordAgentAnswer('botA.c1', 'invoice')).toBeNull();
    // The handoff's own question stands when the bot could not answer (no turn of the bot's recorded).
    await e.h.requestHuman(ref('c2'), { reason: 'low_confidence', question: '发票抬头能改吗' });
    expect(await e.h.recordAgentAnswer('botA.c2', 'invoice')).toBeNull(); // waiting, not with an agent
    await e.h.claim('botA.c2', ALICE);
    expect(await e.h.recordAgentAnswer('botA.c2', 'invoice')).toMatchObject({ text: '发票抬头能改吗' });
    expect(await e.h.recordAgentAnswer('botA.nobody', 'invoice')).toBeNull();
  });

  it('a chat the customer reopens forgets the old question', async () => {
    const e = await env(redis);
    await turn(e, 'c1', '票据怎么弄', { type: 'unanswered', question: '票据怎么弄' });
    await e.h.requestHuman(ref('c1'), { reason: 'low_confidence', question: '票据怎么弄' });
    await e.h.claim('botA.c1', ALICE);
    await e.h.resolve('botA.c1', { by: ALICE.id, rate: false });
    await turn(e, 'c1', '谢谢', undefined);
    await e.h.requestHuman(ref('c1'), { reason: 'customer_asked', question: '人工' });
    await e.h.claim('botA.c1', ALICE);
    expect(await e.h.recordAgentAnswer('botA.c1', 'invoice')).toBeNull();
  });
});

describe('the editors\' decisions', () => {
  it('automatic adoption is off by default, needs at least 2 conversations, and persists', async () => {
    const e = await env(redis);
    expect(await e.h.learning.settings()).toEqual({ autoAdopt: false, threshold: DEFAULT_THRESHOLD, updatedBy: null, updatedAt: null });
    await expect(e.h.learning.setSettings({ threshold: 1 }, 'Eddie')).rejects.toThrow(RangeError);
    await expect(e.h.learning.setSettings({ threshold: 2.5 }, 'Eddie')).rejects.toThrow(RangeError);
    const on = await e.h.learning.setSettings({ autoAdopt: true, threshold: 4 }, 'Eddie');
    expect(on).toMatchObject({ autoAdopt: true, threshold: 4, updatedBy: 'Eddie' });
    // A stored threshold below 2 (written by hand) still reads as no less than 2 conversations.
    await redis.hset(e.h.keys.learn.settings(), 'threshold', '1');
    expect((await e.h.learning.settings()).threshold).toBe(DEFAULT_THRESHOLD);
  });

  it('an adoption is claimed once, logged, undone once, and then dismissed', async () => {
    const e = await env(redis);
    const l = e.h.learning;
    expect(await l.claimAdoption('invoice', '票据怎么弄')).toBe(true);
    expect(await l.claimAdoption('invoice', '票据怎么弄')).toBe(false);
    const id = await l.logAdoption({ faqId: 'invoice', text: '票据怎么弄？', key: '票据怎么弄', convs: 3, count: 4, kinds: { picked: 2, agent: 2 } });
    const [a] = await l.adoptions();
    expect(a).toMatchObject({ id, faqId: 'invoice', text: '票据怎么弄？', convs: 3, count: 4, kinds: { picked: 2, agent: 2 }, undone: null });
    expect(await l.markUndone(a!, 'Eddie')).toBe(true);
    expect(await l.markUndone(a!, 'Eddie')).toBe(false);
    expect((await l.adoption(id))?.undone).toMatchObject({ by: 'Eddie' });
    expect(await l.dismissed()).toEqual(new Set(['invoice|票据怎么弄']));
    await l.releaseAdoption('time-limit', 'x');
    expect(await l.claimAdoption('time-limit', 'x')).toBe(true);
  });
});
