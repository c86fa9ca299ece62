/** A queue row's unread count and its preview line (the latest customer message that says something). */
import { html } from '/vendor/preact-htm.js';
import { Bidi } from './customer.js';

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
