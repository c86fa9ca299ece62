import { spawn } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore } from '../../src/console/auth/index.ts';
import { CLOSE_UNAUTHORIZED, compareStreamIds } from '../../src/console/live.ts';
import { seedAdmin } from '../../src/console/main.ts';
import { Handoff, type HandoffEvent } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { randomPrefix, useRedisServer, type RedisServer } from '../helpers/redis.ts';
import { WebSocket, type WsClient } from '../helpers/ws.ts';


let redis: Redis;
let server: RedisServer;
useRedisServer((s, client) => {
  server = s;
  redis = client;
});

const PW = 'correct horse battery';

interface Ctx {
  app: FastifyInstance;
  url: string;
  handoff: Handoff;
  tokens: Record<string, string>;
  ids: Record<string, string>;
  sockets: Conn[];
}
let ctx: Ctx;

beforeEach(async () => {
  const prefix = randomPrefix();
  const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  await handoff.registerBot('botA');
  await handoff.registerBot('botB');
  const agents = new AgentStore(redis, prefix);
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  for (const username of ['alice', 'bob']) {
    const a = await agents.add({ username, roles: ['agent'], password: PW, name: username.toUpperCase() });
    ids[username] = a.id;
    tokens[username] = (await agents.login(username, PW))!.token;
  }
  const app = await buildApp({
    handoff,
    agents,
    redis,
    live: { connect: () => server.client(), authTimeoutMs: 300, reader: { blockMs: 200, discoverMs: 200 } },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  ctx = { app, url: `ws://127.0.0.1:${port}/api/live`, handoff, tokens, ids, sockets: [] };
});
afterEach(async () => {
  for (const s of ctx.sockets) s.ws.terminate();
  await ctx.app.close();
});

type Msg = { type: string } & Record<string, unknown>;

/** A client socket that collects what it receives. */
class Conn {
  readonly messages: Msg[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];
  constructor(readonly ws: WsClient) {
    ws.on('message', (d) => {
      this.messages.push(JSON.parse(d.toString('utf8')) as Msg);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString('utf8') };
      this.wake();
    });
    ws.on('error', () => undefined);
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  send(m: unknown): void {
    this.ws.send(JSON.stringify(m));
  }
  /** Waits until `pred` holds (checked on every message / close), or fails after `ms`. */
  async until<T>(pred: () => T | null | undefined | false, what: string, ms = 3_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = pred();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages)} closed=${JSON.stringify(this.closed)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  events(): HandoffEvent[] {
    return this.messages.filter((m) => m.type === 'event').map((m) => m.event as HandoffEvent);
  }
  waitEvent(pred: (e: HandoffEvent) => boolean, what: string): Promise<HandoffEvent> {
    return this.until(() => this.events().find(pred), what);
  }
  waitClose(): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closed, 'close');
  }
  presence(conv: string): Msg | undefined {
    return this.messages.filter((m) => m.type === 'presence' && m.conv === conv).at(-1);
  }
}

async function open(): Promise<Conn> {
  const ws = new WebSocket(ctx.url);
  const conn = new Conn(ws);
  ctx.sockets.push(conn);
  await new Promise<void>((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('error', reject);
  });
  return conn;
}

async function login(as: string, extra?: unknown): Promise<Conn> {
  const c = await open();
  c.send({ type: 'auth', token: ctx.tokens[as] });
  if (extra) c.send(extra);
  await c.until(() => c.messages.find((m) => m.type === 'hello'), 'hello');
  return c;
}

const ref = (customerId: string) => ({ botId: 'botA', customerId, customerName: `Name ${customerId}` });

async function handOff(customerId: string): Promise<void> {
  await ctx.handoff.recordMessage(ref(customerId), { from: 'customer', text: '我要退款' });
  await ctx.handoff.requestHuman(ref(customerId), { reason: 'customer_asked', question: '我要退款' });
}

