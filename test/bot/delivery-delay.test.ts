/**
 * A reply the bot cannot deliver is said in the transcript within a minute, not a day later: the
 * real Wechaty runtime on wechaty-puppet-mock and a real redis-server, an agent replying to a
 * customer this login does not know (a demo restarted, a contact gone), the notice shortened here.
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
beforeAll(async () => {
  h = await startHarness(server.url, { outbound: { retryMs: 50, blockMs: 200, delayNoticeMs: 300 } });
});
afterAll(async () => {
  await h?.stop();
});

describe('a reply stuck on its way', () => {
  it('leaves one 暂未送达 line in the transcript while the bot keeps trying', async () => {
    const console_ = new Handoff(h.redis, { prefix: h.prefix, policy: DEFAULT_SLA_POLICY });
    const ref = { botId: h.botId, customerId: 'gone-customer', customerName: '重启前的客户' };
    await console_.recordMessage(ref, { from: 'customer', text: '在吗，转人工' });
    await console_.requestHuman(ref, { reason: 'customer_asked' });
    const id = `${h.botId}.gone-customer`;
    const agent = { id: 'alice', name: 'Alice' };
    await console_.claim(id, agent);
    await console_.reply(id, agent, '您好，我来帮您看看');
    let lines: string[] = [];
    await waitFor('the delay line', async () => {
      lines = (await console_.transcript(id)).filter((m) => m.from === 'system' && m.kind?.startsWith('send_')).map((m) => m.kind!);
      return lines.length > 0;
    }, 10_000);
    // Still retrying well past the notice: no second line.
    await new Promise((r) => setTimeout(r, 600));
    lines = (await console_.transcript(id)).filter((m) => m.from === 'system' && m.kind?.startsWith('send_')).map((m) => m.kind!);
    expect(lines).toEqual(['send_delayed']);
  });
});
