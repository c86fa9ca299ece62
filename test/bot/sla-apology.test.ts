/**
 * A waiting customer whose promised reply time passed hears an apology with a new estimate, once
 * per breach: the SLA tick queues it, the real bot (Wechaty on wechaty-puppet-mock, a real
 * redis-server, the product's `_messages.yml`) words and delivers it, and the transcript keeps it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { startHarness, type Harness } from '../support/bot.ts';
import { useRedisServer } from '../support/hooks.ts';
import type { RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let h: Harness;
let clock = Date.now();
/** The ticking side (any process may tick), on a clock the test moves past the due time. */
let ticker: Handoff;
beforeAll(async () => {
  h = await startHarness(server.url);
  ticker = new Handoff(h.redis, { prefix: h.prefix, policy: DEFAULT_SLA_POLICY, now: () => clock });
});
afterAll(async () => {
  await h?.stop();
});

const QUEUED = /排第 \d+ 位/;

describe('SLA breach', () => {
  it('the waiting customer hears one apology with a new time, and it is in the transcript', async () => {
    const c = h.customer();
    c.say('转人工');
    await c.hears(QUEUED);
    const id = await c.conversationId();
    const due = Date.parse((await ticker.conversation(id))!.slaDueAt!);
    clock = due + 1_000;
    expect((await ticker.tickSlaCounts()).breaches).toBe(1);
    const heard = await c.hears(/抱歉让您久等了/);
    // The product's phrase with the new time in it ("预计今天 15:30 前回复您").
    const [before, after] = h.messages.sla_apology.split('{time}');
    expect(heard.startsWith(before!) && heard.endsWith(after!)).toBe(true);
    expect(heard.slice(before!.length, heard.length - after!.length)).toMatch(/\d\d:\d\d$/);
    // Ticking on: the same breach is not apologised for again.
    clock += 120_000;
    await ticker.tickSlaCounts();
    await h.outboundDrained();
    await waitFor('the apology in the transcript', async () => (await c.transcript()).some((m) => m.from === 'bot' && m.text === heard));
    expect(c.heard.filter((t) => t.includes('抱歉让您久等了'))).toHaveLength(1);
    // Still waiting: an apology does not change where the chat stands.
    expect((await ticker.conversation(id))!.status).toBe('waiting');
  }, 30_000);
});
