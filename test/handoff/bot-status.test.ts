/**
 * The bot account's login state (scan / logged in / logged out) with the QR code to scan, kept in the
 * bot's hash tag where a console can show it, against a real redis-server.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { env } from '../support/handoff-fixture.ts';
import { useRedisServer } from '../support/hooks.ts';

let redis: Redis;
useRedisServer((_s, c) => (redis = c));

describe('bot status', () => {
  it('is null before the bot ever reported, then the latest report (a stale QR code is cleared)', async () => {
    const { h } = await env(redis, { bots: [] });
    expect(await h.botStatus('wx1')).toBeNull();
    await h.setBotStatus('wx1', { status: 'scan', qrUrl: 'https://login.weixin.qq.com/l/abc', at: '2026-11-24T02:00:00.000Z' });
    expect(await h.botStatus('wx1')).toEqual({ status: 'scan', qrUrl: 'https://login.weixin.qq.com/l/abc', at: '2026-11-24T02:00:00.000Z' });
    await h.setBotStatus('wx1', { status: 'logged_in', at: '2026-11-24T02:01:00.000Z' });
    expect(await h.botStatus('wx1')).toEqual({ status: 'logged_in', at: '2026-11-24T02:01:00.000Z' });
    expect(await h.bots()).toContain('wx1');
  });

  it('lives under the bot account\'s hash tag', async () => {
    const { h, prefix } = await env(redis, { bots: [] });
    await h.setBotStatus('wx2', { status: 'logged_out', at: '2026-11-24T02:00:00.000Z' });
    expect(await redis.exists(`${prefix}:{b:wx2}:status`)).toBe(1);
  });
});
