/**
 * Business-time arithmetic for the human-handoff SLA queue.
 *
 * Pure functions over epoch milliseconds. A business day has a single window [open, close)
 * in the policy's time zone; everything walks those windows day by day, so the cost grows with
 * the number of calendar days spanned, never with the number of minutes.
 */
import { DateTime, IANAZone } from 'luxon';
import { z } from 'zod';

export interface BusinessHours {
  /** IANA zone the opening hours and dates are written in. */
  timezone: string;
  /** ISO weekday numbers, 1 = Monday … 7 = Sunday. */
  weekdays: number[];
  /** 'HH:mm' wall-clock times; close may be '24:00' (end of day) and must be after open. */
  open: string;
  close: string;
  /** 'YYYY-MM-DD' dates (in the zone) without business hours. */
  holidays: string[];
  /** 'YYYY-MM-DD' make-up working days (调休): business days even when they fall on a weekend. */
  workdays: string[];
}

export type Tier = 'vip' | 'standard';

export interface SlaPolicy {
  hours: BusinessHours;
  /** First-response target per tier, in business minutes. */
  targetMinutes: Record<Tier, number>;
  /** Fraction of the target after which a waiting conversation is flagged (0 < warnAt < 1). */
  warnAt: number;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

// Frozen because every module that falls back to the defaults shares this one object.
export const DEFAULT_SLA_POLICY: SlaPolicy = deepFreeze({
  hours: {
    timezone: 'Asia/Shanghai',
    weekdays: [1, 2, 3, 4, 5],
    open: '09:00',
    close: '18:00',
    holidays: [],
    workdays: [],
  },
  // standard: one business day of the default 9-hour window.
  targetMinutes: { vip: 30, standard: 540 },
  warnAt: 0.8,
});

const MS_PER_MINUTE = 60_000;
const MINUTES_PER_DAY = 24 * 60;
/** More consecutive closed days than this means a calendar that never opens (or a typo). */
const MAX_CLOSED_DAYS = 366;

// ---------------------------------------------------------------------------------------------
// Schema (for the config module)
// ---------------------------------------------------------------------------------------------

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

const isoDate = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && DateTime.fromISO(s).isValid, {
    error: (issue) => `must be a real date written YYYY-MM-DD, got ${JSON.stringify(issue.input)}`,
  });

const positiveMinutes = z
  .number()
  .int('must be a whole number of minutes')
  .positive('must be a positive number of minutes');

const D = DEFAULT_SLA_POLICY;

const businessHoursSchema = z
  .strictObject({
    timezone: z
      .string()
      .refine((tz) => IANAZone.isValidZone(tz), 'must be an IANA time zone such as Asia/Shanghai')
      .default(D.hours.timezone),
    weekdays: z
      .array(z.number().int().min(1, 'must be 1 (Monday) … 7 (Sunday)').max(7, 'must be 1 (Monday) … 7 (Sunday)'))
      .min(1, 'needs at least one weekday')
      .refine((days) => new Set(days).size === days.length, 'must not repeat a weekday')
      .default(() => [...D.hours.weekdays]),
    open: z.string().regex(HHMM, 'must be HH:mm between 00:00 and 23:59').default(D.hours.open),
    close: z
      .string()
      .refine((s) => HHMM.test(s) || s === '24:00', 'must be HH:mm between 00:01 and 24:00')
      .default(D.hours.close),
    holidays: z.array(isoDate).default(() => []),
    workdays: z.array(isoDate).default(() => []),
  })
  .superRefine(
    (h, ctx) => {
      if (minuteOfDay(h.close) <= minuteOfDay(h.open)) {
        ctx.addIssue({ code: 'custom', path: ['close'], message: `must be after open (${h.open})` });
      }
      const holidays = new Set(h.holidays);
      h.workdays.forEach((day, i) => {
        if (holidays.has(day)) {
          ctx.addIssue({ code: 'custom', path: ['workdays', i], message: `${day} is also listed as a holiday` });
        }
      });
    },
    {
      // zod skips object-level checks once any field failed; these only need their own fields,
      // so run them whenever those are valid and report every mistake in one go.
      when: ({ value, issues }) =>
        typeof value === 'object' &&
        value !== null &&
        !issues.some((i) => ['open', 'close', 'holidays', 'workdays'].includes(String(i.path?.[0]))),
    },
  );

