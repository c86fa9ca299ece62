/**
 * The in-memory guards: recent message ids, message age, the limit on the bot's replies to one
 * customer (FloodGuard) and the per-conversation cap on a true flood (FloodCap). That no customer
 * message is lost through them is shown end to end in ./flood.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { coalesce, floodCutText } from '../../src/bot/plugin.ts';
import { customerIdFromAlias, fingerprint } from '../../src/channels/wechaty/identity.ts';
import { FloodCap, FloodGuard, isTooOld, RecentIds } from '../../src/bot/guard.ts';

describe('RecentIds', () => {
  it('reports a repeat, forgets the oldest beyond its capacity', () => {
    const r = new RecentIds(3);
    expect(['a', 'b', 'a', 'c', 'd'].map((id) => r.seen(id))).toEqual([false, false, true, false, false]);
    expect(r.size).toBe(3);
    expect(r.seen('a')).toBe(false);
  });
});

describe('isTooOld', () => {
  it('compares the age with the limit in seconds', () => {
    expect(isTooOld(1_000, 120, 1_000 + 120_000)).toBe(false);
    expect(isTooOld(1_000, 120, 1_000 + 120_001)).toBe(true);
  });
});

describe('FloodGuard (the bot\'s replies)', () => {
  it('allows max replies per window, warns once, is silent while muted, then allows again', () => {
    let t = 0;
    const f = new FloodGuard({ max: 3, windowS: 10, muteS: 60, now: () => t });
    expect([1, 2, 3, 4, 5].map(() => f.check('c'))).toEqual(['ok', 'ok', 'ok', 'warn', 'muted']);
    expect(f.check('other')).toBe('ok');
    t = 59_999;
    expect(f.check('c')).toBe('muted');
    t = 60_000;
    expect(f.check('c')).toBe('ok');
  });

  it('counts a sliding window', () => {
    let t = 0;
    const f = new FloodGuard({ max: 2, windowS: 10, muteS: 60, now: () => t });
    expect(f.check('c')).toBe('ok');
    t = 6_000;
    expect(f.check('c')).toBe('ok');
    t = 10_001;
    expect(f.check('c')).toBe('ok');
    expect(f.check('c')).toBe('warn');
  });
});

describe('FloodCap (a true flood)', () => {
  it('stores a burst of perMin, then counts the rest with the start of the first few; refills at perMin a minute', () => {
    let t = 0;
    const cap = new FloodCap({ perMin: 60, now: () => t, samples: 2, sampleChars: 4 });
    const taken = Array.from({ length: 65 }, (_, i) => cap.take('c', `消息${i}号内容`));
    expect(taken.filter(Boolean)).toHaveLength(60);
    expect(taken.slice(60)).toEqual([false, false, false, false, false]);
    expect(cap.cutting('c')).toBe(true);
    // Other conversations have their own bucket.
    expect(cap.take('other', 'x')).toBe(true);
    expect(cap.drain('c')).toEqual({ count: 5, samples: ['消息60', '消息61'] });
    expect(cap.cutting('c')).toBe(false);
    expect(cap.drain('c')).toBeUndefined();
    // One a second comes back (a counted message takes none).
    t = 999;
    expect(cap.take('c', 'y')).toBe(false);
    t = 2_000;
    expect([cap.take('c', 'z'), cap.take('c', 'z'), cap.take('c', 'z')]).toEqual([true, true, false]);
    expect(cap.drain('c')).toEqual({ count: 2, samples: ['y', 'z'] });
  });

  it('is well above a person typing fast: 30 bubbles in 10 s, every minute, are all stored at the default-like cap of 100', () => {
    let t = 0;
    const cap = new FloodCap({ perMin: 100, now: () => t });
    for (let minute = 0; minute < 5; minute++) {
      for (let i = 0; i < 30; i++) {
        expect(cap.take('c', '嗯')).toBe(true);
        t += 333;
      }
      t = (minute + 1) * 60_000;
    }
    expect(cap.cutting('c')).toBe(false);
  });

  it('refuses a cap below one message a minute', () => {
    expect(() => new FloodCap({ perMin: 0 })).toThrow(RangeError);
  });

  it('the note for the agent says how many and quotes the first few', () => {
    expect(floodCutText({ count: 120, samples: ['你好', '在吗'] })).toBe('客户刷屏：另有 120 条消息未逐条保存，开头如 「你好」「在吗」');
    expect(floodCutText({ count: 3, samples: ['', ''] })).toBe('客户刷屏：另有 3 条消息未逐条保存');
  });
});

describe('identity helpers', () => {
  it('reads only our own aliases as customer ids', () => {
    expect(customerIdFromAlias('kf-12')).toBe('kf-12');
    expect(customerIdFromAlias(' kf-7 ')).toBe('kf-7');
    expect(customerIdFromAlias('张三')).toBeUndefined();
    expect(customerIdFromAlias('kf-x')).toBeUndefined();
    expect(customerIdFromAlias(undefined)).toBeUndefined();
  });

  it('fingerprints by handle when there is one, else by profile (never by contact id)', () => {
    const c = (id: string, name: string, handle?: string) => ({
      id,
      name: () => name,
      alias: (async () => undefined) as never,
      handle: () => handle,
      city: () => '杭州',
    });
    expect(fingerprint(c('a', '张三'))).toBe(fingerprint(c('b', '张三')));
    expect(fingerprint(c('a', '张三'))).not.toBe(fingerprint(c('a', '李四')));
    expect(fingerprint(c('a', '张三', 'zhang3'))).toBe('w:zhang3');
  });
});

describe('coalesce', () => {
  it('joins consecutive texts that fit one message, keeping the answer\'s FAQ id; never two answers', () => {
    const a = { text: '答案', extra: { faqId: 'x', confidence: 0.9 } };
    expect(coalesce([a, { text: '有帮助吗？' }])).toEqual([{ text: '答案\n\n有帮助吗？', extra: a.extra }]);
    expect(coalesce([a, { ...a, extra: { faqId: 'x', confidence: 0.9 } }])).toHaveLength(2);
    expect(coalesce([{ text: 'x'.repeat(1500) }, { text: 'y'.repeat(600) }])).toHaveLength(2);
  });
});
