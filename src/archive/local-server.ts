/**
 * A PostgreSQL server kefu-bridge runs itself from Debian's packaged programs, the way the demo runs
 * redis-server: the demo's (data kept in ./.data/pg) and the tests' (a temp dir, thrown away) are
 * both this one implementation.
 *
 * - initdb on first start (UTF-8, locale C.UTF-8: Chinese text is stored and compared as it will be
 *   in production; under the C locale pg_trgm would ignore CJK characters), trust auth for the
 *   `postgres` user on 127.0.0.1 and the unix socket only.
 * - `postgres` listens on 127.0.0.1:<port> and on a unix socket in the data dir.
 * - PostgreSQL refuses to run as root: as root (CI, containers) its programs run as the `postgres`
 *   user Debian's package creates, and the data dir belongs to that user.
 * - A child that outlives us is never left behind: the process's exit stops it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { KefuError } from '../errors.ts';

export type LocalPostgresErrorCode =
  /** No PostgreSQL server programs on this machine (apt-get install postgresql). */
  | 'PG_NOT_INSTALLED'
  /** Running as root, and there is no `postgres` user to run the server as. */
  | 'PG_NO_USER'
  /** The `postgres` user cannot reach the data dir (a parent folder closed to other users). */
  | 'PG_DIR_UNREACHABLE'
  | 'PG_INITDB_FAILED'
  | 'PG_START_FAILED';

export class LocalPostgresError extends KefuError {
  declare readonly code: LocalPostgresErrorCode;
  constructor(code: LocalPostgresErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export const PG_INSTALL_HINT = 'Debian / Ubuntu: sudo apt-get install postgresql (or set DATABASE_URL to a PostgreSQL you have)';

/** Debian installs the server's programs outside PATH: /usr/lib/postgresql/<major>/bin, newest major first. */
export function postgresBinDir(root = '/usr/lib/postgresql'): string | undefined {
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((d) => existsSync(path.join(root, d, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return path.join(root, majors[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v postgres'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? path.dirname(which.stdout.trim()) : undefined;
}

export interface RunAs {
  uid: number;
  gid: number;
}

/** The `postgres` user's ids when we are root (the server refuses root); undefined otherwise. */
export function postgresRunAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const u = id('-u');
  const g = id('-g');
  if (u.status !== 0 || g.status !== 0) {
    throw new LocalPostgresError('PG_NO_USER', 'running as root, and there is no `postgres` user to run PostgreSQL as (Debian\'s postgresql package creates it)');
  }
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** initdb and postgres read the locale from here: C.UTF-8 exists on every Debian. */
const PG_ENV = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };

/** sun_path is 108 bytes on Linux, with the terminating NUL. */
const MAX_SOCKET_PATH = 107;

export interface LocalPostgresOptions {
  /** PGDATA: created (and initdb'd) when missing. */
  dataDir: string;
  port: number;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Where the unix socket goes (default the data dir). Too long a path for a socket: TCP only. */
  socketDir?: string;
  /** The server's programs (default: postgresBinDir()). */
  binDir?: string;
  /**
   * false: fsync and full-page writes off, for throw-away servers (tests): a crash may lose data,
   * which is what tests that kill the server want to provoke anyway. Default true.
   */
  durable?: boolean;
  /** More `-c name=value` settings. */
  settings?: Record<string, string | number>;
  /**
   * Parent folders of the data dir up to (not including) this one may be opened to other users for
   * traversal (o+x, never listing) when the `postgres` user could not reach the data dir otherwise:
   * the demo's ./.data is created 0700 by the bot's journal.
   */
  openParentsBelow?: string;
  /** How long start() waits for the server to answer (default 20 s). */
  startTimeoutMs?: number;
  /** Signal sent to a running server when this process exits (default SIGINT: fast shutdown). */
  exitSignal?: 'SIGINT' | 'SIGKILL';
  /** Told of every server process started and gone (the tests' watchdog tracks pids). */
  onSpawn?: (pid: number) => void;
  onExit?: (pid: number) => void;
}

const live = new Map<ChildProcess, 'SIGINT' | 'SIGKILL'>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, signal] of live) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
  });
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The server a data dir's postmaster.pid names, when that process is alive (an earlier run that did not stop it). */
export function runningServer(dataDir: string): { pid: number; port: number } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive, someone else's.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return { pid, port };
}

export class LocalPostgres {
  readonly dataDir: string;
  readonly port: number;
  readonly host: string;
  readonly binDir: string;
  /** Undefined when the path would be too long for a socket: TCP only. */
  readonly socketDir: string | undefined;
  private readonly as: RunAs | undefined;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LocalPostgresOptions) {
    const binDir = opts.binDir ?? postgresBinDir();
    if (!binDir || !existsSync(path.join(binDir, 'postgres'))) {
      throw new LocalPostgresError('PG_NOT_INSTALLED', `PostgreSQL is not installed (${PG_INSTALL_HINT})`);
    }
    this.binDir = binDir;
    this.dataDir = path.resolve(opts.dataDir);
    this.port = opts.port;
    this.host = opts.host ?? '127.0.0.1';
    const socketDir = path.resolve(opts.socketDir ?? this.dataDir);
    this.socketDir = `${socketDir}/.s.PGSQL.${this.port}`.length <= MAX_SOCKET_PATH ? socketDir : undefined;
    this.as = postgresRunAs();
  }

