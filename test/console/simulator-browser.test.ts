/**
 * The demo's WeChat simulator page (#/simulator) in a real browser: the whole demo in-process
 * (startDemo: the bot on wechaty-puppet-mock with the console, a real redis-server, the seeded
 * queue) and headless Debian chromium (playwright-core). One browser context types as customers,
 * another plays the agent; the simulator shows the chat as the customer's WeChat would.
 *
 * Screenshot (1280x800): test-results/screenshots/simulator.png (git-ignored).
 */
import type { FastifyInstance } from 'fastify';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { startDemo, type RunningDemo } from '../../src/demo/main.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { byId, launchChromium, listenApp, loginAs as login, openTab as openKitTab, shot as screenshot, type Tab } from '../support/browser.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';

// The page's globals used in page.evaluate (the project compiles without the DOM lib).
declare const window: Record<string, unknown>;
declare function getComputedStyle(el: unknown): { whiteSpace: string; textOverflow: string };

const SEEDED = ['孙悦', '张伟', '王芳', '李娜', '赵磊'];
const NEW_CUSTOMER = '测试用户';
const AGENT_REPLY = '您好，我是客服';
const HTML_TEXT = '<b>粗体</b>';

let server: RedisServer;
useRedisServer((s) => (server = s));

let demo: RunningDemo;
let browser: Browser;

beforeAll(async () => {
  demo = await startDemo({ env: { REDIS_URL: server.url, REDIS_PREFIX: randomPrefix(), PORT: '0', LOG_LEVEL: 'silent' } });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await demo?.stop();
}, 30_000);

// ---------------------------------------------------------------------------------------------
// Browser helpers

const openTab = (): Promise<Tab> => openKitTab(browser);

const customerRow = (page: Page, name: string): Locator => page.locator(`[data-testid="sim-customer"][data-name="${name}"]`);
const chat = (page: Page): Locator => byId(page, 'sim-chat');
const lines = (page: Page, from?: 'customer' | 'bot'): Locator =>
  chat(page).locator(from ? `[data-testid="sim-line"][data-from="${from}"]` : '[data-testid="sim-line"]');
/** A line whose sim-text is exactly `text` (confirmed by the server: not a pending copy). */
const lineWithText = (page: Page, from: 'customer' | 'bot', text: string): Locator =>
  chat(page)
    .locator(`[data-testid="sim-line"][data-from="${from}"]:not([data-state])`)
    .filter({ has: page.getByTestId('sim-text').getByText(text, { exact: true }) });
const lineContaining = (page: Page, from: 'customer' | 'bot', text: string): Locator =>
  lines(page, from).filter({ has: page.getByTestId('sim-text').filter({ hasText: text }) });

// ---------------------------------------------------------------------------------------------

