/** The agent store on a Redis Cluster: every key shares the `{agents}` hash tag, so its scripts run there too. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { startCluster, type RedisCluster } from '../support/redis-cluster.ts';
import { randomPrefix, stopAll, waitReady } from '../support/redis.ts';

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startCluster();
}, 60_000);
afterAll(stopAll);

it('adds, logs in, authenticates and disables on a cluster', async () => {
  const client = cluster.client();
  await waitReady(client);
  const store = new AgentStore(client, randomPrefix());
  const a = await store.add({ username: 'alice', roles: ['agent'], password: 'alice password' });
  await expect(store.add({ username: 'alice', roles: ['agent'], password: 'alice password' })).rejects.toMatchObject({
    code: 'AGENT_EXISTS',
  });
  const login = await store.login('alice', 'alice password');
  expect(await store.authenticate(login?.token ?? '')).toEqual(a);
  expect(await store.list()).toEqual([a]);
  await store.disable('alice');
  expect(await store.authenticate(login?.token ?? '')).toBeNull();
}, 30_000);

it('counts failed logins, locks and unlocks on a cluster (the record shares the {agents} slot)', async () => {
  const client = cluster.client();
  await waitReady(client);
  const store = new AgentStore(client, randomPrefix(), { lockout: { freeFailures: 1, lockAfter: 2, firstWaitMs: 0 } });
  await store.add({ username: 'bob', roles: ['agent'], password: 'bob cluster passphrase' });
  expect(await store.login('bob', 'wrong')).toBeNull();
  expect(await store.login('bob', 'wrong again')).toBeNull();
  await expect(store.login('bob', 'bob cluster passphrase')).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });
  await expect(store.login('nobody', 'x')).resolves.toBeNull();
  expect(await store.unlock('bob')).toBe(true);
  expect(await store.login('bob', 'bob cluster passphrase')).not.toBeNull();
  expect(await store.lockState('bob')).toEqual({ failures: 0, lockedUntil: null });
}, 30_000);
