/**
 * The reports' sync (Redis -> PostgreSQL): the current day is upserted as it keeps changing, a
 * repeat (or a lost position, or two processes at once) copies nothing twice, and the feedback
 * report finds questions the bot missed after the Redis stream dropped them, without the names of
 * customers whose conversations left Redis. Real redis-server and real PostgreSQL.
 */
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveError, createPool, migrate } from '../../src/archive/index.ts';
import { createArchiveReports } from '../../src/archive/reports.ts';
import { streamIdAfter, syncReports } from '../../src/archive/reports-sync.ts';
import { buildReport } from '../../src/console/report.ts';
import { Handoff } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { createKnowledgeService, type KnowledgeService } from '../../src/knowledge/index.ts';
import { usePostgresServer, useRedisServer } from '../support/hooks.ts';
import { entry, makeTree, removeTrees } from '../support/kb-tree.ts';
import type { PostgresServer } from '../support/postgres.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
let pgServer: PostgresServer;
useRedisServer((_s, c) => (redis = c));
usePostgresServer((s) => (pgServer = s));

const MONDAY_10 = Date.parse('2026-11-30T02:00:00Z'); // 10:00 in Shanghai
const clock = { t: MONDAY_10 };
let pool: pg.Pool;
let handoff: Handoff;
let prefix: string;
const sync = (now = clock.t) => syncReports({ pool, redis, prefix, now: () => now });
const count = async (sql: string): Promise<number> => Number((await pool.query(sql)).rows[0].n);

beforeAll(async () => {
  pool = createPool({ url: pgServer.url });
  await migrate(pool);
}, 60_000);
afterAll(async () => {
  await pool?.end();
});
beforeEach(async () => {
  prefix = randomPrefix();
  clock.t = MONDAY_10;
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock.t });
  await handoff.registerBot('botA');
  // Every test starts from an empty archive.
  await pool.query('TRUNCATE day_counters, report_sync, report_days_final, ratings, knowledge_gaps, conversations CASCADE');
});
afterEach(removeTrees);

describe('the reports sync', () => {
  it('upserts the day that keeps changing, and a repeat copies nothing', async () => {
    await handoff.counters.add('botA', clock.t, { conversations: 1 });
    expect(await sync()).toMatchObject({ ran: true, days: 1, counters: 1 });
    await handoff.counters.add('botA', clock.t, { conversations: 2, 'out:answer': 1 });
    expect(await sync()).toMatchObject({ days: 1, counters: 2 });
    const rows = await pool.query("SELECT field, value FROM day_counters WHERE bot_id = 'botA' AND day = '2026-11-30' ORDER BY field");
    expect(rows.rows.map((r) => [r.field, Number(r.value)])).toEqual([
      ['conversations', 3],
      ['out:answer', 1],
    ]);
    expect(await sync()).toMatchObject({ counters: 0, ratings: 0, gaps: 0 });
    // Two days later the day is copied for good: it is not read from Redis again.
    expect((await sync(MONDAY_10 + 2 * 86_400_000)).days).toBe(1);
    expect(await count("SELECT count(*) AS n FROM report_days_final WHERE bot_id = 'botA' AND day = '2026-11-30'")).toBe(1);
    expect((await sync(MONDAY_10 + 2 * 86_400_000)).days).toBe(0);
  });

  it('copies each rating and gap once: again, after losing its position, and from two processes at once', async () => {
    for (let i = 0; i < 25; i++) {
      clock.t += 60_000;
      await handoff.recordRating({ botId: 'botA', customerId: `c${i}` }, (i % 5) + 1);
      // The first one with a NUL pasted in, which PostgreSQL text cannot hold.
      const q = i === 0 ? '问题\u0000 0' : `问题 ${i}`;
      await handoff.recordTurn({ botId: 'botA', customerId: `c${i}` }, { from: 'customer', text: q }, { replies: [{ from: 'bot', text: '?' }], decidedFor: 'bot', outcome: { type: 'unanswered', question: q } });
    }
    const [a, b] = await Promise.all([syncReports({ pool, redis, prefix, batch: 7 }), syncReports({ pool, redis, prefix, batch: 7 })]);
    expect(a.ratings + b.ratings).toBe(25);
    expect(a.gaps + b.gaps).toBe(25);
    expect(await count('SELECT count(*) AS n FROM ratings')).toBe(25);
    expect(await count('SELECT count(*) AS n FROM knowledge_gaps')).toBe(25);
    // A lost position (the bookkeeping row gone) re-reads the streams and inserts nothing twice.
    await pool.query('DELETE FROM report_sync');
    expect(await sync()).toMatchObject({ ratings: 0, gaps: 0 });
    expect(await count('SELECT count(*) AS n FROM ratings')).toBe(25);
    const r = await pool.query("SELECT score, tags, conversation_id FROM ratings ORDER BY at LIMIT 1");
    expect(r.rows[0]).toEqual({ score: 1, tags: [], conversation_id: 'botA.c0' });
    expect((await pool.query("SELECT text FROM knowledge_gaps WHERE conversation_id = 'botA.c0'")).rows).toEqual([{ text: '问题 0' }]);
  });

  it('says PostgreSQL is unreachable, and leaves Redis as it was', async () => {
    await handoff.recordRating({ botId: 'botA', customerId: 'x' }, 5);
    const down = createPool({ url: 'postgres://postgres@127.0.0.1:1/kefu' });
    try {
      const err = await syncReports({ pool: down, redis, prefix }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArchiveError);
      expect((err as ArchiveError).code).toBe('ARCHIVE_UNAVAILABLE');
    } finally {
      await down.end();
    }
    expect(await redis.xlen(handoff.keys.ratings('botA'))).toBe(1);
  });

  it('orders stream ids as numbers', () => {
    expect(streamIdAfter('10-0', '9-5')).toBe(true);
    expect(streamIdAfter('9-5', '9-10')).toBe(false);
    expect(streamIdAfter('9-5', '9-5')).toBe(false);
  });
});

