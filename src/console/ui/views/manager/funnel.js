/** The range's funnel: 自助服务漏斗 with its daily chart, 转人工原因, and 热门问题 (the FAQ entries used most). */
import { html } from '/vendor/preact-htm.js';
import { FunnelChart, Sparkline } from '../../components/charts.js';
import { Icon } from '../../components/icons.js';
import { Spinner } from '../../components/spinner.js';
import { REASON_ORDER } from '../../constants.js';
import { canned } from '../../data.js';
import { session } from '../../api.js';
import { hasRole, reasonLabel, sumValues as sum } from '../../format.js';
import { useStore } from '../../store.js';
import { pct, ratio, score1 } from './numbers.js';

/** The FAQ entries listed. */
const TOP_FAQ = 8;

/** The questions the bot could not answer are listed on 知识库 (its editors' page): one click there; for others, where the report has them. */
function unansweredLink(n) {
  const text = `未能回答 ${n}`;
  if (!n) return text;
  // Without the editor role the 知识库 page is closed: the same questions are in the report's CSV.
  if (!session.agent || !hasRole(session.agent, 'editor')) return html`<span data-testid="funnel-unanswered-hint" title="这些问题可在下方「下载反馈报告」中下载「未解答问题」CSV 查看">${text}</span>`;
  return html`<a class="link" href="#/editor" data-testid="funnel-unanswered-link" title="在「知识库」页查看这些问题">${text}</a>`;
}

export function FunnelCard({ funnel }) {
  const t = funnel?.total;
  const conv = t?.conversations ?? 0;
  const handoffs = sum(t?.handoffs);
  // botAnswered counts answers (one per question, a pick from a list included), not conversations:
  // its share is of what the bot met, answered, suggested or not answered, and so at most 100%.
  const asked = t ? t.botAnswered + t.suggested + t.unanswered : 0;
  const steps = t
    ? [
        { key: 'conversations', label: '会话', value: conv, of: conv, pctText: conv ? '100%' : '—', hint: '新开始的会话' },
        { key: 'botAnswered', label: '机器人解答', value: t.botAnswered, of: asked, pctText: `占提问 ${pct(t.botAnswered, asked)}`, hint: html`另有推荐 ${t.suggested} · ${unansweredLink(t.unanswered)}` },
        { key: 'helpful', label: '答案有帮助', value: t.helpful, of: t.botAnswered, pctText: `占解答 ${pct(t.helpful, t.botAnswered)}`, hint: `没帮上 ${t.notHelpful} · 未反馈 ${Math.max(0, t.botAnswered - t.helpful - t.notHelpful)}` },
        { key: 'handoffs', label: '转人工', value: handoffs, of: conv, pctText: `占会话 ${pct(handoffs, conv)}`, hint: t.withdrawn ? `由客服接手 · ${t.withdrawn} 位客户不再需要，自行结束了排队` : '由客服接手' },
        { key: 'csat', label: '满意度评价', value: t.csat.count, of: conv, pctText: `占转人工 ${pct(t.csat.count, handoffs)}`, hint: t.csat.count ? `平均 ${score1(t.csat.average)} 分` : '暂无评价' },
      ]
    : [];
  const selfService = conv ? Math.max(0, 1 - handoffs / conv) : null;
  return html`<section class="card dash-card dash-funnel-card">
    <div class="dash-card-head">
      <h2 class="card-title-lg"><${Icon} name="chart" size=${17} />自助服务漏斗</h2>
      ${selfService === null ? null : html`<span class="dash-kpi" title="没有转人工的会话占比">自助解决率 <strong>${Math.round(selfService * 100)}%</strong></span>`}
    </div>
    ${t
      ? html`<div class="dash-funnel-body">
          <div class="funnel" data-testid="funnel">
            ${steps.map(
              (s) => html`<div class="funnel-step" key=${s.key} data-testid="funnel-step" data-step=${s.key} data-value=${s.value}>
                <div class="funnel-label"><span class="funnel-name">${s.label}</span><span class="funnel-hint">${s.hint}</span></div>
                <div class="funnel-track" aria-hidden="true"><span class=${`funnel-bar funnel-bar-${s.key}`} style=${{ width: `${Math.max(s.value ? 2 : 0, Math.round(ratio(s.value, s.of) * 100))}%` }}></span></div>
                <div class="funnel-num"><strong class="funnel-value">${s.value}</strong><span class="funnel-pct">${s.pctText}</span></div>
              </div>`,
            )}
          </div>
          <div class="dash-chart-wrap">
            <div class="dash-chart-title muted small">每日趋势</div>
            <${FunnelChart} days=${funnel.days} />
          </div>
        </div>`
      : html`<div class="dash-loading"><${Spinner} /></div>`}
  </section>`;
}

