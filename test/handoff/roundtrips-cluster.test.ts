/**
 * The bot's handoff turn (recordTurn with `handoff`) on a local 3-master Redis Cluster: its script
 * keeps to the bot account's slot, and the other accounts' queues, on other masters, are asked in
 * the same round trip (a CROSSSLOT key would fail the call).
 */
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { conversationId, createRedis, DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { countRoundTrips } from '../support/roundtrips-counter.ts';
import { startCluster, type RedisCluster } from '../support/redis-cluster.ts';
import { randomPrefix, stopAll } from '../support/redis.ts';

const TUESDAY_10 = Date.parse('2026-11-24T10:00:00+08:00');

let cluster: RedisCluster;
let client: Cluster;
/** Three bot accounts whose queues are on three different masters. */
const bots: string[] = [];

beforeAll(async () => {
  cluster = await startCluster();
  client = createRedis({ url: cluster.nodes.map((n) => n.url).join(',') }) as Cluster;
  const keys = new Handoff(client, { prefix: 'probe', policy: DEFAULT_SLA_POLICY }).keys;
  const masters = new Set<string>();
  for (let i = 0; bots.length < 3 && i < 200; i++) {
    const slot = Number(await client.cluster('KEYSLOT', keys.queue(`bot${i}`)));
    const slots = await client.cluster('SLOTS');
    const [, , master] = slots.find(([from, to]) => slot >= from && slot <= to) ?? [];
    if (!master) throw new Error(`slot ${slot} not served`);
    const id = `${master[0]}:${master[1]}`;
    if (masters.has(id)) continue;
    masters.add(id);
    bots.push(`bot${i}`);
  }
  expect(bots).toHaveLength(3);
});

afterAll(async () => {
  client?.disconnect();
  await stopAll();
});

it('a handoff turn on one master counts the customers waiting on the two others, in one round trip', async () => {
  const clock = { t: TUESDAY_10 };
  const h = new Handoff(client, { prefix: randomPrefix(), policy: DEFAULT_SLA_POLICY, now: () => clock.t });
  for (const b of bots) await h.registerBot(b);
  const [mine, ...others] = bots as [string, string, string];
  for (const b of others) {
    await h.recordMessage({ botId: b, customerId: 'w' }, { from: 'customer', text: '人工', msgId: `w-${b}` });
    await h.requestHuman({ botId: b, customerId: 'w' }, { reason: 'customer_asked' });
    clock.t += 60_000;
  }
  const counter = countRoundTrips(client);
  try {
    counter.start();
    const turn = await h.recordTurn(
      { botId: mine, customerId: 'c1', customerName: '顾客' },
      { from: 'customer', text: '转人工', msgId: 'm1' },
      { replies: [], decidedFor: 'bot', handoff: { reason: 'customer_asked', question: '转人工' } },
    );
    const rounds = counter.stop();
    expect(turn).toMatchObject({ status: 'waiting', repliesRecorded: true, ticket: { queued: true, position: 3 } });
    expect(rounds, JSON.stringify(rounds)).toHaveLength(1);
    expect(await h.conversation(conversationId(mine, 'c1'))).toMatchObject({ status: 'waiting', reason: 'customer_asked' });
    expect((await h.totals())['handoff:customer_asked']).toBe(3);
  } finally {
    counter.detach();
  }
});