describe('the feedback report from the archive', () => {
  let knowledge: KnowledgeService;
  beforeEach(async () => {
    knowledge = await createKnowledgeService({ dir: await makeTree({ 'billing/refund.md': entry('question: 怎么退款？\ntags: [billing]') }), watch: false });
  });
  afterEach(() => knowledge.close());

  it('finds missed questions the stream dropped, blanks archived customers\' names, and flags what it could not read', async () => {
    const ref = { botId: 'botA', customerId: 'w3', customerName: '王小明' };
    await handoff.recordMessage(ref, { from: 'customer', text: '你好' });
    for (const q of ['我是王小明，你们支持 Linux 吗', '你们支持linux吗？']) {
      await handoff.recordTurn(ref, { from: 'customer', text: q }, { replies: [{ from: 'bot', text: '?' }], decidedFor: 'bot', outcome: { type: 'unanswered', question: q } });
    }
    await sync();
    // The archiver copied the conversation and trimmed it; the gaps stream dropped the entries.
    await pool.query(
      "INSERT INTO conversations (id, bot_id, customer_id, customer_name, status, created_at, updated_at) VALUES ('botA.w3', 'botA', 'w3', '王小明', 'resolved', now(), now())",
    );
    await redis.del(handoff.keys.conversation('botA.w3'));
    await redis.xtrim(handoff.keys.gaps('botA'), 'MAXLEN', 0);

    const opts = { from: '2026-11-30', to: '2026-11-30', timezone: 'Asia/Shanghai' };
    const reports = createArchiveReports({ pool, redis, prefix, timeoutMs: 3_000 });
    const md = (await buildReport(handoff, knowledge, { ...opts, archive: { reports } })).markdown;
    expect(md).toMatch(/\| 1 \| .*linux.* \| 2 \| 2 \/ 0 \/ 0 \|/i);
    expect(md).not.toContain('王小明');
    expect(md).not.toContain('数据不完整');
    // Redis alone has lost them.
    expect((await buildReport(handoff, knowledge, opts)).markdown).toContain('## 机器人答不上来的问题（相似问法归组）\n\n没有记录。');

    await pgServer.stop();
    try {
      const partial = await buildReport(handoff, knowledge, { ...opts, archive: { reports } });
      expect(partial.markdown).toMatch(/> \*\*数据不完整\*\*：归档数据库暂时无法读取，以下日期的数字可能偏少（共 1 天）：2026-11-30/);
    } finally {
      await pgServer.restart();
    }
  }, 60_000);
});
