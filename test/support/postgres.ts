import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, HOST, removeDir, trackDir, trackPid, untrackPid } from './redis.ts';

/**
 * Real, throw-away PostgreSQL servers for tests and benchmarks: initdb into a temp dir (UTF-8, so
 * Chinese text sorts and matches as it will in production), `postgres` on a free port of 127.0.0.1,
 * trust auth for the `postgres` user. Never the machine's own server on 5432. Killed (and the dir
 * removed) by `stopAllPostgres()`, the process's exit, or the shared watchdog of ./redis.ts when the
 * test worker dies.
 *
 * Durability settings are relaxed (fsync off): the tests that kill the server check what the
 * product does about a lost connection and an aborted transaction, not the disk.
 */

const START_TIMEOUT_MS = 20_000;

/** Debian installs the server's programs outside PATH: /usr/lib/postgresql/<major>/bin. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((d) => existsSync(path.join(root, d, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return path.join(root, majors[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v postgres'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? path.dirname(which.stdout.trim()) : undefined;
}

export interface PostgresServer {
  port: number;
  /** `postgres://postgres@127.0.0.1:PORT/kefu` */
  url: string;
  dir: string;
  readonly pid: number | undefined;
  /** SIGINT (default): fast shutdown. SIGKILL: a crash. */
  stop(opts?: { signal?: 'SIGINT' | 'SIGKILL' }): Promise<void>;
  /** Starts it again on the same port and data dir. */
  restart(): Promise<void>;
  /** A pool on the test database (closed by stopAllPostgres()). */
  pool(opts?: pg.PoolConfig): pg.Pool;
}

const live = new Set<ChildProcess>();
const servers = new Set<Server>();
const pools = new Set<pg.Pool>();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * PostgreSQL refuses to run as root: as root (CI, containers) its programs run as the `postgres`
 * user Debian's package creates, owning the temp dir.
 */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const u = id('-u');
  const g = id('-g');
  if (u.status !== 0 || g.status !== 0) throw new Error('running as root, and there is no `postgres` user to run PostgreSQL as');
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

const PG_ENV = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };

function run(bin: string, args: string[]): void {
  const r = spawnSync(bin, args, { encoding: 'utf8', env: PG_ENV, ...runAs() });
  if (r.status !== 0) throw new Error(`${path.basename(bin)} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
}

class Server implements PostgresServer {
  readonly url: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly bin: string,
    readonly port: number,
    readonly dir: string,
  ) {
    this.url = `postgres://postgres@${HOST}:${port}/kefu`;
  }

  get pid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  async start(): Promise<void> {
    if (this.disposed) throw new Error(`postgres on port ${this.port} was removed by stopAllPostgres()`);
    if (this.pid !== undefined) return;
    const data = path.join(this.dir, 'data');
    const child = spawn(
      path.join(this.bin, 'postgres'),
      [
        '-D', data,
        '-p', String(this.port),
        '-c', `listen_addresses=${HOST}`,
        '-c', `unix_socket_directories=${this.dir}`,
        '-c', 'fsync=off',
        '-c', 'synchronous_commit=off',
        '-c', 'full_page_writes=off',
        '-c', 'max_connections=50',
        '-c', 'shared_buffers=64MB',
        '-c', 'logging_collector=off',
        '-c', 'log_min_messages=warning',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: PG_ENV, ...runAs() },
    );
    let output = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (output = (output + d).slice(-4000)));
    child.unref();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    this.child = child;
    live.add(child);
    if (child.pid !== undefined) trackPid(child.pid);
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        live.delete(child);
        if (child.pid !== undefined) untrackPid(child.pid);
        resolve();
      });
      child.once('error', (err) => {
        output += String(err);
        resolve();
      });
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (this.pid === undefined) break;
      if (await this.answers()) return;
      if (Date.now() > deadline) break;
      await delay(50);
    }
    await this.stop({ signal: 'SIGKILL' });
    throw new Error(`postgres on port ${this.port} did not start:\n${output.trim()}`);
  }

  private async answers(): Promise<boolean> {
    const c = new pg.Client({ host: HOST, port: this.port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 500 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  async stop(opts: { signal?: 'SIGINT' | 'SIGKILL' } = {}): Promise<void> {
    if (this.pid === undefined) return;
    this.child!.kill(opts.signal ?? 'SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 15_000))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.child!.kill('SIGKILL');
      await this.exited;
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  pool(opts: pg.PoolConfig = {}): pg.Pool {
    const p = new pg.Pool({ connectionString: this.url, max: 4, ...opts });
    // Expected while a test has the server stopped.
    p.on('error', () => undefined);
    pools.add(p);
    return p;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stop({ signal: 'SIGKILL' });
    await removeDir(this.dir);
  }
}

/** A fresh PostgreSQL on a free port with its own temp dir and an empty database `kefu`. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql): the archive tests need its server programs');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-pg-'));
  trackDir(dir);
  const as = runAs();
  if (as) await chown(dir, as.uid, as.gid);
  run(path.join(bin, 'initdb'), ['-D', path.join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  const server = new Server(bin, await freePort(false), dir);
  servers.add(server);
  await server.start();
  const admin = new pg.Client({ host: HOST, port: server.port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query('CREATE DATABASE kefu');
  await admin.end();
  return server;
}

/** Closes every pool, kills every server started here and removes their dirs. Use in afterAll. */
export async function stopAllPostgres(): Promise<void> {
  await Promise.all([...pools].map((p) => p.end().catch(() => undefined)));
  pools.clear();
  const all = [...servers];
  servers.clear();
  await Promise.all(all.map((s) => s.dispose()));
}
