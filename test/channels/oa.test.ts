/**
 * The Official Account channel end to end: the bot role on a real Redis, its callback on real
 * HTTP, WeChat played by the project's simulator (safe mode, the real crypto, MsgIds beyond 2^53).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMsgCrypt, buildCallbackEnvelope, buildXml } from '../../src/channels/crypto/index.ts';
import { loadConfig } from '../../src/config.ts';
import { conversationId } from '../../src/handoff/index.ts';
import { startKefu, type Kefu } from '../../src/main.ts';
import { createWeChatSimulator, type WeChatSimulator } from '../../src/wechat-sim/index.ts';
import { randomPrefix, startRedis, type RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';

const OA = { appId: 'wxb11529c136998cb6', secret: '0123456789abcdef0123456789abcdef', token: 'pamtest', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };
const BOT = `oa-${OA.appId}`;
const KB = path.resolve('test/fixtures/policy-kb');

let redis: RedisServer;
let sim: WeChatSimulator;
let kefu: Kefu;
let journal: string;
let callbackUrl: string;

const texts = (openid: string) => sim.oa.received(openid).map((m) => m.text ?? '');
const transcript = (openid: string) => kefu.handoff.transcript(conversationId(BOT, openid));

beforeAll(async () => {
  redis = await startRedis();
  journal = await mkdtemp(path.join(os.tmpdir(), 'kefu-oa-'));
  sim = createWeChatSimulator({ oa: { appId: OA.appId, secret: OA.secret, token: OA.token, aesKey: OA.aesKey } });
  const base = await sim.listen();
  const config = loadConfig({
    CHANNELS: 'oa',
    OA_APP_ID: OA.appId,
    OA_APP_SECRET: OA.secret,
    OA_TOKEN: OA.token,
    OA_AES_KEY: OA.aesKey,
    OA_API_BASE: base,
    REDIS_URL: redis.url,
    REDIS_PREFIX: randomPrefix(),
    KB_DIR: KB,
    PORT: '0',
    LOG_LEVEL: 'silent',
    BOT_JOURNAL_DIR: journal,
  });
  kefu = await startKefu(config, { roles: ['bot'] });
  callbackUrl = `${kefu.ops!.url}/wechat/oa/callback`;
  sim.setCallbackUrl('oa', callbackUrl);
});

afterAll(async () => {
  await kefu?.stop();
  await sim?.close();
  await redis?.stop();
  await rm(journal, { recursive: true, force: true });
});

describe('Official Account channel (safe mode)', () => {
  it('passes WeChat\'s URL check', async () => {
    expect(await sim.oa.verifyCallback()).toBe(true);
  });

  it('answers an FAQ question passively, in the callback\'s own response, and records both sides', async () => {
    const openid = 'oCustomerAAAAAAAAAAAAAAAAAAA1';
    const { msgid, delivered } = sim.oa.customerSays(openid, '录屏没有声音怎么办');
    // A MsgId beyond 2^53: kept as the string WeChat sent.
    expect(BigInt(msgid) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    const result = await delivered;
    expect(result.attempts).toBe(1);
    const got = sim.oa.received(openid);
    expect(got.map((m) => m.via)).toEqual(['passive_reply']);
    expect(got[0]!.text).toContain('音频');
    const lines = await transcript(openid);
    expect(lines.map((m) => m.from)).toEqual(['customer', 'bot']);
    expect(lines[0]!.text).toBe('录屏没有声音怎么办');
  });

  it('a subscribe greets with the menu', async () => {
    const openid = 'oCustomerAAAAAAAAAAAAAAAAAAA2';
    await sim.oa.follow(openid).delivered;
    const all = await waitFor(() => (texts(openid).join('\n').includes('测试菜单') ? texts(openid) : undefined));
    expect(all.join('\n')).toContain('测试：您好');
    // The menu's numbers pick its entries afterwards.
    await sim.oa.customerSays(openid, '1').delivered;
    await waitFor(() => texts(openid).some((t) => t.includes('音频')));
  });

  it('the same message posted twice (a retried callback) makes one turn', async () => {
    const openid = 'oCustomerAAAAAAAAAAAAAAAAAAA3';
    const crypt = createMsgCrypt({ token: OA.token, aesKey: OA.aesKey, receiverId: OA.appId });
    const inner = buildXml({ ToUserName: 'gh_sim00000001', FromUserName: openid, CreateTime: Math.floor(Date.now() / 1000), MsgType: 'text', Content: '怎么开发票', MsgId: 24601234567890123456n });
    const sealed = crypt.seal(inner);
    const body = buildCallbackEnvelope(sealed.encrypt, { ToUserName: 'gh_sim00000001' });
    const { plainSignature } = await import('../../src/channels/crypto/index.ts');
    const qs = new URLSearchParams({
      signature: plainSignature(OA.token, sealed.timestamp, sealed.nonce),
      timestamp: sealed.timestamp,
      nonce: sealed.nonce,
      encrypt_type: 'aes',
      msg_signature: sealed.signature,
      openid,
    });
    const post = () => fetch(`${callbackUrl}?${qs}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body });
    const [a, b] = await Promise.all([post(), post()]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const bodies = [await a.text(), await b.text()];
    // One of them carries the passive answer; the other is only acknowledged.
    expect(bodies.filter((x) => x === 'success')).toHaveLength(1);
    const lines = await waitFor(async () => {
      const l = await transcript(openid);
      return l.length >= 2 ? l : undefined;
    });
    expect(lines.filter((m) => m.from === 'customer')).toHaveLength(1);
  });

  it('a forged callback is refused and records nothing', async () => {
    const openid = 'oCustomerAAAAAAAAAAAAAAAAAAA4';
    const inner = buildXml({ ToUserName: 'gh', FromUserName: openid, CreateTime: Math.floor(Date.now() / 1000), MsgType: 'text', Content: 'hi', MsgId: 1n });
    const res = await fetch(`${callbackUrl}?signature=0000&timestamp=${Math.floor(Date.now() / 1000)}&nonce=1`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: inner });
    expect(res.status).toBe(401);
    expect(await transcript(openid)).toEqual([]);
  });

  it('an agent\'s replies go out through the customer-service API until WeChat\'s window allows no more; the agent sees why', async () => {
    const openid = 'oCustomerAAAAAAAAAAAAAAAAAAA5';
    await sim.oa.customerSays(openid, '转人工').delivered;
    const conv = conversationId(BOT, openid);
    await waitFor(async () => (await kefu.handoff.conversation(conv))?.status === 'waiting');
    const agent = { id: 'a1', name: '小王', publicName: '小王' };
    await kefu.handoff.claim(conv, agent);
    for (let i = 1; i <= 6; i++) await kefu.handoff.reply(conv, agent, `第${i}条回复`);
    const failed = await waitFor(async () => (await transcript(openid)).find((m) => m.from === 'system' && m.kind === 'send_failed'));
    expect(failed.text).toContain('已发送 5 条');
    const viaApi = sim.oa.received(openid).filter((m) => m.via === 'custom_send').map((m) => m.text);
    // The agent's joining went out with the first reply, not as one of the five on its own: five
    // replies went out, in order, and the sixth was refused here.
    const replies = viaApi.filter((t) => t?.includes('条回复'));
    expect(replies).toHaveLength(5);
    expect(replies[0]).toMatch(/小王[^\n]*\n\n第1条回复$/);
    expect(replies.slice(1)).toEqual(['第2条回复', '第3条回复', '第4条回复', '第5条回复']);
  });
});
