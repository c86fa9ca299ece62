import { afterEach, describe, expect, it } from 'vitest';
import { createSimClock, type WeChatSimulator } from '../../src/wechat-sim/index.ts';
import { api, KF, KF2, makeSim, wecomPost, wecomToken } from './helpers.ts';

let sim: WeChatSimulator;
afterEach(async () => sim?.close());

type Msg = Record<string, unknown> & { msgid: string };
const sync = async (s: WeChatSimulator, token: string, body: Record<string, unknown>) =>
  (await wecomPost(s, token, '/cgi-bin/kf/sync_msg', body)) as { errcode: number; next_cursor: string; has_more: number; msg_list: Msg[] };

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

describe('sync_msg', () => {
  it('pages with an opaque cursor and has_more, in order, each message once', async () => {
    sim = makeSim();
    const token = await wecomToken(sim);
    for (let i = 1; i <= 7; i++) sim.customerSays(KF, `wm${i % 2}`, `消息 ${i}`);
    const seen: string[] = [];
    let cursor: string | undefined;
    const pages: number[] = [];
    for (;;) {
      const page = await sync(sim, token, { cursor, limit: 3 });
      expect(page.errcode).toBe(0);
      pages.push(page.msg_list.length);
      seen.push(...page.msg_list.map((m) => (m.text as { content: string }).content));
      cursor = page.next_cursor;
      if (!page.has_more) break;
    }
    expect(pages).toEqual([3, 3, 1]);
    expect(seen).toEqual(['消息 1', '消息 2', '消息 3', '消息 4', '消息 5', '消息 6', '消息 7']);
    expect(cursor).toMatch(/^[\w-]+$/);
    // Nothing new: an empty page, has_more 0; a later message comes after the saved cursor.
    const empty = await sync(sim, token, { cursor });
    expect(empty).toMatchObject({ errcode: 0, has_more: 0, msg_list: [] });
    sim.customerSays(KF, 'wm1', '消息 8');
    const later = await sync(sim, token, { cursor: empty.next_cursor });
    expect(later.msg_list.map((m) => (m.text as { content: string }).content)).toEqual(['消息 8']);
  });

  it('returns customer messages in the wire format', async () => {
    // A frozen clock: send_time is the second the customer wrote, whatever second the check runs in.
    sim = makeSim({ clock: createSimClock({ frozen: true }) });
    const token = await wecomToken(sim);
    const { msgid } = sim.customerSays(KF, 'wmAlice', '你好');
    const [msg] = (await sync(sim, token, {})).msg_list;
    expect(msg).toEqual({
      msgid,
      open_kfid: KF,
      external_userid: 'wmAlice',
      send_time: Math.floor(sim.clock.now() / 1000),
      origin: 3,
      msgtype: 'text',
      text: { content: '你好' },
    });
  });

  it('filters by open_kfid and defaults to (and caps at) 1000 messages', async () => {
    sim = makeSim();
    const token = await wecomToken(sim);
    for (let i = 0; i < 1002; i++) sim.customerSays(i % 2 ? KF2 : KF, 'wmBob', `m${i}`);
    const first = await sync(sim, token, {});
    expect(first.msg_list).toHaveLength(1000);
    expect(first.has_more).toBe(1);
    const onlyKf2 = await sync(sim, token, { open_kfid: KF2, limit: 1000 });
    expect(onlyKf2.msg_list).toHaveLength(501);
    expect(onlyKf2.msg_list.every((m) => m.open_kfid === KF2)).toBe(true);
    expect(onlyKf2.has_more).toBe(0);
    expect((await sync(sim, token, { limit: 1001 })).errcode).toBe(40058);
    expect((await sync(sim, token, { cursor: 'not-a-cursor' })).errcode).toBe(40058);
    expect((await sync(sim, token, { open_kfid: 'wkUnknown' })).errcode).toBe(95000);
  });

  it('rate-limits calls without a callback Token (45009), per minute', async () => {
    sim = makeSim({ syncWithoutTokenPerMinute: 2 });
    const token = await wecomToken(sim);
    expect((await sync(sim, token, {})).errcode).toBe(0);
    expect((await sync(sim, token, {})).errcode).toBe(0);
    expect((await sync(sim, token, {})).errcode).toBe(45009);
    sim.advanceClock(60_000);
    expect((await sync(sim, token, {})).errcode).toBe(0);
    expect((await sync(sim, token, { token: 'ENCnot-issued' })).errcode).toBe(95007);
  });

  it('answers bodies that are not JSON or have wrong types with clear errors', async () => {
    sim = makeSim();
    const token = await wecomToken(sim);
    const raw = await api(sim, 'POST', '/cgi-bin/kf/sync_msg', { query: { access_token: token }, body: '{not json' });
    expect(raw.json.errcode).toBe(47001);
    const typed = await wecomPost(sim, token, '/cgi-bin/kf/sync_msg', { limit: 'ten' });
    expect(typed.errcode).toBe(40058);
    expect(String(typed.errmsg)).toMatch(/^invalid Request Parameter: limit/);
  });

  it('carries images as media_id that media/get serves, events with welcome_code, and servicer messages', async () => {
    sim = makeSim();
    const token = await wecomToken(sim);
    sim.enterSession(KF, 'wmCarol', { scene: 'qr1', sceneParam: 'from=poster' });
    sim.customerSays(KF, 'wmCarol', { image: PNG });
    sim.servicerSays(KF, 'wmCarol', 'zhangsan', '我来处理');
    const [event, image, servicer] = (await sync(sim, token, {})).msg_list;
    expect(event).toMatchObject({ origin: 4, msgtype: 'event' });
    expect(event?.event).toMatchObject({ event_type: 'enter_session', open_kfid: KF, external_userid: 'wmCarol', scene: 'qr1', scene_param: 'from=poster' });
    expect((event?.event as { welcome_code: string }).welcome_code).toMatch(/^[\w-]+$/);
    expect(servicer).toMatchObject({ origin: 5, servicer_userid: 'zhangsan', msgtype: 'text', text: { content: '我来处理' } });
    expect(image).toMatchObject({ origin: 3, msgtype: 'image' });
    const mediaId = (image?.image as { media_id: string }).media_id;
    const file = await api(sim, 'GET', '/cgi-bin/media/get', { query: { access_token: token, media_id: mediaId } });
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.headers['content-disposition']).toMatch(/^attachment; filename="/);
    expect(file.raw.equals(PNG)).toBe(true);
    const missing = await api(sim, 'GET', '/cgi-bin/media/get', { query: { access_token: token, media_id: 'nope' } });
    expect(missing.json.errcode).toBe(40007);
    sim.advanceClock(3 * 24 * 3600_000 + 1);
    const stale = await api(sim, 'GET', '/cgi-bin/media/get', { query: { access_token: await wecomToken(sim), media_id: mediaId } });
    expect(stale.json.errcode).toBe(40007);
  });
});
