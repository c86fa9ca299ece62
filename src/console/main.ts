/**
 * The console server (`npm run console` = `src/main.ts --role console`): serves the HTTP API, the
 * live WebSocket and the UI, and runs an SLA ticker (any number of processes may: each timer
 * fires once).
 *
 * First start: when no agent exists it creates `admin` with every role. Its password is
 * KEFU_ADMIN_PASSWORD (the password policy of ./auth applies) or, without it, a generated one printed once to stderr.
 * The knowledge base it is given serves the editors' pages and the canned replies.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { createRedis, Handoff, startSlaTicker } from '../handoff/index.ts';
import type { KnowledgeService } from '../knowledge/index.ts';
import type { ArchiveService } from '../archive/index.ts';
import { buildApp } from './app.ts';
import type { DemoSimulator } from './routes/demo.ts';
import { AgentExistsError, AgentStore, passwordProblems, ROLES } from './auth/index.ts';

export const ADMIN_USERNAME = 'admin';

/**
 * Creates `admin` (all roles) when there is no agent yet. Returns the generated password (to show
 * once) when none was given, else null; throws on a given password the policy refuses, naming the variable.
 */
export async function seedAdmin(agents: AgentStore, password: string | undefined, logger?: Logger): Promise<{ created: boolean; generated: string | null }> {
  if (password !== undefined) {
    const problems = passwordProblems(password, { username: ADMIN_USERNAME });
    if (problems.length > 0) throw new Error(`KEFU_ADMIN_PASSWORD: ${problems.map((p) => p.message).join('; ')}`);
  }
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
  /** The bot's channel callbacks, on this same server. */
  channelRoutes?: (app: import('fastify').FastifyInstance) => Promise<void>;
  /** The archive (DATABASE_URL set): history that left Redis, search, reports, and its state in /readyz. */
  archive?: ArchiveService;
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
    redisWaitMs: config.http.redisWaitMs,
    live: { connect: () => createRedis(config.redis, logger), maxSocketsPerAgent: config.http.liveMaxSocketsPerAgent },
    ...(deps.simulator ? { demo: deps.simulator } : {}),
    ...(deps.botReady ? { botReady: deps.botReady } : {}),
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(deps.channelRoutes ? { channelRoutes: deps.channelRoutes } : {}),
    ...(deps.archive ? { archive: deps.archive } : {}),
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
