/**
 * The conversation state machine against a real redis-server: every legal transition with all its
 * effects (hash, queue, SLA timers, active/parked sets, transcript, events, outbound), every illegal
 * one refused with a typed error and nothing changed, and the claim race.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Handoff, HandoffError, STATUSES, WITHDRAWN_BY, type Conversation, type ConversationStatus } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY, slaTimes } from '../../src/handoff/sla.ts';
import { ALICE, BOB, bringTo, env, events, expectHandoffError, iso, lastEvent, ref, shuffle, snapshot, TUESDAY_10, type Env } from '../support/handoff-fixture.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, waitReady, type RedisServer } from '../support/redis.ts';

let server: RedisServer;
let redis: Redis;

useRedisServer((s, r) => {
  server = s;
  redis = r;
});

const MIN = 60_000;
const std = (t: number) => slaTimes(t, 'standard', DEFAULT_SLA_POLICY);

/** Where a conversation is listed: its score in each sorted set (null = absent). */
async function place(e: Env, id: string) {
  const k = e.h.keys;
  const botId = id.split('.')[0]!;
  const score = async (key: string, member: string) => {
    const s = await redis.zscore(key, member);
    return s === null ? null : Number(s);
  };
  return {
    queue: await score(k.queue(botId), id),
    warn: await score(k.slaTimers(botId), `${id}|warn`),
    breach: await score(k.slaTimers(botId), `${id}|breach`),
    active: await score(k.active(botId), id),
    parked: await score(k.parked(botId), id),
  };
}
const NOWHERE = { queue: null, warn: null, breach: null, active: null, parked: null };

async function lastSystemEntry(e: Env, id: string) {
  const msgs = await e.h.transcript(id);
  return msgs.filter((m) => m.from === 'system').at(-1);
}

async function outbound(e: Env, botId = 'botA') {
  return (await redis.xrange(e.h.keys.outbound(botId), '-', '+')).map(([entryId, flat]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
    return { entryId, ...f };
  });
}

// ------------------------------------------------------------------------------------------------
// Legal transitions, one by one

