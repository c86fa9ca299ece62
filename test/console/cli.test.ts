/**
 * The `kefu agents` command line, run as a real child process (`node --import tsx src/console/cli.ts`)
 * against a throw-away redis-server; the prompt on a terminal runs under `script` (util-linux),
 * which gives the command a real pseudo-terminal.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { runNode, type Run } from '../support/processes.ts';
import { randomPrefix, startRedis, stopAll, waitReady, type RedisServer } from '../support/redis.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';

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

const env = (): NodeJS.ProcessEnv => ({ ...process.env, REDIS_URL: server.url, REDIS_PREFIX: prefix, REDIS_CLUSTER: '' });

const kefu = (args: string[], input?: string): Promise<Run> =>
  runNode(['--import', 'tsx', CLI, ...args], { cwd: ROOT, input, env: env() });

/**
 * Runs kefu on a pseudo-terminal; each time the screen shows `prompt`, types the next of `typed`
 * (then Enter). Returns everything the terminal showed: what was typed would be there if echoed.
 */
function kefuOnTerminal(args: string[], prompt: RegExp, typed: string[]): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, '--import', 'tsx', CLI, ...args].join(' ');
    const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: ROOT, env: { ...env(), TERM: 'dumb' } });
    let screen = '';
    let answered = 0;
    const onOutput = (d: Buffer): void => {
      screen += d.toString('utf8');
      // Type only after the question is on the screen: the command has turned echo off by then.
      const asked = screen.match(new RegExp(prompt.source, 'g'))?.length ?? 0;
      while (answered < asked && answered < typed.length) child.stdin.write(`${typed[answered++]}\r`);
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, screen }));
  });
}

