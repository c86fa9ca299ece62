import { DateTime } from 'luxon';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_SLA_POLICY,
  addBusinessMinutes,
  businessMinutesBetween,
  isBusinessTime,
  nextBusinessStart,
  queueNotice,
  slaPolicySchema,
  slaState,
  slaTimes,
} from '../../src/handoff/sla.ts';
import type { BusinessHours, SlaPolicy } from '../../src/handoff/sla.ts';

const SH = DEFAULT_SLA_POLICY.hours;

/** Wall-clock time in a zone → epoch ms. */
const at = (local: string, zone = 'Asia/Shanghai'): number => {
  const dt = DateTime.fromISO(local, { zone });
  if (!dt.isValid) throw new Error(`bad test time ${local}`);
  return dt.toMillis();
};
/** Epoch ms → wall-clock 'yyyy-MM-dd HH:mm:ss.SSS' in a zone, for readable assertions. */
const local = (ms: number, zone = 'Asia/Shanghai'): string =>
  DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd HH:mm:ss.SSS');
const wall = (ms: number, zone?: string): string => local(ms, zone).slice(0, 16);

const withHours = (hours: Partial<BusinessHours>): SlaPolicy => ({ ...DEFAULT_SLA_POLICY, hours: { ...SH, ...hours } });

// 国庆 2026 as test data: Oct 1–7 off, with Sunday Sep 27 and Saturday Oct 10 as make-up workdays.
const GUOQING: BusinessHours = {
  ...SH,
  holidays: ['2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07'],
  workdays: ['2026-09-27', '2026-10-10'],
};

describe('defaults', () => {
  it('are the schema defaults and cannot be mutated by a consumer', () => {
    expect(slaPolicySchema.parse({})).toEqual(DEFAULT_SLA_POLICY);
    expect(DEFAULT_SLA_POLICY.targetMinutes).toEqual({ vip: 30, standard: 540 });
    expect(DEFAULT_SLA_POLICY.warnAt).toBe(0.8);
    expect(() => SH.holidays.push('2026-10-01')).toThrow(TypeError);
    // Parsed policies get their own arrays, so mutating one does not leak into the defaults.
    expect(slaPolicySchema.parse({}).hours.weekdays).not.toBe(SH.weekdays);
  });
});

describe('slaTimes', () => {
  it('the issue example: a VIP at 17:50 on Friday is due Monday 09:20, warned at 09:14', () => {
    const t = slaTimes(at('2026-11-27T17:50'), 'vip', DEFAULT_SLA_POLICY);
    expect(wall(t.dueAt)).toBe('2026-11-30 09:20');
    expect(wall(t.warnAt)).toBe('2026-11-30 09:14'); // 80% of 30 = 24: 10 on Friday + 14 on Monday
    expect(t).toMatchObject({ startedAt: at('2026-11-27T17:50'), targetMinutes: 30 });
  });

  it('standard: one business day from Tuesday 10:00 is Wednesday 10:00', () => {
    const t = slaTimes(at('2026-11-24T10:00'), 'standard', DEFAULT_SLA_POLICY);
    expect(wall(t.dueAt)).toBe('2026-11-25 10:00');
    expect(wall(t.warnAt)).toBe('2026-11-24 17:12'); // 80% of 540 = 432 minutes
  });

  it('started on Saturday: the clock starts at Monday 09:00', () => {
    const t = slaTimes(at('2026-11-28T11:00'), 'vip', DEFAULT_SLA_POLICY);
    expect(wall(t.dueAt)).toBe('2026-11-30 09:30');
    expect(wall(t.warnAt)).toBe('2026-11-30 09:24');
  });

  it('skips a holiday in between', () => {
    const policy = withHours({ holidays: ['2026-11-25'] });
    expect(wall(slaTimes(at('2026-11-24T10:00'), 'standard', policy).dueAt)).toBe('2026-11-26 10:00');
  });
});

