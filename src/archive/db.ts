import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { ArchiveError } from './errors.ts';

/**
 * The archive's PostgreSQL: a connection pool and the schema migrations (src/archive/migrations,
 * `NNN_name.sql`, applied in order at start, each once, each in its own transaction).
 */

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
const FILE = /^(\d{3})_([a-z0-9_-]+)\.sql$/;
/** pg_advisory_lock key: several processes starting on one database apply migrations one at a time. */
const MIGRATION_LOCK = 0x6b656675; // "kefu"

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir: URL = MIGRATIONS_DIR): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = FILE.exec(file);
    if (!m) continue;
    out.push({ version: Number(m[1]), name: m[2]!, sql: readFileSync(new URL(file, dir), 'utf8') });
  }
  const seen = new Set<number>();
  for (const m of out) {
    if (seen.has(m.version)) throw new ArchiveError('ARCHIVE_MIGRATION_FAILED', `two migrations are numbered ${m.version}`);
    seen.add(m.version);
  }
  return out;
}

export interface MigrationResult {
  /** Versions applied by this call (empty when the schema was up to date). */
  applied: number[];
  /** The schema's version now. */
  version: number;
}

/** Brings the database's schema up to date; safe to call from several processes at once. */
export async function migrate(pool: pg.Pool, migrations: Migration[] = readMigrations()): Promise<MigrationResult> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw new ArchiveError('ARCHIVE_UNAVAILABLE', `PostgreSQL cannot be reached: ${(err as Error).message}`, { cause: err });
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...done].filter((v) => !known.has(v));
    if (unknown.length) {
      throw new ArchiveError(
        'ARCHIVE_SCHEMA_NEWER',
        `the archive database has migrations ${unknown.join(', ')} that this version does not know: a newer kefu-bridge wrote it`,
      );
    }
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      try {
        await client.query('BEGIN');
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new ArchiveError('ARCHIVE_MIGRATION_FAILED', `migration ${String(m.version).padStart(3, '0')}_${m.name}.sql failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.version);
    }
    return { applied, version: Math.max(0, ...migrations.map((m) => m.version)) };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}

export interface PoolOptions {
  url: string;
  /** Connections at most (default 5: archiving and search are light next to Redis's traffic). */
  max?: number;
}

/**
 * A pool that never crashes the process: an idle client's error (PostgreSQL restarted) is
 * reported to `onError` and the client dropped; the next query opens a new connection.
 */
export function createPool(opts: PoolOptions, onError: (err: Error) => void = () => undefined): pg.Pool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 5,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'kefu-bridge',
  });
  pool.on('error', onError);
  return pool;
}