export function ReasonsCard({ funnel }) {
  const by = funnel?.total?.handoffs ?? {};
  const total = sum(by);
  const rows = [...new Set([...REASON_ORDER, ...Object.keys(by)])]
    .map((reason) => ({ reason, n: Number(by[reason] ?? 0) }))
    .sort((a, b) => b.n - a.n || REASON_ORDER.indexOf(a.reason) - REASON_ORDER.indexOf(b.reason));
  const max = Math.max(1, ...rows.map((r) => r.n));
  return html`<section class="card dash-card" data-testid="reasons">
    <div class="dash-card-head">
      <h2 class="card-title-lg"><${Icon} name="swap" size=${17} />转人工原因</h2>
      <span class="muted small">共 ${total} 次</span>
    </div>
    ${funnel
      ? html`<ul class="dash-bars">
          ${rows.map(
            (r) => html`<li class=${`dash-bar-row${r.n ? '' : ' is-zero'}`} key=${r.reason} data-testid="reason-row" data-reason=${r.reason} data-value=${r.n}>
              <span class="dash-bar-label">${reasonLabel(r.reason)}</span>
              <span class="dash-bar-track" aria-hidden="true"><span class=${`dash-bar-fill reason-${r.reason}`} style=${{ width: `${Math.round((r.n / max) * 100)}%` }}></span></span>
              <span class="dash-bar-num"><strong>${r.n}</strong><span class="muted">${pct(r.n, total)}</span></span>
            </li>`,
          )}
        </ul>`
      : html`<div class="dash-loading"><${Spinner} /></div>`}
  </section>`;
}

export function TopFaqCard({ funnel }) {
  const { byFaq } = useStore(canned);
  const counts = funnel?.total?.faq ?? {};
  const rows = Object.entries(counts)
    .map(([id, n]) => ({ id, n: Number(n) || 0 }))
    .filter((r) => r.n > 0)
    .sort((a, b) => b.n - a.n || a.id.localeCompare(b.id))
    .slice(0, TOP_FAQ);
  const total = sum(counts);
  const max = Math.max(1, ...rows.map((r) => r.n));
  const days = funnel?.days ?? [];
  return html`<section class="card dash-card dash-top">
    <div class="dash-card-head">
      <h2 class="card-title-lg"><${Icon} name="book" size=${17} />热门问题</h2>
      <span class="muted small">机器人用知识库条目解答的次数</span>
    </div>
    ${!funnel
      ? html`<div class="dash-loading"><${Spinner} /></div>`
      : rows.length === 0
        ? html`<div class="dash-empty muted">这段时间机器人还没有用知识库解答过问题</div>`
        : html`<ol class="dash-top-list">
            ${rows.map((r, i) => {
              const title = byFaq.get(r.id)?.title;
              return html`<li class="dash-top-row" key=${r.id} data-testid="top-faq" data-faq-id=${r.id} data-value=${r.n}>
                <span class=${`dash-top-rank${i < 3 ? ' is-top' : ''}`}>${i + 1}</span>
                <span class="dash-top-main">
                  <span class="dash-top-title" title=${title ?? r.id}>${title ?? r.id}</span>
                  <span class="dash-top-sub"><code>${r.id}</code><span class="dash-bar-track dash-top-track" aria-hidden="true"><span class="dash-bar-fill" style=${{ width: `${Math.round((r.n / max) * 100)}%` }}></span></span></span>
                </span>
                ${days.length > 1 ? html`<${Sparkline} values=${days.map((d) => Number(d.faq?.[r.id] ?? 0))} label=${`${title ?? r.id} 每日解答次数`} />` : null}
                <span class="dash-top-num"><strong>${r.n}</strong><span class="muted small">${pct(r.n, total)}</span></span>
              </li>`;
            })}
          </ol>`}
  </section>`;
}