describe('addBusinessMinutes', () => {
  it('skips the 国庆 week', () => {
    expect(wall(addBusinessMinutes(at('2026-09-30T17:50'), 30, GUOQING))).toBe('2026-10-08 09:20');
    expect(wall(addBusinessMinutes(at('2026-09-30T14:00'), 540, GUOQING))).toBe('2026-10-08 14:00');
    // Saturday Oct 10 is a make-up workday, Sunday Oct 11 is not.
    expect(wall(addBusinessMinutes(at('2026-10-09T17:00'), 540, GUOQING))).toBe('2026-10-10 17:00');
    expect(wall(addBusinessMinutes(at('2026-10-10T17:00'), 120, GUOQING))).toBe('2026-10-12 10:00');
  });

  it('honours a make-up Sunday workday', () => {
    // Queued on Saturday Sep 26: the make-up Sunday opens first.
    expect(wall(nextBusinessStart(at('2026-09-26T10:00'), GUOQING))).toBe('2026-09-27 09:00');
    expect(wall(addBusinessMinutes(at('2026-09-26T10:00'), 30, GUOQING))).toBe('2026-09-27 09:30');
    expect(isBusinessTime(at('2026-09-27T12:00'), GUOQING)).toBe(true);
    expect(isBusinessTime(at('2026-09-27T12:00'), SH)).toBe(false);
  });

  it('handles starts exactly at open and close', () => {
    expect(wall(addBusinessMinutes(at('2026-11-30T09:00'), 30, SH))).toBe('2026-11-30 09:30');
    expect(wall(addBusinessMinutes(at('2026-11-27T18:00'), 30, SH))).toBe('2026-11-30 09:30');
    expect(wall(addBusinessMinutes(at('2026-11-27T08:59'), 1, SH))).toBe('2026-11-27 09:01');
  });

  it('a span that uses up the window ends at close, not at the next opening', () => {
    expect(wall(addBusinessMinutes(at('2026-11-27T17:30'), 30, SH))).toBe('2026-11-27 18:00');
    expect(wall(addBusinessMinutes(at('2026-11-27T09:00'), 540, SH))).toBe('2026-11-27 18:00');
    expect(wall(addBusinessMinutes(at('2026-11-27T17:30'), 30.001, SH))).toBe('2026-11-30 09:00');
  });

  it('zero minutes is the start itself', () => {
    expect(addBusinessMinutes(at('2026-11-28T11:00'), 0, SH)).toBe(at('2026-11-28T11:00'));
  });

  it('takes fractional minutes and rounds the result to the millisecond', () => {
    const nine = at('2026-11-30T09:00');
    expect(addBusinessMinutes(nine, 0.5, SH)).toBe(nine + 30_000);
    expect(addBusinessMinutes(nine, 1 / 7, SH)).toBe(nine + 8571); // 8571.43 ms
    expect(addBusinessMinutes(nine, 2 / 3, SH)).toBe(nine + 40_000);
  });

  it('rejects negative and non-finite minutes', () => {
    expect(() => addBusinessMinutes(0, -1, SH)).toThrow(RangeError);
    expect(() => addBusinessMinutes(0, Number.NaN, SH)).toThrow(RangeError);
    expect(() => addBusinessMinutes(0, Infinity, SH)).toThrow(RangeError);
  });

  it('handles any opening hours, including round the clock', () => {
    const evening = { ...SH, open: '13:30', close: '22:15' };
    expect(wall(addBusinessMinutes(at('2026-11-27T22:00'), 30, evening))).toBe('2026-11-30 13:45');
    const always = { ...SH, weekdays: [1, 2, 3, 4, 5, 6, 7], open: '00:00', close: '24:00' };
    expect(isBusinessTime(at('2026-11-28T00:00'), always)).toBe(true);
    expect(wall(addBusinessMinutes(at('2026-11-28T23:50'), 30, always))).toBe('2026-11-29 00:20');
    expect(businessMinutesBetween(at('2026-11-27T00:00'), at('2026-11-30T00:00'), always)).toBe(3 * 1440);
  });

  it('walks day by day, not minute by minute', () => {
    const plus = vi.spyOn(DateTime.prototype, 'plus');
    // One business day across the whole 国庆 week: ~10 calendar days.
    addBusinessMinutes(at('2026-09-30T14:00'), 540, GUOQING);
    expect(plus.mock.calls.length).toBeLessThan(30);
    plus.mockClear();
    // A business year (~250 days of 540 minutes) stays in the hundreds of steps.
    const due = addBusinessMinutes(at('2026-01-05T09:00'), 250 * 540, GUOQING);
    expect(plus.mock.calls.length).toBeLessThan(800);
    expect(businessMinutesBetween(at('2026-01-05T09:00'), due, GUOQING)).toBe(250 * 540);
  });

  it('refuses a calendar that never opens instead of looping forever', () => {
    const saturdays = Array.from({ length: 60 }, (_, i) =>
      DateTime.fromISO('2026-01-03', { zone: 'Asia/Shanghai' }).plus({ weeks: i }).toFormat('yyyy-MM-dd'),
    );
    const closed = { ...SH, weekdays: [6], holidays: saturdays };
    expect(() => nextBusinessStart(at('2026-01-01T00:00'), closed)).toThrow(/no business hours within 366 days/);
  });

  it('rejects unusable hours that skipped the schema', () => {
    expect(() => isBusinessTime(0, { ...SH, timezone: 'Mars/Olympus' })).toThrow(/unknown time zone/);
    expect(() => isBusinessTime(0, { ...SH, open: '18:00', close: '09:00' })).toThrow(/invalid business hours/);
  });
});

