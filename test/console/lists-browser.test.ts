/**
 * The queue column's views in real Chromium (playwright-core) against the console on a real port
 * and a real redis-server: 113 waiting read "113 排队" (not 100) and 加载更多 shows them all; the
 * 全部 view with status chips and the tier, agent and tag filters shows the true count from `total`;
 * a resolved chat opens read-only and 重新打开 makes it the caller's, the list following by live
 * delta; and the queue and one conversation at 390 px (nothing wider than the phone).
 * Screenshots: test-results/screenshots/lists-{1280,390}.png (the filters styled), lists-reopen-1280.png and lists-conv-390.png (git-ignored).
 */
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { byId, expectAttr, launchChromium, listenApp, loginAs, openTab, PASSWORD, shot, type Tab } from '../support/browser.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';
import { until } from '../support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let handoff: Handoff;
let app: FastifyInstance;
let baseUrl: string;
let browser: Browser;
const ids: Record<string, string> = {};
let resolvedId = '';
let vipId = '';

const USERS = {
  alice: { name: '李爱丽', roles: ['agent' as const] },
  bob: { name: '张博', roles: ['agent' as const] },
  mia: { name: '经理米娅', roles: ['manager' as const] },
};

async function queueOne(customerId: string, name: string): Promise<string> {
  const ref = { botId: 'botL', customerId, customerName: name };
  await handoff.recordMessage(ref, { from: 'customer', text: `${name}：订单还没到` });
  await handoff.requestHuman(ref, { reason: 'customer_asked', question: `${name}：订单还没到` });
  return `botL.${customerId}`;
}

beforeAll(async () => {
  const redis = server.client();
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  const agents = new AgentStore(redis, prefix);
  for (const [username, u] of Object.entries(USERS)) ids[username] = (await agents.add({ username, password: PASSWORD, ...u })).id;
  await handoff.registerBot('botL');
  await handoff.setTier('botL', 'vip1', 'vip');
  vipId = await queueOne('vip1', '贵宾王女士');
  for (let i = 0; i < 112; i++) await queueOne(`c${String(i).padStart(3, '0')}`, `客户${i}`);
  const done = await queueOne('done1', '已解决的赵先生');
  await handoff.claim(done, { id: ids.bob!, name: '张博' });
  await handoff.setTags(done, ['物流']);
  await handoff.resolve(done, { by: ids.bob! });
  resolvedId = done;
  ({ app, baseUrl } = await listenApp({
    handoff,
    agents,
    redis,
    ui: true,
    live: { connect: () => server.client(), reader: { blockMs: 200, discoverMs: 200 } },
  }));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await app?.close();
}, 30_000);

const text = async (page: Page, id: string): Promise<string> => ((await byId(page, id).first().textContent({ timeout: 2_000 })) ?? '').trim();
const waitText = (page: Page, id: string, want: string | RegExp) =>
  until(`${id} ${String(want)}`, () => text(page, id), (t) => (typeof want === 'string' ? t === want : want.test(t)), 10_000);
const count = (page: Page, id: string) => byId(page, id).count();

/** Nothing wider than the window: the page scrolls down, never sideways. */
async function fitsWidth(page: Page): Promise<void> {
  const { scroll, client } = await page.evaluate(() => {
    const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return { scroll: d.scrollWidth, client: d.clientWidth };
  });
  expect(scroll).toBeLessThanOrEqual(client + 1);
}

