import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { LoginThrottledError, type AgentStore } from '../auth/index.ts';
import { authenticate, bearerToken, currentAgent } from '../auth.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { ApiError, errorBody, parse } from '../errors.ts';

export interface LoginRoutesOptions {
  agents: AgentStore;
  /** What this console offers beyond the core, for the UI (GET /api/auth/me). */
  features?: { demo: boolean };
  /** Login attempts allowed per IP and username per minute (default 10). */
  loginRateLimit?: number;
  /** Login attempts allowed per IP per minute, whatever the usernames (default 30). */
  loginIpRateLimit?: number;
}

/** An office behind one NAT logs in many people in a morning minute; one guesser rotating usernames is far faster. */
export const DEFAULT_LOGIN_IP_RATE_LIMIT = 30;

const loginSchema = z.object({
  username: z.string().min(1, 'is required').max(64, 'must be at most 64 characters'),
  password: z.string().min(1, 'is required').max(1024, 'must be at most 1024 characters'),
});

const agentShape = '`{"id","username","name","roles":[…]}`';

export const loginRouteDocs = routeGroup('Auth', [
  {
    method: 'POST',
    path: '/api/auth/login',
    summary: 'username and password for a bearer token',
    details:
      'Limits: 30 tries a minute per IP, 10 per IP and username; per account, after 10 failures each try waits twice as long ' +
      '(1 s … 5 min) and the 20th locks the account for an hour (an admin unlocks it). Refused tries answer 429 with `Retry-After`.',
    access: 'public',
    body: loginSchema,
    ok: { status: 200, description: `\`{"token","agent":${agentShape.slice(1, -1)}}\`` },
    errors: ['UNAUTHORIZED', 'RATE_LIMITED', 'ACCOUNT_LOCKED'],
    core: true,
  },
  {
    method: 'GET',
    path: '/api/auth/me',
    summary: "whose token this is, and what this console offers beyond the core (`features.demo`)",
    access: 'signed-in',
    ok: { status: 200, description: `\`{"agent":${agentShape.slice(1, -1)},"features":{"demo"}}\`` },
  },
  {
    method: 'POST',
    path: '/api/auth/logout',
    summary: 'revoke the token',
    access: 'signed-in',
    ok: { status: 204, description: 'no body' },
  },
]);

/** Rate-limit key: the client's IP and the username tried (so one user's typos do not lock out an office). */
function loginKey(request: FastifyRequest): string {
  const body = request.body as { username?: unknown } | null | undefined;
  const username = typeof body?.username === 'string' ? body.username.toLowerCase().slice(0, 64) : '';
  return `${request.ip}|${username}`;
}

/** 429 with Retry-After: the UI tells people how long to wait (and, when locked, to ask an admin). */
function tooMany(reply: FastifyReply, code: string, message: string, retryAfterMs: number): FastifyReply {
  void reply.header('retry-after', Math.max(1, Math.ceil(retryAfterMs / 1000)));
  return reply.status(429).send(errorBody(code, message));
}

/**
 * POST /api/auth/login: username + password -> bearer token (needs @fastify/rate-limit registered,
 * global: false); POST /api/auth/logout revokes the token; GET /api/auth/me tells whose it is.
 *
 * Three limits, cheapest first: per IP whatever the usernames (in memory, so a guesser rotating
 * usernames is cut off), per IP and username (in memory), then per account whatever the IP (in
 * Redis, AgentStore.login: progressive waits, then a lock an admin can lift).
 */
export async function loginRoutes(app: FastifyInstance, opts: LoginRoutesOptions): Promise<void> {
  // The default key is the IP, IPv6 reduced to its subnet (one host has many addresses).
  const perIp = app.createRateLimit({ max: opts.loginIpRateLimit ?? DEFAULT_LOGIN_IP_RATE_LIMIT, timeWindow: 60_000 });
  app.post(
    '/api/auth/login',
    {
      // Runs before the route's own rate limit (which the plugin appends), so every try counts here.
      preHandler: async (request, reply) => {
        const limit = await perIp(request);
        if (!limit.isAllowed && limit.isExceeded) {
          return tooMany(reply, 'RATE_LIMITED', `too many login attempts from this address, retry in ${limit.ttlInSeconds} s`, limit.ttl);
        }
        return undefined;
      },
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
    async (request, reply) => {
      const { username, password } = parse(loginSchema, request.body, 'body');
      let result;
      try {
        result = await opts.agents.login(username, password);
      } catch (err) {
        if (!(err instanceof LoginThrottledError)) throw err;
        // No username in the log: people type passwords into the username field.
        if (err.locked) request.log.warn({ ip: request.ip }, 'login refused: the account is locked after failed logins');
        return tooMany(reply, err.locked ? 'ACCOUNT_LOCKED' : 'RATE_LIMITED', err.message, err.retryAfterMs);
      }
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
