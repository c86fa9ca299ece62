/**
 * npm run bench:reports — a 90-day report over a realistic volume, with the archive (PostgreSQL)
 * holding what left Redis. Own redis-server and PostgreSQL (never 6379 / 5432).
 *
 * Volume: 10,000 conversations a day over 2 bot accounts; each day hash carries the funnel's
 * counters and 300 FAQ entries' answers; 25% of conversations rated (2,500 ratings a day, 225,000
 * in the quarter: each account's stream keeps its newest ~100,000, the product's default); 1,000
 * questions missed a day. The reports' sync runs after each simulated day (the archiver's loop);
 * then the oldest 60 days' counters expire from Redis. Figures: the sync's runs, the funnel, the
 * satisfaction drill-down and the whole feedback report (markdown and CSV) over the 90 days.
 *
 *   BENCH_REPORTS_DAYS (default 90), BENCH_REPORTS_PER_DAY (conversations, default 10000)
 */
import { DateTime } from 'luxon';
import { createPool, migrate } from '../src/archive/index.ts';
import { createArchiveReports } from '../src/archive/reports.ts';
import { syncReports } from '../src/archive/reports-sync.ts';
import { csatByCategory, dayRange, funnel } from '../src/console/insights.ts';
import { buildReport } from '../src/console/report.ts';
import { Handoff } from '../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../src/handoff/sla.ts';
import { createKnowledgeService } from '../src/knowledge/index.ts';
import { startPostgres, stopAllPostgres } from '../test/support/postgres.ts';
import { randomPrefix, startRedis, stopAll } from '../test/support/redis.ts';
import { atMost, noneOf, reporter } from './report.ts';
import { syntheticKb } from './synthetic-kb.ts';

const figure = reporter('reports');
const DAYS = Number(process.env.BENCH_REPORTS_DAYS ?? 90);
const PER_DAY = Number(process.env.BENCH_REPORTS_PER_DAY ?? 10_000);
const BOTS = ['shop', 'service'];
const FAQ = 300;
const RATED = 0.25;
const GAPS_PER_DAY = PER_DAY / 10;
const EXPIRED = Math.round((DAYS * 2) / 3);
const TZ = DEFAULT_SLA_POLICY.hours.timezone;
const STREAM_MAX = 100_000;

const print = (label: string, value: number, unit: string, goal?: Parameters<typeof figure>[3]) => {
  figure(label, value, unit, goal);
  const shown = unit === 'ms' ? `${value.toFixed(1)} ms` : `${value}${unit ? ` ${unit}` : ''}`;
  process.stdout.write(`${label.padEnd(58)} ${shown}${goal ? `  (target ${goal.target}${goal.ok ? '' : ' MISSED'})` : ''}\n`);
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function timed<T>(runs: number, fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const times: number[] = [];
  let value!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    value = await fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), value };
}

