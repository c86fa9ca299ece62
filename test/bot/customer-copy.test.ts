/**
 * What customers hear from the team's side, through the real Wechaty runtime on
 * wechaty-puppet-mock and the KefuBot plugin over a real redis-server, with the product's
 * `_messages.yml`: the thanks by score and the follow-up of a 1-2 rating (what the customer writes
 * next goes to a person, kept for the managers' list); the agent's display name when they join (none when not set: never
 * an internal name); a fixed problem's notice with its customer-facing title and a closed sentence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTemplate } from '../../src/bot/messages.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { startHarness, type Harness, type MockCustomer } from '../support/bot.ts';
import { useRedisServer } from '../support/hooks.ts';
import type { RedisServer } from '../support/redis.ts';
import { waitFor } from '../support/waits.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

let h: Harness;
/** The console's handoff: its claims tell the customer who joined. */
let consoleSide: Handoff;
beforeAll(async () => {
  h = await startHarness(server.url);
  consoleSide = new Handoff(h.redis, { prefix: h.prefix, policy: DEFAULT_SLA_POLICY, announceClaims: true });
});
afterAll(async () => {
  await h?.stop();
});

const ALICE = { id: 'alice', name: '李爱丽（夜班）', publicName: '小爱' };
const ROOT = { id: 'root', name: 'Administrator', publicName: '' };
const QUEUED = /排第 \d+ 位/;

/** A customer served by `agent` (claimed, answered) whose chat was just resolved and asked for a rating. */
async function served(agent: typeof ALICE, name?: string): Promise<{ c: MockCustomer; id: string }> {
  const c = h.customer(name ? { name } : {});
  c.say('转人工');
  await c.hears(QUEUED);
  const id = await c.conversationId();
  await consoleSide.claim(id, agent);
  await consoleSide.reply(id, agent, '已经帮您处理好了');
  await c.hears('已经帮您处理好了');
  await consoleSide.resolve(id, { by: agent.id });
  await c.hears(h.messages.resolved);
  return { c, id };
}

/** Says `text` and waits for `expected` after everything heard so far. */
async function exchange(c: MockCustomer, text: string, expected: string | RegExp): Promise<void> {
  const n = c.heard.length;
  c.say(text);
  await c.hears(expected, n);
}

describe('the agent\'s name the customer hears', () => {
  it('the display name when set; without one a phrase with no name, never the internal name', async () => {
    const a = await served(ALICE);
    expect(a.c.heard).toContain(renderTemplate(h.messages.agent_joined, { agent: '小爱' }));
    const b = await served(ROOT);
    expect(b.c.heard).toContain(h.messages.agent_joined_unnamed);
    expect([...a.c.heard, ...b.c.heard].join('\n')).not.toMatch(/Administrator|李爱丽/);
  }, 30_000);
});

describe('a transfer', () => {
  it('tells the customer who took over (by display name; none without one), never the internal name', async () => {
    const c = h.customer();
    c.say('转人工');
    await c.hears(QUEUED);
    const id = await c.conversationId();
    await consoleSide.claim(id, ALICE);
    await c.hears(renderTemplate(h.messages.agent_joined, { agent: '小爱' }));
    const BOB = { id: 'bob', name: '王博（售后二组）', publicName: '小博' };
    await consoleSide.transfer(id, BOB, { expectedOwner: ALICE.id });
    await c.hears(renderTemplate(h.messages.agent_joined, { agent: '小博' }));
    const n = c.heard.length;
    await consoleSide.transfer(id, ROOT, { expectedOwner: BOB.id });
    await c.hears(h.messages.agent_joined_unnamed, n);
    expect(c.heard.join('\n')).not.toMatch(/王博|Administrator/);
  }, 30_000);
});

