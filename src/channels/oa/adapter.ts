/**
 * The Official Account channel's account: customers are openids (stable, so they are the customer
 * ids), and whatever is not a passive reply goes out through the customer-service message API,
 * within WeChat's 48 h / 5 messages window, counted in our own Redis so a reply WeChat would refuse
 * is refused here with a reason the agent can read.
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../../handoff/index.ts';
import { ChannelSendError, type ChannelAdapter, type ChannelLimits, type CustomerHandle, type TurnSink } from '../types.ts';
import { MAX_REPLIES, settleSend, takeSend, WINDOW_S, windowClosedError } from '../wecom-kf/window.ts';
import { OaApiError, type OaApi } from './api.ts';
import { OA_ERRCODE } from './wire.ts';

/** A customer-service text message carries at most 2,048 bytes. */
export const OA_MAX_TEXT_BYTES = 2_048;

/** The handoff's bot id of an Official Account. */
export const oaBotId = (appId: string): string => `oa-${appId}`;

export interface OaAdapterOptions {
  appId: string;
  api: OaApi;
  redis: Redis | Cluster;
  keys: Keys;
  now?: () => number;
  logger?: Logger;
}

export class OaAdapter implements ChannelAdapter {
  readonly kind = 'oa' as const;
  readonly botId: string;
  readonly label: string;
  readonly limits: ChannelLimits = { maxTextBytes: OA_MAX_TEXT_BYTES, window: { windowS: WINDOW_S, maxReplies: MAX_REPLIES } };
  /** Callbacks retried late are still real customers' words: recorded even when too old to answer. */
  readonly keepLate = true;
  sink?: TurnSink;
  private readonly now: () => number;

  constructor(private readonly o: OaAdapterOptions) {
    this.botId = oaBotId(o.appId);
    this.label = `公众号 ${o.appId}`;
    this.now = o.now ?? Date.now;
  }

  async start(sink: TurnSink): Promise<void> {
    this.sink = sink;
  }

  async stop(): Promise<void> {
    this.sink = undefined;
  }

  canSend(): boolean {
    return true;
  }

  /** One customer (an openid). */
  handle(openid: string): CustomerHandle {
    return { key: openid, name: () => '', resolve: async () => openid, snapshot: () => ({ openid }) };
  }

  restore(snapshot: Record<string, unknown>): CustomerHandle {
    const openid = typeof snapshot.openid === 'string' ? snapshot.openid : '';
    return this.handle(openid);
  }

  async handleOf(customerId: string): Promise<CustomerHandle | undefined> {
    return this.handle(customerId);
  }

  /** Through message/custom/send, within the window; `key` makes a retried part count once. */
  async send(to: CustomerHandle, text: string, key: string): Promise<void> {
    const customerId = to.key;
    const sendId = createHash('sha1').update(key).digest('hex').slice(0, 32);
    const taken = await takeSend(this.o.redis, this.o.keys, this.botId, customerId, sendId, this.now());
    if (taken === 'expired' || taken === 'used') throw windowClosedError(taken);
    try {
      await this.o.api.customSend(customerId, text);
    } catch (err) {
      if (err instanceof OaApiError && OA_ERRCODE.WINDOW.has(err.errcode as 45015)) {
        await settleSend(this.o.redis, this.o.keys, this.botId, customerId, sendId, 'close');
        throw windowClosedError('wechat', `(errcode ${err.errcode})`);
      }
      await settleSend(this.o.redis, this.o.keys, this.botId, customerId, sendId, 'release');
      if (err instanceof OaApiError && err.errcode !== OA_ERRCODE.RATE_LIMITED) throw new ChannelSendError(err.code, err.message, false);
      throw err;
    }
  }
}