describe('legal transitions', () => {
  it('bot -> waiting (requestHuman): reason, question, SLA times, queue and timers, system entry, event', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'bot');
    expect((await e.h.conversation(id))!.status).toBe('bot');
    const now = e.clock.advance(MIN);
    const t = std(now);

    const ticket = await e.h.requestHuman(ref('c1'), { reason: 'low_confidence', question: '发票怎么开\n谢谢' });

    expect(ticket).toEqual({
      status: 'waiting',
      queued: true,
      position: 1,
      slaDueAt: iso(t.dueAt),
      notice: { position: 1, withinHours: true, expectedBy: t.dueAt },
    });
    const c = (await e.h.conversation(id))!;
    expect(c).toMatchObject<Partial<Conversation>>({
      id,
      botId: 'botA',
      status: 'waiting',
      customer: { id: 'c1', name: 'Name of c1', tier: 'standard' },
      assignee: null,
      reason: 'low_confidence',
      question: '发票怎么开',
      slaDueAt: iso(t.dueAt),
      slaWarnAt: iso(t.warnAt),
      waitingSince: iso(now),
      firstResponseAt: null,
      problemId: null,
      createdAt: iso(TUESDAY_10),
      updatedAt: iso(now),
      tags: [],
    });
    // Tuesday 10:01 + 540 business minutes (one business day) is Wednesday 10:01.
    expect(c.slaDueAt).toBe('2026-11-25T02:01:00.000Z');
    expect(await place(e, id)).toEqual({ ...NOWHERE, queue: t.dueAt, warn: t.warnAt, breach: t.dueAt });
    expect(await lastSystemEntry(e, id)).toMatchObject({ event: 'waiting', text: 'handoff: low_confidence', at: iso(now) });
    expect(await lastEvent(e)).toMatchObject({
      type: 'waiting',
      conv: id,
      at: iso(now),
      data: { reason: 'low_confidence', slaDueAt: String(t.dueAt), from: 'bot' },
    });
    // The profile's tier is a manager's decision only: a handoff does not write the tier it used.
    expect(await redis.hget(e.h.keys.customer('botA', 'c1'), 'tier')).toBeNull();
  });

  it('requestHuman on a customer never seen creates the conversation and queues it', async () => {
    const e = await env(redis);
    const ticket = await e.h.requestHuman({ botId: 'botA', customerId: 'fresh' }, { reason: 'non_text' });
    expect(ticket).toMatchObject({ status: 'waiting', queued: true, position: 1 });
    expect(await e.h.conversation('botA.fresh')).toMatchObject({ status: 'waiting', reason: 'non_text', question: null });
  });

  it('resolved -> waiting: a new handoff with a new SLA, the old assignee and first response cleared', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'resolved');
    const before = (await e.h.conversation(id))!;
    expect(before.firstResponseAt).not.toBeNull();
    const now = e.clock.advance(30 * MIN);
    const t = std(now);

    const ticket = await e.h.requestHuman(ref('c1'), { reason: 'not_helpful' });

    expect(ticket).toMatchObject({ status: 'waiting', queued: true, slaDueAt: iso(t.dueAt) });
    expect(await e.h.conversation(id)).toMatchObject({
      status: 'waiting',
      assignee: null,
      reason: 'not_helpful',
      slaDueAt: iso(t.dueAt),
      waitingSince: iso(now),
      firstResponseAt: null,
    });
    expect(await place(e, id)).toEqual({ ...NOWHERE, queue: t.dueAt, warn: t.warnAt, breach: t.dueAt });
    expect(await lastEvent(e)).toMatchObject({ type: 'waiting', data: { from: 'resolved', reason: 'not_helpful' } });
  });

  it('awaiting_fix -> waiting: problem cleared and the conversation leaves the parked set', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'awaiting_fix');
    expect((await place(e, id)).parked).not.toBeNull();
    const now = e.clock.advance(MIN);
    const t = std(now);

    await e.h.requestHuman(ref('c1'), { reason: 'customer_asked' });

    expect(await e.h.conversation(id)).toMatchObject({ status: 'waiting', problemId: null, slaDueAt: iso(t.dueAt) });
    expect(await place(e, id)).toEqual({ ...NOWHERE, queue: t.dueAt, warn: t.warnAt, breach: t.dueAt });
    expect(await e.h.counts()).toEqual({ waiting: 1, active: 0, awaitingFix: 0 });
    expect(await e.h.list('awaiting_fix')).toEqual([]);
    expect(await lastEvent(e)).toMatchObject({ type: 'waiting', data: { from: 'awaiting_fix' } });
  });

  it('waiting -> active (claim): assignee set, reason and SLA due kept, out of the queue and timers', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'waiting');
    const waiting = (await e.h.conversation(id))!;
    const now = e.clock.advance(5 * MIN);

    const c = await e.h.claim(id, ALICE);

    expect(c).toMatchObject({
      status: 'active',
      assignee: { id: 'alice', name: 'Alice' },
      reason: 'customer_asked',
      slaDueAt: waiting.slaDueAt,
      waitingSince: waiting.waitingSince,
      firstResponseAt: null,
      updatedAt: iso(now),
    });
    expect(await place(e, id)).toEqual({ ...NOWHERE, active: now });
    expect(await lastSystemEntry(e, id)).toMatchObject({ event: 'claimed', agentId: 'alice', agentName: 'Alice', text: 'claimed by Alice' });
    expect(await lastEvent(e)).toMatchObject({
      type: 'claimed',
      conv: id,
      data: { agentId: 'alice', agentName: 'Alice', from: 'waiting' },
    });
    expect(await e.h.list('active', { assigneeId: 'alice' })).toEqual([c]);
  });

  it.each(['bot', 'resolved'] as const)('%s -> active (agent-initiated claim): reason agent_initiated, no SLA', async (from) => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), from);
    const now = e.clock.advance(MIN);

    const c = await e.h.claim(id, BOB);

    expect(c).toMatchObject({
      status: 'active',
      assignee: { id: 'bob', name: 'Bob' },
      reason: 'agent_initiated',
      slaDueAt: null,
      slaWarnAt: null,
      waitingSince: iso(now),
      firstResponseAt: null,
      problemId: null,
    });
    expect(await place(e, id)).toEqual({ ...NOWHERE, active: now });
    expect(await lastSystemEntry(e, id)).toMatchObject({ event: 'claimed', agentId: 'bob' });
    expect(await lastEvent(e)).toMatchObject({ type: 'claimed', data: { agentId: 'bob', from } });
  });

  it('active -> active (transfer): new assignee, who may reply, the old one no longer', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'active');
    const claimedAt = (await place(e, id)).active;
    const now = e.clock.advance(MIN);

    const c = await e.h.transfer(id, BOB, { expectedOwner: 'alice' });

    expect(c).toMatchObject({ status: 'active', assignee: { id: 'bob', name: 'Bob' }, updatedAt: iso(now) });
    expect(await place(e, id)).toEqual({ ...NOWHERE, active: claimedAt });
    expect(await lastSystemEntry(e, id)).toMatchObject({ event: 'transferred', agentId: 'bob', text: 'transferred to Bob' });
    expect(await lastEvent(e)).toMatchObject({ type: 'transferred', data: { fromAgentId: 'alice', agentId: 'bob', agentName: 'Bob' } });
    const refused = await expectHandoffError(e.h.reply(id, ALICE, 'still mine?'), 'NOT_ASSIGNEE');
    expect(refused.owner).toBe('bob');
    await expect(e.h.reply(id, BOB, 'hello from Bob')).resolves.toMatchObject({ msgId: expect.any(String) });
    // A manager's override (no expected owner) takes it from whoever has it.
    await expect(e.h.transfer(id, ALICE)).resolves.toMatchObject({ assignee: { id: 'alice' } });
  });

  it('active -> active (claim again by the owner) is a no-op that changes nothing', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'active');
    const before = await snapshot(e, id);
    e.clock.advance(MIN);
    await expect(e.h.claim(id, ALICE)).resolves.toMatchObject({ status: 'active', assignee: { id: 'alice' } });
    expect(await snapshot(e, id)).toEqual(before);
  });

  it('active -> waiting (release): back in the queue with its original SLA due time and timers', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'active');
    const original = await redis.hgetall(e.h.keys.conversation(id));
    const now = e.clock.advance(3 * 60 * MIN);

    const c = await e.h.release(id, { expectedOwner: 'alice' });

    expect(c).toMatchObject({
      status: 'waiting',
      assignee: null,
      reason: 'customer_asked',
      slaDueAt: iso(Number(original.slaDueAt)),
      slaWarnAt: iso(Number(original.slaWarnAt)),
      updatedAt: iso(now),
    });
    expect(await place(e, id)).toEqual({
      ...NOWHERE,
      queue: Number(original.slaDueAt),
      warn: Number(original.slaWarnAt),
      breach: Number(original.slaDueAt),
    });
    expect(await lastSystemEntry(e, id)).toMatchObject({ event: 'released', agentId: 'alice', text: 'back to the queue' });
    expect(await lastEvent(e)).toMatchObject({ type: 'released', data: { agentId: 'alice', slaDueAt: original.slaDueAt } });
    // And someone else can now claim it.
    await expect(e.h.claim(id, BOB)).resolves.toMatchObject({ assignee: { id: 'bob' } });
  });

  it('release of an agent-initiated chat (no SLA yet) starts its SLA at the release', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'bot');
    await e.h.claim(id, ALICE);
    const now = e.clock.advance(10 * MIN);
    const t = std(now);

    const c = await e.h.release(id);

    expect(c).toMatchObject({ status: 'waiting', slaDueAt: iso(t.dueAt), slaWarnAt: iso(t.warnAt), reason: 'agent_initiated' });
    expect(await place(e, id)).toEqual({ ...NOWHERE, queue: t.dueAt, warn: t.warnAt, breach: t.dueAt });
  });

  it('active -> resolved by its assignee after a reply: out of every set, timers gone, a `resolved` message for the bot (the rating question)', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'active');
    await e.h.reply(id, ALICE, '已为您处理');
    const outBefore = (await outbound(e)).length;
    const now = e.clock.advance(MIN);

    const c = await e.h.resolve(id, { by: 'alice', expectedOwner: 'alice' });

    expect(c).toMatchObject({ status: 'resolved', updatedAt: iso(now), resolvedBy: 'alice' });
    expect(await place(e, id)).toEqual(NOWHERE);
    expect(await e.h.counts()).toEqual({ waiting: 0, active: 0, awaitingFix: 0 });
    expect(await lastSystemEntry(e, id)).toMatchObject({ event: 'resolved', agentId: 'alice', at: iso(now) });
    expect(await lastEvent(e)).toMatchObject({ type: 'resolved', conv: id, data: { agentId: 'alice', from: 'active', askRating: '1' } });
    const out = await outbound(e);
    expect(out).toHaveLength(outBefore + 1);
    expect(out.at(-1)).toMatchObject({
      kind: 'resolved',
      conv: id,
      customerId: 'c1',
      text: '',
      at: String(now),
      msgId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it.each(['waiting', 'active', 'awaiting_fix'] as const)(
    '%s -> resolved with no agent reply (a manager\'s close): out of every set, and nothing for the customer',
    async (from) => {
      const e = await env(redis);
      const id = await bringTo(e, ref('c1'), from);
      const outBefore = await outbound(e);
      const now = e.clock.advance(MIN);

      const c = await e.h.resolve(id, { by: 'mia' });

      expect(c).toMatchObject({ status: 'resolved', updatedAt: iso(now), resolvedBy: 'mia' });
      expect(await place(e, id)).toEqual(NOWHERE);
      expect(await lastSystemEntry(e, id)).toMatchObject({ event: 'resolved', agentId: 'mia', at: iso(now) });
      expect(await lastEvent(e)).toMatchObject({ type: 'resolved', conv: id, data: { agentId: 'mia', from, askRating: '0' } });
      expect(await outbound(e)).toEqual(outBefore);
    },
  );

  it('waiting -> resolved by the customer leaving the queue (withdraw): closed by `customer`, counted as withdrawn, not resolved; a retry changes nothing', async () => {
    const e = await env(redis);
    const r = ref('c1');
    const id = await bringTo(e, r, 'waiting');
    const outBefore = await outbound(e);
    const now = e.clock.advance(MIN);

    expect(await e.h.withdraw(r)).toBe(true);

    expect(await e.h.conversation(id)).toMatchObject({ status: 'resolved', updatedAt: iso(now), resolvedBy: WITHDRAWN_BY });
    expect(await place(e, id)).toEqual(NOWHERE);
    expect(await lastSystemEntry(e, id)).toMatchObject({ event: 'resolved', agentId: WITHDRAWN_BY, at: iso(now) });
    expect(await lastEvent(e)).toMatchObject({ type: 'resolved', conv: id, data: { agentId: WITHDRAWN_BY, from: 'waiting', askRating: '0' } });
    // No rating question: nobody served them.
    expect(await outbound(e)).toEqual(outBefore);
    const totals = await e.h.totals();
    expect(totals).toMatchObject({ withdrawn: 1 });
    expect(totals.resolved ?? 0).toBe(0);
    // Redone (a journal replay after a lost reply): answered as done, counted once.
    const entries = (await e.h.transcript(id)).length;
    expect(await e.h.withdraw(r)).toBe(true);
    expect((await e.h.transcript(id)).length).toBe(entries);
    expect((await e.h.totals()).withdrawn).toBe(1);
  });

  it('waiting -> waiting, due sooner (escalate): a complaint is due as a VIP\'s from now, moved up the queue with its timers; redone, or already due as soon, nothing changes', async () => {
    const e = await env(redis);
    const r = ref('c1');
    const id = await bringTo(e, r, 'waiting');
    const before = await place(e, id);
    const now = e.clock.advance(10 * MIN);
    const vip = slaTimes(now, 'vip', DEFAULT_SLA_POLICY);
    expect(vip.dueAt).toBeLessThan(before.queue!);

    expect(await e.h.escalate(r)).toBe(true);

    expect(await place(e, id)).toEqual({ ...NOWHERE, queue: vip.dueAt, warn: vip.warnAt, breach: vip.dueAt });
    expect(await e.h.conversation(id)).toMatchObject({ status: 'waiting', reason: 'complaint', slaDueAt: iso(vip.dueAt) });
    expect(await lastSystemEntry(e, id)).toMatchObject({ event: 'escalated', at: iso(now) });
    expect(await lastEvent(e)).toMatchObject({ type: 'escalated', conv: id, data: { reason: 'complaint', slaDueAt: String(vip.dueAt) } });
    const snap = await snapshot(e, id);
    e.clock.advance(MIN);
    expect(await e.h.escalate(r)).toBe(false);
    expect(await snapshot(e, id)).toEqual(snap);
  });

  it.each(['active', 'awaiting_fix', 'bot', 'resolved'] as const)('%s: escalate changes nothing (only a waiting chat moves up)', async (from) => {
    const e = await env(redis);
    const r = ref('c1');
    const id = await bringTo(e, r, from);
    const before = await snapshot(e, id);
    e.clock.advance(MIN);
    expect(await e.h.escalate(r)).toBe(false);
    expect(await snapshot(e, id)).toEqual(before);
  });

  it.each(['active', 'awaiting_fix', 'bot'] as const)('%s: the customer cannot withdraw (an agent has it, or it is not queued); nothing changes', async (from) => {
    const e = await env(redis);
    const r = ref('c1');
    const id = await bringTo(e, r, from);
    const before = await snapshot(e, id);
    e.clock.advance(MIN);
    expect(await e.h.withdraw(r)).toBe(false);
    expect(await snapshot(e, id)).toEqual(before);
  });

  it.each(['waiting', 'active'] as const)('%s -> awaiting_fix (park): problem recorded, in the parked set only', async (from) => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), from);
    const now = e.clock.advance(MIN);

    const c = await e.h.park(id, { problemId: 'P9', by: 'alice' });

    expect(c).toMatchObject({ status: 'awaiting_fix', problemId: 'P9', updatedAt: iso(now) });
    expect(await place(e, id)).toEqual({ ...NOWHERE, parked: now });
    expect(await e.h.list('awaiting_fix')).toEqual([c]);
    expect(await lastSystemEntry(e, id)).toMatchObject({ event: 'parked', agentId: 'alice', text: 'waiting for a fix: P9' });
    expect(await lastEvent(e)).toMatchObject({ type: 'parked', data: { problemId: 'P9', agentId: 'alice', from } });
  });

  it('resolved -> bot when the customer writes again (a bot message does not reopen it)', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'resolved');
    // The bot asks for a rating: still resolved.
    await expect(e.h.recordMessage(ref('c1'), { from: 'bot', text: '请为本次服务打分' })).resolves.toMatchObject({ status: 'resolved' });
    expect((await e.h.conversation(id))!.status).toBe('resolved');

    const now = e.clock.advance(MIN);
    const r = await e.h.recordMessage(ref('c1'), { from: 'customer', text: '还有一个问题' });

    expect(r).toMatchObject({ conversationId: id, status: 'bot' });
    // The last handoff's owner and timers no longer describe the chat.
    expect(await e.h.conversation(id)).toMatchObject({
      status: 'bot',
      updatedAt: iso(now),
      assignee: null,
      reason: null,
      slaDueAt: null,
      waitingSince: null,
    });
    expect(await place(e, id)).toEqual(NOWHERE);
    const [reopened, message] = (await events(e, 'botA')).slice(-2);
    expect(reopened).toMatchObject({ type: 'reopened', conv: id });
    expect(message).toMatchObject({ type: 'message', data: { from: 'customer', status: 'bot', msg: r.id } });
  });

  it('a whole life: bot -> waiting -> active -> waiting -> active -> awaiting_fix -> waiting -> active -> resolved -> bot', async () => {
    const e = await env(redis);
    const r = ref('life');
    const id = await bringTo(e, r, 'bot');
    const step = async (f: () => Promise<unknown>, expected: ConversationStatus) => {
      e.clock.advance(MIN);
      await f();
      expect((await e.h.conversation(id))!.status).toBe(expected);
    };
    await step(() => e.h.requestHuman(r, { reason: 'customer_asked' }), 'waiting');
    await step(() => e.h.claim(id, ALICE), 'active');
    await step(() => e.h.release(id), 'waiting');
    await step(() => e.h.claim(id, BOB), 'active');
    await step(() => e.h.park(id, { problemId: 'P1', by: 'bob' }), 'awaiting_fix');
    await step(() => e.h.requestHuman(r, { reason: 'customer_asked' }), 'waiting');
    await step(() => e.h.claim(id, ALICE), 'active');
    await step(() => e.h.resolve(id, { by: 'alice' }), 'resolved');
    await step(() => e.h.recordMessage(r, { from: 'customer', text: 'again' }), 'bot');
    const system = (await e.h.transcript(id)).filter((m) => m.from === 'system').map((m) => m.event);
    expect(system).toEqual(['waiting', 'claimed', 'released', 'claimed', 'parked', 'waiting', 'claimed', 'resolved']);
    expect(await e.h.counts()).toEqual({ waiting: 0, active: 0, awaitingFix: 0 });
  });
});

