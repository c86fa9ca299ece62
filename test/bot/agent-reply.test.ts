/**
 * Issue 11: agent replies are limited to 2,000 characters, WeChat's messages to 2,000 bytes. The bot
 * splits a long reply like its own answers and sends the parts in order; a part WeChat refused is
 * retried from the outbound stream without sending the parts that already went through again.
 *
 * The real Wechaty runtime on wechaty-puppet-mock and a real redis-server (./harness.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WECHAT_MAX_MESSAGE_BYTES } from '../../src/knowledge/index.ts';
import { startHarness, type Harness, type MockCustomer } from '../support/bot.ts';
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

const ALICE = { id: 'alice', name: 'Alice' };
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** 2,000 characters of Chinese, 3 bytes each: 6,000 bytes. */
function longReply(): string {
  const sentence = '请您先打开设置页面然后点击录音选项检查麦克风权限是否已经开启。';
  const text = Array.from(sentence.repeat(Math.ceil(2_000 / sentence.length))).slice(0, 2_000).join('');
  expect(Array.from(text)).toHaveLength(2_000);
  expect(bytes(text)).toBe(6_000);
  return text;
}

/** A customer whose chat an agent has claimed; the number of lines heard so far. */
async function claimedCustomer(): Promise<{ c: MockCustomer; id: string; from: number }> {
  const c = h.customer();
  c.say('转人工');
  await c.hears(/排第 \d+ 位/);
  const id = await c.conversationId();
  await h.handoff.claim(id, ALICE);
  return { c, id, from: c.heard.length };
}

/** What the customer heard after `from`, once it adds up to `text`. */
async function heardWhole(c: MockCustomer, from: number, text: string): Promise<string[]> {
  await waitFor(
    () => `the whole reply to arrive (heard ${c.heard.slice(from).join('').length} of ${text.length} characters)`,
    () => c.heard.slice(from).join('').length >= text.length,
    8_000,
  );
  // Delivered and acknowledged to the end: nothing more can arrive.
  await h.outboundDrained();
  return c.heard.slice(from);
}

describe('a long agent reply', () => {
  it('2,000 Chinese characters (6,000 bytes) reach the customer as several messages within the byte limit, in order, text intact', async () => {
    const { c, id, from } = await claimedCustomer();
    const text = longReply();
    await h.handoff.reply(id, ALICE, text);
    const parts = await heardWhole(c, from, text);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const p of parts) expect(bytes(p)).toBeLessThanOrEqual(WECHAT_MAX_MESSAGE_BYTES);
    expect(parts.join('')).toBe(text);
    // Split at sentence ends: every part but the last ends with one.
    for (const p of parts.slice(0, -1)) expect(p.endsWith('。')).toBe(true);
    // One reply in the transcript, as the agent wrote it.
    expect((await h.handoff.transcript(id)).filter((m) => m.from === 'agent').map((m) => m.text)).toEqual([text]);
  });

  it('a part WeChat refuses is retried later; the parts already sent are not sent again', async () => {
    const { c, id, from } = await claimedCustomer();
    const text = longReply();
    const original = h.puppet.messageSendText.bind(h.puppet);
    const attempts: string[] = [];
    let failures = 0;
    h.puppet.messageSendText = async (to: string, part: string) => {
      if (to === c.id) {
        attempts.push(part);
        // The second part fails once.
        if (attempts.length === 2 && failures === 0) {
          failures++;
          throw new Error('network down');
        }
      }
      return original(to, part);
    };
    try {
      await h.handoff.reply(id, ALICE, text);
      const parts = await heardWhole(c, from, text);
      expect(failures).toBe(1);
      expect(parts.join('')).toBe(text);
      // The failed part was attempted twice, every other part once.
      expect(attempts).toEqual([parts[0], parts[1], ...parts.slice(1)]);
      const [pending] = (await h.redis.xpending(h.handoff.keys.outbound(h.botId), 'bots')) as [number];
      expect(Number(pending)).toBe(0);
    } finally {
      h.puppet.messageSendText = original;
    }
  });
});