describe('isBusinessTime / nextBusinessStart', () => {
  it('open is inclusive, close exclusive', () => {
    expect(isBusinessTime(at('2026-11-27T09:00'), SH)).toBe(true);
    expect(isBusinessTime(at('2026-11-27T08:59:59.999'), SH)).toBe(false);
    expect(isBusinessTime(at('2026-11-27T17:59:59.999'), SH)).toBe(true);
    expect(isBusinessTime(at('2026-11-27T18:00'), SH)).toBe(false);
    expect(isBusinessTime(at('2026-11-28T12:00'), SH)).toBe(false); // Saturday
  });

  it('returns `at` inside hours, else the next opening', () => {
    expect(nextBusinessStart(at('2026-11-27T12:34'), SH)).toBe(at('2026-11-27T12:34'));
    expect(nextBusinessStart(at('2026-11-27T09:00'), SH)).toBe(at('2026-11-27T09:00'));
    expect(wall(nextBusinessStart(at('2026-11-27T18:00'), SH))).toBe('2026-11-30 09:00');
    expect(wall(nextBusinessStart(at('2026-11-26T03:00'), SH))).toBe('2026-11-26 09:00');
    expect(wall(nextBusinessStart(at('2026-09-30T18:00'), GUOQING))).toBe('2026-10-08 09:00');
  });
});

describe('businessMinutesBetween', () => {
  it('counts only business time', () => {
    expect(businessMinutesBetween(at('2026-11-27T17:00'), at('2026-11-30T10:00'), SH)).toBe(120);
    expect(businessMinutesBetween(at('2026-11-28T00:00'), at('2026-11-29T23:59'), SH)).toBe(0);
    expect(businessMinutesBetween(at('2026-09-30T09:00'), at('2026-10-10T18:00'), GUOQING)).toBe(4 * 540);
    expect(businessMinutesBetween(at('2026-11-27T09:00'), at('2026-11-27T09:00:30'), SH)).toBe(0.5);
  });

  it('is 0 when `to` is not after `from`', () => {
    expect(businessMinutesBetween(at('2026-11-27T12:00'), at('2026-11-27T12:00'), SH)).toBe(0);
    expect(businessMinutesBetween(at('2026-11-27T12:00'), at('2026-11-27T10:00'), SH)).toBe(0);
  });

  it('inverts addBusinessMinutes for random starts and spans', () => {
    // Seeded so a failure reproduces.
    let seed = 0x5eed;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const from = at('2026-01-01T00:00');
    const span = at('2027-01-01T00:00') - from;
    const calendars = [SH, GUOQING, { ...SH, timezone: 'Europe/Berlin', weekdays: [1, 2, 3, 4, 5, 6, 7], open: '01:30', close: '03:30' }];
    for (let i = 0; i < 400; i++) {
      const hours = calendars[i % calendars.length]!;
      const start = from + Math.floor(random() * span);
      // Whole milliseconds, so rounding the result to the ms loses nothing.
      const minutes = Math.round(random() * 3000 * 60_000) / 60_000;
      const end = addBusinessMinutes(start, minutes, hours);
      expect(Math.abs(businessMinutesBetween(start, end, hours) - minutes)).toBeLessThan(1e-6);
      // The other way round: landing inside hours, adding the counted minutes gets back there.
      const target = start + Math.floor(random() * 20 * 86_400_000);
      if (isBusinessTime(target, hours) && target > nextBusinessStart(start, hours)) {
        expect(addBusinessMinutes(start, businessMinutesBetween(start, target, hours), hours)).toBe(target);
      }
    }
  });
});

