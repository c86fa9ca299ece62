import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { hasRole, type Agent, type AgentStore } from '../auth/index.ts';
import { authenticate, currentAgent, requireRole } from '../auth.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { ApiError, parse } from '../errors.ts';
import { apiConversationSchema, toApiConversation } from '../serialize.ts';
import type { Handoff } from '../../handoff/index.ts';
import { renderFixNotice, type KnowledgeService } from '../../knowledge/index.ts';

export interface ProblemRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
  /** The bot's phrases (`_messages.yml`), for the fix notice's preview. */
  knowledge?: KnowledgeService;
}

const PROBLEM_ID = z.string().regex(/^P\d{1,12}$/, 'must be a problem id such as P12').meta({ description: 'a problem id such as P12' });
const CONV_ID = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,64}$/, 'must be a conversation id "<bot>.<customer>"')
  .meta({ description: 'a conversation id "<bot>.<customer>"' });
const text = (max: number) => z.string({ error: 'is required and must be a string' }).trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** What customers are told the problem is: short, plain words ('' = say the title). */
const publicTitle = z.string().trim().max(40, 'must be at most 40 characters').regex(/^[^\r\n{}]*$/, 'may not contain line breaks or braces');
const description = z.string().trim().max(2000, 'must be at most 2000 characters');
const createBody = z.object({ title: text(100), publicTitle: publicTitle.optional(), description: description.optional() });
const updateBody = z.object({ title: text(100), publicTitle, description }).partial().strict();
const linkBody = z.object({ problemId: PROBLEM_ID });
const fixedBody = z.object({ note: text(500) });
const listQuery = z.object({ status: z.enum(['open', 'fixed', 'all']).default('open') });
const problemParams = z.object({ id: PROBLEM_ID });
const previewQuery = z.object({ note: z.string().max(500, 'must be at most 500 characters').default('') });
const convParams = z.object({ id: CONV_ID });

const asAgent = (a: Agent) => ({ id: a.id, name: a.name });

const problem = '`{"id","title","publicTitle","description","status","createdAt","createdBy","fixedAt","fixedBy","note","linked"}`';

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
    method: 'POST',
    path: '/api/problems/:id',
    summary: 'rename an open problem: its title, what customers are told it is (`publicTitle`), its description',
    details: 'A fixed problem is final: its customers were told with the words it had (409 ILLEGAL_TRANSITION).',
    access: 'agent',
    params: problemParams,
    body: updateBody,
    ok: { status: 200, description: `the problem: ${problem}` },
    errors: ['NOT_FOUND', 'ILLEGAL_TRANSITION'],
  },
  {
    method: 'GET',
    path: '/api/problems/:id/notice',
    summary: 'the fix notice exactly as its customers would get it with this note (the bot\'s current `problem_fixed` phrase)',
    access: 'agent',
    params: problemParams,
    query: previewQuery,
    ok: { status: 200, description: '`{"text","title"}`: the notice, and the title it says (`publicTitle`, else the title)' },
    errors: ['NOT_FOUND', 'UNAVAILABLE'],
  },
  {
    method: 'GET',
    path: '/api/problems/:id',
    summary: 'one problem with its linked conversations and whether each customer was told of the fix',
    access: 'agent',
    params: problemParams,
    ok: {
      status: 200,
      description:
        'the problem plus `conversations`: `[Conversation + "notified" + "delivery"…]`; `notified`: the fix notice was handed to the bot; ' +
        '`delivery`: `pending` (not said yet: the bot is away or retrying), `delivered` or `failed` (refused by the channel or given up), null before the fix',
    },
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
    const problem = await problems.create({ title: body.title, publicTitle: body.publicTitle, description: body.description, by: asAgent(currentAgent(request)) });
    return reply.status(201).send(problem);
  });

  app.post('/api/problems/:id', agentOnly, async (request) => {
    const { id } = parse(problemParams, request.params, 'params');
    return problems.update(id, parse(updateBody, request.body, 'body'));
  });

  app.get('/api/problems', agentOnly, async (request) => {
    const { status } = parse(listQuery, request.query, 'query');
    return { items: (await problems.list(status === 'all' ? {} : { status })) };
  });

  app.get('/api/problems/:id/notice', agentOnly, async (request) => {
    const { id } = parse(problemParams, request.params, 'params');
    const { note } = parse(previewQuery, request.query, 'query');
    const messages = opts.knowledge?.files.messages();
    if (!messages) throw new ApiError(503, 'UNAVAILABLE', 'this console runs without the knowledge base');
    const problem = await problems.get(id);
    if (!problem) throw new ApiError(404, 'NOT_FOUND', `problem ${id} not found`);
    const title = problem.publicTitle || problem.title;
    // A fixed problem's customers got its stored note; an open one's will get the one typed now.
    return { title, text: renderFixNotice(messages, { title, note: problem.status === 'fixed' ? (problem.note ?? '') : note }) };
  });

  app.get('/api/problems/:id', agentOnly, async (request) => {
    const { id } = parse(problemParams, request.params, 'params');
    const problem = await problems.get(id);
    if (!problem) throw new ApiError(404, 'NOT_FOUND', `problem ${id} not found`);
    const linked = await problems.linked(id);
    return { ...problem, conversations: linked.map((r) => ({ ...toApiConversation(r.conversation), notified: r.notified, delivery: r.delivery })) };
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
