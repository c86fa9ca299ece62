/**
 * The errcode/errmsg pairs the simulator answers with, and how each platform decorates errmsg.
 *
 * Sources: WeCom's and the Official Account platform's global return-code tables, the 微信客服
 * API pages and errors quoted from the real services in public issue trackers (e.g.
 * `95018 send msg session status invalid`, `95001 send msg count limit`, `45047 out of response
 * count limit`, `45015 response out of time limit or subscription is canceled`). Entries marked
 * UNVERIFIED could not be confirmed in any public text; they are the simulator's convention and
 * are kept here, in one place, so they are easy to correct.
 */
import { randomBytes } from 'node:crypto';

export const WECOM_ERR = {
  OK: 0,
  SYSTEM_BUSY: -1,
  INVALID_SECRET: 40001,
  INVALID_MEDIA_ID: 40007,
  INVALID_MSGTYPE: 40008,
  INVALID_CORPID: 40013,
  INVALID_TOKEN: 40014,
  /** UNVERIFIED for send_msg_on_event: WeCom's "invalid code" (an expired, used or unknown welcome_code / msg_code). */
  INVALID_CODE: 40029,
  INVALID_PARAMETER: 40058,
  TOKEN_MISSING: 41001,
  CORPID_MISSING: 41002,
  SECRET_MISSING: 41004,
  TOKEN_EXPIRED: 42001,
  EMPTY_CONTENT: 44004,
  CONTENT_TOO_LONG: 45002,
  FREQ_LIMIT: 45009,
  DATA_FORMAT: 47001,
  INVALID_OPEN_KFID: 95000,
  /** No open window: the customer has not written within 48 h, or 5 messages were sent since. */
  SEND_COUNT_LIMIT: 95001,
  /** UNVERIFIED number: the Token of a kf_msg_or_event callback is unknown or older than 10 minutes. */
  INVALID_MSG_TOKEN: 95007,
  /** UNVERIFIED number: service_state/trans to a state the current one may not move to. */
  STATE_TRANSITION: 95016,
  /** The session is not in a state the API may send in (queued, with a servicer, or ended). */
  SESSION_STATE_INVALID: 95018,
  /** UNVERIFIED (simulator convention): send_msg with a msgid already sent from this open_kfid. */
  DUPLICATE_MSGID: 95020,
} as const;

const WECOM_MSG: Record<number, string> = {
  [-1]: 'system busy',
  40001: 'invalid credential',
  40007: 'invalid media_id',
  40008: 'invalid message type',
  40013: 'invalid corpid',
  40014: 'invalid access_token',
  40029: 'invalid code',
  40058: 'invalid Request Parameter',
  41001: 'access_token missing',
  41002: 'corpid missing',
  41004: 'corpsecret missing',
  42001: 'access_token expired',
  44004: 'empty content',
  45002: 'content size out of limit',
  45009: 'api freq out of limit',
  47001: 'data format error',
  95000: 'invalid open_kfid',
  95001: 'send msg count limit',
  95007: 'invalid msg token',
  95016: 'invalid service state transition',
  95018: 'send msg session status invalid',
  95020: 'duplicate msgid',
};

export const OA_ERR = {
  OK: 0,
  SYSTEM_ERROR: -1,
  INVALID_CREDENTIAL: 40001,
  INVALID_GRANT_TYPE: 40002,
  INVALID_OPENID: 40003,
  INVALID_MEDIA_ID: 40007,
  INVALID_MSGTYPE: 40008,
  INVALID_APPID: 40013,
  INVALID_APPSECRET: 40125,
  TOKEN_MISSING: 41001,
  APPID_MISSING: 41002,
  SECRET_MISSING: 41004,
  TOKEN_EXPIRED: 42001,
  EMPTY_POST: 44002,
  QUOTA_LIMIT: 45009,
  /** The 48 h after the customer's last message are over (or they never wrote / unfollowed). */
  OUT_OF_TIME_LIMIT: 45015,
  /** 5 custom messages were sent since the customer's last message. */
  OUT_OF_RESPONSE_COUNT: 45047,
  DATA_FORMAT: 47001,
} as const;

const OA_MSG: Record<number, string> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40007: 'invalid media_id',
  40008: 'invalid message type',
  40013: 'invalid appid',
  40125: 'invalid appsecret',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  42001: 'access_token expired',
  44002: 'empty post data',
  45009: 'reach max api daily quota limit',
  45015: 'response out of time limit or subscription is canceled',
  45047: 'out of response count limit',
  47001: 'data format error',
};

export type Platform = 'wecom' | 'oa';

export interface ErrBody {
  errcode: number;
  errmsg: string;
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** errcode/errmsg as the platform writes them: WeCom adds a hint and a help link, the OA platform a rid. */
export function errBody(platform: Platform, errcode: number, nowMs: number, detail?: string): ErrBody {
  if (errcode === 0) return { errcode: 0, errmsg: 'ok' };
  const base = (platform === 'wecom' ? WECOM_MSG : OA_MSG)[errcode] ?? 'simulated failure';
  const text = detail ? `${base}: ${detail}` : base;
  const errmsg =
    platform === 'wecom'
      ? `${text}, hint: [${Math.floor(nowMs / 1000)}_${hex(6)}], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`
      : `${text} rid: ${hex(4)}-${hex(4)}-${hex(4)}`;
  return { errcode, errmsg };
}
