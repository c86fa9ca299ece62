/**
 * A 微信客服 customer's image reaches the agent: the adapter fetches it with media/get (within its
 * size limit) into Redis, the transcript links it, and the console serves it to agents only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { conversationId } from '../../src/handoff/index.ts';
import { startKefu, type Kefu } from '../../src/main.ts';
import type { WeChatSimulator } from '../../src/wechat-sim/index.ts';
import { randomPrefix, startRedis, type RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';
import { BOT_ID, CALLBACK, KFID, kfEnv, kfSimulator } from './e2e-support.ts';

const PASSWORD = 'media-test-Passw0rd!';
// A 1x1 PNG: real image bytes, not text.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

let redis: RedisServer;
let sim: WeChatSimulator;
let kefu: Kefu;
let journal: string;
let token: string;

beforeAll(async () => {
  redis = await startRedis();
  journal = await mkdtemp(path.join(os.tmpdir(), 'kefu-media-'));
  sim = kfSimulator();
  const base = await sim.listen();
  const config = loadConfig({
    ...kfEnv(base),
    REDIS_URL: redis.url,
    REDIS_PREFIX: randomPrefix(),
    KB_DIR: path.resolve('test/fixtures/policy-kb'),
    BOT_JOURNAL_DIR: journal,
    KEFU_ADMIN_PASSWORD: PASSWORD,
  });
  kefu = await startKefu(config, { roles: ['bot', 'console'] });
  sim.setCallbackUrl('wecom-kf', `${kefu.console!.url}${CALLBACK}`);
  const login = await fetch(`${kefu.console!.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  token = ((await login.json()) as { token: string }).token;
});

afterAll(async () => {
  await kefu?.stop();
  await sim?.close();
  await redis?.stop();
  await rm(journal, { recursive: true, force: true });
});

describe('微信客服 media', () => {
  it('an image the customer sends is kept for the agents and served to them only', async () => {
    const who = 'wmMediaCustomer0001';
    await sim.customerSays(KFID, who, { image: { data: PNG, contentType: 'image/png' } }).delivered;
    const conv = conversationId(BOT_ID, who);
    const auth = { authorization: `Bearer ${token}` };
    const msg = await waitFor('the image in the transcript', async () => {
      const res = await fetch(`${kefu.console!.url}/api/conversations/${conv}`, { headers: auth });
      const body = (await res.json()) as { messages?: { from: string; kind?: string; mediaUrl?: string }[]; channel?: { kind: string } };
      const m = body.messages?.find((x) => x.from === 'customer' && x.mediaUrl);
      return m && { ...m, channel: body.channel };
    });
    expect(msg.channel?.kind).toBe('wecom-kf');
    expect(msg.kind).toBe('image');
    expect(msg.mediaUrl).toMatch(new RegExp(`^/api/media/${BOT_ID}/[A-Za-z0-9_-]+$`));
    const file = await fetch(`${kefu.console!.url}${msg.mediaUrl}`, { headers: auth });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await file.arrayBuffer()).equals(PNG)).toBe(true);
    expect((await fetch(`${kefu.console!.url}${msg.mediaUrl}`)).status).toBe(401);
    expect((await fetch(`${kefu.console!.url}/api/media/${BOT_ID}/nope`, { headers: auth })).status).toBe(404);
  });
});
