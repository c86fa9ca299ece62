/**
 * The queue column beside a chat: the agent's own chats (active, then parked until a fix), the
 * waiting queue (most urgent first) and, for managers, the other agents' chats and the others
 * parked until a fix.
 */
import { html, useState } from '/vendor/preact-htm.js';
import { Icon } from '../components/icons.js';
import { Avatar, Bidi, customerName, TierBadge } from '../components/customer.js';
import { ProblemChip } from '../components/problem.js';
import { HandoffCause, RowPreview, UnreadBadge } from '../components/unread.js';
import { SLA_LABELS, STATUSES, TICK_CLOCK_MS } from '../constants.js';
import { loadMoreWaiting, queue } from '../data.js';
import { ListView, MoreButton, ViewBar } from './browse.js';
import { browse } from '../lists.js';
import { ago, convHref, duration, hasRole, reasonLabel, slaState, slaText } from '../format.js';
import { useNow, useStore } from '../store.js';

/** Shape + colour + words: the state reads without relying on colour alone. */
export function SlaLabel({ conv, now, compact = false }) {
  const state = slaState(conv, now);
  const full = slaText(conv, now);
  // In a queue row an "ok" chat needs no countdown; the full text stays in the tooltip.
  const rest = compact ? (state === 'ok' ? '' : slaText(conv, now, true)) : full;
  return html`<span class=${`sla-label sla-${state}`} data-sla-state=${state} title=${full ? `响应时限：${full}` : undefined}>
    <span class="sla-shape" aria-hidden="true"></span>${SLA_LABELS[state]}${rest ? html`<span class="sla-rest"> · ${rest}</span>` : null}
  </span>`;
}

function QueueItem({ conv, now, selected }) {
  const state = slaState(conv, now);
  const since = Date.parse(conv.waitingSince ?? conv.createdAt);
  const name = customerName(conv);
  return html`<a href=${convHref(conv.id)} class=${`qi qi-${state}${selected ? ' is-selected' : ''}`}
      data-testid="queue-item" data-conv-id=${conv.id} data-sla=${state} aria-current=${selected ? 'true' : undefined}>
    <${Avatar} name=${name} id=${conv.customer?.id} />
    <div class="qi-body">
      <div class="qi-top">
        <span class="qi-name" data-testid="queue-customer"><${Bidi} text=${name} /></span>
        <${TierBadge} tier=${conv.customer?.tier} testid="queue-tier" />
        <span class="qi-wait" data-testid="queue-waiting" title="已等待">${duration(now - since)}</span>
      </div>
      <${RowPreview} conv=${conv} testid="queue-question" fallback="（客户未留下文字问题）" />
      <div class="qi-meta">
        <${HandoffCause} conv=${conv} />
        <${SlaLabel} conv=${conv} now=${now} compact />
      </div>
    </div>
  </a>`;
}

function ActiveItem({ conv, now, selected, testid, showOwner }) {
  const name = customerName(conv);
  const parked = conv.status === 'awaiting_fix';
  return html`<a href=${convHref(conv.id)} class=${`qi qi-active${parked ? ' qi-parked' : ''}${selected ? ' is-selected' : ''}`}
      data-testid=${testid} data-conv-id=${conv.id} data-status=${conv.status} aria-current=${selected ? 'true' : undefined}>
    <${Avatar} name=${name} id=${conv.customer?.id} />
    <div class="qi-body">
      <div class="qi-top">
        <span class="qi-name"><${Bidi} text=${name} /></span>
        <${TierBadge} tier=${conv.customer?.tier} />
        <${UnreadBadge} conv=${conv} />
        <span class="qi-wait">${ago(conv.updatedAt, now)}</span>
      </div>
      <${RowPreview} conv=${conv} testid="row-preview" fallback=${reasonLabel(conv.reason) || '人工服务中'} />
      ${showOwner || parked
        ? html`<div class="qi-meta">
            ${showOwner ? html`<span class="chip"><${Icon} name="user" size=${12} />${conv.assignee?.name ?? '未分配'}</span>` : null}
            ${parked && !showOwner ? html`<span class="chip chip-status chip-awaiting_fix" data-testid="row-status">${STATUSES.awaiting_fix}</span>` : null}
            ${parked && conv.problemId ? html`<${ProblemChip} id=${conv.problemId} />` : null}</div>`
        : null}
    </div>
  </a>`;
}

