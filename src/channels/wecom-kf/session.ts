/**
 * The 微信客服 session state (0 new, 1 with the bot/API, 2 queued for WeCom servicers, 3 with a
 * WeCom servicer, 4 ended), mirrored in Redis from the events sync_msg brings, our own transfers
 * and, when nothing is known, kf/service_state/get. WeChat lets the API send only in states 0 and
 * 1, so the bot speaks only then; our own agents answer through the API in those states too.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../../handoff/index.ts';
import type { WecomApi } from './api.ts';

export type SessionState = 0 | 1 | 2 | 3 | 4;

/** A session lasts at most 48 h; a mirror older than this is asked again. */
const MIRROR_TTL_MS = 3 * 24 * 3600_000;

export interface SessionMirrorOptions {
  redis: Redis | Cluster;
  keys: Keys;
  api: WecomApi;
  botId: string;
  openKfid: string;
  now?: () => number;
  logger?: Logger;
}

export class SessionMirror {
  private readonly now: () => number;

  constructor(private readonly o: SessionMirrorOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The mirrored state, asking WeChat when none is kept; undefined when WeChat cannot be asked. */
  async get(customerId: string, externalUserId: string): Promise<{ state: SessionState; servicer?: string } | undefined> {
    const [state, servicer] = await this.o.redis.hmget(this.o.keys.kfSession(this.o.botId, customerId), 'state', 'servicer');
    if (state !== null) return { state: Number(state) as SessionState, servicer: servicer || undefined };
    try {
      const answer = await this.o.api.serviceStateGet({ open_kfid: this.o.openKfid, external_userid: externalUserId });
      const got = answer.service_state as SessionState;
      await this.set(customerId, got, answer.servicer_userid);
      return { state: got, servicer: answer.servicer_userid };
    } catch (err) {
      this.o.logger?.warn({ err }, 'could not read the session state');
      return undefined;
    }
  }

  async set(customerId: string, state: SessionState, servicer?: string): Promise<void> {
    const key = this.o.keys.kfSession(this.o.botId, customerId);
    await this.o.redis
      .multi()
      .hset(key, 'state', state, 'servicer', servicer ?? '', 'at', this.now())
      .pexpire(key, MIRROR_TTL_MS)
      .exec();
  }

  /** Forgets the mirror (after WeChat refused a send for the session's state: ask again next time). */
  async forget(customerId: string): Promise<void> {
    await this.o.redis.del(this.o.keys.kfSession(this.o.botId, customerId));
  }

  /** A customer's message starts a new session when the last one ended (4 -> 0). */
  async customerWrote(customerId: string): Promise<void> {
    const key = this.o.keys.kfSession(this.o.botId, customerId);
    const state = await this.o.redis.hget(key, 'state');
    if (state === '4') await this.set(customerId, 0);
  }

  /** True unless the session is known to be with WeCom's servicers (2, 3) or ended (4). */
  async botMaySpeak(customerId: string, externalUserId: string): Promise<boolean> {
    const s = await this.get(customerId, externalUserId);
    return s === undefined || s.state === 0 || s.state === 1;
  }

  /** Hands the session to a WeCom servicer (state 3), who then answers in the WeCom app. */
  async transferToServicer(customerId: string, externalUserId: string, servicer: string): Promise<void> {
    await this.o.api.serviceStateTrans({ open_kfid: this.o.openKfid, external_userid: externalUserId, service_state: 3, servicer_userid: servicer });
    await this.set(customerId, 3, servicer);
  }
}
