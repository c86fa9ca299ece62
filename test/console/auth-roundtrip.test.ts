/**
 * A signed-in request's token check in one Redis round trip (the agent id a token was issued for
 * is remembered per process; whether the token is live and the agent enabled is read every time),
 * and that check standing in for the Redis gate's PING. What must keep working at once, in every
 * console process: logout, revoke, disable, removal of the agent; a token sent to a route that
 * never checks it still passes the gate.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/console/app.ts';
import { AgentStore } from '../../src/console/auth/index.ts';
import { createKeys, DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';
import { countRoundTrips } from '../support/roundtrips-counter.ts';

const PW = 'correct horse battery';

let server: RedisServer;
let redis: Redis;
useRedisServer((s, client) => {
  server = s;
  redis = client;
});

let prefix: string;
/** The store of "this" console process, and one of another console process on the same data. */
let store: AgentStore;
let other: AgentStore;
let otherClient: Redis;
beforeEach(() => {
  prefix = randomPrefix();
  store = new AgentStore(redis, prefix);
  otherClient = server.client();
  other = new AgentStore(otherClient, prefix);
});
afterEach(() => otherClient.disconnect());

/** Signs `username` in and authenticates once, so that the token's owner is remembered. */
async function warm(username: string): Promise<string> {
  await store.add({ username, roles: ['agent'], password: PW });
  const token = (await store.login(username, PW))!.token;
  expect((await store.authenticate(token))?.username).toBe(username);
  return token;
}

describe('AgentStore.authenticate', () => {
  it('takes one round trip for a token seen before, reading nothing but the live token and the agent', async () => {
    const token = await warm('amy');
    const counter = countRoundTrips(redis);
    try {
      counter.start();
      const agent = await store.authenticate(token);
      const rounds = counter.stop();
      expect(agent).toMatchObject({ username: 'amy', roles: ['agent'], disabled: false });
      expect(agent).not.toHaveProperty('pw');
      expect(rounds).toHaveLength(1);
      expect(rounds[0]).toHaveLength(1);
    } finally {
      counter.detach();
    }
  });

  it('refuses a remembered token at once after a logout, a revoke or a disable in another console process', async () => {
    const loggedOut = await warm('bea');
    await other.logout(loggedOut);
    expect(await store.authenticate(loggedOut)).toBeNull();

    const revoked = await warm('cal');
    expect(await other.revokeAll('cal')).toBe(1);
    expect(await store.authenticate(revoked)).toBeNull();

    const disabled = await warm('dot');
    await other.update('dot', { disabled: true });
    expect(await store.authenticate(disabled)).toBeNull();
    // Enabling again does not bring the session back (its token was deleted with the disable).
    await other.enable('dot');
    expect(await store.authenticate(disabled)).toBeNull();
  });

  it('refuses a remembered token whose agent was disabled without its tokens being deleted, and accepts it again once enabled', async () => {
    const token = await warm('eve');
    // Only the flag (as an older console or an operator in redis-cli would set it): the check must read it.
    const id = (await store.get('eve'))!.id;
    await redis.hset(createKeys(prefix).agents.agent(id), 'disabled', '1');
    expect(await store.authenticate(token)).toBeNull();
    await redis.hset(createKeys(prefix).agents.agent(id), 'disabled', '0');
    expect((await store.authenticate(token))?.username).toBe('eve');
  });

  it('refuses a remembered token whose agent record is gone', async () => {
    const token = await warm('fay');
    const id = (await store.get('fay'))!.id;
    await redis.del(createKeys(prefix).agents.agent(id));
    expect(await store.authenticate(token)).toBeNull();
  });
});

describe('the console: a signed-in request', () => {
  let app: FastifyInstance;
  beforeEach(async () => {
    const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
    app = await buildApp({ handoff, agents: store, redis, redisWaitMs: 300, ui: false });
  });
  afterEach(async () => app.close());

  it('costs one round trip for its token check and no PING; a revoked token is refused on the next request', async () => {
    const token = await warm('gus');
    const me = () => app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect((await me()).statusCode).toBe(200);
    const counter = countRoundTrips(redis);
    try {
      counter.start();
      const res = await me();
      const rounds = counter.stop();
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ agent: { username: 'gus' } });
      expect(rounds.flat().some((c) => c.startsWith('PING'))).toBe(false);
      expect(rounds).toHaveLength(1);
    } finally {
      counter.detach();
    }
    await other.revokeAll('gus');
    const after = await me();
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });

  it('with a token on a route that does not check it (login) still passes the gate: one PING', async () => {
    await store.add({ username: 'hal', roles: ['agent'], password: PW });
    const counter = countRoundTrips(redis);
    try {
      counter.start();
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { authorization: 'Bearer stale-token-of-an-earlier-session' },
        payload: { username: 'hal', password: PW },
      });
      const rounds = counter.stop();
      expect(res.statusCode, res.body).toBe(200);
      expect(rounds[0]).toEqual(['PING']);
    } finally {
      counter.detach();
    }
  });
});