// ------------------------------------------------------------------------------------------------
// Every operation in every status

type Outcome = 'ok' | 'noop' | 'ILLEGAL_TRANSITION' | 'CONFLICT' | 'NOT_ASSIGNEE';

interface Op {
  name: string;
  run: (e: Env, id: string) => Promise<unknown>;
  /** Status after a legal run; none = the status it was in. */
  to?: ConversationStatus;
  /** What HandoffError.to says when refused as illegal. */
  target: string;
  outcome: Record<ConversationStatus, Outcome>;
  /** The owner a CONFLICT / NOT_ASSIGNEE names, by status (default alice; '' = nobody). */
  owner?: Partial<Record<ConversationStatus, string>>;
}

const r1 = ref('c1');
const ILLEGAL = 'ILLEGAL_TRANSITION';
const OPS: Op[] = [
  {
    name: 'requestHuman',
    run: (e) => e.h.requestHuman(r1, { reason: 'customer_asked' }),
    to: 'waiting',
    target: 'waiting',
    outcome: { bot: 'ok', waiting: 'noop', active: 'noop', awaiting_fix: 'ok', resolved: 'ok' },
  },
  {
    name: 'claim by the owner (alice)',
    run: (e, id) => e.h.claim(id, ALICE),
    to: 'active',
    target: 'active',
    outcome: { bot: 'ok', waiting: 'ok', active: 'noop', awaiting_fix: ILLEGAL, resolved: 'ok' },
  },
  {
    name: 'claim by another agent (bob)',
    run: (e, id) => e.h.claim(id, BOB),
    to: 'active',
    target: 'active',
    outcome: { bot: 'ok', waiting: 'ok', active: 'CONFLICT', awaiting_fix: ILLEGAL, resolved: 'ok' },
  },
  {
    name: 'transfer to bob',
    run: (e, id) => e.h.transfer(id, BOB, { expectedOwner: 'alice' }),
    to: 'active',
    target: 'active',
    outcome: { bot: ILLEGAL, waiting: ILLEGAL, active: 'ok', awaiting_fix: ILLEGAL, resolved: ILLEGAL },
  },
  {
    name: 'transfer expecting the wrong owner',
    run: (e, id) => e.h.transfer(id, ALICE, { expectedOwner: 'bob' }),
    to: 'active',
    target: 'active',
    outcome: { bot: ILLEGAL, waiting: ILLEGAL, active: 'CONFLICT', awaiting_fix: ILLEGAL, resolved: ILLEGAL },
  },
  {
    name: 'release',
    run: (e, id) => e.h.release(id),
    to: 'waiting',
    target: 'waiting',
    outcome: { bot: ILLEGAL, waiting: ILLEGAL, active: 'ok', awaiting_fix: ILLEGAL, resolved: ILLEGAL },
  },
  {
    name: 'release expecting the wrong owner',
    run: (e, id) => e.h.release(id, { expectedOwner: 'bob' }),
    to: 'waiting',
    target: 'waiting',
    outcome: { bot: ILLEGAL, waiting: ILLEGAL, active: 'CONFLICT', awaiting_fix: ILLEGAL, resolved: ILLEGAL },
  },
  {
    name: 'release by the owner (alice)',
    run: (e, id) => e.h.release(id, { expectedOwner: 'alice', by: 'alice' }),
    to: 'waiting',
    target: 'waiting',
    // Waiting here came from the bot, not from alice's release: not a retry of hers.
    outcome: { bot: ILLEGAL, waiting: ILLEGAL, active: 'ok', awaiting_fix: ILLEGAL, resolved: ILLEGAL },
  },
  {
    name: 'resolve without an owner check (as alice)',
    run: (e, id) => e.h.resolve(id, { by: 'alice' }),
    to: 'resolved',
    target: 'resolved',
    // Resolved here was resolved by alice: her resolve again is a retry.
    outcome: { bot: ILLEGAL, waiting: 'ok', active: 'ok', awaiting_fix: 'ok', resolved: 'noop' },
  },
  {
    name: 'resolve without an owner check (as bob)',
    run: (e, id) => e.h.resolve(id, { by: 'bob' }),
    to: 'resolved',
    target: 'resolved',
    outcome: { bot: ILLEGAL, waiting: 'ok', active: 'ok', awaiting_fix: 'ok', resolved: ILLEGAL },
  },
  {
    name: 'resolve by the owner (alice)',
    run: (e, id) => e.h.resolve(id, { by: 'alice', expectedOwner: 'alice' }),
    to: 'resolved',
    target: 'resolved',
    // Nobody owns a waiting chat, nor one parked from the queue: claim it first.
    outcome: { bot: ILLEGAL, waiting: 'NOT_ASSIGNEE', active: 'ok', awaiting_fix: 'NOT_ASSIGNEE', resolved: 'noop' },
    owner: { waiting: '', awaiting_fix: '' },
  },
  {
    name: 'resolve expecting the wrong owner',
    run: (e, id) => e.h.resolve(id, { by: 'bob', expectedOwner: 'bob' }),
    to: 'resolved',
    target: 'resolved',
    outcome: { bot: ILLEGAL, waiting: 'NOT_ASSIGNEE', active: 'CONFLICT', awaiting_fix: 'NOT_ASSIGNEE', resolved: ILLEGAL },
    owner: { waiting: '', awaiting_fix: '' },
  },
  {
    name: 'park',
    run: (e, id) => e.h.park(id, { problemId: 'P2', by: 'alice' }),
    to: 'awaiting_fix',
    target: 'awaiting_fix',
    outcome: { bot: ILLEGAL, waiting: 'ok', active: 'ok', awaiting_fix: ILLEGAL, resolved: ILLEGAL },
  },
  {
    name: 'park on the problem it is parked on (P1)',
    run: (e, id) => e.h.park(id, { problemId: 'P1', by: 'bob' }),
    to: 'awaiting_fix',
    target: 'awaiting_fix',
    outcome: { bot: ILLEGAL, waiting: 'ok', active: 'ok', awaiting_fix: 'noop', resolved: ILLEGAL },
  },
  {
    name: 'tags by another agent (bob)',
    run: (e, id) => e.h.setTags(id, ['x'], { by: 'bob' }),
    target: 'tags',
    // Alice's active chat and the chat she resolved are hers; nobody owns the others.
    outcome: { bot: 'ok', waiting: 'ok', active: 'NOT_ASSIGNEE', awaiting_fix: 'ok', resolved: 'NOT_ASSIGNEE' },
  },
  {
    name: 'tags by the owner (alice)',
    run: (e, id) => e.h.setTags(id, ['x'], { by: 'alice' }),
    target: 'tags',
    outcome: { bot: 'ok', waiting: 'ok', active: 'ok', awaiting_fix: 'ok', resolved: 'ok' },
  },
  {
    name: 'tags by a manager',
    run: (e, id) => e.h.setTags(id, ['x'], { by: 'mia', manager: true }),
    target: 'tags',
    outcome: { bot: 'ok', waiting: 'ok', active: 'ok', awaiting_fix: 'ok', resolved: 'ok' },
  },
  {
    name: 'reply by the owner (alice)',
    run: (e, id) => e.h.reply(id, ALICE, 'hi'),
    to: 'active',
    target: 'reply',
    outcome: { bot: ILLEGAL, waiting: ILLEGAL, active: 'ok', awaiting_fix: ILLEGAL, resolved: ILLEGAL },
  },
  {
    name: 'reply by a non-owner (bob)',
    run: (e, id) => e.h.reply(id, BOB, 'hi'),
    to: 'active',
    target: 'reply',
    outcome: { bot: ILLEGAL, waiting: ILLEGAL, active: 'NOT_ASSIGNEE', awaiting_fix: ILLEGAL, resolved: ILLEGAL },
  },
];

