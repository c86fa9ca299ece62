/**
 * A chat's header: the customer, its status, owner and SLA, who else looks at it, and the actions.
 * On a phone (styles/conversation.css, <= 720 px) the main action stays in sight and the others
 * (关联已知问题, 退回队列, 关闭（不回复）) fold into 更多: the same buttons, shown as a menu there;
 * a back arrow returns to the list (the chat fills the screen there).
 */
import { html, useEffect, useRef, useState } from '/vendor/preact-htm.js';
import { Avatar, Bidi, customerName, TierBadge } from '../../components/customer.js';
import { Icon } from '../../components/icons.js';
import { ProblemLink } from '../../components/problem.js';
import { CHANNELS, SLA_LABELS, STATUSES } from '../../constants.js';
import { slaState, slaText } from '../../format.js';

/**
 * Which door the customer came through and, where WeChat limits replies (微信客服, Official
 * Account: 5 within 48 h of the customer's last message), how many the agent has left.
 */
function Channel({ channel }) {
  const label = CHANNELS[channel.kind] ?? channel.kind;
  const w = channel.window;
  const until = w?.closesAt ? new Date(w.closesAt).toLocaleString('zh-CN', { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : '';
  return html`<span class=${`channel-chip channel-${channel.kind}`} data-testid="conv-channel" title=${channel.label}>${label}</span>
    ${w
      ? w.remaining > 0
        ? html`<span class="channel-window" data-testid="conv-window">还可回复 ${w.remaining}/${w.maxReplies} 条 · ${until} 前</span>`
        : html`<span class="channel-window is-closed" data-testid="conv-window" title="微信只允许在客户最后一条消息后 48 小时内回复，最多 ${w.maxReplies} 条">服务窗口已关闭：客户再发消息后才能回复</span>`
      : null}`;
}

/** 更多's open state: shut by Escape, a tap outside the header, an action taken in it, or another chat. */
function useMoreMenu(convId) {
  const [open, setOpen] = useState(false);
  const ref = useRef(null);
  useEffect(() => setOpen(false), [convId]);
  useEffect(() => {
    if (!open) return undefined;
    const onKey = (e) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      e.preventDefault();
      setOpen(false);
    };
    const onDown = (e) => {
      if (ref.current && !ref.current.contains(e.target)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onDown);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onDown);
    };
  }, [open]);
  // A button pressed inside the menu did its work: the menu has done its part.
  const onItems = (e) => {
    if (e.target instanceof Element && e.target.closest('button')) setOpen(false);
  };
  return { open, toggle: () => setOpen((v) => !v), ref, onItems };
}

export function Header({ conv, now, viewers, actions, busy }) {
  const name = customerName(conv);
  const sla = conv.status === 'waiting' ? slaState(conv, now) : null;
  const more = useMoreMenu(conv.id);
  const secondary = actions.canLink || actions.canManage || actions.canResolve;
  const viewerNames = viewers.map((a) => a.name).join('、');
  return html`<header class="conv-head" ref=${more.ref}>
    <div class="conv-title">
      <a class="btn conv-back" href="#/queue" data-testid="conv-back" aria-label="返回会话列表" title="返回会话列表"><${Icon} name="back" size=${18} /></a>
      <${Avatar} name=${name} id=${conv.customer?.id} />
      <div class="conv-title-text">
        <div class="conv-name" data-testid="conv-customer"><${Bidi} text=${name} /> <${TierBadge} tier=${conv.customer?.tier} /></div>
        <div class="conv-sub">
          <span class=${`status status-${conv.status}`} data-testid="conv-status">${STATUSES[conv.status] ?? conv.status}</span>
          ${conv.status === 'awaiting_fix' && conv.problemId ? html`<${ProblemLink} id=${conv.problemId} />` : null}
          <span class="conv-owner">负责人：<strong data-testid="conv-assignee">${conv.assignee?.name ?? ''}</strong>${conv.assignee ? null : html`<span class="muted">未分配</span>`}</span>
          ${conv.channel ? html`<${Channel} channel=${conv.channel} />` : null}
          ${sla ? html`<span class=${`sla-label sla-${sla}`}><span class="sla-shape" aria-hidden="true"></span>${SLA_LABELS[sla]} · ${slaText(conv, now)}</span>` : null}
        </div>
      </div>
    </div>
    <div class="conv-actions">
      ${viewers.length
        ? html`<span class="viewers" data-testid="presence-viewers" title=${`${viewerNames} 也在查看此会话`}>
            <${Icon} name="eye" size=${14} /><span class="viewers-names">${viewerNames} 也在查看</span><span class="viewers-count">${viewers.length}</span></span>`
        : null}
      ${conv.status === 'waiting'
        ? html`<button type="button" class="btn btn-primary" data-testid="claim-btn" disabled=${busy} onClick=${actions.claim}>
            <${Icon} name="check" size=${16} />接入会话</button>`
        : null}
      ${conv.status === 'bot' || conv.status === 'resolved'
        ? html`<button type="button" class="btn" data-testid="takeover-btn" disabled=${busy} onClick=${actions.claim}
            title="不等客户转人工，直接由你接待">主动接入</button>`
        : null}
      ${secondary
        ? html`<button type="button" class="btn conv-more-btn" data-testid="conv-more-btn" aria-expanded=${more.open ? 'true' : 'false'}
            aria-controls="conv-more-items" aria-label="更多操作" title="更多操作" onClick=${more.toggle}><${Icon} name="more" size=${18} /></button>`
        : null}
      <div class=${`conv-more-items${more.open ? ' is-open' : ''}`} id="conv-more-items" onClick=${more.onItems}>
      ${actions.canLink
        ? html`<button type="button" class="btn" data-testid="conv-link-problem" disabled=${busy} onClick=${actions.openLink}
            aria-haspopup="dialog" title="客户遇到的是已知问题：挂起会话，修复后自动通知客户"><${Icon} name="flag" size=${15} />关联已知问题</button>`
        : null}
      ${actions.canManage
        ? html`<button type="button" class="btn" data-testid="release-btn" disabled=${busy} onClick=${actions.release}
            title="放回排队队列，由其他客服接入"><${Icon} name="undo" size=${15} />退回队列</button>`
        : null}
      ${actions.canResolve
        ? html`<button type="button" class="btn btn-ghost" data-testid="close-silent-btn" disabled=${busy || actions.resolving} onClick=${actions.closeSilent}
            title="骚扰、广告等：直接关闭，不回复客户，也不邀请评价">关闭（不回复）</button>`
        : null}
      </div>
      ${actions.canResolve
        ? html`<button type="button" class=${`btn${conv.status === 'active' ? ' btn-success' : ''}`} data-testid="resolve-btn" disabled=${busy || actions.resolving} onClick=${actions.resolve}
            title="结束会话，客户会收到评价邀请（几秒内可撤销）"><${Icon} name="check" size=${15} />解决</button>`
        : null}
    </div>
  </header>`;
}
