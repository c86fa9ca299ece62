/**
 * 我的会话 keeps an agent's own chats parked on a known problem (issue 17): in real Chromium against
 * the console on a real port and a real redis-server, an agent parks her chat from the dialog and it
 * stays under 我的会话 marked 等待问题修复; one parked by the server's API arrives by the live event;
 * a fresh load reads them back (`status=parked&view=mine`); the count is her active plus parked chats;
 * another agent never sees them, a manager sees them once (等待问题修复, with the owner); a resolve
 * takes the row out by the live event.
 * Screenshots: test-results/screenshots/mine-parked-{1280,390}.png (git-ignored).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { byId, fastLive, loginAs, openTab, PASSWORD, serveConsole, type ServedConsole, shot, type Tab } from '../support/browser.ts';
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
  bob: { name: '张博', roles: ['agent' as const] },
  mia: { name: '经理米娅', roles: ['manager' as const] },
};
const TITLE = '导出视频没有声音';

async function claimed(customerId: string, name: string, agent: 'alice' | 'bob'): Promise<string> {
  const ref = { botId: 'botM', customerId, customerName: name };
  await handoff.recordMessage(ref, { from: 'customer', text: `${name}：导出的视频没有声音` });
  await handoff.requestHuman(ref, { reason: 'customer_asked', question: `${name}：导出的视频没有声音` });
  const id = `botM.${customerId}`;
  await handoff.claim(id, { id: ids[agent]!, name: USERS[agent].name });
  return id;
}

const row = (page: Page, testid: string, conv: string) => page.locator(`[data-testid="${testid}"][data-conv-id="${conv}"]`);
/** The number in a queue-column section's heading (the section holding list `testid`). */
const sectionCount = async (page: Page, testid: string): Promise<string> =>
  ((await page.locator('.qsec', { has: byId(page, testid) }).locator('.qsec-head .count').textContent({ timeout: 2_000 })) ?? '').trim();
const waitCount = (page: Page, testid: string, want: string) => until(`${testid} count ${want}`, () => sectionCount(page, testid), (t) => t === want, 10_000);
const mineIds = (page: Page) => byId(page, 'mine-list').locator('[data-testid="mine-item"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-conv-id')));

let a1 = '';
let a2 = '';
let a3 = '';
let b1 = '';
let problemId = '';

beforeAll(async () => {
  const redis = server.client();
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  const agents = new AgentStore(redis, prefix);
  for (const [username, u] of Object.entries(USERS)) ids[username] = (await agents.add({ username, password: PASSWORD, ...u })).id;
  await handoff.registerBot('botM');
  a1 = await claimed('a1', '周一', 'alice');
  a2 = await claimed('a2', '吴二', 'alice');
  a3 = await claimed('a3', '郑三', 'alice');
  b1 = await claimed('b1', '王四', 'bob');
  problemId = (await handoff.problems.create({ title: TITLE, by: { id: ids.mia!, name: USERS.mia.name } })).id;
  ui = await serveConsole({ handoff, agents, redis, ...fastLive(server) });
  ({ baseUrl, browser } = ui);
}, 120_000);

afterAll(() => ui?.close(), 30_000);

