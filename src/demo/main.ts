/**
 * `npm run demo`: kefu-bridge in one command, without a WeChat account. The bot runs on
 * wechaty-puppet-mock next to the console (or, with DEMO_CHANNEL=wecom-kf, on the 微信客服 channel
 * against the local WeChat API simulator); the console's WeChat simulator page lets you type as
 * customers. Redis: REDIS_URL, else 127.0.0.1:6379 if it answers, else a redis-server child with
 * AOF in ./.data/redis. The archive: DATABASE_URL, else Debian's PostgreSQL started as a child with
 * its data in ./.data/pg, else none (said once, with how to install it). Seeds conversations in different states and tiers when the queue is empty
 * (through the simulator, so they take the real bot's path) and prints the URL and the password.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, ConfigError } from '../config.ts';
import { createLogger } from '../logger.ts';
import { ADMIN_USERNAME, AgentStore, generatePassword, passwordProblems, type DemoSimulator } from '../console/index.ts';
import { redisAddress, settleDemoAdmin, type DemoAdmin } from './admin.ts';
import { MockWeChatSimulator, type RunningBot } from '../bot/index.ts';
import { CALLBACK_PATH } from '../channels/wecom-kf/callback.ts';
import { createKeys, createRedis } from '../handoff/index.ts';
import { startKefu, stopOnSignals, type Kefu } from '../main.ts';
import { clearDemoTarget, writeDemoTarget } from '../console/cli-target.ts';
import type { WeChatSimulator } from '../wechat-sim/index.ts';
import { resolveDemoPostgres, type DemoPostgres } from './postgres.ts';
import { NoRedisError, resolveDemoRedis, type DemoRedis } from './redis.ts';
import { seedDemo, DEMO_BOT_NAME, DEMO_VIPS } from './seed.ts';
import { demoWecomEnv, forgetOldCursor, startDemoWeChat, WecomDemoSimulator } from './wecom-sim.ts';

/** Which WeChat door the demo plays: a mock personal account (Wechaty), or 微信客服 through the local simulator. */
export const DEMO_CHANNELS = ['wechaty', 'wecom-kf'] as const;
export type DemoChannel = (typeof DEMO_CHANNELS)[number];

/** DEMO_CHANNEL (default wechaty); anything else is refused before the demo starts. */
export function demoChannelOf(env: NodeJS.ProcessEnv): DemoChannel {
  const value = env.DEMO_CHANNEL?.trim() || 'wechaty';
  if ((DEMO_CHANNELS as readonly string[]).includes(value)) return value as DemoChannel;
  throw new ConfigError([{ variable: 'DEMO_CHANNEL', message: `must be one of ${DEMO_CHANNELS.join(', ')} (got ${JSON.stringify(value)})` }]);
}

export interface DemoOptions {
  env?: NodeJS.ProcessEnv;
  /** Where a redis-server started by the demo keeps its AOF (default .data/redis). */
  dataDir?: string;
  /** Where a PostgreSQL started by the demo keeps its data (default .data/pg). */
  pgDataDir?: string;
  /** Where PostgreSQL's server programs are (default: Debian's /usr/lib/postgresql/<major>/bin, found). */
  pgBinDir?: string;
  /** Seed conversations when the queue is empty (default true). */
  seed?: boolean;
  /**
   * Where a password the demo generated is remembered, to print it again at the next start (default
   * demo-admin.json beside the Redis data folder; none with REDIS_URL).
   */
  adminFile?: string;
}

export interface RunningDemo {
  kefu: Kefu;
  redis: DemoRedis;
  /** The archive's PostgreSQL, or none (its `notice` says why and how to install it). */
  postgres: DemoPostgres;
  channel: DemoChannel;
  /** The WeChat API simulator the 微信客服 channel talks to (DEMO_CHANNEL=wecom-kf). */
  wechat?: WeChatSimulator;
  url: string;
  /** The admin's password as it works now; null when an existing admin kept one this demo does not know. */
  password: string | null;
  /** new: admin created now; given: KEFU_ADMIN_PASSWORD applied; kept: an existing admin's password, unchanged. */
  admin: DemoAdmin['state'];
  stop(): Promise<void>;
}

