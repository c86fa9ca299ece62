/**
 * The Wechaty channel as the bot role starts it: a Wechaty from the configuration (any puppet by
 * npm name; wechaty-puppet-mock for the demo and tests) and its one adapter.
 *
 * The QR code to scan is printed in the terminal and kept, with the login state, in the handoff
 * (`Handoff.setBotStatus`) for the console. The Wechaty name is its memory card: a restart resumes
 * the session without a new scan where the puppet supports it.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import qrcodeTerminal from 'qrcode-terminal';
import { ScanStatus, WechatyBuilder, type Wechaty, type WechatyOptions } from 'wechaty';
import type { BotStatus, Handoff } from '../../handoff/index.ts';
import type { ChannelModule } from '../types.ts';
import { WechatyAdapter } from './adapter.ts';

export interface WechatySettings {
  /** npm name of the puppet. */
  puppet: string;
  /** Wechaty name (its memory card). */
  name: string;
  /** The account's id in the handoff. */
  botId: string;
  roomMode: 'mention' | 'off';
}

export interface WechatyModule extends ChannelModule {
  readonly kind: 'wechaty';
  readonly bot: Wechaty;
  /** The mock puppet's mocker (wechaty-puppet-mock), to drive a demo or a test. */
  readonly mocker?: import('wechaty-puppet-mock').mock.Mocker;
}

async function buildWechaty(s: WechatySettings): Promise<{ bot: Wechaty; mocker?: WechatyModule['mocker'] }> {
  if (s.puppet === 'wechaty-puppet-mock') {
    const { PuppetMock, mock } = await import('wechaty-puppet-mock');
    const mocker = new mock.Mocker();
    const puppet = new PuppetMock({ mocker });
    return { bot: WechatyBuilder.build({ name: s.name, puppet }), mocker };
  }
  // Any puppet package by name: Wechaty imports it.
  const puppet = s.puppet as NonNullable<Extract<WechatyOptions, { puppet?: string }>['puppet']>;
  return { bot: WechatyBuilder.build({ name: s.name, puppet }) };
}

export async function createWechatyChannel(
  s: WechatySettings,
  deps: { redis: Redis | Cluster; handoff: Handoff; logger?: Logger; printQr?: boolean },
): Promise<WechatyModule> {
  const log = deps.logger?.child({ module: 'channel-wechaty', botId: s.botId });
  const { bot, mocker } = await buildWechaty(s);
  const status = (st: Omit<BotStatus, 'at'>): void => {
    deps.handoff.setBotStatus(s.botId, { ...st, at: new Date().toISOString() }).catch((err: unknown) => log?.warn({ err }, 'could not store the bot status'));
  };
  bot.on('scan', (qrcode: string, scan: ScanStatus) => {
    if (scan === ScanStatus.Waiting || scan === ScanStatus.Timeout) {
      if (deps.printQr ?? true) qrcodeTerminal.generate(qrcode, { small: true });
      // The login URL itself: consoles draw the QR code locally (no image service).
      status({ status: 'scan', qrUrl: qrcode });
      log?.info({ scan: ScanStatus[scan] }, 'scan the QR code to log in');
    } else {
      log?.info({ scan: ScanStatus[scan] }, 'scan status');
    }
  });
  bot.on('login', () => {
    status({ status: 'logged_in' });
    log?.info('logged in');
  });
  bot.on('logout', () => {
    status({ status: 'logged_out' });
    log?.warn('logged out');
  });
  // An 'error' without a listener would crash Node: log it and keep serving.
  bot.on('error', (err: Error) => log?.error({ err: err.message }, 'wechaty error'));

  const adapter = new WechatyAdapter({
    bot,
    botId: s.botId,
    redis: deps.redis,
    keys: deps.handoff.keys,
    roomMode: s.roomMode,
    // The mock accepts a remark without keeping it (identity falls back to the Redis maps there).
    setAlias: s.puppet !== 'wechaty-puppet-mock',
    logger: deps.logger,
  });
  return {
    kind: 'wechaty',
    bot,
    mocker,
    adapters: [adapter],
    async start() {
      await bot.start();
      log?.info({ puppet: s.puppet, name: s.name }, 'wechaty started');
    },
    ready: () => bot.isLoggedIn,
    async close() {
      await bot.stop().catch((err: unknown) => log?.warn({ err }, 'wechaty did not stop cleanly'));
      await deps.handoff.setBotStatus(s.botId, { status: 'stopped', at: new Date().toISOString() }).catch(() => undefined);
    },
  };
}