describe('queue views, filters and paging in the browser', { timeout: 120_000 }, () => {
  let t: Tab;
  beforeAll(async () => {
    t = await openTab(browser);
    await loginAs(t.page, baseUrl, 'mia', PASSWORD, USERS.mia.name, { waitOnline: true });
  });
  afterAll(async () => {
    await t?.context.close().catch(() => undefined);
  });

  it('shows the true count (113, not 100) and pages the queue with 加载更多; a new customer counts at once', async () => {
    const { page } = t;
    await waitText(page, 'waiting-total', '113 排队');
    expect(await count(page, 'queue-item')).toBe(100);
    await byId(page, 'queue-more').click();
    await until('113 rows', () => count(page, 'queue-item'), (n) => n === 113, 10_000);
    expect(await count(page, 'queue-more')).toBe(0);
    await queueOne('late1', '新来的钱先生');
    await waitText(page, 'waiting-total', '114 排队');
  });

  it('全部 / 已解决 / filters show the true totals, and a resolved chat reopens for the caller', async () => {
    const { page } = t;
    await byId(page, 'view-all').click();
    await waitText(page, 'list-total', '115');
    expect(await count(page, 'list-item')).toBe(50);
    await byId(page, 'list-more').click();
    await until('100 rows', () => count(page, 'list-item'), (n) => n === 100, 10_000);
    await byId(page, 'status-resolved').click();
    await waitText(page, 'list-total', '1');
    expect(await byId(page, 'list-item').getAttribute('data-conv-id')).toBe(resolvedId);
    await byId(page, 'status-waiting').click();
    await waitText(page, 'list-total', '114');
    await byId(page, 'filter-tier').selectOption('vip');
    await waitText(page, 'list-total', '1');
    expect(await byId(page, 'list-item').getAttribute('data-conv-id')).toBe(vipId);
    await byId(page, 'filter-tier').selectOption('');
    await byId(page, 'status-all').click();
    await byId(page, 'filter-agent').selectOption(ids.bob!);
    await waitText(page, 'list-total', '1');
    await byId(page, 'filter-agent').selectOption('');
    await byId(page, 'filter-tag').fill('物流');
    await byId(page, 'filter-tag').press('Enter');
    await waitText(page, 'list-total', '1');
    await styledFilters(page, ['filter-tag', 'filter-agent', 'filter-tier', 'filter-channel']);
    await shot(page, 'lists-1280');

    // The closed chat: read-only, with 重新打开.
    await byId(page, 'filter-tag').fill('');
    await byId(page, 'filter-tag').press('Enter');
    await byId(page, 'status-resolved').click();
    await waitText(page, 'list-total', '1');
    await byId(page, 'list-item').click();
    await expectAttr(byId(page, 'conv-view'), 'data-status', 'resolved');
    await byId(page, 'reopen-bar').waitFor({ timeout: 5_000 });
    await shot(page, 'lists-reopen-1280');
    await byId(page, 'reopen').click();
    await expectAttr(byId(page, 'conv-view'), 'data-status', 'active');
    // The 已解决 list follows by the live delta: empty, its count 0.
    await waitText(page, 'list-total', '0');
    const conv = await handoff.conversation(resolvedId);
    expect(conv).toMatchObject({ status: 'active', assignee: { id: ids.mia } });
  });
});

/**
 * The list filters are the console's own controls (base.css .input), not the browser's bare ones:
 * the class, and its border and corners as drawn. Returns their heights.
 */
async function styledFilters(page: Page, testids: string[]): Promise<number[]> {
  const heights: number[] = [];
  for (const id of testids) {
    const el = byId(page, id);
    expect(await el.getAttribute('class'), id).toMatch(/\binput\b/);
    // Unfocused: a focused one wears the focus ring's colour.
    await el.blur();
    const look = await el.evaluate((e) => {
      // The page's own globals through the element (the project compiles without the DOM lib).
      const doc = e.ownerDocument;
      const style = (x: typeof e) => doc.defaultView!.getComputedStyle(x);
      const probe = doc.body.appendChild(doc.createElement('div'));
      probe.style.borderTop = '1px solid var(--border-strong)';
      const want = style(probe).borderTopColor;
      probe.remove();
      const cs = style(e);
      return { radius: cs.borderTopLeftRadius, border: cs.borderTopColor, want, height: e.getBoundingClientRect().height };
    });
    expect(look.radius, id).toBe('6px');
    // --border-strong, not the user agent's grey (polled: the focus ring fades out over 0.12 s).
    await expect
      .poll(() => el.evaluate((e) => e.ownerDocument.defaultView!.getComputedStyle(e).borderTopColor), { timeout: 2_000 })
      .toBe(look.want);
    heights.push(look.height);
  }
  return heights;
}

