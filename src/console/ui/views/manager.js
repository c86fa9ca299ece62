/**
 * 数据 (#/manager): the managers' dashboard. The live counts at the top; below, for a date range
 * (今天 / 近7天 / 近30天 / custom): the self-service funnel with a chart per day, the service levels (first response, SLA met,
 * resolution time, per agent), why chats went to a person, satisfaction by category -> channel -> conversation, the FAQ entries used most, and the
 * feedback report to download. Everything refreshes on live events (at most once a second) and every 30 s;
 * a 1-2 rating arriving live shows a notice and is highlighted in the drill-down; every 1-2 rating stays on
 * 差评待跟进 until a manager marks it followed up.
 */
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { ApiError, get } from '../api.js';
import { REFRESH_MS } from '../constants.js';
import { timeOfDay } from '../format.js';
import { useLoader } from '../loader.js';
import { useNow } from '../store.js';
import { CsatCard } from './manager/csat.js';
import { FunnelCard, ReasonsCard, TopFaqCard } from './manager/funnel.js';
import { AgentsCard, LiveStats, LowRatingNotices, useLowRatings, useStats } from './manager/live.js';
import { LowRatingCard } from './manager/low-ratings.js';
import { localToday, presetRange, RangePicker } from './manager/range.js';
import { ReportCard } from './manager/report.js';
import { ServiceCard } from './manager/service.js';
import { TagQualityCard } from '../components/tag-quality.js';

/**
 * The range's funnel and satisfaction, refreshed on live events (at most once a second) and every 30 s. While
 * another range loads, the last one's figures stay; an answer for an earlier range is dropped.
 */
function useRangeData(from, to) {
  const key = `${from}_${to}`;
  const read = async () => {
    const qs = `from=${from}&to=${to}`;
    const [funnel, csat, service] = await Promise.all([get(`/api/funnel?${qs}`), get(`/api/csat?${qs}`), get(`/api/service-levels?${qs}`)]);
    return { funnel, csat, service };
  };
  const { data, dataKey, error, loading, at } = useLoader(read, { key, every: REFRESH_MS, on: () => true, throttle: 1_000, resync: true });
  let message = '';
  if (error && !(error instanceof ApiError && error.status === 401)) message = dataKey === key ? '数据刷新失败，稍后自动重试' : '数据加载失败，请稍后重试';
  return { funnel: data?.funnel ?? null, csat: data?.csat ?? null, service: data?.service ?? null, error: message, loading, at };
}

/**
 * The archive (PostgreSQL) could not be read: the figures of days that already left Redis may be short.
 * Said plainly, with the days, rather than showing a smaller number as if it were complete.
 */
function Incomplete({ funnel, csat, service }) {
  const days = [...new Set([funnel, csat, service].flatMap((x) => x?.incomplete?.unreadDays ?? []))].sort();
  if (!days.length) return null;
  const shown = days.length > 6 ? `${days.slice(0, 3).join('、')} … ${days.slice(-2).join('、')}（共 ${days.length} 天）` : days.join('、');
  return html`<div class="inline-error" role="status" data-testid="dash-incomplete" data-days=${days.length}>
    历史数据库暂时连不上，以下日期的数据可能不全：${shown}。恢复后刷新即可看到完整数据。
  </div>`;
}

export function ManagerPage() {
  const { stats, agents, error, at } = useStats();
  const [today, setToday] = useState(localToday);
  const [range, setRange] = useState(() => ({ preset: '7', ...presetRange('7', localToday()) }));
  const tick = useNow(REFRESH_MS);
  const { notices, dismiss, fresh } = useLowRatings();

  // A preset follows the calendar: past midnight, 今天 is the new day.
  useEffect(() => {
    const now = localToday();
    if (now === today) return;
    setToday(now);
    if (range.preset !== 'custom') setRange({ preset: range.preset, ...presetRange(range.preset, now) });
  }, [tick]);

  const data = useRangeData(range.from, range.to);
  const funnel = data.funnel;

  return html`<main class="page dash" data-testid="manager-page">
    <header class="page-head">
      <div><h1>数据</h1><p class="muted">实时数据，随会话变化自动刷新${at ? ` · 更新于 ${timeOfDay(at)}` : ''}</p></div>
    </header>
    ${error ? html`<div class="inline-error">${error}</div>` : null}
    <${LowRatingNotices} notices=${notices} dismiss=${dismiss} />
    <${LiveStats} stats=${stats} />
    <${RangePicker} range=${range} today=${today} onChange=${setRange} loading=${data.loading} at=${data.at} />
    ${data.error ? html`<div class="inline-error" data-testid="dash-error">${data.error}</div>` : null}
    <${Incomplete} funnel=${funnel} csat=${data.csat} service=${data.service} />
    <${FunnelCard} funnel=${funnel} />
    <${ServiceCard} service=${data.service} />
    <div class="dash-grid">
      <div class="dash-col">
        <${ReasonsCard} funnel=${funnel} />
        <${TopFaqCard} funnel=${funnel} />
        <${AgentsCard} agents=${agents} stats=${stats} />
      </div>
      <div class="dash-col">
        <${LowRatingCard} />
        <${CsatCard} csat=${data.csat} agents=${agents} fresh=${fresh} />
        <${ReportCard} range=${range} />
        <${TagQualityCard} />
      </div>
    </div>
  </main>`;
}
