/**
 * Who may close and tag a chat, when closing it asks the customer for a rating, and resolve /
 * release / park repeated after a lost answer, against a real redis-server.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { fieldsOf } from '../../src/handoff/convert.ts';
import { Handoff } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import { ALICE, BOB, bringTo, env, events, expectHandoffError, ref, snapshot, type Env } from '../support/handoff-fixture.ts';
import { useRedisServer } from '../support/hooks.ts';
import { lossyProxy, type LossyProxy } from '../support/lossy-proxy.ts';
import { waitReady, type RedisServer } from '../support/redis.ts';

let server: RedisServer;
let redis: Redis;
useRedisServer((s, r) => {
  server = s;
  redis = r;
});

const MIN = 60_000;
const MIA = { id: 'mia', name: 'Mia' };

async function outbound(e: Env, botId = 'botA'): Promise<Record<string, string>[]> {
  return (await redis.xrange(e.h.keys.outbound(botId), '-', '+')).map(([, flat]) => fieldsOf(flat));
}
const ratingQuestions = async (e: Env) => (await outbound(e)).filter((o) => o.kind === 'resolved');

/** The funnel's all-time counters of botA. */
const totals = async (e: Env) => redis.hgetall(e.h.keys.totals('botA'));

describe('closing a chat asks for a rating only when an agent answered', () => {
  it('the assignee\'s resolve after a reply asks; without a reply it tells the customer nothing', async () => {
    const e = await env(redis);
    const answered = await bringTo(e, ref('c1'), 'active');
    await e.h.reply(answered, ALICE, '已为您处理');
    const silent = await bringTo(e, ref('c2'), 'active');

    await e.h.resolve(answered, { by: 'alice', expectedOwner: 'alice' });
    await e.h.resolve(silent, { by: 'alice', expectedOwner: 'alice' });

    expect((await ratingQuestions(e)).map((o) => o.conv)).toEqual([answered]);
    const resolved = (await events(e)).filter((ev) => ev.type === 'resolved');
    expect(resolved.map((ev) => [ev.conv, ev.data.askRating])).toEqual([
      [answered, '1'],
      [silent, '0'],
    ]);
    // Both are resolved all the same, and counted in the funnel.
    expect((await e.h.conversation(silent))!.status).toBe('resolved');
    expect(await totals(e)).toMatchObject({ resolved: '2', 'resolved:one_reply': '1' });
  });

  it('a manager closing a waiting or parked chat (spam, a queue clean-up) never asks', async () => {
    const e = await env(redis);
    const waiting = await bringTo(e, ref('c1'), 'waiting');
    const parked = await bringTo(e, ref('c2'), 'awaiting_fix');
    await e.h.resolve(waiting, { by: MIA.id });
    await e.h.resolve(parked, { by: MIA.id });
    // The parked customer was told of the known problem when it was parked; no rating question.
    expect((await outbound(e)).map((o) => o.kind)).toEqual(['parked']);
  });

  it('rate: false closes without asking even after replies', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'active');
    await e.h.reply(id, ALICE, '您好');
    await e.h.resolve(id, { by: 'alice', expectedOwner: 'alice', rate: false });
    expect((await outbound(e)).map((o) => o.kind)).toEqual(['text']);
    expect((await events(e)).at(-1)).toMatchObject({ type: 'resolved', data: { askRating: '0' } });
  });

  it('a reply earlier in the same handoff counts (released, then closed by a manager); one in an earlier handoff does not', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'active');
    await e.h.reply(id, ALICE, '我看一下');
    await e.h.release(id, { expectedOwner: 'alice', by: 'alice' });
    await e.h.resolve(id, { by: MIA.id });
    expect(await ratingQuestions(e)).toHaveLength(1);

    // The customer writes again and asks for a person: a new handoff, nobody has answered in it.
    await e.h.recordMessage(ref('c1'), { from: 'customer', text: '还有问题' });
    await e.h.requestHuman(ref('c1'), { reason: 'customer_asked' });
    await e.h.claim(id, BOB);
    await e.h.resolve(id, { by: 'bob', expectedOwner: 'bob' });
    expect(await ratingQuestions(e)).toHaveLength(1);
  });
});

