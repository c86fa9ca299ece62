/**
 * Transcripts, replies and notes against a real redis-server: every kind of message in order with
 * its fields, paging, the outbound stream the bot delivers from, and first-response time.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { fieldsOf } from '../../src/handoff/convert.ts';
import type { TranscriptMessage } from '../../src/handoff/index.ts';
import { ALICE, BOB, bringTo, env, events, expectHandoffError, iso, ref, type Env } from '../support/handoff-fixture.ts';
import { useRedisServer } from '../support/hooks.ts';
import { runScript } from '../../src/handoff/scripts.ts';
import { isStreamId } from '../../src/handoff/stream-id.ts';

let redis: Redis;

useRedisServer((_server, r) => {
  redis = r;
});

const MIN = 60_000;
const ID = expect.stringMatching(/^\d+-\d+$/);
const UUID = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

async function outbound(e: Env, botId = 'botA') {
  return (await redis.xrange(e.h.keys.outbound(botId), '-', '+')).map(([entryId, flat]): Record<string, string> => ({ entryId, ...fieldsOf(flat) }));
}

/** A conversation through its whole life; returns what each step returned and when. */
async function story(e: Env) {
  const { h, clock } = e;
  const r = ref('c1');
  const t0 = clock.t;
  const step = () => clock.advance(MIN);
  const customer = await h.recordMessage(r, { from: 'customer', text: '怎么退款？', msgId: 'wx-1' });
  const t1 = step();
  const bot = await h.recordMessage(r, { from: 'bot', text: '请在订单页点击退款。', faqId: 'refund-howto', confidence: 0.62 });
  const t2 = step();
  const image = await h.recordMessage(r, { from: 'customer', text: '[图片]', kind: 'image', url: 'https://example.com/a.jpg', msgId: 'wx-2' });
  const t3 = step();
  await h.requestHuman(r, { reason: 'non_text', question: '[图片]' });
  const t4 = step();
  await h.claim(customer.conversationId, ALICE);
  const t5 = step();
  const reply1 = await h.reply(customer.conversationId, ALICE, '您好，我来看一下。');
  const t6 = step();
  const note = await h.note(customer.conversationId, ALICE, '老客户，优先处理');
  const t7 = step();
  const reply2 = await h.reply(customer.conversationId, ALICE, '已经退款了。');
  const t8 = step();
  await h.resolve(customer.conversationId, { by: 'alice' });
  return { id: customer.conversationId, customer, bot, image, reply1, note, reply2, t: [t0, t1, t2, t3, t4, t5, t6, t7, t8] };
}

