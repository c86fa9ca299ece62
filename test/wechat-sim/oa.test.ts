import { afterEach, describe, expect, it } from 'vitest';
import {
  buildEncryptedReply,
  buildXml,
  createMsgCrypt,
  envelopeEncrypt,
  parseFlatXml,
  verifyPlainSignature,
} from '../../src/channels/crypto/index.ts';
import { createSimClock, type WeChatSimulator } from '../../src/wechat-sim/index.ts';
import { api, makeSim, OA, OA_AES_KEY, oaToken, startReceiver, type ReceivedRequest } from './helpers.ts';

let sim: WeChatSimulator | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
afterEach(async () => {
  await sim?.close();
  await receiver?.close();
  sim = receiver = undefined;
});

const param = (r: ReceivedRequest, name: string) => r.url.searchParams.get(name) ?? '';
const reply = (to: string, content: string) => buildXml({ ToUserName: to, FromUserName: OA.ghId, CreateTime: 1, MsgType: 'text', Content: content });

describe('Official Account callbacks, plaintext mode', () => {
  it('posts signed XML with a 64-bit MsgId string; the passive reply is what the customer receives', async () => {
    receiver = await startReceiver((req) => {
      const fields = parseFlatXml(req.body);
      return { body: reply(fields.FromUserName ?? '', `收到：${fields.Content}`) };
    });
    sim = makeSim();
    sim.setCallbackUrl('oa', receiver.url);
    const { msgid, delivered } = sim.oa.customerSays('oUser1', '退货怎么办');
    expect(await delivered).toMatchObject({ delivered: true, attempts: 1 });
    const [req] = receiver.requests as [ReceivedRequest];
    expect(verifyPlainSignature(OA.token, param(req, 'signature'), param(req, 'timestamp'), param(req, 'nonce'))).toBe(true);
    expect(param(req, 'openid')).toBe('oUser1');
    expect(req.url.searchParams.has('encrypt_type')).toBe(false);
    const fields = parseFlatXml(req.body);
    expect(fields).toMatchObject({ ToUserName: OA.ghId, FromUserName: 'oUser1', MsgType: 'text', Content: '退货怎么办', MsgId: msgid });
    expect(BigInt(msgid) > 2n ** 53n && BigInt(msgid) < 2n ** 63n).toBe(true);
    expect(String(Number(msgid))).not.toBe(msgid);
    expect(sim.received('oUser1')).toMatchObject([{ channel: 'oa', via: 'passive_reply', msgtype: 'text', text: '收到：退货怎么办' }]);
  });

  it('takes "success" as no reply, and shows the error notice for a broken one', async () => {
    receiver = await startReceiver((_req, i) => ({ body: i === 0 ? 'success' : i === 1 ? '<xml><oops>' : reply('oSomeoneElse', 'x') }));
    sim = makeSim();
    sim.setCallbackUrl('oa', receiver.url);
    await sim.oa.customerSays('oUser2', 'one').delivered;
    expect(sim.oa.received('oUser2')).toEqual([]);
    await sim.oa.customerSays('oUser2', 'two').delivered;
    await sim.oa.customerSays('oUser2', 'three').delivered;
    expect(sim.oa.received('oUser2').map((m) => [m.via, m.text])).toEqual([
      ['error_notice', '该公众号暂时无法提供服务，请稍后再试'],
      ['error_notice', '该公众号暂时无法提供服务，请稍后再试'],
    ]);
  });

  it('retries a slow answer with the same MsgId; a reply after the timeout is lost', async () => {
    receiver = await startReceiver((req, i) => ({ body: reply('oUser3', `answer ${i}`), delayMs: i === 0 ? 400 : 0 }));
    sim = makeSim({ callbackTimeoutMs: 150 });
    sim.setCallbackUrl('oa', receiver.url);
    const { msgid, delivered } = sim.oa.customerSays('oUser3', 'hello');
    expect(await delivered).toMatchObject({ delivered: true, attempts: 2 });
    expect(receiver.requests.map((r) => parseFlatXml(r.body).MsgId)).toEqual([msgid, msgid]);
    expect(sim.received('oUser3').map((m) => m.text)).toEqual(['answer 1']);
    expect(sim.stats().callbacks.oa).toEqual({ attempts: 2, delivered: 1, retried: 1, failed: 0 });
  });

  it('runs the URL check (echostr echoed) and sends follow events without MsgId', async () => {
    receiver = await startReceiver((req) => ({ body: req.method === 'GET' ? param(req, 'echostr') : 'success' }));
    sim = makeSim();
    sim.setCallbackUrl('oa', receiver.url);
    expect(await sim.oa.verifyCallback()).toBe(true);
    await sim.oa.follow('oNew').delivered;
    const event = parseFlatXml(receiver.requests[1]?.body ?? '');
    expect(event).toMatchObject({ MsgType: 'event', Event: 'subscribe', FromUserName: 'oNew' });
    expect(event.MsgId).toBeUndefined();
  });
});

