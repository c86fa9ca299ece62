/**
 * The managers' side of the console in a real browser (headless Debian chromium, playwright-core):
 * the 微信账号 page (#/bots) with the bot accounts' WeChat logins and the QR code to scan, and the
 * red banner every manager sees when an account logs out. No bot process: the test writes the
 * login states with `handoff.setBotStatus` exactly as a bot does, and the console (buildApp on a
 * real port, its live WebSocket reading the events from a real redis-server) shows them.
 *
 * Screenshots (1280x800): test-results/screenshots/bots.png, bots-alert.png (git-ignored).
 */
import type { FastifyInstance } from 'fastify';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff, type BotStatus } from '../../src/handoff/index.ts';
import { byId, launchChromium, listenApp, loginAs, openTab as openKitTab, PASSWORD, shot, type Tab } from '../support/browser.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';

// The page's globals used in page.evaluate / init scripts (the project compiles without the DOM lib).
declare const window: Record<string, unknown> & { AudioContext: new () => { createOscillator(): unknown } };
declare const localStorage: { setItem(k: string, v: string): void };

const SCANNING = 'kefu-a';
const OTHER = 'kefu-b';
/** What a bot's scan event carries: WeChat's login URL (the console draws the QR code). */
const QR_URL = 'https://login.weixin.qq.com/l/Ab3dEf_g-hIjK==';

let server: RedisServer;
useRedisServer((s) => (server = s));

let handoff: Handoff;
let app: FastifyInstance;
let baseUrl: string;
let browser: Browser;

const USERS = {
  mia: { name: '经理米娅', roles: ['manager' as const] },
  alice: { name: '爱丽丝', roles: ['agent' as const] },
};

/** Each status a second after the one before, as a bot would write them over time. */
let clock = Date.now() - 10 * 60_000;
async function setStatus(botId: string, status: BotStatus['status'], qrUrl?: string): Promise<void> {
  clock += 1_000;
  await handoff.setBotStatus(botId, { status, at: new Date(clock).toISOString(), ...(qrUrl ? { qrUrl } : {}) });
}

beforeAll(async () => {
  const redis = server.client();
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  const agents = new AgentStore(redis, prefix);
  for (const [username, u] of Object.entries(USERS)) await agents.add({ username, name: u.name, roles: u.roles, password: PASSWORD });
  // Two accounts before anyone looks: one waiting for its scan, one logged in.
  await setStatus(SCANNING, 'scan', QR_URL);
  await setStatus(OTHER, 'logged_in');

  ({ app, baseUrl } = await listenApp({
    handoff,
    agents,
    redis,
    ui: true,
    live: { connect: () => server.client(), reader: { blockMs: 200, discoverMs: 200 } },
  }));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await app?.close();
}, 30_000);

// ---------------------------------------------------------------------------------------------
// Browser helpers

// Sound on, and every tone of the beep counted (an oscillator per tone).
const openTab = (): Promise<Tab> =>
  openKitTab(browser, {
    initScript: () => {
      localStorage.setItem('kefu.sound', 'on');
      window.__tones = 0;
      const Base = window.AudioContext;
      window.AudioContext = class extends Base {
        override createOscillator() {
          window.__tones = Number(window.__tones) + 1;
          return super.createOscillator();
        }
      };
    },
  });

const login = (tab: Tab, username: keyof typeof USERS): Promise<void> =>
  loginAs(tab.page, baseUrl, username, PASSWORD, USERS[username].name, { waitOnline: true });

const card = (page: Page, botId: string): Locator => page.locator(`[data-testid="bot-card"][data-bot-id="${botId}"]`);
const alertFor = (page: Page, botId: string): Locator => page.locator(`[data-testid="bot-alert"][data-bot-id="${botId}"]`);
const hash = (page: Page): string => new URL(page.url()).hash;
const tones = (page: Page): Promise<number> => page.evaluate(() => Number(window.__tones));

// ---------------------------------------------------------------------------------------------

