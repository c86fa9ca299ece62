/**
 * The SLA queue against a real redis-server: ordering across bot accounts, the ticket a queued
 * customer gets (position, business-hours notice), tiers (by a manager, by a rule) and tags,
 * and the listings the console reads.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import type { CustomerRef, Tier } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY, slaTimes } from '../../src/handoff/sla.ts';
import { ALICE, at, BOB, bringTo, env, FRIDAY_1830, iso, lastEvent, MONDAY_09, ref, shuffle, TUESDAY_10, type Env } from '../support/handoff-fixture.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, waitReady, type RedisServer } from '../support/redis.ts';

let server: RedisServer;
let redis: Redis;

useRedisServer((s, r) => {
  server = s;
  redis = r;
});

const MIN = 60_000;
const due = (t: number, tier: Tier = 'standard') => slaTimes(t, tier, DEFAULT_SLA_POLICY).dueAt;

/** Queues `customerId` of `botId` at wall-clock `when` (Shanghai). */
async function queueAt(e: Env, when: number, customerId: string, botId = 'botA') {
  e.clock.t = when;
  return e.h.requestHuman(ref(customerId, botId), { reason: 'customer_asked', question: `question of ${customerId}` });
}

describe('listWaiting', () => {
  it('orders every bot account by SLA due time: a VIP who asked later goes ahead of earlier standard customers', async () => {
    const e = await env(redis, { bots: ['botA', 'botB'] });
    await queueAt(e, at('2026-11-24T10:00'), 'a1');
    await queueAt(e, at('2026-11-24T10:01'), 'b1', 'botB');
    await queueAt(e, at('2026-11-24T10:02'), 'a2');
    await e.h.setTier('botB', 'v1', 'vip');
    const vip = await queueAt(e, at('2026-11-24T10:10'), 'v1', 'botB');
    const late = await queueAt(e, at('2026-11-24T10:15'), 'a3');

    // The VIP's 30 business minutes end at 10:40 today; the others are due tomorrow.
    expect(vip).toMatchObject({ queued: true, position: 1, slaDueAt: iso(at('2026-11-24T10:40')) });
    expect(late).toMatchObject({ queued: true, position: 5, slaDueAt: iso(at('2026-11-25T10:15')) });

    const list = await e.h.listWaiting();
    expect(list.map((c) => c.id)).toEqual(['botB.v1', 'botA.a1', 'botB.b1', 'botA.a2', 'botA.a3']);
    expect(list.map((c) => c.slaDueAt)).toEqual(
      ['2026-11-24T10:40', '2026-11-25T10:00', '2026-11-25T10:01', '2026-11-25T10:02', '2026-11-25T10:15'].map((s) => iso(at(s))),
    );
    expect(list[0]).toMatchObject({ status: 'waiting', customer: { id: 'v1', tier: 'vip' }, question: 'question of v1' });

    expect((await e.h.listWaiting(2)).map((c) => c.id)).toEqual(['botB.v1', 'botA.a1']);
    expect((await e.h.listWaiting(0)).map((c) => c.id)).toEqual(['botB.v1']); // at least one

    // Claimed conversations leave the list; released ones come back in their old place.
    await e.h.claim('botB.v1', ALICE);
    await e.h.claim('botA.a2', BOB);
    expect((await e.h.listWaiting()).map((c) => c.id)).toEqual(['botA.a1', 'botB.b1', 'botA.a3']);
    await e.h.release('botA.a2');
    expect((await e.h.listWaiting()).map((c) => c.id)).toEqual(['botA.a1', 'botB.b1', 'botA.a2', 'botA.a3']);
  });

  it('with 2,000 waiting, listWaiting(50) returns the 50 smallest due times, reading only those 50 conversations', async () => {
    const prefix = randomPrefix();
    const client = server.client();
    await waitReady(client);
    // Every 7th customer is a VIP by rule, so due times interleave.
    const tierRule = (r: CustomerRef): Tier | undefined => (Number(r.customerId.slice(1)) % 7 === 0 ? 'vip' : undefined);
    const e = await env(client, { prefix, bots: ['botA', 'botB'], tierRule });

    const expected: { id: string; due: number }[] = [];
    const pending: Promise<unknown>[] = [];
    const order = shuffle(Array.from({ length: 2000 }, (_, i) => i), 3);
    for (const i of order) {
      const botId = i % 2 ? 'botB' : 'botA';
      const customerId = `c${i}`;
      // A distinct start within Tuesday's business hours (the clock is read before requestHuman's first await).
      const start = TUESDAY_10 + i * 7_919;
      e.clock.t = start;
      pending.push(e.h.requestHuman({ botId, customerId }, { reason: 'low_confidence' }));
      expected.push({ id: `${botId}.${customerId}`, due: due(start, i % 7 === 0 ? 'vip' : 'standard') });
    }
    await Promise.all(pending);
    expect((await e.h.counts()).waiting).toBe(2000);
    expected.sort((a, b) => a.due - b.due || (a.id < b.id ? -1 : 1));

    // What reached Redis (the hashes are read in one pipeline per bot account).
    // Hash reads of either kind (lists read only the fields they show, with HMGET).
    const hgetalls = async () => {
      const stats = await client.info('commandstats');
      const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      return calls('hgetall') + calls('hmget');
    };
    const hgetallBefore = await hgetalls();
    const zrange = vi.spyOn(client, 'zrange');
    const top = await e.h.listWaiting(50);
    const hgetall = (await hgetalls()) - hgetallBefore;

    expect(top.map((c) => [c.id, c.slaDueAt])).toEqual(expected.slice(0, 50).map((x) => [x.id, iso(x.due)]));
    // Sorted-set reads of the first 50 per bot, then 50 hashes: never the whole queue.
    expect(hgetall).toBe(50);
    expect(zrange.mock.calls.map((c) => c.slice(1, 3))).toEqual([
      ['0', '49'],
      ['0', '49'],
    ]);
    vi.restoreAllMocks();
    client.disconnect();
  });
});

