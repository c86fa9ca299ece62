/** The Official Account channel as the bot role starts it: one account, its API and its callback. */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { OaConfig } from '../../config.ts';
import type { Keys } from '../../handoff/index.ts';
import { createMsgCrypt } from '../crypto/index.ts';
import type { ChannelModule } from '../types.ts';
import { OaAdapter } from './adapter.ts';
import { OaApi } from './api.ts';
import { oaCallbackRoutes } from './callback.ts';

export interface OaModuleDeps {
  redis: Redis | Cluster;
  keys: Keys;
  logger?: Logger;
  /** Tests: a short passive-reply wait. */
  passiveWaitMs?: number;
  now?: () => number;
}

export function createOfficialAccount(s: OaConfig, deps: OaModuleDeps): ChannelModule {
  const logger = deps.logger?.child({ module: 'channel-oa', appId: s.appId });
  const api = new OaApi({ base: s.apiBase, appId: s.appId, appSecret: s.appSecret, redis: deps.redis, keys: deps.keys, logger, now: deps.now });
  const adapter = new OaAdapter({ appId: s.appId, api, redis: deps.redis, keys: deps.keys, now: deps.now, logger });
  const crypt = s.aesKey ? createMsgCrypt({ token: s.token, aesKey: s.aesKey, receiverId: s.appId }) : undefined;
  let ready = false;
  return {
    kind: 'oa',
    adapters: [adapter],
    routes: oaCallbackRoutes({ adapter, token: s.token, crypt, redis: deps.redis, keys: deps.keys, passiveWaitMs: deps.passiveWaitMs, now: deps.now, logger }),
    async start() {
      // A token now tells the operator at once whether the AppID and secret are right; the
      // callback works without it (passive replies need none).
      try {
        await api.token();
        ready = true;
      } catch (err) {
        logger?.error({ err: (err as Error).message }, 'could not get an access token: check OA_APP_ID / OA_APP_SECRET and the IP allowlist');
      }
    },
    ready: () => ready || api.lastTokenAt > 0,
    async close() {},
  };
}
