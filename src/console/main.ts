/**
 * The console server: `npm run console`. Reads the configuration (REDIS_*, HOST, PORT, BUSINESS_*,
 * SLA_*, LOG_*), serves the HTTP API and the live WebSocket, runs an SLA ticker (any number of
 * processes may: each timer fires once) and shuts down cleanly on SIGINT / SIGTERM.
 *
 * First start: when no agent exists it creates `admin` with every role. Its password is
 * KEFU_ADMIN_PASSWORD (at least 8 characters) or, without it, a generated one printed once to stderr.
 * The knowledge base (KB_DIR) is loaded and followed here too: editors' pages and canned replies.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { loadConfigOrExit, type Config } from '../config.ts';
import { createLogger, type Logger } from '../logger.ts';
import { createRedis, Handoff, startSlaTicker } from '../handoff/index.ts';
import { createKnowledgeService, type KnowledgeService } from '../knowledge/index.ts';
import { buildApp } from './app.ts';
import type { DemoSimulator } from './routes/demo.ts';
import { AgentExistsError, AgentStore, ROLES } from './auth/index.ts';

export const ADMIN_USERNAME = 'admin';

/**
 * Creates `admin` (all roles) when there is no agent yet. Returns the generated password (to show
 * once) when none was given, else null; throws on a given password shorter than 8 characters.
 */
export async function seedAdmin(agents: AgentStore, password: string | undefined, logger?: Logger): Promise<{ created: boolean; generated: string | null }> {
  if (password !== undefined && password.length < 8) throw new Error('KEFU_ADMIN_PASSWORD must be at least 8 characters');
  if ((await agents.list()).length > 0) return { created: false, generated: null };
  const generated = password === undefined ? randomBytes(18).toString('base64url') : null;
  try {
    await agents.add({ username: ADMIN_USERNAME, name: 'Administrator', roles: [...ROLES], password: password ?? generated! });
  } catch (err) {
    // Another console process seeded it at the same moment.
    if (err instanceof AgentExistsError) return { created: false, generated: null };
    throw err;
  }
  logger?.info({ username: ADMIN_USERNAME }, 'created the first agent');
  return { created: true, generated };
}

export interface RunningConsole {
  app: FastifyInstance;
  /** Where it listens, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Stops taking requests, closes sockets and the SLA ticker (not the shared Redis or knowledge base). */
  stop(): Promise<void>;
}

export interface ConsoleDeps {
  logger: Logger;
  redis: Redis | Cluster;
  handoff: Handoff;
  knowledge: KnowledgeService;
  /** The demo's WeChat simulator (the bot on wechaty-puppet-mock in the same process). */
  simulator?: DemoSimulator;
  /** The bot in the same process: /readyz also needs its login. */
  botReady?: () => boolean;
  /** The process's metrics registry, shared with the bot. */
  metrics?: Registry;
}

/**
 * Seeds the first admin (KEFU_ADMIN_PASSWORD or a generated password printed once to stderr),
 * serves the API, the live socket and the UI at HOST:PORT, and runs an SLA ticker.
 * @throws when the admin password is too short or the port is taken
 */
export async function startConsole(config: Config, deps: ConsoleDeps): Promise<RunningConsole> {
  const { logger, redis, handoff, knowledge } = deps;
  const agents = new AgentStore(redis, config.redis.prefix);
  const { generated } = await seedAdmin(agents, config.http.adminPassword, logger);
  if (generated) {
    process.stderr.write(`created agent "${ADMIN_USERNAME}" with password: ${generated}\n(shown once: change it with \`npm run kefu\`)\n`);
  }
  const app = await buildApp({
    handoff,
    agents,
    logger,
    redis,
    knowledge,
    kbDir: config.knowledge.dir,
    timezone: config.sla.hours.timezone,
    trustProxy: config.http.trustProxy,
    live: { connect: () => createRedis(config.redis, logger) },
    ...(deps.simulator ? { demo: deps.simulator } : {}),
    ...(deps.botReady ? { botReady: deps.botReady } : {}),
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  const stopTicker = startSlaTicker(handoff, { logger, onFired: (fired) => app.recordSlaFired(fired) });
  let url: string;
  try {
    url = await app.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    stopTicker();
    await app.close();
    throw err;
  }
  return {
    app,
    url,
    async stop() {
      stopTicker();
      await app.close();
    },
  };
}

/** `npm run console`: the console alone (bots run elsewhere, on the same Redis). */
export async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
  const redis = createRedis(config.redis, logger);
  const handoff = new Handoff(redis, { prefix: config.redis.prefix, policy: config.sla, logger });
  let knowledge: KnowledgeService | undefined;
  let running: RunningConsole;
  try {
    // A broken knowledge base stops the start (file:line problems); later broken edits keep the last good one.
    knowledge = await createKnowledgeService({
      dir: config.knowledge.dir,
      thresholds: config.knowledge.thresholds,
      debounceMs: config.knowledge.reloadDebounceMs,
      logger,
    });
    running = await startConsole(config, { logger, redis, handoff, knowledge });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    await knowledge?.close();
    redis.disconnect();
    process.exit(1);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    try {
      await running.stop();
      await knowledge.close();
      await redis.quit();
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exitCode = 1;
    }
    clearTimeout(force);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`console failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
