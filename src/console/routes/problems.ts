import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { hasRole, type Agent, type AgentStore } from '../auth/index.ts';
import { authenticate, currentAgent, requireRole } from '../auth.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { ApiError, parse } from '../errors.ts';
import { apiConversationSchema, toApiConversation } from '../serialize.ts';
import type { Handoff } from '../../handoff/index.ts';

export interface ProblemRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
}

const PROBLEM_ID = z.string().regex(/^P\d{1,12}$/, 'must be a problem id such as P12').meta({ description: 'a problem id such as P12' });
const CONV_ID = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,64}$/, 'must be a conversation id "<bot>.<customer>"')
  .meta({ description: 'a conversation id "<bot>.<customer>"' });
const text = (max: number) => z.string({ error: 'is required and must be a string' }).trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

const createBody = z.object({ title: text(100), description: z.string().trim().max(2000, 'must be at most 2000 characters').optional() });
const linkBody = z.object({ problemId: PROBLEM_ID });
const fixedBody = z.object({ note: text(500) });
const listQuery = z.object({ status: z.enum(['open', 'fixed', 'all']).default('open') });
const problemParams = z.object({ id: PROBLEM_ID });
const convParams = z.object({ id: CONV_ID });

const asAgent = (a: Agent) => ({ id: a.id, name: a.name });

const problem = '`{"id","title","description","status","createdAt","createdBy","fixedAt","fixedBy","note","linked"}`';

export const problemRouteDocs = routeGroup('Known problems', [
  {
    method: 'POST',
    path: '/api/problems',
    summary: 'open a known problem (status `open`)',
    access: 'agent',
    body: createBody,
    ok: { status: 201, description: `the problem: ${problem}` },
    core: true,
  },
  {
    method: 'GET',
    path: '/api/problems',
    summary: 'known problems, open ones by default',
    access: 'agent',
    query: listQuery,
    ok: { status: 200, description: '`{"items":[problem…]}`' },
  },
  {
    method: 'GET',
    path: '/api/problems/:id',
    summary: 'one problem with its linked conversations and whether each customer was told of the fix',
    access: 'agent',
    params: problemParams,
    ok: { status: 200, description: 'the problem plus `conversations`: `[Conversation + "notified"…]`' },
    errors: ['NOT_FOUND'],
  },
  {
    method: 'POST',
    path: '/api/conversations/:id/problem',
    summary: 'park a chat on a known problem: it leaves the SLA queue (`awaiting_fix`) until the fix',
    details: "Someone else's active chat only by a manager.",
    access: 'agent',
    params: convParams,
    body: linkBody,
    ok: { status: 200, description: 'the conversation, now `awaiting_fix`', schema: apiConversationSchema },
    errors: ['NOT_FOUND', 'NOT_ASSIGNEE', 'ILLEGAL_TRANSITION'],
    core: true,
  },
  {
    method: 'POST',
    path: '/api/problems/:id/fixed',
    summary: 'mark it fixed: every linked customer is told once, through the bot (safe to repeat)',
    access: 'manager',
    params: problemParams,
    body: fixedBody,
    ok: { status: 200, description: `the problem (status \`fixed\`) plus \`notified\`: how many linked customers have been told` },
    errors: ['NOT_FOUND'],
    core: true,
  },
]);

/**
 * Known problems, the closed loop. Agents create problems and link their conversations (parked
 * out of the SLA queue until the fix); marking one fixed (manager) tells every linked customer
 * once, through the bot, and is safe to repeat.
 */
export async function problemRoutes(app: FastifyInstance, opts: ProblemRoutesOptions): Promise<void> {
  const { problems } = opts.handoff;
  app.addHook('onRequest', authenticate(opts.agents));
  const agentOnly = { preHandler: requireRole('agent') };

  app.post('/api/problems', agentOnly, async (request, reply) => {
    const body = parse(createBody, request.body, 'body');
    const problem = await problems.create({ title: body.title, description: body.description, by: asAgent(currentAgent(request)) });
    return reply.status(201).send(problem);
  });

  app.get('/api/problems', agentOnly, async (request) => {
    const { status } = parse(listQuery, request.query, 'query');
    return { items: (await problems.list(status === 'all' ? {} : { status })) };
  });

  app.get('/api/problems/:id', agentOnly, async (request) => {
    const { id } = parse(problemParams, request.params, 'params');
    const problem = await problems.get(id);
    if (!problem) throw new ApiError(404, 'NOT_FOUND', `problem ${id} not found`);
    const linked = await problems.linked(id);
    return { ...problem, conversations: linked.map((r) => ({ ...toApiConversation(r.conversation), notified: r.notified })) };
  });

  app.post('/api/conversations/:id/problem', agentOnly, async (request) => {
    const { id } = parse(convParams, request.params, 'params');
    const { problemId } = parse(linkBody, request.body, 'body');
    const agent = currentAgent(request);
    const conv = await opts.handoff.conversation(id);
    if (!conv) throw new ApiError(404, 'NOT_FOUND', `conversation ${id} not found`);
    // Someone else's chat is theirs to park (a manager may).
    if (conv.status === 'active' && conv.assignee?.id !== agent.id && !hasRole(agent, 'manager')) {
      throw new ApiError(409, 'NOT_ASSIGNEE', `conversation ${id} is with ${conv.assignee?.name ?? 'another agent'}`);
    }
    return toApiConversation(await problems.link(id, problemId, asAgent(agent)));
  });

  app.post('/api/problems/:id/fixed', { preHandler: requireRole('manager') }, async (request) => {
    const { id } = parse(problemParams, request.params, 'params');
    const { note } = parse(fixedBody, request.body, 'body');
    const { problem, notified } = await problems.fixed(id, { note, by: asAgent(currentAgent(request)) });
    return { ...problem, notified };
  });
}
