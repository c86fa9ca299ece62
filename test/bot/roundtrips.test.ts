/**
 * Redis round trips of one customer turn through the real bot (Wechaty on wechaty-puppet-mock,
 * the real knowledge base, a real redis-server): an answered turn costs one, a turn that hands the
 * chat to a person (转人工) at most two. Counted on the bot's own client (test/support/roundtrips-counter.ts);
 * the test reads Redis through a client of its own, so its reads are never counted.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAnswer } from '../../src/knowledge/index.ts';
import { conversationId, DEFAULT_SLA_POLICY, Handoff, type TranscriptMessage } from '../../src/handoff/index.ts';
import { startHarness, type Harness, type MockCustomer } from '../support/bot.ts';
import { useRedisServer } from '../support/hooks.ts';
import type { RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';
import { countRoundTrips, type Round, type RoundTripCounter } from '../support/roundtrips-counter.ts';

let server: RedisServer;
let redis: Redis;
useRedisServer((s, c) => {
  server = s;
  redis = c;
});

let h: Harness;
let counter: RoundTripCounter;
/** The same keys read through the test's own client. */
let reads: Handoff;
beforeAll(async () => {
  h = await startHarness(server.url);
  counter = countRoundTrips(h.redis);
  reads = new Handoff(redis, { prefix: h.prefix, policy: DEFAULT_SLA_POLICY });
});
afterAll(async () => {
  counter?.detach();
  await h?.stop();
});

const QUEUED = /排第 (\d+) 位/;
const answerOf = (id: string): string => renderAnswer(h.knowledge.matcher().entry(id)!.answer)[0]!;

async function convOf(c: MockCustomer): Promise<string> {
  const id = await waitFor('the customer to have an id', () => redis.hget(reads.keys.identity(h.botId), `c:${c.id}`));
  return conversationId(h.botId, id);
}

/** A customer the bot knows already (their id resolved, every script loaded on the connection). */
async function knownCustomer(): Promise<{ c: MockCustomer; conv: string }> {
  const c = h.customer();
  c.say('录屏没有声音怎么办');
  await c.hears(answerOf('no-sound'));
  const conv = await convOf(c);
  await waitFor('the answer recorded', async () => (await reads.transcript(conv)).some((m) => m.faqId === 'no-sound'));
  return { c, conv };
}

/** A question whose turn is one command: an FAQ answer (a chat waiting for a person: silence). */
const MARKER = '录屏没有声音怎么办';

/**
 * The rounds of the turn `text` starts, counted until `over` holds for the transcript and the
 * customer heard `heard`. Then a marker message of the same customer (handled only after the
 * counted turn ended) proves nothing of the turn came later.
 */
async function rounds(c: MockCustomer, conv: string, text: string, heard: RegExp | string, over: (t: TranscriptMessage[]) => boolean): Promise<Round[]> {
  const from = c.heard.length;
  counter.start();
  c.say(text);
  await c.hears(heard, from);
  await waitFor(`the turn "${text}" over in the transcript`, async () => over(await reads.transcript(conv)));
  const counted = counter.stop();
  expect(counter.inFlight()).toBe(0);
  const markers = async () => (await reads.transcript(conv)).filter((m) => m.from === 'customer' && m.text === MARKER).length;
  const seen = await markers();
  c.say(MARKER);
  await waitFor('the marker recorded', async () => (await markers()) > seen);
  await waitFor('the marker turn answered by Redis', () => counter.inFlight() === 0);
  expect(counter.after(), JSON.stringify(counter.after()) + 'commands after the counted turn: the marker turn\'s only').toHaveLength(1);
  return counted;
}

describe('Redis round trips of a bot turn', () => {
  it('an answered FAQ question: one round trip', async () => {
    const { c, conv } = await knownCustomer();
    // Another question than the one just answered (that one again is pointed back to, not re-sent).
    const answered = await rounds(c, conv, '录好的视频保存在哪里', answerOf('find-recordings'), (t) => t.some((m) => m.faqId === 'find-recordings'));
    expect(answered, JSON.stringify(answered)).toHaveLength(1);
  });

  it('转人工: at most two round trips, with the same queue notice, transcript, events and funnel count', async () => {
    // A first handoff loads the handoff's scripts on the connection (EVAL once, EVALSHA after).
    const warm = await knownCustomer();
    warm.c.say('转人工');
    await warm.c.hears(QUEUED);

    const { c, conv } = await knownCustomer();
    const before = await reads.totals();
    const waiting = await reads.listWaiting();
    const eventsFrom = (await redis.xrevrange(reads.keys.events(h.botId), '+', '-', 'COUNT', 1))[0]![0];
    const handedOff = await rounds(c, conv, '转人工', QUEUED, (t) => t.some((m) => m.from === 'bot' && QUEUED.test(m.text)));
    expect(handedOff.length, JSON.stringify(handedOff)).toBeLessThanOrEqual(2);

    // What the customer heard: their place behind everyone already waiting.
    const notice = c.heard.find((t) => QUEUED.test(t))!;
    expect(Number(QUEUED.exec(notice)![1])).toBe(waiting.length + 1);
    const t = await reads.transcript(conv);
    const turn = t.slice(t.findIndex((m) => m.text === '转人工'));
    expect(turn.slice(0, 3).map((m) => [m.from, m.text])).toEqual([
      ['customer', '转人工'],
      ['system', 'handoff: customer_asked'],
      ['bot', notice],
    ]);
    // A bare 转人工 queues the question the customer asked before it (knownCustomer's), not the word.
    expect(await reads.conversation(conv)).toMatchObject({ status: 'waiting', reason: 'customer_asked', question: '录屏没有声音怎么办' });
    const after = await reads.totals();
    expect((after['handoff:customer_asked'] ?? 0) - (before['handoff:customer_asked'] ?? 0)).toBe(1);
    const events = (await reads.eventsBetween(h.botId, eventsFrom)).filter((e) => e.conv === conv);
    expect(events.slice(0, 3).map((e) => [e.type, e.data.from, e.data.status])).toEqual([
      ['message', 'customer', 'bot'],
      ['waiting', 'bot', undefined],
      ['message', 'bot', 'waiting'],
    ]);
    expect(events[1]!.data).toMatchObject({ reason: 'customer_asked', slaDueAt: expect.stringMatching(/^\d+$/) });
  });
});