describe('ratings', () => {
  it('the thanks differ by score: 4-5 and 3', async () => {
    const good = await served(ALICE);
    await exchange(good.c, '5', h.messages.rating_thanks_high);
    const mid = await served(ALICE);
    await exchange(mid.c, '一般', h.messages.rating_thanks);
    expect(h.messages.rating_thanks_high).not.toBe(h.messages.rating_thanks);
  }, 30_000);

  it('a rating in the customer\'s words ("五星好评") is recorded as a 5 and the chat stays resolved (it once went to the queue)', async () => {
    const { c, id } = await served(ALICE);
    await exchange(c, '五星好评', h.messages.rating_thanks_high);
    await c.recorded('五星好评');
    expect(await h.handoff.conversation(id)).toMatchObject({ status: 'resolved', resolvedBy: 'alice' });
    const ratings = await h.handoff.ratings(0, Date.now() + 1_000);
    expect(ratings.filter((r) => r.conv === id).map((r) => r.score)).toEqual([5]);
  }, 30_000);

  it('a slip off the scale ("6") gets the scale again, and the next "4分" still rates the chat', async () => {
    const { c, id } = await served(ALICE);
    await exchange(c, '6', h.messages.rating_range);
    await exchange(c, '4分', h.messages.rating_thanks_high);
    await c.recorded('4分');
    const ratings = await h.handoff.ratings(0, Date.now() + 1_000);
    expect(ratings.filter((r) => r.conv === id).map((r) => r.score)).toEqual([4]);
    expect((await h.handoff.conversation(id))!.status).not.toBe('waiting');
  }, 30_000);

  it('the rating keeps the chat resolved (in 已解决, with who closed it); the customer\'s next words go to the bot, a number a menu pick', async () => {
    const { c, id } = await served(ALICE);
    await exchange(c, '5', h.messages.rating_thanks_high);
    await c.recorded('5');
    expect(await h.handoff.conversation(id)).toMatchObject({ status: 'resolved', resolvedBy: 'alice' });
    expect(await h.redis.zscore(h.handoff.keys.resolved(h.botId), id)).not.toBeNull();
    await exchange(c, '菜单', h.messages.menu_header);
    expect((await h.handoff.conversation(id))!.status).toBe('bot');
    expect(await h.redis.zscore(h.handoff.keys.resolved(h.botId), id)).toBeNull();
    const n = c.heard.length;
    c.say('2');
    await c.hears(h.messages.feedback_question, n);
    const ratings = await h.handoff.ratings(0, Date.now() + 1_000);
    expect(ratings.filter((r) => r.conv === id).map((r) => r.score)).toEqual([5]);
  }, 30_000);

  it('a 1 asks what went wrong; what the customer writes next goes to a person (差评跟进, ahead of the queue), kept for the managers\' list', async () => {
    // Someone already waiting, asked earlier: the low-rating follow-up is due before them.
    const before = h.customer();
    before.say('转人工');
    await before.hears(QUEUED);
    const { c, id } = await served(ALICE);
    await exchange(c, '1', h.messages.rating_low_followup);
    // The stranger's case: a complaint after the rating is no question for the bot.
    const n = c.heard.length;
    c.say('升级了还是不行，你们这个客服太差了');
    await c.hears(h.messages.rating_comment_thanks, n);
    await c.hears(QUEUED, n);
    const conv = (await h.handoff.conversation(id))!;
    expect(conv).toMatchObject({ status: 'waiting', reason: 'low_rating', question: '升级了还是不行，你们这个客服太差了' });
    const waiting = await h.handoff.listWaiting();
    expect(waiting.map((w) => w.id)).toContain(await before.conversationId());
    expect(waiting[0]!.id).toBe(id);
    expect(await h.redis.hget(h.handoff.keys.conversation(id), 'lowRatingComment')).toBe('升级了还是不行，你们这个客服太差了');
    expect((await h.redis.hget(h.handoff.keys.conversation(id), 'lowRating'))).toBe('1');
    const { items } = await h.handoff.lowRatings.list({ state: 'pending' });
    expect(items.find((r) => r.conv === id)).toMatchObject({ score: 1, agentId: 'alice', comment: '升级了还是不行，你们这个客服太差了', status: 'waiting', state: 'pending' });
  }, 30_000);

  it('the window stays open over 谢谢: the next question still goes to a person, not to the FAQ', async () => {
    const { c, id } = await served(ALICE);
    await exchange(c, '2', h.messages.rating_low_followup);
    const n = c.heard.length;
    c.say('谢谢');
    await waitFor('the thanks answered', async () => c.heard.length > n);
    expect((await h.handoff.conversation(id))!.status).toBe('bot');
    await exchange(c, '录屏没有声音怎么办', QUEUED);
    expect((await h.handoff.conversation(id))!).toMatchObject({ status: 'waiting', reason: 'low_rating', question: '录屏没有声音怎么办' });
  }, 30_000);

  it('a 2 then 人工 goes straight to the queue as a low-rating follow-up; 不用了 ends it politely', async () => {
    const first = await served(ALICE);
    await exchange(first.c, '2', h.messages.rating_low_followup);
    await exchange(first.c, '人工', QUEUED);
    expect((await h.handoff.conversation(first.id))!.reason).toBe('low_rating');

    const second = await served(ALICE);
    await exchange(second.c, '不满意', h.messages.rating_low_followup);
    await exchange(second.c, '不用了', h.messages.offer_declined);
    // Back with the bot (a message after a resolve reopens the chat), no one queued.
    expect((await h.handoff.conversation(second.id))!.status).toBe('bot');
    expect(await h.redis.hget(h.handoff.keys.conversation(second.id), 'lowRatingComment')).toBeNull();
  }, 30_000);
});

