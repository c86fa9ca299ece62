/**
 * The handoff against a local 3-master Redis Cluster built from redis-server processes: bot accounts
 * whose keys live on different masters, every transition script, the MULTI blocks, the outbound
 * consumer group and the events reader. Any key of a script or transaction in another slot would
 * fail with CROSSSLOT (or ioredis's "same slot" error), so each passing call proves its keys are
 * cluster-safe.
 */
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  conversationId,
  createRedis,
  DEFAULT_SLA_POLICY,
  EventReader,
  Handoff,
  HandoffError,
  OutboundConsumer,
  type HandoffEvent,
  type OutboundMessage,
} from '../../src/handoff/index.ts';
import { startCluster, type RedisCluster } from '../support/redis-cluster.ts';
import { randomPrefix, stopAll } from '../support/redis.ts';
import { commandCalls, waitCommandCalls, waitDrained } from '../support/streams.ts';
import { waitFor } from '../support/waits.ts';

/** A Tuesday, 10:00 in Shanghai: inside the default business hours. */
const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+08:00');
const ALICE = { id: 'alice', name: 'Alice' };
const BOB = { id: 'bob', name: 'Bob' };

let cluster: RedisCluster;
/** The production client (createRedis with every node's URL). */
let client: Cluster;
const extra: (Redis | Cluster)[] = [];
/** Three bot accounts whose keys are on three different masters. */
let bots: string[];
/** Master port per bot. */
const portOf = new Map<string, number>();

const urls = (): string => cluster.nodes.map((n) => n.url).join(',');

/** Another production cluster client (consumers and readers need connections of their own). */
function connect(): Cluster {
  const c = createRedis({ url: urls() }) as Cluster;
  extra.push(c);
  return c;
}

async function masterPortOfSlot(slot: number): Promise<number> {
  const slots = await client.cluster('SLOTS');
  const [, , master] = slots.find(([from, to]) => slot >= from && slot <= to) ?? [];
  if (!master) throw new Error(`slot ${slot} not served`);
  return master[1];
}

interface Env {
  h: Handoff;
  clock: { t: number };
  prefix: string;
}

/** A Handoff on a fresh prefix (the bots keep their slots: only `{b:<bot>}` is hashed). */
async function env(): Promise<Env> {
  const clock = { t: TUESDAY_10 };
  const prefix = randomPrefix();
  const h = new Handoff(client, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock.t });
  for (const b of bots) await h.registerBot(b);
  return { h, clock, prefix };
}

/** A conversation of `customerId` on `botId`, waiting in the queue. */
async function waiting(e: Env, botId: string, customerId: string): Promise<string> {
  const ref = { botId, customerId, customerName: `顾客 ${customerId}` };
  await e.h.recordMessage(ref, { from: 'customer', text: '我要找人工', msgId: `wx-${botId}-${customerId}` });
  await e.h.recordMessage(ref, { from: 'bot', text: '正在为您转接', faqId: 'handoff', confidence: 0.95 });
  const ticket = await e.h.requestHuman(ref, { reason: 'customer_asked', question: '我要找人工' });
  expect(ticket).toMatchObject({ status: 'waiting', queued: true });
  return conversationId(botId, customerId);
}

beforeAll(async () => {
  cluster = await startCluster();
  client = createRedis({ url: urls() }) as Cluster;
  const keys = new Handoff(client, { prefix: 'probe', policy: DEFAULT_SLA_POLICY }).keys;
  bots = [];
  for (let i = 0; bots.length < 3 && i < 200; i++) {
    const bot = `bot${i}`;
    const port = await masterPortOfSlot(Number(await client.cluster('KEYSLOT', keys.queue(bot))));
    if ([...portOf.values()].includes(port)) continue;
    portOf.set(bot, port);
    bots.push(bot);
  }
  expect(bots).toHaveLength(3);
});

afterAll(async () => {
  for (const c of extra) c.disconnect();
  client?.disconnect();
  await stopAll();
});

