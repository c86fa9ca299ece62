/**
 * `npx tsx scripts/screenshots.ts`: the README's screenshots, from the real demo. Starts the demo
 * in-process (the bot on wechaty-puppet-mock with the console, the seeded queue) on a throw-away
 * key prefix, logs in as the admin in headless chromium at 1280x800, and writes
 *
 *   docs/screenshots/console.png     the queue and 赵磊's conversation (claimed by the admin: the
 *                                    bot's part, the agent's reply, a private note and tags)
 *   docs/screenshots/simulator.png   the WeChat simulator: a customer asked, the bot answered
 *
 * The demo's business hours are set to a time zone where it is mid-morning now, every day, so
 * the pictures show a working day. Redis: REDIS_URL when set, else 127.0.0.1:6379 if it answers, else a redis-server child in a
 * temp dir (see src/demo/redis.ts). On a Redis that was already there, the demo's keys are
 * deleted afterwards. CHROMIUM overrides the browser (default /usr/bin/chromium).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import { chromium, type Locator, type Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../src/demo/main.ts';
import { createRedis } from '../src/handoff/index.ts';

const OUT_DIR = path.resolve(import.meta.dirname, '../docs/screenshots');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const VIEWPORT = { width: 1280, height: 800 };
const MAX_BYTES = 300 * 1024;

const ADMIN = 'admin';
const CUSTOMER = '赵磊';
const NOTE = '客户昨天购买年费会员（订单尾号 8812），在 7 天无理由退款期内，已提交退款申请，预计 1–3 个工作日原路退回。';
const TAGS = ['退款', '年费会员'];
const SIM_CUSTOMER = '陈晨';
const SIM_QUESTION = '导出的视频有水印，怎么去掉？';

interface ApiConversation {
  id: string;
  customer?: { name?: string };
}

/**
 * A time zone where it is now mid-morning (10:xx), used for the business hours and the browser
 * alike: whenever the script runs, the pictures show a working day (times, SLA, the bot's queue
 * notice) rather than the middle of the night. Etc/GMT-N is UTC+N.
 */
function morningZone(now = new Date()): string {
  let offset = (((10 - now.getUTCHours()) % 24) + 24) % 24;
  if (offset > 14) offset -= 24;
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

const byId = (page: Page | Locator, id: string): Locator => page.locator(`[data-testid="${id}"]`);

async function api<T>(base: string, token: string | null, method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The side panel filled in as an agent would have: a private note and a couple of tags. */
async function prepare(demo: RunningDemo): Promise<string> {
  const { token } = await api<{ token: string }>(demo.url, null, 'POST', '/api/auth/login', { username: ADMIN, password: demo.password });
  const { items } = await api<{ items: ApiConversation[] }>(demo.url, token, 'GET', '/api/conversations?status=active&limit=50');
  const conv = items.find((c) => c.customer?.name === CUSTOMER);
  if (!conv) throw new Error(`the demo has no active conversation of ${CUSTOMER} (was the queue seeded?)`);
  await api(demo.url, token, 'POST', `/api/conversations/${encodeURIComponent(conv.id)}/notes`, { text: NOTE });
  await api(demo.url, token, 'POST', `/api/conversations/${encodeURIComponent(conv.id)}/tags`, { tags: TAGS });
  return conv.id;
}

/** Nothing hovered, nothing focused, no transitions half-way: a still picture. */
async function settle(page: Page): Promise<void> {
  await page.mouse.move(VIEWPORT.width - 4, VIEWPORT.height - 4);
  await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { blur?: () => void } | null } }).document.activeElement?.blur?.());
  await page.waitForTimeout(400);
}

async function shoot(page: Page, name: string): Promise<string> {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, name);
  await page.screenshot({ path: file });
  const size = statSync(file).size;
  if (size > MAX_BYTES) throw new Error(`${file} is ${Math.round(size / 1024)} KB (over ${MAX_BYTES / 1024} KB)`);
  return file;
}

/** Deletes the demo's keys from a Redis that outlives it (one started for us goes with its dir). */
async function dropKeys(demo: RunningDemo, prefix: string): Promise<void> {
  const client = createRedis(demo.kefu.config.redis);
  try {
    const nodes: (Redis | Cluster)[] = 'nodes' in client && typeof client.nodes === 'function' ? client.nodes('master') : [client];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await (node as Redis).scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = next;
        for (const key of keys) await (node as Redis).unlink(key);
      } while (cursor !== '0');
    }
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

async function main(): Promise<void> {
  const prefix = `kefu-shots-${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kefu-shots-redis-'));
  const zone = morningZone();
  const env: NodeJS.ProcessEnv = { REDIS_PREFIX: prefix, PORT: '0', LOG_LEVEL: 'silent', BUSINESS_TIMEZONE: zone, BUSINESS_DAYS: '1-7' };
  if (process.env.REDIS_URL?.trim()) env.REDIS_URL = process.env.REDIS_URL.trim();
  const demo = await startDemo({ env, dataDir });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  const written: string[] = [];
  try {
    const convId = await prepare(demo);
    const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, locale: 'zh-CN', timezoneId: zone });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(String(err)));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });

    await page.goto(demo.url);
    await byId(page, 'login-username').fill(ADMIN);
    await byId(page, 'login-password').fill(demo.password!);
    await byId(page, 'login-submit').click();
    await byId(page, 'me-name').waitFor();
    await page.locator('[data-testid="live-status"][data-state="online"]').waitFor();

    // The queue with the seeded chats, and 赵磊's conversation open.
    await byId(page, 'queue-item').first().waitFor();
    await page.goto(`${demo.url}/#/c/${encodeURIComponent(convId)}`);
    const view = page.locator(`[data-testid="conv-view"][data-conv-id="${convId}"]`);
    await view.waitFor();
    await byId(view, 'transcript').getByText('年费会员购买 7 天内可以全额退款').first().waitFor();
    await byId(view, 'transcript').getByText(NOTE.slice(0, 12)).first().waitFor();
    for (const tag of TAGS) await byId(page, 'tag').filter({ hasText: tag }).waitFor();
    await settle(page);
    written.push(await shoot(page, 'console.png'));

    // The simulator: a new customer asks, the bot answers from the FAQ.
    await page.goto(`${demo.url}/#/simulator`);
    await byId(page, 'sim-page').waitFor();
    await byId(page, 'sim-new-name').fill(SIM_CUSTOMER);
    await byId(page, 'sim-new-add').click();
    await page.locator(`[data-testid="sim-chat"][data-customer="${SIM_CUSTOMER}"]`).waitFor();
    await byId(page, 'sim-input').fill(SIM_QUESTION);
    await byId(page, 'sim-input').press('Enter');
    await page.locator('[data-testid="sim-line"][data-from="bot"]').first().waitFor();
    await page.waitForTimeout(800);
    await settle(page);
    written.push(await shoot(page, 'simulator.png'));

    await context.close();
    if (problems.length) throw new Error(`the console reported errors:\n${problems.join('\n')}`);
  } finally {
    await browser.close().catch(() => undefined);
    const shared = demo.redis.source !== 'started';
    await demo.stop();
    if (shared) await dropKeys(demo, prefix).catch((err: unknown) => process.stderr.write(`could not delete the ${prefix}:* keys: ${String(err)}\n`));
    rmSync(dataDir, { recursive: true, force: true });
  }
  for (const file of written) process.stdout.write(`${path.relative(process.cwd(), file)}  ${Math.round(statSync(file).size / 1024)} KB\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
