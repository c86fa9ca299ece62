/**
 * The queue column's views: 队列 (the live queue, queue.js's sections), 我的 / 未分配 / 全部 with a
 * status (排队/处理中/挂起/已解决/全部) and tag, agent, tier and channel filters, paged by 加载更多
 * with the true count (`total`); and the 重新打开 bar of a closed chat.
 */
import { html } from '/vendor/preact-htm.js';
import { useEffect, useState } from '/vendor/preact-htm.js';
import { post } from '../api.js';
import { Avatar, Bidi, customerName, TierBadge } from '../components/customer.js';
import { HandoffCause, RowPreview } from '../components/unread.js';
import { CHANNELS, STATUSES, TIERS } from '../constants.js';
import { agentsList, applyConversation, loadAgents } from '../data.js';
import { ago, convHref, hasRole } from '../format.js';
import { browse, loadMore, openList } from '../lists.js';
import { toast, toastError } from '../toast.js';
import { useNow, useStore } from '../store.js';

const VIEWS = [
  ['queue', '队列'],
  ['mine', '我的'],
  ['unassigned', '未分配'],
  ['all', '全部'],
];
const LIST_STATUSES = [
  ['all', '全部'],
  ['waiting', '排队'],
  ['active', '处理中'],
  ['parked', '挂起'],
  ['resolved', '已解决'],
];
const EMPTY = { tag: '', agent: '', tier: '', channel: '' };

/** The view tabs and, off the queue view, the filters. `onView(null)`: back to the queue. */
export function ViewBar({ me }) {
  const s = useStore(browse);
  const agents = useStore(agentsList);
  const manager = hasRole(me, 'manager');
  const p = s.params;
  const [tag, setTag] = useState(p?.tag ?? '');
  useEffect(() => {
    if (manager) loadAgents();
  }, [manager]);
  const set = (patch) => openList({ view: 'all', status: 'all', ...EMPTY, ...p, ...patch });
  return html`<div class="viewbar" data-testid="viewbar">
    <div class="view-tabs" role="tablist" aria-label="视图">
      ${VIEWS.map(([key, label]) => {
        const on = key === 'queue' ? !p : p?.view === key;
        return html`<button type="button" role="tab" class=${`view-tab${on ? ' is-on' : ''}`} aria-selected=${on ? 'true' : 'false'}
          data-testid=${`view-${key}`} onClick=${() => (key === 'queue' ? openList(null) : set({ view: key }))}>${label}</button>`;
      })}
    </div>
    ${p
      ? html`<div class="view-filters">
          <div class="status-chips" role="group" aria-label="状态">
            ${LIST_STATUSES.map(([key, label]) => html`<button type="button" class=${`chip status-chip${p.status === key ? ' is-on' : ''}`}
              aria-pressed=${p.status === key ? 'true' : 'false'} data-testid=${`status-${key}`} onClick=${() => set({ status: key })}>${label}</button>`)}
          </div>
          <div class="filter-row">
            <form class="filter-tag" onSubmit=${(e) => (e.preventDefault(), set({ tag: tag.trim() }))}>
              <input class="input input-sm" type="search" placeholder="标签" aria-label="按标签筛选" maxlength="32" value=${tag} data-testid="filter-tag"
                onInput=${(e) => setTag(e.currentTarget.value)} onChange=${(e) => set({ tag: e.currentTarget.value.trim() })} />
            </form>
            ${manager
              ? html`<select class="input input-sm" aria-label="按客服筛选" data-testid="filter-agent" value=${p.agent} onChange=${(e) => set({ agent: e.currentTarget.value })}>
                  <option value="">全部客服</option>
                  ${agents.items.map((a) => html`<option value=${a.id}>${a.name}</option>`)}
                </select>`
              : null}
            <select class="input input-sm" aria-label="按客户等级筛选" data-testid="filter-tier" value=${p.tier} onChange=${(e) => set({ tier: e.currentTarget.value })}>
              <option value="">全部等级</option>
              ${Object.entries(TIERS).map(([k, label]) => html`<option value=${k}>${label}</option>`)}
            </select>
            <select class="input input-sm" aria-label="按渠道筛选" data-testid="filter-channel" value=${p.channel} onChange=${(e) => set({ channel: e.currentTarget.value })}>
              <option value="">全部渠道</option>
              ${Object.entries(CHANNELS).map(([k, label]) => html`<option value=${k}>${label}</option>`)}
            </select>
          </div>
        </div>`
      : null}
  </div>`;
}

