/**
 * The outbound consumer delivers conversations side by side (src/handoff/outbound.ts): a slow send
 * to one customer does not make the others wait, whether they were read with it or come later;
 * each conversation's messages still go out in order, each once; a new reply costs the read that
 * was waiting for it and nothing more before its send; a stop waits for every delivery in flight
 * and starts no new one; a message id on two entries is sent once; an entry trimmed away while
 * pending is acknowledged unsent. Against a real redis-server.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  conversationId,
  DEFAULT_SLA_POLICY,
  Handoff,
  OutboundConsumer,
  type OutboundMessage,
  type OutboundOptions,
} from '../../src/handoff/index.ts';
import { countRoundTrips } from '../support/roundtrips-counter.ts';
import { randomPrefix, startRedis, stopAll, type RedisServer } from '../support/redis.ts';
import { waitDrained } from '../support/streams.ts';
import { waitFor } from '../support/waits.ts';

const ALICE = { id: 'alice', name: 'Alice' };
const GROUP = 'bots';
const BOT = 'bot1';

let server: RedisServer;
let redis: Redis;
const running: OutboundConsumer[] = [];
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
});

afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

afterAll(stopAll);

/** A promise to settle by hand: a send that WeChat has not answered yet. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** A Handoff on a fresh prefix with `n` conversations Alice has claimed; returns them. */
async function chats(n: number): Promise<{ h: Handoff; convs: string[] }> {
  const h = new Handoff(redis, { prefix: randomPrefix(), policy: DEFAULT_SLA_POLICY });
  await h.registerBot(BOT);
  const convs: string[] = [];
  for (let i = 1; i <= n; i++) {
    const ref = { botId: BOT, customerId: `cust${i}` };
    await h.recordMessage(ref, { from: 'customer', text: '转人工' });
    await h.requestHuman(ref, { reason: 'customer_asked' });
    await h.claim(conversationId(BOT, ref.customerId), ALICE);
    convs.push(conversationId(BOT, ref.customerId));
  }
  return { h, convs };
}

async function started(h: Handoff, opts: Partial<OutboundOptions> & Pick<OutboundOptions, 'deliver'>, conn: Redis = server.client()): Promise<OutboundConsumer> {
  const c = new OutboundConsumer(conn, h.keys, { botId: BOT, consumer: 'bot-1', blockMs: 100, retryMs: 30, ...opts });
  await c.start();
  running.push(c);
  return c;
}

const pendingCount = async (h: Handoff): Promise<number> => Number(((await redis.xpending(h.keys.outbound(BOT), GROUP)) as [number])[0]);