describe('Official Account callbacks, safe mode', () => {
  const crypt = createMsgCrypt({ token: OA.token, aesKey: OA_AES_KEY, receiverId: OA.appId });

  it('encrypts the message and takes only an encrypted passive reply', async () => {
    receiver = await startReceiver((req, i) => {
      const { encrypt } = envelopeEncrypt(req.body);
      const inner = parseFlatXml(crypt.open({ signature: param(req, 'msg_signature'), timestamp: param(req, 'timestamp'), nonce: param(req, 'nonce'), encrypted: encrypt }));
      const answer = reply(inner.FromUserName ?? '', `密文回复：${inner.Content}`);
      return { body: i === 0 ? buildEncryptedReply(crypt, answer) : answer };
    });
    sim = makeSim({ oa: { ...OA, aesKey: OA_AES_KEY } });
    sim.setCallbackUrl('oa', receiver.url);
    await sim.oa.customerSays('oSafe', '加密').delivered;
    const [req] = receiver.requests as [ReceivedRequest];
    expect(param(req, 'encrypt_type')).toBe('aes');
    expect(verifyPlainSignature(OA.token, param(req, 'signature'), param(req, 'timestamp'), param(req, 'nonce'))).toBe(true);
    expect(Object.keys(parseFlatXml(req.body))).toEqual(['ToUserName', 'Encrypt']);
    expect(sim.received('oSafe').map((m) => [m.via, m.text])).toEqual([['passive_reply', '密文回复：加密']]);
    // A plaintext reply in safe mode is not accepted.
    await sim.oa.customerSays('oSafe', 'again').delivered;
    expect(sim.received('oSafe').at(-1)?.via).toBe('error_notice');
  });
});

describe('custom/send', () => {
  it('allows 5 messages within 48 h of the customer message: 45015 outside, 45047 over the count', async () => {
    sim = makeSim({ clock: createSimClock({ frozen: true }), tokenTtlS: 100 * 3600 });
    const token = await oaToken(sim);
    const send = (content: string) =>
      api(sim as WeChatSimulator, 'POST', '/cgi-bin/message/custom/send', {
        query: { access_token: token },
        body: { touser: 'oWin', msgtype: 'text', text: { content } },
      }).then((r) => r.json);
    expect((await send('before')).errcode).toBe(40003);
    sim.oa.customerSays('oWin', 'hi');
    for (let i = 1; i <= 5; i++) expect(await send(`r${i}`)).toEqual({ errcode: 0, errmsg: 'ok' });
    const over = await send('r6');
    expect(over.errcode).toBe(45047);
    expect(over.errmsg).toMatch(/^out of response count limit rid: /);
    sim.oa.customerSays('oWin', 'more');
    expect((await send('r7')).errcode).toBe(0);
    sim.advanceClock(48 * 3600_000 + 1);
    const late = await send('r8');
    expect(late.errcode).toBe(45015);
    expect(late.errmsg).toMatch(/^response out of time limit or subscription is canceled/);
    expect(sim.oa.received('oWin').map((m) => m.text)).toEqual(['r1', 'r2', 'r3', 'r4', 'r5', 'r7']);
  });
});

describe('Official Account images', () => {
  it('sends PicUrl and MediaId; both lead to the bytes', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    receiver = await startReceiver(() => ({ body: 'success' }));
    sim = makeSim();
    const base = await sim.listen();
    sim.setCallbackUrl('oa', receiver.url);
    await sim.oa.customerSays('oPic', { image: png }).delivered;
    const fields = parseFlatXml(receiver.requests[0]?.body ?? '');
    expect(fields).toMatchObject({ MsgType: 'image', FromUserName: 'oPic' });
    expect(fields.PicUrl?.startsWith(`${base}/sim/oa/pic/`)).toBe(true);
    const pic = await fetch(fields.PicUrl ?? '');
    expect(Buffer.from(await pic.arrayBuffer()).equals(png)).toBe(true);
    const viaApi = await api(sim, 'GET', '/cgi-bin/media/get', { query: { access_token: await oaToken(sim), media_id: fields.MediaId ?? '' } });
    expect(viaApi.headers['content-type']).toBe('image/png');
    expect(viaApi.raw.equals(png)).toBe(true);
  });
});
