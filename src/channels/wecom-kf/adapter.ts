/**
 * One 微信客服 account (open_kfid) as a channel adapter: its pull engine feeds the turn, and the
 * turn's and agents' replies go out with kf/send_msg under a msgid derived from the reply's key,
 * after our own check of the 48 h / 5 window. Events (a customer opening the chat, a failed send,
 * a WeCom servicer taking the session) become welcomes, transcript lines and the mirrored state.
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { MediaStore, type Keys } from '../../handoff/index.ts';
import { ChannelSendError, type ChannelAdapter, type ChannelLimits, type CustomerHandle, type InboundMessage, type TurnSink } from '../types.ts';
import type { MediaFile, WecomApi } from './api.ts';
import { DUPLICATE_MSGID_CODES, ERRCODE, WecomApiError, WecomRateLimitedError, WINDOW_CLOSED_CODES } from './errors.ts';
import { eventLine, sessionChange } from './events.ts';
import { botIdOf, customerIdOf, isHashedCustomerId, sendMsgId } from './ids.ts';
import { classify, type Classified } from './inbound.ts';
import { CustomerNames } from './names.ts';
import { SessionMirror } from './session.ts';
import { SyncEngine } from './sync.ts';
import { MAX_REPLIES, noteCustomerMessage, settleSend, takeSend, WINDOW_S, windowClosedError } from './window.ts';
import type { KfMessage, SyncMsgAnswer } from './wire.ts';

/** kf/send_msg takes at most 2,048 bytes of text. */
export const WECOM_KF_MAX_TEXT_BYTES = 2_048;
/** A welcome_code is good for 20 s after enter_session. */
const WELCOME_CODE_MS = 20_000;
/** Media files we fetch at most (WeChat's own limits: images and voice 2 MB, video 10 MB, files 20 MB). */
const DEFAULT_MEDIA_MAX_BYTES = 20 * 1024 * 1024;
/** Media kept in Redis for the console: photos and voice notes fit; a larger file stays at WeChat. */
const KEPT_MEDIA_MAX_BYTES = 5 * 1024 * 1024;

export interface WecomKfAdapterOptions {
  api: WecomApi;
  redis: Redis | Cluster;
  keys: Keys;
  openKfid: string;
  /** A WeCom servicer's userid to hand sessions to (`transferToServicer`); unset: our agents answer via the API. */
  transferToServicer?: string;
  /** Seconds between safety pulls (0: callbacks only). */
  pollS: number;
  /** On a first install, messages sent before this (ms) are history and not answered. */
  historySince: number;
  lockTtlMs?: number;
  now?: () => number;
  logger?: Logger;
  /** How long a page waits for new customers' nicknames before it goes on without them (default 3 s). */
  nameWaitMs?: number;
  /** Tests: runs after each sync_msg answer, before it is handed on. */
  afterFetch?(answer: SyncMsgAnswer): Promise<void> | void;
}

/** A 微信客服 customer: `key` is their external_userid; `name()` their nickname once looked up. */
interface KfHandle extends CustomerHandle {
  readonly customerId: string;
}

/** 45009 on a send: not sent; try again after `retryAfterMs`. */
export class WecomSendRateLimited extends ChannelSendError {
  constructor(readonly retryAfterMs: number) {
    super('RATE_LIMITED', '微信接口调用过于频繁，稍后重试。(WeChat rate-limited the send; it is retried later.)', false);
  }
}


export class WecomKfAdapter implements ChannelAdapter {
  readonly kind = 'wecom-kf' as const;
  readonly botId: string;
  readonly label: string;
  readonly openKfid: string;
  readonly limits: ChannelLimits = { maxTextBytes: WECOM_KF_MAX_TEXT_BYTES, window: { windowS: WINDOW_S, maxReplies: MAX_REPLIES } };
  /** A backlog pulled after an outage is real customers' words: recorded even when too old to answer. */
  readonly keepLate = true;
  private readonly mediaStore: MediaStore;
  readonly engine: SyncEngine;
  readonly session: SessionMirror;
  /** Customers' nicknames (kf/customer/batchget), the handles' `name()`. */
  readonly names: CustomerNames;
  private sink?: TurnSink;
  private readonly handles = new Map<string, KfHandle>();
  private readonly welcomes = new Set<Promise<unknown>>();
  private readonly now: () => number;
  private readonly log?: Logger;