describe('kefu agents', () => {
  it('adds an agent with the password read from stdin, never from argv', async () => {
    const run = await kefu(['agents', 'add', 'alice', '--role', 'agent', '--role', 'editor', '--name', 'Alice A.', '--password-stdin'], 'alice password\n');
    // Only where it wrote: the console's settings, here the test's own Redis and prefix.
    expect(run.stderr).toBe(`kefu: writing to Redis ${server.url}, prefix "${prefix}" (REDIS_URL / REDIS_PREFIX; 0 accounts there)\n`);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^added alice \(agent, editor\) id ag_/);
    expect(run.stdout).not.toContain('alice password');
    const store = new AgentStore(redis, prefix);
    expect(await store.verify('alice', 'alice password')).toMatchObject({ name: 'Alice A.', roles: ['agent', 'editor'] });
  }, 30_000);

  it('refuses --password with a clear error, and adds nothing', async () => {
    const run = await kefu(['agents', 'add', 'zed', '--role', 'agent', '--password', 'zed strong password']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--password is no longer accepted.*use --password-stdin/);
    expect(run.stderr).not.toContain('zed strong password');
    expect(await new AgentStore(redis, prefix).get('zed')).toBeNull();
  }, 30_000);

  it('refuses a weak password, naming what is wrong', async () => {
    const run = await kefu(['agents', 'add', 'yan', '--role', 'agent', '--password-stdin'], '12345678\n');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('password: must be at least 10 characters');
    expect(run.stderr).toContain('is a common password');
    expect(await new AgentStore(redis, prefix).get('yan')).toBeNull();
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
    const dup = await kefu(['agents', 'add', 'alice', '--role', 'agent', '--password-stdin'], 'a different passphrase\n');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already exists');
    const bad = await kefu(['agents', 'add', 'X', '--role', 'root', '--password-stdin'], 'short\n');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/username/);
    expect(bad.stderr).toMatch(/roles/);
    expect(bad.stderr).toMatch(/password/);
    const usage = await kefu(['agents', 'frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage:');
  }, 30_000);

  it('refuses to disable the only admin (exit 2, says why), and leaves it enabled', async () => {
    const own = randomPrefix();
    await new AgentStore(redis, own).add({ username: 'admin', roles: ['admin'], password: 'admin password' });
    const run = await runNode(['--import', 'tsx', CLI, 'agents', 'disable', 'admin'], { cwd: ROOT, env: { ...env(), REDIS_PREFIX: own } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('only enabled admin');
    expect((await new AgentStore(redis, own).get('admin'))?.disabled).toBe(false);

    // An agent with a chat open: disabled, and told the chat is still theirs (the console's 账号 page releases it).
    const amy = await new AgentStore(redis, own).add({ username: 'amy', roles: ['agent'], password: 'amy password 1' });
    const handoff = new Handoff(redis, { prefix: own, policy: DEFAULT_SLA_POLICY });
    await handoff.recordMessage({ botId: 'b1', customerId: 'c1' }, { from: 'customer', text: '人工' });
    await handoff.requestHuman({ botId: 'b1', customerId: 'c1' }, { reason: 'customer_asked' });
    await handoff.claim('b1.c1', { id: amy.id, name: amy.name });
    const off = await runNode(['--import', 'tsx', CLI, 'agents', 'disable', 'amy'], { cwd: ROOT, env: { ...env(), REDIS_PREFIX: own } });
    expect(off.code).toBe(0);
    expect(off.stdout).toContain('1 open chat is still assigned to amy');
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

describe('kefu agents passwd / unlock', () => {
  it('passwd sets a new password from stdin and ends the sessions; a weak one changes nothing', async () => {
    const store = new AgentStore(redis, prefix);
    await store.add({ username: 'dave', roles: ['agent'], password: 'dave first passphrase' });
    const login = await store.login('dave', 'dave first passphrase');

    const weak = await kefu(['agents', 'passwd', 'dave', '--password-stdin'], 'dave123456\n');
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/password: .*(username|common)/);
    expect(await store.verify('dave', 'dave first passphrase')).not.toBeNull();
    expect(await store.authenticate(login?.token ?? '')).not.toBeNull();

    const run = await kefu(['agents', 'passwd', 'dave', '--password-stdin'], 'Moon-river-88-bridges\n');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('changed the password of dave; its sessions are ended\n');
    expect(await store.verify('dave', 'Moon-river-88-bridges')).not.toBeNull();
    expect(await store.authenticate(login?.token ?? '')).toBeNull();

    const missing = await kefu(['agents', 'passwd', 'nobody', '--password-stdin'], 'Moon-river-88-bridges\n');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no agent "nobody"');
  }, 60_000);

  it('asks on a terminal without echo, again after a weak password, and wants it twice', async () => {
    const store = new AgentStore(redis, prefix);
    await store.add({ username: 'erin', roles: ['agent'], password: 'erin first passphrase' });
    const run = await kefuOnTerminal(['agents', 'passwd', 'erin'], /new password for erin|repeat it/, ['12345678', 'Sunny-Tea-42-Garden', 'Sunny-Tea-42-Garden']);
    expect(run.code).toBe(0);
    expect(run.screen).toContain('kefu: this password must be at least 10 characters');
    expect(run.screen).toContain('changed the password of erin');
    expect(run.screen).not.toContain('12345678');
    expect(run.screen).not.toContain('Sunny-Tea-42-Garden');
    expect(await store.verify('erin', 'Sunny-Tea-42-Garden')).not.toBeNull();
  }, 60_000);

  it('unlock lifts the lock of failed logins; list shows who is locked', async () => {
    // A store that locks at the second failure, so the test need not make twenty.
    const strict = new AgentStore(redis, prefix, { lockout: { freeFailures: 1, lockAfter: 2, firstWaitMs: 0 } });
    await strict.add({ username: 'fay', roles: ['agent'], password: 'fay first passphrase' });
    expect(await strict.login('fay', 'wrong one')).toBeNull();
    expect(await strict.login('fay', 'wrong two')).toBeNull();
    await expect(strict.login('fay', 'fay first passphrase')).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });

    const list = await kefu(['agents', 'list']);
    expect(list.stdout).toMatch(/^fay\s+locked\s+agent/m);
    const json = JSON.parse((await kefu(['agents', 'list', '--json'])).stdout) as { username: string; lockedUntil: string | null }[];
    expect(json.find((a) => a.username === 'fay')?.lockedUntil).toEqual(expect.any(String));
    expect(json.find((a) => a.username === 'dave')?.lockedUntil).toBeNull();

    const run = await kefu(['agents', 'unlock', 'fay']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('unlocked fay; its failed logins are forgotten\n');
    expect(await strict.login('fay', 'fay first passphrase')).not.toBeNull();
    expect((await kefu(['agents', 'unlock', 'fay'])).stdout).toBe('fay was not locked\n');
    expect((await kefu(['agents', 'unlock', 'nobody'])).code).toBe(1);
  }, 60_000);
});
