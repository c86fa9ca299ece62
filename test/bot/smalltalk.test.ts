/**
 * Small talk on the real Wechaty runtime (wechaty-puppet-mock, the product knowledge base, a real
 * redis-server): a new customer who only asks about the weather gets a short reply and the menu,
 * not a place in the human queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { menuEntries, renderAnswer } from '../../src/knowledge/index.ts';
import { startHarness, type Harness } from '../support/bot.ts';
import { useRedisServer } from '../support/hooks.ts';
import type { RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let h: Harness;
beforeAll(async () => {
  h = await startHarness(server.url);
});
afterAll(async () => {
  await h?.stop();
});

describe('small talk on wechaty-puppet-mock', () => {
  it('"今天天气怎么样" from a new customer: the reply and the menu, no handoff', async () => {
    const c = h.customer({ name: '李雷' });
    c.say('今天天气怎么样');
    await c.hears(h.messages.smalltalk_weather);
    await c.hears(h.messages.menu_header);
    // The menu it got is the one its numbers pick from.
    const first = menuEntries(h.knowledge.matcher().kb)[0]!;
    const n = c.heard.length;
    c.say('1');
    await c.hears(renderAnswer(first.answer)[0]!, n);

    const conv = await h.handoff.conversation(await c.conversationId());
    expect(conv).toMatchObject({ status: 'bot', reason: null, waitingSince: null });
    expect(c.heard.some((t) => /排第 \d+ 位/.test(t) || t.includes(h.messages.low_confidence_handoff))).toBe(false);
    // Counted as small talk for the funnel, and no knowledge gap for editors.
    await waitFor('the small talk counted', async () => (await h.handoff.totals())['out:smalltalk'] === 1);
    const gaps = await h.handoff.knowledgeGaps(50);
    expect(gaps.filter((g) => g.conv === conv!.id)).toEqual([]);
  });

  it('"我想咨询一下", then the question in the next message: "您请说", then the answer, no handoff', async () => {
    const c = h.customer({ name: '韩梅梅' });
    c.say('你好，我想咨询一下');
    await c.hears(h.messages.smalltalk_preamble);
    const n = c.heard.length;
    c.say('录屏没有声音怎么办');
    const entry = h.knowledge.matcher().entry('no-sound')!;
    await c.hears(renderAnswer(entry.answer)[0]!, n);
    const conv = await h.handoff.conversation(await c.conversationId());
    expect(conv).toMatchObject({ status: 'bot', waitingSince: null });
    expect(c.heard.some((t) => t.includes(h.messages.low_confidence_handoff) || t.includes(h.messages.menu_header))).toBe(false);
  });
});
