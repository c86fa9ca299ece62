/**
 * Never miss a customer, in the handoff over a real redis-server: unread counts of the owner's
 * chats (counted by the append script, cleared by the owner's read, with a `read` event), the row's
 * preview that skips the words the bot took as controls, and the SLA breach's apology, queued on
 * the outbound stream once per breach.
 */
import type { Redis } from 'ioredis';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY, Handoff, type SlaPolicy } from '../../src/handoff/index.ts';
import { useRedisServer } from '../support/hooks.ts';
import { randomPrefix } from '../support/redis.ts';

let redis: Redis;
useRedisServer((_s, client) => (redis = client));
let h: Handoff;
let clock: number;
/** Open every day around the clock: a breach is the target's minutes after the handoff. */
const ALWAYS: SlaPolicy = { ...DEFAULT_SLA_POLICY, hours: { ...DEFAULT_SLA_POLICY.hours, weekdays: [1, 2, 3, 4, 5, 6, 7], open: '00:00', close: '24:00' } };
beforeEach(async () => {
  clock = Date.parse('2026-11-24T02:00:00Z');
  h = new Handoff(redis, { prefix: randomPrefix(), policy: ALWAYS, now: () => clock });
  await h.registerBot('b1');
});

const ref = (c: string) => ({ botId: 'b1', customerId: c, customerName: `客户 ${c}` });
const alice = { id: 'alice', name: 'Alice' };
const bob = { id: 'bob', name: 'Bob' };
const say = (c: string, text: string) => h.recordMessage(ref(c), { from: 'customer', text });

async function queued(c: string, question = '退款什么时候到账'): Promise<string> {
  await say(c, question);
  await h.requestHuman(ref(c), { reason: 'customer_asked', question });
  return `b1.${c}`;
}

async function eventTypes(): Promise<string[]> {
  return (await redis.xrange(h.keys.events('b1'), '-', '+')).map(([, f]) => f[f.indexOf('type') + 1]!);
}

async function outbound(kind: string): Promise<Record<string, string>[]> {
  const entries = await redis.xrange(h.keys.outbound('b1'), '-', '+');
  return entries.map(([, f]) => Object.fromEntries(f.flatMap((v, i) => (i % 2 ? [] : [[v, f[i + 1]!]])))).filter((e) => e.kind === kind);
}

describe('unread', () => {
  it('counts the customer\'s messages in the owner\'s chat until the owner reads it, in lists too', async () => {
    const id = await queued('u1');
    await say('u1', '有人吗');
    expect((await h.conversation(id))!.unread).toBe(0); // waiting: nobody owns it yet
    await h.claim(id, alice);
    await say('u1', '在吗？');
    await say('u1', '订单号 12345');
    const conv = (await h.conversation(id))!;
    expect(conv).toMatchObject({ unread: 2, preview: '订单号 12345' });
    const [row] = await h.list('active');
    expect(row).toEqual(conv);
    // The agent's own reply does not count; someone else reading changes nothing.
    await h.reply(id, alice, '您好，我看一下');
    expect((await h.markRead(id, bob.id)).unread).toBe(2);
    const before = (await eventTypes()).length;
    expect((await h.markRead(id, alice.id)).unread).toBe(0);
    const after = await eventTypes();
    expect(after.slice(before)).toEqual(['read']);
    // Nothing unread: no event.
    await h.markRead(id, alice.id);
    expect(await eventTypes()).toHaveLength(after.length);
  });

  it('a parked chat counts too; released, transferred and claimed again it starts from what the new owner saw', async () => {
    const id = await queued('u2');
    await h.claim(id, alice);
    const problem = await h.problems.create({ title: '导出失败', by: alice });
    await h.problems.link(id, problem.id, alice);
    await say('u2', '修好了吗');
    expect((await h.conversation(id))!).toMatchObject({ status: 'awaiting_fix', unread: 1, preview: '修好了吗' });
    expect((await h.list('awaiting_fix'))[0]!.unread).toBe(1);

    const other = await queued('u3');
    await h.claim(other, alice);
    await say('u3', '还在吗');
    await h.transfer(other, bob);
    expect((await h.conversation(other))!.unread).toBe(1); // Bob has not seen it either
    await h.release(other, { expectedOwner: 'bob' });
    expect((await h.conversation(other))!.unread).toBe(0);
    await h.claim(other, alice);
    expect((await h.conversation(other))!.unread).toBe(0);
  });
});