describe('only the assignee or a manager closes a chat', () => {
  it('an agent cannot close a waiting chat (NOT_ASSIGNEE: claim it first), nor a colleague\'s (CONFLICT); nothing changes', async () => {
    const e = await env(redis);
    const waiting = await bringTo(e, ref('c1'), 'waiting');
    const before = await snapshot(e, waiting);
    const err = await expectHandoffError(e.h.resolve(waiting, { by: 'bob', expectedOwner: 'bob' }), 'NOT_ASSIGNEE');
    expect(err.owner).toBe('');
    expect(err.message).toBe(`conversation ${waiting} has no assignee: claim it first (or ask a manager) to resolve it`);
    expect(await snapshot(e, waiting)).toEqual(before);

    const active = await bringTo(e, ref('c2'), 'active');
    const conflict = await expectHandoffError(e.h.resolve(active, { by: 'bob', expectedOwner: 'bob' }), 'CONFLICT');
    expect(conflict.owner).toBe('alice');
  });

  it('a chat parked by its agent is still theirs to close; a colleague gets CONFLICT', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'active');
    await e.h.park(id, { problemId: 'P1', by: 'alice' });
    expect((await e.h.conversation(id))!.assignee?.id).toBe('alice');
    await expectHandoffError(e.h.resolve(id, { by: 'bob', expectedOwner: 'bob' }), 'CONFLICT');
    await expect(e.h.resolve(id, { by: 'alice', expectedOwner: 'alice' })).resolves.toMatchObject({ status: 'resolved' });
  });
});

describe('tags: the owner\'s, or open while nobody owns the chat', () => {
  it('follows the chat: open while waiting, the assignee\'s while active, the new assignee\'s after a transfer', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'waiting');
    await expect(e.h.setTags(id, ['退款'], { by: 'bob' })).resolves.toMatchObject({ tags: ['退款'] });
    await e.h.claim(id, ALICE);
    const before = await snapshot(e, id);
    const err = await expectHandoffError(e.h.setTags(id, ['垃圾'], { by: 'bob' }), 'NOT_ASSIGNEE');
    expect(err).toMatchObject({ owner: 'alice', message: `conversation ${id} is alice's: only they or a manager may change its tags` });
    expect(await snapshot(e, id)).toEqual(before);
    await expect(e.h.setTags(id, ['退款', '物流'], { by: 'alice' })).resolves.toMatchObject({ tags: ['退款', '物流'] });
    await e.h.transfer(id, BOB, { expectedOwner: 'alice' });
    await expectHandoffError(e.h.setTags(id, ['x'], { by: 'alice' }), 'NOT_ASSIGNEE');
    await expect(e.h.setTags(id, ['物流'], { by: 'bob' })).resolves.toMatchObject({ tags: ['物流'] });
    await expect(e.h.setTags(id, ['物流', 'vip'], { by: MIA.id, manager: true })).resolves.toMatchObject({ tags: ['物流', 'vip'] });
    expect((await events(e)).filter((ev) => ev.type === 'tags').map((ev) => ev.data.agentId)).toEqual(['bob', 'alice', 'bob', 'mia']);
  });

  it('a resolved chat is tagged by who resolved it (or a manager); once the customer reopens it, by anyone again', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'active');
    await e.h.resolve(id, { by: MIA.id });
    // Alice had the chat, but the manager closed it.
    const err = await expectHandoffError(e.h.setTags(id, ['x'], { by: 'alice' }), 'NOT_ASSIGNEE');
    expect(err.message).toBe(`conversation ${id} was resolved by mia: only they or a manager may change its tags`);
    await expect(e.h.setTags(id, ['x'], { by: MIA.id })).resolves.toMatchObject({ tags: ['x'] });
    await e.h.recordMessage(ref('c1'), { from: 'customer', text: '还在吗' });
    await expect(e.h.setTags(id, ['y'], { by: 'bob' })).resolves.toMatchObject({ status: 'bot', tags: ['y'] });
  });
});

