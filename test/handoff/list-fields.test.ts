/**
 * Lists read only the fields a Conversation shows (queries.ts CONVERSATION_FIELDS, HMGET instead of
 * HGETALL, for the queue page's speed): a list row must equal the conversation read on its own,
 * field by field, in every status, and an agent's own chats are picked among everyone's.
 */
import type { Redis } from 'ioredis';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
useRedisServer((_s, client) => (redis = client));
let h: Handoff;
beforeEach(async () => {
  h = new Handoff(redis, { prefix: randomPrefix(), policy: DEFAULT_SLA_POLICY });
  await h.registerBot('b1');
});

const ref = (c: string) => ({ botId: 'b1', customerId: c, customerName: `客户 ${c}` });
const alice = { id: 'alice', name: 'Alice' };
const bob = { id: 'bob', name: 'Bob' };

describe('conversation lists', () => {
  it('show each conversation exactly as it reads on its own, in every listed status', async () => {
    for (const c of ['w1', 'w2', 'a1', 'a2', 'p1']) {
      await h.recordMessage(ref(c), { from: 'customer', text: `问题 ${c}` });
      await h.requestHuman(ref(c), { reason: 'customer_asked', question: `问题 ${c}` });
    }
    await h.claim('b1.a1', alice);
    await h.claim('b1.a2', bob);
    await h.setTags('b1.a1', ['退款', 'VIP']);
    await h.claim('b1.p1', alice);
    const problem = await h.problems.create({ title: '导出失败', by: alice });
    await h.problems.link('b1.p1', problem.id, alice);

    const lists = [await h.listWaiting(10), await h.list('active'), await h.list('awaiting_fix')];
    expect(lists.map((l) => l.map((c) => c.id).sort())).toEqual([['b1.w1', 'b1.w2'], ['b1.a1', 'b1.a2'], ['b1.p1']]);
    for (const row of lists.flat()) expect(row).toEqual(await h.conversation(row.id));
    expect(lists[1]!.find((c) => c.id === 'b1.a1')!.tags).toEqual(['退款', 'VIP']);
    // One agent's chats among everyone's, newest first.
    expect((await h.list('active', { assigneeId: 'bob' })).map((c) => c.id)).toEqual(['b1.a2']);
    expect((await h.list('active', { limit: 1 })).map((c) => c.id)).toHaveLength(1);
  });
});
