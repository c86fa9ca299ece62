/** A chat's transcript: the customer's, the bot's and the agents' lines, internal notes, system events. */
import { html } from '/vendor/preact-htm.js';
import { Avatar } from '../components/customer.js';
import { Icon } from '../components/icons.js';
import { Media } from '../components/media.js';
import { KINDS } from '../constants.js';
import { clock, dayLabel, percent, reasonLabel } from '../format.js';
import { problems } from '../problems.js';
import { useStore } from '../store.js';

/** The problem a parked line names ("waiting for a fix: P3"): its title once the list knows it. */
function parkedProblem(m, titles) {
  const ref = /fix:\s*(.+)$/.exec(m.text ?? '')?.[1]?.trim();
  if (!ref) return '';
  return titles.get(ref)?.title ?? ref;
}

/** System events in plain Chinese; the stored English text is only a fallback. */
function systemText(m, titles) {
  if (m.kind === 'feedback') return m.text === 'helpful' ? '客户反馈：这个回答有帮助' : '客户反馈：这个回答没帮上忙';
  if (m.kind === 'send_failed') return '消息未能送达微信（发送失败）';
  if (m.kind === 'send_delayed') return '消息暂未送达客户，正在重试…';
  if (m.kind === 'send_recovered') return '之前未送达的消息已补发成功';
  const who = m.agentName ?? '';
  switch (m.event) {
    case 'waiting': {
      const reason = /^handoff:\s*(\S+)/.exec(m.text ?? '')?.[1];
      return `转入人工队列${reason ? `（${reasonLabel(reason)}）` : ''}`;
    }
    case 'claimed':
      return `${who || '客服'} 接入了会话`;
    case 'transferred':
      return `会话已转接给 ${who || '其他客服'}`;
    case 'released':
      return '会话已退回排队队列';
    case 'resolved':
      // Closed by the customer (handoff WITHDRAWN_BY): they said they no longer need a person.
      return m.agentId === 'customer' ? '客户表示不再需要人工，已结束排队，交回机器人接待' : '会话已解决，交回机器人接待';
    case 'parked': {
      const problem = parkedProblem(m, titles);
      return problem ? `已关联问题：${problem}，修复后将自动通知客户` : '已关联已知问题，修复后将自动通知客户';
    }
    case 'fixed':
      return '问题已修复，已通知客户';
    case 'escalated':
      return '客户在排队时投诉，已按投诉提前处理';
    case 'reopened':
      return '客户再次发来消息，会话重新打开';
    default:
      return m.text || '系统事件';
  }
}

function FaqLine({ m, faqs }) {
  if (!m.faqId) {
    return m.confidence !== undefined
      ? html`<div class="msg-meta-line">未命中 FAQ · 置信度 ${percent(m.confidence)}</div>`
      : null;
  }
  const title = faqs.get(m.faqId)?.title;
  return html`<div class="msg-faq" data-testid="msg-faq" title=${`FAQ 条目 ${m.faqId}`}>
    <span class="faq-tag">FAQ</span>
    <span class="faq-title">${title ?? m.faqId}</span>
    ${m.confidence !== undefined ? html`<span class="faq-conf">置信度 ${percent(m.confidence)}</span>` : null}
  </div>`;
}

function Message({ m, customer, faqs, titles }) {
  const base = { 'data-testid': 'msg', 'data-from': m.from, 'data-msg-id': m.id };
  if (m.from === 'system') {
    const failed = m.kind === 'send_failed';
    const tone = failed ? ' msg-system-bad' : m.event === 'fixed' || m.kind === 'send_recovered' ? ' msg-system-ok' : m.event === 'parked' || m.event === 'escalated' || m.kind === 'send_delayed' ? ' msg-system-warn' : '';
    return html`<div class=${`msg msg-system${tone}`} ...${base}>
      <span class="msg-text" data-testid="msg-text" data-event=${m.event}>${systemText(m, titles)}</span><span class="msg-time">${clock(m.at)}</span>
    </div>`;
  }
  if (m.from === 'note') {
    return html`<div class="msg msg-note" ...${base}>
      <div class="note-head"><${Icon} name="lock" size=${13} /><strong>内部备注</strong><span class="note-private">仅内部可见</span>
        <span class="msg-who">${m.agentName ?? ''}</span><span class="msg-time">${clock(m.at)}</span></div>
      <div class="msg-text" data-testid="msg-text">${m.text}</div>
    </div>`;
  }
  const side = m.from === 'agent' ? 'out' : 'in';
  const kind = m.from === 'customer' && m.kind ? (KINDS[m.kind] ?? m.kind) : '';
  const who = m.from === 'customer' ? customer.name : m.from === 'bot' ? '机器人' : (m.agentName ?? '客服');
  const avatar = m.from === 'bot'
    ? html`<span class="avatar avatar-sm avatar-bot" aria-hidden="true"><${Icon} name="bot" size=${14} /></span>`
    : html`<${Avatar} name=${who} id=${m.from === 'customer' ? customer.id : who} size="sm" />`;
  return html`<div class=${`msg msg-${side} msg-from-${m.from}`} ...${base}>
    ${avatar}
    <div class="msg-col">
      <div class="msg-head"><span class="msg-who"><bdi>${who}</bdi></span><span class="msg-time">${clock(m.at)}</span></div>
      <div class="bubble">
        ${kind ? html`<span class="kind-badge">${kind}消息</span>` : null}
        ${m.mediaUrl ? html`<${Media} url=${m.mediaUrl} kind=${m.kind} />` : null}
        <div class="msg-text" data-testid="msg-text">${m.text}</div>
      </div>
      ${m.from === 'bot' ? html`<${FaqLine} m=${m} faqs=${faqs} />` : null}
    </div>
  </div>`;
}

export function Transcript({ messages, customer, faqs }) {
  const titles = useStore(problems).byId;
  let lastDay = '';
  const out = [];
  for (const m of messages) {
    const day = dayLabel(m.at);
    if (day && day !== lastDay) {
      out.push(html`<div class="day-sep" key=${`d-${m.id}`}><span>${day}</span></div>`);
      lastDay = day;
    }
    out.push(html`<${Message} key=${m.id} m=${m} customer=${customer} faqs=${faqs} titles=${titles} />`);
  }
  return out;
}
