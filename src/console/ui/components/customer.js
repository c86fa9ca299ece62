/** A customer as every view shows one: the name (or a stand-in), an avatar, the tier badge. */
import { html } from '/vendor/preact-htm.js';
import { colorSlot, initial, tierLabel } from '../format.js';

export const customerName = (c) => c?.customer?.name || `客户 ${String(c?.customer?.id ?? '').slice(-6)}`;

/**
 * Text a customer chose (names, questions) in its own bidi isolate: a name with U+202E cannot turn
 * the labels next to it around. Markup, not FSI/PDI characters, which the text itself could close.
 */
export const Bidi = ({ text }) => html`<bdi>${text}</bdi>`;

export function Avatar({ name, id, size = 'md' }) {
  return html`<span class=${`avatar avatar-${size} avatar-c${colorSlot(id ?? name)}`} aria-hidden="true">${initial(name)}</span>`;
}

export function TierBadge({ tier, testid }) {
  const vip = tier === 'vip';
  return html`<span class=${`badge ${vip ? 'badge-vip' : 'badge-std'}`} data-testid=${testid}>${tierLabel(tier)}</span>`;
}
