/**
 * The managers' dashboard (数据, #/manager) in a real browser (headless Debian chromium,
 * playwright-core): the self-service funnel and its uPlot chart, handoffs by reason, satisfaction
 * drilled down category -> channel -> conversations, the top FAQ entries, the feedback report
 * downloaded as a file, and a low rating shown live. No bot process: the test records the traffic
 * through the Handoff API exactly as the bot does (recordTurn with the turn's outcome,
 * requestHuman, then an agent's claim/resolve and the customer's rating), on a real redis-server,
 * at the real time of day; the console (buildApp on a real port, its live WebSocket reading the
 * events) shows it.
 *
 * Screenshots (1280x800): test-results/screenshots/dashboard.png, dashboard-full.png (git-ignored).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff, type TurnOutcome } from '../../src/handoff/index.ts';
import { createKnowledgeService, type KnowledgeService } from '../../src/knowledge/index.ts';
import { byId, launchChromium, listenApp, loginAs, openTab as openKitTab, PASSWORD, shot, VIEWPORT, type Tab } from '../support/browser.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';

const KB_DIR = path.resolve(import.meta.dirname, '../../knowledge-base');
const A = 'kefu-a';
const B = 'kefu-b';

let server: RedisServer;
useRedisServer((s) => (server = s));

let handoff: Handoff;
let knowledge: KnowledgeService;
let app: FastifyInstance;
let baseUrl: string;
let browser: Browser;
let alice: { id: string; name: string };

const USERS = {
  mia: { name: '经理米娅', roles: ['manager' as const] },
  alice: { name: '爱丽丝', roles: ['agent' as const] },
  ed: { name: '编辑兼经理', roles: ['manager' as const, 'editor' as const] },
};

// ---------------------------------------------------------------------------------------------
// Traffic, as the bot records it

async function turn(botId: string, customerId: string, text: string, outcome: TurnOutcome, customerName?: string): Promise<void> {
  const replies = outcome.type === 'answer' && outcome.faqId
    ? [{ from: 'bot' as const, text: '（知识库答案）', faqId: outcome.faqId, confidence: 0.9 }]
    : [{ from: 'bot' as const, text: '抱歉，我再确认一下' }];
  await handoff.recordTurn({ botId, customerId, ...(customerName ? { customerName } : {}) }, { from: 'customer', text }, { replies, decidedFor: 'bot', outcome });
}

/** Handed to a person for `reason`, served by Alice, resolved, rated `score`. */
async function servedAndRated(botId: string, customerId: string, reason: 'customer_asked' | 'low_confidence' | 'not_helpful', score: number): Promise<string> {
  const ref = { botId, customerId };
  await handoff.requestHuman(ref, { reason });
  const id = `${botId}.${customerId}`;
  await handoff.claim(id, alice);
  await handoff.resolve(id, { by: alice.id });
  await handoff.recordRating(ref, score);
  return id;
}

/**
 * Today, counted by hand:
 * - conversations 9; bot answered 7 (refund x4, no-sound x2, export-formats x1); helpful 4, not helpful 1;
 * - handoffs 5: customer_asked 3, low_confidence 1, not_helpful 1;
 * - ratings 5, average 2.8: billing (refund) kefu-a 2, kefu-b 1 -> 1.5 (the worst);
 *   recording (no-sound) 2; uncategorized 4 and 5 -> 4.5.
 */
const SEEDED = {
  conversations: 9,
  botAnswered: 7,
  helpful: 4,
  notHelpful: 1,
  suggested: 1,
  unanswered: 1,
  handoffs: 5,
  reasons: { customer_asked: 3, low_confidence: 1, not_helpful: 1 },
  csat: { count: 5, average: 2.8, low: 3 },
  faq: { refund: 4, 'no-sound': 2, 'export-formats': 1 },
};

