/**
 * A chat's header on a phone (issue 17: the console works at >= 360 px): in real Chromium against
 * the console on a real port and a real redis-server, at 360 and 390 px wide, with a long customer
 * name, another agent looking at the chat and every action the owner has, nothing is wider than the
 * screen (the page's and the header's own scroll width), 解决 is on screen and takes a click, and the
 * secondary actions sit in the 更多 menu, where 退回队列 really returns the chat and 接入会话 takes it
 * back. Also at 1024 and 768 px (a tablet beside the queue). Screenshots: test-results/screenshots/phone-header-{390,390-menu,360}.png, tablet-conv-{1024,768}.png and
 * phone-header-1280.png (git-ignored).
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { byId, expectAttr, fastLive, loginAs, openTab, PASSWORD, serveConsole, type ServedConsole, shot, type Tab } from '../support/browser.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';
import { until } from '../support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let handoff: Handoff;
let baseUrl: string;
let browser: Browser;
let ui: ServedConsole;
const ids: Record<string, string> = {};

const USERS = {
  alice: { name: '李爱丽', roles: ['agent' as const] },
  bob: { name: '张博文', roles: ['agent' as const] },
};
/** A name as long as WeChat allows, so the title has to give way rather than push the buttons out. */
const LONG_NAME = '上海某某科技有限公司采购部王经理（请尽快回复）';

async function claimed(customerId: string, name: string): Promise<string> {
  const ref = { botId: 'botP', customerId, customerName: name };
  await handoff.recordMessage(ref, { from: 'customer', text: '导出的视频没有声音，怎么办？' });
  await handoff.requestHuman(ref, { reason: 'customer_asked', question: '导出的视频没有声音，怎么办？' });
  const id = `botP.${customerId}`;
  await handoff.claim(id, { id: ids.alice!, name: USERS.alice.name });
  return id;
}

let conv = '';

beforeAll(async () => {
  const redis = server.client();
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  const agents = new AgentStore(redis, prefix);
  for (const [username, u] of Object.entries(USERS)) ids[username] = (await agents.add({ username, password: PASSWORD, ...u })).id;
  await handoff.registerBot('botP');
  conv = await claimed('p1', LONG_NAME);
  ui = await serveConsole({ handoff, agents, redis, ...fastLive(server) });
  ({ baseUrl, browser } = ui);
}, 120_000);

afterAll(() => ui?.close(), 30_000);

interface Widths {
  doc: number;
  inner: number;
  head: number;
  headClient: number;
}

/** The page's and the header's scroll widths against the window's (an `overflow: hidden` parent would hide the first). */
const widths = (page: Page): Promise<Widths> =>
  page.evaluate(() => {
    const g = globalThis as unknown as {
      innerWidth: number;
      document: { documentElement: { scrollWidth: number }; querySelector: (s: string) => { scrollWidth: number; clientWidth: number } | null };
    };
    const head = g.document.querySelector('.conv-head');
    return { doc: g.document.documentElement.scrollWidth, inner: g.innerWidth, head: head?.scrollWidth ?? -1, headClient: head?.clientWidth ?? -1 };
  });

async function fits(page: Page, width: number): Promise<void> {
  const w = await widths(page);
  expect(w.inner).toBe(width);
  expect(w.doc, 'the page scrolls sideways').toBeLessThanOrEqual(w.inner);
  expect(w.head, 'the header is wider than itself').toBeLessThanOrEqual(w.headClient);
  expect(w.headClient).toBeLessThanOrEqual(w.inner);
}

/** Wholly on screen (not cut at the right edge, not scrolled away) and able to take a click. */
async function reachable(page: Page, l: Locator, width: number): Promise<void> {
  await l.waitFor({ state: 'visible', timeout: 5_000 });
  const box = await l.boundingBox();
  expect(box, 'no box').not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(width);
  expect(box!.y).toBeGreaterThanOrEqual(0);
  // A tap target a thumb can hit.
  expect(box!.height).toBeGreaterThanOrEqual(32);
  // Actionable: visible, enabled, stable and the element the click would land on.
  await l.click({ trial: true, timeout: 3_000 });
}

/**
 * Below the chat, the details (customer, tags, private note, transfer) are there in full: scrolled
 * to, the panel is as tall as its content (a squeezed panel was a 24 px strip) and its controls
 * take a click.
 */
async function detailsReachable(page: Page, width: number): Promise<void> {
  const details = page.locator('.details');
  const size = await details.evaluate((el) => ({ client: el.clientHeight, scroll: el.scrollHeight }));
  expect(size.scroll, 'the details have content').toBeGreaterThan(200);
  expect(size.client, 'the details panel is squeezed').toBeGreaterThanOrEqual(size.scroll - 1);
  for (const id of ['tag-input', 'note-input', 'transfer-select']) {
    await byId(page, id).scrollIntoViewIfNeeded();
    const box = await byId(page, id).boundingBox();
    expect(box, id).not.toBeNull();
    expect(box!.x + box!.width, id).toBeLessThanOrEqual(width);
    await byId(page, id).click({ trial: true, timeout: 3_000 });
  }
  // Back to the top, as the agent would scroll (the header scrolls with the chat on a phone).
  await page.locator('.conv').evaluate((el) => el.scrollTo(0, 0));
  await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
}