describe('transcript', () => {
  it('holds every message in order: customer, bot (FAQ id and confidence), system events, agent (msgId), note', async () => {
    const e = await env(redis);
    const s = await story(e);
    const at = s.t.map(iso);

    const msgs = await e.h.transcript(s.id);

    expect(msgs).toEqual<TranscriptMessage[]>([
      { id: s.customer.id, from: 'customer', text: '怎么退款？', at: at[0]!, msgId: 'wx-1' },
      { id: s.bot.id, from: 'bot', text: '请在订单页点击退款。', at: at[1]!, faqId: 'refund-howto', confidence: 0.62 },
      { id: s.image.id, from: 'customer', text: '[图片]', at: at[2]!, kind: 'image', url: 'https://example.com/a.jpg', msgId: 'wx-2' },
      { id: ID, from: 'system', text: 'handoff: non_text', at: at[3]!, event: 'waiting' },
      { id: ID, from: 'system', text: 'claimed by Alice', at: at[4]!, event: 'claimed', agentId: 'alice', agentName: 'Alice' },
      { id: s.reply1.id, from: 'agent', text: '您好，我来看一下。', at: at[5]!, agentId: 'alice', agentName: 'Alice', msgId: s.reply1.msgId },
      { id: s.note.id, from: 'note', text: '老客户，优先处理', at: at[6]!, agentId: 'alice', agentName: 'Alice' },
      { id: s.reply2.id, from: 'agent', text: '已经退款了。', at: at[7]!, agentId: 'alice', agentName: 'Alice', msgId: s.reply2.msgId },
      { id: ID, from: 'system', text: 'resolved', at: at[8]!, event: 'resolved', agentId: 'alice' },
    ]);
    // Stream ids order the transcript.
    const ids = msgs.map((m) => m.id);
    const key = (id: string) => id.split('-').map(BigInt) as [bigint, bigint];
    const before = (a: string, b: string) => key(a)[0] < key(b)[0] || (key(a)[0] === key(b)[0] && key(a)[1] < key(b)[1]);
    expect(ids.every((id, i) => i === 0 || before(ids[i - 1]!, id))).toBe(true);
    expect(await e.h.conversation(s.id)).toMatchObject({ customer: { id: 'c1', name: 'Name of c1' } });
  });

  it('pages with `after` (exclusive) and `count`', async () => {
    const e = await env(redis);
    const s = await story(e);
    const all = await e.h.transcript(s.id);
    expect(all).toHaveLength(9);

    expect(await e.h.transcript(s.id, { after: all[2]!.id })).toEqual(all.slice(3));
    expect(await e.h.transcript(s.id, { count: 2 })).toEqual(all.slice(0, 2));
    expect(await e.h.transcript(s.id, { after: all[2]!.id, count: 2 })).toEqual(all.slice(3, 5));
    expect(await e.h.transcript(s.id, { after: all.at(-1)!.id })).toEqual([]);

    const pages: TranscriptMessage[][] = [];
    let after: string | undefined;
    for (;;) {
      const page = await e.h.transcript(s.id, { after, count: 4 });
      if (page.length === 0) break;
      pages.push(page);
      after = page.at(-1)!.id;
    }
    expect(pages.map((p) => p.length)).toEqual([4, 4, 1]);
    expect(pages.flat()).toEqual(all);
  });

  it('refuses a client\'s stream id past 2^64-1 (INVALID_ID) before Redis sees it; after the greatest id comes nothing', async () => {
    const e = await env(redis);
    const s = await story(e);
    const MAX = '18446744073709551615';
    for (const after of [`1${MAX}-0`, '18446744073709551616-0', '0-18446744073709551616', '1-2-3', '-1']) {
      await expect(e.h.transcript(s.id, { after })).rejects.toMatchObject({ code: 'INVALID_ID' });
      await expect(e.h.eventsBetween('botA', after)).rejects.toMatchObject({ code: 'INVALID_ID' });
    }
    expect(await e.h.transcript(s.id, { after: `${MAX}-${MAX}` })).toEqual([]);
    expect(await e.h.eventsBetween('botA', `${MAX}-${MAX}`)).toEqual([]);
    // Events take a bare millisecond time too, as Redis does.
    expect((await e.h.eventsBetween('botA', '0')).length).toBeGreaterThan(0);
    expect(isStreamId('0', { seqOptional: true })).toBe(true);
    expect(isStreamId('0')).toBe(false);
    expect(isStreamId(`${MAX}-${MAX}`)).toBe(true);
  });

  it('of an unknown conversation is empty', async () => {
    const e = await env(redis);
    expect(await e.h.transcript('botA.nobody')).toEqual([]);
  });

  it('each message is announced on the events stream with its transcript id and sender', async () => {
    const e = await env(redis);
    const s = await story(e);
    const messages = (await events(e)).filter((ev) => ev.type === 'message');
    expect(messages.map((ev) => [ev.data.msg, ev.data.from, ev.conv])).toEqual([
      [s.customer.id, 'customer', s.id],
      [s.bot.id, 'bot', s.id],
      [s.image.id, 'customer', s.id],
      [s.reply1.id, 'agent', s.id],
      [s.note.id, 'note', s.id],
      [s.reply2.id, 'agent', s.id],
    ]);
    expect(messages.map((ev) => ev.data.status)).toEqual(['bot', 'bot', 'bot', 'active', 'active', 'active']);
  });
});

