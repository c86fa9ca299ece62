/**
 * The composition root: roles, one Redis / knowledge base / handoff / metrics registry for bot and
 * console, /readyz following the bot's login, the bot's metrics at /metrics, the bot role's own
 * ops endpoints, and a clean stop on SIGTERM.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMessages, renderTemplate } from '../src/bot/messages.ts';
import { loadConfig } from '../src/config.ts';
import { parseRoles, SIGNAL_ECHO_MS, startKefu, type Kefu } from '../src/main.ts';
import { KB_DIR } from './support/bot.ts';
import { ROOT, runNode } from './support/processes.ts';
import { useRedisServer } from './support/hooks.ts';
import { randomPrefix, type RedisServer } from './support/redis.ts';
import { waitFor } from './support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

const running: Kefu[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((k) => k.stop()));
});

const configFor = (extra: Record<string, string> = {}) =>
  loadConfig({
    REDIS_URL: server.url,
    REDIS_PREFIX: randomPrefix(),
    PORT: '0',
    LOG_LEVEL: 'silent',
    WECHATY_PUPPET: 'wechaty-puppet-mock',
    KEFU_ADMIN_PASSWORD: 'a long enough password',
    ...extra,
  });

async function start(roles: ('bot' | 'console')[], extra?: Record<string, string>): Promise<Kefu> {
  const k = await startKefu(configFor(extra), { roles });
  running.push(k);
  return k;
}

/** The value of one series, e.g. `kefu_handoffs_total{reason="customer_asked"}`; 0 when absent. */
const metric = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
};

describe('parseRoles', () => {
  it('defaults to both; takes --role X, --role=X, comma lists and all', () => {
    expect(parseRoles([])).toEqual(['bot', 'console']);
    expect(parseRoles(['--role', 'bot'])).toEqual(['bot']);
    expect(parseRoles(['--role=console'])).toEqual(['console']);
    expect(parseRoles(['--role', 'console,bot']).sort()).toEqual(['bot', 'console']);
    expect(parseRoles(['--role', 'all']).sort()).toEqual(['bot', 'console']);
  });

  it.each([[['--role', 'worker']], [['--role']], [['--verbose']]])('refuses %j', (argv) => {
    expect(() => parseRoles(argv)).toThrow(/role|argument/);
  });
});

