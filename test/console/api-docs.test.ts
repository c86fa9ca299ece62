/**
 * The API reference cannot drift from the code: docs/http-api.md is what the registry generates,
 * the registry names exactly the routes the app registers (with the roles the app enforces), the
 * error catalogue covers every code the routes answer with, and GET /api/openapi.json serves it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTE_GROUPS, apiReference, ERROR_CODES, OPENAPI_PATH, type OpenApiDocument, type RouteDoc } from '../../src/console/api-docs/index.ts';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore, type Role } from '../../src/console/auth/index.ts';
import type { DemoSimulator } from '../../src/console/routes/demo.ts';
import { apiConversationWithMessagesSchema } from '../../src/console/serialize.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ROUTES: RouteDoc[] = API_ROUTE_GROUPS.flatMap((g) => g.routes);
const key = (r: { method: string; path: string }): string => `${r.method} ${r.path}`;

describe('docs/http-api.md', () => {
  it('is what `npm run docs:api` generates from the route declarations (run it after changing a route)', () => {
    expect(readFileSync(path.join(ROOT, 'docs/http-api.md'), 'utf8')).toBe(apiReference(API_ROUTE_GROUPS));
  });

  it('names each route once, with its input fields and limits taken from the schemas', () => {
    const doc = apiReference(API_ROUTE_GROUPS);
    for (const r of ROUTES) expect(doc.split(`| \`${key(r)}\` |`).length - 1, key(r)).toBe(1);
    expect(new Set(ROUTES.map(key)).size).toBe(ROUTES.length);
    // From the zod schemas, not written by hand: the list query's enum and bounds, the tags' limits.
    expect(doc).toContain('query `status?`: `waiting` or `active` or `parked` or `awaiting_fix` or `resolved` or `bot` or `all`');
    expect(doc).toContain('query `cursor?`: text');
    expect(doc).toContain('query `limit?`: integer 1-500, default `100`');
    expect(doc).toContain('body `tags`: list of text, 1-32 characters, at most 20');
  });
});

describe('the error catalogue', () => {
  /** Where the console's HTTP answers are written: the routes, the app, its error handling, auth and the Redis gate. */
  const files = [
    ...readdirSync(path.join(ROOT, 'src/console/routes')).map((f) => `src/console/routes/${f}`),
    'src/console/app.ts',
    'src/console/auth.ts',
    'src/console/errors.ts',
    'src/console/redis-gate.ts',
  ];
  const source = (f: string): string => readFileSync(path.join(ROOT, f), 'utf8');

  it('lists every error code written in the console routes, with the status they are sent with', () => {
    // Upper-case string literals that are not error codes the API sends.
    const notCodes = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'PONG', 'INVALID_ID']);
    const missing: string[] = [];
    for (const f of files) {
      for (const [, code] of source(f).matchAll(/'([A-Z][A-Z_]{2,})'/g)) {
        if (!notCodes.has(code!) && !(code! in ERROR_CODES)) missing.push(`${f}: ${code}`);
      }
      for (const [, status, code] of source(f).matchAll(/ApiError\(\s*(\d{3}),\s*'([A-Z_]+)'/g)) {
        expect(ERROR_CODES[code as keyof typeof ERROR_CODES]?.status, `${f}: ${status} ${code}`).toBe(Number(status));
      }
    }
    expect(missing).toEqual([]);
  });

  it("lists the handoff's refusals, which reach clients as they are", () => {
    const union = /export type HandoffErrorCode = ([^;]+);/.exec(source('src/handoff/errors.ts'))![1]!;
    const codes = [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(0);
    for (const code of codes) expect(ERROR_CODES, code).toHaveProperty(code);
  });
});

const PW = 'correct horse battery';
const ROLES: Role[] = ['agent', 'editor', 'manager', 'admin'];
/** A signed-in user lacking the route's role (admin has every role, manager has agent). */
const LACKING: Record<Role, Role> = { agent: 'editor', editor: 'agent', manager: 'agent', admin: 'manager' };

/** Only to register the demo routes: these tests never reach a simulator. */
const unusedSimulator: DemoSimulator = {
  say: () => Promise.reject(new Error('not used here')),
  chat: () => [],
  customers: () => [],
};

/** The web UI's files: served by the console, not part of the API. */
const UI_ROUTES = ['GET /', 'GET /assets/*', 'GET /vendor/preact-htm.js', 'GET /vendor/uplot.css', 'GET /vendor/uplot.js'];