describe('Redis Cluster (3 masters)', () => {
  it('every key of a bot account is in one slot, and the three bot accounts live on three different masters', async () => {
    const e = await env();
    const k = e.h.keys;
    for (const bot of bots) {
      const conv = conversationId(bot, 'c1');
      const all = [
        k.conversation(conv),
        k.transcript(conv),
        k.msgIds(conv),
        k.customer(bot, 'c1'),
        k.queue(bot),
        k.slaTimers(bot),
        k.active(bot),
        k.parked(bot),
        k.events(bot),
        k.outbound(bot),
        k.delivered(bot),
      ];
      const slots = await Promise.all(all.map((key) => client.cluster('KEYSLOT', key)));
      expect(new Set(slots).size).toBe(1);
    }
    // The control: keys of two bot accounts in one script or MULTI are refused, so the tests below
    // would catch a cross-slot script or transaction.
    const [b0, b1] = bots as [string, string];
    await expect(client.eval('return 1', 2, k.queue(b0), k.queue(b1))).rejects.toThrow(/CROSSSLOT/);
    await expect(client.multi().incr(k.queue(b0)).incr(k.queue(b1)).exec()).rejects.toThrow(/same slot/);
    expect(new Set(portOf.values()).size).toBe(3);
    expect(new Set(portOf.values())).toEqual(new Set(cluster.nodes.map((n) => n.port)));

    // The data really is spread: each bot's conversation is on its own master.
    for (const bot of bots) await waiting(e, bot, 'c1');
    for (const bot of bots) {
      const direct = cluster.nodes.find((n) => n.port === portOf.get(bot))!.client();
      extra.push(direct);
      expect(await direct.exists(k.conversation(conversationId(bot, 'c1')))).toBe(1);
      expect(await direct.xlen(k.transcript(conversationId(bot, 'c1')))).toBe(3);
    }
  });

  it('recordMessage, requestHuman, setTier (MULTI), listWaiting and counts across bots on different masters', async () => {
    const e = await env();
    // A VIP on the last bot: set by a manager before the handoff, so it jumps the queue.
    const [b0, b1, b2] = bots as [string, string, string];
    await e.h.setTier(b2, 'vip1', 'vip');
    const ids: string[] = [];
    for (const bot of [b0, b1]) {
      ids.push(await waiting(e, bot, 'c1'));
      e.clock.t += 60_000;
    }
    const vip = await waiting(e, b2, 'vip1');
    e.clock.t += 60_000;
    ids.push(await waiting(e, b0, 'c2'));

    // Asking again changes nothing (idempotent) and still answers with the place in the queue.
    const again = await e.h.requestHuman({ botId: b0, customerId: 'c1' }, { reason: 'customer_asked' });
    expect(again).toMatchObject({ status: 'waiting', queued: false });

    const list = await e.h.listWaiting();
    expect(list.map((c) => c.id)).toEqual([vip, ...ids]);
    expect(list[0]!.customer.tier).toBe('vip');
    expect(new Set(list.map((c) => c.botId))).toEqual(new Set(bots));
    expect(await e.h.counts()).toEqual({ waiting: 4, active: 0, awaitingFix: 0 });
    e.clock.t += 60_000;
    const ticket = await e.h.requestHuman({ botId: b1, customerId: 'c9' }, { reason: 'low_confidence' });
    expect(ticket.position).toBe(5);

    // setTier on a customer with a conversation updates both in one MULTI.
    await e.h.setTier(b1, 'c1', 'vip');
    expect((await e.h.conversation(conversationId(b1, 'c1')))!.customer.tier).toBe('vip');
    expect(await client.hget(e.h.keys.customer(b1, 'c1'), 'tier')).toBe('vip');
  });

  it('claim race: on each bot exactly one of 8 concurrent agents wins, the rest get CONFLICT', async () => {
    const e = await env();
    const convs = await Promise.all(bots.map((b) => waiting(e, b, 'race')));
    const agents = Array.from({ length: 8 }, (_, i) => ({ id: `agent${i}`, name: `Agent ${i}` }));
    // Separate clients, as separate consoles would be.
    const consoles = [client, connect(), connect()].map(
      (c) => new Handoff(c, { prefix: e.prefix, policy: DEFAULT_SLA_POLICY, now: () => e.clock.t }),
    );
    const results = await Promise.all(
      convs.map((id) => Promise.allSettled(agents.map((a, i) => consoles[i % consoles.length]!.claim(id, a)))),
    );
    for (const [i, res] of results.entries()) {
      const won = res.filter((r) => r.status === 'fulfilled');
      const lost = res.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(7);
      const owner = (await e.h.conversation(convs[i]!))!.assignee!.id;
      for (const l of lost) {
        expect(l.reason).toBeInstanceOf(HandoffError);
        expect(l.reason).toMatchObject({ code: 'CONFLICT', owner });
      }
    }
    expect(await e.h.counts()).toEqual({ waiting: 0, active: 3, awaitingFix: 0 });
  });

  it('reply, transfer, setTags (MULTI), release, park and resolve on every bot', async () => {
    const e = await env();
    await Promise.all(
      bots.map(async (bot) => {
        const id = await waiting(e, bot, 'c1');
        await e.h.claim(id, ALICE);
        const r = await e.h.reply(id, ALICE, '您好，我是 Alice');
        expect(r.msgId).toMatch(/^[0-9a-f-]{36}$/);
        expect((await e.h.transfer(id, BOB, { expectedOwner: ALICE.id })).assignee).toEqual(BOB);
        await e.h.reply(id, BOB, '您好，我是 Bob');
        expect((await e.h.setTags(id, ['退款', ' 退款 ', '物流'])).tags).toEqual(['退款', '物流']);
        const released = await e.h.release(id, { expectedOwner: BOB.id });
        expect(released).toMatchObject({ status: 'waiting', assignee: null });
        const parked = await e.h.park(id, { problemId: 'P-42', by: BOB.id });
        expect(parked).toMatchObject({ status: 'awaiting_fix', problemId: 'P-42' });
        expect((await e.h.list('awaiting_fix')).map((c) => c.id)).toContain(id);
        expect((await e.h.resolve(id, { by: BOB.id })).status).toBe('resolved');
        // The customer writes again: the bot has the chat back.
        expect((await e.h.recordMessage({ botId: bot, customerId: 'c1' }, { from: 'customer', text: '谢谢' })).status).toBe('bot');

        const t = await e.h.transcript(id);
        expect(t.filter((m) => m.from === 'system').map((m) => m.event)).toEqual([
          'waiting',
          'claimed',
          'transferred',
          'released',
          'parked',
          'resolved',
        ]);
        expect(t.filter((m) => m.from === 'agent').map((m) => m.agentId)).toEqual(['alice', 'bob']);
        const outbound = await client.xrange(e.h.keys.outbound(bot), '-', '+');
        // The customer is told when the chat is parked on a known problem, and asked to rate at the end.
        expect(outbound.map(([, f]) => f[f.indexOf('kind') + 1])).toEqual(['text', 'text', 'parked', 'resolved']);
      }),
    );
    expect(await e.h.counts()).toEqual({ waiting: 0, active: 0, awaitingFix: 0 });
  });

  it('tickSla fires every warning and breach once, across bots, however many processes tick', async () => {
    const e = await env();
    for (const bot of bots) await waiting(e, bot, 'slow');
    await waiting(e, bots[0]!, 'slower');
    expect(await e.h.tickSla()).toBe(0);

    e.clock.t += 30 * 24 * 3600_000;
    const other = new Handoff(connect(), { prefix: e.prefix, policy: DEFAULT_SLA_POLICY, now: () => e.clock.t });
    const fired = await Promise.all([e.h.tickSla(), other.tickSla(), e.h.tickSla()]);
    expect(fired.reduce((a, b) => a + b, 0)).toBe(8);
    expect(await e.h.tickSla()).toBe(0);

    for (const bot of bots) {
      const events = await client.xrange(e.h.keys.events(bot), '-', '+');
      const types = events.map(([, f]) => f[f.indexOf('type') + 1]);
      const n = bot === bots[0] ? 2 : 1;
      expect(types.filter((t) => t === 'sla_warning')).toHaveLength(n);
      expect(types.filter((t) => t === 'sla_breach')).toHaveLength(n);
    }
  });

  it('an OutboundConsumer per bot delivers its replies in order, each once; a dead consumer\'s entries are taken over', async () => {
    const e = await env();
    const convs = await Promise.all(
      bots.map(async (b) => {
        const id = await waiting(e, b, 'c1');
        await e.h.claim(id, ALICE);
        return id;
      }),
    );
    const sent = new Map<string, OutboundMessage[]>(bots.map((b) => [b, []]));
    const consumers = bots.map(
      (botId) =>
        new OutboundConsumer(connect(), e.h.keys, {
          botId,
          consumer: `${botId}-main`,
          blockMs: 100,
          retryMs: 30,
          deliver: async (m) => void sent.get(botId)!.push(m),
        }),
    );
    await Promise.all(consumers.map((c) => c.start()));
    try {
      const texts = Array.from({ length: 10 }, (_, i) => `回复 ${i + 1}`);
      for (const t of texts) await Promise.all(convs.map((id) => e.h.reply(id, ALICE, t)));
      await Promise.all(convs.map((id) => e.h.resolve(id, { by: ALICE.id })));
      await waitFor('11 messages per bot', () => bots.every((b) => sent.get(b)!.length >= 11));
      for (const [i, bot] of bots.entries()) {
        const got = sent.get(bot)!;
        expect(got.map((m) => m.text)).toEqual([...texts, '']);
        expect(got.at(-1)!.kind).toBe('resolved');
        expect(got.every((m) => m.conv === convs[i])).toBe(true);
        expect(await client.zcard(e.h.keys.delivered(bot))).toBe(11);
      }
    } finally {
      await Promise.all(consumers.map((c) => c.stop()));
    }

    // A consumer of the first bot dies with entries pending; a new one (other name) takes them over.
    const bot = bots[0]!;
    const id = conversationId(bot, 'c2');
    await waiting(e, bot, 'c2');
    await e.h.claim(id, ALICE);
    for (const t of ['x1', 'x2', 'x3']) await e.h.reply(id, ALICE, t);
    const deadConn = connect();
    let hung = 0;
    let crash!: (err: Error) => void;
    const hang = new Promise<void>((_, reject) => (crash = reject));
    const dead = new OutboundConsumer(deadConn, e.h.keys, {
      botId: bot,
      consumer: 'dead',
      blockMs: 100,
      retryMs: 30,
      deliver: () => (hung++, hang),
    });
    await dead.start();
    await waitFor('dead consumer stuck on x1', () => hung === 1);
    deadConn.disconnect();
    const got: string[] = [];
    const heir = new OutboundConsumer(connect(), e.h.keys, {
      botId: bot,
      consumer: 'heir',
      blockMs: 100,
      retryMs: 30,
      claimIdleMs: 200,
      deliver: async (m) => void got.push(m.text),
    });
    await heir.start();
    try {
      await waitFor('x1..x3 taken over', () => got.length >= 3);
      // Two more takeover passes (XAUTOCLAIM, every claimIdleMs) on the stream's node: nothing is taken or sent twice.
      const node = cluster.nodes.find((n) => n.port === portOf.get(bot))!.client();
      await waitCommandCalls(node, 'xautoclaim', await commandCalls(node, 'xautoclaim'), 2);
      await waitDrained(client, e.h.keys.outbound(bot), 'bots');
      expect(got).toEqual(['x1', 'x2', 'x3']);
      const pending = (await client.xpending(e.h.keys.outbound(bot), 'bots')) as [number, ...unknown[]];
      expect(Number(pending[0])).toBe(0);
    } finally {
      await heir.stop();
      const stopped = dead.stop();
      crash(new Error('process gone'));
      await stopped;
    }
  });

  it('an EventReader follows the events of every bot, each stream in order', async () => {
    const e = await env();
    const seen: HandoffEvent[] = [];
    const reader = new EventReader(client, connect, e.h.keys, { blockMs: 200, discoverMs: 200 });
    reader.onEvent((ev) => seen.push(ev));
    await reader.start();
    try {
      const convs = await Promise.all(bots.map((b) => waiting(e, b, 'c1')));
      await Promise.all(convs.map((id) => e.h.claim(id, ALICE)));
      await Promise.all(convs.map((id) => e.h.setTags(id, ['vip-candidate'])));
      await Promise.all(convs.map((id) => e.h.resolve(id, { by: ALICE.id })));
      await waitFor('6 events per bot', () => bots.every((b) => seen.filter((ev) => ev.botId === b).length >= 6));
      // A last event per bot (the resolved chat reopens): each stream is read in order, so with it in,
      // every event before it is in too.
      const markers = await Promise.all(bots.map((b) => e.h.recordMessage({ botId: b, customerId: 'c1' }, { from: 'customer', text: 'marker' })));
      // By bot too: two transcripts written in the same millisecond give their entries the same id.
      await waitFor('the last events', () => markers.every((m, i) => seen.some((ev) => ev.botId === bots[i] && ev.data.msg === m.id)));
      for (const [i, bot] of bots.entries()) {
        const mine = seen.filter((ev) => ev.botId === bot);
        expect(mine.map((ev) => ev.type)).toEqual(['message', 'message', 'waiting', 'claimed', 'tags', 'resolved', 'reopened', 'message']);
        expect(mine.every((ev) => ev.conv === convs[i])).toBe(true);
        expect(reader.positions()[bot]).toBe(mine.at(-1)!.id);
      }
      expect(seen).toHaveLength(24);
    } finally {
      await reader.stop();
    }
  });
});
