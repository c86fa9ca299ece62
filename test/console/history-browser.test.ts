/**
 * A returning customer with a history longer than one answer shows, in a real browser (headless
 * Debian chromium), on a real redis-server and a real PostgreSQL: the chat opens with the latest
 * archived messages before the new one and a 加载更早的消息 button; pressing it puts the rest
 * before them, each message once, and the button goes away.
 *
 * Screenshots: test-results/screenshots/history-earlier-{1280,390}.png (git-ignored).
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { ARCHIVED_SHOWN } from '../../src/console/routes/conversations.ts';
import { ref } from '../support/handoff-fixture.ts';
import { byId, launchChromium, listenApp, loginAs, openTab, PASSWORD, shot } from '../support/browser.ts';
import { usePostgresServer, useRedisServer } from '../support/hooks.ts';
import type { PostgresServer } from '../support/postgres.ts';
import { until } from '../support/waits.ts';
import { archiveEnv, DAY_MS, type ArchiveEnv } from '../archive/helpers.ts';

let redis: Redis;
let server: PostgresServer;
useRedisServer((_s, c) => (redis = c));
usePostgresServer((s) => (server = s));

const OLD = 640;
let e: ArchiveEnv;
let app: FastifyInstance;
let baseUrl: string;
let browser: Browser;
let id: string;

beforeAll(async () => {
  e = await archiveEnv(redis, server.url);
  const customer = ref('longtalk', e.botId);
  for (let i = 0; i < OLD; i++) await e.h.recordMessage(customer, { from: 'customer', text: `第${i}句` });
  id = `${e.botId}.longtalk`;
  e.clock.advance(8 * DAY_MS);
  expect((await e.archive.runOnce()).trimmed).toBe(1);
  await e.h.recordMessage(customer, { from: 'customer', text: '我又来了' });
  const agents = new AgentStore(redis, e.prefix);
  await agents.add({ username: 'mia', roles: ['manager', 'agent'], password: PASSWORD, name: '经理米娅' });
  ({ app, baseUrl } = await listenApp({ handoff: e.h, agents, redis, archive: e.archive }));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await e?.archive.close();
});

describe('a long archived history in the browser', { timeout: 60_000 }, () => {
  it('shows the latest part, loads the earlier part on demand, each message once', async () => {
    const tab = await openTab(browser);
    const { page } = tab;
    try {
      await loginAs(page, baseUrl, 'mia', PASSWORD, '经理米娅');
      await page.goto(`${baseUrl}/#/c/${encodeURIComponent(id)}`);
      const texts = () => page.getByTestId('msg').filter({ has: page.getByTestId('msg-text') }).getByTestId('msg-text').allTextContents();
      await until('the chat shown', texts, (t) => t.includes('我又来了'));
      const first = await texts();
      expect(first.length).toBe(ARCHIVED_SHOWN + 1);
      expect(first[0]).toBe(`第${OLD - ARCHIVED_SHOWN}句`);
      await shot(page, 'history-earlier-1280');
      await page.setViewportSize({ width: 390, height: 844 });
      await shot(page, 'history-earlier-390');
      await page.setViewportSize({ width: 1280, height: 800 });

      await byId(page, 'load-earlier').click();
      await until('the earlier part shown', texts, (t) => t.length === OLD + 1);
      const all = await texts();
      expect(all).toEqual([...Array.from({ length: OLD }, (_, i) => `第${i}句`), '我又来了']);
      expect(await page.getByTestId('load-earlier').count()).toBe(0);
    } finally {
      await tab.context.close();
    }
  });
});
