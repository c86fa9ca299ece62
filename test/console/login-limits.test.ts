/**
 * Login limits against the attacks of issue 11: one IP rotating usernames, many IPs guessing one
 * account (with unknown usernames answered exactly like known ones), a parallel burst, and the
 * admin unlock. The console app (buildApp) is driven with app.inject, each request's address set
 * with `remoteAddress` (the app does not trust X-Forwarded-For by default); the failed-login
 * records live in a real redis-server. The lockout's clock is the test's, so waits take no time.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore, DEFAULT_LOCKOUT, type LockoutPolicy } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
useRedisServer((_server, client) => (redis = client));

const PW = 'correct horse battery';

let app: FastifyInstance;
let agents: AgentStore;
const clock = { t: Date.parse('2026-11-24T02:00:00Z') };
const ids: Record<string, string> = {};

let prefix = '';
async function setup(lockout: Partial<LockoutPolicy> = {}): Promise<void> {
  prefix = randomPrefix();
  agents = new AgentStore(redis, prefix, { lockout: { ...lockout, now: () => clock.t } });
  ids.alice = (await agents.add({ username: 'alice', roles: ['agent'], password: PW })).id;
  ids.root = (await agents.add({ username: 'root', roles: ['admin'], password: PW })).id;
  app = await buildApp({ handoff: new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY }), agents, redis });
}
afterEach(async () => {
  await app?.close();
});

let nextHost = 0;
/** A new client address each call (198.18.0.0/15 is for tests), unless one is given. */
const freshIp = (): string => `198.18.${Math.floor(++nextHost / 250)}.${(nextHost % 250) + 1}`;

function login(username: string, password: string, ip = freshIp(), headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: ip, headers, payload: { username, password } });
}

/** What a client can tell about an answer: status, code, message and how long to wait. */
function answer(res: LightMyRequestResponse): { status: number; code?: string; message?: string; retryAfter?: string } {
  const body = res.json() as { error?: { code: string; message: string } };
  return {
    status: res.statusCode,
    ...(body.error ? { code: body.error.code, message: body.error.message } : {}),
    ...(res.headers['retry-after'] !== undefined ? { retryAfter: String(res.headers['retry-after']) } : {}),
  };
}

describe('one IP rotating usernames', () => {
  beforeEach(() => setup());

  it('gets 429 after 30 tries a minute, whatever the usernames or X-Forwarded-For say; other IPs go on', async () => {
    const ip = '203.0.113.7';
    const statuses: number[] = [];
    for (let i = 0; i < 36; i++) {
      const res = await login(`user${i}`, 'wrong password', ip, { 'x-forwarded-for': `192.0.2.${i + 1}` });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(answer(res)).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/retry in \d+ s/) });
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(statuses).toEqual([...Array(30).fill(401), ...Array(6).fill(429)]);
    // Even the right password waits: the limit is on the address, before any password is checked.
    expect((await login('alice', PW, ip)).statusCode).toBe(429);
    expect((await login('alice', PW, '203.0.113.8')).statusCode).toBe(200);
  }, 60_000);
});

