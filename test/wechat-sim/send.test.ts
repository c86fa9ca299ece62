import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSimClock, type WeChatSimulator } from '../../src/wechat-sim/index.ts';
import { api, KF, makeSim, wecomPost, wecomToken } from './helpers.ts';

let sim: WeChatSimulator;
let token: string;
beforeEach(async () => {
  // Frozen between advances, so window boundaries can be checked to the millisecond.
  sim = makeSim({ clock: createSimClock({ frozen: true }), tokenTtlS: 100 * 3600 });
  token = await wecomToken(sim);
});
afterEach(async () => sim.close());

const send = (body: Record<string, unknown>) => wecomPost(sim, token, '/cgi-bin/kf/send_msg', body);
const text = (touser: string, content: string, msgid?: string) => send({ touser, open_kfid: KF, msgtype: 'text', text: { content }, ...(msgid ? { msgid } : {}) });
const onEvent = (code: string, content: string) => wecomPost(sim, token, '/cgi-bin/kf/send_msg_on_event', { code, msgtype: 'text', text: { content } });
const trans = (external_userid: string, service_state: number, servicer_userid?: string) =>
  wecomPost(sim, token, '/cgi-bin/kf/service_state/trans', { open_kfid: KF, external_userid, service_state, servicer_userid });
const texts = (user: string) => sim.received(user).map((m) => m.text);

describe('send_msg and the service window', () => {
  it('allows 5 messages per customer message within 48 h, then 95001', async () => {
    expect((await text('wmA', 'too early')).errcode).toBe(95001);
    sim.customerSays(KF, 'wmA', '在吗');
    for (let i = 1; i <= 5; i++) {
      const answer = await text('wmA', `回复 ${i}`);
      expect(answer).toMatchObject({ errcode: 0, errmsg: 'ok', msgid: expect.any(String) });
    }
    const sixth = await text('wmA', '回复 6');
    expect(sixth.errcode).toBe(95001);
    expect(sixth.errmsg).toMatch(/^send msg count limit/);
    // The customer writes again: a fresh quota of 5 (not 5 more on top).
    sim.customerSays(KF, 'wmA', '还有问题');
    for (let i = 7; i <= 11; i++) expect((await text('wmA', `回复 ${i}`)).errcode).toBe(0);
    expect((await text('wmA', '回复 12')).errcode).toBe(95001);
    expect(texts('wmA')).toEqual(['回复 1', '回复 2', '回复 3', '回复 4', '回复 5', '回复 7', '回复 8', '回复 9', '回复 10', '回复 11']);
  });

  it('closes the window 48 h after the customer last wrote, ending the session', async () => {
    sim.customerSays(KF, 'wmB', 'hello');
    sim.advanceClock(48 * 3600_000);
    expect((await text('wmB', 'just in time')).errcode).toBe(0);
    sim.advanceClock(1);
    expect((await text('wmB', 'too late')).errcode).toBe(95001);
    expect(sim.serviceState(KF, 'wmB').service_state).toBe(4);
    sim.customerSays(KF, 'wmB', 'back again');
    expect(sim.serviceState(KF, 'wmB').service_state).toBe(0);
    expect((await text('wmB', 'welcome back')).errcode).toBe(0);
  });

  it('never sends a msgid twice from one open_kfid, even after the quota is used', async () => {
    sim.customerSays(KF, 'wmC', 'q');
    const first = await text('wmC', '答复', 'turn-1_reply-0');
    expect(first).toMatchObject({ errcode: 0, msgid: 'turn-1_reply-0' });
    const again = await text('wmC', '答复', 'turn-1_reply-0');
    expect(again.errcode).toBe(95020);
    for (let i = 1; i <= 4; i++) expect((await text('wmC', `more ${i}`)).errcode).toBe(0);
    expect((await text('wmC', '答复', 'turn-1_reply-0')).errcode).toBe(95020);
    expect(texts('wmC').filter((t) => t === '答复')).toHaveLength(1);
    expect((await text('wmC', 'x', 'has space')).errcode).toBe(40058);
    expect((await text('wmC', 'x', 'a'.repeat(33))).errcode).toBe(40058);
  });

  it('enforces the 2048-byte text limit and refuses malformed sends', async () => {
    sim.customerSays(KF, 'wmD', 'q');
    expect((await text('wmD', 'a'.repeat(2048))).errcode).toBe(0);
    expect((await text('wmD', '字'.repeat(682))).errcode).toBe(0); // 2046 bytes
    expect((await text('wmD', '字'.repeat(683))).errcode).toBe(45002); // 2049 bytes
    expect((await text('wmD', '')).errcode).toBe(44004);
    expect((await send({ touser: 'wmD', open_kfid: 'wkNope', msgtype: 'text', text: { content: 'x' } })).errcode).toBe(95000);
    expect((await send({ touser: 'wmD', open_kfid: KF, msgtype: 'hologram', hologram: {} })).errcode).toBe(40008);
    expect((await send({ touser: 'wmD', open_kfid: KF, msgtype: 'image', image: { media_id: 'unknown' } })).errcode).toBe(40007);
    expect((await send({ open_kfid: KF, msgtype: 'text', text: { content: 'x' } })).errcode).toBe(40058);
    const raw = await api(sim, 'POST', '/cgi-bin/kf/send_msg', { query: { access_token: token }, body: 'not json' });
    expect(raw.json.errcode).toBe(47001);
    expect(texts('wmD')).toHaveLength(2);
  });

  it('answers an injected 45009 without sending', async () => {
    sim.customerSays(KF, 'wmE', 'q');
    sim.setFailure('/cgi-bin/kf/send_msg', 45009);
    expect((await text('wmE', 'first try')).errcode).toBe(45009);
    expect((await text('wmE', 'second try')).errcode).toBe(0);
    expect(texts('wmE')).toEqual(['second try']);
  });
});

