/**
 * The Wechaty plugin: any Wechaty bot can `use(KefuBot(config))`. It is a thin adapter: the
 * Wechaty channel (../channels/wechaty) turns the bot's events into customer messages for the
 * channel-agnostic turn (./turn.ts), and ./runtime.ts wires the turn, the write chain and the
 * delivery of agents' replies for this one account.
 */
import type { Wechaty, WechatyPlugin } from 'wechaty';
import { WechatyAdapter } from '../channels/wechaty/index.ts';
import type { BotRuntimeConfig } from './config.ts';
import { BotRuntime } from './runtime.ts';

export type { BotMetrics } from './config.ts';

export interface KefuBotConfig extends BotRuntimeConfig {
  /** Group chats: answer only when @-mentioned (default), or never. */
  roomMode?: 'mention' | 'off';
  /** Write the customer number into new contacts' remark (default true). */
  setAlias?: boolean;
}

/** Stops the plugin on one bot; resolves once the outbound consumer has stopped. */
export type KefuBotUninstaller = () => Promise<void>;

export interface KefuBotPlugin extends WechatyPlugin {
  (bot: Wechaty): KefuBotUninstaller;
  /** Uninstalls from every bot it was installed on. */
  stop(): Promise<void>;
  /** Counters over every bot it is installed on. */
  stats(): { matchCacheHits: number };
}

export function KefuBot(config: KefuBotConfig): KefuBotPlugin {
  const installed = new Map<KefuBotUninstaller, BotRuntime>();
  const plugin = function KefuBotPlugin(bot: Wechaty): KefuBotUninstaller {
    const adapter = new WechatyAdapter({
      bot,
      botId: config.botId,
      redis: config.redis,
      keys: config.handoff.keys,
      roomMode: config.roomMode,
      setAlias: config.setAlias,
      logger: config.logger,
    });
    const runtime = new BotRuntime(adapter, config);
    // The adapter listens synchronously: no message of this bot is missed.
    const started = runtime.start();
    started.catch((err: unknown) => config.logger?.error({ err }, 'the bot runtime did not start'));
    const uninstall: KefuBotUninstaller = async () => {
      if (!installed.delete(uninstall)) return;
      await started.catch(() => undefined);
      await runtime.stop();
    };
    installed.set(uninstall, runtime);
    return uninstall;
  } as KefuBotPlugin;
  plugin.stop = async () => {
    await Promise.all([...installed.keys()].map((u) => u()));
  };
  plugin.stats = () => ({ matchCacheHits: [...installed.values()].reduce((n, r) => n + r.stats().matchCacheHits, 0) });
  return plugin;
}

export { coalesce, floodCutText } from './format.ts';
export { kindOf } from '../channels/wechaty/index.ts';
