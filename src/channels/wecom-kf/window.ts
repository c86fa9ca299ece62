/**
 * WeChat's service window for 微信客服, kept in our own Redis so we refuse a send WeChat would
 * refuse (and the console can say how many replies are left): after a customer's message the
 * business may send at most 5 messages within 48 hours; the customer's next message opens a new
 * window. Sends are counted by msgid, so a retry of the same reply part is not counted twice.
 */
import type { Cluster, Redis } from 'ioredis';
import { readServiceWindow, type Keys, type ServiceWindow } from '../../handoff/index.ts';
import { ChannelSendError } from '../types.ts';
import { runKfScript } from './scripts.ts';

export const WINDOW_S = 48 * 3600;
export const WINDOW_MS = WINDOW_S * 1000;
export const MAX_REPLIES = 5;

type R = Redis | Cluster;

/** A customer's message (send time in ms) renews their window. */
export async function noteCustomerMessage(redis: R, keys: Keys, botId: string, customerId: string, sentAt: number, now: number): Promise<void> {
  const ttl = Math.max(60_000, sentAt + WINDOW_MS - now + 3_600_000);
  await runKfScript(redis, 'window-in', [keys.kfWindow(botId, customerId)], [sentAt, ttl]);
}

export type TakeResult = 'ok' | 'again' | 'expired' | 'used';

/** Counts a send before it is made: "ok"/"again" may go ahead, the others may not. */
export async function takeSend(redis: R, keys: Keys, botId: string, customerId: string, msgid: string, now: number): Promise<TakeResult> {
  const r = await runKfScript(redis, 'window-take', [keys.kfWindow(botId, customerId)], [now, WINDOW_MS, MAX_REPLIES, msgid]);
  return r as TakeResult;
}

/** After WeChat's answer: `release` a send it did not take, or `close` the window it says is closed. */
export async function settleSend(redis: R, keys: Keys, botId: string, customerId: string, msgid: string, how: 'release' | 'close'): Promise<void> {
  await runKfScript(redis, 'window-settle', [keys.kfWindow(botId, customerId)], [how, msgid, MAX_REPLIES]);
}

export type WindowState = ServiceWindow;

/** For the console: how many replies are left to this customer and until when (the registry's reading). */
export function windowState(redis: R, keys: Keys, botId: string, customerId: string, now = Date.now()): Promise<WindowState> {
  return readServiceWindow(redis, keys, botId, customerId, { windowS: WINDOW_S, maxReplies: MAX_REPLIES }, now);
}

/** The error for a send the window does not allow (permanent: the agent is told why). */
export function windowClosedError(why: 'expired' | 'used' | 'wechat' | 'session', detail = ''): ChannelSendError {
  const reasons = {
    expired: '客户最后一条消息已超过 48 小时，微信不允许再发送；客户再发消息后才能回复。(WeChat allows replies only within 48 h of the customer\'s last message.)',
    used: `自客户上一条消息以来已发送 ${MAX_REPLIES} 条，微信不允许再发送；客户再发消息后才能回复。(WeChat allows at most ${MAX_REPLIES} messages per customer message.)`,
    wechat: '微信拒绝了这条消息：服务时限已过或条数已满；客户再发消息后才能回复。(WeChat refused it: the 48 h / 5 messages window is closed.)',
    session: '会话当前不允许通过接口发送（已由企业微信接待人员接待或已结束）。(The 微信客服 session is with a WeCom servicer or ended: the API may not send now.)',
  } as const;
  return new ChannelSendError('WINDOW_CLOSED', detail ? `${reasons[why]} ${detail}` : reasons[why], true);
}
