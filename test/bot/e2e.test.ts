/**
 * The bot end to end: the real Wechaty runtime on wechaty-puppet-mock, the real knowledge base and
 * the KefuBot plugin over a real redis-server. Mock customers talk to the bot; agents act through
 * the Handoff API (claim, reply, resolve) the console uses.
 */
import { FileBox } from 'file-box';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { types } from 'wechaty';
import { KefuBot } from '../../src/bot/index.ts';
import { renderTemplate } from '../../src/bot/messages.ts';
import { kindLabel } from '../../src/bot/policy.ts';
import { WITHDRAWN_BY } from '../../src/handoff/index.ts';
import { renderAnswer } from '../../src/knowledge/index.ts';
import { BOT_NAME, OUTBOUND_GROUP, relogin, startHarness, type Harness } from '../support/bot.ts';
import { useRedisServer } from '../support/hooks.ts';
import type { RedisServer } from '../support/redis.ts';
import { groupDrained } from '../support/streams.ts';
import { waitFor } from '../support/waits.ts';

let server: RedisServer;
let redis: Redis;
useRedisServer(
  (s, c) => {
    server = s;
    redis = c;
  },
  // Survives the restart of the last test.
  { appendonly: true, appendfsync: 'everysec' },
);

let h: Harness;
beforeAll(async () => {
  h = await startHarness(server.url);
});
afterAll(async () => {
  await h?.stop();
});

const ALICE = { id: 'alice', name: 'Alice' };
/** The first message of an entry's rendered answer. */
const answerOf = (id: string): string => renderAnswer(h.knowledge.matcher().entry(id)!.answer)[0]!;
const QUEUED = /排第 \d+ 位/;

