/**
 * 答错的问题: where the bot answered with confidence and was wrong: the customer said 没解决, asked
 * for a person right after the answer, or the agent sent another entry's answer. The customer's
 * words next to the entry answered (and the one the agent sent); one click adds the words to the
 * entry the agent sent, or takes the item off the list (it is then never proposed for the entry
 * that answered wrongly either).
 */
import { html, useState } from '/vendor/preact-htm.js';
import { post } from '../../api.js';
import { TICK_AGO_MS } from '../../constants.js';
import { ago, convHref } from '../../format.js';
import { useNow } from '../../store.js';
import { toast, toastError } from '../../toast.js';
import { savedToast } from './entry-forms.js';
import { EDIT_FAILED } from './learning.js';

const KINDS = [
  ['not_helpful', '没解决'],
  ['rejected', '回答后转人工'],
  ['corrected', '客服改发'],
];

function Actions({ w, onChanged }) {
  const [busy, setBusy] = useState(false);
  async function act(run, done, failed) {
    if (busy) return;
    setBusy(true);
    try {
      const res = await run();
      // An alternate added: where the bot stands with it (another broken file keeps the old version serving).
      if (res && 'reloaded' in res) savedToast(res, done);
      else toast(done, { kind: 'success' });
      onChanged?.();
    } catch (err) {
      toastError(err, failed, EDIT_FAILED);
      setBusy(false);
    }
  }
  const addTo = (c) =>
    act(() => post(`/api/kb/entries/${encodeURIComponent(c.id)}/alternates`, { question: w.text }), `已加为「${c.question}」的备选问法`, '添加失败');
  const dismiss = () => act(() => post('/api/kb/learning/dismiss', { faqId: w.faqId, text: w.text }), '已忽略，不会再列出', '忽略失败');
  return html`<div class="u-meta">
    <span class="spacer"></span>
    ${w.corrections.map(
      (c) => html`<button key=${c.id} type="button" class="btn btn-primary btn-sm" data-testid="kb-wrong-add" data-faq-id=${c.id} disabled=${busy}
        title=${`把「${w.text}」加为「${c.question}」的备选问法`} onClick=${() => addTo(c)}>加为「${c.question}」的问法</button>`,
    )}
    <button type="button" class="btn btn-ghost btn-sm" data-testid="kb-wrong-dismiss" disabled=${busy} onClick=${dismiss}>忽略</button>
  </div>`;
}

export function WrongAnswers({ items, canOpen, loaded, onChanged }) {
  const now = useNow(TICK_AGO_MS);
  return html`<section class="card card-flush" data-testid="kb-wrong">
    <div class="card-bar"><h2 class="card-title-lg">答错的问题 <span class="count">${items?.length ?? 0}</span></h2></div>
    <p class="card-help muted small">机器人给出了答案，但客户说「没解决」、看完马上转人工，或客服改发了另一个 FAQ 答案。客服改发过的，一键把客户的话加为那个条目的问法；条目的答案本身，在「FAQ 条目」里点问题即可修改。</p>
    <ul class="unanswered" data-testid="kb-wrong-list">
      ${items === null ? html`<li class="muted center">${loaded ? '暂时无法获取' : '加载中…'}</li>` : null}
      ${items && items.length === 0 ? html`<li class="muted center">最近没有答错的问题</li>` : null}
      ${(items ?? []).map(
        (w) => html`<li key=${`${w.faqId}\n${w.text}`} class="unanswered-item" data-testid="kb-wrong-item" data-faq-id=${w.faqId}>
          <div class="row-between">
            <strong class="u-text" data-testid="kb-wrong-text"><bdi>${w.text}</bdi></strong>
            <span class="chip">${w.convs} 个会话</span>
          </div>
          <div class="u-meta">
            <span class="u-faq small" data-testid="kb-wrong-answered" data-faq-id=${w.faqId} title=${`FAQ 条目 ${w.faqId}`}>机器人回答：${w.question}</span>
          </div>
          <div class="u-meta">
            ${KINDS.filter(([k]) => w.kinds[k]).map(([k, label]) => html`<span key=${k} class="chip chip-xs chip-warn">${label} ×${w.kinds[k]}</span>`)}
            ${w.corrections.map(
              (c) => html`<span key=${c.id} class="u-faq small" data-testid="kb-wrong-agent" data-faq-id=${c.id} title=${`FAQ 条目 ${c.id}`}>客服发送：${c.question}${c.count > 1 ? ` ×${c.count}` : ''}</span>`,
            )}
            <span class="muted small">${ago(w.lastAt, now)}</span>
            ${canOpen && w.conv ? html`<a class="link small" href=${convHref(w.conv)}>查看会话</a>` : null}
          </div>
          <${Actions} w=${w} onChanged=${onChanged} />
        </li>`,
      )}
    </ul>
  </section>`;
}
