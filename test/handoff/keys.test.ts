/**
 * The key builder: one hash tag per bot account (so a transition's keys share a cluster slot),
 * the prefix on every key, and ids that cannot break the key layout.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { conversationId, createKeys, Handoff, InvalidIdError, parseConversationId } from '../../src/handoff/index.ts';
import { DEFAULT_SLA_POLICY } from '../../src/handoff/sla.ts';
import type { Redis } from 'ioredis';

// The slot function ioredis's Cluster uses (a dependency of ioredis, without type declarations).
const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

const keys = createKeys('kefu');
const CONV = 'wx_bot-1.cust_42';

/** Every key of conversation `id` and of its bot account. */
function allKeys(k: ReturnType<typeof createKeys>, id: string): Record<string, string> {
  const { botId, customerId } = parseConversationId(id);
  return {
    conversation: k.conversation(id),
    transcript: k.transcript(id),
    msgIds: k.msgIds(id),
    customer: k.customer(botId, customerId),
    queue: k.queue(botId),
    slaTimers: k.slaTimers(botId),
    active: k.active(botId),
    parked: k.parked(botId),
    resolved: k.resolved(botId),
    resolvedIndexed: k.resolvedIndexed(botId),
    botChats: k.botChats(botId),
    botChatsIndexed: k.botChatsIndexed(botId),
    events: k.events(botId),
    outbound: k.outbound(botId),
    delivered: k.delivered(botId),
    joinHeld: k.joinHeld(botId, customerId),
    botSessions: k.botSessions(botId),
    botStatus: k.botStatus(botId),
    channel: k.channel(botId),
    media: k.media(botId, "m1"),
    identity: k.identity(botId),
    faqHits: k.faqHits(botId),
    gaps: k.gaps(botId),
    learning: k.learning(botId),
    day: k.day(botId, '2026-12-01'),
    fixNotices: k.fixNotices(botId),
    totals: k.totals(botId),
    ratings: k.ratings(botId),
    flagged: k.flagged(botId),
    archiveLock: k.archiveLock(botId),
    // A SCAN pattern, not a key: in the slot of the keys it matches.
    conversationPattern: k.conversationPattern(botId),
    // The channels' per-account keys (wecom-kf, Official Account).
    kfCursor: k.kfCursor(botId),
    kfLock: k.kfLock(botId),
    kfFence: k.kfFence(botId),
    kfPending: k.kfPending(botId),
    kfSeen: k.kfSeen(botId),
    kfWindow: k.kfWindow(botId, customerId),
    kfSession: k.kfSession(botId, customerId),
    kfExternal: k.kfExternal(botId),
    kfNames: k.kfNames(botId),
    oaSeen: k.oaSeen(botId, 'msg-1'),
  };
}

const hashTag = (key: string): string | null => /\{([^}]+)\}/.exec(key)?.[1] ?? null;

describe('keys', () => {
  it('every builder of the module is covered here (a new key must join the slot check)', () => {
    expect(Object.keys(keys).sort()).toEqual([...Object.keys(allKeys(keys, CONV)), 'agents', 'bots', 'learn', 'oaToken', 'prefix', 'problem', 'problemConvs', 'problems', 'problemSeq', 'tagging', 'wecomToken'].sort());
  });

  it("the tag model's keys share the {tagging} slot", () => {
    const t = keys.tagging;
    const all = [t.model(), t.settings(), t.applied(), t.appliedAt(), t.counters(), t.lock()];
    expect(new Set(all.map(hashTag))).toEqual(new Set(['tagging']));
    expect(new Set(all).size).toBe(all.length);
  });

  it('a known problem\'s keys share the {problems} slot (its fix is one script there)', () => {
    const all = [keys.problem('P1'), keys.problemConvs('P1'), keys.problems(), keys.problemSeq(), keys.problem('P2')];
    expect(new Set(all.map(calculateSlot)).size).toBe(1);
    expect(hashTag(keys.problem('P1'))).toBe('problems');
    expect(() => keys.problem('P1}x')).toThrow(InvalidIdError);
  });

  it('every key of a conversation and of its bot account shares one hash tag, hence one cluster slot', () => {
    const all = allKeys(keys, CONV);
    for (const key of Object.values(all)) expect(hashTag(key), key).toBe('b:wx_bot-1');
    const slots = new Set(Object.values(all).map(calculateSlot));
    expect(slots.size).toBe(1);
    expect([...slots][0]).toBe(calculateSlot('{b:wx_bot-1}'));
    // Every key is distinct.
    expect(new Set(Object.values(all)).size).toBe(Object.keys(all).length);
  });

  it('conversations of one bot account share its slot; bot accounts spread over slots', () => {
    expect(calculateSlot(keys.conversation('b1.x'))).toBe(calculateSlot(keys.transcript('b1.y')));
    const slots = new Set(Array.from({ length: 50 }, (_, i) => calculateSlot(keys.queue(`bot${i}`))));
    expect(slots.size).toBeGreaterThan(40);
  });

  it('puts the prefix in front of every key', () => {
    for (const prefix of ['kefu', 'staging:kefu', 't1a2b3']) {
      const k = createKeys(prefix);
      expect(k.prefix).toBe(prefix);
      for (const key of [...Object.values(allKeys(k, CONV)), k.bots()]) expect(key.startsWith(`${prefix}:{`) || key === `${prefix}:bots`).toBe(true);
    }
    expect(keys.conversation(CONV)).toBe('kefu:{b:wx_bot-1}:conv:cust_42');
    expect(keys.transcript(CONV)).toBe('kefu:{b:wx_bot-1}:conv:cust_42:msgs');
    expect(keys.queue('wx_bot-1')).toBe('kefu:{b:wx_bot-1}:queue');
    expect(keys.bots()).toBe('kefu:bots');
    // Two prefixes never share a key.
    const other = createKeys('kefu2');
    expect(Object.values(allKeys(other, CONV)).filter((key) => Object.values(allKeys(keys, CONV)).includes(key))).toEqual([]);
  });
});