describe('the WeChat simulator page (demo)', () => {
  let sim: Tab;
  let agent: Tab | undefined;

  beforeAll(async () => {
    sim = await openTab();
  });
  afterAll(async () => {
    await agent?.context.close().catch(() => undefined);
    await sim?.context.close().catch(() => undefined);
  });

  it('shows its nav item with the demo, lists the seeded customers and shows a chat as WeChat does', async () => {
    const { page } = sim;
    await login(page, demo.url, 'admin', demo.password!, 'Administrator');
    const nav = byId(page, 'nav-simulator');
    await nav.waitFor({ state: 'visible' });
    expect(await nav.textContent()).toContain('模拟器');
    await nav.click();
    await byId(page, 'sim-page').waitFor();
    expect(new URL(page.url()).hash).toBe('#/simulator');
    expect(await nav.getAttribute('aria-current')).toBe('page');

    for (const name of SEEDED) await customerRow(page, name).waitFor();
    const listed = await byId(page, 'sim-customers').locator('[data-testid="sim-customer"]').evaluateAll((els) =>
      els.map((e) => (e as unknown as { dataset: { name: string } }).dataset.name),
    );
    expect(listed.slice(0, SEEDED.length)).toEqual(SEEDED);

    await customerRow(page, '赵磊').click();
    await expect.poll(() => chat(page).getAttribute('data-customer')).toBe('赵磊');
    const reply = lineContaining(page, 'bot', '年费会员购买 7 天内可以全额退款');
    await reply.waitFor();
    // The agent's reply is the newest line, from the bot's account, as the customer's phone shows it.
    expect(await lines(page).last().getAttribute('data-from')).toBe('bot');
    expect(await lines(page).last().getByTestId('sim-text').textContent()).toContain('年费会员购买 7 天内可以全额退款');
    expect(await lineWithText(page, 'customer', '会员可以退款吗').count()).toBe(1);
    expect(await chat(page).textContent()).toContain('闪录客服');

    // The bot's FAQ answer keeps its line breaks: the "did you mean" menu reads line by line.
    const answer = lineContaining(page, 'bot', '您可能还想问').first().getByTestId('sim-text');
    expect(await answer.evaluate((el) => getComputedStyle(el).whiteSpace)).toBe('pre-wrap');
    expect(await answer.innerText()).toMatch(/您可能还想问（回复数字查看）：\n3\. 可以开发票吗？/);
    // A long last message in the list is cut with "…", in its own box (not mid-character).
    const previews = await page.locator('.sim-cust-preview').evaluateAll((els) =>
      els.map((e) => ({ cut: e.scrollWidth > e.clientWidth, overflow: getComputedStyle(e).textOverflow })),
    );
    expect(previews.some((p) => p.cut)).toBe(true);
    for (const p of previews.filter((x) => x.cut)) expect(p.overflow).toBe('ellipsis');
    expect(sim.pageErrors).toEqual([]);
  });

  it('a new customer asks, gets the bot\'s answer, then asks for a person and hears the queue notice', async () => {
    const { page } = sim;
    await byId(page, 'sim-new-name').fill(NEW_CUSTOMER);
    await byId(page, 'sim-new-add').click();
    await customerRow(page, NEW_CUSTOMER).waitFor();
    await expect.poll(() => chat(page).getAttribute('data-customer')).toBe(NEW_CUSTOMER);
    expect(await lines(page).count()).toBe(0);

    const input = byId(page, 'sim-input');
    await input.fill('录屏没有声音怎么办');
    await input.press('Enter');
    expect(await input.inputValue()).toBe('');
    const asked = lineWithText(page, 'customer', '录屏没有声音怎么办');
    await asked.waitFor();
    const answer = lines(page, 'bot').first();
    await answer.waitFor();
    expect((await answer.getByTestId('sim-text').textContent())?.trim()).not.toBe('');
    // The question first, then the answer.
    expect(await lines(page).evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { from: string } }).dataset.from).slice(0, 2))).toEqual(['customer', 'bot']);
    // Typed as the customer: their bubble is on the right, the bot's on the left.
    const box = await chat(page).boundingBox();
    const mine = await asked.getByTestId('sim-text').boundingBox();
    const bots = await answer.getByTestId('sim-text').boundingBox();
    expect(box && mine && bots).toBeTruthy();
    const middle = box!.x + box!.width / 2;
    expect(mine!.x + mine!.width).toBeGreaterThan(middle);
    expect(mine!.x).toBeGreaterThan(bots!.x);
    expect(bots!.x).toBeLessThan(middle);

    await byId(page, 'sim-chip').filter({ hasText: /^转人工$/ }).click();
    await lineWithText(page, 'customer', '转人工').waitFor();
    const notice = lineContaining(page, 'bot', '排第');
    await notice.waitFor();
    expect(await notice.getByTestId('sim-text').textContent()).toMatch(/排第 \d+ 位/);
    expect(await lines(page).last().getAttribute('data-from')).toBe('bot');
  });

  it('an agent claims the chat in another browser and replies: the simulator shows it as the bot, without a reload', async () => {
    const { page } = sim;
    await page.evaluate(() => {
      window.__noReload = true;
    });
    const before = await lines(page).count();

    agent = await openTab();
    const ap = agent.page;
    await login(ap, demo.url, 'admin', demo.password!, 'Administrator');
    const item = byId(ap, 'queue-item').filter({ has: ap.getByTestId('queue-customer').getByText(NEW_CUSTOMER, { exact: true }) });
    await item.click();
    const claim = byId(ap, 'claim-btn');
    await claim.click();
    await expect.poll(() => byId(ap, 'conv-view').getAttribute('data-status')).toBe('active');
    await byId(ap, 'reply-input').fill(AGENT_REPLY);
    await byId(ap, 'reply-send').click();

    const reply = lineWithText(page, 'bot', AGENT_REPLY);
    await reply.waitFor();
    expect(await lines(page).count()).toBeGreaterThan(before);
    expect(await lines(page).last().getAttribute('data-from')).toBe('bot');
    expect(await page.evaluate(() => window.__noReload)).toBe(true);
    // The newest line is scrolled into view.
    await expect.poll(() => reply.isVisible()).toBe(true);
    const scroller = await chat(page).locator('.sim-scroll').evaluate((el) => {
      const e = el as unknown as { scrollHeight: number; scrollTop: number; clientHeight: number };
      return e.scrollHeight - e.scrollTop - e.clientHeight;
    });
    expect(scroller).toBeLessThan(5);
    await screenshot(page, 'simulator');
  });

  it('shows what the customer typed as text, never as HTML', async () => {
    const { page } = sim;
    const input = byId(page, 'sim-input');
    await input.fill(HTML_TEXT);
    await byId(page, 'sim-send').click();
    const line = lineWithText(page, 'customer', HTML_TEXT);
    await line.waitFor();
    expect(await line.getByTestId('sim-text').textContent()).toBe(HTML_TEXT);
    expect(await chat(page).locator('b').count()).toBe(0);
    // The agent (the chat is theirs now) got it as text too.
    const ap = agent!.page;
    await byId(ap, 'transcript').getByTestId('msg-text').getByText(HTML_TEXT, { exact: true }).waitFor();
    expect(await byId(ap, 'transcript').locator('b').count()).toBe(0);

    expect(sim.pageErrors).toEqual([]);
    expect(sim.consoleErrors).toEqual([]);
    expect(agent!.pageErrors).toEqual([]);
  });

  it('on a phone (390 px) the list and the chat take turns: the chat fills the screen, its send button within reach, and 客户 goes back', async () => {
    const { page } = sim;
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      // The chosen customer's chat fills the screen; the list is a tap away.
      await expect.poll(() => customerRow(page, NEW_CUSTOMER).isVisible()).toBe(false);
      const input = byId(page, 'sim-input');
      await input.fill('怎么去水印');
      const send = byId(page, 'sim-send');
      const box = await send.boundingBox();
      expect(box).toBeTruthy();
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
      expect(box!.y + box!.height).toBeLessThanOrEqual(844);
      await send.click();
      await lineWithText(page, 'customer', '怎么去水印').waitFor();
      expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await screenshot(page, 'simulator-390');
      await byId(page, 'sim-back').click();
      await customerRow(page, NEW_CUSTOMER).waitFor();
      expect(await chat(page).isVisible()).toBe(false);
      await customerRow(page, NEW_CUSTOMER).click();
      await chat(page).waitFor();
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});

