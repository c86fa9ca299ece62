import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { ApiError, get, getOptional } from '../api.js';
import { live } from '../live.js';
import { Icon } from './icons.js';

const REFRESH_MS = 10_000;
const DEBOUNCE_MS = 500;

/** Counts refresh on live events (debounced: a busy queue sends many) and every 10 s regardless. */
function useStats() {
  const [stats, setStats] = useState(null);
  const [agents, setAgents] = useState(null);
  const [error, setError] = useState('');
  const [at, setAt] = useState(null);
  useEffect(() => {
    let stopped = false;
    async function load() {
      try {
        const [s, a] = await Promise.all([get('/api/stats'), getOptional('/api/agents', null)]);
        if (stopped) return;
        setStats(s);
        setAgents(a?.items ?? null);
        setError('');
        setAt(new Date());
      } catch (err) {
        if (!stopped && !(err instanceof ApiError && err.status === 401)) setError('统计数据刷新失败，稍后自动重试');
      }
    }
    load();
    const timer = setInterval(load, REFRESH_MS);
    let debounce = null;
    const off = live.on('event', () => {
      clearTimeout(debounce);
      debounce = setTimeout(load, DEBOUNCE_MS);
    });
    return () => {
      stopped = true;
      clearInterval(timer);
      clearTimeout(debounce);
      off();
    };
  }, []);
  return { stats, agents, error, at };
}

const show = (n) => (typeof n === 'number' && Number.isFinite(n) ? String(n) : '—');

function Stat({ testid, label, value, icon, tone = '', hint }) {
  return html`<div class=${`stat${tone ? ` stat-${tone}` : ''}`}>
    <div class="stat-top"><span class="stat-icon"><${Icon} name=${icon} size=${18} /></span><span class="stat-label">${label}</span></div>
    <div class="stat-value" data-testid=${testid}>${show(value)}</div>
    ${hint ? html`<div class="stat-hint muted small">${hint}</div>` : null}
  </div>`;
}

export function ManagerPage() {
  const { stats, agents, error, at } = useStats();
  const s = stats ?? {};
  const atRisk = s.slaAtRisk ?? 0;
  const breached = s.slaBreached ?? 0;
  const online = agents ? agents.filter((a) => a.online) : [];
  return html`<main class="page" data-testid="manager-page">
    <header class="page-head">
      <div><h1>运营概览</h1><p class="muted">实时数据，随会话变化自动刷新${at ? ` · 更新于 ${at.toLocaleTimeString('zh-CN', { hour12: false })}` : ''}</p></div>
    </header>
    ${error ? html`<div class="inline-error">${error}</div>` : null}
    <div class="stats-grid">
      <${Stat} testid="stat-waiting" label="排队等待" value=${s.waiting} icon="inbox" tone="info" hint="等待客服接入的客户" />
      <${Stat} testid="stat-active" label="人工服务中" value=${s.active} icon="chat" hint="正在由客服处理" />
      <${Stat} testid="stat-online" label="在线客服" value=${s.agentsOnline} icon="users" hint="一分钟内有活动连接" />
      <${Stat} testid="stat-at-risk" label="即将超时" value=${s.slaAtRisk} icon="clock" tone=${atRisk ? 'warn' : ''} hint="已用掉 80% 以上的响应时限" />
      <${Stat} testid="stat-breached" label="已超时" value=${s.slaBreached} icon="alert" tone=${breached ? 'breach' : ''} hint="超过响应时限仍未接入" />
      <${Stat} testid="stat-awaiting-fix" label="等待问题修复" value=${s.awaitingFix} icon="wrench" hint="挂起、待产品修复后回复" />
    </div>
    <div class="mgr-grid">
      <section class="card">
        <h2 class="card-title-lg">累计指标</h2>
        <dl class="facts facts-wide">
          <dt>会话总数</dt><dd>${show(s.conversations)}</dd>
          <dt>机器人解答</dt><dd>${show(s.botAnswered)}</dd>
          <dt>转人工</dt><dd>${show(s.handoffs)}</dd>
          <dt>满意度</dt><dd>${s.csat?.count ? `${Number(s.csat.average).toFixed(1)} 分（${s.csat.count} 份评价）` : '暂无评价'}</dd>
        </dl>
      </section>
      <section class="card">
        <h2 class="card-title-lg">客服在线情况 ${agents ? html`<span class="count">${online.length}/${agents.length}</span>` : null}</h2>
        ${agents === null
          ? html`<div class="muted">暂时无法获取客服列表</div>`
          : html`<ul class="agent-list">${agents.map(
              (a) => html`<li key=${a.id} class="agent-row"><span class=${`dot ${a.online ? 'dot-on' : 'dot-off'}`} aria-hidden="true"></span>
                <span class="agent-name">${a.name}</span><span class="muted small">${a.username}</span>
                <span class=${`agent-state ${a.online ? 'is-on' : ''}`}>${a.online ? '在线' : '离线'}</span></li>`,
            )}</ul>`}
      </section>
    </div>
  </main>`;
}
