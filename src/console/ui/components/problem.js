/** A known problem named where a parked chat shows: by its title once the list knows it, else by its id. */
import { html } from '/vendor/preact-htm.js';
import { problemHref } from '../format.js';
import { problems } from '../problems.js';
import { useStore } from '../store.js';
import { Icon } from './icons.js';

/** In a queue row. */
export function ProblemChip({ id }) {
  const { byId } = useStore(problems);
  const title = byId.get(id)?.title;
  return html`<span class="chip chip-warn chip-problem" data-testid="fix-problem" data-problem-id=${id} title=${`已知问题 ${id}${title ? `：${title}` : ''}`}>
    <${Icon} name="flag" size=${12} /><span class="chip-text">${title ?? id}</span></span>`;
}

/** In a chat's header: a link to the 已知问题 page. */
export function ProblemLink({ id }) {
  const { byId } = useStore(problems);
  const title = byId.get(id)?.title;
  return html`<a class="conv-problem" data-testid="conv-problem" data-problem-id=${id} href=${problemHref(id)}
      title=${`已知问题 ${id}：修复后机器人会自动通知客户`}><${Icon} name="flag" size=${12} /><span class="conv-problem-title">${title ?? id}</span></a>`;
}
