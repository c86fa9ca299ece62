/**
 * The bot's memory of a chat outlives a restart: through the real Wechaty runtime on
 * wechaty-puppet-mock and a real redis-server, a bot process stops in the middle of a "did you
 * mean" (and of a low rating's follow-up), the next one starts on the same account, and the
 * customer's "2" still picks the entry (the follow-up still goes to a person). Also: a memory
 * too old is not taken back, an unreadable one is skipped, and a Wechaty re-login (every contact id
 * new) keeps the memory in the same process.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PAUSE_MS } from '../../src/bot/policy.ts';
import { SESSION_KEEP_MS, SessionMemory, SessionStore } from '../../src/bot/sessions.ts';
import { DEFAULT_SLA_POLICY, Handoff } from '../../src/handoff/index.ts';
import { renderAnswer } from '../../src/knowledge/index.ts';
import { MockCustomer, relogin, startHarness, type Harness } from '../support/bot.ts';
import { useRedisServer } from '../support/hooks.ts';
import type { RedisServer } from '../support/redis.ts';

let server: RedisServer;
useRedisServer((s) => (server = s));

const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.stop()));
});
const start = async (...args: Parameters<typeof startHarness>): Promise<Harness> => {
  const h = await startHarness(...args);
  harnesses.push(h);
  return h;
};
const stop = async (h: Harness): Promise<void> => {
  harnesses.splice(harnesses.indexOf(h), 1);
  await h.stop();
};

const answerOf = (h: Harness, id: string): string => renderAnswer(h.knowledge.matcher().entry(id)!.answer)[0]!;

describe('the chat\'s memory across a restart', () => {
  it('a "did you mean" asked before the restart is answered by number after it', async () => {
    const a = await start(server.url, { botId: 'restart-a' });
    const before = a.customer({ name: '重启前的客户' });
    before.say('导出');
    await before.hears(a.messages.suggest_header);
    const customerId = await before.customerId();
    await stop(a);

    const b = await start(server.url, { botId: 'restart-a' }, { prefix: a.prefix });
    // Left by the stopped process: the offered list behind the numbers.
    const left = JSON.parse((await b.redis.hget(b.handoff.keys.botSessions('restart-a'), customerId!))!) as { session: { offered: string[] } };
    expect(left.session.offered).toContain('remove-watermark');
    // The same WeChat contact, met by the new process.
    const after = new MockCustomer(b, b.mocker.createContact({ id: before.id, name: '重启前的客户' }));
    expect(await after.customerId()).toBe(customerId);
    after.say('2');
    await after.hears(answerOf(b, 'remove-watermark'));
    expect(after.heard.join('\n')).not.toContain(b.messages.pick_number.slice(0, 6));
  });

  it('a 1-2 rating\'s follow-up window survives it: the complaint after the restart goes to a person', async () => {
    const a = await start(server.url, { botId: 'restart-b' });
    const agent = { id: 'alice', name: 'Alice', publicName: '小爱' };
    const before = a.customer({ name: '打了差评的客户' });
    before.say('转人工');
    await before.hears(/排第 \d+ 位/);
    const id = await before.conversationId();
    // As the console does it.
    const consoleSide = new Handoff(a.redis, { prefix: a.prefix, policy: DEFAULT_SLA_POLICY, announceClaims: true });
    await consoleSide.claim(id, agent);
    await consoleSide.reply(id, agent, '已经帮您处理好了');
    await before.hears('已经帮您处理好了');
    await consoleSide.resolve(id, { by: agent.id });
    await before.hears(a.messages.resolved);
    before.say('1');
    await before.hears(a.messages.rating_low_followup);
    await stop(a);

    const b = await start(server.url, { botId: 'restart-b' }, { prefix: a.prefix });
    const after = new MockCustomer(b, b.mocker.createContact({ id: before.id, name: '打了差评的客户' }));
    // Words an FAQ entry answers: within the window they are the complaint, for a person.
    after.say('录屏没有声音怎么办');
    await after.hears(b.messages.rating_comment_thanks);
    expect(await b.handoff.conversation(id)).toMatchObject({ status: 'waiting', reason: 'low_rating' });
  });

  it('a Wechaty re-login (every contact id new) keeps the memory in the same process', async () => {
    const h = await start(server.url, { botId: 'relogin' });
    const before = h.customer({ name: '换了 id 的客户', city: '苏州' });
    before.say('导出');
    await before.hears(h.messages.suggest_header);
    const conv = await before.conversationId();
    await relogin(h);

    const { id: _old, ...profile } = before.contact.payload;
    const after = h.customer({ ...profile });
    expect(after.id).not.toBe(before.id);
    after.say('2');
    await after.hears(answerOf(h, 'remove-watermark'));
    expect(await after.conversationId()).toBe(conv);
  });
});

describe('a customer back after a pause', () => {
  it('is not held to what the bot was waiting for before it: an answer they turned down is given again', async () => {
    let clock = Date.now();
    const h = await start(server.url, { botId: 'pause', now: () => clock });
    const c = h.customer({ name: '过了一阵又回来的客户' });
    const answer = answerOf(h, 'no-sound');
    c.say('录屏没声音');
    await c.hears(answer);
    c.say('2');
    await c.hears(h.messages.not_helpful_offer);
    c.say('不用了');
    await c.hears(h.messages.offer_declined);
    // At once, the same question does not get the answer just turned down.
    let from = c.heard.length;
    c.say('录屏没有声音怎么办');
    await c.hears(/您想问的是不是/, from);
    expect(c.heard.slice(from).join('\n')).not.toContain(answer);
    // Half an hour later: a new conversation with the bot; the list offered before is gone too.
    clock += PAUSE_MS;
    from = c.heard.length;
    c.say('录屏没有声音怎么办');
    await c.hears(answer, from);
    from = c.heard.length;
    c.say('录屏没声音');
    await c.hears(h.messages.answer_again, from);
  });
});

describe('SessionStore', () => {
  it('keeps fresh memories, skips old and unreadable ones', async () => {
    const redis = server.client();
    const handoff = new Handoff(redis, { prefix: `t${Date.now()}`, policy: DEFAULT_SLA_POLICY });
    let now = 1_000_000_000_000;
    const store = new SessionStore({ redis, keys: handoff.keys, botId: 'mem', now: () => now });
    expect(await store.save([
      ['fresh', { at: now, session: { offered: ['a', 'b'], suggested: true } }],
      ['old', { at: now - SESSION_KEEP_MS - 1, session: { greeted: true } }],
    ])).toBe(true);
    await redis.hset(handoff.keys.botSessions('mem'), 'broken', '{"at":1,"session":{"offered":"not a list"}}');
    expect(await redis.pttl(handoff.keys.botSessions('mem'))).toBeGreaterThan(SESSION_KEEP_MS - 5_000);
    const memory = new SessionMemory(() => now);
    expect(await store.load(memory)).toBe(1);
    expect(memory.take('fresh')).toEqual({ offered: ['a', 'b'], suggested: true });
    expect(memory.take('fresh')).toBeUndefined();
    expect(memory.take('old')).toBeUndefined();
    expect(memory.take('broken')).toBeUndefined();
    // Taken late: too old by then.
    memory.keep('late', { greeted: true }, now);
    now += SESSION_KEEP_MS + 1;
    expect(memory.take('late')).toBeUndefined();
    redis.disconnect();
  });
});
