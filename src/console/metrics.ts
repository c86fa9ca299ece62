/**
 * GET /metrics (Prometheus text, no token: scrape it from inside the network). One registry per
 * app, so several apps in a process (tests) never clash. Queue figures are read from Redis at
 * scrape time, so every console process reports the same shared truth.
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Handoff } from '../handoff/index.ts';
import { routeGroup } from './api-docs/registry.ts';
import { withTimeout } from './routes/health.ts';

export interface MetricsOptions {
  handoff: Handoff;
  /** A registry shared with the rest of the process (it collects the process metrics itself). */
  registry?: Registry;
  /**
   * How long a scrape waits for the Redis figures (default 1.5 s): past it the queue gauges are
   * left out of that scrape instead of hanging it, so the process metrics still arrive in an outage.
   */
  redisWaitMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Counts SLA warnings and breaches this process fired (its ticker calls it). */
    recordSlaFired(fired: { warnings: number; breaches: number }): void;
  }
}

export const metricsRouteDocs = routeGroup('Health and metrics', [
  {
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics: requests by route pattern, queue by status, SLA at risk and breached, the process (and the bot\'s, where it runs)',
    access: 'public',
    ok: { status: 200, description: 'Prometheus text format', contentType: 'text/plain; version=0.0.4' },
    core: true,
  },
]);

export async function metricsRoutes(app: FastifyInstance, opts: MetricsOptions): Promise<void> {
  const registry = opts.registry ?? new Registry();
  if (!opts.registry) collectDefaultMetrics({ register: registry, prefix: 'kefu_console_' });

  const requests = new Counter({
    name: 'kefu_http_requests_total',
    help: 'HTTP requests answered, by route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'kefu_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const sla = new Gauge({
    name: 'kefu_waiting_sla',
    help: 'Waiting conversations past the SLA warning point (at_risk) or past their due time (breached)',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'kefu_conversations',
    help: 'Conversations with people now, by status (all bot accounts)',
    labelNames: ['status'] as const,
    registers: [registry],
    // One collect fills both gauges: the figures come from Redis at scrape time.
    async collect() {
      const figures = await withTimeout(Promise.all([opts.handoff.counts(), opts.handoff.slaCounts()]), opts.redisWaitMs ?? 1_500).catch(() => null);
      if (!figures) {
        // No figure rather than a stale one: "absent" is what alerting rules can tell apart.
        this.reset();
        sla.reset();
        return;
      }
      const [c, s] = figures;
      this.set({ status: 'waiting' }, c.waiting);
      this.set({ status: 'active' }, c.active);
      this.set({ status: 'awaiting_fix' }, c.awaitingFix);
      sla.set({ state: 'at_risk' }, s.atRisk);
      sla.set({ state: 'breached' }, s.breached);
    },
  });

  const slaFired = new Counter({
    name: 'kefu_sla_events_total',
    help: 'SLA warnings (80% of the target) and breaches fired by this process\'s ticker (each fires once across processes)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  app.decorate('recordSlaFired', (fired: { warnings: number; breaches: number }) => {
    if (fired.warnings) slaFired.inc({ kind: 'warning' }, fired.warnings);
    if (fired.breaches) slaFired.inc({ kind: 'breach' }, fired.breaches);
  });

  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: ids would explode the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
}
