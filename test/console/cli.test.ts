/**
 * The `kefu agents` command line, run as a real child process (`node --import tsx src/console/cli.ts`)
 * against a throw-away redis-server.
 */
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { randomPrefix, startRedis, stopAll, waitReady, type RedisServer } from '../helpers/redis.ts';
import { runNode, type Run } from '../helpers/run.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = 'src/console/cli.ts';

let server: RedisServer;
let redis: Redis;
const prefix = randomPrefix();

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  await waitReady(redis);
});
afterAll(stopAll);

const kefu = (args: string[], input?: string): Promise<Run> =>
  runNode(['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    input,
    env: { ...process.env, REDIS_URL: server.url, REDIS_PREFIX: prefix, REDIS_CLUSTER: '' },
  });

describe('kefu agents', () => {
  it('adds an agent with the given password and roles', async () => {
    const run = await kefu(['agents', 'add', 'alice', '--role', 'agent', '--role', 'editor', '--name', 'Alice A.', '--password', 'alice password']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^added alice \(agent, editor\) id ag_/);
    expect(run.stdout).not.toContain('alice password');
    const store = new AgentStore(redis, prefix);
    expect(await store.verify('alice', 'alice password')).toMatchObject({ name: 'Alice A.', roles: ['agent', 'editor'] });
  }, 30_000);

  it('reads the password from stdin', async () => {
    const run = await kefu(['agents', 'add', 'bob', '--role', 'manager', '--password-stdin'], 'bob secret pw\n');
    expect(run.code).toBe(0);
    expect(await new AgentStore(redis, prefix).verify('bob', 'bob secret pw')).not.toBeNull();
  }, 30_000);

  it('generates and prints a password when none is given', async () => {
    const run = await kefu(['agents', 'add', 'carol', '--role', 'admin']);
    expect(run.code).toBe(0);
    const password = /^password: (\S+)$/m.exec(run.stdout)?.[1];
    expect(password?.length).toBeGreaterThanOrEqual(16);
    expect(await new AgentStore(redis, prefix).verify('carol', password ?? '')).not.toBeNull();
  }, 30_000);

  it('refuses a duplicate and invalid input', async () => {
    const dup = await kefu(['agents', 'add', 'alice', '--role', 'agent', '--password', 'whatever123']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already exists');
    const bad = await kefu(['agents', 'add', 'X', '--role', 'root', '--password', 'short']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/username/);
    expect(bad.stderr).toMatch(/roles/);
    expect(bad.stderr).toMatch(/password/);
    const usage = await kefu(['agents', 'frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage:');
  }, 30_000);

  it('lists agents, and disable ends their sessions', async () => {
    const store = new AgentStore(redis, prefix);
    const login = await store.login('alice', 'alice password');
    expect(await store.authenticate(login?.token ?? '')).not.toBeNull();

    const disable = await kefu(['agents', 'disable', 'alice']);
    expect(disable.code).toBe(0);
    expect(await store.authenticate(login?.token ?? '')).toBeNull();

    const list = await kefu(['agents', 'list']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['alice', 'bob', 'carol']);
    expect(lines[0]).toMatch(/disabled\s+agent,editor\s+Alice A\./);
    expect(list.stdout).not.toContain('scrypt');

    const json = await kefu(['agents', 'list', '--json']);
    const agents = JSON.parse(json.stdout) as { username: string; disabled: boolean }[];
    expect(agents.map((a) => [a.username, a.disabled])).toEqual([
      ['alice', true],
      ['bob', false],
      ['carol', false],
    ]);

    const missing = await kefu(['agents', 'disable', 'nobody']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no agent "nobody"');
  }, 60_000);
});
