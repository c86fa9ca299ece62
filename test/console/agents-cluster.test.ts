/** The agent store on a Redis Cluster: every key shares the `{agents}` hash tag, so its scripts run there too. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { randomPrefix, startCluster, stopAll, waitReady, type RedisCluster } from '../helpers/redis.ts';

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
