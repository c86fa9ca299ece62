/**
 * For the live socket tests: a console app listening on a real port over a real redis-server, with
 * signed-in agents, and collecting clients (./sockets.ts Conn).
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore, type Role } from '../../src/console/auth/index.ts';
import type { LiveOptions } from '../../src/console/live.ts';
import { Handoff } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { useRedisServer } from './hooks.ts';
import { randomPrefix, type RedisServer } from './redis.ts';
import { Conn, WebSocket } from './sockets.ts';

export { Conn, type Msg } from './sockets.ts';

export const PW = 'correct horse battery';

export interface LiveCtx {
  app: FastifyInstance;
  url: string;
  handoff: Handoff;
  agents: AgentStore;
  redis: Redis;
  server: RedisServer;
  prefix: string;
  tokens: Record<string, string>;
  ids: Record<string, string>;
  sockets: Conn[];
  /** A new socket, open (not authenticated). */
  open(): Promise<Conn>;
  /** A new socket that sent `auth` (and `extra`) and got hello. */
  login(as: string, extra?: unknown): Promise<Conn>;
  /** A customer's message and a handoff on botA. */
  handOff(customerId: string): Promise<void>;
}

/**
 * A fresh app per test: bot accounts botA and botB, the `users` signed in (token per username),
 * the live socket with `live` options over the defaults the tests use.
 */
export function useLiveApp(users: Record<string, Role[]>, live: Partial<Omit<LiveOptions, 'handoff' | 'agents' | 'logger'>> = {}): () => LiveCtx {
  let redis: Redis;
  let server: RedisServer;
  useRedisServer((s, client) => {
    server = s;
    redis = client;
  });
  let ctx: LiveCtx | undefined;
  beforeEach(async () => {
    const prefix = randomPrefix();
    const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
    await handoff.registerBot('botA');
    await handoff.registerBot('botB');
    const agents = new AgentStore(redis, prefix);
    const tokens: Record<string, string> = {};
    const ids: Record<string, string> = {};
    for (const [username, roles] of Object.entries(users)) {
      const a = await agents.add({ username, roles, password: PW, name: username.toUpperCase() });
      ids[username] = a.id;
      tokens[username] = (await agents.login(username, PW))!.token;
    }
    const app = await buildApp({
      handoff,
      agents,
      redis,
      live: { connect: () => server.client(), authTimeoutMs: 300, reader: { blockMs: 200, discoverMs: 200 }, ...live },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const sockets: Conn[] = [];
    const url = `ws://127.0.0.1:${port}/api/live`;
    const c: LiveCtx = {
      app,
      url,
      handoff,
      agents,
      redis,
      server,
      prefix,
      tokens,
      ids,
      sockets,
      async open() {
        const conn = new Conn(new WebSocket(url));
        sockets.push(conn);
        await conn.open;
        return conn;
      },
      async login(as, extra) {
        const conn = await c.open();
        conn.send({ type: 'auth', token: tokens[as] });
        if (extra) conn.send(extra);
        await conn.until(() => conn.messages.find((m) => m.type === 'hello'), 'hello');
        return conn;
      },
      async handOff(customerId) {
        const ref = { botId: 'botA', customerId, customerName: `Name ${customerId}` };
        await handoff.recordMessage(ref, { from: 'customer', text: '我要退款' });
        await handoff.requestHuman(ref, { reason: 'customer_asked', question: '我要退款' });
      },
    };
    ctx = c;
  });
  afterEach(async () => {
    if (!ctx) return;
    for (const s of ctx.sockets) s.ws.terminate();
    await ctx.app.close();
    ctx = undefined;
  });
  return () => {
    if (!ctx) throw new Error('no live app: call inside a test');
    return ctx;
  };
}
