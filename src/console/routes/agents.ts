import type { FastifyInstance } from 'fastify';
import { hasRole, type AgentStore } from '../auth/index.ts';
import { authenticate, requireRole } from '../auth.ts';

export interface AgentRoutesOptions {
  agents: AgentStore;
}

/** GET /api/agents (agent): the enabled agents a chat can be transferred to, and who is online. */
export async function agentRoutes(app: FastifyInstance, opts: AgentRoutesOptions): Promise<void> {
  const { agents } = opts;
  app.addHook('onRequest', authenticate(agents));
  app.get('/api/agents', { preHandler: requireRole('agent') }, async () => {
    const [all, online] = await Promise.all([agents.list(), agents.onlineIds()]);
    const here = new Set(online);
    const items = all
      .filter((a) => !a.disabled && hasRole(a, 'agent'))
      .map((a) => ({ id: a.id, username: a.username, name: a.name, roles: a.roles, online: here.has(a.id) }));
    return { items };
  });
}