async function seed(): Promise<void> {
  await turn(A, 'wx-01', '会员怎么退款', { type: 'answer', faqId: 'refund' }, '王小明');
  await turn(A, 'wx-01', '1', { type: 'helpful', faqId: 'refund' });
  await turn(A, 'wx-02', '录屏没声音', { type: 'answer', faqId: 'no-sound' }, '李华');
  await turn(A, 'wx-02', '2', { type: 'not_helpful', faqId: 'no-sound', question: '录屏没声音' });
  await servedAndRated(A, 'wx-02', 'not_helpful', 2);
  await turn(A, 'wx-03', '买错了想退钱', { type: 'answer', faqId: 'refund' }, '赵敏');
  await turn(A, 'wx-03', '1', { type: 'helpful', faqId: 'refund' });
  await turn(A, 'wx-04', '明天天气怎么样', { type: 'unanswered', question: '明天天气怎么样' }, '周杰');
  await servedAndRated(A, 'wx-04', 'low_confidence', 4);
  await turn(B, 'wx-05', '自动续费扣钱了能退吗', { type: 'answer', faqId: 'refund' }, '孙丽');
  await servedAndRated(B, 'wx-05', 'customer_asked', 1);
  await turn(B, 'wx-06', '会员有哪些', { type: 'suggest' }, '钱多多');
  await servedAndRated(B, 'wx-06', 'customer_asked', 5);
  await turn(A, 'wx-07', '怎么导出 GIF', { type: 'answer', faqId: 'export-formats' }, '吴凡');
  await turn(A, 'wx-07', '1', { type: 'helpful', faqId: 'export-formats' });
  await turn(B, 'wx-08', '录出来的视频没声音', { type: 'answer', faqId: 'no-sound' }, '郑爽');
  await turn(B, 'wx-08', '1', { type: 'helpful', faqId: 'no-sound' });
  await turn(A, 'wx-09', '不想用了能退费吗', { type: 'answer', faqId: 'refund' }, '冯坤');
  await servedAndRated(A, 'wx-09', 'customer_asked', 2);
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  const redis = server.client();
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  const agents = new AgentStore(redis, prefix);
  for (const [username, u] of Object.entries(USERS)) {
    const added = await agents.add({ username, name: u.name, roles: u.roles, password: PASSWORD });
    if (username === 'alice') alice = { id: added.id, name: u.name };
  }
  knowledge = await createKnowledgeService({ dir: KB_DIR, watch: false });
  await seed();

  ({ app, baseUrl } = await listenApp({
    handoff,
    agents,
    redis,
    knowledge,
    kbDir: KB_DIR,
    ui: true,
    live: { connect: () => server.client(), reader: { blockMs: 200, discoverMs: 200 } },
  }));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await app?.close();
  await knowledge?.close();
}, 30_000);

// ---------------------------------------------------------------------------------------------
// Browser helpers

const openTab = (): Promise<Tab> => openKitTab(browser, { context: { acceptDownloads: true } });

const login = (tab: Tab, username: keyof typeof USERS): Promise<void> =>
  loginAs(tab.page, baseUrl, username, PASSWORD, USERS[username].name, { waitOnline: true });

const step = (page: Page, name: string): Locator => page.locator(`[data-testid="funnel-step"][data-step="${name}"]`);
const attr = (l: Locator, name: string): Promise<string | null> => l.getAttribute(name);
/** Opens a drill-down row (a category or a channel) unless it is open already. */
async function expand(row: Locator): Promise<void> {
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
  await expect.poll(() => row.getAttribute('aria-expanded')).toBe('true');
}
const num = async (l: Locator, name = 'data-value'): Promise<number> => Number(await l.getAttribute(name));

// ---------------------------------------------------------------------------------------------

