import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AgentStore } from '../auth/index.ts';
import { authenticate, requireRole } from '../auth.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { customerHistory, type HistoryArchive } from '../customer-history.ts';
import { ApiError, parse } from '../errors.ts';
import { conversationId, type Handoff } from '../../handoff/index.ts';

export interface CustomerRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
  /** The archive (DATABASE_URL): the sessions that left Redis, and customers only it holds. */
  archive?: HistoryArchive;
}

const ID = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 letters, digits, "_" or "-"');
const paramsSchema = z.object({ botId: ID.meta({ description: 'the bot account' }), customerId: ID.meta({ description: "the customer's id with that bot account" }) });

export const customerRouteDocs = routeGroup('Customers', [
  {
    method: 'GET',
    path: '/api/customers/:botId/:customerId',
    summary: "a customer's history: channel, first seen, tags, and every conversation so far with its outcome and rating",
    details:
      'A conversation (`<botId>.<customerId>`) is the customer\'s thread with one bot account across every resolve; its `sessions` are the ' +
      'handoffs in it, newest first: `startId` (the message it began at: open the chat at `?m=<startId>`), `startedAt`, `reason`, ' +
      '`agent` `{"id","name"}`, `outcome` (`resolved`, `fixed`: closed by a fix notice, `withdrawn`: the customer left the queue, `awaiting_fix`, `open`), `endedAt`, `resolvedBy`, ' +
      '`rating` (1-5 or null). With the archive, sessions that left Redis are included and a customer only the archive holds is ' +
      'answered with `"archived": true`; the archive unreachable: the live part, with `incomplete` `{"error"}`.',
    access: 'agent',
    params: paramsSchema,
    ok: {
      status: 200,
      description:
        '`{"conversationId","botId","customerId","archived","customer":{"name","tier"},"channel":{"kind","label"}|null,"firstSeen","tags","status","sessions":[…],"ratings":{"count","average"}}`',
    },
    errors: ['NOT_FOUND'],
  },
]);

/** GET /api/customers/:botId/:customerId (role agent): the customer panel's history. */
export async function customerRoutes(app: FastifyInstance, opts: CustomerRoutesOptions): Promise<void> {
  app.addHook('onRequest', authenticate(opts.agents));
  app.addHook('preHandler', requireRole('agent'));

  app.get('/api/customers/:botId/:customerId', async (request) => {
    const { botId, customerId } = parse(paramsSchema, request.params, 'params');
    const id = conversationId(botId, customerId);
    const history = await customerHistory(opts.handoff, id, opts.archive);
    if (!history) throw new ApiError(404, 'NOT_FOUND', `customer ${customerId} of ${botId} not found`);
    return history;
  });
}