describe('slaState', () => {
  const times = slaTimes(at('2026-11-27T17:50'), 'vip', DEFAULT_SLA_POLICY);
  it.each([
    ['2026-11-27T17:50', 'ok'],
    ['2026-11-28T12:00', 'ok'], // the weekend does not eat into the target
    ['2026-11-30T09:13:59.999', 'ok'],
    ['2026-11-30T09:14', 'warning'],
    ['2026-11-30T09:19:59.999', 'warning'],
    ['2026-11-30T09:20', 'breached'],
    ['2026-12-01T09:00', 'breached'],
  ] as const)('at %s is %s', (now, state) => {
    expect(slaState(at(now), times)).toBe(state);
  });
});

describe('queueNotice', () => {
  it('inside hours: no opening time, expected by the due time', () => {
    const now = at('2026-11-24T10:00');
    const times = slaTimes(now, 'standard', DEFAULT_SLA_POLICY);
    const notice = queueNotice(now, 3, times, SH);
    expect(notice).toEqual({ position: 3, withinHours: true, expectedBy: times.dueAt });
    expect('opensAt' in notice).toBe(false);
  });

  it('outside hours: says when it opens', () => {
    const now = at('2026-11-27T19:30');
    const times = slaTimes(now, 'vip', DEFAULT_SLA_POLICY);
    const notice = queueNotice(now, 1, times, SH);
    expect(notice).toMatchObject({ position: 1, withinHours: false });
    expect(wall(notice.opensAt!)).toBe('2026-11-30 09:00');
    expect(wall(notice.expectedBy)).toBe('2026-11-30 09:30');
  });

  it('an expected wait can only bring the promise forward', () => {
    const now = at('2026-11-24T10:00');
    const times = slaTimes(now, 'standard', DEFAULT_SLA_POLICY);
    expect(wall(queueNotice(now, 2, times, SH, 15).expectedBy)).toBe('2026-11-24 10:15');
    expect(queueNotice(now, 2, times, SH, 10_000).expectedBy).toBe(times.dueAt);
    // Outside hours, even a zero estimate is no earlier than the opening.
    const night = at('2026-11-27T19:30');
    expect(wall(queueNotice(night, 1, slaTimes(night, 'vip', DEFAULT_SLA_POLICY), SH, 0).expectedBy)).toBe('2026-11-30 09:00');
  });
});

describe('DST (Europe/Berlin, clocks jump 02:00 → 03:00 on 2026-03-29)', () => {
  const BERLIN: BusinessHours = { ...SH, timezone: 'Europe/Berlin' };
  const b = (s: string): number => at(s, 'Europe/Berlin');
  const bwall = (ms: number): string => wall(ms, 'Europe/Berlin');

  it('keeps wall-clock opening hours across the change weekend', () => {
    // Fixed 24-hour steps would open at 10:00 local on Monday.
    expect(bwall(addBusinessMinutes(b('2026-03-27T17:50'), 30, BERLIN))).toBe('2026-03-30 09:20');
    expect(bwall(nextBusinessStart(b('2026-03-28T12:00'), BERLIN))).toBe('2026-03-30 09:00');
    // Autumn back: 2026-10-25.
    expect(bwall(addBusinessMinutes(b('2026-10-23T17:50'), 30, BERLIN))).toBe('2026-10-26 09:20');
  });

  it('counts real minutes on the short day itself', () => {
    const night: BusinessHours = { ...BERLIN, weekdays: [1, 2, 3, 4, 5, 6, 7], open: '01:00', close: '05:00' };
    // 01:00–05:00 on the change night is only 3 real hours.
    expect(businessMinutesBetween(b('2026-03-29T00:00'), b('2026-03-30T00:00'), night)).toBe(180);
    expect(bwall(addBusinessMinutes(b('2026-03-29T01:00'), 180, night))).toBe('2026-03-29 05:00');
    expect(bwall(addBusinessMinutes(b('2026-03-29T01:00'), 181, night))).toBe('2026-03-30 01:01');
    expect(bwall(addBusinessMinutes(b('2026-03-29T01:30'), 60, night))).toBe('2026-03-29 03:30');
    // …and 5 real hours on the long autumn night.
    expect(businessMinutesBetween(b('2026-10-25T00:00'), b('2026-10-26T00:00'), night)).toBe(300);
  });
});