describe('the WeChat accounts page and the logout banner', () => {
  let mgr: Tab;
  let agent: Tab;

  beforeAll(async () => {
    mgr = await openTab();
    agent = await openTab();
  });
  afterAll(async () => {
    await mgr?.context.close().catch(() => undefined);
    await agent?.context.close().catch(() => undefined);
  });

  it('a manager opens 微信账号 from the rail: both accounts, the scanning one with a QR code that decodes', async () => {
    const { page } = mgr;
    await login(mgr, 'mia');
    const nav = byId(page, 'nav-bots');
    await nav.waitFor({ state: 'visible' });
    expect(await nav.textContent()).toContain('微信账号');
    await nav.click();
    await byId(page, 'bots-page').waitFor();
    expect(hash(page)).toBe('#/bots');
    expect(await nav.getAttribute('aria-current')).toBe('page');

    await expect.poll(() => byId(page, 'bot-card').count()).toBe(2);
    const ids = await byId(page, 'bot-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-bot-id')));
    expect(ids).toEqual([SCANNING, OTHER]);

    const scanning = card(page, SCANNING);
    expect(await scanning.getAttribute('data-status')).toBe('scan');
    expect(await scanning.textContent()).toContain('等待扫码登录');
    expect(await scanning.textContent()).toContain('用客服微信扫码登录');
    const qr = scanning.getByTestId('bot-qr');
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    // It decoded (a broken image has no natural size) and is shown large enough to scan.
    await expect
      .poll(() => qr.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).naturalWidth))
      .toBeGreaterThan(0);
    const box = await qr.boundingBox();
    expect(box?.width).toBeGreaterThanOrEqual(200);
    expect(box?.height).toBeGreaterThanOrEqual(200);

    const other = card(page, OTHER);
    expect(await other.getAttribute('data-status')).toBe('logged_in');
    expect(await other.getByTestId('bot-status').textContent()).toBe('在线');
    expect(await other.getByTestId('bot-qr').count()).toBe(0);
    expect(await byId(page, 'bot-alert').count()).toBe(0);
    await shot(page, 'bots');
  });

  it('a plain agent has no 微信账号 item, and the page is not theirs', async () => {
    const { page } = agent;
    await login(agent, 'alice');
    await byId(page, 'nav-queue').waitFor();
    expect(await byId(page, 'nav-bots').count()).toBe(0);
    await page.goto(`${baseUrl}/#/bots`);
    await page.getByText('没有访问权限').waitFor();
    expect(await byId(page, 'bots-page').count()).toBe(0);
    await page.goto(`${baseUrl}/#/queue`);
    await byId(page, 'conv-none').waitFor();
  });

  it('a logout shows the red banner live to the manager (not the agent), with a beep and a way to the page', async () => {
    const { page } = mgr;
    await page.goto(`${baseUrl}/#/queue`);
    await byId(page, 'conv-none').waitFor();
    await byId(agent.page, 'live-status').and(agent.page.locator('[data-state="online"]')).waitFor();
    const before = await tones(page);

    await setStatus(OTHER, 'logged_out');
    const banner = alertFor(page, OTHER);
    await banner.waitFor();
    expect(await banner.textContent()).toContain(`微信账号 ${OTHER} 已掉线，客户消息暂时无人接收。`);
    expect(await byId(page, 'bot-alert').count()).toBe(1);
    // Two tones: the console's beep.
    await expect.poll(() => tones(page)).toBeGreaterThanOrEqual(before + 2);
    // Still the queue: the banner comes to the manager wherever they are.
    expect(hash(page)).toBe('#/queue');

    await banner.getByTestId('bot-alert-go').click();
    await byId(page, 'bots-page').waitFor();
    expect(hash(page)).toBe('#/bots');
    await expect.poll(() => card(page, OTHER).getAttribute('data-status')).toBe('logged_out');
    expect(await card(page, OTHER).getByTestId('bot-status').textContent()).toBe('已掉线');
    await shot(page, 'bots-alert');

    // The agent's tab got the same event stream (its socket is online) and shows nothing.
    await page.waitForTimeout(500);
    expect(await byId(agent.page, 'bot-alert').count()).toBe(0);
    expect(await byId(agent.page, 'nav-bots').count()).toBe(0);
  });

  it('shows the banner on load too; closing it hides it until the account goes down again', async () => {
    const { page } = mgr;
    await page.goto(`${baseUrl}/#/queue`);
    await page.reload();
    const banner = alertFor(page, OTHER);
    await banner.waitFor();
    expect(await banner.textContent()).toContain('已掉线');

    await banner.getByTestId('bot-alert-close').click();
    await banner.waitFor({ state: 'detached' });
    // A quiet moment: the next refresh of the list must not bring it back.
    await page.waitForTimeout(400);
    expect(await byId(page, 'bot-alert').count()).toBe(0);

    await setStatus(OTHER, 'logged_out');
    await banner.waitFor();
  });

  it('the account logs in again: the banner goes by itself and the card says 在线; a scan that succeeds drops its QR code', async () => {
    const { page } = mgr;
    await byId(page, 'nav-bots').click();
    await byId(page, 'bots-page').waitFor();
    const banner = alertFor(page, OTHER);
    await banner.waitFor();

    // Waiting for a scan is not a login yet: the banner stays.
    await setStatus(OTHER, 'scan', `${QR_URL}x`);
    await expect.poll(() => card(page, OTHER).getAttribute('data-status')).toBe('scan');
    await card(page, OTHER).getByTestId('bot-qr').waitFor();
    expect(await banner.count()).toBe(1);

    await setStatus(OTHER, 'logged_in');
    await banner.waitFor({ state: 'detached' });
    await expect.poll(() => card(page, OTHER).getAttribute('data-status')).toBe('logged_in');
    expect(await card(page, OTHER).getByTestId('bot-status').textContent()).toBe('在线');
    expect(await card(page, OTHER).getByTestId('bot-qr').count()).toBe(0);

    await setStatus(SCANNING, 'logged_in');
    await expect.poll(() => card(page, SCANNING).getAttribute('data-status')).toBe('logged_in');
    expect(await card(page, SCANNING).getByTestId('bot-qr').count()).toBe(0);
    expect(await byId(page, 'bot-alert').count()).toBe(0);

    for (const tab of [mgr, agent]) {
      expect(tab.pageErrors).toEqual([]);
      expect(tab.consoleErrors).toEqual([]);
    }
  });
});
