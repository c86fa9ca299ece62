import type { FastifyInstance } from 'fastify';
import { routeGroup } from '../api-docs/registry.ts';

/** `p`, or a rejection after `ms` (a Redis that does not answer must not hang a probe). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms))),
  ]);
}

/** The readiness check of a Redis client: PONG within a second. */
export const redisAnswers = (redis: { ping(): Promise<string> }) => async (): Promise<boolean> => (await withTimeout(redis.ping(), 1_000)) === 'PONG';

export interface HealthRoutesOptions {
  /**
   * What must hold for the process to do its work, by name: Redis answers, and where this process
   * runs the bot, the bot account is logged in. Each returns true when fine.
   */
  checks: Record<string, () => Promise<boolean>>;
  /**
   * Parts the process works on without, shown in /readyz's `checks` but never making it 503: the
   * archive (`ok` or `down`: PostgreSQL unreachable, archiving paused, the live service goes on).
   */
  details?: Record<string, () => string>;
}

export const healthRouteDocs = routeGroup('Health and metrics', [
  {
    method: 'GET',
    path: '/healthz',
    summary: 'the process is up',
    access: 'public',
    ok: { status: 200, description: '`{"status":"ok"}`' },
    core: true,
  },
  {
    method: 'GET',
    path: '/readyz',
    summary: 'Redis answers and, where this process runs the bot, its account is logged in (the archive\'s state is shown, never required)',
    access: 'public',
    ok: { status: 200, description: '`{"status":"ready","checks":{"redis":"ok","bot"?:"ok","archive"?:"ok"|"down"}}` (`archive` with `DATABASE_URL` set; `down`: PostgreSQL unreachable, archiving paused)' },
    errors: ['NOT_READY'],
    core: true,
  },
]);

const MESSAGES: Record<string, string> = {
  redis: 'redis is not answering',
  bot: 'a channel of the bot cannot receive yet (a Wechaty account not logged in, or no access token from WeChat: see the bot\'s log)',
};

/** GET /healthz (the process is up) and GET /readyz (every check holds): no token needed. */
export async function healthRoutes(app: FastifyInstance, opts: HealthRoutesOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const names = Object.keys(opts.checks);
    const results = await Promise.all(names.map((n) => opts.checks[n]!().catch(() => false)));
    const failing = names.filter((_, i) => !results[i]);
    if (failing.length === 0) {
      const details = Object.entries(opts.details ?? {}).map(([n, state]) => [n, state()]);
      return { status: 'ready', checks: Object.fromEntries([...names.map((n) => [n, 'ok']), ...details]) };
    }
    const message = failing.map((n) => MESSAGES[n] ?? `${n} is not ready`).join('; ');
    return reply.status(503).send({ error: { code: 'NOT_READY', message } });
  });
}
