import { afterEach, describe, expect, it } from 'vitest';
import { createMsgCrypt, openCallback, parseFlatXml } from '../../src/channels/crypto/index.ts';
import type { WeChatSimulator } from '../../src/wechat-sim/index.ts';
import { KF, makeSim, startReceiver, WECOM, wecomPost, wecomToken, type ReceivedRequest } from './helpers.ts';

let sim: WeChatSimulator | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
afterEach(async () => {
  await sim?.close();
  await receiver?.close();
  sim = receiver = undefined;
});

const crypt = createMsgCrypt({ token: WECOM.token, aesKey: WECOM.aesKey, receiverId: WECOM.corpId });
const signed = (r: ReceivedRequest) => ({
  msg_signature: r.url.searchParams.get('msg_signature') ?? '',
  timestamp: r.url.searchParams.get('timestamp') ?? '',
  nonce: r.url.searchParams.get('nonce') ?? '',
});

describe('WeCom kf_msg_or_event callbacks', () => {
  it('posts an encrypted, signed notice whose Token opens sync_msg', async () => {
    receiver = await startReceiver(() => ({ body: 'success' }));
    sim = makeSim({ syncWithoutTokenPerMinute: 0 });
    await sim.listen();
    sim.setCallbackUrl('wecom-kf', receiver.url);
    const { delivered } = sim.customerSays(KF, 'wmCallback', '有人吗');
    expect(await delivered).toEqual({ delivered: true, attempts: 1, outcome: 'ok', status: 200, body: 'success' });

    const [req] = receiver.requests;
    expect(req?.method).toBe('POST');
    const envelope = parseFlatXml(req?.body ?? '');
    expect(Object.keys(envelope)).toEqual(['ToUserName', 'Encrypt', 'AgentID']);
    expect(envelope.ToUserName).toBe(WECOM.corpId);
    const notice = openCallback(crypt, req?.body ?? '', signed(req as ReceivedRequest));
    expect(notice).toMatchObject({ ToUserName: WECOM.corpId, MsgType: 'event', Event: 'kf_msg_or_event', OpenKfId: KF });
    // The simulator's own "now" (seconds; the check may run a second later than the callback).
    expect(Math.abs(Number(notice.CreateTime) - sim.clock.now() / 1000)).toBeLessThan(5);
    expect(() => openCallback(crypt, req?.body ?? '', { ...signed(req as ReceivedRequest), nonce: '1' })).toThrow();

    const token = await wecomToken(sim);
    // Without the Token this simulator allows no sync at all (limit 0); with it, the message comes.
    expect((await wecomPost(sim, token, '/cgi-bin/kf/sync_msg', {})).errcode).toBe(45009);
    const page = await wecomPost(sim, token, '/cgi-bin/kf/sync_msg', { token: notice.Token, open_kfid: KF });
    expect(page.errcode).toBe(0);
    expect((page.msg_list as { text: { content: string } }[]).map((m) => m.text.content)).toEqual(['有人吗']);
    sim.advanceClock(10 * 60_000 + 1);
    expect((await wecomPost(sim, await wecomToken(sim), '/cgi-bin/kf/sync_msg', { token: notice.Token })).errcode).toBe(95007);
    expect(sim.stats().callbacks['wecom-kf']).toEqual({ attempts: 1, delivered: 1, retried: 0, failed: 0 });
  });

  it('retries a slow callback three times with the same request, then gives up', async () => {
    receiver = await startReceiver(() => ({ body: 'success', delayMs: 400 }));
    sim = makeSim({ callbackTimeoutMs: 100 });
    sim.setCallbackUrl('wecom-kf', receiver.url);
    const result = await sim.customerSays(KF, 'wmSlow', '慢').delivered;
    expect(result).toMatchObject({ delivered: false, attempts: 4, outcome: 'timeout' });
    expect(receiver.requests).toHaveLength(4);
    expect(new Set(receiver.requests.map((r) => `${r.url.search}|${r.body}`)).size).toBe(1);
    expect(sim.stats().callbacks['wecom-kf']).toEqual({ attempts: 4, delivered: 0, retried: 3, failed: 1 });
  });

  it('counts a retry that succeeds, and retries answers other than "success"', async () => {
    receiver = await startReceiver((_req, i) => (i === 0 ? { delayMs: 400 } : i === 1 ? { status: 500, body: 'oops' } : i === 2 ? { body: 'ok' } : {}));
    sim = makeSim({ callbackTimeoutMs: 150 });
    sim.setCallbackUrl('wecom-kf', receiver.url);
    const result = await sim.customerSays(KF, 'wmFlaky', '重试').delivered;
    expect(result).toMatchObject({ delivered: true, attempts: 4, outcome: 'ok' });
    expect(sim.stats().callbacks['wecom-kf']).toEqual({ attempts: 4, delivered: 1, retried: 3, failed: 0 });
  });

  it('reports an unreachable callback URL as an error after the retries', async () => {
    receiver = await startReceiver(() => ({}));
    const url = receiver.url;
    await receiver.close();
    receiver = undefined;
    sim = makeSim({ callbackTimeoutMs: 200 });
    sim.setCallbackUrl('wecom-kf', url);
    expect(await sim.customerSays(KF, 'wmGone', 'x').delivered).toMatchObject({ delivered: false, attempts: 4, outcome: 'error' });
    expect(sim.customerSays(KF, 'wmGone', 'y').msgid).toEqual(expect.any(String));
  });

  it('runs the URL check: the adapter must answer the decrypted echostr', async () => {
    receiver = await startReceiver((req) => {
      const echostr = req.url.searchParams.get('echostr') ?? '';
      return { body: crypt.open({ ...signed(req), signature: signed(req).msg_signature, encrypted: echostr }) };
    });
    sim = makeSim();
    sim.setCallbackUrl('wecom-kf', receiver.url);
    expect(await sim.verifyWecomCallback()).toBe(true);
    await receiver.close();
    receiver = await startReceiver((req) => ({ body: req.url.searchParams.get('echostr') ?? '' }));
    sim.setCallbackUrl('wecom-kf', receiver.url);
    expect(await sim.verifyWecomCallback()).toBe(false);
    expect(receiver.requests).toHaveLength(1);
  });

  it('without a callback URL, still records the message for sync_msg', async () => {
    sim = makeSim();
    expect(await sim.customerSays(KF, 'wmQuiet', 'x').delivered).toEqual({ delivered: false, attempts: 0, outcome: 'no-callback-url' });
    expect(() => sim?.setCallbackUrl('wecom-kf', 'not a url')).toThrow();
  });
});
