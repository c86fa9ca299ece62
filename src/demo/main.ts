/**
 * `npm run demo`: kefu-bridge in one command, without a WeChat account. The bot runs on
 * wechaty-puppet-mock next to the console; the console's WeChat simulator page lets you type as
 * customers. Redis: REDIS_URL, else 127.0.0.1:6379 if it answers, else a redis-server child with
 * AOF in ./.data/redis. Seeds conversations in different states and tiers when the queue is empty
 * (through the simulator, so they take the real bot's path) and prints the URL and the password.
 */
import { pathToFileURL } from 'node:url';
import { loadConfig, ConfigError } from '../config.ts';
import { createLogger } from '../logger.ts';
import { AgentStore, generatePassword, passwordProblems } from '../console/auth/index.ts';
import { ADMIN_USERNAME } from '../console/main.ts';
import { MockWeChatSimulator } from '../bot/index.ts';
import { startKefu, stopOnSignals, type Kefu } from '../main.ts';
import { NoRedisError, resolveDemoRedis, type DemoRedis } from './redis.ts';
import { seedDemo, DEMO_BOT_NAME, DEMO_VIPS } from './seed.ts';

export interface DemoOptions {
  env?: NodeJS.ProcessEnv;
  /** Where a redis-server started by the demo keeps its AOF (default .data/redis). */
  dataDir?: string;
  /** Seed conversations when the queue is empty (default true). */
  seed?: boolean;
}

export interface RunningDemo {
  kefu: Kefu;
  redis: DemoRedis;
  url: string;
  password: string;
  stop(): Promise<void>;
}

export async function startDemo(opts: DemoOptions = {}): Promise<RunningDemo> {
  const env = { ...(opts.env ?? process.env) };
  // A fresh password every start unless one is given: the demo prints what works now.
  const password = env.KEFU_ADMIN_PASSWORD?.trim() || generatePassword();
  // Refused before anything starts: the same policy as every other way of setting a password.
  const problems = passwordProblems(password, { username: ADMIN_USERNAME });
  if (problems.length > 0) {
    throw new ConfigError([{ variable: 'KEFU_ADMIN_PASSWORD', message: `the admin password ${problems.map((p) => p.message).join('; ')}` }]);
  }
  const redis = await resolveDemoRedis(env, { dataDir: opts.dataDir ?? '.data/redis' });
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    REDIS_PREFIX: 'kefu-demo',
    WECHATY_NAME: 'kefu-demo',
    ...env,
    WECHATY_PUPPET: 'wechaty-puppet-mock',
    REDIS_URL: redis.url,
    KEFU_ADMIN_PASSWORD: password,
  });
  const logger = createLogger(config.log);
  let kefu: Kefu;
  try {
    kefu = await startKefu(config, {
      roles: ['bot', 'console'],
      logger,
      tierRule: (ref) => (ref.customerName && DEMO_VIPS.includes(ref.customerName) ? 'vip' : undefined),
      simulator: (bot) => {
        const { mocker } = bot;
        if (!mocker) throw new Error('the demo needs the mock puppet');
        const user = mocker.createContact({ name: DEMO_BOT_NAME });
        mocker.login(user);
        return new MockWeChatSimulator(mocker, user);
      },
    });
  } catch (err) {
    await redis.stop();
    throw err;
  }
  // An admin from an earlier demo run keeps its data; it gets this start's password.
  await new AgentStore(kefu.redis, config.redis.prefix).setPassword(ADMIN_USERNAME, password);
  if (opts.seed !== false && kefu.bot && kefu.console) await seedDemo(kefu);
  return {
    kefu,
    redis,
    url: kefu.console!.url,
    password,
    async stop() {
      await kefu.stop();
      await redis.stop();
    },
  };
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
  const where = { REDIS_URL: 'REDIS_URL', local: '本机 127.0.0.1:6379', started: '自动启动的 redis-server（数据在 .data/redis）' }[demo.redis.source];
  process.stdout.write(
    [
      '',
      '  kefu-bridge 演示已启动 / demo is running',
      '',
      `  客服工作台:   ${demo.url}`,
      `  微信模拟器:   ${demo.url}/#/simulator`,
      `  账号 / 密码:  ${ADMIN_USERNAME} / ${demo.password}`,
      `  Redis:        ${where}`,
      '',
      '  按 Ctrl+C 退出 / press Ctrl+C to stop',
      '',
    ].join('\n'),
  );
  stopOnSignals({ stop: () => demo.stop(), logger: demo.kefu.logger });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`demo failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
