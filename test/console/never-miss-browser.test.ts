/**
 * Never miss a customer, in real Chromium (headless Debian chromium, playwright-core) against the
 * console on a real port and a real redis-server:
 *  - a customer writing in my chat: the row's unread badge and preview, the tab title's count and a
 *    browser notification (permission granted to the context), all from the live socket; opening the
 *    chat reads it (badge and count go); a control word (人工 while queued) leaves the preview alone;
 *  - drafts survive a reload and go when sent; a reply over the limit cannot be sent, the limit shown;
 *  - 解决 waits a few seconds with 撤销 (undone: the chat stays open); reloading during the wait sends
 *    it anyway; 关闭（不回复） closes without a rating request;
 *  - an SLA breach warns a manager on the 已知问题 page (a toast and a notification).
 * Screenshots: test-results/screenshots/never-miss-{unread,chat,breach}-1280.png and
 * never-miss-{unread,undo}-390.png (git-ignored).
 */
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { byId, listenApp, loginAs, openTab, PASSWORD, shot, type Tab } from '../support/browser.ts';
import { launchChromium } from '../support/browser.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let handoff: Handoff;
let app: FastifyInstance;
let baseUrl: string;
let browser: Browser;
let prefix: string;

const USERS = {
  alice: { name: '李爱丽', roles: ['agent' as const] },
  mia: { name: '经理米娅', roles: ['manager' as const] },
};
const alice = { id: '', name: '李爱丽' };

beforeAll(async () => {
  const redis = server.client();
  prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  await handoff.registerBot('botA');
  const agents = new AgentStore(redis, prefix);
  for (const [username, u] of Object.entries(USERS)) {
    const added = await agents.add({ username, password: PASSWORD, ...u });
    if (username === 'alice') alice.id = added.id;
  }
  ({ app, baseUrl } = await listenApp({ handoff, agents, redis, ui: true, live: { connect: () => server.client(), reader: { blockMs: 200, discoverMs: 200 } } }));
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await app?.close();
}, 30_000);

const PHONE = { width: 390, height: 844 };
/** Notifications are granted; each one shown is recorded in the page (window.__notes). */
async function tab(): Promise<Tab> {
  const t = await openTab(browser, {
    initScript: () => {
      type Ctor = new (title: string, opts?: { body?: string }) => object;
      const w = globalThis as unknown as { Notification: Ctor; __notes: { title: string; body: string }[] };
      w.__notes = [];
      const Real = w.Notification;
      w.Notification = class extends Real {
        constructor(title: string, opts?: { body?: string }) {
          super(title, opts);
          w.__notes.push({ title, body: opts?.body ?? '' });
        }
      };
    },
  });
  await t.context.grantPermissions(['notifications'], { origin: baseUrl });
  return t;
}
const login = (t: Tab, username: keyof typeof USERS): Promise<void> => loginAs(t.page, baseUrl, username, PASSWORD, USERS[username].name, { waitOnline: true });
const notes = (page: Page): Promise<{ title: string; body: string }[]> => page.evaluate(() => (globalThis as unknown as { __notes: { title: string; body: string }[] }).__notes);
const ref = (c: string, name: string) => ({ botId: 'botA', customerId: c, customerName: name });
const row = (page: Page, conv: string) => page.locator(`[data-conv-id="${conv}"]`).first();
const text = async (page: Page, sel: string): Promise<string> => ((await page.locator(sel).first().textContent()) ?? '').trim();

async function mine(c: string, name: string, question: string): Promise<string> {
  await handoff.recordMessage(ref(c, name), { from: 'customer', text: question });
  await handoff.requestHuman(ref(c, name), { reason: 'customer_asked', question });
  await handoff.claim(`botA.${c}`, alice);
  return `botA.${c}`;
}

async function outboundKinds(conv: string): Promise<string[]> {
  const entries = await server.client().xrange(handoff.keys.outbound('botA'), '-', '+');
  return entries.map(([, f]) => Object.fromEntries(f.flatMap((v, i) => (i % 2 ? [] : [[v, f[i + 1]!]])))).filter((e) => e.conv === conv).map((e) => e.kind!);
}