const CASES = OPS.flatMap((op) => STATUSES.map((status) => ({ op, status, outcome: op.outcome[status] })));

describe('every operation in every status', () => {
  it('the table covers every status', () => {
    expect(STATUSES).toEqual(['bot', 'waiting', 'active', 'awaiting_fix', 'resolved']);
    expect(CASES.filter((c) => c.outcome !== 'ok' && c.outcome !== 'noop').length).toBeGreaterThan(30);
  });

  it.each(CASES.map((c) => [c.op.name, c.status, c.outcome, c] as const))('%s in %s: %s', async (_n, status, outcome, { op }) => {
    const e = await env(redis);
    const id = await bringTo(e, r1, status);
    const before = await snapshot(e, id);
    e.clock.advance(MIN);

    if (outcome === 'ok') {
      await op.run(e, id);
      expect((await e.h.conversation(id))!.status).toBe(op.to ?? status);
      return;
    }
    if (outcome === 'noop') {
      const res = await op.run(e, id);
      if (op.name === 'requestHuman') expect(res).toMatchObject({ status, queued: false });
      expect(await snapshot(e, id)).toEqual(before);
      return;
    }
    const err = await expectHandoffError(op.run(e, id), outcome);
    if (outcome === 'ILLEGAL_TRANSITION') {
      expect(err).toMatchObject({ from: status, to: op.target });
      expect(err.message).toBe(`conversation ${id}: ${status} -> ${op.target} is not allowed`);
    } else {
      const owner = op.owner?.[status] ?? 'alice';
      expect(err.owner).toBe(owner);
      expect(err.message).toContain(owner || 'claim it first');
    }
    expect(await snapshot(e, id)).toEqual(before);
  });

  it('requestHuman while waiting or active returns the current state and changes nothing', async () => {
    const e = await env(redis);
    const id = await bringTo(e, r1, 'waiting');
    const first = (await e.h.conversation(id))!;
    e.clock.advance(MIN);
    const again = await e.h.requestHuman(r1, { reason: 'not_helpful' });
    expect(again).toMatchObject({ status: 'waiting', queued: false, position: 1, slaDueAt: first.slaDueAt });
    await e.h.claim(id, ALICE);
    expect(await e.h.requestHuman(r1, { reason: 'not_helpful' })).toEqual({
      status: 'active',
      queued: false,
      position: 0,
      slaDueAt: first.slaDueAt,
      notice: null,
    });
    expect((await e.h.conversation(id))!.reason).toBe('customer_asked');
  });

  const MISSING: [string, (e: Env, id: string) => Promise<unknown>][] = [
    ['claim', (e, id) => e.h.claim(id, ALICE)],
    ['transfer', (e, id) => e.h.transfer(id, BOB)],
    ['release', (e, id) => e.h.release(id)],
    ['resolve', (e, id) => e.h.resolve(id, { by: 'alice' })],
    ['park', (e, id) => e.h.park(id, { problemId: 'P1', by: 'alice' })],
    ['reply', (e, id) => e.h.reply(id, ALICE, 'hi')],
    ['note', (e, id) => e.h.note(id, ALICE, 'hi')],
    ['setTags', (e, id) => e.h.setTags(id, ['x'])],
  ];

  it.each(MISSING)('%s of an unknown conversation: NOT_FOUND, and no key is created', async (_name, run) => {
    const e = await env(redis);
    await bringTo(e, ref('other'), 'waiting');
    const before = await snapshot(e, 'botA.ghost');
    const err = await expectHandoffError(run(e, 'botA.ghost'), 'NOT_FOUND');
    expect(err.message).toBe('conversation botA.ghost not found');
    expect(await snapshot(e, 'botA.ghost')).toEqual(before);
    expect(await e.h.conversation('botA.ghost')).toBeNull();
  });
});

