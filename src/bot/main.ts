/**
 * The product's bot role (`npm run bot` = `src/main.ts --role bot`): every channel `CHANNELS`
 * lists, each account run by a `BotRuntime` over the channel's adapter (the demo runs the Wechaty
 * channel on wechaty-puppet-mock).
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Wechaty } from 'wechaty';
import { createChannels, type ChannelModule } from '../channels/index.ts';
import type { WechatyModule } from '../channels/wechaty/module.ts';
import type { Config } from '../config.ts';
import { createLogger } from '../logger.ts';
import { createRedis, Handoff } from '../handoff/index.ts';
import { createKnowledgeService, MatchThreads, type KnowledgeService } from '../knowledge/index.ts';
import type { BotRuntimeConfig } from './config.ts';
import { watchMessages } from './messages.ts';
import { hoursText, type PolicyOptions } from './policy.ts';
import { BotRuntime } from './runtime.ts';

export interface RunningBot {
  /** The Wechaty of the `wechaty` channel, when it runs. */
  bot?: Wechaty;
  /** The mock puppet's mocker (WECHATY_PUPPET=wechaty-puppet-mock), to drive a demo or a test. */
  mocker?: import('wechaty-puppet-mock').mock.Mocker;
  channels: ChannelModule[];
  runtimes: BotRuntime[];
  handoff: Handoff;
  redis: Redis | Cluster;
  knowledge: KnowledgeService;
  /** Every channel can receive (a Wechaty logged in, the official APIs reachable). */
  ready(): boolean;
  /** The channels' callback routes, for the bot role's HTTP server. */
  routes(app: import('fastify').FastifyInstance): Promise<void>;
  stats(): { matchCacheHits: number };
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Overrides of the runtime configuration (tests: short retry times). */
  plugin?: Partial<BotRuntimeConfig>;
  /** Print the QR code in the terminal (default true). */
  printQr?: boolean;
  /**
   * The Redis client, handoff and knowledge base of a process that runs the console too (one of
   * each per process); the bot then leaves closing them to their owner.
   */
  shared?: { redis: Redis | Cluster; handoff: Handoff; knowledge: KnowledgeService };
}

/** The policy options the configuration controls. */
export function policyFromConfig(config: Config): Partial<PolicyOptions> {
  return {
    handoffMode: config.bot.handoffMode,
    ...(config.bot.humanKeywords ? { humanKeywords: config.bot.humanKeywords } : {}),
    serviceHours: hoursText(config.sla.hours),
  };
}

/** One channel account's runtime settings, as the configuration gives them. */
export function runtimeConfig(
  config: Config,
  botId: string,
  deps: Pick<BotRuntimeConfig, 'handoff' | 'redis' | 'knowledge' | 'messages' | 'logger'>,
): BotRuntimeConfig {
  return {
    botId,
    instance: config.bot.instance,
    ...deps,
    policy: policyFromConfig(config),
    timezone: config.sla.hours.timezone,
    maxMessageAgeS: config.bot.maxMessageAgeS,
    flood: config.bot.flood,
    floodCap: { perMin: config.bot.floodCapPerMin },
    journalDir: config.bot.journalDir,
    maxMatchChars: config.bot.maxMatchChars,
  };
}

export async function startBot(config: Config, opts: StartOptions = {}): Promise<RunningBot> {
  const logger = opts.logger ?? createLogger(config.log);
  const log = logger.child({ module: 'bot' });
  const own = !opts.shared;
  const redis = opts.shared?.redis ?? createRedis(config.redis, logger);
  const handoff = opts.shared?.handoff ?? new Handoff(redis, { prefix: config.redis.prefix, policy: config.sla, logger });
  const knowledge =
    opts.shared?.knowledge ??
    (await createKnowledgeService({
      dir: config.knowledge.dir,
      thresholds: config.knowledge.thresholds,
      debounceMs: config.knowledge.reloadDebounceMs,
      logger,
    }));
  const messages = await watchMessages(config.knowledge.dir, { debounceMs: config.knowledge.reloadDebounceMs, logger: log, files: knowledge.files });
  const channels = await createChannels(config, { redis, handoff, logger, printQr: opts.printQr });
  // One set of matching threads for every account of the process.
  const matchThreads = new MatchThreads({ threads: config.bot.matchThreads, logger });

  const runtimes = channels.flatMap((m) =>
    m.adapters.map(
      (adapter) =>
        new BotRuntime(adapter, {
          ...runtimeConfig(config, adapter.botId, { handoff, redis, knowledge, messages: messages.current(), logger }),
          messagesSource: messages.current,
          matchThreads,
          ...opts.plugin,
        }),
    ),
  );
  for (const r of runtimes) await r.start();
  for (const m of channels) await m.start();
  log.info({ channels: channels.map((m) => m.kind), accounts: runtimes.length }, 'bot started');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.all(runtimes.map((r) => r.stop()));
      await Promise.all(channels.map((m) => m.close()));
      await messages.close();
      await matchThreads.close();
      if (own) {
        await knowledge.close();
        await redis.quit().catch(() => redis.disconnect());
      }
      log.info('bot stopped');
    })());
  const wechaty = channels.find((m): m is WechatyModule => m.kind === 'wechaty');
  return {
    bot: wechaty?.bot,
    mocker: wechaty?.mocker,
    channels,
    runtimes,
    handoff,
    redis,
    knowledge,
    ready: () => channels.every((m) => m.ready()),
    routes: async (app) => {
      for (const m of channels) if (m.routes) await m.routes(app);
    },
    stats: () => ({ matchCacheHits: runtimes.reduce((n, r) => n + r.stats().matchCacheHits, 0) }),
    stop,
  };
}