describe('reply and note', () => {
  it('a reply re-sent with the same message id (a command replayed after a lost connection) is recorded once', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'active');
    const args = [id, ALICE.id, ALICE.name, '稍等', e.clock.t, 'm-fixed', 'c1', 1000, 1000, 3600];
    const day = e.h.keys.day('botA', '2026-01-01');
    const keys = [e.h.keys.conversation(id), e.h.keys.transcript(id), e.h.keys.outbound('botA'), e.h.keys.events('botA'), e.h.keys.msgIds(id), day];
    const [first, wasFirst] = (await runScript(redis, 'reply', keys, args)) as [string, number];
    const [again, firstAgain] = (await runScript(redis, 'reply', keys, args)) as [string, number];
    expect(again).toBe(first);
    // The first response of the handoff, counted once.
    expect([wasFirst, firstAgain]).toEqual([1, 0]);
    // The agent's replies of the day, counted once too.
    expect(await redis.hget(day, `agent:${ALICE.id}:replies`)).toBe('1');
    expect((await e.h.transcript(id)).filter((m) => m.from === 'agent')).toHaveLength(1);
    expect(await outbound(e)).toHaveLength(1);
  });

  it('a reply goes onto the bot outbound stream with the same msgId; a note never does', async () => {
    const e = await env(redis);
    const s = await story(e);

    const out = await outbound(e);

    expect(out).toEqual([
      { entryId: ID, kind: 'text', conv: s.id, customerId: 'c1', msgId: s.reply1.msgId, text: '您好，我来看一下。', at: String(s.t[5]) },
      { entryId: ID, kind: 'text', conv: s.id, customerId: 'c1', msgId: s.reply2.msgId, text: '已经退款了。', at: String(s.t[7]) },
      { entryId: ID, kind: 'resolved', conv: s.id, customerId: 'c1', msgId: UUID, text: '', at: String(s.t[8]) },
    ]);
    expect(s.reply1.msgId).toEqual(UUID);
    expect(new Set(out.map((o) => o.msgId)).size).toBe(3);
    expect(out.some((o) => o.text === '老客户，优先处理')).toBe(false);
  });

  it('firstResponseAt is the time of the first reply and never moves', async () => {
    const e = await env(redis);
    const s = await story(e);
    expect((await e.h.conversation(s.id))!.firstResponseAt).toBe(iso(s.t[5]!));
  });

  it('a note leaves status, SLA and firstResponseAt alone and works in any status', async () => {
    const e = await env(redis);
    const r = ref('c1');
    const { conversationId: id } = await e.h.recordMessage(r, { from: 'customer', text: 'hi' });
    await e.h.requestHuman(r, { reason: 'customer_asked' });
    const before = (await e.h.conversation(id))!;
    e.clock.advance(MIN);
    await e.h.note(id, BOB, 'looks like the refund bug');
    const after = (await e.h.conversation(id))!;
    expect({ ...after, updatedAt: before.updatedAt }).toEqual(before);
    expect(await redis.xlen(e.h.keys.outbound('botA'))).toBe(0);
    expect((await e.h.transcript(id)).at(-1)).toMatchObject({ from: 'note', agentId: 'bob', text: 'looks like the refund bug' });
  });

  it('a refused reply writes nothing: not to the transcript, not to the outbound stream', async () => {
    const e = await env(redis);
    const r = ref('c1');
    const { conversationId: id } = await e.h.recordMessage(r, { from: 'customer', text: 'hi' });
    await e.h.requestHuman(r, { reason: 'customer_asked' });
    await expectHandoffError(e.h.reply(id, ALICE, 'too early'), 'ILLEGAL_TRANSITION');
    await e.h.claim(id, ALICE);
    const err = await expectHandoffError(e.h.reply(id, BOB, 'not mine'), 'NOT_ASSIGNEE');
    expect(err.owner).toBe('alice');
    expect((await e.h.transcript(id)).filter((m) => m.from === 'agent')).toEqual([]);
    expect(await redis.xlen(e.h.keys.outbound('botA'))).toBe(0);
    expect((await e.h.conversation(id))!.firstResponseAt).toBeNull();
  });

  it('the display name follows the latest one WeChat reported', async () => {
    const e = await env(redis);
    await e.h.recordMessage({ botId: 'botA', customerId: 'c1', customerName: '小王' }, { from: 'customer', text: 'a' });
    await e.h.recordMessage({ botId: 'botA', customerId: 'c1' }, { from: 'customer', text: 'b' });
    expect((await e.h.conversation('botA.c1'))!.customer.name).toBe('小王');
    await e.h.recordMessage({ botId: 'botA', customerId: 'c1', customerName: '王先生' }, { from: 'customer', text: 'c' });
    expect((await e.h.conversation('botA.c1'))!.customer.name).toBe('王先生');
  });
});

