/**
 * 差评待跟进: every 1-2 rating stays here until a manager marks it followed up (GET /api/low-ratings),
 * so a low rating is closed by the team, not lost with a toast nobody saw. Refreshed on live events.
 */
import { html, useState } from '/vendor/preact-htm.js';
import { get, post } from '../../api.js';
import { Icon } from '../../components/icons.js';
import { REFRESH_MS, STATUSES } from '../../constants.js';
import { convHref, reasonLabel, when } from '../../format.js';
import { useLoader } from '../../loader.js';
import { toastError } from '../../toast.js';

const TABS = [
  { state: 'pending', label: '待跟进' },
  { state: 'done', label: '已跟进' },
];

function Row({ item, onMark, busy }) {
  const name = item.customer?.name || item.customer?.id || item.conv;
  const following = item.reason === 'low_rating' && (item.status === 'waiting' || item.status === 'active');
  return html`<li class="lr-row" data-testid="low-rating-item" data-conv-id=${item.conv} data-state=${item.state}>
    <div class="lr-top">
      <span class="lr-score" data-testid="low-rating-score">${item.score} 分</span>
      <bdi class="lr-name">${name}</bdi>
      <span class="muted small">${when(item.at)}${item.agentName ? ` · 客服 ${item.agentName}` : ''}</span>
    </div>
    <div class="lr-comment" data-testid="low-rating-comment">${item.comment ? html`<bdi>${item.comment}</bdi>` : html`<span class="muted">客户还没有说明原因</span>`}</div>
    <div class="lr-meta">
      <span class="chip" data-testid="low-rating-status">${following ? reasonLabel('low_rating') : ''}${following ? ' · ' : ''}${STATUSES[item.status] ?? item.status}</span>
      ${item.state === 'done' ? html`<span class="muted small">${item.doneByName ?? ''} 已跟进 · ${when(item.doneAt)}</span>` : null}
      <a class="btn btn-sm lr-go" href=${convHref(item.conv)}>查看会话</a>
      <button type="button" class="btn btn-sm" data-testid="low-rating-mark" disabled=${busy} onClick=${() => onMark(item)}>
        ${item.state === 'done' ? '重新打开' : '标记已跟进'}
      </button>
    </div>
  </li>`;
}

export function LowRatingCard() {
  const [state, setState] = useState('pending');
  const [busy, setBusy] = useState('');
  const { data, error, reload } = useLoader(() => get(`/api/low-ratings?state=${state}`), {
    key: state,
    every: REFRESH_MS,
    on: (e) => e?.type === 'low_rating' || e?.type === 'rating_comment' || e?.type === 'waiting',
    throttle: 1_000,
    resync: true,
  });
  async function mark(item) {
    setBusy(item.conv);
    try {
      await post(`/api/low-ratings/${encodeURIComponent(item.conv)}`, { done: item.state !== 'done' });
      reload();
    } catch (err) {
      toastError(err, '操作失败');
    } finally {
      setBusy('');
    }
  }
  const items = data?.items ?? [];
  return html`<section class="card dash-card dash-low-ratings" data-testid="low-ratings">
    <div class="dash-card-head">
      <h2 class="card-title-lg"><${Icon} name="alert" size=${17} />差评待跟进 <span class="count" data-testid="low-ratings-pending">${data?.pending ?? '—'}</span></h2>
      <div class="lr-tabs" role="tablist">
        ${TABS.map(
          (t) => html`<button type="button" role="tab" key=${t.state} class=${`btn btn-sm${state === t.state ? ' is-on' : ''}`} aria-selected=${state === t.state}
              data-testid=${`low-ratings-tab-${t.state}`} onClick=${() => setState(t.state)}>${t.label}</button>`,
        )}
      </div>
    </div>
    ${error ? html`<div class="inline-error">差评列表加载失败，稍后自动重试</div>` : null}
    ${data && items.length === 0 ? html`<div class="muted" data-testid="low-ratings-empty">${state === 'pending' ? '没有待跟进的差评' : '还没有已跟进的差评'}</div>` : null}
    <ul class="lr-list">${items.map((it) => html`<${Row} key=${it.conv} item=${it} busy=${busy === it.conv} onMark=${mark} />`)}</ul>
  </section>`;
}
