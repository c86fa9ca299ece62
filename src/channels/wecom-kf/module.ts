/**
 * The 微信客服 channel as the composition root starts it: one adapter per open_kfid, the callback
 * routes (they answer before `start`; pulls wait for it), and the access token kept warm (readiness says whether WeChat gave us one).
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keys } from '../../handoff/index.ts';
import { createMsgCrypt } from '../crypto/index.ts';
import type { ChannelModule } from '../types.ts';
import { WecomKfAdapter } from './adapter.ts';
import { WecomApi } from './api.ts';
import { callbackRoutes, type KfNotice } from './callback.ts';
import type { WecomKfSettings } from './settings.ts';
import type { SyncMsgAnswer } from './wire.ts';

/** How often the token is checked (a fresh one is fetched in the last minutes of the old one's life). */
const TOKEN_CHECK_MS = 5 * 60_000;
/** A token is fetched every ~2 h; none for this long means WeChat stopped giving us one. */
const READY_STALE_MS = 3 * 3600_000;

export interface WecomKfDeps {
  redis: Redis | Cluster;
  keys: Keys;
  logger?: Logger;
  now?: () => number;
  /** POST callbacks whose timestamp is further than this from now are refused (default 300 s). */
  callbackMaxSkewS?: number;
  /** On a first install, messages sent up to this long before the start are still answered (default 60 s). */
  historyGraceMs?: number;
  /** The pull lock's lifetime, renewed per page (default 30 s). */
  lockTtlMs?: number;
  /** Per API request (default 10 s). */
  apiTimeoutMs?: number;
  /** Tests: runs after each sync_msg answer, before it is handed on. */
  afterFetch?(answer: SyncMsgAnswer): Promise<void> | void;
}

export interface WecomKfModule extends ChannelModule {
  readonly kind: 'wecom-kf';
  readonly adapters: readonly WecomKfAdapter[];
  readonly api: WecomApi;
  adapterFor(openKfid: string): WecomKfAdapter | undefined;
}

export function createWecomKf(settings: WecomKfSettings, deps: WecomKfDeps): WecomKfModule {
  const log = deps.logger?.child({ module: 'channel-wecom-kf' });
  const now = deps.now ?? Date.now;
  const api = new WecomApi({
    base: settings.apiBase,
    corpId: settings.corpId,
    secret: settings.secret,
    redis: deps.redis,
    keys: deps.keys,
    logger: log,
    timeoutMs: deps.apiTimeoutMs,
    now: deps.now,
  });
  const crypt = createMsgCrypt({ token: settings.token, aesKey: settings.aesKey, previousAesKey: settings.previousAesKey, receiverId: settings.corpId });
  const historySince = now() - (deps.historyGraceMs ?? 60_000);
  const byKfid = new Map<string, WecomKfAdapter>();
  for (const openKfid of settings.openKfids) {
    byKfid.set(
      openKfid,
      new WecomKfAdapter({
        api,
        redis: deps.redis,
        keys: deps.keys,
        openKfid,
        transferToServicer: settings.transferToServicer,
        pollS: settings.pollS,
        historySince,
        lockTtlMs: deps.lockTtlMs,
        now: deps.now,
        logger: deps.logger,
        afterFetch: deps.afterFetch,
      }),
    );
  }
  const adapters = [...byKfid.values()];

  const onNotice = (n: KfNotice): void => {
    const targets = n.openKfid ? [byKfid.get(n.openKfid)] : adapters;
    if (!targets[0]) {
      log?.warn({ openKfid: n.openKfid }, 'callback for a KF account this deployment does not serve (WECOM_OPEN_KFIDS)');
      return;
    }
    for (const a of targets) void a?.notify(n.token);
  };

  const warm = (): void => {
    api.tokens.get().catch((err: unknown) =>
      log?.error(
        { err },
        (err as { code?: string }).code === 'WECOM_UNREACHABLE'
          ? 'cannot reach WeChat at WECOM_API_BASE (network, DNS or proxy): no access token yet'
          : 'WeChat refused an access token (check WECOM_CORP_ID, WECOM_KF_SECRET and the trusted IPs)',
      ),
    );
  };
  let timer: NodeJS.Timeout | undefined;

  return {
    kind: 'wecom-kf',
    adapters,
    api,
    adapterFor: (openKfid) => byKfid.get(openKfid),
    routes: callbackRoutes({ crypt, onNotice, maxSkewS: deps.callbackMaxSkewS, now: deps.now, logger: log }),
    async start() {
      warm();
      timer = setInterval(warm, TOKEN_CHECK_MS);
      timer.unref();
      for (const a of adapters) a.begin();
      log?.info({ accounts: adapters.length }, '微信客服 pulling');
    },
    ready: () => api.tokens.lastOk > 0 && now() - api.tokens.lastOk < READY_STALE_MS,
    async close() {
      clearInterval(timer);
      await Promise.all(adapters.map((a) => a.stop()));
    },
  };
}