/** What the demo sets over the person's variables: its own defaults below them, where its parts run above. */
function demoConfigEnv(
  env: NodeJS.ProcessEnv,
  channel: DemoChannel,
  parts: { redisUrl: string; wechatUrl?: string; databaseUrl?: string; password: string },
): NodeJS.ProcessEnv {
  return {
    LOG_LEVEL: 'warn',
    // Its own keys: the 微信客服 demo's conversations do not mix with the mock account's.
    REDIS_PREFIX: channel === 'wecom-kf' ? 'kefu-demo-kf' : 'kefu-demo',
    WECHATY_NAME: 'kefu-demo',
    ...env,
    WECHATY_PUPPET: 'wechaty-puppet-mock',
    ...(parts.wechatUrl ? demoWecomEnv(parts.wechatUrl) : { CHANNELS: 'wechaty' }),
    REDIS_URL: parts.redisUrl,
    ...(parts.databaseUrl ? { DATABASE_URL: parts.databaseUrl } : {}),
    KEFU_ADMIN_PASSWORD: parts.password,
  };
}

/**
 * Every invalid variable at once, before anything starts: DEMO_CHANNEL, the admin password (the
 * console's policy) and the configuration as the demo will load it, with its parts still unknown.
 */
function checkDemoEnv(env: NodeJS.ProcessEnv, password: string): DemoChannel {
  const issues: ConfigError['issues'] = [];
  let channel: DemoChannel = 'wechaty';
  try {
    channel = demoChannelOf(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues.push(...err.issues);
  }
  // Refused like every other way of setting a password; then checked below with a valid one, so it is named once.
  const problems = passwordProblems(password, { username: ADMIN_USERNAME });
  if (problems.length > 0) issues.push({ variable: 'KEFU_ADMIN_PASSWORD', message: `the admin password ${problems.map((p) => p.message).join('; ')}` });
  try {
    loadConfig(
      demoConfigEnv(env, channel, {
        redisUrl: env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379',
        // Where the simulator will listen is known only once it runs; any http URL checks the rest.
        wechatUrl: channel === 'wecom-kf' ? 'http://127.0.0.1:1' : undefined,
        password: problems.length > 0 ? generatePassword() : password,
      }),
    );
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues.push(...err.issues);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return channel;
}

export async function startDemo(opts: DemoOptions = {}): Promise<RunningDemo> {
  const env = { ...(opts.env ?? process.env) };
  // KEFU_ADMIN_PASSWORD is applied at every start; without it an existing admin keeps its password
  // and a new one gets this generated one (settleDemoAdmin).
  const given = env.KEFU_ADMIN_PASSWORD?.trim() || undefined;
  const password = given ?? generatePassword();
  const channel = checkDemoEnv(env, password);
  const dataDir = opts.dataDir ?? '.data/redis';
  const redis = await resolveDemoRedis(env, { dataDir });
  // Where `kefu agents --demo` finds a redis-server this demo started on a port of its own (beside its
  // data). With REDIS_URL, or the local Redis on 6379, the CLI finds it from the same settings.
  const targetFile = redis.source === 'started' ? path.join(path.dirname(dataDir), 'demo-target.json') : undefined;
  let postgres: DemoPostgres | undefined;
  let wechat: WeChatSimulator | undefined;
  let kefu: Kefu | undefined;
  // Whatever started is stopped again, newest first.
  const stop = async (): Promise<void> => {
    if (targetFile) clearDemoTarget(targetFile);
    await kefu?.stop();
    await wechat?.close();
    await postgres?.stop();
    await redis.stop();
  };
  try {
    postgres = await resolveDemoPostgres(env, { dataDir: opts.pgDataDir ?? '.data/pg', binDir: opts.pgBinDir });
    if (channel === 'wecom-kf') wechat = await startDemoWeChat();
    const config = loadConfig(demoConfigEnv(env, channel, { redisUrl: redis.url, wechatUrl: wechat?.url, databaseUrl: postgres.url, password }));
    const logger = createLogger(config.log);
    const sim = wechat;
    if (sim) {
      const client = createRedis(config.redis, logger);
      try {
        await forgetOldCursor(client, createKeys(config.redis.prefix));
      } finally {
        await client.quit().catch(() => client.disconnect());
      }
    }
    kefu = await startKefu(config, {
      roles: ['bot', 'console'],
      logger,
      // The customer's name: the mock contact's, or the 微信客服 nickname the channel looked up.
      tierRule: (ref) => (ref.customerName && DEMO_VIPS.includes(ref.customerName) ? 'vip' : undefined),
      simulator: (bot: RunningBot): DemoSimulator => {
        if (sim) return new WecomDemoSimulator(sim);
        const { mocker } = bot;
        if (!mocker) throw new Error('the demo needs the mock puppet');
        const user = mocker.createContact({ name: DEMO_BOT_NAME });
        mocker.login(user);
        return new MockWeChatSimulator(mocker, user);
      },
    });
    const url = kefu.console!.url;
    // The channel's callback route lives on the console's server (bot and console share the process).
    sim?.setCallbackUrl('wecom-kf', `${url}${CALLBACK_PATH}`);
    const adminFile = opts.adminFile ?? (redis.source === 'REDIS_URL' ? undefined : path.join(path.dirname(dataDir), 'demo-admin.json'));
    const admin = await settleDemoAdmin(new AgentStore(kefu.redis, config.redis.prefix), {
      ...(given ? { given } : {}),
      candidate: password,
      ...(adminFile ? { file: adminFile } : {}),
      key: `${redisAddress(redis.url)}|${config.redis.prefix}`,
    });
    if (opts.seed !== false && kefu.bot && kefu.console) await seedDemo(kefu);
    if (targetFile) writeDemoTarget({ url: redis.url, prefix: config.redis.prefix }, targetFile);
    return { kefu, redis, postgres, channel, wechat, url, password: admin.password, admin: admin.state, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

async function main(): Promise<void> {
  let demo: RunningDemo;
  try {
    demo = await startDemo();
  } catch (err) {
    if (err instanceof NoRedisError || err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  process.stdout.write(demoBanner(demo));
  stopOnSignals({ stop: () => demo.stop(), logger: demo.kefu.logger });
}

/** Where the archive is, for the banner: the data dir relative to here when inside it. */
function archiveLine(pg: DemoPostgres): string {
  const dir = pg.dataDir ? path.relative(process.cwd(), pg.dataDir) || '.' : '';
  const shown = dir && !dir.startsWith('..') ? dir : pg.dataDir;
  switch (pg.source) {
    case 'DATABASE_URL': {
      const u = new URL(pg.url!);
      return `DATABASE_URL（${u.host}${u.pathname}）`;
    }
    case 'started':
      return `自动启动的 PostgreSQL（数据在 ${shown}${pg.initialised ? '，首次初始化' : ''}）/ started, data in ${shown}`;
    case 'running':
      return `上次演示留下的 PostgreSQL（数据在 ${shown}，退出后仍运行）/ left running by an earlier demo`;
    case 'none':
      return '未启用：搜索只覆盖 Redis 中的会话 / off: no PostgreSQL (see above)';
  }
}

/** What the demo prints once it runs: where everything is, and once, why there is no archive. */
export function demoBanner(demo: Pick<RunningDemo, 'redis' | 'postgres' | 'channel' | 'wechat' | 'url' | 'password'> & Partial<Pick<RunningDemo, 'admin'>>): string {
  const from = { REDIS_URL: '来自 REDIS_URL', local: '本机已运行的 Redis', started: '自动启动的 redis-server，数据在 .data/redis' }[demo.redis.source];
  const where = `${redisAddress(demo.redis.url)}（${from}）`;
  const pw =
    demo.password === null
      ? '（沿用已有密码，未改动；忘记了可用 KEFU_ADMIN_PASSWORD=新密码 重新启动）/ unchanged'
      : `${demo.password}${demo.admin === 'kept' ? '（沿用上次的密码 / unchanged）' : ''}`;
  return [
    ...(demo.postgres.notice ? ['', demo.postgres.notice] : []),
    '',
    '  kefu-bridge 演示已启动 / demo is running',
    '',
    `  微信渠道:     ${demo.channel === 'wecom-kf' ? `微信客服 模拟（本地 WeChat API 模拟器 ${demo.wechat!.url}）/ simulated 微信客服` : '模拟个人微信 / mock WeChat (wechaty-puppet-mock)'}`,
    `  客服工作台:   ${demo.url}`,
    `  微信模拟器:   ${demo.url}/#/simulator`,
    `  账号 / 密码:  ${ADMIN_USERNAME} / ${pw}`,
    `  Redis:        ${where}`,
    `  归档:         ${archiveLine(demo.postgres)}`,
    '',
    '  按 Ctrl+C 退出 / press Ctrl+C to stop',
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`demo failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