  constructor(private readonly o: WecomKfAdapterOptions) {
    this.mediaStore = new MediaStore(o.redis, o.keys);
    this.openKfid = o.openKfid;
    this.botId = botIdOf(o.openKfid);
    this.label = `微信客服 ${o.openKfid}`;
    this.now = o.now ?? Date.now;
    this.log = o.logger?.child({ module: 'channel-wecom-kf', botId: this.botId });
    this.names = new CustomerNames({ api: o.api, redis: o.redis, keys: o.keys, botId: this.botId, waitMs: o.nameWaitMs, logger: this.log });
    this.session = new SessionMirror({ redis: o.redis, keys: o.keys, api: o.api, botId: this.botId, openKfid: o.openKfid, now: o.now, logger: this.log });
    this.engine = new SyncEngine({
      api: o.api,
      redis: o.redis,
      keys: o.keys,
      botId: this.botId,
      openKfid: o.openKfid,
      historySince: o.historySince,
      lockTtlMs: o.lockTtlMs,
      now: o.now,
      logger: this.log,
      afterFetch: o.afterFetch,
      deliver: (list) => this.deliver(list),
    });
  }

  /** Keeps the sink; pulling begins with `begin` (the module's start, once every adapter has its sink). */
  async start(sink: TurnSink): Promise<void> {
    this.sink = sink;
  }

  /** Pulls at once (whatever arrived while no process listened: WeChat gives up on a callback after 3 tries), then polls. */
  begin(): void {
    if (!this.sink) throw new Error(`${this.botId}: start(sink) comes before begin()`);
    this.engine.start(this.o.pollS * 1000);
  }

  async stop(): Promise<void> {
    await this.engine.stop();
    await Promise.allSettled([...this.welcomes]);
  }

  /** A callback said this account has something to pull (`token` lets sync_msg run without strict limits). */
  notify(token?: string): Promise<void> {
    // Before `begin` the engine ignores it: the first pull reads whatever the notice was about.
    return this.engine.trigger(token);
  }

  canSend(): boolean {
    return true;
  }

