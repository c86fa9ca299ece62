import type { FastifyInstance } from 'fastify';
import type { AgentStore } from '../auth/index.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { authenticate, requireRole } from '../auth.ts';
import type { Handoff } from '../../handoff/index.ts';

export interface StatsRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
  /** Conversations per tag (src/tagging, as of its last training): the `tags` extension. */
  tagCounts?: () => Promise<{ asOf: string | null; items: { tag: string; count: number }[] }>;
}

export const statsRouteDocs = routeGroup('Stats and insights', [
  {
    method: 'GET',
    path: '/api/stats',
    summary: 'all-time totals over every bot account, and the live queue',
    details:
      'Core: `conversations`, `botAnswered`, `handoffs`, `waiting`, `csat` `{"count","average"}`. ' +
      'Extensions: `active`, `awaitingFix`, `agentsOnline`, `slaAtRisk`, `slaBreached`; `tags` `{"asOf","items":[{"tag","count"}]}`: ' +
      'conversations per tag in the tagged history, as of the tag model\'s last training.',
    access: 'manager',
    ok: { status: 200, description: '`{"conversations","botAnswered","handoffs","waiting","active","awaitingFix","agentsOnline","slaAtRisk","slaBreached","csat":{"count","average"}}`' },
    core: true,
  },
]);

/**
 * GET /api/stats (manager): all-time totals over every bot account plus the live queue.
 * - `conversations`: every conversation ever opened; `botAnswered`: questions the bot answered
 *   from the FAQ; `handoffs`: chats queued for a person; `csat`: the 1-5 ratings after a resolve;
 * - `waiting`, `active`, `awaitingFix`, `agentsOnline`, `slaAtRisk`, `slaBreached`: live counts.
 */
export async function statsRoutes(app: FastifyInstance, opts: StatsRoutesOptions): Promise<void> {
  app.addHook('onRequest', authenticate(opts.agents));
  app.get('/api/stats', { preHandler: requireRole('manager') }, async () => {
    const [c, sla, online, t] = await Promise.all([opts.handoff.counts(), opts.handoff.slaCounts(), opts.agents.onlineIds(), opts.handoff.totals()]);
    const count = t['csat:count'] ?? 0;
    const tags = opts.tagCounts ? await opts.tagCounts().catch(() => null) : null;
    return {
      conversations: t.conversations ?? 0,
      botAnswered: (t['out:answer'] ?? 0) + (t['out:picked'] ?? 0),
      handoffs: Object.entries(t).reduce((n, [field, v]) => (field.startsWith('handoff:') ? n + v : n), 0),
      waiting: c.waiting,
      active: c.active,
      awaitingFix: c.awaitingFix,
      agentsOnline: online.length,
      slaAtRisk: sla.atRisk,
      slaBreached: sla.breached,
      csat: { count, average: count ? Math.round(((t['csat:sum'] ?? 0) / count) * 100) / 100 : 0 },
      ...(tags ? { tags } : {}),
    };
  });
}
