/**
 * One known problem on the 已知问题 page: its description, the linked chats and whether each
 * customer has been told, and for managers 标记为已修复, which has the bot tell every linked customer once.
 */
import { html, useState } from '/vendor/preact-htm.js';
import { ApiError, describeError, get } from '../../api.js';
import { Avatar, Bidi, customerName } from '../../components/customer.js';
import { Icon } from '../../components/icons.js';
import { Spinner } from '../../components/spinner.js';
import { FIX_NOTE_MAX, PROBLEM_EVENTS, REFRESH_MS, STATUSES, TICK_AGO_MS } from '../../constants.js';
import { byLine, chars, convHref, hasRole, when } from '../../format.js';
import { useLoader } from '../../loader.js';
import { markFixed } from '../../problems.js';
import { useNow } from '../../store.js';
import { toast } from '../../toast.js';
import { NoticePreview, PublicTitle } from './public-title.js';
import { StatusPill } from './status.js';

const readProblem = ({ key: id }) => get(`/api/problems/${encodeURIComponent(id)}`);

/** A problem with its linked conversations, kept current by the live events that concern it. */
function useProblem(id) {
  const loader = useLoader(readProblem, {
    key: id,
    every: REFRESH_MS,
    // A link or a fix of this problem, or anything that happens to one of its conversations.
    on: (ev) => (PROBLEM_EVENTS.has(ev?.type) && ev.data?.problemId === id) || (ev?.conv && (loader.data?.conversations ?? []).some((c) => c.id === ev.conv)),
    throttle: 300,
    resync: true,
    // A fix is final: an answer read before it (an open problem) must not undo what the page shows.
    merge: (shown, answer) => (shown.status === 'fixed' && answer.status !== 'fixed' ? shown : answer),
  });
  const { error } = loader;
  return {
    problem: loader.data,
    missing: error instanceof ApiError && error.status === 404,
    error: error && !(error instanceof ApiError && (error.status === 404 || error.status === 401)) ? '问题详情加载失败，稍后自动重试' : '',
    setProblem: loader.set,
    reload: loader.reload,
  };
}

function FixForm({ problem, onFixed }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  // Messages every linked customer and closes their chats, with no way back: asked twice.
  const [confirming, setConfirming] = useState(false);
  const count = problem.conversations?.length ?? problem.linked ?? 0;
  const over = chars(note.trim()) > FIX_NOTE_MAX;
  async function submit(e) {
    e.preventDefault();
    const value = note.trim();
    if (!value) {
      setError('请填写修复说明，它会随通知一起发给客户');
      return;
    }
    if (busy || over) return;
    if (count > 0 && !confirming) {
      setConfirming(true);
      return;
    }
    setConfirming(false);
    setBusy(true);
    setError('');
    try {
      const res = await markFixed(problem.id, value);
      setNote('');
      onFixed(res);
    } catch (err) {
      setError(`标记失败：${describeError(err).text}`);
    } finally {
      setBusy(false);
    }
  }
  return html`<form class="kp-fix" onSubmit=${submit} data-testid="problem-fix-form">
    <h3 class="kp-section-title"><${Icon} name="check" size=${14} />标记为已修复</h3>
    <p class="muted small">机器人会把「问题已修复」的消息连同下面的说明发给每位关联的客户（每人只发一次），挂起的会话随之结束。</p>
    <textarea class="input kp-fix-note" data-testid="problem-fix-note" rows="3" maxlength=${FIX_NOTE_MAX} required aria-label="修复说明"
      placeholder="修复说明（必填，会发给客户），例如：已在 3.2.1 修复，请升级后重试" value=${note}
      onInput=${(e) => {
        setNote(e.currentTarget.value);
        setConfirming(false);
        if (error) setError('');
      }}></textarea>
    <div class="row-between">
      <span class=${`small ${over ? 'kp-over' : 'muted'}`}>${chars(note.trim())}/${FIX_NOTE_MAX}</span>
      <button type="submit" class="btn btn-success btn-sm" data-testid="problem-fix-submit" disabled=${busy || !note.trim() || over || confirming}>
        <${Icon} name="check" size=${14} />${count ? `标记为已修复并通知 ${count} 位客户` : '标记为已修复'}</button>
    </div>
    ${confirming
      ? html`<div class="kp-fix-confirm" role="alertdialog" aria-label="确认发送修复通知" data-testid="problem-fix-confirming">
          <span>将向 <strong>${count}</strong> 位客户发送下面的修复通知，挂起的会话随之结束。发出后无法撤回。</span>
          <div class="row-gap">
            <button type="button" class="btn btn-sm" data-testid="problem-fix-cancel" onClick=${() => setConfirming(false)}>取消</button>
            <button type="submit" class="btn btn-success btn-sm" data-testid="problem-fix-confirm" disabled=${busy}>确认发送</button>
          </div>
        </div>`
      : null}
    <${NoticePreview} problem=${problem} note=${note} />
    ${error ? html`<div class="form-error" role="alert">${error}</div>` : null}
  </form>`;
}

/**
 * What became of the customer's fix notice. "已通知" alone would say so of a notice merely handed to
 * the bot: on 微信客服 a customer whose 48 h window has closed never hears it, and the manager must
 * know to reach them some other way.
 */
function Delivery({ c, fixed }) {
  const tag = (cls, text, title, icon) =>
    html`<span class=${`kp-notified${cls}`} data-testid="problem-conv-notified" data-delivery=${c.delivery ?? 'none'} title=${title}>${icon ? html`<${Icon} name=${icon} size=${13} />` : null}${text}</span>`;
  if (!c.notified) return tag('', fixed ? '未发出' : '待修复后通知', fixed ? '通知还没交给机器人：点「补发」' : '问题修复后自动通知');
  if (c.delivery === 'delivered') return tag(' is-yes', '已送达', '客户已收到修复通知', 'check');
  if (c.delivery === 'failed') return tag(' is-failed', '未送达', '微信没有送达（例如超过 48 小时未互动，或客户不可达）：请用其他方式联系客户', 'alert');
  return tag(' is-pending', '发送中', '已交给机器人，还没送达（机器人离线或正在重试）');
}