describe('the registry and the app', () => {
  let server: RedisServer;
  let redis: Redis;
  useRedisServer((s, client) => {
    server = s;
    redis = client;
  });

  let app: FastifyInstance;
  let handoff: Handoff;
  const tokens = {} as Record<Role, string>;

  beforeAll(async () => {
    const prefix = randomPrefix();
    handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
    await handoff.registerBot('botA');
    const agents = new AgentStore(redis, prefix);
    for (const role of ROLES) {
      await agents.add({ username: role, roles: [role], password: PW, name: role });
      tokens[role] = (await agents.login(role, PW))!.token;
    }
    // Every optional part on, so every route exists.
    app = await buildApp({
      handoff,
      agents,
      redis,
      demo: unusedSimulator,
      live: { connect: () => server.client() },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('declares exactly the routes the app registers', () => {
    const registered = app.registeredRoutes();
    expect(registered).toEqual(expect.arrayContaining(UI_ROUTES));
    expect(registered.filter((r) => !UI_ROUTES.includes(r)).sort()).toEqual(ROUTES.map(key).sort());
  });

  const url = (r: RouteDoc): string => r.path.replace(':id', 'x1.y1');

  it.each(ROUTES.filter((r) => r.access !== 'public' && !r.websocket).map((r) => [key(r), r] as const))(
    '%s refuses a request without a token (401)',
    async (_name, r) => {
      const res = await app.inject({ method: r.method, url: url(r) });
      expect(res.statusCode, res.body).toBe(401);
      expect(res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    },
  );

  it.each(ROUTES.filter((r) => ROLES.includes(r.access as Role)).map((r) => [key(r), r] as const))(
    '%s refuses a user without its role (403) and lets one with it past the role check',
    async (_name, r) => {
      const role = r.access as Role;
      const refused = await app.inject({ method: r.method, url: url(r), headers: { authorization: `Bearer ${tokens[LACKING[role]]}` } });
      expect(refused.statusCode, refused.body).toBe(403);
      expect(refused.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
      const allowed = await app.inject({ method: r.method, url: url(r), headers: { authorization: `Bearer ${tokens[role]}` } });
      expect([401, 403], allowed.body).not.toContain(allowed.statusCode);
    },
  );

  it.each(ROUTES.filter((r) => r.access === 'public').map((r) => [key(r), r] as const))('%s answers without a token', async (_name, r) => {
    const res = await app.inject({ method: r.method, url: url(r) });
    expect([401, 403], res.body).not.toContain(res.statusCode);
  });

  it('GET /api/openapi.json serves the registry as OpenAPI 3.1 to a signed-in user', async () => {
    expect((await app.inject({ method: 'GET', url: OPENAPI_PATH })).statusCode).toBe(401);
    const res = await app.inject({ method: 'GET', url: OPENAPI_PATH, headers: { authorization: `Bearer ${tokens.editor}` } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const doc = res.json<OpenApiDocument>();
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`));
    expect(operations.sort()).toEqual(ROUTES.map(key).sort());

    const resolve = doc.paths['/api/conversations/{id}/resolve']!.post as { parameters: unknown[]; responses: object };
    expect(resolve).toMatchObject({
      'x-core': true,
      'x-access': 'agent',
      security: [{ bearer: [] }],
      requestBody: { required: false, content: { 'application/json': { schema: { properties: { rate: { type: 'boolean' } } } } } },
    });
    expect(resolve.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(Object.keys(resolve.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '409', '503']));
    expect((doc.paths['/api/auth/login']!.post as Record<string, unknown>).security).toEqual([]);

    // Every reference resolves, and every {param} of a path is declared.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty(ref);
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const op of Object.values(ops) as { parameters?: { name: string; in: string }[] }[]) {
        const declared = (op.parameters ?? []).filter((x) => x.in === 'path').map((x) => x.name);
        expect(declared, p).toEqual([...p.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
      }
    }
  });

  it('a console serves the description of the routes it has: no demo or live routes where they are off', async () => {
    const plain = await buildApp({ handoff, agents: new AgentStore(redis, handoff.keys.prefix), redis });
    try {
      const res = await plain.inject({ method: 'GET', url: OPENAPI_PATH, headers: { authorization: `Bearer ${tokens.agent}` } });
      expect(res.statusCode, res.body).toBe(200);
      const paths = Object.keys(res.json<OpenApiDocument>().paths);
      expect(paths).toContain('/api/conversations/{id}/resolve');
      expect(paths).not.toContain('/api/demo/messages');
      expect(paths).not.toContain('/api/live');
      expect(res.json<OpenApiDocument>().tags.map((t) => t.name)).not.toContain('Demo simulator');
    } finally {
      await plain.close();
    }
  });

  it('the Conversation and Message shapes are exactly what the API answers (no field left out or extra)', async () => {
    const ref = { botId: 'botA', customerId: 'c1', customerName: '王先生' };
    await handoff.recordMessage(ref, { from: 'customer', text: '我要退款' });
    await handoff.requestHuman(ref, { reason: 'customer_asked', question: '我要退款' });
    const as = { authorization: `Bearer ${tokens.agent}` };
    expect((await app.inject({ method: 'POST', url: '/api/conversations/botA.c1/claim', headers: as })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/conversations/botA.c1/messages', headers: as, payload: { text: '您好' } })).statusCode).toBe(202);
    const res = await app.inject({ method: 'GET', url: '/api/conversations/botA.c1', headers: as });
    const body = res.json<Record<string, unknown>>();
    // zod drops unknown keys, so equality means every field is declared; parse() throws on a wrong type.
    expect(apiConversationWithMessagesSchema.parse(body)).toEqual(body);
    expect((body.messages as unknown[]).length).toBeGreaterThanOrEqual(3);
  });
});
