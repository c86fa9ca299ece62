/**
 * Tags the model applies by itself carry the knowledge base's Chinese names (_tags.yml), like its
 * suggestions: trained on a history tagged with the ids (real redis-server), the tag applied is the
 * name; a conversation that already has the id has the tag (no doubles), a record of the id applied
 * before names keeps it from coming back, and the table counts applications under the model's tag.
 */
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { Handoff } from '../../src/handoff/index.ts';
import { createKeys } from '../../src/handoff/keys.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { TagSuggester } from '../../src/tagging/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';
import { playConversation, trainSet } from '../support/tagging.ts';

let redis: Redis;
useRedisServer((_s, c) => (redis = c));

const AGENT = { id: 'alice', name: 'Alice' };
/** The ids the history was tagged with, as _tags.yml names them. */
const NAMES: Record<string, string> = { recording: '录制问题', invoice: '发票', export: '导出', login: '账号登录', refund: '退款', vip: '会员购买', device: '设备授权', complaint: '投诉' };
const ID_OF = Object.fromEntries(Object.entries(NAMES).map(([id, name]) => [name, id]));
const SOUND = { customer: ['录屏没有声音', '电脑里的声音录不进去'], agent: [], faqIds: ['no-sound'] };

let tagging: TagSuggester;
beforeAll(async () => {
  const prefix = randomPrefix();
  const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  for (const c of trainSet()) await playConversation(handoff, { ...c, tags: c.tags.map((t) => ID_OF[t] ?? t) }, AGENT);
  tagging = new TagSuggester({ redis, keys: createKeys(prefix), bots: () => handoff.bots(), tagLabel: (t) => NAMES[t] ?? t });
  expect(await tagging.retrain(null)).not.toBeNull();
}, 60_000);

describe('auto-applied tags by name', () => {
  it('applies the Chinese name, not the id', async () => {
    const s = await tagging.suggest('botA.fresh', SOUND, []);
    expect(s.autoApply).toEqual(['录制问题']);
    expect(s.items.map((i) => i.tag)).not.toContain('录制问题');
  });

  it('a conversation that has the id (or the name) already has the tag', async () => {
    expect((await tagging.suggest('botA.hasId', SOUND, ['recording'])).autoApply).toEqual([]);
    expect((await tagging.suggest('botA.hasName', SOUND, ['录制问题'])).autoApply).toEqual([]);
  });

  it('applied once, by name or by id before names: never again; counted under the model\'s tag', async () => {
    await tagging.markApplied('botA.byName', ['录制问题']);
    expect((await tagging.suggest('botA.byName', SOUND, [])).autoApply).toEqual([]);
    await tagging.store.markApplied('botA.byId', ['recording'], Date.now());
    expect((await tagging.suggest('botA.byId', SOUND, [])).autoApply).toEqual([]);
    const row = (await tagging.quality()).items.find((q) => q.tag === 'recording')!;
    expect(row.appliedCount).toBe(1);
  });
});