describe('requestHuman ticket', () => {
  it('position counts the waiting conversations of every bot account that are due earlier', async () => {
    const e = await env(redis, { bots: ['botA', 'botB'] });
    expect(await queueAt(e, at('2026-11-24T10:00'), 'a1')).toMatchObject({ position: 1 });
    expect(await queueAt(e, at('2026-11-24T10:01'), 'b1', 'botB')).toMatchObject({ position: 2 });
    expect(await queueAt(e, at('2026-11-24T10:02'), 'a2')).toMatchObject({ position: 3 });
    // Once the first is claimed, everyone moves up.
    await e.h.claim('botA.a1', ALICE);
    e.clock.advance(MIN);
    expect(await e.h.requestHuman(ref('a2'), { reason: 'customer_asked' })).toMatchObject({ queued: false, position: 2 });
  });

  it('queuePlace reads a waiting chat\'s place now (the others ahead across accounts, its own due time) and writes nothing; null when not waiting', async () => {
    const e = await env(redis, { bots: ['botA', 'botB'] });
    await queueAt(e, at('2026-11-24T10:00'), 'a1');
    await queueAt(e, at('2026-11-24T10:01'), 'b1', 'botB');
    const asked = await queueAt(e, at('2026-11-24T10:02'), 'a2');
    e.clock.advance(30 * MIN);
    const before = await redis.dbsize();
    const events = await redis.xlen(e.h.keys.events('botA'));
    expect(await e.h.queuePlace(ref('a2'))).toEqual({ ...asked, queued: false, notice: { position: 3, withinHours: true, expectedBy: asked.notice!.expectedBy } });
    // Nothing of it in Redis: no key, no event.
    expect(await redis.dbsize()).toBe(before);
    expect(await redis.xlen(e.h.keys.events('botA'))).toBe(events);
    await e.h.claim('botB.b1', ALICE);
    expect(await e.h.queuePlace(ref('a2'))).toMatchObject({ position: 2, notice: { position: 2 } });
    expect(await e.h.queuePlace(ref('b1', 'botB'))).toBeNull();
    expect(await e.h.queuePlace(ref('nobody'))).toBeNull();
  });

  it('within business hours: no opening time, expected by the SLA due time', async () => {
    const e = await env(redis);
    const t = await queueAt(e, TUESDAY_10, 'c1');
    expect(t).toEqual({
      status: 'waiting',
      queued: true,
      position: 1,
      slaDueAt: iso(due(TUESDAY_10)),
      notice: { position: 1, withinHours: true, expectedBy: due(TUESDAY_10) },
    });
  });

  it('Friday 18:30: outside business hours, told the Monday 09:00 opening; a repeat is not re-queued', async () => {
    const e = await env(redis, { t: FRIDAY_1830 });
    const first = await queueAt(e, FRIDAY_1830, 'c1');
    // 540 business minutes from Monday 09:00 end at Monday 18:00.
    const dueAt = at('2026-11-30T18:00');
    expect(first).toEqual({
      status: 'waiting',
      queued: true,
      position: 1,
      slaDueAt: iso(dueAt),
      notice: { position: 1, withinHours: false, opensAt: MONDAY_09, expectedBy: dueAt },
    });
    const events = await redis.xlen(e.h.keys.events('botA'));

    // Asking again on Saturday morning: same place, same promise, nothing written.
    const again = await queueAt(e, at('2026-11-28T10:00'), 'c1');
    expect(again).toEqual({
      status: 'waiting',
      queued: false,
      position: 1,
      slaDueAt: iso(dueAt),
      notice: { position: 1, withinHours: false, opensAt: MONDAY_09, expectedBy: dueAt },
    });
    expect(await redis.xlen(e.h.keys.events('botA'))).toBe(events);
    expect((await e.h.conversation('botA.c1'))!.waitingSince).toBe(iso(FRIDAY_1830));
  });

  it('a VIP on Friday 18:30 is due Monday 09:30', async () => {
    const e = await env(redis, { t: FRIDAY_1830 });
    await e.h.setTier('botA', 'v', 'vip');
    expect(await queueAt(e, FRIDAY_1830, 'v')).toMatchObject({
      slaDueAt: iso(at('2026-11-30T09:30')),
      notice: { withinHours: false, opensAt: MONDAY_09, expectedBy: at('2026-11-30T09:30') },
    });
  });
});

