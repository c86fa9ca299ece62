/**
 * The composition root: `npm start` runs the bot and the console in one process;
 * `npm start -- --role bot` / `--role console` runs one of them (any number of each on one Redis).
 *
 *   config -> logger -> redis -> archive -> knowledge -> handoff -> bot + console
 *
 * One Redis client, one hot-reloaded knowledge base and one handoff serve both roles. With
 * DATABASE_URL the archive runs in every process (one process at a time archives a bot account,
 * under a Redis lock); PostgreSQL down at start or later pauses archiving, never the bot or the
 * console. SIGINT / SIGTERM stop taking new work, let in-flight sends and acknowledgements finish,
 * then close the archive, the server and Redis; a second signal exits at once.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import { loadConfigOrExit, type Config, type ConfigError } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { startArchive, type ArchiveService } from './archive/index.ts';
import { syncReports } from './archive/reports-sync.ts';
import { createRedis, Handoff, type CustomerRef, type Tier } from './handoff/index.ts';
import { createKnowledgeService, type KnowledgeService } from './knowledge/index.ts';
import type { RunningBot } from './bot/index.ts';
import { ADMIN_USERNAME, passwordProblems, startConsole, type DemoSimulator, type RunningConsole } from './console/index.ts';
import { createMetrics, registerArchiveMetrics, type KefuMetrics } from './metrics.ts';
import { startOpsServer, type OpsServer } from './ops.ts';
import { ensurePortFree } from './port-check.ts';

export const ROLES = ['bot', 'console'] as const;
export type Role = (typeof ROLES)[number];

export interface StartKefuOptions {
  roles: readonly Role[];
  logger?: Logger;
  /** Tier by rule (e.g. the demo's VIP names); a manager's choice still wins. */
  tierRule?: (ref: CustomerRef) => Tier | undefined;
  /**
   * With the bot on wechaty-puppet-mock: log the mock account in and give the console a WeChat
   * simulator (the demo). Called with the bot once it runs.
   */
  simulator?: (bot: RunningBot) => DemoSimulator;
}

export interface Kefu {
  config: Config;
  logger: Logger;
  redis: Redis | Cluster;
  handoff: Handoff;
  knowledge: KnowledgeService;
  /** The archive in PostgreSQL (DATABASE_URL set), else undefined: nothing archived or trimmed. */
  archive?: ArchiveService;
  bot?: RunningBot;
  console?: RunningConsole;
  simulator?: DemoSimulator;
  metrics: KefuMetrics;
  /** The bot role's /healthz, /readyz and /metrics when no console runs in this process. */
  ops?: OpsServer;
  stop(): Promise<void>;
}

