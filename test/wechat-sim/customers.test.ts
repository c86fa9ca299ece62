/** kf/customer/batchget: nicknames of customers seen within 48 h, the others listed as invalid. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSimClock, type WeChatSimulator } from '../../src/wechat-sim/index.ts';
import { KF, makeSim, wecomPost, wecomToken } from './helpers.ts';

let sim: WeChatSimulator;
let token: string;
beforeEach(async () => {
  sim = makeSim({ clock: createSimClock({ frozen: true }), tokenTtlS: 100 * 3600 });
  token = await wecomToken(sim);
});
afterEach(async () => sim.close());

const batchget = (body: unknown) => wecomPost(sim, token, '/cgi-bin/kf/customer/batchget', body);

describe('kf/customer/batchget', () => {
  it('describes customers who wrote or opened the chat, with the nickname they were given; unknown ids are invalid', async () => {
    sim.customerSays(KF, 'wmA', '你好', { nickname: '王芳' });
    sim.enterSession(KF, 'wmB', { scene: 'qr', sceneParam: 'p1', nickname: '张伟' });
    sim.customerSays(KF, 'wmC', '无名');
    const answer = await batchget({ external_userid_list: ['wmA', 'wmB', 'wmC', 'wmNobody'] });
    expect(answer).toEqual({
      errcode: 0,
      errmsg: 'ok',
      customer_list: [
        { external_userid: 'wmA', nickname: '王芳', avatar: '', gender: 0, unionid: '' },
        { external_userid: 'wmB', nickname: '张伟', avatar: '', gender: 0, unionid: '' },
        { external_userid: 'wmC', nickname: '', avatar: '', gender: 0, unionid: '' },
      ],
      invalid_external_userid: ['wmNobody'],
    });
  });

  it('a later nickname replaces the earlier one; none given keeps it', async () => {
    sim.customerSays(KF, 'wmA', '1', { nickname: '旧名' });
    sim.customerSays(KF, 'wmA', '2', { nickname: '新名' });
    sim.customerSays(KF, 'wmA', '3');
    const answer = await batchget({ external_userid_list: ['wmA'] });
    expect((answer.customer_list as { nickname: string }[])[0]!.nickname).toBe('新名');
  });

  it('gives the chat opening\'s scene on request', async () => {
    sim.enterSession(KF, 'wmB', { scene: 'qr', sceneParam: 'p1', nickname: '张伟' });
    const answer = await batchget({ external_userid_list: ['wmB'], need_enter_session_context: 1 });
    expect(answer.customer_list).toEqual([expect.objectContaining({ external_userid: 'wmB', enter_session_context: { scene: 'qr', scene_param: 'p1' } })]);
    const without = await batchget({ external_userid_list: ['wmB'], need_enter_session_context: 0 });
    expect((without.customer_list as object[])[0]).not.toHaveProperty('enter_session_context');
  });

  it('forgets customers 48 h after they were last seen', async () => {
    sim.customerSays(KF, 'wmA', '你好', { nickname: '王芳' });
    sim.advanceClock(48 * 3600_000);
    expect((await batchget({ external_userid_list: ['wmA'] })).invalid_external_userid).toEqual([]);
    sim.advanceClock(1);
    expect(await batchget({ external_userid_list: ['wmA'] })).toMatchObject({ errcode: 0, customer_list: [], invalid_external_userid: ['wmA'] });
  });

  it('takes 1-100 ids, needs a token, and answers an injected failure', async () => {
    expect((await batchget({ external_userid_list: [] })).errcode).toBe(40058);
    expect((await batchget({ external_userid_list: Array.from({ length: 101 }, (_, i) => `wm${i}`) })).errcode).toBe(40058);
    expect((await batchget({})).errcode).toBe(40058);
    expect((await batchget({ external_userid_list: ['wmA'], need_enter_session_context: 2 })).errcode).toBe(40058);
    expect((await wecomPost(sim, 'not-a-token', '/cgi-bin/kf/customer/batchget', { external_userid_list: ['wmA'] })).errcode).toBe(40014);
    sim.setFailure('/cgi-bin/kf/customer/batchget', 45009);
    expect((await batchget({ external_userid_list: ['wmA'] })).errcode).toBe(45009);
    expect(sim.stats().calls['/cgi-bin/kf/customer/batchget']).toBe(6);
  });
});