/**
 * Validates a policy from config; missing fields take the defaults of DEFAULT_SLA_POLICY,
 * unknown keys are rejected so a typo ("timeZone") does not silently fall back to a default.
 */
export const slaPolicySchema = z.strictObject({
  hours: businessHoursSchema.prefault({}),
  targetMinutes: z
    .strictObject({
      vip: positiveMinutes.default(D.targetMinutes.vip),
      standard: positiveMinutes.default(D.targetMinutes.standard),
    })
    .prefault({}),
  warnAt: z
    .number()
    .gt(0, 'must be a fraction between 0 and 1 (exclusive)')
    .lt(1, 'must be a fraction between 0 and 1 (exclusive)')
    .default(D.warnAt),
}) satisfies z.ZodType<SlaPolicy, unknown>;

// ---------------------------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------------------------

function minuteOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? NaN) * 60 + (m ?? NaN);
}

interface Calendar {
  zone: string;
  open: number;
  close: number;
  isBusinessDay(day: DateTime): boolean;
  /**
   * Business windows [open, close) of consecutive days from `from` (a day start) up to `to`,
   * computed once: luxon's zone-aware date steps cost tens of microseconds each, and every
   * handoff asks about the same few days.
   */
  windows: [number, number][];
  from: number;
  to: number;
  next?: DateTime;
}

const calendars = new WeakMap<BusinessHours, Calendar>();
const DAYS_PER_EXTENSION = 31;

// Validated here too: the functions may get hours that never went through the schema, and a bad
// zone or an empty window would otherwise turn into NaN results or an endless walk.
function calendar(hours: BusinessHours): Calendar {
  const known = calendars.get(hours);
  if (known) return known;
  if (!IANAZone.isValidZone(hours.timezone)) throw new RangeError(`unknown time zone "${hours.timezone}"`);
  const open = minuteOfDay(hours.open);
  const close = minuteOfDay(hours.close);
  if (!(open >= 0 && open < close && close <= MINUTES_PER_DAY)) {
    throw new RangeError(`invalid business hours ${hours.open}–${hours.close}`);
  }
  const holidays = new Set(hours.holidays);
  const workdays = new Set(hours.workdays);
  const weekdays = [...hours.weekdays];
  const cal: Calendar = {
    zone: hours.timezone,
    open,
    close,
    isBusinessDay(day) {
      const date = day.toISODate() ?? '';
      return workdays.has(date) || (!holidays.has(date) && weekdays.includes(day.weekday));
    },
    windows: [],
    from: 0,
    to: 0,
  };
  // Frozen policies (the defaults) cannot change under the cache; others are cached by
  // identity, so a caller mutating its hours object in place must pass a new one.
  calendars.set(hours, cal);
  return cal;
}

// plus({ days }) steps by calendar day (a 23- or 25-hour DST day is still one day) and set()
// places a wall-clock time on that date; fixed 24-hour or minutes-since-midnight arithmetic
// would be an hour off around DST changes.
function wallClock(day: DateTime, minute: number): number {
  // startOf: in a zone that skips midnight itself, `day` may be anchored at 01:00.
  if (minute === MINUTES_PER_DAY) return day.plus({ days: 1 }).startOf('day').toMillis();
  return day.set({ hour: Math.floor(minute / 60), minute: minute % 60 }).toMillis();
}

/** Adds the windows of the next days to the cache; throws when none opens for a year. */
function extend(cal: Calendar): void {
  let day = cal.next!;
  for (let closed = 0, added = 0; added < DAYS_PER_EXTENSION || closed > 0; day = day.plus({ days: 1 })) {
    if (cal.isBusinessDay(day)) {
      cal.windows.push([wallClock(day, cal.open), wallClock(day, cal.close)]);
      closed = 0;
    } else if (++closed > MAX_CLOSED_DAYS) {
      throw new RangeError(`no business hours within ${MAX_CLOSED_DAYS} days of ${day.toISODate()}`);
    }
    added++;
  }
  cal.next = day;
  cal.to = day.toMillis();
}

/** The first business window that closes after `at` (it may already be open at `at`). */
function windowAfter(at: number, cal: Calendar): [open: number, close: number] {
  if (at < cal.from || cal.windows.length > 4000 || !cal.next) {
    const day = DateTime.fromMillis(at, { zone: cal.zone }).startOf('day');
    cal.windows = [];
    cal.from = day.toMillis();
    cal.next = day;
    extend(cal);
  }
  for (;;) {
    const w = cal.windows;
    let lo = 0;
    let hi = w.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (w[mid]![1] > at) hi = mid;
      else lo = mid + 1;
    }
    if (lo < w.length) return w[lo]!;
    extend(cal);
  }
}

