/**
 * Recovery against a real redis-server with AOF on (appendfsync always): Redis killed or stopped
 * mid-test and restarted on the same port and data dir, with the production client from
 * src/handoff/redis.ts (reconnects forever, offline queue on).
 */
import type { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  conversationId,
  createRedis,
  DEFAULT_SLA_POLICY,
  EventReader,
  Handoff,
  isReady,
  OutboundConsumer,
  type HandoffEvent,
} from '../../src/handoff/index.ts';
import { randomPrefix, startRedis, stopAll, type RedisServer } from '../support/redis.ts';
import { waitDrained } from '../support/streams.ts';
import { waitFor, waitForEvent } from '../support/waits.ts';

const ALICE = { id: 'alice', name: 'Alice' };

let server: RedisServer;
/** Production clients made by a test, closed after it. */
const clients: (Redis | Cluster)[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  server = await startRedis({ appendonly: true });
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const c of clients.splice(0)) c.disconnect();
  // Every test leaves the server up for the next one.
  if (server.pid === undefined) await server.restart();
});

afterAll(stopAll);

/** The production client (src/handoff/redis.ts), closed after the test. */
function connect(): Redis {
  const c = createRedis({ url: server.url }) as Redis;
  clients.push(c);
  return c;
}

function handoff(redis: Redis): Handoff {
  return new Handoff(redis, { prefix: randomPrefix(), policy: DEFAULT_SLA_POLICY });
}

/** True once the promise settled (checked without waiting for it). */
function tracker(p: Promise<unknown>): () => boolean {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  return () => settled;
}

