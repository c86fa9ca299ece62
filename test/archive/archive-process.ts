/**
 * An archiver in a process of its own, for a test that SIGKILLs it for real at a step of its run
 * (ARCHIVE_KILL_AT: copied | trimmed-redis | marked). Prints JSON lines: {"event":"killing","step"}
 * just before, {"event":"done", ...result} when the run ends without dying.
 * Env: DATABASE_URL, REDIS_URL, REDIS_PREFIX, ARCHIVE_NOW (ms, the clock), ARCHIVE_KILL_AT.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startArchive, type ArchiveStep } from '../../src/archive/index.ts';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const redis = new Redis(env('REDIS_URL'));
const now = Number(env('ARCHIVE_NOW'));
const killAt = process.env.ARCHIVE_KILL_AT as ArchiveStep | undefined;
const archive = await startArchive({
  url: env('DATABASE_URL'),
  redis,
  prefix: env('REDIS_PREFIX'),
  logger: pino({ level: 'silent' }),
  retentionDays: 7,
  intervalMs: 3_600_000,
  now: () => now,
  tuning: {
    lockTtlMs: 1_500,
    onStep: (step) => {
      if (step !== killAt) return;
      process.stdout.write(`${JSON.stringify({ event: 'killing', step })}\n`);
      process.kill(process.pid, 'SIGKILL');
    },
  },
});
const result = await archive.runOnce();
process.stdout.write(`${JSON.stringify({ event: 'done', ...result })}\n`);
await archive.close();
redis.disconnect();
