import { html } from '/vendor/preact-htm.js';
import { Icon } from '../../components/icons.js';
import { PROBLEM_STATUSES } from '../../constants.js';

export function StatusPill({ status }) {
  return html`<span class=${`kp-status kp-status-${status}`}>${status === 'fixed' ? html`<${Icon} name="check" size=${12} />` : null}${PROBLEM_STATUSES[status] ?? status}</span>`;
}