describe('a console without the demo', () => {
  let app: FastifyInstance;
  let baseUrl: string;
  const password = 'correct horse battery';

  beforeAll(async () => {
    const redis = server.client();
    const prefix = randomPrefix();
    const agents = new AgentStore(redis, prefix);
    await agents.add({ username: 'alice', name: '爱丽丝', roles: ['agent'], password });
    ({ app, baseUrl } = await listenApp({ handoff: new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY }), agents, redis, ui: true }));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers 404 on the demo routes and hides the simulator nav item', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/demo/customers' });
    expect(res.statusCode).toBe(404);

    const tab = await openTab();
    try {
      const { page } = tab;
      const me = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/me');
      await login(page, baseUrl, 'alice', password, '爱丽丝');
      expect(await (await me).json()).toMatchObject({ features: { demo: false } });
      await byId(page, 'nav-queue').waitFor();
      // A quiet moment for the shell to render what /api/auth/me said.
      await page.waitForTimeout(300);
      expect(await byId(page, 'nav-simulator').count()).toBe(0);

      // Typed in by hand, the page says the simulator needs the demo.
      await page.goto(`${baseUrl}/#/simulator`);
      await byId(page, 'sim-unavailable').waitFor();
      expect(await byId(page, 'sim-page').count()).toBe(0);
      expect(await byId(page, 'nav-simulator').count()).toBe(0);
      expect(tab.pageErrors).toEqual([]);
    } finally {
      await tab.context.close();
    }
  });
});
