import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AgentStore } from '../auth/index.ts';
import { authenticate, requireRole } from '../auth.ts';
import { routeGroup } from '../api-docs/registry.ts';
import { ApiError, parse, requireKnowledge } from '../errors.ts';
import { csatByCategory, dayRange, funnel } from '../insights.ts';
import { buildReport } from '../report.ts';
import { serviceLevels } from '../service-levels.ts';
import type { ArchiveReports } from '../../archive/reports.ts';
import type { Handoff } from '../../handoff/index.ts';
import type { KnowledgeService } from '../../knowledge/index.ts';

export interface InsightRoutesOptions {
  handoff: Handoff;
  agents: AgentStore;
  knowledge?: KnowledgeService;
  /** The business time zone: days are its calendar days. */
  timezone: string;
  /** The archive (PostgreSQL): ranges reach what left Redis. Without it, Redis alone (as before). */
  archive?: { reports: ArchiveReports };
  /** A category's name (`_tags.yml`: billing → 付费), shown instead of its id. */
  tagLabel?: (tag: string) => string;
}

const DATE = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').meta({ description: 'a date YYYY-MM-DD' });
const rangeQuery = z.object({ from: DATE.optional(), to: DATE.optional() });
const reportQuery = rangeQuery.extend({ file: z.string().regex(/^[a-z-]+\.csv$/).optional() });

const days = 'Days are calendar days of the business time zone, `from` and `to` included; the default is the last 7 days.';
const archived = 'With an archive (DATABASE_URL) what left Redis is read from it; if it cannot be read, the answer still comes';
const range = `${days} ${archived}, with \`incomplete\` \`{"unreadDays":[…],"error"}\` naming the days whose figures may be short.`;
const reportRange = `${days} ${archived}, the markdown opening with a 数据不完整 note naming the days whose figures may be short.`;

export const insightRouteDocs = routeGroup('Stats and insights', [
  {
    method: 'GET',
    path: '/api/funnel',
    summary: 'the self-service funnel for each day and the whole range',
    details: range,
    access: 'manager',
    query: rangeQuery,
    ok: { status: 200, description: '`{"days":[day…],"total":day}` (and `incomplete` when the archive could not be read): answered, suggested, unanswered, helpful, handoffs by reason, withdrawn (customers who left the queue), ratings, first response, SLA met…' },
  },
  {
    method: 'GET',
    path: '/api/report',
    summary: 'the feedback report as markdown, or one of its CSV files with `?file=`',
    details: `${reportRange} An unknown \`file\` answers 404 naming the files there are.`,
    access: 'manager',
    query: reportQuery,
    ok: { status: 200, description: 'a download (`Content-Disposition: attachment`)', contentType: 'text/markdown, or text/csv with ?file=' },
    errors: ['NOT_FOUND', 'UNAVAILABLE'],
  },
  {
    method: 'GET',
    path: '/api/service-levels',
    summary: 'first-response time, SLA met, resolution time and per-agent figures for the range',
    details: `${range} Times are business minutes from the handoff; medians are exact to the minute for the first hour, then to their 5/15/60-minute bucket. An agent's \`handled\` counts the conversations they resolved (the dashboard's 已解决), \`served\` those they replied in (接待: a chat that came to them by a transfer too, counted each time it comes to them and they reply; at least \`firstResponse.count\` for days counted before it existed), \`firstResponse.count\` those they gave the first reply in, \`replies\` the messages they sent customers (回复); their \`csat\` the ratings of the resolved ones.`,
    access: 'manager',
    query: rangeQuery,
    ok: {
      status: 200,
      description:
        '`{"from","to","firstResponse":{"count","averageMinutes","medianMinutes","slaMet","slaMetCount"},"resolution":{"count","averageMinutes","medianMinutes"},"agents":[{"agentId","name","handled","served","replies","firstResponse":{…,"slaMet"},"csat":{"count","average","low"}}]}` (and `incomplete` when the archive could not be read); `slaMet` is a share 0..1, a median with nothing timed is null',
    },
  },
  {
    method: 'GET',
    path: '/api/csat',
    summary: 'satisfaction by category, then by channel, with the conversations behind each number',
    details: range,
    access: 'manager',
    query: rangeQuery,
    ok: {
      status: 200,
      description: '`{"total","categories":[…],"agents":[…]}` (and `incomplete` when the archive could not be read); each category carries `label`, its name in `_tags.yml` (else the id)',
    },
  },
]);

/** from/to (inclusive) in the business zone; default the last 7 days. */
export function parseRange(query: unknown, timezone: string): ReturnType<typeof dayRange> {
  const q = parse(rangeQuery.loose(), query, 'query');
  try {
    return dayRange(q.from, q.to, timezone);
  } catch (err) {
    throw new ApiError(400, 'BAD_REQUEST', `query: ${(err as Error).message}`);
  }
}

/**
 * The manager's view of the loop (role manager): the self-service funnel per day and for a range,
 * and satisfaction by category and then by channel, with the conversations behind each number.
 */
export async function insightRoutes(app: FastifyInstance, opts: InsightRoutesOptions): Promise<void> {
  const { handoff, knowledge, timezone } = opts;
  const reports = opts.archive?.reports;
  const archive = reports ? { reports, timezone } : undefined;
  app.addHook('onRequest', authenticate(opts.agents));
  app.addHook('preHandler', requireRole('manager'));

  app.get('/api/funnel', async (request) => funnel(handoff, parseRange(request.query, timezone).days, archive));

  // The feedback report: the markdown, or one of its CSV files (?file=daily.csv …).
  app.get('/api/report', async (request, reply) => {
    const q = parse(reportQuery, request.query, 'query');
    const { days } = parseRange(q, timezone);
    const agentNames = new Map((await opts.agents.list()).map((a) => [a.id, a.name]));
    const report = await buildReport(handoff, requireKnowledge(knowledge), { from: days[0]!, to: days.at(-1)!, timezone, agentNames, ...(reports ? { archive: { reports } } : {}) });
    const base = `report-${days[0]}_${days.at(-1)}`;
    if (q.file) {
      const csv = report.csv[q.file];
      if (csv === undefined) throw new ApiError(404, 'NOT_FOUND', `no report file ${q.file} (${Object.keys(report.csv).join(', ')})`);
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${base}-${q.file}"`).send(csv);
    }
    return reply.type('text/markdown; charset=utf-8').header('content-disposition', `attachment; filename="${base}.md"`).send(report.markdown);
  });

  app.get('/api/service-levels', async (request) => {
    const r = parseRange(request.query, timezone);
    const names = new Map((await opts.agents.list()).map((a) => [a.id, a.name]));
    return serviceLevels(handoff, r, archive, names);
  });

  app.get('/api/csat', async (request) => {
    const { days, fromMs, toMs } = parseRange(request.query, timezone);
    const csat = await csatByCategory(handoff, knowledge, fromMs, toMs, archive ? { ...archive, days } : undefined);
    const label = opts.tagLabel ?? ((tag: string) => tag);
    return { ...csat, categories: csat.categories.map((c) => ({ ...c, label: label(c.category) })) };
  });
}