describe('KefuBot on wechaty-puppet-mock', () => {
  it('answers an FAQ question with the entry\'s answer, recorded in the transcript with its confidence', async () => {
    const c = h.customer({ name: '王小明' });
    c.say('录屏没有声音怎么办');
    await c.hears(answerOf('no-sound'));
    await c.hears(h.messages.feedback_question);
    const t = await c.transcript();
    expect(t[0]).toMatchObject({ from: 'customer', text: '录屏没有声音怎么办' });
    expect(t[0]!.msgId).toBeTruthy();
    const answer = t.find((m) => m.from === 'bot' && m.faqId === 'no-sound');
    expect(answer?.confidence).toBeGreaterThan(0.5);
    const conv = await h.handoff.conversation(await c.conversationId());
    expect(conv).toMatchObject({ status: 'bot', customer: { name: '王小明' } });
  });

  it('two questions in one message: each answer in its own message under a line naming it, one feedback check', async () => {
    const c = h.customer();
    const hitsBefore = await h.handoff.faqHits();
    c.say('会员怎么退款？另外发票在哪开');
    const lead = (id: string): string => renderTemplate(h.messages.answer_part, { question: h.knowledge.matcher().entry(id)!.question });
    const refund = await c.hears(lead('refund'));
    expect(refund).toBe(`${lead('refund')}\n${answerOf('refund')}`);
    const invoice = await c.hears(lead('invoice'));
    expect(invoice.startsWith(`${lead('invoice')}\n${answerOf('invoice')}`)).toBe(true);
    expect(c.heard.indexOf(refund)).toBeLessThan(c.heard.indexOf(invoice));
    await c.hears(h.messages.feedback_question);
    await waitFor('both answers recorded', async () => (await c.transcript()).filter((m) => m.from === 'bot' && m.faqId).length === 2);
    // Each entry answered is a hit for editors.
    const hits = await h.handoff.faqHits();
    expect([(hits.refund ?? 0) - (hitsBefore.refund ?? 0), (hits.invoice ?? 0) - (hitsBefore.invoice ?? 0)]).toEqual([1, 1]);
    const t = await c.transcript();
    expect(t.filter((m) => m.from === 'bot' && m.faqId).map((m) => m.faqId)).toEqual(['refund', 'invoice']);
  });

  it('a detail right after an answer ("mac") gets the line of that answer that speaks of it, not another entry', async () => {
    const c = h.customer();
    c.say('录屏没有声音怎么办');
    await c.hears(h.messages.feedback_question);
    const from = c.heard.length;
    c.say('mac');
    const said = await c.hears(/^Mac：录系统声音/u, from);
    expect(said).toContain('（还没解决的话回复 2');
    expect(c.heard.slice(from).join('\n')).not.toContain(answerOf('mac-permission'));
    // The check stays open for the sound answer: "2" is about it.
    c.say('2');
    await c.hears(h.messages.not_helpful_offer, from);
  });

  it('"did you mean", then a number picks the entry', async () => {
    const c = h.customer();
    c.say('导出');
    await c.hears(h.messages.suggest_header);
    const n = c.heard.length;
    c.say('2');
    await c.hears(answerOf('remove-watermark'), n);
  });

  it('a "did you mean" list the customer never picks from is a gap for editors; one picked from is not', async () => {
    const [left, picker] = [h.customer(), h.customer()];
    for (const c of [left, picker]) {
      c.say('导出');
      await c.hears(h.messages.suggest_header);
    }
    const n = picker.heard.length;
    picker.say('2');
    await picker.hears(answerOf('remove-watermark'), n);
    const [gone, picked] = [await left.conversationId(), await picker.conversationId()];
    await waitFor('the pick recorded', async () => (await picker.transcript()).some((m) => m.from === 'bot' && m.faqId === 'remove-watermark'));
    await waitFor('the unpicked list is a gap', async () => (await h.handoff.knowledgeGaps(100)).some((g) => g.conv === gone));
    const gaps = await h.handoff.knowledgeGaps(100);
    expect(gaps.find((g) => g.conv === gone)).toMatchObject({ reason: 'suggested', text: '导出' });
    expect(gaps.filter((g) => g.conv === picked)).toEqual([]);
  });

  it('the menu, then a number answers that entry; "1 有帮助" is counted as feedback', async () => {
    const c = h.customer();
    c.say('菜单');
    const menu = await c.hears(h.messages.menu_header);
    expect(menu).toContain('1.');
    const n = c.heard.length;
    c.say('1');
    await c.hears(answerOf('no-sound'), n);
    await c.hears(h.messages.feedback_question, n);
    c.say('1');
    await c.hears(h.messages.feedback_thanks, n);
    await waitFor('the feedback in the transcript', async () =>
      (await c.transcript()).some((m) => m.from === 'system' && m.kind === 'feedback' && m.faqId === 'no-sound' && m.text === 'helpful'),
    );
  });

  it('what the bot made of each turn is counted for editors: answers per entry, the questions it could not answer, "没解决"', async () => {
    const before = (await h.handoff.faqHits())['time-limit'] ?? 0;
    const c = h.customer();
    c.say('录到十分钟为什么自己停了');
    await c.hears(answerOf('time-limit'));
    await waitFor('the hit counted', async () => ((await h.handoff.faqHits())['time-limit'] ?? 0) === before + 1);
    const n = c.heard.length;
    c.say('2');
    await c.hears(h.messages.not_helpful_offer, n);
    const other = h.customer();
    other.say('帮我写首诗');
    await other.hears(h.messages.low_confidence_handoff);
    const [mine, theirs] = [await c.conversationId(), await other.conversationId()];
    await waitFor('both gaps recorded', async () => (await h.handoff.knowledgeGaps(50)).filter((g) => g.conv === mine || g.conv === theirs).length === 2);
    const gaps = await h.handoff.knowledgeGaps(50);
    expect(gaps.find((g) => g.conv === mine)).toMatchObject({ reason: 'not_helpful', faqId: 'time-limit', text: '录到十分钟为什么自己停了' });
    expect(gaps.find((g) => g.conv === theirs)).toMatchObject({ reason: 'unanswered', faqId: null, text: '帮我写首诗' });
    // Accepting the offered person queues the chat with the question that was asked, not the "1".
    c.say('1');
    await c.hears(QUEUED, n);
    expect(await h.handoff.conversation(mine)).toMatchObject({ status: 'waiting', reason: 'not_helpful', question: '录到十分钟为什么自己停了' });
  });

  it('转人工 queues the conversation (customer_asked) and tells the customer where they stand', async () => {
    const c = h.customer();
    c.say('转人工');
    await c.hears(QUEUED);
    const conv = await h.handoff.conversation(await c.conversationId());
    expect(conv).toMatchObject({ status: 'waiting', reason: 'customer_asked' });
    const queued = await h.handoff.listWaiting();
    expect(queued.map((q) => q.id)).toContain(conv!.id);
  });

  it('while waiting for a person, a question the FAQ is sure of is answered and the chat keeps its place in the queue', async () => {
    const c = h.customer();
    c.say('转人工');
    await c.hears(QUEUED);
    const before = c.heard.length;
    c.say('录屏没有声音怎么办');
    const heard = await c.hears('您仍在排队', before);
    // The entry's answer, then the word that the place in the queue is kept.
    expect(heard).toMatch(/声音[\s\S]*您仍在排队/);
    const id = await c.conversationId();
    expect(await h.handoff.conversation(id)).toMatchObject({ status: 'waiting', reason: 'customer_asked' });
    expect((await h.handoff.listWaiting()).map((q) => q.id)).toContain(id);
    // The agent who takes the chat reads what the bot said meanwhile.
    const t = await h.handoff.transcript(id);
    expect(t.some((m) => m.from === 'bot' && m.faqId === 'no-sound')).toBe(true);
  });

  it('in the queue, "还要等多久" gets the place and the time now; a complaint an apology with them, and the chat due sooner', async () => {
    const c = h.customer();
    c.say('转人工');
    await c.hears(QUEUED);
    const n = c.heard.length;
    c.say('还要等多久');
    const place = await c.hears(/排第 \d+ 位/, n);
    expect(place).toBe(renderTemplate(h.messages.queue_place, { position: /排第 (\d+) 位/.exec(place)![1]!, time: /最晚(.+?) 前/.exec(place)![1]! }));
    const id = await c.conversationId();
    const dueBefore = Date.parse((await h.handoff.conversation(id))!.slaDueAt!);
    const m = c.heard.length;
    c.say('好慢啊 再不回我去12315投诉了');
    const sorry = await c.hears('已为您加急处理', m);
    expect(sorry).toMatch(/排第 \d+ 位/);
    // Asked, not queued again: still waiting, no second handoff; the complaint made it due sooner.
    const conv = (await h.handoff.conversation(id))!;
    expect(conv).toMatchObject({ status: 'waiting', reason: 'complaint' });
    expect(Date.parse(conv.slaDueAt!)).toBeLessThan(dueBefore);
    const t = await c.transcript();
    expect(t.filter((x) => x.event === 'waiting')).toHaveLength(1);
    expect(t.filter((x) => x.event === 'escalated')).toHaveLength(1);
  });

  it('a customer who no longer needs the person leaves the queue: asked first, "1" closes it as withdrawn; an agent who took it first keeps it', async () => {
    const c = h.customer();
    c.say('转人工');
    await c.hears(QUEUED);
    const id = await c.conversationId();
    const n = c.heard.length;
    c.say('我自己弄好了');
    await c.hears(h.messages.queue_leave_confirm, n);
    // Asked, not yet left.
    expect((await h.handoff.conversation(id))!.status).toBe('waiting');
    c.say('1');
    await c.hears(h.messages.queue_left, n);
    expect(await h.handoff.conversation(id)).toMatchObject({ status: 'resolved', resolvedBy: WITHDRAWN_BY });
    expect((await h.handoff.listWaiting()).map((q) => q.id)).not.toContain(id);
    const t = await c.transcript();
    // The "1" is recorded before the close, and the close after it, in order.
    const one = t.findIndex((m) => m.from === 'customer' && m.text === '1');
    const closed = t.findIndex((m) => m.event === 'resolved' && m.agentId === WITHDRAWN_BY);
    expect(one).toBeGreaterThan(-1);
    expect(closed).toBeGreaterThan(one);
    // The chat is the bot's again: a question is answered as usual.
    const m = c.heard.length;
    c.say('录屏没有声音怎么办');
    await c.hears(answerOf('no-sound'), m);

    // Another customer confirms just after an agent claimed the chat: it stays with the agent.
    const d = h.customer();
    d.say('转人工');
    await d.hears(QUEUED);
    const k = d.heard.length;
    d.say('不用转人工了');
    await d.hears(h.messages.queue_leave_confirm, k);
    const other = await d.conversationId();
    await h.handoff.claim(other, ALICE);
    d.say('1');
    await d.recorded('1');
    expect(await h.handoff.conversation(other)).toMatchObject({ status: 'active', assignee: { id: 'alice' } });
    expect(d.heard.slice(k)).not.toContain(h.messages.queue_left);
  });

  it('an agent reply reaches the customer; the bot is silent while the agent has the chat; resolve asks for a rating, then the bot answers again', async () => {
    const c = h.customer();
    c.say('人工客服');
    await c.hears(QUEUED);
    const id = await c.conversationId();
    await h.handoff.claim(id, ALICE);
    await h.handoff.reply(id, ALICE, '您好，我是 Alice，您遇到什么问题了？');
    await c.hears('我是 Alice');

    const n = c.heard.length;
    c.say('录屏没有声音怎么办');
    // A later line in the transcript: the bot has finished the question's turn, replies included.
    c.say('在吗');
    await c.recorded('在吗');
    expect(c.heard.slice(n)).toEqual([]);

    await h.handoff.resolve(id, { by: ALICE.id });
    await c.hears(h.messages.resolved, n);
    const m = c.heard.length;
    c.say('录屏没有声音怎么办');
    await c.hears(answerOf('no-sound'), m);
    expect((await h.handoff.conversation(id))!.status).toBe('bot');
  });

  it('the rating after a resolve is thanked and recorded with the agent and the topic; a low one flags the chat for a manager', async () => {
    const rate = async (reply: string, thanks: string) => {
      const c = h.customer();
      c.say('录屏没有声音怎么办');
      await c.hears(answerOf('no-sound'));
      c.say('转人工');
      await c.hears(QUEUED);
      const id = await c.conversationId();
      await h.handoff.claim(id, ALICE);
      // Only a chat an agent answered asks for a rating.
      await h.handoff.reply(id, ALICE, '已为您处理好了');
      await h.handoff.setTags(id, ['audio']);
      await h.handoff.resolve(id, { by: ALICE.id });
      await c.hears(h.messages.resolved);
      const n = c.heard.length;
      c.say(reply);
      await c.hears(thanks, n);
      return id;
    };
    const before = await h.handoff.totals();
    const t0 = Date.now() - 1;
    const good = await rate('5', h.messages.rating_thanks_high);
    const bad = await rate('不满意', h.messages.rating_low_followup);
    await waitFor('both ratings recorded', async () => (await h.handoff.ratings(t0, Date.now() + 1)).length === 2);
    const ratings = await h.handoff.ratings(t0, Date.now() + 1);
    expect(ratings.map((r) => [r.conv, r.score, r.agentId, r.tags, r.faqId, r.botId])).toEqual([
      [good, 5, ALICE.id, ['audio'], 'no-sound', h.botId],
      [bad, 2, ALICE.id, ['audio'], 'no-sound', h.botId],
    ]);
    const after = await h.handoff.totals();
    expect((after['csat:count'] ?? 0) - (before['csat:count'] ?? 0)).toBe(2);
    expect((after['csat:sum'] ?? 0) - (before['csat:sum'] ?? 0)).toBe(7);
    // The low one is flagged, and announced to consoles.
    expect(await h.redis.zscore(h.handoff.keys.flagged(h.botId), bad)).not.toBeNull();
    expect(await h.redis.zscore(h.handoff.keys.flagged(h.botId), good)).toBeNull();
    const events = await h.handoff.eventsBetween(h.botId, '0');
    expect(events.filter((e) => e.type === 'low_rating').map((e) => [e.conv, e.data.score])).toEqual([[bad, '2']]);
  });

  it('non-text: an image gets the text-only reply from the bot; a link during a handoff goes to the transcript as a placeholder', async () => {
    const c = h.customer();
    c.contact.say(FileBox.fromBase64(Buffer.from('not really a png').toString('base64'), 'screenshot.png')).to(h.user);
    await c.hears(renderTemplate(h.messages.text_only, { kind: kindLabel('image') }));
    expect((await c.transcript())[0]).toMatchObject({ from: 'customer', kind: 'image', text: '[图片]' });

    const d = h.customer();
    d.say('转人工');
    await d.hears(QUEUED);
    const n = d.heard.length;
    const msgId = d.emit({ type: types.Message.Url });
    await waitFor('the link in the transcript', async () => (await d.transcript()).some((m) => m.msgId === msgId));
    const link = (await d.transcript()).find((m) => m.msgId === msgId);
    expect(link).toMatchObject({ from: 'customer', kind: 'link', text: '[链接]', url: 'https://mock.url' });
    // A later line in the transcript: the link's turn is over, replies included. The link got
    // none; asking after the queue is told the place in it.
    d.say('还在排队吗');
    await d.recorded('还在排队吗');
    const place = await d.hears(/排第 \d+ 位/, n);
    expect(d.heard.slice(n)).toEqual([place]);
  });

  it('drops duplicates (the same message id delivered again) and old messages', async () => {
    const c = h.customer();
    const id = c.emit({ text: '录屏没有声音怎么办' });
    await c.hears(h.messages.feedback_question);
    const heard = c.heard.length;
    h.redeliver(id);
    c.emit({ text: '发票', timestamp: Date.now() - 10 * 60_000 });
    // Still listening: a new question after them is answered, and the bot handles a customer's
    // messages in order, so by its answer the two before it have been dropped (or not).
    c.say('录到十分钟为什么自己停了');
    await c.hears(answerOf('time-limit'), heard);
    expect(c.heard.slice(heard).filter((t) => t.includes(answerOf('invoice')) || t.includes(answerOf('no-sound')))).toEqual([]);
    const customerMsgs = (await c.transcript()).filter((m) => m.from === 'customer');
    expect(customerMsgs.map((m) => m.text)).toEqual(['录屏没有声音怎么办', '录到十分钟为什么自己停了']);
  });

  it('in a group chat the bot answers only when @-mentioned, with the mention stripped before matching', async () => {
    const c = h.customer({ name: '群成员' });
    const room = h.mocker.createRoom({ topic: '闪录用户群', memberIdList: [h.user.id, c.id] });
    const inRoom: string[] = [];
    room.on('message', (m) => {
      if (m.payload.talkerId === h.user.id) inRoom.push(m.payload.text ?? '');
    });
    c.contact.say('发票').to(room);
    c.contact.say(`@${BOT_NAME} 录屏没有声音怎么办`, [h.user]).to(room);
    await waitFor('the answer in the room', () => inRoom.some((t) => t.includes(answerOf('no-sound'))));
    // One member's messages are handled in order: by the answer to the mention, the line without
    // one has been passed over.
    expect(inRoom.filter((t) => t.includes(answerOf('invoice')))).toEqual([]);
    expect(inRoom[0]).toContain(answerOf('no-sound'));
    expect(c.heard).toEqual([]);
  });

  it('a failed send of an agent reply is retried from the outbound stream and arrives once', async () => {
    const c = h.customer();
    c.say('转人工');
    await c.hears(QUEUED);
    const id = await c.conversationId();
    await h.handoff.claim(id, ALICE);
    const original = h.puppet.messageSendText.bind(h.puppet);
    let failures = 0;
    h.puppet.messageSendText = async (to: string, text: string) => {
      if (to === c.id && failures === 0) {
        failures++;
        throw new Error('network down');
      }
      return original(to, text);
    };
    try {
      await h.handoff.reply(id, ALICE, '稍等，我查一下');
      await c.hears('稍等，我查一下');
      await h.outboundDrained();
      expect(failures).toBe(1);
      expect(c.heard.filter((t) => t === '稍等，我查一下')).toHaveLength(1);
    } finally {
      h.puppet.messageSendText = original;
    }
  });

  it('identity survives a re-login that changes contact ids: the same person keeps their conversation', async () => {
    const before = h.customer({ name: '老顾客', city: '杭州', province: '浙江' });
    before.say('发票');
    await before.hears(answerOf('invoice'));
    const conv = await before.conversationId();

    await relogin(h);

    // The puppet knows the same person under a new contact id now.
    const { id: _old, ...profile } = before.contact.payload;
    const after = h.customer({ ...profile });
    expect(after.id).not.toBe(before.id);
    after.say('录屏没有声音怎么办');
    await after.hears(answerOf('no-sound'));
    expect(await after.conversationId()).toBe(conv);
    const texts = (await h.handoff.transcript(conv)).filter((m) => m.from === 'customer').map((m) => m.text);
    expect(texts).toEqual(['发票', '录屏没有声音怎么办']);

    // Someone else with a different profile is someone else.
    const stranger = h.customer({ name: '新顾客' });
    stranger.say('发票');
    await stranger.hears(answerOf('invoice'));
    expect(await stranger.conversationId()).not.toBe(conv);
  });

  it('a chat parked on a known problem: the customer is told at once, and not again when they write while it waits', async () => {
    const c = h.customer();
    c.say('导出一直失败，转人工');
    await c.hears(QUEUED);
    const conv = await c.conversationId();
    await h.handoff.claim(conv, ALICE);
    const problem = await h.handoff.problems.create({ title: '导出失败', by: ALICE });
    await h.handoff.problems.link(conv, problem.id, ALICE);
    await c.hears(h.messages.awaiting_fix);
    await h.outboundDrained();
    await waitFor('the notice in the transcript', async () => (await c.transcript()).some((m) => m.from === 'bot' && m.text === h.messages.awaiting_fix));
    // Writing again while it waits: recorded for the agents, no second "正在修复中".
    const n = c.heard.length;
    c.say('修好了吗？');
    await waitFor('the message recorded', async () => (await c.transcript()).some((m) => m.from === 'customer' && m.text === '修好了吗？'));
    await new Promise((r) => setTimeout(r, 300));
    expect(c.heard.slice(n).filter((t) => t === h.messages.awaiting_fix)).toHaveLength(0);
    expect((await h.handoff.conversation(conv))!.status).toBe('awaiting_fix');
  });

  it('a known problem fixed while the bot was down: each parked customer hears the templated notice once, after the restart', async () => {
    const [c1, c2] = [h.customer(), h.customer()];
    for (const c of [c1, c2]) {
      c.say('导出的视频打不开，转人工');
      await c.hears(QUEUED);
    }
    const problem = await h.handoff.problems.create({ title: '导出的视频打不开', by: ALICE });
    for (const c of [c1, c2]) await h.handoff.problems.link(await c.conversationId(), problem.id, ALICE);
    // Told at once that it is a known problem being fixed.
    for (const c of [c1, c2]) await c.hears(h.messages.awaiting_fix);
    await h.outboundDrained();
    const heard = [c1.heard.length, c2.heard.length];

    // The bot stops (a restart): the notices wait in its outbound stream.
    await h.plugin.stop();
    expect((await h.handoff.problems.fixed(problem.id, { note: '请升级到 3.2.1。', by: ALICE })).notified).toBe(2);
    await h.handoff.problems.fixed(problem.id, { note: '请升级到 3.2.1。', by: ALICE });
    // Stopped means nothing read them: the notices are in the stream, not yet delivered.
    expect(await groupDrained(h.redis, h.handoff.keys.outbound(h.botId), OUTBOUND_GROUP)).toBe(false);
    expect(c1.heard.length).toBe(heard[0]);

    const again = KefuBot({
      botId: h.botId,
      handoff: h.handoff,
      redis: h.redis,
      knowledge: h.knowledge,
      messages: h.messages,
      timezone: 'Asia/Shanghai',
      setAlias: false,
      outbound: { retryMs: 100, blockMs: 300 },
    });
    h.bot.use(again);
    const notice = renderTemplate(h.messages.problem_fixed, { title: '导出的视频打不开', note: '请升级到 3.2.1。' });
    try {
      for (const [i, c] of [c1, c2].entries()) await c.hears(notice, heard[i]);
      await h.outboundDrained();
      for (const [i, c] of [c1, c2].entries()) expect(c.heard.slice(heard[i]!).filter((t) => t === notice)).toHaveLength(1);
      // Back with the bot: the next question is answered, not parked.
      const n = c1.heard.length;
      c1.say('录屏没有声音怎么办');
      await c1.hears(answerOf('no-sound'), n);
      expect((await h.handoff.conversation(await c2.conversationId()))!.status).toBe('resolved');
    } finally {
      await again.stop();
      // The harness's own plugin serves the remaining tests.
      h.bot.use(h.plugin);
    }
  });

  it('Redis down: FAQ answers go on, a handoff request is kept and the customer hears about the delay', async () => {
    const c = h.customer();
    c.say('你好');
    await c.hears(h.messages.greeting);
    const conv = await c.conversationId();
    await server.stop();
    await waitFor('the bot to notice', () => h.redis.status !== 'ready');
    try {
      const n = c.heard.length;
      c.say('发票');
      await c.hears(answerOf('invoice'), n, 3_000);
      c.say('转人工');
      await c.hears(h.messages.delay_notice, n, 3_000);
    } finally {
      await server.restart();
    }
    await waitFor('the kept request to reach Redis', async () => (await h.handoff.conversation(conv).catch(() => null))?.status === 'waiting', 10_000);
    const t = await h.handoff.transcript(conv);
    expect(t.filter((m) => m.from === 'customer').map((m) => m.text)).toEqual(['你好', '发票', '转人工']);
    void redis;
  });
});