describe('preview', () => {
  it('is the latest message that says something, not a word the bot took as a control', async () => {
    const id = 'b1.p1';
    // The bot answered a question: it shows.
    await h.recordTurn(ref('p1'), { from: 'customer', text: '怎么导出账单' }, { replies: [{ from: 'bot', text: '在设置里导出' }], decidedFor: 'bot', outcome: { type: 'answer', faqId: 'export' } });
    expect((await h.conversation(id))!.preview).toBe('怎么导出账单');
    // A menu number, a verdict, "都不是" answered with the menu: not shown.
    await h.recordTurn(ref('p1'), { from: 'customer', text: '2' }, { replies: [{ from: 'bot', text: '…' }], decidedFor: 'bot', outcome: { type: 'not_helpful', faqId: 'export' } });
    await h.recordTurn(ref('p1'), { from: 'customer', text: '3' }, { replies: [{ from: 'bot', text: '…' }], decidedFor: 'bot', outcome: { type: 'picked', faqId: 'refund' } });
    await h.recordTurn(ref('p1'), { from: 'customer', text: '都不是' }, { replies: [{ from: 'bot', text: '换个说法？' }], decidedFor: 'bot' });
    expect((await h.conversation(id))!.preview).toBe('怎么导出账单');
    // 人工 with a question before it: the handoff's question shows; a bare one with none: nothing new.
    await h.recordTurn(ref('p1'), { from: 'customer', text: '人工' }, { replies: [], decidedFor: 'bot', handoff: { reason: 'customer_asked', question: '导出的账单是空的' } });
    expect((await h.conversation(id))!).toMatchObject({ status: 'waiting', preview: '导出的账单是空的' });
    // 人工 again while queued (the bot says "already queued"): not shown.
    await h.recordTurn(ref('p1'), { from: 'customer', text: '转人工' }, { replies: [{ from: 'bot', text: '已在排队' }], decidedFor: 'waiting' });
    expect((await h.conversation(id))!.preview).toBe('导出的账单是空的');
    // Silence while queued: what the customer adds shows.
    await h.recordTurn(ref('p1'), { from: 'customer', text: '是 11 月的账单' }, { replies: [], decidedFor: 'waiting' });
    expect((await h.conversation(id))!.preview).toBe('是 11 月的账单');
    expect((await h.listWaiting(10))[0]!.preview).toBe('是 11 月的账单');

    await h.recordTurn(ref('p2'), { from: 'customer', text: '转人工' }, { replies: [], decidedFor: 'bot', handoff: { reason: 'customer_asked', question: '转人工' } });
    expect((await h.conversation('b1.p2'))!).toMatchObject({ status: 'waiting', preview: null });
  });

  it('is cut to a line without breaking a character', async () => {
    await say('p3', '退'.repeat(500));
    const preview = (await h.conversation('b1.p3'))!.preview!;
    expect(Buffer.byteLength(preview)).toBeLessThanOrEqual(240);
    expect(preview).toBe('退'.repeat(80));
  });
});

describe('SLA breach apology', () => {
  it('queues one apology with a new estimate per breach, on the outbound stream the bot delivers', async () => {
    const id = await queued('s1');
    const due = Date.parse((await h.conversation(id))!.slaDueAt!);
    clock = due - 1;
    await h.tickSlaCounts();
    expect(await outbound('late')).toEqual([]);
    clock = due + 1_000;
    expect((await h.tickSlaCounts()).breaches).toBe(1);
    clock += 60_000;
    await h.tickSlaCounts();
    const late = await outbound('late');
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({ conv: id, customerId: 's1' });
    // Fifteen business minutes after the breach fired (open around the clock here).
    expect(Number(late[0]!.text)).toBe(due + 1_000 + 15 * 60_000);
    expect(await eventTypes()).toContain('sla_breach');

    // Claimed and released to the queue: the same promise, the same breach, no second apology.
    await h.claim(id, alice);
    await h.release(id, { expectedOwner: 'alice' });
    clock += 60_000;
    await h.tickSlaCounts();
    expect(await outbound('late')).toHaveLength(1);
    // Closed, and the customer asks again: a new promise, and its breach a new apology.
    await h.claim(id, alice);
    await h.resolve(id, { by: 'alice' });
    await queued('s1', '还是没到账');
    clock = Date.parse((await h.conversation(id))!.slaDueAt!) + 1;
    await h.tickSlaCounts();
    expect(await outbound('late')).toHaveLength(2);
  });

  it('a chat answered in time gets none', async () => {
    const id = await queued('s2');
    const due = Date.parse((await h.conversation(id))!.slaDueAt!);
    await h.claim(id, alice);
    clock = due + 60_000;
    await h.tickSlaCounts();
    expect(await outbound('late')).toEqual([]);
  });
});

describe('close without reply', () => {
  it('never asks for a rating, even after an agent replied', async () => {
    const a = await queued('r1');
    await h.claim(a, alice);
    await h.reply(a, alice, '您好');
    expect(await h.resolve(a, { by: 'alice', expectedOwner: 'alice', rate: false })).toMatchObject({ status: 'resolved', unread: 0 });
    expect(await outbound('resolved')).toEqual([]);
    const b = await queued('r2');
    await h.claim(b, alice);
    await h.reply(b, alice, '您好');
    await h.resolve(b, { by: 'alice', expectedOwner: 'alice' });
    expect((await outbound('resolved')).map((e) => e.conv)).toEqual([b]);
  });
});
