/**
 * The record of automatically applied tags is bounded (real redis-server): a hard cap drops the
 * oldest records first, each training drops the records nothing reads any more (conversations that
 * left Redis beyond the training's archive window), and what is still needed stays: every record of a
 * conversation still in Redis however old (an agent who removed an applied tag keeps it removed), the
 * newest `historyLimit` of the others (training keeps applied tags out of its labels), a record
 * tagged again while a training decided, and both of two applications at once.
 */
import type { Redis } from 'ioredis';
import { beforeEach, describe, expect, it } from 'vitest';
import { Handoff } from '../../src/handoff/index.ts';
import { createKeys } from '../../src/handoff/keys.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { TaggingStore, TagSuggester } from '../../src/tagging/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';
import { playConversation, trainSet } from '../support/tagging.ts';

let redis: Redis;
useRedisServer((_s, c) => (redis = c));

const DAY = 86_400_000;
const AGENT = { id: 'alice', name: 'Alice' };
let prefix: string;
beforeEach(() => {
  prefix = randomPrefix();
});

const keys = () => createKeys(prefix);
const sizes = async () => ({ hash: await redis.hlen(keys().tagging.applied()), index: await redis.zcard(keys().tagging.appliedAt()) });
const memory = async () => Number(await redis.call('MEMORY', 'USAGE', keys().tagging.applied(), 'SAMPLES', '0'));
const ids = (from: number, to: number, tag = 'gone') => Array.from({ length: to - from }, (_, i) => `botA.${tag}${String(from + i).padStart(5, '0')}`);

describe('the hard cap', () => {
  it('holds however many conversations get tags: the oldest go, the size and memory stop growing', async () => {
    const store = new TaggingStore(redis, keys(), 200);
    const t0 = Date.parse('2026-12-01T00:00:00Z');
    const all = ids(0, 3_000);
    let atThousand = 0;
    for (const [i, id] of all.entries()) {
      await store.markApplied(id, ['退款'], t0 + i * 1_000);
      if (i === 999) {
        expect(await sizes()).toEqual({ hash: 200, index: 200 });
        atThousand = await memory();
      }
    }
    expect(await sizes()).toEqual({ hash: 200, index: 200 });
    // 3x the conversations, the same memory (within the allocator's slack).
    expect(atThousand).toBeGreaterThan(0);
    expect(await memory()).toBeLessThanOrEqual(atThousand * 1.1);
    const kept = (await store.appliedRecords()).map((r) => r.id).sort();
    expect(kept).toEqual(all.slice(-200));
  });

  it('a conversation tagged again is fresh again (and its tags merge); two applications at once keep both', async () => {
    const store = new TaggingStore(redis, keys(), 3);
    await store.markApplied('botA.a', ['退款'], 1_000);
    await store.markApplied('botA.b', ['发票'], 2_000);
    await store.markApplied('botA.c', ['发票'], 3_000);
    await store.markApplied('botA.a', ['发票', '退款'], 4_000);
    await store.markApplied('botA.d', ['导出'], 5_000);
    // b was the oldest once a was tagged again.
    expect((await store.appliedRecords()).map((r) => r.id).sort()).toEqual(['botA.a', 'botA.c', 'botA.d']);
    expect(await store.appliedTo('botA.a')).toEqual(['退款', '发票']);

    await Promise.all([store.markApplied('botA.e', ['退款'], 6_000), store.markApplied('botA.e', ['投诉'], 6_000)]);
    expect((await store.appliedTo('botA.e')).sort()).toEqual(['投诉', '退款']);
  });

  it('forgets a record only as it was read: one tagged again meanwhile stays', async () => {
    const store = new TaggingStore(redis, keys());
    await store.markApplied('botA.x', ['退款'], 1_000);
    await store.markApplied('botA.y', ['退款'], 1_000);
    const read = await store.appliedRecords();
    await store.markApplied('botA.y', ['发票'], 2_000);
    expect(await store.forgetApplied(read)).toBe(1);
    expect((await store.appliedRecords()).map((r) => [r.id, r.tags, r.at])).toEqual([['botA.y', ['退款', '发票'], 2_000]]);
  });
});

describe('each training drops what nothing reads any more', () => {
  it('keeps every live conversation\'s record (however old) and the newest historyLimit of the rest, day after day', async () => {
    const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
    const live: string[] = [];
    for (const c of trainSet().slice(0, 24)) live.push(await playConversation(handoff, c, AGENT));
    let now = Date.parse('2026-12-01T00:00:00Z');
    const HISTORY = 10;
    const tagging = new TagSuggester({ redis, keys: keys(), bots: () => handoff.bots(), historyLimit: HISTORY, now: () => now });

    // Live conversations tagged long ago, one recorded before the index existed (no time).
    const start = now;
    for (const id of live.slice(0, 5)) await tagging.store.markApplied(id, ['自动标签'], start - 60 * DAY);
    await redis.hset(keys().tagging.applied(), live[5]!, JSON.stringify(['旧记录']));
    // Conversations that left Redis (trimmed to the archive), one old record without a time among them.
    await redis.hset(keys().tagging.applied(), 'botA.legacy-gone', JSON.stringify(['旧记录']));
    let next = 0;
    const goneOnDay = async (n: number) => {
      for (const id of ids(next, next + n)) await tagging.store.markApplied(id, ['退款'], (now += 1_000));
      next += n;
    };
    await goneOnDay(25);

    expect(await tagging.retrain(null)).not.toBeNull();
    const after = await tagging.store.appliedRecords();
    const byId = new Map(after.map((r) => [r.id, r]));
    for (const id of live.slice(0, 6)) expect(byId.has(id), id).toBe(true);
    // Older than every record that was dropped: age alone never drops a live chat's record.
    expect(byId.get(live[0]!)!.at).toBe(start - 60 * DAY);
    // The record from before the index got a time, so the cap can weigh it from now on.
    expect(byId.get(live[5]!)!.at).toBe(now);
    expect(after.filter((r) => r.id.includes('.gone')).map((r) => r.id).sort()).toEqual(ids(15, 25));
    expect(byId.has('botA.legacy-gone')).toBe(false);
    expect(await sizes()).toEqual({ hash: 6 + HISTORY, index: 6 + HISTORY });

    // What suggestions read for a live chat is intact: its applied tags are not applied again.
    const s = await tagging.suggest(live[0]!, { customer: ['退款'], agent: [], faqIds: [] }, []);
    expect(s.applied).toContain('自动标签');
    expect(s.autoApply).not.toContain('自动标签');

    // Days go by: 40 more chats a day leave Redis with tags applied; the record stays at its bound.
    for (let day = 1; day <= 5; day++) {
      now += DAY;
      await goneOnDay(40);
      expect(await tagging.retrain(null)).not.toBeNull();
      expect(await sizes()).toEqual({ hash: 6 + HISTORY, index: 6 + HISTORY });
    }
    const gone = (await tagging.store.appliedRecords()).filter((r) => r.id.includes('.gone')).map((r) => r.id).sort();
    expect(gone).toEqual(ids(next - HISTORY, next));

    // A live conversation that is resolved and trimmed later is then weighed like the others.
    await redis.del(keys().conversation(live[1]!));
    now += DAY;
    await goneOnDay(HISTORY);
    await tagging.retrain(null);
    expect((await tagging.store.appliedTo(live[1]!)).length).toBe(0);
    expect((await tagging.store.appliedTo(live[0]!)).length).toBe(1);
  });
});
