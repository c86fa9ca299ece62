import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Handoff } from '../../handoff/index.ts';
import { z } from 'zod';
import {
  AgentExistsError,
  AgentNotFoundError,
  displayNameSchema,
  generatePassword,
  hasRole,
  InvalidAgentError,
  LastAdminError,
  ROLES,
  type Agent,
  type AgentStore,
} from '../auth/index.ts';
import { authenticate, currentAgent, requireRole } from '../auth.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { ApiError, parse } from '../errors.ts';

export interface AgentRoutesOptions {
  agents: AgentStore;
  /** Where a disabled agent's open chats go back to the queue (absent: they stay assigned). */
  handoff?: Pick<Handoff, 'list' | 'release'>;
}

/** Chats of one agent taken back at most per disable (more stay theirs; a manager sees them). */
const MAX_RELEASED = 500;

/**
 * The chats a disabled agent had: back to the queue, so no customer waits for someone who can no
 * longer log in. A chat that moved meanwhile (another agent, resolved) is left as it is.
 */
async function releaseChatsOf(handoff: AgentRoutesOptions['handoff'], agentId: string, by: string, log: FastifyRequest['log']): Promise<number> {
  if (!handoff) return 0;
  const open = await handoff.list('active', { assigneeId: agentId, limit: MAX_RELEASED });
  let released = 0;
  for (const c of open) {
    try {
      await handoff.release(c.id, { expectedOwner: agentId, by });
      released++;
    } catch (err) {
      log.info({ err, conv: c.id }, 'a disabled agent\'s chat moved before it could be released');
    }
  }
  return released;
}

const idParams = z.object({ id: z.string().regex(/^[\w-]{1,64}$/, 'must be an agent id').meta({ description: 'an agent id' }) });
const listQuery = z.object({
  all: z.enum(['1', 'true']).optional().meta({ description: 'admin: every account with its details (disabled ones too, display names, locks)' }),
});
const roles = z.array(z.enum(ROLES)).min(1, 'at least one role is required');
const password = z.string().max(256).optional().meta({ description: 'omitted or empty: one is generated and answered once' });
/** Shapes only: the store checks them again, with the password policy (every issue at once). */
const addBody = z.object({
  username: z.string().meta({ description: '2-32 of a-z, 0-9, "_", "." and "-"' }),
  name: z.string().optional().meta({ description: 'what colleagues see (default the username)' }),
  displayName: displayNameSchema.optional().meta({ description: 'what customers hear ("我是客服{displayName}"); empty: no name is said' }),
  roles,
  password,
});
const updateBody = z
  .object({ name: z.string(), displayName: displayNameSchema, roles, disabled: z.boolean() })
  .partial()
  .strict()
  .meta({ description: 'any of name, displayName, roles, disabled' });
const passwordBody = z.object({ password }).strict();

const account = '`{"id","username","name","displayName","roles","disabled","createdAt","lockedUntil","online"}`';

