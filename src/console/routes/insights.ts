import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { AgentStore } from '../auth/index.ts';
import { authenticate, requireRole } from '../auth.ts';
import { ApiError, parse } from '../errors.ts';
import type { Handoff, Rating } from '../../handoff/index.ts';
import type { KnowledgeService } from '../../knowledge/index.ts';

export interface InsightRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
  knowledge?: KnowledgeService;
  /** The business time zone: days are its calendar days. */
  timezone: string;
}

const DATE = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const MAX_DAYS = 366;

/** from/to (inclusive) in the business zone; default the last 7 days. */
function range(query: unknown, timezone: string): { days: string[]; fromMs: number; toMs: number } {
  const q = parse(z.object({ from: DATE.optional(), to: DATE.optional() }), query, 'query');
  const today = DateTime.now().setZone(timezone).startOf('day');
  const to = q.to ? DateTime.fromISO(q.to, { zone: timezone }) : today;
  const from = q.from ? DateTime.fromISO(q.from, { zone: timezone }) : to.minus({ days: 6 });
  if (!from.isValid || !to.isValid) throw new ApiError(400, 'BAD_REQUEST', 'query: not a calendar date');
  const n = Math.round(to.diff(from, 'days').days) + 1;
  if (n < 1) throw new ApiError(400, 'BAD_REQUEST', 'query.from: must not be after query.to');
  if (n > MAX_DAYS) throw new ApiError(400, 'BAD_REQUEST', `query: at most ${MAX_DAYS} days`);
  const days = Array.from({ length: n }, (_, i) => from.plus({ days: i }).toISODate()!);
  return { days, fromMs: from.toMillis(), toMs: to.plus({ days: 1 }).toMillis() };
}

interface FunnelDay {
  date: string;
  conversations: number;
  botAnswered: number;
  suggested: number;
  unanswered: number;
  helpful: number;
  notHelpful: number;
  handoffs: Record<string, number>;
  csat: { count: number; average: number };
}

function funnelOf(date: string, c: Record<string, number>): FunnelDay {
  const handoffs: Record<string, number> = {};
  for (const [f, n] of Object.entries(c)) if (f.startsWith('handoff:')) handoffs[f.slice('handoff:'.length)] = n;
  const count = c['csat:count'] ?? 0;
  return {
    date,
    conversations: c.conversations ?? 0,
    botAnswered: c['out:answer'] ?? 0,
    suggested: c['out:suggest'] ?? 0,
    unanswered: c['out:unanswered'] ?? 0,
    helpful: c['out:helpful'] ?? 0,
    notHelpful: c['out:not_helpful'] ?? 0,
    handoffs,
    csat: { count, average: count ? round2((c['csat:sum'] ?? 0) / count) : 0 },
  };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

function sum(days: FunnelDay[], date: string): FunnelDay {
  const total = funnelOf(date, {});
  let csatSum = 0;
  for (const d of days) {
    total.conversations += d.conversations;
    total.botAnswered += d.botAnswered;
    total.suggested += d.suggested;
    total.unanswered += d.unanswered;
    total.helpful += d.helpful;
    total.notHelpful += d.notHelpful;
    for (const [r, n] of Object.entries(d.handoffs)) total.handoffs[r] = (total.handoffs[r] ?? 0) + n;
    total.csat.count += d.csat.count;
    csatSum += d.csat.average * d.csat.count;
  }
  total.csat.average = total.csat.count ? round2(csatSum / total.csat.count) : 0;
  return total;
}

/**
 * The manager's view of the loop (role manager): the self-service funnel per day and for a range,
 * and satisfaction by category and then by channel, with the conversations behind each number.
 */
export async function insightRoutes(app: FastifyInstance, opts: InsightRoutesOptions): Promise<void> {
  const { handoff, knowledge, timezone } = opts;
  app.addHook('onRequest', authenticate(opts.agents));
  app.addHook('preHandler', requireRole('manager'));

  app.get('/api/funnel', async (request) => {
    const { days } = range(request.query, timezone);
    const perDay = await Promise.all(
      days.map(async (date) => {
        const byBot = await handoff.dayCounters(date);
        const merged: Record<string, number> = {};
        for (const c of Object.values(byBot)) for (const [f, n] of Object.entries(c)) merged[f] = (merged[f] ?? 0) + n;
        return funnelOf(date, merged);
      }),
    );
    return { days: perDay, total: sum(perDay, `${days[0]}..${days.at(-1)}`) };
  });

  /** A rating's category: the agent's first tag, else the category of the FAQ entry it was about. */
  const categoryOf = (r: Rating): string => r.tags[0] ?? (r.faqId ? knowledge?.matcher().entry(r.faqId)?.category : undefined) ?? 'uncategorized';

  app.get('/api/csat', async (request) => {
    const { fromMs, toMs } = range(request.query, timezone);
    const ratings = await handoff.ratings(fromMs, toMs);
    const groups = new Map<string, Rating[]>();
    for (const r of ratings) groups.set(categoryOf(r), [...(groups.get(categoryOf(r)) ?? []), r]);
    const stats = (rs: Rating[]) => ({ count: rs.length, average: rs.length ? round2(rs.reduce((n, r) => n + r.score, 0) / rs.length) : 0, low: rs.filter((r) => r.score <= 2).length });
    const categories = [...groups.entries()].map(([category, rs]) => {
      const channels = new Map<string, Rating[]>();
      for (const r of rs) channels.set(r.botId, [...(channels.get(r.botId) ?? []), r]);
      return {
        category,
        ...stats(rs),
        channels: [...channels.entries()].map(([channel, cs]) => ({
          channel,
          ...stats(cs),
          conversations: cs.map((r) => ({ id: r.conv, score: r.score, agentId: r.agentId, at: r.at })),
        })),
      };
    });
    // The black holes first: the lowest average among categories with ratings.
    categories.sort((a, b) => a.average - b.average || b.count - a.count);
    return { total: stats(ratings), categories };
  });
}
