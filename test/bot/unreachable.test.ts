/**
 * An agent reply to a customer the bot account cannot reach (they deleted the bot, or a contact
 * the puppet no longer knows): other customers' replies go on, and after giveUpMs the agent sees
 * in the transcript that it was never delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationId } from '../../src/handoff/index.ts';
import { startHarness, type Harness } from '../support/bot.ts';
import { useRedisServer } from '../support/hooks.ts';
import type { RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let h: Harness;
beforeAll(async () => {
  h = await startHarness(server.url, { outbound: { retryMs: 50, blockMs: 200, giveUpMs: 2_500 } });
});
afterAll(async () => {
  await h?.stop();
});

const ALICE = { id: 'alice', name: 'Alice' };

describe('an unreachable customer', () => {
  it('does not hold up the account; their reply is given up and noted for the agent', async () => {
    // A conversation whose customer this bot account has never seen (no contact to send to).
    const ghost = { botId: h.botId, customerId: 'kf-999' };
    await h.handoff.recordMessage(ghost, { from: 'customer', text: '转人工' });
    await h.handoff.requestHuman(ghost, { reason: 'customer_asked' });
    const ghostConv = conversationId(h.botId, 'kf-999');
    await h.handoff.claim(ghostConv, ALICE);
    await h.handoff.reply(ghostConv, ALICE, '您好，还在吗？');

    const c = h.customer();
    c.say('转人工');
    await c.hears(/排第 \d+ 位/);
    const conv = await c.conversationId();
    await h.handoff.claim(conv, ALICE);
    await h.handoff.reply(conv, ALICE, '我来帮您看看');
    await c.hears('我来帮您看看');
    // Served while the ghost's reply was still being retried (not given up yet).
    expect((await h.handoff.transcript(ghostConv)).some((m) => m.kind === 'send_failed')).toBe(false);

    await waitFor('the ghost reply given up', async () => (await h.handoff.transcript(ghostConv)).some((m) => m.kind === 'send_failed'), 8_000);
    const failed = (await h.handoff.transcript(ghostConv)).find((m) => m.kind === 'send_failed');
    expect(failed).toMatchObject({ from: 'system', text: '您好，还在吗？' });
    const pending = (await h.redis.xpending(h.handoff.keys.outbound(h.botId), 'bots')) as [number, ...unknown[]];
    expect(Number(pending[0])).toBe(0);
  });
});
