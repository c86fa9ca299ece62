/**
 * Copies what the reports read out of Redis into PostgreSQL before Redis lets it go: each bot
 * account's day counters (the `day:YYYY-MM-DD` hashes, which expire) and its ratings and knowledge
 * gaps streams (MAXLEN-trimmed: past their length, entries are gone). Cheap enough to run every
 * minute from the archiver's loop, and idempotent: day counters are upserted (the current day keeps
 * changing), stream entries are inserted once by their entry id.
 *
 * Steady state, per bot account and run: 3-4 day hashes (the days that may still change in some
 * time zone) and the stream entries added since the last run. The first run looks back over
 * every day Redis may still hold (`lookbackDays`).
 */
import type { Cluster, Redis } from 'ioredis';
import type pg from 'pg';
import { DAY_TTL_S } from '../handoff/context.ts';
import { fieldsOf, parseTags } from '../handoff/convert.ts';
import { createKeys, type Keys } from '../handoff/keys.ts';
import { compareStreamIds } from '../handoff/stream-id.ts';
import { ArchiveError } from './errors.ts';

export interface ReportsSyncContext {
  pool: pg.Pool;
  redis: Redis | Cluster;
  /** The Redis key prefix (REDIS_PREFIX). */
  prefix: string;
  now?: () => number;
  /** How far back day counters are looked for (default: as long as Redis keeps them, DAY_TTL_S). */
  lookbackDays?: number;
  /** Stream entries per transaction (default 1000). */
  batch?: number;
}

export interface ReportsSyncResult {
  /** False when another process held the sync lock (it did the work). */
  ran: boolean;
  /** Day hashes copied (days with no counters are only marked done). */
  days: number;
  /** Counter rows inserted or changed. */
  counters: number;
  ratings: number;
  gaps: number;
}

const DAY_MS = 86_400_000;
/**
 * A day is copied for good once it has ended in every time zone (UTC-12 ends last, 12 h after UTC),
 * plus a margin for a count whose day was computed just before midnight: the sync needs no time zone.
 */
const FINAL_AFTER_MS = DAY_MS + 12 * 3600_000 + 3600_000;
/** pg_advisory_lock key: one sync at a time over the database ("kfrp"). */
const SYNC_LOCK = 0x6b667270;

/** PostgreSQL text cannot hold NUL (a customer's pasted text might): dropped. */
const noNul = (text: string): string => text.split('\u0000').join('');
const utcDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const dayStartUtc = (date: string): number => Date.parse(`${date}T00:00:00Z`);

/** Stream ids compare as (ms, seq): "9-0" < "10-0" although not as text. */
export const streamIdAfter = (a: string, b: string): boolean => compareStreamIds(a, b) > 0;

/**
 * One sync run. Throws ArchiveError ARCHIVE_UNAVAILABLE when PostgreSQL cannot be reached (the
 * caller's loop retries next time: nothing in Redis is touched, so nothing is lost meanwhile).
 */
export async function syncReports(ctx: ReportsSyncContext): Promise<ReportsSyncResult> {
  const result: ReportsSyncResult = { ran: false, days: 0, counters: 0, ratings: 0, gaps: 0 };
  let client: pg.PoolClient;
  try {
    client = await ctx.pool.connect();
  } catch (err) {
    throw new ArchiveError('ARCHIVE_UNAVAILABLE', `PostgreSQL cannot be reached: ${(err as Error).message}`, { cause: err });
  }
  let locked = false;
  try {
    locked = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [SYNC_LOCK])).rows[0]!.ok;
    if (!locked) return result;
    result.ran = true;
    const keys = createKeys(ctx.prefix);
    const bots = (await ctx.redis.smembers(keys.bots())).sort();
    if (bots.length === 0) return result;
    const state = await client.query<{ bot_id: string; ratings_last_id: string | null; gaps_last_id: string | null }>(
      'SELECT bot_id, ratings_last_id, gaps_last_id FROM report_sync WHERE bot_id = ANY($1)',
      [bots],
    );
    const last = new Map(state.rows.map((r) => [r.bot_id, r]));
    for (const botId of bots) {
      const d = await syncDays(client, ctx, keys, botId);
      result.days += d.days;
      result.counters += d.counters;
      result.ratings += await syncStream(client, ctx, keys, botId, 'ratings', last.get(botId)?.ratings_last_id ?? null);
      result.gaps += await syncStream(client, ctx, keys, botId, 'gaps', last.get(botId)?.gaps_last_id ?? null);
    }
    return result;
  } finally {
    if (locked) await client.query('SELECT pg_advisory_unlock($1)', [SYNC_LOCK]).catch(() => undefined);
    client.release();
  }
}