describe('service state', () => {
  it('follows the transition rules and refuses API sends while a servicer has the chat', async () => {
    sim.customerSays(KF, 'wmF', 'q');
    const get = () => wecomPost(sim, token, '/cgi-bin/kf/service_state/get', { open_kfid: KF, external_userid: 'wmF' });
    expect(await get()).toMatchObject({ errcode: 0, service_state: 0 });
    expect((await trans('wmF', 1)).errcode).toBe(0);
    expect((await trans('wmF', 0)).errcode).toBe(95016);
    expect((await trans('wmF', 3)).errcode).toBe(40058);
    expect((await trans('wmF', 7)).errcode).toBe(40058);
    const toServicer = await trans('wmF', 3, 'lisi');
    expect(toServicer).toMatchObject({ errcode: 0, msg_code: expect.any(String) });
    expect(await get()).toMatchObject({ service_state: 3, servicer_userid: 'lisi' });
    const refused = await text('wmF', 'bot reply');
    expect(refused.errcode).toBe(95018);
    expect(refused.errmsg).toMatch(/^send msg session status invalid/);
    expect((await trans('wmF', 3, 'lisi')).errcode).toBe(95016);
    expect((await trans('wmF', 3, 'wangwu')).errcode).toBe(0);
    // The msg_code of state 3 answers only while the session stays in state 3.
    const end = await trans('wmF', 4);
    expect(end.msg_code).toEqual(expect.any(String));
    expect((await onEvent(toServicer.msg_code as string, '已为您转接')).errcode).toBe(40029);
    expect((await onEvent(end.msg_code as string, '本次服务已结束')).errcode).toBe(0);
    expect((await onEvent(end.msg_code as string, '本次服务已结束')).errcode).toBe(40029);
    expect((await trans('wmF', 1)).errcode).toBe(95016);
    expect((await text('wmF', 'after end')).errcode).toBe(95018);
    expect(texts('wmF')).toEqual(['本次服务已结束']);
  });
});

describe('welcome_code', () => {
  it('answers once, within 20 s, and only for a customer not recently active or welcomed', async () => {
    const entered = sim.enterSession(KF, 'wmG', { scene: 'menu' });
    expect(entered.welcomeCode).toEqual(expect.any(String));
    const ok = await onEvent(entered.welcomeCode as string, '您好，我是智能客服');
    expect(ok).toMatchObject({ errcode: 0, msgid: expect.any(String) });
    expect((await onEvent(entered.welcomeCode as string, '您好，我是智能客服')).errcode).toBe(40029);
    expect(sim.received('wmG')).toMatchObject([{ via: 'send_msg_on_event', text: '您好，我是智能客服', openKfid: KF }]);
    expect(sim.enterSession(KF, 'wmG').welcomeCode).toBeUndefined();

    const late = sim.enterSession(KF, 'wmH');
    sim.advanceClock(20_001);
    expect((await onEvent(late.welcomeCode as string, 'too late')).errcode).toBe(40029);
    expect(sim.received('wmH')).toEqual([]);

    sim.customerSays(KF, 'wmI', 'hi');
    expect(sim.enterSession(KF, 'wmI').welcomeCode).toBeUndefined();
  });
});
