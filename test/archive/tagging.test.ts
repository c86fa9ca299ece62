/**
 * The tag model learns from the archive too: conversations trimmed from Redis to PostgreSQL keep
 * their tags and messages for training (real redis-server, real PostgreSQL).
 */
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TagSuggester } from '../../src/tagging/index.ts';
import { useRedisServer, usePostgresServer } from '../support/hooks.ts';
import type { PostgresServer } from '../support/postgres.ts';
import { playConversation, trainSet } from '../support/tagging.ts';
import { archiveEnv, DAY_MS, type ArchiveEnv } from './helpers.ts';

let redis: Redis;
let server: PostgresServer;
useRedisServer((_s, client) => (redis = client));
usePostgresServer((s) => (server = s));

let e: ArchiveEnv;
beforeEach(async () => {
  e = await archiveEnv(redis, server.url);
});
afterEach(async () => {
  await e.archive.close();
});

const AGENT = { id: 'alice', name: 'Alice' };

describe('tagged history in the archive', () => {
  it('gives the tagged conversations with their messages, and training reads them once they left Redis', async () => {
    const set = trainSet().slice(0, 40);
    for (const c of set) await playConversation(e.h, c, AGENT, { botId: e.botId });
    // One untagged conversation: not history for the model.
    await playConversation(e.h, { id: 'untagged', customer: ['你好'], agent: ['您好'], faqIds: [] }, AGENT, { botId: e.botId });
    await e.archive.runOnce();
    e.clock.advance(8 * DAY_MS);
    expect((await e.archive.runOnce()).trimmed).toBe(41);

    const tagged = await e.archive.taggedConversations(100);
    const mine = tagged.filter((c) => c.id.startsWith(`${e.botId}.`));
    expect(mine.length).toBe(40);
    const first = mine.find((c) => c.id === `${e.botId}.${set[0]!.id}`)!;
    expect(first.tags).toEqual([...set[0]!.tags]);
    expect(first.messages.filter((m) => m.from === 'customer').map((m) => m.text)).toEqual(set[0]!.customer);
    expect(first.messages.filter((m) => m.faqId).map((m) => m.faqId)).toEqual(set[0]!.faqIds);

    const bots = async () => [e.botId];
    const withoutArchive = await new TagSuggester({ redis, keys: e.h.keys, bots }).retrain('mia');
    expect(withoutArchive!.history).toBe(0);
    const withArchive = await new TagSuggester({ redis, keys: e.h.keys, bots, archive: { taggedConversations: async (n) => (await e.archive.taggedConversations(n)).filter((c) => c.id.startsWith(`${e.botId}.`)) } }).retrain('mia');
    expect(withArchive!.history).toBe(40);
    expect(withArchive!.counts[set[0]!.tags[0]!]).toBeGreaterThan(0);
  });
});
