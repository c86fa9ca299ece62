/**
 * The dashboard's live part: the counts of now (refreshed on live events and every 10 s), the
 * agents online with the all-time totals, and low ratings (1-2) as they arrive.
 */
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { ApiError, get, getOptional } from '../../api.js';
import { Icon } from '../../components/icons.js';
import { STATS_REFRESH_MS } from '../../constants.js';
import { convHref, when } from '../../format.js';
import { live } from '../../live.js';
import { useLoader } from '../../loader.js';
import { score1, show } from './numbers.js';

async function readStats() {
  const [stats, agents] = await Promise.all([get('/api/stats'), getOptional('/api/agents', null)]);
  return { stats, agents: agents?.items ?? null };
}

/** Live counts: refreshed on live events (at most once a second: a busy queue sends many) and every 10 s. */
export function useStats() {
  const { data, error, at } = useLoader(readStats, { every: STATS_REFRESH_MS, on: () => true, throttle: 1_000 });
  return {
    stats: data?.stats ?? null,
    agents: data?.agents ?? null,
    error: error && !(error instanceof ApiError && error.status === 401) ? '统计数据刷新失败，稍后自动重试' : '',
    at,
  };
}

/** Low ratings (1-2) as they arrive: a notice on the page and the conversation marked (the toast: attention.js). */
export function useLowRatings() {
  const [notices, setNotices] = useState([]);
  useEffect(() => {
    let stopped = false;
    const off = live.on('event', (e) => {
      if (e?.type !== 'low_rating' || !e.conv) return;
      const score = Number(e.data?.score);
      const item = { conv: e.conv, botId: e.botId ?? '', score: Number.isFinite(score) ? score : null, name: '', at: e.at ?? new Date().toISOString(), key: `${e.id ?? e.conv}-${Date.now()}` };
      setNotices((list) => [item, ...list.filter((x) => x.conv !== item.conv)].slice(0, 3));
      // The customer's name makes the notice actionable; the rating is shown either way.
      getOptional(`/api/conversations/${encodeURIComponent(e.conv)}`, null)
        .catch(() => null)
        .then((conv) => {
          if (stopped) return;
          const name = conv?.customer?.name || conv?.customer?.id || '';
          if (name) setNotices((list) => list.map((x) => (x.key === item.key ? { ...x, name } : x)));
          // The toast comes from attention.js, on whatever page the manager is.
        });
    });
    return () => {
      stopped = true;
      off();
    };
  }, []);
  const dismiss = (key) => setNotices((list) => list.filter((x) => x.key !== key));
  return { notices, dismiss, fresh: new Set(notices.map((x) => x.conv)) };
}

function Stat({ testid, label, value, icon, tone: t = '', hint }) {
  return html`<div class=${`stat${t ? ` stat-${t}` : ''}`}>
    <div class="stat-top"><span class="stat-icon"><${Icon} name=${icon} size=${16} /></span><span class="stat-label">${label}</span></div>
    <div class="stat-value" data-testid=${testid}>${show(value)}</div>
    ${hint ? html`<div class="stat-hint muted small">${hint}</div>` : null}
  </div>`;
}

export function LiveStats({ stats }) {
  const s = stats ?? {};
  return html`<div class="stats-grid dash-live">
    <${Stat} testid="stat-waiting" label="排队等待" value=${s.waiting} icon="inbox" tone="info" hint="等待客服接入" />
    <${Stat} testid="stat-active" label="人工服务中" value=${s.active} icon="chat" hint="正在由客服处理" />
    <${Stat} testid="stat-online" label="在线客服" value=${s.agentsOnline} icon="users" hint="一分钟内有活动" />
    <${Stat} testid="stat-at-risk" label="即将超时" value=${s.slaAtRisk} icon="clock" tone=${s.slaAtRisk ? 'warn' : ''} hint="已用掉 80% 响应时限" />
    <${Stat} testid="stat-breached" label="已超时" value=${s.slaBreached} icon="alert" tone=${s.slaBreached ? 'breach' : ''} hint="超时仍未接入" />
    <${Stat} testid="stat-awaiting-fix" label="等待问题修复" value=${s.awaitingFix} icon="wrench" hint="待产品修复后回复" />
  </div>`;
}

export function AgentsCard({ agents, stats }) {
  const online = agents ? agents.filter((a) => a.online) : [];
  const s = stats ?? {};
  return html`<section class="card dash-card">
    <div class="dash-card-head">
      <h2 class="card-title-lg"><${Icon} name="users" size=${17} />客服在线情况 ${agents ? html`<span class="count">${online.length}/${agents.length}</span>` : null}</h2>
    </div>
    ${agents === null
      ? html`<div class="muted">暂时无法获取客服列表</div>`
      : html`<ul class="agent-list">${agents.map(
          (a) => html`<li key=${a.id} class="agent-row"><span class=${`dot ${a.online ? 'dot-on' : 'dot-off'}`} aria-hidden="true"></span>
            <span class="agent-name">${a.name}</span><span class="muted small">${a.username}</span>
            <span class=${`agent-state ${a.online ? 'is-on' : ''}`}>${a.online ? '在线' : '离线'}</span></li>`,
        )}</ul>`}
    <div class="dash-alltime">
      <span class="muted small">累计</span>
      <span>会话 <strong>${show(s.conversations)}</strong></span>
      <span>机器人解答 <strong>${show(s.botAnswered)}</strong></span>
      <span>转人工 <strong>${show(s.handoffs)}</strong></span>
      <span>满意度 <strong>${s.csat?.count ? `${score1(s.csat.average)} 分` : '—'}</strong>${s.csat?.count ? html`<span class="muted small">（${s.csat.count} 份）</span>` : null}</span>
    </div>
  </section>`;
}

export function LowRatingNotices({ notices, dismiss }) {
  if (!notices.length) return null;
  return html`<div class="dash-notices">
    ${notices.map(
      (n) => html`<div class="dash-notice" key=${n.key} role="alert" data-testid="low-rating-notice" data-conv-id=${n.conv} data-score=${n.score ?? ''}>
        <${Icon} name="alert" size=${18} />
        <span class="dash-notice-text">收到差评：<strong>${n.score ?? '?'} 分</strong>${n.name ? html` · 客户 <bdi>${n.name}</bdi>` : ''}<span class="muted small"> · ${n.botId || '—'} · ${when(n.at)}</span></span>
        <a class="btn btn-sm dash-notice-go" href=${convHref(n.conv)}>查看会话</a>
        <button type="button" class="dash-notice-x" aria-label="关闭" onClick=${() => dismiss(n.key)}>×</button>
      </div>`,
    )}
  </div>`;
}