describe('a chat header on a phone', { timeout: 120_000 }, () => {
  let alice: Tab;
  let bob: Tab;
  beforeAll(async () => {
    alice = await openTab(browser);
    bob = await openTab(browser);
    // Logged in wide (the phone's rail hides the name the login helper waits for), then narrowed.
    await loginAs(alice.page, baseUrl, 'alice', PASSWORD, USERS.alice.name, { waitOnline: true });
    await loginAs(bob.page, baseUrl, 'bob', PASSWORD, USERS.bob.name, { waitOnline: true });
    // Bob looks at the chat too: the header carries the "also viewing" chip.
    await bob.page.goto(`${baseUrl}/#/c/${encodeURIComponent(conv)}`);
    await byId(bob.page, 'conv-view').waitFor();
    await alice.page.goto(`${baseUrl}/#/c/${encodeURIComponent(conv)}`);
    await expectAttr(byId(alice.page, 'conv-view'), 'data-status', 'active');
    await byId(alice.page, 'presence-viewers').waitFor();
  });
  afterAll(async () => {
    await alice?.context.close().catch(() => undefined);
    await bob?.context.close().catch(() => undefined);
  });

  it('at 1280 px every action shows in the header, no menu', async () => {
    const { page } = alice;
    for (const id of ['conv-link-problem', 'release-btn', 'close-silent-btn', 'resolve-btn']) await reachable(page, byId(page, id), 1280);
    expect(await byId(page, 'conv-more-btn').isVisible()).toBe(false);
    await shot(page, 'phone-header-1280');
  });

  for (const width of [1024, 768]) {
    it(`at ${width} px (a tablet, beside the queue): the chat keeps its width, the details follow below it, the rest in 更多`, async () => {
      const { page } = alice;
      await page.setViewportSize({ width, height: 800 });
      await expectAttr(byId(page, 'conv-view'), 'data-status', 'active');
      await shot(page, `tablet-conv-${width}`);
      await fits(page, width);
      await byId(page, 'queue-list').waitFor({ state: 'visible' });
      await reachable(page, byId(page, 'resolve-btn'), width);
      await reachable(page, byId(page, 'conv-more-btn'), width);
      expect(await byId(page, 'conv-back').isVisible()).toBe(false);
      // The transcript is not squeezed by the details column: they come after it.
      const [transcript, details] = await Promise.all([page.locator('.transcript').boundingBox(), page.locator('.details').boundingBox()]);
      expect(transcript!.width).toBeGreaterThanOrEqual(380);
      expect(details!.y).toBeGreaterThanOrEqual(transcript!.y + transcript!.height - 1);
      await detailsReachable(page, width);
      await byId(page, 'conv-more-btn').click();
      for (const id of ['conv-link-problem', 'release-btn', 'close-silent-btn']) await reachable(page, byId(page, id), width);
      await page.keyboard.press('Escape');
      await until('the menu closed', () => byId(page, 'release-btn').isVisible(), (v) => !v, 5_000);
    });
  }

  for (const width of [390, 360]) {
    it(`at ${width} px: nothing wider than the screen, 解决 reachable, the rest in 更多`, async () => {
      const { page } = alice;
      await page.setViewportSize({ width, height: 780 });
      await expectAttr(byId(page, 'conv-view'), 'data-status', 'active');
      await shot(page, `phone-header-${width}`);
      await fits(page, width);
      await reachable(page, byId(page, 'resolve-btn'), width);
      await reachable(page, byId(page, 'conv-more-btn'), width);
      expect(await byId(page, 'conv-more-btn').getAttribute('aria-expanded')).toBe('false');
      // The secondary actions wait in the menu.
      for (const id of ['conv-link-problem', 'release-btn', 'close-silent-btn']) expect(await byId(page, id).isVisible(), id).toBe(false);

      await byId(page, 'conv-more-btn').click();
      expect(await byId(page, 'conv-more-btn').getAttribute('aria-expanded')).toBe('true');
      for (const id of ['conv-link-problem', 'release-btn', 'close-silent-btn']) await reachable(page, byId(page, id), width);
      await fits(page, width);
      if (width === 390) await shot(page, 'phone-header-390-menu');
      // Escape closes it again.
      await page.keyboard.press('Escape');
      await until('the menu closed', () => byId(page, 'release-btn').isVisible(), (v) => !v, 5_000);
      await detailsReachable(page, width);
    });
  }

  it('at 360 px 退回队列 from the menu returns the chat, and 接入会话 takes it back', async () => {
    const { page } = alice;
    await page.setViewportSize({ width: 360, height: 780 });
    await byId(page, 'conv-more-btn').click();
    await byId(page, 'release-btn').click();
    await expectAttr(byId(page, 'conv-view'), 'data-status', 'waiting');
    expect(await handoff.conversation(conv)).toMatchObject({ status: 'waiting', assignee: null });
    // The menu closed with the action.
    expect(await byId(page, 'conv-more-btn').getAttribute('aria-expanded')).toBe('false');
    await fits(page, 360);
    await reachable(page, byId(page, 'claim-btn'), 360);
    await byId(page, 'claim-btn').click();
    await expectAttr(byId(page, 'conv-view'), 'data-status', 'active');
    expect(await handoff.conversation(conv)).toMatchObject({ status: 'active', assignee: { id: ids.alice } });
    await fits(page, 360);
    expect(alice.pageErrors).toEqual([]);
  });

  it('on a phone the back arrow returns to the list, where the chat is one tap away; at 1280 px there is none', async () => {
    const { page } = alice;
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await byId(page, 'conv-back').isVisible()).toBe(false);
    await page.setViewportSize({ width: 360, height: 780 });
    await reachable(page, byId(page, 'conv-back'), 360);
    expect(await byId(page, 'queue-list').isVisible()).toBe(false);
    await byId(page, 'conv-back').click();
    await byId(page, 'queue-list').waitFor({ state: 'visible' });
    expect(await byId(page, 'conv-view').isVisible()).toBe(false);
    await fits(page, 360);
    await page.locator(`[data-conv-id="${conv}"]`).first().click();
    await expectAttr(byId(page, 'conv-view'), 'data-status', 'active');
    expect(alice.pageErrors).toEqual([]);
  });
});
