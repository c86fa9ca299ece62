import { spawn } from 'node:child_process';
import { beforeEach, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { CLOSE_TOO_MANY, CLOSE_UNAUTHORIZED, compareStreamIds } from '../../src/console/live.ts';
import { seedAdmin } from '../../src/console/main.ts';
import { Conn, useLiveApp, type LiveCtx, type Msg } from '../support/live-app.ts';
import { randomPrefix } from '../support/redis.ts';
import { WebSocket } from '../support/sockets.ts';
import { waitFor } from '../support/waits.ts';

const live = useLiveApp({ alice: ['agent'], bob: ['agent'] });
let ctx: LiveCtx;
beforeEach(() => {
  ctx = live();
});
const open = (): Promise<Conn> => ctx.open();
const login = (as: string, extra?: unknown): Promise<Conn> => ctx.login(as, extra);
const handOff = (customerId: string): Promise<void> => ctx.handOff(customerId);
const ref = (customerId: string) => ({ botId: 'botA', customerId, customerName: `Name ${customerId}` });

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
  it('sends each event with what it changed; a message in a chat no list shows goes only to the tabs viewing it', async () => {
    const a = await login('alice');
    const b = await login('bob');
    a.send({ type: 'viewing', conv: 'botA.c1' });
    await a.until(() => a.presence('botA.c1'), 'viewing acknowledged');
    await handOff('c1');
    const frameOf = (c: Conn, pred: (m: Msg) => boolean, what: string) => c.until(() => c.messages.find((m) => m.type === 'event' && pred(m)), what);
    const isType = (type: string) => (m: Msg) => (m.event as { type: string }).type === type;
    for (const c of [a, b]) {
      const waiting = await frameOf(c, isType('waiting'), 'waiting');
      expect(waiting.event).toMatchObject({ botId: 'botA', conv: 'botA.c1' });
      // The conversation as it stands: a tab puts it in its queue without asking.
      expect(waiting.conversation).toMatchObject({ id: 'botA.c1', status: 'waiting', customer: { id: 'c1', name: 'Name c1' }, reason: 'customer_asked' });
      expect(Date.parse((waiting.event as { at: string }).at)).not.toBeNaN();
    }
    // The customer's message while the bot had the chat: only alice, who views it, gets it, with the message itself.
    const first = await frameOf(a, isType('message'), 'message to the viewer');
    expect(first.message).toMatchObject({ from: 'customer', text: '我要退款' });
    expect(compareStreamIds((first.event as { id: string }).id, a.events().find((e) => e.type === 'waiting')!.id)).toBe(-1);
    // Now the chat waits in every agent's queue: its messages go to every tab.
    const sent = await ctx.handoff.recordMessage(ref('c1'), { from: 'customer', text: '还在吗<b>?</b>' });
    for (const c of [a, b]) {
      const frame = await frameOf(c, (m) => (m.event as { data: { msg?: string } }).data.msg === sent.id, 'the waiting chat\'s message');
      expect(frame.message).toMatchObject({ id: sent.id, from: 'customer', text: '还在吗<b>?</b>' });
      expect(frame.conversation).toMatchObject({ id: 'botA.c1', status: 'waiting' });
    }
    expect(b.events().map((e) => e.type)).toEqual(['waiting', 'message']);
    expect(a.events().map((e) => e.type)).toEqual(['message', 'waiting', 'message']);
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
    const missed = (await ctx.redis.xrange(ctx.handoff.keys.events('botA'), `(${positions.botA}`, '+')).map(([id]) => id);
    expect(missed.length).toBe(3);

    const again = await login('alice', { type: 'resume', positions });
    await again.until(() => again.events().length >= missed.length, 'missed events');
    await handOff('c3'); // live after the catch-up (its first message, with the bot, goes to who views it: nobody)
    await again.until(() => again.events().filter((e) => e.conv === 'botA.c3').length === 1, 'live events');
    // A last event: the stream comes in order, so with it in, everything before it is in, once or more.
    const marker = await ctx.handoff.recordMessage(ref('c3'), { from: 'customer', text: 'marker' });
    await again.waitEvent((e) => e.data.msg === marker.id, 'the last event');
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
    await c.until(() => c.events().length === 1, 'the live handoff');
    // A last event: the streams come in order, so with it in, anything old would be in before it.
    const marker = await ctx.handoff.recordMessage(ref('c2'), { from: 'customer', text: 'marker' });
    await c.waitEvent((e) => e.data.msg === marker.id, 'the last event');
    expect(c.events().map((e) => `${e.type} ${e.conv}`)).toEqual(['waiting botA.c2', 'message botA.c2']);
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
  it('sends viewing and typing to the sockets viewing that conversation, and clears them when a socket closes', async () => {
    const a = await login('alice');
    const b = await login('bob');
    const elsewhere = await login('bob');
    elsewhere.send({ type: 'viewing', conv: 'botA.other' });
    b.send({ type: 'viewing', conv: 'botA.c1' });
    // A newcomer gets the conversation's presence at once, itself included (the UI leaves itself out).
    await b.until(() => (b.presence('botA.c1')?.agents as unknown[] | undefined)?.length === 1, 'own presence');
    a.send({ type: 'viewing', conv: 'botA.c1' });
    await b.until(() => (b.presence('botA.c1')?.agents as unknown[] | undefined)?.length === 2, 'viewing presence');
    expect(b.presence('botA.c1')).toEqual({
      type: 'presence',
      conv: 'botA.c1',
      agents: [
        { id: ctx.ids.bob, name: 'BOB' },
        { id: ctx.ids.alice, name: 'ALICE' },
      ],
      typing: [],
    });

    a.send({ type: 'typing', conv: 'botA.c1' });
    await b.until(() => (b.presence('botA.c1')?.typing as unknown[] | undefined)?.length === 1, 'typing presence');
    expect(b.presence('botA.c1')!.typing).toEqual([{ id: ctx.ids.alice, name: 'ALICE' }]);
    await a.until(() => (a.presence('botA.c1')?.typing as unknown[] | undefined)?.length === 1, 'own typing presence');

    a.ws.close();
    await b.until(() => {
      const last = b.presence('botA.c1');
      return last && (last.agents as unknown[]).length === 1 && (last.typing as unknown[]).length === 0;
    }, 'presence cleared');
    expect(b.presence('botA.c1')!.agents).toEqual([{ id: ctx.ids.bob, name: 'BOB' }]);
    // The socket looking at another conversation was never told about this one.
    expect(elsewhere.presence('botA.c1')).toBeUndefined();
    expect(elsewhere.presence('botA.other')).toBeDefined();
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
    const agents = new AgentStore(ctx.redis, randomPrefix());
    await expect(seedAdmin(agents, 'short')).rejects.toThrow(/at least \d+ characters/);
    const first = await seedAdmin(agents, undefined);
    expect(first.created).toBe(true);
    expect(first.generated).toMatch(/^[\w-]{20,}$/);
    expect((await agents.get('admin'))!.roles).toEqual(['agent', 'editor', 'manager', 'admin']);
    expect(await agents.login('admin', first.generated!)).not.toBeNull();
    expect(await seedAdmin(agents, undefined)).toEqual({ created: false, generated: null });

    const other = new AgentStore(ctx.redis, randomPrefix());
    expect(await seedAdmin(other, 'a given password')).toEqual({ created: true, generated: null });
    expect(await other.login('admin', 'a given password')).not.toBeNull();
  });

  it('starts, serves (with LIVE_MAX_SOCKETS_PER_AGENT) and stops on SIGTERM', async () => {
    const prefix = randomPrefix();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--role', 'console'], {
      env: {
        ...process.env,
        REDIS_URL: ctx.server.url,
        REDIS_PREFIX: prefix,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_PRETTY: 'false',
        LOG_LEVEL: 'info',
        LIVE_MAX_SOCKETS_PER_AGENT: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitFor(
        () => `the console to listen: ${out}\n${err}`,
        () => {
          if (child.exitCode !== null) throw new Error(`exited before it listened: ${out}\n${err}`);
          return /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.test(out);
        },
        { timeout: 15_000, interval: 50 },
      );
      const base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      expect(err).toMatch(/created agent "admin" with password: \S{20,}/);
      expect(out).not.toContain(/password: (\S+)/.exec(err)![1]!);
      const res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(200);

      // The setting reaches the live socket: a second socket of the same user is refused.
      const password = /password: (\S+)/.exec(err)![1]!;
      const login = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as { token: string };
      const socket = async (): Promise<Conn> => {
        const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/live`);
        const conn = new Conn(ws);
        ctx.sockets.push(conn);
        await new Promise<void>((resolve, reject) => {
          ws.on('open', resolve);
          ws.on('error', reject);
        });
        conn.send({ type: 'auth', token });
        await conn.until(() => conn.closed ?? conn.messages.find((m) => m.type === 'hello'), 'hello or close');
        return conn;
      };
      const first = await socket();
      expect(first.closed).toBeNull();
      const second = await socket();
      expect(second.closed?.code).toBe(CLOSE_TOO_MANY);
      first.ws.close();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});
