/**
 * What the reports read over any range of days: the archive (PostgreSQL, copied by reports-sync.ts)
 * for what left Redis, and Redis for what is still there, never counting anything twice:
 *
 * - Day counters: a (bot account, day, field) is the larger of its Redis value and its archived
 *   copy. Counters only grow (every write is a positive HINCRBY) and the copy is a snapshot of the
 *   Redis hash, so the larger is the Redis value while the hash lives (the copy may lag a minute),
 *   the copy once it expired, and the better of the two if Redis lost data. Reading PostgreSQL for
 *   every day costs one indexed query; the Redis hashes are the reads the reports made before.
 * - Ratings and knowledge gaps (streams, trimmed by length): the archived rows in range, plus the
 *   Redis entries after the last one the sync copied (`report_sync`), merged by entry id.
 *
 * PostgreSQL down: the Redis figures still come back, with the days that may be short named
 * (`unreadDays`) and why (`error`): days some bot account has no Redis hash for, and days older
 * than a trimmed stream's first entry.
 */
import type { Cluster, Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type pg from 'pg';
import { fieldsOf, parseTags } from '../handoff/convert.ts';
import { openGaps, type RawGap } from '../handoff/gaps.ts';
import { createKeys, type Keys } from '../handoff/keys.ts';
import type { KnowledgeGap, Rating } from '../handoff/index.ts';
import { streamIdAfter } from './reports-sync.ts';

export interface ArchiveReportsOptions {
  pool: pg.Pool;
  redis: Redis | Cluster;
  /** The Redis key prefix (REDIS_PREFIX). */
  prefix: string;
  now?: () => number;
  /** How long a report waits for PostgreSQL before it gives the Redis figures alone (default 10 s). */
  timeoutMs?: number;
}

/** A range of business days, as insights.ts's dayRange gives it, and the zone its days are in. */
export interface ReportRange {
  days: string[];
  fromMs: number;
  toMs: number;
  timezone: string;
}

/** Days whose figures may be short because the archive could not be read, and why (absent when complete). */
export interface ArchiveShortfall {
  unreadDays: string[];
  error: string;
}

export interface ArchivedDayCounters {
  /** day -> bot account -> field -> n (the funnel's counters). */
  days: Record<string, Record<string, Record<string, number>>>;
  shortfall?: ArchiveShortfall;
}

export interface ArchivedRatings {
  ratings: Rating[];
  shortfall?: ArchiveShortfall;
}

export interface ArchivedGaps {
  /** Newest first. */
  gaps: KnowledgeGap[];
  shortfall?: ArchiveShortfall;
}

const DAY_MS = 86_400_000;

/**
 * Rows in range ($1 <= at < $2) up to the sync's position in their bot account's stream (ids
 * compared as numbers: "9-0" < "10-0"); a bot account the sync never reached has none here.
 */
const UP_TO_MARK = (mark: 'ratings_last_id' | 'gaps_last_id'): string => `JOIN report_sync s ON s.bot_id = t.bot_id AND s.${mark} IS NOT NULL
  WHERE t.at >= $1 AND t.at < $2
    AND (split_part(t.id, '-', 1)::bigint, split_part(t.id, '-', 2)::bigint) <= (split_part(s.${mark}, '-', 1)::bigint, split_part(s.${mark}, '-', 2)::bigint)`;

/** Ratings counted by bot account, first tag, FAQ entry, agent and score. */
export interface RatingCount {
  botId: string;
  tag: string | null;
  faqId: string | null;
  agentId: string | null;
  score: number;
  n: number;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: string };

export class ArchiveReports {
  private readonly keys: Keys;
  private readonly now: () => number;

  constructor(private readonly opts: ArchiveReportsOptions) {
    this.keys = createKeys(opts.prefix);
    this.now = opts.now ?? Date.now;
  }

  /** Every bot account's counters of each day of the range. */
  async dayCounters(range: Pick<ReportRange, 'days' | 'timezone'>): Promise<ArchivedDayCounters> {
    const { redis } = this.opts;
    const bots = await this.bots();
    const pairs = range.days.flatMap((day) => bots.map((botId) => ({ day, botId })));
    const [hashes, archived] = await Promise.all([
      Promise.all(pairs.map(({ day, botId }) => redis.hgetall(this.keys.day(botId, day)))),
      this.query<{ day: string; bot_id: string; field: string; value: string }>(
        "SELECT to_char(day, 'YYYY-MM-DD') AS day, bot_id, field, value FROM day_counters WHERE day BETWEEN $1 AND $2",
        [range.days[0], range.days.at(-1)],
      ),
    ]);
    const days: ArchivedDayCounters['days'] = Object.fromEntries(range.days.map((d) => [d, {}]));
    const put = (day: string, botId: string, field: string, n: number) => {
      const bot = (days[day]![botId] ??= {});
      if (!(bot[field]! >= n)) bot[field] = n;
    };
    const missing = new Set<string>();
    pairs.forEach(({ day, botId }, i) => {
      const h = hashes[i]!;
      if (Object.keys(h).length === 0) missing.add(day);
      for (const [field, n] of Object.entries(h)) put(day, botId, field, Number(n));
    });
    if (archived.ok) {
      for (const r of archived.value) if (days[r.day]) put(r.day, r.bot_id, r.field, Number(r.value));
      return { days };
    }
    // No bot account known: every day so far may be in the archive alone.
    const unread = bots.length ? [...missing] : range.days;
    return { days, shortfall: { unreadDays: this.pastDays(unread, range.timezone), error: archived.error } };
  }

  /** Customers' ratings whose `at` is in [fromMs, toMs), oldest first. */
  async ratings(range: ReportRange): Promise<ArchivedRatings> {
    // A quarter is hundreds of thousands of rows: times as numbers (no date parsing), no tags as null.
    const got = await this.rowsAndLive<{ bot_id: string; id: string; conversation_id: string; score: number; agent_id: string | null; faq_id: string | null; tags: string[] | null; at: number }>(
      'ratings',
      range,
      `SELECT t.bot_id, t.id, t.conversation_id, t.score, t.agent_id, t.faq_id, NULLIF(t.tags, '{}') AS tags, (extract(epoch FROM t.at) * 1000)::float8 AS at
       FROM ratings t ${UP_TO_MARK('ratings_last_id')}`,
      [],
    );
    const found: { ms: number; r: Omit<Rating, 'at'> }[] = got.rows.map((r) => ({
      ms: r.at,
      r: { conv: r.conversation_id, botId: r.bot_id, score: r.score, agentId: r.agent_id, tags: r.tags ?? [], faqId: r.faq_id },
    }));
    for (const [botId, , f] of got.live) {
      found.push({ ms: Number(f.at), r: { conv: f.conv ?? '', botId, score: Number(f.score), agentId: f.agentId || null, tags: parseTags(f.tags), faqId: f.faqId || null } });
    }
    const ratings = found.sort((a, b) => a.ms - b.ms).map((x): Rating => ({ ...x.r, at: new Date(x.ms).toISOString() }));
    return { ratings, ...(got.shortfall ? { shortfall: got.shortfall } : {}) };
  }

  /**
   * The ratings of the range counted by what the reports group them by (bot account, first tag,
   * FAQ entry, agent, score): the feedback report's satisfaction without moving every row.
   */
  async ratingCounts(range: ReportRange): Promise<{ counts: RatingCount[]; shortfall?: ArchiveShortfall }> {
    const got = await this.rowsAndLive<{ bot_id: string; tag: string | null; faq_id: string | null; agent_id: string | null; score: number; n: number }>(
      'ratings',
      range,
      `SELECT t.bot_id, t.tags[1] AS tag, t.faq_id, t.agent_id, t.score, count(*)::int AS n
       FROM ratings t ${UP_TO_MARK('ratings_last_id')} GROUP BY 1, 2, 3, 4, 5`,
      [],
    );
    const counts: RatingCount[] = got.rows.map((r) => ({ botId: r.bot_id, tag: r.tag, faqId: r.faq_id, agentId: r.agent_id, score: r.score, n: r.n }));
    for (const [botId, , f] of got.live) counts.push({ botId, tag: parseTags(f.tags)[0] ?? null, faqId: f.faqId || null, agentId: f.agentId || null, score: Number(f.score), n: 1 });
    return { counts, ...(got.shortfall ? { shortfall: got.shortfall } : {}) };
  }

  /** The newest `limit` questions the FAQ did not answer (or whose answer did not help) in the range. */
  async gaps(range: ReportRange, limit: number): Promise<ArchivedGaps> {
    const got = await this.rowsAndLive<{ id: string; conversation_id: string; reason: string; text: string; faq_id: string | null; at: number }>(
      'gaps',
      range,
      `SELECT t.id, t.conversation_id, t.reason, t.text, t.faq_id, (extract(epoch FROM t.at) * 1000)::float8 AS at
       FROM knowledge_gaps t ${UP_TO_MARK('gaps_last_id')} ORDER BY t.at DESC LIMIT $3`,
      [limit],
    );
    const found: RawGap[] = got.rows.map((r) => ({ id: r.id, conv: r.conversation_id, reason: r.reason, text: r.text, faqId: r.faq_id, at: r.at }));
    for (const [, id, f] of got.live) found.push({ id, conv: f.conv ?? '', reason: f.reason ?? '', text: f.text ?? '', faqId: f.faqId || null, at: Number(f.at) });
    // Lists picked from and the picks drop out (handoff/gaps.ts).
    const gaps: KnowledgeGap[] = openGaps(found).slice(0, limit);
    return { gaps, ...(got.shortfall ? { shortfall: got.shortfall } : {}) };
  }

  /** Customer names of archived conversations (to blank them out of quotes); empty when PostgreSQL is down. */
  async customerNames(conversationIds: string[]): Promise<Map<string, string>> {
    if (conversationIds.length === 0) return new Map();
    const r = await this.query<{ id: string; customer_name: string }>("SELECT id, customer_name FROM conversations WHERE id = ANY($1) AND customer_name <> ''", [conversationIds]);
    return new Map(r.ok ? r.value.map((x) => [x.id, x.customer_name]) : []);
  }

  private async bots(): Promise<string[]> {
    return (await this.opts.redis.smembers(this.keys.bots())).sort();
  }

  /** A query that never throws: PostgreSQL down (or too slow) is a result the report reports. */
  private query<T extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<Settled<T[]>> {
    return this.withTimeout(async () => (await this.opts.pool.query<T>(sql, params)).rows);
  }

  private async withTimeout<T>(work: () => Promise<T>): Promise<Settled<T>> {
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    try {
      const value = await Promise.race([
        work(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { ok: true, value };
    } catch (err) {
      return { ok: false, error: `PostgreSQL: ${(err as Error).message || (err as { code?: string }).code || 'unreachable'}` };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A stream's archived rows in range and its Redis entries after them, each entry exactly once:
   * PostgreSQL answers with the entries up to the sync's position in each bot account's stream
   * (report_sync; rows past it, which the archiver may also write, are left to Redis), and the sync's
   * positions are read in the same snapshot (REPEATABLE READ), so a copy committed meanwhile is in
   * neither read twice; Redis gives the entries after those positions. `sql` filters the rows by
   * $1 <= at < $2 (further parameters from $3).
   */
  private async rowsAndLive<T extends pg.QueryResultRow>(
    stream: 'ratings' | 'gaps',
    range: ReportRange,
    sql: string,
    params: unknown[],
  ): Promise<{ rows: T[]; live: [botId: string, id: string, fields: Record<string, string>][]; shortfall?: ArchiveShortfall }> {
    const bots = await this.bots();
    const archived = await this.withTimeout(async () => {
      const client = await this.opts.pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const marks = await client.query<{ bot_id: string; mark: string }>(`SELECT bot_id, ${stream}_last_id AS mark FROM report_sync WHERE ${stream}_last_id IS NOT NULL`);
        const rows = await client.query<T>(sql, [new Date(range.fromMs), new Date(range.toMs), ...params]);
        await client.query('COMMIT');
        client.release();
        return { rows: rows.rows, marks: new Map(marks.rows.map((m) => [m.bot_id, m.mark])) };
      } catch (err) {
        // Dropped, not pooled: it may be mid-transaction or cut off.
        client.release(err as Error);
        throw err;
      }
    });
    const marks = archived.ok ? archived.value.marks : new Map<string, string>();
    const key = (botId: string) => (stream === 'ratings' ? this.keys.ratings(botId) : this.keys.gaps(botId));
    const live = await Promise.all(bots.map((botId) => this.liveEntries(key(botId), range, marks.get(botId), !archived.ok)));
    const entries = bots.flatMap((botId, i) => live[i]!.entries.map(([id, f]): [string, string, Record<string, string>] => [botId, id, f]));
    if (archived.ok) return { rows: archived.value.rows, live: entries };
    return { rows: [], live: entries, shortfall: this.trimmedShortfall(range, live.map((l) => l.trimmedBefore), archived.error) };
  }

  /**
   * A stream's entries whose `at` is in the range and that the archive does not hold (after `after`).
   * Entry ids are Redis's clock and `at` the handoff's (the same in production, not under a test
   * clock): read from a day before the range, keep by `at`. With `checkTrim`, also when the stream
   * was ever trimmed: the `at` of its first entry (older entries may be in the archive alone).
   */
  private async liveEntries(
    key: string,
    range: ReportRange,
    after: string | undefined,
    checkTrim: boolean,
  ): Promise<{ entries: [string, Record<string, string>][]; trimmedBefore: number | null }> {
    const floor = `${Math.max(0, Math.floor(range.fromMs) - DAY_MS)}-0`;
    const start = after && streamIdAfter(after, floor) ? `(${after}` : floor;
    const [raw, trimmedBefore] = await Promise.all([this.opts.redis.xrange(key, start, '+'), checkTrim ? this.trimmedBefore(key) : null]);
    const entries = raw
      .map(([id, flat]): [string, Record<string, string>] => [id, fieldsOf(flat)])
      .filter(([, f]) => Number(f.at) >= range.fromMs && Number(f.at) < range.toMs);
    return { entries, trimmedBefore };
  }

  /** When entries were ever dropped from the stream (MAXLEN): its first entry's `at`; else null. */
  private async trimmedBefore(key: string): Promise<number | null> {
    const info = (await this.opts.redis.xinfo('STREAM', key).catch(() => null)) as unknown[] | null;
    if (!info) return null; // no stream: nothing was ever added
    const get = (name: string): unknown => info[info.indexOf(name) + 1];
    const length = Number(get('length'));
    // Redis before 7.0 does not say how many were ever added: assume trimmed.
    const added = info.includes('entries-added') ? Number(get('entries-added')) : Infinity;
    if (added <= length) return null;
    const first = get('first-entry') as [string, string[]] | null;
    if (!first) return Infinity;
    return Number(fieldsOf(first[1]).at) || Number(first[0].split('-')[0]);
  }

  private trimmedShortfall(range: Pick<ReportRange, 'days' | 'timezone'>, trimmed: (number | null)[], error: string): ArchiveShortfall {
    // No bot account known: anything in the range may be in the archive alone.
    const since = trimmed.length ? Math.max(...trimmed.map((t) => t ?? -Infinity)) : Infinity;
    const unread = range.days.filter((day) => DateTime.fromISO(day, { zone: range.timezone }).toMillis() < since);
    return { unreadDays: this.pastDays(unread, range.timezone), error };
  }

  /** Days that have begun (a future day holds nothing anywhere). */
  private pastDays(days: Iterable<string>, timezone: string): string[] {
    const now = this.now();
    return [...new Set(days)].filter((day) => DateTime.fromISO(day, { zone: timezone }).toMillis() <= now).sort();
  }
}

export function createArchiveReports(opts: ArchiveReportsOptions): ArchiveReports {
  return new ArchiveReports(opts);
}
