/**
 * npm run bench:month — a simulated month of traffic in compressed time (issue 16): every day's
 * conversations go through the real Handoff API (customer questions from the product's FAQ, the
 * bot's answers, handoffs claimed, answered, tagged and resolved by agents, ratings; month-traffic.ts)
 * on a simulated clock injected into the handoff and the archive; the archiver (startArchive, with
 * the reports' sync after each run) runs several times each simulated day with a 7-day retention.
 * Own redis-server and PostgreSQL (never 6379 / 5432), stopped at the end.
 *
 * Prints Redis's used_memory per simulated day, and checks that it goes flat after the retention
 * window (+ 2 days); the archive's size per conversation; the archiver's throughput; search p50/p99
 * over the month's data (src/archive/search.ts); a 90-day report's time (funnel, satisfaction, the
 * feedback report, through the archive); and that every message written is in Redis or PostgreSQL,
 * exactly once. Exit 1 when a check fails (memory still growing, a message lost or doubled, a
 * report short).
 *
 * Full scale is 30 days x 10,000 conversations a day; the default is smaller so that it finishes
 * in a few minutes on 2 cores. The events, outbound and ratings streams' length (the product's
 * 100,000 at 10,000 a day) is scaled with the traffic, so the streams fill up as they would.
 *
 *   npm run bench:month
 *   MONTH_DAYS=30 MONTH_PER_DAY=10000 npm run bench:month        # full scale (long)
 *   MONTH_BOT_SHARE=0 MONTH_RATED=0 npm run bench:month          # every chat ends resolved
 *
 * Also: MONTH_RETENTION_DAYS (7), MONTH_ARCHIVE_RUNS (archiver runs a simulated day, 6),
 * MONTH_RETURNING (0.05), MONTH_CONCURRENCY (conversations at a time, 48), MONTH_FLAT_PCT (the most
 * Redis may grow a day after the window, % of its size then, 0.5), MONTH_SEARCH_REPEAT (20).
 */
import { DateTime } from 'luxon';
import { pino } from 'pino';
import { startArchive, syncReports } from '../src/archive/index.ts';
import { searchArchive } from '../src/archive/search.ts';
import { csatByCategory, dayRange, funnel } from '../src/console/insights.ts';
import { buildReport } from '../src/console/report.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../src/handoff/index.ts';
import { createKnowledgeService, percentile } from '../src/knowledge/index.ts';
import { startPostgres, stopAllPostgres } from '../test/support/postgres.ts';
import { randomPrefix, startRedis, stopAll } from '../test/support/redis.ts';
import { checkExactlyOnce, judgeFlat, keysByKind, liveByStatus, usedMemory } from './month-checks.ts';
import { inParallel, simulatedNow, Traffic } from './month-traffic.ts';
import { atLeast, atMost, noneOf, reporter, type Goal } from './report.ts';
import { rng } from './search-data.ts';

