/**
 * Where the demo finds Redis: REDIS_URL when set; else a Redis on 127.0.0.1:6379 if one answers;
 * else a redis-server from PATH started as a child process, with AOF persistence in ./.data/redis
 * (so the demo's conversations survive a restart) and stopped when the demo exits.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface DemoRedis {
  url: string;
  source: 'REDIS_URL' | 'local' | 'started';
  /** Stops the redis-server the demo started (nothing for the others). */
  stop(): Promise<void>;
}

export class NoRedisError extends Error {
  readonly code = 'NO_REDIS';
}

export const INSTALL_HINT = [
  '演示需要 Redis，但本机没有找到 redis-server。/ The demo needs Redis, and no redis-server was found on the PATH.',
  '  Debian / Ubuntu:  sudo apt-get install redis-server',
  '  macOS (Homebrew): brew install redis',
  '或者把 REDIS_URL 指向一个已有的 Redis（例如 REDIS_URL=redis://127.0.0.1:6379）。',
].join('\n');

/** True when a Redis answers PING at host:port within `timeoutMs`. */
export function pingRedis(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d.toString('latin1');
      // +PONG, or -NOAUTH / -LOADING from a Redis that is there but not for us.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** A port nothing listens on now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const hasRedisServer = (bin: string): boolean => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;

export async function resolveDemoRedis(
  env: NodeJS.ProcessEnv,
  opts: { dataDir: string; bin?: string; probe?: { host: string; port: number } } = { dataDir: '.data/redis' },
): Promise<DemoRedis> {
  const none = async () => undefined;
  if (env.REDIS_URL?.trim()) return { url: env.REDIS_URL.trim(), source: 'REDIS_URL', stop: none };
  const probe = opts.probe ?? { host: '127.0.0.1', port: 6379 };
  if (await pingRedis(probe.host, probe.port)) return { url: `redis://${probe.host}:${probe.port}`, source: 'local', stop: none };

  const bin = opts.bin ?? 'redis-server';
  if (!hasRedisServer(bin)) throw new NoRedisError(INSTALL_HINT);
  const dir = path.resolve(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child: ChildProcess = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--daemonize', 'no'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  // Never leave it running behind a demo that died.
  const kill = () => child.kill('SIGTERM');
  process.once('exit', kill);

  const deadline = Date.now() + 10_000;
  while (!(await pingRedis('127.0.0.1', port, 300))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      kill();
      throw new Error(`redis-server did not start (data in ${dir}): ${stderr.trim() || `exit ${child.exitCode}`}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    source: 'started',
    stop: () =>
      new Promise<void>((resolve) => {
        process.removeListener('exit', kill);
        if (child.exitCode !== null) return resolve();
        // SIGTERM: redis-server flushes the AOF before it exits.
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
