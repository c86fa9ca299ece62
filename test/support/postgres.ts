import { chown, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { LocalPostgres, postgresBinDir, postgresRunAs } from '../../src/archive/local-server.ts';
import { freePort, HOST, removeDir, trackDir, trackPid, untrackPid } from './redis.ts';

export { postgresBinDir };

/**
 * Real, throw-away PostgreSQL servers for tests and benchmarks: the product's own local server
 * (src/archive/local-server.ts, which the demo runs too) in a temp dir, on a free port of
 * 127.0.0.1, trust auth for the `postgres` user. Never the machine's own server on 5432. Killed (and
 * the dir removed) by `stopAllPostgres()`, the process's exit, or the shared watchdog of ./redis.ts
 * when the test worker dies.
 *
 * Durability settings are relaxed (fsync off): the tests that kill the server check what the
 * product does about a lost connection and an aborted transaction, not the disk.
 */

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

const servers = new Set<Server>();
const pools = new Set<pg.Pool>();

class Server implements PostgresServer {
  readonly url: string;
  private disposed = false;

  constructor(
    private readonly local: LocalPostgres,
    readonly dir: string,
  ) {
    this.url = local.url('kefu');
  }

  get port(): number {
    return this.local.port;
  }

  get pid(): number | undefined {
    return this.local.pid;
  }

  async start(): Promise<void> {
    if (this.disposed) throw new Error(`postgres on port ${this.port} was removed by stopAllPostgres()`);
    await this.local.start();
  }

  stop(opts: { signal?: 'SIGINT' | 'SIGKILL' } = {}): Promise<void> {
    return this.local.stop(opts);
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
  if (!postgresBinDir()) throw new Error('PostgreSQL is not installed (apt-get install postgresql): the archive tests need its server programs');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-pg-'));
  trackDir(dir);
  const as = postgresRunAs();
  if (as) await chown(dir, as.uid, as.gid);
  const local = new LocalPostgres({
    dataDir: path.join(dir, 'data'),
    socketDir: dir,
    port: await freePort(false),
    host: HOST,
    durable: false,
    settings: { max_connections: 50, shared_buffers: '64MB' },
    // A test worker that dies leaves nothing behind (the dir goes too).
    exitSignal: 'SIGKILL',
    onSpawn: trackPid,
    onExit: untrackPid,
  });
  const server = new Server(local, dir);
  servers.add(server);
  await server.start();
  await local.createDatabase('kefu');
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
