/**
 * `kefu agents` against the running demo (the real `startDemo`, its console on a free port, on a
 * throw-away redis-server): with the console's default settings the command used to write under
 * the prefix `kefu`, where the demo (`kefu-demo`) never looks. Now that write is refused with the
 * way out, `--demo` writes where the demo reads (the new account logs in to the demo's console),
 * and every run says which Redis and prefix it used.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearDemoTarget, demoTarget, readDemoTarget, shownUrl, writeDemoTarget } from '../../src/console/cli-target.ts';
import { startDemo, type RunningDemo } from '../../src/demo/main.ts';
import { useRedisServer } from '../support/hooks.ts';
import { runNode, type Run } from '../support/processes.ts';
import type { RedisServer } from '../support/redis.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = 'src/console/cli.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let demo: RunningDemo;
beforeAll(async () => {
  // The demo as `npm run demo` runs it: its own prefix (kefu-demo), no archive, no seed chats.
  demo = await startDemo({ env: { REDIS_URL: server.url, PORT: '0', LOG_LEVEL: 'silent' }, pgBinDir: '/nonexistent/bin', seed: false });
}, 60_000);
afterAll(async () => {
  await demo?.stop();
}, 30_000);

/** The command as an operator runs it next to the demo: REDIS_URL set, no REDIS_PREFIX (the console's default). */
const kefu = (args: string[], input?: string): Promise<Run> =>
  runNode(['--import', 'tsx', CLI, ...args], { cwd: ROOT, input, env: { ...process.env, REDIS_URL: server.url, REDIS_PREFIX: '', REDIS_CLUSTER: '', DEMO_CHANNEL: '' } });

async function login(username: string, password: string): Promise<number> {
  const res = await fetch(`${demo.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  return res.status;
}

describe('kefu agents next to the demo', () => {
  it('with the console\'s default prefix: refused, naming the demo\'s prefix and --demo; nothing is written', async () => {
    const run = await kefu(['agents', 'add', 'zoe', '--role', 'agent', '--password-stdin'], 'zoe long passphrase\n');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`no accounts under prefix "kefu" on ${server.url}`);
    expect(run.stderr).toContain('"kefu-demo" (1)');
    expect(run.stderr).toContain('add --demo');
    expect(await server.client().exists('kefu:{agents}:names')).toBe(0);
    expect(await login('zoe', 'zoe long passphrase')).toBe(401);
  }, 30_000);

  it('--demo writes where the demo reads, says so, and the account logs in to the demo\'s console', async () => {
    const run = await kefu(['agents', 'add', 'zoe', '--role', 'agent', '--display-name', '小左', '--demo', '--password-stdin'], 'zoe long passphrase\n');
    expect(run.stderr).toMatch(new RegExp(`^kefu: writing to Redis ${server.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, prefix "kefu-demo" \\(the demo's settings \\(REDIS_URL, DEMO_CHANNEL\\); 1 account there\\)\\n$`));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^added zoe \(agent\) id ag_/);
    expect(await login('zoe', 'zoe long passphrase')).toBe(200);

    const set = await kefu(['agents', 'set', 'zoe', '--display-name', '小佐', '--demo']);
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('customers hear "小佐"');
    const list = await kefu(['agents', 'list', '--demo', '--json']);
    expect((JSON.parse(list.stdout) as { username: string; displayName: string }[]).map((a) => [a.username, a.displayName])).toEqual([
      ['admin', ''],
      ['zoe', '小佐'],
    ]);
    expect(list.stderr).toContain('kefu: reading Redis');
  }, 60_000);

  it('--new-prefix creates the first account of a new installation on purpose; --prefix picks one explicitly', async () => {
    const fresh = await kefu(['agents', 'add', 'ops', '--role', 'admin', '--prefix', 'kefu-prod', '--new-prefix', '--password-stdin'], 'ops long passphrase\n');
    expect(fresh.code).toBe(0);
    expect(fresh.stderr).toContain('prefix "kefu-prod" (command-line flags; 0 accounts there)');
    expect(await server.client().hexists('kefu-prod:{agents}:names', 'ops')).toBe(1);
  }, 30_000);
});

describe('the demo target file', () => {
  it('is read while its process runs, ignored once it is gone or broken; without it the demo\'s rules apply', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kefu-target-'));
    const file = path.join(dir, '.data', 'demo-target.json');
    try {
      writeDemoTarget({ url: 'redis://:secret@127.0.0.1:40001', prefix: 'kefu-demo-kf' }, file);
      expect(readDemoTarget(file)).toEqual({ url: 'redis://:secret@127.0.0.1:40001', prefix: 'kefu-demo-kf' });
      expect(demoTarget({}, file)).toMatchObject({ url: 'redis://:secret@127.0.0.1:40001', prefix: 'kefu-demo-kf' });
      expect(shownUrl('redis://:secret@127.0.0.1:40001')).toBe('redis://:***@127.0.0.1:40001');
      // A demo that died: its port means nothing now.
      writeFileSync(file, JSON.stringify({ url: 'redis://127.0.0.1:40002', prefix: 'kefu-demo', pid: 2 ** 22 + 12345 }));
      expect(readDemoTarget(file)).toBeNull();
      writeFileSync(file, '{"url": 1}');
      expect(readDemoTarget(file)).toBeNull();
      clearDemoTarget(file);
      expect(demoTarget({ DEMO_CHANNEL: 'wecom-kf' }, file)).toMatchObject({ url: 'redis://127.0.0.1:6379', prefix: 'kefu-demo-kf' });
      expect(demoTarget({ REDIS_URL: 'redis://10.0.0.5:6380' }, file)).toMatchObject({ url: 'redis://10.0.0.5:6380', prefix: 'kefu-demo' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
