/**
 * The demo's `admin` password across restarts, and where its Redis is, for the banner.
 *
 * A restart keeps the password of an admin that exists (someone may have noted it, or changed it
 * in the console); KEFU_ADMIN_PASSWORD still sets it. What the demo generated is remembered in a
 * file beside its data (mode 600, never with REDIS_URL unless asked: a shared Redis's password
 * does not belong in a checkout), and printed again only while it still logs in.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ADMIN_USERNAME, AgentNotFoundError, ROLES, type AgentStore } from '../console/index.ts';
import { parseRedisUrl } from '../handoff/index.ts';

export interface DemoAdmin {
  /** What logs in now; null when an existing admin keeps a password this demo does not know. */
  password: string | null;
  /** new: created this start; given: KEFU_ADMIN_PASSWORD applied; kept: an existing admin's, unchanged. */
  state: 'new' | 'given' | 'kept';
}

const remembered = z.record(z.string(), z.string());

async function readRemembered(file: string): Promise<Record<string, string>> {
  try {
    const parsed = remembered.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

async function remember(file: string, key: string, password: string): Promise<void> {
  const all = { ...(await readRemembered(file)), [key]: password };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

/**
 * After the console started (its first start created `admin` with `candidate` when there was no
 * agent): applies `given`, else keeps an existing admin's password, else creates `admin` with
 * `candidate`. `file`/`key`: where generated passwords are remembered (none: not remembered).
 */
export async function settleDemoAdmin(
  store: AgentStore,
  opts: { given?: string; candidate: string; file?: string; key: string },
): Promise<DemoAdmin> {
  if (opts.given) {
    try {
      await store.setPassword(ADMIN_USERNAME, opts.given);
    } catch (err) {
      if (!(err instanceof AgentNotFoundError)) throw err;
      await store.add({ username: ADMIN_USERNAME, name: 'Administrator', roles: [...ROLES], password: opts.given });
    }
    return { password: opts.given, state: 'given' };
  }
  const keep = async (password: string, state: DemoAdmin['state']): Promise<DemoAdmin> => {
    if (opts.file && state === 'new') await remember(opts.file, opts.key, password);
    return { password, state };
  };
  if (await store.verify(ADMIN_USERNAME, opts.candidate)) return keep(opts.candidate, 'new');
  if (!(await store.get(ADMIN_USERNAME))) {
    await store.add({ username: ADMIN_USERNAME, name: 'Administrator', roles: [...ROLES], password: opts.candidate });
    return keep(opts.candidate, 'new');
  }
  const known = opts.file ? (await readRemembered(opts.file))[opts.key] : undefined;
  if (known && (await store.verify(ADMIN_USERNAME, known))) return { password: known, state: 'kept' };
  return { password: null, state: 'kept' };
}

/** "127.0.0.1:6379/0": where Redis is, never its password (a Sentinel set or Cluster: its nodes). */
export function redisAddress(url: string): string {
  try {
    const t = parseRedisUrl(url);
    if (t.kind === 'sentinel') return `${t.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}（Sentinel ${t.name}）/${t.db}`;
    if (t.kind === 'cluster') return `${t.nodes.map((n) => `${n.host}:${n.port}`).join(',')}（Cluster）`;
    const u = new URL(t.url);
    const db = Number(u.pathname.replace(/^\//, '') || 0);
    return `${u.hostname}:${u.port || 6379}/${Number.isFinite(db) ? db : 0}`;
  } catch {
    return '（地址无法解析）';
  }
}