describe('GET /api/live: authentication', () => {
  it('closes 4401 when no auth message comes in time', async () => {
    const c = await open();
    expect((await c.waitClose()).code).toBe(CLOSE_UNAUTHORIZED);
    expect(c.messages).toEqual([]);
  });

  it('closes 4401 on a bad token, a non-auth first message or non-JSON', async () => {
    for (const first of [{ type: 'auth', token: 'nope' }, { type: 'viewing', conv: 'botA.x' }, 'not json']) {
      const c = await open();
      c.ws.send(typeof first === 'string' ? first : JSON.stringify(first));
      expect((await c.waitClose()).code).toBe(CLOSE_UNAUTHORIZED);
      expect(c.messages).toEqual([]);
    }
  });

  it('ignores a token in the URL', async () => {
    const ws = new WebSocket(`${ctx.url}?token=${ctx.tokens.alice}`);
    const c = new Conn(ws);
    ctx.sockets.push(c);
    expect((await c.waitClose()).code).toBe(CLOSE_UNAUTHORIZED);
    expect(c.messages).toEqual([]);
  });

  it('says hello with the agent and the stream positions', async () => {
    const c = await login('alice');
    const hello = c.messages[0]!;
    expect(hello).toMatchObject({ type: 'hello', agent: { id: ctx.ids.alice, username: 'alice', name: 'ALICE', roles: ['agent'] } });
    expect(Object.keys(hello.positions as object).sort()).toEqual(['botA', 'botB']);
  });
});

describe('GET /api/live: events', () => {
  it('sends waiting and message events to every socket', async () => {
    const a = await login('alice');
    const b = await login('bob');
    await handOff('c1');
    for (const c of [a, b]) {
      const msg = await c.waitEvent((e) => e.type === 'message', 'message');
      const waiting = await c.waitEvent((e) => e.type === 'waiting', 'waiting');
      expect(msg).toMatchObject({ botId: 'botA', conv: 'botA.c1' });
      expect(waiting).toMatchObject({ botId: 'botA', conv: 'botA.c1' });
      expect(typeof waiting.id).toBe('string');
      expect(Date.parse(waiting.at)).not.toBeNaN();
      expect(compareStreamIds(msg.id, waiting.id)).toBe(-1);
    }
    await ctx.handoff.recordMessage(ref('c1'), { from: 'customer', text: '还在吗' });
    for (const c of [a, b]) {
      await c.until(() => c.events().filter((e) => e.type === 'message').length === 2, 'second message');
    }
  });

  it('resume sends exactly the missed events, then live ones, none twice', async () => {
    const first = await login('alice');
    await handOff('c1');
    await first.waitEvent((e) => e.type === 'waiting', 'waiting');
    const seen = first.events();
    const positions = { botA: seen.at(-1)!.id };
    first.ws.close();
    await first.waitClose();

    // Missed while away: a message and a claim-free second handoff.
    await handOff('c2');
    await ctx.handoff.recordMessage(ref('c1'), { from: 'customer', text: 'hello?' });
    const missed = (await redis.xrange(ctx.handoff.keys.events('botA'), `(${positions.botA}`, '+')).map(([id]) => id);
    expect(missed.length).toBe(3);

    const again = await login('alice', { type: 'resume', positions });
    await again.until(() => again.events().length >= missed.length, 'missed events');
    await handOff('c3'); // live after the catch-up
    await again.until(() => again.events().filter((e) => e.conv === 'botA.c3').length === 2, 'live events');
    await new Promise((r) => setTimeout(r, 300));
    const ids = again.events().map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, 3)).toEqual(missed);
    expect(again.events().slice(0, 3).map((e) => e.conv)).toEqual(['botA.c2', 'botA.c2', 'botA.c1']);
    expect(ids.every((id) => compareStreamIds(id, positions.botA) > 0)).toBe(true);
    expect(ids).toHaveLength(5);
  });

  it('a resume from a position newer than hello sends nothing old', async () => {
    await handOff('c1');
    const c = await login('alice');
    const hello = c.messages[0]!.positions as Record<string, string>;
    c.send({ type: 'resume', positions: { botA: hello.botA, botB: '0-0' } });
    c.send({ type: 'bogus' }); // ignored
    await handOff('c2');
    await c.until(() => c.events().length === 2, 'two live events');
    await new Promise((r) => setTimeout(r, 200));
    expect(c.events().map((e) => e.conv)).toEqual(['botA.c2', 'botA.c2']);
  });

  it('answers an invalid resume with an error that does not echo the input', async () => {
    const c = await login('alice');
    c.send({ type: 'resume', positions: { botA: 'secret customer words' } });
    const err = await c.until(() => c.messages.find((m) => m.type === 'error'), 'error');
    expect(JSON.stringify(err)).not.toContain('secret');
    expect(c.closed).toBeNull();
  });
});

