/**
 * The archive as the rest of the product sees it: `startArchive` connects to PostgreSQL, brings the
 * schema up to date and runs the archiver every `intervalMs`; the service answers the console's
 * reads and says how archiving is going (`status`, for health and metrics).
 *
 * PostgreSQL down (at start or later) is a state, not a failure: archiving pauses, nothing is
 * trimmed, `status().up` is false with the reason, and the next run tries again. The bot and the
 * console never wait for it.
 */
import type { Cluster, Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from 'pino';
import { createKeys } from '../handoff/keys.ts';
import type { Conversation, TranscriptMessage } from '../handoff/types.ts';
import { Archiver, type ArchiveStep, type RunResult } from './archiver.ts';
import { createPool, migrate } from './db.ts';
import { ArchiveError } from './errors.ts';
import { createArchiveReports, type ArchiveReports } from './reports.ts';
import { readConversation, readMessages, type ArchivedConversation, type MessagesQuery } from './read.ts';
import { readHistory, type ArchivedHistory } from './history.ts';
import { searchArchive, type SearchOptions, type SearchResult } from './search.ts';
import { readTagged, type TaggedConversation } from './tagged.ts';

export interface ArchiveStatus {
  /** PostgreSQL answered the last run (false: archiving paused, nothing trimmed). */
  up: boolean;
  /** How far the copy is behind Redis's newest change (since the last good run while down). */
  lagMs?: number;
  /** When the last run finished well (ISO-8601). */
  lastRunAt?: string;
  /** Why the last run failed. */
  error?: string;
  /** Conversation rows written and conversations trimmed from Redis by this process since it started. */
  archived: number;
  trimmed: number;
}

export interface ArchiveService {
  status(): ArchiveStatus;
  /** One archiving run now (tests; the loop calls it every intervalMs). Throws what the run met. */
  runOnce(): Promise<RunResult>;
  /** The conversation as archived (null: never copied). Throws ArchiveError ARCHIVE_UNAVAILABLE when PostgreSQL is down. */
  conversation(id: string): Promise<ArchivedConversation | null>;
  /** Archived messages of a conversation, oldest first (`before`: the history before the live transcript). */
  messages(id: string, q?: MessagesQuery): Promise<TranscriptMessage[]>;
  /** A conversation's archived events and ratings, for the customer panel (history.ts). Throws ArchiveError ARCHIVE_UNAVAILABLE when PostgreSQL is down. */
  history(id: string): Promise<ArchivedHistory>;
  /** One page of search results over the archive (search.ts). Throws ArchiveError ARCHIVE_UNAVAILABLE when PostgreSQL is down. */
  search(q: SearchOptions): Promise<SearchResult>;
  /** The newest tagged conversations with their first messages, for the tag model (tagged.ts). Throws ArchiveError ARCHIVE_UNAVAILABLE when PostgreSQL is down. */
  taggedConversations(limit: number): Promise<TaggedConversation[]>;
  /** Reports over any range: what left Redis (expired day counters, trimmed ratings and gaps) read from here. */
  reports: ArchiveReports;
  close(): Promise<void>;
}

export interface StartArchiveOptions {
  /** DATABASE_URL. */
  url: string;
  redis: Redis | Cluster;
  /** The Redis key prefix. */
  prefix: string;
  logger: Logger;
  /** Resolved conversations leave Redis this long after their last change (ARCHIVE_AFTER_DAYS). */
  retentionDays: number;
  /** How often the archiver runs. */
  intervalMs: number;
  now?: () => number;
  /** Other work on the archive run after each archiving run (e.g. the reports' sync); a failure is logged. */
  afterRun?: (ctx: { pool: pg.Pool; redis: Redis | Cluster; prefix: string }) => Promise<unknown>;
  /** For tests: the archiver's batch sizes and step hook. */
  tuning?: { batchEvents?: number; trimBatch?: number; lockTtlMs?: number; onStep?: (step: ArchiveStep, botId: string) => void | Promise<void> };
  /** Pool size (default 5). */
  maxConnections?: number;
}

const FIRST_RUN_MS = 5_000;

/** pg's connection failures (and a server shutting down): PostgreSQL is down, not the query wrong. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof ArchiveError) return err.code === 'ARCHIVE_UNAVAILABLE';
  const e = err as { code?: string; message?: string };
  if (typeof e.code === 'string' && (/^(08|57P)/.test(e.code) || /^E(CONNREFUSED|CONNRESET|TIMEDOUT|PIPE|HOSTUNREACH|NOTFOUND|AI_AGAIN)$/.test(e.code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error/i.test(e.message ?? '');
}

const unavailable = (err: unknown): ArchiveError =>
  err instanceof ArchiveError ? err : new ArchiveError('ARCHIVE_UNAVAILABLE', `PostgreSQL cannot be reached: ${(err as Error).message}`, { cause: err });

/**
 * Starts archiving. Resolves even when PostgreSQL is down (the status says so and each run retries);
 * rejects only for a schema it must not touch (ARCHIVE_SCHEMA_NEWER, ARCHIVE_MIGRATION_FAILED).
 */
export async function startArchive(opts: StartArchiveOptions): Promise<ArchiveService> {
  const log = opts.logger.child({ component: 'archive' });
  const pool = createPool({ url: opts.url, max: opts.maxConnections ?? 5 }, (err) => log.warn({ err: err.message }, 'archive: PostgreSQL connection lost'));
  const keys = createKeys(opts.prefix);
  const now = opts.now ?? Date.now;
  const archiver = new Archiver({ pool, redis: opts.redis, keys, retentionDays: opts.retentionDays, now, logger: log, ...opts.tuning });
  const state: ArchiveStatus = { up: false, archived: 0, trimmed: 0 };
  let migrated = false;
  let lastGood = 0;
  let closed = false;
  let running: Promise<RunResult> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const ensureSchema = async (): Promise<void> => {
    if (migrated) return;
    const { applied } = await migrate(pool);
    if (applied.length) log.info({ applied }, 'archive: schema migrated');
    migrated = true;
  };

  const run = async (): Promise<RunResult> => {
    const wasUp = state.up;
    try {
      await ensureSchema();
      const result = await archiver.runOnce();
      state.archived += result.conversations;
      state.trimmed += result.trimmed;
      if (!wasUp && lastGood) log.info('archive: PostgreSQL back, archiving resumed');
      lastGood = now();
      Object.assign(state, { up: true, lagMs: result.lagMs, lastRunAt: new Date(lastGood).toISOString() });
      delete state.error;
      if (result.conversations || result.trimmed) log.info(result, 'archive: run');
      if (opts.afterRun) {
        await opts.afterRun({ pool, redis: opts.redis, prefix: opts.prefix }).catch((err: unknown) => log.warn({ err }, 'archive: after-run work failed'));
      }
      return result;
    } catch (err) {
      const down = isUnavailable(err) || (err instanceof ArchiveError && err.code === 'ARCHIVE_UNAVAILABLE');
      if (down) state.up = false;
      state.error = (err as Error).message;
      if (lastGood) state.lagMs = now() - lastGood;
      // One line per outage, not one per run: a PostgreSQL down for a night would fill the log.
      if (!down || wasUp) log.warn({ err: state.error, down }, down ? 'archive: PostgreSQL down, archiving paused (nothing is trimmed)' : 'archive: run failed');
      throw down ? unavailable(err) : err;
    }
  };

  /** One run at a time: a call while one runs waits for it, then runs again (it may have missed changes). */
  const runOnce = async (): Promise<RunResult> => {
    while (running) await running.catch(() => undefined);
    running = run();
    try {
      return await running;
    } finally {
      running = undefined;
    }
  };

  const schedule = (delayMs = opts.intervalMs): void => {
    if (closed) return;
    timer = setTimeout(() => {
      void runOnce()
        .catch(() => undefined)
        .finally(() => schedule());
    }, delayMs);
    timer.unref?.();
  };

  try {
    await ensureSchema();
    state.up = true;
  } catch (err) {
    if (!isUnavailable(err)) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    state.error = (err as Error).message;
    log.warn({ err: state.error }, 'archive: PostgreSQL cannot be reached; archiving starts when it can');
  }
  // The first run soon after start (not one whole interval later), once the bot and console are up.
  schedule(Math.min(opts.intervalMs, FIRST_RUN_MS));

  const read = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw isUnavailable(err) ? unavailable(err) : err;
    }
  };

  return {
    status: () => ({ ...state }),
    runOnce,
    conversation: (id: string): Promise<ArchivedConversation | null> => read(() => readConversation(pool, id)),
    messages: (id: string, q?: MessagesQuery): Promise<TranscriptMessage[]> => read(() => readMessages(pool, id, q)),
    history: (id: string): Promise<ArchivedHistory> => read(() => readHistory(pool, id)),
    search: (q: SearchOptions): Promise<SearchResult> => read(() => searchArchive(pool, q)),
    taggedConversations: (limit: number): Promise<TaggedConversation[]> => read(() => readTagged(pool, limit)),
    reports: createArchiveReports({ pool, redis: opts.redis, prefix: opts.prefix }),
    async close(): Promise<void> {
      closed = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

export type { ArchivedConversation, Conversation, MessagesQuery, RunResult };
