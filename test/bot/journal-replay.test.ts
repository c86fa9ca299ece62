/**
 * Issue 11: the bot's journal of unconfirmed Redis writes, replayed at start, must never write
 * anything twice. The worst case for that is a journal whose every entry did reach Redis (the
 * process died after Redis ran the writes and before it saw the replies): replaying it must change
 * nothing, for every kind of write the bot journals (a customer turn, the bot's own lines, a
 * handoff request, a rating, and a customer the bot had not identified yet).
 *
 * The real Wechaty runtime on wechaty-puppet-mock and a real redis-server with an AOF (./harness.ts).
 * That entries which never reached Redis are written exactly once after a SIGKILL is shown with real
 * processes in ./journal-fault.test.ts.
 */
import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalName } from '../../src/bot/journal.ts';
import { conversationId } from '../../src/handoff/index.ts';
import { startHarness, type Harness, type MockCustomer } from '../support/bot.ts';
import { useRedisServer } from '../support/hooks.ts';
import type { RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s), { appendonly: true, appendfsync: 'always' });

let dir: string;
const harnesses: Harness[] = [];
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-journal-replay-'));
});
afterAll(async () => {
  for (const h of harnesses) await h.stop().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

const ALICE = { id: 'alice', name: 'Alice' };
const BOT_ID = 'jbot';
const journalSize = (file: string): number => (existsSync(file) ? statSync(file).size : 0);

describe('journal replay', () => {
  it('replaying writes that had all reached Redis changes nothing: transcripts, queue, ratings and counters stay as they are', async () => {
    const a = await startHarness(server.url, { botId: BOT_ID, journalDir: dir });
    harnesses.push(a);
    const file = path.join(dir, `${journalName(BOT_ID, a.prefix)}.jsonl`);

    // Before the outage: X is known to the bot; Y's chat was answered by an agent and resolved.
    const x = a.customer({ name: '客户X' });
    x.say('你好');
    await x.hears(a.messages.greeting);
    const y = a.customer({ name: '客户Y' });
    y.say('转人工');
    await y.hears(/排第 \d+ 位/);
    const yConv = await y.conversationId();
    await a.handoff.claim(yConv, ALICE);
    await a.handoff.reply(yConv, ALICE, '已经帮您处理好了');
    await a.handoff.resolve(yConv, { by: ALICE.id });
    await y.hears(a.messages.resolved);
    await waitFor('the journal to be empty', () => journalSize(file) === 0);

    // Redis away: every kind of write waits in the client's offline queue and in the journal.
    await server.stop();
    await waitFor('the bot to notice', () => a.redis.status !== 'ready');
    const heard = (c: MockCustomer) => c.heard.length;
    let n = heard(x);
    x.say('发票');
    await x.hears(a.messages.feedback_question, n);
    n = heard(x);
    x.say('转人工');
    await x.hears(a.messages.delay_notice, n);
    n = heard(y);
    y.say('5');
    await y.hears(a.messages.rating_thanks_high, n);
    const z = a.customer({ name: '客户Z' });
    z.say('你好');
    await z.hears(a.messages.greeting);

    const saved = path.join(dir, 'saved.jsonl');
    copyFileSync(file, saved);
    const entries = readFileSync(saved, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { data?: { op: { kind: string }; ref?: unknown; contact?: { name: string } } })
      .filter((e) => e.data);
    expect(new Set(entries.map((e) => e.data!.op.kind))).toEqual(new Set(['turn', 'message', 'rating']));
    // Z had no customer id yet: the entry carries the contact, for the identity to resolve later.
    expect(entries.some((e) => e.data!.contact?.name === '客户Z' && !e.data!.ref)).toBe(true);

    // Redis back: the offline queue delivers everything; Redis confirms, and the journal empties.
    await server.restart();
    await waitFor('the journal to be empty again', () => journalSize(file) === 0, 10_000);
    const xConv = await x.conversationId();
    const zConv = await z.conversationId();
    const state = async (h: Harness) => ({
      transcripts: await Promise.all([xConv, yConv, zConv].map((id) => h.handoff.transcript(id))),
      conversations: (await Promise.all([xConv, yConv, zConv].map((id) => h.handoff.conversation(id)))).map((c) => c && { ...c, updatedAt: '' }),
      ratings: await h.handoff.ratings(0, Date.now() + 60_000),
      totals: await h.handoff.totals(),
      waiting: (await h.handoff.listWaiting()).map((c) => c.id),
      identities: await h.redis.hgetall(h.handoff.keys.identity(BOT_ID)),
    });
    const before = await state(a);
    expect(before.waiting).toEqual([xConv]);
    expect(before.ratings.map((r) => [r.conv, r.score])).toEqual([[yConv, 5]]);
    expect(before.transcripts[0]!.filter((m) => m.from === 'customer').map((m) => m.text)).toEqual(['你好', '发票', '转人工']);
    expect(before.transcripts[2]!.filter((m) => m.from === 'customer').map((m) => m.text)).toEqual(['你好']);
    expect(zConv).toBe(conversationId(BOT_ID, before.identities[`c:${z.id}`]!));

    // The process "died" before it saw Redis's replies: the next one finds the whole journal.
    await a.stop();
    harnesses.splice(harnesses.indexOf(a), 1);
    copyFileSync(saved, file);
    const b = await startHarness(server.url, { botId: BOT_ID, journalDir: dir }, { prefix: a.prefix });
    harnesses.push(b);
    await waitFor('the replay to be confirmed', () => journalSize(file) === 0, 10_000);
    const after = await state(b);
    // The new login is one more identity epoch; nothing else changed.
    expect(Number(after.identities.epoch)).toBe(Number(before.identities.epoch) + 1);
    expect({ ...after, identities: { ...after.identities, epoch: '' } }).toEqual({ ...before, identities: { ...before.identities, epoch: '' } });
  });
});
