/**
 * An Official Account's rules, without HTTP: who wrote when (the 48 h window for 5 custom
 * messages since June 2023), what customers received, and the messages' 64-bit MsgIds.
 */
import { randomBytes } from 'node:crypto';
import type { XmlFields } from '../channels/crypto/index.ts';
import { seconds, type SimClock } from './clock.ts';
import { OA_ERR } from './errcodes.ts';
import type { MediaStore } from './media.ts';
import type { CustomerImage, ReceivedMessage } from './types.ts';
import type { Outcome } from './wecom-world.ts';

export const OA_WINDOW_MS = 48 * 3600_000;
export const OA_MAX_SENDS_PER_WINDOW = 5;
const CUSTOM_TYPES = new Set(['text', 'image', 'voice', 'video', 'music', 'news', 'mpnews', 'mpnewsarticle', 'msgmenu', 'wxcard', 'miniprogrampage']);
/** MsgIds start above 2^53 so that a client parsing them as JS numbers visibly breaks. */
const MSG_ID_BASE = 7_205_759_403_792_793_600n;

interface OaUser {
  lastCustomerAt?: number;
  sentInWindow: number;
}

export interface CustomSendRequest {
  touser: string;
  msgtype: string;
  [field: string]: unknown;
}

export class OaWorld {
  private readonly users = new Map<string, OaUser>();
  private seq = 0n;
  readonly received: ReceivedMessage[] = [];

  constructor(
    readonly ghId: string,
    private readonly clock: SimClock,
    private readonly media: MediaStore,
    /** The simulator's base URL once listening (PicUrl of images). */
    private readonly baseUrl: () => string,
  ) {}

  private user(openid: string): OaUser {
    let u = this.users.get(openid);
    if (!u) this.users.set(openid, (u = { sentInWindow: 0 }));
    return u;
  }

  nextMsgId(): bigint {
    this.seq += 1n;
    return MSG_ID_BASE + this.seq * 1000n + BigInt(randomBytes(1)[0] ?? 0);
  }

  /** A customer's message as the callback's XML fields; opens (or renews) their window. */
  customerMessage(openid: string, content: string | CustomerImage): { fields: XmlFields; msgId: string } {
    const now = this.clock.now();
    const u = this.user(openid);
    u.lastCustomerAt = now;
    u.sentInWindow = 0;
    const msgId = this.nextMsgId();
    const head = { ToUserName: this.ghId, FromUserName: openid, CreateTime: seconds(now) };
    if (typeof content === 'string') return { fields: { ...head, MsgType: 'text', Content: content, MsgId: msgId }, msgId: String(msgId) };
    const mediaId = this.media.add('oa', content.image, now);
    return {
      fields: { ...head, MsgType: 'image', PicUrl: `${this.baseUrl()}/sim/oa/pic/${mediaId}`, MediaId: mediaId, MsgId: msgId },
      msgId: String(msgId),
    };
  }

  /** A subscribe event (no MsgId: WeChat dedupes events by FromUserName + CreateTime). */
  followEvent(openid: string): XmlFields {
    this.user(openid);
    return { ToUserName: this.ghId, FromUserName: openid, CreateTime: seconds(this.clock.now()), MsgType: 'event', Event: 'subscribe', EventKey: '' };
  }

  customSend(req: CustomSendRequest): Outcome<{ msgid: string }> {
    const u = this.users.get(req.touser);
    if (!u) return { ok: false, errcode: OA_ERR.INVALID_OPENID };
    if (!CUSTOM_TYPES.has(req.msgtype)) return { ok: false, errcode: OA_ERR.INVALID_MSGTYPE };
    const part = req[req.msgtype] as Record<string, unknown> | undefined;
    if (!part || typeof part !== 'object') return { ok: false, errcode: OA_ERR.DATA_FORMAT, detail: `${req.msgtype} is missing` };
    if (req.msgtype === 'text' && (typeof part.content !== 'string' || part.content === '')) return { ok: false, errcode: OA_ERR.DATA_FORMAT, detail: 'text.content' };
    const now = this.clock.now();
    if (u.lastCustomerAt === undefined || now - u.lastCustomerAt > OA_WINDOW_MS) return { ok: false, errcode: OA_ERR.OUT_OF_TIME_LIMIT };
    if (u.sentInWindow >= OA_MAX_SENDS_PER_WINDOW) return { ok: false, errcode: OA_ERR.OUT_OF_RESPONSE_COUNT };
    u.sentInWindow++;
    const msgid = randomBytes(12).toString('hex');
    const text = req.msgtype === 'text' ? (part.content as string) : undefined;
    this.received.push({ channel: 'oa', via: 'custom_send', msgid, to: req.touser, msgtype: req.msgtype, text, body: { ...req }, at: now });
    return { ok: true, msgid };
  }

  /** A passive reply taken from a callback's HTTP answer. */
  passiveReply(openid: string, fields: Record<string, string>): void {
    const msgtype = fields.MsgType ?? '';
    this.received.push({
      channel: 'oa',
      via: 'passive_reply',
      msgid: randomBytes(12).toString('hex'),
      to: openid,
      msgtype,
      text: msgtype === 'text' ? fields.Content : undefined,
      body: { ...fields },
      at: this.clock.now(),
    });
  }

  /** What the customer sees when the account's answer is not a valid reply. */
  errorNotice(openid: string, reason: string): void {
    this.received.push({
      channel: 'oa',
      via: 'error_notice',
      msgid: randomBytes(12).toString('hex'),
      to: openid,
      msgtype: 'text',
      text: '该公众号暂时无法提供服务，请稍后再试',
      body: { reason },
      at: this.clock.now(),
    });
  }
}