// ---------------------------------------------------------------------------------------------
// Business-time arithmetic
// ---------------------------------------------------------------------------------------------

/** Inside a business window; open is inclusive, close exclusive. */
export function isBusinessTime(at: number, hours: BusinessHours): boolean {
  return windowAfter(at, calendar(hours))[0] <= at;
}

/** `at` itself when inside business hours, otherwise the next opening. */
export function nextBusinessStart(at: number, hours: BusinessHours): number {
  return Math.max(windowAfter(at, calendar(hours))[0], at);
}

/**
 * The earliest instant by which `minutes` business minutes have passed since `start`
 * (fractions allowed, result rounded to the millisecond). Time before the next opening does not
 * count. A span that uses up a window exactly ends at its close, not at the next opening: a
 * reply due "by 18:00" is late at 18:00, not on Monday morning. Zero minutes returns `start`.
 */
export function addBusinessMinutes(start: number, minutes: number, hours: BusinessHours): number {
  if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError(`minutes must be a finite number >= 0, got ${minutes}`);
  const cal = calendar(hours);
  let remaining = minutes * MS_PER_MINUTE;
  if (remaining === 0) return start;
  for (let t = start; ; ) {
    const [open, close] = windowAfter(t, cal);
    const from = Math.max(open, t);
    if (remaining <= close - from) return Math.round(from + remaining);
    remaining -= close - from;
    t = close;
  }
}

/** Business minutes in [from, to); 0 when `to` is not after `from`. Fractional. */
export function businessMinutesBetween(from: number, to: number, hours: BusinessHours): number {
  const cal = calendar(hours);
  let ms = 0;
  for (let t = from; t < to; ) {
    const [open, close] = windowAfter(t, cal);
    if (open >= to) break;
    ms += Math.min(close, to) - Math.max(open, t);
    t = close;
  }
  return ms / MS_PER_MINUTE;
}

// ---------------------------------------------------------------------------------------------
// SLA
// ---------------------------------------------------------------------------------------------

export interface SlaTimes {
  startedAt: number;
  /** When the conversation has used `policy.warnAt` of its target. */
  warnAt: number;
  dueAt: number;
  targetMinutes: number;
}

export function slaTimes(startedAt: number, tier: Tier, policy: SlaPolicy): SlaTimes {
  const targetMinutes = policy.targetMinutes[tier];
  return {
    startedAt,
    warnAt: addBusinessMinutes(startedAt, targetMinutes * policy.warnAt, policy.hours),
    dueAt: addBusinessMinutes(startedAt, targetMinutes, policy.hours),
    targetMinutes,
  };
}

export type SlaState = 'ok' | 'warning' | 'breached';

/** Both thresholds are reached at their instant: a reply still missing at dueAt is a breach. */
export function slaState(now: number, times: Pick<SlaTimes, 'warnAt' | 'dueAt'>): SlaState {
  if (now >= times.dueAt) return 'breached';
  if (now >= times.warnAt) return 'warning';
  return 'ok';
}

/** What the bot tells a customer who was just queued. */
export interface QueueNotice {
  position: number;
  withinHours: boolean;
  /** When an agent is expected to reply (epoch ms): the dueAt, or an earlier estimate. */
  expectedBy: number;
  /** Next opening, only when queued outside business hours. */
  opensAt?: number;
}

/**
 * @param expectedWaitMinutes optional business-minute estimate (e.g. from recent pick-up times);
 *   it can only make the promise earlier, never later than the SLA.
 */
export function queueNotice(
  now: number,
  position: number,
  times: SlaTimes,
  hours: BusinessHours,
  expectedWaitMinutes?: number,
): QueueNotice {
  const opensAt = nextBusinessStart(now, hours);
  const withinHours = opensAt === now;
  // Counted from the opening, so an estimate of 0 still never promises a reply while closed.
  const expectedBy =
    expectedWaitMinutes === undefined
      ? times.dueAt
      : Math.min(times.dueAt, addBusinessMinutes(opensAt, expectedWaitMinutes, hours));
  return withinHours ? { position, withinHours, expectedBy } : { position, withinHours, expectedBy, opensAt };
}