describe('slaPolicySchema', () => {
  const issues = (input: unknown): string[] => {
    const r = slaPolicySchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('fills in defaults for a partial policy', () => {
    const p = slaPolicySchema.parse({ hours: { holidays: ['2026-10-01'] }, targetMinutes: { vip: 15 } });
    expect(p.hours).toEqual({ ...SH, holidays: ['2026-10-01'] });
    expect(p.targetMinutes).toEqual({ vip: 15, standard: 540 });
    expect(p.warnAt).toBe(0.8);
  });

  it('accepts a full custom policy', () => {
    const p: SlaPolicy = {
      hours: { ...GUOQING, timezone: 'Europe/Berlin', open: '08:30', close: '24:00' },
      targetMinutes: { vip: 20, standard: 480 },
      warnAt: 0.5,
    };
    expect(slaPolicySchema.parse(p)).toEqual(p);
  });

  it('rejects bad times', () => {
    expect(issues({ hours: { open: '9:00' } })).toEqual(['hours.open: must be HH:mm between 00:00 and 23:59']);
    expect(issues({ hours: { close: '25:00' } })).toEqual(['hours.close: must be HH:mm between 00:01 and 24:00']);
    expect(issues({ hours: { open: '18:00', close: '09:00' } })).toEqual(['hours.close: must be after open (18:00)']);
    expect(issues({ hours: { open: '09:00', close: '09:00' } })).toEqual(['hours.close: must be after open (09:00)']);
  });

  it('rejects bad dates', () => {
    expect(issues({ hours: { holidays: ['2026-02-30'] } })).toEqual([
      'hours.holidays.0: must be a real date written YYYY-MM-DD, got "2026-02-30"',
    ]);
    expect(issues({ hours: { workdays: ['2026/09/27'] } })).toEqual([
      'hours.workdays.0: must be a real date written YYYY-MM-DD, got "2026/09/27"',
    ]);
    expect(issues({ hours: { holidays: ['2026-10-01'], workdays: ['2026-10-01'] } })).toEqual([
      'hours.workdays.0: 2026-10-01 is also listed as a holiday',
    ]);
  });

  it('rejects bad weekdays and zones', () => {
    expect(issues({ hours: { weekdays: [0, 8] } })).toEqual([
      'hours.weekdays.0: must be 1 (Monday) … 7 (Sunday)',
      'hours.weekdays.1: must be 1 (Monday) … 7 (Sunday)',
    ]);
    expect(issues({ hours: { weekdays: [1, 1] } })).toEqual(['hours.weekdays: must not repeat a weekday']);
    expect(issues({ hours: { weekdays: [] } })).toEqual(['hours.weekdays: needs at least one weekday']);
    expect(issues({ hours: { timezone: 'China/Beijing' } })).toEqual([
      'hours.timezone: must be an IANA time zone such as Asia/Shanghai',
    ]);
  });

  it('rejects bad targets and warnAt', () => {
    expect(issues({ targetMinutes: { vip: 0 } })).toEqual(['targetMinutes.vip: must be a positive number of minutes']);
    expect(issues({ targetMinutes: { standard: 1.5 } })).toEqual(['targetMinutes.standard: must be a whole number of minutes']);
    expect(issues({ warnAt: 1 })).toEqual(['warnAt: must be a fraction between 0 and 1 (exclusive)']);
    expect(issues({ warnAt: 0 })).toEqual(['warnAt: must be a fraction between 0 and 1 (exclusive)']);
  });

  it('rejects unknown keys, so typos do not silently fall back to defaults', () => {
    expect(issues({ hours: { timeZone: 'Europe/Berlin' } })).toEqual(['hours: Unrecognized key: "timeZone"']);
    expect(issues({ targetMinutes: { gold: 5 } })).toEqual(['targetMinutes: Unrecognized key: "gold"']);
  });

  it('rejects values of the wrong shape without throwing', () => {
    expect(issues({ hours: 'nine to six' })).toEqual(['hours: Invalid input: expected object, received string']);
    expect(issues({ hours: null })).toEqual(['hours: Invalid input: expected object, received null']);
    expect(issues({ hours: { open: 9 } })).toEqual(['hours.open: Invalid input: expected string, received number']);
  });

  it('reports every mistake at once', () => {
    expect(issues({ hours: { weekdays: [9], open: '10:00', close: '09:00' }, warnAt: 2 })).toEqual([
      'hours.weekdays.0: must be 1 (Monday) … 7 (Sunday)',
      'hours.close: must be after open (10:00)',
      'warnAt: must be a fraction between 0 and 1 (exclusive)',
    ]);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});
