/**
 * The search box in a real browser (headless Debian chromium, the bot on wechaty-puppet-mock, a real
 * redis-server; no PostgreSQL here, so the console searches live conversations and says so). A
 * customer's message with HTML-looking text is found by a word of it, shown as text with the word
 * marked, and the result opens the chat at that message, centred and highlighted. People's words come
 * first: a customer who asked three ways without the word and got the same FAQ answer three times
 * shows once, below, with the count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCleanPage, useConsoleEnv, waitStatus, type Session } from '../support/browser-env.ts';
import { byId } from '../support/browser.ts';
import { until } from '../support/waits.ts';

const E = useConsoleEnv();
const env = () => E.env;

const HOSTILE = '订单<b>退款</b>还没到账 <img src=x onerror=alert(1)>';

describe('search box: find a message, see it as text, open the chat at it', { timeout: 60_000 }, () => {
  let mia: Session;
  let conv: string;

  beforeAll(async () => {
    const c = env().bot.customer({ name: '何子兰' });
    c.say(HOSTILE);
    await c.hears(/./, 0);
    const n = c.heard.length;
    c.say('人工');
    await c.hears(/排第 \d+ 位/, n);
    conv = (await c.conversationId())!;
    await waitStatus(env(), conv, 'waiting');
    // Later lines, so the found message is not simply the last one on screen.
    for (let i = 0; i < 12; i++) await env().handoff.recordMessage({ botId: conv.split('.')[0]!, customerId: conv.split('.')[1]! }, { from: 'customer', text: `补充说明第${i}条` });
    mia = await env().session();
    await mia.login('mia');
  });
  afterAll(async () => {
    await mia?.close();
  });

  it('lists the message with the word marked and no HTML rendered, and opens the chat at it', async () => {
    const { page } = mia;
    await byId(page, 'search-input').fill('退款');
    await byId(page, 'search-input').press('Enter');
    // The bot's reply (it offered entries about refunds) is found too: the customer's line is the one here.
    const result = page.getByTestId('search-result').filter({ hasText: '<b>退款</b>' });
    await result.waitFor();
    expect(await byId(page, 'search-scope').textContent()).toContain('仅搜索了进行中的会话');
    const snippet = result.getByTestId('search-snippet');
    // The text as typed, tags and all, and nothing of it turned into elements.
    expect(await snippet.textContent()).toContain(HOSTILE);
    expect(await snippet.locator('b, img').count()).toBe(0);
    expect(await snippet.locator('mark').allTextContents()).toEqual(['退款']);
    expect(mia.log.dialogs).toEqual([]);

    await result.click();
    await until('the chat opened at the message', async () => new URL(page.url()).hash, (h) => h.startsWith(`#/c/${encodeURIComponent(conv)}?m=`));
    const msgId = decodeURIComponent(new URL(page.url()).hash.split('?m=')[1]!);
    const found = page.locator(`[data-testid="msg"][data-msg-id="${msgId}"]`);
    await until('the message highlighted', () => found.getAttribute('class', { timeout: 1_000 }), (c) => (c ?? '').includes('msg-focus'));
    expect(await found.getByTestId('msg-text').textContent()).toBe(HOSTILE);
    // Centred in the transcript, not left below the fold at the top.
    const box = (await found.boundingBox())!;
    const pane = (await byId(page, 'transcript').boundingBox())!;
    const inView = box.y >= pane.y && box.y + box.height <= pane.y + pane.height;
    expect(inView).toBe(true);
    await env().screenshot(page, 'search');
    expectCleanPage(mia);
  });

  it('one character finds no customer, and says so: names and ids need two', async () => {
    const { page } = mia;
    await byId(page, 'search-input').fill('郝');
    await byId(page, 'search-input').press('Enter');
    await byId(page, 'search-empty').waitFor();
    expect(await byId(page, 'search-short').textContent()).toContain('至少输入两个字');
    await byId(page, 'search-input').fill('郝某某');
    await byId(page, 'search-input').press('Enter');
    await expect.poll(() => page.locator('h2').filter({ hasText: '郝某某' }).count()).toBe(1);
    await byId(page, 'search-empty').waitFor();
    await expect.poll(() => byId(page, 'search-short').count()).toBe(0);
  });

  it("lists customers' messages above the bot's; the same bot answer three times shows once, counted", async () => {
    const FAQ = '会员在购买后 7 天内可以申请退款：我的 → 订单记录 → 申请退款。';
    const ref = { botId: conv.split('.')[0]!, customerId: 'wx-zt', customerName: '周婷' };
    for (const text of ['买错了', '会员能退吗', '钱能拿回来吗']) {
      await env().handoff.recordTurn(ref, { from: 'customer', text }, { replies: [{ from: 'bot', text: FAQ, faqId: 'refund', confidence: 0.8 }], decidedFor: 'bot', outcome: { type: 'answer', faqId: 'refund' } });
    }
    const { page } = mia;
    await byId(page, 'search-input').fill('退款');
    await byId(page, 'search-input').press('Enter');
    const bot = page.getByTestId('search-result').filter({ hasText: '周婷' });
    await bot.waitFor();
    expect(await bot.count()).toBe(1);
    expect(await bot.getByTestId('search-repeats').textContent()).toBe('机器人同样的回复 3 次');
    const all = await page.getByTestId('search-snippet').allTextContents();
    const firstBot = all.findIndex((t) => t.startsWith('机器人'));
    expect(all.slice(0, firstBot).length).toBeGreaterThan(0);
    expect(all.slice(firstBot).every((t) => t.startsWith('机器人'))).toBe(true);
    await env().screenshot(page, 'search-ranked');
    expectCleanPage(mia);
  });
});