describe('one account guessed from many IPs', () => {
  beforeEach(() => setup());

  /**
   * Wrong passwords for `username`, each from a new IP, the clock moved by each Retry-After:
   * every answer, and whether the right password gets through while waiting or locked.
   */
  async function guess(username: string): Promise<{ answers: ReturnType<typeof answer>[]; rightWhileLocked: ReturnType<typeof answer> }> {
    const answers: ReturnType<typeof answer>[] = [];
    for (let i = 0; i < 40; i++) {
      const a = answer(await login(username, `guess number ${i}`));
      answers.push(a);
      if (a.code === 'ACCOUNT_LOCKED') break;
      if (a.status === 429) {
        // Too early: the same try once the wait is over.
        clock.t += Number(a.retryAfter) * 1000;
        answers.push(answer(await login(username, `guess number ${i}`)));
      }
    }
    return { answers, rightWhileLocked: answer(await login(username, username === 'alice' ? PW : 'anything at all')) };
  }

  it('waits 1 s, 2 s, 4 s… after 10 failures, locks at 20; an unknown username gets exactly the same answers', async () => {
    const alice = await guess('alice');
    const waits = alice.answers.filter((a) => a.code === 'RATE_LIMITED').map((a) => Number(a.retryAfter));
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
    expect(alice.answers.filter((a) => a.status === 401)).toHaveLength(DEFAULT_LOCKOUT.lockAfter);
    const last = alice.answers.at(-1)!;
    expect(last).toMatchObject({ status: 429, code: 'ACCOUNT_LOCKED', retryAfter: String(DEFAULT_LOCKOUT.lockMs / 1000) });
    expect(last.message).toMatch(/locked.*admin/);
    // Locked means locked: the right password too.
    expect(alice.rightWhileLocked).toMatchObject({ status: 429, code: 'ACCOUNT_LOCKED' });
    expect(await agents.lockState('alice')).toMatchObject({ failures: 20, lockedUntil: expect.any(String) });

    const ghost = await guess('ghost');
    expect(ghost.answers).toEqual(alice.answers);
    expect(ghost.rightWhileLocked).toEqual(alice.rightWhileLocked);
  }, 120_000);

  it('after the lock runs out, each new failure locks the account again', async () => {
    await guess('alice');
    clock.t += DEFAULT_LOCKOUT.lockMs;
    expect(answer(await login('alice', 'still guessing'))).toMatchObject({ status: 401 });
    expect(answer(await login('alice', PW))).toMatchObject({ status: 429, code: 'ACCOUNT_LOCKED' });
  }, 120_000);

  it('a success clears the failures', async () => {
    for (let i = 0; i < 9; i++) expect((await login('alice', `typo ${i}`)).statusCode).toBe(401);
    expect((await login('alice', PW)).statusCode).toBe(200);
    // Ten free failures again (without the reset, the 11th try of the day would wait).
    for (let i = 0; i < 10; i++) expect((await login('alice', `typo ${i}`)).statusCode).toBe(401);
    expect((await login('alice', PW)).statusCode).toBe(429);
  }, 60_000);

  it('a parallel burst cannot slip past the count: 10 tries get checked, the rest wait', async () => {
    const res = await Promise.all(Array.from({ length: 40 }, (_, i) => login('alice', `burst ${i}`)));
    const statuses = res.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([...Array(10).fill(401), ...Array(30).fill(429)]);
  }, 60_000);
});

describe('POST /api/agents/:id/unlock', () => {
  beforeEach(() => setup({ freeFailures: 2, lockAfter: 3 }));

  async function lockAlice(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      expect((await login('alice', `guess ${i}`)).statusCode).toBe(401);
      clock.t += DEFAULT_LOCKOUT.maxWaitMs;
    }
    expect(answer(await login('alice', PW))).toMatchObject({ status: 429, code: 'ACCOUNT_LOCKED' });
  }

  const unlock = (id: string, token: string): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'POST', url: `/api/agents/${id}/unlock`, headers: { authorization: `Bearer ${token}` } });

  it('lets an admin lift the lock; the agent can log in at once', async () => {
    const admin = (await agents.login('root', PW))!.token;
    await lockAlice();
    const res = await unlock(ids.alice!, admin);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: ids.alice, username: 'alice', unlocked: true });
    expect((await login('alice', PW)).statusCode).toBe(200);
    // Nothing left to lift.
    expect((await unlock(ids.alice!, admin)).json()).toMatchObject({ unlocked: false });
  }, 60_000);

  it('is for admins only, and answers 404 / 400 for unknown or malformed ids', async () => {
    const admin = (await agents.login('root', PW))!.token;
    await agents.add({ username: 'mia', roles: ['manager'], password: PW });
    const manager = (await agents.login('mia', PW))!.token;
    await lockAlice();
    expect((await unlock(ids.alice!, manager)).statusCode).toBe(403);
    expect(answer(await login('alice', PW))).toMatchObject({ status: 429, code: 'ACCOUNT_LOCKED' });
    expect((await unlock('ag_nobody', admin)).statusCode).toBe(404);
    expect((await unlock('not%20an%20id', admin)).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: `/api/agents/${ids.alice}/unlock` })).statusCode).toBe(401);
  }, 60_000);

  it('a new password set by an admin lifts the lock too', async () => {
    await lockAlice();
    await agents.setPassword('alice', 'a fresh passphrase 2026');
    expect((await login('alice', 'a fresh passphrase 2026')).statusCode).toBe(200);
  }, 60_000);
});
