/**
 * The product's bot: a Wechaty from the configuration with the KefuBot plugin (`npm run bot` =
 * `src/main.ts --role bot`; the demo runs it on wechaty-puppet-mock).
 *
 * The QR code to scan is printed in the terminal and kept, with the login state, in the handoff
 * (`Handoff.botStatus`) for the console. The Wechaty name is its memory card: a restart resumes
 * the session without a new scan where the puppet supports it.
 */
import qrcodeTerminal from 'qrcode-terminal';
import { ScanStatus, WechatyBuilder, type Wechaty, type WechatyOptions } from 'wechaty';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { createLogger } from '../logger.ts';
import { createRedis, Handoff, type BotStatus } from '../handoff/index.ts';
import { createKnowledgeService, type KnowledgeService } from '../knowledge/index.ts';
import { watchMessages } from './messages.ts';
import { KefuBot, type KefuBotConfig, type KefuBotPlugin } from './plugin.ts';
import type { PolicyOptions } from './policy.ts';

export interface RunningBot {
  bot: Wechaty;
  plugin: KefuBotPlugin;
  handoff: Handoff;
  redis: Redis | Cluster;
  knowledge: KnowledgeService;
  /** The mock puppet's mocker (WECHATY_PUPPET=wechaty-puppet-mock), to drive a demo or a test. */
  mocker?: import('wechaty-puppet-mock').mock.Mocker;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Overrides of the plugin configuration (tests: short retry times). */
  plugin?: Partial<KefuBotConfig>;
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
  };
}

async function buildWechaty(config: Config): Promise<{ bot: Wechaty; mocker?: RunningBot['mocker'] }> {
  if (config.bot.puppet === 'wechaty-puppet-mock') {
    const { PuppetMock, mock } = await import('wechaty-puppet-mock');
    const mocker = new mock.Mocker();
    const puppet = new PuppetMock({ mocker });
    return { bot: WechatyBuilder.build({ name: config.bot.name, puppet }), mocker };
  }
  // Any puppet package by name: Wechaty imports it.
  const puppet = config.bot.puppet as NonNullable<Extract<WechatyOptions, { puppet?: string }>['puppet']>;
  return { bot: WechatyBuilder.build({ name: config.bot.name, puppet }) };
}

export async function startBot(config: Config, opts: StartOptions = {}): Promise<RunningBot> {
  const logger = opts.logger ?? createLogger(config.log);
  const log = logger.child({ module: 'bot', botId: config.bot.id });
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
  const messages = await watchMessages(config.knowledge.dir, { debounceMs: config.knowledge.reloadDebounceMs, logger: log });
  const { bot, mocker } = await buildWechaty(config);
  const botId = config.bot.id;

  const status = (s: Omit<BotStatus, 'at'>): void => {
    handoff.setBotStatus(botId, { ...s, at: new Date().toISOString() }).catch((err: unknown) => log.warn({ err }, 'could not store the bot status'));
  };

  bot.on('scan', (qrcode: string, scan: ScanStatus) => {
    if (scan === ScanStatus.Waiting || scan === ScanStatus.Timeout) {
      if (opts.printQr ?? true) qrcodeTerminal.generate(qrcode, { small: true });
      // The login URL itself: consoles draw the QR code locally (no image service).
      status({ status: 'scan', qrUrl: qrcode });
      log.info({ scan: ScanStatus[scan] }, 'scan the QR code to log in');
    } else {
      log.info({ scan: ScanStatus[scan] }, 'scan status');
    }
  });
  bot.on('login', () => {
    status({ status: 'logged_in' });
    log.info('logged in');
  });
  bot.on('logout', () => {
    status({ status: 'logged_out' });
    log.warn('logged out');
  });
  // An 'error' without a listener would crash Node: log it and keep serving.
  bot.on('error', (err: Error) => log.error({ err: err.message }, 'wechaty error'));

  const plugin = KefuBot({
    botId,
    handoff,
    redis,
    knowledge,
    messages: messages.current(),
    messagesSource: messages.current,
    policy: policyFromConfig(config),
    timezone: config.sla.hours.timezone,
    roomMode: config.bot.roomMode,
    maxMessageAgeS: config.bot.maxMessageAgeS,
    flood: config.bot.flood,
    floodCap: { perMin: config.bot.floodCapPerMin },
    journalDir: config.bot.journalDir,
    maxMatchChars: config.bot.maxMatchChars,
    // The mock accepts a remark without keeping it (identity falls back to the Redis maps there).
    setAlias: config.bot.puppet !== 'wechaty-puppet-mock',
    logger,
    ...opts.plugin,
  });
  bot.use(plugin);
  await bot.start();
  log.info({ puppet: config.bot.puppet, name: config.bot.name }, 'bot started');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await plugin.stop();
      await bot.stop().catch((err: unknown) => log.warn({ err }, 'wechaty did not stop cleanly'));
      await handoff
        .setBotStatus(botId, { status: 'stopped', at: new Date().toISOString() })
        .catch(() => undefined);
      await messages.close();
      if (own) {
        await knowledge.close();
        await redis.quit().catch(() => redis.disconnect());
      }
      log.info('bot stopped');
    })());
  return { bot, plugin, handoff, redis, knowledge, mocker, stop };
}