const env = (name: string, fallback: number): number => {
  const v = process.env[name];
  const n = v === undefined || v === '' ? fallback : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number >= 0, not ${JSON.stringify(v)}`);
  return n;
};
const DAYS = Math.max(1, Math.round(env('MONTH_DAYS', 30)));
const PER_DAY = Math.max(1, Math.round(env('MONTH_PER_DAY', 500)));
const RETENTION = env('MONTH_RETENTION_DAYS', 7);
const RUNS = Math.max(1, Math.round(env('MONTH_ARCHIVE_RUNS', 6)));
const CONCURRENCY = Math.max(1, Math.round(env('MONTH_CONCURRENCY', 48)));
const MIX = { botShare: env('MONTH_BOT_SHARE', 0.6), rated: env('MONTH_RATED', 0.3), returning: env('MONTH_RETURNING', 0.05) };
const FLAT_PCT = env('MONTH_FLAT_PCT', 0.5);
const REPEAT = Math.max(1, Math.round(env('MONTH_SEARCH_REPEAT', 20)));
const MARGIN_DAYS = 2;
const FULL = { days: 30, perDay: 10_000 };
/** The product's stream length at full scale (HandoffOptions.streamMaxLen's default), scaled. */
const STREAM_MAX = Math.max(1_000, Math.round((100_000 * PER_DAY) / FULL.perDay));
const BOTS = ['shop', 'service'];
const AGENTS = Array.from({ length: 20 }, (_, i) => ({ id: `a${String(i + 1).padStart(2, '0')}`, name: `客服${i + 1}` }));
const TZ = DEFAULT_SLA_POLICY.hours.timezone;
const HOUR = 3_600_000;
const KB_DIR = 'knowledge-base';

const report = reporter('month');
const failures: string[] = [];
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const figure = (label: string, value: number, unit: string, goal?: Goal): void => {
  report(label, value, unit, goal);
  const shown = unit === 'ms' ? `${value.toFixed(1)} ms` : `${Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(2)}${unit ? ` ${unit}` : ''}`;
  say(`  ${label.padEnd(62)} ${shown}${goal ? `  (target ${goal.target}${goal.ok ? '' : goal.check ? ' FAILED' : ' MISSED'})` : ''}`);
  if (goal?.check && !goal.ok) failures.push(`${label} = ${value}`);
};
const mib = (b: number): string => `${(b / 1_048_576).toFixed(1)} MiB`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
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

say(`bench:month — ${DAYS} simulated days x ${PER_DAY.toLocaleString('en-US')} conversations a day (${(DAYS * PER_DAY).toLocaleString('en-US')} in all), ${BOTS.length} bot accounts`);
say(`  full scale (issue 16) is ${FULL.days} x ${FULL.perDay.toLocaleString('en-US')}: MONTH_DAYS=${FULL.days} MONTH_PER_DAY=${FULL.perDay} npm run bench:month`);
say(`  mix: ${MIX.botShare * 100}% answered by the bot alone, the rest handed to agents and resolved, ${MIX.rated * 100}% of those rated, ${MIX.returning * 100}% returning customers`);
say(`  retention ${RETENTION} days, archiver ${RUNS} runs a simulated day, streams' MAXLEN ${STREAM_MAX.toLocaleString('en-US')} (100,000 at 10,000 a day)\n`);

const redisServer = await startRedis();
const pgServer = await startPostgres();
const kb = await createKnowledgeService({ dir: KB_DIR, watch: false });
let archive: Awaited<ReturnType<typeof startArchive>> | undefined;
try {
  const redis = redisServer.client();
  const pool = pgServer.pool({ max: 4 });
  const prefix = randomPrefix();
  const firstDay = DateTime.now().setZone(TZ).startOf('day').minus({ days: DAYS });
  const clock = { t: firstDay.toMillis() };
  const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: simulatedNow(clock), streamMaxLen: STREAM_MAX });
  for (const b of BOTS) await handoff.registerBot(b);
  const r = rng(16);
  const traffic = new Traffic(handoff, redis, kb, KB_DIR, BOTS, AGENTS, MIX, r);
  let syncMs = 0;
  archive = await startArchive({
    url: pgServer.url, redis, prefix, logger: pino({ level: 'silent' }), retentionDays: RETENTION, intervalMs: 2_000_000_000, now: () => clock.t,
    // The reports' sync, as the product wires it, on the simulated clock.
    afterRun: async (ctx) => {
      const t0 = performance.now();
      await syncReports({ ...ctx, now: () => clock.t });
      syncMs += performance.now() - t0;
    },
  });
  const baseline = await usedMemory(redis);
  const memory: number[] = [];
  const totals = { copied: 0, copyMs: 0, trimmed: 0, runs: 0, fullPasses: 0, writeMs: 0 };

  /** Archiver runs until it has caught up (a run copies at most 50 batches an account, as in production). */
  const archiveNow = async (): Promise<{ messages: number; trimmed: number }> => {
    const got = { messages: 0, trimmed: 0 };
    for (let i = 0; i < 20; i++) {
      const sync0 = syncMs;
      const t0 = performance.now();
      const res = await archive!.runOnce();
      totals.copyMs += performance.now() - t0 - (syncMs - sync0);
      totals.runs++;
      totals.fullPasses += res.fullPasses;
      got.messages += res.messages;
      got.trimmed += res.trimmed;
      if (res.lagMs === 0) break;
    }
    totals.copied += got.messages;
    totals.trimmed += got.trimmed;
    return got;
  };

  say(`${'day'.padEnd(14)} ${'new'.padStart(6)} ${'back'.padStart(5)} ${'entries'.padStart(8)} ${'write'.padStart(7)} ${'copied'.padStart(8)} ${'trimmed'.padStart(8)} ${'archive'.padStart(8)} ${'used_memory'.padStart(12)} ${'keys'.padStart(8)}  in Redis by status`);
  for (let d = 0; d < DAYS; d++) {
    const day = firstDay.plus({ days: d });
    const planned = traffic.plan(d, day.toMillis(), PER_DAY);
    const entries0 = traffic.entries;
    let writeMs = 0;
    let copied = 0;
    let trimmed = 0;
    const archiveMs0 = totals.copyMs;
    // The business day (08:00-22:00) in RUNS slots; the archiver runs after each, an hour after its end.
    for (let s = 0; s < RUNS; s++) {
      const slotEnd = day.toMillis() + 8 * HOUR + ((s + 1) * 14 * HOUR) / RUNS;
      const slot = planned.filter((p) => p.start < slotEnd && p.start >= slotEnd - (14 * HOUR) / RUNS);
      const t0 = performance.now();
      await inParallel(slot, CONCURRENCY, (p) => traffic.run(p));
      writeMs += performance.now() - t0;
      clock.t = slotEnd + HOUR;
      const got = await archiveNow();
      copied += got.messages;
      trimmed += got.trimmed;
    }
    totals.writeMs += writeMs;
    const used = await usedMemory(redis);
    memory.push(used);
    const live = await liveByStatus(pool);
    const back = planned.filter((p) => p.returning).length;
    say(
      `${`${String(d + 1).padStart(2)} ${day.toISODate()}`.padEnd(14)} ${String(planned.length - back).padStart(6)} ${String(back).padStart(5)} ${String(traffic.entries - entries0).padStart(8)} ${secs(writeMs).padStart(7)} ${String(copied).padStart(8)} ${String(trimmed).padStart(8)} ${secs(totals.copyMs - archiveMs0).padStart(8)} ${mib(used).padStart(12)} ${String(await redis.dbsize()).padStart(8)}  ${Object.entries(live).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    );
  }
  // The last copy: everything written is in PostgreSQL too.
  await archiveNow();

  say('\nRedis');
  const flat = judgeFlat(memory, RETENTION, MARGIN_DAYS, FLAT_PCT);
  figure('used_memory before any traffic', Math.round(baseline / 1024), 'KiB');
  figure(`used_memory after day ${Math.min(DAYS, Math.ceil(RETENTION))} (the retention window)`, Math.round((memory[Math.ceil(RETENTION) - 1] ?? Number.NaN) / 1024), 'KiB');
  figure(`used_memory after day ${DAYS} (the last)`, Math.round(memory.at(-1)! / 1024), 'KiB');
  if (flat.judged) {
    say(`  from day ${flat.fromDay} to day ${DAYS}: ${mib(flat.start)} -> ${mib(flat.end)}, ${(flat.slopePerDay / 1024).toFixed(0)} KiB a day`);
    figure(`used_memory growth a day after day ${flat.fromDay - 1} (% of its size then)`, Math.round(flat.pctPerDay * 100) / 100, '%', {
      target: `<= ${FLAT_PCT} %`,
      ok: flat.flat,
      check: true,
    });
  } else {
    say(`  memory flatness not judged: needs at least ${Math.ceil(RETENTION) + MARGIN_DAYS + 3} days (MONTH_DAYS=${DAYS})`);
  }
  const left = await liveByStatus(pool);
  say(`  conversations still in Redis at the end, by status: ${Object.entries(left).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const kinds = await keysByKind(redis, prefix);
  say(`  what Redis holds at the end (keys, MEMORY USAGE): ${kinds.slice(0, 8).map((k) => `${k.kind} ${k.keys.toLocaleString('en-US')} = ${mib(k.bytes)}`).join(', ')}`);

  say('\nArchive');
  await pool.query('VACUUM ANALYZE');
  const tables = (
    await pool.query<{ t: string; total: string }>("SELECT relname AS t, pg_total_relation_size(oid) AS total FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 2 DESC")
  ).rows;
  const size = tables.reduce((a, t) => a + Number(t.total), 0);
  const counts = (await pool.query<{ c: number; m: number }>('SELECT (SELECT count(*) FROM conversations)::int AS c, (SELECT count(*) FROM messages)::int AS m')).rows[0]!;
  say(`  ${tables.slice(0, 4).map((t) => `${t.t} ${mib(Number(t.total))}`).join(', ')}; all tables ${mib(size)} (indexes included)`);
  say(`  ${counts.c.toLocaleString('en-US')} conversations, ${counts.m.toLocaleString('en-US')} messages (${(counts.m / counts.c).toFixed(1)} a conversation); ${totals.trimmed.toLocaleString('en-US')} trims from Redis`);
  figure('archive size per conversation (all tables / conversations)', Math.round((size / counts.c / 1024) * 10) / 10, 'KiB');
  figure('archive size per message', Math.round(size / counts.m), 'B');
  const throughput = totals.copied / (totals.copyMs / 1000);
  say(`  ${totals.runs} archiver runs, ${totals.copied.toLocaleString('en-US')} messages copied in ${secs(totals.copyMs)} (reports sync ${secs(syncMs)} apart); traffic written in ${secs(totals.writeMs)}`);
  figure('archive throughput (messages copied a second, trims included)', Math.round(throughput), 'msg/s', atLeast(throughput, 1_000, 'msg/s'));
  // More than the first run's: the events stream was trimmed before the archiver read it (it then reads every conversation).
  figure('full passes over the bot accounts (the first run makes one each)', totals.fullPasses, '', atMost(totals.fullPasses, BOTS.length, ''));

  say('\nChecks: every message in Redis or PostgreSQL, exactly once');
  const once = await checkExactlyOnce(redis, handoff.keys, pool, traffic.expected);
  say(`  ${once.conversations.toLocaleString('en-US')} conversations, ${once.expected.toLocaleString('en-US')} messages written: ${once.archivedOnly.toLocaleString('en-US')} in PostgreSQL only (trimmed from Redis), ${once.both.toLocaleString('en-US')} in both (live, copied), ${once.redisOnly.toLocaleString('en-US')} in Redis only`);
  for (const e of once.examples) say(`  e.g. ${e}`);
  figure('messages lost (written, found nowhere)', once.lost, '', noneOf(once.lost));
  figure('messages doubled (found more often than written)', once.extra, '', noneOf(once.extra));
  figure('messages not copied after the last run (Redis only)', once.redisOnly, '', noneOf(once.redisOnly));

  say('\nSearch over the month (searchArchive, 20 a page, newest first)');
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const part = (s: string): string => [...s].slice(0, 2 + Math.floor(r() * 2)).join('');
  const lastDay = firstDay.plus({ days: DAYS - 1 });
  const cases: { name: string; q: () => Parameters<typeof searchArchive>[1] }[] = [
    { name: 'common word', q: () => ({ q: pick(['录屏', '会员', '声音', '导出', '退款', '视频']), limit: 20 }) },
    { name: 'less common word', q: () => ({ q: pick(['发票', '截图', '邮箱', '到账', '技术同事', '水印']), limit: 20 }) },
    { name: 'rare: an order number', q: () => ({ q: pick(traffic.orders), limit: 20 }) },
    { name: 'customer: part of a name', q: () => ({ q: part(pick(traffic.names)), limit: 20 }) },
    { name: 'no match', q: () => ({ q: `火星${Math.floor(r() * 1000)}`, limit: 20 }) },
    { name: 'common word + last 7 days', q: () => ({ q: pick(['录屏', '会员', '退款']), limit: 20, from: new Date(lastDay.minus({ days: 6 }).toMillis()) }) },
    { name: 'common word + resolved + rating 1-2', q: () => ({ q: pick(['录屏', '会员', '退款']), limit: 20, status: 'resolved' as const, rating: 1 + Math.floor(r() * 2) }) },
  ];
  // Cases without data to search for (no handoffs: no order numbers) are left out.
  const usable = cases.filter((c) => !(c.name.startsWith('rare') && traffic.orders.length === 0) && !(c.name.startsWith('customer') && traffic.names.length === 0));
  for (const c of usable) for (let i = 0; i < 3; i++) await searchArchive(pool, c.q());
  const all: number[] = [];
  let rareFound = 0;
  let rareTried = 0;
  for (const c of usable) {
    const ms: number[] = [];
    let slowest = { ms: 0, q: '' };
    for (let i = 0; i < REPEAT; i++) {
      const o = c.q();
      const t0 = performance.now();
      const res = await searchArchive(pool, o);
      ms.push(performance.now() - t0);
      if (ms.at(-1)! > slowest.ms) slowest = { ms: ms.at(-1)!, q: o.q };
      if (c.name.startsWith('rare')) {
        rareTried++;
        if (res.items.some((it) => it.message.text.includes(o.q))) rareFound++;
      }
    }
    ms.sort((a, b) => a - b);
    all.push(...ms);
    say(`  ${c.name.padEnd(40)} p50 ${percentile(ms, 50).toFixed(1).padStart(6)} ms  p99 ${percentile(ms, 99).toFixed(1).padStart(6)} ms  (slowest: "${slowest.q}")`);
  }
  all.sort((a, b) => a - b);
  figure(`search p50 (${usable.length} cases x ${REPEAT})`, percentile(all, 50), 'ms');
  figure(`search p99 (${usable.length} cases x ${REPEAT})`, percentile(all, 99), 'ms', atMost(percentile(all, 99), 100, 'ms'));
  figure('search: order numbers not found', rareTried - rareFound, '', noneOf(rareTried - rareFound));

  say(`\nReports through the archive (the month's ${DAYS} days hold the traffic)`);
  const reports = archive.reports;
  const to = lastDay.toISODate()!;
  // A quarter when the month is shorter (its other days are empty), and the simulated days alone.
  const spans = DAYS < 90 ? [90, DAYS] : [DAYS];
  for (const span of spans) {
    const range = dayRange(lastDay.minus({ days: span - 1 }).toISODate()!, to, TZ);
    const ra = { reports, timezone: TZ };
    const f = await timed(3, () => funnel(handoff, range.days, ra));
    const c = await timed(3, () => csatByCategory(handoff, kb, range.fromMs, range.toMs, { ...ra, days: range.days, conversations: false }));
    const b = await timed(3, () => buildReport(handoff, kb, { from: range.days[0]!, to, timezone: TZ, archive: { reports } }));
    const what = span === DAYS ? `the month (${DAYS} days)` : `${span} days`;
    figure(`funnel, ${what}, median`, f.ms, 'ms', atMost(f.ms, 500, 'ms'));
    figure(`satisfaction counts, ${what}, median`, c.ms, 'ms', atMost(c.ms, 1_000, 'ms'));
    figure(`feedback report (markdown + CSV), ${what}, median`, b.ms, 'ms', atMost(b.ms, 3_000, 'ms'));
    if (span === spans[0]) {
      const offConv = Math.abs(f.value.total.conversations - traffic.created);
      const offRatings = Math.abs(c.value.total.count - traffic.ratings);
      say(`  funnel: ${f.value.total.conversations.toLocaleString('en-US')} conversations (written ${traffic.created.toLocaleString('en-US')}); satisfaction: ${c.value.total.count.toLocaleString('en-US')} ratings (written ${traffic.ratings.toLocaleString('en-US')})`);
      figure('funnel: conversations missing or counted twice', offConv, '', noneOf(offConv));
      figure('satisfaction: ratings missing or counted twice', offRatings, '', noneOf(offRatings));
    }
  }

  say(`\nscale: ${DAYS} days x ${PER_DAY.toLocaleString('en-US')} conversations a day (full scale ${FULL.days} x ${FULL.perDay.toLocaleString('en-US')})`);
  if (failures.length) {
    say(`FAILED: ${failures.join('; ')}`);
    process.exitCode = 1;
  }
} finally {
  await archive?.close();
  await kb.close();
  await stopAllPostgres();
  await stopAll();
}
