/**
 * The archiver against a real redis-server and a real PostgreSQL: the copy is complete and
 * idempotent, a trim happens only after the commit and only of what did not change since, a crash
 * at either step duplicates and loses nothing, and PostgreSQL stopped mid-run pauses archiving
 * (nothing trimmed) until it is back.
 */
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ArchiveError, type ArchiveService } from '../../src/archive/index.ts';
import { ALICE, bringTo, ref } from '../support/handoff-fixture.ts';
import { useRedisServer, usePostgresServer } from '../support/hooks.ts';
import type { PostgresServer } from '../support/postgres.ts';
import { ROOT, ScriptProcess } from '../support/processes.ts';
import type { RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';
import { archivedRows, archiveEnv, DAY_MS, type ArchiveEnv } from './helpers.ts';

let redis: Redis;
let redisServer: RedisServer;
let server: PostgresServer;
useRedisServer((s, client) => {
  redisServer = s;
  redis = client;
});
usePostgresServer((s) => (server = s));

const open: ArchiveService[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()));
});

async function setup(opts: Parameters<typeof archiveEnv>[2] = {}): Promise<ArchiveEnv> {
  const e = await archiveEnv(redis, server.url, opts);
  open.push(e.archive);
  return e;
}

/** Everything Redis holds of one conversation. */
async function redisOf(e: ArchiveEnv, id: string): Promise<{ hash: Record<string, string>; transcript: number; msgIds: number }> {
  const k = e.h.keys;
  const [hash, transcript, msgIds] = await Promise.all([redis.hgetall(k.conversation(id)), redis.xlen(k.transcript(id)), redis.hlen(k.msgIds(id))]);
  return { hash, transcript, msgIds };
}

describe('archiver: the copy', () => {
  it('copies every conversation and transcript message, with search terms, and a second run changes no row', async () => {
    const e = await setup();
    const pool = server.pool();
    const resolved = await bringTo(e, ref('c1', e.botId), 'resolved');
    const waiting = await bringTo(e, ref('c2', e.botId), 'waiting');
    const active = await bringTo(e, ref('c3', e.botId), 'active');
    await e.h.recordMessage(ref('c3', e.botId), { from: 'customer', text: '订单号 8848 的快递还没到', msgId: 'wx-1' });

    const first = await e.archive.runOnce();
    expect(first.fullPasses).toBe(1);
    expect(first.conversations).toBe(3);
    const rows = await archivedRows(pool, e.botId);
    expect(rows.conversations.map((c) => [c.id, c.status])).toEqual([
      [resolved, 'resolved'],
      [waiting, 'waiting'],
      [active, 'active'],
    ]);
    // Every transcript entry, with its stream id, in order.
    for (const id of [resolved, waiting, active]) {
      const entries = await redis.xrange(e.h.keys.transcript(id), '-', '+');
      const copied = rows.messages.filter((m) => m.conversation_id === id);
      expect(copied.map((m) => m.id)).toEqual(entries.map(([entryId]) => entryId));
      const conv = rows.conversations.find((c) => c.id === id)!;
      expect(conv.last_msg_id).toBe(entries.at(-1)![0]);
      expect(conv.data).toEqual(await redis.hgetall(e.h.keys.conversation(id)));
    }
    expect(first.messages).toBe(rows.messages.length);
    const parcel = rows.messages.find((m) => String(m.text).startsWith('订单号'))!;
    expect(parcel.search).toContain('8848');
    expect(parcel.search).toMatch(/快递/);
    expect(rows.conversations.find((c) => c.id === active)!.search).toContain('c3');

    // Again: nothing new, and no row rewritten (same xmin).
    const second = await e.archive.runOnce();
    expect(second).toMatchObject({ conversations: 0, messages: 0, fullPasses: 0 });
    expect(await archivedRows(pool, e.botId)).toEqual(rows);
    // A full pass over the same (the cursor lost): every conversation read again, none rewritten.
    await pool.query('DELETE FROM archive_cursors WHERE bot_id = $1', [e.botId]);
    expect(await e.archive.runOnce()).toMatchObject({ conversations: 0, messages: 0, fullPasses: 1 });
    expect(await archivedRows(pool, e.botId)).toEqual(rows);

    // A new message: only it, and its conversation, are written.
    e.clock.advance(60_000);
    await e.h.reply(active, ALICE, '正在为您查询');
    const third = await e.archive.runOnce();
    expect(third).toMatchObject({ conversations: 1, messages: 1 });
    const after = await archivedRows(pool, e.botId);
    expect(after.messages).toHaveLength(rows.messages.length + 1);
    expect(after.conversations.filter((c, i) => c.xmin !== rows.conversations[i]!.xmin).map((c) => c.id)).toEqual([active]);
  });

  it('copies everything after the events stream was trimmed past the copy (a full pass)', async () => {
    const e = await setup({ streamMaxLen: 10 });
    const first = await bringTo(e, ref('x0', e.botId), 'waiting');
    await e.archive.runOnce();
    // Far more events than the stream keeps: the ones after the cursor are gone before the next run.
    for (let i = 1; i <= 60; i++) {
      const r = ref(`x${i}`, e.botId);
      await e.h.recordMessage(r, { from: 'customer', text: `第 ${i} 个问题` });
      await e.h.recordMessage(r, { from: 'customer', text: `补充 ${i}` });
      await e.h.recordMessage(r, { from: 'customer', text: `再补充 ${i}` });
    }
    expect(await redis.xlen(e.h.keys.events(e.botId))).toBeLessThan(180);
    const run = await e.archive.runOnce();
    expect(run.fullPasses).toBe(1);
    const rows = await archivedRows(server.pool(), e.botId);
    expect(rows.conversations).toHaveLength(61);
    expect(rows.messages.filter((m) => m.conversation_id !== first)).toHaveLength(180);
  });

  it('leaves a bot account to the process holding its lock', async () => {
    const e = await setup();
    await bringTo(e, ref('l1', e.botId), 'waiting');
    await redis.set(e.h.keys.archiveLock(e.botId), 'another-process', 'PX', 60_000);
    const run = await e.archive.runOnce();
    expect(run).toMatchObject({ bots: 0, busy: 1, conversations: 0 });
    expect((await archivedRows(server.pool(), e.botId)).conversations).toHaveLength(0);
    await redis.del(e.h.keys.archiveLock(e.botId));
    expect((await e.archive.runOnce()).conversations).toBe(1);
    // The lock is let go after the run.
    expect(await redis.exists(e.h.keys.archiveLock(e.botId))).toBe(0);
  });
});

