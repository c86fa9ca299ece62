/**
 * Closing the loop and truthful rows, in real Chromium (headless Debian chromium, playwright-core)
 * against the console on a real port and a real redis-server. No bot process: the traffic is
 * recorded through the Handoff API as the bot records it (recordTurn with its outcome or handoff,
 * the rating after a resolve).
 *  - 差评待跟进 on 数据: a 1-2 rating stays listed (score, the customer's words, who served them,
 *    the follow-up in the queue) until a manager marks it done; 已跟进 lists it then; agents cannot
 *    read the list;
 *  - rows: a queue row previews the latest meaningful message (not 谢谢 / 人工) and keeps the
 *    question that caused the handoff beside the reason; a bare 人工 carries the question before it
 *    (row, 我的 and 客户问题 agree); 全部 shows a bot chat's latest question, not the placeholder.
 * Screenshots: test-results/screenshots/followup-{data,rows,all}-1280.png, followup-data-390.png.
 */
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentStore } from '../../src/console/auth/index.ts';
import { DEFAULT_SLA_POLICY, Handoff, type HandoffReason, type TurnOutcome } from '../../src/handoff/index.ts';
import { byId, fastLive, loginAs, openTab, PASSWORD, serveConsole, type ServedConsole, shot } from '../support/browser.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix, type RedisServer } from '../support/redis.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let handoff: Handoff;
let app: FastifyInstance;
let baseUrl: string;
let browser: Browser;
let ui: ServedConsole;
const alice = { id: '', name: '李爱丽' };

const USERS = {
  alice: { name: '李爱丽', roles: ['agent' as const] },
  mia: { name: '经理米娅', roles: ['manager' as const] },
};
const BOT = 'kefu-a';
const ref = (customerId: string, customerName: string) => ({ botId: BOT, customerId, customerName });

/** A customer message the bot answered (or not) with `outcome`, as turn.ts records it. */
async function botTurn(c: string, name: string, text: string, outcome?: TurnOutcome): Promise<void> {
  await handoff.recordTurn(ref(c, name), { from: 'customer', text }, { replies: [{ from: 'bot', text: '（机器人回复）' }], decidedFor: 'bot', ...(outcome ? { outcome } : {}) });
}
/** A message that queued the chat, as turn.ts records it: the handoff's question is the session's or the words. */
async function handoffTurn(c: string, name: string, text: string, reason: HandoffReason, question = text): Promise<void> {
  await handoff.recordTurn(ref(c, name), { from: 'customer', text }, { replies: [], decidedFor: 'bot', handoff: { reason, question } });
}
/** A message while waiting: the bot stays silent. */
async function waitingTurn(c: string, name: string, text: string): Promise<void> {
  await handoff.recordTurn(ref(c, name), { from: 'customer', text }, { replies: [], decidedFor: 'waiting' });
}

beforeAll(async () => {
  const redis = server.client();
  const prefix = randomPrefix();
  handoff = new Handoff(redis, { prefix, policy: DEFAULT_SLA_POLICY });
  await handoff.registerBot(BOT);
  const agents = new AgentStore(redis, prefix);
  for (const [username, u] of Object.entries(USERS)) {
    const added = await agents.add({ username, password: PASSWORD, ...u });
    if (username === 'alice') alice.id = added.id;
  }
  ui = await serveConsole({ handoff, agents, redis, ...fastLive(server) });
  ({ app, baseUrl, browser } = ui);
}, 60_000);
afterAll(() => ui?.close(), 30_000);

describe('差评待跟进', () => {
  it('a 1-2 rating stays on the managers\' list with the customer\'s words until marked done', async () => {
    // 王芳: served by Alice, rated 2, then wrote what went wrong: queued again as a follow-up.
    await handoffTurn('wx-wf', '王芳', '导出失败了', 'customer_asked');
    const wf = `${BOT}.wx-wf`;
    await handoff.claim(wf, alice);
    await handoff.reply(wf, alice, '请升级到最新版再试一下');
    await handoff.resolve(wf, { by: alice.id });
    await handoff.recordTurn(ref('wx-wf', '王芳'), { from: 'customer', text: '2' }, { replies: [{ from: 'bot', text: '很抱歉' }], decidedFor: 'resolved', outcome: { type: 'rating', score: 2 } });
    await handoff.recordRating(ref('wx-wf', '王芳'), 2);
    await handoff.recordTurn(
      ref('wx-wf', '王芳'),
      { from: 'customer', text: '升级了还是不行，你们这个客服太差了' },
      { replies: [], decidedFor: 'bot', outcome: { type: 'rating_comment', question: '升级了还是不行，你们这个客服太差了' }, handoff: { reason: 'low_rating', question: '升级了还是不行，你们这个客服太差了' } },
    );
    // 张伟: rated 1 and said nothing more.
    await handoffTurn('wx-zw', '张伟', '录屏没有声音', 'customer_asked');
    const zw = `${BOT}.wx-zw`;
    await handoff.claim(zw, alice);
    await handoff.resolve(zw, { by: alice.id });
    await handoff.recordRating(ref('wx-zw', '张伟'), 1);

    const { page, context } = await openTab(browser);
    await loginAs(page, baseUrl, 'mia', PASSWORD, USERS.mia.name, { waitOnline: true });
    await page.goto(`${baseUrl}/#/manager`);
    const card = byId(page, 'low-ratings');
    await byId(card, 'low-rating-item').nth(1).waitFor();
    expect(await byId(card, 'low-ratings-pending').textContent()).toBe('2');
    const row = card.locator(`[data-testid="low-rating-item"][data-conv-id="${wf}"]`);
    expect(await byId(row, 'low-rating-score').textContent()).toBe('2 分');
    expect(await byId(row, 'low-rating-comment').textContent()).toBe('升级了还是不行，你们这个客服太差了');
    expect(await row.textContent()).toContain('客服 李爱丽');
    expect(await byId(row, 'low-rating-status').textContent()).toBe('差评跟进 · 排队等待');
    const silent = card.locator(`[data-testid="low-rating-item"][data-conv-id="${zw}"]`);
    expect(await byId(silent, 'low-rating-comment').textContent()).toBe('客户还没有说明原因');
    await card.scrollIntoViewIfNeeded();
    await shot(page, 'followup-data-1280');

    await byId(silent, 'low-rating-mark').click();
    await silent.waitFor({ state: 'detached' });
    expect(await byId(card, 'low-ratings-pending').textContent()).toBe('1');
    await byId(card, 'low-ratings-tab-done').click();
    const done = card.locator(`[data-testid="low-rating-item"][data-conv-id="${zw}"]`);
    await done.waitFor();
    expect(await done.getAttribute('data-state')).toBe('done');
    expect(await done.textContent()).toContain('经理米娅 已跟进');

    await page.setViewportSize({ width: 390, height: 844 });
    await byId(card, 'low-ratings-tab-pending').click();
    await card.locator(`[data-testid="low-rating-item"][data-conv-id="${wf}"]`).scrollIntoViewIfNeeded();
    await shot(page, 'followup-data-390');
    await context.close();

    // A new low rating of the same chat puts it back; agents cannot read the list.
    await handoff.recordRating(ref('wx-zw', '张伟'), 1);
    expect((await handoff.lowRatings.list({ state: 'pending' })).items.map((r) => r.conv).sort()).toEqual([wf, zw].sort());
    const token = (await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'alice', password: PASSWORD } })).json<{ token: string }>().token;
    const denied = await app.inject({ method: 'GET', url: '/api/low-ratings', headers: { authorization: `Bearer ${token}` } });
    expect(denied.statusCode).toBe(403);
  }, 60_000);
});

