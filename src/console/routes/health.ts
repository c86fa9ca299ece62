import type { FastifyInstance } from 'fastify';

export interface HealthRoutesOptions {
  /** True when the service can do its work (Redis answers PING). */
  ready: () => Promise<boolean>;
}

/** GET /healthz (the process is up) and GET /readyz (Redis answers): no token needed. */
export async function healthRoutes(app: FastifyInstance, opts: HealthRoutesOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ok = await opts.ready().catch(() => false);
    return reply.status(ok ? 200 : 503).send(ok ? { status: 'ready' } : { error: { code: 'NOT_READY', message: 'redis is not answering' } });
  });
}
