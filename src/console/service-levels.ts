/**
 * The managers' service figures for a range of business days: first-response time (handoff -> an
 * agent's first reply), SLA met, resolution time (handoff -> resolve), all in business minutes,
 * and per agent: handled (conversations they closed), chats served (replied in), replies sent, first responses and their median, and the
 * ratings of the conversations they closed. Read like the funnel: the day counters (Redis, and the
 * archive for what left it, never counted twice) and the ratings.
 */
import type { ArchiveShortfall } from '../archive/reports.ts';
import type { Handoff } from '../handoff/index.ts';
import { histogramMedian, readServiceCounts } from '../handoff/service-fields.ts';
import { csatByCategory, type CsatStats, type ReportArchive } from './insights.ts';

export interface DurationFigures {
  count: number;
  averageMinutes: number;
  /** null when nothing was timed. */
  medianMinutes: number | null;
}

export interface AgentFigures {
  agentId: string;
  /** The console name, when the account still exists. */
  name: string | null;
  handled: number;
  /**
   * Chats the agent replied in (接待): also those that came to them by a transfer. Days counted
   * before this figure existed have only first responses, so it is at least that count.
   */
  served: number;
  /** Messages the agent sent customers (also in conversations someone else answered first or closed). */
  replies: number;
  firstResponse: DurationFigures & { slaMet: number; slaMetCount: number };
  csat: Pick<CsatStats, 'count' | 'average' | 'low'>;
}

export interface ServiceLevels {
  from: string;
  to: string;
  /** `slaMet`: the share 0..1 of first responses sent before the chat's SLA due time. */
  firstResponse: DurationFigures & { slaMet: number; slaMetCount: number };
  resolution: DurationFigures;
  /** Most handled first. */
  agents: AgentFigures[];
  /** Only when the archive could not be read: the days whose figures may be short, and why. */
  incomplete?: ArchiveShortfall;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
const duration = (count: number, minutes: number, hist: Map<number, number>): DurationFigures => ({
  count,
  averageMinutes: count ? round2(minutes / count) : 0,
  medianMinutes: histogramMedian(hist),
});

function mergeShortfalls(...all: (ArchiveShortfall | undefined)[]): ArchiveShortfall | undefined {
  const got = all.filter((x): x is ArchiveShortfall => !!x);
  if (!got.length) return undefined;
  return { unreadDays: [...new Set(got.flatMap((x) => x.unreadDays))].sort(), error: got.map((x) => x.error).find(Boolean) ?? '' };
}

/**
 * The figures of `days` (from..to inclusive, [fromMs, toMs) for the ratings). `names` maps agent
 * ids to console names (absent: null).
 */
export async function serviceLevels(
  handoff: Handoff,
  range: { days: string[]; fromMs: number; toMs: number },
  archive?: ReportArchive,
  names: ReadonlyMap<string, string> = new Map(),
): Promise<ServiceLevels> {
  const { days, fromMs, toMs } = range;
  const summed: Record<string, number> = {};
  const addAll = (perBot: Record<string, Record<string, number>>) => {
    for (const c of Object.values(perBot)) for (const [f, n] of Object.entries(c)) summed[f] = (summed[f] ?? 0) + n;
  };
  let shortfall: ArchiveShortfall | undefined;
  const csatP = csatByCategory(handoff, undefined, fromMs, toMs, archive ? { ...archive, days, conversations: false } : undefined);
  if (archive) {
    const got = await archive.reports.dayCounters({ days, timezone: archive.timezone });
    for (const d of days) addAll(got.days[d] ?? {});
    shortfall = got.shortfall;
  } else {
    for (const perBot of await Promise.all(days.map((d) => handoff.dayCounters(d)))) addAll(perBot);
  }
  const csat = await csatP;
  const s = readServiceCounts(summed);
  const frCount = summed['fr:count'] ?? 0;
  const frMet = summed['fr:met'] ?? 0;
  const csatBy = new Map(csat.agents.flatMap((a) => (a.agentId ? [[a.agentId, a] as const] : [])));
  const ids = new Set([...s.agents.keys(), ...csatBy.keys()]);
  const agents: AgentFigures[] = [...ids].map((id) => {
    const a = s.agents.get(id);
    const c = csatBy.get(id);
    const fr = a?.fr ?? { count: 0, minutes: 0, met: 0, hist: new Map<number, number>() };
    return {
      agentId: id,
      name: names.get(id) ?? null,
      handled: a?.handled ?? 0,
      replies: a?.replies ?? 0,
      served: Math.max(a?.served ?? 0, fr.count),
      firstResponse: { ...duration(fr.count, fr.minutes, fr.hist), slaMet: fr.count ? round2(fr.met / fr.count) : 0, slaMetCount: fr.met },
      csat: { count: c?.count ?? 0, average: c?.average ?? 0, low: c?.low ?? 0 },
    };
  });
  agents.sort((a, b) => b.handled - a.handled || b.served - a.served || b.replies - a.replies || a.agentId.localeCompare(b.agentId));
  const incomplete = mergeShortfalls(shortfall, csat.incomplete);
  return {
    from: days[0]!,
    to: days.at(-1)!,
    firstResponse: { ...duration(frCount, summed['fr:minutes'] ?? 0, s.frHist), slaMet: frCount ? round2(frMet / frCount) : 0, slaMetCount: frMet },
    resolution: duration(s.res.count, s.res.minutes, s.res.hist),
    agents,
    ...(incomplete ? { incomplete } : {}),
  };
}
