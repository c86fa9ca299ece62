/** The simulator's public types: its options, what customers received, callback outcomes. */
import type { Logger } from '../logger.ts';
import type { SimClock } from './clock.ts';

export interface WecomSimOptions {
  corpId: string;
  /** The 微信客服 secret gettoken expects. */
  secret: string;
  /** Callback Token and EncodingAESKey, as configured on the adapter's side. */
  token: string;
  aesKey: string;
  /** The customer-service accounts this corp has (open_kfid). */
  openKfids: string[];
  /** Where kf_msg_or_event callbacks go; can be set later with setCallbackUrl. */
  callbackUrl?: string;
  /** The AgentID element of the callback envelope (empty for 微信客服). */
  agentId?: string;
}

export interface OaSimOptions {
  appId: string;
  secret: string;
  token: string;
  /** Set = safe mode (encrypted callbacks and replies); unset = plaintext mode. */
  aesKey?: string;
  /** The Official Account's own id, ToUserName of callbacks. Default "gh_sim00000001". */
  ghId?: string;
  callbackUrl?: string;
}

export interface WeChatSimOptions {
  wecom?: WecomSimOptions;
  oa?: OaSimOptions;
  /** WeChat's clock; default real time plus what advanceClock adds. */
  clock?: SimClock;
  /** access_token lifetime in seconds (fractions allowed for tests). Default 7200. */
  tokenTtlS?: number;
  /** How long a callback may take to answer before WeChat gives up on it and retries. Default 5000. */
  callbackTimeoutMs?: number;
  /** Retries after the first callback attempt. Default 3. */
  callbackRetries?: number;
  /** sync_msg calls without a callback Token allowed per minute per corp before 45009. Default 10. */
  syncWithoutTokenPerMinute?: number;
  /** Logs callbacks that were retried or given up on; silent when unset. */
  logger?: Logger;
}

export type Channel = 'wecom-kf' | 'oa';

/** A message a customer got, in the order they got it. */
export interface ReceivedMessage {
  channel: Channel;
  /** How it reached them: an API send, an event response, an OA passive reply, or WeChat's own error notice. */
  via: 'send_msg' | 'send_msg_on_event' | 'custom_send' | 'passive_reply' | 'error_notice';
  msgid: string;
  /** The customer: an external_userid (微信客服) or an openid (Official Account). */
  to: string;
  /** The customer-service account (微信客服) it came from. */
  openKfid?: string;
  msgtype: string;
  /** The text of text messages (and of a msgmenu's head_content). */
  text?: string;
  /** The request body (API sends) or reply fields (passive replies) as WeChat saw them. */
  body: Record<string, unknown>;
  /** WeChat's clock when it was delivered (ms). */
  at: number;
}

export type CallbackOutcome = 'ok' | 'timeout' | 'error' | 'rejected' | 'no-callback-url';

export interface DeliveryResult {
  delivered: boolean;
  /** HTTP attempts made (1 + retries). */
  attempts: number;
  outcome: CallbackOutcome;
  /** Status and body of the last answer received, if any. */
  status?: number;
  body?: string;
}

/** What a control call that makes WeChat call back returns: the new message's id and the callback's fate. */
export interface Delivery {
  msgid: string;
  delivered: Promise<DeliveryResult>;
}

export interface CallbackStats {
  /** HTTP requests made. */
  attempts: number;
  /** Callbacks answered acceptably (at whichever attempt). */
  delivered: number;
  /** Attempts after the first (each retry counts). */
  retried: number;
  /** Callbacks given up on after every retry. */
  failed: number;
}

export interface SimStats {
  callbacks: Record<Channel, CallbackStats>;
  /** API calls per path, including failed ones. */
  calls: Record<string, number>;
}

/** An image a customer sends: raw bytes, or bytes with a type and name. */
export type CustomerImage = { image: Buffer | { data: Buffer; contentType?: string; filename?: string } };
