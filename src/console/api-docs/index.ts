/**
 * The console API's description, assembled from what every route module declares (registry.ts):
 * served as OpenAPI 3.1 at GET /api/openapi.json and written to docs/http-api.md by
 * `npm run docs:api`.
 */
import type { FastifyInstance } from 'fastify';
import type { AgentStore } from '../auth/index.ts';
import { authenticate } from '../auth.ts';
import { liveRouteDocs } from '../live/protocol.ts';
import { metricsRouteDocs } from '../metrics.ts';
import { agentRouteDocs } from '../routes/agents.ts';
import { botRouteDocs } from '../routes/bots.ts';
import { conversationRouteDocs } from '../routes/conversations.ts';
import { customerRouteDocs } from '../routes/customers.ts';
import { mediaRouteDocs } from '../routes/media.ts';
import { demoRouteDocs } from '../routes/demo.ts';
import { healthRouteDocs } from '../routes/health.ts';
import { insightRouteDocs } from '../routes/insights.ts';
import { lowRatingRouteDocs } from '../routes/low-ratings.ts';
import { kbEditRouteDocs } from '../routes/kb-edit.ts';
import { knowledgeRouteDocs } from '../routes/knowledge.ts';
import { loginRouteDocs } from '../routes/login.ts';
import { problemRouteDocs } from '../routes/problems.ts';
import { statsRouteDocs } from '../routes/stats.ts';
import { searchRouteDocs } from '../routes/search.ts';
import { taggingRouteDocs } from '../routes/tagging.ts';
import { openApiDocument } from './openapi.ts';
import { routeGroup, type RouteGroup } from './registry.ts';

export { ERROR_CODES, routeErrors, type Access, type ErrorCode, type RouteDoc, type RouteGroup } from './registry.ts';
export { openApiDocument, type OpenApiDocument } from './openapi.ts';
export { apiReference } from './markdown.ts';

export const OPENAPI_PATH = '/api/openapi.json';

const openApiRouteDocs = routeGroup('API description', [
  {
    method: 'GET',
    path: OPENAPI_PATH,
    summary: 'this reference as an OpenAPI 3.1 document (schemas from the same zod schemas the routes parse)',
    access: 'signed-in',
    ok: { status: 200, description: 'the OpenAPI document' },
  },
]);

/** Groups of the same name (routes of one resource kept in two modules) become one, in first-seen order. */
function merge(groups: readonly RouteGroup[]): RouteGroup[] {
  const byName = new Map<string, RouteGroup>();
  for (const g of groups) {
    const seen = byName.get(g.name);
    byName.set(g.name, seen ? routeGroup(g.name, [...seen.routes, ...g.routes]) : g);
  }
  return [...byName.values()];
}

/** Every route of the console, by resource, in the reference's order. */
export const API_ROUTE_GROUPS: readonly RouteGroup[] = merge([
  loginRouteDocs,
  conversationRouteDocs,
  customerRouteDocs,
  searchRouteDocs,
  mediaRouteDocs,
  problemRouteDocs,
  statsRouteDocs,
  taggingRouteDocs,
  insightRouteDocs,
  lowRatingRouteDocs,
  agentRouteDocs,
  botRouteDocs,
  knowledgeRouteDocs,
  kbEditRouteDocs,
  demoRouteDocs,
  liveRouteDocs,
  healthRouteDocs,
  metricsRouteDocs,
  openApiRouteDocs,
]);

declare module 'fastify' {
  interface FastifyInstance {
    /** "METHOD /path" of every route this app registered (HEAD left out), in registration order. */
    registeredRoutes(): string[];
  }
}

/**
 * Records the routes the app registers from here on (call it before any route), so the document
 * a console serves describes the routes it has (the demo's only in a demo) and a test can hold
 * the registry against them.
 */
export function trackRoutes(app: FastifyInstance): void {
  const routes: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  app.decorate('registeredRoutes', () => [...routes]);
}

export interface OpenApiRoutesOptions {
  agents: AgentStore;
}

/**
 * GET /api/openapi.json for any signed-in user, like every other /api route: the contract keeps
 * only login, health and the UI public, and a deployment's route list is no business of the
 * internet. Readers without a console have docs/http-api.md, generated from the same registry.
 */
export async function openApiRoutes(app: FastifyInstance, opts: OpenApiRoutesOptions): Promise<void> {
  // Built on first use, when every route is registered; the set does not change afterwards.
  let document: string | undefined;
  app.get(OPENAPI_PATH, { onRequest: authenticate(opts.agents) }, async (_request, reply) => {
    document ??= JSON.stringify(openApiDocument(servedGroups(app.hasDecorator('registeredRoutes') ? app.registeredRoutes() : [])));
    return reply.type('application/json; charset=utf-8').send(document);
  });
}

/** The registry cut down to the routes this console registered (all of them where nothing tracked). */
function servedGroups(registered: readonly string[]): RouteGroup[] {
  if (registered.length === 0) return [...API_ROUTE_GROUPS];
  const have = new Set(registered);
  return API_ROUTE_GROUPS.map((g) => routeGroup(g.name, g.routes.filter((r) => have.has(`${r.method} ${r.path}`)))).filter((g) => g.routes.length > 0);
}
