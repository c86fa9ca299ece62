/**
 * 从对话中学习: phrasings that customers' picks, "有帮助" and agents' FAQ answers proved, proposed as
 * alternates of their entry (one click to accept or dismiss); the switch for automatic adoption and
 * its audit list, each adoption one click from undone.
 */
import { html, useEffect, useState } from '/vendor/preact-htm.js';
import { post } from '../../api.js';
import { Icon } from '../../components/icons.js';
import { TICK_AGO_MS } from '../../constants.js';
import { ago, convHref } from '../../format.js';
import { useNow } from '../../store.js';
import { toast, toastError } from '../../toast.js';
import { savedToast } from './entry-forms.js';

const KINDS = [
  ['picked', '客户选中'],
  ['helpful', '点了有帮助'],
  ['agent', '客服发送'],
];
/** What a refused edit of an entry's alternates means (toastError's texts by HTTP status); 答错的问题 too. */
export const EDIT_FAILED = { 404: '找不到这个条目，可能刚被改名或删除', 409: '知识库里已经有了，或知识库文件有问题' };

function Settings({ settings, onChanged }) {
  const [busy, setBusy] = useState(false);
  const [threshold, setThreshold] = useState(String(settings?.threshold ?? 3));
  useEffect(() => setThreshold(String(settings?.threshold ?? 3)), [settings?.threshold]);
  async function save(change) {
    if (busy) return;
    setBusy(true);
    try {
      const res = await post('/api/kb/learning/settings', change);
      const n = res?.adopted?.length ?? 0;
      if (change.autoAdopt === true) toast(n ? `已开启自动采纳，刚刚采纳了 ${n} 个问法` : '已开启自动采纳', { kind: 'success' });
      else if (change.autoAdopt === false) toast('已关闭自动采纳', { kind: 'success' });
      else toast(`已改为 ${res?.settings?.threshold ?? change.threshold} 个会话确认后自动采纳`, { kind: 'success' });
      onChanged();
    } catch (err) {
      toastError(err, '保存失败');
    } finally {
      setBusy(false);
    }
  }
  function saveThreshold() {
    const n = Number(threshold);
    if (!Number.isInteger(n) || n < 2 || n > 20) {
      toast('确认次数要在 2 到 20 之间：只有一个客户不算数', { kind: 'error' });
      setThreshold(String(settings?.threshold ?? 3));
      return;
    }
    if (n !== settings?.threshold) save({ threshold: n });
  }
  const on = Boolean(settings?.autoAdopt);
  return html`<div class="learn-settings" data-testid="kb-learn-settings" data-auto=${on ? 'on' : 'off'}>
    <label class="learn-switch">
      <input type="checkbox" data-testid="kb-learn-auto" checked=${on} disabled=${busy || !settings}
        onChange=${(e) => save({ autoAdopt: e.currentTarget.checked })} />
      <strong>自动采纳</strong>
    </label>
    <span class="small">同一问法在
      <input class="input input-sm learn-n" type="number" min="2" max="20" data-testid="kb-learn-threshold" value=${threshold} disabled=${busy || !settings}
        aria-label="需要的会话数" onInput=${(e) => setThreshold(e.currentTarget.value)} onBlur=${saveThreshold}
        onKeyDown=${(e) => e.key === 'Enter' && e.currentTarget.blur()} />
      个不同会话里被确认、且没有冲突时，自动加为备选问法</span>
    <span class="muted small">${on ? `已开启${settings?.updatedBy ? ` · ${settings.updatedBy}` : ''}` : '未开启（默认关闭）'}</span>
  </div>`;
}

function Proposal({ p, canOpen, now, onChanged }) {
  const [busy, setBusy] = useState(false);
  async function act(kind) {
    if (busy) return;
    setBusy(true);
    try {
      if (kind === 'accept') {
        savedToast(await post(`/api/kb/entries/${encodeURIComponent(p.faqId)}/alternates`, { question: p.text }), '已加为备选问法');
      } else {
        await post('/api/kb/learning/dismiss', { faqId: p.faqId, text: p.text });
        toast('已忽略，这个问法不会再被推荐', { kind: 'success' });
      }
      onChanged();
    } catch (err) {
      toastError(err, kind === 'accept' ? '采纳失败' : '忽略失败', EDIT_FAILED);
      setBusy(false);
    }
  }
  const c = p.conflict;
  return html`<li class="learn-item" data-testid="kb-learn-proposal" data-faq-id=${p.faqId} data-convs=${p.convs} data-ready=${p.ready ? '1' : '0'}>
    <div class="row-between">
      <span class="u-text" data-testid="kb-learn-text"><bdi>${p.text}</bdi></span>
      <span class="chip" data-testid="kb-learn-convs" title=${`共 ${p.count} 条证据`}>${p.convs} 个会话</span>
    </div>
    <div class="u-meta">
      ${KINDS.filter(([k]) => p.kinds[k]).map(([k, label]) => html`<span key=${k} class="chip chip-xs chip-reason">${label} ×${p.kinds[k]}</span>`)}
      ${p.ready ? html`<span class="chip chip-xs chip-ok" data-testid="kb-learn-ready">可自动采纳</span>` : null}
      ${c?.entries?.map((e) => html`<span key=${e.id} class="chip chip-xs chip-warn" data-testid="kb-learn-conflict" title=${`FAQ 条目 ${e.id}`}>也被确认为「${e.question}」×${e.convs}</span>`)}
      ${c?.rejected ? html`<span class="chip chip-xs chip-warn" data-testid="kb-learn-conflict">这个答案被否定过 ×${c.rejected}</span>` : null}
      <span class="muted small">${ago(p.lastAt, now)}</span>
      ${canOpen && p.conv ? html`<a class="link small" href=${convHref(p.conv)}>查看会话</a>` : null}
      <span class="spacer"></span>
      <button type="button" class="btn btn-primary btn-sm" data-testid="kb-learn-accept" disabled=${busy} onClick=${() => act('accept')}>采纳</button>
      <button type="button" class="btn btn-ghost btn-sm" data-testid="kb-learn-dismiss" disabled=${busy} onClick=${() => act('dismiss')}>忽略</button>
    </div>
  </li>`;
}

