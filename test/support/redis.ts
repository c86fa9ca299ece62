import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';

/**
 * Real, throw-away redis-server processes for tests: each one on its own free port with its own temp dir,
 * never the shared Redis on 6379. Call `stopAll()` in `afterAll`.
 *
 * Servers run without RDB snapshots (`--save ""`), so the only persistence is the AOF (opt in with `appendonly`).
 * Free of vitest: the benchmarks use it too (`useRedisServer` in ./hooks.ts is the per-file form for tests).
 */

export const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 10_000;
/** Cluster nodes also listen on port + 10000 (the cluster bus). */
const BUS_OFFSET = 10_000;
const MAX_CLUSTER_PORT = 65_535 - BUS_OFFSET;

export interface RedisServer {
  port: number;
  host: '127.0.0.1';
  /** `redis://127.0.0.1:PORT` */
  url: string;
  /** Its temp data dir (AOF, nodes.conf, redis.log). */
  dir: string;
  /** pid of the running redis-server, undefined while stopped. */
  readonly pid: number | undefined;
  /** SIGTERM (default): clean shutdown, waits for exit. SIGKILL: a crash, no final AOF flush/save. */
  stop(opts?: { signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>;
  /** Starts it again on the same port and dir with the same config (stops it first if running); waits for PING. */
  restart(): Promise<void>;
  /** A client for this server (connects right away; commands queue until ready). Closed by `stopAll()`. */
  client(opts?: RedisOptions): Redis;
}

export interface StartRedisOptions {
  /** Default false. */
  appendonly?: boolean;
  /** Default 'always' when appendonly. */
  appendfsync?: 'always' | 'everysec';
  /** Extra redis-server arguments, e.g. ['--maxmemory', '10mb']. */
  args?: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Registry. Kept on globalThis so that several copies of this module in one worker share one exit handler.

interface Registry {
  /** Running redis-server children. */
  live: Set<ChildProcess>;
  servers: Set<Server>;
  clients: Set<Redis | Cluster>;
  dirs: Set<string>;
  watchdog: ChildProcess | undefined;
}

const REGISTRY = Symbol.for('kefu-bridge.test.redis');
const globals = globalThis as typeof globalThis & { [REGISTRY]?: Registry };
const reg: Registry = (globals[REGISTRY] ??= createRegistry());

function createRegistry(): Registry {
  const r: Registry = { live: new Set(), servers: new Set(), clients: new Set(), dirs: new Set(), watchdog: undefined };
  // Last line of defence when a test forgets stopAll() or the run dies with an exception: no leftover servers.
  process.on('exit', () => {
    for (const child of r.live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of r.dirs) rmSync(dir, { recursive: true, force: true });
  });
  return r;
}

/**
 * The 'exit' handler does not run when the worker itself is SIGKILLed (e.g. by a test runner timeout).
 * A tiny detached watchdog holds a pipe from us; when that pipe closes (we died, however) it kills the
 * servers we told it about and removes their temp dirs.
 */
const WATCHDOG = `
const pids = new Set(); const dirs = new Set(); let buf = '';
const cleanUp = () => {
  for (const p of pids) { try { process.kill(p, 'SIGKILL'); } catch {} }
  setTimeout(() => {
    for (const d of dirs) { try { require('node:fs').rmSync(d, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  }, 200);
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d; let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    const [op, arg] = [line.slice(0, 2), line.slice(2)];
    if (op === '+p') pids.add(Number(arg)); else if (op === '-p') pids.delete(Number(arg));
    else if (op === '+d') dirs.add(arg); else if (op === '-d') dirs.delete(arg);
  }
});
process.stdin.on('end', cleanUp); process.stdin.on('error', cleanUp);
`;

function tellWatchdog(line: string): void {
  if (!reg.watchdog || reg.watchdog.exitCode !== null || !reg.watchdog.stdin?.writable) {
    const dog = spawn(process.execPath, ['-e', WATCHDOG], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    dog.on('error', () => undefined);
    dog.stdin?.on('error', () => undefined);
    dog.unref();
    (dog.stdin as net.Socket | null)?.unref();
    reg.watchdog = dog;
  }
  reg.watchdog.stdin?.write(`${line}\n`);
}

/** For ./postgres.ts: its servers' pids and dirs go to the same watchdog and exit handler. */
export function trackPid(pid: number): void {
  tellWatchdog(`+p${pid}`);
}
export function untrackPid(pid: number): void {
  tellWatchdog(`-p${pid}`);
}
export { freePort, removeDir, trackDir };

function trackDir(dir: string): void {
  reg.dirs.add(dir);
  tellWatchdog(`+d${dir}`);
}

async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  reg.dirs.delete(dir);
  tellWatchdog(`-d${dir}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Ports

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function listenOn(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen({ port, host: HOST, exclusive: true }, () => resolve(srv));
  });
}

const closeServer = (srv: net.Server) => new Promise<void>((r) => srv.close(() => r()));

/** Ports handed out by this process, so two servers started at the same time never get the same one. */
const handedOut = new Set<number>();

/** A free port on 127.0.0.1 (for cluster nodes: below 55535 with port + 10000 free too). */
async function freePort(cluster: boolean): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const srv = await listenOn(0);
    if (!srv) continue;
    const port = (srv.address() as net.AddressInfo).port;
    let ok = !handedOut.has(port);
    if (ok && cluster) {
      if (port > MAX_CLUSTER_PORT) ok = false;
      else {
        const bus = await listenOn(port + BUS_OFFSET);
        ok = bus !== undefined;
        if (bus) await closeServer(bus);
      }
    }
    await closeServer(srv);
    if (ok) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('could not find a free port');
}

// ---------------------------------------------------------------------------------------------------------------
// Talking to a server without a client library

/**
 * True when the server on `port` answers PING with PONG (not -LOADING) and is the process `pid`
 * (so a stranger that grabbed the port never passes for ours).
 */
function pingOwn(port: number, pid: number, timeoutMs = 250): Promise<boolean> {
  return new Promise((resolve) => {
    let data = '';
    let settled = false;
    const sock = net.connect({ host: HOST, port });
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write('*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n'));
    sock.on('data', (d: string) => {
      data += d;
      const eol = data.indexOf('\r\n');
      if (eol < 0) return;
      if (!data.startsWith('+PONG\r\n')) return finish(false);
      const m = /process_id:(\d+)\r\n/.exec(data);
      if (m) finish(Number(m[1]) === pid);
    });
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
  });
}

async function logTail(dir: string, lines = 30): Promise<string> {
  try {
    return (await readFile(path.join(dir, 'redis.log'), 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no redis.log)';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One server

interface Proc {
  child: ChildProcess;
  exited: Promise<void>;
  done: boolean;
  /** stdout + stderr (normally empty: everything goes to the log file). */
  output: string;
}

function spawnRedis(args: string[]): Proc {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Proc = { child, exited: Promise.resolve(), done: false, output: '' };
  const collect = (d: string) => (proc.output = (proc.output + d).slice(-4000));
  child.stdout?.setEncoding('utf8').on('data', collect);
  child.stderr?.setEncoding('utf8').on('data', collect);
  // A forgotten stopAll() must not keep the process alive; the 'exit' handler then kills the server.
  child.unref();
  (child.stdout as net.Socket | null)?.unref();
  (child.stderr as net.Socket | null)?.unref();
  reg.live.add(child);
  if (child.pid !== undefined) tellWatchdog(`+p${child.pid}`);
  proc.exited = new Promise<void>((resolve) => {
    const onGone = () => {
      if (proc.done) return;
      proc.done = true;
      reg.live.delete(child);
      if (child.pid !== undefined) tellWatchdog(`-p${child.pid}`);
      resolve();
    };
    child.once('exit', onGone);
    child.once('error', (err) => {
      collect(String(err));
      onGone();
    });
  });
  return proc;
}

export class Server implements RedisServer {
  readonly host = HOST;
  readonly url: string;
  private proc: Proc | undefined;
  private disposed = false;

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: string[],
  ) {
    this.url = `redis://${HOST}:${port}`;
  }

  get pid(): number | undefined {
    return this.proc && !this.proc.done ? this.proc.child.pid : undefined;
  }

  get running(): boolean {
    return this.proc !== undefined && !this.proc.done;
  }

  /** Starts the process and waits until it answers PING; throws (with the log tail) otherwise. */
  async start(): Promise<void> {
    if (this.disposed) throw new Error(`redis on port ${this.port} was removed by stopAll()`);
    if (this.running) return;
    const proc = spawnRedis(this.args);
    this.proc = proc;
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (proc.done) break;
      if (proc.child.pid !== undefined && (await pingOwn(this.port, proc.child.pid))) return;
      if (Date.now() > deadline) break;
      await Promise.race([delay(15), proc.exited]);
    }
    const why = proc.done
      ? `exited (code ${String(proc.child.exitCode)}, signal ${String(proc.child.signalCode)})`
      : `did not answer PING within ${START_TIMEOUT_MS} ms`;
    await this.kill('SIGKILL');
    const output = proc.output.trim() ? `\n--- output ---\n${proc.output.trim()}` : '';
    throw new Error(
      `redis-server on port ${this.port} ${why}\n--- ${this.dir}/redis.log ---\n${await logTail(this.dir)}${output}`,
    );
  }

  private async kill(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.done) return;
    proc.child.kill(signal);
    if (signal === 'SIGKILL') return proc.exited;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      proc.exited.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STOP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
  }

  stop(opts: { signal?: 'SIGTERM' | 'SIGKILL' } = {}): Promise<void> {
    return this.kill(opts.signal ?? 'SIGTERM');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  client(opts: RedisOptions = {}): Redis {
    const client = new Redis({ ...opts, host: HOST, port: this.port });
    // Without a listener ioredis prints every connection error (expected while a server is stopped).
    client.on('error', () => undefined);
    reg.clients.add(client);
    client.once('end', () => reg.clients.delete(client));
    return client;
  }

  /** For stopAll(): kill hard, then the dir can go. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.kill('SIGKILL');
  }
}

/** Starts a server on a free port with its own temp dir (for ./redis-cluster.ts too). */
export async function launch(extraArgs: (port: number) => string[], opts: { cluster: boolean }): Promise<Server> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort(opts.cluster);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-redis-'));
    trackDir(dir);
    const args = [
      '--port', String(port),
      '--bind', HOST,
      '--dir', dir,
      '--save', '',
      '--protected-mode', 'no',
      '--logfile', path.join(dir, 'redis.log'),
      ...extraArgs(port),
    ];
    const server = new Server(port, dir, args);
    reg.servers.add(server);
    try {
      await server.start();
      return server;
    } catch (err) {
      lastError = err;
      reg.servers.delete(server);
      await removeDir(dir);
      // Someone else grabbed the port between our check and redis binding it: try another one.
      if (!/address already in use/i.test(String(err))) throw err;
    }
  }
  throw lastError;
}

/** A fresh redis-server on a free port with its own temp dir. */
export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  const aof = opts.appendonly ?? false;
  const persistence = ['--appendonly', aof ? 'yes' : 'no'];
  if (aof) persistence.push('--appendfsync', opts.appendfsync ?? 'always');
  else if (opts.appendfsync) persistence.push('--appendfsync', opts.appendfsync);
  return launch(() => [...persistence, ...(opts.args ?? [])], { cluster: false });
}

