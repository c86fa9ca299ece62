/** A queue row's unread count and its preview line (the latest customer message that says something). */
import { html } from '/vendor/preact-htm.js';
import { Bidi } from './customer.js';
import { reasonLabel } from '../format.js';

export function UnreadBadge({ conv }) {
  const n = conv.unread ?? 0;
  if (n <= 0) return null;
  return html`<span class="unread-badge" data-testid="unread-badge" title=${`${n} 条未读消息`} aria-label=${`${n} 条未读`}>${n > 99 ? '99+' : n}</span>`;
}

/** The preview, else the question the chat was handed off with, else `fallback`. */
export function RowPreview({ conv, fallback, testid }) {
  const text = conv.preview || conv.question;
  return html`<div class=${`qi-question${conv.unread > 0 ? ' is-unread' : ''}`} data-testid=${testid}>${text ? html`<${Bidi} text=${text} />` : fallback}</div>`;
}

/**
 * Why the chat went to a person, with the question that caused it when the preview shows a later
 * message (a queue row reading "谢谢" still says the handoff was about "你们是骗子吧").
 */
export function HandoffCause({ conv, fallback = '转人工', testid = 'queue-reason' }) {
  const label = reasonLabel(conv.reason) || fallback;
  const cause = conv.question && conv.preview && conv.question !== conv.preview ? conv.question : '';
  return html`<span class="chip chip-reason" data-testid=${testid} title=${cause ? `${label}：${cause}` : label}>
    ${label}${cause ? html`<span class="chip-cause" data-testid="handoff-cause">：<${Bidi} text=${cause} /></span>` : null}
  </span>`;
}
