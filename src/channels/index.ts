/**
 * The channels component: adapters between WeChat's doors and the bot's channel-agnostic turn.
 * `CHANNELS` picks which run; each lives in its own folder and is loaded only when listed
 * (wechaty alone takes most of a second to import).
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Handoff } from '../handoff/index.ts';
import type { ChannelModule } from './types.ts';

export * from './types.ts';

export interface ChannelDeps {
  redis: Redis | Cluster;
  handoff: Handoff;
  logger?: Logger;
  /** Print the Wechaty login QR code in the terminal (default true). */
  printQr?: boolean;
}

/** Builds every channel `config.channels.list` names (nothing is received before `start`). */
export async function createChannels(config: Config, deps: ChannelDeps): Promise<ChannelModule[]> {
  const modules: ChannelModule[] = [];
  try {
    for (const kind of config.channels.list) {
      switch (kind) {
        case 'wechaty': {
          const { createWechatyChannel } = await import('./wechaty/module.ts');
          modules.push(
            await createWechatyChannel(
              { puppet: config.bot.puppet, name: config.bot.name, botId: config.bot.id, roomMode: config.bot.roomMode },
              deps,
            ),
          );
          break;
        }
        case 'oa': {
          const { createOfficialAccount } = await import('./oa/module.ts');
          modules.push(createOfficialAccount(config.channels.oa!, { redis: deps.redis, keys: deps.handoff.keys, logger: deps.logger }));
          break;
        }
        case 'wecom-kf': {
          const { createWecomKf } = await import('./wecom-kf/index.ts');
          modules.push(createWecomKf(config.channels.wecomKf!, { redis: deps.redis, keys: deps.handoff.keys, logger: deps.logger }));
          break;
        }
      }
    }
  } catch (err) {
    await Promise.all(modules.map((m) => m.close().catch(() => undefined)));
    throw err;
  }
  return modules;
}
