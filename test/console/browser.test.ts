/**
 * The agent console in a real browser: headless Debian chromium (playwright-core) against the
 * console app on a real port, with the bot on wechaty-puppet-mock and a real redis-server behind it
 * (see ../support/browser-env.ts). Mock WeChat customers write to the bot; agents work in the web UI; the
 * tests check both sides: what the page shows (only through the data-testid selectors of the
 * console contract) and what the customer heard.
 *
 * Screenshots (1280x800) go to test-results/screenshots/ (git-ignored).
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCleanPage, useConsoleEnv, waitStatus, type MockCustomer, type Session } from '../support/browser-env.ts';
import { byId, expectAttr } from '../support/browser.ts';
import { waitFor, until } from '../support/waits.ts';

// The page's globals used in page.evaluate (the project compiles without the DOM lib).
declare const document: { documentElement: { lang: string }; scripts: ArrayLike<{ src: string }>; images: ArrayLike<{ decode(): Promise<void> }> };
declare const window: Record<string, unknown>;

const E = useConsoleEnv();
const env = () => E.env;

/** Both notices the bot sends when it queues a chat (in and outside business hours). */
const QUEUED = /排第 \d+ 位/;
const XSS = '<img src=x onerror=alert(1)>';
const XSS_NAME = '<img src=x onerror=alert(document.domain)>';

// ---------------------------------------------------------------------------------------------
// Page helpers (selectors from the console contract only)

const queueItem = (page: Page, conv: string): Locator => page.locator(`[data-testid="queue-item"][data-conv-id="${conv}"]`);
const mineItem = (page: Page, conv: string): Locator => page.locator(`[data-testid="mine-item"][data-conv-id="${conv}"]`);
const convView = (page: Page, conv: string): Locator => page.locator(`[data-testid="conv-view"][data-conv-id="${conv}"]`);
const messages = (page: Page, from?: string): Locator =>
  byId(page, 'transcript').locator(from ? `[data-testid="msg"][data-from="${from}"]` : '[data-testid="msg"]');
/** The transcript message from `from` whose msg-text is exactly `text`. */
const messageWithText = (page: Page, from: string, text: string): Locator =>
  messages(page, from).filter({ has: page.getByTestId('msg-text').getByText(text, { exact: true }) });

/** True when the reply box cannot be typed into: absent, hidden, disabled or read-only. */
async function replyUnusable(page: Page): Promise<boolean> {
  const input = byId(page, 'reply-input');
  if ((await input.count()) === 0) return true;
  if (!(await input.first().isVisible())) return true;
  return !(await input.first().isEditable());
}

/** A customer who asked a question, then for a person, and is now waiting; returns the conversation id. */
async function waitingCustomer(c: MockCustomer, ...texts: string[]): Promise<string> {
  for (const t of texts.slice(0, -1)) {
    const n = c.heard.length;
    c.say(t);
    await c.hears(/./, n);
  }
  const n = c.heard.length;
  c.say(texts.at(-1)!);
  await c.hears(QUEUED, n);
  const conv = await c.conversationId();
  await waitStatus(env(), conv, 'waiting');
  return conv;
}

/** Waits until the customer heard `text` (after the first `from` messages); the error shows what they did hear. */
async function heard(c: MockCustomer, from: number, text: string, timeoutMs = 5_000): Promise<void> {
  try {
    await waitFor(`the customer to hear ${JSON.stringify(text)}`, () => c.heard.slice(from).includes(text), timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}; they heard ${JSON.stringify(c.heard.slice(from))}`, { cause: err });
  }
}

/** An API token for server-side look-ups (what the UI should show). */
async function tokenOf(username: string): Promise<string> {
  const r = await env().agents.login(username, env().users[username]!.password);
  return r!.token;
}
async function api<T>(username: string, url: string): Promise<{ status: number; body: T }> {
  const res = await env().app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await tokenOf(username)}` } });
  return { status: res.statusCode, body: res.json<T>() };
}

