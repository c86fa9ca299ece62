/**
 * A handoff decided with the customer's message (recordTurn with `handoff`, what the bot does for
 * 转人工 or a low confidence) against a real redis-server: one round trip, and the same result as
 * recording the message and then calling requestHuman, in every state the bot hands off from.
 * Each case runs twice on twin prefixes, one per way, on the same clock, and compares everything
 * the console and the funnel read: the ticket, the conversation, the transcript, the events, the
 * queue, the SLA timers and the counters.
 */
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CustomerRef, HandoffReason, NewMessage, TurnOutcome } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY, slaTimes } from '../../src/handoff/sla.ts';
import type { ConversationStatus } from '../../src/handoff/types.ts';
import { countRoundTrips, type RoundTripCounter } from '../support/roundtrips-counter.ts';
import { at, bringTo, env, events, FRIDAY_1830, ref, snapshot, TUESDAY_10, type Env } from '../support/handoff-fixture.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';

let server: RedisServer;
useRedisServer((s) => {
  server = s;
});

/** Two clients, each with its own count: the combined turn's and the two-step way's. */
let one: Redis;
let two: Redis;
let counted: RoundTripCounter;
beforeAll(() => {
  one = server.client();
  two = server.client();
  counted = countRoundTrips(one);
});

interface Case {
  /** Brings both twins to the same state (same calls, same clock) before the turn. */
  before?: (e: Env) => Promise<unknown>;
  /** Status of the conversation the turn is decided for (default: a new chat, 'bot'). */
  from?: ConversationStatus;
  t?: number;
  tierRule?: (r: CustomerRef) => 'vip' | undefined;
  bots?: string[];
  reason?: HandoffReason;
  outcome?: TurnOutcome;
}

const customer = ref('c1');
const message = (msgId: string): NewMessage => ({ from: 'customer', text: '转人工', msgId });

/** Everything a handoff turn writes, without the stream ids (which differ between the twins). */
async function written(e: Env, botIds: string[]) {
  const id = `${customer.botId}.${customer.customerId}`;
  const snap = await snapshot(e, id);
  // An agent's reply gets a random msgId of its own.
  const uuid = /^[0-9a-f]{8}-[0-9a-f-]{27}$/;
  const transcript = (await e.redis.xrange(e.h.keys.transcript(id), '-', '+')).map(([, flat]) => flat.map((v) => (uuid.test(v) ? 'uuid' : v)));
  const evs = (await Promise.all(botIds.map((b) => events(e, b)))).flat().map(({ id: _, data: { msg: __, ...data }, ...ev }) => ({ ...ev, data }));
  const day = await e.h.dayCounters(e.h.dayOf(e.clock.t));
  return { ...snap, keys: snap.keys.map((k) => k.slice(e.prefix.length)), transcript, events: evs, totals: await e.h.totals(), day };
}

/** Runs `c` both ways; returns the combined turn's result, its round trips and the twins' states. */
async function twins(c: Case) {
  const bots = c.bots ?? ['botA', 'botB'];
  const t = c.t ?? TUESDAY_10;
  const opts = { t, bots, tierRule: c.tierRule };
  const a = await env(one, opts);
  const b = await env(two, opts);
  for (const e of [a, b]) await c.before?.(e);
  a.clock.t = b.clock.t = a.clock.t + 60_000;
  const decidedFor = c.from ?? 'bot';
  const reason = c.reason ?? 'customer_asked';
  const turn = { replies: [], decidedFor, outcome: c.outcome };

  counted.start();
  const combined = await a.h.recordTurn(customer, message('m1'), { ...turn, handoff: { reason, question: '转人工\n第二行' } });
  const rounds = counted.stop();

  const recorded = await b.h.recordTurn(customer, message('m1'), turn);
  expect(recorded.status).toBe(decidedFor === 'resolved' ? 'bot' : decidedFor);
  const ticket = await b.h.requestHuman(customer, { reason, question: '转人工\n第二行' });
  return { combined, rounds, ticket, a: await written(a, bots), b: await written(b, bots), envA: a };
}

