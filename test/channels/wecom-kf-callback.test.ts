/**
 * The 微信客服 callback routes (signature, freshness, receiver id, the official URL-check vector)
 * and the channel's pure parts: settings, ids, how sync_msg entries read in the transcript.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCallbackEnvelope, buildXml, createMsgCrypt } from '../../src/channels/crypto/index.ts';
import { callbackRoutes, type KfNotice } from '../../src/channels/wecom-kf/callback.ts';
import { botIdOf, customerIdOf, createWecomKf, parseWecomKfSettings } from '../../src/channels/wecom-kf/index.ts';
import { sendMsgId } from '../../src/channels/wecom-kf/ids.ts';
import { classify, describe as describeEntry } from '../../src/channels/wecom-kf/inbound.ts';
import { kfMessage } from '../../src/channels/wecom-kf/wire.ts';
import { createKeys } from '../../src/handoff/keys.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';

// WeCom's published test vector.
const VECTOR = {
  token: 'QDG6eK',
  aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  corpId: 'wx5823bf96d3bd56c7',
  query: {
    msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
    timestamp: '1409659589',
    nonce: '263014780',
    echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
  },
  plain: '1616140317555161061',
};

let redis: Redis;
useRedisServer((_s, c) => (redis = c));

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

const qs = (q: Record<string, string>): string => new URLSearchParams(q).toString();

describe('URL verification (GET)', () => {
  it("answers the official vector's echostr decrypted, though its timestamp is years old", async () => {
    const module = createWecomKf(
      { corpId: VECTOR.corpId, secret: 'unused-secret', token: VECTOR.token, aesKey: VECTOR.aesKey, openKfids: ['wkVector'], apiBase: 'http://127.0.0.1:1', pollS: 0 },
      { redis, keys: createKeys(randomPrefix()) },
    );
    const app = Fastify({ logger: false });
    apps.push(app);
    await module.routes?.(app);
    const res = await app.inject({ method: 'GET', url: `/wecom/kf/callback?${qs(VECTOR.query)}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe(VECTOR.plain);

    const tampered = await app.inject({ method: 'GET', url: `/wecom/kf/callback?${qs({ ...VECTOR.query, nonce: '263014781' })}` });
    expect(tampered.statusCode).toBe(403);
    expect(tampered.body).toBe('CRYPTO_BAD_SIGNATURE');
    const missing = await app.inject({ method: 'GET', url: '/wecom/kf/callback?timestamp=1' });
    expect(missing.statusCode).toBe(400);
    await module.close();
  });
});

describe('kf_msg_or_event notices (POST)', () => {
  const corpId = 'wwcallbacktest01';
  const token = 'cbToken1';
  const aesKey = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
  const NOW = 1_750_000_000_000;
  const crypt = createMsgCrypt({ token, aesKey, receiverId: corpId });

  async function routes(): Promise<{ app: FastifyInstance; notices: KfNotice[] }> {
    const notices: KfNotice[] = [];
    const app = Fastify({ logger: false });
    apps.push(app);
    await callbackRoutes({ crypt, onNotice: (n) => notices.push(n), now: () => NOW })(app);
    return { app, notices };
  }

  function post(app: FastifyInstance, inner: string, o: { timestamp?: string; sealer?: typeof crypt } = {}) {
    const sealed = (o.sealer ?? crypt).seal(inner, { timestamp: o.timestamp ?? String(NOW / 1000), nonce: '12345' });
    const body = buildCallbackEnvelope(sealed.encrypt, { ToUserName: corpId, AgentID: '' });
    const q = { msg_signature: sealed.signature, timestamp: sealed.timestamp, nonce: sealed.nonce };
    return app.inject({ method: 'POST', url: `/wecom/kf/callback?${qs(q)}`, headers: { 'content-type': 'text/xml' }, payload: body });
  }

  const notice = buildXml({ ToUserName: corpId, CreateTime: NOW / 1000, MsgType: 'event', Event: 'kf_msg_or_event', Token: 'ENCsyncToken', OpenKfId: 'wkOne' });

  it('answers "success" and hands on the sync token and the account', async () => {
    const { app, notices } = await routes();
    const res = await post(app, notice);
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('success');
    await new Promise((r) => setImmediate(r));
    expect(notices).toEqual([{ token: 'ENCsyncToken', openKfid: 'wkOne' }]);
  });

  it('refuses a replay (stale timestamp), a forged signature and a notice for another corp', async () => {
    const { app, notices } = await routes();
    const stale = await post(app, notice, { timestamp: String(NOW / 1000 - 3600) });
    expect([stale.statusCode, stale.body]).toEqual([403, 'CRYPTO_STALE_TIMESTAMP']);

    const sealed = crypt.seal(notice, { timestamp: String(NOW / 1000), nonce: '1' });
    const forged = await app.inject({
      method: 'POST',
      url: `/wecom/kf/callback?${qs({ msg_signature: '0'.repeat(40), timestamp: sealed.timestamp, nonce: sealed.nonce })}`,
      headers: { 'content-type': 'text/xml' },
      payload: buildCallbackEnvelope(sealed.encrypt),
    });
    expect([forged.statusCode, forged.body]).toEqual([403, 'CRYPTO_BAD_SIGNATURE']);

    const otherCorp = createMsgCrypt({ token, aesKey, receiverId: 'wwsomeoneelse' });
    const foreign = await post(app, notice, { sealer: otherCorp });
    expect([foreign.statusCode, foreign.body]).toEqual([403, 'CRYPTO_WRONG_RECEIVER']);

    const notXml = await app.inject({ method: 'POST', url: `/wecom/kf/callback?${qs({ msg_signature: 'a'.repeat(40), timestamp: String(NOW / 1000), nonce: '1' })}`, headers: { 'content-type': 'text/xml' }, payload: 'hello' });
    expect(notXml.statusCode).toBe(400);
    await new Promise((r) => setImmediate(r));
    expect(notices).toEqual([]);
  });
});

describe('settings', () => {
  const env = {
    WECOM_CORP_ID: 'ww0123456789abcdef',
    WECOM_KF_SECRET: 'a-secret-of-some-length',
    WECOM_TOKEN: 'Token123',
    WECOM_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
    WECOM_OPEN_KFIDS: 'wkA, wkB,wkA',
  };

  it('reads the WECOM_* variables with their defaults', () => {
    expect(parseWecomKfSettings({ ...env, WECOM_AES_KEY_PREVIOUS: '', WECOM_API_BASE: 'http://127.0.0.1:9/' })).toEqual({
      ok: true,
      settings: {
        corpId: env.WECOM_CORP_ID,
        secret: env.WECOM_KF_SECRET,
        token: 'Token123',
        aesKey: env.WECOM_AES_KEY,
        previousAesKey: undefined,
        openKfids: ['wkA', 'wkB'],
        apiBase: 'http://127.0.0.1:9',
        pollS: 60,
        transferToServicer: undefined,
      },
    });
    expect(parseWecomKfSettings(env)).toMatchObject({ ok: true, settings: { apiBase: 'https://qyapi.weixin.qq.com' } });
  });

  it('names every missing or malformed variable at once', () => {
    const r = parseWecomKfSettings({ WECOM_CORP_ID: 'ww0123456789abcdef', WECOM_AES_KEY: 'short', WECOM_OPEN_KFIDS: ' , ' });
    expect(r.ok).toBe(false);
    const issues = r.ok ? [] : r.issues;
    expect(issues.map((i) => i.variable).sort()).toEqual(['WECOM_AES_KEY', 'WECOM_KF_SECRET', 'WECOM_OPEN_KFIDS', 'WECOM_TOKEN']);
    expect(issues.find((i) => i.variable === 'WECOM_TOKEN')?.message).toMatch(/required/);
    expect(issues.find((i) => i.variable === 'WECOM_AES_KEY')?.message).toMatch(/43/);
  });
});

describe('ids', () => {
  it('makes handoff ids of open_kfids and external_userids, hashing what does not fit', () => {
    expect(botIdOf('wkpI5mOQAAGqDJXbsNS08uP6UnrOatjg')).toBe('kf-wkpI5mOQAAGqDJXbsNS08uP6UnrOatjg');
    expect(botIdOf('wk.with.dots')).toMatch(/^kf-wk_with_dots-[A-Za-z0-9_-]{12}$/);
    expect(botIdOf('wk.with.dots')).not.toBe(botIdOf('wk_with_dots'));
    expect(customerIdOf('wmpI5mOQAAr5ArPGyeDmNpMtWVU5uLCw')).toBe('wmpI5mOQAAr5ArPGyeDmNpMtWVU5uLCw');
    expect(customerIdOf('wm+odd/id')).toMatch(/^h_[A-Za-z0-9_-]{27}$/);
  });

  it("derives a send's msgid from its key: stable, within WeChat's 32 characters, distinct per customer", () => {
    const a = sendMsgId('kf-wk1', 'wmA', 'm1:0');
    expect(a).toMatch(/^[0-9a-zA-Z_-]{1,32}$/);
    expect(sendMsgId('kf-wk1', 'wmA', 'm1:0')).toBe(a);
    expect(sendMsgId('kf-wk1', 'wmB', 'm1:0')).not.toBe(a);
    expect(sendMsgId('kf-wk1', 'wmA', 'm1:1')).not.toBe(a);
  });
});

describe('sync_msg entries', () => {
  const entry = (o: Record<string, unknown>) => kfMessage.parse({ msgid: 'm1', send_time: 1_700_000_000, external_userid: 'wmA', open_kfid: 'wk1', ...o });

  it('reads customer messages, media and locations as transcript kinds and text', () => {
    expect(classify(entry({ origin: 3, msgtype: 'text', text: { content: '你好' } }))).toEqual({
      type: 'customer',
      externalUserId: 'wmA',
      at: 1_700_000_000_000,
      kind: 'text',
      text: '你好',
    });
    expect(describeEntry(entry({ origin: 3, msgtype: 'image', image: { media_id: 'MEDIA1' } }))).toEqual({ kind: 'image', text: '[图片] media_id:MEDIA1', mediaId: 'MEDIA1' });
    expect(describeEntry(entry({ origin: 3, msgtype: 'location', location: { latitude: 23.1, longitude: 113.3, name: '广州塔', address: '阅江西路' } }))).toEqual({
      kind: 'location',
      text: '[位置] 广州塔 阅江西路 (23.1,113.3)',
    });
    expect(describeEntry(entry({ origin: 3, msgtype: 'business_card', business_card: { userid: 'u1' } }))).toEqual({ kind: 'contact', text: '[名片]' });
  });

  it('tells servicers and events from customers', () => {
    expect(classify(entry({ origin: 5, servicer_userid: 'zhangsan', msgtype: 'text', text: { content: '好的' } }))).toMatchObject({ type: 'servicer', servicer: 'zhangsan', text: '好的' });
    const ev = entry({ origin: 4, external_userid: undefined, msgtype: 'event', event: { event_type: 'enter_session', external_userid: 'wmB', welcome_code: 'W' } });
    expect(classify(ev)).toMatchObject({ type: 'event', externalUserId: 'wmB', event: { welcome_code: 'W' } });
  });
});