function ConvRow({ c, fixed }) {
  const name = customerName(c);
  return html`<li class="kp-conv" data-testid="problem-conv" data-conv-id=${c.id} data-notified=${c.notified ? 'true' : 'false'} data-status=${c.status}>
    <${Avatar} name=${name} id=${c.customer?.id} size="sm" />
    <div class="kp-conv-main">
      <a class="kp-conv-name" href=${convHref(c.id)} title="打开会话"><${Bidi} text=${name} /></a>
      <span class="muted small">${c.question ? html`<${Bidi} text=${c.question} />` : c.botId}</span>
    </div>
    <span class=${`status status-${c.status}`} data-testid="problem-conv-status">${STATUSES[c.status] ?? c.status}</span>
    <${Delivery} c=${c} fixed=${fixed} />
  </li>`;
}

export function Detail({ id, me, onFixed }) {
  const { problem, missing, error, setProblem, reload } = useProblem(id);
  const now = useNow(TICK_AGO_MS);
  const [retrying, setRetrying] = useState(false);
  if (missing) {
    return html`<section class="card kp-detail kp-detail-empty" data-testid="problem-missing">
      <${Icon} name="flag" size=${36} /><h2>找不到问题 ${id}</h2><p class="muted">链接可能有误。</p></section>`;
  }
  if (!problem) {
    return html`<section class="card kp-detail kp-detail-empty">${error ? html`<div class="inline-error">${error}</div>` : html`<${Spinner} />`}</section>`;
  }
  const manager = hasRole(me, 'manager');
  const fixed = problem.status === 'fixed';
  const conversations = problem.conversations ?? [];
  const notified = problem.justNotified ?? conversations.filter((c) => c.notified).length;
  const delivered = conversations.filter((c) => c.delivery === 'delivered').length;
  const failed = conversations.filter((c) => c.delivery === 'failed').length;
  const unsent = fixed && conversations.some((c) => !c.notified);

  async function fixedNow(res) {
    setProblem({ ...problem, ...res, conversations, justNotified: res.notified });
    onFixed(res);
    reload();
  }

  async function retry() {
    setRetrying(true);
    try {
      const res = await markFixed(problem.id, problem.note || '已修复');
      toast(`已补发通知，共通知 ${res.notified} 位客户`, { kind: 'success' });
      reload();
    } catch (err) {
      toast(`补发失败：${describeError(err).text}`, { kind: 'error' });
    } finally {
      setRetrying(false);
    }
  }

  return html`<section class=${`card kp-detail kp-detail-${problem.status}`} data-testid="problem-detail" data-problem-id=${problem.id} data-status=${problem.status}>
    <header class="kp-detail-head">
      <div class="kp-detail-top"><code class="kp-id">${problem.id}</code><${StatusPill} status=${problem.status} /></div>
      <h2 class="kp-detail-title" data-testid="problem-detail-title">${problem.title}</h2>
      <${PublicTitle} key=${`${problem.id}:${problem.publicTitle ?? ''}`} problem=${problem} onSaved=${(p) => setProblem({ ...problem, ...p, conversations })} />
      <div class="muted small" title=${when(problem.createdAt, now)}>${byLine(problem.createdBy, problem.createdAt, now, '创建')} · 关联 ${problem.linked} 位客户</div>
    </header>
    ${error ? html`<div class="inline-error">${error}</div>` : null}
    <div class=${`kp-desc pre${problem.description ? '' : ' muted'}`} data-testid="problem-description">${problem.description || '没有描述'}</div>
    ${fixed
      ? html`<div class="kp-fixed-box">
          <div class="kp-fixed-head"><${Icon} name="check" size=${16} /><strong>已修复</strong>
            <span class="muted small" title=${when(problem.fixedAt, now)}>${problem.fixedBy?.name ?? '系统'} · ${when(problem.fixedAt, now)}</span></div>
          <div class="kp-note pre" data-testid="problem-note">${problem.note}</div>
          <div class="kp-notified-line" data-testid="problem-notified" role="status">已通知 ${notified} 位客户${
            problem.justNotified === undefined ? ` · 已送达 ${delivered}${failed ? ` · 未送达 ${failed}` : ''}` : ''}</div>
          ${manager && unsent
            ? html`<div class="row-between"><span class="muted small">有客户还没收到通知（例如机器人曾中断）</span>
                <button type="button" class="btn btn-sm" data-testid="problem-fix-retry" disabled=${retrying} onClick=${retry}>补发未送达的通知</button></div>`
            : null}
        </div>`
      : null}
    <h3 class="kp-section-title"><${Icon} name="users" size=${14} />关联的会话 <span class="count">${conversations.length}</span></h3>
    ${conversations.length
      ? html`<ul class="kp-convs">${conversations.map((c) => html`<${ConvRow} key=${c.id} c=${c} fixed=${fixed} />`)}</ul>`
      : html`<div class="muted small kp-empty">还没有关联的会话。在会话里点「关联已知问题」即可关联。</div>`}
    ${!fixed && manager ? html`<${FixForm} key=${problem.id} problem=${problem} onFixed=${fixedNow} />` : null}
    ${!fixed && !manager ? html`<p class="muted small kp-hint"><${Icon} name="lock" size=${12} />问题修复后，由主管在这里标记为已修复，关联的客户会自动收到通知。</p>` : null}
  </section>`;
}
