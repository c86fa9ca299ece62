/**
 * Events against a real redis-server: SLA warnings and breaches fired by tickSla with an injected
 * clock (once each, however many processes tick), and the EventReader that follows every bot
 * account's events stream and resumes from saved positions without loss or duplicates.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { EventReader, Handoff, type HandoffEvent } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { ALICE, at, BOB, bringTo, clockAt, env, events, iso, ref, TUESDAY_10, type Env } from '../support/handoff-fixture.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, waitReady, type RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';

let server: RedisServer;
let redis: Redis;

useRedisServer((s, r) => {
  server = s;
  redis = r;
});

const MIN = 60_000;

const slaEvents = async (e: Env, botId = 'botA') =>
  (await events(e, botId)).filter((ev) => ev.type === 'sla_warning' || ev.type === 'sla_breach').map((ev) => [ev.type, ev.conv, ev.at]);

describe('tickSla', () => {
  it('fires nothing before warnAt, one warning at warnAt, one breach at dueAt, nothing after a claim', async () => {
    const e = await env(redis);
    const { h, clock } = e;
    await h.setTier('botA', 'v', 'vip');
    await h.setTier('botA', 'early', 'vip');
    await h.requestHuman(ref('v'), { reason: 'customer_asked' }); // warn 10:24, due 10:30
    await h.requestHuman(ref('s'), { reason: 'customer_asked' }); // warn 17:12, due Wed 10:00
    await h.requestHuman(ref('early'), { reason: 'customer_asked' }); // claimed in time
    clock.t = at('2026-11-24T10:05');
    await h.claim('botA.early', BOB);

    const tick = async (local: string) => {
      clock.t = at(local);
      return h.tickSla();
    };
    expect(await tick('2026-11-24T10:00')).toBe(0);
    clock.t = at('2026-11-24T10:24') - 1;
    expect(await h.tickSla()).toBe(0);
    expect(await slaEvents(e)).toEqual([]);

    expect(await tick('2026-11-24T10:24')).toBe(1);
    expect(await tick('2026-11-24T10:29')).toBe(0);
    expect(await tick('2026-11-24T10:30')).toBe(1);
    expect(await tick('2026-11-24T12:00')).toBe(0);
    expect(await tick('2026-11-24T17:12')).toBe(1);
    clock.t = at('2026-11-24T17:30');
    await h.claim('botA.s', ALICE);
    expect(await tick('2026-11-26T12:00')).toBe(0);

    expect(await slaEvents(e)).toEqual([
      ['sla_warning', 'botA.v', iso(at('2026-11-24T10:24'))],
      ['sla_breach', 'botA.v', iso(at('2026-11-24T10:30'))],
      ['sla_warning', 'botA.s', iso(at('2026-11-24T17:12'))],
    ]);
  });

  it('a late first tick fires both the warning and the breach, once', async () => {
    const e = await env(redis);
    await e.h.setTier('botA', 'v', 'vip');
    await e.h.requestHuman(ref('v'), { reason: 'customer_asked' });
    e.clock.t = at('2026-11-24T11:00');
    expect(await e.h.tickSlaCounts()).toEqual({ warnings: 1, breaches: 1 });
    expect(await e.h.tickSla()).toBe(0);
    expect((await slaEvents(e)).map(([type]) => type)).toEqual(['sla_warning', 'sla_breach']);
  });

  it.each([
    ['resolved', (e: Env, id: string) => e.h.resolve(id, { by: 'alice' })],
    ['parked', (e: Env, id: string) => e.h.park(id, { problemId: 'P1', by: 'alice' })],
  ])('a conversation %s before its warning never fires', async (_name, end) => {
    const e = await env(redis);
    await e.h.setTier('botA', 'v', 'vip');
    const { conversationId: id } = await e.h.recordMessage(ref('v'), { from: 'customer', text: 'hi' });
    await e.h.requestHuman(ref('v'), { reason: 'customer_asked' });
    await end(e, id);
    e.clock.t = at('2026-11-25T12:00');
    expect(await e.h.tickSla()).toBe(0);
    expect(await redis.zcard(e.h.keys.slaTimers('botA'))).toBe(0);
  });

  it('a released conversation is timed again against its original due time', async () => {
    const e = await env(redis);
    await e.h.setTier('botA', 'v', 'vip');
    const { conversationId: id } = await e.h.recordMessage(ref('v'), { from: 'customer', text: 'hi' });
    await e.h.requestHuman(ref('v'), { reason: 'customer_asked' });
    e.clock.t = at('2026-11-24T10:10');
    await e.h.claim(id, ALICE);
    e.clock.t = at('2026-11-24T10:20');
    await e.h.release(id);
    expect(await e.h.tickSla()).toBe(0);
    e.clock.t = at('2026-11-24T10:30');
    expect(await e.h.tickSla()).toBe(2);
    expect((await slaEvents(e)).map(([type]) => type)).toEqual(['sla_warning', 'sla_breach']);
  });

  it('a conversation claimed after its warning and released is not warned again; its breach still fires once', async () => {
    const e = await env(redis);
    await e.h.setTier('botA', 'v', 'vip');
    const { conversationId: id } = await e.h.recordMessage(ref('v'), { from: 'customer', text: 'hi' });
    await e.h.requestHuman(ref('v'), { reason: 'customer_asked' }); // warn 10:24, due 10:30
    e.clock.t = at('2026-11-24T10:24');
    expect(await e.h.tickSla()).toBe(1);
    e.clock.t = at('2026-11-24T10:25');
    await e.h.claim(id, ALICE);
    e.clock.t = at('2026-11-24T10:26');
    await e.h.release(id);
    expect(await e.h.tickSla()).toBe(0);
    e.clock.t = at('2026-11-24T10:30');
    expect(await e.h.tickSla()).toBe(1);
    // Claimed after the breach and released again: nothing more to announce.
    e.clock.t = at('2026-11-24T10:40');
    await e.h.claim(id, BOB);
    await e.h.release(id);
    e.clock.t = at('2026-11-24T12:00');
    expect(await e.h.tickSla()).toBe(0);
    expect((await slaEvents(e)).map(([type]) => type)).toEqual(['sla_warning', 'sla_breach']);
    expect(await e.h.conversation(id)).toMatchObject({ status: 'waiting', slaDueAt: iso(at('2026-11-24T10:30')) });
  });

  it('two processes ticking concurrently fire each event exactly once', async () => {
    const prefix = randomPrefix();
    const e = await env(redis, { prefix, bots: ['botA', 'botB'] });
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const botId = i % 2 ? 'botB' : 'botA';
      await e.h.setTier(botId, `v${i}`, 'vip');
      e.clock.t = TUESDAY_10 + i * 1000;
      await e.h.requestHuman(ref(`v${i}`, botId), { reason: 'customer_asked' });
      ids.push(`${botId}.v${i}`);
    }
    const clients = [server.client(), server.client()];
    await Promise.all(clients.map((c) => waitReady(c)));
    const clocks = [clockAt(TUESDAY_10), clockAt(TUESDAY_10)];
    const tickers = clients.map((c, i) => new Handoff(c, { prefix, policy: DEFAULT_SLA_POLICY, now: clocks[i]!.now }));

    let fired = 0;
    // Both clocks walk through the warnings and breaches minute by minute, ticking at the same time.
    for (let m = 0; m <= 40; m++) {
      for (const c of clocks) c.t = TUESDAY_10 + m * MIN;
      const counts = await Promise.all(tickers.flatMap((t) => [t.tickSla(), t.tickSla()]));
      fired += counts.reduce((a, b) => a + b, 0);
    }

    expect(fired).toBe(120);
    const all = [...(await events(e, 'botA')), ...(await events(e, 'botB'))];
    for (const type of ['sla_warning', 'sla_breach'] as const) {
      const convs = all.filter((ev) => ev.type === type).map((ev) => ev.conv);
      expect(convs.sort()).toEqual([...ids].sort());
    }
    for (const c of clients) c.disconnect();
  });

  it('registers a bot account on its first handoff, so its timers tick without registerBot()', async () => {
    const e = await env(redis, { bots: [] });
    await e.h.setTier('botA', 'v', 'vip');
    await e.h.requestHuman(ref('v'), { reason: 'customer_asked' });
    expect(await e.h.bots()).toEqual(['botA']);
    e.clock.t = at('2026-11-24T11:00');
    expect(await e.h.tickSla()).toBe(2);
  });
});

describe('EventReader', () => {
  const reader = (e: Env, opts: ConstructorParameters<typeof EventReader>[3] = {}) =>
    new EventReader(redis, () => server.client(), e.h.keys, { blockMs: 100, discoverMs: 50, ...opts });

  const collect = (r: EventReader): HandoffEvent[] => {
    const got: HandoffEvent[] = [];
    r.onEvent((ev) => got.push(ev));
    return got;
  };

  /** The events streams' entries after `positions` (exclusive), as EventReader hands them out. */
  async function since(e: Env, positions: Record<string, string>): Promise<HandoffEvent[]> {
    const out: HandoffEvent[] = [];
    for (const botId of Object.keys(positions).sort()) {
      const all = await events(e, botId);
      const from = positions[botId]!;
      out.push(...all.filter((ev) => from === '0' || after(ev.id, from)));
    }
    return out;
  }
  const after = (a: string, b: string) => {
    const [am, as] = a.split('-').map(Number) as [number, number];
    const [bm, bs] = b.split('-').map(Number) as [number, number];
    return am > bm || (am === bm && as > bs);
  };
  const byBotThenId = (evs: HandoffEvent[]) =>
    [...evs].sort((x, y) => (x.botId === y.botId ? (after(x.id, y.id) ? 1 : -1) : x.botId < y.botId ? -1 : 1));

  it('delivers events live from every bot account, not the ones written before it started', async () => {
    const e = await env(redis, { bots: ['botA', 'botB'] });
    await bringTo(e, ref('old'), 'waiting');
    const r = reader(e);
    const got = collect(r);
    await r.start();
    const start = r.positions();
    expect(Object.keys(start).sort()).toEqual(['botA', 'botB']);

    const a = await bringTo(e, ref('c1'), 'active');
    await bringTo(e, ref('c2', 'botB'), 'resolved');
    await e.h.transfer(a, BOB);
    const expected = await since(e, start);
    expect(expected.length).toBeGreaterThan(8);
    await waitFor('live events', () => got.length >= expected.length);
    await r.stop();

    expect(byBotThenId(got)).toEqual(expected);
    expect(got.some((ev) => ev.conv === 'botA.old')).toBe(false);
    expect(got.find((ev) => ev.type === 'transferred')).toMatchObject({
      botId: 'botA',
      conv: a,
      data: { fromAgentId: 'alice', agentId: 'bob', agentName: 'Bob' },
    });
    expect(r.positions()).toEqual({ botA: expected.filter((ev) => ev.botId === 'botA').at(-1)!.id, botB: expected.at(-1)!.id });
  });

  it('a new reader started from a stopped one\'s positions gets exactly the events written in between', async () => {
    const e = await env(redis, { bots: ['botA', 'botB'] });
    const first = reader(e);
    const got1 = collect(first);
    await first.start();
    await bringTo(e, ref('c1'), 'waiting');
    await bringTo(e, ref('c2', 'botB'), 'waiting');
    const expected1 = await since(e, { botA: '0', botB: '0' });
    await waitFor('first batch', () => got1.length >= expected1.length);
    await first.stop();
    const saved = first.positions();

    // Written while no reader runs.
    await e.h.claim('botA.c1', ALICE);
    await e.h.reply('botA.c1', ALICE, 'hello');
    await e.h.park('botB.c2', { problemId: 'P1', by: 'bob' });
    await e.h.setTags('botB.c2', ['x']);
    const gap = await since(e, saved);
    expect(gap.map((ev) => ev.type)).toEqual(['claimed', 'message', 'parked', 'tags']);

    const second = reader(e, { from: saved });
    const got2 = collect(second);
    await second.start();
    await waitFor('the gap', () => got2.length >= gap.length);
    // And then live again.
    await e.h.resolve('botA.c1', { by: 'alice' });
    await waitFor('live after resume', () => got2.length >= gap.length + 1);
    // A last event on each bot: each stream is read in order, so with these in, every event before
    // them is in too, as often as it will ever be.
    const markers = [await e.h.recordMessage(ref('m'), { from: 'customer', text: 'marker' }), await e.h.recordMessage(ref('m', 'botB'), { from: 'customer', text: 'marker' })];
    // By bot too: two transcripts written in the same millisecond give their entries the same id.
    await waitFor('the last events', () => markers.every((m, i) => got2.some((ev) => ev.botId === ['botA', 'botB'][i] && ev.data.msg === m.id)));
    await second.stop();

    expect(byBotThenId(got1)).toEqual(expected1);
    expect(byBotThenId(got2.slice(0, gap.length))).toEqual(gap);
    expect(byBotThenId(got2)).toEqual(await since(e, saved));
    expect(new Set([...got1, ...got2].map((ev) => `${ev.botId}/${ev.id}`)).size).toBe(got1.length + got2.length);
  });

  it("defaultFrom '0' replays what the streams hold; a handler that throws does not stop the others", async () => {
    const e = await env(redis);
    await bringTo(e, ref('c1'), 'active');
    const r = reader(e, { defaultFrom: '0' });
    r.onEvent(() => {
      throw new Error('bad handler');
    });
    const got = collect(r);
    await r.start();
    const all = await events(e);
    await waitFor('replay', () => got.length >= all.length);
    await r.stop();
    expect(got).toEqual(all);
  });

  it('gets every event of a bot account registered after it started, also those written before it noticed', async () => {
    const e = await env(redis, { bots: ['botA'] });
    // Discovery every 300 ms: the new bot's first events are written before the reader knows it.
    const r = reader(e, { discoverMs: 300 });
    const got = collect(r);
    await r.start();
    await e.h.registerBot('botB');
    await bringTo(e, ref('c1', 'botB'), 'waiting');
    const all = await events(e, 'botB');
    expect(all.map((ev) => ev.type)).toEqual(['message', 'waiting']);
    await waitFor('the new bot', () => got.length >= all.length);
    // A last event: the stream is read in order, so with it in, every event before it is in too.
    const marker = await e.h.recordMessage(ref('c1', 'botB'), { from: 'customer', text: 'marker' });
    await waitFor('the last event', () => got.some((ev) => ev.data.msg === marker.id));
    await r.stop();
    const now = await events(e, 'botB');
    expect(now.map((ev) => ev.type)).toEqual(['message', 'waiting', 'message']);
    expect(got).toEqual(now);
    expect(r.positions()).toMatchObject({ botB: now.at(-1)!.id });
  });
});