function Row({ conv, now, selected }) {
  const name = customerName(conv);
  return html`<a href=${convHref(conv.id)} class=${`qi qi-${conv.status}${selected ? ' is-selected' : ''}`} data-testid="list-item"
      data-conv-id=${conv.id} data-status=${conv.status} aria-current=${selected ? 'true' : undefined}>
    <${Avatar} name=${name} id=${conv.customer?.id} />
    <div class="qi-body">
      <div class="qi-top">
        <span class="qi-name"><${Bidi} text=${name} /></span>
        <${TierBadge} tier=${conv.customer?.tier} />
        <span class="qi-wait">${ago(conv.updatedAt, now)}</span>
      </div>
      <${RowPreview} conv=${conv} testid="list-preview" fallback="（客户未留下文字问题）" />
      <div class="qi-meta">
        <span class=${`chip chip-status chip-${conv.status}`}>${STATUSES[conv.status] ?? conv.status}</span>
        ${conv.reason && conv.status !== 'bot' ? html`<${HandoffCause} conv=${conv} testid="list-reason" />` : null}
        <span class="chip">${conv.assignee?.name ?? '未分配'}</span>
        ${(conv.tags ?? []).slice(0, 3).map((t) => html`<span class="chip chip-tag">${t}</span>`)}
      </div>
    </div>
  </a>`;
}

/** The open view's rows, its true count and 加载更多. */
export function ListView({ selectedId }) {
  const s = useStore(browse);
  const now = useNow(30_000);
  return html`<section class="qsec">
    <h2 class="qsec-head"><span>会话</span><span class="count" data-testid="list-total">${s.total}</span>
      <span class="qsec-hint">已显示 ${s.items.length} / ${s.total}</span></h2>
    ${s.failed ? html`<div class="inline-error">列表读取失败，请稍后重试</div>` : null}
    <div class="qsec-list" data-testid="list-items">
      ${s.items.length === 0 && !s.loading ? html`<div class="qsec-empty">没有符合条件的会话</div>` : null}
      ${s.items.map((c) => html`<${Row} key=${c.id} conv=${c} now=${now} selected=${c.id === selectedId} />`)}
    </div>
    ${s.next ? html`<${MoreButton} onMore=${loadMore} busy=${s.loading} testid="list-more" />` : null}
  </section>`;
}

export function MoreButton({ onMore, busy, testid }) {
  return html`<button type="button" class="btn btn-ghost load-more" data-testid=${testid} disabled=${busy} onClick=${onMore}>
    ${busy ? '加载中…' : '加载更多'}</button>`;
}

/** A closed chat, read-only: 重新打开 takes it back as the caller's (409: someone was quicker, or the customer wrote). */
export function ReopenBar({ conv, onDone }) {
  const [busy, setBusy] = useState(false);
  async function reopen() {
    setBusy(true);
    try {
      const res = await post(`/api/conversations/${encodeURIComponent(conv.id)}/reopen`);
      applyConversation(conv.id, res);
      onDone(res);
      toast('会话已重新打开，你是负责人', { kind: 'success' });
    } catch (err) {
      toastError(err, '重新打开失败', { 409: '会话已不是已解决状态（可能已被他人打开，或客户又发来了消息）' });
    } finally {
      setBusy(false);
    }
  }
  return html`<div class="banner banner-info reopen-bar" role="status" data-testid="reopen-bar">
    <span>会话已解决，记录只读。</span>
    <button type="button" class="btn btn-primary btn-sm" data-testid="reopen" disabled=${busy} onClick=${reopen}>重新打开</button>
  </div>`;
}
