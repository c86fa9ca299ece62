import type { FastifyInstance } from 'fastify';
import type { AgentStore } from '../auth/index.ts';
import { authenticate, requireRole } from '../auth.ts';
import type { Handoff } from '../../handoff/index.ts';

export interface StatsRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
}

/**
 * GET /api/stats (manager). What the handoff keeps today is the queue's current counts, so:
 * - `waiting`, `active`, `awaitingFix`, `agentsOnline`, `slaAtRisk`, `slaBreached`: live counts;
 * - `conversations`: conversations currently with people (waiting + active + awaiting_fix);
 * - `botAnswered`, `handoffs`, `csat`: 0 until the bot records those totals (no data yet).
 */
export async function statsRoutes(app: FastifyInstance, opts: StatsRoutesOptions): Promise<void> {
  app.addHook('onRequest', authenticate(opts.agents));
  app.get('/api/stats', { preHandler: requireRole('manager') }, async () => {
    const [c, sla, online] = await Promise.all([opts.handoff.counts(), opts.handoff.slaCounts(), opts.agents.onlineIds()]);
    return {
      conversations: c.waiting + c.active + c.awaitingFix,
      botAnswered: 0,
      handoffs: 0,
      waiting: c.waiting,
      active: c.active,
      awaitingFix: c.awaitingFix,
      agentsOnline: online.length,
      slaAtRisk: sla.atRisk,
      slaBreached: sla.breached,
      csat: { count: 0, average: 0 },
    };
  });
}
