/**
 * Reliable agent -> customer delivery through the outbound stream and its consumer group, against a
 * real redis-server: order, retry after a failed send, dedupe by message id, takeover of a dead
 * consumer's pending entries (XAUTOCLAIM), the "resolved" control entry, and two consumers sharing
 * one stream.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  conversationId,
  createRedis,
  DEFAULT_SLA_POLICY,
  Handoff,
  OutboundConsumer,
  type OutboundMessage,
  type OutboundOptions,
} from '../../src/handoff/index.ts';
import { fieldsOf } from '../../src/handoff/convert.ts';
import { randomPrefix, startRedis, stopAll, type RedisServer } from '../support/redis.ts';
import { commandCalls, waitCommandCalls, waitDrained } from '../support/streams.ts';
import { waitFor } from '../support/waits.ts';

const ALICE = { id: 'alice', name: 'Alice' };
const BOB = { id: 'bob', name: 'Bob' };
const GROUP = 'bots';

let server: RedisServer;
let redis: Redis;
/** Consumers to stop after each test (those whose deliver may hang are released first). */
const running: OutboundConsumer[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

afterAll(stopAll);

/** Read and acknowledged to the end: nothing more can be delivered (a repeat would already be in). */
const drained = (e: Env): Promise<void> => waitDrained(redis, e.stream, GROUP);

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

interface Env {
  h: Handoff;
  botId: string;
  conv: string;
  stream: string;
  delivered: string;
}

/** A Handoff on a fresh prefix with one conversation that Alice has claimed from the queue. */
async function env(botId = 'bot1', customerId = 'cust1'): Promise<Env> {
  const h = new Handoff(redis, { prefix: randomPrefix(), policy: DEFAULT_SLA_POLICY });
  await h.registerBot(botId);
  const conv = await openChat(h, botId, customerId);
  return { h, botId, conv, stream: h.keys.outbound(botId), delivered: h.keys.delivered(botId) };
}

async function openChat(h: Handoff, botId: string, customerId: string): Promise<string> {
  const ref = { botId, customerId };
  await h.recordMessage(ref, { from: 'customer', text: '转人工' });
  await h.requestHuman(ref, { reason: 'customer_asked' });
  const id = conversationId(botId, customerId);
  await h.claim(id, ALICE);
  return id;
}

function consumer(
  e: Env,
  opts: Partial<OutboundOptions> & Pick<OutboundOptions, 'deliver'>,
  conn: Redis = server.client(),
): OutboundConsumer {
  return new OutboundConsumer(conn, e.h.keys, { botId: e.botId, consumer: 'bot-1', blockMs: 100, retryMs: 30, ...opts });
}

async function started(c: OutboundConsumer): Promise<OutboundConsumer> {
  await c.start();
  running.push(c);
  return c;
}

/** Sends `texts` as Alice's replies, one after the other; returns their message ids. */
async function replies(e: Env, texts: string[], conv = e.conv): Promise<string[]> {
  const ids: string[] = [];
  for (const t of texts) ids.push((await e.h.reply(conv, ALICE, t)).msgId);
  return ids;
}

/** Orders stream ids "ms-seq" numerically. */
const byStreamId = (a: string, b: string): number => {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am - bm || as - bs;
};

const numbered = (prefix: string, n: number, from = 1): string[] => Array.from({ length: n }, (_, i) => `${prefix}${from + i}`);

async function pendingCount(e: Env): Promise<number> {
  const summary = (await redis.xpending(e.stream, GROUP)) as [number, ...unknown[]];
  return Number(summary[0]);
}

/** Per consumer name, how many entries it holds unacknowledged. */
async function pendingByConsumer(e: Env): Promise<Record<string, number>> {
  const summary = (await redis.xpending(e.stream, GROUP)) as [number, unknown, unknown, [string, string][] | null];
  return Object.fromEntries((summary[3] ?? []).map(([name, n]) => [name, Number(n)]));
}

describe('OutboundConsumer: delivery', () => {
  it('delivers agent replies in order, each once, including ones written before the first bot ran', async () => {
    const e = await env();
    const before = await replies(e, numbered('early-', 5));
    const sent: OutboundMessage[] = [];
    await started(consumer(e, { deliver: async (m) => void sent.push(m) }));
    const after = await replies(e, numbered('late-', 25));

    await waitFor('30 deliveries', () => sent.length >= 30);
    await drained(e);
    expect(sent.map((m) => m.text)).toEqual([...numbered('early-', 5), ...numbered('late-', 25)]);
    expect(sent.map((m) => m.msgId)).toEqual([...before, ...after]);
    for (const m of sent) {
      expect(m).toMatchObject({ kind: 'text', conv: e.conv, customerId: 'cust1' });
      expect(Date.parse(m.at)).toBeGreaterThan(0);
    }
    // Entry ids are the stream's, increasing.
    const ids = sent.map((m) => m.entryId);
    expect([...ids].sort(byStreamId)).toEqual(ids);

    await waitFor('every entry acknowledged', async () => (await pendingCount(e)) === 0);
    expect(await redis.zcard(e.delivered)).toBe(30);
    for (const id of [...before, ...after]) expect(await redis.zscore(e.delivered, id)).not.toBeNull();
  });

  it('a failing deliver (puppet logged out) leaves entries pending; they are retried in order, nothing overtakes', async () => {
    const e = await env();
    let loggedIn = false;
    let failOn: string | null = null;
    const attempts: string[] = [];
    const sent: string[] = [];
    await started(
      consumer(e, {
        deliver: async (m) => {
          attempts.push(m.text);
          if (!loggedIn || m.text === failOn) throw new Error('puppet is logged out');
          sent.push(m.text);
        },
      }),
    );

    await replies(e, numbered('m', 5));
    await waitFor('several failed attempts', () => attempts.length >= 4);
    // Only the oldest message is ever tried while sending fails: nothing overtakes it.
    expect(new Set(attempts)).toEqual(new Set(['m1']));
    expect(sent).toEqual([]);
    // Nothing acknowledged: m1 is pending (the newer ones are pending too, or not read yet).
    expect(await pendingCount(e)).toBeGreaterThanOrEqual(1);
    expect(await redis.zcard(e.delivered)).toBe(0);

    loggedIn = true;
    await waitFor('m1..m5 delivered', () => sent.length === 5);
    expect(sent).toEqual(numbered('m', 5));

    // A failure in the middle of a batch: m8 fails for a while, m9 and m10 wait behind it.
    failOn = 'm8';
    const before = attempts.length;
    await replies(e, numbered('m', 5, 6));
    await waitFor('m8 retried', () => attempts.slice(before).filter((t) => t === 'm8').length >= 3);
    expect(sent).toEqual(numbered('m', 7));
    expect(attempts.slice(before).filter((t) => t === 'm9' || t === 'm10')).toEqual([]);
    expect(await pendingCount(e)).toBeGreaterThanOrEqual(1);
    expect(await redis.zcard(e.delivered)).toBe(7);

    failOn = null;
    await waitFor('m1..m10 delivered', () => sent.length === 10);
    await drained(e);
    expect(sent).toEqual(numbered('m', 10));
    await waitFor('every entry acknowledged', async () => (await pendingCount(e)) === 0);
  });

  it('a customer who cannot be reached holds up only their own conversation, never the account', async () => {
    const e = await env();
    const other = await openChat(e.h, e.botId, 'cust2');
    let reachable = false;
    const sent: string[] = [];
    await started(
      consumer(e, {
        deliver: async (m) => {
          if (m.conv === e.conv && !reachable) throw new Error('customer not reachable');
          sent.push(m.text);
        },
      }),
    );
    await replies(e, ['a1', 'a2', 'a3']);
    await replies(e, ['b1', 'b2'], other);
    await waitFor('the other customer served', () => sent.length === 2);
    expect(sent).toEqual(['b1', 'b2']);
    // More than a batch (20) behind the blocked one: still served.
    await replies(e, numbered('b', 25, 3), other);
    await waitFor('the other customer served again', () => sent.length === 27);
    reachable = true;
    await waitFor('the first customer served', () => sent.length === 30);
    // In order within each conversation.
    expect(sent.filter((t) => t.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(sent.filter((t) => t.startsWith('b'))).toEqual(numbered('b', 27));
    await waitFor('every entry acknowledged', async () => (await pendingCount(e)) === 0);
  });

  it('a message that keeps failing past giveUpMs is given up (reported, acknowledged), and the conversation goes on', async () => {
    const e = await env();
    const given: string[] = [];
    const sent: string[] = [];
    await started(
      consumer(e, {
        giveUpMs: 300,
        onGiveUp: (m) => void given.push(m.text),
        deliver: async (m) => {
          if (m.text === 'never') throw new Error('refused');
          sent.push(m.text);
        },
      }),
    );
    await replies(e, ['never', 'after']);
    await waitFor('given up, and the next one delivered', () => given.length === 1 && sent.length === 1, 5_000);
    expect(given).toEqual(['never']);
    expect(sent).toEqual(['after']);
    await waitFor('every entry acknowledged', async () => (await pendingCount(e)) === 0);
    // Given up, it is not delivered later either: a later reply of the same conversation is, after it.
    await replies(e, ['later']);
    await waitFor('the later reply', () => sent.includes('later'));
    expect(sent).toEqual(['after', 'later']);
    expect(given).toEqual(['never']);
  });

  it('a message failing past delayNoticeMs is told once as delayed, and once more when it goes through', async () => {
    const e = await env();
    const told: string[] = [];
    const sent: string[] = [];
    let reachable = false;
    await started(
      consumer(e, {
        retryMs: 20,
        delayNoticeMs: 150,
        onDelay: (m, state) => void told.push(`${state}:${m.text}`),
        deliver: async (m) => {
          if (m.text === 'stuck' && !reachable) throw new Error('not reachable');
          sent.push(m.text);
        },
      }),
    );
    await replies(e, ['stuck']);
    await waitFor('told it is delayed', () => told.length === 1, 5_000);
    // Many more attempts, no second notice.
    await new Promise((r) => setTimeout(r, 300));
    expect(told).toEqual(['delayed:stuck']);
    reachable = true;
    await waitFor('delivered and told', () => sent.length === 1 && told.length === 2, 5_000);
    expect(told).toEqual(['delayed:stuck', 'recovered:stuck']);
    // A message through at once tells nothing.
    await replies(e, ['quick']);
    await waitFor('the quick one', () => sent.includes('quick'));
    expect(told).toHaveLength(2);
  });

  it('with announceClaims, the winning claim tells the customer who joined, once; without it, nothing is sent', async () => {
    const prefix = randomPrefix();
    const loud = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, announceClaims: true });
    const ref = { botId: 'bot1', customerId: 'c9' };
    await loud.recordMessage(ref, { from: 'customer', text: '转人工' });
    await loud.requestHuman(ref, { reason: 'customer_asked' });
    const alice = { ...ALICE, publicName: '小爱' };
    await loud.claim('bot1.c9', alice);
    await loud.claim('bot1.c9', alice); // the winner again: no second notice
    await expect(loud.claim('bot1.c9', BOB)).rejects.toThrow();
    const entries = (await redis.xrange(loud.keys.outbound('bot1'), '-', '+')).map(([, f]) => fieldsOf(f));
    expect(entries.map((f) => [f.kind, f.text, f.customerId])).toEqual([['joined', '小爱', 'c9']]);
    // Without a display name the customer hears no name: never the internal one.
    const ref2 = { botId: 'bot1', customerId: 'c10' };
    await loud.recordMessage(ref2, { from: 'customer', text: '转人工' });
    await loud.requestHuman(ref2, { reason: 'customer_asked' });
    await loud.claim('bot1.c10', ALICE);
    const joined = (await redis.xrange(loud.keys.outbound('bot1'), '-', '+')).map(([, f]) => fieldsOf(f)).filter((f) => f.customerId === 'c10');
    expect(joined.map((f) => [f.kind, f.text])).toEqual([['joined', '']]);

    const e = await env(); // claimed by Alice through a Handoff without announceClaims
    expect(await redis.xlen(e.stream)).toBe(0);
  });

  it('an entry whose message id is already in the delivered set is acknowledged without a second send', async () => {
    const e = await env();
    const [id1, id2, id3] = await replies(e, ['one', 'two', 'three']);
    // Bot "bot-1" read all three, WeChat accepted "one" and "two", and it went down before
    // acknowledging them (the delivered set already records both).
    await redis.xgroup('CREATE', e.stream, GROUP, '0', 'MKSTREAM');
    await redis.xreadgroup('GROUP', GROUP, 'bot-1', 'COUNT', 10, 'STREAMS', e.stream, '>');
    await redis.zadd(e.delivered, Date.now(), id1!, Date.now(), id2!);
    expect(await pendingCount(e)).toBe(3);

    const sent: string[] = [];
    await started(consumer(e, { deliver: async (m) => void sent.push(m.msgId) }));
    await waitFor('all acknowledged', async () => (await pendingCount(e)) === 0);
    expect(sent).toEqual([id3]);

    // The same message id on a second entry (the reply script re-run after a lost reply):
    // the customer still gets it once.
    const [entry] = await redis.xrange(e.stream, '-', '+', 'COUNT', 1);
    await redis.xadd(e.stream, '*', ...entry![1]);
    const [id4] = await replies(e, ['four']);
    await waitFor('"four" delivered', () => sent.includes(id4!));
    await waitFor('all acknowledged', async () => (await pendingCount(e)) === 0);
    expect(sent).toEqual([id3, id4]);
    expect(await redis.xlen(e.stream)).toBe(5);
  });

  it('a connection drop between WeChat accepting and the ack: the ack waits for the reconnect, no second send', async () => {
    const e = await env();
    // The production client: offline queue on, reconnects on its own.
    const conn = createRedis({ url: server.url }) as Redis;
    cleanups.push(() => conn.disconnect());
    await new Promise<void>((r) => conn.once('ready', () => r()));
    let dropped = 0;
    const sent: string[] = [];
    const c = consumer(
      e,
      {
        deliver: async (m) => {
          sent.push(m.text);
          if (m.text === 'b') {
            // WeChat accepted "b"; now the connection to Redis drops before the ack.
            dropped++;
            conn.disconnect(true);
          }
        },
      },
      conn,
    );
    await started(c);
    await replies(e, ['a', 'b', 'c']);
    await waitFor('a, b, c delivered', () => sent.length >= 3);
    await waitFor('all acknowledged', async () => (await pendingCount(e)) === 0);
    await c.stop();
    running.splice(running.indexOf(c), 1);

    // A fresh process for the same bot finds nothing left to send.
    const again: string[] = [];
    await started(consumer(e, { deliver: async (m) => void again.push(m.text) }));
    await replies(e, ['d']);
    await waitFor('"d" delivered', () => again.length >= 1);
    expect(dropped).toBe(1);
    expect(sent).toEqual(['a', 'b', 'c']);
    expect(again).toEqual(['d']);
  });

  it('a consumer that dies with pending entries: another consumer takes them over (XAUTOCLAIM), each delivered once, in order', async () => {
    const e = await env();
    await replies(e, numbered('m', 5));

    // bot-A reads all five, starts sending m1 and hangs (its process is dying)...
    const hang = deferred();
    const aTried: string[] = [];
    const connA = server.client();
    const a = consumer(e, { consumer: 'bot-A', deliver: async (m) => (aTried.push(m.text), hang.promise) }, connA);
    await a.start();
    cleanups.push(async () => {
      const stopped = a.stop();
      hang.reject(new Error('process gone'));
      await stopped;
    });
    await waitFor('bot-A trying m1', () => aTried.length === 1);
    expect(await pendingByConsumer(e)).toEqual({ 'bot-A': 5 });
    // ...and is gone: its connection closes, nothing is acknowledged.
    connA.disconnect();

    const sent: string[] = [];
    await started(consumer(e, { consumer: 'bot-B', claimIdleMs: 200, deliver: async (m) => void sent.push(m.text) }));
    await waitFor('bot-B delivered the five', () => sent.length >= 5, 8_000);
    expect(sent).toEqual(numbered('m', 5));
    expect(aTried).toEqual(['m1']);

    // New replies go to bot-B as usual, after the taken-over ones.
    await replies(e, ['m6']);
    await waitFor('m6', () => sent.length >= 6);
    // Two more takeover passes (XAUTOCLAIM, every claimIdleMs) after it: nothing is claimed or sent twice.
    await waitCommandCalls(redis, 'xautoclaim', await commandCalls(redis, 'xautoclaim'), 2);
    await drained(e);
    expect(sent).toEqual(numbered('m', 6));
    await waitFor('all acknowledged', async () => (await pendingCount(e)) === 0);
    expect(await redis.zcard(e.delivered)).toBe(6);
    expect(await pendingByConsumer(e)).toEqual({});
  });

  it('a consumer restarted under the same name resumes its own pending entries first', async () => {
    const e = await env();
    const hang = deferred();
    const connA = server.client();
    const tried: string[] = [];
    const a = consumer(e, { consumer: 'bot-1', deliver: async (m) => (tried.push(m.text), hang.promise) }, connA);
    await replies(e, numbered('m', 4));
    await a.start();
    cleanups.push(async () => {
      const stopped = a.stop();
      hang.reject(new Error('process gone'));
      await stopped;
    });
    await waitFor('m1 in flight', () => tried.length === 1);
    expect(await pendingByConsumer(e)).toEqual({ 'bot-1': 4 });
    connA.disconnect();

    // Restarted: the default claimIdleMs (60 s) means no XAUTOCLAIM is involved here.
    const sent: string[] = [];
    await started(consumer(e, { consumer: 'bot-1', deliver: async (m) => void sent.push(m.text) }));
    await replies(e, ['m5']);
    await waitFor('m1..m5', () => sent.length >= 5);
    await drained(e);
    expect(sent).toEqual(numbered('m', 5));
    await waitFor('all acknowledged', async () => (await pendingCount(e)) === 0);
  });

  it('resolve() puts a "resolved" control entry on the stream after the last reply', async () => {
    const e = await env();
    const sent: OutboundMessage[] = [];
    await started(consumer(e, { deliver: async (m) => void sent.push(m) }));
    await replies(e, ['已为您退款']);
    await e.h.resolve(e.conv, { by: ALICE.id, expectedOwner: ALICE.id });
    await waitFor('two messages', () => sent.length >= 2);
    expect(sent.map((m) => m.kind)).toEqual(['text', 'resolved']);
    expect(sent[1]).toMatchObject({ kind: 'resolved', conv: e.conv, customerId: 'cust1', text: '' });
    expect(sent[1]!.msgId).not.toBe(sent[0]!.msgId);
    expect(sent[1]!.msgId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('two consumers in one group split 200 messages: each delivered exactly once overall', async () => {
    const e = await env();
    const convs = [e.conv];
    for (const c of ['cust2', 'cust3', 'cust4']) convs.push(await openChat(e.h, e.botId, c));

    const byConsumer: Record<string, OutboundMessage[]> = { 'bot-1': [], 'bot-2': [] };
    const make = (name: string) =>
      consumer(e, {
        consumer: name,
        batch: 10,
        deliver: async (m) => {
          await new Promise((r) => setTimeout(r, 1)); // a send takes a moment: the other consumer gets its share
          byConsumer[name]!.push(m);
        },
      });
    await started(make('bot-1'));
    await started(make('bot-2'));

    const expected: string[] = [];
    for (let i = 0; i < 200; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, j) => e.h.reply(convs[(i + j) % convs.length]!, ALICE, `r${i + j}`)),
      );
      expected.push(...batch.map((r) => r.msgId));
    }
    const all = () => [...byConsumer['bot-1']!, ...byConsumer['bot-2']!];
    await waitFor('200 deliveries', () => all().length >= 200, 10_000);
    await drained(e);

    const ids = all().map((m) => m.msgId);
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    expect(new Set(ids)).toEqual(new Set(expected));
    expect(byConsumer['bot-1']!.length).toBeGreaterThan(0);
    expect(byConsumer['bot-2']!.length).toBeGreaterThan(0);
    // Each consumer sends its share of every conversation in stream order (conversations go side
    // by side, so one customer's replies may pass another's).
    for (const list of Object.values(byConsumer)) {
      for (const conv of convs) {
        const seq = list.filter((m) => m.conv === conv).map((m) => Number(m.text.slice(1)));
        expect(seq).toEqual([...seq].sort((x, y) => x - y));
      }
    }
    await waitFor('all acknowledged', async () => (await pendingCount(e)) === 0);
    expect(await redis.zcard(e.delivered)).toBe(200);
  });
});
