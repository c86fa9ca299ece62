import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * kefu-bridge as operators run it: `npm run build` into a throw-away folder, then the compiled
 * main (or the TypeScript one through tsx, for comparison) as a child process, ready once it logs
 * "kefu-bridge is running". For test/build.test.ts and bench/startup.ts.
 */

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Build {
  /** The compiled tree: `<dir>/dist`. */
  dist: string;
  remove(): void;
}

/**
 * `npm run build -- --out-dir <tmp>/dist --no-check` (`npm run lint` type-checks; the emitted
 * JavaScript is the same). A node_modules link beside it lets the tree import its packages from
 * outside the project.
 */
export function buildInTemp(): Build {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kefu-build-'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const dist = path.join(dir, 'dist');
  const r = spawnSync('npm', ['run', '--silent', 'build', '--', '--out-dir', dist, '--no-check'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`npm run build failed (${String(r.status ?? r.signal)}):\n${r.stdout}${r.stderr}`);
  }
  return { dist, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface KefuProcess {
  child: ChildProcess;
  /** The console's or the bot's ops server, from the "running" log line. */
  url: string;
  /** From spawn to the "running" log line. */
  startMs: number;
  /** stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then the exit code (SIGKILL after 15 s). */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  /** The command: e.g. [process.execPath, 'dist/main.js', '--role', 'console']. */
  argv: string[];
  /** Added to the environment (REDIS_URL, REDIS_PREFIX…); PORT=0, LOG_LEVEL=info and JSON logs by default. */
  env: Record<string, string>;
  timeoutMs?: number;
}

/**
 * Starts it in a temp working folder (the bot's journal and memory card land there) with the
 * project's knowledge base, and waits for the "running" line.
 */
export async function startKefuProcess(opts: StartOptions): Promise<KefuProcess> {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'kefu-run-'));
  const env = {
    ...process.env,
    PORT: '0',
    LOG_LEVEL: 'info',
    LOG_PRETTY: 'false',
    KB_DIR: path.join(ROOT, 'knowledge-base'),
    FORCE_COLOR: '0',
    ...opts.env,
  };
  const t0 = performance.now();
  const [command, ...args] = opts.argv;
  const child = spawn(command!, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = new Promise<{ url: string; startMs: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not running after ${opts.timeoutMs ?? 30_000} ms:\n${out}`)), opts.timeoutMs ?? 30_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      for (const line of out.split('\n').slice(0, -1)) {
        if (!line.includes('"kefu-bridge is running"')) continue;
        clearTimeout(timer);
        resolve({ url: (JSON.parse(line) as { url: string }).url, startMs: performance.now() - t0 });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${String(code)} before running:\n${out}`));
    });
  });
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(force);
    rmSync(cwd, { recursive: true, force: true });
    return code;
  };
  try {
    const { url, startMs } = await running;
    return { child, url, startMs, output: () => out, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Resident memory of a process and all its descendants, in MB (Linux /proc). */
export function treeRssMb(pid: number): number {
  const kb = (p: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
  const children = (p: number): number[] =>
    readdirSync(`/proc/${p}/task`).flatMap((t) => {
      const file = `/proc/${p}/task/${t}/children`;
      return existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
    });
  let total = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.pop()!;
    try {
      total += kb(p);
      queue.push(...children(p));
    } catch {
      // exited meanwhile
    }
  }
  return total / 1024;
}
