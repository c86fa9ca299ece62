/**
 * The login page's answers to the login limits, in a real browser (headless Debian chromium,
 * playwright-core) against the console app on a real port: a wait after failed logins and a
 * locked account each read as a zh-CN sentence that says what to do.
 *
 * Screenshot (1280x800): test-results/screenshots/login-locked.png (git-ignored).
 */
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { byId, launchChromium, listenApp, openTab, PASSWORD, shot, type Tab } from '../support/browser.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let app: FastifyInstance;
let baseUrl: string;
let browser: Browser;
let tab: Tab;

beforeAll(async () => {
  const redis = server.client();
  const prefix = randomPrefix();
  // Waits from the second failure on, a lock at the fourth: a few tries show both.
  const agents = new AgentStore(redis, prefix, { lockout: { freeFailures: 2, lockAfter: 4, firstWaitMs: 60_000 } });
  await agents.add({ username: 'alice', name: '爱丽丝', roles: ['agent'], password: PASSWORD });
  ({ app, baseUrl } = await listenApp({ handoff: new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY }), agents, redis }));
  browser = await launchChromium();
  tab = await openTab(browser);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function tryLogin(page: Page, password: string): Promise<string> {
  await page.getByTestId('login-password').fill(password);
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'));
  await page.getByTestId('login-submit').click();
  await answered;
  const error = byId(page, 'login-error');
  await error.waitFor();
  return (await error.textContent()) ?? '';
}

it('tells a person to wait after failed logins, and that a locked account needs time or an admin', async () => {
  const { page } = tab;
  await page.goto(baseUrl);
  await page.getByTestId('login-username').fill('alice');
  expect(await tryLogin(page, 'wrong one')).toBe('用户名或密码错误');
  expect(await tryLogin(page, 'wrong two')).toBe('用户名或密码错误');
  expect(await tryLogin(page, 'wrong three')).toBe('登录尝试次数过多，请稍后再试');

  // The wait over (the lock's own records, as another console process would see them), two more
  // failures lock the account: even the right password then gets the lock's answer.
  const key = (await server.client().keys('*:{agents}:lf:*'))[0]!;
  await server.client().hset(key, 'next', '0');
  expect(await tryLogin(page, 'wrong three')).toBe('用户名或密码错误');
  await server.client().hset(key, 'next', '0');
  expect(await tryLogin(page, 'wrong four')).toBe('用户名或密码错误');
  const locked = await tryLogin(page, PASSWORD);
  expect(locked).toContain('账号已被暂时锁定');
  expect(locked).toContain('联系管理员解锁');
  await shot(page, 'login-locked');
  expect(tab.pageErrors).toEqual([]);
}, 60_000);
