/**
 * Issue 15: every live event made every open tab read its lists again (3 tabs, 5 questions the bot
 * answered by itself: 90 GET /api/conversations). The socket now carries what changed, and the
 * tabs apply it: real Chromium tabs of two agents and a manager, the bot on wechaty-puppet-mock,
 * a real redis-server. Every request a tab makes is recorded; the slow safety poll (every 30 s) is
 * switched off in these pages, so what they show comes from the live events alone.
 */
import type { Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCleanPage, useConsoleEnv, waitStatus, type MockCustomer, type Session } from '../support/browser-env.ts';
import { byId } from '../support/browser.ts';
import { waitFor } from '../support/waits.ts';

const E = useConsoleEnv();
const env = () => E.env;

interface Tab {
  who: string;
  s: Session;
  /** GET /api/queue and /api/conversations… requests since the tab logged in: list reads and chat reads. */
  reads: string[];
}

const QUEUED = /排第 \d+ 位/;
const FAQ_QUESTIONS = ['录屏没有声音怎么办', '可以开发票吗', '免费版能录多长时间', '录好的视频保存在哪里', '会员多少钱'];

const lists = (t: Tab) => t.reads.filter((u) => u.startsWith('/api/conversations?') || u.startsWith('/api/queue'));
const chatReads = (t: Tab, conv: string) => t.reads.filter((u) => u.startsWith(`/api/conversations/${encodeURIComponent(conv)}`));

async function ask(c: MockCustomer, text: string, expect: RegExp = /./): Promise<void> {
  const n = c.heard.length;
  c.say(text);
  await c.hears(expect, n);
}

describe('live events carry what changed: tabs do not read lists per event', { timeout: 60_000 }, () => {
  const tabs: Tab[] = [];
  let conv = '';
  let customer: MockCustomer;

  beforeAll(async () => {
    for (const who of ['alice', 'bob', 'mia']) {
      const s = await env().session();
      // The 30 s safety poll would blur what the events alone achieve: off in these tabs.
      await s.context.addInitScript(() => {
        const w = globalThis as unknown as { setInterval: (fn: () => void, ms?: number) => number };
        const original = w.setInterval.bind(globalThis);
        w.setInterval = (fn, ms) => ((ms ?? 0) >= 30_000 ? 0 : original(fn, ms));
      });
      const tab: Tab = { who, s, reads: [] };
      s.page.on('request', (r: Request) => {
        const url = new URL(r.url());
        if (r.method() === 'GET' && (url.pathname.startsWith('/api/conversations') || url.pathname === '/api/queue')) tab.reads.push(url.pathname + url.search);
      });
      await s.login(who);
      await s.page.getByTestId('queue-list').waitFor();
      tabs.push(tab);
    }
    // The first read of each tab (and the one after the socket's hello) settle before counting.
    await waitFor('the first reads', () => tabs.every((t) => lists(t).length >= 2), 5_000);
    await new Promise((r) => setTimeout(r, 500));
  }, 60_000);
  afterAll(async () => {
    for (const t of tabs) await t.s.close();
  });

  it('questions the bot answers by itself cause no request in any tab', async () => {
    const before = tabs.map((t) => t.reads.length);
    for (const [i, q] of FAQ_QUESTIONS.entries()) await ask(env().bot.customer({ name: `自助客户${i}` }), q);
    // The bot's transcript writes came with events: give them time to reach the tabs.
    await new Promise((r) => setTimeout(r, 1_000));
    tabs.forEach((t, i) => expect(t.reads.slice(before[i]), t.who).toEqual([]));
  });

  it('a handoff shows in every tab\'s queue, from the event alone', async () => {
    const before = tabs.map((t) => t.reads.length);
    customer = env().bot.customer({ name: '排队的客户' });
    await ask(customer, '发票抬头写错了，转人工', QUEUED);
    conv = await customer.conversationId();
    await waitStatus(env(), conv, 'waiting');
    for (const t of tabs) {
      const item = t.s.page.locator(`[data-testid="queue-item"][data-conv-id="${conv}"]`);
      await item.waitFor({ timeout: 5_000 });
      expect((await byId(item, 'queue-question').textContent())?.trim()).toBe('发票抬头写错了，转人工');
    }
    tabs.forEach((t, i) => expect(t.reads.slice(before[i]), t.who).toEqual([]));
    // The rail's badge follows too (the title counts my chats with unread messages: never-miss-browser.test.ts).
    expect(Number(await tabs[0]!.s.page.locator('[data-testid="nav-queue"] .rail-badge').textContent())).toBeGreaterThanOrEqual(1);
  });

  it('a message in the open chat is added from its event; a claim moves the row in every tab without a list read', async () => {
    const alice = tabs[0]!;
    const { page } = alice.s;
    await page.locator(`[data-testid="queue-item"][data-conv-id="${conv}"]`).click();
    await page.locator(`[data-testid="conv-view"][data-conv-id="${conv}"]`).waitFor();
    await byId(page, 'transcript').locator('[data-testid="msg"][data-from="customer"]').first().waitFor();
    await waitFor('the chat read', () => chatReads(alice, conv).length >= 1, 5_000);
    await new Promise((r) => setTimeout(r, 300));
    const chatBefore = chatReads(alice, conv).length;

    customer.say('<b>还在吗</b>');
    const line = byId(page, 'transcript').locator('[data-testid="msg"][data-from="customer"]').filter({ hasText: '<b>还在吗</b>' });
    await line.waitFor({ timeout: 5_000 });
    expect(chatReads(alice, conv).length, 'the new message came with its event').toBe(chatBefore);

    const listsBefore = tabs.map((t) => lists(t).length);
    await byId(page, 'claim-btn').click();
    await waitStatus(env(), conv, 'active');
    await page.locator(`[data-testid="mine-item"][data-conv-id="${conv}"]`).waitFor({ timeout: 5_000 });
    const bob = tabs[1]!;
    await waitFor("the row gone from bob's queue", async () => (await bob.s.page.locator(`[data-testid="queue-item"][data-conv-id="${conv}"]`).count()) === 0, 5_000);
    // The manager sees every agent's chats: it moves to the others' list in her tab.
    const mia = tabs[2]!;
    await waitFor("the row gone from mia's queue", async () => (await mia.s.page.locator(`[data-testid="queue-item"][data-conv-id="${conv}"]`).count()) === 0, 5_000);
    tabs.forEach((t, i) => expect(lists(t).length, `${t.who} list reads`).toBe(listsBefore[i]));
    for (const t of tabs) expectCleanPage(t.s, [401]);
  });
});
