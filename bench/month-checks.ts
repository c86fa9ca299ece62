/**
 * bench:month's checks: every message of every conversation is in Redis or in PostgreSQL (or both,
 * while it is live: the archiver copies as it goes), none lost, none twice; and whether Redis's
 * memory went flat once the retention window was reached.
 */
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Keys } from '../src/handoff/index.ts';

export interface OnceReport {
  conversations: number;
  /** Transcript entries the traffic wrote. */
  expected: number;
  /** Where they are: PostgreSQL only (trimmed from Redis), both (live and copied), Redis only (not copied yet). */
  archivedOnly: number;
  both: number;
  redisOnly: number;
  /** Written but found nowhere; found more often than written (a message under two ids). */
  lost: number;
  extra: number;
  /** Conversations with either, and a few of them for the log. */
  wrong: number;
  examples: string[];
}

/**
 * Per conversation: the union of its transcript entry ids in Redis and in PostgreSQL must be exactly
 * the entries written. Ids are read in batches (Redis: the whole transcript; PostgreSQL: the ids).
 */
export async function checkExactlyOnce(redis: Redis, keys: Keys, pool: pg.Pool, expected: Map<string, number>, batch = 500): Promise<OnceReport> {
  const out: OnceReport = { conversations: expected.size, expected: 0, archivedOnly: 0, both: 0, redisOnly: 0, lost: 0, extra: 0, wrong: 0, examples: [] };
  const ids = [...expected.keys()];
  for (let i = 0; i < ids.length; i += batch) {
    const chunk = ids.slice(i, i + batch);
    const pipe = redis.pipeline();
    for (const id of chunk) pipe.xrange(keys.transcript(id), '-', '+');
    const [live, archived] = await Promise.all([
      pipe.exec(),
      pool.query<{ conversation_id: string; ids: string[] }>('SELECT conversation_id, array_agg(id) AS ids FROM messages WHERE conversation_id = ANY($1::text[]) GROUP BY 1', [chunk]),
    ]);
    const inPg = new Map(archived.rows.map((r) => [r.conversation_id, new Set(r.ids)]));
    chunk.forEach((id, j) => {
      const [err, entries] = live![j]!;
      if (err) throw err;
      const pgIds = inPg.get(id) ?? new Set<string>();
      let both = 0;
      let redisOnly = 0;
      for (const [entryId] of entries as [string, string[]][]) {
        if (pgIds.has(entryId)) both++;
        else redisOnly++;
      }
      const want = expected.get(id)!;
      const have = pgIds.size + redisOnly;
      out.expected += want;
      out.both += both;
      out.redisOnly += redisOnly;
      out.archivedOnly += pgIds.size - both;
      if (have !== want) {
        out.wrong++;
        if (have < want) out.lost += want - have;
        else out.extra += have - want;
        if (out.examples.length < 5) out.examples.push(`${id}: written ${want}, Redis ${both + redisOnly}, PostgreSQL ${pgIds.size}, together ${have}`);
      }
    });
  }
  return out;
}

export interface Flatness {
  /** False when there are too few days past the window to judge. */
  judged: boolean;
  /** First day (1-based) judged: retention + margin + 1. */
  fromDay: number;
  /** Memory on that day and on the last, and the least-squares slope over the judged days. */
  start: number;
  end: number;
  slopePerDay: number;
  /** The slope as a share of the memory on the first judged day, in % a day. */
  pctPerDay: number;
  flat: boolean;
}

/**
 * Whether `memory` (one figure per simulated day, after the day's archiving) stopped growing after
 * `retentionDays + marginDays`: the least-squares slope over the days after that must be at most
 * `maxPctPerDay` of the memory on the first of them. At least 3 days past the window are needed.
 */
export function judgeFlat(memory: number[], retentionDays: number, marginDays: number, maxPctPerDay: number): Flatness {
  const from = Math.ceil(retentionDays + marginDays);
  const ys = memory.slice(from);
  const start = memory[from] ?? Number.NaN;
  const end = memory.at(-1) ?? Number.NaN;
  if (ys.length < 3) return { judged: false, fromDay: from + 1, start, end, slopePerDay: Number.NaN, pctPerDay: Number.NaN, flat: true };
  const n = ys.length;
  const mx = (n - 1) / 2;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  });
  const slope = num / den;
  const pct = (slope / start) * 100;
  return { judged: true, fromDay: from + 1, start, end, slopePerDay: slope, pctPerDay: pct, flat: pct <= maxPctPerDay };
}

/** Conversations PostgreSQL knows as still in Redis, by status (the copy's view, a run behind at most). */
export async function liveByStatus(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM conversations WHERE trimmed_at IS NULL GROUP BY 1 ORDER BY 1');
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Redis's used_memory (bytes). */
export async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
}

/**
 * What Redis holds, by kind of key (the part of the key after the bot account's tag: conv, cust,
 * events, day, ...; a conversation's transcript and msgIds apart): keys and bytes (MEMORY USAGE of
 * up to `sample` keys of each kind, scaled to all of them).
 */
export async function keysByKind(redis: Redis, prefix: string, sample = 500): Promise<{ kind: string; keys: number; bytes: number }[]> {
  const kinds = new Map<string, string[]>();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of found) {
      const rest = key.slice(prefix.length + 1).replace(/^\{[^}]*\}:?/, '');
      const [head = '', , tail] = rest.split(':');
      const kind = head === 'conv' ? (tail ? `conv:*:${tail}` : 'conv') : head || rest;
      const list = kinds.get(kind) ?? [];
      list.push(key);
      kinds.set(kind, list);
    }
  } while (cursor !== '0');
  const out: { kind: string; keys: number; bytes: number }[] = [];
  for (const [kind, keys] of kinds) {
    const some = keys.slice(0, sample);
    const pipe = redis.pipeline();
    for (const k of some) pipe.call('MEMORY', 'USAGE', k);
    const sizes = ((await pipe.exec()) ?? []).map(([, v]) => Number(v) || 0);
    const sum = sizes.reduce((a, b) => a + b, 0);
    out.push({ kind, keys: keys.length, bytes: Math.round((sum / Math.max(1, some.length)) * keys.length) });
  }
  return out.sort((a, b) => b.bytes - a.bytes);
}
