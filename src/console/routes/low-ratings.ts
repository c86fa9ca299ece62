import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AgentStore } from '../auth/index.ts';
import { authenticate, currentAgent, requireRole } from '../auth.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { ApiError, parse } from '../errors.ts';
import type { Handoff } from '../../handoff/index.ts';

export interface LowRatingRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
}

const CONV_ID = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,64}$/, 'must be a conversation id "<bot>.<customer>"')
  .meta({ description: 'a conversation id "<bot>.<customer>"' });
const listQuery = z.object({
  state: z.enum(['pending', 'done', 'all']).default('pending'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const convParams = z.object({ id: CONV_ID });
const doneBody = z.object({ done: z.boolean() });

const item = '{"conv","botId","customer":{"id","name"},"score","at","comment","agentId","agentName","status","reason","state":"pending"|"done","doneAt","doneBy","doneByName"}';

export const lowRatingRouteDocs = routeGroup('Stats and insights', [
  {
    method: 'GET',
    path: '/api/low-ratings',
    summary: 'the 1-2 ratings to follow up (差评待跟进), newest first',
    details:
      'Every 1-2 rating stays here until a manager marks it done; a new low rating of the same conversation puts it back. `comment` is what the customer said went wrong (their comment, else the words that queued the follow-up).',
    access: 'manager',
    query: listQuery,
    ok: { status: 200, description: `\`{"items":[${item}…],"pending"}\`: \`pending\` counts every low rating not yet followed up` },
  },
  {
    method: 'POST',
    path: '/api/low-ratings/:id',
    summary: 'mark a conversation\'s low rating followed up (`{"done":true}`) or back to pending (`{"done":false}`)',
    access: 'manager',
    params: convParams,
    body: doneBody,
    ok: { status: 200, description: `the item, \`${item}\`` },
    errors: ['NOT_FOUND'],
  },
]);

/** The managers' 差评待跟进 list (role manager): low ratings stay until someone marks them done. */
export async function lowRatingRoutes(app: FastifyInstance, opts: LowRatingRoutesOptions): Promise<void> {
  const { handoff, agents } = opts;
  app.addHook('onRequest', authenticate(agents));
  app.addHook('preHandler', requireRole('manager'));

  const named = async <T extends { agentId: string | null; doneBy: string | null }>(items: T[]) => {
    const names = new Map((await agents.list()).map((a) => [a.id, a.name]));
    return items.map((r) => ({ ...r, agentName: r.agentId ? (names.get(r.agentId) ?? r.agentId) : null, doneByName: r.doneBy ? (names.get(r.doneBy) ?? r.doneBy) : null }));
  };

  app.get('/api/low-ratings', async (request) => {
    const q = parse(listQuery, request.query, 'query');
    const { items, pending } = await handoff.lowRatings.list({ ...(q.state === 'all' ? {} : { state: q.state }), limit: q.limit });
    return { items: await named(items), pending };
  });

  app.post('/api/low-ratings/:id', async (request) => {
    const { id } = parse(convParams, request.params, 'params');
    const { done } = parse(doneBody, request.body, 'body');
    const changed = done ? await handoff.lowRatings.markDone(id, currentAgent(request).id) : await handoff.lowRatings.reopen(id);
    if (!changed) throw new ApiError(404, 'NOT_FOUND', `conversation ${id} has no low rating`);
    const { items } = await handoff.lowRatings.list({ limit: 500 });
    const row = items.find((r) => r.conv === id);
    if (!row) throw new ApiError(404, 'NOT_FOUND', `conversation ${id} has no low rating`);
    return (await named([row]))[0];
  });
}