// ---------------------------------------------------------------------------------------------

describe('the web UI is served', () => {
  it('GET / is the single-page app under a strict CSP; it loads its scripts and vendored Preact with no errors', async () => {
    const s = await env().session();
    try {
      const res = await s.page.goto(env().baseUrl);
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-type']).toMatch(/^text\/html/);
      const csp = res?.headers()['content-security-policy'] ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(await s.page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
      // The vendored module is real Preact + htm, served by this process (no CDN).
      // (A string: vitest would rewrite an import() inside a function it compiles.)
      const vendor = await s.page.evaluate(`(async () => {
        const r = await fetch('/vendor/preact-htm.js');
        const m = await import('/vendor/preact-htm.js');
        return { status: r.status, type: r.headers.get('content-type'), html: typeof m.html, render: typeof m.render, useState: typeof m.useState };
      })()`);
      expect(vendor).toEqual({ status: 200, type: expect.stringMatching(/javascript/), html: 'function', render: 'function', useState: 'function' });
      // Every script the page loads comes from this origin.
      const scripts = await s.page.evaluate(() => Array.from(document.scripts, (sc) => sc.src).filter(Boolean));
      for (const src of scripts) expect(new URL(src).origin).toBe(env().baseUrl);
      await s.page.getByTestId('login-username').waitFor();
      await s.page.waitForLoadState('networkidle');
      expectCleanPage(s);
      expect(s.log.failedResponses).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

describe('one agent, one customer: live queue, claim, reply, note, canned replies, resolve', { timeout: 45_000 }, () => {
  let alice: Session;
  let customer: MockCustomer;
  let conv: string;
  const QUESTION = '录屏没有声音怎么办';
  const ASK_HUMAN = '发票抬头写错了，转人工';
  const REPLY = '您好，我是爱丽丝，发票抬头可以帮您重开，请告诉我正确的抬头。';
  const NOTE = '内部备注：客户是老用户，发票已核对（不要发给客户）';

  beforeAll(async () => {
    alice = await env().session();
  });
  afterAll(async () => {
    await alice?.close();
  });

  it('a wrong password shows login-error; the right one shows the queue with the agent\'s name', async () => {
    const { page } = alice;
    await page.goto(env().baseUrl);
    await page.getByTestId('login-username').fill('alice');
    await page.getByTestId('login-password').fill('wrong password!');
    await page.getByTestId('login-submit').click();
    const error = page.getByTestId('login-error');
    await error.waitFor();
    expect((await error.textContent())?.trim()).not.toBe('');
    expect(await page.getByTestId('me-name').count()).toBe(0);
    expect(await page.getByTestId('queue-list').count()).toBe(0);
    await env().screenshot(page, 'login-error');

    await page.getByTestId('login-password').fill(env().users.alice!.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('queue-list').waitFor();
    expect((await page.getByTestId('me-name').textContent())?.trim()).toContain('爱丽丝');
    expect(await page.getByTestId('login-error').count()).toBe(0);
    // The queue is the default route: #/queue or no route at all.
    expect(['', '#/', '#/queue']).toContain(new URL(page.url()).hash);
    // A plain agent has neither the editors' nor the managers' page.
    expect(await page.getByTestId('nav-editor').count()).toBe(0);
    expect(await page.getByTestId('nav-manager').count()).toBe(0);
    // The live socket is up.
    await expectAttr(page.getByTestId('live-status'), 'data-state', 'online');
    expectCleanPage(alice, [401]);
  });

  it('a customer asking for a person appears in the queue live (no reload), with SLA ok, the question and the customer', async () => {
    const { page } = alice;
    await page.getByTestId('queue-list').waitFor();
    // Survives only if the page is never reloaded.
    await page.evaluate(() => (window.__sameDocument = 42));
    const before = await page.getByTestId('queue-item').count();

    customer = env().bot.customer({ name: '王小明' });
    conv = await waitingCustomer(customer, QUESTION, ASK_HUMAN);
    const stored = await env().handoff.conversation(conv);
    expect(stored).toMatchObject({ status: 'waiting', question: ASK_HUMAN, reason: 'customer_asked' });

    const item = queueItem(page, conv);
    await item.waitFor({ timeout: 5_000 });
    expect(await page.getByTestId('queue-item').count()).toBe(before + 1);
    expect(await item.getAttribute('data-sla')).toBe('ok');
    expect((await byId(item, 'queue-question').textContent())?.trim()).toBe(ASK_HUMAN);
    expect(await byId(item, 'queue-customer').textContent()).toContain('王小明');
    expect((await byId(item, 'queue-tier').textContent())?.trim()).not.toBe('');
    expect((await byId(item, 'queue-reason').textContent())?.trim()).not.toBe('');
    expect((await byId(item, 'queue-waiting').textContent())?.trim()).not.toBe('');
    expect(await page.evaluate(() => window.__sameDocument)).toBe(42);
    expect(await page.title()).toMatch(/^(\(\d+\) )?客服工作台$/);
    await env().screenshot(page, 'queue');
    expectCleanPage(alice, [401]);
  });

  it('opening the chat shows the whole transcript (the bot\'s part with its FAQ); claim makes it active and mine', async () => {
    const { page } = alice;
    expect(conv, 'the previous test queued a chat').toBeTruthy();
    await queueItem(page, conv).click();
    const view = convView(page, conv);
    await view.waitFor();
    expect(new URL(page.url()).hash).toBe(`#/c/${conv}`);
    expect(await view.getAttribute('data-status')).toBe('waiting');

    await messageWithText(page, 'customer', QUESTION).waitFor();
    await messageWithText(page, 'customer', ASK_HUMAN).waitFor();
    const bot = messages(page, 'bot');
    await bot.first().waitFor();
    // The bot's FAQ answer names the entry it answered with.
    const faq = bot.filter({ has: page.getByTestId('msg-faq') });
    await faq.first().waitFor();
    const entry = env().knowledge.matcher().entry('no-sound')!;
    const faqLabel = (await byId(faq.first(), 'msg-faq').textContent()) ?? '';
    expect(faqLabel.includes(entry.question) || faqLabel.includes('no-sound'), `msg-faq "${faqLabel}"`).toBe(true);
    // Customer, bot and the handoff event, in the transcript's order.
    const froms = await messages(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-from')));
    expect(froms.indexOf('customer')).toBe(0);
    expect(froms).toContain('bot');
    expect(froms).toContain('system');

    const claim = page.getByTestId('claim-btn');
    await claim.click();
    await expectAttr(view, 'data-status', 'active');
    await until('conv-assignee to name alice', () => page.getByTestId('conv-assignee').textContent(), (t) => (t ?? '').includes('爱丽丝'));
    await claim.waitFor({ state: 'hidden' });
    expect(await page.getByTestId('taken-banner').isVisible()).toBe(false);
    const stored = await env().handoff.conversation(conv);
    expect(stored).toMatchObject({ status: 'active', assignee: { id: env().users.alice!.id } });
    await messages(page, 'system').nth(1).waitFor(); // the "claimed" event joins the transcript
    expectCleanPage(alice, [401]);
  });

  it('a reply sent with Enter reaches the mock customer exactly once and shows as the agent\'s; Shift+Enter is a newline', async () => {
    const { page } = alice;
    const input = page.getByTestId('reply-input');
    const n = customer.heard.length;
    await input.fill(REPLY);
    await input.press('Enter');
    await customer.hears(REPLY, n);
    await messageWithText(page, 'agent', REPLY).waitFor();
    expect(await input.inputValue()).toBe('');
    await env().bot.outboundDrained();
    expect(customer.heard.slice(n).filter((t) => t === REPLY)).toHaveLength(1);
    expect(customer.heard.slice(n)).toEqual([REPLY]);

    // Shift+Enter adds a line and sends nothing; Enter then sends both lines as one message.
    const m = customer.heard.length;
    await input.fill('第一行');
    await input.press('Shift+Enter');
    await input.pressSequentially('第二行');
    expect(await input.inputValue()).toBe('第一行\n第二行');
    await input.press('Enter');
    await customer.hears('第一行\n第二行', m);
    // Had Shift+Enter sent the first line, the customer would have heard it before both lines.
    await env().bot.outboundDrained();
    expect(customer.heard.slice(m)).toEqual(['第一行\n第二行']);
    const stored = await env().handoff.transcript(conv);
    expect(stored.filter((x) => x.from === 'agent').map((x) => x.text)).toEqual([REPLY, '第一行\n第二行']);
    expect((await env().handoff.conversation(conv))?.firstResponseAt).toBeTruthy();
    expectCleanPage(alice, [401]);
  });

  it('a private note shows in the transcript as a note and never reaches the customer', async () => {
    const { page } = alice;
    const n = customer.heard.length;
    await page.getByTestId('note-input').fill(NOTE);
    const saved = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/notes'));
    await page.getByTestId('note-save').click();
    expect((await saved).status()).toBeLessThan(300);
    await messageWithText(page, 'note', NOTE).waitFor();
    expect(await messageWithText(page, 'agent', NOTE).count()).toBe(0);
    await waitFor('the note in the transcript', async () => (await env().handoff.transcript(conv)).some((m) => m.from === 'note' && m.text === NOTE));
    // Saved (the request is done): it never went to the bot's outbound stream, and all there was is delivered.
    const { bot } = env();
    expect((await bot.redis.xrange(bot.handoff.keys.outbound(bot.botId), '-', '+')).some(([, f]) => f.includes(NOTE))).toBe(false);
    await bot.outboundDrained();
    expect(customer.heard.slice(n)).toEqual([]);
    expect(customer.heard.some((t) => t.includes('内部备注'))).toBe(false);
    await env().screenshot(page, 'conversation');
    expectCleanPage(alice, [401]);
  });

  it('"/" in the reply box opens the canned replies; choosing one inserts its text (and sends nothing)', async () => {
    const { page } = alice;
    const canned = await api<{ items: { key: string; title: string; text: string; source: string }[] }>('alice', '/api/canned');
    expect(canned.status).toBe(200);
    expect(canned.body.items.length).toBeGreaterThan(0);
    const n = customer.heard.length;
    const input = page.getByTestId('reply-input');
    const menu = page.getByTestId('canned-menu');

    // Click: the first row of the unfiltered menu.
    await input.fill('');
    await input.pressSequentially('/');
    await menu.waitFor();
    const rows = byId(menu, 'canned-item');
    await rows.first().waitFor();
    expect(await rows.count()).toBeGreaterThan(0);
    expect(await rows.count()).toBeLessThanOrEqual(canned.body.items.length);
    await env().screenshot(page, 'canned-menu');
    const label = (await rows.first().textContent()) ?? '';
    const clicked = canned.body.items.find((c) => label.includes(c.title));
    expect(clicked, `a canned reply whose title is in "${label}"`).toBeTruthy();
    await rows.first().click();
    await until('the canned text in the reply box', () => input.inputValue(), (v) => v === clicked!.text);
    await menu.waitFor({ state: 'hidden' });

    // The caret goes after the picked text when it shows, not a frame later: an agent who selects
    // all right away (to retype) keeps the selection.
    await input.fill('');
    await input.pressSequentially('/');
    await rows.first().waitFor();
    // Microtasks only in the wait (the console renders in one): no frame can pass before the select-all.
    const selection = await page.evaluate(`(async () => {
      const box = document.querySelector('[data-testid="reply-input"]');
      document.querySelector('[data-testid="canned-item"]').dispatchEvent(new MouseEvent('mousedown', { bubbles: true, cancelable: true }));
      for (let i = 0; i < 20 && box.value.startsWith('/'); i++) await Promise.resolve();
      box.select();
      for (let i = 0; i < 3; i++) await new Promise((r) => requestAnimationFrame(r));
      return { start: box.selectionStart, end: box.selectionEnd, length: box.value.length };
    })()`);
    expect(selection).toEqual({ start: 0, end: clicked!.text.length, length: clicked!.text.length });

    // Keyboard: "/" + a title filters; Enter inserts the (first) match.
    const invoice = canned.body.items.find((c) => c.source === 'faq' && c.key === 'invoice') ?? canned.body.items.at(-1)!;
    await input.fill('');
    await input.pressSequentially(`/${invoice.title}`);
    await menu.waitFor();
    await rows.first().waitFor();
    const filtered = await rows.allTextContents();
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.length).toBeLessThan(canned.body.items.length);
    expect(filtered[0]).toContain(invoice.title);
    await input.press('Enter');
    await until('the filtered canned text in the reply box', () => input.inputValue(), (v) => v === invoice.text);
    await menu.waitFor({ state: 'hidden' });

    // Esc closes the menu and keeps what was typed.
    await input.fill('');
    await input.pressSequentially('/');
    await menu.waitFor();
    await input.press('Escape');
    await menu.waitFor({ state: 'hidden' });
    expect(await input.inputValue()).toBe('/');

    // An FAQ answer written for the bot's customers ("请回复「人工」…"): the agent is told to change it.
    const hint = page.getByTestId('composer-hint');
    await input.fill('超过 7 天的订单，请回复「人工」说明情况。');
    await until('the hint about 回复人工', () => hint.textContent(), (t) => (t ?? '').includes('回复人工'));
    await input.fill('超过 7 天的订单，请说明情况。');
    await until('the usual hint', () => hint.textContent(), (t) => t === '回复将通过微信发送给客户');

    // A reply sent after it all, the same way: the first thing the customer hears since the menu opened.
    await input.fill('好的，请稍等');
    await input.press('Enter');
    await customer.hears('好的，请稍等', n);
    await env().bot.outboundDrained();
    expect(customer.heard.slice(n)).toEqual(['好的，请稍等']);
    expectCleanPage(alice, [401]);
  });

  it('the queue page lists the claimed chat under "my chats", no longer as waiting', async () => {
    const { page } = alice;
    await page.getByTestId('nav-queue').click();
    await page.getByTestId('queue-list').waitFor();
    await mineItem(page, conv).waitFor();
    expect(await queueItem(page, conv).count()).toBe(0);
    await env().screenshot(page, 'queue-mine');
    await mineItem(page, conv).click();
    await convView(page, conv).waitFor();
    expectCleanPage(alice, [401]);
  });

  it('resolve: the chat is resolved and the customer hears the bot\'s rating request', async () => {
    const { page } = alice;
    const view = convView(page, conv);
    await view.waitFor();
    const n = customer.heard.length;
    await page.getByTestId('resolve-btn').click();
    await expectAttr(view, 'data-status', 'resolved');
    await customer.hears(env().bot.messages.resolved, n);
    expect(customer.heard.slice(n)).toEqual([env().bot.messages.resolved]);
    await page.getByTestId('nav-queue').click();
    await page.getByTestId('queue-list').waitFor();
    await until('the resolved chat to leave my chats', () => mineItem(page, conv).count(), (c) => c === 0);
    expect(await queueItem(page, conv).count()).toBe(0);
    expectCleanPage(alice, [401]);
  });

  it('the customer\'s 1-5 rating after resolve is thanked (not answered with the menu)', async () => {
    expect(await customer.hears(env().bot.messages.resolved), 'the chat was resolved').toBeTruthy();
    const m = customer.heard.length;
    customer.say('5');
    await heard(customer, m, env().bot.messages.rating_thanks_high);
  });
});

describe('customer text is shown as text, never HTML', { timeout: 45_000 }, () => {
  let alice: Session;
  beforeAll(async () => {
    alice = await env().session();
    await alice.login('alice');
  });
  afterAll(async () => {
    await alice?.close();
  });

  it(`a message ${XSS} (from a customer named ${XSS_NAME}) shows literally in the queue and the transcript`, async () => {
    const { page } = alice;
    await page.getByTestId('queue-list').waitFor();
    const c = env().bot.customer({ name: XSS_NAME });
    const conv = await waitingCustomer(c, XSS, '转人工');

    const item = queueItem(page, conv);
    await item.waitFor();
    expect(await byId(item, 'queue-customer').textContent()).toContain(XSS_NAME);
    expect(await byId(page, 'queue-list').locator('img').count()).toBe(0);

    await item.click();
    await convView(page, conv).waitFor();
    const msg = messageWithText(page, 'customer', XSS);
    await msg.waitFor();
    expect(await byId(msg, 'msg-text').textContent()).toBe(XSS);
    expect(await byId(page, 'transcript').locator('img').count()).toBe(0);
    // Nowhere on the page (header, queue) did the customer's name or text become an element.
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(await page.locator('[onerror]').count()).toBe(0);
    await env().screenshot(page, 'xss');
    // Every image on the page has loaded or failed (an onerror would have run by now).
    await page.evaluate(() => Promise.all(Array.from(document.images, (img) => img.decode().catch(() => undefined))));
    expect(alice.log.dialogs).toEqual([]);
    expectCleanPage(alice);
  });
});

describe('a waiting customer who leaves the queue or complains', { timeout: 45_000 }, () => {
  let alice: Session;
  beforeAll(async () => {
    alice = await env().session();
    await alice.login('alice');
  });
  afterAll(async () => {
    await alice?.close();
  });

  it('"不用了" then "1": the chat leaves the queue live, and its transcript says the customer no longer needed a person', async () => {
    const { page } = alice;
    await page.getByTestId('queue-list').waitFor();
    const c = env().bot.customer({ name: '韩梅梅' });
    const conv = await waitingCustomer(c, '转人工');
    const item = queueItem(page, conv);
    await item.waitFor();

    let n = c.heard.length;
    c.say('算了 不等了');
    await heard(c, n, env().bot.messages.queue_leave_confirm);
    n = c.heard.length;
    c.say('1');
    await heard(c, n, env().bot.messages.queue_left);
    await until('the chat to leave the queue', () => item.count(), (k) => k === 0);

    await page.goto(`${env().baseUrl}/#/c/${encodeURIComponent(conv)}`);
    const view = convView(page, conv);
    await view.waitFor();
    await expectAttr(view, 'data-status', 'resolved');
    const closed = messages(page, 'system').filter({ has: page.locator('[data-event="resolved"]') });
    await closed.first().waitFor();
    expect(await byId(closed.first(), 'msg-text').textContent()).toContain('客户表示不再需要人工');
    expectCleanPage(alice, [401]);
  });

  it('one who complains while waiting moves up the queue live, ahead of a customer who asked before them', async () => {
    const { page } = alice;
    await page.goto(`${env().baseUrl}/#/queue`);
    await page.getByTestId('queue-list').waitFor();
    const first = await waitingCustomer(env().bot.customer({ name: '李明' }), '转人工');
    const c = env().bot.customer({ name: '赵强' });
    const later = await waitingCustomer(c, '转人工');
    const order = () => page.getByTestId('queue-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-conv-id')));
    await until('both in the queue, first come first', order, (ids) => ids.indexOf(first) >= 0 && ids.indexOf(first) < ids.indexOf(later));

    const n = c.heard.length;
    c.say('再不回我去12315投诉了');
    await until('the customer to hear the apology', () => Promise.resolve(c.heard.slice(n).join('\n')), (t) => t.includes('已为您加急处理'));
    await until('the complaint ahead of the earlier customer', order, (ids) => ids.indexOf(later) >= 0 && ids.indexOf(later) < ids.indexOf(first));
    expect(await env().handoff.conversation(later)).toMatchObject({ status: 'waiting', reason: 'complaint' });
    expectCleanPage(alice, [401]);
  });
});

describe('two agents on one chat', { timeout: 45_000 }, () => {
  let alice: Session;
  let bob: Session;
  beforeAll(async () => {
    [alice, bob] = await Promise.all([env().session(), env().session()]);
    await Promise.all([alice.login('alice'), bob.login('bob')]);
  });
  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
  });

  it('both see the waiting chat; each sees the other viewing it; alice claims -> bob sees it taken and cannot reply; alice typing shows for bob', async () => {
    const c = env().bot.customer({ name: '李雷' });
    const conv = await waitingCustomer(c, '转人工');
    await queueItem(alice.page, conv).waitFor();
    await queueItem(bob.page, conv).waitFor();

    await bob.page.getByTestId('queue-list').waitFor();
    await queueItem(bob.page, conv).click();
    await convView(bob.page, conv).waitFor();
    await bob.page.getByTestId('claim-btn').waitFor();
    await queueItem(alice.page, conv).click();
    await convView(alice.page, conv).waitFor();

    // Presence: each one sees the other.
    await until('alice to see bob viewing', () => alice.page.getByTestId('presence-viewers').textContent(), (t) => (t ?? '').includes('鲍勃'));
    await until('bob to see alice viewing', () => bob.page.getByTestId('presence-viewers').textContent(), (t) => (t ?? '').includes('爱丽丝'));
    // Nobody lists themselves.
    expect(await alice.page.getByTestId('presence-viewers').textContent()).not.toContain('爱丽丝');

    await alice.page.getByTestId('claim-btn').click();
    await expectAttr(convView(alice.page, conv), 'data-status', 'active');

    // Bob, without reloading: taken by alice, no claim button, no usable reply box.
    const banner = bob.page.getByTestId('taken-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('爱丽丝');
    await expectAttr(convView(bob.page, conv), 'data-status', 'active');
    await bob.page.getByTestId('claim-btn').waitFor({ state: 'hidden' });
    expect(await replyUnusable(bob.page)).toBe(true);
    await env().screenshot(bob.page, 'taken');

    // Alice types: bob sees the typing indicator.
    await alice.page.getByTestId('reply-input').pressSequentially('正在输入');
    await until('bob to see alice typing', () => bob.page.getByTestId('typing-indicator').textContent(), (t) => (t ?? '').includes('爱丽丝'));
    const n = c.heard.length;
    await alice.page.getByTestId('reply-input').press('Enter');
    await c.hears('正在输入', n);
    // Bob sees alice's reply live.
    await messageWithText(bob.page, 'agent', '正在输入').waitFor();

    // And the chat is gone from bob's queue.
    await bob.page.getByTestId('nav-queue').click();
    await bob.page.getByTestId('queue-list').waitFor();
    await until('the chat to leave bob\'s queue', () => queueItem(bob.page, conv).count(), (x) => x === 0);
    expect(await mineItem(bob.page, conv).count()).toBe(0);
    expect((await env().handoff.conversation(conv))?.assignee?.id).toBe(env().users.alice!.id);
    expectCleanPage(alice);
    expectCleanPage(bob);
  });

  it('a claim that loses the race (bob did not hear of alice\'s claim yet) shows an error / the chat taken, and bob cannot reply', async () => {
    const c = env().bot.customer({ name: '韩梅梅' });
    // Bob's browser stops hearing live events about this customer's chat (as if they were late).
    let conv = '';
    await bob.context.routeWebSocket(/\/api\/live$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => {
        if (conv && typeof m === 'string' && m.includes(conv) && m.includes('"type":"event"')) return;
        ws.send(m);
      });
    });
    // The route applies to new sockets: reload bob's console.
    await bob.page.goto(`${env().baseUrl}/#/queue`);
    await bob.page.getByTestId('queue-list').waitFor();
    await expectAttr(bob.page.getByTestId('live-status'), 'data-state', 'online');

    // The bot gives the customer an id (and so the chat its id) on the first message.
    const greeted = c.heard.length;
    c.say('你好');
    await c.hears(/./, greeted);
    conv = await c.conversationId();
    expect(await waitingCustomer(c, '转人工')).toBe(conv);
    // Bob gets the queue from the API (not the filtered socket): reload the queue.
    await bob.page.reload();
    await queueItem(bob.page, conv).click();
    await convView(bob.page, conv).waitFor();
    const claim = bob.page.getByTestId('claim-btn');
    await claim.waitFor();

    // Alice takes it first (through the API as her console would).
    await env().handoff.claim(conv, { id: env().users.alice!.id, name: env().users.alice!.name });
    await claim.click();
    // The UI shows the failed claim: the taken banner (with alice) or an error message.
    await until(
      'bob\'s page to show the chat taken or an error',
      async () => ({
        banner: (await bob.page.getByTestId('taken-banner').isVisible()) ? await bob.page.getByTestId('taken-banner').textContent() : null,
        errors: await bob.page.locator('[data-testid$="error"]:visible').count(),
      }),
      (v) => (v.banner ?? '').includes('爱丽丝') || v.errors > 0,
    );
    await env().screenshot(bob.page, 'claim-conflict');
    expect(bob.log.failedResponses).toContain(`409 POST /api/conversations/${conv}/claim`);
    expect((await env().handoff.conversation(conv))?.assignee?.id).toBe(env().users.alice!.id);
    await until('bob\'s reply box to be unusable', () => replyUnusable(bob.page), (x) => x);
    expectCleanPage(bob, [409]);
  });
});

describe('editors and managers', { timeout: 30_000 }, () => {
  it('an editor sees the FAQ entries with hit counts, no lint problems; a manager sees the live counts', async () => {
    const [eddie, mia] = await Promise.all([env().session(), env().session()]);
    try {
      await eddie.login('eddie');
      await eddie.page.getByTestId('nav-editor').click();
      const entries = env().knowledge.matcher().kb.entries;
      const rows = eddie.page.getByTestId('kb-entry');
      await rows.first().waitFor();
      expect(await rows.count()).toBe(entries.length);
      // The bot answered "no-sound" at least once in the tests above.
      const noSound = eddie.page.locator('[data-testid="kb-entry"][data-faq-id="no-sound"]');
      const hits = Number((await byId(noSound, 'kb-hits').textContent())?.trim());
      expect(hits).toBeGreaterThanOrEqual(1);
      await eddie.page.getByTestId('kb-ok').waitFor();
      expect(await eddie.page.getByTestId('kb-problem').count()).toBe(0);
      await env().screenshot(eddie.page, 'editor');
      expectCleanPage(eddie);

      await mia.login('mia');
      await mia.page.getByTestId('nav-manager').click();
      const counts = await env().handoff.counts();
      const stat = (id: string) => async () => Number((await mia.page.getByTestId(id).textContent({ timeout: 2_000 }))?.trim());
      await until('stat-waiting', stat('stat-waiting'), (v) => v === counts.waiting);
      await until('stat-active', stat('stat-active'), (v) => v === counts.active);
      expect(await stat('stat-online')()).toBeGreaterThanOrEqual(1);
      await env().screenshot(mia.page, 'manager');
      expectCleanPage(mia);
    } finally {
      await Promise.all([eddie.close(), mia.close()]);
    }
  });
});
