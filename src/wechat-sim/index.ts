/**
 * A local stand-in for WeChat's servers, for tests and the demo: 微信客服 (WeCom KF) and
 * Official Account APIs under their official paths and wire formats, callbacks to the adapter's
 * URL encrypted with the real algorithm and retried like WeChat does, and a control API that
 * plays the customer (customerSays, enterSession, received; a nickname given there is what
 * kf/customer/batchget answers) and the platform (setFailure, expireTokens, advanceClock).
 *
 *   const sim = createWeChatSimulator({ wecom: { corpId, secret, token, aesKey, openKfids: ['wk1'] } });
 *   const base = await sim.listen();            // WECOM_API_BASE / OA_API_BASE
 *   sim.setCallbackUrl('wecom-kf', `${adapterUrl}/wecom/kf/callback`);
 *   const { delivered } = sim.customerSays('wk1', 'wmCustomer1', '你好');
 */
import type { FastifyInstance } from 'fastify';
import { createMsgCrypt } from '../channels/crypto/index.ts';
import { buildSimApp } from './app.ts';
import { CallbackSender } from './callbacks.ts';
import { createSimClock, type SimClock } from './clock.ts';
import { FailureQueue, type SimContext } from './http.ts';
import { MediaStore } from './media.ts';
import { OaCallbacks } from './oa-callback.ts';
import { OaWorld } from './oa-world.ts';
import { TokenStore } from './tokens.ts';
import type { Channel, CustomerImage, Delivery, ReceivedMessage, SimStats, WeChatSimOptions } from './types.ts';
import { WecomCallbacks } from './wecom-callback.ts';
import { WecomWorld } from './wecom-world.ts';

export * from './types.ts';
export { createSimClock, type SimClock } from './clock.ts';
export { OA_ERR, WECOM_ERR } from './errcodes.ts';
export { BATCHGET_MAX, MAX_SENDS_PER_WINDOW, TEXT_MAX_BYTES, WINDOW_MS, type CustomerInfo } from './wecom-world.ts';

export interface OaControl {
  /** A follower writes to the Official Account: `msgid` is the MsgId (a 64-bit decimal string). */
  customerSays(openid: string, content: string | CustomerImage): Delivery;
  /** A user follows the account (a subscribe event). */
  follow(openid: string): Delivery;
  /** Runs the URL check against the OA callback URL: true when it echoed echostr. */
  verifyCallback(): Promise<boolean>;
  /** Messages this openid received (custom sends, passive replies, error notices). */
  received(openid: string): ReceivedMessage[];
}

export interface WeChatSimulator {
  app: FastifyInstance;
  clock: SimClock;
  /** The base URL (e.g. http://127.0.0.1:40123); throws before listen. */
  readonly url: string;
  listen(options?: { port?: number; host?: string }): Promise<string>;
  close(): Promise<void>;
  advanceClock(ms: number): void;
  expireTokens(): void;
  /** The next `times` calls to `path` (e.g. '/cgi-bin/kf/send_msg') answer `errcode` and have no effect. */
  setFailure(path: string, errcode: number, times?: number): void;
  setCallbackUrl(channel: Channel, url: string): void;
  /**
   * A 微信客服 customer writes (text or an image); WeChat then calls back with kf_msg_or_event.
   * `nickname` is what kf/customer/batchget answers for them from now on (default '').
   */
  customerSays(openKfid: string, externalUserId: string, content: string | CustomerImage, options?: { nickname?: string }): Delivery;
  /** A customer opens the chat (enter_session event); `welcomeCode` when WeChat grants one (valid 20 s, once). */
  enterSession(
    openKfid: string,
    externalUserId: string,
    options?: { scene?: string; sceneParam?: string; nickname?: string },
  ): Delivery & { welcomeCode?: string };
  /** A WeCom servicer answers from the WeCom app (origin 5 in sync_msg). */
  servicerSays(openKfid: string, externalUserId: string, servicerUserid: string, text: string): Delivery;
  serviceState(openKfid: string, externalUserId: string): { service_state: number; servicer_userid?: string };
  /** Everything this customer (external_userid or openid) received, oldest first. */
  received(customerId: string): ReceivedMessage[];
  /** Runs WeCom's URL check against the callback URL: true when it answered the decrypted echostr. */
  verifyWecomCallback(): Promise<boolean>;
  stats(): SimStats;
  oa: OaControl;
}

const noOa = (): never => {
  throw new RangeError('the simulator was created without an Official Account (options.oa)');
};

