import { html, useState } from '/vendor/preact-htm.js';
import { Icon } from '../../components/icons.js';
import { GAP_REASONS, TICK_AGO_MS } from '../../constants.js';
import { ago, convHref, percent } from '../../format.js';
import { useNow } from '../../store.js';
import { AddAlternate, NewEntry } from './entry-forms.js';

/** Groups shown before 显示全部. */
const GAPS_SHOWN = 10;

/** The questions the FAQ missed, grouped by similarity, each example one click from the FAQ. */
export function Gaps({ groups, entries, canOpen, loaded, onChanged }) {
  const now = useNow(TICK_AGO_MS);
  /** The one open form: { key: group label + example text, kind: 'alt' | 'new' }. */
  const [open, setOpen] = useState(null);
  /** The page scrolls, not a box inside it: the biggest groups first, the rest one click away. */
  const [all, setAll] = useState(false);
  const shown = all ? (groups ?? []) : (groups ?? []).slice(0, GAPS_SHOWN);
  const questionOf = (id) => entries?.find((e) => e.id === id)?.question ?? id;
  const categoryOf = (id) => entries?.find((e) => e.id === id)?.category ?? '';
  const done = () => {
    setOpen(null);
    onChanged();
  };
  const total = (groups ?? []).reduce((n, g) => n + g.count, 0);
  return html`<section class="card card-flush">
    <div class="card-bar"><h2 class="card-title-lg">相似问题 <span class="count">${groups?.length ?? 0}</span></h2>
      <span class="muted small">${total ? `共 ${total} 次提问` : ''}</span></div>
    <p class="card-help muted small">机器人没答上、或被客户标记“没帮上忙”的提问，按相似程度归组。可以把某个问法加为条目的备选问法，或新建条目。</p>
    <ul class="unanswered unanswered-open" data-testid="kb-gaps">
      ${groups === null ? html`<li class="muted center">${loaded ? '暂时无法获取' : '加载中…'}</li>` : null}
      ${groups && groups.length === 0 ? html`<li class="muted center">最近没有机器人答不上的问题</li>` : null}
      ${shown.map(
        (g) => html`<li key=${g.label} class="unanswered-item" data-testid="kb-gap-group" data-count=${g.count}>
          <div class="row-between">
            <strong class="u-text" data-testid="kb-gap-label"><bdi>${g.label}</bdi></strong>
            <span class="chip" data-testid="kb-gap-count">${g.count} 次</span>
          </div>
          <div class="u-meta">
            ${g.reasons.unanswered ? html`<span class="chip chip-reason">${GAP_REASONS.unanswered} ${g.reasons.unanswered}</span>` : null}
            ${g.reasons.not_helpful ? html`<span class="chip chip-warn">${GAP_REASONS.not_helpful} ${g.reasons.not_helpful}</span>` : null}
            ${g.reasons.suggested ? html`<span class="chip chip-reason">${GAP_REASONS.suggested} ${g.reasons.suggested}</span>` : null}
            ${g.suggested
              ? html`<span class="u-faq small" data-testid="kb-gap-suggested" data-faq-id=${g.suggested.id} title=${`FAQ 条目 ${g.suggested.id}`}>
                  最接近：${g.suggested.question}（${percent(g.suggested.score)}）</span>`
              : html`<span class="muted small">没有接近的条目</span>`}
            ${g.notHelpful.map((n) => html`<span key=${n.id} class="u-faq small" title=${`FAQ 条目 ${n.id}`}>没帮上忙：${questionOf(n.id)} ×${n.count}</span>`)}
            <span class="muted small">${ago(g.lastAt, now)}</span>
          </div>
          <ul style=${{ listStyle: 'none', margin: '6px 0 0', padding: '0 0 0 10px', borderLeft: '2px solid #eef1f5' }}>
            ${g.examples.map((ex) => {
              const key = `${g.label}\n${ex.text}`;
              const form = open?.key === key ? open.kind : null;
              const others = g.examples.map((x) => x.text).filter((t) => t !== ex.text && !g.examples.find((x) => x.text === t)?.covered);
              return html`<li key=${ex.text} data-testid="kb-gap-example" data-covered=${ex.covered ?? ''} style=${{ padding: '4px 0' }}>
                <div class="u-text"><span data-testid="kb-gap-text"><bdi>${ex.text}</bdi></span>${ex.count > 1 ? html` <span class="muted small">×${ex.count}</span>` : null}</div>
                <div class="u-meta">
                  <span class="muted small">${ago(ex.lastAt, now)}</span>
                  ${canOpen && ex.conv ? html`<a class="link small" href=${convHref(ex.conv)}>查看会话</a>` : null}
                  ${ex.covered
                    ? html`<span class="chip chip-xs chip-reason" data-testid="kb-gap-covered"><${Icon} name="check" size=${12} />已收录到「${questionOf(ex.covered)}」</span>`
                    : html`<button type="button" class="btn btn-sm" data-testid="kb-add-alt" aria-expanded=${form === 'alt'}
                          onClick=${() => setOpen(form === 'alt' ? null : { key, kind: 'alt' })}>加为备选问法</button>
                        <button type="button" class="btn btn-ghost btn-sm" data-testid="kb-new-entry" aria-expanded=${form === 'new'}
                          onClick=${() => setOpen(form === 'new' ? null : { key, kind: 'new' })}><${Icon} name="plus" size=${14} />新建条目</button>`}
                </div>
                ${form === 'alt'
                  ? html`<${AddAlternate} text=${ex.text} entries=${entries} defaultId=${g.suggested?.id ?? g.notHelpful[0]?.id ?? ''}
                      onDone=${done} onCancel=${() => setOpen(null)} />`
                  : null}
                ${form === 'new'
                  ? html`<${NewEntry} text=${ex.text} others=${others} entries=${entries} defaultCategory=${categoryOf(g.suggested?.id)}
                      onDone=${done} onCancel=${() => setOpen(null)} />`
                  : null}
              </li>`;
            })}
          </ul>
        </li>`,
      )}
    </ul>
    ${(groups?.length ?? 0) > GAPS_SHOWN
      ? html`<div class="card-more"><button type="button" class="btn btn-ghost btn-sm" data-testid="kb-gaps-more" onClick=${() => setAll(!all)}>
          ${all ? `只看前 ${GAPS_SHOWN} 组` : `显示全部 ${groups.length} 组`}</button></div>`
      : null}
  </section>`;
}