// ---------------------------------------------------------------------------------------------------------------

/** Closes `client` in `stopAll()` (clients of ./redis-cluster.ts). */
export function trackClient(client: Redis | Cluster): void {
  reg.clients.add(client);
  client.once('end', () => reg.clients.delete(client));
}

/** Forgets a client closed by its owner. */
export function untrackClient(client: Redis | Cluster): void {
  reg.clients.delete(client);
}

/** Resolves once `client` is ready (for clients from `client()`, which connect in the background). */
export function waitReady(client: Redis | Cluster, timeoutMs = 5000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`client not ready after ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/** Closes every client, kills every server started here and removes their temp dirs. Use in afterAll. */
export async function stopAll(): Promise<void> {
  for (const c of reg.clients) c.disconnect();
  reg.clients.clear();
  const servers = [...reg.servers];
  reg.servers.clear();
  // The servers are unref'd: without something holding the event loop, a script whose last step
  // is this wait would end with "unsettled top-level await" (exit 13) before they are gone.
  const hold = setInterval(() => undefined, 1_000);
  try {
    await Promise.all(servers.map((s) => s.dispose()));
    await Promise.all([...reg.dirs].map(removeDir));
  } finally {
    clearInterval(hold);
  }
}

/** A unique key prefix, e.g. `tk3j9x2a`, to keep tests' keys apart. */
export function randomPrefix(): string {
  return `t${Math.random().toString(36).slice(2, 10)}`;
}