describe('row summaries', () => {
  it('a queue row shows the latest meaningful message and the question behind the handoff; 全部 shows bot chats\' questions', async () => {
    // 吴昊: "你们是骗子吧" queued the chat (the bot had no answer); then 谢谢 while waiting.
    await handoffTurn('wx-wh', '吴昊', '你们是骗子吧', 'low_confidence');
    await waitingTurn('wx-wh', '吴昊', '谢谢');
    // 赵磊: asked a question, then a bare 转人工 (turn.ts sends the words as the question).
    await botTurn('wx-zl', '赵磊', '我买的是年费会员，昨天刚买，能退吗', { type: 'answer', faqId: 'refund' });
    await handoffTurn('wx-zl', '赵磊', '转人工', 'customer_asked');
    // 李娜: queued, then wrote again with something new.
    await handoffTurn('wx-ln', '李娜', '发票怎么开', 'low_confidence');
    await waitingTurn('wx-ln', '李娜', '我急着报销，公司抬头是闪录科技');
    // 周婷: the bot answered her; her chat is with the bot.
    await botTurn('wx-zt', '周婷', '录屏没有声音怎么办', { type: 'answer', faqId: 'no-sound' });
    await botTurn('wx-zt', '周婷', '好的');

    const zl = (await handoff.conversation(`${BOT}.wx-zl`))!;
    expect(zl.question).toBe('我买的是年费会员，昨天刚买，能退吗');

    const { page, context } = await openTab(browser);
    await loginAs(page, baseUrl, 'alice', PASSWORD, USERS.alice.name, { waitOnline: true });
    const qrow = (c: string) => page.locator(`[data-testid="queue-item"][data-conv-id="${BOT}.${c}"]`);
    await qrow('wx-wh').waitFor();
    expect(await byId(qrow('wx-wh'), 'queue-question').textContent()).toBe('你们是骗子吧');
    expect(await byId(qrow('wx-wh'), 'queue-reason').textContent()).toBe('机器人没把握');
    expect(await byId(qrow('wx-zl'), 'queue-question').textContent()).toBe('我买的是年费会员，昨天刚买，能退吗');
    expect(await byId(qrow('wx-ln'), 'queue-question').textContent()).toBe('我急着报销，公司抬头是闪录科技');
    expect(await byId(qrow('wx-ln'), 'queue-reason').textContent()).toBe('机器人没把握：发票怎么开');
    await shot(page, 'followup-rows-1280');

    // Claimed: 我的 and the detail say what the queue said.
    await qrow('wx-zl').click();
    await byId(page, 'claim-btn').click();
    const mine = page.locator(`[data-testid="mine-item"][data-conv-id="${BOT}.wx-zl"]`);
    await mine.waitFor();
    expect(await byId(mine, 'row-preview').textContent()).toBe('我买的是年费会员，昨天刚买，能退吗');
    await page.locator('dt', { hasText: '客户问题' }).waitFor();
    expect(await page.locator('dt:has-text("客户问题") + dd').textContent()).toBe('我买的是年费会员，昨天刚买，能退吗');

    await byId(page, 'view-all').click();
    const arow = page.locator(`[data-testid="list-item"][data-conv-id="${BOT}.wx-zt"]`);
    await arow.waitFor();
    expect(await byId(arow, 'list-preview').textContent()).toBe('录屏没有声音怎么办');
    expect(await page.locator('[data-testid="list-item"]', { hasText: '（客户未留下文字问题）' }).count()).toBe(0);
    await shot(page, 'followup-all-1280');
    await context.close();
  }, 60_000);
});
