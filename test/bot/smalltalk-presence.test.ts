/**
 * "在吗" and "你好" are different small talk: after the first one's greeting and menu, a later
 * "你好" gets a greeting back and a later "在吗" gets 在的~ — through the real Wechaty runtime on
 * wechaty-puppet-mock, a real redis-server and the product's `_messages.yml` / `_smalltalk.yml`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type MockCustomer } from '../support/bot.ts';
import { useRedisServer } from '../support/hooks.ts';
import type { RedisServer } from '../support/redis.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let h: Harness;
beforeAll(async () => {
  h = await startHarness(server.url);
});
afterAll(async () => {
  await h?.stop();
});

/** Says `text` and returns the first thing the bot says back. */
async function replyTo(c: MockCustomer, text: string, expected: string | RegExp = /./): Promise<string> {
  const n = c.heard.length;
  c.say(text);
  return c.hears(expected, n);
}

describe('presence vs greeting small talk', () => {
  it('在吗 then 你好: the greeting and menu, then a greeting (not 在的~)', async () => {
    const c = h.customer();
    expect(await replyTo(c, '在吗')).toContain(h.messages.greeting);
    await c.hears(h.messages.menu_header);
    const again = await replyTo(c, '你好');
    expect(again).toBe(h.messages.greeting_again);
    expect(again).not.toMatch(/^在的/);
  }, 30_000);

  it('你好 then 在吗: the greeting and menu, then 在的~', async () => {
    const c = h.customer();
    expect(await replyTo(c, '你好')).toContain(h.messages.greeting);
    await c.hears(h.messages.menu_header);
    const again = await replyTo(c, '在吗？');
    expect(again).toBe(h.messages.presence_again);
    expect(again).toMatch(/^在的~/);
  }, 30_000);
});