export function createWeChatSimulator(options: WeChatSimOptions = {}): WeChatSimulator {
  const clock = options.clock ?? createSimClock();
  const ctx: SimContext = { clock, tokens: new TokenStore(clock, options.tokenTtlS ?? 7200), failures: new FailureQueue(), calls: new Map() };
  const media = new MediaStore();
  const sender = new CallbackSender({
    timeoutMs: options.callbackTimeoutMs ?? 5000,
    retries: options.callbackRetries ?? 3,
    logger: options.logger,
  });
  let baseUrl: string | undefined;
  const url = (): string => {
    if (!baseUrl) throw new Error('the simulator is not listening yet');
    return baseUrl;
  };

  const w = options.wecom;
  const wecom = w
    ? (() => {
        if (w.openKfids.length === 0) throw new RangeError('wecom.openKfids needs at least one open_kfid');
        const world = new WecomWorld(new Set(w.openKfids), clock, media, options.syncWithoutTokenPerMinute ?? 10);
        const crypt = createMsgCrypt({ token: w.token, aesKey: w.aesKey, receiverId: w.corpId });
        return { world, options: w, callbacks: new WecomCallbacks(w, world, crypt, sender, clock) };
      })()
    : undefined;
  const o = options.oa;
  const oa = o
    ? (() => {
        const world = new OaWorld(o.ghId ?? 'gh_sim00000001', clock, media, url);
        const crypt = o.aesKey ? createMsgCrypt({ token: o.token, aesKey: o.aesKey, receiverId: o.appId }) : undefined;
        return { world, options: o, callbacks: new OaCallbacks(o, world, crypt, sender, clock) };
      })()
    : undefined;
  const needWecom = () => {
    if (!wecom) throw new RangeError('the simulator was created without 微信客服 (options.wecom)');
    return wecom;
  };

  const app = buildSimApp({ ctx, media, wecom, oa });
  const notifying = (msgid: string, openKfid: string): Delivery => ({ msgid, delivered: needWecom().callbacks.notify(openKfid) });

  return {
    app,
    clock,
    get url() {
      return url();
    },
    async listen({ port = 0, host = '127.0.0.1' } = {}) {
      const address = await app.listen({ port, host });
      baseUrl = address.replace('[::1]', '127.0.0.1');
      return baseUrl;
    },
    async close() {
      sender.close();
      await app.close();
    },
    advanceClock: (ms) => clock.advance(ms),
    expireTokens: () => ctx.tokens.expireAll(),
    setFailure: (path, errcode, times = 1) => ctx.failures.add(path, errcode, times),
    setCallbackUrl(channel, callbackUrl) {
      new URL(callbackUrl); // throws on a malformed URL now rather than at the first callback
      if (channel === 'wecom-kf') needWecom().callbacks.url = callbackUrl;
      else (oa ?? noOa()).callbacks.url = callbackUrl;
    },
    customerSays(openKfid, externalUserId, content, opts = {}) {
      return notifying(needWecom().world.customerMessage(openKfid, externalUserId, content, opts.nickname).msgid, openKfid);
    },
    enterSession(openKfid, externalUserId, opts = {}) {
      const { message, welcomeCode } = needWecom().world.enterSession(openKfid, externalUserId, opts.scene, opts.sceneParam, opts.nickname);
      return { ...notifying(message.msgid, openKfid), welcomeCode };
    },
    servicerSays(openKfid, externalUserId, servicerUserid, text) {
      return notifying(needWecom().world.servicerMessage(openKfid, externalUserId, servicerUserid, text).msgid, openKfid);
    },
    serviceState: (openKfid, externalUserId) => needWecom().world.serviceState(openKfid, externalUserId),
    received(customerId) {
      const all = [...(wecom?.world.received ?? []), ...(oa?.world.received ?? [])];
      return all.filter((m) => m.to === customerId).sort((a, b) => a.at - b.at);
    },
    verifyWecomCallback: () => needWecom().callbacks.verify(),
    stats: () => ({ callbacks: sender.stats(), calls: Object.fromEntries(ctx.calls) }),
    oa: {
      customerSays(openid, content) {
        const { world, callbacks } = oa ?? noOa();
        const { fields, msgId } = world.customerMessage(openid, content);
        return { msgid: msgId, delivered: callbacks.deliver(openid, fields) };
      },
      follow(openid) {
        const { world, callbacks } = oa ?? noOa();
        const fields = world.followEvent(openid);
        return { msgid: `${openid}:${String(fields.CreateTime)}`, delivered: callbacks.deliver(openid, fields) };
      },
      verifyCallback: () => (oa ?? noOa()).callbacks.verify(),
      received: (openid) => (oa ?? noOa()).world.received.filter((m) => m.to === openid),
    },
  };
}