describe('GET /api/live: presence', () => {
  it('broadcasts viewing and typing and clears them when a socket closes', async () => {
    const a = await login('alice');
    const b = await login('bob');
    a.send({ type: 'viewing', conv: 'botA.c1' });
    await b.until(() => (b.presence('botA.c1')?.agents as unknown[] | undefined)?.length === 1, 'viewing presence');
    expect(b.presence('botA.c1')).toEqual({ type: 'presence', conv: 'botA.c1', agents: [{ id: ctx.ids.alice, name: 'ALICE' }], typing: [] });

    b.send({ type: 'viewing', conv: 'botA.c1' });
    a.send({ type: 'typing', conv: 'botA.c1' });
    await b.until(() => (b.presence('botA.c1')?.typing as unknown[] | undefined)?.length === 1, 'typing presence');
    const p = b.presence('botA.c1')!;
    expect((p.agents as { id: string }[]).map((x) => x.id).sort()).toEqual([ctx.ids.alice, ctx.ids.bob].sort());
    expect(p.typing).toEqual([{ id: ctx.ids.alice, name: 'ALICE' }]);

    a.ws.close();
    await b.until(() => {
      const last = b.presence('botA.c1');
      return last && (last.agents as unknown[]).length === 1 && (last.typing as unknown[]).length === 0;
    }, 'presence cleared');
    expect(b.presence('botA.c1')!.agents).toEqual([{ id: ctx.ids.bob, name: 'BOB' }]);
  });

  it('rejects a bad conversation id without echoing it', async () => {
    const c = await login('alice');
    c.send({ type: 'viewing', conv: '<script>客户的话</script>' });
    const err = await c.until(() => c.messages.find((m) => m.type === 'error'), 'error');
    expect(JSON.stringify(err)).not.toContain('客户');
  });
});

describe('GET /api/live: limits', () => {
  it('rejects an oversized frame and keeps serving', async () => {
    const a = await login('alice');
    const b = await login('bob');
    a.send({ type: 'viewing', conv: 'x'.repeat(5_000) });
    expect((await a.waitClose()).code).toBe(1009);
    expect(b.closed).toBeNull();
    await handOff('c1');
    await b.waitEvent((e) => e.type === 'waiting', 'waiting after the big frame');
    const c = await login('alice');
    expect(c.messages[0]!.type).toBe('hello');
    const health = await ctx.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
  });
});

describe('console main', () => {
  it('seeds admin with every role once, with a given or generated password', async () => {
    const agents = new AgentStore(redis, randomPrefix());
    await expect(seedAdmin(agents, 'short')).rejects.toThrow(/at least 8/);
    const first = await seedAdmin(agents, undefined);
    expect(first.created).toBe(true);
    expect(first.generated).toMatch(/^[\w-]{20,}$/);
    expect((await agents.get('admin'))!.roles).toEqual(['agent', 'editor', 'manager', 'admin']);
    expect(await agents.login('admin', first.generated!)).not.toBeNull();
    expect(await seedAdmin(agents, undefined)).toEqual({ created: false, generated: null });

    const other = new AgentStore(redis, randomPrefix());
    expect(await seedAdmin(other, 'a given password')).toEqual({ created: true, generated: null });
    expect(await other.login('admin', 'a given password')).not.toBeNull();
  });

  it('starts, serves and stops on SIGTERM', async () => {
    const prefix = randomPrefix();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--role', 'console'], {
      env: { ...process.env, REDIS_URL: server.url, REDIS_PREFIX: prefix, PORT: '0', HOST: '127.0.0.1', LOG_PRETTY: 'false', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const deadline = Date.now() + 15_000;
      while (!/Server listening at (http:\/\/127\.0\.0\.1:\d+)/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no listen: ${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      expect(err).toMatch(/created agent "admin" with password: \S{20,}/);
      expect(out).not.toContain(/password: (\S+)/.exec(err)![1]!);
      const res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
