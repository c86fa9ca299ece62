/**
 * Child processes for tests and benchmarks: `node` with arguments and stdin (runNode), the built
 * kefu-bridge as operators run it (buildInTemp, startKefuProcess), and a TypeScript script run
 * through tsx that reports on stdout in JSON lines (startScript: ./bot-process.ts,
 * ./console-process.ts), for tests that SIGKILL the product for real. Free of vitest.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONFIG_VARIABLES } from '../../src/config.ts';
import { waitFor } from './waits.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
/** The project's knowledge base. */
export const KB_DIR = path.join(ROOT, 'knowledge-base');

// ---------------------------------------------------------------------------------------------------
// node <args>

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <args>` as a child process, feeds `input` on stdin and collects its output. */
export function runNode(
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: opts.cwd,
      env: { FORCE_COLOR: '0', NO_COLOR: '1', ...(opts.env ?? process.env) },
      timeout: opts.timeoutMs ?? 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

// ---------------------------------------------------------------------------------------------------
// The built product

/**
 * kefu-bridge as operators run it: `npm run build` into a throw-away folder, then the compiled
 * main (or the TypeScript one through tsx, for comparison) as a child process, ready once it logs
 * "kefu-bridge is running". For test/build.test.ts and
 * bench/startup.ts.
 */

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
    KB_DIR,
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

// ---------------------------------------------------------------------------------------------------
// A TypeScript script through tsx

// Resolved from the repo: scripts run in a temp dir (memory cards land there), where a bare `tsx` would not resolve.
const TSX_URL = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface ScriptOptions {
  /** A name for messages ("bot #2"). */
  name: string;
  /** The script, e.g. path.join(ROOT, 'test/support/bot-process.ts'). */
  script: string;
  /** Working directory. */
  cwd: string;
  /** Added to the environment; the product's own variables (CONFIG_VARIABLES) of this shell are left out. */
  env: Record<string, string>;
}

/**
 * A script run as `node --import tsx SCRIPT` with stdin, stdout and stderr piped. Its stdout JSON
 * lines are collected (`lines`); its stderr's tail goes into failure messages. stdin stays open:
 * the scripts here exit when it closes, so they die with the test process however it dies.
 */
export class ScriptProcess {
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
  readonly lines: Record<string, unknown>[] = [];
  private stderrTail = '';
  private stdoutBuf = '';

  constructor(readonly opts: ScriptOptions) {
    const base = { ...process.env };
    // Only what the test sets: nothing from the developer's shell (REDIS_URL, LOG_LEVEL, ...).
    for (const v of CONFIG_VARIABLES) delete base[v];
    this.proc = spawn(process.execPath, ['--import', TSX_URL, opts.script], {
      cwd: opts.cwd,
      env: { ...base, NODE_ENV: 'test', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stdin!.on('error', () => undefined);
    this.proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.stdoutBuf += d;
      let i;
      while ((i = this.stdoutBuf.indexOf('\n')) >= 0) {
        const line = this.stdoutBuf.slice(0, i);
        this.stdoutBuf = this.stdoutBuf.slice(i + 1);
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.stderrTail += `[stdout] ${line}\n`;
        }
      }
    });
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderrTail = (this.stderrTail + d).slice(-6000)));
    this.exited = new Promise((resolve) => this.proc.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The last part of what it wrote to stderr. */
  get stderr(): string {
    return this.stderrTail;
  }

  /** The first stdout line {"event": event}; fails at once when the process exits first. */
  async wait(event: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const exit = () => String(this.proc.exitCode ?? this.proc.signalCode);
    return waitFor(
      () => `${this.opts.name} to print ${event} (exit ${exit()}; stderr: ${this.stderrTail})`,
      () => {
        const found = this.lines.find((l) => l.event === event);
        if (!found && !this.alive) throw new Error(`${this.opts.name} exited (${exit()}) before ${event}:\n${this.stderrTail}`);
        return found;
      },
      { timeout: timeoutMs, interval: 20 },
    );
  }

  /** One JSON line on its stdin (./bot-process.ts takes {"say": [customer index, text]}). */
  send(command: unknown): void {
    this.proc.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  async kill9(): Promise<void> {
    if (this.alive) this.proc.kill('SIGKILL');
    await this.exited;
  }
}