describe('archiver: retention and the trim', () => {
  it('trims resolved conversations and idle chats with the bot past the window from Redis after the commit, and keeps the rest', async () => {
    const e = await setup({ retentionDays: 7 });
    const pool = server.pool();
    const old = await bringTo(e, ref('t1', e.botId), 'resolved');
    const waitingOld = await bringTo(e, ref('t2', e.botId), 'waiting');
    // A chat the bot answered alone is never resolved: idle past the window, it leaves Redis too.
    await e.h.recordMessage(ref('t5', e.botId), { from: 'customer', text: '怎么退款', msgId: 'wx-t5' });
    const botOld = `${e.botId}.t5`;
    e.clock.advance(6 * DAY_MS);
    const young = await bringTo(e, ref('t3', e.botId), 'resolved');
    await e.h.recordMessage(ref('t6', e.botId), { from: 'customer', text: '发票怎么开', msgId: 'wx-t6' });
    const botYoung = `${e.botId}.t6`;
    e.clock.advance(1 * DAY_MS + 60_000);
    const msgs = (await archivedRows(pool, e.botId)).messages.length;
    expect(msgs).toBe(0);

    const run = await e.archive.runOnce();
    expect(run.trimmed).toBe(2);
    expect(await redisOf(e, old)).toEqual({ hash: {}, transcript: 0, msgIds: 0 });
    expect(await redisOf(e, botOld)).toEqual({ hash: {}, transcript: 0, msgIds: 0 });
    expect((await redisOf(e, waitingOld)).hash.status).toBe('waiting');
    expect((await redisOf(e, young)).hash.status).toBe('resolved');
    expect((await redisOf(e, botYoung)).hash.status).toBe('bot');
    const rows = await archivedRows(pool, e.botId);
    const trimmed = rows.conversations.find((c) => c.id === old)!;
    expect(trimmed.trimmed_at).toBeInstanceOf(Date);
    expect(rows.messages.filter((m) => m.conversation_id === old).length).toBeGreaterThan(3);
    expect(e.archive.status()).toMatchObject({ up: true, trimmed: 2 });
    // Nothing more to do.
    expect(await e.archive.runOnce()).toMatchObject({ trimmed: 0, conversations: 0, messages: 0 });
  });

  it('trims nothing whose copy did not commit', async () => {
    const e = await setup();
    const pool = server.pool();
    const id = await bringTo(e, ref('f1', e.botId), 'resolved');
    e.clock.advance(8 * DAY_MS);
    // PostgreSQL refuses this batch (as a full disk or a constraint would): the transaction rolls back whole.
    await pool.query(`CREATE OR REPLACE FUNCTION refuse_${e.botId}() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql`);
    await pool.query(`CREATE TRIGGER refuse_${e.botId} BEFORE INSERT ON messages FOR EACH ROW WHEN (NEW.conversation_id = '${id}') EXECUTE FUNCTION refuse_${e.botId}()`);
    await expect(e.archive.runOnce()).rejects.toThrow(/disk full/);
    expect((await redisOf(e, id)).hash.status).toBe('resolved');
    expect((await archivedRows(pool, e.botId)).conversations).toHaveLength(0);
    await pool.query(`DROP TRIGGER refuse_${e.botId} ON messages`);
    expect((await e.archive.runOnce()).trimmed).toBe(1);
    expect((await redisOf(e, id)).hash).toEqual({});
  });

  it('keeps a conversation that changed between the copy and the trim, and trims it once copied again', async () => {
    let change: (() => Promise<unknown>) | undefined;
    const e = await setup({ tuning: { onStep: async (step) => void (step === 'copied' && change ? await change().finally(() => (change = undefined)) : undefined) } });
    const pool = server.pool();
    const noted = await bringTo(e, ref('k1', e.botId), 'resolved');
    const rated = await bringTo(e, ref('k2', e.botId), 'resolved');
    e.clock.advance(8 * DAY_MS);
    // Right after the commit: a note in one transcript (the stream grows), a low rating on the other
    // hash (one field, updatedAt untouched).
    change = async () => {
      await e.h.note(noted, ALICE, '客户说下周再联系');
      await e.h.recordRating(ref('k2', e.botId), 1);
    };
    const run = await e.archive.runOnce();
    expect(run.trimmed).toBe(0);
    expect((await redisOf(e, noted)).hash.status).toBe('resolved');
    expect((await redisOf(e, rated)).hash.lowRating).toBe('1');
    // Both were copied again at once; the next run trims them with the change archived.
    const rows = await archivedRows(pool, e.botId);
    expect(rows.conversations.every((c) => c.trimmed_at === null)).toBe(true);
    expect(rows.messages.some((m) => m.text === '客户说下周再联系')).toBe(true);
    expect((rows.conversations.find((c) => c.id === rated)!.data as Record<string, string>).lowRating).toBe('1');
    // The rating left updatedAt alone: trimmed now. The note is a change: the window starts again.
    expect((await e.archive.runOnce()).trimmed).toBe(1);
    expect((await redisOf(e, rated)).hash).toEqual({});
    expect((await redisOf(e, noted)).hash.status).toBe('resolved');
    e.clock.advance(7 * DAY_MS + 60_000);
    expect((await e.archive.runOnce()).trimmed).toBe(1);
    expect((await redisOf(e, noted)).hash).toEqual({});
  });
});

