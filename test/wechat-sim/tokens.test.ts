import { afterEach, describe, expect, it } from 'vitest';
import type { WeChatSimulator } from '../../src/wechat-sim/index.ts';
import { api, KF, makeSim, OA, oaToken, WECOM, wecomPost, wecomToken } from './helpers.ts';

let sim: WeChatSimulator;
afterEach(async () => sim?.close());

const stateOf = (s: WeChatSimulator, token: string) => wecomPost(s, token, '/cgi-bin/kf/service_state/get', { open_kfid: KF, external_userid: 'wmA' });

describe('WeCom gettoken', () => {
  it('hands out the same token while it lives, with expires_in', async () => {
    sim = makeSim();
    const first = await api(sim, 'GET', '/cgi-bin/gettoken', { query: { corpid: WECOM.corpId, corpsecret: WECOM.secret } });
    expect(first.json).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    expect(first.json.access_token).toMatch(/^[\w-]{40,}$/);
    expect(await wecomToken(sim)).toBe(first.json.access_token);
    expect((await stateOf(sim, first.json.access_token as string)).errcode).toBe(0);
  });

  it('refuses wrong or missing credentials with the real codes', async () => {
    sim = makeSim();
    const get = (query: Record<string, string>) => api(sim, 'GET', '/cgi-bin/gettoken', { query }).then((r) => r.json);
    expect((await get({ corpid: 'wwother', corpsecret: WECOM.secret })).errcode).toBe(40013);
    expect((await get({ corpid: WECOM.corpId, corpsecret: 'nope' })).errcode).toBe(40001);
    expect((await get({ corpsecret: WECOM.secret })).errcode).toBe(41002);
    const bad = await get({ corpid: WECOM.corpId });
    expect(bad.errcode).toBe(41004);
    expect(bad.errmsg).toMatch(/more info at https:\/\/open\.work\.weixin\.qq\.com\/devtool\/query\?e=41004$/);
  });

  it('answers 41001 without a token and 40014 for one it never issued', async () => {
    sim = makeSim();
    expect((await api(sim, 'POST', '/cgi-bin/kf/sync_msg', { body: {} })).json.errcode).toBe(41001);
    expect((await stateOf(sim, 'made-up-token')).errcode).toBe(40014);
  });

  it('expires tokens after their lifetime (42001) and then issues a new one', async () => {
    sim = makeSim({ tokenTtlS: 60 });
    const token = await wecomToken(sim);
    sim.advanceClock(59_000);
    expect((await stateOf(sim, token)).errcode).toBe(0);
    sim.advanceClock(2_000);
    const expired = await stateOf(sim, token);
    expect(expired.errcode).toBe(42001);
    expect(expired.errmsg).toMatch(/^access_token expired, hint: \[/);
    const fresh = await wecomToken(sim);
    expect(fresh).not.toBe(token);
    expect((await stateOf(sim, fresh)).errcode).toBe(0);
  });

  it('expireTokens() makes every issued token answer 42001', async () => {
    sim = makeSim();
    const token = await wecomToken(sim);
    sim.expireTokens();
    expect((await stateOf(sim, token)).errcode).toBe(42001);
    expect((await stateOf(sim, await wecomToken(sim))).errcode).toBe(0);
  });

  it('answers injected failures for the given number of calls, without side effects', async () => {
    sim = makeSim();
    sim.setFailure('/cgi-bin/gettoken', 45009, 2);
    const get = () => api(sim, 'GET', '/cgi-bin/gettoken', { query: { corpid: WECOM.corpId, corpsecret: WECOM.secret } }).then((r) => r.json);
    expect((await get()).errcode).toBe(45009);
    expect((await get()).errcode).toBe(45009);
    expect((await get()).errcode).toBe(0);
    expect(sim.stats().calls['/cgi-bin/gettoken']).toBe(3);
    expect(() => sim.setFailure('cgi-bin/gettoken', 45009)).toThrow(RangeError);
  });
});

describe('Official Account tokens', () => {
  const custom = (s: WeChatSimulator, token: string) =>
    api(s, 'POST', '/cgi-bin/message/custom/send', { query: { access_token: token }, body: { touser: 'oNobody', msgtype: 'text', text: { content: 'hi' } } }).then(
      (r) => r.json,
    );

  it('issues a new /cgi-bin/token each call; the previous one works for 5 more minutes', async () => {
    sim = makeSim();
    const first = await api(sim, 'GET', '/cgi-bin/token', { query: { grant_type: 'client_credential', appid: OA.appId, secret: OA.secret } });
    expect(first.json).toEqual({ access_token: expect.any(String), expires_in: 7200 });
    const old = first.json.access_token as string;
    const next = await oaToken(sim);
    expect(next).not.toBe(old);
    // A token that is valid reaches the business rule (40003: this openid never wrote).
    expect((await custom(sim, old)).errcode).toBe(40003);
    sim.advanceClock(5 * 60_000);
    expect((await custom(sim, old)).errcode).toBe(40001);
    expect((await custom(sim, next)).errcode).toBe(40003);
    sim.advanceClock(7200_000);
    expect((await custom(sim, next)).errcode).toBe(42001);
  });

  it('keeps the stable token unless force_refresh, and checks credentials', async () => {
    sim = makeSim();
    const stable = (body: unknown) => api(sim, 'POST', '/cgi-bin/stable_token', { body }).then((r) => r.json);
    const a = await stable({ grant_type: 'client_credential', appid: OA.appId, secret: OA.secret });
    const b = await stable({ grant_type: 'client_credential', appid: OA.appId, secret: OA.secret });
    expect(a.access_token).toBe(b.access_token);
    const c = await stable({ grant_type: 'client_credential', appid: OA.appId, secret: OA.secret, force_refresh: true });
    expect(c.access_token).not.toBe(a.access_token);
    expect((await stable({ grant_type: 'client_credential', appid: OA.appId, secret: 'wrong' })).errcode).toBe(40125);
    expect((await stable({ grant_type: 'password', appid: OA.appId, secret: OA.secret })).errcode).toBe(40002);
    expect((await stable({ grant_type: 'client_credential', appid: 'wxother', secret: OA.secret })).errcode).toBe(40013);
    const empty = await api(sim, 'POST', '/cgi-bin/stable_token', { body: '' });
    expect(empty.json.errcode).toBe(44002);
    expect(String(empty.json.errmsg)).toMatch(/ rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/);
  });

  it('does not let a WeCom token call the Official Account API, or the reverse', async () => {
    sim = makeSim();
    expect((await custom(sim, await wecomToken(sim))).errcode).toBe(40001);
    expect((await stateOf(sim, await oaToken(sim))).errcode).toBe(40014);
  });
});
