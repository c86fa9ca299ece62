/**
 * A Redis outage seen from the console's API: a real redis-server that the test pauses (SIGSTOP:
 * Redis hangs, the connection stays "ready") or shuts down and restarts, and the console's
 * production client (createRedis: offline queue, reconnect forever). Requests do not hang for the
 * outage: they answer 503 REDIS_UNAVAILABLE after the short wait, do nothing, and the same app
 * works again once Redis is back.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore } from '../../src/console/auth/index.ts';
import { RedisGate } from '../../src/console/redis-gate.ts';
import { createRedis, DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { randomPrefix, startRedis, stopAll, waitReady, type RedisServer } from '../support/redis.ts';
import { WebSocket } from '../support/sockets.ts';

const PW = 'correct horse battery';

let server: RedisServer;
let redis: Redis | Cluster;
beforeAll(async () => {
  // AOF: the accounts and tokens must survive the restart, as they do in production.
  server = await startRedis({ appendonly: true });
  redis = createRedis({ url: server.url });
  redis.on('error', () => undefined);
  await waitReady(redis);
});
afterAll(async () => {
  redis?.disconnect();
  await stopAll();
});

interface Ctx {
  app: FastifyInstance;
  handoff: Handoff;
  token: string;
  conv: string;
  url: string;
}
let ctx: Ctx;

beforeEach(async () => {
  const prefix = randomPrefix();
  const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  await handoff.registerBot('botA');
  const agents = new AgentStore(redis, prefix);
  await agents.add({ username: 'alice', roles: ['agent'], password: PW, name: 'Alice' });
  const token = (await agents.login('alice', PW))!.token;
  const ref = { botId: 'botA', customerId: 'c1', customerName: '王先生' };
  await handoff.recordMessage(ref, { from: 'customer', text: '我要退款' });
  await handoff.requestHuman(ref, { reason: 'customer_asked', question: '我要退款' });
  const app = await buildApp({
    handoff,
    agents,
    redis,
    redisWaitMs: 300,
    ui: false,
    live: { connect: () => server.client(), reader: { blockMs: 200, discoverMs: 200 } },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  ctx = { app, handoff, token, conv: 'botA.c1', url: `ws://127.0.0.1:${port}/api/live` };
});
afterEach(async () => {
  // Whatever a failed test left behind: Redis running, not paused.
  if (server.pid !== undefined) process.kill(server.pid, 'SIGCONT');
  else await server.restart();
  await waitReady(redis, 10_000);
  await ctx.app.close();
});

const auth = () => ({ authorization: `Bearer ${ctx.token}` });
const list = () => ctx.app.inject({ method: 'GET', url: '/api/conversations?status=waiting', headers: auth() });

function expectUnavailable(res: LightMyRequestResponse): void {
  expect(res.statusCode, res.body).toBe(503);
  expect(res.json()).toEqual({ error: { code: 'REDIS_UNAVAILABLE', message: expect.any(String) } });
  expect(res.headers['retry-after']).toBe('1');
  expect(res.headers['cache-control']).toBe('no-store');
}

/** The status of a WebSocket handshake to /api/live: "open", or the HTTP status it was refused with. */
function handshake(url: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      resolve('open');
      ws.close();
    });
    ws.on('error', (err) => resolve(/Unexpected server response: (\d+)/.exec(err.message)?.[1] ?? err.message));
  });
}

describe('Redis hangs (SIGSTOP): requests fail fast instead of hanging for the outage', () => {
  it('answers 503 REDIS_UNAVAILABLE to signed-in requests, login and the live socket; works again on SIGCONT', async () => {
    expect((await list()).statusCode).toBe(200);
    process.kill(server.pid!, 'SIGSTOP');
    try {
      expectUnavailable(await list());
      // The token check itself needs Redis: it must not hang either.
      expectUnavailable(await ctx.app.inject({ method: 'GET', url: '/api/auth/me', headers: auth() }));
      expectUnavailable(await ctx.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: PW } }));
      // A token on a route that does not check it (a stale one on the login form) does not skip the gate.
      expectUnavailable(await ctx.app.inject({ method: 'POST', url: '/api/auth/login', headers: auth(), payload: { username: 'alice', password: PW } }));
      // A claim refused during the outage did nothing: the chat is still waiting afterwards.
      expectUnavailable(await ctx.app.inject({ method: 'POST', url: `/api/conversations/${ctx.conv}/claim`, headers: auth() }));
      // Without the gate the socket would open, its token check would hang and the UI would be logged out (4401).
      expect(await handshake(ctx.url)).toBe('503');
      // Liveness does not depend on Redis.
      expect((await ctx.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      process.kill(server.pid!, 'SIGCONT');
    }
    const res = await list();
    expect(res.statusCode).toBe(200);
    expect(res.json<{ items: { id: string; status: string }[] }>().items.map((c) => [c.id, c.status])).toEqual([[ctx.conv, 'waiting']]);
    expect(await handshake(ctx.url)).toBe('open');
  });

  it('/metrics still answers, without the Redis figures, instead of hanging the scrape', async () => {
    const before = await ctx.app.inject({ method: 'GET', url: '/metrics' });
    expect(before.body).toMatch(/^kefu_conversations\{status="waiting"\} 1$/m);
    process.kill(server.pid!, 'SIGSTOP');
    try {
      const res = await ctx.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toContain('kefu_console_process_cpu_seconds_total');
      expect(res.body).not.toMatch(/^kefu_conversations\{/m);
    } finally {
      process.kill(server.pid!, 'SIGCONT');
    }
    expect((await ctx.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/^kefu_conversations\{status="waiting"\} 1$/m);
  });
});

describe('Redis shut down and restarted', () => {
  it('answers 503 while it is down; the same app works again once the client reconnected', async () => {
    expect((await list()).statusCode).toBe(200);
    await server.stop();
    expectUnavailable(await list());
    expectUnavailable(await ctx.app.inject({ method: 'POST', url: `/api/conversations/${ctx.conv}/claim`, headers: auth() }));
    expect(await handshake(ctx.url)).toBe('503');
    await server.restart();
    await waitReady(redis, 10_000);
    const res = await list();
    expect(res.statusCode).toBe(200);
    expect(res.json<{ items: { id: string; status: string }[] }>().items.map((c) => [c.id, c.status])).toEqual([[ctx.conv, 'waiting']]);
    const claim = await ctx.app.inject({ method: 'POST', url: `/api/conversations/${ctx.conv}/claim`, headers: auth() });
    expect(claim.statusCode, claim.body).toBe(200);
  });
});

describe('the gate with a client that refuses commands while disconnected (no offline queue)', () => {
  it('keeps asking while a request waits: false while Redis is down, true as soon as it is back', async () => {
    const other = await startRedis();
    const client = other.client({ enableOfflineQueue: false, retryStrategy: () => 50 });
    await waitReady(client);
    expect(await new RedisGate(client, { waitMs: 300 }).available()).toBe(true);
    await other.stop();
    expect(await new RedisGate(client, { waitMs: 300 }).available()).toBe(false);
    const patient = new RedisGate(client, { waitMs: 20_000 }).available();
    await other.restart();
    expect(await patient).toBe(true);
  });
});
