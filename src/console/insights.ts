/**
 * The numbers behind the manager's pages and the feedback report, from the handoff's counters and
 * streams: the self-service funnel per business day, and satisfaction by category then channel.
 */
import { DateTime } from 'luxon';
import type { Handoff, Rating } from '../handoff/index.ts';
import type { KnowledgeService } from '../knowledge/index.ts';

export const MAX_DAYS = 366;

/** The business days from..to (inclusive) and their bounds; throws RangeError naming the problem. */
export function dayRange(from: string | undefined, to: string | undefined, timezone: string): { days: string[]; fromMs: number; toMs: number } {
  const today = DateTime.now().setZone(timezone).startOf('day');
  const end = to ? DateTime.fromISO(to, { zone: timezone }) : today;
  const start = from ? DateTime.fromISO(from, { zone: timezone }) : end.minus({ days: 6 });
  if (!start.isValid || !end.isValid) throw new RangeError('not a calendar date');
  const n = Math.round(end.diff(start, 'days').days) + 1;
  if (n < 1) throw new RangeError('from must not be after to');
  if (n > MAX_DAYS) throw new RangeError(`at most ${MAX_DAYS} days`);
  return { days: Array.from({ length: n }, (_, i) => start.plus({ days: i }).toISODate()!), fromMs: start.toMillis(), toMs: end.plus({ days: 1 }).toMillis() };
}

export interface FunnelDay {
  date: string;
  conversations: number;
  botAnswered: number;
  suggested: number;
  unanswered: number;
  helpful: number;
  notHelpful: number;
  handoffs: Record<string, number>;
  csat: { count: number; average: number };
  /** Handoffs answered: how many, the average wait in business minutes, and the share within the SLA. */
  firstResponse: { count: number; averageMinutes: number; slaMet: number };
  resolved: number;
  /** Resolved with exactly one agent reply. */
  resolvedOneReply: number;
  /** Answers per FAQ entry that day. */
  faq: Record<string, number>;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

function funnelOf(date: string, c: Record<string, number>): FunnelDay {
  const handoffs: Record<string, number> = {};
  const faq: Record<string, number> = {};
  for (const [f, n] of Object.entries(c)) {
    if (f.startsWith('handoff:')) handoffs[f.slice('handoff:'.length)] = n;
    else if (f.startsWith('faq:')) faq[f.slice('faq:'.length)] = n;
  }
  const count = c['csat:count'] ?? 0;
  return {
    date,
    conversations: c.conversations ?? 0,
    // A pick from "did you mean" is an answer the bot gave too (counted apart for learning).
    botAnswered: (c['out:answer'] ?? 0) + (c['out:picked'] ?? 0),
    suggested: c['out:suggest'] ?? 0,
    unanswered: c['out:unanswered'] ?? 0,
    helpful: c['out:helpful'] ?? 0,
    notHelpful: c['out:not_helpful'] ?? 0,
    handoffs,
    csat: { count, average: count ? round2((c['csat:sum'] ?? 0) / count) : 0 },
    firstResponse: frOf(c['fr:count'] ?? 0, c['fr:minutes'] ?? 0, c['fr:met'] ?? 0),
    resolved: c.resolved ?? 0,
    resolvedOneReply: c['resolved:one_reply'] ?? 0,
    faq,
  };
}

/** `slaMet` is a share 0..1 (of the handoffs answered). */
const frOf = (count: number, minutes: number, met: number) => ({ count, averageMinutes: count ? round2(minutes / count) : 0, slaMet: count ? round2(met / count) : 0 });

function sumDays(days: FunnelDay[], label: string): FunnelDay {
  const total = funnelOf(label, {});
  let csatSum = 0;
  let frMinutes = 0;
  let frMet = 0;
  for (const d of days) {
    total.conversations += d.conversations;
    total.botAnswered += d.botAnswered;
    total.suggested += d.suggested;
    total.unanswered += d.unanswered;
    total.helpful += d.helpful;
    total.notHelpful += d.notHelpful;
    for (const [r, n] of Object.entries(d.handoffs)) total.handoffs[r] = (total.handoffs[r] ?? 0) + n;
    for (const [id, n] of Object.entries(d.faq)) total.faq[id] = (total.faq[id] ?? 0) + n;
    total.csat.count += d.csat.count;
    csatSum += d.csat.average * d.csat.count;
    total.firstResponse.count += d.firstResponse.count;
    frMinutes += d.firstResponse.averageMinutes * d.firstResponse.count;
    frMet += d.firstResponse.slaMet * d.firstResponse.count;
    total.resolved += d.resolved;
    total.resolvedOneReply += d.resolvedOneReply;
  }
  total.firstResponse = frOf(total.firstResponse.count, frMinutes, frMet);
  total.csat.average = total.csat.count ? round2(csatSum / total.csat.count) : 0;
  return total;
}

/** The funnel of each day and of the whole range, over every bot account. */
export async function funnel(handoff: Handoff, days: string[]): Promise<{ days: FunnelDay[]; total: FunnelDay }> {
  const perDay = await Promise.all(
    days.map(async (date) => {
      const merged: Record<string, number> = {};
      for (const c of Object.values(await handoff.dayCounters(date))) for (const [f, n] of Object.entries(c)) merged[f] = (merged[f] ?? 0) + n;
      return funnelOf(date, merged);
    }),
  );
  return { days: perDay, total: sumDays(perDay, `${days[0]}..${days.at(-1)}`) };
}

export interface CsatStats {
  count: number;
  average: number;
  /** Ratings of 1 or 2. */
  low: number;
}

export interface CsatCategory extends CsatStats {
  category: string;
  channels: (CsatStats & { channel: string; conversations: { id: string; score: number; agentId: string | null; at: string }[] })[];
}

const stats = (rs: Rating[]): CsatStats => ({
  count: rs.length,
  average: rs.length ? round2(rs.reduce((n, r) => n + r.score, 0) / rs.length) : 0,
  low: rs.filter((r) => r.score <= 2).length,
});

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) m.set(key(t), [...(m.get(key(t)) ?? []), t]);
  return m;
}

/** Satisfaction by category (the agent's first tag, else the FAQ entry's category), then channel (bot account); the worst first. */
export async function csatByCategory(handoff: Handoff, knowledge: KnowledgeService | undefined, fromMs: number, toMs: number): Promise<{ total: CsatStats; categories: CsatCategory[] }> {
  const ratings = await handoff.ratings(fromMs, toMs);
  const categoryOf = (r: Rating): string => r.tags[0] ?? (r.faqId ? knowledge?.matcher().entry(r.faqId)?.category : undefined) ?? 'uncategorized';
  const categories = [...groupBy(ratings, categoryOf).entries()].map(([category, rs]) => ({
    category,
    ...stats(rs),
    channels: [...groupBy(rs, (r) => r.botId).entries()].map(([channel, cs]) => ({
      channel,
      ...stats(cs),
      conversations: cs.map((r) => ({ id: r.conv, score: r.score, agentId: r.agentId, at: r.at })),
    })),
  }));
  categories.sort((a, b) => a.average - b.average || b.count - a.count);
  return { total: stats(ratings), categories };
}