const texts = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`);

describe('recovery: Redis restarted with AOF on', () => {
  it('100 customer messages written before a SIGKILL are all in the transcript after the restart', async () => {
    const client = connect();
    const h = handoff(client);
    const ref = { botId: 'bot1', customerId: 'cust1' };
    const conv = conversationId(ref.botId, ref.customerId);
    const written = await Promise.all(
      texts('msg', 100).map((text, i) => h.recordMessage(ref, { from: 'customer', text, msgId: `wx${i + 1}` })),
    );

    const pid = server.pid;
    await server.stop({ signal: 'SIGKILL' });
    await server.restart();
    expect(server.pid).not.toBe(pid);

    // The same client reconnects by itself; a fresh one sees the same data.
    const transcript = await h.transcript(conv);
    expect(transcript.map((m) => m.text)).toEqual(texts('msg', 100));
    expect(transcript.map((m) => m.id)).toEqual(written.map((w) => w.id));
    expect(transcript.map((m) => m.msgId)).toEqual(texts('wx', 100).map((t) => t.replace(' ', '')));
    const fresh = connect();
    expect(await fresh.xlen(h.keys.transcript(conv))).toBe(100);
    expect(await fresh.xlen(h.keys.events('bot1'))).toBe(100);
    expect(await fresh.hget(h.keys.conversation(conv), 'status')).toBe('bot');
    expect(isReady(client)).toBe(true);
  });

  it('writes in flight when Redis is SIGKILLed: every acknowledged message is there exactly once, in order', async () => {
    const client = connect();
    const h = handoff(client);
    const ref = { botId: 'bot1', customerId: 'cust1' };
    const WRITERS = 4;
    const acked: string[] = [];
    let stop = false;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const text = `w${w}-${i}`;
        await h.recordMessage(ref, { from: 'customer', text, msgId: text });
        acked.push(text);
      }
    });
    await waitFor('some writes', () => acked.length >= 200);
    await server.stop({ signal: 'SIGKILL' });
    const ackedAtKill = acked.length;
    await server.restart();
    await waitFor('writes after the restart', () => acked.length >= ackedAtKill + 100);
    stop = true;
    await Promise.all(writers);

    // A command whose reply the crash swallowed (though Redis had run it and written the AOF) is
    // sent again by ioredis after reconnecting; the WeChat msgId keeps it from being recorded twice.
    const transcript = await h.transcript(conversationId(ref.botId, ref.customerId), { count: 100_000 });
    expect(transcript.map((m) => m.text).sort()).toEqual([...acked].sort());
    for (let w = 0; w < WRITERS; w++) {
      const seq = transcript.filter((m) => m.text.startsWith(`w${w}-`)).map((m) => Number(m.text.split('-')[1]));
      expect(seq).toEqual(seq.map((_, i) => i));
    }
    expect(await client.xlen(h.keys.events('bot1'))).toBe(acked.length);
  });

  it('a message recorded again with the same msgId (a resent command) is kept once', async () => {
    const h = handoff(connect());
    const ref = { botId: 'bot1', customerId: 'cust1' };
    const first = await h.recordMessage(ref, { from: 'customer', text: '在吗', msgId: 'wx-1' });
    const again = await h.recordMessage(ref, { from: 'customer', text: '在吗', msgId: 'wx-1' });
    const other = await h.recordMessage(ref, { from: 'customer', text: '在吗', msgId: 'wx-2' });
    const plain = await Promise.all([1, 2].map(() => h.recordMessage(ref, { from: 'bot', text: '在的' })));
    expect(again).toEqual(first);
    expect(other.id).not.toBe(first.id);
    expect(plain[0]!.id).not.toBe(plain[1]!.id); // without a msgId nothing is deduplicated
    const transcript = await h.transcript(first.conversationId);
    expect(transcript.map((m) => m.msgId ?? m.text)).toEqual(['wx-1', 'wx-2', '在的', '在的']);
  });

  it('while Redis is down, customer messages and a handoff request wait in the offline queue and are written once, in order', async () => {
    const client = connect();
    const h = handoff(client);
    await h.registerBot('bot1');
    const ref = { botId: 'bot1', customerId: 'cust1' };
    const conv = conversationId(ref.botId, ref.customerId);
    await h.recordMessage(ref, { from: 'customer', text: '你好' });
    await h.recordMessage(ref, { from: 'bot', text: '您好，请问有什么可以帮您？', faqId: 'greeting', confidence: 0.9 });

    await server.stop();
    await waitFor('client to notice', () => !isReady(client));

    // The bot keeps going without awaiting Redis: everything is queued in the client.
    const before = texts('offline', 3).map((text, i) => h.recordMessage(ref, { from: 'customer', text, msgId: `off${i + 1}` }));
    const ticketP = h.requestHuman(ref, { reason: 'customer_asked', question: '我要人工' });
    const after = [4, 5, 6].map((i) => h.recordMessage(ref, { from: 'customer', text: `offline ${i}`, msgId: `off${i}` }));
    const all = Promise.all([...before, ticketP, ...after]);
    const settled = tracker(all);
    // A failed reconnection attempt with the writes queued: they wait, neither sent nor failed.
    await waitForEvent(client, 'reconnecting');
    expect(isReady(client)).toBe(false);
    expect(settled()).toBe(false);

    await server.restart();
    const [ticket] = await Promise.all([ticketP, all]);
    await waitFor('client ready again', () => isReady(client));

    expect(ticket).toMatchObject({ status: 'waiting', queued: true, position: 1 });
    expect(ticket.notice).not.toBeNull();
    const transcript = await h.transcript(conv);
    const customer = transcript.filter((m) => m.from === 'customer').map((m) => m.text);
    expect(customer).toEqual(['你好', ...texts('offline', 6)]);
    expect(transcript.filter((m) => m.event === 'waiting')).toHaveLength(1);
    expect(transcript).toHaveLength(2 + 6 + 1);

    const c = await h.conversation(conv);
    // A bare request for a person takes the question asked before it: the last one written ahead of it.
    expect(c).toMatchObject({ status: 'waiting', reason: 'customer_asked', question: 'offline 3' });
    expect((await h.listWaiting()).map((w) => w.id)).toEqual([conv]);
    const events = await client.xrange(h.keys.events('bot1'), '-', '+');
    const types = events.map(([, f]) => f[f.indexOf('type') + 1]);
    expect(types.filter((t) => t === 'waiting')).toHaveLength(1);
    expect(types.filter((t) => t === 'message')).toHaveLength(8);
  });

  it('an OutboundConsumer keeps delivering across a restart: replies from before, during and after, each once, in order', async () => {
    const agentSide = connect();
    const h = handoff(agentSide);
    const ref = { botId: 'bot1', customerId: 'cust1' };
    const conv = conversationId(ref.botId, ref.customerId);
    await h.recordMessage(ref, { from: 'customer', text: '人工' });
    await h.requestHuman(ref, { reason: 'customer_asked' });
    await h.claim(conv, ALICE);

    const sent: string[] = [];
    const botSide = connect();
    const consumer = new OutboundConsumer(botSide, h.keys, {
      botId: 'bot1',
      consumer: 'bot-1',
      blockMs: 200,
      retryMs: 50,
      deliver: async (m) => void sent.push(m.text),
    });
    await consumer.start();
    cleanups.push(() => consumer.stop());

    for (const t of texts('before', 5)) await h.reply(conv, ALICE, t);
    await waitFor('"before" delivered', () => sent.length >= 5);

    await server.stop({ signal: 'SIGKILL' });
    await waitFor('agent side notices', () => !isReady(agentSide));
    const during = texts('during', 5).map((t) => h.reply(conv, ALICE, t));
    await waitFor('the consumer side to notice too', () => !isReady(botSide));
    await server.restart();
    await Promise.all(during);

    for (const t of texts('after', 5)) await h.reply(conv, ALICE, t);
    await waitFor('all 15 delivered', () => sent.length >= 15);
    // Read and acknowledged to the end: nothing is left that could be delivered again.
    await waitDrained(agentSide, h.keys.outbound('bot1'), 'bots');
    expect(sent).toEqual([...texts('before', 5), ...texts('during', 5), ...texts('after', 5)]);
    const pending = (await agentSide.xpending(h.keys.outbound('bot1'), 'bots')) as [number, ...unknown[]];
    expect(Number(pending[0])).toBe(0);
    expect(await agentSide.zcard(h.keys.delivered('bot1'))).toBe(15);
  });

  it('an EventReader resumes after a restart without losing or repeating events; a restarted console resumes from positions()', async () => {
    const writer = connect();
    const h = handoff(writer);
    await h.registerBot('bot1');
    const ref = { botId: 'bot1', customerId: 'cust1' };
    const conv = conversationId(ref.botId, ref.customerId);

    const seen: HandoffEvent[] = [];
    const readerSide = connect();
    const reader = new EventReader(readerSide, connect, h.keys, { blockMs: 200, discoverMs: 200 });
    reader.onEvent((e) => seen.push(e));
    await reader.start();
    cleanups.push(() => reader.stop());

    for (const t of texts('before', 5)) await h.recordMessage(ref, { from: 'customer', text: t });
    await waitFor('"before" events', () => seen.length >= 5);

    await server.stop({ signal: 'SIGKILL' });
    await waitFor('writer notices', () => !isReady(writer));
    const during = texts('during', 5).map((text) => h.recordMessage(ref, { from: 'customer', text }));
    await waitFor('the reader side to notice too', () => !isReady(readerSide));
    await server.restart();
    await Promise.all(during);
    for (const t of texts('after', 4)) await h.recordMessage(ref, { from: 'customer', text: t });
    await h.requestHuman(ref, { reason: 'customer_asked' });
    // A last event: the reader reads the stream in order, so once it has this one it has had every
    // event before it, each as often as it will ever get it.
    const marker = await h.recordMessage(ref, { from: 'customer', text: 'marker' });

    await waitFor('the last event', () => seen.some((e) => e.data.msg === marker.id));
    const transcript = await h.transcript(conv);
    const messages = transcript.filter((m) => m.from === 'customer');
    expect(seen.filter((e) => e.type === 'message').map((e) => e.data.msg)).toEqual(messages.map((m) => m.id));
    expect(seen.map((e) => e.type)).toEqual([...Array<string>(14).fill('message'), 'waiting', 'message']);
    expect(seen.every((e) => e.botId === 'bot1' && e.conv === conv)).toBe(true);
    expect(new Set(seen.map((e) => e.id)).size).toBe(16);
    expect(reader.positions()).toEqual({ bot1: seen.at(-1)!.id });

    // The console restarts: it persisted positions() and continues after them.
    const saved = reader.positions();
    await reader.stop();
    await h.claim(conv, ALICE);
    await h.reply(conv, ALICE, '您好');
    const resumed: HandoffEvent[] = [];
    const again = new EventReader(connect(), connect, h.keys, { from: saved, blockMs: 200, discoverMs: 200 });
    again.onEvent((e) => resumed.push(e));
    await again.start();
    cleanups.push(() => again.stop());
    const last = await h.reply(conv, ALICE, '还有问题吗？');
    await waitFor('events since the saved position', () => resumed.some((e) => e.data.msg === last.id));
    expect(resumed.map((e) => e.type)).toEqual(['claimed', 'message', 'message']);
  });
});
