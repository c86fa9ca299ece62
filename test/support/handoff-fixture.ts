/**
 * Shared helpers for the handoff tests that run against a real redis-server (see ./redis.ts):
 * a controllable clock, a Handoff on a fresh prefix, conversations brought into each status, and a
 * snapshot of every key a transition may touch (to prove a refused transition changed nothing).
 */
import { DateTime } from 'luxon';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { Handoff, HandoffError, type HandoffErrorCode, type HandoffOptions } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import type { ConversationStatus, CustomerRef, HandoffEvent } from '../../src/handoff/types.ts';
import { fieldsOf } from '../../src/handoff/convert.ts';
import { randomPrefix } from './redis.ts';

export const ZONE = 'Asia/Shanghai';

/** Wall-clock time in Shanghai → epoch ms. */
export const at = (local: string): number => {
  const dt = DateTime.fromISO(local, { zone: ZONE });
  if (!dt.isValid) throw new Error(`bad test time ${local}`);
  return dt.toMillis();
};
export const iso = (ms: number): string => new Date(ms).toISOString();

/** A Tuesday, 10:00 in Shanghai: inside business hours (09:00–18:00, Mon–Fri). */
export const TUESDAY_10 = at('2026-11-24T10:00');
/** A Friday, 18:30 in Shanghai: just after closing; the next opening is Monday 09:00. */
export const FRIDAY_1830 = at('2026-11-27T18:30');
export const MONDAY_09 = at('2026-11-30T09:00');

/** A clock the test moves by hand. */
export interface Clock {
  t: number;
  now: () => number;
  advance(ms: number): number;
}
export function clockAt(t: number): Clock {
  const c: Clock = { t, now: () => c.t, advance: (ms) => (c.t += ms) };
  return c;
}

export interface Env {
  redis: Redis;
  h: Handoff;
  clock: Clock;
  prefix: string;
}

/** A Handoff on its own random prefix with the default policy, with `bots` registered. */
export async function env(
  redis: Redis,
  opts: { t?: number; bots?: string[]; prefix?: string } & Partial<HandoffOptions> = {},
): Promise<Env> {
  const clock = clockAt(opts.t ?? TUESDAY_10);
  const prefix = opts.prefix ?? randomPrefix();
  const h = new Handoff(redis, { policy: DEFAULT_SLA_POLICY, now: clock.now, ...opts, prefix });
  for (const b of opts.bots ?? ['botA']) await h.registerBot(b);
  return { redis, h, clock, prefix };
}

export const ALICE = { id: 'alice', name: 'Alice' };
export const BOB = { id: 'bob', name: 'Bob' };
export const CAROL = { id: 'carol', name: 'Carol' };

export const ref = (customerId: string, botId = 'botA'): CustomerRef => ({ botId, customerId, customerName: `Name of ${customerId}` });

/**
 * Brings a new conversation of `ref` into `status` through the public API. `active` belongs to
 * Alice; `awaiting_fix` was parked from the queue on problem P1; `resolved` was resolved by Alice.
 * Each step moves the clock one minute on.
 */
export async function bringTo(e: Env, r: CustomerRef, status: ConversationStatus): Promise<string> {
  const { h, clock } = e;
  const { conversationId } = await h.recordMessage(r, { from: 'customer', text: '你好，我要退款' });
  if (status === 'bot') return conversationId;
  clock.advance(60_000);
  await h.requestHuman(r, { reason: 'customer_asked', question: '我要退款\n第二行' });
  if (status === 'waiting') return conversationId;
  clock.advance(60_000);
  if (status === 'awaiting_fix') {
    await h.park(conversationId, { problemId: 'P1', by: 'alice' });
    return conversationId;
  }
  await h.claim(conversationId, ALICE);
  if (status === 'active') return conversationId;
  clock.advance(60_000);
  await h.reply(conversationId, ALICE, '已为您处理');
  clock.advance(60_000);
  await h.resolve(conversationId, { by: 'alice' });
  return conversationId;
}

export interface Snapshot {
  conversation: Record<string, string>;
  customer: Record<string, string>;
  queue: string[];
  sla: string[];
  active: string[];
  parked: string[];
  transcript: number;
  events: number;
  outbound: number;
  keys: string[];
}

/** Everything a transition of `id` could touch. */
export async function snapshot(e: Env, id: string): Promise<Snapshot> {
  const { redis, h } = e;
  const k = h.keys;
  const [botId, customerId] = id.split('.') as [string, string];
  const z = (key: string) => redis.zrange(key, '0', '-1', 'WITHSCORES');
  return {
    conversation: await redis.hgetall(k.conversation(id)),
    customer: await redis.hgetall(k.customer(botId, customerId)),
    queue: await z(k.queue(botId)),
    sla: await z(k.slaTimers(botId)),
    active: await z(k.active(botId)),
    parked: await z(k.parked(botId)),
    transcript: await redis.xlen(k.transcript(id)),
    events: await redis.xlen(k.events(botId)),
    outbound: await redis.xlen(k.outbound(botId)),
    keys: (await redis.keys(`${e.prefix}:*`)).sort(),
  };
}

/** Awaits `p`, expecting a HandoffError with `code`; returns it for further checks. */
export async function expectHandoffError(p: Promise<unknown>, code: HandoffErrorCode): Promise<HandoffError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected HandoffError ${code}`).toBeInstanceOf(HandoffError);
  expect((err as HandoffError).code).toBe(code);
  return err as HandoffError;
}

/** Every entry of a bot's events stream, in the shape EventReader hands out. */
export async function events(e: Env, botId = 'botA'): Promise<HandoffEvent[]> {
  const entries = await e.redis.xrange(e.h.keys.events(botId), '-', '+');
  return entries.map(([id, flat]) => {
    const { type, conv, at: when, ...data } = fieldsOf(flat);
    return { id, botId, type: type as HandoffEvent['type'], conv: conv ?? '', at: when ? iso(Number(when)) : '', data };
  });
}

export const lastEvent = async (e: Env, botId = 'botA'): Promise<HandoffEvent> => (await events(e, botId)).at(-1)!;

/** A zset read WITHSCORES as { member: score }. */
export async function zmap(redis: Redis, key: string): Promise<Record<string, number>> {
  const flat = await redis.zrange(key, '0', '-1', 'WITHSCORES');
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = Number(flat[i + 1]);
  return out;
}

export function shuffle<T>(items: T[], seed = 42): T[] {
  // Small deterministic PRNG (mulberry32) so a failing order can be reproduced.
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
