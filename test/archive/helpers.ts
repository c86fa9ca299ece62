/**
 * What the archive tests share: a Handoff on a fresh prefix (with its own bot account, since every
 * test file writes into one PostgreSQL database) and an archive service on the same clock.
 */
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import type pg from 'pg';
import { startArchive, type ArchiveService, type StartArchiveOptions } from '../../src/archive/index.ts';
import { env, type Env } from '../support/handoff-fixture.ts';

export const DAY_MS = 86_400_000;
export const silent = pino({ level: 'silent' });

let seq = 0;
/** A bot account id no other test of the run uses (PostgreSQL is shared by a file's tests). */
export const freshBot = (): string => `ab${Date.now().toString(36)}${(seq++).toString(36)}`;

export interface ArchiveEnv extends Env {
  botId: string;
  archive: ArchiveService;
}

export async function archiveEnv(
  redis: Redis,
  url: string,
  opts: { streamMaxLen?: number; retentionDays?: number; tuning?: StartArchiveOptions['tuning'] } = {},
): Promise<ArchiveEnv> {
  const botId = freshBot();
  const e = await env(redis, { bots: [botId], ...(opts.streamMaxLen ? { streamMaxLen: opts.streamMaxLen } : {}) });
  const archive = await startArchive({
    url,
    redis,
    prefix: e.prefix,
    logger: silent,
    retentionDays: opts.retentionDays ?? 7,
    // The tests run it by hand.
    intervalMs: 3_600_000,
    now: e.clock.now,
    ...(opts.tuning ? { tuning: opts.tuning } : {}),
  });
  return { ...e, botId, archive };
}

/** Every archived row of the bot account's conversations and messages, as PostgreSQL has them (xmin: rewritten or not). */
export async function archivedRows(pool: pg.Pool, botId: string): Promise<{ conversations: Record<string, unknown>[]; messages: Record<string, unknown>[] }> {
  const conversations = (
    await pool.query(
      `SELECT xmin::text AS xmin, id, status, customer_name, tags, last_msg_id, trimmed_at, created_at, data, search::text AS search
       FROM conversations WHERE bot_id = $1 ORDER BY id`,
      [botId],
    )
  ).rows;
  const messages = (
    await pool.query(
      `SELECT m.xmin::text AS xmin, m.conversation_id, m.id, m.sender, m.text, m.at, m.event, m.search::text AS search
       FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.bot_id = $1
       ORDER BY m.conversation_id, split_part(m.id, '-', 1)::bigint, split_part(m.id, '-', 2)::bigint`,
      [botId],
    )
  ).rows;
  return { conversations, messages };
}
