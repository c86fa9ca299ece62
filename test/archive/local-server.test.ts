/**
 * The PostgreSQL the product runs itself (the demo's, the tests'): initdb on the first start and
 * the same data on the next, UTF-8 with the C.UTF-8 locale, a unix socket in the data dir, run as
 * the `postgres` user when we are root, found again by its postmaster.pid, stopped when the process
 * that started it exits. Real PostgreSQL programs, temp dirs.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { chown, mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalPostgres, LocalPostgresError, postgresRunAs, runningServer, type LocalPostgresOptions } from '../../src/archive/local-server.ts';
import { runNode } from '../support/processes.ts';
import { freePort, removeDir, trackDir, trackPid, untrackPid } from '../support/redis.ts';

const started: LocalPostgres[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop({ signal: 'SIGKILL' })));
  await Promise.all(dirs.map((d) => removeDir(d)));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-local-pg-'));
  trackDir(dir);
  dirs.push(dir);
  // mkdtemp makes it 0700: as root, the server's user must be able to enter it (the demo's ./.data: see below).
  const as = postgresRunAs();
  if (as) await chown(dir, as.uid, as.gid);
  return dir;
}

async function server(opts: Partial<LocalPostgresOptions> & { dataDir: string }): Promise<LocalPostgres> {
  const s = new LocalPostgres({ port: await freePort(false), durable: false, exitSignal: 'SIGKILL', onSpawn: trackPid, onExit: untrackPid, ...opts });
  started.push(s);
  return s;
}

/** The real uid a process runs as (/proc/<pid>/status). */
const uidOf = (pid: number): number => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

async function query<T extends pg.QueryResultRow>(config: pg.ClientConfig, sql: string): Promise<T[]> {
  const c = new pg.Client(config);
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('LocalPostgres', () => {
  it('initdb on the first start (UTF-8, C.UTF-8), the same data on the next start, on another port', async () => {
    const dataDir = path.join(await tempDir(), 'pg');
    const first = await server({ dataDir });
    expect(await first.init()).toBe(true);
    await first.start();
    expect(await first.createDatabase('kefu')).toBe(true);
    expect(await first.createDatabase('kefu')).toBe(false);
    const url = first.url('kefu');
    expect(url).toBe(`postgres://postgres@127.0.0.1:${first.port}/kefu`);
    await query({ connectionString: url }, "CREATE TABLE kept (t text); INSERT INTO kept VALUES ('录屏没有声音')");
    const [settings] = await query<{ encoding: string; collate: string }>(
      { connectionString: url },
      "SELECT pg_encoding_to_char(encoding) AS encoding, datcollate AS collate FROM pg_database WHERE datname = 'kefu'",
    );
    expect(settings).toEqual({ encoding: 'UTF8', collate: 'C.UTF-8' });
    await first.stop();
    expect(first.pid).toBeUndefined();
    expect(await first.answers()).toBe(false);

    const second = await server({ dataDir });
    expect(second.port).not.toBe(first.port);
    expect(await second.init()).toBe(false);
    await second.start();
    expect(await query({ connectionString: second.url('kefu') }, 'SELECT t FROM kept')).toEqual([{ t: '录屏没有声音' }]);
    await second.stop();
  });

  it('listens on a unix socket in its data dir, runs as the postgres user when we are root, and is found by its postmaster.pid', async () => {
    const dataDir = path.join(await tempDir(), 'pg');
    const s = await server({ dataDir });
    await s.start();
    expect(s.socketDir).toBe(dataDir);
    expect(existsSync(path.join(dataDir, `.s.PGSQL.${s.port}`))).toBe(true);
    expect(await query({ host: dataDir, port: s.port, user: 'postgres', database: 'postgres' }, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);

    const as = postgresRunAs();
    const expectedUid = as ? as.uid : process.getuid!();
    expect(uidOf(s.pid!)).toBe(expectedUid);
    expect(statSync(dataDir).uid).toBe(expectedUid);
    if (process.getuid!() === 0) expect(expectedUid).not.toBe(0);

    expect(runningServer(dataDir)).toEqual({ pid: s.pid, port: s.port });
    await s.stop();
    expect(runningServer(dataDir)).toBeUndefined();
  });

  it('opens parents it may (o+x) for the postgres user, and names one it may not', async () => {
    const base = await tempDir();
    // Like ./.data after the bot's journal made it: 0700, root's when we are root.
    const closedInside = path.join(base, 'inside', 'data');
    mkdirSync(closedInside, { recursive: true, mode: 0o700 });
    chmodSync(closedInside, 0o700);
    const opened = await server({ dataDir: path.join(closedInside, 'pg'), openParentsBelow: base });
    await opened.start();
    await opened.stop();
    // Only where it had to: as root the closed parent gets o+x (traversal, never listing); otherwise it is ours already.
    expect(statSync(closedInside).mode & 0o777).toBe(postgresRunAs() ? 0o701 : 0o700);

    if (postgresRunAs()) {
      const closedOutside = path.join(base, 'outside');
      mkdirSync(closedOutside, { mode: 0o700 });
      chmodSync(closedOutside, 0o700);
      const refused = await server({ dataDir: path.join(closedOutside, 'pg'), openParentsBelow: path.join(base, 'elsewhere') });
      const err = await refused.init().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LocalPostgresError);
      expect(err).toMatchObject({ code: 'PG_DIR_UNREACHABLE', message: expect.stringContaining(closedOutside) });
      expect(statSync(closedOutside).mode & 0o777).toBe(0o700);
    } else {
      // Not root: the server runs as us, nothing to open.
      expect(postgresRunAs()).toBeUndefined();
    }
  });

  it('without the server programs: PG_NOT_INSTALLED with the install command', async () => {
    const err = (() => {
      try {
        return new LocalPostgres({ dataDir: '/nonexistent/pg', port: 1, binDir: '/nonexistent/bin' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LocalPostgresError);
    expect(err).toMatchObject({ code: 'PG_NOT_INSTALLED', message: expect.stringContaining('apt-get install postgresql') });
  });

  it('is stopped when the process that started it exits', { timeout: 60_000 }, async () => {
    const dataDir = path.join(await tempDir(), 'pg');
    const port = await freePort(false);
    const moduleUrl = pathToFileURL(path.resolve(import.meta.dirname, '../../src/archive/local-server.ts')).href;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = [
      `import { LocalPostgres } from ${JSON.stringify(moduleUrl)};`,
      `const s = new LocalPostgres({ dataDir: ${JSON.stringify(dataDir)}, port: ${port}, durable: false });`,
      'await s.start();',
      'process.stdout.write(String(s.pid));',
      // Exits without stopping it: the exit hook must.
      'process.exit(0);',
    ].join('\n');
    const r = await runNode(['--import', tsx, '--input-type=module', '-e', script], { cwd: path.dirname(dataDir), timeoutMs: 45_000 });
    expect(r.stderr).toBe('');
    const pid = Number(r.stdout);
    expect(pid).toBeGreaterThan(0);
    const probe = await server({ dataDir, port });
    const deadline = Date.now() + 15_000;
    while (runningServer(dataDir) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    expect(runningServer(dataDir)).toBeUndefined();
    expect(await probe.answers()).toBe(false);
  });
});
