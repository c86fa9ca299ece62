/**
 * The SLA policy from the BUSINESS_* and SLA_* variables (loadConfig), checked by the policy's own
 * schema, each mistake named by the variable a person wrote.
 */
import { DEFAULT_SLA_POLICY, slaPolicySchema, type SlaPolicy } from './handoff/sla.ts';

/** Where each part of the SLA policy comes from. */
const SLA_VARS: Record<string, string> = {
  'hours.timezone': 'BUSINESS_TIMEZONE',
  'hours.weekdays': 'BUSINESS_DAYS',
  'hours.open': 'BUSINESS_HOURS',
  'hours.close': 'BUSINESS_HOURS',
  'hours.holidays': 'BUSINESS_HOLIDAYS',
  'hours.workdays': 'BUSINESS_WORKDAYS',
  'targetMinutes.vip': 'SLA_VIP_MINUTES',
  'targetMinutes.standard': 'SLA_STANDARD_MINUTES',
  warnAt: 'SLA_WARN_AT',
};

const list = (v: string | undefined): string[] | undefined => v?.split(',').map((x) => x.trim()).filter(Boolean);

/** "1-5" or "1,2,3,4,5,6" (ISO weekdays, 1 = Monday). */
function weekdays(v: string | undefined): number[] | undefined {
  const range = v?.match(/^\s*(\d)\s*-\s*(\d)\s*$/);
  if (range) return Array.from({ length: Math.max(0, Number(range[2]) - Number(range[1]) + 1) }, (_, i) => Number(range[1]) + i);
  return list(v)?.map(Number);
}

/** The SLA policy from BUSINESS_* and SLA_* variables over the defaults, checked by its own schema. */
export function slaFromEnv(env: Record<string, string>): { policy?: SlaPolicy; issues: { variable: string; message: string }[] } {
  const d = DEFAULT_SLA_POLICY;
  const [open, close] = env.BUSINESS_HOURS?.split('-').map((x) => x.trim()) ?? [d.hours.open, d.hours.close];
  const num = (v: string | undefined, fallback: number): number => (v === undefined ? fallback : Number(v));
  const parsed = slaPolicySchema.safeParse({
    hours: {
      timezone: env.BUSINESS_TIMEZONE ?? d.hours.timezone,
      weekdays: weekdays(env.BUSINESS_DAYS) ?? d.hours.weekdays,
      open,
      close,
      holidays: list(env.BUSINESS_HOLIDAYS) ?? d.hours.holidays,
      workdays: list(env.BUSINESS_WORKDAYS) ?? d.hours.workdays,
    },
    targetMinutes: { vip: num(env.SLA_VIP_MINUTES, d.targetMinutes.vip), standard: num(env.SLA_STANDARD_MINUTES, d.targetMinutes.standard) },
    warnAt: num(env.SLA_WARN_AT, d.warnAt),
  });
  if (parsed.success) return { policy: parsed.data as SlaPolicy, issues: [] };
  const issues: { variable: string; message: string }[] = [];
  const hours: string[] = [];
  for (const i of parsed.error.issues) {
    const path = i.path.map(String);
    const part = path.slice(0, 2).join('.');
    const key = SLA_VARS[part] ?? SLA_VARS[path[0] ?? ''] ?? 'BUSINESS_HOURS';
    if (key !== 'BUSINESS_HOURS') {
      // One line per variable, saying what was given (BUSINESS_DAYS=0,8 is two bad values, one mistake).
      const message = `${i.message} (got ${JSON.stringify(env[key] ?? '')})`;
      if (!issues.some((x) => x.variable === key && x.message === message)) issues.push({ variable: key, message });
    }
    else hours.push(`${part === 'hours.open' ? 'opening' : 'closing'} time ${i.message}`);
  }
  // One variable holds both times: named once, with what is wrong in each and the expected form.
  if (hours.length > 0) {
    issues.push({
      variable: 'BUSINESS_HOURS',
      message: `${hours.join('; ')} (expected HH:mm-HH:mm such as 09:00-18:00, got ${JSON.stringify(env.BUSINESS_HOURS ?? '')})`,
    });
  }
  return { issues };
}