/** The bot account's day hashes not yet copied for good: upserted; the ended ones marked done. */
async function syncDays(client: pg.PoolClient, ctx: ReportsSyncContext, keys: Keys, botId: string): Promise<{ days: number; counters: number }> {
  // Read the clock before the hashes: a day final at this instant cannot change after the read.
  const now = (ctx.now ?? Date.now)();
  const lookback = ctx.lookbackDays ?? Math.ceil(DAY_TTL_S / 86_400);
  // Tomorrow (UTC) is already today east of UTC.
  const newest = utcDate(now + DAY_MS);
  const oldest = utcDate(now - lookback * DAY_MS);
  const done = await client.query<{ day: string }>(
    "SELECT to_char(day, 'YYYY-MM-DD') AS day FROM report_days_final WHERE bot_id = $1 AND day BETWEEN $2 AND $3",
    [botId, oldest, newest],
  );
  const skip = new Set(done.rows.map((r) => r.day));
  const dates: string[] = [];
  for (let t = dayStartUtc(oldest); t <= dayStartUtc(newest); t += DAY_MS) if (!skip.has(utcDate(t))) dates.push(utcDate(t));
  if (dates.length === 0) return { days: 0, counters: 0 };
  const hashes = await Promise.all(dates.map((date) => ctx.redis.hgetall(keys.day(botId, date))));
  const rows: { day: string; field: string; value: number }[] = [];
  let days = 0;
  dates.forEach((day, i) => {
    const h = hashes[i]!;
    if (Object.keys(h).length) days += 1;
    for (const [field, value] of Object.entries(h)) rows.push({ day, field, value: Number(value) });
  });
  const final = dates.filter((day) => now >= dayStartUtc(day) + FINAL_AFTER_MS);
  await client.query('BEGIN');
  try {
    const changed = rows.length
      ? await client.query(
          `INSERT INTO day_counters (day, bot_id, field, value)
           SELECT r.day::date, $1, r.field, r.value FROM jsonb_to_recordset($2::jsonb) AS r(day text, field text, value bigint)
           ON CONFLICT (day, bot_id, field) DO UPDATE SET value = EXCLUDED.value WHERE day_counters.value <> EXCLUDED.value`,
          [botId, JSON.stringify(rows)],
        )
      : { rowCount: 0 };
    // An ended day with no hash had no traffic (or expired long ago, copied then): never read again.
    if (final.length) {
      await client.query('INSERT INTO report_days_final (bot_id, day) SELECT $1, d::date FROM unnest($2::text[]) AS d ON CONFLICT DO NOTHING', [botId, final]);
    }
    await client.query('COMMIT');
    return { days, counters: changed.rowCount ?? 0 };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * The stream's entries after the last one copied, in order, a batch per transaction with the new
 * position: a crash between batches resumes where the last commit left off, and a repeat inserts
 * nothing twice (ON CONFLICT on the entry id).
 */
async function syncStream(
  client: pg.PoolClient,
  ctx: ReportsSyncContext,
  keys: Keys,
  botId: string,
  what: 'ratings' | 'gaps',
  from: string | null,
): Promise<number> {
  const batch = ctx.batch ?? 1000;
  const key = what === 'ratings' ? keys.ratings(botId) : keys.gaps(botId);
  let position = from;
  let copied = 0;
  for (;;) {
    const entries = await ctx.redis.xrange(key, position ? `(${position}` : '-', '+', 'COUNT', batch);
    if (entries.length === 0) return copied;
    const rows = entries.map(([id, flat]) => {
      const f = fieldsOf(flat);
      // `at` is the handoff's clock; the entry id's time stands in for an entry without one.
      const at = Number(f.at) || Number(id.split('-')[0]);
      return what === 'ratings'
        ? { id, conv: f.conv ?? '', score: Number(f.score), agent_id: f.agentId || null, faq_id: f.faqId || null, tags: parseTags(f.tags), at, data: Object.fromEntries(Object.entries(f).map(([k, v]) => [k, noNul(v)])) }
        : // The reason as stored (suggest and picked included): handoff/gaps.ts reads the pairs.
          { id, conv: f.conv ?? '', reason: f.reason || 'unanswered', text: noNul(f.text ?? ''), faq_id: f.faqId || null, at };
    });
    position = entries.at(-1)![0];
    await client.query('BEGIN');
    try {
      const inserted =
        what === 'ratings'
          ? await client.query(
              `INSERT INTO ratings (bot_id, id, conversation_id, score, agent_id, faq_id, tags, at, data)
               SELECT $1, r.id, r.conv, r.score, r.agent_id, r.faq_id, ARRAY(SELECT jsonb_array_elements_text(r.tags)), to_timestamp(r.at / 1000.0), r.data
               FROM jsonb_to_recordset($2::jsonb) AS r(id text, conv text, score smallint, agent_id text, faq_id text, tags jsonb, at bigint, data jsonb)
               WHERE r.score BETWEEN 1 AND 5
               ON CONFLICT (bot_id, id) DO NOTHING`,
              [botId, JSON.stringify(rows)],
            )
          : await client.query(
              `INSERT INTO knowledge_gaps (bot_id, id, conversation_id, reason, text, faq_id, at)
               SELECT $1, r.id, r.conv, r.reason, r.text, r.faq_id, to_timestamp(r.at / 1000.0)
               FROM jsonb_to_recordset($2::jsonb) AS r(id text, conv text, reason text, text text, faq_id text, at bigint)
               ON CONFLICT (bot_id, id) DO NOTHING`,
              [botId, JSON.stringify(rows)],
            );
      await client.query(
        `INSERT INTO report_sync (bot_id, ${what}_last_id, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (bot_id) DO UPDATE SET ${what}_last_id = EXCLUDED.${what}_last_id, updated_at = now()`,
        [botId, position],
      );
      await client.query('COMMIT');
      copied += inserted.rowCount ?? 0;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    if (entries.length < batch) return copied;
  }
}