function Adoptions({ adoptions, now, onChanged }) {
  const [busy, setBusy] = useState('');
  if (!adoptions?.length) return null;
  async function undo(a) {
    if (busy) return;
    setBusy(a.id);
    try {
      await post(`/api/kb/learning/adoptions/${encodeURIComponent(a.id)}/undo`);
      toast(`已撤销：「${a.text}」不再是「${a.question}」的备选问法`, { kind: 'success' });
      onChanged();
    } catch (err) {
      toastError(err, '撤销失败', EDIT_FAILED);
    } finally {
      setBusy('');
    }
  }
  return html`<div class="learn-audit" data-testid="kb-learn-audit">
    <div class="muted small learn-audit-head">自动采纳记录</div>
    <ul class="learn-audit-list">
      ${adoptions.map(
        (a) => html`<li key=${a.id} data-testid="kb-learn-adoption" data-faq-id=${a.faqId} data-undone=${a.undone ? '1' : '0'} class=${a.undone ? 'is-undone' : ''}>
          <span class="u-text"><bdi>${a.text}</bdi></span>
          <span class="muted small">→ ${a.question} · ${a.convs} 个会话确认 · ${ago(a.at, now)}</span>
          <span class="spacer"></span>
          ${a.undone
            ? html`<span class="muted small" data-testid="kb-learn-undone">已撤销${a.undone.by ? `（${a.undone.by}）` : ''}</span>`
            : html`<button type="button" class="btn btn-ghost btn-sm" data-testid="kb-learn-undo" disabled=${busy === a.id} onClick=${() => undo(a)}>
                <${Icon} name="undo" size=${14} />撤销</button>`}
        </li>`,
      )}
    </ul>
  </div>`;
}

/** The learning card: settings, proposals by entry, the audit list. */
export function Learning({ learning, canOpen, loaded, onChanged }) {
  const now = useNow(TICK_AGO_MS);
  const groups = learning?.proposals ?? null;
  const total = (groups ?? []).reduce((n, g) => n + g.proposals.length, 0);
  return html`<section class="card card-flush" data-testid="kb-learning">
    <div class="card-bar"><h2 class="card-title-lg">从对话中学习 <span class="count">${total}</span></h2>
      <span class="muted small">${learning ? `${learning.evidence} 条证据` : ''}</span></div>
    <p class="card-help muted small">客户在「您想问的是不是下面这些？」里选中的、回答后回复「有帮助」的，以及转人工后客服发送的 FAQ 答案，都说明客户这句话问的就是那个条目。采纳后写进条目的备选问法，下次机器人直接回答。</p>
    ${learning ? html`<${Settings} settings=${learning.settings} onChanged=${onChanged} />` : null}
    <ul class="unanswered" data-testid="kb-learn-proposals">
      ${groups === null ? html`<li class="muted center">${loaded ? '暂时无法获取' : '加载中…'}</li>` : null}
      ${groups && groups.length === 0 ? html`<li class="muted center">暂时没有可以采纳的问法</li>` : null}
      ${(groups ?? []).map(
        (g) => html`<li key=${g.id} class="unanswered-item" data-testid="kb-learn-group" data-faq-id=${g.id}>
          <div class="learn-entry"><span class="muted small">加到条目</span> <strong title=${`FAQ 条目 ${g.id}`}>${g.question}</strong></div>
          <ul class="learn-list">
            ${g.proposals.map((p) => html`<${Proposal} key=${p.key} p=${p} canOpen=${canOpen} now=${now} onChanged=${onChanged} />`)}
          </ul>
        </li>`,
      )}
    </ul>
    <${Adoptions} adoptions=${learning?.adoptions} now=${now} onChanged=${onChanged} />
  </section>`;
}