describe('archiver: crashes and outages', () => {
  it('a crash between the commit and the trim, and one between the trim and its mark, duplicate and lose nothing', async () => {
    let crashAt: string | undefined;
    const e = await setup({
      tuning: {
        onStep: (step) => {
          if (step === crashAt) throw new Error(`crash at ${step}`);
        },
      },
    });
    const pool = server.pool();
    const id = await bringTo(e, ref('r1', e.botId), 'resolved');
    e.clock.advance(8 * DAY_MS);

    crashAt = 'copied';
    await expect(e.archive.runOnce()).rejects.toThrow('crash at copied');
    const committed = await archivedRows(pool, e.botId);
    expect(committed.messages.length).toBe(await redis.xlen(e.h.keys.transcript(id)));
    expect((await redisOf(e, id)).hash.status).toBe('resolved');

    crashAt = 'trimmed-redis';
    await expect(e.archive.runOnce()).rejects.toThrow('crash at trimmed-redis');
    expect((await redisOf(e, id)).hash).toEqual({});
    expect((await archivedRows(pool, e.botId)).conversations[0]!.trimmed_at).toBeNull();

    crashAt = undefined;
    const after = await e.archive.runOnce();
    expect(after).toMatchObject({ conversations: 0, messages: 0 });
    const rows = await archivedRows(pool, e.botId);
    expect(rows.conversations[0]!.trimmed_at).toBeInstanceOf(Date);
    // The same messages, none twice, none rewritten.
    expect(rows.messages).toEqual(committed.messages);
  });

  it('an archiver SIGKILLed after its commit: its lock expires, and the next run trims with nothing copied twice', async () => {
    const e = await setup();
    const pool = server.pool();
    const id = await bringTo(e, ref('s1', e.botId), 'resolved');
    e.clock.advance(8 * DAY_MS);
    const child = new ScriptProcess({
      name: 'archiver',
      script: path.join(ROOT, 'test/archive/archive-process.ts'),
      cwd: ROOT,
      env: { DATABASE_URL: server.url, REDIS_URL: redisServer.url, REDIS_PREFIX: e.prefix, ARCHIVE_NOW: String(e.clock.t), ARCHIVE_KILL_AT: 'copied' },
    });
    await child.exited;
    expect(child.proc.signalCode, child.stderr).toBe('SIGKILL');
    expect(child.lines).toEqual([{ event: 'killing', step: 'copied' }]);
    const committed = await archivedRows(pool, e.botId);
    expect(committed.messages.length).toBe(await redis.xlen(e.h.keys.transcript(id)));
    expect((await redisOf(e, id)).hash.status).toBe('resolved');
    // The dead process's lock holds the account until it expires.
    expect(await e.archive.runOnce()).toMatchObject({ busy: 1, trimmed: 0 });
    await waitFor('the dead archiver\'s lock to expire', async () => (await redis.exists(e.h.keys.archiveLock(e.botId))) === 0, { timeout: 5_000 });
    expect(await e.archive.runOnce()).toMatchObject({ busy: 0, trimmed: 1, conversations: 0, messages: 0 });
    expect((await redisOf(e, id)).hash).toEqual({});
    expect((await archivedRows(pool, e.botId)).messages).toEqual(committed.messages);
  });

  it('PostgreSQL stopped during a run: nothing is trimmed, the status says down, and it recovers after a restart', async () => {
    let stopNow = false;
    const e = await setup({
      tuning: {
        onStep: async (step) => {
          if (step === 'copied' && stopNow) {
            stopNow = false;
            await server.stop();
          }
        },
      },
    });
    const id = await bringTo(e, ref('p1', e.botId), 'resolved');
    e.clock.advance(8 * DAY_MS);
    stopNow = true;
    try {
      const err = await e.archive.runOnce().catch((x: unknown) => x);
      expect(err).toBeInstanceOf(ArchiveError);
      expect((err as ArchiveError).code).toBe('ARCHIVE_UNAVAILABLE');
      const status = e.archive.status();
      expect(status.up).toBe(false);
      expect(status.error).toBeTruthy();
      expect((await redisOf(e, id)).hash.status).toBe('resolved');
      // Still down: the next run fails the same way and trims nothing; the reads say so too.
      await expect(e.archive.runOnce()).rejects.toMatchObject({ code: 'ARCHIVE_UNAVAILABLE' });
      await expect(e.archive.messages(id)).rejects.toMatchObject({ code: 'ARCHIVE_UNAVAILABLE' });
      expect((await redisOf(e, id)).transcript).toBeGreaterThan(0);
    } finally {
      await server.restart();
    }
    const run = await e.archive.runOnce();
    expect(run.trimmed).toBe(1);
    expect(e.archive.status()).toMatchObject({ up: true, trimmed: 1 });
    expect(e.archive.status().error).toBeUndefined();
    expect((await redisOf(e, id)).hash).toEqual({});
    expect((await e.archive.messages(id)).length).toBeGreaterThan(3);
  });
});