describe('tiers and tags', () => {
  it('setTier before any conversation: recorded on the profile (no conversation created), used by the next handoff', async () => {
    const e = await env(redis);
    await e.h.setTier('botA', 'c1', 'vip');
    expect(await e.h.conversation('botA.c1')).toBeNull();
    expect(await redis.hget(e.h.keys.customer('botA', 'c1'), 'tier')).toBe('vip');
    expect(await lastEvent(e)).toMatchObject({ type: 'tier', conv: 'botA.c1', data: { tier: 'vip' } });

    const t = await queueAt(e, TUESDAY_10, 'c1');
    expect(t.slaDueAt).toBe(iso(at('2026-11-24T10:30')));
    expect(await e.h.conversation('botA.c1')).toMatchObject({
      customer: { tier: 'vip' },
      slaWarnAt: iso(at('2026-11-24T10:24')),
    });
  });

  it('setTier while waiting keeps the current due time; the next handoff uses the new tier', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'waiting');
    const before = (await e.h.conversation(id))!;
    expect(before.customer.tier).toBe('standard');

    await e.h.setTier('botA', 'c1', 'vip');

    const now = (await e.h.conversation(id))!;
    expect(now.customer.tier).toBe('vip');
    expect(now.slaDueAt).toBe(before.slaDueAt);
    expect(Number(await redis.zscore(e.h.keys.queue('botA'), id))).toBe(Date.parse(before.slaDueAt!));

    await e.h.claim(id, ALICE);
    await e.h.resolve(id, { by: 'alice' });
    await e.h.recordMessage(ref('c1'), { from: 'customer', text: 'one more thing' });
    const t = await queueAt(e, at('2026-11-24T14:00'), 'c1');
    expect(t.slaDueAt).toBe(iso(at('2026-11-24T14:30')));
  });

  it('a tier rule applies when no manager decided; a manager decision overrides the rule', async () => {
    const rule = vi.fn((r: CustomerRef): Tier | undefined => (r.customerId.startsWith('vip') ? 'vip' : undefined));
    const e = await env(redis, { tierRule: rule });
    expect((await queueAt(e, TUESDAY_10, 'vip1')).slaDueAt).toBe(iso(at('2026-11-24T10:30')));
    expect((await queueAt(e, TUESDAY_10, 'plain')).slaDueAt).toBe(iso(at('2026-11-25T10:00')));
    expect(rule).toHaveBeenCalledWith(expect.objectContaining({ botId: 'botA', customerId: 'vip1' }));

    // Due at the same instant as an earlier customer: queued 1 ms behind them (first come, first served).
    await e.h.setTier('botA', 'vip2', 'standard');
    expect((await queueAt(e, TUESDAY_10, 'vip2')).slaDueAt).toBe(iso(at('2026-11-25T10:00') + 1));
    await e.h.setTier('botA', 'plain2', 'vip');
    expect((await queueAt(e, TUESDAY_10, 'plain2')).slaDueAt).toBe(iso(at('2026-11-24T10:30') + 1));
  });

  it('serves customers due at the same instant in the order they asked', async () => {
    const e = await env(redis);
    // Saturday: everyone is due at the same business instant (Monday 09:00 + one business day).
    const saturday = at('2026-11-28T10:00');
    const tickets = [];
    for (const [i, c] of ['zed', 'amy', 'max'].entries()) tickets.push(await queueAt(e, saturday + i * 3_600_000, c));
    expect(tickets.map((t) => t.position)).toEqual([1, 2, 3]);
    expect((await e.h.listWaiting(10)).map((c) => c.customer.id)).toEqual(['zed', 'amy', 'max']);
    const dues = tickets.map((t) => Date.parse(t.slaDueAt!));
    expect(dues[1]! - dues[0]!).toBe(1);
    expect(dues[2]! - dues[1]!).toBe(1);
  });

  it('setTags trims, drops empties and duplicates, and records an event; status untouched', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'waiting');
    const now = e.clock.advance(MIN);
    const c = await e.h.setTags(id, [' 退款 ', '退款', '', '  ', 'VIP候选']);
    expect(c).toMatchObject({ status: 'waiting', tags: ['退款', 'VIP候选'], updatedAt: iso(now) });
    expect(await lastEvent(e)).toMatchObject({ type: 'tags', conv: id, data: { tags: JSON.stringify(['退款', 'VIP候选']) } });
    expect((await e.h.setTags(id, [])).tags).toEqual([]);
  });
});