export const agentRouteDocs = routeGroup('Agents', [
  {
    method: 'GET',
    path: '/api/agents',
    summary: 'the enabled agents a chat can be transferred to, with who is online; `?all=1` (admin): every account',
    access: 'agent',
    query: listQuery,
    ok: { status: 200, description: `\`{"items":[{"id","username","name","displayName","roles","online"}…]}\`; with \`all\`: \`{"items":[${account}…]}\`` },
    errors: ['FORBIDDEN'],
  },
  {
    method: 'POST',
    path: '/api/agents',
    summary: 'add an account; without a password one is generated and answered once',
    access: 'admin',
    body: addBody,
    ok: { status: 201, description: `\`{"agent":${account},"password"?}\` (\`password\` only when generated)` },
    errors: ['BAD_REQUEST', 'CONFLICT'],
  },
  {
    method: 'POST',
    path: '/api/agents/:id',
    summary: 'change an account: name, display name (what customers hear), roles, disabled',
    details:
      'Disabling ends the account\'s sessions at once and puts its open chats back in the queue (`releasedChats`: how many). An admin cannot disable their own account or drop their own admin role, nor anyone the last enabled admin (409 CONFLICT): someone must stay able to manage accounts.',
    access: 'admin',
    params: idParams,
    body: updateBody,
    ok: { status: 200, description: `the account: ${account}` },
    errors: ['BAD_REQUEST', 'NOT_FOUND', 'CONFLICT'],
  },
  {
    method: 'POST',
    path: '/api/agents/:id/password',
    summary: "reset an account's password (the policy applies): its sessions end and any lock is lifted",
    access: 'admin',
    params: idParams,
    body: passwordBody,
    ok: { status: 200, description: '`{"id","username","password"?}` (`password` only when generated: shown once, tell it to the person)' },
    errors: ['BAD_REQUEST', 'NOT_FOUND'],
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

/** The store's refusals as API errors: every invalid field named, in English and (passwords) Chinese. */
function apiError(err: unknown): unknown {
  if (err instanceof InvalidAgentError) {
    const message = err.issues.map((i) => `body.${i.field}: ${i.message}`).join('; ');
    const zh = err.issues.map((i) => i.zh).filter(Boolean);
    return new ApiError(400, 'BAD_REQUEST', zh.length > 0 ? `${message} (${zh.join('；')})` : message);
  }
  if (err instanceof AgentExistsError) return new ApiError(409, 'CONFLICT', `the username ${JSON.stringify(err.username)} is taken`);
  if (err instanceof AgentNotFoundError) return new ApiError(404, 'NOT_FOUND', err.message);
  if (err instanceof LastAdminError) return new ApiError(409, 'CONFLICT', err.message);
  return err;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw apiError(err);
  }
}

/**
 * GET /api/agents (agent): the enabled agents a chat can be transferred to, and who is online;
 * with `?all=1` (admin) every account, for the 账号 page. The admin's writes: add, change (name,
 * display name, roles, disabled), reset the password, unlock. The command line (`kefu agents`) does
 * the same through the same store.
 */
export async function agentRoutes(app: FastifyInstance, opts: AgentRoutesOptions): Promise<void> {
  const { agents } = opts;
  const admin = { preHandler: requireRole('admin') };
  app.addHook('onRequest', authenticate(agents));

  const byId = async (request: FastifyRequest): Promise<Agent> => {
    const { id } = parse(idParams, request.params, 'params');
    const agent = await agents.getById(id);
    if (!agent) throw new ApiError(404, 'NOT_FOUND', `no agent ${id}`);
    return agent;
  };
  /** One account as the 账号 page shows it. */
  const details = async (a: Agent, online: Set<string>) => ({ ...a, lockedUntil: (await agents.lockState(a.username)).lockedUntil, online: online.has(a.id) });

  app.get('/api/agents', { preHandler: requireRole('agent') }, async (request) => {
    const { all } = parse(listQuery, request.query, 'query');
    if (all && !hasRole(currentAgent(request), 'admin')) throw new ApiError(403, 'FORBIDDEN', 'every account is for admins');
    const [list, online] = await Promise.all([agents.list(), agents.onlineIds()]);
    const here = new Set(online);
    if (all) return { items: await Promise.all(list.map((a) => details(a, here))) };
    const items = list
      .filter((a) => !a.disabled && hasRole(a, 'agent'))
      .map((a) => ({ id: a.id, username: a.username, name: a.name, displayName: a.displayName, roles: a.roles, online: here.has(a.id) }));
    return { items };
  });

  app.post('/api/agents', admin, async (request, reply) => {
    const body = parse(addBody, request.body, 'body');
    const generated = body.password ? null : generatePassword();
    const agent = await guarded(() => agents.add({ ...body, password: body.password || generated! }));
    request.log.info({ agentId: agent.id, by: request.agent?.id, roles: agent.roles }, 'agent added');
    return reply.status(201).send({ agent: await details(agent, new Set()), ...(generated ? { password: generated } : {}) });
  });

  app.post('/api/agents/:id', admin, async (request) => {
    const target = await byId(request);
    const patch = parse(updateBody, request.body, 'body');
    const me = currentAgent(request);
    if (target.id === me.id && (patch.disabled === true || (patch.roles && !patch.roles.includes('admin')))) {
      throw new ApiError(409, 'CONFLICT', 'you cannot disable your own account or drop your own admin role: ask another admin');
    }
    const agent = await guarded(() => agents.update(target.username, patch));
    const releasedChats = patch.disabled === true && !target.disabled ? await releaseChatsOf(opts.handoff, target.id, me.id, request.log) : 0;
    request.log.info({ agentId: agent.id, by: me.id, fields: Object.keys(patch), releasedChats }, 'agent changed');
    return { ...(await details(agent, new Set(await agents.onlineIds()))), ...(releasedChats ? { releasedChats } : {}) };
  });

  app.post('/api/agents/:id/password', admin, async (request) => {
    const target = await byId(request);
    const body = parse(passwordBody, request.body ?? {}, 'body');
    const generated = body.password ? null : generatePassword();
    await guarded(() => agents.setPassword(target.username, body.password || generated!));
    request.log.info({ agentId: target.id, by: request.agent?.id }, 'agent password reset');
    return { id: target.id, username: target.username, ...(generated ? { password: generated } : {}) };
  });

  app.post('/api/agents/:id/unlock', admin, async (request) => {
    const agent = await byId(request);
    const unlocked = await agents.unlock(agent.username);
    request.log.info({ agentId: agent.id, by: request.agent?.id, unlocked }, 'agent unlocked');
    return { id: agent.id, username: agent.username, unlocked };
  });
}
