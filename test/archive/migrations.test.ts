/**
 * The archive's schema: migrations apply once, in order, from several processes at once, and a
 * database written by a newer version is refused with a clear error. Real PostgreSQL (own server).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ArchiveError, createPool, migrate, readMigrations } from '../../src/archive/index.ts';
import { usePostgresServer } from '../support/hooks.ts';
import type { PostgresServer } from '../support/postgres.ts';

let server: PostgresServer;
usePostgresServer((s) => (server = s));

describe('archive migrations', () => {
  it('apply every migration once, from two processes starting together, and create the tables', async () => {
    const a = server.pool();
    const b = server.pool();
    const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
    const versions = readMigrations().map((m) => m.version);
    expect([...ra.applied, ...rb.applied].sort()).toEqual(versions);
    expect(ra.version).toBe(Math.max(...versions));
    const again = await migrate(a);
    expect(again.applied).toEqual([]);
    const { rows } = await a.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['conversations', 'messages', 'ratings', 'schema_migrations']));
  });

  it('roll a failing migration back whole and name it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kefu-mig-'));
    writeFileSync(path.join(dir, '001_ok.sql'), 'CREATE TABLE t_ok (x int);');
    writeFileSync(path.join(dir, '002_broken.sql'), 'CREATE TABLE t_half (x int); SELECT no_such_function();');
    const pool = server.pool();
    await pool.query('CREATE DATABASE kefu_broken');
    const other = createPool({ url: server.url.replace(/\/kefu$/, '/kefu_broken') });
    try {
      const err = await migrate(other, readMigrations(pathToFileURL(`${dir}/`))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArchiveError);
      expect((err as ArchiveError).code).toBe('ARCHIVE_MIGRATION_FAILED');
      expect((err as Error).message).toContain('002_broken.sql');
      const tables = await other.query("SELECT to_regclass('t_ok') AS ok, to_regclass('t_half') AS half");
      expect(tables.rows[0]).toEqual({ ok: 't_ok', half: null });
    } finally {
      await other.end();
    }
  });

  it('refuse a database a newer version migrated', async () => {
    const pool = server.pool();
    await migrate(pool);
    await pool.query("INSERT INTO schema_migrations (version, name) VALUES (999, 'from_the_future')");
    const err = await migrate(pool).catch((e: unknown) => e);
    expect((err as ArchiveError).code).toBe('ARCHIVE_SCHEMA_NEWER');
    await pool.query('DELETE FROM schema_migrations WHERE version = 999');
  });

  it('say PostgreSQL is unreachable when it is down', async () => {
    const pool = createPool({ url: 'postgres://postgres@127.0.0.1:1/kefu' });
    const err = await migrate(pool).catch((e: unknown) => e);
    expect((err as ArchiveError).code).toBe('ARCHIVE_UNAVAILABLE');
    await pool.end();
  });
});
