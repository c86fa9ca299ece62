import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { hasRole, type Agent, type AgentStore, type Role } from './auth/index.ts';
import { ApiError } from './errors.ts';
import { authenticateThroughGate } from './redis-gate.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated agent (set by `authenticate`; null on public routes). */
    agent: Agent | null;
  }
}

const BEARER = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]{1,256})[ \t]*$/i;

/** The bearer token of the request, or null. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  return BEARER.exec(header)?.[1] ?? null;
}

/** onRequest hook: `Authorization: Bearer <token>` -> request.agent, else 401 UNAUTHORIZED. */
export function authenticate(agents: AgentStore) {
  return async function authenticateHook(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const token = bearerToken(request);
    if (!token) throw new ApiError(401, 'UNAUTHORIZED', 'missing bearer token');
    // The Redis gate's probe too (console/redis-gate.ts): a 503 has been sent when Redis does not answer.
    const checked = await authenticateThroughGate(request, reply, () => agents.authenticate(token));
    if (!checked.ok) return reply;
    if (!checked.value) throw new ApiError(401, 'UNAUTHORIZED', 'invalid or expired token');
    request.agent = checked.value;
    return undefined;
  };
}

/** The authenticated agent; throws 401 when a route forgot the auth hook (never silently anonymous). */
export function currentAgent(request: FastifyRequest): Agent {
  if (!request.agent) throw new ApiError(401, 'UNAUTHORIZED', 'not authenticated');
  return request.agent;
}

/** preHandler: 403 FORBIDDEN unless the agent has `role` (admin implies all; manager implies agent). */
export function requireRole(role: Role): preHandlerAsyncHookHandler {
  return async function requireRoleHook(request: FastifyRequest): Promise<void> {
    const agent = currentAgent(request);
    if (!hasRole(agent, role)) throw new ApiError(403, 'FORBIDDEN', `this needs the ${role} role`);
  };
}