describe('recordTurn: a customer message and the bot replies in one step', () => {
  it('records the replies after the message while the chat is in the status they were decided for', async () => {
    const e = await env(redis);
    const r = await e.h.recordTurn(ref('c1'), { from: 'customer', text: '录屏没声音', msgId: 'w1' }, {
      decidedFor: 'bot',
      replies: [
        { from: 'bot', text: '请检查音频设置', faqId: 'no-sound', confidence: 0.91 },
        { from: 'bot', text: '有帮助吗？' },
      ],
    });
    expect(r).toMatchObject({ status: 'bot', repliesRecorded: true, duplicate: false });
    const t = await e.h.transcript(r.conversationId);
    expect(t.map((m) => [m.from, m.text, m.faqId, m.confidence])).toEqual([
      ['customer', '录屏没声音', undefined, undefined],
      ['bot', '请检查音频设置', 'no-sound', 0.91],
      ['bot', '有帮助吗？', undefined, undefined],
    ]);
    expect((await events(e)).filter((ev) => ev.type === 'message')).toHaveLength(3);
  });

  it('records only the message when an agent took the chat meanwhile, and says so', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'active');
    const before = (await e.h.transcript(id)).length;
    const r = await e.h.recordTurn(ref('c1'), { from: 'customer', text: '还在吗' }, { decidedFor: 'bot', replies: [{ from: 'bot', text: '在的' }] });
    expect(r).toMatchObject({ status: 'active', repliesRecorded: false, duplicate: false });
    const t = await e.h.transcript(id);
    expect(t).toHaveLength(before + 1);
    expect(t.at(-1)).toMatchObject({ from: 'customer', text: '还在吗' });
  });

  it('replies decided for a resolved chat stand when the customer\'s message (the rating) reopens it', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'resolved');
    const r = await e.h.recordTurn(ref('c1'), { from: 'customer', text: '5' }, { decidedFor: 'resolved', replies: [{ from: 'bot', text: '感谢评价' }] });
    expect(r).toMatchObject({ status: 'bot', repliesRecorded: true });
    expect((await e.h.transcript(id)).slice(-2).map((m) => [m.from, m.text])).toEqual([
      ['customer', '5'],
      ['bot', '感谢评价'],
    ]);
    // Decided for the bot while an agent holds the chat: still refused.
    await bringTo(e, ref('c2'), 'active');
    expect((await e.h.recordTurn(ref('c2'), { from: 'customer', text: '5' }, { decidedFor: 'resolved', replies: [{ from: 'bot', text: 'x' }] })).repliesRecorded).toBe(false);
  });

  it('writes nothing for a message id it has seen', async () => {
    const e = await env(redis);
    const first = await e.h.recordTurn(ref('c1'), { from: 'customer', text: '你好', msgId: 'w9' }, { decidedFor: 'bot', replies: [{ from: 'bot', text: '您好' }] });
    const again = await e.h.recordTurn(ref('c1'), { from: 'customer', text: '你好', msgId: 'w9' }, { decidedFor: 'bot', replies: [{ from: 'bot', text: '您好' }] });
    expect(again).toMatchObject({ id: first.id, duplicate: true, repliesRecorded: false });
    expect(await e.h.transcript(first.conversationId)).toHaveLength(2);
  });
});