describe('an angry customer', () => {
  it('anger at the service is said sorry to and goes to a person ahead of the queue (客户不满), not to a "did you mean" list', async () => {
    const before = h.customer();
    before.say('转人工');
    await before.hears(QUEUED);
    const c = h.customer();
    c.say('你们客服太垃圾了');
    await c.hears(h.messages.complaint_handoff);
    await c.hears(QUEUED);
    expect(c.heard.some((t) => t.includes(h.messages.suggest_header))).toBe(false);
    const id = await c.conversationId();
    expect((await h.handoff.conversation(id))!).toMatchObject({ status: 'waiting', reason: 'complaint', question: '你们客服太垃圾了' });
    // Due as a VIP's: ahead of the customer who asked earlier.
    const waiting = await h.handoff.listWaiting();
    const earlier = await before.conversationId();
    expect(waiting.findIndex((w) => w.id === earlier)).toBeGreaterThanOrEqual(0);
    expect(waiting.findIndex((w) => w.id === id)).toBeLessThan(waiting.findIndex((w) => w.id === earlier));
  }, 30_000);
});

describe('the fix notice', () => {
  it('says the customer-facing title (never the internal one) and closes the note\'s sentence', async () => {
    const c = h.customer();
    c.say('转人工');
    await c.hears(QUEUED);
    const id = await c.conversationId();
    const problem = await h.handoff.problems.create({ title: 'P0 iOS17 ReplayKit 编码器崩溃', publicTitle: 'iPhone 录屏黑屏', by: ALICE });
    await h.handoff.problems.link(id, problem.id, ALICE);
    await h.handoff.problems.fixed(problem.id, { note: '已在 3.2.1 修复，升级后即可', by: ALICE });
    const notice = await c.hears(/已经修好了/);
    expect(notice).toBe(renderTemplate(h.messages.problem_fixed, { title: 'iPhone 录屏黑屏', note: '已在 3.2.1 修复，升级后即可。' }));
    expect(notice).not.toContain('ReplayKit');
    expect(notice.split('\n')).toEqual(['好消息！您之前遇到的「iPhone 录屏黑屏」已经修好了。', '已在 3.2.1 修复，升级后即可。', '给您添麻烦了，还有问题随时找我们🙏']);
  }, 30_000);
});