export async function startKefu(config: Config, opts: StartKefuOptions): Promise<Kefu> {
  // Every role listens on the HTTP port (the console, or the bot's ops endpoints). Checked before
  // anything touches Redis: a second start on a taken port must not log the bot account in and out.
  await ensurePortFree(config.http.host, config.http.port);
  const logger = opts.logger ?? createLogger(config.log);
  const redis = createRedis(config.redis, logger);
  const closeRedis = async () => {
    await redis.quit().catch(() => redis.disconnect());
  };
  let archive: ArchiveService | undefined;
  if (config.archive.url) {
    try {
      // Resolves with PostgreSQL down (paused, retried every interval, logged); rejects only for a
      // schema it must not touch (written by a newer version, a failed migration).
      archive = await startArchive({
        url: config.archive.url,
        redis,
        prefix: config.redis.prefix,
        logger,
        retentionDays: config.archive.retentionDays,
        intervalMs: config.archive.intervalMs,
        maxConnections: config.archive.poolMax,
        // The reports' day counters and streams leave Redis too: copied on each run.
        afterRun: syncReports,
      });
    } catch (err) {
      await closeRedis();
      throw err;
    }
  }
  const closeArchive = async () => {
    await archive?.close().catch((err: unknown) => logger.error({ err }, 'archive did not close cleanly'));
  };
  let knowledge: KnowledgeService;
  try {
    knowledge = await createKnowledgeService({
      dir: config.knowledge.dir,
      thresholds: config.knowledge.thresholds,
      debounceMs: config.knowledge.reloadDebounceMs,
      logger,
    });
  } catch (err) {
    await closeArchive();
    await closeRedis();
    throw err;
  }
  const handoff = new Handoff(redis, {
    prefix: config.redis.prefix,
    policy: config.sla,
    logger,
    tierRule: opts.tierRule,
    announceClaims: config.bot.announceAgentJoin,
  });
  const shared = { redis, handoff, knowledge };
  const metrics = createMetrics();
  if (archive) registerArchiveMetrics(metrics.registry, archive);

  let bot: RunningBot | undefined;
  let consoleServer: RunningConsole | undefined;
  let simulator: DemoSimulator | undefined;
  let ops: OpsServer | undefined;
  const stop = async () => {
    // The console first (no new agent actions), then the bot (finishes its sends and acks).
    await consoleServer?.stop().catch((err: unknown) => logger.error({ err }, 'console did not stop cleanly'));
    await ops?.stop().catch((err: unknown) => logger.error({ err }, 'ops server did not stop cleanly'));
    await bot?.stop().catch((err: unknown) => logger.error({ err }, 'bot did not stop cleanly'));
    await knowledge.close();
    // Before Redis: a run in progress finishes (it reads Redis) and nothing is trimmed half-way.
    await closeArchive();
    await closeRedis();
  };
  try {
    if (opts.roles.includes('bot')) {
      // Loaded only for this role: wechaty alone takes most of a second to import.
      const { startBot } = await import('./bot/index.ts');
      bot = await startBot(config, { logger, shared, plugin: { metrics: metrics.bot } });
    }
    const running = bot;
    const botReady = running ? () => running.ready() : undefined;
    simulator = bot && opts.simulator ? opts.simulator(bot) : undefined;
    if (opts.roles.includes('console')) {
      consoleServer = await startConsole(config, { logger, ...shared, simulator, botReady, metrics: metrics.registry, channelRoutes: running?.routes, archive });
    } else if (botReady) {
      ops = await startOpsServer(config, { redis, registry: metrics.registry, botReady, logger, routes: running?.routes, archive });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { config, logger, redis, handoff, knowledge, archive, bot, console: consoleServer, simulator, metrics, ops, stop };
}

/** `--role bot|console|all` (repeatable, or comma-separated); default all. */
export function parseRoles(argv: readonly string[]): Role[] {
  const roles = new Set<Role>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = arg === '--role' ? argv[++i] : arg.startsWith('--role=') ? arg.slice('--role='.length) : undefined;
    if (arg !== '--role' && value === undefined) throw new Error(`unknown argument ${JSON.stringify(arg)} (usage: --role bot|console|all)`);
    if (!value) throw new Error('--role needs a value: bot, console or all');
    for (const r of value.split(',').map((v) => v.trim())) {
      if (r === 'all') ROLES.forEach((x) => roles.add(x));
      else if ((ROLES as readonly string[]).includes(r)) roles.add(r as Role);
      else throw new Error(`unknown role ${JSON.stringify(r)} (bot, console or all)`);
    }
  }
  return roles.size > 0 ? [...roles] : [...ROLES];
}

/**
 * A signal that comes again this soon is the same stop delivered twice, not an impatient operator:
 * npm, tsx and systemd's control-group kill each pass a SIGTERM/SIGINT on to the process that
 * already got it from the terminal or the group.
 */
export const SIGNAL_ECHO_MS = 1_000;

/** Runs until SIGINT/SIGTERM: the first signal stops gracefully, a second one (after SIGNAL_ECHO_MS) exits at once. */
export function stopOnSignals(kefu: Pick<Kefu, 'stop' | 'logger'>, graceMs = 15_000): void {
  let stoppingSince: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < SIGNAL_ECHO_MS) return;
      kefu.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stoppingSince = Date.now();
    kefu.logger.info({ signal }, 'shutting down (a second signal exits at once)');
    const force = setTimeout(() => {
      kefu.logger.error('shutdown took too long: exiting');
      process.exit(1);
    }, graceMs);
    force.unref();
    kefu.stop().then(
      () => {
        clearTimeout(force);
        process.exit(0);
      },
      (err: unknown) => {
        kefu.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** The console refuses a weak first-admin password at start (seedAdmin): named with the other variables instead. */
function adminPasswordIssues(password: string | undefined): ConfigError['issues'] {
  const given = password?.trim();
  if (!given) return [];
  const problems = passwordProblems(given, { username: ADMIN_USERNAME });
  return problems.length > 0 ? [{ variable: 'KEFU_ADMIN_PASSWORD', message: problems.map((p) => p.message).join('; ') }] : [];
}

/** Every role reads the knowledge base: a KB_DIR that is no directory is named with the other variables. */
function kbDirIssues(dir: string | undefined): ConfigError['issues'] {
  const abs = path.resolve(dir?.trim() || 'knowledge-base');
  const found = statSync(abs, { throwIfNoEntry: false });
  if (found?.isDirectory()) return [];
  return [{ variable: 'KB_DIR', message: `${found ? 'not a directory' : 'no such directory'}: ${abs} (the FAQ's markdown files)` }];
}

async function main(): Promise<void> {
  let roles: Role[];
  try {
    roles = parseRoles(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const config = loadConfigOrExit('.env', (env) => [...kbDirIssues(env.KB_DIR), ...(roles.includes('console') ? adminPasswordIssues(env.KEFU_ADMIN_PASSWORD) : [])]);
  const kefu = await startKefu(config, { roles });
  stopOnSignals(kefu);
  kefu.logger.info({ url: kefu.console?.url ?? kefu.ops?.url, roles }, 'kefu-bridge is running');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`kefu-bridge failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
