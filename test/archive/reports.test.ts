/**
 * Reports over any range: a 90-day funnel and satisfaction with days only in the archive, days
 * only in Redis and days in both add up exactly (nothing counted twice); ratings trimmed from the
 * Redis stream still count once synced; with PostgreSQL down the Redis figures come back and the
 * days that may be short are named. Real redis-server and real PostgreSQL, through the console's API.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, migrate } from '../../src/archive/index.ts';
import { createArchiveReports, type ArchiveReports } from '../../src/archive/reports.ts';
import { syncReports } from '../../src/archive/reports-sync.ts';
import { buildApp } from '../../src/console/app.ts';
import { csatByCategory, dayRange } from '../../src/console/insights.ts';
import { AgentStore } from '../../src/console/auth/index.ts';
import { Handoff } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { usePostgresServer, useRedisServer } from '../support/hooks.ts';
import type { PostgresServer } from '../support/postgres.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
let pgServer: PostgresServer;
useRedisServer((_s, c) => (redis = c));
usePostgresServer((s) => (pgServer = s));

const PW = 'correct horse battery';
/** 2026-09-02 .. 2026-11-30: 90 business days (Asia/Shanghai), all before the machine's today. */
const DAYS = Array.from({ length: 90 }, (_, i) => new Date(Date.parse('2026-09-02T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10));
const FROM = DAYS[0]!;
const TO = DAYS.at(-1)!;
/** Noon in Shanghai of a day. */
const noon = (day: string): number => Date.parse(`${day}T04:00:00Z`);
const ARCHIVED = DAYS.slice(0, 40); // left Redis (expired) after the copy
const OVERLAP = DAYS.slice(40, 60); // copied, still in Redis, counted on after the copy
const LIVE = DAYS.slice(60); //        in Redis only (came after the copy)

let pool: pg.Pool;
const clock = { t: noon(FROM) };

/** A deployment of its own (key prefix): the console with and without the archive. */
interface World {
  handoff: Handoff;
  reports: ArchiveReports;
  withArchive: FastifyInstance;
  redisOnly: FastifyInstance;
  token: string;
  sync: () => ReturnType<typeof syncReports>;
}
const worlds: World[] = [];

async function world(): Promise<World> {
  const prefix = randomPrefix();
  // A short ratings stream: Redis drops ratings long before a quarter is over.
  const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock.t, streamMaxLen: 10 });
  await handoff.registerBot('botA');
  await handoff.registerBot('botB');
  const agents = new AgentStore(redis, prefix);
  await agents.add({ username: 'mia', roles: ['manager'], password: PW, name: 'Mia' });
  const token = (await agents.login('mia', PW))!.token;
  const reports = createArchiveReports({ pool, redis, prefix, timeoutMs: 3_000 });
  const w: World = {
    handoff,
    reports,
    token,
    withArchive: await buildApp({ handoff, agents, redis, ui: false, archive: { reports } }),
    redisOnly: await buildApp({ handoff, agents, redis, ui: false }),
    sync: () => syncReports({ pool, redis, prefix }),
  };
  worlds.push(w);
  return w;
}

interface FunnelBody {
  days: { date: string; conversations: number; botAnswered: number; csat: { count: number; average: number } }[];
  total: { conversations: number; botAnswered: number; faq: Record<string, number>; csat: { count: number; average: number } };
  incomplete?: { unreadDays: string[]; error: string };
}
interface CsatBody {
  total: { count: number; average: number; low: number };
  categories: { category: string; count: number; average: number; low: number }[];
  agents: { agentId: string | null; count: number; average: number }[];
  incomplete?: { unreadDays: string[]; error: string };
}

const get = async <T>(app: FastifyInstance, url: string): Promise<T> => {
  const token = worlds.find((w) => w.withArchive === app || w.redisOnly === app)!.token;
  const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  expect(r.statusCode, r.body).toBe(200);
  return r.json<T>();
};

/** Bot A: i + 1 conversations on the i-th day, 2 answers; bot B: 10 conversations and a 4-star rating count. */
async function countDay({ handoff }: World, day: string): Promise<void> {
  const i = DAYS.indexOf(day);
  await handoff.counters.add('botA', noon(day), { conversations: i + 1, 'out:answer': 2, 'faq:refund': 1 });
  await handoff.counters.add('botB', noon(day), { conversations: 10, 'csat:count': 1, 'csat:sum': 4 });
}
const expectedConversations = (days: string[]) => days.reduce((n, d) => n + DAYS.indexOf(d) + 1 + 10, 0);

let funnelWorld: World;
let csatWorld: World;
beforeAll(async () => {
  pool = createPool({ url: pgServer.url });
  await migrate(pool);
  // Apart: ratings count on their days too, and this test's expired days must stay expired.
  funnelWorld = await world();
  csatWorld = await world();
}, 60_000);
afterAll(async () => {
  for (const w of worlds) await Promise.all([w.withArchive.close(), w.redisOnly.close()]);
  await pool?.end();
});

describe('the funnel over 90 days', () => {
  it('days only in the archive, in both, and only in Redis add up exactly', async () => {
    const w = funnelWorld;
    const { handoff, withArchive, redisOnly, sync } = w;
    for (const day of [...ARCHIVED, ...OVERLAP]) await countDay(w, day);
    expect((await sync()).ran).toBe(true);
    // The archived days' hashes expire; the overlap keeps counting after the copy; the rest comes later.
    await redis.del(...ARCHIVED.flatMap((d) => [handoff.keys.day('botA', d), handoff.keys.day('botB', d)]));
    for (const day of OVERLAP) await handoff.counters.add('botA', noon(day), { conversations: 3 });
    for (const day of LIVE) await countDay(w, day);

    const all = expectedConversations(DAYS) + 3 * OVERLAP.length;
    const body = await get<FunnelBody>(withArchive, `/api/funnel?from=${FROM}&to=${TO}`);
    expect(body.incomplete).toBeUndefined();
    expect(body.days).toHaveLength(90);
    expect(body.total.conversations).toBe(all);
    expect(body.total.botAnswered).toBe(2 * 90);
    expect(body.total.faq).toEqual({ refund: 90 });
    expect(body.total.csat).toEqual({ count: 90, average: 4 });
    const day = (d: string) => body.days.find((x) => x.date === d)!.conversations;
    expect(day(ARCHIVED[0]!)).toBe(1 + 10); //  from the archive alone
    expect(day(OVERLAP[0]!)).toBe(41 + 10 + 3); // Redis, ahead of its copy: not 41+10 and not twice
    expect(day(LIVE.at(-1)!)).toBe(90 + 10); //   Redis alone
    // The copy of an overlap day is the older figure: the answer above did not add it.
    const copy = await pool.query("SELECT value FROM day_counters WHERE bot_id = 'botA' AND day = $1 AND field = 'conversations'", [OVERLAP[0]]);
    expect(Number(copy.rows[0].value)).toBe(41);

    // Redis alone misses the 40 expired days.
    const short = await get<FunnelBody>(redisOnly, `/api/funnel?from=${FROM}&to=${TO}`);
    expect(short.total.conversations).toBe(all - expectedConversations(ARCHIVED));
    expect(short.incomplete).toBeUndefined();

    // Syncing again changes nothing in the answer.
    await sync();
    expect((await get<FunnelBody>(withArchive, `/api/funnel?from=${FROM}&to=${TO}`)).total.conversations).toBe(all);
  });
});

describe('satisfaction over 90 days', () => {
  const N = 360;
  /** The i-th rating: oldest first, four a day, scores cycling 1..5. */
  const ratingAt = (i: number) => noon(DAYS[Math.floor(i / 4)]!) + (i % 4) * 60_000;

  it('counts ratings the stream dropped once they were synced, each once', async () => {
    const { handoff, reports, withArchive, redisOnly, sync } = csatWorld;
    for (let i = 0; i < N; i++) {
      clock.t = ratingAt(i);
      await handoff.recordRating({ botId: i % 3 ? 'botA' : 'botB', customerId: `r${i}` }, (i % 5) + 1);
      // The archiver's loop: a sync every so often, more often than the stream drops entries.
      if (i % 5 === 4) await sync();
    }
    await sync();
    const kept = (await redis.xlen(handoff.keys.ratings('botA'))) + (await redis.xlen(handoff.keys.ratings('botB')));
    expect(kept).toBeLessThan(N / 2);

    const body = await get<CsatBody>(withArchive, `/api/csat?from=${FROM}&to=${TO}`);
    expect(body.incomplete).toBeUndefined();
    expect(body.total).toEqual({ count: N, average: 3, low: (N * 2) / 5, scores: [N / 5, N / 5, N / 5, N / 5, N / 5] });
    expect(body.categories).toEqual([expect.objectContaining({ category: 'uncategorized', count: N })]);
    expect(body.agents).toEqual([{ agentId: null, count: N, average: 3, low: (N * 2) / 5, scores: [N / 5, N / 5, N / 5, N / 5, N / 5] }]);
    // The feedback report's counts (grouped in PostgreSQL, not row by row) say the same.
    const range = dayRange(FROM, TO, 'Asia/Shanghai');
    const counts = await csatByCategory(handoff, undefined, range.fromMs, range.toMs, { reports, timezone: 'Asia/Shanghai', days: range.days, conversations: false });
    expect(counts.total).toEqual(body.total);
    expect(counts.agents).toEqual(body.agents);
    expect(counts.categories.map((c) => [c.category, c.count, c.average, c.low])).toEqual(body.categories.map((c) => [c.category, c.count, c.average, c.low]));
    // One month: 30 days x 4.
    expect((await get<CsatBody>(withArchive, `/api/csat?from=2026-10-02&to=2026-10-31`)).total.count).toBe(120);
    // Redis alone has what the stream kept.
    expect((await get<CsatBody>(redisOnly, `/api/csat?from=${FROM}&to=${TO}`)).total.count).toBe(kept);
  });

  it('a rating after the last sync is read from Redis, and the next sync changes nothing', async () => {
    const { handoff, withArchive, sync } = csatWorld;
    clock.t = noon(TO) + 3_600_000;
    await handoff.recordRating({ botId: 'botA', customerId: 'late' }, 5);
    const before = await get<CsatBody>(withArchive, `/api/csat?from=${FROM}&to=${TO}`);
    expect(before.total.count).toBe(N + 1);
    // Another writer (the archiver, copying the conversation) puts it in the table before the sync: still once.
    const [id] = (await redis.xrevrange(handoff.keys.ratings('botA'), '+', '-', 'COUNT', 1))[0]!;
    await pool.query("INSERT INTO ratings (bot_id, id, conversation_id, score, at) VALUES ('botA', $1, 'botA.late', 5, $2)", [id, new Date(clock.t)]);
    expect((await get<CsatBody>(withArchive, `/api/csat?from=${FROM}&to=${TO}`)).total).toEqual(before.total);
    expect((await sync()).ratings).toBe(0);
    expect((await get<CsatBody>(withArchive, `/api/csat?from=${FROM}&to=${TO}`)).total).toEqual(before.total);
  });
});

describe('PostgreSQL down', () => {
  it('the Redis figures come back, with the days that may be short named; complete again once it is back', async () => {
    const { withArchive } = funnelWorld;
    await pgServer.stop();
    try {
      const f = await get<FunnelBody>(withArchive, `/api/funnel?from=${FROM}&to=${TO}`);
      // Exactly the expired days: both bot accounts have a Redis hash for every other day.
      expect(f.incomplete?.unreadDays).toEqual(ARCHIVED);
      expect(f.incomplete?.error).toMatch(/PostgreSQL/);
      expect(f.total.conversations).toBe(expectedConversations([...OVERLAP, ...LIVE]) + 3 * OVERLAP.length);

      const c = await get<CsatBody>(csatWorld.withArchive, `/api/csat?from=${FROM}&to=${TO}`);
      const ratings = (b: string) => csatWorld.handoff.keys.ratings(b);
      const inRedis = [
        ...(await redis.xrange(ratings('botA'), '-', '+')),
        ...(await redis.xrange(ratings('botB'), '-', '+')),
      ].map(([, f]) => Number(f[f.indexOf('at') + 1]));
      expect(c.total.count).toBe(inRedis.length);
      // The days that began before the later of the two streams' first kept entries.
      const firstKept = await Promise.all(
        ['botA', 'botB'].map(async (b) => {
          const [, f] = (await redis.xrange(ratings(b), '-', '+', 'COUNT', 1))[0]!;
          return Number(f[f.indexOf('at') + 1]);
        }),
      );
      const expected = DAYS.filter((d) => Date.parse(`${d}T00:00:00+08:00`) < Math.max(...firstKept));
      expect(expected.length).toBeGreaterThan(40);
      expect(c.incomplete!.unreadDays).toEqual(expected);
      expect(c.incomplete!.error).toMatch(/PostgreSQL/);
    } finally {
      await pgServer.restart();
    }
    const back = await get<FunnelBody>(withArchive, `/api/funnel?from=${FROM}&to=${TO}`);
    expect(back.incomplete).toBeUndefined();
    expect(back.total.conversations).toBe(expectedConversations(DAYS) + 3 * OVERLAP.length);
    expect((await get<CsatBody>(csatWorld.withArchive, `/api/csat?from=${FROM}&to=${TO}`)).incomplete).toBeUndefined();
  }, 60_000);
});