describe('我的会话 keeps my parked chats', { timeout: 120_000 }, () => {
  let alice: Tab;
  let bob: Tab;
  beforeAll(async () => {
    alice = await openTab(browser);
    bob = await openTab(browser);
    await loginAs(alice.page, baseUrl, 'alice', PASSWORD, USERS.alice.name, { waitOnline: true });
    await loginAs(bob.page, baseUrl, 'bob', PASSWORD, USERS.bob.name, { waitOnline: true });
  });
  afterAll(async () => {
    await alice?.context.close().catch(() => undefined);
    await bob?.context.close().catch(() => undefined);
  });

  it('alice parks her chat from the dialog: it stays under 我的会话, marked 等待问题修复, and the count holds', async () => {
    const { page } = alice;
    await waitCount(page, 'mine-list', '3');
    await row(page, 'mine-item', a1).click();
    await byId(page, 'conv-link-problem').click();
    const dialog = byId(page, 'problem-dialog');
    await dialog.waitFor();
    await byId(dialog.locator(`[data-testid="problem-option"][data-problem-id="${problemId}"]`), 'problem-link-btn').click();
    await dialog.waitFor({ state: 'detached' });

    const parked = row(page, 'mine-item', a1);
    await until('a1 parked under 我的会话', () => parked.getAttribute('data-status', { timeout: 1_000 }), (s) => s === 'awaiting_fix', 10_000);
    expect((await byId(parked, 'row-status').textContent())?.trim()).toBe('等待问题修复');
    expect((await byId(parked, 'fix-problem').textContent())?.trim()).toBe(TITLE);
    await waitCount(page, 'mine-list', '3');
    expect((await byId(page, 'mine-parked-count').textContent())?.trim()).toBe('其中 1 个等待修复');
    // Active chats first, then the parked one.
    expect(await mineIds(page)).toEqual([a3, a2, a1]);
    expect(await handoff.conversation(a1)).toMatchObject({ status: 'awaiting_fix', assignee: { id: ids.alice } });
  });

  it('a chat parked elsewhere (the API) arrives by the live event; another agent never sees it', async () => {
    const { page } = alice;
    await handoff.problems.link(a2, problemId, { id: ids.alice!, name: USERS.alice.name });
    await until('a2 parked by the event', () => row(page, 'mine-item', a2).getAttribute('data-status', { timeout: 1_000 }), (s) => s === 'awaiting_fix', 10_000);
    await until('2 parked', async () => ((await byId(page, 'mine-parked-count').textContent({ timeout: 1_000 })) ?? '').trim(), (t) => t === '其中 2 个等待修复', 10_000);
    expect(await sectionCount(page, 'mine-list')).toBe('3');

    // Bob parks his own: his 我的会话 shows it; alice's parked chats never reach his column.
    await handoff.problems.link(b1, problemId, { id: ids.bob!, name: USERS.bob.name });
    await until('b1 parked in bob\'s column', () => row(bob.page, 'mine-item', b1).getAttribute('data-status', { timeout: 1_000 }), (s) => s === 'awaiting_fix', 10_000);
    expect(await bob.page.locator(`[data-conv-id="${a1}"], [data-conv-id="${a2}"]`).count()).toBe(0);
    expect(await sectionCount(bob.page, 'mine-list')).toBe('1');
    await shot(page, 'mine-parked-1280');
  });

  it('a fresh load reads them back in the same order; a resolve by a manager takes the row out live', async () => {
    const { page } = alice;
    await page.reload();
    await waitCount(page, 'mine-list', '3');
    expect(await mineIds(page)).toEqual([a3, a2, a1]);
    expect(await row(page, 'mine-item', a1).getAttribute('data-status')).toBe('awaiting_fix');

    await handoff.resolve(a2, { by: ids.mia! });
    await until('a2 gone from 我的会话', () => row(page, 'mine-item', a2).count(), (n) => n === 0, 10_000);
    await waitCount(page, 'mine-list', '2');
    expect((await byId(page, 'mine-parked-count').textContent())?.trim()).toBe('其中 1 个等待修复');
    expect(alice.pageErrors).toEqual([]);
  });

  it('on a phone (390 px) 我的会话 shows the parked chat marked, and fits the screen', async () => {
    const { page } = alice;
    await page.goto(`${baseUrl}/#/queue`);
    await page.setViewportSize({ width: 390, height: 844 });
    await waitCount(page, 'mine-list', '2');
    const parked = row(page, 'mine-item', a1);
    await parked.waitFor({ state: 'visible' });
    expect((await byId(parked, 'row-status').textContent())?.trim()).toBe('等待问题修复');
    const { scroll, inner } = await page.evaluate(() => {
      const g = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
      return { scroll: g.document.documentElement.scrollWidth, inner: g.innerWidth };
    });
    expect(scroll).toBeLessThanOrEqual(inner);
    const box = await parked.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    await shot(page, 'mine-parked-390');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('a manager sees each parked chat once: in 等待问题修复 with its owner, not in her own list', async () => {
    const t = await openTab(browser);
    try {
      const { page } = t;
      await loginAs(page, baseUrl, 'mia', PASSWORD, USERS.mia.name, { waitOnline: true });
      await waitCount(page, 'fix-list', '2');
      for (const conv of [a1, b1]) expect(await row(page, 'fix-item', conv).count()).toBe(1);
      expect(await sectionCount(page, 'mine-list')).toBe('0');
      expect(await page.locator(`[data-conv-id="${a1}"]`).count()).toBe(1);
      expect(await row(page, 'others-item', a3).count()).toBe(1);
    } finally {
      await t.context.close().catch(() => undefined);
    }
  });
});
