import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AgentStore } from '../auth/index.ts';
import { authenticate } from '../auth.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { ApiError, parse } from '../errors.ts';

/** One line of a simulated WeChat chat, as the customer's phone shows it. */
export interface SimulatedLine {
  from: 'customer' | 'bot';
  text: string;
  at: string;
}

/**
 * The demo's WeChat simulator, implemented outside the console (it never imports a channel): the
 * mock puppet's contacts, or 微信客服 customers of the local WeChat API simulator; either way their
 * messages take the same channel and bot code as production.
 */
export interface DemoSimulator {
  /** Sends `text` from the customer named `customer` (created on first use) to the bot account. */
  say(customer: string, text: string): Promise<void>;
  /** The chat as that customer sees it, oldest first ([] for a customer never seen). */
  chat(customer: string): SimulatedLine[];
  /** The simulated customers, in order of creation. */
  customers(): string[];
}

export interface DemoRoutesOptions {
  agents: AgentStore;
  simulator: DemoSimulator;
}

// A display name as WeChat allows it: no control characters, no line breaks.
const customerName = z
  .string({ error: 'is required and must be a string' })
  .trim()
  .min(1, 'must not be empty')
  .max(32, 'must be at most 32 characters')
  .refine((s) => !/\p{Cc}/u.test(s), 'must not contain control characters');

const sayBody = z.object({
  customer: customerName,
  text: z
    .string({ error: 'is required and must be a string' })
    .refine((s) => s.trim().length > 0, 'must not be empty')
    .refine((s) => [...s].length <= 2000, 'must be at most 2000 characters')
    .meta({ description: 'not only blanks, at most 2000 characters' }),
});
const chatQuery = z.object({ customer: customerName });

const only = 'the demo (`npm run demo`: the mock puppet, or 微信客服 on the local simulator)';

export const demoRouteDocs = routeGroup('Demo simulator', [
  {
    method: 'POST',
    path: '/api/demo/messages',
    summary: 'a customer of the simulator (created on first use) writes to the bot, through the real bot (the mock puppet, or 微信客服 on the local simulator with DEMO_CHANNEL=wecom-kf)',
    access: 'signed-in',
    body: sayBody,
    ok: { status: 202, description: '`{"customer"}`' },
    errors: ['SIMULATOR_FULL'],
    core: true,
    only,
  },
  {
    method: 'GET',
    path: '/api/demo/messages',
    summary: "the chat exactly as that customer sees it in WeChat (agents' replies arrive as `bot`)",
    access: 'signed-in',
    query: chatQuery,
    ok: { status: 200, description: '`{"items":[{"from":"customer"|"bot","text","at"}…]}`' },
    core: true,
    only,
  },
  {
    method: 'GET',
    path: '/api/demo/customers',
    summary: 'the simulated customers, in order of creation',
    access: 'signed-in',
    ok: { status: 200, description: '`{"items":[{"name"}…]}`' },
    only,
  },
]);

/** The spec's demo routes (any role): POST/GET /api/demo/messages, plus GET /api/demo/customers. */
export async function demoRoutes(app: FastifyInstance, opts: DemoRoutesOptions): Promise<void> {
  const { simulator } = opts;
  app.addHook('onRequest', authenticate(opts.agents));

  app.post('/api/demo/messages', async (request, reply) => {
    const { customer, text } = parse(sayBody, request.body, 'body');
    try {
      await simulator.say(customer, text);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'SIMULATOR_FULL') throw new ApiError(409, 'SIMULATOR_FULL', (err as Error).message);
      throw err;
    }
    return reply.status(202).send({ customer });
  });

  app.get('/api/demo/messages', async (request) => {
    const { customer } = parse(chatQuery, request.query, 'query');
    return { items: simulator.chat(customer) };
  });

  app.get('/api/demo/customers', async () => ({ items: simulator.customers().map((name) => ({ name })) }));
}