describe('the managers\' dashboard', () => {
  let mgr: Tab;

  beforeAll(async () => {
    mgr = await openTab();
    await login(mgr, 'mia');
  });
  afterAll(async () => {
    await mgr?.context.close().catch(() => undefined);
  });

  it('数据 opens the dashboard: live counts, the range picker on 近7天, the funnel with the seeded counts', async () => {
    const { page } = mgr;
    await byId(page, 'nav-manager').click();
    await byId(page, 'manager-page').waitFor();
    expect(new URL(page.url()).hash).toBe('#/manager');
    // One name for the page: the menu's, the top bar's and the heading's.
    const navLabel = (await byId(page, 'nav-manager').locator('.rail-label').innerText()).trim();
    expect(navLabel).toBe('数据');
    expect((await byId(page, 'manager-page').locator('h1').innerText()).trim()).toBe(navLabel);
    expect((await page.locator('.topbar-title strong').innerText()).trim()).toBe(navLabel);

    // The live counts stay: nobody is waiting or being served, everything seeded was resolved.
    for (const id of ['stat-waiting', 'stat-active', 'stat-at-risk', 'stat-breached', 'stat-awaiting-fix']) {
      await expect.poll(() => byId(page, id).textContent()).toBe('0');
    }
    await expect.poll(async () => Number(await byId(page, 'stat-online').textContent())).toBeGreaterThanOrEqual(1);

    const range = byId(page, 'dash-range');
    await range.waitFor();
    expect(await attr(byId(range, 'dash-preset-7'), 'aria-pressed')).toBe('true');
    const [from, to] = await Promise.all([byId(range, 'dash-from').inputValue(), byId(range, 'dash-to').inputValue()]);
    expect(to).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((Date.parse(to) - Date.parse(from)) / 86_400_000).toBe(6);

    await byId(page, 'funnel').waitFor();
    await expect.poll(() => byId(page, 'funnel-step').count()).toBe(5);
    const expected = { conversations: SEEDED.conversations, botAnswered: SEEDED.botAnswered, helpful: SEEDED.helpful, handoffs: SEEDED.handoffs };
    for (const [name, n] of Object.entries(expected)) {
      await expect.poll(() => num(step(page, name)), { message: name }).toBe(n);
      expect(await step(page, name).locator('.funnel-value').textContent()).toBe(String(n));
    }
    // Answers are per question, not per conversation: their share is of the questions the bot met
    // (answered, suggested, not answered), never above 100%.
    const asked = SEEDED.botAnswered + SEEDED.suggested + SEEDED.unanswered;
    expect(await step(page, 'botAnswered').textContent()).toContain(`占提问 ${Math.round((SEEDED.botAnswered / asked) * 100)}%`);
    expect(await step(page, 'botAnswered').textContent()).not.toContain('占会话');
    expect(await step(page, 'helpful').textContent()).toContain(`没帮上 ${SEEDED.notHelpful}`);
    expect(await step(page, 'csat').textContent()).toContain(`平均 ${SEEDED.csat.average.toFixed(1)} 分`);
    // A manager who does not edit the FAQ has no 知识库 page to go to: the count, no link, and
    // where the questions are (the report's CSV).
    expect(await step(page, 'botAnswered').textContent()).toContain(`未能回答 ${SEEDED.unanswered}`);
    expect(await byId(page, 'funnel-unanswered-link').count()).toBe(0);
    expect(await byId(page, 'funnel-unanswered-hint').getAttribute('title')).toContain('未解答问题');

    // The chart is uPlot's: a canvas with a real size, one bar/point per day of the range.
    const chart = byId(page, 'funnel-chart');
    const canvas = chart.locator('canvas').first();
    await canvas.waitFor();
    const size = await canvas.evaluate((c) => {
      const el = c as unknown as { width: number; height: number; getBoundingClientRect(): { width: number; height: number } };
      const r = el.getBoundingClientRect();
      return { w: el.width, h: el.height, cssW: r.width, cssH: r.height };
    });
    expect(size.w).toBeGreaterThan(200);
    expect(size.h).toBeGreaterThan(100);
    expect(size.cssW).toBeGreaterThan(200);
    expect(await chart.locator('.u-legend').textContent()).toContain('转人工');
    // Hovering a day shows that day's numbers in the legend (today: the last day, at the right).
    const over = chart.locator('.u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width - 4, box.y + box.height / 2);
    const legend = chart.locator('.u-legend .u-series');
    await expect.poll(() => legend.nth(0).locator('.u-value').textContent()).toBe(to);
    expect(await legend.nth(1).locator('.u-value').textContent()).toBe(String(SEEDED.conversations));
    await page.mouse.move(box.x - 40, box.y - 40);
    await expect.poll(() => legend.nth(0).locator('.u-value').textContent()).toBe('区间合计');
  });

  it('未能回答 links a manager who also edits the FAQ to the questions, on 知识库', async () => {
    const tab = await openTab();
    try {
      await login(tab, 'ed');
      const { page } = tab;
      await page.goto(`${baseUrl}/#/manager`);
      const link = byId(page, 'funnel-unanswered-link');
      await link.waitFor();
      expect(await link.textContent()).toBe(`未能回答 ${SEEDED.unanswered}`);
      await link.click();
      await page.waitForURL((u) => u.hash === '#/editor');
      await page.getByText('明天天气怎么样').first().waitFor();
      expect(tab.pageErrors).toEqual([]);
    } finally {
      await tab.context.close();
    }
  });

  it('转人工原因: one bar per reason, in Chinese, with the counts', async () => {
    const { page } = mgr;
    const reasons = byId(page, 'reasons');
    for (const [reason, n] of Object.entries(SEEDED.reasons)) {
      const row = reasons.locator(`[data-testid="reason-row"][data-reason="${reason}"]`);
      await expect.poll(() => num(row)).toBe(n);
    }
    expect(await reasons.locator('[data-reason="customer_asked"]').textContent()).toContain('客户要求');
    expect(await reasons.locator('[data-reason="low_confidence"]').textContent()).toContain('机器人没把握');
    expect(await reasons.locator('[data-reason="not_helpful"]').textContent()).toContain('没帮上忙');
    // The most frequent first.
    expect(await byId(reasons, 'reason-row').first().getAttribute('data-reason')).toBe('customer_asked');
  });

  it('热门问题: the FAQ entries by answers, named by their questions', async () => {
    const { page } = mgr;
    const rows = byId(page, 'top-faq');
    await expect.poll(() => rows.count()).toBe(Object.keys(SEEDED.faq).length);
    expect(await rows.evaluateAll((els) => els.map((e) => [e.getAttribute('data-faq-id'), Number(e.getAttribute('data-value'))]))).toEqual(Object.entries(SEEDED.faq));
    await expect.poll(() => rows.first().textContent()).toContain('会员可以退款吗？');
    expect(await page.locator('[data-testid="top-faq"][data-faq-id="no-sound"]').textContent()).toContain('录屏没有声音怎么办？');
  });

  it('满意度: the total, then the worst category -> its channels -> the conversations and their scores', async () => {
    const { page } = mgr;
    const total = byId(page, 'csat-total');
    await expect.poll(() => num(total, 'data-count')).toBe(SEEDED.csat.count);
    expect(await num(total, 'data-average')).toBe(SEEDED.csat.average);
    expect(await num(total, 'data-low')).toBe(SEEDED.csat.low);
    expect(await total.textContent()).toContain('2.8');

    const cats = byId(page, 'csat-category');
    expect(await cats.evaluateAll((els) => els.map((e) => e.getAttribute('data-category')))).toEqual(['billing', 'recording', 'uncategorized']);
    expect(await byId(page, 'csat-channel').count()).toBe(0);

    const billing = cats.first();
    expect(await billing.textContent()).toContain('1.5');
    // Categories by their names in _tags.yml, not the entries' ids.
    expect(await billing.textContent()).toContain('付费');
    expect(await billing.textContent()).not.toContain('billing');
    await billing.click();
    expect(await billing.getAttribute('aria-expanded')).toBe('true');
    const channels = byId(page, 'csat-channel');
    await expect.poll(() => channels.count()).toBe(2);
    // Worst channel first.
    expect(await channels.evaluateAll((els) => els.map((e) => e.getAttribute('data-channel')))).toEqual([B, A]);

    await page.locator(`[data-testid="csat-channel"][data-channel="${B}"]`).click();
    const convs = byId(page, 'csat-conv');
    await expect.poll(() => convs.count()).toBe(1);
    expect(await convs.first().getAttribute('data-conv-id')).toBe(`${B}.wx-05`);
    expect(await convs.first().getAttribute('data-score')).toBe('1');
    expect(await convs.first().getAttribute('href')).toBe(`#/c/${encodeURIComponent(`${B}.wx-05`)}`);
    expect(await convs.first().textContent()).toContain('1 分');
    expect(await convs.first().textContent()).toContain(`客服 ${alice.name}`);
    // A low rating stands out.
    expect(await convs.first().getAttribute('class')).toContain('is-low');

    // The other channel: its one conversation, rated 2.
    await page.locator(`[data-testid="csat-channel"][data-channel="${A}"]`).click();
    await expect.poll(() => convs.evaluateAll((els) => els.map((e) => [e.getAttribute('data-conv-id'), e.getAttribute('data-score')]))).toEqual([[`${A}.wx-09`, '2']]);

    // A good category: no low highlight.
    await cats.nth(2).click();
    await page.locator(`[data-testid="csat-channel"][data-channel="${A}"]`).click();
    await expect.poll(() => convs.count()).toBe(1);
    expect(await convs.first().getAttribute('data-score')).toBe('4');
    expect(await convs.first().getAttribute('class')).not.toContain('is-low');

    // Back to the worst for the screenshots.
    await billing.click();
    await page.locator(`[data-testid="csat-channel"][data-channel="${B}"]`).click();
    await expect.poll(() => convs.count()).toBe(1);
  });

  it('下载反馈报告: the markdown and a CSV for the range, as files', async () => {
    const { page } = mgr;
    const [from, to] = await Promise.all([byId(page, 'dash-from').inputValue(), byId(page, 'dash-to').inputValue()]);

    const [md] = await Promise.all([page.waitForEvent('download'), byId(page, 'report-md').click()]);
    expect(md.suggestedFilename()).toBe(`report-${from}_${to}.md`);
    const text = await readFile((await md.path())!, 'utf8');
    expect(text.startsWith('# 客服反馈报告')).toBe(true);
    expect(text).toContain(`${from} 至 ${to}`);
    expect(text).toContain('会员可以退款吗？');

    const [csv] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="report-csv"][data-file="daily.csv"]').click()]);
    expect(csv.suggestedFilename()).toBe(`report-${from}_${to}-daily.csv`);
    const rows = (await readFile((await csv.path())!, 'utf8')).replace(/^\uFEFF/, '').split(/\r?\n/).filter(Boolean);
    expect(rows).toHaveLength(1 + 7);
    expect(await byId(page, 'report-csv').count()).toBe(5);
  });

  it('the presets and the custom dates change the range; an empty past range shows zeros', async () => {
    const { page } = mgr;
    await byId(page, 'dash-preset-today').click();
    const today = await byId(page, 'dash-to').inputValue();
    await expect.poll(() => byId(page, 'dash-from').inputValue()).toBe(today);
    // Everything was seeded today.
    await expect.poll(() => num(step(page, 'conversations'))).toBe(SEEDED.conversations);

    await byId(page, 'dash-preset-30').click();
    await expect.poll(async () => (Date.parse(today) - Date.parse(await byId(page, 'dash-from').inputValue())) / 86_400_000).toBe(29);
    await expect.poll(() => num(step(page, 'conversations'))).toBe(SEEDED.conversations);

    // A reversed range is refused on the page, and the numbers stay.
    await byId(page, 'dash-from').fill(today);
    await byId(page, 'dash-to').fill(new Date(Date.parse(today) - 86_400_000).toISOString().slice(0, 10));
    await expect.poll(() => byId(page, 'dash-range-problem').textContent()).toBe('开始日期不能晚于结束日期');
    expect(await num(step(page, 'conversations'))).toBe(SEEDED.conversations);

    // A custom range a year ago: nothing then.
    const yearAgo = new Date(Date.parse(today) - 365 * 86_400_000).toISOString().slice(0, 10);
    await byId(page, 'dash-from').fill(yearAgo);
    await byId(page, 'dash-to').fill(yearAgo);
    await expect.poll(() => num(step(page, 'conversations'))).toBe(0);
    expect(await byId(page, 'dash-range-problem').count()).toBe(0);
    expect(await byId(page, 'dash-preset-7').getAttribute('aria-pressed')).toBe('false');
    await expect.poll(() => byId(page, 'top-faq').count()).toBe(0);
    expect(await byId(page, 'csat-category').count()).toBe(0);

    await byId(page, 'dash-preset-7').click();
    await expect.poll(() => num(step(page, 'conversations'))).toBe(SEEDED.conversations);
    await expect.poll(() => byId(page, 'top-faq').count()).toBe(3);
  });

  it('a rating of 1 while the page is open: the notice live, the numbers refreshed, the conversation marked', async () => {
    const { page } = mgr;
    // The drill-down stays as it was across the range changes: billing, then kefu-a.
    await expand(byId(page, 'csat-category').first());
    await expand(page.locator(`[data-testid="csat-channel"][data-channel="${A}"]`));
    await expect.poll(() => byId(page, 'csat-conv').count()).toBe(1);

    await turn(A, 'wx-10', '怎么申请退款', { type: 'answer', faqId: 'refund' }, '陈晨');
    const id = await servedAndRated(A, 'wx-10', 'customer_asked', 1);

    const notice = byId(page, 'low-rating-notice');
    await notice.waitFor();
    expect(await notice.getAttribute('data-conv-id')).toBe(id);
    await expect.poll(() => notice.textContent()).toContain('收到差评：1 分');
    await expect.poll(() => notice.textContent()).toContain('陈晨');
    await expect.poll(() => byId(page, 'toast').filter({ hasText: '收到差评' }).count()).toBe(1);

    // The refresh after the events: counts and the drill-down (still open) with the new one marked.
    await expect.poll(() => num(byId(page, 'csat-total'), 'data-count')).toBe(SEEDED.csat.count + 1);
    await expect.poll(() => num(step(page, 'conversations'))).toBe(SEEDED.conversations + 1);
    await expect.poll(() => num(step(page, 'handoffs'))).toBe(SEEDED.handoffs + 1);
    const fresh = page.locator(`[data-testid="csat-conv"][data-conv-id="${id}"]`);
    await fresh.waitFor();
    expect(await fresh.getAttribute('data-score')).toBe('1');
    expect(await fresh.getAttribute('class')).toContain('is-fresh');

    // The chart's legend (no day under the cursor) shows the range's totals, refreshed too.
    await expect.poll(() => byId(page, 'funnel-chart').locator('.u-legend .u-series').nth(1).locator('.u-value').textContent()).toBe(String(SEEDED.conversations + 1));
    // The screenshot from the top of the page (the drill-down clicks scrolled it).
    await byId(page, 'manager-page').evaluate((el) => ((el as unknown as { scrollTop: number }).scrollTop = 0));
    await shot(page, 'dashboard');
    // The whole page (it scrolls inside the shell): a taller window for a moment.
    await page.setViewportSize({ width: VIEWPORT.width, height: 1900 });
    await shot(page, 'dashboard-full');
    await page.setViewportSize(VIEWPORT);

    // The notice leads to the conversation.
    await notice.getByText('查看会话').click();
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/c/${encodeURIComponent(id)}`);

    expect(mgr.pageErrors).toEqual([]);
    expect(mgr.consoleErrors).toEqual([]);
  });
});
