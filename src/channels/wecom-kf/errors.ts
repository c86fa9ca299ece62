/** The 微信客服 API's error codes we act on, and the typed errors the client throws. */
import { KefuError } from '../../errors.ts';

export const ERRCODE = {
  /** access_token expired / invalid: fetch a new one and call again, once. */
  TOKEN_EXPIRED: 42001,
  TOKEN_INVALID: 40014,
  /** API call frequency out of limit. */
  RATE_LIMITED: 45009,
  /** The 48 h / 5 messages window, or the session's state, forbids this send. */
  SEND_COUNT_LIMIT: 95001,
  OUT_OF_RESPONSE_COUNT: 45047,
  OUT_OF_TIME_LIMIT: 45015,
  SESSION_STATE_INVALID: 95018,
} as const;

/** Codes that mean WeChat will not take a message to this customer now: retrying cannot help. */
export const WINDOW_CLOSED_CODES: ReadonlySet<number> = new Set([
  ERRCODE.SEND_COUNT_LIMIT,
  ERRCODE.OUT_OF_RESPONSE_COUNT,
  ERRCODE.OUT_OF_TIME_LIMIT,
  ERRCODE.SESSION_STATE_INVALID,
]);

export const TOKEN_CODES: ReadonlySet<number> = new Set([ERRCODE.TOKEN_EXPIRED, ERRCODE.TOKEN_INVALID]);

/**
 * "This msgid was sent already": the answer to a retried send whose first attempt got through.
 * WeChat's documentation does not name the code; the local simulator's (wechat-sim) is listed here.
 */
export const DUPLICATE_MSGID_CODES: ReadonlySet<number> = new Set([95020]);

/** WeChat answered with an errcode. */
export class WecomApiError extends KefuError {
  constructor(
    readonly api: string,
    readonly errcode: number,
    readonly errmsg: string,
    code = 'WECOM_API_ERROR',
  ) {
    super(code, `${api}: errcode ${errcode} ${errmsg}`);
  }
}

/** 45009: too many calls; try again after `retryAfterMs` at the earliest. */
export class WecomRateLimitedError extends WecomApiError {
  constructor(
    api: string,
    errmsg: string,
    readonly retryAfterMs: number,
  ) {
    super(api, ERRCODE.RATE_LIMITED, errmsg, 'WECOM_RATE_LIMITED');
  }
}

/**
 * No answer, an HTTP error or an answer that is not the API's: whether a send got through is
 * unknown, so it may only be tried again with the same msgid.
 */
export class WecomTransportError extends KefuError {
  constructor(
    readonly api: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('WECOM_UNREACHABLE', `${api}: ${message}`, options);
  }
}

/** A customer's media file is larger than we accept. */
export class WecomMediaTooLargeError extends KefuError {
  constructor(
    readonly mediaId: string,
    readonly maxBytes: number,
  ) {
    super('WECOM_MEDIA_TOO_LARGE', `media ${mediaId} is larger than ${maxBytes} bytes`);
  }
}

/** Another process took over the account's pull (its lock expired under us): stop, it goes on. */
export class SyncFenceError extends KefuError {
  constructor(botId: string) {
    super('WECOM_SYNC_FENCED', `${botId}: another process holds the sync lock now`);
  }
}