describe('startKefu', () => {
  it('bot + console: /readyz waits for the login; the bot\'s messages, outcomes, handoffs and relays are at /metrics', async () => {
    const k = await start(['bot', 'console']);
    const url = k.console!.url;
    const notReady = await fetch(`${url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as { error: { message: string } }).error.message).toMatch(/not logged in/);

    const mocker = k.bot!.mocker!;
    const user = mocker.createContact({ name: '闪录客服' });
    mocker.login(user);
    await waitFor('ready', async () => (await fetch(`${url}/readyz`)).status === 200);

    const customer = mocker.createContact({ name: '测试' });
    const heard: string[] = [];
    customer.on('message', (m) => {
      if (m.payload.talkerId === user.id) heard.push(m.payload.text ?? '');
    });
    customer.say('录屏没有声音怎么办').to(user);
    await waitFor('the answer', () => heard.length > 0);
    customer.say('转人工').to(user);
    await waitFor('the queue notice', () => heard.some((t) => /排第/.test(t)));
    const [conv] = await k.handoff.listWaiting();
    const agent = { id: 'a1', name: 'A', publicName: 'A' };
    await k.handoff.claim(conv!.id, agent);
    // The customer hears who joined (ANNOUNCE_AGENT_JOIN is on by default).
    const joined = renderTemplate((await loadMessages(KB_DIR)).agent_joined, { agent: 'A' });
    await waitFor('the joined notice', () => heard.includes(joined));
    await k.handoff.reply(conv!.id, agent, '您好');
    await waitFor('the agent reply', () => heard.includes('您好'));
    expect(heard.filter((t) => t === joined)).toHaveLength(1);

    const text = await (await fetch(`${url}/metrics`)).text();
    expect(metric(text, 'kefu_messages_in_total{kind="text"}')).toBe(2);
    expect(metric(text, 'kefu_bot_outcomes_total{outcome="answer"}')).toBe(1);
    expect(metric(text, 'kefu_handoffs_total{reason="customer_asked"}')).toBe(1);
    expect(metric(text, 'kefu_messages_out_total{source="agent"}')).toBe(1);
    expect(metric(text, 'kefu_messages_out_total{source="bot"}')).toBeGreaterThanOrEqual(2);
    expect(metric(text, 'kefu_match_duration_seconds_count')).toBe(1);
    expect(metric(text, 'kefu_relay_duration_seconds_count')).toBe(1);
    expect(metric(text, 'kefu_conversations{status="active"}')).toBe(1);
    // One registry for the process: the process metrics once, under the product's prefix.
    expect(text).toMatch(/^kefu_process_cpu_seconds_total /m);
    expect(text).not.toMatch(/kefu_console_process/);
  });

  it('the bot role alone serves /healthz, /readyz and /metrics on PORT', async () => {
    const k = await start(['bot']);
    expect(k.console).toBeUndefined();
    const url = k.ops!.url;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    k.bot!.mocker!.login(k.bot!.mocker!.createContact({ name: 'bot' }));
    await waitFor('ready', async () => (await fetch(`${url}/readyz`)).status === 200);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^# HELP kefu_messages_in_total/m);
  });

  it('a second start on a taken port fails before it touches Redis: the running bot account is not logged out', async () => {
    const first = await start(['bot', 'console']);
    const port = Number(new URL(first.console!.url).port);
    const prefix = first.config.redis.prefix;
    first.bot!.mocker!.login(first.bot!.mocker!.createContact({ name: 'bot' }));
    await waitFor('ready', async () => (await fetch(`${first.console!.url}/readyz`)).status === 200);
    const keysBefore = (await server.client().keys(`${prefix}*`)).sort();
    const err = await startKefu(configFor({ REDIS_PREFIX: prefix, PORT: String(port), HOST: '127.0.0.1' }), { roles: ['bot', 'console'] }).then(
      (k) => {
        running.push(k);
        return null;
      },
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(err?.code).toBe('PORT_IN_USE');
    expect(err?.message).toContain(`port ${port}`);
    expect((await server.client().keys(`${prefix}*`)).sort()).toEqual(keysBefore);
    expect((await fetch(`${first.console!.url}/readyz`)).status).toBe(200);
  });

  it('the console role alone is ready with Redis, and loads no bot', async () => {
    const k = await start(['console']);
    expect(k.bot).toBeUndefined();
    expect((await fetch(`${k.console!.url}/readyz`)).status).toBe(200);
  });
});

describe('npm start', () => {
  it('names every invalid variable in one go, the console\'s password policy included, and exits 1', async () => {
    const missing = path.join(os.tmpdir(), `kefu-no-kb-${process.pid}`);
    const env = { ...process.env, LOG_LEVEL: 'silent', PORT: 'abc', REDIS_URL: 'notaurl', KEFU_ADMIN_PASSWORD: 'aaaaaaaaaaaa', KB_DIR: missing };
    const r = await runNode(['--import', 'tsx', 'src/main.ts', '--role', 'console'], { cwd: ROOT, env, timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^ {2}KB_DIR: no such directory: ${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} `, 'm'));
    expect(r.stderr).toMatch(/^ {2}PORT: must be a port number 1-65535 \(or 0: any free port\), got "abc"$/m);
    expect(r.stderr).toMatch(/^ {2}REDIS_URL: not a URL: "notaurl"/m);
    expect(r.stderr).toMatch(/^ {2}KEFU_ADMIN_PASSWORD: /m);
    expect(r.stderr.match(/KEFU_ADMIN_PASSWORD:/g)).toHaveLength(1);
  }, 30_000);

  it('refuses an unknown role with exit 2; stops cleanly on SIGTERM', async () => {
    const env = { ...process.env, REDIS_URL: server.url, REDIS_PREFIX: randomPrefix(), PORT: '0', LOG_LEVEL: 'info', LOG_PRETTY: 'false', WECHATY_PUPPET: 'wechaty-puppet-mock', KEFU_ADMIN_PASSWORD: 'a long enough password' };
    const bad = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--role', 'nope'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let badErr = '';
    bad.stderr.on('data', (d: Buffer) => (badErr += d.toString()));
    expect(await new Promise((r) => bad.once('exit', r))).toBe(2);
    expect(badErr).toMatch(/unknown role "nope"/);

    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--role', 'console'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await waitFor('the console to run', () => /kefu-bridge is running/.test(out), 20_000);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toMatch(/shutting down/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);

  /** Runs test/fixtures/processes/slow-stop.ts, sends SIGTERM, and again `againAfterMs` later. */
  async function signalled(againAfterMs: number, stopMs: number): Promise<{ code: number | null; out: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/processes/slow-stop.ts'], {
      cwd: ROOT,
      env: { ...process.env, STOP_MS: String(stopMs) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    try {
      await waitFor('the process to run', () => out.includes('ready'), 20_000);
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, againAfterMs));
      child.kill('SIGTERM');
      return { code: await exited, out };
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }

  it('the same stop passed on twice (npm, tsx or a group kill) is one graceful stop; a second signal later exits at once', async () => {
    const echoed = await signalled(50, 600);
    expect(echoed.code).toBe(0);
    expect(echoed.out).toMatch(/shutting down/);
    expect(echoed.out).toMatch(/^stopped$/m);
    expect(echoed.out).not.toMatch(/second signal: exiting now/);

    const impatient = await signalled(SIGNAL_ECHO_MS + 300, 5_000);
    expect(impatient.code).toBe(1);
    expect(impatient.out).toMatch(/second signal: exiting now/);
    expect(impatient.out).not.toMatch(/^stopped$/m);
  }, 40_000);
});