describe('OutboundConsumer: conversations side by side', () => {
  it('a send that hangs for one customer does not hold up the others read with it; that customer then gets theirs in order', async () => {
    const { h, convs } = await chats(3);
    const [slow, b, c] = convs as [string, string, string];
    // All written before the consumer starts: its first read takes them in one page, the slow one first.
    await h.reply(slow, ALICE, 'slow-1');
    await h.reply(slow, ALICE, 'slow-2');
    await h.reply(b, ALICE, 'b-1');
    await h.reply(c, ALICE, 'c-1');
    await h.reply(b, ALICE, 'b-2');
    const wechat = gate();
    cleanups.push(() => wechat.open());
    const sent: string[] = [];
    await started(h, {
      deliver: async (m) => {
        if (m.conv === slow) await wechat.promise;
        sent.push(m.text);
      },
    });
    await waitFor('the other customers served while slow-1 hangs', () => sent.length === 3);
    expect(sent.sort()).toEqual(['b-1', 'b-2', 'c-1']);

    wechat.open();
    await waitFor('the slow customer served', () => sent.length === 5);
    expect(sent.slice(3)).toEqual(['slow-1', 'slow-2']);
    await waitDrained(redis, h.keys.outbound(BOT), GROUP);
    expect(await pendingCount(h)).toBe(0);
  });

  it('many replies to many customers with uneven send times: each once, in order per customer, a few at a time', async () => {
    const { h, convs } = await chats(8);
    const byConv = new Map<string, string[]>(convs.map((c) => [c, []]));
    let inFlight = 0;
    let most = 0;
    await started(h, {
      concurrency: 4,
      deliver: async (m) => {
        most = Math.max(most, ++inFlight);
        // Uneven by conversation and message: later messages of a chat may be quicker to send.
        await new Promise((r) => setTimeout(r, (Number(m.text.split('-')[1]) * 7 + m.conv.length) % 5));
        inFlight--;
        byConv.get(m.conv)!.push(m.text);
      },
    });
    const expected = new Map<string, string[]>(convs.map((c) => [c, []]));
    await Promise.all(
      Array.from({ length: 10 }, async (_, k) => {
        for (const conv of convs) {
          const text = `${conv}-${k}`;
          await h.reply(conv, ALICE, text);
        }
      }),
    );
    // Replies were written concurrently: the order each chat must keep is its stream order.
    const entries = await redis.xrange(h.keys.outbound(BOT), '-', '+');
    for (const [, flat] of entries) {
      const f = Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]));
      expected.get(f.conv!)!.push(f.text!);
    }
    await waitFor('80 deliveries', () => [...byConv.values()].reduce((n, l) => n + l.length, 0) === 80);
    await waitDrained(redis, h.keys.outbound(BOT), GROUP);
    for (const conv of convs) expect(byConv.get(conv)).toEqual(expected.get(conv));
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(4);
    expect(await redis.zcard(h.keys.delivered(BOT))).toBe(80);
  });

  it('stop() waits for every send in flight and starts no new one; what is left is pending for the next start', async () => {
    const { h, convs } = await chats(2);
    const [a, b] = convs as [string, string];
    await h.reply(a, ALICE, 'a-1');
    await h.reply(a, ALICE, 'a-2');
    await h.reply(b, ALICE, 'b-1');
    const wechat = gate();
    cleanups.push(() => wechat.open());
    const tried: string[] = [];
    const consumer = await started(h, {
      deliver: async (m) => {
        tried.push(m.text);
        await wechat.promise;
      },
    });
    await waitFor('a-1 and b-1 in flight', () => tried.length === 2);
    let stopped = false;
    const stopping = consumer.stop().then(() => (stopped = true));
    running.splice(running.indexOf(consumer), 1);
    // Still sending: not stopped yet (proved by a round trip to Redis after which it would have been).
    await redis.ping();
    expect(stopped).toBe(false);
    wechat.open();
    await stopping;
    expect(tried.sort()).toEqual(['a-1', 'b-1']);
    expect(await pendingCount(h)).toBe(1);

    const sent: string[] = [];
    await started(h, { deliver: async (m) => void sent.push(m.text) });
    await waitDrained(redis, h.keys.outbound(BOT), GROUP);
    expect(sent).toEqual(['a-2']);
  });

  it('one message id on two entries read in one page (a reply written twice): the customer gets it once', async () => {
    const { h, convs } = await chats(1);
    const { msgId } = await h.reply(convs[0]!, ALICE, 'once');
    const [entry] = await redis.xrange(h.keys.outbound(BOT), '-', '+');
    await redis.xadd(h.keys.outbound(BOT), '*', ...entry![1]);
    await h.reply(convs[0]!, ALICE, 'after');
    const sent: OutboundMessage[] = [];
    await started(h, { deliver: async (m) => void sent.push(m) });
    await waitDrained(redis, h.keys.outbound(BOT), GROUP);
    expect(sent.map((m) => m.text)).toEqual(['once', 'after']);
    expect(sent[0]!.msgId).toBe(msgId);
    expect(await pendingCount(h)).toBe(0);
  });

  it('a reply written while another customer\'s send hangs goes out without waiting for it', async () => {
    const { h, convs } = await chats(3);
    const [slow, b, c] = convs as [string, string, string];
    const wechat = gate();
    cleanups.push(() => wechat.open());
    const sent: string[] = [];
    await started(h, {
      deliver: async (m) => {
        if (m.conv === slow) await wechat.promise;
        sent.push(m.text);
      },
    });
    await h.reply(slow, ALICE, 'slow-1');
    await h.reply(b, ALICE, 'b-1');
    await waitFor('b-1 sent while slow-1 hangs', () => sent.includes('b-1'));
    // Read after the hanging send began, each on its own.
    await h.reply(c, ALICE, 'c-1');
    await waitFor('c-1 sent while slow-1 still hangs', () => sent.includes('c-1'));
    await h.reply(slow, ALICE, 'slow-2');
    await h.reply(b, ALICE, 'b-2');
    await waitFor('b-2 sent', () => sent.includes('b-2'));
    expect(sent).toEqual(['b-1', 'c-1', 'b-2']);

    wechat.open();
    await waitFor('the slow customer served', () => sent.length === 5);
    expect(sent.slice(3)).toEqual(['slow-1', 'slow-2']);
    await waitDrained(redis, h.keys.outbound(BOT), GROUP);
    expect(await pendingCount(h)).toBe(0);
  });

  it('a new reply costs nothing but the read that was waiting for it: no command between its write and its send', async () => {
    const { h, convs } = await chats(1);
    const conn = server.client();
    const counter = countRoundTrips(conn);
    cleanups.push(() => counter.detach());
    const sent: string[] = [];
    let roundsBeforeSend: string[][] | undefined;
    await started(
      h,
      {
        blockMs: 5_000,
        deliver: async (m) => {
          if (m.text === 'counted') roundsBeforeSend = counter.stop();
          sent.push(m.text);
        },
      },
      conn,
    );
    // Once: the scripts are loaded on the connection, and the consumer waits for the next entry
    // (its blocked read and the pending read behind it are the two commands in flight).
    await h.reply(convs[0]!, ALICE, 'first');
    await waitFor('first sent', () => sent.length === 1);
    // Its acknowledgement in too: a lane awaits it before the conversation's next send.
    await waitFor('first acknowledged', async () => (await pendingCount(h)) === 0);
    await waitFor('the consumer blocked, waiting for a new entry', () => counter.inFlight() === 2);
    counter.start();
    await h.reply(convs[0]!, ALICE, 'counted');
    await waitFor('counted sent', () => sent.length === 2);
    expect(roundsBeforeSend, JSON.stringify(roundsBeforeSend)).toEqual([]);
    await waitDrained(redis, h.keys.outbound(BOT), GROUP);
  });

  it('an entry trimmed away while pending is acknowledged, never sent; the rest go out in order', async () => {
    const { h, convs } = await chats(1);
    const stream = h.keys.outbound(BOT);
    for (const t of ['one', 'two', 'three']) await h.reply(convs[0]!, ALICE, t);
    // A consumer of this name read all three and died; then the stream was trimmed to its last two.
    await redis.xgroup('CREATE', stream, GROUP, '0', 'MKSTREAM');
    await redis.xreadgroup('GROUP', GROUP, 'bot-1', 'COUNT', 10, 'STREAMS', stream, '>');
    await redis.xtrim(stream, 'MAXLEN', 2);
    expect(await pendingCount(h)).toBe(3);
    const sent: string[] = [];
    await started(h, { deliver: async (m) => void sent.push(m.text) });
    await h.reply(convs[0]!, ALICE, 'four');
    await waitFor('two, three and four sent', () => sent.length === 3);
    await waitDrained(redis, stream, GROUP);
    expect(sent).toEqual(['two', 'three', 'four']);
    expect(await pendingCount(h)).toBe(0);
  });
});