function Section({ title, count, testid, empty, children, hint }) {
  return html`<section class="qsec">
    <h2 class="qsec-head"><span>${title}</span><span class="count">${count}</span>${hint ? html`<span class="qsec-hint">${hint}</span>` : null}</h2>
    <div class="qsec-list" data-testid=${testid}>
      ${count === 0 ? html`<div class="qsec-empty">${empty}</div>` : children}
    </div>
  </section>`;
}

export function QueueColumn({ me, selectedId }) {
  const q = useStore(queue);
  const listOpen = useStore(browse).params !== null;
  const [moreBusy, setMoreBusy] = useState(false);
  const waitingTotal = q.totals?.waiting ?? q.waiting.length;
  const now = useNow(TICK_CLOCK_MS);
  const manager = hasRole(me, 'manager');
  const { mine, parkedMine, others, parkedOthers } = columnLists(q, me);
  const breached = q.waiting.filter((c) => slaState(c, now) === 'breach').length;

  return html`<aside class="queue-col" aria-label="会话列表">
    <header class="col-head">
      <h1>会话</h1>
      <div class="col-head-stats">
        <span class="pill" data-testid="waiting-total">${waitingTotal} 排队</span>
        ${breached ? html`<span class="pill pill-breach">${breached} 已超时</span>` : null}
      </div>
    </header>
    ${q.failed ? html`<div class="inline-error">列表刷新失败，正在重试…</div>` : null}
    <${ViewBar} me=${me} />
    ${listOpen ? html`<div class="queue-scroll"><${ListView} selectedId=${selectedId} /></div>` : null}
    <div class="queue-scroll" hidden=${listOpen}>
      <${Section} title="我的会话" count=${mine.length} testid="mine-list" empty="还没有接入的会话"
          hint=${parkedMine ? html`<span data-testid="mine-parked-count">其中 ${parkedMine} 个等待修复</span>` : null}>
        ${mine.map((c) => html`<${ActiveItem} key=${c.id} conv=${c} now=${now} selected=${c.id === selectedId} testid="mine-item" />`)}
      <//>
      <${Section} title="排队等待" count=${waitingTotal} testid="queue-list" hint="按紧急程度排序"
          empty=${q.loaded ? '暂无排队的客户，新的转人工会话会实时出现在这里' : '加载中…'}>
        ${q.waiting.map((c) => html`<${QueueItem} key=${c.id} conv=${c} now=${now} selected=${c.id === selectedId} />`)}
        ${q.next?.waiting
          ? html`<${MoreButton} testid="queue-more" busy=${moreBusy}
              onMore=${() => (setMoreBusy(true), loadMoreWaiting().catch(() => {}).finally(() => setMoreBusy(false)))} />`
          : null}
      <//>
      ${manager
        ? html`<${Section} title="其他客服的会话" count=${others.length} testid="others-list" empty="其他客服暂无进行中的会话">
              ${others.map((c) => html`<${ActiveItem} key=${c.id} conv=${c} now=${now} selected=${c.id === selectedId} testid="others-item" showOwner />`)}
            <//>
            <${Section} title="等待问题修复" count=${parkedOthers.length} testid="fix-list" empty="没有其他挂起的会话">
              ${parkedOthers.map((c) => html`<${ActiveItem} key=${c.id} conv=${c} now=${now} selected=${c.id === selectedId} testid="fix-item" showOwner />`)}
            <//>`
        : null}
    </div>
  </aside>`;
}

/**
 * The column's sections from the queue store: 我的会话 is my active chats, then mine parked on a
 * known problem (still mine: the customer may write, and the fix notice closes them); a manager
 * also sees the others' active and parked chats, each chat in one section only.
 */
function columnLists(q, me) {
  const own = (c) => c.assignee?.id === me.id;
  const parkedMine = q.awaitingFix.filter(own);
  const manager = hasRole(me, 'manager');
  return {
    mine: [...q.active.filter(own), ...parkedMine],
    parkedMine: parkedMine.length,
    others: manager ? q.active.filter((c) => !own(c)) : [],
    parkedOthers: manager ? q.awaitingFix.filter((c) => !own(c)) : [],
  };
}

/** The ids in the order the column shows them, for j/k navigation. */
export function visibleIds(me) {
  const q = queue.get();
  const { mine, others, parkedOthers } = columnLists(q, me);
  return [...mine, ...q.waiting, ...others, ...parkedOthers].map((c) => c.id);
}
