/**
 * The console's HTTP edges (app.inject on a real redis-server): what clients send in practice
 * (JSON content type with an empty body), and the caching headers of the API, the probes and the
 * web UI's files.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { BODY_LIMIT, buildApp } from '../../src/console/app.ts';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { startOpsServer } from '../../src/ops.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
useRedisServer((_server, client) => (redis = client));

const PW = 'correct horse battery';
let app: FastifyInstance;
let handoff: Handoff;
let token: string;

beforeAll(async () => {
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  await handoff.registerBot('botA');
  const agents = new AgentStore(redis, prefix);
  await agents.add({ username: 'alice', roles: ['agent'], password: PW, name: 'Alice' });
  token = (await agents.login('alice', PW))!.token;
  app = await buildApp({ handoff, agents, redis });
});
afterAll(async () => {
  await app?.close();
});

let customers = 0;
async function waitingConversation(): Promise<string> {
  const ref = { botId: 'botA', customerId: `c${++customers}`, customerName: '王先生' };
  await handoff.recordMessage(ref, { from: 'customer', text: '我要退款' });
  await handoff.requestHuman(ref, { reason: 'customer_asked', question: '我要退款' });
  return `botA.${ref.customerId}`;
}

const post = (url: string, payload: string, contentType = 'application/json') =>
  app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${token}`, 'content-type': contentType } });

describe('POST with Content-Type: application/json and an empty body', () => {
  it('is taken as {}: the claim goes through', async () => {
    const id = await waitingConversation();
    const res = await post(`/api/conversations/${id}/claim`, '');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id, status: 'active' });
  });

  it('with a charset parameter too', async () => {
    const id = await waitingConversation();
    const res = await post(`/api/conversations/${id}/claim`, '', 'application/json; charset=utf-8');
    expect(res.statusCode, res.body).toBe(200);
  });

  it('a body that needs fields still says which one is missing (400 BAD_REQUEST, not a parser error)', async () => {
    const id = await waitingConversation();
    await post(`/api/conversations/${id}/claim`, '');
    const res = await post(`/api/conversations/${id}/messages`, '');
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('body.text') });
  });

  it('invalid JSON, prototype poisoning and an oversized body answer as before', async () => {
    const id = await waitingConversation();
    const bad = await post(`/api/conversations/${id}/claim`, '{"oops"');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { code: string } }>().error.code).toBe('BAD_REQUEST');
    const poisoned = await post(`/api/conversations/${id}/claim`, '{"__proto__":{"admin":true}}');
    expect(poisoned.statusCode).toBe(400);
    const blank = await post(`/api/conversations/${id}/claim`, '   ');
    expect(blank.statusCode).toBe(400);
    const big = await post(`/api/conversations/${id}/messages`, JSON.stringify({ text: 'x'.repeat(BODY_LIMIT) }));
    expect(big.statusCode).toBe(413);
    expect(big.json<{ error: { code: string } }>().error.code).toBe('PAYLOAD_TOO_LARGE');
    // Nothing of it happened: the chat still waits.
    expect((await handoff.conversation(id))?.status).toBe('waiting');
  });
});

describe('Cache-Control', () => {
  const get = (url: string, auth = true) => app.inject({ method: 'GET', url, headers: auth ? { authorization: `Bearer ${token}` } : {} });

  it('no-store on every API answer, errors included, and on the probes and /metrics', async () => {
    for (const [url, auth] of [
      ['/api/conversations', true],
      ['/api/auth/me', true],
      ['/api/conversations', false],
      ['/api/no-such-route', true],
      ['/metrics', false],
      ['/healthz', false],
      ['/readyz', false],
    ] as const) {
      const res = await get(url, auth);
      expect(res.headers['cache-control'], `${url} (${res.statusCode})`).toBe('no-store');
    }
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: PW } });
    expect(login.statusCode).toBe(200);
    expect(login.headers['cache-control']).toBe('no-store');
  });

  it('the web UI keeps its caching: revalidated pages and scripts, long-lived vendored files', async () => {
    expect((await get('/', false)).headers['cache-control']).toBe('no-cache');
    expect((await get('/assets/app.js', false)).headers['cache-control']).toBe('no-cache');
    expect((await get('/vendor/preact-htm.js', false)).headers['cache-control']).toBe('public, max-age=86400');
  });

  it('the bot role\'s own probes and /metrics (no console in the process) are no-store too', async () => {
    const ops = await startOpsServer(loadConfig({ HOST: '127.0.0.1', PORT: '0' }), { redis, registry: new Registry(), botReady: () => true });
    try {
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        const res = await fetch(`${ops.url}${path}`);
        expect(res.status, path).toBe(200);
        expect(res.headers.get('cache-control'), path).toBe('no-store');
      }
    } finally {
      await ops.stop();
    }
  });
});