// ------------------------------------------------------------------------------------------------
// The race

describe('claim race', () => {
  it('1,000 concurrent claims of 100 conversations from 10 clients: exactly one owner each', async () => {
    const prefix = randomPrefix();
    const setup = await env(redis, { prefix });
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      setup.clock.advance(1000);
      await setup.h.requestHuman(ref(`c${i}`), { reason: 'customer_asked' });
      ids.push(`botA.c${i}`);
    }
    expect((await setup.h.counts()).waiting).toBe(100);

    const clients = Array.from({ length: 10 }, () => server.client());
    await Promise.all(clients.map((c) => waitReady(c)));
    const handoffs = clients.map((c) => new Handoff(c, { prefix, policy: DEFAULT_SLA_POLICY }));
    const agents = handoffs.map((_, i) => ({ id: `agent${i}`, name: `Agent ${i}` }));

    const calls = shuffle(agents.flatMap((_, a) => ids.map((_, c) => ({ a, c }))), 7);
    expect(calls).toHaveLength(1000);
    const results = await Promise.allSettled(calls.map(({ a, c }) => handoffs[a]!.claim(ids[c]!, agents[a]!)));

    for (const [c, id] of ids.entries()) {
      const mine = calls.flatMap((call, i) => (call.c === c ? [{ ...call, result: results[i]! }] : []));
      expect(mine).toHaveLength(10);
      const won = mine.filter((m) => m.result.status === 'fulfilled');
      expect(won, `winners of ${id}`).toHaveLength(1);
      const winner = agents[won[0]!.a]!.id;
      const fulfilled = won[0]!.result as PromiseFulfilledResult<Conversation>;
      expect(fulfilled.value).toMatchObject({ status: 'active', assignee: { id: winner } });
      for (const lost of mine.filter((m) => m.result.status === 'rejected')) {
        const reason = (lost.result as PromiseRejectedResult).reason as unknown;
        expect(reason).toBeInstanceOf(HandoffError);
        expect(reason).toMatchObject({ code: 'CONFLICT', owner: winner });
      }
      const stored = (await setup.h.conversation(id))!;
      expect(stored.assignee?.id).toBe(winner);
      const claimed = (await setup.h.transcript(id)).filter((m) => m.event === 'claimed');
      expect(claimed.map((m) => m.agentId)).toEqual([winner]);
    }
    expect(await setup.h.counts()).toEqual({ waiting: 0, active: 100, awaitingFix: 0 });
    expect(await redis.zcard(setup.h.keys.slaTimers('botA'))).toBe(0);
    const claimedEvents = (await redis.xrange(setup.h.keys.events('botA'), '-', '+')).filter(([, f]) => f[1] === 'claimed');
    expect(claimedEvents).toHaveLength(100);
    for (const c of clients) c.disconnect();
  });
});
