/**
 * 人工服务: the range's first-response time (handoff -> an agent's first reply), the share answered
 * within the response time limit, resolution time, and per agent: conversations handled, replies, their
 * median first response, their share within the limit, and the ratings of what they closed.
 */
import { html } from '/vendor/preact-htm.js';
import { Icon } from '../../components/icons.js';
import { Spinner } from '../../components/spinner.js';
import { score1, tone } from './numbers.js';

/** "45 分钟", "2 小时 5 分钟": business minutes, as the server counts them. */
export function mins(m) {
  if (m === null || m === undefined || !Number.isFinite(Number(m))) return '—';
  const n = Math.round(Number(m));
  // Off-hours work is 0 business minutes: "0 分钟" would read as instant.
  if (n < 1) return '不到 1 分钟';
  if (n < 60) return `${n} 分钟`;
  const h = Math.floor(n / 60);
  return n % 60 ? `${h} 小时 ${n % 60} 分钟` : `${h} 小时`;
}

const share = (x, count) => (count ? `${Math.round(x * 100)}%` : '—');
const slaTone = (x) => (x >= 0.9 ? 'good' : x >= 0.7 ? 'mid' : 'bad');

function Figure({ testid, label, value, sub, data, t }) {
  return html`<div class="svc-fig" data-testid=${testid} ...${data}>
    <div class="svc-fig-label muted small">${label}</div>
    <div class=${`svc-fig-value${t ? ` dash-tone-${t}` : ''}`}>${value}</div>
    <div class="svc-fig-sub muted small">${sub}</div>
  </div>`;
}

export function ServiceCard({ service }) {
  const fr = service?.firstResponse;
  const res = service?.resolution;
  return html`<section class="card dash-card dash-service" data-testid="service-card">
    <div class="dash-card-head">
      <h2 class="card-title-lg"><${Icon} name="clock" size=${17} />人工服务</h2>
      <span class="muted small">按工作时间计，从转人工开始算</span>
    </div>
    ${!service
      ? html`<div class="dash-loading"><${Spinner} /></div>`
      : html`<div class="svc-figs">
            <${Figure} testid="svc-first-response" label="首次响应（中位数）" value=${mins(fr.medianMinutes)}
              sub=${fr.count ? `平均 ${mins(fr.averageMinutes)} · 共 ${fr.count} 次` : '这段时间没有人工回复'}
              data=${{ 'data-count': fr.count, 'data-median': fr.medianMinutes ?? '' }} />
            <${Figure} testid="svc-sla" label="时限内首次回复" value=${share(fr.slaMet, fr.count)} t=${fr.count ? slaTone(fr.slaMet) : ''}
              sub=${fr.count ? `${fr.slaMetCount} / ${fr.count} 次在响应时限内` : '—'}
              data=${{ 'data-met': fr.slaMetCount, 'data-count': fr.count }} />
            <${Figure} testid="svc-resolution" label="解决用时（中位数）" value=${mins(res.medianMinutes)}
              sub=${res.count ? `平均 ${mins(res.averageMinutes)} · 共 ${res.count} 次` : '这段时间没有解决的会话'}
              data=${{ 'data-count': res.count, 'data-median': res.medianMinutes ?? '' }} />
          </div>
          ${service.agents.length === 0
            ? html`<div class="dash-empty muted">这段时间还没有客服处理过会话</div>`
            : html`<div class="svc-table-wrap"><table class="svc-table" data-testid="svc-agents">
                <thead><tr><th scope="col">客服</th><th scope="col" title="回复过的会话（含转接来的）">接待</th><th scope="col" title="由这位客服结束的会话">已解决</th><th scope="col" title="发给客户的消息（含转接来的会话）">回复</th><th scope="col" title="这位客服先回复的会话：中位数（次数）">首次响应</th><th scope="col">时限内</th><th scope="col">满意度</th></tr></thead>
                <tbody>${service.agents.map(
                  (a) => html`<tr key=${a.agentId} data-testid="svc-agent" data-agent-id=${a.agentId} data-served=${a.served} data-first=${a.firstResponse.count} data-handled=${a.handled} data-replies=${a.replies}
                      data-median=${a.firstResponse.medianMinutes ?? ''} data-csat=${a.csat.count ? a.csat.average : ''}>
                    <th scope="row"><bdi>${a.name ?? a.agentId}</bdi></th>
                    <td>${a.served}</td>
                    <td>${a.handled}</td>
                    <td>${a.replies}</td>
                    <td>${a.firstResponse.count ? html`${mins(a.firstResponse.medianMinutes)}<span class="muted small">（${a.firstResponse.count} 次）</span>` : html`<span class="muted">—</span>`}</td>
                    <td>${share(a.firstResponse.slaMet, a.firstResponse.count)}</td>
                    <td>${a.csat.count ? html`<span class=${`dash-tone-${tone(a.csat.average)}`}>${score1(a.csat.average)}</span><span class="muted small">（${a.csat.count} 份）</span>` : html`<span class="muted">—</span>`}</td>
                  </tr>`,
                )}</tbody>
              </table></div>`}`}
  </section>`;
}
