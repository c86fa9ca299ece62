/**
 * The numbers behind the manager's pages and the feedback report, from the handoff's counters and
 * streams: the self-service funnel per business day, and satisfaction by category then channel.
 */
import { DateTime } from 'luxon';
import type { ArchiveReports, ArchiveShortfall } from '../archive/reports.ts';
import type { Handoff, Rating } from '../handoff/index.ts';
import type { KnowledgeService } from '../knowledge/index.ts';

/**
 * The archive (PostgreSQL) behind a report, when one is configured: what left Redis (expired day
 * counters, trimmed ratings) is read from it, so a quarter's figures are complete. Without it the
 * reports read Redis alone, as they always did.
 */
export interface ReportArchive {
  reports: ArchiveReports;
  /** The business time zone the range's days are in. */
  timezone: string;
}

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
  /** Handoffs the customer left before anyone took them ("解决了", "不用了", confirmed): not resolved. */
  withdrawn: number;
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
    withdrawn: c.withdrawn ?? 0,
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
    total.withdrawn += d.withdrawn;
  }
  total.firstResponse = frOf(total.firstResponse.count, frMinutes, frMet);
  total.csat.average = total.csat.count ? round2(csatSum / total.csat.count) : 0;
  return total;
}

export interface Funnel {
  days: FunnelDay[];
  total: FunnelDay;
  /** Only when the archive could not be read: the days whose figures may be short, and why. */
  incomplete?: ArchiveShortfall;
}

/** Every bot account's counters of one day, summed. */
function merge(perBot: Record<string, Record<string, number>>): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const c of Object.values(perBot)) for (const [f, n] of Object.entries(c)) merged[f] = (merged[f] ?? 0) + n;
  return merged;
}

/** The funnel of each day and of the whole range, over every bot account. */
export async function funnel(handoff: Handoff, days: string[], archive?: ReportArchive): Promise<Funnel> {
  const label = `${days[0]}..${days.at(-1)}`;
  if (archive) {
    const got = await archive.reports.dayCounters({ days, timezone: archive.timezone });
    const perDay = days.map((date) => funnelOf(date, merge(got.days[date] ?? {})));
    return { days: perDay, total: sumDays(perDay, label), ...(got.shortfall ? { incomplete: got.shortfall } : {}) };
  }
  const perDay = await Promise.all(days.map(async (date) => funnelOf(date, merge(await handoff.dayCounters(date)))));
  return { days: perDay, total: sumDays(perDay, label) };
}

export interface CsatStats {
  count: number;
  average: number;
  /** Ratings of 1 or 2. */
  low: number;
  /** How many of each score, 1 to 5. */
  scores: [number, number, number, number, number];
}

/**
 * The conversations listed behind a channel's number: the worst ratings first, then the newest. A
 * quarter holds hundreds of thousands; the rest are counted in `more`, not sent.
 */
export const CSAT_CONVERSATIONS_MAX = 100;

export interface CsatCategory extends CsatStats {
  category: string;
  channels: (CsatStats & { channel: string; conversations: { id: string; score: number; agentId: string | null; at: string }[]; more: number })[];
}

/** One rating, or `n` alike (the archive's counts): what satisfaction is grouped by. */
interface Scored {
  botId: string;
  tag: string | null;
  faqId: string | null;
  agentId: string | null;
  score: number;
  n: number;
  /** The rating itself (the drill-down lists the conversations); absent for counts. */
  rating?: Rating;
}

function stats(xs: Scored[]): CsatStats {
  let count = 0;
  let sum = 0;
  let low = 0;
  const scores: CsatStats['scores'] = [0, 0, 0, 0, 0];
  for (const x of xs) {
    count += x.n;
    sum += x.score * x.n;
    if (x.score <= 2) low += x.n;
    if (x.score >= 1 && x.score <= 5) scores[x.score - 1] = scores[x.score - 1]! + x.n;
  }
  return { count, average: count ? round2(sum / count) : 0, low, scores };
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  // Pushed in place: a quarter's ratings are hundreds of thousands.
  for (const t of items) {
    const k = key(t);
    const list = m.get(k);
    if (list) list.push(t);
    else m.set(k, [t]);
  }
  return m;
}

export interface CsatReport {
  total: CsatStats;
  categories: CsatCategory[];
  /** By the agent who resolved the conversation (null: resolved without one), the worst first. */
  agents: (CsatStats & { agentId: string | null })[];
  /** Only when the archive could not be read: the days whose ratings may be missing, and why. */
  incomplete?: ArchiveShortfall;
}

/**
 * Satisfaction by category (the agent's first tag, else the FAQ entry's category), then channel
 * (bot account), and by agent; the worst first. With an archive, `days` are the range's days;
 * `conversations: false` (the feedback report) counts without listing every rating, so a quarter
 * is read as counts instead of hundreds of thousands of rows.
 */
export async function csatByCategory(
  handoff: Handoff,
  knowledge: KnowledgeService | undefined,
  fromMs: number,
  toMs: number,
  archive?: ReportArchive & { days: string[]; conversations?: boolean },
): Promise<CsatReport> {
  let scored: Scored[];
  let incomplete: ArchiveShortfall | undefined;
  const one = (r: Rating): Scored => ({ botId: r.botId, tag: r.tags[0] ?? null, faqId: r.faqId, agentId: r.agentId, score: r.score, n: 1, rating: r });
  if (archive) {
    const range = { days: archive.days, fromMs, toMs, timezone: archive.timezone };
    const got = archive.conversations === false ? await archive.reports.ratingCounts(range) : await archive.reports.ratings(range);
    scored = 'counts' in got ? got.counts : got.ratings.map(one);
    incomplete = got.shortfall;
  } else {
    scored = (await handoff.ratings(fromMs, toMs)).map(one);
  }
  const matcher = knowledge?.matcher();
  const categoryOf = (r: Scored): string => r.tag ?? (r.faqId ? matcher?.entry(r.faqId)?.category : undefined) ?? 'uncategorized';
  const categories = [...groupBy(scored, categoryOf).entries()].map(([category, rs]) => ({
    category,
    ...stats(rs),
    channels: [...groupBy(rs, (r) => r.botId).entries()].map(([channel, cs]) => {
      const listed = cs
        .flatMap((x) => (x.rating ? [{ id: x.rating.conv, score: x.rating.score, agentId: x.rating.agentId, at: x.rating.at }] : []))
        .sort((a, b) => a.score - b.score || (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
      return {
        channel,
        ...stats(cs),
        conversations: listed.slice(0, CSAT_CONVERSATIONS_MAX),
        more: Math.max(0, listed.length - CSAT_CONVERSATIONS_MAX),
      };
    }),
  }));
  categories.sort((a, b) => a.average - b.average || b.count - a.count);
  const agents = [...groupBy(scored, (r) => r.agentId ?? '').entries()].map(([agentId, rs]) => ({ agentId: agentId || null, ...stats(rs) }));
  agents.sort((a, b) => a.average - b.average || b.count - a.count);
  return { total: stats(scored), categories, agents, ...(incomplete ? { incomplete } : {}) };
}
