/**
 * In a real browser (headless Debian chromium, playwright-core), on a real redis-server: the
 * dashboard's 人工服务 card (first response, SLA met, resolution, per agent) and the 客户档案 panel
 * beside a chat (channel, first seen, the conversations so far with outcome and rating, tags; an
 * earlier one opens at its start). Traffic is recorded through the Handoff API as the bot and the
 * console record it.
 *
 * Screenshots at 1280 and 390 px wide: test-results/screenshots/service-{1280,390}.png,
 * customer-panel-{1280,390}.png (git-ignored).
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { byId, expectAttr, launchChromium, listenApp, loginAs, openTab, PASSWORD, shot, type Tab } from '../support/browser.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
useRedisServer((_s, c) => (redis = c));

const BOT = 'kefu-kf';
const PHONE = { width: 390, height: 844 };
let handoff: Handoff;
let app: FastifyInstance;
let baseUrl: string;
let browser: Browser;
let ann: { id: string; name: string };
let bob: { id: string; name: string };
// An hour ago, a minute a step: everything happened today and before now.
const clock = { t: Date.now() - 60 * 60_000 };
const step = () => (clock.t += 60_000);

async function served(customerId: string, agent: { id: string; name: string }, rating: number | null, opts: { resolve?: boolean; name?: string } = {}): Promise<string> {
  const ref = { botId: BOT, customerId, customerName: opts.name ?? `客户${customerId}` };
  const id = `${BOT}.${customerId}`;
  step();
  await handoff.recordMessage(ref, { from: 'customer', text: '我的退款还没到账' });
  step();
  await handoff.requestHuman(ref, { reason: 'customer_asked', question: '退款还没到账' });
  step();
  await handoff.claim(id, agent);
  step();
  await handoff.reply(id, agent, '您好，我来查一下');
  if (opts.resolve === false) return id;
  step();
  await handoff.resolve(id, { by: agent.id });
  if (rating !== null) {
    step();
    await handoff.recordRating(ref, rating);
  }
  return id;
}

let returning: string;
beforeAll(async () => {
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY, now: () => clock.t });
  await handoff.registerBot(BOT);
  await handoff.registry.setChannel(BOT, { kind: 'wecom-kf', label: '售后客服', maxTextBytes: 2048 });
  const agents = new AgentStore(redis, prefix);
  await agents.add({ username: 'mia', roles: ['manager', 'agent'], password: PASSWORD, name: '经理米娅' });
  const a = await agents.add({ username: 'ann', roles: ['agent'], password: PASSWORD, name: '安妮' });
  const b = await agents.add({ username: 'bob', roles: ['agent'], password: PASSWORD, name: '鲍勃' });
  ann = { id: a.id, name: a.name };
  bob = { id: b.id, name: b.name };
  // Ann closes three (rated 5, 4, none), Bob one (rated 2).
  await served('c1', ann, 5);
  await served('c2', ann, 4);
  await served('c3', ann, null);
  await served('c4', bob, 2);
  // A returning customer: served by Ann and rated 5, tagged; back again, now with Bob.
  returning = await served('back', ann, 5, { name: '回头客小王' });
  await handoff.setTags(returning, ['退款', 'VIP候选'], { manager: true });
  step();
  await served('back', bob, null, { resolve: false, name: '回头客小王' });
  ({ app, baseUrl } = await listenApp({ handoff, agents, redis: redis, timezone: 'Asia/Shanghai' }));
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function signedIn(phone = false): Promise<Tab> {
  const tab = await openTab(browser);
  // Signed in wide (a phone's top bar hides the name the login waits for), then narrowed.
  await loginAs(tab.page, baseUrl, 'mia', PASSWORD, '经理米娅');
  if (phone) await tab.page.setViewportSize(PHONE);
  return tab;
}

describe('the dashboard: 人工服务', () => {
  it('first response, SLA met, resolution and each agent, for the range', { timeout: 60_000 }, async () => {
    const tab = await signedIn();
    try {
      const { page } = tab;
      await page.goto(`${baseUrl}/#/manager`);
      const card = byId(page, 'service-card');
      // Six first replies (Bob's open one too), five resolutions.
      await expectAttr(byId(card, 'svc-first-response'), 'data-count', '6');
      await expectAttr(byId(card, 'svc-resolution'), 'data-count', '5');
      await expectAttr(byId(card, 'svc-sla'), 'data-met', '6');
      await expect.poll(() => byId(card, 'svc-sla').locator('.svc-fig-value').textContent()).toBe('100%');
      const rows = byId(card, 'svc-agent');
      await expect.poll(() => rows.count()).toBe(2);
      expect(await rows.nth(0).getAttribute('data-agent-id')).toBe(ann.id);
      expect(await rows.nth(0).getAttribute('data-handled')).toBe('4');
      expect(await rows.nth(0).getAttribute('data-csat')).toBe('4.67');
      expect(await rows.nth(0).locator('th').textContent()).toBe('安妮');
      expect(await rows.nth(1).getAttribute('data-handled')).toBe('1');
      // The columns say what they count: Bob first-replied twice (his open chat too), resolved one.
      expect(await card.locator('.svc-table thead th').allTextContents()).toEqual(['客服', '接待', '已解决', '回复', '首次响应', '时限内', '满意度']);
      expect(await rows.nth(1).getAttribute('data-served')).toBe('2');
      expect(await rows.nth(1).getAttribute('data-first')).toBe('2');
      expect(await rows.nth(1).locator('td').nth(0).textContent()).toBe('2');
      // The first-response median says how many first responses it is of.
      expect(await rows.nth(1).locator('td').nth(3).textContent()).toMatch(/^(不到 1 分钟|\d+ 分钟)（2 次）$/);
      expect(await rows.nth(1).locator('td').nth(1).textContent()).toBe('1');
      // One reply in each of his two chats.
      expect(await rows.nth(1).getAttribute('data-replies')).toBe('2');
      expect(await rows.nth(1).locator('td').nth(2).textContent()).toBe('2');
      expect(await rows.nth(1).getAttribute('data-csat')).toBe('2');
      await card.scrollIntoViewIfNeeded();
      await shot(page, 'service-1280');
      expect(tab.pageErrors).toEqual([]);
    } finally {
      await tab.context.close();
    }
  });

  it('on a phone (390 px): the card fits the screen', { timeout: 60_000 }, async () => {
    const tab = await signedIn(true);
    try {
      const { page } = tab;
      await page.goto(`${baseUrl}/#/manager`);
      const card = byId(page, 'service-card');
      await expectAttr(byId(card, 'svc-first-response'), 'data-count', '6');
      await card.scrollIntoViewIfNeeded();
      const box = (await card.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width + 1);
      await shot(page, 'service-390');
      expect(tab.pageErrors).toEqual([]);
    } finally {
      await tab.context.close();
    }
  });
});

describe('the customer panel beside a chat', () => {
  it('channel, first seen, tags, the conversations so far with outcome and rating; an earlier one opens at its start', { timeout: 60_000 }, async () => {
    const tab = await signedIn();
    try {
      const { page } = tab;
      await page.goto(`${baseUrl}/#/c/${encodeURIComponent(returning)}`);
      const panel = byId(page, 'customer-panel');
      await expectAttr(byId(panel, 'cust-session-count'), 'data-count', '2');
      expect(await byId(panel, 'cust-channel').textContent()).toBe('微信客服 · 售后客服');
      // The channel's own default label (WecomKfAdapter) starts with its name: said once.
      await handoff.registry.setChannel(BOT, { kind: 'wecom-kf', label: '微信客服 wkKefuDemo0001', maxTextBytes: 2048 });
      try {
        await page.reload();
        await expect.poll(() => byId(byId(page, 'customer-panel'), 'cust-channel').textContent()).toBe('微信客服 · wkKefuDemo0001');
      } finally {
        await handoff.registry.setChannel(BOT, { kind: 'wecom-kf', label: '售后客服', maxTextBytes: 2048 });
        await page.reload();
      }
      expect(await byId(panel, 'cust-first-seen').textContent()).not.toBe('—');
      expect(await byId(panel, 'cust-tags').textContent()).toContain('VIP候选');
      const sessions = byId(panel, 'cust-session');
      expect(await sessions.nth(0).getAttribute('data-outcome')).toBe('open');
      expect(await sessions.nth(0).textContent()).toContain('本次');
      expect(await sessions.nth(0).textContent()).toContain('鲍勃');
      expect(await sessions.nth(1).getAttribute('data-outcome')).toBe('resolved');
      expect(await sessions.nth(1).getAttribute('data-rating')).toBe('5');
      expect(await sessions.nth(1).textContent()).toContain('已解决');
      expect(await sessions.nth(1).textContent()).toContain('客户要求转人工');
      await panel.scrollIntoViewIfNeeded();
      await shot(page, 'customer-panel-1280');

      // The earlier conversation opens at the message it began with.
      const firstWaiting = (await handoff.transcript(returning)).find((m) => m.event === 'waiting')!;
      await byId(sessions.nth(1), 'cust-session-open').click();
      await expect.poll(() => new URL(page.url()).hash).toBe(`#/c/${encodeURIComponent(returning)}?m=${encodeURIComponent(firstWaiting.id)}`);
      await page.locator(`[data-msg-id="${firstWaiting.id}"].msg-focus`).waitFor();
      expect(tab.pageErrors).toEqual([]);
    } finally {
      await tab.context.close();
    }
  });

  it('a hostile customer tag is shown as text; on a phone (390 px) the panel fits', { timeout: 60_000 }, async () => {
    await handoff.setTags(returning, ['退款', '<img src=x onerror=alert(1)>'], { manager: true });
    const tab = await signedIn(true);
    try {
      const { page } = tab;
      await page.goto(`${baseUrl}/#/c/${encodeURIComponent(returning)}`);
      const panel = byId(page, 'customer-panel');
      await expectAttr(byId(panel, 'cust-session-count'), 'data-count', '2');
      expect(await byId(panel, 'cust-tags').textContent()).toContain('<img src=x onerror=alert(1)>');
      expect(await panel.locator('img').count()).toBe(0);
      await panel.scrollIntoViewIfNeeded();
      const box = await panel.boundingBox();
      if (box) expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width + 1);
      await shot(page, 'customer-panel-390');
      expect(tab.pageErrors).toEqual([]);
    } finally {
      await tab.context.close();
    }
  });
});
