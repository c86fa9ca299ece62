/** The in-memory guards: recent message ids, message age and per-customer flood control. */
import { describe, expect, it } from 'vitest';
import { coalesce } from '../../src/bot/plugin.ts';
import { customerIdFromAlias, fingerprint } from '../../src/bot/identity.ts';
import { FloodGuard, isTooOld, RecentIds } from '../../src/bot/guard.ts';

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

describe('FloodGuard', () => {
  it('allows max per window, warns once, is silent while muted, then allows again', () => {
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