const redisServer = await startRedis();
const pgServer = await startPostgres();
const redis = redisServer.client();
const pool = createPool({ url: pgServer.url, max: 5 });
const kb = syntheticKb(FAQ);
const knowledge = await createKnowledgeService({ dir: kb.dir, watch: false });
try {
  await migrate(pool);
  const prefix = randomPrefix();
  const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  for (const b of BOTS) await handoff.registerBot(b);
  const faqIds = knowledge.matcher().kb.entries.map((e) => e.id);
  const today = DateTime.now().setZone(TZ).startOf('day');
  const days = Array.from({ length: DAYS }, (_, i) => today.minus({ days: DAYS - i }).toISODate()!);
  const perBot = PER_DAY / BOTS.length;
  const syncMs: number[] = [];
  let expectedRatings = 0;

  process.stdout.write(`seeding ${DAYS} days x ${PER_DAY} conversations (${BOTS.length} bot accounts), syncing after each day…\n`);
  for (const [d, day] of days.entries()) {
    const start = DateTime.fromISO(day, { zone: TZ }).toMillis();
    const p = redis.pipeline();
    for (const [b, botId] of BOTS.entries()) {
      const answered = Math.round(perBot * 0.6);
      const rated = Math.round(perBot * RATED);
      const c: Record<string, number> = {
        conversations: perBot, 'out:answer': answered, 'out:picked': 200, 'out:suggest': 400, 'out:unanswered': GAPS_PER_DAY / BOTS.length,
        'out:helpful': 900, 'out:not_helpful': 150, 'handoff:customer_asked': 500, 'handoff:low_confidence': 300, 'handoff:not_helpful': 100,
        'csat:count': rated, 'csat:sum': rated * 4, 'csat:5': Math.floor(rated / 2), 'csat:4': Math.floor(rated / 4), 'csat:3': rated - 2 * Math.floor(rated / 4) - Math.floor(rated / 2) + Math.floor(rated / 4),
        'fr:count': 900, 'fr:minutes': 4_500, 'fr:met': 850, resolved: 880, 'resolved:one_reply': 400,
      };
      faqIds.forEach((id, i) => (c[`faq:${id}`] = 1 + ((i * 7 + d + b) % 40)));
      p.hset(handoff.keys.day(botId, day), c);
      // Ratings and missed questions, spread over the business day, ids on their own clock.
      for (let i = 0; i < rated; i++) {
        const at = start + 9 * 3_600_000 + i * 12_000 + b;
        const tags = i % 3 === 0 ? JSON.stringify([`cat${i % 7}`]) : '[]';
        p.xadd(handoff.keys.ratings(botId), 'MAXLEN', '~', STREAM_MAX, `${at}-0`, 'conv', `${botId}.c${d}x${i}`, 'score', String(1 + (i % 5)), 'agentId', `a${i % 20}`, 'tags', tags, 'faqId', faqIds[i % FAQ]!, 'at', String(at));
        expectedRatings += 1;
      }
      for (let i = 0; i < GAPS_PER_DAY / BOTS.length; i++) {
        const at = start + 9 * 3_600_000 + i * 30_000 + b;
        p.xadd(handoff.keys.gaps(botId), 'MAXLEN', '~', STREAM_MAX, `${at}-0`, 'conv', `${botId}.g${d}x${i}`, 'reason', i % 4 ? 'unanswered' : 'not_helpful', 'text', `${kb.questions[(i + d) % kb.questions.length]}`, 'faqId', '', 'at', String(at));
      }
    }
    await p.exec();
    const t0 = performance.now();
    // The loop's clock is the simulated one: the day has just ended.
    await syncReports({ pool, redis, prefix, now: () => start + 25 * 3_600_000 });
    syncMs.push(performance.now() - t0);
  }
  // The oldest days' counters expire from Redis (the archive has them).
  await redis.del(...days.slice(0, EXPIRED).flatMap((day) => BOTS.map((b) => handoff.keys.day(b, day))));
  const idle = await timed(5, () => syncReports({ pool, redis, prefix }));
  const kept = (await Promise.all(BOTS.map((b) => redis.xlen(handoff.keys.ratings(b))))).reduce((a, b) => a + b, 0);

  print('sync: first run (every day Redis may hold, 2 accounts)', syncMs[0]!, 'ms');
  print(`sync: a day's traffic (${PER_DAY * RATED} ratings, ${GAPS_PER_DAY} gaps), median`, median(syncMs.slice(1)), 'ms');
  print('sync: a run with nothing new, median', idle.ms, 'ms', atMost(idle.ms, 100, 'ms'));
  print(`ratings kept by the Redis streams (of ${expectedRatings})`, kept, '');

  const reports = createArchiveReports({ pool, redis, prefix });
  const range = dayRange(days[0], days.at(-1), TZ);
  const archive = { reports, timezone: TZ };
  const f = await timed(5, () => funnel(handoff, range.days, archive));
  const c = await timed(3, () => csatByCategory(handoff, knowledge, range.fromMs, range.toMs, { ...archive, days: range.days }));
  const cc = await timed(5, () => csatByCategory(handoff, knowledge, range.fromMs, range.toMs, { ...archive, days: range.days, conversations: false }));
  const r = await timed(3, () => buildReport(handoff, knowledge, { from: range.days[0]!, to: range.days.at(-1)!, timezone: TZ, archive: { reports } }));
  const redisOnly = await timed(3, () => funnel(handoff, range.days));

  print(`funnel, ${DAYS} days (${EXPIRED} from the archive), median`, f.ms, 'ms', atMost(f.ms, 500, 'ms'));
  print(`  Redis alone (today's path, short by ${EXPIRED} days), median`, redisOnly.ms, 'ms');
  print(`satisfaction drill-down (every rating listed), ${DAYS} days, median`, c.ms, 'ms', atMost(c.ms, 10_000, 'ms'));
  print(`satisfaction counts (the report's), ${DAYS} days, median`, cc.ms, 'ms', atMost(cc.ms, 1_000, 'ms'));
  print(`feedback report (markdown + 5 CSV), ${DAYS} days, median`, r.ms, 'ms', atMost(r.ms, 3_000, 'ms'));
  print('funnel: conversations missing or counted twice', Math.abs(f.value.total.conversations - DAYS * PER_DAY), '', noneOf(Math.abs(f.value.total.conversations - DAYS * PER_DAY)));
  const off = Math.abs(c.value.total.count - expectedRatings) + Math.abs(cc.value.total.count - expectedRatings);
  print('satisfaction: ratings missing or counted twice', off, '', noneOf(off));
  print('report: days flagged as unread (archive up)', (f.value.incomplete?.unreadDays.length ?? 0) + (c.value.incomplete?.unreadDays.length ?? 0), '');
  const size = await pool.query<{ n: string }>("SELECT pg_total_relation_size('day_counters') + pg_total_relation_size('ratings') + pg_total_relation_size('knowledge_gaps') AS n");
  print('archive size of the reports tables', Math.round(Number(size.rows[0]!.n) / 1_048_576), 'MB');
} finally {
  await knowledge.close();
  await pool.end();
  await stopAllPostgres();
  await stopAll();
}