describe('ids', () => {
  const BAD = ['', ' ', 'a b', 'a.b', 'a:b', '{x}', 'a}', 'a{', 'a*', '客户', 'x'.repeat(65), 'a\nb', 'a/b'];

  it('conversationId joins bot and customer ids, parseConversationId splits them back', () => {
    expect(conversationId('wx_bot-1', 'cust_42')).toBe(CONV);
    expect(parseConversationId(CONV)).toEqual({ botId: 'wx_bot-1', customerId: 'cust_42' });
    const long = 'x'.repeat(64);
    expect(parseConversationId(conversationId(long, long))).toEqual({ botId: long, customerId: long });
  });

  it.each(BAD)('rejects %j as a bot or customer id with InvalidIdError', (bad) => {
    expect(() => conversationId(bad, 'c')).toThrow(InvalidIdError);
    expect(() => conversationId('b', bad)).toThrow(InvalidIdError);
    expect(() => keys.queue(bad)).toThrow(InvalidIdError);
    expect(() => keys.customer('b', bad)).toThrow(InvalidIdError);
    expect(() => keys.customer(bad, 'c')).toThrow(InvalidIdError);
  });

  it.each(['nodot', '.c', 'b.', 'b.c.d', 'b .c', 'b.c{x}', '{b}.c', ''])('rejects %j as a conversation id', (bad) => {
    expect(() => parseConversationId(bad)).toThrow(InvalidIdError);
    expect(() => keys.conversation(bad)).toThrow(InvalidIdError);
    expect(() => keys.transcript(bad)).toThrow(InvalidIdError);
  });

  it('the error has a stable code and names the offending value', () => {
    const err = (() => {
      try {
        keys.queue('a{b');
      } catch (e) {
        return e;
      }
    })() as InvalidIdError;
    expect(err).toBeInstanceOf(InvalidIdError);
    expect(err.code).toBe('INVALID_ID');
    expect(err.message).toContain('"a{b"');
  });

  it('the Handoff API refuses bad ids before touching Redis', async () => {
    const called: string[] = [];
    const redis = new Proxy({} as Redis, {
      get: (_t, prop) => () => {
        called.push(String(prop));
        return Promise.reject(new Error(`redis.${String(prop)} should not be called`));
      },
    });
    const h = new Handoff(redis, { prefix: 'kefu', policy: DEFAULT_SLA_POLICY });
    const agent = { id: 'a', name: 'A' };
    await expect(h.recordMessage({ botId: 'bad bot', customerId: 'c' }, { from: 'customer', text: 'x' })).rejects.toThrow(InvalidIdError);
    await expect(h.requestHuman({ botId: 'b', customerId: 'c.d' }, { reason: 'customer_asked' })).rejects.toThrow(InvalidIdError);
    await expect(h.claim('no-dot', agent)).rejects.toThrow(InvalidIdError);
    await expect(h.transfer('b.{c}', agent)).rejects.toThrow(InvalidIdError);
    await expect(h.release('b.c.d')).rejects.toThrow(InvalidIdError);
    await expect(h.resolve('.c', { by: 'a' })).rejects.toThrow(InvalidIdError);
    await expect(h.park('b.', { problemId: 'P', by: 'a' })).rejects.toThrow(InvalidIdError);
    await expect(h.reply('b c.d', agent, 'x')).rejects.toThrow(InvalidIdError);
    await expect(h.note('x', agent, 'x')).rejects.toThrow(InvalidIdError);
    await expect(h.setTier('b', 'c*', 'vip')).rejects.toThrow(InvalidIdError);
    await expect(h.setTags('b', [])).rejects.toThrow(InvalidIdError);
    await expect(h.conversation('b')).rejects.toThrow(InvalidIdError);
    await expect(h.transcript('b')).rejects.toThrow(InvalidIdError);
    expect(called).toEqual([]);
  });
});

describe('ids that would break keys or error replies', () => {
  it('rejects a prefix with a hash-tag brace', () => {
    expect(() => createKeys('kefu{x}')).toThrow(InvalidIdError);
    expect(() => createKeys('')).toThrow(InvalidIdError);
    expect(createKeys('kefu:staging.1').bots()).toBe('kefu:staging.1:bots');
  });
});
