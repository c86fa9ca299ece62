/**
 * Unread counts and previews through the console: the API's Conversation carries them (lists and
 * the chat), POST …/read clears them for the owner only, and the live socket's deltas carry every
 * change (a customer's message, the owner's read), so a tab needs no list read. Real redis-server.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { useLiveApp, type LiveCtx, type Msg } from '../support/live-app.ts';

const live = useLiveApp({ alice: ['agent'], bob: ['agent'], mia: ['manager'] });
let ctx: LiveCtx;
beforeEach(() => {
  ctx = live();
});
const ref = (customerId: string) => ({ botId: 'botA', customerId, customerName: `Name ${customerId}` });

function call(method: 'GET' | 'POST', url: string, as: string, body?: unknown) {
  return ctx.app.inject({ method, url, headers: { authorization: `Bearer ${ctx.tokens[as]}` }, ...(body !== undefined ? { payload: body as object } : {}) });
}

type Row = { id: string; unread: number; preview: string | null };

describe('unread and preview', () => {
  it('count the customer\'s messages in the owner\'s chat, in lists and in the chat; the owner\'s read clears them', async () => {
    await ctx.handOff('c1');
    const id = 'botA.c1';
    const waitingRow = (await call('GET', '/api/conversations?status=waiting', 'alice')).json<{ items: Row[] }>().items[0]!;
    expect(waitingRow).toMatchObject({ id, unread: 0, preview: '我要退款' });
    expect((await call('POST', `/api/conversations/${id}/claim`, 'alice')).statusCode).toBe(200);
    await ctx.handoff.recordMessage(ref('c1'), { from: 'customer', text: '在吗' });
    await ctx.handoff.recordMessage(ref('c1'), { from: 'customer', text: '订单 778' });

    const active = (await call('GET', '/api/conversations?status=active', 'alice')).json<{ items: Row[] }>().items;
    expect(active.find((c) => c.id === id)).toMatchObject({ unread: 2, preview: '订单 778' });
    expect((await call('GET', `/api/conversations/${id}`, 'alice')).json<Row>()).toMatchObject({ unread: 2, preview: '订单 778' });

    // A manager looking in, or another agent, has not read it for the owner.
    expect((await call('POST', `/api/conversations/${id}/read`, 'mia')).json<Row>().unread).toBe(2);
    expect((await call('POST', `/api/conversations/${id}/read`, 'bob')).json<Row>().unread).toBe(2);
    const read = await call('POST', `/api/conversations/${id}/read`, 'alice');
    expect(read.statusCode).toBe(200);
    expect(read.json<Row>()).toMatchObject({ id, unread: 0, preview: '订单 778' });
    expect((await call('GET', `/api/conversations/${id}`, 'alice')).json<Row>().unread).toBe(0);
    expect((await call('POST', '/api/conversations/botA.nobody/read', 'alice')).statusCode).toBe(404);
  });

  it('a bare 你好 then 人工 leaves no preview and no question: the row says the customer asked nothing, not "人工"', async () => {
    await ctx.handoff.recordMessage(ref('c7'), { from: 'customer', text: '你好' });
    await ctx.handoff.recordMessage(ref('c7'), { from: 'customer', text: '人工' });
    await ctx.handoff.requestHuman(ref('c7'), { reason: 'customer_asked', question: '人工' });
    const row = (await call('GET', '/api/conversations?status=waiting', 'alice')).json<{ items: (Row & { question: string | null })[] }>().items.find((c) => c.id === 'botA.c7');
    expect(row).toMatchObject({ preview: null, question: null });
  });

  it('travel in the live deltas: the message\'s and the read\'s conversation carry them', async () => {
    await ctx.handOff('c2');
    const id = 'botA.c2';
    await call('POST', `/api/conversations/${id}/claim`, 'alice');
    const tab = await ctx.login('alice');
    const other = await ctx.login('mia');
    await ctx.handoff.recordMessage(ref('c2'), { from: 'customer', text: '还在等' });
    const delta = (c: typeof tab, type: string, pred: (m: Msg) => boolean) =>
      c.until(() => c.messages.find((m) => m.type === 'event' && (m.event as { type: string; conv: string }).type === type && (m.event as { conv: string }).conv === id && pred(m)), type);
    const msg = await delta(tab, 'message', () => true);
    expect(msg.conversation).toMatchObject({ id, unread: 1, preview: '还在等' });
    expect((await delta(other, 'message', () => true)).conversation).toMatchObject({ unread: 1 });

    await call('POST', `/api/conversations/${id}/read`, 'alice');
    for (const c of [tab, other]) {
      const ev = await delta(c, 'read', () => true);
      expect(ev.conversation).toMatchObject({ id, unread: 0, preview: '还在等' });
      expect((ev.event as { data: Record<string, string> }).data.agentId).toBe(ctx.ids.alice);
    }
  });

  it('close without reply: resolved with {rate:false} never asks the customer for a rating', async () => {
    await ctx.handOff('c3');
    const id = 'botA.c3';
    await call('POST', `/api/conversations/${id}/claim`, 'alice');
    expect((await call('POST', `/api/conversations/${id}/messages`, 'alice', { text: '您好' })).statusCode).toBe(202);
    const res = await call('POST', `/api/conversations/${id}/resolve`, 'alice', { rate: false });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'resolved', unread: 0 });
    const kinds = (await ctx.redis.xrange(ctx.handoff.keys.outbound('botA'), '-', '+')).map(([, f]) => f[f.indexOf('kind') + 1]);
    expect(kinds).toEqual(['text']);
  });
});