  async send(to: CustomerHandle, text: string, key: string): Promise<void> {
    const ext = to.key;
    if (!ext) throw new ChannelSendError('NO_CUSTOMER', 'no external_userid to send to', true);
    const customerId = customerIdOf(ext);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes === 0 || bytes > WECOM_KF_MAX_TEXT_BYTES) {
      throw new ChannelSendError('TEXT_SIZE', `微信客服消息须为 1-${WECOM_KF_MAX_TEXT_BYTES} 字节，这条 ${bytes} 字节。(A 微信客服 text must be 1-${WECOM_KF_MAX_TEXT_BYTES} bytes.)`, true);
    }
    const msgid = sendMsgId(this.botId, customerId, key);
    const took = await takeSend(this.o.redis, this.o.keys, this.botId, customerId, msgid, this.now());
    if (took === 'expired' || took === 'used') throw windowClosedError(took);
    try {
      await this.o.api.sendMsg({ touser: ext, open_kfid: this.openKfid, msgid, msgtype: 'text', text: { content: text } });
    } catch (err) {
      // No answer: whether it went out is unknown. The count stays, and a retry of the same key
      // reuses the msgid, which WeChat recognises.
      if (!(err instanceof WecomApiError)) throw err;
      if (DUPLICATE_MSGID_CODES.has(err.errcode)) return;
      if (err.errcode === ERRCODE.SESSION_STATE_INVALID) {
        await settleSend(this.o.redis, this.o.keys, this.botId, customerId, msgid, 'release');
        await this.session.forget(customerId);
        throw windowClosedError('session', `(errcode ${err.errcode})`);
      }
      if (WINDOW_CLOSED_CODES.has(err.errcode)) {
        await settleSend(this.o.redis, this.o.keys, this.botId, customerId, msgid, 'close');
        throw windowClosedError('wechat', `(errcode ${err.errcode})`);
      }
      // WeChat refused the call itself: nothing was sent.
      await settleSend(this.o.redis, this.o.keys, this.botId, customerId, msgid, 'release');
      if (err instanceof WecomRateLimitedError) throw new WecomSendRateLimited(err.retryAfterMs);
      throw new ChannelSendError(`WECOM_${err.errcode}`, err.message, false);
    }
  }

  restore(snapshot: Record<string, unknown>): CustomerHandle {
    const ext = typeof snapshot.externalUserId === 'string' ? snapshot.externalUserId : '';
    return this.handle(ext);
  }

  async handleOf(customerId: string): Promise<CustomerHandle | undefined> {
    const ext = isHashedCustomerId(customerId) ? await this.o.redis.hget(this.o.keys.kfExternal(this.botId), customerId) : customerId;
    return ext ? this.handle(ext) : undefined;
  }

  /** False while the session is with WeCom's own servicers or ended: the bot stays quiet then. */
  botMaySpeak(customer: CustomerHandle): Promise<boolean> {
    return this.session.botMaySpeak(customerIdOf(customer.key), customer.key);
  }

  /**
   * At a handoff, when WECOM_TRANSFER_TO_SERVICER is set: gives the session to that WeCom servicer
   * (state 3). False when no servicer is configured.
   */
  /** A handoff: with WECOM_TRANSFER_TO_SERVICER the session moves to that WeCom servicer. */
  async handedOff(customer: CustomerHandle): Promise<void> {
    await this.transferToServicer(customer);
  }

  async transferToServicer(customer: CustomerHandle): Promise<boolean> {
    if (!this.o.transferToServicer) return false;
    await this.session.transferToServicer(customerIdOf(customer.key), customer.key, this.o.transferToServicer);
    return true;
  }

  /** A customer's media file (media_id from the transcript; WeChat keeps it 3 days). */
  media(mediaId: string, maxBytes = DEFAULT_MEDIA_MAX_BYTES): Promise<MediaFile> {
    return this.o.api.mediaGet(mediaId, maxBytes);
  }

  /**
   * Fetches a customer's image, voice or file (within KEPT_MEDIA_MAX_BYTES) into Redis for the
   * console: the transcript links to it. Undefined when it cannot (too large, gone): the
   * transcript still says what it was and its media_id.
   */
  private async keepMedia(msgid: string, mediaId: string): Promise<string | undefined> {
    const id = createHash('sha1').update(msgid).digest('base64url').slice(0, 27);
    try {
      const file = await this.media(mediaId, KEPT_MEDIA_MAX_BYTES);
      await this.mediaStore.put(this.botId, id, { contentType: file.contentType, filename: file.filename, data: file.body });
      return `/api/media/${this.botId}/${id}`;
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, 'customer media not kept (the transcript keeps its media_id)');
      return undefined;
    }
  }

  // ------------------------------------------------------------------------------------------

  private handle(ext: string): KfHandle {
    let h = this.handles.get(ext);
    if (!h) {
      const customerId = customerIdOf(ext);
      const resolve = async (): Promise<string> => {
        if (!ext) throw new ChannelSendError('NO_CUSTOMER', 'a 微信客服 snapshot without external_userid', true);
        return customerId;
      };
      h = { key: ext, customerId, name: () => this.names.name(ext), resolve, snapshot: () => ({ externalUserId: ext }) };
      this.handles.set(ext, h);
      if (this.handles.size > 50_000) this.handles.delete(this.handles.keys().next().value as string);
    }
    return h;
  }

  /** One page of new entries: windows and ids first (a reply may follow at once), then in order to the turn. */
  private async deliver(list: KfMessage[]): Promise<void> {
    const sink = this.sink;
    if (!sink) throw new Error('the adapter is not started');
    const items = list.map((m) => ({ m, c: classify(m) }));
    const now = this.now();
    const customers = new Map<string, number>();
    for (const { c } of items) {
      if (c.type === 'customer') customers.set(c.externalUserId, Math.max(c.at, customers.get(c.externalUserId) ?? 0));
    }
    // New customers' names first: the turn's first write for a customer creates the conversation with its name.
    const named = items.flatMap(({ c }) => (c.type !== 'ignore' && c.externalUserId ? [c.externalUserId] : []));
    await Promise.all([
      this.names.learn(named),
      ...[...customers].map(async ([ext, at]) => {
        const customerId = customerIdOf(ext);
        if (isHashedCustomerId(customerId)) await this.o.redis.hset(this.o.keys.kfExternal(this.botId), customerId, ext);
        await noteCustomerMessage(this.o.redis, this.o.keys, this.botId, customerId, at, now);
        await this.session.customerWrote(customerId);
      }),
    ]);
    for (const { m, c } of items) await this.dispatch(sink, m, c);
  }

  private async dispatch(sink: TurnSink, m: KfMessage, c: Classified): Promise<void> {
    switch (c.type) {
      case 'customer': {
        const customer = this.handle(c.externalUserId);
        const inbound: InboundMessage = {
          id: m.msgid,
          at: c.at,
          kind: c.kind,
          text: c.text,
          customer,
          // With a WeCom servicer (state 2/3) the API may not speak: the bot records only.
          silent: !(await this.botMaySpeak(customer)),
          reply: (text, key) => this.send(customer, text, key),
        };
        const mediaId = c.mediaId;
        if (mediaId) inbound.mediaUrl = () => this.keepMedia(m.msgid, mediaId);
        // The cursor moves only past what the turn has stored.
        await sink.message(inbound);
        return;
      }
      case 'servicer':
        sink.record(this.handle(c.externalUserId), { from: 'agent', kind: c.kind, text: c.text, msgId: m.msgid });
        return;
      case 'event':
        return this.onEvent(sink, m, c);
      case 'ignore':
        this.log?.debug({ msgid: m.msgid, why: c.why }, 'sync entry ignored');
    }
  }

  private async onEvent(sink: TurnSink, m: KfMessage, c: Extract<Classified, { type: 'event' }>): Promise<void> {
    const e = c.event;
    if (!c.externalUserId) return;
    const customer = this.handle(c.externalUserId);
    if (e.event_type === 'enter_session') {
      // Where the customer came from (the scene of the link or QR code) is for the agents to see.
      if (e.scene) {
        const param = e.scene_param ? ` (${e.scene_param})` : '';
        sink.record(customer, { from: 'system', kind: 'enter_session', text: `客户进入会话，场景：${e.scene}${param}`, msgId: m.msgid });
      }
      if (e.welcome_code) this.welcome(sink, customer, m.msgid, c.at, e.welcome_code);
      return;
    }
    const change = sessionChange(e);
    if (change) await this.session.set(customerIdOf(c.externalUserId), change.state, change.servicer);
    const line = eventLine(e);
    if (line) sink.record(customer, { from: 'system', kind: line.kind, text: line.text, msgId: m.msgid });
  }

  /**
   * The turn greets through send_msg_on_event: the welcome_code allows one message within 20 s of
   * the event (so the turn's greeting and menu must come as one text); nothing else may reach a
   * customer who has not written yet.
   */
  private welcome(sink: TurnSink, customer: KfHandle, eventId: string, at: number, code: string): void {
    if (this.now() - at > WELCOME_CODE_MS) {
      this.log?.info('welcome code too old (read back later than 20 s): no welcome');
      return;
    }
    let used = false;
    sink.welcome(customer, eventId, async (text, key) => {
      if (used) throw new ChannelSendError('WELCOME_USED', '欢迎语只能发送一条（welcome_code 只可使用一次）。(A welcome_code allows one message.)', true);
      used = true;
      const p = this.o.api.sendMsgOnEvent({ code, msgid: sendMsgId(this.botId, customer.customerId, key), msgtype: 'text', text: { content: text } });
      this.welcomes.add(p);
      try {
        await p;
      } catch (err) {
        if (err instanceof WecomApiError && DUPLICATE_MSGID_CODES.has(err.errcode)) return;
        if (err instanceof WecomApiError && !(err instanceof WecomRateLimitedError)) {
          throw new ChannelSendError(`WECOM_${err.errcode}`, `欢迎语未发出 (welcome not sent): ${err.message}`, true);
        }
        // Not taken, or not known to be: a retry (same key, same msgid) may still use the code.
        used = false;
        throw err;
      } finally {
        this.welcomes.delete(p);
      }
    });
  }
}
