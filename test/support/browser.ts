/**
 * The small pieces every browser test uses, whether it runs the whole system (./browser-env.ts)
 * or builds its own console: headless Debian chromium with this project's flags, a tab at 1280x800
 * in zh-CN / Asia/Shanghai that records its errors, the login form, the console app on a free port,
 * screenshots, and a wait on an element's attribute.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { buildApp } from '../../src/console/app.ts';
import { until } from './waits.ts';

export const CHROMIUM = '/usr/bin/chromium';
/**
 * The flags Debian's chromium needs in a container (no sandbox, no GPU); without the networking ones it
 * floods a closed network with refused connections. Playwright adds --headless.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const VIEWPORT = { width: 1280, height: 800 };
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../test-results/screenshots');
export const PASSWORD = 'correct horse battery';

/** Starts headless chromium and makes sure the screenshot folder exists. */
export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return browser;
}

/** The context options every tab gets: 1280x800, zh-CN, Asia/Shanghai. */
export function contextOptions(extra: BrowserContextOptions = {}): BrowserContextOptions {
  return { viewport: VIEWPORT, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ...extra };
}

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /** console.error messages (their text only). */
  consoleErrors: string[];
}

export interface TabOptions {
  /** More options for the browser context (e.g. acceptDownloads). */
  context?: BrowserContextOptions;
  /** A script the context runs in every page before the page's own (context.addInitScript). */
  initScript?: () => void;
}

/**
 * A fresh browser context (own cookies and storage) with one page, default timeout 10 s; records
 * uncaught exceptions and console errors and dismisses every dialog.
 */
export async function openTab(browser: Browser, opts: TabOptions = {}): Promise<Tab> {
  const context = await browser.newContext(contextOptions(opts.context));
  context.setDefaultTimeout(15_000);
  if (opts.initScript) await context.addInitScript(opts.initScript);
  const page = await context.newPage();
  const tab: Tab = { context, page, pageErrors: [], consoleErrors: [] };
  page.on('pageerror', (err) => tab.pageErrors.push(String(err)));
  page.on('console', (m) => {
    if (m.type() === 'error') tab.consoleErrors.push(m.text());
  });
  page.on('dialog', (d) => void d.dismiss().catch(() => undefined));
  return tab;
}

export const byId = (scope: Page | Locator, id: string): Locator => scope.locator(`[data-testid="${id}"]`);

export interface LoginOptions {
  /** Also wait until the live connection is up (live-status data-state="online"). */
  waitOnline?: boolean;
}

/** Opens the console at `baseUrl` and logs in; resolves once the shell shows `expectedName`. */
export async function loginAs(page: Page, baseUrl: string, username: string, password: string, expectedName: string, opts: LoginOptions = {}): Promise<void> {
  await page.goto(baseUrl);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  // Attached, not visible: on a phone the name is the avatar's tooltip (the shell hides it).
  await page.getByTestId('me-name').filter({ hasText: expectedName }).waitFor({ state: 'attached' });
  if (opts.waitOnline) await byId(page, 'live-status').and(page.locator('[data-state="online"]')).waitFor();
}

/** The console app (buildApp) listening on a free port of 127.0.0.1. */
export async function listenApp(options: Parameters<typeof buildApp>[0]): Promise<{ app: FastifyInstance; baseUrl: string }> {
  const app = await buildApp(options);
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    if (!addr || typeof addr !== 'object') throw new Error('the console is not listening');
    return { app, baseUrl: `http://127.0.0.1:${addr.port}` };
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
}

/** A console on a free port and one tab of headless Chromium looking at it (the knowledge pages' tests). */
export interface ConsoleInBrowser extends Tab {
  app: FastifyInstance;
  baseUrl: string;
  browser: Browser;
  /** Closes the tab, the browser and the app; errors on the way are ignored (teardown). */
  close(): Promise<void>;
}

export async function consoleInBrowser(options: Parameters<typeof buildApp>[0]): Promise<ConsoleInBrowser> {
  const { app, baseUrl } = await listenApp(options);
  const browser = await launchChromium().catch(async (err: unknown) => {
    await app.close();
    throw err;
  });
  const tab = await openTab(browser);
  return {
    ...tab,
    app,
    baseUrl,
    browser,
    close: async () => {
      await tab.context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await app.close();
    },
  };
}

/** A console with the web UI on a free port and a headless Chromium for the test's own tabs. */
export interface ServedConsole {
  app: FastifyInstance;
  baseUrl: string;
  browser: Browser;
  /** Closes the browser and the app; errors on the way are ignored (teardown). */
  close(): Promise<void>;
}

/**
 * `serveConsole({ handoff, agents, redis, ...fastLive(server) })`: the setup most console browser
 * tests share. `fastLive` makes the live feed notice new streams within 200 ms.
 */
export async function serveConsole(options: Parameters<typeof buildApp>[0]): Promise<ServedConsole> {
  const { app, baseUrl } = await listenApp({ ui: true, ...options });
  const browser = await launchChromium().catch(async (err: unknown) => {
    await app.close();
    throw err;
  });
  return {
    app,
    baseUrl,
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      await app.close().catch(() => undefined);
    },
  };
}

export const fastLive = (server: { client(): Redis }) => ({ live: { connect: () => server.client(), reader: { blockMs: 200, discoverMs: 200 } } });

/** Saves a full-viewport screenshot to test-results/screenshots/NAME.png; returns the path. */
export async function shot(page: Page, name: string): Promise<string> {
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Waits until the element's attribute has the value (and says what it was otherwise). */
export async function expectAttr(l: Locator, name: string, value: string, timeoutMs = 8_000): Promise<void> {
  await until(`${name}="${value}"`, () => l.getAttribute(name, { timeout: 1_000 }), (v) => v === value, timeoutMs);
}