/** Waiting conversations on both accounts, some due before the customer, some after. */
async function othersWaiting(e: Env): Promise<void> {
  for (const [i, r] of [ref('a1'), ref('b1', 'botB'), ref('b2', 'botB')].entries()) {
    await e.h.recordMessage(r, { from: 'customer', text: '人工', msgId: `w${i}` });
    await e.h.requestHuman(r, { reason: 'customer_asked' });
    e.clock.advance(20 * 60_000);
  }
}

describe('a handoff with the customer\'s message (recordTurn + handoff)', () => {
  const cases: [string, Case][] = [
    ['standard, in business hours, behind both accounts\' waiting customers', { before: othersWaiting }],
    ['VIP by a manager\'s decision', { before: async (e) => (await othersWaiting(e), await e.h.setTier('botA', 'c1', 'vip')) }],
    ['VIP by the rule', { before: othersWaiting, tierRule: (r) => (r.customerId === 'c1' ? 'vip' : undefined) }],
    ['low confidence, counted as unanswered too', { before: othersWaiting, reason: 'low_confidence', outcome: { type: 'unanswered', question: '转人工' } }],
    // Everyone queued over the weekend is due at one instant, a tie 1 ms after another.
    ['out of hours (ties)', { before: othersWaiting, t: FRIDAY_1830 }],
    ['a resolved chat, reopened by the message', { before: (e) => bringTo(e, customer, 'resolved'), from: 'resolved' }],
    ['a chat awaiting a fix', { before: (e) => bringTo(e, customer, 'awaiting_fix'), from: 'awaiting_fix' }],
  ];

  it.each(cases)('%s: one round trip, and the same as the message then requestHuman', async (_, c) => {
    const { combined, rounds, ticket, a, b } = await twins(c);
    expect(rounds, JSON.stringify(rounds)).toHaveLength(1);
    expect(combined).toMatchObject({ status: 'waiting', repliesRecorded: true, duplicate: false });
    expect(combined.ticket).toEqual(ticket);
    expect(ticket).toMatchObject({ status: 'waiting', queued: true });
    expect(a).toEqual(b);
    // A bare 转人工 is about what the customer asked before it (the chat's earlier message), when there is one.
    const earlier = c.from ? '你好，我要退款' : '转人工';
    expect(a.conversation).toMatchObject({ status: 'waiting', reason: c.reason ?? 'customer_asked', question: earlier });
  });

  it('ties: the other accounts\' customers due at the same instant, and 1 ms after, are ahead', async () => {
    // On a Saturday everyone is due at the same instant on Monday; a tie is due 1 ms after the last.
    const ties = async (e: Env) => {
      for (const [i, r] of [ref('a1'), ref('a2'), ref('b1', 'botB'), ref('b2', 'botB')].entries()) {
        await e.h.recordMessage(r, { from: 'customer', text: '人工', msgId: `w${i}` });
        await e.h.requestHuman(r, { reason: 'customer_asked' });
      }
    };
    const { combined, rounds, ticket, a, b } = await twins({ before: ties, t: at('2026-11-28T11:00') });
    expect(combined.ticket).toEqual(ticket);
    expect(a).toEqual(b);
    // Its due time is 2 ms after the instant (botA's two went first): botB's two, due at that
    // instant and 1 ms after, are ahead as well.
    expect(ticket.position).toBe(2 + 2 + 1);
    // botB's due times in the tie span were read with the rest: one round trip.
    expect(rounds, JSON.stringify(rounds)).toHaveLength(1);
  });

  it('more ties on another account than are read at once: that account is asked again once the due time is known', async () => {
    const many = async (e: Env) => {
      for (let i = 0; i < 2; i++) await e.h.requestHuman(ref(`a${i}`), { reason: 'customer_asked' });
      for (let i = 0; i < 101; i++) await e.h.requestHuman(ref(`b${i}`, 'botB'), { reason: 'customer_asked' });
    };
    const { combined, rounds, ticket, a, b } = await twins({ before: many, t: at('2026-11-28T11:00') });
    expect(combined.ticket).toEqual(ticket);
    expect(a).toEqual(b);
    // Due 2 ms after the instant (botA's two first): botB's first two, of 101 due from the instant on, are ahead too.
    expect(ticket.position).toBe(2 + 2 + 1);
    expect(rounds, JSON.stringify(rounds)).toHaveLength(2);
  });

  it('redone (the same msgId again, as the journal replays it): nothing changes, no second ticket', async () => {
    const { envA } = await twins({ before: othersWaiting });
    const id = 'botA.c1';
    const before = await snapshot(envA, id);
    const totals = await envA.h.totals();
    envA.clock.advance(60_000);
    const again = await envA.h.recordTurn(customer, message('m1'), { replies: [], decidedFor: 'bot', handoff: { reason: 'customer_asked' } });
    expect(again).toMatchObject({ duplicate: true, ticket: null });
    expect(await snapshot(envA, id)).toEqual(before);
    expect(await envA.h.totals()).toEqual(totals);
  });

  it('a chat already waiting (the bot knew it as its own): the message is recorded, nothing queued or counted, decide again', async () => {
    const e = await env(one, { bots: ['botA'] });
    const id = await bringTo(e, customer, 'waiting');
    const queue = await e.redis.zrange(e.h.keys.queue('botA'), '0', '-1', 'WITHSCORES');
    const totals = await e.h.totals();
    const evs = (await events(e)).length;
    e.clock.advance(60_000);
    const res = await e.h.recordTurn(customer, message('m2'), { replies: [], decidedFor: 'bot', handoff: { reason: 'customer_asked' } });
    expect(res).toMatchObject({ status: 'waiting', repliesRecorded: false, duplicate: false, ticket: null });
    expect((await e.h.transcript(id)).at(-1)).toMatchObject({ from: 'customer', text: '转人工', msgId: 'm2' });
    expect(await e.redis.zrange(e.h.keys.queue('botA'), '0', '-1', 'WITHSCORES')).toEqual(queue);
    expect(await e.h.totals()).toEqual(totals);
    expect((await events(e)).slice(evs).map((ev) => ev.type)).toEqual(['message']);
  });

  it('an account registered by another process after this one read the list: its queue counts too (one more round trip)', async () => {
    const prefix = randomPrefix();
    const e = await env(one, { prefix, bots: ['botA'] });
    const other = await env(two, { prefix, bots: ['botZ'] });
    await other.h.recordMessage(ref('z1', 'botZ'), { from: 'customer', text: '人工', msgId: 'z' });
    await other.h.requestHuman(ref('z1', 'botZ'), { reason: 'customer_asked' });
    e.clock.advance(60_000);
    counted.start();
    const res = await e.h.recordTurn(customer, message('m1'), { replies: [], decidedFor: 'bot', handoff: { reason: 'customer_asked' } });
    const rounds = counted.stop();
    expect(res.ticket).toMatchObject({ queued: true, position: 2 });
    expect(rounds, JSON.stringify(rounds)).toHaveLength(2);
    // Known from now on: the next one is one round trip again.
    counted.start();
    const next = await e.h.requestHuman(ref('c2'), { reason: 'customer_asked' });
    expect(counted.stop()).toHaveLength(1);
    expect(next).toMatchObject({ queued: true, position: 3 });
  });

  it('requestHuman alone: one round trip; asked again while waiting it answers the place from the stored due time', async () => {
    const e = await env(one, { bots: ['botA', 'botB'] });
    await othersWaiting(e);
    counted.start();
    const first = await e.h.requestHuman(customer, { reason: 'customer_asked' });
    expect(counted.stop()).toHaveLength(1);
    expect(first).toMatchObject({ queued: true, position: 4, slaDueAt: new Date(slaTimes(e.clock.t, 'standard', DEFAULT_SLA_POLICY).dueAt).toISOString() });
    e.clock.advance(60_000);
    const again = await e.h.requestHuman(customer, { reason: 'customer_asked' });
    expect(again).toMatchObject({ queued: false, position: 4, slaDueAt: first.slaDueAt, notice: { position: 4, expectedBy: Date.parse(first.slaDueAt!) } });
  });
});