describe('never miss a customer', { timeout: 90_000 }, () => {
  let a: Tab;
  let conv = '';
  beforeAll(async () => {
    a = await tab();
    await login(a, 'alice');
  });
  afterAll(async () => {
    await a?.context.close();
  });

  it('a customer writing in my chat: unread badge, preview, title count and a notification, live', async () => {
    const { page } = a;
    // The browser already allows notifications: they are on, and the switch turns them off and on.
    expect(await byId(page, 'notify-toggle').getAttribute('aria-pressed')).toBe('true');
    await byId(page, 'notify-toggle').click();
    await waitFor('notifications off', async () => (await byId(page, 'notify-toggle').getAttribute('aria-pressed')) === 'false');
    await byId(page, 'notify-toggle').click();
    await waitFor('notifications on', async () => (await byId(page, 'notify-toggle').getAttribute('aria-pressed')) === 'true');
    conv = await mine('n1', '王小明', '退款什么时候到账');
    await row(page, conv).waitFor();
    expect(await page.title()).toBe('客服工作台');
    await handoff.recordMessage(ref('n1', '王小明'), { from: 'customer', text: '在吗？<b>订单</b> 778 还没到' });
    await byId(row(page, conv), 'unread-badge').waitFor();
    expect(await byId(row(page, conv), 'unread-badge').textContent()).toBe('1');
    // Hostile text is text.
    expect(await byId(row(page, conv), 'row-preview').textContent()).toContain('在吗？<b>订单</b> 778 还没到');
    await waitFor('the title count', async () => (await page.title()) === '(1) 客服工作台');
    await waitFor('a notification', async () => (await notes(page)).some((n) => n.title === '王小明 发来新消息' && n.body.includes('778')));
    await handoff.recordMessage(ref('n1', '王小明'), { from: 'customer', text: '急用' });
    await waitFor('two unread', async () => (await byId(row(page, conv), 'unread-badge').textContent()) === '2');

    // A waiting customer's 人工 (the bot says "already queued") leaves the preview as it was.
    await handoff.recordMessage(ref('n2', '赵六'), { from: 'customer', text: '发票开错了' });
    await handoff.requestHuman(ref('n2', '赵六'), { reason: 'customer_asked', question: '发票开错了' });
    await byId(row(page, 'botA.n2'), 'queue-question').waitFor();
    await handoff.recordTurn(ref('n2', '赵六'), { from: 'customer', text: '人工' }, { replies: [{ from: 'bot', text: '已在排队' }], decidedFor: 'waiting' });
    await handoff.recordMessage(ref('n1', '王小明'), { from: 'customer', text: '人呢' });
    await waitFor('three unread', async () => (await byId(row(page, conv), 'unread-badge').textContent()) === '3');
    expect(await text(page, '[data-conv-id="botA.n2"] [data-testid="queue-question"]')).toBe('发票开错了');
    await shot(page, 'never-miss-unread-1280');
  });

  it('opening the chat reads it: the badge and the title count go, in Redis too', async () => {
    const { page } = a;
    await row(page, conv).click();
    await page.locator(`[data-testid="conv-view"][data-conv-id="${conv}"]`).waitFor();
    await waitFor('read', async () => (await byId(row(page, conv), 'unread-badge').count()) === 0);
    await waitFor('the title', async () => (await page.title()) === '客服工作台');
    expect((await handoff.conversation(conv))!.unread).toBe(0);
  });

  it('a draft survives a reload and goes when sent; an over-long reply cannot be sent, the limit shown', async () => {
    const { page } = a;
    const input = byId(page, 'reply-input');
    await input.fill('x'.repeat(2001));
    // The composer re-renders after the input event: on a busy machine a moment later.
    await waitFor('send disabled', () => byId(page, 'reply-send').isDisabled());
    expect(await byId(page, 'char-count').textContent()).toBe('2001/2000');
    expect(await byId(page, 'composer-hint').textContent()).toContain('最多 2000 字');
    await input.fill('您好，我查一下订单 778');
    await waitFor('send enabled', async () => !(await byId(page, 'reply-send').isDisabled()));
    await page.reload();
    await page.locator(`[data-testid="conv-view"][data-conv-id="${conv}"]`).waitFor();
    await waitFor('the draft back', async () => (await byId(page, 'reply-input').inputValue()) === '您好，我查一下订单 778');
    await shot(page, 'never-miss-chat-1280');
    await byId(page, 'reply-send').click();
    await waitFor('sent', async () => (await handoff.transcript(conv)).some((m) => m.from === 'agent' && m.text === '您好，我查一下订单 778'));
    await waitFor('the input emptied', async () => (await byId(page, 'reply-input').inputValue()) === '');
    await page.reload();
    await page.locator(`[data-testid="conv-view"][data-conv-id="${conv}"]`).waitFor();
    await byId(page, 'reply-input').waitFor();
    expect(await byId(page, 'reply-input').inputValue()).toBe('');
  });

  it('an unsaved private note waits in its chat while the agent looks at another, and goes when saved', async () => {
    const { page } = a;
    const other = await mine('n3', '孙七', '发票抬头写错了');
    await byId(page, 'note-input').fill('客户说订单778是送人的，别打电话');
    await row(page, other).click();
    await page.locator(`[data-testid="conv-view"][data-conv-id="${other}"]`).waitFor();
    // Not carried over to the other chat.
    await waitFor('the other chat\'s empty note', async () => (await byId(page, 'note-input').inputValue()) === '');
    await row(page, conv).click();
    await page.locator(`[data-testid="conv-view"][data-conv-id="${conv}"]`).waitFor();
    await waitFor('the note back', async () => (await byId(page, 'note-input').inputValue()) === '客户说订单778是送人的，别打电话');
    await byId(page, 'note-save').click();
    await waitFor('saved', async () => (await handoff.transcript(conv)).some((m) => m.from === 'note' && m.text === '客户说订单778是送人的，别打电话'));
    await waitFor('the box emptied', async () => (await byId(page, 'note-input').inputValue()) === '');
    await page.reload();
    await page.locator(`[data-testid="conv-view"][data-conv-id="${conv}"]`).waitFor();
    await byId(page, 'note-input').waitFor();
    expect(await byId(page, 'note-input').inputValue()).toBe('');
  });

  it('a draft is the agent\'s own: a colleague on the same computer never finds it, and 退出 takes it away', async () => {
    const { page } = a;
    const input = byId(page, 'reply-input');
    await input.fill('退款单号 RF-2211，稍后到账');
    await waitFor('kept', () => page.evaluate(() => Object.keys(localStorage).some((k) => k.startsWith('kefu.draft.'))));
    // The session expires (not a logout): the manager signs in at the same computer.
    await page.evaluate(() => localStorage.removeItem('kefu.token'));
    await login(a, 'mia');
    await page.goto(`${baseUrl}/#/c/${encodeURIComponent(conv)}`);
    await page.locator(`[data-testid="conv-view"][data-conv-id="${conv}"]`).waitFor();
    await byId(page, 'reply-input').waitFor();
    expect(await byId(page, 'reply-input').inputValue()).toBe('');
    await byId(page, 'logout').click();
    // Alice again: an expired session kept her draft for her.
    await login(a, 'alice');
    await page.goto(`${baseUrl}/#/c/${encodeURIComponent(conv)}`);
    await waitFor('her draft back', async () => (await byId(page, 'reply-input').inputValue()) === '退款单号 RF-2211，稍后到账');
    // Her own 退出 takes it with her.
    await byId(page, 'logout').click();
    await page.getByTestId('login-username').waitFor();
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('kefu.draft.')))).toEqual([]);
    await login(a, 'alice');
    await page.goto(`${baseUrl}/#/c/${encodeURIComponent(conv)}`);
    await byId(page, 'reply-input').waitFor();
    expect(await byId(page, 'reply-input').inputValue()).toBe('');
  });

  it('解决 can be undone for a few seconds; undone, the chat stays open', async () => {
    const { page } = a;
    await byId(page, 'resolve-btn').click();
    await byId(page, 'resolve-undo').waitFor();
    expect(await byId(page, 'resolve-btn').isDisabled()).toBe(true);
    await byId(page, 'resolve-undo-btn').click();
    await byId(page, 'resolve-undo').waitFor({ state: 'detached' });
    // Past the undo window: nothing was sent.
    await new Promise((r) => setTimeout(r, 6_000));
    expect((await handoff.conversation(conv))!.status).toBe('active');
    expect(await byId(page, 'resolve-btn').isDisabled()).toBe(false);
  });

  it('a reload during the undo window sends the close anyway (with the rating request: an agent replied)', async () => {
    const { page } = a;
    await byId(page, 'resolve-btn').click();
    await byId(page, 'resolve-undo').waitFor();
    await page.reload();
    await waitFor('resolved', async () => (await handoff.conversation(conv))!.status === 'resolved', 5_000);
    expect(await outboundKinds(conv)).toEqual(['text', 'resolved']);
  });

  it('关闭（不回复） closes without asking for a rating', async () => {
    const { page } = a;
    const spam = await mine('n3', '广告号', '加微信领红包');
    await handoff.reply(spam, alice, '请问有什么可以帮您？');
    await row(page, spam).click();
    await page.locator(`[data-testid="conv-view"][data-conv-id="${spam}"]`).waitFor();
    await byId(page, 'close-silent-btn').click();
    await byId(page, 'resolve-undo').filter({ hasText: '不邀请评价' }).waitFor();
    await waitFor('closed', async () => (await handoff.conversation(spam))!.status === 'resolved', 10_000);
    await page.locator('[data-testid="conv-view"][data-status="resolved"]').waitFor();
    expect(await outboundKinds(spam)).toEqual(['text']);
  });

  it('on a phone: the badge and preview in the list, the undo bar in the chat', async () => {
    const p = await tab();
    try {
      await login(p, 'alice');
      await p.page.setViewportSize(PHONE);
      const c = await mine('n4', '手机客户', '能开发票吗');
      await handoff.recordMessage(ref('n4', '手机客户'), { from: 'customer', text: '公司抬头要写全称' });
      await byId(row(p.page, c), 'unread-badge').waitFor();
      await shot(p.page, 'never-miss-unread-390');
      await row(p.page, c).click();
      await p.page.locator(`[data-testid="conv-view"][data-conv-id="${c}"]`).waitFor();
      // The chat's own phone layout is not this test's: 解决 is pressed wide, its bar must fit narrow.
      await p.page.setViewportSize({ width: 1280, height: 800 });
      await byId(p.page, 'resolve-btn').click();
      await p.page.setViewportSize(PHONE);
      await byId(p.page, 'resolve-undo').waitFor();
      await shot(p.page, 'never-miss-undo-390');
      await byId(p.page, 'resolve-undo-btn').click();
      await byId(p.page, 'resolve-undo').waitFor({ state: 'detached' });
      expect(p.pageErrors).toEqual([]);
    } finally {
      await p.context.close();
    }
  });

  it('an SLA breach warns the manager on any page: a toast and a notification', async () => {
    const m = await tab();
    try {
      await login(m, 'mia');
      await m.page.goto(`${baseUrl}/#/problems`);
      await byId(m.page, 'live-status').and(m.page.locator('[data-state="online"]')).waitFor();
      await handoff.recordMessage(ref('n5', '陈VIP'), { from: 'customer', text: '账号被锁了' });
      await handoff.requestHuman(ref('n5', '陈VIP'), { reason: 'customer_asked', question: '账号被锁了' });
      // Any process may tick: this one's clock is past every promise.
      const later = new Handoff(server.client(), { prefix, policy: DEFAULT_SLA_POLICY, now: () => Date.now() + 30 * 24 * 3600_000 });
      expect((await later.tickSlaCounts()).breaches).toBeGreaterThanOrEqual(1);
      const toast = byId(m.page, 'toast').filter({ hasText: '陈VIP' });
      await toast.waitFor();
      expect(await toast.textContent()).toContain('等待已超过承诺的回复时间');
      await waitFor('a notification', async () => (await notes(m.page)).some((n) => n.title === '会话已超时' && n.body.includes('陈VIP')));
      await shot(m.page, 'never-miss-breach-1280');
      expect(m.pageErrors).toEqual([]);
    } finally {
      await m.context.close();
    }
  });

  it('a new customer in the queue while the console is out of sight: a notification and the title say so, until it is looked at', async () => {
    const t = await tab();
    try {
      await login(t, 'alice');
      // Another window in front: hidden and unfocused as far as the page knows.
      const sight = (visible: boolean) =>
        t.page.evaluate((v) => {
          const doc = (globalThis as unknown as { document: { hasFocus: () => boolean; dispatchEvent(e: Event): void } }).document;
          Object.defineProperty(doc, 'visibilityState', { value: v ? 'visible' : 'hidden', configurable: true });
          doc.hasFocus = () => v;
          doc.dispatchEvent(new Event('visibilitychange'));
        }, visible);
      await sight(false);
      await handoff.recordMessage(ref('n9', '新来的周先生'), { from: 'customer', text: '发票抬头开错了' });
      await handoff.requestHuman(ref('n9', '新来的周先生'), { reason: 'customer_asked', question: '发票抬头开错了' });
      await waitFor('a notification', async () => (await notes(t.page)).some((n) => n.title === '新客户排队' && n.body === '新来的周先生：发票抬头开错了'));
      await waitFor('the title', async () => (await t.page.title()).includes('新客户排队'));
      await sight(true);
      await waitFor('the title back', async () => !(await t.page.title()).includes('新客户排队'));
      // Looking at the console: the queue itself shows the next one, no notification.
      const before = (await notes(t.page)).length;
      await handoff.recordMessage(ref('n10', '又一位客户'), { from: 'customer', text: '怎么退款' });
      await handoff.requestHuman(ref('n10', '又一位客户'), { reason: 'customer_asked', question: '怎么退款' });
      await row(t.page, 'botA.n10').waitFor();
      expect((await notes(t.page)).length).toBe(before);
      expect(await t.page.title()).not.toContain('新客户排队');
      expect(t.pageErrors).toEqual([]);
    } finally {
      await t.context.close();
    }
  });

  it('no page errors', () => {
    expect(a.pageErrors).toEqual([]);
  });
});
