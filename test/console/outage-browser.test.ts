/**
 * A Redis outage in a real browser (headless Debian chromium via playwright-core): the console
 * (buildApp on a real port with the production Redis client, createRedis) keeps serving its UI
 * while the test shuts the redis-server down; the agent's next action gets 503 REDIS_UNAVAILABLE
 * and the shell shows the reconnecting banner; when Redis is back the banner goes by itself and the
 * page carries on without a reload or a new login.
 *
 * Screenshot (1280x800): test-results/screenshots/outage-banner.png (git-ignored).
 */
import type { FastifyInstance } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { createRedis, DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { byId, launchChromium, listenApp, loginAs, openTab, PASSWORD, shot, type Tab } from '../support/browser.ts';
import { randomPrefix, startRedis, stopAll, waitReady, type RedisServer } from '../support/redis.ts';
import { until } from '../support/waits.ts';

const BANNER = '连接中断，正在重连…';

let server: RedisServer;
let redis: Redis | Cluster;
let app: FastifyInstance;
let baseUrl: string;
let browser: Browser;
let conv: string;

beforeAll(async () => {
  // AOF: the agent's account and token survive the restart, as in production.
  server = await startRedis({ appendonly: true });
  redis = createRedis({ url: server.url });
  await waitReady(redis);
  const prefix = randomPrefix();
  const handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  const agents = new AgentStore(redis, prefix);
  await agents.add({ username: 'alice', name: '爱丽丝', roles: ['agent'], password: PASSWORD });
  const ref = { botId: 'botA', customerId: 'wx-1', customerName: '王先生' };
  await handoff.registerBot('botA');
  await handoff.recordMessage(ref, { from: 'customer', text: '我的订单还没发货' });
  await handoff.requestHuman(ref, { reason: 'customer_asked', question: '我的订单还没发货' });
  conv = 'botA.wx-1';
  ({ app, baseUrl } = await listenApp({
    handoff,
    agents,
    redis,
    redisWaitMs: 500,
    ui: true,
    live: { connect: () => createRedis({ url: server.url }), reader: { blockMs: 200, discoverMs: 200 } },
  }));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await app?.close();
  redis?.disconnect();
  await stopAll();
}, 30_000);

describe('the reconnecting banner', { timeout: 90_000 }, () => {
  let tab: Tab;
  beforeAll(async () => {
    tab = await openTab(browser);
  });
  afterAll(async () => {
    await tab?.context.close().catch(() => undefined);
  });

  it('appears when an action meets the outage, and goes by itself once Redis is back', async () => {
    const { page } = tab;
    await loginAs(page, baseUrl, 'alice', PASSWORD, '爱丽丝', { waitOnline: true });
    const item = page.locator(`[data-testid="queue-item"][data-conv-id="${conv}"]`);
    await item.waitFor();
    const banner = byId(page, 'connection-banner');
    expect(await banner.count()).toBe(0);

    await server.stop();
    await item.click();
    await banner.waitFor();
    expect(await banner.textContent()).toContain(BANNER);
    // The failed action says that nothing happened, in words for people.
    await byId(page, 'toast-error').filter({ hasText: '服务暂时中断，操作未执行' }).first().waitFor();
    await shot(page, 'outage-banner');

    await server.restart();
    await banner.waitFor({ state: 'detached', timeout: 20_000 });
    // Still signed in, and what failed during the outage is loaded now (no reload).
    await page.locator(`[data-testid="conv-view"][data-conv-id="${conv}"]`).waitFor();
    expect(await byId(page, 'me-name').textContent()).toBe('爱丽丝');
    await byId(page, 'claim-btn').click();
    await page.locator(`[data-testid="conv-view"][data-status="active"]`).waitFor();
    expect(tab.pageErrors).toEqual([]);
  });

  it('an idle tab notices by itself (no click), and clears when Redis is back', async () => {
    const { page } = tab;
    const banner = byId(page, 'connection-banner');
    expect(await banner.count()).toBe(0);
    // Idle: nothing left over from the last test is still loading.
    let lastResponse = Date.now();
    page.on('response', () => (lastResponse = Date.now()));
    await until('a quiet tab', async () => Date.now() - lastResponse, (quiet) => quiet >= 1_500);
    await server.stop();
    // The tab asks by itself once it has heard nothing for 15 s (its lists' own refreshes come later).
    await banner.waitFor({ timeout: 35_000 });
    expect(await byId(page, 'live-status').getAttribute('data-state')).toBe('offline');
    await server.restart();
    await banner.waitFor({ state: 'detached', timeout: 20_000 });
    await byId(page, 'live-status').and(page.locator('[data-state="online"]')).waitFor();
    expect(tab.pageErrors).toEqual([]);
  });
});
