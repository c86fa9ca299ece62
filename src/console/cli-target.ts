/**
 * Which Redis and key prefix `kefu agents …` administers, and the check that it is the one a
 * console actually uses: an account written under a prefix no console reads is an account nobody
 * can log in with (the demo uses `kefu-demo`, `.env` / the default `kefu`).
 *
 * Without flags the command reads the settings like the console does (REDIS_URL, REDIS_PREFIX,
 * `.env`). `--demo` reads the running demo's settings: the file the demo writes at start
 * (DEMO_TARGET_FILE: its Redis address and prefix; the demo starts its own redis-server on a free
 * port when none answers on 6379), else the demo's rules (REDIS_URL, else 127.0.0.1:6379; the
 * prefix by DEMO_CHANNEL). `--redis URL` / `--prefix P` override either.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import { KefuError } from '../errors.ts';

/** Where the demo leaves its Redis address and prefix for `kefu agents --demo` (relative to the working directory). */
export const DEMO_TARGET_FILE = '.data/demo-target.json';

export interface CliTarget {
  url: string;
  prefix: string;
  cluster: boolean;
  /** How it was chosen, for the "where" line: "REDIS_URL/REDIS_PREFIX", "the running demo", … */
  source: string;
}

const demoFileSchema = z.object({ url: z.string().min(1), prefix: z.string().regex(/^[\w:.-]{1,64}$/), pid: z.number().int().optional() });

/** The demo calls this once Redis is known (and `clearDemoTarget` when it stops). */
export function writeDemoTarget(target: { url: string; prefix: string }, file = DEMO_TARGET_FILE): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ url: target.url, prefix: target.prefix, pid: process.pid })}\n`, { mode: 0o600 });
}

export function clearDemoTarget(file = DEMO_TARGET_FILE): void {
  rmSync(file, { force: true });
}

/** The demo's file, when it is there, valid, and its process still runs. */
export function readDemoTarget(file = DEMO_TARGET_FILE): { url: string; prefix: string } | null {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  let parsed: z.infer<typeof demoFileSchema>;
  try {
    parsed = demoFileSchema.parse(JSON.parse(raw));
  } catch {
    return null;
  }
  if (parsed.pid !== undefined && !alive(parsed.pid)) return null;
  return { url: parsed.url, prefix: parsed.prefix };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The demo's settings by its own rules (src/demo/main.ts): a file it left, else REDIS_URL or 6379, and the prefix by DEMO_CHANNEL. */
export function demoTarget(env: NodeJS.ProcessEnv, file = DEMO_TARGET_FILE): CliTarget {
  const running = readDemoTarget(file);
  if (running) return { ...running, cluster: false, source: `the running demo (${file})` };
  const prefix = env.DEMO_CHANNEL?.trim() === 'wecom-kf' ? 'kefu-demo-kf' : 'kefu-demo';
  const url = env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
  return { url, prefix, cluster: false, source: `the demo's settings (${env.REDIS_URL?.trim() ? 'REDIS_URL' : 'Redis on 127.0.0.1:6379'}, DEMO_CHANNEL)` };
}

/** The address without its password, for messages. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/** A prefix nobody uses while others have accounts: the command is pointed at the wrong place. */
export class WrongTargetError extends KefuError {
  constructor(message: string) {
    super('WRONG_TARGET', message);
  }
}

const NAMES_SUFFIX = ':{agents}:names';

/**
 * The prefixes on this Redis that hold accounts, with how many (SCAN, only on a single Redis: a
 * cluster's keys are spread over nodes, and a command line must not walk them all).
 */
export async function prefixesWithAccounts(redis: Redis | Cluster, cap = 20): Promise<{ prefix: string; accounts: number }[]> {
  if ((redis as { isCluster?: boolean }).isCluster) return [];
  const found: string[] = [];
  let cursor = '0';
  // Bounded: a big production Redis is scanned in pages, and only until `cap` prefixes are seen.
  for (let pages = 0; pages < 10_000; pages++) {
    const [next, keys] = await (redis as Redis).scan(cursor, 'MATCH', `*${NAMES_SUFFIX}`, 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
    if (cursor === '0' || found.length >= cap) break;
  }
  const unique = [...new Set(found)].slice(0, cap);
  const counts = await Promise.all(unique.map((k) => redis.hlen(k)));
  return unique.map((k, i) => ({ prefix: k.slice(0, -NAMES_SUFFIX.length), accounts: counts[i]! })).filter((p) => p.accounts > 0);
}

/**
 * Refuses to write under a prefix that has no accounts while others on the same Redis do (the
 * demo's `kefu-demo`, say): no console reads there. `newPrefix` says the first account of a new
 * installation is meant. Returns how many accounts the prefix holds.
 */
export async function checkTarget(redis: Redis | Cluster, target: CliTarget, opts: { newPrefix: boolean; write: boolean }): Promise<{ accounts: number; others: { prefix: string; accounts: number }[] }> {
  const accounts = await redis.hlen(`${target.prefix}${NAMES_SUFFIX}`);
  if (accounts > 0) return { accounts, others: [] };
  const others = (await prefixesWithAccounts(redis)).filter((p) => p.prefix !== target.prefix);
  if (others.length > 0 && opts.write && !opts.newPrefix) {
    const list = others.map((p) => `"${p.prefix}" (${p.accounts})`).join(', ');
    const demo = others.find((p) => p.prefix.startsWith('kefu-demo'));
    throw new WrongTargetError(
      [
        `no accounts under prefix "${target.prefix}" on ${shownUrl(target.url)}, so no console reads there; accounts exist under ${list}.`,
        demo ? `  for the demo: add --demo (or REDIS_PREFIX=${demo.prefix})` : `  set REDIS_PREFIX (or --prefix) to the console's prefix`,
        `  to create the first account of a new installation under "${target.prefix}" anyway: add --new-prefix`,
      ].join('\n'),
    );
  }
  return { accounts, others };
}
