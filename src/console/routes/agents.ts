import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { hasRole, type AgentStore } from '../auth/index.ts';
import { authenticate, requireRole } from '../auth.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { ApiError, parse } from '../errors.ts';

export interface AgentRoutesOptions {
  agents: AgentStore;
}

const idParams = z.object({ id: z.string().regex(/^[\w-]{1,64}$/, 'must be an agent id').meta({ description: 'an agent id' }) });

export const agentRouteDocs = routeGroup('Agents', [
  {
    method: 'GET',
    path: '/api/agents',
    summary: 'the enabled agents a chat can be transferred to, with who is online',
    access: 'agent',
    ok: { status: 200, description: '`{"items":[{"id","username","name","roles","online"}…]}`' },
  },
  {
    method: 'POST',
    path: '/api/agents/:id/unlock',
    summary: 'lift the lock that failed logins put on an account, and forget them',
    access: 'admin',
    params: idParams,
    ok: { status: 200, description: '`{"id","username","unlocked"}` (`unlocked` false: there was nothing to lift)' },
    errors: ['NOT_FOUND'],
  },
]);

/**
 * GET /api/agents (agent): the enabled agents a chat can be transferred to, and who is online.
 * POST /api/agents/:id/unlock (admin): lifts the lock that failed logins put on an account and
 * forgets them -> `{"id","username","unlocked"}` (`unlocked` false: there was nothing to lift).
 */
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
  app.post('/api/agents/:id/unlock', { preHandler: requireRole('admin') }, async (request) => {
    const { id } = parse(idParams, request.params, 'params');
    const agent = await agents.getById(id);
    if (!agent) throw new ApiError(404, 'NOT_FOUND', `no agent ${id}`);
    const unlocked = await agents.unlock(agent.username);
    request.log.info({ agentId: agent.id, by: request.agent?.id, unlocked }, 'agent unlocked');
    return { id: agent.id, username: agent.username, unlocked };
  });
}