  /** `postgres://postgres@127.0.0.1:PORT/<database>` */
  url(database = 'postgres'): string {
    return `postgres://postgres@${this.host}:${this.port}/${database}`;
  }

  get pid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Creates the data dir and runs initdb unless it holds a cluster already. True when it initialised it now. */
  async init(): Promise<boolean> {
    if (existsSync(path.join(this.dataDir, 'PG_VERSION'))) return false;
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    if (this.as) {
      chownSync(this.dataDir, this.as.uid, this.as.gid);
      this.makeReachable();
    }
    const initdb = path.join(this.binDir, 'initdb');
    const args = ['-D', this.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8'];
    if (this.opts.durable === false) args.push('--no-sync');
    const r = spawnSync(initdb, args, { encoding: 'utf8', env: PG_ENV, ...this.as });
    if (r.status !== 0) {
      throw new LocalPostgresError('PG_INITDB_FAILED', `initdb ${this.dataDir} failed (${r.status ?? r.error?.message}):\n${`${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim()}`);
    }
    return true;
  }

  /** Whether the `postgres` user can enter `dir` (all its parents included). */
  private reachable(dir: string): boolean {
    return spawnSync('test', ['-x', dir], { ...this.as }).status === 0;
  }

  /**
   * As root the server runs as `postgres`, which must be able to walk down to the data dir. Parents
   * below `openParentsBelow` get o+x when they lack it; anything else closed is named in the error.
   */
  private makeReachable(): void {
    if (this.reachable(this.dataDir)) return;
    const base = this.opts.openParentsBelow ? path.resolve(this.opts.openParentsBelow) : undefined;
    const parents: string[] = [];
    for (let d = path.dirname(this.dataDir); d !== path.dirname(d); d = path.dirname(d)) parents.unshift(d);
    for (const dir of parents) {
      if (this.reachable(dir)) continue;
      if (base && dir.startsWith(`${base}${path.sep}`)) {
        chmodSync(dir, (statSync(dir).mode & 0o7777) | 0o001);
        if (this.reachable(dir)) continue;
      }
      throw new LocalPostgresError(
        'PG_DIR_UNREACHABLE',
        `PostgreSQL runs as the postgres user, which cannot enter ${dir} to reach its data in ${this.dataDir} (chmod o+x ${dir}, or set DATABASE_URL)`,
      );
    }
  }

  /** Starts the server (init first when needed) and waits until it answers. */
  async start(): Promise<void> {
    if (this.pid !== undefined) return;
    await this.init();
    const settings: Record<string, string | number> = {
      listen_addresses: this.host,
      unix_socket_directories: this.socketDir ?? '',
      logging_collector: 'off',
      log_min_messages: 'warning',
      ...(this.opts.durable === false ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
      ...this.opts.settings,
    };
    const args = ['-D', this.dataDir, '-p', String(this.port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const child = spawn(path.join(this.binDir, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], env: PG_ENV, ...this.as });
    let output = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (output = (output + d).slice(-4000)));
    // Neither the child nor its pipe keeps our event loop alive: the exit hook stops it.
    child.unref();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    this.child = child;
    installExitHook();
    live.set(child, this.opts.exitSignal ?? 'SIGINT');
    if (child.pid !== undefined) this.opts.onSpawn?.(child.pid);
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        live.delete(child);
        if (child.pid !== undefined) this.opts.onExit?.(child.pid);
        resolve();
      });
      child.once('error', (err) => {
        live.delete(child);
        output += String(err);
        resolve();
      });
    });
    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 20_000);
    for (;;) {
      if (this.pid === undefined) break;
      if (await this.answers()) return;
      if (Date.now() > deadline) break;
      await delay(50);
    }
    await this.stop({ signal: 'SIGKILL' });
    throw new LocalPostgresError('PG_START_FAILED', `postgres (data in ${this.dataDir}, port ${this.port}) did not start:\n${output.trim()}`);
  }

  /** True when the server takes a connection and a query within half a second. */
  async answers(): Promise<boolean> {
    const c = new pg.Client({ host: this.host, port: this.port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 500 });
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

  /** Creates the database unless it exists. True when it created it now. */
  async createDatabase(name: string): Promise<boolean> {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new TypeError(`not a plain database name: ${JSON.stringify(name)}`);
    const admin = new pg.Client({ host: this.host, port: this.port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount) return false;
      await admin.query(`CREATE DATABASE ${name}`);
      return true;
    } finally {
      await admin.end();
    }
  }

  /** SIGINT (default): fast shutdown (a checkpoint, then exit). SIGKILL: a crash. Waits for the exit. */
  async stop(opts: { signal?: 'SIGINT' | 'SIGKILL' } = {}): Promise<void> {
    const child = this.child;
    if (!child || this.pid === undefined) return;
    child.kill(opts.signal ?? 'SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 15_000))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }
}