describe('retries after a lost answer', () => {
  it('resolve again by the same agent: the conversation as it is, no second notice, counted once', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'active');
    await e.h.reply(id, ALICE, '好了');
    const first = await e.h.resolve(id, { by: 'alice', expectedOwner: 'alice' });
    const before = await snapshot(e, id);
    e.clock.advance(MIN);

    await expect(e.h.resolve(id, { by: 'alice', expectedOwner: 'alice' })).resolves.toEqual(first);

    expect(await snapshot(e, id)).toEqual(before);
    expect(await ratingQuestions(e)).toHaveLength(1);
    expect(await totals(e)).toMatchObject({ resolved: '1' });
    // Someone else's resolve of it is still refused.
    await expectHandoffError(e.h.resolve(id, { by: 'bob', expectedOwner: 'bob' }), 'ILLEGAL_TRANSITION');
  });

  it('a resolve after the customer reopened the chat is not a retry', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'resolved');
    await e.h.recordMessage(ref('c1'), { from: 'customer', text: '又出问题了' });
    await expectHandoffError(e.h.resolve(id, { by: 'alice', expectedOwner: 'alice' }), 'ILLEGAL_TRANSITION');

    // Handed off again and answered by the same agent: her resolve closes it and asks again.
    await e.h.requestHuman(ref('c1'), { reason: 'customer_asked' });
    await e.h.claim(id, ALICE);
    await e.h.reply(id, ALICE, '再看一下');
    await e.h.resolve(id, { by: 'alice', expectedOwner: 'alice' });
    expect(await ratingQuestions(e)).toHaveLength(2);
    expect(await totals(e)).toMatchObject({ resolved: '2' });
  });

  it('release again by the same agent while it still waits: no change; once someone else took it, refused', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'active');
    const released = await e.h.release(id, { expectedOwner: 'alice', by: 'alice' });
    const before = await snapshot(e, id);
    e.clock.advance(MIN);
    await expect(e.h.release(id, { expectedOwner: 'alice', by: 'alice' })).resolves.toEqual(released);
    expect(await snapshot(e, id)).toEqual(before);
    // Bob did not release it.
    await expectHandoffError(e.h.release(id, { expectedOwner: 'bob', by: 'bob' }), 'ILLEGAL_TRANSITION');

    await e.h.claim(id, BOB);
    await expectHandoffError(e.h.release(id, { expectedOwner: 'alice', by: 'alice' }), 'CONFLICT');
    expect((await e.h.conversation(id))!.assignee?.id).toBe('bob');
  });

  it('a release is not repeated across handoffs: queued anew, alice\'s old release no longer counts', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'active');
    await e.h.release(id, { expectedOwner: 'alice', by: 'alice' });
    await e.h.resolve(id, { by: MIA.id });
    await e.h.recordMessage(ref('c1'), { from: 'customer', text: '你好' });
    await e.h.requestHuman(ref('c1'), { reason: 'customer_asked' });
    await expectHandoffError(e.h.release(id, { expectedOwner: 'alice', by: 'alice' }), 'ILLEGAL_TRANSITION');
  });

  it('park again on the same problem: no change; on another problem: refused', async () => {
    const e = await env(redis);
    const id = await bringTo(e, ref('c1'), 'waiting');
    const parked = await e.h.park(id, { problemId: 'P1', by: 'alice' });
    const before = await snapshot(e, id);
    e.clock.advance(MIN);
    await expect(e.h.park(id, { problemId: 'P1', by: 'alice' })).resolves.toEqual(parked);
    expect(await snapshot(e, id)).toEqual(before);
    await expectHandoffError(e.h.park(id, { problemId: 'P2', by: 'alice' }), 'ILLEGAL_TRANSITION');
  });

  describe('the same script run twice when Redis\'s reply is lost (ioredis re-sends it after reconnecting)', () => {
    /** A Lua script: EVAL the first time on a connection, EVALSHA after (ioredis). */
    const LUA = /\r\neval(sha)?\r\n/i;
    let proxy: LossyProxy | undefined;
    let flaky: Redis | undefined;
    afterAll(async () => {
      flaky?.disconnect();
      await proxy?.close();
    });

    it('resolve and release go through once and answer as done', async () => {
      proxy = await lossyProxy({ host: server.host, port: server.port });
      flaky = new Redis({ host: server.host, port: proxy.port });
      flaky.on('error', () => undefined);
      await waitReady(flaky);
      const e = await env(redis);
      const h = new Handoff(flaky, { prefix: e.prefix, policy: DEFAULT_SLA_POLICY, now: e.clock.now });
      const warm = await bringTo(e, ref('warm'), 'active');
      await h.release(warm, { by: 'alice' });
      await h.resolve(warm, { by: MIA.id });

      const id = await bringTo(e, ref('c1'), 'active');
      await e.h.reply(id, ALICE, '好了');
      let lost = proxy.loseReplyTo(LUA);
      await expect(h.release(id, { expectedOwner: 'alice', by: 'alice' })).resolves.toMatchObject({ status: 'waiting' });
      await lost;
      expect((await e.h.transcript(id)).filter((m) => m.event === 'released')).toHaveLength(1);

      await e.h.claim(id, ALICE);
      lost = proxy.loseReplyTo(LUA);
      await expect(h.resolve(id, { by: 'alice', expectedOwner: 'alice' })).resolves.toMatchObject({ status: 'resolved' });
      await lost;
      expect((await ratingQuestions(e)).filter((o) => o.conv === id)).toHaveLength(1);
      expect((await e.h.transcript(id)).filter((m) => m.event === 'resolved')).toHaveLength(1);
      // warm, and this one.
      expect(await totals(e)).toMatchObject({ resolved: '2' });
    });
  });
});
