/**
 * 客户档案, in the panel beside a chat: the customer's channel, when they first wrote, their tags,
 * and every conversation so far (each handoff of their thread, archived ones too) with how it ended
 * and their rating; each opens the chat where it began. Read again when this chat changes hands.
 */
import { html } from '/vendor/preact-htm.js';
import { get } from '../../api.js';
import { Bidi } from '../../components/customer.js';
import { Icon } from '../../components/icons.js';
import { CHANNELS, SESSION_OUTCOMES } from '../../constants.js';
import { convHref, reasonLabel, when } from '../../format.js';
import { useLoader } from '../../loader.js';

/** The events after which the history reads differently. */
const CHANGES = new Set(['waiting', 'claimed', 'transferred', 'parked', 'resolved', 'fixed', 'reopened', 'tags']);

const scoreTone = (s) => (s <= 2 ? 'bad' : s < 4 ? 'mid' : 'good');

function Session({ convId, s, current }) {
  const href = `${convHref(convId)}?m=${encodeURIComponent(s.startId)}`;
  return html`<li class="cust-session" data-testid="cust-session" data-outcome=${s.outcome} data-rating=${s.rating ?? ''}>
    <a class="cust-session-link" href=${href} data-testid="cust-session-open">
      <span class="cust-session-top">
        <span class="cust-session-when">${when(s.startedAt)}</span>
        ${current ? html`<span class="cust-session-now">本次</span>` : null}
        <span class=${`cust-outcome cust-outcome-${s.outcome}`}>${SESSION_OUTCOMES[s.outcome] ?? s.outcome}</span>
      </span>
      <span class="cust-session-sub muted small">
        ${s.reason ? reasonLabel(s.reason) : '转人工'}${s.agent ? html` · 客服 <bdi>${s.agent.name}</bdi>` : ''}
        ${s.rating ? html` · <span class=${`cust-rating dash-tone-${scoreTone(s.rating)}`} data-testid="cust-session-rating">${s.rating} 分</span>` : ''}
      </span>
    </a>
  </li>`;
}

/** "微信客服 · 售后客服"; a label that already starts with the channel's name (the default "微信客服 wk…") says it once. */
function channelText({ kind, label }) {
  const name = CHANNELS[kind] ?? kind;
  const rest = label?.startsWith(name) ? label.slice(name.length).trim() : label;
  return rest ? `${name} · ${rest}` : name;
}

export function CustomerPanel({ conv }) {
  const [botId, ...rest] = conv.id.split('.');
  const customerId = rest.join('.');
  const { data, error } = useLoader(() => get(`/api/customers/${encodeURIComponent(botId)}/${encodeURIComponent(customerId)}`), {
    key: conv.id,
    on: (e) => e?.conv === conv.id && CHANGES.has(e.type),
    throttle: 1_000,
  });
  const h = data && data.conversationId === conv.id ? data : null;
  const channel = h?.channel ? channelText(h.channel) : null;
  // The newest session is this chat's own while it is with a person.
  const currentOpen = h?.sessions[0] && h.sessions[0].outcome !== 'resolved' && h.sessions[0].outcome !== 'fixed' && h.sessions[0].outcome !== 'withdrawn';
  return html`<section class="card cust-panel" data-testid="customer-panel" aria-label="客户档案">
    <h3 class="card-title"><${Icon} name="users" size=${14} />客户档案</h3>
    ${!h
      ? html`<div class="muted small">${error ? '客户档案暂时无法读取' : '正在读取…'}</div>`
      : html`<dl class="facts">
            <dt>渠道</dt><dd data-testid="cust-channel">${channel ?? h.botId}</dd>
            <dt>首次联系</dt><dd data-testid="cust-first-seen">${h.firstSeen ? when(h.firstSeen) : '—'}</dd>
            <dt>人工会话</dt><dd data-testid="cust-session-count" data-count=${h.sessions.length}>${h.sessions.length} 次${h.ratings.count ? html`<span class="muted small"> · 评价 ${h.ratings.count} 次，平均 ${h.ratings.average} 分</span>` : ''}</dd>
            <dt>标签</dt><dd data-testid="cust-tags">${h.tags.length ? h.tags.map((t) => html`<span class="tag cust-tag" key=${t}><${Bidi} text=${t} /></span>`) : html`<span class="muted small">暂无</span>`}</dd>
          </dl>
          ${h.incomplete ? html`<div class="muted small cust-incomplete" role="status">历史数据库暂时连不上，更早的会话可能没有列出</div>` : null}
          ${h.sessions.length
            ? html`<ol class="cust-sessions" aria-label="历次会话">${h.sessions.map((s, i) => html`<${Session} key=${s.startId} convId=${conv.id} s=${s} current=${i === 0 && currentOpen} />`)}</ol>`
            : html`<div class="muted small">还没有转过人工</div>`}`}
  </section>`;
}
