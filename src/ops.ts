/**
 * The bot role's operations endpoints when no console runs in the process: /healthz, /readyz
 * (Redis answers and the account is logged in; the archive's state shown) and /metrics, on
 * HOST:PORT, for probes and scrapes.
 */
import Fastify from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { healthRoutes, redisAnswers } from './console/index.ts';

export interface OpsServer {
  url: string;
  stop(): Promise<void>;
}

export async function startOpsServer(
  config: Config,
  deps: {
    redis: Redis | Cluster;
    registry: Registry;
    botReady: () => boolean;
    /** The archive (DATABASE_URL set): its state in /readyz's detail, never making it 503. */
    archive?: { status(): { up: boolean } };
    logger?: Logger;
    /** The channels' callback routes (微信客服, Official Account) on this same server. */
    routes?: (app: import('fastify').FastifyInstance) => Promise<void>;
  },
): Promise<OpsServer> {
  const app = Fastify({ logger: false });
  // Probes and scrapes only: nothing here may be answered from a cache.
  app.addHook('onSend', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
  });
  const { archive } = deps;
  await app.register(healthRoutes, {
    checks: { redis: redisAnswers(deps.redis), bot: async () => deps.botReady() },
    ...(archive ? { details: { archive: () => (archive.status().up ? 'ok' : 'down') } } : {}),
  });
  if (deps.routes) await app.register(deps.routes);
  app.get('/metrics', async (_request, reply) => reply.type(deps.registry.contentType).send(await deps.registry.metrics()));
  const url = await app.listen({ host: config.http.host, port: config.http.port });
  deps.logger?.info({ url }, 'bot ops endpoints listening');
  return { url, stop: () => app.close() };
}
