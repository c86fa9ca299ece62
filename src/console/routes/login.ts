import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AgentStore } from '../auth/index.ts';
import { authenticate, bearerToken, currentAgent } from '../auth.ts';
import { ApiError, parse } from '../errors.ts';

export interface LoginRoutesOptions {
  agents: AgentStore;
  /** What this console offers beyond the core, for the UI (GET /api/auth/me). */
  features?: { demo: boolean };
  /** Login attempts allowed per IP and username per minute (default 10). */
  loginRateLimit?: number;
}

const loginSchema = z.object({
  username: z.string().min(1, 'is required').max(64, 'must be at most 64 characters'),
  password: z.string().min(1, 'is required').max(1024, 'must be at most 1024 characters'),
});

/** Rate-limit key: the client's IP and the username tried (so one user's typos do not lock out an office). */
function loginKey(request: FastifyRequest): string {
  const body = request.body as { username?: unknown } | null | undefined;
  const username = typeof body?.username === 'string' ? body.username.toLowerCase().slice(0, 64) : '';
  return `${request.ip}|${username}`;
}

/**
 * POST /api/auth/login: username + password -> bearer token (needs @fastify/rate-limit registered,
 * global: false); POST /api/auth/logout revokes the token; GET /api/auth/me tells whose it is.
 */
export async function loginRoutes(app: FastifyInstance, opts: LoginRoutesOptions): Promise<void> {
  app.post(
    '/api/auth/login',
    {
      config: {
        rateLimit: {
          max: opts.loginRateLimit ?? 10,
          timeWindow: 60_000,
          keyGenerator: loginKey,
          errorResponseBuilder: (_req, ctx) =>
            new ApiError(429, 'RATE_LIMITED', `too many login attempts, retry in ${ctx.after}`),
        },
      },
    },
    async (request) => {
      const { username, password } = parse(loginSchema, request.body, 'body');
      const result = await opts.agents.login(username, password);
      if (!result) throw new ApiError(401, 'UNAUTHORIZED', 'invalid username or password');
      const { token, agent } = result;
      request.log.info({ agentId: agent.id }, 'agent logged in');
      return { token, agent: { id: agent.id, username: agent.username, name: agent.name, roles: agent.roles } };
    },
  );

  const signedIn = { onRequest: authenticate(opts.agents) };
  app.get('/api/auth/me', signedIn, async (request) => {
    const agent = currentAgent(request);
    return {
      agent: { id: agent.id, username: agent.username, name: agent.name, roles: agent.roles },
      features: { demo: opts.features?.demo ?? false },
    };
  });
  app.post('/api/auth/logout', signedIn, async (request, reply) => {
    await opts.agents.logout(bearerToken(request)!);
    return reply.status(204).send();
  });
}