describe('加载更多 while the queue is read again', { timeout: 90_000 }, () => {
  it('a read that was under way keeps the rows 加载更多 added (it reads again with their number)', async () => {
    const t = await openTab(browser);
    try {
      const { page } = t;
      await loginAs(page, baseUrl, 'mia', PASSWORD, USERS.mia.name, { waitOnline: true });
      await until('100 rows', () => count(page, 'queue-item'), (n) => n === 100, 10_000);
      const total = Number((await text(page, 'waiting-total')).replace(/\D/g, ''));
      expect(total).toBeGreaterThan(100);
      // The first 加载更多 fails (the API is "down"); when the probe finds it back, every view reads
      // again: that queue read is held until the second 加载更多 has answered.
      let failMore = true;
      await page.route('**/api/conversations?status=waiting*', (route) =>
        failMore ? ((failMore = false), route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"REDIS_UNAVAILABLE","message":"down"}}' })) : route.continue(),
      );
      let held: (() => void) | undefined;
      const queueRead = new Promise<void>((seen) => {
        void page.route('**/api/queue?*', async (route) => {
          if (held === undefined) {
            const release = new Promise<void>((r) => (held = r));
            seen();
            await release;
          }
          await route.continue();
        });
      });
      await byId(page, 'queue-more').click();
      await queueRead;
      await byId(page, 'queue-more').click();
      await until(`${total} rows`, () => count(page, 'queue-item'), (n) => n === total, 10_000);
      // The held read (100 rows) answers now: the rows shown never drop, not even for a moment.
      const seen = page.evaluate(async () => {
        const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document;
        const counts: number[] = [];
        for (let i = 0; i < 60; i++) {
          counts.push(doc.querySelectorAll('[data-testid="queue-item"]').length);
          await new Promise((r) => setTimeout(r, 25));
        }
        return counts;
      });
      held!();
      expect(Math.min(...(await seen))).toBe(total);
      expect(await count(page, 'queue-item')).toBe(total);
    } finally {
      await t.context.close().catch(() => undefined);
    }
  });
});

describe('a phone (390 px)', { timeout: 90_000 }, () => {
  it('the queue with its views and one conversation fit the screen', async () => {
    const t = await openTab(browser);
    try {
      const { page } = t;
      // Logged in wide (the name is hidden on a phone), then the phone's width.
      await loginAs(page, baseUrl, 'alice', PASSWORD, USERS.alice.name, { waitOnline: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await waitText(page, 'waiting-total', /^11\d 排队$/);
      // No name cut to one letter beside the avatar: the initial stands for it, the name in its tooltip.
      expect(await byId(page, 'me-name').isVisible()).toBe(false);
      expect(await page.locator('.me').getAttribute('title')).toBe(USERS.alice.name);
      await byId(page, 'view-unassigned').click();
      await byId(page, 'status-waiting').click();
      await until('rows', () => count(page, 'list-item'), (n) => n === 50, 10_000);
      await fitsWidth(page);
      // Big enough to tap on a phone.
      const heights = await styledFilters(page, ['filter-tag', 'filter-tier', 'filter-channel']);
      for (const h of heights) expect(h).toBeGreaterThanOrEqual(36);
      await shot(page, 'lists-390');
      await byId(page, 'list-item').first().click();
      await expectAttr(byId(page, 'conv-view'), 'data-status', 'waiting');
      await fitsWidth(page);
      await shot(page, 'lists-conv-390');
    } finally {
      await t.context.close().catch(() => undefined);
    }
  });
});