describe('counts and lists', () => {
  it('counts and lists per status across bot accounts; active by assignee, newest first', async () => {
    const e = await env(redis, { bots: ['botA', 'botB'] });
    const w = await bringTo(e, ref('w', 'botB'), 'waiting');
    const a1 = await bringTo(e, ref('a1'), 'active'); // Alice
    const a2 = await bringTo(e, ref('a2', 'botB'), 'active'); // Alice, later
    const b1 = await bringTo(e, ref('b1'), 'waiting');
    await e.h.claim(b1, BOB);
    const p = await bringTo(e, ref('p', 'botB'), 'awaiting_fix');
    await bringTo(e, ref('r'), 'resolved');
    await bringTo(e, ref('bot'), 'bot');

    expect(await e.h.counts()).toEqual({ waiting: 1, active: 3, awaitingFix: 1 });
    expect((await e.h.listWaiting()).map((c) => c.id)).toEqual([w]);
    expect((await e.h.list('active', { assigneeId: 'alice' })).map((c) => c.id)).toEqual([a2, a1]);
    expect((await e.h.list('active', { assigneeId: 'bob' })).map((c) => c.id)).toEqual([b1]);
    expect((await e.h.list('active')).map((c) => c.id)).toEqual([b1, a2, a1]);
    expect((await e.h.list('active', { limit: 1 })).map((c) => c.id)).toEqual([b1]);
    expect((await e.h.list('awaiting_fix')).map((c) => c.id)).toEqual([p]);
    expect(await e.h.bots()).toEqual(['botA', 'botB']);
  });
});

describe('what a customer leaves in Redis', () => {
  it('a handoff writes no profile of its own: only a tier a manager set makes one (Redis grows with conversations, which the archive trims, not with every customer ever queued)', async () => {
    const e = await env(redis);
    await queueAt(e, at('2026-11-24T10:00'), 'plain');
    await e.h.recordTurn(ref('turned'), { from: 'customer', text: '转人工', msgId: 'm1' }, { replies: [], decidedFor: 'bot', handoff: { reason: 'customer_asked' } });
    expect((await e.h.conversation('botA.turned'))?.status).toBe('waiting');
    expect(await redis.exists(e.h.keys.customer('botA', 'plain'), e.h.keys.customer('botA', 'turned'))).toBe(0);
    await e.h.setTier('botA', 'plain', 'vip');
    expect(await redis.hgetall(e.h.keys.customer('botA', 'plain'))).toEqual({ tier: 'vip' });
  });
});
